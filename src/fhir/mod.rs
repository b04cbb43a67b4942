//! FHIR STU3 knowledge: the base element definitions ([`defs`], generated) and the per-document
//! annotation that attaches them to nodes ([`annotate`]).

pub mod annotate;
pub mod defs;
