//! The per-file pipeline: bytes → parsed input → rules → sorted findings in a [`FileReport`].

use crate::document::SourceFile;
use crate::finding::{self, Finding, Severity};
use crate::input::{self, InputKind};
use crate::rules::Registry;
use std::sync::Arc;

/// Everything reported about one input file.
pub struct FileReport {
    pub path: String,
    pub kind: InputKind,
    /// Spec version the file was validated against, when known.
    pub spec: Option<String>,
    pub use_case: Option<String>,
    pub source: Arc<SourceFile>,
    pub findings: Vec<Finding>,
}

impl FileReport {
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }
}

/// Options that shape a run.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `--spec`: pin the spec version instead of detecting it.
    pub spec: Option<String>,
}

/// Validates one input held in memory.
pub fn validate_bytes(
    registry: &Registry,
    options: &Options,
    path: String,
    bytes: Vec<u8>,
) -> FileReport {
    let parsed = input::parse(path.clone(), bytes);
    let mut findings = parsed.findings;
    if let Some(doc) = &parsed.document {
        registry.check(doc, parsed.kind, &mut findings);
        // Findings need locations only once; parse-time findings get theirs here.
    }
    finding::sort(&mut findings);
    findings.dedup();
    FileReport {
        path,
        kind: parsed.kind,
        spec: options.spec.clone(),
        use_case: None,
        source: parsed.source,
        findings,
    }
}
