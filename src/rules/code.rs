//! Rust-coded checks: the rules whose logic data cannot express (they need the whole bundle at
//! once). Their names, messages and docs live in the packs like every other rule
//! (`check = { kind = "code" }`); [`lookup`] binds a rule name to its function here.

use super::bundle_index::split_relative;
use super::code_clin1 as clin1;
use super::code_clin2 as clin2;
use super::code_comp;
use super::Context;
use crate::checks::CodeFn;
use crate::document::{Document, NodeId, NodeKind};
use crate::finding::{Finding, RuleMeta};

/// Every Rust-coded check, by the name of the rule that uses it.
pub const CODE_CHECKS: &[(&str, CodeFn)] = &[
    ("full-url-duplicate", full_url_duplicate),
    ("handling-key-invalid", handling_key_invalid),
    ("response-code-inconsistent", response_code_inconsistent),
    ("reference-unresolved", reference_unresolved),
    // MESH metadata with its message, and responses with their request (src/mesh).
    (
        "mesh-demographics-mismatch",
        crate::mesh::cross::demographics_mismatch,
    ),
    (
        "mesh-sender-endpoint-mismatch",
        crate::mesh::cross::sender_endpoint_mismatch,
    ),
    (
        "ctl-local-id-not-sender",
        crate::mesh::cross::local_id_not_sender,
    ),
    (
        "mex-local-id-not-sender",
        crate::mesh::cross::local_id_not_sender,
    ),
    (
        "mesh-request-workflow-is-ack",
        crate::mesh::cross::request_workflow_is_ack,
    ),
    (
        "mesh-response-workflow-not-ack",
        crate::mesh::cross::response_workflow_not_ack,
    ),
    ("mesh-report-error", crate::mesh::status::report_error),
    ("mesh-report-success", crate::mesh::status::report_success),
    (
        "response-request-identifier-mismatch",
        crate::mesh::responses::request_identifier_mismatch,
    ),
    (
        "response-sender-reference-mismatch",
        crate::mesh::responses::sender_reference_mismatch,
    ),
    (
        "response-duplicate",
        crate::mesh::responses::response_duplicate,
    ),
    (
        "response-unpaired",
        crate::mesh::responses::response_unpaired,
    ),
    (
        "medication-request-based-on-not-plan",
        clin2::order_based_on_not_plan,
    ),
    (
        "medication-statement-based-on-not-plan",
        clin2::statement_based_on_not_plan,
    ),
    (
        "medication-request-quantity-text-duplicates-value",
        clin2::quantity_text_duplicates_value,
    ),
    ("task-count", super::code_task::task_count),
    (
        "task-description-inconsistent",
        super::code_task::task_description_inconsistent,
    ),
    (
        "task-document-author-wrong",
        super::code_task::task_document_author_wrong,
    ),
    (
        "task-document-not-input",
        super::code_task::task_document_not_input,
    ),
    (
        "task-document-subject-wrong",
        super::code_task::task_document_subject_wrong,
    ),
    (
        "task-owner-same-as-sender",
        super::code_task::task_owner_same_as_sender,
    ),
    (
        "attachment-message-too-large",
        code_comp::attachment_message_too_large,
    ),
    ("binary-section-missing", code_comp::binary_section_missing),
    (
        "composition-encounter-missing",
        code_comp::composition_encounter_missing,
    ),
    (
        "composition-encounter-wrong",
        code_comp::composition_encounter_wrong,
    ),
    (
        "document-bundle-resource-id-missing",
        code_comp::document_bundle_resource_id_missing,
    ),
    (
        "document-bundle-identifier-reused",
        code_comp::document_bundle_identifier_reused,
    ),
    (
        "document-bundle-resource-not-allowed",
        code_comp::document_bundle_resource_not_allowed,
    ),
    (
        "section-observation-list-missing",
        code_comp::section_observation_list_missing,
    ),
    ("section-list-missing", code_comp::section_list_missing),
    (
        "section-entry-missing-medication",
        code_comp::section_entry_missing,
    ),
    (
        "section-entry-missing-immunization",
        code_comp::section_entry_missing,
    ),
    (
        "section-entry-missing-condition",
        code_comp::section_entry_missing,
    ),
    (
        "section-entry-missing-procedure-request",
        code_comp::section_entry_missing,
    ),
    (
        "section-entry-missing-diagnostic-report",
        code_comp::section_entry_missing,
    ),
    (
        "section-entry-missing-specimen",
        code_comp::section_entry_missing,
    ),
    (
        "section-entry-missing-medication-request",
        code_comp::section_entry_missing,
    ),
    (
        "section-entry-missing-medication-statement",
        code_comp::section_entry_missing,
    ),
    ("allergy-not-in-section", clin1::not_in_section),
    ("clinical-task-not-in-section", clin1::not_in_section),
    ("consent-not-in-section", clin1::not_in_section),
    ("document-reference-not-in-section", clin1::not_in_section),
    ("family-history-not-in-section", clin1::not_in_section),
    ("list-code-wrong", clin1::list_code),
    ("list-missing-for-observations", clin1::list_missing),
    ("list-not-in-section", clin1::not_in_section),
    ("list-observation-not-listed", clin1::not_listed),
    ("location-not-in-section", clin1::not_in_section),
    ("observation-not-in-section", clin1::not_in_section),
    (
        "observation-performer-not-patient",
        clin1::performer_not_patient,
    ),
    ("questionnaire-not-in-section", clin1::not_in_section),
    (
        "questionnaire-response-answer-value-missing",
        clin1::qr_answer_value,
    ),
    (
        "questionnaire-response-item-link-id-missing",
        clin1::qr_link_id,
    ),
    ("questionnaire-response-item-text-missing", clin1::qr_text),
    (
        "questionnaire-response-not-in-section",
        clin1::not_in_section,
    ),
    ("referral-not-in-section", clin1::not_in_section),
];

