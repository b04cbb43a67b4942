//! Rust-coded checks of the Task model (GP Connect Messaging 1.0.0-1.2.1): the payload rules
//! that compare one resource of the payload Bundle with another (a DocumentReference with the
//! Task that carries it, two Organizations with each other, the Task's summary line with the
//! Patient it names), which a pack check, seeing one path at a time, cannot say. Names,
//! messages and docs live in `profiles/packs/payload/task.toml` like every other rule.
//!
//! Every check stays silent where another rule owns the problem: no payload Bundle, no Task,
//! an absent Task element, or a reference that does not resolve (`reference-unresolved`).

use super::Context;
use crate::document::{Document, NodeId};
use crate::finding::{Finding, RuleMeta};

const NHS_NUMBER_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhs-number";
const ODS_SYSTEM: &str = "https://fhir.nhs.uk/Id/ods-organization-code";

/// The resources of the payload: the entries of every Bundle an outer entry holds. As in the
/// pack (`profiles/packs/payload/task.toml`), this does not go through `MessageHeader.focus`,
/// so that a focus that does not resolve (reported once, by `reference-unresolved`) does not
/// hide every defect of the payload; and it looks inside an outer entry's `bundle` element,
/// the mis-cased payload Bundle of the published Task-model examples, which the structural
/// pass reports as not a resource.
fn payload_resources(cx: &Context<'_>) -> Vec<NodeId> {
    let doc = cx.doc;
    let mut out = Vec::new();
    for outer in doc
        .children_named(doc.root(), "entry")
        .filter_map(|e| doc.child(e, "resource"))
    {
        let containers = std::iter::once(outer).chain(doc.children_named(outer, "bundle"));
        for container in containers {
            out.extend(
                doc.children_named(container, "entry")
                    .filter_map(|e| doc.child(e, "resource")),
            );
        }
    }
    out
}

/// Payload resources of one type, in order.
fn of_type(doc: &Document, resources: &[NodeId], resource_type: &str) -> Vec<NodeId> {
    resources
        .iter()
        .copied()
        .filter(|&r| doc.is_resource_type(r, resource_type))
        .collect()
}

/// The payload's resources and its (first) Task.
fn payload_task(cx: &Context<'_>) -> Option<(Vec<NodeId>, NodeId)> {
    let resources = payload_resources(cx);
    let task = of_type(cx.doc, &resources, "Task").first().copied()?;
    Some((resources, task))
}

/// The `reference` string node of a Reference element.
fn reference_node(doc: &Document, reference: NodeId) -> Option<NodeId> {
    doc.child(reference, "reference")
        .filter(|&r| doc.value(r).is_some())
}

/// The entry resource a Reference element resolves to (exactly one entry with that fullUrl).
fn target(cx: &Context<'_>, reference: NodeId) -> Option<NodeId> {
    let doc = cx.doc;
    let r = reference_node(doc, reference)?;
    let entry = cx.bundle.resolve(doc, r, doc.value(r)?)?;
    cx.bundle.entries[entry].resource
}

/// The value of the first identifier of `resource` with `system`.
fn identifier<'d>(doc: &'d Document, resource: NodeId, system: &str) -> Option<&'d str> {
    doc.children_named(resource, "identifier")
        .find(|&i| doc.get_value(i, "system") == Some(system))
        .and_then(|i| doc.get_value(i, "value"))
}

/// Exactly one Task in the payload Bundle (GPConnect-Task-1 in 1.1.0+; a plain Task in 1.0.0).
/// A pack path that stops at `ofType(Task)` selects nothing silently, so absence is counted
/// here.
pub fn task_count(meta: &RuleMeta, cx: &Context<'_>, out: &mut Vec<Finding>) {
    let doc = cx.doc;
    let tasks = of_type(doc, &payload_resources(cx), "Task");
    match tasks.as_slice() {
        [] => {
            // Said of the Bundle the focus names; without one, the missing payload is
            // `focus-not-payload-bundle`'s or `reference-unresolved`'s to report.
            let Some(pb) = super::payload::payload(cx) else {
                return;
            };
            out.push(
                meta.finding("the payload Bundle holds no Task")
                    .at_node_name(doc, pb)
                    .label("no Task entry in this Bundle"),
            );
        }
        [_] => {}
        [first, rest @ ..] => {
            // The first Task is named, not labelled: a label on it would print the whole Task.
            for &extra in rest {
                out.push(
                    meta.finding(format!(
                        "the payload Bundle holds {} Tasks; exactly one is expected",
                        tasks.len()
                    ))
                    .at_node_name(doc, extra)
                    .label(format!("another Task besides {}", doc.location(*first))),
                );
            }
        }
    }
}

