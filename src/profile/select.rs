//! Rule targets: a small FHIRPath subset, parsed once when a pack loads.
//!
//! Grammar: `branch ('|' branch)*` (a union, in order), a branch being `start ('.' step)*` where
//! `start` is `Bundle` (the document root) or an alias from `profiles/aliases.toml`, and a step
//! is one of
//! - `name` or `name[n]`: children with that name (all of them, or the n-th);
//! - `where(child='value')`: keep nodes whose child `child` has that value (`child` may be a
//!   dotted path such as `code.coding.code`: any node it reaches has that value);
//! - `ofType(Type)`: keep resource nodes of that resource type;
//! - `first()`: keep the first node;
//! - `resolve()`: follow a Reference (or a reference string) to the entry resource it names.

use crate::document::{Document, NodeId, NodeKind};
use crate::rules::Context;
use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::rc::Rc;
use std::sync::Mutex;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Step {
    /// The document root, when its name is this (a path for `DTSControl` selects nothing in a
    /// message bundle).
    Root(String),
    Child {
        name: String,
        index: Option<usize>,
    },
    Where {
        child: Vec<String>,
        value: String,
    },
    OfType(String),
    First,
    Resolve,
}

/// A compiled path.
#[derive(Clone, Debug)]
pub struct Path {
    text: String,
    branches: Vec<Vec<Step>>,
    /// For each step of each branch, the [`prefix_id`] of the branch up to that step.
    prefixes: Vec<Vec<u32>>,
}

/// The nodes a path selects, and how far it got when it selected nothing.
pub struct Selection<'p> {
    pub nodes: Nodes,
    /// The deepest node reached on the way: where a missing element is reported.
    pub reached: NodeId,
    /// The child name the path looked for under `reached` and did not find.
    pub missing_child: Option<&'p str>,
    /// The path stopped at a `resolve()` that found no single entry, or at an `ofType()` that
    /// found another kind of resource: the target's absence is then another rule's finding
    /// (`reference-unresolved`, `message-header-not-first`, the rule about what a reference
    /// must point at), not this one's.
    pub unresolved: bool,
}

/// Nodes a path selected, in order. Most selections hold one node (the MessageHeader, the
/// Composition, a code), which is kept inline; longer lists are shared with the document's
/// [`PathCache`] instead of copied out of it for every rule that starts alike.
#[derive(Clone, Debug, Default)]
pub enum Nodes {
    #[default]
    None,
    One(NodeId),
    Many(Rc<[NodeId]>),
}

impl Nodes {
    fn from_slice(nodes: &[NodeId]) -> Nodes {
        match nodes {
            [] => Nodes::None,
            [one] => Nodes::One(*one),
            many => Nodes::Many(many.into()),
        }
    }
}

impl std::ops::Deref for Nodes {
    type Target = [NodeId];

    fn deref(&self) -> &[NodeId] {
        match self {
            Nodes::None => &[],
            Nodes::One(one) => std::slice::from_ref(one),
            Nodes::Many(many) => many,
        }
    }
}

impl<'a> IntoIterator for &'a Nodes {
    type Item = &'a NodeId;
    type IntoIter = std::slice::Iter<'a, NodeId>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl Path {
    /// Parses `text`, expanding a leading alias (recursively) from `aliases`.
    pub fn parse(text: &str, aliases: &HashMap<String, String>) -> Result<Path, String> {
        let branches: Vec<Vec<Step>> = split_top(text, '|')?
            .iter()
            .map(|b| parse_branch(b.trim(), aliases))
            .collect::<Result<_, _>>()?;
        let prefixes = prefix_ids(&branches);
        Ok(Path {
            text: text.to_string(),
            branches,
            prefixes,
        })
    }

