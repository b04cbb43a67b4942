//! Elements the definitions do not know, resource types, and where resources may appear.
//!
//! An unknown element is reported once, at its own name: [`Document::typed`] is `None` for it
//! and for everything below it, and the walk never descends into it, so its content does not
//! add a finding per descendant.
//!
//! [`Document::typed`]: crate::document::Document::typed

use super::rules::*;
use super::{def_name, is_resource_typed, Walker};
use crate::document::{Format, NodeId, NodeKind, Span};
use crate::fhir::annotate::Typed;
use crate::fhir::defs::{Kind, TypeInfo};

impl Walker<'_> {
    /// The root is not a resource. In JSON that is a missing or non-string `resourceType`, which
    /// the parser reports (`resource-type-missing`); in XML it is a root element whose name
    /// does not start with a capital letter, which only this pass sees.
    pub(super) fn root_not_a_resource(&mut self, root: NodeId) {
        let doc = self.doc;
        if doc.format != Format::Xml {
            return;
        }
        let name = doc.name(root);
        let mut finding = RESOURCE_TYPE_UNKNOWN
            .finding(format!("`{name}` is not a FHIR STU3 resource type"))
            .at_node_name(doc, root);
        if let Some(fixed) = self.resource_type_like(name) {
            finding = finding.with_help(format!("Resource names are case-sensitive: `{fixed}`"));
        }
        self.report(finding);
    }

    /// A resource node whose type has no definition: report at the type name.
    pub(super) fn resource_type_unknown(&mut self, resource: NodeId) {
        let doc = self.doc;
        let type_name = doc.resource_type(resource).unwrap_or("");
        let span = self.resource_type_span(resource);
        let message = if self.defs.is_resource_type(type_name) {
            format!("`{type_name}` is an abstract resource type; a resource has a concrete type")
        } else {
            format!("`{type_name}` is not a FHIR STU3 resource type")
        };
        let mut finding = RESOURCE_TYPE_UNKNOWN.finding(message);
        if let Some(fixed) = self.resource_type_like(type_name) {
            finding = finding.with_help(format!("Resource names are case-sensitive: `{fixed}`"));
        }
        finding = finding.at(span);
        finding.location = Some(doc.location(resource));
        self.report(finding);
    }

    /// Checks that a resource node has a concrete type and sits where a resource may. Returns
    /// whether its content should be checked.
    pub(super) fn resource_in_place(&mut self, id: NodeId, typed: Typed) -> bool {
        let concrete = typed
            .type_code
            .is_some_and(|t| self.defs.is_concrete_resource_type(t));
        if !concrete {
            self.resource_type_unknown(id);
            return false;
        }
        let Some(def) = typed.def else {
            return true; // the document root
        };
        if is_resource_typed(def) {
            return true;
        }
        let doc = self.doc;
        let type_name = doc.resource_type(id).unwrap_or("");
        let declared = def
            .types
            .iter()
            .map(|t| t.code)
            .collect::<Vec<_>>()
            .join(" | ");
        let mut finding = RESOURCE_NOT_ALLOWED
            .finding(format!(
                "`{}` holds a `{type_name}` resource, but its type is {declared}",
                doc.name(id)
            ))
            .at(self.resource_type_span(id));
        finding.location = Some(doc.location(id));
        if doc.format == Format::Xml {
            finding = finding.with_help(
                "An upper-case XML element name is read as a resource; element names start with a lower-case letter, and a resource is referenced, not inlined",
            );
        }
        self.report(finding);
        false
    }

    /// An element of type Resource that holds no resource.
    pub(super) fn resource_missing(&mut self, id: NodeId) {
        let doc = self.doc;
        if doc.format == Format::Xml {
            // `<resource><bundle>…</bundle></resource>`: one inner element without a value is a
            // wrapper with a misspelt resource type. Elements with values, or several of them,
            // are resource content written without its wrapper.
            let mut inner = doc.children(id).filter(|&c| !doc.is_xml_attribute(c));
            if let (Some(inner), None) = (
                inner.next().filter(|&c| doc.value(c).is_none()),
                inner.next(),
            ) {
                let name = doc.name(inner);
                let mut finding = RESOURCE_TYPE_UNKNOWN
                    .finding(format!("`{name}` is not a FHIR STU3 resource type"))
                    .at(doc.node(inner).name_span);
                if let Some(fixed) = self.resource_type_like(name) {
                    finding =
                        finding.with_help(format!("Resource names are case-sensitive: `{fixed}`"));
                }
                finding.location = Some(doc.location(id));
                self.report(finding);
                return;
            }
        }
        let what = match doc.format {
            Format::Json => "has no `resourceType`",
            Format::Xml => "holds no resource element",
        };
        self.report(
            RESOURCE_EXPECTED
                .finding(format!(
                    "`{}` must hold a resource but {what}",
                    doc.name(id)
                ))
                .at_node_name(doc, id),
        );
    }

    /// A child with no definition under a parent whose content is defined by `info` (`None`
    /// for a backbone element).
    pub(super) fn element_unknown(
        &mut self,
        child: NodeId,
        parent: NodeId,
        info: Option<&TypeInfo>,
    ) {
        let doc = self.doc;
        let name = doc.name(child);
        if doc.is_xml_attribute(child)
            && doc.parent(parent).is_none()
            && name.ends_with(":schemaLocation")
        {
            // `xsi:schemaLocation` on the document element points schema-aware tools at the
            // FHIR XSDs; the HL7 validator accepts it there, and it is not content.
            return;
        }
        let holder = doc
            .typed(parent)
            .and_then(|t| t.content)
            .and_then(|ctx| self.defs.path(ctx))
            .unwrap_or("");
        let mut finding = if info.is_some_and(|i| i.kind == Kind::Primitive) && name == "value" {
            ELEMENT_UNKNOWN
                .finding(format!("`value` is not an element of the primitive `{holder}`"))
                .with_help(match doc.format {
                    Format::Json => "Write the value as the property's own JSON value; `_name` holds only `id` and `extension`",
                    Format::Xml => "Write the value in the element's `value` attribute",
                })
        } else {
            ELEMENT_UNKNOWN.finding(format!("`{name}` is not an element of `{holder}`"))
        };
        if let Some(help) = self.unknown_help(parent, name) {
            finding = finding.with_help(help);
        }
        self.report(finding.at_node_name(doc, child));
    }

    /// A hint for a misspelt name: a choice with an unknown type suffix, or a case mistake.
    fn unknown_help(&self, parent: NodeId, name: &str) -> Option<String> {
        let ctx = self.doc.typed(parent)?.content?;
        for def in self.defs.children(ctx) {
            if def.is_choice() && name.len() > def.name.len() && name.starts_with(def.name) {
                let allowed = def
                    .types
                    .iter()
                    .map(|t| format!("{}{}{}", def.name, t.code[..1].to_uppercase(), &t.code[1..]))
                    .collect::<Vec<_>>();
                let shown = allowed
                    .iter()
                    .take(8)
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>();
                let more = if allowed.len() > 8 { ", …" } else { "" };
                return Some(format!(
                    "`{}` takes a type suffix: {}{more}",
                    def_name(def),
                    shown.join(", ")
                ));
            }
            if def.name.eq_ignore_ascii_case(name) {
                return Some(format!("Element names are case-sensitive: `{}`", def.name));
            }
        }
        None
    }

    /// A concrete resource type that differs from `name` only in case.
    fn resource_type_like(&self, name: &str) -> Option<&'static str> {
        self.defs
            .types()
            .find(|t| {
                t.kind == Kind::Resource && !t.is_abstract && t.name.eq_ignore_ascii_case(name)
            })
            .map(|t| t.name)
    }

    /// Where a resource's type is written: the JSON `resourceType` value or the XML resource
    /// element's name. The type string is a slice of the source unless JSON escapes forced a
    /// copy; then the node's own name stands in.
    fn resource_type_span(&self, id: NodeId) -> Span {
        let doc = self.doc;
        let text = doc.source.text.as_str();
        doc.resource_type(id)
            .and_then(|t| {
                let start = (t.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
                (start + t.len() <= text.len()).then(|| Span::new(start, start + t.len()))
            })
            .filter(|_| doc.node(id).kind == NodeKind::Resource)
            .unwrap_or(doc.node(id).name_span)
    }
}
