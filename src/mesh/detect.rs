//! Which release and use case MESH metadata alone belongs to: the workflow ID tells the
//! generation (`GPCONNECT_SEND_DOCUMENT` is Send Document v2, `GPFED_CONSULT_REPORT` 1.2.0 to
//! 1.6.0, the `TBC…` placeholders 1.0.0 and 1.1.0) and the Subject's opening words the use case.
//! Paired with its message, metadata takes the message's release and use case instead.

use crate::detect::{Pins, SPEC_VERSION_ASSUMED, USE_CASE_ASSUMED};
use crate::document::{Document, NodeId};
use crate::finding::Finding;
use crate::profile::spec::SpecFile;
use crate::rules::SpecContext;

/// The workflow of GP Connect Send Document v2.
pub const V2_WORKFLOW: &str = "GPCONNECT_SEND_DOCUMENT";
/// The workflow of GP Connect Messaging 1.2.0 to 1.6.0.
pub const V1_WORKFLOW: &str = "GPFED_CONSULT_REPORT";

/// The generation a workflow ID belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Generation {
    /// 1.0.0 and 1.1.0 named the workflow `TBC:WorkflowID` (a placeholder).
    Placeholder,
    V1,
    V2,
    Unknown,
}

impl Generation {
    fn of(workflow: &str) -> Generation {
        let w = workflow.trim();
        let base = w.strip_suffix("_ACK").unwrap_or(w);
        if base.eq_ignore_ascii_case(V2_WORKFLOW) {
            Generation::V2
        } else if base.eq_ignore_ascii_case(V1_WORKFLOW) {
            Generation::V1
        } else if w.to_ascii_uppercase().starts_with("TBC") {
            Generation::Placeholder
        } else {
            Generation::Unknown
        }
    }

    fn admits(self, release: &str) -> bool {
        let v2 = release.starts_with("2.");
        match self {
            Generation::Placeholder => matches!(release, "1.0.0" | "1.1.0"),
            Generation::V1 => !v2 && !matches!(release, "1.0.0" | "1.1.0"),
            Generation::V2 => v2,
            Generation::Unknown => true,
        }
    }
}

/// The element holding the workflow ID and the Subject, in a control file or in headers.
pub fn fields(doc: &Document) -> (Option<NodeId>, Option<NodeId>) {
    let root = doc.root();
    if doc.name(root) == "DTSControl" {
        (doc.child(root, "WorkflowId"), doc.child(root, "Subject"))
    } else {
        (
            doc.child(root, "Mex-WorkflowID"),
            doc.child(root, "Mex-Subject"),
        )
    }
}

/// The use case a Subject's opening words name (1.x formats; `None` when they name none).
pub fn use_case_of_subject(subject: &str) -> Option<&'static str> {
    let s = subject.trim_start().to_ascii_lowercase();
    let starts = |p: &str| s.starts_with(p);
    if starts("federated consultation report for") {
        Some("task")
    } else if starts("online consultation report for") {
        Some("oc")
    } else if starts("consultation report for") {
        Some("cs")
    } else if starts("patient registration for") {
        Some("pr")
    } else if s.contains(" report for ") {
        // Generic Send Document: `{name of report} report for {patient} …`.
        Some("ge")
    } else {
        None
    }
}

