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
        .find(|&r| doc.resource_type(r) == Some("MessageHeader"))
}
