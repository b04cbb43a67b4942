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
        for index in self.required_children(content) {
            let def = self.required_defs[index];
            let count = self
                .groups
                .iter()
                .find(|g| ptr::eq(g.def, def))
                .map_or(0, |g| g.count);
            if count >= def.min || (count == 0 && self.json_null_member(parent, def)) {
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
            let mut finding = CARDINALITY_TOO_FEW
                .finding(message)
                .at_node_name(doc, parent);
            if count == 0 {
                finding = finding.absent(parent, def_name(def));
            }
            self.report(finding);
        }
    }
}

impl Walker<'_> {
    /// The positions in `required_defs` of the child definitions of `content` with a minimum,
    /// in definition order.
    fn required_children(&mut self, content: Ctx) -> std::ops::Range<usize> {
        let defs = self.defs;
        let required = &mut self.required_defs;
        let &mut (start, end) = self.required.entry(content.key()).or_insert_with(|| {
            let start = required.len() as u32;
            // A primitive's value is the node's own value, checked by ele-1.
            required.extend(
                defs.children(content)
                    .filter(|def| def.min != 0 && !is_primitive_value(Some(def))),
            );
            (start, required.len() as u32)
        });
        start as usize..end as usize
    }

    /// Whether a JSON object wrote the element `def` as `null`. The parser reports that
    /// (`json-null`) and drops the property, so a required element written as `null` is one
    /// defect with one finding, not also a missing element. Only runs when a required element
    /// is missing, so it may rescan the object's text: strings and nesting are skipped, and a
    /// property name at the top level followed by `null` is compared with the definition.
    fn json_null_member(&self, parent: NodeId, def: &ElementDef) -> bool {
        let doc = self.doc;
        if doc.format != Format::Json {
            return false;
        }
        let text = &doc.source.text.as_bytes()[doc.node(parent).span.range()];
        let Some(open) = text.iter().position(|&b| b == b'{') else {
            return false;
        };
        let matches_def = |key: &[u8]| {
            let name = def.name.as_bytes();
            key == name
                || (def.is_choice()
                    && key.len() > name.len()
                    && key.starts_with(name)
                    && key[name.len()].is_ascii_uppercase())
        };
        let mut depth = 0usize;
        let mut i = open;
        while i < text.len() {
            match text[i] {
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth -= 1;
                    if depth == 0 {
                        return false;
                    }
                }
                b'"' => {
                    let start = i + 1;
                    i = start;
                    while i < text.len() && text[i] != b'"' {
                        i += if text[i] == b'\\' { 2 } else { 1 };
                    }
                    let key = &text[start..i.min(text.len())];
                    let rest = text.get(i + 1..).unwrap_or(&[]);
                    let after = rest.iter().position(|b| !b.is_ascii_whitespace());
                    let is_key = after.is_some_and(|p| rest[p] == b':');
                    if depth == 1 && is_key && matches_def(key) {
                        let value = &rest[after.unwrap_or(0) + 1..];
                        let value = value.trim_ascii_start();
                        return value.starts_with(b"null");
                    }
                }
                _ => {}
            }
            i += 1;
        }
        false
    }
}
