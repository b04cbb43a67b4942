//! Output formats. Every format goes through one [`Emitter`] interface, fed one file at a time
//! in the run's deterministic order, so large runs stream instead of holding every report.

mod human;
mod json;

pub use human::Human;
pub use json::Json;

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
}

impl OutputFormat {
    pub fn emitter(self, color: bool) -> Box<dyn Emitter> {
        match self {
            OutputFormat::Human => Box::new(Human::new(color)),
            OutputFormat::Json => Box::new(Json::default()),
        }
    }
}
