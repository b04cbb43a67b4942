//! FHIR STU3 base definitions used to interpret the document tree.
pub mod defs;
