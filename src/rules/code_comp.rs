//! Rust-coded checks of the Composition-model payload (the document Bundle, its Composition and
//! sections, attachments) for what the pack's check kinds cannot say: which entries nothing in
//! the Composition references, values compared across the two Bundles, per-release tables of
//! allowed resource types, and the size of the whole message. Their rules (names, messages,
//! docs, requirement IDs) are in `profiles/packs/payload/composition.toml`; each function here is
//! bound to its rule by name in [`super::code::CODE_CHECKS`].

use super::payload::{list_items, payload, payload_resources, section_view, SectionView};
use super::Context;
use crate::document::{Document, NodeId};
use crate::finding::{Finding, RuleMeta};
use foldhash::HashSet;

/// Resources of `resource_type` in the payload that no section entry references.
fn unreferenced(cx: &Context<'_>, view: &SectionView, resource_type: &str) -> Vec<NodeId> {
    view.unreferenced
        .iter()
        .copied()
        .filter(|&r| cx.doc.is_resource_type(r, resource_type))
        .collect()
}

/// A finding at a resource, naming it by type and id.
fn at_resource(meta: &RuleMeta, doc: &Document, resource: NodeId, message: String) -> Finding {
    meta.finding(message).at_node_name(doc, resource)
}

fn describe(doc: &Document, resource: NodeId) -> String {
    let ty = doc.resource_type(resource).unwrap_or("resource");
    match doc.get_value(resource, "id") {
        Some(id) => format!("{ty} `{id}`"),
        None => format!("this {ty}"),
    }
}

/// Every Binary of the document Bundle is referenced from a Composition section.
pub fn binary_section_missing(meta: &RuleMeta, cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(view) = section_view(cx) else {
        return;
    };
    for binary in unreferenced(cx, view, "Binary") {
        out.push(
            at_resource(
                meta,
                cx.doc,
                binary,
                format!(
                    "{} is not referenced from any Composition section",
                    describe(cx.doc, binary)
                ),
            )
            .label("no `section.entry` references this attachment"),
        );
    }
}

/// The resource type each `section-entry-missing-*` rule is about: the Generic / Send Update
/// types (GPCM-SD-018…024, 078). The types of GPCM-SD-008…017 have their rules in the clinical
/// pack (`*-not-in-section`).
const SECTION_ENTRY_TYPES: &[(&str, &str)] = &[
    ("section-entry-missing-medication", "Medication"),
    (
        "section-entry-missing-medication-request",
        "MedicationRequest",
    ),
    (
        "section-entry-missing-medication-statement",
        "MedicationStatement",
    ),
    ("section-entry-missing-immunization", "Immunization"),
    ("section-entry-missing-condition", "Condition"),
    (
        "section-entry-missing-procedure-request",
        "ProcedureRequest",
    ),
    (
        "section-entry-missing-diagnostic-report",
        "DiagnosticReport",
    ),
    ("section-entry-missing-specimen", "Specimen"),
];

/// Each resource of the rule's type is referenced from a Composition section. One function for
/// every `section-entry-missing-*` rule: each release numbers the requirement per resource
/// type, so each type is a rule of its own, and the rule's name says which type it checks.
pub fn section_entry_missing(meta: &RuleMeta, cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(&(_, resource_type)) = SECTION_ENTRY_TYPES
        .iter()
        .find(|(name, _)| *name == &*meta.name)
    else {
        return;
    };
    let Some(view) = section_view(cx) else {
        return;
    };
    for resource in unreferenced(cx, view, resource_type) {
        out.push(
            at_resource(
                meta,
                cx.doc,
                resource,
                format!(
                    "{} is not referenced from any Composition section",
                    describe(cx.doc, resource)
                ),
            )
            .label("no `section.entry` references this resource"),
        );
    }
}

/// Each Observation is an item of some List (whether the List is in a section is
/// `list-not-in-section`'s concern).
pub fn section_observation_list_missing(meta: &RuleMeta, cx: &Context<'_>, out: &mut Vec<Finding>) {
    let doc = cx.doc;
    let Some(view) = section_view(cx) else {
        return;
    };
    let listed = list_items(cx, view.resources.iter().copied());
    for observation in view
        .resources
        .iter()
        .copied()
        .filter(|&r| doc.is_resource_type(r, "Observation"))
        .filter(|o| !listed.contains(o))
    {
        out.push(
            at_resource(
                meta,
                doc,
                observation,
                format!("{} is not an item of any List", describe(doc, observation)),
            )
            .label("not in a listed set of observations"),
        );
    }
}

/// Types the "group repeated resources in a List" rule leaves alone: the document's frame (one
/// each, or attachments with sections of their own), the List itself, and Observations, whose
/// Lists have rules of their own.
const NOT_GROUPED: &[&str] = &[
    "Composition",
    "Binary",
    "List",
    "Patient",
    "Organization",
    "Practitioner",
    "RelatedPerson",
    "Device",
    "Encounter",
    "Location",
    "Observation",
];

