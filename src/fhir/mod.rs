//! FHIR STU3 knowledge: the base element definitions ([`defs`], generated) and the per-document
//! annotation that attaches them to nodes ([`annotate`]).

pub mod annotate;
pub mod defs;

use crate::document::{Document, NodeId};

/// The message's MessageHeader: the first entry resource of the root Bundle that is one.
/// FHIR wants it first; finding it anywhere lets every header rule run on a misplaced header
/// while `message-header-not-first` reports the misplacement once.
pub fn message_header(doc: &Document) -> Option<NodeId> {
    doc.children_named(doc.root(), "entry")
        .filter_map(|e| doc.child(e, "resource"))
        .find(|&r| doc.is_resource_type(r, "MessageHeader"))
}

/// The ITK3 handling-specification extension (Extension-ITK-MessageHandling-2).
pub const HANDLING: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-ITK-MessageHandling-2";

/// The value node of a handling-specification key (`MessageDefinition`, `LocalExtension`,
/// `SenderReference`, …) of the message's MessageHeader.
pub fn handling_value(doc: &Document, key: &str) -> Option<NodeId> {
    let header = message_header(doc)?;
    let ext = doc
        .children_named(header, "extension")
        .find(|&e| doc.get_value(e, "url") == Some(HANDLING))?;
    let keyed = doc
        .children_named(ext, "extension")
        .find(|&e| doc.get_value(e, "url") == Some(key))?;
    doc.children(keyed)
        .find(|&c| doc.name(c).starts_with("value"))
}
