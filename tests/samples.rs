//! Sample-driven tests: every invalid sample reports the rule its directory names (and no other
//! error or warning), with a snapshot of the human and JSON output; every valid sample is clean;
//! JSON and XML twins report the same findings at the same locations.
//!
//! Layout: `samples/valid/<release>/<case>.{json,xml}`, `samples/invalid/<rule>/<release>/<case>`
//! (validated with `--spec <release>`) and `samples/invalid/<rule>/<case>` (format-level
//! problems, validated with detection).

mod common;

use common::*;
use gpcm_validate::emit::OutputFormat;
use std::collections::BTreeMap;

const DETECTION_NOTICES: &[&str] = &["spec-version-assumed", "use-case-assumed"];

#[test]
fn invalid_samples_report_their_rule_and_match_snapshots() {
    let files = sample_files("samples/invalid");
    assert!(
        files.len() >= 10,
        "expected the invalid samples, found {files:?}"
    );
    for rel in files {
        // `samples/invalid/<rule>/<release>/<case>/<file>`: a folder of files validated together,
        // tests/pairing.rs's.
        if rel.split('/').count() > 5 {
            continue;
        }
        let rule = rel.split('/').nth(2).unwrap().to_string();
        let report = validate_file(&rel);
        let rules: Vec<&str> = report.findings.iter().map(|f| f.rule.as_str()).collect();
        assert!(
            rules.contains(&rule.as_str()),
            "{rel}: `{rule}` not reported, got {rules:?}"
        );
        // Detection notices (information) may accompany an unpinned sample; nothing else may.
        let others: Vec<&str> = rules
            .iter()
            .copied()
            .filter(|r| *r != rule && !DETECTION_NOTICES.contains(r))
            .collect();
        assert!(
            others.is_empty(),
            "{rel}: expected only `{rule}`, also got {others:?}"
        );
        if pinned_release(&rel).is_some() {
            assert!(
                rules.iter().all(|r| !DETECTION_NOTICES.contains(r)),
                "{rel}: a pinned sample has no detection notices"
            );
        }
        let human = render(OutputFormat::Human, std::slice::from_ref(&report));
        let json = render(OutputFormat::Json, std::slice::from_ref(&report));
        let pretty: serde_json::Value = serde_json::from_str(&json).expect("JSON output parses");
        let name = rel
            .trim_start_matches("samples/invalid/")
            .replace('/', "__");
        insta::with_settings!({ snapshot_path => "snapshots/samples", prepend_module_to_snapshot => false, input_file => &rel }, {
            insta::assert_snapshot!(format!("{name}.human"), human);
            insta::assert_json_snapshot!(format!("{name}.json"), pretty);
        });
    }
}

#[test]
fn valid_samples_are_clean() {
    let files = sample_files("samples/valid");
    assert!(
        files.len() >= 4,
        "expected the valid samples, found {files:?}"
    );
    for rel in files {
        // MESH metadata and acknowledgements: tests/mesh.rs's.
        if rel.starts_with("samples/valid/mesh/") {
            continue;
        }
        let report = validate_file(&rel);
        assert!(
            pinned_release(&rel).is_some(),
            "{rel}: valid samples live under their release"
        );
        assert!(
            report.findings.is_empty(),
            "{rel} should be clean:\n{}",
            render(OutputFormat::Human, std::slice::from_ref(&report))
        );
        assert_eq!(report.kind.as_str(), "message", "{rel}");
    }
}

#[test]
fn json_and_xml_twins_give_the_same_findings() {
    let mut stems: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for rel in sample_files("samples") {
        if let Some(stem) = rel
            .strip_suffix(".json")
            .or_else(|| rel.strip_suffix(".xml"))
        {
            stems.entry(stem.to_string()).or_default().push(rel.clone());
        }
    }
    let mut pairs = 0;
    for (stem, files) in stems {
        if files.len() != 2 {
            continue; // format-specific samples (a JSON comment, an XML DOCTYPE) have no twin
        }
        pairs += 1;
        let a = finding_keys(&validate_file(&files[0]));
        let b = finding_keys(&validate_file(&files[1]));
        assert_eq!(a, b, "{stem}: JSON and XML twins differ");
    }
    assert!(pairs >= 7, "expected at least 7 twin pairs, found {pairs}");
}

#[test]
fn every_snapshot_belongs_to_an_existing_sample() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/samples");
    let samples = sample_files("samples/invalid");
    let mut stale = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        let Some(stem) = name
            .strip_suffix(".human.snap")
            .or_else(|| name.strip_suffix(".json.snap"))
        else {
            stale.push(name);
            continue;
        };
        let sample = format!("samples/invalid/{}", stem.replace("__", "/"));
        if !samples.contains(&sample) {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "snapshots without a sample (delete them): {stale:?}"
    );
}
