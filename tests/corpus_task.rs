//! The published Task-model examples (../shared/corpus/real: the 1.2.1 and 1.2.1-dev
//! Send Federated Consultation Report and the pre-1.0 draft) give the findings their known
//! defects predict (that folder's README lists them). Each file is prepared as the README says:
//! the Jekyll `{% … %}` lines are removed and leading whitespace is stripped, then it is
//! validated pinned to the release it belongs to. Skipped when ../shared is absent.
//!
//! Every expected finding below names the README defect it stands for. Where the README and the
//! validator disagree, the comment says which is right and why, from the spec:
//!
//! - **Relative references.** The README charges the unresolved `Type/id` references to the
//!   requirement of the element holding them (GPCM-SD-001, -045, -009, -019, -021, -022,
//!   -023). The validator reports each once, as `reference-unresolved` (GPCM-C-2 / C-02,
//!   "conform to ITK3"), and the rules about what the reference must point at stay silent: a
//!   reference that resolves to nothing points at nothing of the wrong type. Both say the same
//!   defect; one finding per defect is the product rule.
//! - **The mis-cased payload `<bundle>`.** Not a FHIR resource (`resource-type-unknown`), so
//!   the focus cannot resolve to it. The Task-model payload rules look inside it anyway (see
//!   profiles/packs/payload/task.toml), which is how the README's Task, DocumentReference,
//!   Practitioner, Organization and Patient defects are found. The structural pass does not
//!   look inside an element it does not know, so defects only it would see there are not
//!   reported: the Task's `intent` before `status` (element order) and the Patient's
//!   `urn:uuid:…` id. The README is right about them; the validator reports the one defect that
//!   hides them. The payload `Bundle.identifier` (ITK-Payload-Bundle-1) is not reported either:
//!   the payload-Bundle rules apply to the Bundle the focus names, and there is none.
//! - **`<Attachment>` for `<attachment>`.** The DocumentReference's content has no STU3
//!   `attachment`, so `task-document-attachment-incomplete` reports that `contentType` and
//!   `data` are missing (GPCM-SD-013), and the "not a PDF" defect (GPCM-SD-024) of the data
//!   inside the unknown element is not reached. Right by the spec: that data is not an
//!   attachment of the DocumentReference.
//! - **MESH defects** (`source.endpoint` vs the `.ctl` From_DTS, GPCM-SD-046/059; the date of
//!   birth in the `.ctl` To_DTS, GPCM-SD-038) need the control file and are not part of a
//!   message-only validation.
//! - **pre-1.0 `Priority` handling key.** The README says it must not be there from 1.0.0 on;
//!   ITK-MessageHandling-2 has six keys and Priority is not one. The README is right; the
//!   envelope's `handling-key-invalid` checks only the six keys' presence and types, so this is
//!   a known gap (listed in `NOT_YET_REPORTED`), not a finding.

mod common;

use common::*;
use gpcm_validate::validate::{validate_bytes, Options};
use std::path::Path;

/// README defects the validator does not report yet although it should (see the module docs).
const NOT_YET_REPORTED: &[(&str, &str)] = &[(
    "pre-1.0.0__fedcon-task__senddocument_fedcon_example.md-inline.xml",
    "the `Priority` handling key (not an ITK-MessageHandling-2 key from 1.0.0 on)",
)];

struct Case {
    file: &'static str,
    release: &'static str,
    /// `(rule, requirement ID)` of every finding, in output order.
    expected: &'static [(&'static str, &'static str)],
}

