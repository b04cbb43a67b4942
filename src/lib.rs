//! gpcm-validate: conformance checks for GP Connect Messaging ITK3 FHIR STU3 messages.

pub mod fhir;
