//! Rust-coded checks of the clinical payload pack (`profiles/packs/payload/clinical.toml`): the
//! ones that need a reverse look-up (is this resource referenced from a Composition section, or
//! from a List?), "at least one of" over references, or a walk of nested questionnaire items.

use super::payload::{list_items, payload, payload_resources, section_view, targets};
use super::Context;
use crate::document::{Document, NodeId};
use crate::finding::{Finding, RuleMeta};
use crate::profile::select::resolve_node;

/// Which resource type each `<resource>-not-in-section` rule looks after.
const SECTION_RULES: &[(&str, &str)] = &[
    ("list-not-in-section", "List"),
    ("observation-not-in-section", "Observation"),
    ("questionnaire-not-in-section", "Questionnaire"),
    (
        "questionnaire-response-not-in-section",
        "QuestionnaireResponse",
    ),
    ("referral-not-in-section", "ReferralRequest"),
    ("document-reference-not-in-section", "DocumentReference"),
    ("allergy-not-in-section", "AllergyIntolerance"),
    ("family-history-not-in-section", "FamilyMemberHistory"),
    ("clinical-task-not-in-section", "Task"),
    ("consent-not-in-section", "Consent"),
    ("location-not-in-section", "Location"),
];

fn of_type<'a>(
    doc: &'a Document,
    resources: &'a [NodeId],
    ty: &'a str,
) -> impl Iterator<Item = NodeId> + 'a {
    resources
        .iter()
        .copied()
        .filter(move |&r| doc.is_resource_type(r, ty))
}

/// GPCM-SD-007…017 (and SU-007…017): every resource of the rule's type in the document is
/// referenced from a `Composition.section.entry`, so that the receiver finds it from the
/// document's table of contents.
pub fn not_in_section(meta: &RuleMeta, cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(&(_, ty)) = SECTION_RULES.iter().find(|(n, _)| *n == meta.name.as_ref()) else {
        return;
    };
    let doc = cx.doc;
    // Without a payload Composition there are no sections to look in; that is another rule's
    // finding.
    let Some(view) = section_view(cx) else {
        return;
    };
    for r in of_type(doc, &view.unreferenced, ty) {
        out.push(
            meta.finding(format!(
                "this {ty} is not referenced from any `Composition.section.entry`"
            ))
            .at_node_name(doc, r)
            .label("not in any section"),
        );
    }
}

const SNOMED: &str = "http://snomed.info/sct";
const MISCELLANEOUS_RECORD: &str = "826501000000100";

/// GPCM-SD-OC-044 / GE-044 / SU-xx-044: a List of Observations is coded SNOMED CT
/// `826501000000100` (Miscellaneous record). Lists of other resources (GPCM-SD-026 groups
/// repeated resources in Lists too) have no code fixed, so only Lists with an Observation item
/// are checked: data cannot scope a rule by what a reference points at.
pub fn list_code(meta: &RuleMeta, cx: &Context<'_>, out: &mut Vec<Finding>) {
    let doc = cx.doc;
    let Some(bundle) = payload(cx) else { return };
    let resources = payload_resources(doc, bundle);
    for list in of_type(doc, &resources, "List") {
        let holds_observation = doc
            .children_named(list, "entry")
            .filter_map(|e| doc.child(e, "item"))
            .flat_map(|item| targets(cx, item))
            .any(|t| doc.is_resource_type(t, "Observation"));
        if !holds_observation {
            continue;
        }
        let snomed: Vec<NodeId> = doc
            .children_named(list, "code")
            .flat_map(|c| doc.children_named(c, "coding"))
            .filter(|c| doc.get_value(*c, "system") == Some(SNOMED))
            .collect();
        let codes: Vec<NodeId> = snomed
            .iter()
            .filter_map(|&c| doc.child(c, "code"))
            .collect();
        if codes.is_empty() {
            let at = doc.child(list, "code").unwrap_or(list);
            out.push(
                meta.finding(format!(
                    "this List of Observations has no SNOMED CT code, expected `{MISCELLANEOUS_RECORD}`"
                ))
                .at_node_name(doc, at)
                .label(format!("expected `{MISCELLANEOUS_RECORD}` in here")),
            );
        }
        for code in codes {
            let found = doc.value(code).unwrap_or("");
            if found != MISCELLANEOUS_RECORD {
                out.push(
                    meta.finding(format!(
                        "`List.code` is `{found}`, expected `{MISCELLANEOUS_RECORD}`"
                    ))
                    .at_node(doc, code)
                    .label(format!("expected `{MISCELLANEOUS_RECORD}`")),
                );
            }
        }
    }
}

/// GPCM-SD-OC-040 / GE-040 / SU-xx-040: when Observations are sent, a List is sent too. Reported
/// once, at the first Observation; which Observations the List leaves out is
/// `list-observation-not-listed`'s finding.
pub fn list_missing(meta: &RuleMeta, cx: &Context<'_>, out: &mut Vec<Finding>) {
    let doc = cx.doc;
    let Some(bundle) = payload(cx) else { return };
    let resources = payload_resources(doc, bundle);
    if of_type(doc, &resources, "List").next().is_some() {
        return;
    }
    let observations: Vec<NodeId> = of_type(doc, &resources, "Observation").collect();
    if let Some(&first) = observations.first() {
        out.push(
            meta.finding(format!(
                "the document carries {} Observation(s) but no List of them",
                observations.len()
            ))
            .at_node_name(doc, first)
            .label("no List references this Observation"),
        );
    }
}

