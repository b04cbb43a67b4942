//! Checks between an ITK3 response and the request it answers: the identifier that pairs them
//! (when paired by `--response`), the SenderReference echo, at most one infrastructure and one
//! business response per request, and a response whose request is not in the run.
//!
//! Each is the Rust half of a pack rule (`check = { kind = "code" }`, bound in
//! `src/rules/code.rs`); findings go on the response and name the request's element as a
//! related place.

use crate::document::{Document, NodeId};
use crate::finding::{Finding, RuleMeta};
use crate::rules::bundle_index::BundleIndex;
use crate::rules::Context;

/// `MessageHeader.id` of a message.
pub fn header_id(doc: &Document) -> Option<NodeId> {
    crate::fhir::message_header(doc).and_then(|h| doc.child(h, "id"))
}

/// `MessageHeader.response.identifier` of a response.
pub fn response_identifier(doc: &Document) -> Option<NodeId> {
    crate::fhir::message_header(doc).and_then(|h| doc.get(h, "response.identifier"))
}

/// Whether a response is an infrastructure or a business one, from the ITK3 response code of
/// its OperationOutcome, and the node holding that code.
pub fn level(doc: &Document) -> Option<(&'static str, NodeId)> {
    let header = crate::fhir::message_header(doc)?;
    let reference = doc.get(header, "response.details.reference")?;
    let index = BundleIndex::outer(doc);
    let entry = index.resolve(doc, reference, doc.value(reference)?)?;
    let outcome = index.entries[entry].resource?;
    let code = doc
        .children_named(outcome, "issue")
        .find_map(|i| doc.get(i, "details.coding.code"))?;
    let value = doc.value(code)?;
    let row = crate::profile::embedded_response_codes()
        .iter()
        .find(|c| c.code == value)?;
    let level = match row.level.as_str() {
        "infrastructure" => "infrastructure",
        "business" => "business",
        _ => return None,
    };
    Some((level, code))
}

/// The request the response answers, when the run paired one.
fn request<'a>(cx: &Context<'a>) -> Option<&'a Document> {
    cx.peers?.request
}

/// Paired by `--response`: `response.identifier` names the request's `MessageHeader.id`.
pub fn request_identifier_mismatch(meta: &RuleMeta, cx: &Context<'_>, out: &mut Vec<Finding>) {
    let (Some(req), true) = (request(cx), cx.peers.is_some_and(|p| p.explicit)) else {
        return;
    };
    let doc = cx.doc;
    let Some(id) = header_id(req) else { return };
    let theirs = req.value(id).unwrap_or("").trim();
    let mine = response_identifier(doc);
    let found = mine.and_then(|n| doc.value(n)).unwrap_or("").trim();
    if found == theirs {
        return;
    }
    let f = match mine {
        Some(n) => meta
            .finding(format!(
                "`MessageHeader.response.identifier` is `{found}`, but the request's `MessageHeader.id` is `{theirs}`"
            ))
            .at_node(doc, n)
            .label("not the request's id"),
        None => {
            let at = crate::fhir::message_header(doc).unwrap_or(doc.root());
            meta.finding(format!(
                "the response has no `MessageHeader.response.identifier`; the request's `MessageHeader.id` is `{theirs}`"
            ))
            .at_node_name(doc, at)
            .label("no response.identifier")
        }
    };
    out.push(f.related_in(req, id, "the request's MessageHeader.id"));
}

/// The response's `SenderReference` handling key repeats the request's.
pub fn sender_reference_mismatch(meta: &RuleMeta, cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(req) = request(cx) else { return };
    let doc = cx.doc;
    let (Some(mine), Some(theirs)) = (
        crate::fhir::handling_value(doc, "SenderReference"),
        crate::fhir::handling_value(req, "SenderReference"),
    ) else {
        return;
    };
    let (a, b) = (
        doc.value(mine).unwrap_or("").trim(),
        req.value(theirs).unwrap_or("").trim(),
    );
    if a != b {
        out.push(
            meta.finding(format!(
                "`SenderReference` is `{a}`, but the request's is `{b}`; a response repeats it"
            ))
            .at_node(doc, mine)
            .label("not the request's SenderReference")
            .related_in(req, theirs, "the request's SenderReference"),
        );
    }
}

/// At most one infrastructure and one business response per request.
pub fn response_duplicate(meta: &RuleMeta, cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(peers) = cx.peers else { return };
    let (Some(req), Some((mine, code))) = (peers.request, level(cx.doc)) else {
        return;
    };
    let Some(earlier) = peers
        .earlier_responses
        .iter()
        .find_map(|r| level(r).filter(|(l, _)| *l == mine).map(|(_, n)| (*r, n)))
    else {
        return;
    };
    let request_id = header_id(req)
        .and_then(|n| req.value(n))
        .unwrap_or("")
        .trim();
    out.push(
        meta.finding(format!(
            "a second {mine} response to request `{request_id}`; a request gets at most one {mine} response"
        ))
        .at_node(cx.doc, code)
        .label(format!("another {mine} response"))
        .related_in(earlier.0, earlier.1, format!("the first {mine} response")),
    );
}

/// A response whose request is not among the files given (only said when there were requests
/// to look among).
pub fn response_unpaired(meta: &RuleMeta, cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(peers) = cx.peers else { return };
    if peers.request.is_some() || !peers.requests_searched {
        return;
    }
    let doc = cx.doc;
    let f = match response_identifier(doc) {
        Some(n) => meta
            .finding(format!(
                "no request given with this response has `MessageHeader.id` `{}`",
                doc.value(n).unwrap_or("").trim()
            ))
            .at_node(doc, n)
            .label("names no request given"),
        None => meta
            .finding(
                "the response names no request (`MessageHeader.response.identifier` is missing)",
            )
            .at_node_name(doc, crate::fhir::message_header(doc).unwrap_or(doc.root())),
    };
    out.push(f);
}
