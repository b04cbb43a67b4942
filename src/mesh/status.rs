//! MESH status and error reports: a `StatusRecord` (alone, as MESH puts it in the sender's inbox
//! for an error report, or inside a sent control file) read and explained with the code table
//! `profiles/mesh-status-codes.toml`: EPL-150…154 from GPPROVIDER routing, and MESH's own codes.

use crate::document::{Document, NodeId};
use crate::finding::{Finding, RuleMeta};
use crate::rules::Context;
use serde::Deserialize;

/// One MESH status code.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusCode {
    pub code: String,
    /// MESH's name for it (`ERROR_NO_MAILBOX_MATCHES`).
    pub name: String,
    /// The MESH event that reports it (`SEND`, `TRANSFER`, …); empty when none is given.
    pub event: String,
    /// `success` or `error`.
    pub outcome: String,
    pub meaning: String,
    /// What the sender should do.
    pub action: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeFile {
    code: Vec<StatusCode>,
}

pub const TABLE: &str = "mesh-status-codes.toml";

/// Parses the code table (TOML as written, or the embedded JSON copy).
pub fn parse_codes(text: &str, json: bool) -> Result<Vec<StatusCode>, String> {
    let file: CodeFile = if json {
        serde_json::from_str(text).map_err(|e| e.to_string())?
    } else {
        toml::from_str(text).map_err(|e| e.to_string())?
    };
    Ok(file.code)
}

/// The embedded code table, parsed on first use.
pub fn codes() -> &'static [StatusCode] {
    static CODES: std::sync::OnceLock<Vec<StatusCode>> = std::sync::OnceLock::new();
    CODES.get_or_init(|| {
        crate::profile::embedded_json(TABLE)
            .map(|t| parse_codes(t, true).expect("the embedded MESH status codes parse (tested)"))
            .unwrap_or_default()
    })
}

/// The code `name` (`EPL-151`, `08`), as written or in lower case.
pub fn lookup(name: &str) -> Option<&'static StatusCode> {
    codes().iter().find(|c| c.code.eq_ignore_ascii_case(name))
}

/// A table sentence as part of a finding's message: lower-case start, no final period.
fn sentence_part(s: &str) -> String {
    let s = s.trim().trim_end_matches('.');
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The status records of a report or a sent control file.
fn records(doc: &Document) -> Vec<NodeId> {
    let root = doc.root();
    if doc.name(root) == "StatusRecord" {
        vec![root]
    } else {
        doc.children_named(root, "StatusRecord").collect()
    }
}

fn text(doc: &Document, record: NodeId, name: &str) -> Option<(NodeId, String)> {
    let n = doc.child(record, name)?;
    Some((n, doc.value(n).unwrap_or("").trim().to_string()))
}

/// What a record reports: success or failure by its `StatusCode` (`00` is success), or by its
/// `Status` when it has no code; `None` when it says neither.
fn succeeded(doc: &Document, record: NodeId) -> Option<bool> {
    match text(doc, record, "StatusCode") {
        Some((_, code)) if !code.is_empty() => Some(code == "00"),
        _ => match text(doc, record, "Status")?.1.as_str() {
            "SUCCESS" => Some(true),
            "ERROR" => Some(false),
            _ => None,
        },
    }
}

/// A status record that reports a failure: what the code means and what to do.
pub fn report_error(meta: &RuleMeta, cx: &Context<'_>, out: &mut Vec<Finding>) {
    let doc = cx.doc;
    for record in records(doc) {
        if succeeded(doc, record) != Some(false) {
            continue;
        }
        let code = text(doc, record, "StatusCode");
        let description = text(doc, record, "Description")
            .map(|(_, d)| d)
            .filter(|d| !d.is_empty());
        let at = code
            .as_ref()
            .map(|(n, _)| *n)
            .or_else(|| doc.child(record, "Status"))
            .unwrap_or(record);
        let said = description
            .as_deref()
            .map(|d| format!(" (\"{d}\")"))
            .unwrap_or_default();
        let f = match code.as_ref().map(|(_, c)| c.as_str()) {
            Some(c) => match lookup(c) {
                Some(row) => meta
                    .finding(format!(
                        "MESH reports {} {}{said}: {}",
                        row.code,
                        row.name,
                        sentence_part(&row.meaning)
                    ))
                    .with_help(format!(
                        "{} (`gpcm-validate explain {}`)",
                        row.action, row.code
                    )),
                None => meta.finding(format!(
                    "MESH reports an error with status code `{c}`{said}, which is not a MESH code gpcm-validate knows"
                )),
            },
            None => meta.finding(format!("MESH reports an error{said} without a status code")),
        };
        out.push(f.at_node(doc, at).label("delivery failed"));
    }
}

/// A status record that reports success.
pub fn report_success(meta: &RuleMeta, cx: &Context<'_>, out: &mut Vec<Finding>) {
    let doc = cx.doc;
    for record in records(doc) {
        if succeeded(doc, record) != Some(true) {
            continue;
        }
        let at = doc
            .child(record, "StatusCode")
            .or_else(|| doc.child(record, "Status"))
            .unwrap_or(record);
        let event = text(doc, record, "Event")
            .map(|(_, e)| format!(" ({e})"))
            .unwrap_or_default();
        out.push(
            meta.finding(format!(
                "MESH reports success{event}: the message reached the recipient's mailbox"
            ))
            .at_node(doc, at)
            .label("delivered"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_parses_and_holds_the_routing_errors() {
        let text = include_str!("../../profiles/mesh-status-codes.toml");
        let table = parse_codes(text, false).unwrap();
        for c in [
            "00", "08", "17", "EPL-150", "EPL-151", "EPL-152", "EPL-153", "EPL-154",
        ] {
            assert!(table.iter().any(|r| r.code == c), "{c}");
        }
        assert!(table
            .iter()
            .all(|c| matches!(c.outcome.as_str(), "success" | "error")));
        assert_eq!(codes().len(), table.len());
        assert_eq!(lookup("epl-151").unwrap().name, "ERROR_NO_MAILBOX_MATCHES");
    }
}
