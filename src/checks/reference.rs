//! `profile-declared`, `resolves-to` and `resource-type`: checks about which resource a node is
//! or points at.

use super::{Check, RuleRun};
use crate::document::{Document, NodeId};
use crate::finding::Finding;
use crate::profile::select::{resolve_node, Selection};

/// Whether a resource lists `profile` in `meta.profile` (a `/_history/…` suffix is accepted:
/// 1.0-1.2.0 link profiles with it).
pub fn declares(doc: &Document, resource: NodeId, profile: &str) -> bool {
    doc.get(resource, "meta").is_some_and(|meta| {
        doc.children_named(meta, "profile").any(|p| {
            doc.value(p)
                .is_some_and(|v| v == profile || v.split("/_history/").next() == Some(profile))
        })
    })
}

pub fn run(check: &Check, rule: &RuleRun<'_>, sel: &Selection, out: &mut Vec<Finding>) {
    let doc = rule.cx.doc;
    match check {
        Check::ProfileDeclared { profile, optional } => {
            if sel.nodes.is_empty() && !optional {
                out.push(rule.missing(sel, Some(profile)));
            }
            for &r in &sel.nodes {
                if !declares(doc, r, profile) {
                    let found = doc.resource_type(r).unwrap_or("resource");
                    out.push(
                        rule.finding_at(r, &[("found", found), ("expected", profile)], None)
                            .at_node_name(doc, r)
                            .label(format!("no `meta.profile` of `{profile}`")),
                    );
                }
            }
        }
        Check::ResolvesTo {
            types,
            profile,
            optional,
        } => {
            let expected = types.join("` or `");
            if sel.nodes.is_empty() && !optional {
                out.push(rule.missing(sel, Some(&expected)));
            }
            for &reference in &sel.nodes {
                let target = resolve_node(rule.cx, doc, reference);
                let concrete = |t| {
                    let ty = doc.resource_type(t).unwrap_or("");
                    crate::fhir::defs::stu3().is_concrete_resource_type(ty)
                };
                let problem = match target {
                    // Unresolvable references are `reference-unresolved`'s to report, and a
                    // resource of no STU3 type (a misspelt `resourceType`) the structural pass's.
                    None => None,
                    Some(t) if !concrete(t) => None,
                    Some(t) => {
                        let ty = doc.resource_type(t).unwrap_or("");
                        if !types.iter().any(|x| x == ty) {
                            Some((format!("points at a `{ty}`"), format!("points at a `{ty}`")))
                        } else {
                            profile.as_ref().filter(|p| !declares(doc, t, p)).map(|p| {
                                (
                                    format!("points at a `{ty}` that does not declare `{p}`"),
                                    format!("the `{ty}` does not declare `{p}`"),
                                )
                            })
                        }
                    }
                };
                if let Some((found, label)) = problem {
                    let at = doc.child(reference, "reference").unwrap_or(reference);
                    out.push(rule.finding_at(
                        at,
                        &[("found", &found), ("expected", &expected)],
                        Some(label),
                    ));
                }
            }
        }
        Check::ResourceType { resource_type } => {
            if sel.nodes.is_empty() {
                out.push(rule.missing(sel, Some(resource_type)));
            }
            for &n in &sel.nodes {
                let found = doc.resource_type(n).unwrap_or("no resource");
                if found != resource_type {
                    out.push(
                        rule.finding_at(n, &[("found", found), ("expected", resource_type)], None)
                            .at_node_name(doc, n)
                            .label(format!("expected `{resource_type}`")),
                    );
                }
            }
        }
        _ => unreachable!("reference::run is only called for resource checks"),
    }
}
