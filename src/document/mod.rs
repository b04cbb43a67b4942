//! The format-neutral document tree that FHIR JSON, FHIR XML and MESH control files all parse into.
//!
//! Modelled on HL7's `Element`: an arena of [`Node`]s in document order, each with a name, an
//! optional primitive value, ordered children and three byte spans (whole element, name, value).
//! Format differences are folded away by the parsers so that rules never ask where a node came
//! from:
//! - JSON arrays and repeated XML elements are both repeated children with the same name;
//! - JSON `_field` objects and XML `id`/`extension` on a primitive merge into the primitive's node;
//! - JSON `resourceType` and the XML resource wrapper element (`<resource><Patient>`) both give a
//!   node of [`NodeKind::Resource`] named after the containing element;
//! - the narrative `div` stays one primitive holding its XHTML text.
//!
//! Line and column are computed from the [`SourceFile`] only when a finding is rendered.

pub mod headers;
pub mod json;
mod line_index;
mod path;
mod scan;
pub mod source;
pub mod xml;

pub use line_index::LineIndex;
pub use source::{InputBytes, SourceText};

use crate::fhir::annotate::Typed;
use std::sync::{Arc, OnceLock};

/// A half-open byte range into the source text. `u32` keeps nodes small; inputs over 4 GiB
/// are refused before parsing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span {
            start: start as u32,
            end: end as u32,
        }
    }

    pub fn at(offset: usize) -> Self {
        Span::new(offset, offset)
    }

    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(self) -> bool {
        self.end == self.start
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// The syntax a source was written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

/// One input file's text, kept for rendering findings. Line starts are computed on first use.
#[derive(Debug)]
pub struct SourceFile {
    pub path: String,
    pub text: SourceText,
    line_index: OnceLock<LineIndex>,
}

impl SourceFile {
    pub fn new(path: impl Into<String>, text: impl Into<SourceText>) -> Self {
        SourceFile {
            path: path.into(),
            text: text.into(),
            line_index: OnceLock::new(),
        }
    }

    pub fn line_index(&self) -> &LineIndex {
        self.line_index.get_or_init(|| LineIndex::new(&self.text))
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: u32) -> (u32, u32) {
        self.line_index().line_col(&self.text, offset)
    }
}

/// Index of a node in its [`Document`]'s arena.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(u32);

impl NodeId {
    pub const ROOT: NodeId = NodeId(0);

    fn idx(self) -> usize {
        self.0 as usize
    }

    /// Position in the arena (document order), for side tables indexed by node.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Text owned by the document: either a slice of the source (no copy, the usual case) or an
/// owned string for values that needed unescaping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Str {
    Src(Span),
    Owned(u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    /// An element or primitive of a resource or datatype (or a MESH control-file element).
    Element,
    /// A resource: the document root or a resource-typed element such as `Bundle.entry.resource`.
    Resource,
}

/// How a primitive value was written; FHIR JSON gives booleans and numbers their own tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    String,
    Number,
    Boolean,
    /// The XHTML of a narrative `div`.
    Xhtml,
}

#[derive(Clone, Debug)]
pub struct Node {
    name: Str,
    pub kind: NodeKind,
    resource_type: Option<Str>,
    value: Option<(Str, ValueKind)>,
    parent: Option<NodeId>,
    first_child: Option<NodeId>,
    next_sibling: Option<NodeId>,
    /// Position among the parent's children of the same name (0-based).
    pub index: u32,
    /// True when the JSON source wrote this node as an array member.
    pub in_array: bool,
    /// The whole element: JSON `"key": value`, XML start tag to end tag.
    pub span: Span,
    /// The JSON key or XML tag name (the `resourceType` value for a JSON root).
    pub name_span: Span,
    /// The JSON value token or XML `value` attribute; empty when the node has no value.
    pub value_span: Span,
}

/// A parsed input: its source and the node arena. Node 0 is the root.
#[derive(Debug)]
pub struct Document {
    pub source: Arc<SourceFile>,
    pub format: Format,
    nodes: Vec<Node>,
    owned: Vec<Box<str>>,
    /// STU3 element definitions of each node (empty for non-FHIR documents).
    typed: crate::fhir::annotate::Typings,
}

impl Document {
    /// The STU3 definition of a node, when it is a known FHIR element.
    pub fn typed(&self, id: NodeId) -> Option<Typed> {
        self.typed.get(id)
    }

    /// The node's FHIR type code (`Reference`, `dateTime`, or a resource type).
    pub fn type_code(&self, id: NodeId) -> Option<&'static str> {
        self.typed(id).and_then(|t| t.type_code)
    }

    pub fn root(&self) -> NodeId {
        NodeId::ROOT
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.idx()]
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn str(&self, s: Str) -> &str {
        match s {
            Str::Src(span) => &self.source.text[span.range()],
            Str::Owned(i) => &self.owned[i as usize],
        }
    }

    pub fn name(&self, id: NodeId) -> &str {
        self.str(self.node(id).name)
    }

    /// [`Self::name`] as bytes, without checking that a slice of the source falls on character
    /// boundaries (it always does).
    pub(crate) fn name_bytes(&self, id: NodeId) -> &[u8] {
        match self.node(id).name {
            Str::Src(span) => &self.source.text.as_bytes()[span.range()],
            Str::Owned(i) => self.owned[i as usize].as_bytes(),
        }
    }

    /// Whether the node is named `name`, compared as bytes: path steps and rules ask this of
    /// every child they pass.
    pub fn has_name(&self, id: NodeId, name: &str) -> bool {
        self.str_is(self.node(id).name, name)
    }

    /// Whether `s` reads `text`. The length of a slice of the source is on the node: most
    /// names differ in it, and are then told apart without reaching the source text.
    fn str_is(&self, s: Str, text: &str) -> bool {
        match s {
            Str::Src(span) => {
                span.len() == text.len()
                    && &self.source.text.as_bytes()[span.range()] == text.as_bytes()
            }
            Str::Owned(i) => &*self.owned[i as usize] == text,
        }
    }

    /// The primitive value, if the node has one.
    pub fn value(&self, id: NodeId) -> Option<&str> {
        self.node(id).value.map(|(s, _)| self.str(s))
    }

    pub fn value_kind(&self, id: NodeId) -> Option<ValueKind> {
        self.node(id).value.map(|(_, k)| k)
    }

    /// The resource type of a resource node (`Patient` for `Bundle.entry.resource`).
    pub fn resource_type(&self, id: NodeId) -> Option<&str> {
        self.node(id).resource_type.map(|s| self.str(s))
    }

    /// Whether the node is a resource of type `ty`: rules and path steps ask this of every entry
    /// they pass, so the type is compared as [`Self::has_name`] compares names.
    pub fn is_resource_type(&self, id: NodeId, ty: &str) -> bool {
        self.node(id)
            .resource_type
            .is_some_and(|s| self.str_is(s, ty))
    }

    pub fn parent(&self, id: NodeId) -> Option<NodeId> {
        self.node(id).parent
    }

    pub fn children(&self, id: NodeId) -> Children<'_> {
        Children {
            doc: self,
            next: self.node(id).first_child,
        }
    }

    /// Children with the given name, in document order.
    pub fn children_named<'a>(
        &'a self,
        id: NodeId,
        name: &'a str,
    ) -> impl Iterator<Item = NodeId> + 'a {
        self.children(id).filter(move |&c| self.has_name(c, name))
    }

    pub fn child(&self, id: NodeId, name: &str) -> Option<NodeId> {
        self.children_named(id, name).next()
    }

    /// Follows a dotted path of child names from `id`, taking the first match at each step.
    pub fn get(&self, id: NodeId, path: &str) -> Option<NodeId> {
        path.split('.')
            .try_fold(id, |at, step| self.child(at, step))
    }

    /// The value of the child at a dotted path.
    pub fn get_value(&self, id: NodeId, path: &str) -> Option<&str> {
        self.get(id, path).and_then(|n| self.value(n))
    }

    /// Every node below `id` (not including it) in document order.
    pub fn descendants(&self, id: NodeId) -> Descendants<'_> {
        Descendants {
            doc: self,
            top: id,
            next: self.node(id).first_child,
        }
    }

    /// True for a node made from an XML attribute (`id`, `url`): XML element order does not
    /// apply to it.
    pub fn is_xml_attribute(&self, id: NodeId) -> bool {
        let n = self.node(id);
        self.format == Format::Xml && n.parent.is_some() && n.span.start == n.name_span.start
    }

    /// The nearest enclosing resource node of `id` (itself if it is a resource).
    pub fn enclosing_resource(&self, id: NodeId) -> Option<NodeId> {
        let mut at = Some(id);
        while let Some(n) = at {
            if self.node(n).kind == NodeKind::Resource {
                return Some(n);
            }
            at = self.parent(n);
        }
        None
    }
}

