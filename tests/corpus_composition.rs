//! The spec's real Composition-model examples (`../shared/corpus/real`: the 1.3.0 and later
//! consultation reports and the online consultation examples, which the Generic and Send Update
//! pages reuse) give the findings their README's listed defects predict: the payload rules of
//! `profiles/packs/payload/composition.toml`, and the envelope and structural rules already in
//! place. Each file is prepared as the README says (Jekyll `{% … %}` lines removed, leading
//! whitespace stripped) and validated pinned to its release and use case. Without `../shared`
//! the test is skipped.
//!
//! Where the README and the validator disagree, the spec decides; each case says so:
//! - `1.6.0__oc__*`: the README lists no defect for the Observations, but GPCM-SD-008 (SHOULD)
//!   asks for each Observation in the List to be referenced from a section entry as well; the
//!   examples reference only the List, so the clinical pack's `observation-not-in-section`
//!   warns for each.
//! - `1.6.0__oc__oc_consultation_report-xmlspy.xml`: the README says "as above" about the 2022
//!   OC example, whose Composition.type is conformant, but this older copy carries the
//!   placeholder `xxxxxxxxx` the consent and klinik examples have: GPCM-SD-OC-003 is broken.
//!   Its missing MessageDefinition handling key is reported by the envelope's
//!   `handling-key-invalid` (every key is 1..1 in ITK-MessageHandling-2).
//! - `feature-1.4.0-covid__…`: an unreleased branch numbered like 1.3.0; validated as 1.3.0, its
//!   Observation is content the 1.3.0 payload does not define (a warning the README cannot list,
//!   since that branch allowed it). Its title is the 1.3.0 title, so no title finding.
//! - The duplicate fullUrl shared by the QuestionnaireResponse and the PDF Binary makes the
//!   primary section entry ambiguous (GPCM-SD-032): `full-url-duplicate` reports it once and the
//!   section rules stay silent rather than guess which entry was meant.
//! - `…_consent.xml`: the unresolved `Composition.subject` (GPCM-SD-OC-008) is
//!   `reference-unresolved`'s finding; `composition-subject-wrong` only judges references that
//!   resolve.
//!
//! Defects outside these packs (NHS numbers failing Modulus 11, names, MESH control files,
//! clinical coding) are not asserted here; the integrator extends the lists.

use gpcm_validate::detect::Pins;
use gpcm_validate::validate::{validate_bytes, FileReport, Options};
use std::path::Path;

mod common;

/// One corpus file: the release and use case it is validated as, the (rule, requirement)
/// findings it must give (`None`: the rule carries no requirement ID there), and the rules of
/// the payload pack that must stay silent on it (what the README calls conformant).
struct Case {
    file: &'static str,
    spec: &'static str,
    use_case: &'static str,
    expected: &'static [(&'static str, Option<&'static str>)],
    silent: &'static [&'static str],
}

/// Payload rules every consultation report example satisfies (README: "Conformant: …
/// Composition status/type/confidentiality/title, PDF Binary first, meta profiles of core
/// resources, references resolve").
const CONFORMANT_REPORT: &[&str] = &[
    "composition-status-not-final",
    "composition-type-not-snomed",
    "composition-type-wrong",
    "composition-confidentiality-wrong",
    "composition-title-wrong",
    "composition-profile-missing",
    "composition-subject-wrong",
    "composition-author-wrong",
    "composition-custodian-wrong",
    "document-bundle-composition-not-first",
    "section-primary-not-binary",
    "section-primary-not-pdf",
    "binary-profile-missing",
    "binary-content-not-base64",
    "binary-content-mismatch",
    "binary-section-missing",
    "reference-unresolved",
];

/// The same for the online consultation examples, less what some of them break (type, title).
const CONFORMANT_OC: &[&str] = &[
    "composition-status-not-final",
    "composition-confidentiality-wrong",
    "composition-profile-missing",
    "composition-author-wrong",
    "composition-custodian-wrong",
    "document-bundle-composition-not-first",
    "section-primary-not-binary",
    "section-primary-not-pdf",
    "binary-profile-missing",
    "binary-content-not-base64",
    "binary-content-mismatch",
    "binary-section-missing",
    "section-observation-list-missing",
];

