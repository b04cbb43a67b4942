//! ITK3's own 29 response examples (../shared/corpus/related/itk3-responses), validated as GP
//! Connect responses. They are ITK3 material, not GP Connect examples, and several contradict
//! GP Connect; each expectation below says which defect it is (see that folder's README and
//! itk3.md). Skipped when ../shared is absent.

mod common;

use common::*;
use gpcm_validate::validate::{validate_bytes, Options};
use std::collections::BTreeSet;
use std::path::Path;

/// A header Practitioner as sender, not the ITK header Organization (GPCM-SD-053 family).
const SENDER: &str = "response-sender-wrong";
/// Negative codes without `issue.diagnostics` (GPCM-SD-074 / 042).
const DIAGNOSTICS: &str = "response-diagnostics-missing";
/// Business responses set InfAckRequested=true; GP Connect requires false.
const INF_ACK: &str = "response-inf-ack-requested";
/// `response.code` `ok` with a negative code (20014, 20015).
const INCONSISTENT: &str = "response-code-inconsistent";
/// `MessageHeader.receiver` names an entry the example does not carry.
const RECEIVER: &str = "reference-unresolved";
/// ITK3 codes outside GP Connect's ranges for a consultation report (10001-20013 and
/// 30001-30003): 20014, 20015 and 30004 onwards.
const OUT_OF_RANGE: &str = "response-code-outside-gpcm-range";
/// No handling extension at all (20009-Example-2).
const NO_HANDLING: &str = "handling-extension-count";

fn expected(file: &str) -> BTreeSet<&'static str> {
    let code = file
        .trim_start_matches("ITK-Response-")
        .split('-')
        .next()
        .unwrap_or("");
    let mut set: BTreeSet<&str> = BTreeSet::new();
    if file == "ITK-Response-MessageDefinition-1.xml" {
        return set; // a MessageDefinition, not a response
    }
    // The one example with an Organization sender is 10009 (the README names 20009-Example-2,
    // whose sender is a CareConnect-ITK-Header-Practitioner-1 like the rest).
    if code != "10009" {
        set.insert(SENDER);
    }
    let negative = !matches!(code, "20013" | "30001" | "30004");
    if negative {
        set.insert(DIAGNOSTICS);
    }
    if code.starts_with('3') {
        set.insert(INF_ACK);
    }
    if matches!(code, "20014" | "20015") {
        set.insert(INCONSISTENT);
    }
    if matches!(code, "20014" | "20015") || code.parse::<u32>().is_ok_and(|c| c >= 30004) {
        set.insert(OUT_OF_RANGE);
    }
    if matches!(code, "10001" | "10002" | "10003") {
        set.insert(RECEIVER);
    }
    if file == "ITK-Response-20009-Example-2.xml" {
        set.insert(NO_HANDLING);
    }
    set
}

#[test]
fn itk3_response_examples_give_the_expected_findings() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/related/itk3-responses");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        println!("skipped: ../shared not present");
        return;
    };
    let mut files: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    files.sort();
    assert_eq!(files.len(), 30, "29 responses and one MessageDefinition");
    let options = Options {
        pins: gpcm_validate::detect::Pins {
            spec: Some("1.6.0".into()),
            use_case: None,
        },
        ..Options::default()
    };
    for file in &files {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let report = validate_bytes(registry(), &options, file.clone(), bytes);
        if file.starts_with("ITK-Response-") && !file.contains("MessageDefinition") {
            assert_eq!(report.kind.as_str(), "response", "{file}");
        }
        let got: BTreeSet<&str> = report
            .findings
            .iter()
            .filter(|f| f.severity != gpcm_validate::finding::Severity::Information)
            .map(|f| f.rule.as_str())
            .collect();
        assert_eq!(got, expected(file), "{file}");
    }
}