pub struct Children<'a> {
    doc: &'a Document,
    next: Option<NodeId>,
}

impl Iterator for Children<'_> {
    type Item = NodeId;
    fn next(&mut self) -> Option<NodeId> {
        let id = self.next?;
        self.next = self.doc.node(id).next_sibling;
        Some(id)
    }
}

/// Pre-order walk without recursion, so deep trees cannot exhaust the stack.
pub struct Descendants<'a> {
    doc: &'a Document,
    top: NodeId,
    next: Option<NodeId>,
}

impl Iterator for Descendants<'_> {
    type Item = NodeId;
    fn next(&mut self) -> Option<NodeId> {
        let id = self.next?;
        let node = self.doc.node(id);
        self.next = node.first_child.or_else(|| {
            let mut at = id;
            loop {
                if at == self.top {
                    return None;
                }
                let n = self.doc.node(at);
                if let Some(sib) = n.next_sibling {
                    return Some(sib);
                }
                at = n.parent?;
            }
        });
        Some(id)
    }
}

/// Nesting deeper than this is refused: no FHIR message comes close (a GP Connect message is
/// about 20 levels deep), and the bound keeps every later tree walk safe.
pub const MAX_DEPTH: usize = 256;

/// Builds a [`Document`] in document order; used by the parsers.
pub(crate) struct Builder {
    nodes: Vec<Node>,
    last_child: Vec<Option<NodeId>>,
    owned: Vec<Box<str>>,
}