const CASES: &[Case] = &[
    Case {
        file: "1.3.0__cs__consultation_report.xml",
        spec: "1.3.0",
        use_case: "cs",
        expected: &[
            ("handling-local-extension-wrong", Some("GPCM-SD-044")),
            ("composition-text-summary-wrong", Some("GPCM-SD-119")),
            ("document-bundle-identifier-reused", None),
            ("xml-element-order", None),
        ],
        silent: CONFORMANT_REPORT,
    },
    Case {
        file: "master-1.3.0-draft__cs__consultation_report.xml",
        spec: "1.3.0",
        use_case: "cs",
        expected: &[
            ("handling-local-extension-wrong", Some("GPCM-SD-044")),
            ("composition-text-summary-wrong", Some("GPCM-SD-119")),
            ("document-bundle-identifier-reused", None),
            ("xml-element-order", None),
        ],
        silent: CONFORMANT_REPORT,
    },
    Case {
        file: "feature-1.4.0-covid__cs__consultation_report.xml",
        spec: "1.3.0",
        use_case: "cs",
        expected: &[
            ("handling-local-extension-wrong", Some("GPCM-SD-044")),
            ("composition-text-summary-wrong", Some("GPCM-SD-119")),
            ("document-bundle-identifier-reused", None),
            ("document-bundle-resource-not-allowed", None),
            ("xml-element-order", None),
        ],
        silent: CONFORMANT_REPORT,
    },
    Case {
        file: "1.6.0__cs__consultation_report.xml",
        spec: "1.6.0",
        use_case: "cs",
        expected: &[
            ("handling-local-extension-wrong", Some("GPCM-SD-CS-048")),
            ("composition-text-summary-wrong", Some("GPCM-SD-CS-023")),
            ("section-observation-list-missing", Some("GPCM-SD-007")),
            ("document-bundle-identifier-reused", None),
            ("xml-element-order", None),
        ],
        // The COVID Observation is referenced directly from a section: GPCM-SD-008's section
        // part holds, only the List (GPCM-SD-007) is missing.
        silent: CONFORMANT_REPORT,
    },
    Case {
        file: "1.6.0__cs__consultation_report-original.xml",
        spec: "1.6.0",
        use_case: "cs",
        expected: &[
            ("handling-local-extension-wrong", Some("GPCM-SD-CS-048")),
            ("composition-text-summary-wrong", Some("GPCM-SD-CS-023")),
            ("document-bundle-identifier-reused", None),
            ("xml-element-order", None),
        ],
        silent: CONFORMANT_REPORT,
    },
    Case {
        file: "1.6.0__oc__oc_consultation_report.xml",
        spec: "1.6.0",
        use_case: "oc",
        expected: &[
            ("handling-local-extension-wrong", Some("GPCM-SD-OC-147")),
            ("full-url-duplicate", Some("GPCM-C-02")),
            ("composition-title-wrong", Some("GPCM-SD-OC-006")),
            ("composition-text-summary-wrong", Some("GPCM-SD-OC-007")),
            ("observation-not-in-section", Some("GPCM-SD-008")),
            ("document-bundle-identifier-reused", None),
            ("xml-element-order", None),
        ],
        silent: CONFORMANT_OC,
    },
    // The Generic and Send Update example pages show the same message.
    Case {
        file: "1.6.0__oc__oc_consultation_report.xml",
        spec: "1.6.0",
        use_case: "ge",
        expected: &[
            ("handling-local-extension-wrong", Some("GPCM-SD-GE-274")),
            ("full-url-duplicate", Some("GPCM-C-02")),
            ("composition-text-summary-wrong", Some("GPCM-SD-GE-007")),
            ("observation-not-in-section", Some("GPCM-SD-008")),
            ("document-bundle-identifier-reused", None),
        ],
        // Generic titles and types are whatever the document is: no fixed value to break.
        silent: CONFORMANT_OC,
    },
    Case {
        file: "1.6.0__oc__oc_consultation_report.xml",
        spec: "1.6.0",
        use_case: "su",
        expected: &[
            ("handling-local-extension-wrong", Some("GPCM-SU-xx-274")),
            ("composition-text-summary-wrong", Some("GPCM-SU-xx-007")),
            ("observation-not-in-section", Some("GPCM-SU-008")),
            ("document-bundle-identifier-reused", None),
        ],
        silent: CONFORMANT_OC,
    },
    Case {
        file: "1.6.0__oc__oc_consultation_report-xmlspy.xml",
        spec: "1.6.0",
        use_case: "oc",
        expected: &[
            ("handling-key-invalid", Some("GPCM-C-02")),
            ("handling-local-extension-wrong", Some("GPCM-SD-OC-147")),
            ("full-url-duplicate", Some("GPCM-C-02")),
            ("element-unknown", None),
            ("composition-type-wrong", Some("GPCM-SD-OC-003")),
            ("composition-title-wrong", Some("GPCM-SD-OC-006")),
            ("composition-text-summary-wrong", Some("GPCM-SD-OC-007")),
            ("observation-not-in-section", Some("GPCM-SD-008")),
            ("document-bundle-identifier-reused", None),
        ],
        silent: CONFORMANT_OC,
    },
    Case {
        file: "1.6.0__oc__oc_consultation_report_consent.xml",
        spec: "1.6.0",
        use_case: "oc",
        expected: &[
            ("reference-unresolved", Some("GPCM-C-02")),
            ("full-url-duplicate", Some("GPCM-C-02")),
            ("handling-local-extension-wrong", Some("GPCM-SD-OC-147")),
            ("composition-type-wrong", Some("GPCM-SD-OC-003")),
            ("composition-title-wrong", Some("GPCM-SD-OC-006")),
            ("composition-text-summary-wrong", Some("GPCM-SD-OC-007")),
            ("xml-element-order", None),
        ],
        silent: &[
            "composition-subject-wrong",
            "attachment-message-too-large",
            "binary-content-mismatch",
            "binary-content-not-base64",
        ],
    },
    Case {
        file: "1.6.0__oc__oc_consultation_report_klinik.xml",
        spec: "1.6.0",
        use_case: "oc",
        expected: &[
            ("full-url-duplicate", Some("GPCM-C-02")),
            ("handling-local-extension-wrong", Some("GPCM-SD-OC-147")),
            ("composition-type-wrong", Some("GPCM-SD-OC-003")),
            ("composition-title-wrong", Some("GPCM-SD-OC-006")),
            ("composition-text-summary-wrong", Some("GPCM-SD-OC-007")),
            ("xml-element-order", None),
        ],
        // Its two JPEG images are valid base64 JPEGs, each in a section of its own.
        silent: CONFORMANT_OC,
    },
];

