//! FHIR STU3 OperationOutcome JSON, shaped as the HL7 Java validator (`org.hl7.fhir.core`)
//! writes it, so tools that read that validator's output read ours.
//!
//! - The report is a Bundle of `type` `collection` with one OperationOutcome per file, each
//!   naming its file in the `operationoutcome-file` extension (`valueString`): what the HL7
//!   validator writes when it validates several inputs. One file still gives a Bundle, so the
//!   shape never depends on how many files were given.
//! - Each finding is an `issue`: `severity` (`error`, `warning`, `information`), `code` (see
//!   [`issue_code`]), `details.text` and `diagnostics` (the message; the HL7 validator fills
//!   `details.text`, HAPI FHIR servers `diagnostics`), `expression` = the FHIRPath-like location,
//!   and the extensions `operationoutcome-issue-line` / `operationoutcome-issue-col`
//!   (`valueInteger`, 1-based, columns in characters), `operationoutcome-issue-source`
//!   (`valueCode` `gpcm-validate`, as the HL7 validator writes `InstanceValidator`) and
//!   `operationoutcome-message-id` (`valueCode`: the rule name, as the HL7 validator writes its
//!   message IDs).
//! - OperationOutcome requires at least one issue, so a clean file gets one `information` issue,
//!   code `informational`, text `All OK`.

use super::{Emitter, Region, Summary};
use crate::finding::{Finding, Severity};
use crate::validate::FileReport;
use serde::Serialize;
use std::io::{self, Write};

const EXT_FILE: &str = "http://hl7.org/fhir/StructureDefinition/operationoutcome-file";
const EXT_LINE: &str = "http://hl7.org/fhir/StructureDefinition/operationoutcome-issue-line";
const EXT_COL: &str = "http://hl7.org/fhir/StructureDefinition/operationoutcome-issue-col";
const EXT_SOURCE: &str = "http://hl7.org/fhir/StructureDefinition/operationoutcome-issue-source";
const EXT_MESSAGE_ID: &str = "http://hl7.org/fhir/StructureDefinition/operationoutcome-message-id";

#[derive(Default)]
pub struct OperationOutcome {
    written: usize,
}

/// The `issue.code` (FHIR IssueType) of a finding, from its rule's family. Checked in this
/// order:
///
/// | rule | code |
/// |---|---|
/// | information finding (`spec-version-assumed`, `use-case-assumed`) | `informational` |
/// | `*-unresolved` (`reference-unresolved`) | `not-found` |
/// | `*-duplicate`, `*-duplicate-*` (`full-url-duplicate`, `json-duplicate-key`) | `duplicate` |
/// | `*-too-long` | `too-long` |
/// | `code-not-in-value-set` | `code-invalid` |
/// | FHIR invariants: `element-empty` (ele-1), `extension-value-*` (ext-1) | `invariant` |
/// | `*-missing`, `*-too-few`, `*-empty` | `required` |
/// | input and syntax: `input-*`, `encoding-*`, `json-*`, `xml-*`, `document-*` | `structure` |
/// | `*-unknown`, `*-forbidden`, `*-not-allowed`, `*-present`, `*-too-many`, `*-not-first`, `*-expected`, `*-count` | `structure` |
/// | anything else (a wrong value: `*-wrong`, `*-invalid`, `bundle-type-not-message`, …) | `value` |
pub fn issue_code(finding: &Finding) -> &'static str {
    let rule = finding.rule.as_str();
    let ends = |suffixes: &[&str]| suffixes.iter().any(|s| rule.ends_with(s));
    let starts = |prefixes: &[&str]| prefixes.iter().any(|p| rule.starts_with(p));
    if finding.severity == Severity::Information {
        "informational"
    } else if ends(&["-unresolved"]) {
        "not-found"
    } else if ends(&["-duplicate"]) || rule.contains("-duplicate-") {
        "duplicate"
    } else if ends(&["-too-long"]) {
        "too-long"
    } else if rule == "code-not-in-value-set" {
        "code-invalid"
    } else if rule == "element-empty" || starts(&["extension-value-"]) {
        "invariant"
    } else if ends(&["-missing", "-too-few", "-empty"]) {
        "required"
    } else if starts(&["input-", "encoding-", "json-", "xml-", "document-"])
        || ends(&[
            "-unknown",
            "-forbidden",
            "-not-allowed",
            "-present",
            "-too-many",
            "-not-first",
            "-expected",
            "-count",
        ])
    {
        "structure"
    } else {
        "value"
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OutcomeOut<'a> {
    resource_type: &'static str,
    extension: [Extension<'a>; 1],
    issue: Vec<IssueOut<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Extension<'a> {
    url: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    value_integer: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value_string: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value_code: Option<&'a str>,
}

impl<'a> Extension<'a> {
    fn integer(url: &'static str, v: u32) -> Self {
        Extension {
            url,
            value_integer: Some(v),
            value_string: None,
            value_code: None,
        }
    }
    fn string(url: &'static str, v: &'a str) -> Self {
        Extension {
            url,
            value_integer: None,
            value_string: Some(v),
            value_code: None,
        }
    }
    fn code(url: &'static str, v: &'a str) -> Self {
        Extension {
            url,
            value_integer: None,
            value_string: None,
            value_code: Some(v),
        }
    }
}

#[derive(Serialize)]
struct IssueOut<'a> {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    extension: Vec<Extension<'a>>,
    severity: &'static str,
    code: &'static str,
    details: Details<'a>,
    diagnostics: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    expression: Vec<&'a str>,
}

#[derive(Serialize)]
struct Details<'a> {
    text: &'a str,
}

fn issue<'a>(report: &'a FileReport, f: &'a Finding) -> IssueOut<'a> {
    let r = Region::of(report, f);
    IssueOut {
        extension: vec![
            Extension::integer(EXT_LINE, r.line),
            Extension::integer(EXT_COL, r.column),
            Extension::code(EXT_SOURCE, "gpcm-validate"),
            Extension::code(EXT_MESSAGE_ID, &f.rule),
        ],
        severity: f.severity.as_str(),
        code: issue_code(f),
        details: Details { text: &f.message },
        diagnostics: &f.message,
        expression: f.location.as_deref().into_iter().collect(),
    }
}

const ALL_OK: &str = "All OK";

impl Emitter for OperationOutcome {
    fn begin(&mut self, out: &mut dyn Write) -> io::Result<()> {
        write!(
            out,
            "{{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":["
        )
    }

    fn file(&mut self, out: &mut dyn Write, report: &FileReport) -> io::Result<()> {
        let mut issues: Vec<IssueOut<'_>> =
            report.findings.iter().map(|f| issue(report, f)).collect();
        if issues.is_empty() {
            issues.push(IssueOut {
                extension: Vec::new(),
                severity: "information",
                code: "informational",
                details: Details { text: ALL_OK },
                diagnostics: ALL_OK,
                expression: Vec::new(),
            });
        }
        let outcome = OutcomeOut {
            resource_type: "OperationOutcome",
            extension: [Extension::string(EXT_FILE, &report.path)],
            issue: issues,
        };
        if self.written > 0 {
            out.write_all(b",")?;
        }
        out.write_all(b"\n{\"resource\":")?;
        serde_json::to_writer(&mut *out, &outcome)?;
        out.write_all(b"}")?;
        self.written += 1;
        Ok(())
    }

    fn end(&mut self, out: &mut dyn Write, _summary: &Summary) -> io::Result<()> {
        writeln!(out, "\n]}}")
    }
}