impl Builder {
    pub fn new() -> Self {
        Builder {
            nodes: Vec::new(),
            last_child: Vec::new(),
            owned: Vec::new(),
        }
    }

    /// A builder for a source of `len` bytes.
    pub fn for_source(len: usize) -> Self {
        // Room for the nodes of a typical document, so that the arena is not copied as it
        // grows: pretty-printed FHIR spends 40 to 60 bytes per node, a base64 attachment many
        // more (its pages are never touched).
        let nodes = len / 64;
        Builder {
            nodes: Vec::with_capacity(nodes),
            last_child: Vec::with_capacity(nodes),
            owned: Vec::new(),
        }
    }

    pub fn own(&mut self, s: impl Into<Box<str>>) -> Str {
        self.owned.push(s.into());
        Str::Owned(self.owned.len() as u32 - 1)
    }

    /// Appends a node as the last child of `parent` (or as the root).
    pub fn push(
        &mut self,
        parent: Option<NodeId>,
        name: Str,
        span: Span,
        name_span: Span,
    ) -> NodeId {
        let id = NodeId(self.nodes.len() as u32);
        self.nodes.push(Node {
            name,
            kind: NodeKind::Element,
            resource_type: None,
            value: None,
            parent,
            first_child: None,
            next_sibling: None,
            index: 0,
            in_array: false,
            span,
            name_span,
            value_span: Span::default(),
        });
        self.last_child.push(None);
        if let Some(p) = parent {
            self.link(p, id);
        }
        id
    }

