//! gpcm-validate: conformance checks for GP Connect Messaging ITK3 FHIR STU3 messages and their
//! MESH metadata. [`validate::validate_bytes`] runs the whole pipeline on one input; the `cli`
//! module is the command-line front end.

pub mod base64;
pub mod checks;
pub mod cli;
pub mod detect;
pub mod document;
pub mod emit;
pub mod fhir;
pub mod finding;
pub mod input;
pub mod mesh;
pub mod nhs;
pub mod profile;
pub mod rules;
pub mod structural;
pub mod validate;
