//! The per-file pipeline: bytes → parsed input → detected release and use case → rules →
//! selected, sorted findings in a [`FileReport`].

use crate::detect::{self, Pins};
use crate::document::SourceFile;
use crate::finding::{self, Finding, Severity};
use crate::input::{self, InputKind};
use crate::rules::{Registry, Selection};
use std::sync::Arc;

/// Everything reported about one input file.
pub struct FileReport {
    pub path: String,
    pub kind: InputKind,
    /// Spec release the file was validated against (messages and responses).
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
    /// `--spec` / `--use-case`: what to validate against instead of what is detected.
    pub pins: Pins,
    /// `--select` / `--ignore`.
    pub selection: Selection,
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
    let (mut spec, mut use_case) = (None, None);
    if let Some(doc) = &parsed.document {
        if matches!(parsed.kind, InputKind::Message | InputKind::Response) {
            let (cx, notices) =
                detect::detect(doc, parsed.kind, &registry.profile.spec, &options.pins);
            findings.extend(notices);
            spec = Some(cx.version.clone());
            use_case = Some(cx.use_case.clone());
            registry.check(doc, parsed.kind, cx, &options.selection, &mut findings);
        } else {
            let cx = crate::rules::SpecContext {
                version: String::new(),
                use_case: String::new(),
            };
            registry.check(doc, parsed.kind, cx, &options.selection, &mut findings);
        }
    }
    findings.retain(|f| options.selection.keeps(f));
    finding::sort(&mut findings);
    findings.dedup();
    FileReport {
        path,
        kind: parsed.kind,
        spec,
        use_case,
        source: parsed.source,
        findings,
    }
}
