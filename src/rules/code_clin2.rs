//! Rust-coded checks of the Generic / Send Update medication rules
//! (`profiles/packs/payload/medication.toml`): the two that follow a reference and test the
//! target's `intent`, and the one that compares a quantity's number with its text. Their names,
//! messages and docs live in the pack (`check = { kind = "code" }`); `CODE_CHECKS` in
//! [`super::code`] binds them here.

use super::Context;
use crate::document::NodeId;
use crate::finding::{Finding, RuleMeta};
use crate::profile::select::{resolve_node, Path};
use std::collections::HashMap;
use std::sync::OnceLock;

const QUANTITY_TEXT: &str =
    "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-MedicationQuantityText-1";

/// The payload resources of one type: `PB.entry.resource.ofType(<type>)`, spelt out because a
/// code check has no aliases.
fn payload_resources(cx: &Context<'_>, resource_type: &str) -> Vec<NodeId> {
    static PATHS: OnceLock<HashMap<&'static str, Path>> = OnceLock::new();
    let paths = PATHS.get_or_init(|| {
        ["MedicationRequest", "MedicationStatement"]
            .into_iter()
            .map(|ty| {
                let text = format!(
                    "Bundle.entry.resource.ofType(MessageHeader).first().focus.resolve().entry.resource.ofType({ty})"
                );
                let path = Path::parse(&text, &HashMap::new()).expect("a well-formed built-in path");
                (ty, path)
            })
            .collect()
    });
    paths
        .get(resource_type)
        .map(|p| p.eval(cx).nodes.to_vec())
        .unwrap_or_default()
}

/// Reports each `basedOn` of `resource` that resolves to something other than a
/// MedicationRequest with intent `plan`. Unresolved references are `reference-unresolved`'s.
fn based_on_plan(meta: &RuleMeta, cx: &Context<'_>, resource: NodeId, out: &mut Vec<Finding>) {
    let doc = cx.doc;
    for based_on in doc.children_named(resource, "basedOn") {
        let Some(target) = resolve_node(cx, doc, based_on) else {
            continue;
        };
        let found = match doc.resource_type(target) {
            Some("MedicationRequest") => match doc.get_value(target, "intent") {
                Some("plan") => continue,
                Some(intent) => format!("a MedicationRequest with intent `{intent}`"),
                None => "a MedicationRequest without an intent".to_string(),
            },
            Some(other) => format!("a `{other}`"),
            None => "something that is not a resource".to_string(),
        };
        let at = doc.child(based_on, "reference").unwrap_or(based_on);
        out.push(
            meta.finding(format!(
                "`basedOn` points at {found}, expected a MedicationRequest with intent `plan`"
            ))
            .at_node(doc, at)
            .label(format!("resolves to {found}")),
        );
    }
}

/// An issue (MedicationRequest with intent `order`) is based on its authorisation (`plan`).
pub fn order_based_on_not_plan(meta: &RuleMeta, cx: &Context<'_>, out: &mut Vec<Finding>) {
    for request in payload_resources(cx, "MedicationRequest") {
        if cx.doc.get_value(request, "intent") == Some("order") {
            based_on_plan(meta, cx, request, out);
        }
    }
}

/// A MedicationStatement is based on an authorisation (MedicationRequest with intent `plan`).
pub fn statement_based_on_not_plan(meta: &RuleMeta, cx: &Context<'_>, out: &mut Vec<Finding>) {
    for statement in payload_resources(cx, "MedicationStatement") {
        based_on_plan(meta, cx, statement, out);
    }
}

/// A dispense quantity with a numeric `value` whose quantityText also starts with a digit: the
/// text then states a second quantity instead of the units.
pub fn quantity_text_duplicates_value(meta: &RuleMeta, cx: &Context<'_>, out: &mut Vec<Finding>) {
    let doc = cx.doc;
    for request in payload_resources(cx, "MedicationRequest") {
        let Some(quantity) = doc.get(request, "dispenseRequest.quantity") else {
            continue;
        };
        let Some(value) = doc.get_value(quantity, "value") else {
            continue;
        };
        let texts = doc
            .children_named(quantity, "extension")
            .filter(|&e| doc.get_value(e, "url") == Some(QUANTITY_TEXT))
            .filter_map(|e| doc.child(e, "valueString"));
        for text_node in texts {
            let text = doc.value(text_node).unwrap_or("");
            if text.trim_start().starts_with(|c: char| c.is_ascii_digit()) {
                out.push(
                    meta.finding(format!(
                        "the quantityText `{text}` reads as a quantity although the quantity has the numeric value `{value}`"
                    ))
                    .at_node(doc, text_node)
                    .label("a second quantity; expected units"),
                );
            }
        }
    }
}