/// Section-referenced resources of a clinical type that occurs more than once are grouped:
/// items of a List a section references, or all entries of one section.
pub fn section_list_missing(meta: &RuleMeta, cx: &Context<'_>, out: &mut Vec<Finding>) {
    let doc = cx.doc;
    let Some(view) = section_view(cx) else {
        return;
    };
    // Which sections reference each resource directly, as pairs and as the set of resources;
    // sets keep the rule linear in a payload of thousands of resources.
    // Built when a type that must be grouped turns up: most payloads have none.
    let (resources, sections_of) = (&view.resources, &view.section_refs);
    let sets = std::cell::OnceCell::new();
    let sets = || {
        sets.get_or_init(|| {
            let pairs: HashSet<(NodeId, NodeId)> = sections_of.iter().copied().collect();
            let referenced: HashSet<NodeId> = sections_of.iter().map(|&(r, _)| r).collect();
            let listed = list_items(cx, sections_of.iter().map(|&(r, _)| r));
            (pairs, referenced, listed)
        })
    };
    let mut seen_types: Vec<&str> = Vec::new();
    for &resource in resources {
        let Some(ty) = doc
            .resource_type(resource)
            .filter(|t| !NOT_GROUPED.contains(t))
        else {
            continue;
        };
        if seen_types.contains(&ty) {
            continue;
        }
        seen_types.push(ty);
        // The resources of this type that sections reference but no listed List holds.
        let (pairs, referenced, listed) = sets();
        let loose: Vec<NodeId> = resources
            .iter()
            .copied()
            .filter(|&r| doc.is_resource_type(r, ty))
            .filter(|r| !listed.contains(r) && referenced.contains(r))
            .collect();
        if loose.len() < 2 {
            continue;
        }
        // One section referencing them all groups them; only a section that references the
        // first can.
        let grouped = sections_of
            .iter()
            .filter(|&&(r, _)| r == loose[0])
            .any(|&(_, s)| loose.iter().all(|&r| pairs.contains(&(r, s))));
        if grouped {
            continue;
        }
        let count = loose.len();
        for r in loose {
            out.push(
                at_resource(
                    meta,
                    doc,
                    r,
                    format!(
                        "{} is one of {count} {ty} resources in separate sections, not grouped in a List",
                        describe(doc, r)
                    ),
                )
                .label(format!("one of {count} `{ty}` resources, not grouped")),
            );
        }
    }
}

/// `Composition.encounter` is present when the payload holds an Encounter (for Send Update,
/// whose payload makes the Encounter mandatory, always).
pub fn composition_encounter_missing(meta: &RuleMeta, cx: &Context<'_>, out: &mut Vec<Finding>) {
    let doc = cx.doc;
    let Some(SectionView {
        resources,
        composition: comp,
        ..
    }) = section_view(cx)
    else {
        return;
    };
    let comp = *comp;
    if doc.child(comp, "encounter").is_some() {
        return;
    }
    let encounter = resources
        .iter()
        .copied()
        .find(|&r| doc.is_resource_type(r, "Encounter"));
    let message = match encounter {
        Some(e) => format!(
            "the payload carries {} but `Composition.encounter` does not reference it",
            describe(doc, e)
        ),
        None if cx.spec.use_case == "su" => {
            "a Send Update Composition has no `encounter`; its payload requires a CareConnect-Encounter-1".to_string()
        }
        None => return,
    };
    out.push(
        meta.finding(message)
            .at_node_name(doc, comp)
            .label("no `encounter` here"),
    );
}

/// Whether `resource` is a resource of a concrete STU3 type: content that is not (a misspelt or
/// missing resource type) is the structural rules' finding, and judging it here would report
/// one defect twice.
fn is_resource(doc: &Document, resource: NodeId) -> bool {
    doc.resource_type(resource)
        .is_some_and(|t| crate::fhir::defs::stu3().is_concrete_resource_type(t))
}

/// `Composition.encounter`, when present, resolves to an Encounter. (A data `resolves-to` would
/// also report targets that are no valid resource, which the structural rules report.)
pub fn composition_encounter_wrong(meta: &RuleMeta, cx: &Context<'_>, out: &mut Vec<Finding>) {
    let doc = cx.doc;
    let Some(comp) = section_view(cx).map(|view| view.composition) else {
        return;
    };
    let Some(encounter) = doc.child(comp, "encounter") else {
        return;
    };
    let Some(reference) = doc.child(encounter, "reference") else {
        return;
    };
    let Some(target) = doc
        .value(reference)
        .and_then(|v| cx.bundle.resolve(doc, reference, v))
        .and_then(|i| cx.bundle.entries[i].resource)
        .filter(|&r| is_resource(doc, r))
    else {
        return;
    };
    let ty = doc.resource_type(target).unwrap_or("");
    if ty != "Encounter" {
        out.push(
            meta.finding(format!(
                "`Composition.encounter` points at a `{ty}`, expected an `Encounter`"
            ))
            .at_node(doc, reference)
            .label(format!("points at a `{ty}`")),
        );
    }
}