pub fn lookup(rule: &str) -> Option<CodeFn> {
    CODE_CHECKS
        .iter()
        .find(|(n, _)| *n == rule)
        .map(|(_, f)| *f)
}

/// No two entries of the message (at any depth) share a fullUrl.
fn full_url_duplicate(meta: &RuleMeta, cx: &Context<'_>, out: &mut Vec<Finding>) {
    let doc = cx.doc;
    for group in cx.bundle.duplicate_groups() {
        let urls: Vec<NodeId> = group
            .iter()
            .filter_map(|&i| cx.bundle.entries[i].full_url)
            .collect();
        let Some((&first, rest)) = urls.split_first() else {
            continue;
        };
        for &dup in rest {
            out.push(
                meta.finding(format!(
                    "fullUrl `{}` is used by {} entries",
                    doc.value(dup).unwrap_or(""),
                    urls.len()
                ))
                .at_node(doc, dup)
                .label("duplicate")
                .related(doc.node(first).value_span, "first used here"),
            );
        }
    }
}

/// The six ITK3 handling keys and the value element each must use (`None`: any `value[x]`).
const HANDLING_KEYS: &[(&str, Option<&str>)] = &[
    ("BusAckRequested", Some("valueBoolean")),
    ("InfAckRequested", Some("valueBoolean")),
    ("RecipientType", Some("valueCoding")),
    ("MessageDefinition", Some("valueReference")),
    ("SenderReference", Some("valueString")),
    ("LocalExtension", None),
];

/// Each handling key exactly once, with its value type. A table of keys is data, but "each of
/// these, once, with this value element" is not a shape the pack checks can say in one rule.
fn handling_key_invalid(meta: &RuleMeta, cx: &Context<'_>, out: &mut Vec<Finding>) {
    let doc = cx.doc;
    let Some(header) = crate::fhir::message_header(doc) else {
        return;
    };
    // A missing or repeated handling extension is `handling-extension-count`'s finding.
    let mut handling = doc
        .children_named(header, "extension")
        .filter(|&e| doc.get_value(e, "url") == Some(crate::fhir::HANDLING));
    let (Some(ext), None) = (handling.next(), handling.next()) else {
        return;
    };
    // Each key's extensions are picked from one list of (extension, url), not found by
    // reading every extension's url once per key.
    let keyed: Vec<(NodeId, Option<&str>)> = doc
        .children_named(ext, "extension")
        .map(|e| (e, doc.get_value(e, "url")))
        .collect();
    // Filled afresh for each key: one allocation each, not one per key.
    let (mut found, mut values) = (Vec::new(), Vec::new());
    for &(key, value_name) in HANDLING_KEYS {
        found.clear();
        found.extend(
            keyed
                .iter()
                .filter(|(_, url)| *url == Some(key))
                .map(|&(e, _)| e),
        );
        match found.as_slice() {
            [] => out.push(
                meta.finding(format!("handling key `{key}` is missing"))
                    .at_node_name(doc, ext)
                    .label(format!("no `{key}` in here")),
            ),
            [one] => {
                values.clear();
                values.extend(
                    doc.children(*one)
                        .filter(|&c| doc.name(c).starts_with("value")),
                );
                let ok = match (values.as_slice(), value_name) {
                    ([v], Some(want)) => doc.name(*v) == want,
                    ([_], None) => true,
                    _ => false,
                };
                if !ok {
                    let expected = value_name.unwrap_or("one value[x]");
                    let found_names: Vec<&str> = values.iter().map(|&v| doc.name(v)).collect();
                    let found = if found_names.is_empty() {
                        "no value".to_string()
                    } else {
                        format!("`{}`", found_names.join("`, `"))
                    };
                    out.push(
                        meta.finding(format!(
                            "handling key `{key}` has {found}, expected `{expected}`"
                        ))
                        .at_node_name(doc, values.first().copied().unwrap_or(*one))
                        .label(format!("expected `{expected}`")),
                    );
                }
            }
            [first, rest @ ..] => {
                for &dup in rest {
                    out.push(
                        meta.finding(format!(
                            "handling key `{key}` appears {} times",
                            found.len()
                        ))
                        .at_node_name(doc, dup)
                        .label("repeated")
                        .related(doc.node(*first).name_span, "first here"),
                    );
                }
            }
        }
    }
}

