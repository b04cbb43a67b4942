//! SARIF 2.1.0 output (OASIS Static Analysis Results Interchange Format), for GitHub code
//! scanning and other dashboards. One run; `tool.driver.rules` lists every rule of the registry,
//! and each finding is a result pointing at its file region and its FHIRPath-like location.
//!
//! Decisions a consumer may rely on:
//! - `run.columnKind` is `unicodeCodePoints`: our columns count Unicode scalar values, as the JSON
//!   report does; SARIF's default (`utf16CodeUnits`) would differ after any astral character.
//! - Regions are 1-based with an exclusive end (`endColumn` is the column just after the span),
//!   as SARIF defines them. A finding about a whole file points at 1:1.
//! - Each rule's `shortDescription` is its summary, `fullDescription` the `## What it checks`
//!   section of its docs, `help` its help sentence (`text`) and whole docs (`markdown`).
//! - `helpUri` is the first link in the `## References` section of the rule's docs (a page of the
//!   FHIR, ITK3 or GP Connect specification); rules without one have no `helpUri`.
//! - Paths are written as given on the command line, as URI references (percent-encoded, `/`
//!   separators); relative ones carry `uriBaseId` `%SRCROOT%`, the working directory of the run.
//!
//! The output streams: `begin` writes the log up to the results array, `file` appends results,
//! `end` closes the document.

use super::{Emitter, Region, Summary};
use crate::finding::{Finding, Severity};
use crate::rules::{Registry, RuleInfo};
use crate::validate::FileReport;
use serde::Serialize;
use std::collections::HashMap;
use std::io::{self, Write};

/// The `$schema` written in the log: the OASIS 2.1.0 schema (errata 01).
pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

pub struct Sarif {
    /// The serialised `tool.driver.rules` array.
    rules: String,
    /// Rule name to its index in `rules`, for `result.ruleIndex`.
    index: HashMap<String, usize>,
    written: usize,
}

#[derive(Serialize)]
struct Text<'a> {
    text: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RuleOut<'a> {
    id: &'a str,
    name: &'a str,
    short_description: Text<'a>,
    full_description: Text<'a>,
    help: Help<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<&'a str>,
    default_configuration: Configuration,
    properties: RuleProperties<'a>,
}

#[derive(Serialize)]
struct Help<'a> {
    text: &'a str,
    markdown: &'a str,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties<'a> {
    /// Where the rule implements a requirement: release, use case (when the ID is specific to
    /// one) and requirement ID.
    requirements: Vec<RequirementOut<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RequirementOut<'a> {
    version: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    use_case: Option<&'a str>,
    id: &'a str,
}

impl Sarif {
    pub fn new(registry: &Registry) -> Self {
        let all = registry.all();
        let index = all
            .iter()
            .enumerate()
            .map(|(i, r)| (r.meta.name.to_string(), i))
            .collect();
        let rules: Vec<RuleOut<'_>> = all.iter().map(rule_out).collect();
        Sarif {
            rules: serde_json::to_string(&rules).expect("rules serialise"),
            index,
            written: 0,
        }
    }

    /// A log whose `tool.driver.rules` is empty (results then carry only `ruleId`).
    pub fn without_rules() -> Self {
        Sarif {
            rules: "[]".into(),
            index: HashMap::new(),
            written: 0,
        }
    }
}

fn rule_out<'a>(rule: &RuleInfo<'a>) -> RuleOut<'a> {
    let meta = rule.meta;
    RuleOut {
        id: &meta.name,
        name: &meta.name,
        short_description: Text {
            text: &meta.summary,
        },
        full_description: Text {
            text: docs_section(&meta.docs, "## What it checks").unwrap_or(&meta.summary),
        },
        help: Help {
            text: if meta.help.is_empty() {
                &meta.summary
            } else {
                &meta.help
            },
            markdown: &meta.docs,
        },
        help_uri: reference_url(&meta.docs),
        default_configuration: Configuration {
            level: level(meta.severity),
        },
        properties: RuleProperties {
            requirements: rule
                .requirements
                .iter()
                .map(|r| RequirementOut {
                    version: &r.version,
                    use_case: r.use_case.as_deref(),
                    id: &r.id,
                })
                .collect(),
        },
    }
}