    /// Parses a path relative to a node (no root element or alias): `status`,
    /// `extension.where(url='…').valueCode`, `subject.resolve()`. Used by `for_each` rules and by
    /// `required`'s `each`, which evaluate it from each node in turn.
    pub fn parse_relative(text: &str) -> Result<Path, String> {
        let branches: Vec<Vec<Step>> = split_top(text, '|')?
            .iter()
            .map(|b| {
                split_top(b.trim(), '.')?
                    .iter()
                    .map(|p| parse_step(p))
                    .collect::<Result<Vec<_>, _>>()
            })
            .collect::<Result<_, _>>()?;
        let prefixes = prefix_ids(&branches);
        Ok(Path {
            text: text.to_string(),
            branches,
            prefixes,
        })
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// Evaluates from the document root; a union keeps each branch's nodes in branch order.
    pub fn eval(&self, cx: &Context<'_>) -> Selection<'_> {
        self.eval_from(cx, cx.doc.root())
    }

    /// Evaluates from `start`: the document root for a rooted path, any node for a relative one.
    pub fn eval_from(&self, cx: &Context<'_>, start: NodeId) -> Selection<'_> {
        let mut branches = self.branches.iter().zip(&self.prefixes);
        let (steps, prefixes) = branches.next().expect("a path has at least one branch");
        let mut first = eval_branch(steps, prefixes, cx, start);
        let mut rest = branches.peekable();
        if rest.peek().is_none() {
            return first;
        }
        let mut all = first.nodes.to_vec();
        for (steps, prefixes) in rest {
            let sel = eval_branch(steps, prefixes, cx, start);
            first.unresolved |= sel.unresolved;
            all.extend_from_slice(&sel.nodes);
        }
        first.nodes = Nodes::from_slice(&all);
        first
    }
}

fn parse_branch(text: &str, aliases: &HashMap<String, String>) -> Result<Vec<Step>, String> {
    let expanded = expand(text, aliases, 0)?;
    let mut parts = split_top(&expanded, '.')?.into_iter();
    let root = parts.next().unwrap_or_default().to_string();
    if !is_name(&root) || !root.starts_with(|c: char| c.is_ascii_uppercase()) {
        return Err(format!("`{root}` is not a root element name (`Bundle`, `DTSControl`, `MeshHeaders`) or a defined alias"));
    }
    std::iter::once(Ok(Step::Root(root)))
        .chain(parts.map(parse_step))
        .collect()
}

/// For each step of each branch, the id of the branch's steps up to that one.
///
/// Step sequences that start some branch of some parsed path are numbered in order of first
/// appearance, each as `(id of the sequence without its last step, last step)`. The numbering is
/// shared by every path, so that rules starting alike (`MH.…`, `COMP.…`) share one id for what
/// they have in common.
fn prefix_ids(branches: &[Vec<Step>]) -> Vec<Vec<u32>> {
    /// The id of the empty sequence.
    const NONE: u32 = u32::MAX;
    /// `(parent id, step, id)` by a hash of the first two: a lookup builds no key (steps are
    /// mostly found, being shared by many paths), and a bucket rarely holds more than one.
    #[derive(Default)]
    struct Ids {
        buckets: HashMap<u64, Vec<(u32, Step, u32)>, BuildHasherDefault<WordHash>>,
        len: u32,
    }
    static IDS: Mutex<Option<Ids>> = Mutex::new(None);
    let mut ids = IDS.lock().unwrap_or_else(|e| e.into_inner());
    let ids = ids.get_or_insert_with(Ids::default);
    let hasher = BuildHasherDefault::<WordHash>::default();
    branches
        .iter()
        .map(|steps| {
            let mut id = NONE;
            steps
                .iter()
                .map(|step| {
                    let bucket = ids.buckets.entry(hasher.hash_one((id, step))).or_default();
                    id = match bucket.iter().find(|(p, s, _)| *p == id && s == step) {
                        Some(&(_, _, found)) => found,
                        None => {
                            let new = ids.len;
                            ids.len += 1;
                            bucket.push((id, step.clone(), new));
                            new
                        }
                    };
                    id
                })
                .collect()
        })
        .collect()
}

/// A fast non-keyed hash, eight bytes at a time, for [`prefix_ids`]: its keys are short and
/// come from the rule packs, so SipHash's protection costs more than the rest of the lookup.
#[derive(Default)]
struct WordHash(u64);

impl Hasher for WordHash {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut h = self.0;
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            h = (h.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(K);
        }
        self.0 = h;
    }
}

/// What a document's path prefixes selected, by [`prefix_ids`]: most rule targets start with the
/// same few aliases (the MessageHeader, the payload Bundle, the Composition), which are then
/// walked from the root once per document, not once per rule. Only non-empty selections are
/// kept; the step that selects nothing is evaluated again so that it says what is missing.
pub struct PathCache {
    /// By prefix id: what the prefix selected, stamped with the document (`serial`) it was
    /// selected in. The vector outlives documents (see [`SPARE`]), so that a document starts
    /// with nothing to clear or fill: an entry from an earlier document reads as absent.
    selected: RefCell<Vec<(u64, Nodes)>>,
    serial: u64,
    /// The buffer a step's nodes are gathered in, reused by every evaluation.
    scratch: RefCell<Vec<NodeId>>,
}

thread_local! {
    /// The cache vector of the thread's last document. Filling a fresh one up to the largest
    /// prefix id (about a thousand) cost each document more than every lookup in it.
    static SPARE: RefCell<Vec<(u64, Nodes)>> = const { RefCell::new(Vec::new()) };
    static SERIAL: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

impl Default for PathCache {
    fn default() -> Self {
        PathCache {
            selected: RefCell::new(SPARE.take()),
            serial: SERIAL.replace(SERIAL.get() + 1) + 1,
            scratch: Default::default(),
        }
    }
}

impl Drop for PathCache {
    fn drop(&mut self) {
        SPARE.set(self.selected.take());
    }
}

impl PathCache {
    fn get(&self, id: u32) -> Option<Nodes> {
        match self.selected.borrow().get(id as usize) {
            Some((serial, hit)) if *serial == self.serial && !hit.is_empty() => Some(hit.clone()),
            _ => None,
        }
    }

    fn put(&self, id: u32, nodes: &Nodes) {
        let mut cache = self.selected.borrow_mut();
        let id = id as usize;
        if cache.len() <= id {
            // Ids are shared by every loaded path, so the cache grows to the largest id seen.
            cache.resize(id + 1, (0, Nodes::None));
        }
        cache[id] = (self.serial, nodes.clone());
    }
}

fn eval_branch<'p>(
    steps: &'p [Step],
    prefixes: &[u32],
    cx: &Context<'_>,
    start: NodeId,
) -> Selection<'p> {
    let mut nodes = Nodes::One(start);
    let mut done = 0;
    // The cache holds what prefixes select from the root; a relative path starts elsewhere.
    let cached = start == cx.doc.root();
    if cached {
        if let Some((n, hit)) = (1..=steps.len())
            .rev()
            .find_map(|n| cx.path_cache.get(prefixes[n - 1]).map(|hit| (n, hit)))
        {
            // As if the first `n` steps had been evaluated just now.
            nodes = hit;
            done = n;
        }
    }
    let mut reached = nodes[0];
    // Taken, not borrowed, so that an evaluation inside a step could not conflict with it.
    let mut next = cx.path_cache.scratch.take();
    let give_back = |next: Vec<NodeId>| *cx.path_cache.scratch.borrow_mut() = next;
    for (step, &prefix) in steps.iter().zip(prefixes).skip(done) {
        next.clear();
        apply(step, cx, &nodes, &mut next);
        if next.is_empty() {
            give_back(next);
            return Selection {
                nodes: Nodes::None,
                reached,
                missing_child: match step {
                    Step::Child { name, .. } => Some(name),
                    _ => None,
                },
                unresolved: matches!(step, Step::Resolve | Step::OfType(_)),
            };
        }
        nodes = Nodes::from_slice(&next);
        if cached {
            cx.path_cache.put(prefix, &nodes);
        }
        reached = next[0];
    }
    give_back(next);
    Selection {
        nodes,
        reached,
        missing_child: None,
        unresolved: false,
    }
}

fn expand(text: &str, aliases: &HashMap<String, String>, depth: usize) -> Result<String, String> {
    if depth > 16 {
        return Err(format!("alias expansion of `{text}` does not terminate"));
    }
    let head_end = text.find(['.', '(', '[']).unwrap_or(text.len());
    let head = &text[..head_end];
    match aliases.get(head) {
        Some(body) => expand(&format!("{body}{}", &text[head_end..]), aliases, depth + 1),
        None => Ok(text.to_string()),
    }
}

/// Splits on `sep` outside parentheses and quotes.
fn split_top(text: &str, sep: char) -> Result<Vec<&str>, String> {
    let sep = sep as u8;
    let mut parts = Vec::new();
    let mut start = 0;
    let (mut depth, mut quoted) = (0i32, false);
    // Every byte tested is ASCII, so each split falls on a character boundary.
    for (i, &c) in text.as_bytes().iter().enumerate() {
        match c {
            b'\'' => quoted = !quoted,
            b'(' if !quoted => depth += 1,
            b')' if !quoted => depth -= 1,
            c if c == sep && !quoted && depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    if quoted || depth != 0 {
        return Err(format!("unbalanced quotes or parentheses in `{text}`"));
    }
    if parts.iter().any(|p| p.is_empty()) {
        return Err(format!("empty step in `{text}`"));
    }
    Ok(parts)
}

fn parse_step(part: &str) -> Result<Step, String> {
    if part == "first()" {
        return Ok(Step::First);
    }
    if part == "resolve()" {
        return Ok(Step::Resolve);
    }
    if let Some(ty) = part
        .strip_prefix("ofType(")
        .and_then(|r| r.strip_suffix(')'))
    {
        return Ok(Step::OfType(ty.to_string()));
    }
    if let Some(cond) = part
        .strip_prefix("where(")
        .and_then(|r| r.strip_suffix(')'))
    {
        let (child, value) = cond
            .split_once('=')
            .ok_or_else(|| format!("`{part}`: expected where(child='value')"))?;
        let value = value
            .trim()
            .strip_prefix('\'')
            .and_then(|v| v.strip_suffix('\''))
            .ok_or_else(|| format!("`{part}`: the value must be in single quotes"))?;
        let child: Vec<String> = child.trim().split('.').map(str::to_string).collect();
        if !child.iter().all(|c| is_name(c)) {
            return Err(format!(
                "`{part}`: expected where(child='value') or where(a.b='value')"
            ));
        }
        return Ok(Step::Where {
            child,
            value: value.to_string(),
        });
    }
    let (name, index) = match part.split_once('[') {
        Some((name, rest)) => {
            let n = rest
                .strip_suffix(']')
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| format!("`{part}`: expected name[number]"))?;
            (name, Some(n))
        }
        None => (part, None),
    };
    if !is_name(name) {
        return Err(format!(
            "`{part}` is not an element name or a known function"
        ));
    }
    Ok(Step::Child {
        name: name.to_string(),
        index,
    })
}

/// Element names: FHIR and control-file names, and MESH header names with hyphens.
fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Appends to `out` what `step` selects from `nodes`.
fn apply(step: &Step, cx: &Context<'_>, nodes: &[NodeId], out: &mut Vec<NodeId>) {
    let doc = cx.doc;
    match step {
        Step::Root(name) => out.extend(nodes.iter().copied().filter(|&n| doc.name(n) == name)),
        Step::Child { name, index } => {
            for &n in nodes {
                let mut children = doc.children_named(n, name);
                match index {
                    Some(i) => out.extend(children.nth(*i)),
                    None => out.extend(children),
                }
            }
        }
        Step::Where { child, value } => out.extend(
            nodes
                .iter()
                .copied()
                .filter(|&n| has_value_at(doc, n, child, value)),
        ),
        Step::OfType(ty) => out.extend(
            nodes
                .iter()
                .copied()
                .filter(|&n| doc.node(n).kind == NodeKind::Resource && doc.is_resource_type(n, ty)),
        ),
        Step::First => out.extend(nodes.first().copied()),
        Step::Resolve => out.extend(nodes.iter().filter_map(|&n| resolve_node(cx, doc, n))),
    }
}

/// Whether any node a dotted child path reaches from `n` has the value `value`.
fn has_value_at(doc: &Document, n: NodeId, path: &[String], value: &str) -> bool {
    match path.split_first() {
        None => doc.value(n) == Some(value),
        Some((head, rest)) => doc
            .children_named(n, head)
            .any(|c| has_value_at(doc, c, rest, value)),
    }
}

/// The entry resource a Reference element (or its `reference` string) names, when exactly one
/// entry has that fullUrl.
pub fn resolve_node(cx: &Context<'_>, doc: &Document, n: NodeId) -> Option<NodeId> {
    let reference_node = if doc.value(n).is_some() {
        n
    } else {
        doc.child(n, "reference")?
    };
    let reference = doc.value(reference_node)?;
    let entry = cx.bundle.resolve(doc, reference_node, reference)?;
    cx.bundle.entries[entry].resource
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aliases() -> HashMap<String, String> {
        let mut a = HashMap::new();
        a.insert(
            "MH".into(),
            "Bundle.entry.resource.ofType(MessageHeader).first()".into(),
        );
        a.insert(
            "HS".into(),
            "MH.extension.where(url='https://x/y.z')".into(),
        );
        a
    }

    #[test]
    fn parses_steps_and_expands_aliases() {
        let p = Path::parse(
            "HS.extension.where(url='BusAckRequested').valueBoolean",
            &aliases(),
        )
        .unwrap();
        let steps = &p.branches[0];
        assert_eq!(steps.len(), 10);
        assert_eq!(steps[0], Step::Root("Bundle".into()));
        assert_eq!(
            steps[6],
            Step::Where {
                child: vec!["url".into()],
                value: "https://x/y.z".into()
            }
        );
        assert_eq!(steps[4], Step::First);
        let p = Path::parse("Bundle.entry[0].resource | MH.enterer", &aliases()).unwrap();
        assert_eq!(p.branches.len(), 2);
        assert_eq!(
            p.branches[0][1],
            Step::Child {
                name: "entry".into(),
                index: Some(0)
            }
        );
    }

    /// Paths that start alike share the ids of what they have in common, so that a document
    /// evaluates the common part once.
    #[test]
    fn common_prefixes_share_ids() {
        let a = Path::parse("MH.sender.reference", &aliases()).unwrap();
        let b = Path::parse("MH.timestamp | HS.url", &aliases()).unwrap();
        let c = Path::parse("Bundle.entry.resource.ofType(Patient)", &aliases()).unwrap();
        // MH is five steps.
        assert_eq!(a.prefixes[0][..5], b.prefixes[0][..5]);
        assert_eq!(b.prefixes[0][..5], b.prefixes[1][..5]);
        assert_ne!(a.prefixes[0][5], b.prefixes[0][5]);
        assert_eq!(a.prefixes[0][..3], c.prefixes[0][..3]);
        assert_ne!(a.prefixes[0][3], c.prefixes[0][3]);
        let again = Path::parse("MH.sender.reference", &aliases()).unwrap();
        assert_eq!(again.prefixes, a.prefixes);
    }

    #[test]
    fn rejects_malformed_paths() {
        for bad in [
            "",
            "patient.name",
            "Bundle..entry",
            "Bundle.where(url=x)",
            "Bundle.entry[x]",
            "Bundle.foo()",
            "Bundle |",
        ] {
            assert!(Path::parse(bad, &aliases()).is_err(), "{bad}");
        }
    }
}