/// A corpus file as the README says to read it: every `{% … %}` template line removed, then
/// leading whitespace stripped.
fn prepared(path: &Path) -> Vec<u8> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let kept: Vec<&str> = text
        .split('\n')
        .filter(|line| {
            let t = line.trim();
            !(t.starts_with("{%") && t.ends_with("%}"))
        })
        .collect();
    kept.join("\n").trim_start().as_bytes().to_vec()
}

fn validate(path: &Path, case: &Case) -> FileReport {
    let options = Options {
        pins: Pins {
            spec: Some(case.spec.to_string()),
            use_case: Some(case.use_case.to_string()),
        },
        ..Options::default()
    };
    validate_bytes(
        common::registry(),
        &options,
        case.file.to_string(),
        prepared(path),
    )
}

#[test]
fn real_composition_examples_give_their_documented_defects() {
    let real = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/real");
    if !real.is_dir() {
        println!("skipped: ../shared not present");
        return;
    }
    let mut failures = Vec::new();
    for case in CASES {
        let report = validate(&real.join(case.file), case);
        let what = format!("{} ({} {})", case.file, case.spec, case.use_case);
        if report.spec.as_deref() != Some(case.spec) {
            failures.push(format!("{what}: validated as {:?}", report.spec));
        }
        let found: Vec<(String, Option<String>)> = report
            .findings
            .iter()
            .map(|f| (f.rule.clone(), f.requirement.clone()))
            .collect();
        for (rule, requirement) in case.expected {
            let want = (rule.to_string(), requirement.map(str::to_string));
            if !found.contains(&want) {
                failures.push(format!("{what}: expected {rule} ({requirement:?})"));
            }
        }
        for rule in case.silent {
            if found.iter().any(|(r, _)| r == rule) {
                failures.push(format!("{what}: {rule} reported on conformant content"));
            }
        }
        if failures.iter().any(|f| f.starts_with(&what)) {
            failures.push(format!("{what}: all findings: {found:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
