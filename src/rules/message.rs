//! Rust-coded rules over a message Bundle: the checks that need the whole bundle at once (entry
//! order, fullUrl uniqueness, reference resolution) rather than one element's value.

use super::{Context, Rule};
use crate::document::{Document, NodeId, NodeKind};
use crate::finding::{Finding, Requirements, RuleMeta, Severity};
use crate::input::InputKind;
use std::borrow::Cow::Borrowed as B;
use std::collections::HashMap;

/// Entries of every Bundle in a message (the outer one and nested payload bundles), with their
/// `fullUrl`s indexed: FHIR resolves a message's references against all of them.
pub struct BundleIndex<'a> {
    pub entries: Vec<Entry>,
    by_url: HashMap<&'a str, Vec<usize>>,
}

pub struct Entry {
    pub node: NodeId,
    pub full_url: Option<NodeId>,
    pub resource: Option<NodeId>,
}

impl<'a> BundleIndex<'a> {
    pub fn new(doc: &'a Document) -> Self {
        let mut entries = Vec::new();
        let mut by_url: HashMap<&'a str, Vec<usize>> = HashMap::new();
        let root = doc.root();
        let is_bundle = |n: NodeId| doc.resource_type(n) == Some("Bundle");
        let bundles = std::iter::once(root)
            .chain(doc.descendants(root))
            .filter(|&n| is_bundle(n));
        for bundle in bundles {
            for node in doc.children_named(bundle, "entry") {
                let full_url = doc.child(node, "fullUrl");
                if let Some(url) = full_url.and_then(|u| doc.value(u)) {
                    by_url.entry(url).or_default().push(entries.len());
                }
                entries.push(Entry {
                    node,
                    full_url,
                    resource: doc.child(node, "resource"),
                });
            }
        }
        BundleIndex { entries, by_url }
    }

    /// Entries whose fullUrl is exactly `url`.
    pub fn by_full_url(&self, url: &str) -> &[usize] {
        self.by_url.get(url).map_or(&[], Vec::as_slice)
    }

    /// The entry that holds `node`, if any (the nearest enclosing one).
    pub fn entry_of(&self, doc: &Document, node: NodeId) -> Option<&Entry> {
        let mut at = doc.parent(node);
        while let Some(n) = at {
            if doc.name(n) == "entry" {
                return self.entries.iter().find(|e| e.node == n);
            }
            at = doc.parent(n);
        }
        None
    }

    fn duplicate_groups(&self) -> Vec<&[usize]> {
        let mut groups: Vec<&[usize]> = self
            .by_url
            .values()
            .filter(|v| v.len() > 1)
            .map(Vec::as_slice)
            .collect();
        groups.sort();
        groups
    }
}

/// A rule written in Rust: metadata plus a check function.
pub struct CodeRule {
    pub meta: RuleMeta,
    kinds: &'static [InputKind],
    check: fn(&RuleMeta, &Context<'_>, &mut Vec<Finding>),
}

impl Rule for CodeRule {
    fn meta(&self) -> &RuleMeta {
        &self.meta
    }
    fn applies_to(&self, kind: InputKind) -> bool {
        self.kinds.contains(&kind)
    }
    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        (self.check)(&self.meta, cx, out)
    }
}

const MESSAGES: &[InputKind] = &[InputKind::Message, InputKind::Response];

pub static RULES: &[&dyn Rule] = &[
    &BUNDLE_TYPE_NOT_MESSAGE,
    &MESSAGE_HEADER_NOT_FIRST,
    &FULL_URL_DUPLICATE,
    &REFERENCE_UNRESOLVED,
];

