//! MESH metadata and validating files together: a message with the control file (`.ctl`) or
//! MESH API headers it travels with, and an ITK3 response with the request it answers.
//!
//! - [`address`]: mailbox IDs and `GPPROVIDER_<NHS number>_<date of birth>_<surname>`;
//! - [`detect`]: the release and use case of metadata given alone;
//! - [`cross`]: the rules that compare metadata with its message;
//! - [`responses`]: the rules that compare a response with its request;
//! - [`status`]: MESH status and error reports (`StatusRecord`, EPL-150…154);
//! - [`pair`]: which files of a run go together, and validating them as a group.
//!
//! The comparing rules are pack rules like any other (`check = { kind = "code" }`); they read
//! the other files of their group from [`Peers`], and say nothing when a file is validated alone.

pub mod address;
pub mod cross;
pub mod detect;
pub mod pair;
pub mod responses;
pub mod status;

use crate::document::Document;
use crate::finding::RuleMeta;
use crate::input::InputKind;

/// What a file is validated together with.
#[derive(Default)]
pub struct Peers<'a> {
    /// MESH metadata: the message it travels with, and that message's kind (request or
    /// response).
    pub message: Option<(&'a Document, InputKind)>,
    /// A response, or the MESH metadata of a response: the request answered.
    pub request: Option<&'a Document>,
    /// The MESH metadata travelling with that request.
    pub request_meta: Vec<&'a Document>,
    /// A response: the responses to the same request that come before it in the run.
    pub earlier_responses: Vec<&'a Document>,
    /// A response paired by `--response` rather than found by its `response.identifier`.
    pub explicit: bool,
    /// A response: whether the run had requests to pair it with (a response without a request
    /// is only worth a notice then).
    pub requests_searched: bool,
}

/// The pairing rules that are about files, not content (a `.dat` that does not parse can still
/// lack its `.ctl`).
pub static RULES: &[&RuleMeta] = &[&pair::MESH_CONTROL_UNPAIRED, &pair::MESH_DATA_UNPAIRED];
