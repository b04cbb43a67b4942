//! FHIR STU3 base structural validation: one walk over a typed document that reports unknown
//! elements, resource types, cardinality, JSON shape, primitive formats, required bindings,
//! ele-1/ext-1 and XML element order, the same way for JSON and XML.
//!
//! Every node already carries its STU3 definition ([`Document::typed`]), so the walk looks
//! nothing up by name except a bound ValueSet. Each concern lives in its own file and adds
//! methods to the one [`Walker`]:
//! - [`unknown`]: elements without a definition, resource types and where resources may sit;
//! - [`value`]: a primitive's value (JSON value kind, empty value, [`primitive`] format,
//!   [`binding`] codes) and complex elements that carry a value;
//! - [`empty`]: ele-1 (no value and no children) and ext-1;
//! - [`cardinality`]: min/max per definition, and JSON array-or-single;
//! - [`order`]: XML element order and which properties are XML attributes.
//!
//! The walk is the hot path of validation (the budget is 0.1 ms for a 63 kB message), so it
//! allocates nothing per node: one scratch buffer serves every parent, and messages are built
//! only for findings.

pub mod binding;
mod cardinality;
mod empty;
mod order;
pub mod primitive;
pub mod rules;
mod unknown;
mod value;

use crate::document::{Document, Format, NodeId, NodeKind};
use crate::fhir::annotate::Typed;
use crate::fhir::defs::{self, Defs, ElementDef, Kind, TypeInfo};
use crate::finding::{Finding, RuleMeta};
use crate::input::InputKind;
use crate::rules::{Context, Pass};
use foldhash::HashMap;

/// The structural pass, registered in `rules::passes::PASSES`.
pub struct Structural;

pub static PASS: Structural = Structural;

impl Pass for Structural {
    fn rules(&self) -> &'static [&'static RuleMeta] {
        rules::ALL
    }

    fn applies_to(&self, kind: InputKind) -> bool {
        // `Unknown` covers an XML root that is not a resource (`<bundle>`), which only this
        // pass reports; MESH files are not FHIR.
        !kind.is_mesh()
    }

    fn run(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        check_knowing(cx.doc, &cx.base64_clean.borrow(), out);
    }
}

/// Runs every structural check over a parsed FHIR document.
pub fn check(doc: &Document, out: &mut Vec<Finding>) {
    check_knowing(doc, &[], out);
}

/// [`check`], skipping the base64 scan of values the pack rules already found to be strict
/// base64 (which XML Schema's base64Binary also accepts): an attachment is scanned once.
fn check_knowing(doc: &Document, base64_clean: &[NodeId], out: &mut Vec<Finding>) {
    let mut walker = Walker {
        doc,
        defs: defs::stu3(),
        out,
        groups: Vec::new(),
        base64_clean,
        required: HashMap::default(),
        required_defs: Vec::new(),
        value_sets: HashMap::default(),
    };
    walker.root();
}

/// Occurrences of one child definition under the parent being checked.
#[derive(Clone, Copy)]
struct Group {
    def: &'static ElementDef,
    count: u32,
    /// The first occurrence, where JSON shape findings point.
    first: NodeId,
}

/// State of one walk. `groups` is scratch space reused by every parent.
struct Walker<'a> {
    doc: &'a Document,
    defs: &'static Defs,
    out: &'a mut Vec<Finding>,
    groups: Vec<Group>,
    /// Values known to be valid base64.
    base64_clean: &'a [NodeId],
    /// The required child definitions of each content context met so far (by [`Ctx::key`]),
    /// as a range of `required_defs`: a type has dozens of child definitions and few required
    /// ones, and the same types recur all through a document.
    required: HashMap<u64, (u32, u32)>,
    required_defs: Vec<&'static ElementDef>,
    /// The bound ValueSet of each binding URL met so far, by the URL's address in the
    /// definitions (one string per element definition): finding a set by URL compares strings.
    value_sets: HashMap<(usize, usize), Option<&'static binding::ValueSet>>,
}

impl Walker<'_> {
    fn report(&mut self, finding: Finding) {
        self.out.push(finding);
    }

    /// How a node is named in messages: a resource by its type (`Encounter`, not the
    /// `resource` element holding it), anything else by its name.
    fn display_name(&self, id: NodeId) -> &str {
        let doc = self.doc;
        match doc.node(id).kind {
            NodeKind::Resource => doc.resource_type(id).unwrap_or_else(|| doc.name(id)),
            NodeKind::Element => doc.name(id),
        }
    }

    fn root(&mut self) {
        let doc = self.doc;
        let root = doc.root();
        if doc.node(root).kind != NodeKind::Resource {
            self.root_not_a_resource(root);
            return;
        }
        match doc.typed(root) {
            Some(typed) => self.visit(root, typed),
            None => self.resource_type_unknown(root),
        }
    }

    /// Checks one known node, its children as a group, then descends into each child.
    fn visit(&mut self, id: NodeId, typed: Typed) {
        let doc = self.doc;
        if doc.node(id).kind == NodeKind::Resource {
            if !self.resource_in_place(id, typed) {
                return;
            }
        } else if typed.def.is_some_and(is_resource_typed) {
            self.resource_missing(id);
            return;
        }
        let Some(content) = typed.content else {
            return;
        };
        let info = typed.info;
        let keep_going = match info {
            Some(info) if info.kind == Kind::Primitive => self.primitive_node(id, typed, info),
            Some(info) if info.kind == Kind::Resource => true,
            _ => self.complex_node(id, typed),
        };
        if !keep_going {
            return;
        }
        self.children(id, content, info);
        for child in doc.children(id) {
            if let Some(typed) = doc.typed(child) {
                if !is_primitive_value(typed.def) {
                    self.visit(child, typed);
                }
            }
        }
    }

    /// The checks over `id`'s children as a set: unknown names, JSON shape, XML order and
    /// attributes, then cardinality once all children are counted.
    fn children(&mut self, id: NodeId, content: defs::Ctx, info: Option<&TypeInfo>) {
        let doc = self.doc;
        self.groups.clear();
        let mut order = order::Order::default();
        for child in doc.children(id) {
            let def = match doc.typed(child).and_then(|t| t.def) {
                Some(def) if !is_primitive_value(Some(def)) => def,
                _ => {
                    self.element_unknown(child, id, info);
                    continue;
                }
            };
            if doc.format == Format::Xml {
                let is_attribute = doc.is_xml_attribute(child);
                self.xml_representation(child, def, is_attribute);
                self.xml_order(&mut order, child, def, is_attribute);
            }
            self.count(child, def);
        }
        self.cardinality(id, content);
    }
}

/// Whether an element's type is Resource (`Bundle.entry.resource`, `DomainResource.contained`).
fn is_resource_typed(def: &ElementDef) -> bool {
    def.types.iter().any(|t| t.code == "Resource")
}

/// The pseudo-element `value` of a primitive type: the primitive's own value (JSON value, XML
/// `value` attribute), never a child element.
fn is_primitive_value(def: Option<&ElementDef>) -> bool {
    def.is_some_and(|d| d.types.is_empty() && d.content_reference.is_none())
}

/// How a definition is named in messages: `value[x]` for a choice.
fn def_name(def: &ElementDef) -> String {
    if def.is_choice() {
        format!("{}[x]", def.name)
    } else {
        def.name.to_string()
    }
}

#[cfg(test)]
mod tests;