/// A response's `MessageHeader.response.code`, and each issue's severity and code, agree with
/// what ITK3 maps the issue's response code to. The mapping is a table (`response-codes.toml`);
/// comparing three fields against the row a fourth selects is more than a pack check says.
fn response_code_inconsistent(meta: &RuleMeta, cx: &Context<'_>, out: &mut Vec<Finding>) {
    let doc = cx.doc;
    let Some(header) = crate::fhir::message_header(doc) else {
        return;
    };
    let Some(response) = doc.child(header, "response") else {
        return;
    };
    let Some(outcome) = doc
        .get(response, "details.reference")
        .and_then(|r| cx.bundle.resolve(doc, r, doc.value(r)?))
        .and_then(|i| cx.bundle.entries[i].resource)
        .filter(|&r| doc.is_resource_type(r, "OperationOutcome"))
    else {
        return;
    };
    let codes = crate::profile::embedded_response_codes();
    let response_code = doc.child(response, "code");
    for issue in doc.children_named(outcome, "issue") {
        let Some(code) = doc.get_value(issue, "details.coding.code") else {
            continue;
        };
        // Unknown codes are `response-code-unknown`'s; status codes have no fixed mapping.
        let Some(row) = codes.iter().find(|c| c.code == code) else {
            continue;
        };
        let (Some(want_code), Some(want_severity)) = (&row.response_code, &row.severity) else {
            continue;
        };
        let mut mismatch = |node: Option<NodeId>, field: &str, want: &str| {
            let Some(node) = node else { return };
            let found = doc.value(node).unwrap_or("");
            out.push(
                meta.finding(format!(
                    "{field} is `{found}`, but response code `{code}` ({}) maps to `{want}`",
                    row.display
                ))
                .at_node(doc, node)
                .label(format!("expected `{want}`")),
            );
        };
        if response_code.and_then(|n| doc.value(n)) != Some(want_code.as_str()) {
            mismatch(response_code, "`MessageHeader.response.code`", want_code);
        }
        let severity = doc.child(issue, "severity");
        if severity.and_then(|n| doc.value(n)) != Some(want_severity.as_str()) {
            mismatch(severity, "`issue.severity`", want_severity);
        }
        let issue_code = doc.child(issue, "code");
        let found = issue_code.and_then(|n| doc.value(n)).unwrap_or("");
        if !row.issue_codes.is_empty() && !row.issue_codes.iter().any(|c| c == found) {
            mismatch(issue_code, "`issue.code`", &row.issue_codes.join("` or `"));
        }
    }
}

/// Every `Reference.reference` resolves to an entry of the message.
fn reference_unresolved(meta: &RuleMeta, cx: &Context<'_>, out: &mut Vec<Finding>) {
    let doc = cx.doc;
    for node in reference_values(doc) {
        let Some(reference) = doc.value(node) else {
            continue;
        };
        if let Some(f) = resolve(cx, node, reference) {
            out.push(f.into_finding(meta, doc, node, reference));
        }
    }
}