/// The release and use case to validate MESH metadata against, with notices saying what was
/// assumed (the same notices a message gets).
pub fn detect(doc: &Document, spec: &SpecFile, pins: &Pins) -> (SpecContext, Vec<Finding>) {
    let mut notices = Vec::new();
    let (workflow, subject) = fields(doc);
    let value = |n: Option<NodeId>| n.and_then(|n| doc.value(n)).unwrap_or("");
    let generation = Generation::of(value(workflow));
    let pinned = pins.spec.as_deref().and_then(|v| spec.release(v));
    let allowed = |uc: &str| pinned.is_none_or(|r| r.use_cases.iter().any(|u| u == uc));
    let by_workflow = match generation {
        Generation::V2 => Some("sd"),
        Generation::Placeholder => Some("task"),
        _ => None,
    };
    let use_case = match (&pins.use_case, pinned) {
        (Some(uc), _) => uc.clone(),
        (None, Some(r)) if r.use_cases.len() == 1 => r.use_cases[0].clone(),
        (None, _) => {
            let detected = by_workflow
                .filter(|uc| allowed(uc))
                .or_else(|| use_case_of_subject(value(subject)).filter(|uc| allowed(uc)));
            match detected {
                Some(uc) => uc.to_string(),
                None => {
                    let fallback = pinned
                        .and_then(|r| r.use_cases.first().cloned())
                        .unwrap_or_else(|| "cs".to_string());
                    let name = spec
                        .use_case(&fallback)
                        .map_or(fallback.as_str(), |u| u.name.as_str());
                    let why = match subject.and_then(|n| doc.value(n)) {
                        Some(_) => format!(
                            "the Subject's opening words name no use case; validated as {name}"
                        ),
                        None => format!("no Subject names the use case; validated as {name}"),
                    };
                    notices.push(
                        USE_CASE_ASSUMED
                            .finding(why)
                            .at_node(doc, subject.unwrap_or(doc.root()))
                            .with_help("Start the Subject with the use case's words (`Consultation report for …`, `Online consultation report for …`), or pass `--use-case`"),
                    );
                    fallback
                }
            }
        }
    };
    let version = match &pins.spec {
        Some(v) => v.clone(),
        None => {
            let with_use_case = spec.releases_with(&use_case);
            let mut candidates: Vec<&str> = with_use_case
                .iter()
                .map(|r| r.id.as_str())
                .filter(|id| generation.admits(id))
                .collect();
            if candidates.is_empty() {
                candidates = with_use_case.iter().map(|r| r.id.as_str()).collect();
            }
            let newest = candidates.last().map_or("1.6.0", |v| v).to_string();
            if candidates.len() > 1 {
                let why = if generation == Generation::Unknown {
                    format!("the workflow ID names no GP Connect workflow; validated as {newest}, the newest release with this use case")
                } else {
                    format!(
                        "validated as {newest}, the newest release with this use case; the metadata reads the same under {}–{newest}",
                        candidates[0]
                    )
                };
                notices.push(
                    SPEC_VERSION_ASSUMED
                        .finding(why)
                        .at_node(doc, workflow.unwrap_or(doc.root())),
                );
            }
            newest
        }
    };
    (SpecContext { version, use_case }, notices)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_name_use_cases() {
        let uc = use_case_of_subject;
        assert_eq!(uc("Consultation report for Harriet Fernley, NHS Number 9993456780, seen at X, ODS Code A12345"), Some("cs"));
        assert_eq!(
            uc("Online consultation report for A, NHS Number 1, ODS Code B"),
            Some("oc")
        );
        assert_eq!(
            uc("Federated consultation report for A , NHS Number 1"),
            Some("task")
        );
        assert_eq!(
            uc("Discharge summary report for A, NHS Number 1, ODS Code B"),
            Some("ge")
        );
        assert_eq!(uc("Patient registration for A, ODS Code B"), Some("pr"));
        assert_eq!(
            uc("Federated GP consultation summary for patient Mr Richard Smith"),
            None
        );
    }

    #[test]
    fn workflows_name_generations() {
        assert_eq!(
            Generation::of("GPCONNECT_SEND_DOCUMENT_ACK"),
            Generation::V2
        );
        assert_eq!(Generation::of("GPFED_CONSULT_REPORT"), Generation::V1);
        assert_eq!(Generation::of("TBC:WorkflowID"), Generation::Placeholder);
        assert_eq!(Generation::of("TOC_FHIR_IP_DISCH"), Generation::Unknown);
        assert!(Generation::V1.admits("1.2.0") && !Generation::V1.admits("1.1.0"));
        assert!(!Generation::V1.admits("2.0.0") && Generation::V2.admits("2.0.0"));
    }
}
