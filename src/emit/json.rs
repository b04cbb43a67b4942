//! The JSON report: a stable shape that users' CI parses. Field names here are a contract;
//! add fields, never rename them.

use super::{Emitter, Summary};
use crate::validate::FileReport;
use serde::Serialize;
use std::io::{self, Write};

/// Bumped only if the shape changes incompatibly.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Default)]
pub struct Json {
    written: usize,
}

#[derive(Serialize)]
struct FileOut<'a> {
    path: &'a str,
    kind: &'a str,
    spec: Option<&'a str>,
    use_case: Option<&'a str>,
    findings: Vec<FindingOut<'a>>,
}

#[derive(Serialize)]
struct FindingOut<'a> {
    rule: &'a str,
    requirement: Option<&'a str>,
    severity: &'a str,
    message: &'a str,
    location: Option<&'a str>,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    help: Option<&'a str>,
    /// Places in other files the finding refers to (a MESH cross-check's bundle element).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related: Vec<RelatedOut<'a>>,
}

#[derive(Serialize)]
struct RelatedOut<'a> {
    path: &'a str,
    location: Option<&'a str>,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    message: &'a str,
}

impl Emitter for Json {
    fn begin(&mut self, out: &mut dyn Write) -> io::Result<()> {
        write!(out, "{{\"schema_version\":{SCHEMA_VERSION},\"files\":[")
    }

    fn file(&mut self, out: &mut dyn Write, report: &FileReport) -> io::Result<()> {
        let findings = report
            .findings
            .iter()
            .map(|f| {
                // A finding about the whole file points at its start.
                let span = f.label.as_ref().map(|l| l.span).unwrap_or_default();
                let (line, column) = report.source.line_col(span.start);
                let (end_line, end_column) = report.source.line_col(span.end);
                FindingOut {
                    rule: &f.rule,
                    requirement: f.requirement.as_deref(),
                    severity: f.severity.as_str(),
                    message: &f.message,
                    location: f.location.as_deref(),
                    line,
                    column,
                    end_line,
                    end_column,
                    help: f.help.as_deref(),
                    related: f
                        .related_files
                        .iter()
                        .map(|r| RelatedOut {
                            path: &r.path,
                            location: r.location.as_deref(),
                            line: r.line,
                            column: r.column,
                            end_line: r.end_line,
                            end_column: r.end_column,
                            message: &r.text,
                        })
                        .collect(),
                }
            })
            .collect();
        let file = FileOut {
            path: &report.path,
            kind: report.kind.as_str(),
            spec: report.spec.as_deref(),
            use_case: report.use_case.as_deref(),
            findings,
        };
        if self.written > 0 {
            out.write_all(b",")?;
        }
        out.write_all(b"\n")?;
        serde_json::to_writer(&mut *out, &file)?;
        self.written += 1;
        Ok(())
    }

    fn end(&mut self, out: &mut dyn Write, s: &Summary) -> io::Result<()> {
        #[derive(Serialize)]
        struct SummaryOut {
            files: usize,
            errors: usize,
            warnings: usize,
            information: usize,
        }
        write!(out, "\n],\"summary\":")?;
        serde_json::to_writer(
            &mut *out,
            &SummaryOut {
                files: s.files,
                errors: s.errors,
                warnings: s.warnings,
                information: s.information,
            },
        )?;
        writeln!(out, "}}")
    }
}