pub static BUNDLE_TYPE_NOT_MESSAGE: CodeRule = CodeRule {
    meta: RuleMeta {
        name: B("bundle-type-not-message"),
        severity: Severity::Error,
        summary: B("The outer Bundle of an ITK3 message must have `type` = `message`."),
        help: B("Set `Bundle.type` to `message`"),
        docs: B(
            "The outer Bundle of an ITK3 message must have `type` = `message`.

## What it checks
`Bundle.type` of the outermost Bundle is present and equals `message`.

## Why it matters
ITK-Message-Bundle-1 fixes the type; receivers route on it, and a `document` or `collection`
Bundle is not processed as a message at all.

## Example
Failing:
```xml
<Bundle xmlns=\"http://hl7.org/fhir\"><type value=\"collection\"/>…</Bundle>
```
Passing:
```xml
<Bundle xmlns=\"http://hl7.org/fhir\"><type value=\"message\"/>…</Bundle>
```

## References
- https://fhir.nhs.uk/STU3/StructureDefinition/ITK-Message-Bundle-1
- http://hl7.org/fhir/STU3/messaging.html
",
        ),
        requirements: Requirements::none(),
    },
    kinds: MESSAGES,
    check: |meta, cx, out| {
        let doc = cx.doc;
        let root = doc.root();
        match doc.child(root, "type") {
            None => out.push(
                meta.finding("`Bundle.type` is missing")
                    .at_node_name(doc, root)
                    .label("expected a `type` of `message`"),
            ),
            Some(t) => {
                let found = doc.value(t).unwrap_or("");
                if found != "message" {
                    out.push(
                        meta.finding(format!("`Bundle.type` is `{found}`, expected `message`"))
                            .at_node(doc, t)
                            .label("expected `message`"),
                    );
                }
            }
        }
    },
};

pub static MESSAGE_HEADER_NOT_FIRST: CodeRule = CodeRule {
    meta: RuleMeta {
        name: B("message-header-not-first"),
        severity: Severity::Error,
        summary: B("The first entry of a message Bundle must be its MessageHeader."),
        help: B("Move the MessageHeader entry to the start of `Bundle.entry`"),
        docs: B(
            "The first entry of a message Bundle must be its MessageHeader.

## What it checks
`Bundle.entry[0].resource` exists and is a `MessageHeader`.

## Why it matters
FHIR messaging requires the MessageHeader first; ITK3 receivers read it to decide how to handle,
acknowledge and route the message before looking at anything else.

## Example
Failing:
```xml
<entry><resource><Organization>…</Organization></resource></entry>
<entry><resource><MessageHeader>…</MessageHeader></resource></entry>
```
Passing:
```xml
<entry><resource><MessageHeader>…</MessageHeader></resource></entry>
<entry><resource><Organization>…</Organization></resource></entry>
```

## References
- http://hl7.org/fhir/STU3/bundle.html#bundle-message
- https://fhir.nhs.uk/STU3/StructureDefinition/ITK-MessageHeader-2
",
        ),
        requirements: Requirements::none(),
    },
    kinds: MESSAGES,
    check: |meta, cx, out| {
        let doc = cx.doc;
        let root = doc.root();
        let Some(first) = doc.child(root, "entry") else {
            out.push(
                meta.finding("the message Bundle has no entries")
                    .at_node_name(doc, root)
                    .label("expected `entry[0]` to hold the MessageHeader"),
            );
            return;
        };
        let resource = doc.child(first, "resource");
        let found = resource.and_then(|r| doc.resource_type(r));
        if found == Some("MessageHeader") {
            return;
        }
        let at = resource.unwrap_or(first);
        let mut f = meta
            .finding(match found {
                Some(t) => format!("the first entry holds a `{t}`, expected the `MessageHeader`"),
                None => "the first entry holds no resource, expected the `MessageHeader`".into(),
            })
            .at_node_name(doc, at)
            .label("expected `MessageHeader`");
        let header = doc
            .children_named(root, "entry")
            .filter_map(|e| doc.child(e, "resource"))
            .find(|&r| doc.resource_type(r) == Some("MessageHeader"));
        if let Some(h) = header {
            f = f.related(doc.node(h).name_span, "the MessageHeader is here");
        }
        out.push(f);
    },
};

