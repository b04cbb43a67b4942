//! Output formats. Every format goes through one [`Emitter`] interface, fed one file at a time
//! in the run's deterministic order, so large runs stream instead of holding every report.
//!
//! To add a format: write a module with a type implementing [`Emitter`] (`begin` writes any
//! preamble, `file` one file's findings, `end` closes the document), add a variant to
//! [`OutputFormat`] and build it in [`OutputFormat::emitter_with`]; then add a snapshot to
//! `tests/outputs.rs` and a line to the README's "Output formats".

mod github;
mod human;
mod json;
mod junit;
mod operation_outcome;
mod sarif;

pub use github::Github;
pub use human::Human;
pub use json::Json;
pub use junit::Junit;
pub use operation_outcome::{issue_code, OperationOutcome};
pub use sarif::Sarif;

use crate::finding::Finding;
use crate::rules::Registry;
use crate::validate::FileReport;
use std::io::{self, Write};

/// Totals over a run, shown by every format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub files: usize,
    pub errors: usize,
    pub warnings: usize,
    pub information: usize,
}

impl Summary {
    pub fn add(&mut self, report: &FileReport) {
        use crate::finding::Severity::*;
        self.files += 1;
        self.errors += report.count(Error);
        self.warnings += report.count(Warning);
        self.information += report.count(Information);
    }

    /// `Checked 3 files: 1 error, 0 warnings, 2 information`: the human summary line.
    pub fn line(&self) -> String {
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        format!(
            "Checked {}: {}, {}, {} information",
            plural(self.files, "file"),
            plural(self.errors, "error"),
            plural(self.warnings, "warning"),
            self.information
        )
    }
}

pub trait Emitter {
    fn begin(&mut self, _out: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }
    fn file(&mut self, out: &mut dyn Write, report: &FileReport) -> io::Result<()>;
    fn end(&mut self, out: &mut dyn Write, summary: &Summary) -> io::Result<()>;
}

/// The `--format` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Findings with source snippets, for people.
    Human,
    /// The stable JSON report, for tools.
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards (GitHub code scanning, Azure DevOps, IDEs).
    Sarif,
    /// JUnit XML: a test suite per file and a test case per finding, for CI test reports.
    Junit,
    /// GitHub Actions workflow commands (`::error file=…`): annotations on a pull request.
    Github,
    /// FHIR STU3 OperationOutcome JSON: a `collection` Bundle with one OperationOutcome per
    /// file, shaped as the HL7 Java validator writes them.
    OperationOutcome,
}

/// What an emitter may need to know about the run beyond the reports themselves.
#[derive(Clone, Copy)]
pub struct EmitConfig<'a> {
    /// The run's rules: SARIF lists them all in `tool.driver.rules`. `None` uses the built-in
    /// rules.
    pub registry: Option<&'a Registry>,
    /// ANSI colour in human output.
    pub color: bool,
    /// `--deny-warnings`: JUnit fails the test case of a warning, as the run fails on it.
    pub deny_warnings: bool,
    /// Whether the human report ends with the summary line. The command line prints that line
    /// on stderr instead, so stdout carries only findings.
    pub human_summary: bool,
}

impl EmitConfig<'_> {
    pub fn new(color: bool) -> Self {
        EmitConfig {
            registry: None,
            color,
            deny_warnings: false,
            human_summary: true,
        }
    }
}

impl OutputFormat {
    /// The emitter for this format with default settings (built-in rules, human summary line in
    /// the report).
    pub fn emitter(self, color: bool) -> Box<dyn Emitter> {
        self.emitter_with(&EmitConfig::new(color))
    }

    pub fn emitter_with(self, config: &EmitConfig<'_>) -> Box<dyn Emitter> {
        match self {
            OutputFormat::Human => {
                Box::new(Human::new(config.color).with_summary(config.human_summary))
            }
            OutputFormat::Json => Box::new(Json::default()),
            OutputFormat::Sarif => Box::new(match config.registry {
                Some(registry) => Sarif::new(registry),
                // The embedded packs are checked by the test suite; should they ever fail to
                // load, the report still lists every rule it has findings of.
                None => Registry::builtin()
                    .map(|r| Sarif::new(&r))
                    .unwrap_or_else(|_| Sarif::without_rules()),
            }),
            OutputFormat::Junit => Box::new(Junit::new(config.deny_warnings)),
            OutputFormat::Github => Box::new(Github),
            OutputFormat::OperationOutcome => Box::new(OperationOutcome::default()),
        }
    }
}

/// Where a finding is, 1-based, columns in Unicode scalar values; the end is exclusive (the
/// position just after the span). A finding about the whole file is at 1:1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Region {
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
}

impl Region {
    pub(crate) fn of(report: &FileReport, f: &Finding) -> Self {
        let span = f.label.as_ref().map(|l| l.span).unwrap_or_default();
        let (line, column) = report.source.line_col(span.start);
        let (end_line, end_column) = report.source.line_col(span.end);
        Region {
            line,
            column,
            end_line,
            end_column,
        }
    }
}