    fn link(&mut self, parent: NodeId, child: NodeId) {
        self.nodes[child.idx()].parent = Some(parent);
        self.nodes[child.idx()].next_sibling = None;
        match self.last_child[parent.idx()] {
            Some(last) => self.nodes[last.idx()].next_sibling = Some(child),
            None => self.nodes[parent.idx()].first_child = Some(child),
        }
        self.last_child[parent.idx()] = Some(child);
    }

    pub fn node_mut(&mut self, id: NodeId) -> &mut Node {
        &mut self.nodes[id.idx()]
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.idx()]
    }

    pub fn set_value(&mut self, id: NodeId, value: Str, kind: ValueKind, span: Span) {
        let n = &mut self.nodes[id.idx()];
        n.value = Some((value, kind));
        n.value_span = span;
    }

    pub fn set_resource(&mut self, id: NodeId, resource_type: Str) {
        let n = &mut self.nodes[id.idx()];
        n.kind = NodeKind::Resource;
        n.resource_type = Some(resource_type);
    }

    pub fn set_name(&mut self, id: NodeId, name: Str, name_span: Span) {
        let n = &mut self.nodes[id.idx()];
        n.name = name;
        n.name_span = name_span;
    }

    pub fn children(&self, id: NodeId) -> Vec<NodeId> {
        let mut out = Vec::new();
        let mut next = self.nodes[id.idx()].first_child;
        while let Some(c) = next {
            out.push(c);
            next = self.nodes[c.idx()].next_sibling;
        }
        out
    }

    /// Replaces the child list of `parent` (used when JSON `_field` objects are merged).
    pub fn relink_children(&mut self, parent: NodeId, children: &[NodeId]) {
        self.nodes[parent.idx()].first_child = None;
        self.last_child[parent.idx()] = None;
        for &c in children {
            self.link(parent, c);
        }
    }

    /// Numbers same-named siblings 0..n under every node; run once after the tree is complete.
    fn number_siblings(&mut self, text: &str) {
        use foldhash::{HashMap, HashMapExt as _};
        /// Distinct names under one parent past which a hash map beats a list.
        const LIST_MAX: usize = 16;
        // Parents have few distinct child names and repeated ones mostly follow each other, so
        // the previous name is tried first and then a short list; a parent with many distinct
        // names (hostile input) moves to a hash map so that the work stays linear.
        let mut seen: Vec<(&str, u32)> = Vec::new();
        let mut many: HashMap<&str, u32> = HashMap::new();
        for p in 0..self.nodes.len() {
            seen.clear();
            many.clear();
            let mut next = self.nodes[p].first_child;
            while let Some(c) = next {
                let name = match self.nodes[c.idx()].name {
                    Str::Src(span) => &text[span.range()],
                    Str::Owned(i) => &self.owned[i as usize],
                };
                let index = if seen.last().is_some_and(|(last, _)| *last == name) {
                    let last = seen.len() - 1;
                    seen[last].1 += 1;
                    seen[last].1 - 1
                } else if let Some(i) = seen.iter().position(|(n, _)| *n == name) {
                    seen[i].1 += 1;
                    seen[i].1 - 1
                } else if seen.len() < LIST_MAX {
                    seen.push((name, 1));
                    0
                } else {
                    let slot = many.entry(name).or_insert(0);
                    *slot += 1;
                    *slot - 1
                };
                self.nodes[c.idx()].index = index;
                next = self.nodes[c.idx()].next_sibling;
            }
        }
    }

    pub fn finish(mut self, source: Arc<SourceFile>, format: Format) -> Document {
        self.number_siblings(&source.text);
        let mut doc = Document {
            source,
            format,
            nodes: self.nodes,
            owned: self.owned,
            typed: Default::default(),
        };
        doc.typed = crate::fhir::annotate::annotate(&doc);
        doc
    }
}

impl Builder {
    pub fn owned_str(&self, s: Str) -> &str {
        match s {
            Str::Owned(i) => &self.owned[i as usize],
            Str::Src(_) => "",
        }
    }
}