/// Every resource of the message and of its document Bundle has an `id`.
pub fn document_bundle_resource_id_missing(
    meta: &RuleMeta,
    cx: &Context<'_>,
    out: &mut Vec<Finding>,
) {
    let doc = cx.doc;
    let mut resources: Vec<NodeId> = doc
        .children_named(doc.root(), "entry")
        .filter_map(|e| doc.child(e, "resource"))
        .collect();
    if let Some(payload) = payload(cx) {
        resources.extend(payload_resources(doc, payload));
    }
    for resource in resources {
        if is_resource(doc, resource) && doc.child(resource, "id").is_none() {
            let ty = doc.resource_type(resource).unwrap_or("resource");
            out.push(
                meta.finding(format!("this {ty} has no `id`"))
                    .at_node_name(doc, resource)
                    .label("no `id` here")
                    .absent(resource, "id"),
            );
        }
    }
}

/// The document Bundle's identifier is not the message Bundle's.
pub fn document_bundle_identifier_reused(
    meta: &RuleMeta,
    cx: &Context<'_>,
    out: &mut Vec<Finding>,
) {
    let doc = cx.doc;
    let Some(payload) = payload(cx) else {
        return;
    };
    let (Some(outer), Some(inner)) = (
        doc.get(doc.root(), "identifier.value"),
        doc.get(payload, "identifier.value"),
    ) else {
        return;
    };
    let value = doc.value(inner).unwrap_or("");
    if !value.is_empty() && doc.value(outer) == Some(value) {
        out.push(
            meta.finding(format!(
                "the document Bundle's identifier `{value}` is the message Bundle's identifier"
            ))
            .at_node(doc, inner)
            .label("same value as the message Bundle's identifier")
            .related(
                doc.node(outer).value_span,
                "the message Bundle's identifier",
            ),
        );
    }
}

/// Resource types a 1.3.0 payload defines (its MessageDefinition's assets).
const PAYLOAD_1_3: &[&str] = &[
    "Composition",
    "Binary",
    "Patient",
    "Organization",
    "Practitioner",
];

/// Resource types 1.4.0 adds (the OC payload table and the section-content rules).
const PAYLOAD_1_4: &[&str] = &[
    "Encounter",
    "List",
    "Observation",
    "Questionnaire",
    "QuestionnaireResponse",
    "ReferralRequest",
    "DocumentReference",
    "AllergyIntolerance",
    "FamilyMemberHistory",
    "Task",
    "Consent",
    "Location",
    "RelatedPerson",
    "Device",
];

/// Resource types 1.5.0 adds (the Generic payload table and the core section-content rules).
const PAYLOAD_1_5: &[&str] = &[
    "Medication",
    "MedicationRequest",
    "MedicationStatement",
    "Immunization",
    "Condition",
    "ProcedureRequest",
    "DiagnosticReport",
    "Specimen",
];

/// Each payload resource is of a type the release's payload defines.
pub fn document_bundle_resource_not_allowed(
    meta: &RuleMeta,
    cx: &Context<'_>,
    out: &mut Vec<Finding>,
) {
    let doc = cx.doc;
    let Some(payload) = payload(cx) else {
        return;
    };
    let version = cx.spec.version.as_str();
    let tables: &[&[&str]] = match version {
        "1.3.0" => &[PAYLOAD_1_3],
        "1.4.0" => &[PAYLOAD_1_3, PAYLOAD_1_4],
        _ => &[PAYLOAD_1_3, PAYLOAD_1_4, PAYLOAD_1_5],
    };
    for resource in payload_resources(doc, payload) {
        let Some(ty) = doc
            .resource_type(resource)
            .filter(|_| is_resource(doc, resource))
        else {
            continue;
        };
        if !tables.iter().any(|t| t.contains(&ty)) {
            out.push(
                at_resource(
                    meta,
                    doc,
                    resource,
                    format!("a {version} document Bundle does not define `{ty}` content"),
                )
                .label(format!("`{ty}` is not part of the {version} payload")),
            );
        }
    }
}

/// ITK3's recommended largest message (2.9.0 on; response code 20015).
const MESSAGE_LIMIT: usize = 5 * 1024 * 1024;

/// The message is no larger than ITK3's recommended 5 MB.
pub fn attachment_message_too_large(meta: &RuleMeta, cx: &Context<'_>, out: &mut Vec<Finding>) {
    let doc = cx.doc;
    let size = doc.source.text.len();
    if size > MESSAGE_LIMIT {
        out.push(
            meta.finding(format!(
                "the message is {size} bytes, over ITK3's recommended limit of {MESSAGE_LIMIT} bytes (5 MB)"
            ))
            .at_node_name(doc, doc.root())
            .label(format!("{:.1} MB message", size as f64 / (1024.0 * 1024.0))),
        );
    }
}
