//! Cardinality (min/max of each child definition) and the JSON array-or-single shape, which
//! FHIR JSON derives from the same max.
//!
//! Children are counted per definition, not per name, so a choice element's typed forms
//! (`valueString`, `valueBoolean`) count together against `value[x]`'s max of 1.

use super::rules::*;
use super::{def_name, is_primitive_value, Group, Walker};
use crate::document::{Format, NodeId};
use crate::fhir::defs::{Ctx, ElementDef};
use std::ptr;

impl Walker<'_> {
    /// Counts one child against its definition; checks the JSON shape at its first occurrence.
    pub(super) fn count(&mut self, child: NodeId, def: &'static ElementDef) {
        // Occurrences of one definition are usually adjacent (a JSON array, ordered XML), so
        // the search starts from the most recent group.
        if let Some(group) = self.groups.iter_mut().rev().find(|g| ptr::eq(g.def, def)) {
            group.count += 1;
            return;
        }
        self.groups.push(Group {
            def,
            count: 1,
            first: child,
        });
        if self.doc.format == Format::Json {
            self.json_shape(child, def);
        }
    }

    /// A JSON array exactly when the definition repeats.
    fn json_shape(&mut self, first: NodeId, def: &ElementDef) {
        let doc = self.doc;
        let in_array = doc.node(first).in_array;
        if def.is_repeating() && !in_array {
            self.report(
                JSON_ARRAY_EXPECTED
                    .finding(format!(
                        "`{}` may repeat, so FHIR JSON writes it as an array",
                        doc.name(first)
                    ))
                    .at_node_name(doc, first),
            );
        } else if !def.is_repeating() && in_array {
            self.report(
                JSON_ARRAY_UNEXPECTED
                    .finding(format!(
                        "`{}` occurs at most once, so FHIR JSON does not write it as an array",
                        doc.name(first)
                    ))
                    .at_node_name(doc, first),
            );
        }
    }

    /// Checks the counted children of `parent` against the definitions of `content`.
    pub(super) fn cardinality(&mut self, parent: NodeId, content: Ctx) {
        let doc = self.doc;
        for index in 0..self.groups.len() {
            let group = self.groups[index];
            let Some(max) = group.def.max else {
                continue;
            };
            if group.count <= max {
                continue;
            }
            // Point at the first occurrence beyond the maximum.
            let excess = doc
                .children(parent)
                .filter(|&c| {
                    doc.typed(c)
                        .and_then(|t| t.def)
                        .is_some_and(|d| ptr::eq(d, group.def))
                })
                .nth(max as usize)
                .unwrap_or(group.first);
            self.report(
                CARDINALITY_TOO_MANY
                    .finding(format!(
                        "`{}` occurs {} times in `{}`; at most {max} allowed",
                        def_name(group.def),
                        group.count,
                        self.display_name(parent)
                    ))
                    .at_node_name(doc, excess),
            );
        }
        for def in self.defs.children(content) {
            if def.min == 0 || is_primitive_value(Some(def)) {
                // A primitive's value is the node's own value, checked by ele-1.
                continue;
            }
            let count = self
                .groups
                .iter()
                .find(|g| ptr::eq(g.def, def))
                .map_or(0, |g| g.count);
            if count >= def.min {
                continue;
            }
            let message = if count == 0 {
                format!(
                    "`{}` is missing `{}`, which is required",
                    self.display_name(parent),
                    def_name(def)
                )
            } else {
                format!(
                    "`{}` has {count} `{}`; at least {} required",
                    self.display_name(parent),
                    def_name(def),
                    def.min
                )
            };
            self.report(
                CARDINALITY_TOO_FEW
                    .finding(message)
                    .at_node_name(doc, parent),
            );
        }
    }
}
