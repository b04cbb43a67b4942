//! The payload Bundle as the Rust-coded checks read it: the Bundle `MessageHeader.focus` names,
//! its entry resources, its Composition, and which resources the Composition's sections
//! reference. The section view serves a dozen rules per message, so it is worked out once per
//! document.

use super::Context;
use crate::document::{Document, NodeId};
use foldhash::HashSet;

/// The payload Bundle: the entry resource `MessageHeader.focus` resolves to, when it is a Bundle.
pub fn payload(cx: &Context<'_>) -> Option<NodeId> {
    // Asked by several rules per message; resolving the focus costs more than the rest of some.
    *cx.payload.get_or_init(|| find_payload(cx))
}

fn find_payload(cx: &Context<'_>) -> Option<NodeId> {
    let doc = cx.doc;
    let header = crate::fhir::message_header(doc)?;
    let reference = doc.get(header, "focus.reference")?;
    let entry = cx.bundle.resolve(doc, reference, doc.value(reference)?)?;
    cx.bundle.entries[entry]
        .resource
        .filter(|&r| doc.is_resource_type(r, "Bundle"))
}

/// The resources of the payload Bundle's entries, in order.
pub fn payload_resources(doc: &Document, payload: NodeId) -> Vec<NodeId> {
    doc.children_named(payload, "entry")
        .filter_map(|e| doc.child(e, "resource"))
        .collect()
}

/// The payload's Composition (the first one, as the `COMP` alias finds it).
fn composition(doc: &Document, resources: &[NodeId]) -> Option<NodeId> {
    resources
        .iter()
        .copied()
        .find(|&r| doc.is_resource_type(r, "Composition"))
}

/// The payload's entry resources and its Composition; `None` without either, which other rules
/// report. Rules read them from the [`section_view`], which works them out once.
fn payload_composition(cx: &Context<'_>) -> Option<(Vec<NodeId>, NodeId)> {
    let resources = payload_resources(cx.doc, payload(cx)?);
    let comp = composition(cx.doc, &resources)?;
    Some((resources, comp))
}

/// Every entry resource a literal reference under `reference` (a Reference element) can mean.
/// A reference that matches several entries (a duplicate fullUrl) counts for each of them: the
/// duplicate is `full-url-duplicate`'s finding, and calling an entry unreferenced because the
/// reference to it is ambiguous would report the same defect twice.
pub fn targets<'c>(cx: &'c Context<'_>, reference: NodeId) -> impl Iterator<Item = NodeId> + 'c {
    let doc = cx.doc;
    let matches = doc
        .child(reference, "reference")
        .and_then(|node| Some((node, doc.value(node).filter(|v| !v.starts_with('#'))?)))
        .map_or(&[][..], |(node, value)| cx.bundle.matches(doc, node, value));
    matches
        .iter()
        .filter_map(|&i| cx.bundle.entries[i].resource)
}

/// The resources that the Lists among `resources` name in `entry.item`.
pub fn list_items(cx: &Context<'_>, resources: impl Iterator<Item = NodeId>) -> HashSet<NodeId> {
    let doc = cx.doc;
    resources
        .filter(|&r| doc.is_resource_type(r, "List"))
        .flat_map(|list| doc.children_named(list, "entry"))
        .filter_map(|e| doc.child(e, "item"))
        .flat_map(|item| targets(cx, item))
        .collect()
}

/// The sections of a Composition and all their sub-sections.
pub fn sections(doc: &Document, composition: NodeId) -> Vec<NodeId> {
    let mut all = Vec::new();
    let mut todo: Vec<NodeId> = doc.children_named(composition, "section").collect();
    while let Some(s) = todo.pop() {
        all.push(s);
        todo.extend(doc.children_named(s, "section"));
    }
    all
}

/// What every section-reference check starts from.
pub struct SectionView {
    /// The payload's entry resources, in order.
    pub resources: Vec<NodeId>,
    /// The payload's Composition (the first one, as the `COMP` alias finds it).
    pub composition: NodeId,
    /// The payload's entry resources that no `Composition.section.entry` (at any depth)
    /// references, in order: what a dozen rules look through for their own resource type, and
    /// in a valid message none.
    pub unreferenced: Vec<NodeId>,
    /// `(resource, section)` for every resource a section's own `entry` references, in
    /// section order.
    pub section_refs: Vec<(NodeId, NodeId)>,
}

/// The section view of the document `cx` checks; `None` without a payload or a Composition,
/// which other rules report.
pub fn section_view<'c>(cx: &'c Context<'_>) -> Option<&'c SectionView> {
    cx.section_view
        .get_or_init(|| {
            let doc = cx.doc;
            let (resources, comp) = payload_composition(cx)?;
            let mut section_refs = Vec::new();
            for section in sections(doc, comp) {
                for entry in doc.children_named(section, "entry") {
                    section_refs.extend(targets(cx, entry).map(|t| (t, section)));
                }
            }
            let referenced: HashSet<NodeId> = section_refs.iter().map(|&(r, _)| r).collect();
            let unreferenced = resources
                .iter()
                .copied()
                .filter(|r| !referenced.contains(r))
                .collect();
            Some(SectionView {
                resources,
                composition: comp,
                unreferenced,
                section_refs,
            })
        })
        .as_ref()
}