/// `reference` primitives of Reference elements in the document, in document order. Inside
/// elements the definitions do not know (misspelt or misplaced content) a child named
/// `reference` is taken as one, so broken content still has its references checked.
fn reference_values(doc: &Document) -> impl Iterator<Item = NodeId> + '_ {
    // The name is asked first: it is on the node the walk has in hand, where the parent's
    // type is elsewhere in memory, and in a large message nearly every node fails it.
    doc.descendants(doc.root()).filter(move |&n| {
        if !doc.has_name(n, "reference") || doc.value(n).is_none() {
            return false;
        }
        let Some(parent) = doc.parent(n) else {
            return false;
        };
        let is_reference = match doc.typed(parent) {
            Some(t) => t.type_code == Some("Reference"),
            None => doc.node(parent).kind == NodeKind::Element,
        };
        is_reference && !is_message_definition(doc, n)
    })
}

/// The ITK3 handling extension's `MessageDefinition` key holds a canonical URL of a published
/// definition, never an entry of the message.
fn is_message_definition(doc: &Document, reference: NodeId) -> bool {
    let Some(value_ref) = doc.parent(reference) else {
        return false;
    };
    let Some(ext) = doc.parent(value_ref) else {
        return false;
    };
    doc.name(value_ref) == "valueReference"
        && doc.name(ext) == "extension"
        && doc.get_value(ext, "url") == Some("MessageDefinition")
}

/// Why a reference does not resolve. A reference matching several entries is not reported
/// here: the duplicate fullUrl behind it is, once, by `full-url-duplicate`.
enum Unresolved {
    Missing { hint: Option<String> },
}

impl Unresolved {
    fn into_finding(
        self,
        meta: &RuleMeta,
        doc: &Document,
        node: NodeId,
        reference: &str,
    ) -> Finding {
        match self {
            Unresolved::Missing { hint } => {
                let (message, label) = if reference.starts_with('#') {
                    (
                        format!("reference `{reference}` names no contained resource"),
                        "no contained resource has this id",
                    )
                } else {
                    (
                        format!(
                            "reference `{reference}` does not resolve to an entry of its Bundle"
                        ),
                        "no entry of this Bundle has this fullUrl",
                    )
                };
                let f = meta.finding(message).at_node(doc, node).label(label);
                match hint {
                    Some(h) => f.with_help(h),
                    None => f,
                }
            }
        }
    }
}

fn resolve(cx: &Context<'_>, node: NodeId, reference: &str) -> Option<Unresolved> {
    let doc = cx.doc;
    if let Some(id) = reference.strip_prefix('#') {
        return resolve_contained(doc, node, id);
    }
    cx.bundle
        .matches(doc, node, reference)
        .is_empty()
        .then(|| Unresolved::Missing {
            hint: split_relative(reference).and_then(|(ty, id)| suggest_full_url(cx, node, ty, id)),
        })
}

fn resolve_contained(doc: &Document, node: NodeId, id: &str) -> Option<Unresolved> {
    // `#` alone points at the containing resource itself. A reference made inside a contained
    // resource resolves against the resource that contains it; any other against its own
    // resource (an entry's resource is not contained in the Bundle that holds it).
    let container = doc.enclosing_resource(node).map(|r| {
        if doc.name(r) == "contained" {
            doc.parent(r)
                .and_then(|p| doc.enclosing_resource(p))
                .unwrap_or(r)
        } else {
            r
        }
    })?;
    if id.is_empty() {
        return None;
    }
    let found = doc
        .children_named(container, "contained")
        .filter(|&c| doc.get_value(c, "id") == Some(id))
        .count();
    (found == 0).then(|| Unresolved::Missing {
        hint: Some(format!(
            "Add a contained resource with id `{id}`, or reference the entry's fullUrl"
        )),
    })
}

/// For a relative `Type/id` that did not resolve, names the fullUrl of the entry that holds
/// that resource, which is what the reference should say.
fn suggest_full_url(cx: &Context<'_>, from: NodeId, ty: &str, id: &str) -> Option<String> {
    let doc = cx.doc;
    let scope = cx.bundle.scope_of(doc, from);
    let entry = cx.bundle.entries.iter().find(|e| {
        e.bundle == scope
            && e.resource
                .is_some_and(|r| doc.is_resource_type(r, ty) && doc.get_value(r, "id") == Some(id))
    })?;
    let url = doc.value(entry.full_url?)?;
    Some(format!(
        "A relative `{ty}/{id}` does not resolve against `{}` fullUrls; reference the entry as `{url}`",
        url.split(':').take(2).collect::<Vec<_>>().join(":")
    ))
}