/// The body of a `## Heading` section of a rule's docs, trimmed.
fn docs_section<'a>(docs: &'a str, heading: &str) -> Option<&'a str> {
    let start = docs.find(heading)?;
    let section = &docs[start + heading.len()..];
    let section = section.find("\n## ").map_or(section, |end| &section[..end]);
    Some(section.trim()).filter(|s| !s.is_empty())
}

/// The first `http(s)://` link in the `## References` section of a rule's docs.
pub(crate) fn reference_url(docs: &str) -> Option<&str> {
    let section = docs_section(docs, "## References")?;
    let (at, _) = section.match_indices("http").find(|&(i, _)| {
        section[i..].starts_with("http://") || section[i..].starts_with("https://")
    })?;
    let url = &section[at..];
    let end = url
        .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '`' | '"' | ')'))
        .unwrap_or(url.len());
    Some(url[..end].trim_end_matches(['.', ',', ';', ':']))
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Information => "note",
    }
}

/// A path as a URI reference: `/` separators, and every byte outside RFC 3986's unreserved
/// characters, sub-delimiters, `@` and `/` percent-encoded (`:` too, so a relative path's first
/// segment is never read as a scheme). Absolute paths become `file://` URIs.
pub(crate) fn path_uri(path: &str) -> (String, bool) {
    let path = if std::path::MAIN_SEPARATOR == '\\' {
        path.replace('\\', "/")
    } else {
        path.to_string()
    };
    let absolute = std::path::Path::new(&path).is_absolute() || path.starts_with('/');
    let mut uri = String::with_capacity(path.len() + 8);
    if absolute {
        uri.push_str("file://");
        if !path.starts_with('/') {
            // A Windows drive path: `file:///C:/…`.
            uri.push('/');
        }
    }
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                uri.push(b as char)
            }
            b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=' | b'@' => {
                uri.push(b as char)
            }
            _ => {
                uri.push('%');
                uri.push_str(&format!("{b:02X}"));
            }
        }
    }
    (uri, absolute)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultOut<'a> {
    rule_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    level: &'static str,
    message: Text<'a>,
    locations: [LocationOut<'a>; 1],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<RelatedOut<'a>>,
    properties: ResultProperties<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LocationOut<'a> {
    physical_location: PhysicalOut<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    logical_locations: Vec<LogicalOut<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RelatedOut<'a> {
    id: usize,
    physical_location: PhysicalOut<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalOut<'a> {
    artifact_location: ArtifactOut<'a>,
    region: RegionOut,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactOut<'a> {
    uri: std::borrow::Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RegionOut {
    start_line: u32,
    start_column: u32,
    end_line: u32,
    end_column: u32,
}

impl From<Region> for RegionOut {
    fn from(r: Region) -> Self {
        RegionOut {
            start_line: r.line,
            start_column: r.column,
            end_line: r.end_line,
            end_column: r.end_column,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalOut<'a> {
    fully_qualified_name: &'a str,
    kind: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultProperties<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    requirement: Option<&'a str>,
    /// The release and use case the file was validated against.
    #[serde(skip_serializing_if = "Option::is_none")]
    spec: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    use_case: Option<&'a str>,
    /// What to do about this finding (the rule's help, or a finding-specific one).
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
}

impl Sarif {
    fn result<'a>(
        &self,
        report: &'a FileReport,
        f: &'a Finding,
        uri: &'a str,
        base: Option<&'static str>,
    ) -> ResultOut<'a> {
        let physical = |region: Region| PhysicalOut {
            artifact_location: ArtifactOut {
                uri: uri.into(),
                uri_base_id: base,
            },
            region: region.into(),
        };
        let related_locations = f
            .related
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let (line, column) = report.source.line_col(l.span.start);
                let (end_line, end_column) = report.source.line_col(l.span.end);
                RelatedOut {
                    id: i + 1,
                    physical_location: physical(Region {
                        line,
                        column,
                        end_line,
                        end_column,
                    }),
                    message: l.text.as_deref().map(|text| Text { text }),
                }
            })
            .chain(f.related_files.iter().map(|r| {
                let (uri, absolute) = path_uri(&r.path);
                RelatedOut {
                    id: 0,
                    physical_location: PhysicalOut {
                        artifact_location: ArtifactOut {
                            uri: uri.into(),
                            uri_base_id: (!absolute).then_some("%SRCROOT%"),
                        },
                        region: RegionOut {
                            start_line: r.line,
                            start_column: r.column,
                            end_line: r.end_line,
                            end_column: r.end_column,
                        },
                    },
                    message: Some(Text { text: &r.text }),
                }
            }))
            .enumerate()
            .map(|(i, mut r)| {
                r.id = i + 1;
                r
            })
            .collect();
        ResultOut {
            rule_id: &f.rule,
            rule_index: self.index.get(&f.rule).copied(),
            level: level(f.severity),
            message: Text { text: &f.message },
            locations: [LocationOut {
                physical_location: physical(Region::of(report, f)),
                logical_locations: f
                    .location
                    .as_deref()
                    .map(|name| LogicalOut {
                        fully_qualified_name: name,
                        kind: "element",
                    })
                    .into_iter()
                    .collect(),
            }],
            related_locations,
            properties: ResultProperties {
                requirement: f.requirement.as_deref(),
                spec: report.spec.as_deref(),
                use_case: report.use_case.as_deref(),
                help: f.help.as_deref(),
            },
        }
    }
}

