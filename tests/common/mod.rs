//! Helpers shared by the integration tests: run the validator in-process and render its output.

#![allow(dead_code)] // each test binary uses a different subset

use gpcm_validate::detect::Pins;
use gpcm_validate::emit::{OutputFormat, Summary};
use gpcm_validate::rules::Registry;
use gpcm_validate::validate::{validate_bytes, FileReport, Options};
use std::path::Path;
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The built binary, run from the crate root with colour settings cleared.
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gpcm-validate"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c.env_remove("NO_COLOR");
    c
}

pub fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run gpcm-validate")
}

pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| Registry::builtin().expect("the embedded rule packs load"))
}

/// The release a sample is written for: `samples/valid/<release>/…` and
/// `samples/invalid/<rule>/<release>/…` pin it (the wire format cannot tell 1.3.0 from 1.6.0);
/// other samples are validated with detection, as a user's file would be.
pub fn pinned_release(rel: &str) -> Option<String> {
    pinned_dir(rel).map(|d| d.split('+').next().unwrap_or(d).to_string())
}

/// The use case a sample pins, for the use cases the wire cannot tell apart: a release
/// directory `<release>+<use case>` (`1.6.0+su`: Send Update reads exactly like Generic).
pub fn pinned_use_case(rel: &str) -> Option<String> {
    pinned_dir(rel)?
        .split_once('+')
        .map(|(_, uc)| uc.to_string())
}

fn pinned_dir(rel: &str) -> Option<&str> {
    let parts: Vec<&str> = rel.split('/').collect();
    match parts.as_slice() {
        ["samples", "valid", release, _] => Some(release),
        ["samples", "invalid", _, release, _] => Some(release),
        _ => None,
    }
}

/// Validates a file given by its path relative to the crate root, as the CLI would show it,
/// pinned to the sample's release when its path names one.
pub fn validate_file(rel: &str) -> FileReport {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(root.join(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"));
    let options = Options {
        pins: Pins {
            spec: pinned_release(rel),
            use_case: pinned_use_case(rel),
        },
        ..Options::default()
    };
    validate_bytes(registry(), &options, rel.to_string(), bytes)
}

/// Renders reports exactly as `gpcm-validate --format <format>` prints them (without colour).
pub fn render(format: OutputFormat, reports: &[FileReport]) -> String {
    let mut out = Vec::new();
    let mut emitter = format.emitter(false);
    let mut summary = Summary::default();
    emitter.begin(&mut out).unwrap();
    for r in reports {
        summary.add(r);
        emitter.file(&mut out, r).unwrap();
    }
    emitter.end(&mut out, &summary).unwrap();
    String::from_utf8(out).unwrap()
}

/// `(rule, location, line, column)` of every finding, in output order.
pub fn finding_keys(report: &FileReport) -> Vec<(String, Option<String>)> {
    report
        .findings
        .iter()
        .map(|f| (f.rule.clone(), f.location.clone()))
        .collect()
}

/// Every file below a samples directory, sorted, as crate-relative paths.
pub fn sample_files(dir: &str) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<String> = walkdir::WalkDir::new(root.join(dir))
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter(|e| {
            e.path()
                .extension()
                .is_some_and(|x| x != "md" && x != "snap")
        })
        .map(|e| {
            e.path()
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    files.sort();
    files
}
