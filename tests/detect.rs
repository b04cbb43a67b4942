//! Release and use-case detection: what the message says decides, `--spec`/`--use-case` pin,
//! and an information notice says what was assumed.

mod common;

use common::*;
use gpcm_validate::detect::Pins;
use gpcm_validate::validate::{validate_bytes, FileReport, Options};
use std::path::Path;

fn sample(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
}

fn run(text: &str, spec: Option<&str>, use_case: Option<&str>) -> FileReport {
    let options = Options {
        pins: Pins {
            spec: spec.map(str::to_string),
            use_case: use_case.map(str::to_string),
        },
        ..Options::default()
    };
    validate_bytes(
        registry(),
        &options,
        "message.json".into(),
        text.as_bytes().to_vec(),
    )
}

fn rules(r: &FileReport) -> Vec<&str> {
    r.findings.iter().map(|f| f.rule.as_str()).collect()
}

const CS_JSON: &str = "samples/valid/1.6.0/consultation-report.json";
const LOCAL_EXTENSION: &str = "\"valueString\": \"SendDocument-ConsultationReport\"";

#[test]
fn a_consultation_report_is_the_newest_cs_release_with_a_notice() {
    let r = run(&sample(CS_JSON), None, None);
    assert_eq!(
        (r.spec.as_deref(), r.use_case.as_deref()),
        (Some("1.6.0"), Some("cs"))
    );
    assert_eq!(rules(&r), ["spec-version-assumed"]);
    assert!(
        r.findings[0].message.contains("1.3.0–1.6.0"),
        "{}",
        r.findings[0].message
    );
}

#[test]
fn the_task_model_is_recognised_from_the_payload() {
    let r = run(
        &sample("samples/valid/1.2.1/federated-consultation-report.json"),
        None,
        None,
    );
    assert_eq!(
        (r.spec.as_deref(), r.use_case.as_deref()),
        (Some("1.2.1"), Some("task"))
    );
    assert_eq!(rules(&r), ["spec-version-assumed"]);
}

#[test]
fn local_extension_names_the_use_case() {
    let oc = sample(CS_JSON).replace(
        LOCAL_EXTENSION,
        "\"valueString\": \"SendDocument-OnlineConsultationReport\"",
    );
    let r = run(&oc, None, None);
    assert_eq!(r.use_case.as_deref(), Some("oc"));
    // The OC rules then judge the (consultation-report) Composition; the envelope is fine.
    assert!(
        !rules(&r).contains(&"handling-local-extension-wrong"),
        "{:?}",
        rules(&r)
    );
}

#[test]
fn local_extension_none_is_send_document_v2() {
    let v2 = sample(CS_JSON).replace(LOCAL_EXTENSION, "\"valueString\": \"None\"");
    let r = run(&v2, None, None);
    assert_eq!(r.spec.as_deref(), Some("2.0.0"));
    assert_eq!(r.use_case.as_deref(), Some("sd"));
    // Only one release has this use case: nothing was assumed.
    assert!(
        !rules(&r).contains(&"spec-version-assumed"),
        "{:?}",
        rules(&r)
    );
}

#[test]
fn an_unknown_use_case_is_assumed_and_said() {
    let odd = sample(CS_JSON)
        .replace(
            LOCAL_EXTENSION,
            "\"valueString\": \"SendDocument-ConsultationSummary\"",
        )
        .replace("\"code\": \"371531000\"", "\"code\": \"999999999\"");
    let r = run(&odd, None, None);
    assert_eq!(r.use_case.as_deref(), Some("cs"));
    let notice = r
        .findings
        .iter()
        .find(|f| f.rule == "use-case-assumed")
        .expect("use-case-assumed");
    assert!(
        notice.message.contains("SendDocument-ConsultationSummary"),
        "{}",
        notice.message
    );
    assert_eq!(
        notice.location.as_deref(),
        Some("Bundle.entry[0].resource.extension[0].extension[5].valueString")
    );
    assert!(rules(&r).contains(&"handling-local-extension-wrong"));
}

#[test]
fn the_composition_type_tells_online_consultation_when_local_extension_does_not() {
    let odd = sample(CS_JSON)
        .replace(
            LOCAL_EXTENSION,
            "\"valueString\": \"SendDocument-ConsultationSummary\"",
        )
        .replace("\"code\": \"371531000\"", "\"code\": \"149951000000107\"");
    let r = run(&odd, None, None);
    assert_eq!(r.use_case.as_deref(), Some("oc"));
    assert!(!rules(&r).contains(&"use-case-assumed"));
}

#[test]
fn pins_override_detection_and_select_the_release_ids() {
    let r = run(
        &sample(CS_JSON).replacen("\"type\": \"message\"", "\"type\": \"collection\"", 1),
        Some("1.3.0"),
        None,
    );
    assert_eq!(r.spec.as_deref(), Some("1.3.0"));
    assert!(!rules(&r).contains(&"spec-version-assumed"));
    let f = r
        .findings
        .iter()
        .find(|f| f.rule == "bundle-type-not-message")
        .unwrap();
    assert_eq!(f.requirement.as_deref(), Some("GPCM-C-02"));
    let bus = sample(CS_JSON).replacen("\"valueBoolean\": true", "\"valueBoolean\": false", 1);
    for (spec, uc, id) in [
        ("1.3.0", None, "GPCM-SD-040"),
        ("1.6.0", None, "GPCM-SD-CS-044"),
        ("1.6.0", Some("su"), "GPCM-SU-xx-270"),
        ("1.5.0", Some("ge"), "GPCM-SD-GE-270"),
    ] {
        let r = run(&bus, Some(spec), uc);
        let f = r
            .findings
            .iter()
            .find(|f| f.rule == "handling-bus-ack-not-requested")
            .unwrap_or_else(|| panic!("{spec} {uc:?}: {:?}", rules(&r)));
        assert_eq!(f.requirement.as_deref(), Some(id), "{spec} {uc:?}");
    }
}

#[test]
fn a_response_is_validated_without_payload_detection() {
    let response = sample(CS_JSON)
        .replace("\"code\": \"ITK007C\"", "\"code\": \"ITK008M\"")
        .replace(
            "\"display\": \"ITK GP Connect Send Document\"",
            "\"display\": \"ITK Response\"",
        );
    let r = run(&response, None, None);
    assert_eq!(r.kind.as_str(), "response");
    assert_eq!(
        (r.spec.as_deref(), r.use_case.as_deref()),
        (Some("1.6.0"), Some("cs"))
    );
    // A request's handling values in a response: both acknowledgements requested.
    let got = rules(&r);
    assert!(
        got.contains(&"response-bus-ack-requested") && got.contains(&"response-inf-ack-requested"),
        "{got:?}"
    );
    assert!(!got.contains(&"spec-version-assumed"));
}
