//! Gives each node of a FHIR document its STU3 element definition, once per document, so rules
//! and locations can ask "is this a Reference?" or "does this element repeat?" in O(1).

use super::defs::{stu3, Ctx, Defs, ElementDef, TypeInfo};
use crate::document::{Document, NodeId, NodeKind};
use std::cell::RefCell;

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
    // A bundle holds the same few resource types many times over.
    let mut last_resource: Option<(&str, Option<(&'static TypeInfo, Ctx)>)> = None;
    let mut resource_content = |id: NodeId| {
        let name = doc.resource_type(id)?;
        if let Some((last, found)) = last_resource {
            if last == name {
                return found;
            }
        }
        let found = defs.type_info(name).zip(defs.root(name));
        last_resource = Some((name, found));
        found
    };
    if let Some((info, ctx)) = resource_content(root) {
        out[root.index()] = Some(Typed {
            def: None,
            type_code: Some(info.name),
            info: Some(info),
            content: Some(ctx),
        });
    }
    MEMO.with_borrow_mut(|memo| type_descendants(doc, defs, memo, &mut out, resource_content));
    out
}

thread_local! {
    /// Kept from one document to the next: the answers depend on the definitions only.
    static MEMO: RefCell<ChildMemo> = RefCell::new(ChildMemo::new());
}

/// Annotates the nodes below the root, whose own typing `out` holds.
fn type_descendants(
    doc: &Document,
    defs: &'static Defs,
    memo: &mut ChildMemo,
    out: &mut [Option<Typed>],
    mut resource_content: impl FnMut(NodeId) -> Option<(&'static TypeInfo, Ctx)>,
) {
    let root = doc.root();
    for id in doc.descendants(root) {
        let Some(parent) = doc.parent(id) else {
            continue;
        };
        let Some(parent_ctx) = out[parent.index()].and_then(|t| t.content) else {
            continue;
        };
        let Some(child) = memo.child(defs, parent_ctx, doc, id) else {
            continue;
        };
        let typed = if doc.node(id).kind == NodeKind::Resource {
            let found = resource_content(id);
            Typed {
                def: child.def,
                type_code: found.map(|(info, _)| info.name),
                info: found.map(|(info, _)| info),
                content: found.map(|(_, ctx)| ctx),
            }
        } else {
            child
        };
        out[id.index()] = Some(typed);
    }
}

/// The answers of [`Defs::child`] already given, as the typing of a child.
///
/// The same names recur under the same parents all through a document (every `coding` has a
/// `system` and a `code`), and a lookup in the definitions hashes and compares the name; here
/// a name of up to 16 bytes is two integers, so a repeated lookup is a few arithmetic steps
/// and no string comparison. Direct-mapped: a slot holds the latest key that hashed to it, and
/// a miss (or a longer name) asks the definitions.
struct ChildMemo {
    slots: Vec<Option<(MemoKey, Option<Typed>)>>,
}

/// A parent context and a child name of at most 16 bytes, packed.
#[derive(Clone, Copy, PartialEq, Eq)]
struct MemoKey {
    ctx: u64,
    name: [u64; 2],
}

/// Slots of a [`ChildMemo`]: well above the distinct (parent, name) pairs of a message.
const MEMO_BITS: u32 = 10;

impl ChildMemo {
    fn new() -> ChildMemo {
        ChildMemo {
            slots: vec![None; 1 << MEMO_BITS],
        }
    }

    /// The typing of node `id`, a child of a node at `ctx`.
    fn child(
        &mut self,
        defs: &'static Defs,
        ctx: Ctx,
        doc: &Document,
        id: NodeId,
    ) -> Option<Typed> {
        let Some(key) = MemoKey::new(ctx, doc.name_bytes(id)) else {
            return lookup(defs, ctx, doc.name(id));
        };
        const K: u64 = 0x9E37_79B9_7F4A_7C15;
        let hash =
            (key.name[0].wrapping_mul(K) ^ key.name[1] ^ key.ctx.rotate_left(17)).wrapping_mul(K);
        let slot = &mut self.slots[(hash >> (64 - MEMO_BITS)) as usize];
        match slot {
            Some((k, found)) if *k == key => *found,
            _ => {
                let found = lookup(defs, ctx, doc.name(id));
                *slot = Some((key, found));
                found
            }
        }
    }
}

impl MemoKey {
    fn new(ctx: Ctx, bytes: &[u8]) -> Option<MemoKey> {
        let word = |b: &[u8]| {
            let mut word = [0u8; 8];
            word.copy_from_slice(b);
            u64::from_le_bytes(word)
        };
        // With the length in the key, the first and the last eight bytes (overlapping when the
        // name is shorter than 16) tell names of 8 to 16 bytes apart, without copying them.
        let [a, b] = match bytes.len() {
            0..8 => [
                bytes
                    .iter()
                    .rev()
                    .fold(0, |packed, &c| packed << 8 | u64::from(c)),
                0,
            ],
            len @ 8..=16 => [word(&bytes[..8]), word(&bytes[len - 8..])],
            _ => return None,
        };
        // The length keeps names that differ only by trailing NUL bytes apart.
        Some(MemoKey {
            ctx: ctx.key() | (bytes.len() as u64) << 48,
            name: [a, b],
        })
    }
}

/// The typing of child `name` of a node at `ctx`, from the definitions.
fn lookup(defs: &'static Defs, ctx: Ctx, name: &str) -> Option<Typed> {
    let child = defs.child(ctx, name)?;
    Some(Typed {
        def: Some(child.def),
        type_code: child.type_code,
        info: child.type_info,
        content: child.content,
    })
}