/// The 1.2.1 example, as published on the release/1.2.1 tip. README: "Defects vs 1.2.1".
const RELEASE_1_2_1: &[(&str, &str)] = &[
    // MessageDefinition `…/ITK-SendTask-MessageDefinition-Instance-1`.
    ("handling-message-definition-wrong", "GPCM-SD-043"),
    // LocalExtension `SendDocument-FederatedConsultationSummary`.
    ("handling-local-extension-wrong", "GPCM-SD-044"),
    // MessageHeader element order (`source` before `event`).
    ("xml-element-order", ""),
    // Relative references against `urn:uuid:` fullUrls: MessageHeader.sender (045) and
    // .focus (001).
    ("reference-unresolved", "GPCM-C-02"),
    ("reference-unresolved", "GPCM-C-02"),
    // The payload written `<bundle>`.
    ("resource-type-unknown", ""),
    // Task: no `authoredOn` (020), no `priority` (017), `description` not the 018 pattern.
    ("task-authored-on-missing", "GPCM-SD-020"),
    ("task-priority-wrong", "GPCM-SD-017"),
    ("task-description-format", "GPCM-SD-018"),
    // Relative references: Task.for (019), requester.agent (021), requester.onBehalfOf
    // (022), owner (023), input.valueReference (009).
    ("reference-unresolved", "GPCM-C-02"),
    ("reference-unresolved", "GPCM-C-02"),
    ("reference-unresolved", "GPCM-C-02"),
    ("reference-unresolved", "GPCM-C-02"),
    ("reference-unresolved", "GPCM-C-02"),
    // DocumentReference: no `author` (081), `indexed` (079), `status` (078), `subject`
    // (080), `type` (082); `description` `Federated consultation report` (026).
    ("task-document-author-wrong", "GPCM-SD-081"),
    ("task-document-indexed-missing", "GPCM-SD-079"),
    ("task-document-status-wrong", "GPCM-SD-078"),
    ("task-document-subject-wrong", "GPCM-SD-080"),
    ("task-document-type-wrong", "GPCM-SD-082"),
    ("task-document-description-wrong", "GPCM-SD-026"),
    // `<Attachment>` instead of `<attachment>` (013): no STU3 attachment, so neither
    // `contentType` nor `data`.
    ("task-document-attachment-incomplete", "GPCM-SD-013"),
    ("task-document-attachment-incomplete", "GPCM-SD-013"),
    // Practitioner name without `use` = `official` (033).
    ("cc-practitioner-name-not-official", "GPCM-SD-033"),
    // Patient without an NHS number identifier (035).
    ("cc-patient-nhs-number-missing", "GPCM-SD-035"),
];

/// The 1.2.1-dev file: "Same defects as the 1.2.1 file below, plus malformed profile URLs"
/// on the Practitioner (110), both Organizations (109) and the Patient (111).
const DEV_1_2_1: &[(&str, &str)] = &[
    ("handling-message-definition-wrong", "GPCM-SD-043"),
    ("handling-local-extension-wrong", "GPCM-SD-044"),
    ("xml-element-order", ""),
    ("reference-unresolved", "GPCM-C-02"),
    ("reference-unresolved", "GPCM-C-02"),
    ("resource-type-unknown", ""),
    ("task-authored-on-missing", "GPCM-SD-020"),
    ("task-priority-wrong", "GPCM-SD-017"),
    ("task-description-format", "GPCM-SD-018"),
    ("reference-unresolved", "GPCM-C-02"),
    ("reference-unresolved", "GPCM-C-02"),
    ("reference-unresolved", "GPCM-C-02"),
    ("reference-unresolved", "GPCM-C-02"),
    ("reference-unresolved", "GPCM-C-02"),
    ("task-document-author-wrong", "GPCM-SD-081"),
    ("task-document-indexed-missing", "GPCM-SD-079"),
    ("task-document-status-wrong", "GPCM-SD-078"),
    ("task-document-subject-wrong", "GPCM-SD-080"),
    ("task-document-type-wrong", "GPCM-SD-082"),
    ("task-document-description-wrong", "GPCM-SD-026"),
    ("task-document-attachment-incomplete", "GPCM-SD-013"),
    ("task-document-attachment-incomplete", "GPCM-SD-013"),
    // `https://fhir.hl7.org.uk/StructureDefinition/STU3/CareConnect-Practitioner-1`.
    ("cc-practitioner-profile-missing", "GPCM-SD-110"),
    ("cc-practitioner-name-not-official", "GPCM-SD-033"),
    // `https://fhir.hl7.org.uk/StructureDefinition/CareConnect-Organization-1`, twice.
    ("cc-organization-profile-missing", "GPCM-SD-109"),
    ("cc-organization-profile-missing", "GPCM-SD-109"),
    ("cc-patient-nhs-number-missing", "GPCM-SD-035"),
    // `https://fhir.hl7.org.uk/StructureDefinition/CareConnect-Patient-1`.
    ("cc-patient-profile-missing", "GPCM-SD-111"),
];

