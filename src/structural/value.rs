//! Values: a primitive's value (its JSON value kind, the empty value, its lexical format, its
//! required binding), primitives written as JSON objects, and complex elements that carry a
//! value. The order of the checks means one defect gives one finding: a value of the wrong
//! JSON kind is not also format-checked, an invalid code is not also looked up.

use super::binding::{self, ValueSet};
use super::primitive;
use super::rules::*;
use super::Walker;
use crate::document::{Format, NodeId, ValueKind};
use crate::fhir::annotate::Typed;
use crate::fhir::defs::{JsonType, TypeInfo};

impl Walker<'_> {
    /// The ValueSet a required binding names, if it is one of the embedded sets.
    fn value_set(&mut self, url: &'static str) -> Option<&'static ValueSet> {
        let key = (url.as_ptr() as usize, url.len());
        *self
            .value_sets
            .entry(key)
            .or_insert_with(|| binding::stu3().get(url))
    }

    /// Checks a node whose type is a primitive. Returns whether its children (`id`,
    /// `extension`) should be checked.
    pub(super) fn primitive_node(&mut self, id: NodeId, typed: Typed, info: &TypeInfo) -> bool {
        let doc = self.doc;
        if let Some(value) = doc.value(id) {
            self.primitive_value(id, typed, info, value);
            return true;
        }
        if doc.format == Format::Json && !self.written_as_underscore_only(id) {
            // `"birthDate": {…}`: FHIR JSON never writes a primitive as an object.
            let expected = json_type_name(info.json_type);
            self.report(
                JSON_VALUE_TYPE_MISMATCH
                    .finding(format!(
                        "`{}` is a JSON object, but a `{}` is written as a JSON {expected}",
                        doc.name(id),
                        info.name
                    ))
                    .with_help(format!(
                        "Write the value as a JSON {expected}; put its `id` and `extension` in `_{}`",
                        doc.name(id)
                    ))
                    .at_node_name(doc, id),
            );
            return false;
        }
        if !self.has_content(id) {
            self.element_empty(id);
            return false;
        }
        true
    }

    fn primitive_value(&mut self, id: NodeId, typed: Typed, info: &TypeInfo, value: &str) {
        let doc = self.doc;
        let kind = doc.value_kind(id);
        if kind == Some(ValueKind::Number) && matches!(value, "NaN" | "Infinity" | "-Infinity") {
            // Only the parser's recovery from a non-finite number gives these tokens, and it has
            // reported them (`json-non-finite-number`).
            return;
        }
        if doc.format == Format::Json {
            if let Some(expected) = info.json_type {
                if !kind_matches(expected, kind) {
                    self.report(
                        JSON_VALUE_TYPE_MISMATCH
                            .finding(format!(
                                "`{}` is a JSON {}, but a `{}` is written as a JSON {}",
                                doc.name(id),
                                kind_name(kind),
                                info.name,
                                json_type_name(Some(expected))
                            ))
                            .at_node(doc, id),
                    );
                    return;
                }
            }
        }
        if value.is_empty() {
            self.report(
                ELEMENT_EMPTY
                    .finding(format!("`{}` has an empty value", doc.name(id)))
                    .at_node_name(doc, id),
            );
            return;
        }
        let known_clean = info.name == "base64Binary" && self.base64_clean.contains(&id);
        let checked = if known_clean {
            Ok(())
        } else {
            primitive::check(info.name, value)
        };
        if let Err(problem) = checked {
            self.report(
                PRIMITIVE_INVALID
                    .finding(format!(
                        "`{}` is not a valid `{}`: {problem}",
                        shorten(value),
                        info.name
                    ))
                    .at_node(doc, id)
                    .bad_value(id),
            );
            return;
        }
        if let Some(url) = typed.def.and_then(|d| d.required_binding) {
            if let Some(vs) = self.value_set(url) {
                if !vs.contains_code(value) {
                    self.code_not_in_value_set(id, value, url, vs);
                }
            }
        }
    }

    /// Checks a complex (non-primitive, non-resource) node. Returns whether its children should
    /// be checked.
    pub(super) fn complex_node(&mut self, id: NodeId, typed: Typed) -> bool {
        let doc = self.doc;
        let has_children = doc.children(id).next().is_some();
        if doc.value(id).is_some() {
            let found = match doc.format {
                Format::Json => "a JSON value instead of an object",
                Format::Xml => "a `value` attribute",
            };
            let ty = typed.type_code.unwrap_or("BackboneElement");
            self.report(
                ELEMENT_VALUE_NOT_ALLOWED
                    .finding(format!(
                        "`{}` is a `{ty}`, which has child elements, but it has {found}",
                        doc.name(id)
                    ))
                    .at_node(doc, id),
            );
            return has_children;
        }
        if !self.has_content(id) {
            self.element_empty(id);
            return false;
        }
        if typed.type_code == Some("Extension") {
            self.extension(id);
        }
        if let Some(url) = typed.def.and_then(|d| d.required_binding) {
            if let Some(vs) = self.value_set(url) {
                match typed.type_code {
                    Some("Coding") => self.coding(id, url, vs),
                    Some("CodeableConcept") => {
                        for coding in doc.children_named(id, "coding") {
                            self.coding(coding, url, vs);
                        }
                    }
                    _ => {}
                }
            }
        }
        true
    }

    /// A Coding under a required binding: when its system is one the value set draws on, its
    /// code must be in the set. Codings of other systems are left alone, so a translation
    /// beside a conformant coding is not an error.
    fn coding(&mut self, coding: NodeId, url: &str, vs: &ValueSet) {
        let doc = self.doc;
        let (Some(system), Some(code)) = (doc.get_value(coding, "system"), doc.get(coding, "code"))
        else {
            return;
        };
        let Some(value) = doc.value(code) else {
            return;
        };
        if vs.contains(system, value) == Some(false) {
            self.code_not_in_value_set(code, value, url, vs);
        }
    }

    fn code_not_in_value_set(&mut self, id: NodeId, value: &str, url: &str, vs: &ValueSet) {
        let doc = self.doc;
        self.report(
            CODE_NOT_IN_VALUE_SET
                .finding(format!(
                    "`{}` is not a code of the required value set {url}",
                    shorten(value)
                ))
                .with_help(binding::allowed_codes_help(vs))
                .at_node(doc, id)
                .bad_value(id),
        );
    }

    /// Whether a JSON primitive node came from a `_name` property alone (a primitive with
    /// extensions and no value), which the parser renames to `name`: its name then starts one
    /// byte after the `_`.
    fn written_as_underscore_only(&self, id: NodeId) -> bool {
        let start = self.doc.node(id).name_span.start as usize;
        start > 0 && self.doc.source.text.as_bytes()[start - 1] == b'_'
    }
}

fn kind_matches(expected: JsonType, kind: Option<ValueKind>) -> bool {
    matches!(
        (expected, kind),
        (JsonType::String, Some(ValueKind::String | ValueKind::Xhtml))
            | (JsonType::Boolean, Some(ValueKind::Boolean))
            | (JsonType::Number, Some(ValueKind::Number))
    )
}

fn kind_name(kind: Option<ValueKind>) -> &'static str {
    match kind {
        Some(ValueKind::Boolean) => "boolean",
        Some(ValueKind::Number) => "number",
        Some(ValueKind::String | ValueKind::Xhtml) | None => "string",
    }
}

fn json_type_name(json_type: Option<JsonType>) -> &'static str {
    match json_type {
        Some(JsonType::Boolean) => "boolean",
        Some(JsonType::Number) => "number",
        Some(JsonType::String) | None => "string",
    }
}

/// A value as shown in a message: long ones (base64, narrative) are cut.
fn shorten(value: &str) -> String {
    const MAX: usize = 60;
    match value.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &value[..cut]),
        None => value.to_string(),
    }
}