/// GPCM-SD-OC-046 / GE-046 / SU-xx-046: every Observation is an `entry.item` of a List. Silent
/// when there is no List at all (`list-missing-for-observations` reports that once).
pub fn not_listed(meta: &RuleMeta, cx: &Context<'_>, out: &mut Vec<Finding>) {
    let doc = cx.doc;
    let Some(bundle) = payload(cx) else { return };
    let resources = payload_resources(doc, bundle);
    let lists: Vec<NodeId> = of_type(doc, &resources, "List").collect();
    if lists.is_empty() {
        return;
    }
    let listed = list_items(cx, lists.iter().copied());
    for obs in of_type(doc, &resources, "Observation").filter(|o| !listed.contains(o)) {
        out.push(
            meta.finding("this Observation is not an `entry.item` of any List")
                .at_node_name(doc, obs)
                .label("not listed"),
        );
    }
}

/// GPCM-SD-OC-052 / GE-052 / SU-xx-052: at least one `Observation.performer` is the Patient
/// (other performers may be named beside it).
pub fn performer_not_patient(meta: &RuleMeta, cx: &Context<'_>, out: &mut Vec<Finding>) {
    let doc = cx.doc;
    let Some(bundle) = payload(cx) else { return };
    let resources = payload_resources(doc, bundle);
    for obs in of_type(doc, &resources, "Observation") {
        let performers: Vec<NodeId> = doc.children_named(obs, "performer").collect();
        let targets: Vec<Option<NodeId>> = performers
            .iter()
            .map(|&p| resolve_node(cx, doc, p))
            .collect();
        if targets
            .iter()
            .any(|t| t.is_some_and(|t| doc.is_resource_type(t, "Patient")))
        {
            continue;
        }
        // An unresolvable performer may be the Patient; `reference-unresolved` reports it.
        if targets.iter().any(Option::is_none) {
            continue;
        }
        let f = match performers.first() {
            None => meta
                .finding(
                    "`Observation.performer` is missing: it names the Patient who entered the data",
                )
                .at_node_name(doc, obs)
                .label("no `performer` here")
                .absent(obs, "performer"),
            Some(&p) => meta
                .finding("no `Observation.performer` is the Patient")
                .at_node(doc, doc.child(p, "reference").unwrap_or(p))
                .label("not a Patient"),
        };
        out.push(f);
    }
}

/// Every item of a QuestionnaireResponse at any depth: `item`, `item.item` and
/// `item.answer.item`, in document order.
fn response_items(doc: &Document, parent: NodeId, out: &mut Vec<NodeId>) {
    for item in doc.children_named(parent, "item") {
        out.push(item);
        response_items(doc, item, out);
        for answer in doc.children_named(item, "answer") {
            response_items(doc, answer, out);
        }
    }
}

fn questionnaire_response_items(cx: &Context<'_>) -> Vec<NodeId> {
    let doc = cx.doc;
    let mut items = Vec::new();
    if let Some(bundle) = payload(cx) {
        let resources = payload_resources(doc, bundle);
        for qr in of_type(doc, &resources, "QuestionnaireResponse") {
            response_items(doc, qr, &mut items);
        }
    }
    items
}

fn has_content(doc: &Document, node: Option<NodeId>) -> bool {
    node.is_some_and(|n| {
        doc.value(n).is_some_and(|v| !v.is_empty()) || doc.children(n).next().is_some()
    })
}

/// GPCM-SD-OC-067 / GE-067 / SU-xx-067: every item, at any depth, has a `linkId`.
pub fn qr_link_id(meta: &RuleMeta, cx: &Context<'_>, out: &mut Vec<Finding>) {
    let doc = cx.doc;
    for item in questionnaire_response_items(cx) {
        if !has_content(doc, doc.child(item, "linkId")) {
            out.push(
                meta.finding("a QuestionnaireResponse item has no `linkId`")
                    .at_node_name(doc, item)
                    .label("no `linkId` here")
                    .absent(item, "linkId"),
            );
        }
    }
}

/// GPCM-SD-OC-068 / GE-068 / SU-xx-068: an answered item carries the question in `text`.
pub fn qr_text(meta: &RuleMeta, cx: &Context<'_>, out: &mut Vec<Finding>) {
    let doc = cx.doc;
    for item in questionnaire_response_items(cx) {
        if doc.child(item, "answer").is_some() && !has_content(doc, doc.child(item, "text")) {
            let link = doc.get_value(item, "linkId").unwrap_or("?");
            out.push(
                meta.finding(format!(
                    "answered item `{link}` has no `text` (the question asked)"
                ))
                .at_node_name(doc, item)
                .label("no `text` here")
                .absent(item, "text"),
            );
        }
    }
}

/// GPCM-SD-OC-069 / GE-069 / SU-xx-069: every `item.answer` carries the answer in `value[x]`.
pub fn qr_answer_value(meta: &RuleMeta, cx: &Context<'_>, out: &mut Vec<Finding>) {
    let doc = cx.doc;
    for item in questionnaire_response_items(cx) {
        for answer in doc.children_named(item, "answer") {
            let has_value = doc
                .children(answer)
                .any(|c| doc.name(c).starts_with("value") && has_content(doc, Some(c)));
            if !has_value {
                let link = doc.get_value(item, "linkId").unwrap_or("?");
                out.push(
                    meta.finding(format!("an answer to item `{link}` has no `value[x]`"))
                        .at_node_name(doc, answer)
                        .label("no `value[x]` here"),
                );
            }
        }
    }
}
