//! `max-lengths`, `no-control-characters`, `children-allowed`: checks on the children of the
//! selected nodes, for flat documents such as MESH control files and header sets, where each
//! child is one field.

use super::{Check, RuleRun};
use crate::document::{Document, NodeId, Span};
use crate::finding::{Finding, Label};
use crate::profile::select::Selection;

/// Reads `limits = { "Mex-To" = 100, … }`.
pub fn compile_limits(table: &toml::Table) -> Result<Vec<(String, usize)>, String> {
    match table.get("limits") {
        Some(toml::Value::Table(t)) if !t.is_empty() => t
            .iter()
            .map(|(k, v)| match v {
                toml::Value::Integer(i) if *i >= 0 => Ok((k.clone(), *i as usize)),
                _ => Err(format!("`limits.{k}` must be a non-negative integer")),
            })
            .collect(),
        Some(_) => Err("`limits` must be a non-empty table of name = length".into()),
        None => Err("missing parameter `limits`".into()),
    }
}

pub fn run(check: &Check, rule: &RuleRun<'_>, sel: &Selection, out: &mut Vec<Finding>) {
    let doc = rule.cx.doc;
    for &node in &sel.nodes {
        match check {
            Check::MaxLengths { limits } => {
                for child in doc.children(node) {
                    let name = doc.name(child);
                    let Some((_, max)) = limits.iter().find(|(n, _)| n == name) else {
                        continue;
                    };
                    let value = doc.value(child).unwrap_or("");
                    let len = value.chars().count();
                    if len > *max {
                        let (len_s, max_s) = (len.to_string(), max.to_string());
                        let vars = [
                            ("name", name),
                            ("found", value),
                            ("length", len_s.as_str()),
                            ("max", max_s.as_str()),
                        ];
                        out.push(rule.finding_at(
                            child,
                            &vars,
                            Some(format!("{len} characters, at most {max}")),
                        ));
                    }
                }
            }
            Check::NoControlCharacters => {
                let nodes = std::iter::once(node).chain(doc.descendants(node));
                for n in nodes {
                    let Some(value) = doc.value(n) else { continue };
                    let Some((at, c)) = value.char_indices().find(|(_, c)| (*c as u32) < 0x20)
                    else {
                        continue;
                    };
                    let code = format!("U+{:04X}", c as u32);
                    let vars = [("name", doc.name(n)), ("char", code.as_str())];
                    let mut f = rule.finding_at(n, &vars, None);
                    let span = part_span(doc, n, at..at + 1).unwrap_or(doc.node(n).value_span);
                    f.label = Some(Label {
                        span,
                        text: Some(format!("{code} here")),
                    });
                    out.push(f);
                }
            }
            Check::ChildrenAllowed { names } => {
                for child in doc.children(node) {
                    let name = doc.name(child);
                    if !names.iter().any(|n| n == name) {
                        out.push(
                            rule.meta
                                .finding(super::fill(rule.message, &[("name", name)]))
                                .at_node_name(doc, child)
                                .label("not a known element"),
                        );
                    }
                }
            }
            _ => unreachable!("children::run is only called for its kinds"),
        }
    }
}

/// The source span of bytes `part` of a node's value, when the value is written in the source
/// as it reads (no escapes): the value itself, or the value in JSON quotes.
pub fn part_span(doc: &Document, node: NodeId, part: std::ops::Range<usize>) -> Option<Span> {
    let value = doc.value(node)?;
    let span = doc.node(node).value_span;
    let written = doc.source.text.get(span.range())?;
    let base = if written == value {
        span.start as usize
    } else if written.len() == value.len() + 2
        && written.starts_with('"')
        && &written[1..written.len() - 1] == value
    {
        span.start as usize + 1
    } else {
        return None;
    };
    (part.end <= value.len()).then(|| Span::new(base + part.start, base + part.end))
}
