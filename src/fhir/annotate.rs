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

/// The typing of every node of a document, compactly: a document has a few dozen distinct
/// typings and can have millions of nodes, so each node holds a number (4 bytes) and the
/// typings are kept once each (48 bytes), which halves the memory of a large bundle's tree.
#[derive(Debug, Default)]
pub struct Typings {
    /// Per node: an index into `distinct`.
    of_node: Vec<u32>,
    /// The typings met, after `None` at index 0 (untyped nodes).
    distinct: Vec<Option<Typed>>,
}

impl Typings {
    pub fn get(&self, id: NodeId) -> Option<Typed> {
        let slot = *self.of_node.get(id.index())?;
        self.distinct.get(slot as usize).copied().flatten()
    }
}

/// A typing as integers, for finding it among those a document already has.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct TypedKey([usize; 4], Option<u64>);

impl Typed {
    fn key(&self) -> TypedKey {
        let address = |p: Option<*const u8>| p.map_or(0, |p| p as usize);
        TypedKey(
            [
                address(self.def.map(|d| std::ptr::from_ref(d).cast())),
                // Address and length: names may be slices of one string.
                address(self.type_code.map(str::as_ptr)),
                self.type_code.map_or(0, str::len),
                address(self.info.map(|i| std::ptr::from_ref(i).cast())),
            ],
            self.content.map(Ctx::key),
        )
    }
}

/// Distinct typings a document is expected to have.
const TYPINGS: usize = 256;

/// Typings a document may number from the child memo without hashing them: the memo's slot
/// count, so that a document can at most double its typings this way.
const UNHASHED: usize = 1 << MEMO_BITS;

/// Builds [`Typings`] node by node.
struct Interner {
    typings: Typings,
    index: foldhash::HashMap<TypedKey, u32>,
    /// Which annotation this is, for the slots the child memo keeps (see [`ChildMemo`]).
    serial: u64,
}

impl Interner {
    fn new(nodes: usize) -> Interner {
        static SERIAL: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        Interner {
            // A message has about a hundred distinct typings; sized for them, neither grows.
            typings: Typings {
                of_node: vec![0; nodes],
                distinct: {
                    let mut distinct = Vec::with_capacity(TYPINGS);
                    distinct.push(None);
                    distinct
                },
            },
            index: foldhash::HashMap::with_capacity_and_hasher(TYPINGS, Default::default()),
            serial: SERIAL.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// The slot of a typing, adding it if this document has not had it yet.
    fn intern(&mut self, typed: Typed) -> u32 {
        let distinct = &mut self.typings.distinct;
        *self.index.entry(typed.key()).or_insert_with(|| {
            distinct.push(Some(typed));
            distinct.len() as u32 - 1
        })
    }

    /// A slot for a typing without looking for it first (see [`UNHASHED`]).
    fn push(&mut self, typed: Typed) -> u32 {
        let distinct = &mut self.typings.distinct;
        distinct.push(Some(typed));
        distinct.len() as u32 - 1
    }

    fn set(&mut self, id: NodeId, typed: Typed) {
        let slot = self.intern(typed);
        self.typings.of_node[id.index()] = slot;
    }

    fn content(&self, id: NodeId) -> Option<Ctx> {
        self.typings.get(id).and_then(|t| t.content)
    }
}

/// Annotates every node reachable from the root; unknown elements (and everything below them)
/// get `None`. Nodes are in document order, so a parent is always annotated before its children.
pub fn annotate(doc: &Document) -> Typings {
    let defs = stu3();
    let mut out = Interner::new(doc.len());
    let root = doc.root();
    if doc.node(root).kind != NodeKind::Resource {
        return out.typings;
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
        out.set(
            root,
            Typed {
                def: None,
                type_code: Some(info.name),
                info: Some(info),
                content: Some(ctx),
            },
        );
    }
    MEMO.with_borrow_mut(|memo| type_descendants(doc, defs, memo, &mut out, resource_content));
    out.typings
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
    out: &mut Interner,
    mut resource_content: impl FnMut(NodeId) -> Option<(&'static TypeInfo, Ctx)>,
) {
    let root = doc.root();
    for id in doc.descendants(root) {
        let Some(parent) = doc.parent(id) else {
            continue;
        };
        let Some(parent_ctx) = out.content(parent) else {
            continue;
        };
        let Some((child, memo_slot)) = memo.child(defs, parent_ctx, doc, id) else {
            continue;
        };
        if doc.node(id).kind == NodeKind::Resource {
            let found = resource_content(id);
            let typed = Typed {
                def: child.def,
                type_code: found.map(|(info, _)| info.name),
                info: found.map(|(info, _)| info),
                content: found.map(|(_, ctx)| ctx),
            };
            out.set(id, typed);
            continue;
        }
        // The memo slot remembers this document's number for the typing, so that a repeated
        // child costs no hashing at all.
        let slot = match memo_slot.and_then(|i| memo.interned(i, out.serial)) {
            Some(slot) => slot,
            None => {
                let slot = match memo_slot {
                    // A memo slot holds one typing, so numbering it without looking for it among
                    // the others costs at most one duplicate per slot; past that bound (slots
                    // refilled over and over by a message that makes them collide) the typing
                    // is looked up, so that memory stays bounded by the distinct typings.
                    Some(_) if out.typings.distinct.len() < UNHASHED => out.push(child),
                    _ => out.intern(child),
                };
                if let Some(i) = memo_slot {
                    memo.remember(i, out.serial, slot);
                }
                slot
            }
        };
        out.typings.of_node[id.index()] = slot;
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
    /// Per slot: the annotation that last numbered the slot's typing, and the number.
    interned: Vec<(u64, u32)>,
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
            interned: vec![(0, 0); 1 << MEMO_BITS],
        }
    }

    /// The number annotation `serial` gave the typing in slot `i`, if it gave one.
    fn interned(&self, i: usize, serial: u64) -> Option<u32> {
        let (by, slot) = self.interned[i];
        (by == serial).then_some(slot)
    }

    fn remember(&mut self, i: usize, serial: u64, slot: u32) {
        self.interned[i] = (serial, slot);
    }

    /// The typing of node `id`, a child of a node at `ctx`, and the memo slot that holds it
    /// (none for a name too long to pack).
    fn child(
        &mut self,
        defs: &'static Defs,
        ctx: Ctx,
        doc: &Document,
        id: NodeId,
    ) -> Option<(Typed, Option<usize>)> {
        let Some(key) = MemoKey::new(ctx, doc.name_bytes(id)) else {
            return lookup(defs, ctx, doc.name(id)).map(|t| (t, None));
        };
        const K: u64 = 0x9E37_79B9_7F4A_7C15;
        let hash =
            (key.name[0].wrapping_mul(K) ^ key.name[1] ^ key.ctx.rotate_left(17)).wrapping_mul(K);
        let i = (hash >> (64 - MEMO_BITS)) as usize;
        let slot = &mut self.slots[i];
        let found = match slot {
            Some((k, found)) if *k == key => *found,
            _ => {
                let found = lookup(defs, ctx, doc.name(id));
                *slot = Some((key, found));
                // The slot now holds another typing: no annotation has numbered it yet.
                self.interned[i] = (0, 0);
                found
            }
        };
        found.map(|t| (t, Some(i)))
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
