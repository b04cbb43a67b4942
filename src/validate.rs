//! The per-file pipeline: bytes → parsed input → detected release and use case → rules →
//! selected, sorted findings in a [`FileReport`].

use crate::detect::{self, Pins};
use crate::document::{InputBytes, SourceFile};
use crate::finding::{self, Finding, Severity};
use crate::input::{self, InputKind, ParsedInput};
use crate::mesh::Peers;
use crate::rules::{Registry, Selection, SpecContext};
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

/// The release and use case a parsed input is validated against.
pub struct Detected {
    pub spec: SpecContext,
    /// Whether the report names the release and use case (not for inputs that have none).
    pub shown: bool,
    /// Detection notices (`spec-version-assumed`, `use-case-assumed`).
    pub notices: Vec<Finding>,
}

/// Validates one input held in memory.
pub fn validate_bytes(
    registry: &Registry,
    options: &Options,
    path: String,
    bytes: impl Into<InputBytes>,
) -> FileReport {
    validate_input(registry, options, path, bytes.into())
}

/// [`validate_bytes`] once the bytes are read: one copy of the pipeline for every caller.
pub fn validate_input(
    registry: &Registry,
    options: &Options,
    path: String,
    bytes: InputBytes,
) -> FileReport {
    let parsed = input::parse(path, bytes);
    let detected = detect(registry, options, &parsed);
    check(registry, options, &parsed, detected, None)
}

/// What to validate a parsed input against: detected from its content, or pinned. `None` when
/// the input could not be parsed.
pub fn detect(registry: &Registry, options: &Options, parsed: &ParsedInput) -> Option<Detected> {
    let doc = parsed.document.as_ref()?;
    let spec_file = &registry.profile.spec;
    Some(match parsed.kind {
        InputKind::Message
        | InputKind::Response
        | InputKind::MeshControl
        | InputKind::MeshHeaders
        | InputKind::MeshAckControl
        | InputKind::MeshAckHeaders => {
            let (spec, notices) = detect::detect(doc, parsed.kind, spec_file, &options.pins);
            Detected {
                spec,
                shown: true,
                notices,
            }
        }
        // A MESH report belongs to no release: its rules hold for all of them.
        InputKind::MeshReport => Detected {
            spec: SpecContext {
                version: options
                    .pins
                    .spec
                    .clone()
                    .or_else(|| spec_file.all_versions().pop())
                    .unwrap_or_default(),
                use_case: options.pins.use_case.clone().unwrap_or_default(),
            },
            shown: options.pins.spec.is_some(),
            notices: Vec::new(),
        },
        InputKind::FhirResource | InputKind::Unknown => Detected {
            spec: SpecContext {
                version: String::new(),
                use_case: String::new(),
            },
            shown: false,
            notices: Vec::new(),
        },
    })
}

/// Runs the rules over a parsed input and builds its report. `peers` are the files validated
/// together with it, for the rules that compare files ([`crate::mesh`]).
pub fn check(
    registry: &Registry,
    options: &Options,
    parsed: &ParsedInput,
    detected: Option<Detected>,
    peers: Option<&Peers<'_>>,
) -> FileReport {
    let mut findings = parsed.findings.clone();
    let (mut spec, mut use_case) = (None, None);
    if let (Some(doc), Some(d)) = (&parsed.document, detected) {
        findings.extend(d.notices);
        if d.shown {
            spec = Some(d.spec.version.clone());
            use_case = Some(d.spec.use_case.clone());
        }
        registry.check_with(
            doc,
            parsed.kind,
            d.spec,
            &options.selection,
            peers,
            &mut findings,
        );
    }
    findings.retain(|f| options.selection.keeps(f));
    finding::sort(&mut findings);
    findings.dedup();
    FileReport {
        path: parsed.source.path.clone(),
        kind: parsed.kind,
        spec,
        use_case,
        source: parsed.source.clone(),
        findings,
    }
}