impl Emitter for Sarif {
    fn begin(&mut self, out: &mut dyn Write) -> io::Result<()> {
        let version = env!("CARGO_PKG_VERSION");
        write!(
            out,
            "{{\"$schema\":\"{SCHEMA_URI}\",\"version\":\"2.1.0\",\"runs\":[{{\"tool\":{{\"driver\":{{\
             \"name\":\"gpcm-validate\",\"version\":\"{version}\",\"semanticVersion\":\"{version}\",\
             \"rules\":{}}}}},\"columnKind\":\"unicodeCodePoints\",\"results\":[",
            self.rules
        )
    }

    fn file(&mut self, out: &mut dyn Write, report: &FileReport) -> io::Result<()> {
        if report.findings.is_empty() {
            return Ok(());
        }
        let (uri, absolute) = path_uri(&report.path);
        let base = (!absolute).then_some("%SRCROOT%");
        for f in &report.findings {
            if self.written > 0 {
                out.write_all(b",")?;
            }
            out.write_all(b"\n")?;
            serde_json::to_writer(&mut *out, &self.result(report, f, &uri, base))?;
            self.written += 1;
        }
        Ok(())
    }

    fn end(&mut self, out: &mut dyn Write, _summary: &Summary) -> io::Result<()> {
        writeln!(out, "\n]}}]}}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(
            path_uri("samples/a b/ç#1.xml"),
            ("samples/a%20b/%C3%A7%231.xml".to_string(), false)
        );
        assert_eq!(path_uri("<stdin>").0, "%3Cstdin%3E");
        assert_eq!(path_uri("a:b.xml").0, "a%3Ab.xml");
        assert_eq!(
            path_uri("/tmp/x.xml"),
            ("file:///tmp/x.xml".to_string(), true)
        );
    }

    #[test]
    fn help_uri_is_the_first_reference_link() {
        let docs = "Summary http://not.this\n\n## References\n- FHIR: http://hl7.org/fhir/STU3/bundle.html#references.\n- Other: https://example.org\n";
        assert_eq!(
            reference_url(docs),
            Some("http://hl7.org/fhir/STU3/bundle.html#references")
        );
        assert_eq!(
            reference_url("## References\n- none\n## Next\nhttp://x"),
            None
        );
        assert_eq!(reference_url("no section http://x"), None);
    }
}
