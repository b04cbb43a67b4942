//! Gives each node of a FHIR document its STU3 element definition, once per document, so rules
//! and locations can ask "is this a Reference?" or "does this element repeat?" in O(1).

use super::defs::{stu3, Ctx, ElementDef, TypeInfo};
use crate::document::{Document, NodeId, NodeKind};

/// What the STU3 definitions say about one node.
#[derive(Clone, Copy, Debug)]
pub struct Typed {
    /// The element definition (`None` for a document root, which has no parent element).
    pub def: Option<&'static ElementDef>,
    /// The node's type: the chosen type of a choice element, the resource type of a resource.
    pub type_code: Option<&'static str>,
    /// The definition of that type.
    pub info: Option<&'static TypeInfo>,
    /// Where this node's own children are defined.
    pub content: Option<Ctx>,
}

/// Annotates every node reachable from the root; unknown elements (and everything below them)
/// get `None`. Nodes are in document order, so a parent is always annotated before its children.
pub fn annotate(doc: &Document) -> Vec<Option<Typed>> {
    let defs = stu3();
    let mut out: Vec<Option<Typed>> = vec![None; doc.len()];
    let root = doc.root();
    if doc.node(root).kind != NodeKind::Resource {
        return out;
    }
    let resource_content = |id: NodeId| {
        doc.resource_type(id)
            .and_then(|t| Some((defs.type_info(t)?, defs.root(t)?)))
    };
    if let Some((info, ctx)) = resource_content(root) {
        out[root.index()] = Some(Typed {
            def: None,
            type_code: Some(info.name),
            info: Some(info),
            content: Some(ctx),
        });
    }
    for id in doc.descendants(root) {
        let Some(parent) = doc.parent(id) else {
            continue;
        };
        let Some(parent_ctx) = out[parent.index()].and_then(|t| t.content) else {
            continue;
        };
        let Some(child) = defs.child(parent_ctx, doc.name(id)) else {
            continue;
        };
        let typed = if doc.node(id).kind == NodeKind::Resource {
            let found = resource_content(id);
            Typed {
                def: Some(child.def),
                type_code: found.map(|(info, _)| info.name),
                info: found.map(|(info, _)| info),
                content: found.map(|(_, ctx)| ctx),
            }
        } else {
            Typed {
                def: Some(child.def),
                type_code: child.type_code,
                info: child.type_info,
                content: child.content,
            }
        };
        out[id.index()] = Some(typed);
    }
    out
}
