//! Entries of every Bundle in a message (the outer one and nested payload bundles) indexed by
//! `fullUrl`, and FHIR bundle reference resolution over them.

use crate::document::{Document, NodeId};
use foldhash::HashMap;
use foldhash::HashMapExt as _;

/// Entries of every Bundle in a message (the outer one and nested payload bundles), with their
/// `fullUrl`s indexed per Bundle: FHIR resolves a reference against the Bundle whose entry
/// holds the referencing resource, so the payload bundle of a message must be self-contained.
pub struct BundleIndex<'a> {
    pub entries: Vec<Entry>,
    /// Bundle → fullUrl → entries, a list allocated only for a duplicate.
    by_url: HashMap<NodeId, HashMap<&'a str, Matches>>,
    /// Entry index by the `entry` node's index (`u32::MAX` for other nodes): an array, since
    /// every reference resolution looks up each ancestor of the reference.
    by_node: Vec<u32>,
    root: NodeId,
}

/// The entries of one Bundle with one fullUrl: almost always one.
enum Matches {
    One([usize; 1]),
    Many(Vec<usize>),
}

impl Matches {
    fn as_slice(&self) -> &[usize] {
        match self {
            Matches::One(one) => one,
            Matches::Many(many) => many,
        }
    }

    fn push(&mut self, entry: usize) {
        match self {
            Matches::One([first]) => *self = Matches::Many(vec![*first, entry]),
            Matches::Many(many) => many.push(entry),
        }
    }
}

pub struct Entry {
    pub node: NodeId,
    /// The Bundle resource this entry belongs to.
    pub bundle: NodeId,
    pub full_url: Option<NodeId>,
    pub resource: Option<NodeId>,
}

impl<'a> BundleIndex<'a> {
    pub fn new(doc: &'a Document) -> Self {
        let root = doc.root();
        let bundles = std::iter::once(root).chain(doc.descendants(root));
        BundleIndex::of(doc, bundles)
    }

    /// The entries of the outer Bundle only: enough to resolve a reference made from one of
    /// them (the MessageHeader's focus, say) without walking the whole message.
    pub fn outer(doc: &'a Document) -> Self {
        BundleIndex::of(doc, std::iter::once(doc.root()))
    }

    fn of(doc: &'a Document, nodes: impl Iterator<Item = NodeId>) -> Self {
        let mut entries = Vec::new();
        let mut by_url: HashMap<NodeId, HashMap<&'a str, Matches>> = HashMap::new();
        let mut by_node = vec![u32::MAX; doc.len()];
        let root = doc.root();
        let bundles = nodes.filter(|&n| doc.is_resource_type(n, "Bundle"));
        for bundle in bundles {
            for node in doc.children_named(bundle, "entry") {
                let full_url = doc.child(node, "fullUrl");
                if let Some(url) = full_url.and_then(|u| doc.value(u)) {
                    by_url
                        .entry(bundle)
                        .or_default()
                        .entry(url)
                        .and_modify(|m| m.push(entries.len()))
                        .or_insert(Matches::One([entries.len()]));
                }
                by_node[node.index()] = entries.len() as u32;
                entries.push(Entry {
                    node,
                    bundle,
                    full_url,
                    resource: doc.child(node, "resource"),
                });
            }
        }
        BundleIndex {
            entries,
            by_url,
            by_node,
            root,
        }
    }

    /// Entries of `bundle` whose fullUrl is exactly `url`.
    pub fn by_full_url(&self, bundle: NodeId, url: &str) -> &[usize] {
        self.by_url
            .get(&bundle)
            .and_then(|m| m.get(url))
            .map_or(&[], Matches::as_slice)
    }

    /// The entry that holds `node`, if any (the nearest enclosing one).
    pub fn entry_of(&self, doc: &Document, node: NodeId) -> Option<&Entry> {
        let mut at = doc.parent(node);
        while let Some(n) = at {
            if let Some(&i) = self.by_node.get(n.index()).filter(|&&i| i != u32::MAX) {
                return Some(&self.entries[i as usize]);
            }
            at = doc.parent(n);
        }
        None
    }

    /// The Bundle whose entries a reference at `node` resolves against.
    pub fn scope_of(&self, doc: &Document, node: NodeId) -> NodeId {
        self.entry_of(doc, node).map_or(self.root, |e| e.bundle)
    }

    /// Groups of entries that share a fullUrl within one Bundle (FHIR bdl-7).
    pub fn duplicate_groups(&self) -> Vec<&[usize]> {
        let mut groups: Vec<&[usize]> = self
            .by_url
            .values()
            .flat_map(|m| m.values())
            .map(Matches::as_slice)
            .filter(|v| v.len() > 1)
            .collect();
        groups.sort();
        groups
    }

    /// The entry a literal reference names, by FHIR bundle resolution: the exact fullUrl, or
    /// for a relative `Type/id` the RESTful base of the referencing entry's own fullUrl plus the
    /// reference (which never resolves against `urn:uuid:` fullUrls). `None` when no entry or
    /// several entries match.
    pub fn resolve(&self, doc: &Document, from: NodeId, reference: &str) -> Option<usize> {
        match self.matches(doc, from, reference) {
            [one] => Some(*one),
            _ => None,
        }
    }

    /// Every entry a literal (non-`#`) reference matches.
    pub fn matches(&self, doc: &Document, from: NodeId, reference: &str) -> &[usize] {
        let scope = self.scope_of(doc, from);
        let direct = self.by_full_url(scope, reference);
        if !direct.is_empty() {
            return direct;
        }
        let Some((ty, id)) = split_relative(reference) else {
            return &[];
        };
        let base = self
            .entry_of(doc, from)
            .and_then(|e| e.full_url)
            .and_then(|u| doc.value(u))
            .and_then(restful_base);
        match base {
            Some(base) => self.by_full_url(scope, &format!("{base}/{ty}/{id}")),
            None => &[],
        }
    }
}

/// `Type/id` or `Type/id/_history/v`: a relative literal reference.
pub fn split_relative(reference: &str) -> Option<(&str, &str)> {
    // Most references are `urn:uuid:…` fullUrls: a byte test settles them before splitting.
    if !reference.starts_with(|c: char| c.is_ascii_uppercase()) {
        return None;
    }
    let mut parts = reference.split('/');
    let ty = parts.next()?;
    let id = parts.next()?;
    let rest: Vec<&str> = parts.collect();
    let type_ok = ty.starts_with(|c: char| c.is_ascii_uppercase())
        && ty.chars().all(|c| c.is_ascii_alphabetic());
    let id_ok = (1..=64).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    let rest_ok = rest.is_empty() || (rest.len() == 2 && rest[0] == "_history");
    (type_ok && id_ok && rest_ok).then_some((ty, id))
}

/// The RESTful base of an absolute fullUrl `http(s)://base/Type/id`.
fn restful_base(full_url: &str) -> Option<String> {
    if !(full_url.starts_with("http://") || full_url.starts_with("https://")) {
        return None;
    }
    let mut parts: Vec<&str> = full_url.rsplitn(3, '/').collect();
    if parts.len() < 3 {
        return None;
    }
    parts.pop().map(str::to_string)
}