/// `DocumentReference.subject` references the Patient `Task.for` references (1.2.x GPCM-SD-080).
pub fn task_document_subject_wrong(meta: &RuleMeta, cx: &Context<'_>, out: &mut Vec<Finding>) {
    same_target(meta, cx, out, "subject", "for", "Patient");
}

/// `DocumentReference.author` references the Practitioner `Task.requester.agent` references
/// (1.2.x GPCM-SD-081).
pub fn task_document_author_wrong(meta: &RuleMeta, cx: &Context<'_>, out: &mut Vec<Finding>) {
    same_target(meta, cx, out, "author", "requester.agent", "Practitioner");
}

/// Every DocumentReference of the payload has `element` (a Reference, possibly repeated) and
/// one of its values resolves to the resource the Task's `task_path` resolves to.
fn same_target(
    meta: &RuleMeta,
    cx: &Context<'_>,
    out: &mut Vec<Finding>,
    element: &str,
    task_path: &str,
    what: &str,
) {
    let doc = cx.doc;
    let Some((resources, task)) = payload_task(cx) else {
        return;
    };
    let task_ref = doc.get(task, task_path);
    let task_url = task_ref
        .and_then(|r| reference_node(doc, r))
        .and_then(|r| doc.value(r));
    // Compared only when the Task's reference resolves: an absent or unresolved one is the
    // Task rule's or `reference-unresolved`'s.
    let want = task_ref.and_then(|r| target(cx, r));
    for dr in of_type(doc, &resources, "DocumentReference") {
        let refs: Vec<NodeId> = doc.children_named(dr, element).collect();
        if refs.is_empty() {
            let which = match task_url {
                Some(url) => format!(" (`{url}`)"),
                None => String::new(),
            };
            out.push(
                meta.finding(format!(
                    "the DocumentReference has no `{element}`; it must reference the {what} \
                     `Task.{task_path}` references{which}"
                ))
                .at_node_name(doc, dr)
                .label(format!("no `{element}` here"))
                .absent(dr, element),
            );
            continue;
        }
        let Some(want) = want else {
            continue;
        };
        let targets: Vec<Option<NodeId>> = refs.iter().map(|&r| target(cx, r)).collect();
        if targets.contains(&Some(want)) || targets.iter().all(Option::is_none) {
            // Matches, or nothing resolves (reported by `reference-unresolved`).
            continue;
        }
        let want_url = task_url.unwrap_or("");
        let Some((at, found)) =
            refs.iter()
                .zip(&targets)
                .find(|(_, t)| t.is_some())
                .map(|(&r, _)| {
                    let node = reference_node(doc, r).unwrap_or(r);
                    (node, doc.value(node).unwrap_or(""))
                })
        else {
            continue;
        };
        // The Task's reference is named in the message, not pointed at: the Task is usually
        // far from the DocumentReference, and a second label would print everything between.
        out.push(
            meta.finding(format!(
                "`DocumentReference.{element}` references `{found}`, not the {what} \
                 `Task.{task_path}` references (`{want_url}`)"
            ))
            .at_node(doc, at)
            .label(format!("expected `{want_url}`")),
        );
    }
}

/// Every DocumentReference of the payload is the value of a `Task.input` (GPCM-SD-8/008: each
/// binary document is a Task input of its own).
pub fn task_document_not_input(meta: &RuleMeta, cx: &Context<'_>, out: &mut Vec<Finding>) {
    let doc = cx.doc;
    let Some((resources, task)) = payload_task(cx) else {
        return;
    };
    let mut inputs = Vec::new();
    for input in doc.children_named(task, "input") {
        let Some(value) = doc.child(input, "valueReference") else {
            continue;
        };
        match target(cx, value) {
            Some(t) => inputs.push(t),
            // An input whose reference does not resolve may mean any DocumentReference;
            // `reference-unresolved` reports it, and this check cannot tell which is missing.
            None if reference_node(doc, value).is_some() => return,
            None => {}
        }
    }
    for dr in of_type(doc, &resources, "DocumentReference") {
        if !inputs.contains(&dr) {
            out.push(
                meta.finding(format!(
                    "this DocumentReference is not the value of any `Task.input` of the Task at `{}`",
                    doc.location(task)
                ))
                .at_node_name(doc, dr)
                .label("no Task.input references it"),
            );
        }
    }
}