/// The pre-1.0 draft, judged against 1.0.0 as the README does ("Against 1.0.0 rules").
const PRE_1_0: &[(&str, &str)] = &[
    // Outer `Bundle.identifier` missing (ITK-Message-Bundle-1).
    ("bundle-identifier-missing", "GPCM-C-2"),
    // No `LocalExtension` key (GPCM-SD-44; ITK3 makes the key 1..1).
    ("handling-key-invalid", "GPCM-C-2"),
    // MessageDefinition `…/ITK-SendTask-MessageDefinition-Instance-1` (43).
    ("handling-message-definition-wrong", "GPCM-SD-43"),
    // MessageHeader `source` before `event`.
    ("xml-element-order", ""),
    // Relative references: MessageHeader.sender (45), .focus (1).
    ("reference-unresolved", "GPCM-C-2"),
    ("reference-unresolved", "GPCM-C-2"),
    // The payload written `<bundle>`.
    ("resource-type-unknown", ""),
    // Task: no `authoredOn` (20), no `priority` (17), non-pattern `description` (18).
    ("task-authored-on-missing", "GPCM-SD-20"),
    ("task-priority-wrong", "GPCM-SD-17"),
    ("task-description-format", "GPCM-SD-18"),
    // Relative references: Task.for, requester.agent, requester.onBehalfOf, and Task.owner →
    // `Organization/53edbfae-…`, not in the bundle at all (23).
    ("reference-unresolved", "GPCM-C-2"),
    ("reference-unresolved", "GPCM-C-2"),
    ("reference-unresolved", "GPCM-C-2"),
    ("reference-unresolved", "GPCM-C-2"),
    // No DocumentReference: the PDF is inline in `input.valueAttachment` (9/10/13) …
    ("task-input-value-not-reference", "GPCM-SD-9"),
    // … so no input carries the report as a PDF (24; the inline data is not one either).
    ("task-report-pdf-missing", "GPCM-SD-24"),
    // `input.type.text` `Federated Encounter Summary` (25).
    ("task-input-type-text-wrong", "GPCM-SD-25"),
    // Malformed profile URLs of the Practitioner, the two Organizations and the Patient.
    // (The Task's malformed CareConnect-Task-1 URL is no 1.0.0 defect: 1.0.0 used a plain
    // Task.)
    ("cc-practitioner-profile-missing", "GPCM-SD-6"),
    // Practitioner name without `use` = `official` (33).
    ("cc-practitioner-name-not-official", "GPCM-SD-33"),
    ("cc-organization-profile-missing", "GPCM-SD-3"),
    ("cc-organization-profile-missing", "GPCM-SD-3"),
    // Patient without an NHS number (35).
    ("cc-patient-nhs-number-missing", "GPCM-SD-35"),
    ("cc-patient-profile-missing", "GPCM-SD-5"),
];

const CASES: &[Case] = &[
    Case {
        file: "1.2.1__fedcon-task__Send_Federated_Consultation_Report.xml",
        release: "1.2.1",
        expected: RELEASE_1_2_1,
    },
    Case {
        // XML despite the `.json` name.
        file: "1.2.1-dev__fedcon-task__Send_Federated_Consultation_Report.json",
        release: "1.2.1",
        expected: DEV_1_2_1,
    },
    Case {
        file: "pre-1.0.0__fedcon-task__senddocument_fedcon_example.md-inline.xml",
        release: "1.0.0",
        expected: PRE_1_0,
    },
];

/// The file as the README says to feed it to a parser: without the Jekyll wrapper lines
/// (`^\s*\{%.*%\}\s*$`) and with leading whitespace stripped.
fn prepare(text: &str) -> String {
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| {
            let t = l.trim();
            !(t.starts_with("{%") && t.ends_with("%}"))
        })
        .collect();
    kept.join("\n").trim_start().to_string()
}

#[test]
fn task_model_examples_give_the_findings_their_defects_predict() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/real");
    if !dir.is_dir() {
        println!("skipped: ../shared not present");
        return;
    }
    for (file, why) in NOT_YET_REPORTED {
        println!("known gap in {file}: {why}");
    }
    for case in CASES {
        let text = std::fs::read_to_string(dir.join(case.file))
            .unwrap_or_else(|e| panic!("{}: {e}", case.file));
        let options = Options {
            pins: gpcm_validate::detect::Pins {
                spec: Some(case.release.into()),
                use_case: None,
            },
            ..Options::default()
        };
        // Named `.xml`: the 1.2.1-dev file is XML whatever its name says.
        let name = format!("{}.xml", case.file.trim_end_matches(".json"));
        let report = validate_bytes(registry(), &options, name, prepare(&text).into_bytes());
        assert_eq!(report.kind.as_str(), "message", "{}", case.file);
        let got: Vec<(&str, &str)> = report
            .findings
            .iter()
            .map(|f| (f.rule.as_str(), f.requirement.as_deref().unwrap_or("")))
            .collect();
        assert_eq!(
            got,
            case.expected,
            "{} (validated as {}):\n{}",
            case.file,
            case.release,
            render(
                gpcm_validate::emit::OutputFormat::Human,
                std::slice::from_ref(&report)
            )
        );
    }
}