pub static FULL_URL_DUPLICATE: CodeRule = CodeRule {
    meta: RuleMeta {
        name: B("full-url-duplicate"),
        severity: Severity::Error,
        summary: B("Every entry in a message must have a distinct `fullUrl`."),
        help: B("Give each entry its own fullUrl, such as a fresh `urn:uuid:`"),
        docs: B("Every entry in a message must have a distinct `fullUrl`.

## What it checks
No two `entry.fullUrl` values are equal, across the outer message Bundle and every Bundle nested
in it (the payload bundle).

## Why it matters
References resolve by fullUrl (FHIR invariant bdl-7 makes it unique per Bundle); with a
duplicate, a reference can point at either resource and sender and receiver may disagree about
which patient or document was meant.

## Example
Failing:
```xml
<entry><fullUrl value=\"urn:uuid:6a1e…\"/>…</entry>
<entry><fullUrl value=\"urn:uuid:6a1e…\"/>…</entry>
```
Passing:
```xml
<entry><fullUrl value=\"urn:uuid:6a1e…\"/>…</entry>
<entry><fullUrl value=\"urn:uuid:0c4d…\"/>…</entry>
```

## References
- http://hl7.org/fhir/STU3/bundle.html#bundle-unique (bdl-7)
"),
        requirements: Requirements::none(),
    },
    kinds: MESSAGES,
    check: |meta, cx, out| {
        let doc = cx.doc;
        for group in cx.bundle.duplicate_groups() {
            let urls: Vec<NodeId> = group
                .iter()
                .filter_map(|&i| cx.bundle.entries[i].full_url)
                .collect();
            let Some((&first, rest)) = urls.split_first() else {
                continue;
            };
            for &dup in rest {
                out.push(
                    meta.finding(format!(
                        "fullUrl `{}` is used by {} entries",
                        doc.value(dup).unwrap_or(""),
                        urls.len()
                    ))
                    .at_node(doc, dup)
                    .label("duplicate")
                    .related(doc.node(first).value_span, "first used here"),
                );
            }
        }
    },
};

pub static REFERENCE_UNRESOLVED: CodeRule = CodeRule {
    meta: RuleMeta {
        name: B("reference-unresolved"),
        severity: Severity::Error,
        summary: B("Every `Reference.reference` in a message must resolve to exactly one entry of the message."),
        help: B("Write the reference as the `fullUrl` of the entry it points to"),
        docs: B("Every `Reference.reference` in a message must resolve to exactly one entry of the message.

## What it checks
Each `reference` matches the `fullUrl` of exactly one entry in the message (outer or nested
Bundle), following FHIR bundle resolution: a relative `Type/id` reference resolves only against
the RESTful base of the referencing entry's own fullUrl, so it never resolves when fullUrls are
`urn:uuid:` values. `#id` references resolve to contained resources. A reference that matches several entries
is reported once, as `full-url-duplicate`, not here. The ITK3 handling
extension's `MessageDefinition` is a canonical reference to a published definition and is not
looked up.

## Why it matters
ITK3 messages must be self-contained: a receiver cannot fetch resources from elsewhere, so an
unresolved reference silently loses the patient, author or document it was meant to carry.
Several of the spec's own examples write `Patient/123` against `urn:uuid:` fullUrls and are
broken in exactly this way.

## Example
Failing:
```xml
<fullUrl value=\"urn:uuid:5b7e…\"/> … <Patient><id value=\"5b7e…\"/>
<subject><reference value=\"Patient/5b7e…\"/></subject>
```
Passing:
```xml
<subject><reference value=\"urn:uuid:5b7e…\"/></subject>
```

## References
- http://hl7.org/fhir/STU3/bundle.html#references
- GP Connect Messaging: \"resolves\" in every reference requirement
"),
        requirements: Requirements::none(),
    },
    kinds: MESSAGES,
    check: |meta, cx, out| {
        let doc = cx.doc;
        for node in reference_values(doc) {
            let Some(reference) = doc.value(node) else { continue };
            if let Some(f) = resolve(cx, node, reference) {
                out.push(f.into_finding(meta, doc, node, reference));
            }
        }
    },
};

/// `reference` primitives of Reference elements in the document, in document order. Inside
/// elements the definitions do not know (misspelt or misplaced content) a child named
/// `reference` is taken as one, so broken content still has its references checked.
fn reference_values(doc: &Document) -> impl Iterator<Item = NodeId> + '_ {
    doc.descendants(doc.root()).filter(move |&n| {
        let Some(parent) = doc.parent(n) else {
            return false;
        };
        let is_reference = match doc.typed(parent) {
            Some(t) => t.type_code == Some("Reference"),
            None => doc.node(parent).kind == NodeKind::Element,
        };
        is_reference
            && doc.name(n) == "reference"
            && doc.value(n).is_some()
            && !is_message_definition(doc, n)
    })
}

/// The ITK3 handling extension's `MessageDefinition` key holds a canonical URL of a published
/// definition, never an entry of the message.
fn is_message_definition(doc: &Document, reference: NodeId) -> bool {
    let Some(value_ref) = doc.parent(reference) else {
        return false;
    };
    let Some(ext) = doc.parent(value_ref) else {
        return false;
    };
    doc.name(value_ref) == "valueReference"
        && doc.name(ext) == "extension"
        && doc.get_value(ext, "url") == Some("MessageDefinition")
}

/// Why a reference does not resolve. A reference matching several entries is not reported
/// here: the duplicate fullUrl behind it is, once, by `full-url-duplicate`.
enum Unresolved {
    Missing { hint: Option<String> },
}

impl Unresolved {
    fn into_finding(
        self,
        meta: &RuleMeta,
        doc: &Document,
        node: NodeId,
        reference: &str,
    ) -> Finding {
        match self {
            Unresolved::Missing { hint } => {
                let f = meta
                    .finding(format!(
                        "reference `{reference}` does not resolve to any entry in the message"
                    ))
                    .at_node(doc, node)
                    .label("no entry has this fullUrl");
                match hint {
                    Some(h) => f.with_help(h),
                    None => f,
                }
            }
        }
    }
}

fn resolve(cx: &Context<'_>, node: NodeId, reference: &str) -> Option<Unresolved> {
    let doc = cx.doc;
    if let Some(id) = reference.strip_prefix('#') {
        return resolve_contained(doc, node, id);
    }
    let mut matches = cx.bundle.by_full_url(reference).len();
    let relative = split_relative(reference);
    if matches == 0 {
        if let Some((ty, id)) = relative {
            // Relative references resolve against the base of the referencing entry's fullUrl.
            let base = cx
                .bundle
                .entry_of(doc, node)
                .and_then(|e| e.full_url)
                .and_then(|u| doc.value(u))
                .and_then(restful_base);
            if let Some(base) = base {
                matches = cx.bundle.by_full_url(&format!("{base}/{ty}/{id}")).len();
            }
        }
    }
    (matches == 0).then(|| Unresolved::Missing {
        hint: relative.and_then(|(ty, id)| suggest_full_url(cx, ty, id)),
    })
}

fn resolve_contained(doc: &Document, node: NodeId, id: &str) -> Option<Unresolved> {
    // `#` alone points at the containing resource itself.
    let container = doc.enclosing_resource(node).and_then(|r| {
        if id.is_empty() {
            Some(r)
        } else {
            doc.parent(r)
                .and_then(|p| doc.enclosing_resource(p))
                .or(Some(r))
        }
    })?;
    if id.is_empty() {
        return None;
    }
    let found = doc
        .children_named(container, "contained")
        .filter(|&c| doc.get_value(c, "id") == Some(id))
        .count();
    (found == 0).then(|| Unresolved::Missing {
        hint: Some(format!(
            "Add a contained resource with id `{id}`, or reference the entry's fullUrl"
        )),
    })
}

/// `Type/id` or `Type/id/_history/v`: a relative literal reference.
fn split_relative(reference: &str) -> Option<(&str, &str)> {
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
    let base = parts.pop()?;
    Some(base.to_string())
}

/// For a relative `Type/id` that did not resolve, names the fullUrl of the entry that holds
/// that resource, which is what the reference should say.
fn suggest_full_url(cx: &Context<'_>, ty: &str, id: &str) -> Option<String> {
    let doc = cx.doc;
    let entry = cx.bundle.entries.iter().find(|e| {
        e.resource
            .is_some_and(|r| doc.resource_type(r) == Some(ty) && doc.get_value(r, "id") == Some(id))
    })?;
    let url = doc.value(entry.full_url?)?;
    Some(format!(
        "A relative `{ty}/{id}` does not resolve against `{}` fullUrls; reference the entry as `{url}`",
        url.split(':').take(2).collect::<Vec<_>>().join(":")
    ))
}