/// `Task.owner` (the registered practice) and `Task.requester.onBehalfOf` (the federated
/// practice) are two different Organizations (GPCM-SD-28/028).
pub fn task_owner_same_as_sender(meta: &RuleMeta, cx: &Context<'_>, out: &mut Vec<Finding>) {
    let doc = cx.doc;
    let Some((_, task)) = payload_task(cx) else {
        return;
    };
    let (Some(owner), Some(sender)) = (
        doc.child(task, "owner"),
        doc.get(task, "requester.onBehalfOf"),
    ) else {
        return;
    };
    let (Some(owner_org), Some(sender_org)) = (target(cx, owner), target(cx, sender)) else {
        return;
    };
    let is_org = |r: NodeId| doc.is_resource_type(r, "Organization");
    if !is_org(owner_org) || !is_org(sender_org) {
        return; // the wrong kind of target is `task-owner-wrong`'s / `task-requester-on-behalf-of-wrong`'s
    }
    let message = if owner_org == sender_org {
        "`Task.owner` and `Task.requester.onBehalfOf` reference the same Organization".to_string()
    } else {
        match (
            identifier(doc, owner_org, ODS_SYSTEM),
            identifier(doc, sender_org, ODS_SYSTEM),
        ) {
            (Some(a), Some(b)) if a.eq_ignore_ascii_case(b) => format!(
                "`Task.owner` and `Task.requester.onBehalfOf` are Organizations with the same ODS code `{a}`"
            ),
            _ => return,
        }
    };
    let at = reference_node(doc, owner).unwrap_or(owner);
    let mut f = meta
        .finding(message)
        .at_node(doc, at)
        .label("the registered practice");
    if let Some(r) = reference_node(doc, sender) {
        f = f.related(doc.node(r).value_span, "the sending (federated) practice");
    }
    out.push(f);
}

/// The NHS Number and ODS Code written in `Task.description` are those of the Patient
/// `Task.for` references and of the Organization `Task.requester.onBehalfOf` references
/// (GPCM-SD-18/018: the summary line names this patient, seen at this practice). Whether the
/// line has the pattern at all is `task-description-format`'s.
pub fn task_description_inconsistent(meta: &RuleMeta, cx: &Context<'_>, out: &mut Vec<Finding>) {
    let doc = cx.doc;
    let Some((_, task)) = payload_task(cx) else {
        return;
    };
    let Some(description) = doc.child(task, "description") else {
        return;
    };
    let Some(text) = doc.value(description) else {
        return;
    };
    let mut mismatch = |field: &str, written: String, actual: &str, source: &str| {
        out.push(
            meta.finding(format!(
                "`Task.description` gives {field} `{written}`, but {source} has `{actual}`"
            ))
            .at_node(doc, description)
            .label(format!("expected {field} `{actual}`")),
        );
    };
    let patient = doc.child(task, "for").and_then(|r| target(cx, r));
    let written_nhs = field_after(text, "NHS Number ").map(|s| s.replace(' ', ""));
    let actual_nhs = patient
        .filter(|&p| doc.is_resource_type(p, "Patient"))
        .and_then(|p| identifier(doc, p, NHS_NUMBER_SYSTEM));
    if let (Some(written), Some(actual)) = (written_nhs, actual_nhs) {
        // Spaces are layout, not digits (`999 456 7896`); whether the Patient's value may
        // have them is `cc-patient-nhs-number-invalid`'s question.
        if written != actual.replace(' ', "") {
            mismatch(
                "NHS Number",
                written,
                actual,
                "the Patient `Task.for` references",
            );
        }
    }
    let sender = doc
        .get(task, "requester.onBehalfOf")
        .and_then(|r| target(cx, r));
    let written_ods = field_after(text, "ODS Code ").map(str::to_string);
    let actual_ods = sender
        .filter(|&o| doc.is_resource_type(o, "Organization"))
        .and_then(|o| identifier(doc, o, ODS_SYSTEM));
    if let (Some(written), Some(actual)) = (written_ods, actual_ods) {
        if !written.eq_ignore_ascii_case(actual) {
            mismatch(
                "ODS Code",
                written,
                actual,
                "the Organization `Task.requester.onBehalfOf` references",
            );
        }
    }
}

/// The text after `label` up to the next comma (or the end), trimmed; `None` when the label is
/// absent or nothing follows it.
fn field_after<'t>(text: &'t str, label: &str) -> Option<&'t str> {
    let start = text.find(label)? + label.len();
    let rest = &text[start..];
    let value = rest.split(',').next().unwrap_or("").trim();
    (!value.is_empty()).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::field_after;

    #[test]
    fn fields_of_the_summary_line() {
        let line = "Federated consultation report for Ann Example , NHS Number 999 456 7896, \
                    seen at Some Practice, ODS Code A23456, Version 2";
        assert_eq!(field_after(line, "NHS Number "), Some("999 456 7896"));
        assert_eq!(field_after(line, "ODS Code "), Some("A23456"));
        assert_eq!(field_after(line, "Version "), Some("2"));
        assert_eq!(field_after("…, ODS Code ", "ODS Code "), None);
        assert_eq!(field_after("no fields", "NHS Number "), None);
    }
}
