//! Cross-checks between MESH metadata and the message it travels with: the GPPROVIDER
//! demographics against the Patient, the sender mailbox against `MessageHeader.source.endpoint`,
//! `LocalId` against the sender's ODS code, and the workflow against the message kind.
//!
//! Each is the Rust half of a pack rule (`check = { kind = "code" }`, bound in
//! `src/rules/code.rs`). Findings point at the control-file element or header and name the
//! bundle element they disagree with as a related place in the message.

use super::address::{self, Address, Date, DateFormat};
use super::detect::{V1_WORKFLOW, V2_WORKFLOW};
use crate::checks::children::part_span;
use crate::document::{Document, NodeId};
use crate::finding::{Finding, Label, RuleMeta};
use crate::input::InputKind;
use crate::rules::bundle_index::BundleIndex;
use crate::rules::Context;

const NHS_NUMBER: &str = "https://fhir.nhs.uk/Id/nhs-number";
const ODS_CODE: &str = "https://fhir.nhs.uk/Id/ods-organization-code";

/// How a release writes the GPPROVIDER date of birth (the packs say the same per variant).
pub fn date_format(version: &str) -> DateFormat {
    if version.starts_with("2.") {
        DateFormat::YyyyMmDd
    } else {
        DateFormat::DdMmYyyy
    }
}

/// The metadata field named `ctl` in a control file and `header` in a header set.
pub fn field(doc: &Document, ctl: &str, header: &str) -> Option<NodeId> {
    let root = doc.root();
    let name = if doc.name(root) == "DTSControl" {
        ctl
    } else {
        header
    };
    doc.child(root, name)
}

fn trimmed(doc: &Document, node: NodeId) -> &str {
    doc.value(node).unwrap_or("").trim()
}

/// The message's Patient: the first Patient resource in it.
pub fn patient(message: &Document) -> Option<NodeId> {
    message
        .descendants(message.root())
        .find(|&n| message.is_resource_type(n, "Patient"))
}

/// The message the metadata travels with, when it is of `kind`.
fn message_of<'a>(cx: &Context<'a>, kinds: &[InputKind]) -> Option<&'a Document> {
    let (doc, kind) = cx.peers?.message?;
    kinds.contains(&kind).then_some(doc)
}

/// A finding at bytes `part` of the trimmed value of `node` (or the whole value).
fn at_part(
    meta: &RuleMeta,
    doc: &Document,
    node: NodeId,
    part: Option<std::ops::Range<usize>>,
    message: String,
    label: &str,
) -> Finding {
    let mut f = meta.finding(message).at_node(doc, node);
    let lead = {
        let raw = doc.value(node).unwrap_or("");
        raw.len() - raw.trim_start().len()
    };
    if let Some(span) = part.and_then(|r| part_span(doc, node, r.start + lead..r.end + lead)) {
        f.label = Some(Label {
            span,
            text: Some(label.to_string()),
        });
    } else {
        f = f.label(label);
    }
    f
}

/// `To_DTS` / `Mex-To`: the NHS number, date of birth and surname of a GPPROVIDER address are
/// the Patient's.
pub fn demographics_mismatch(meta: &RuleMeta, cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(message) = message_of(cx, &[InputKind::Message]) else {
        return;
    };
    let doc = cx.doc;
    let Some(to) = field(doc, "To_DTS", "Mex-To") else {
        return;
    };
    let value = trimmed(doc, to);
    let Address::GpProvider(p) = address::parse(value) else {
        return;
    };
    let Some(patient) = patient(message) else {
        return;
    };
    let name = doc.name(to);
    // NHS number.
    let nhs = &value[p.nhs_number.clone()];
    let patient_nhs = message
        .children_named(patient, "identifier")
        .find(|&i| message.get_value(i, "system") == Some(NHS_NUMBER))
        .and_then(|i| message.child(i, "value"));
    if let Some(pn) = patient_nhs {
        let theirs = message.value(pn).unwrap_or("").trim();
        if theirs != nhs {
            out.push(
                at_part(
                    meta,
                    doc,
                    to,
                    Some(p.nhs_number.clone()),
                    format!("`{name}` names NHS number `{nhs}`, but the Patient's is `{theirs}`"),
                    "not the Patient's NHS number",
                )
                .related_in(message, pn, "the Patient's NHS number"),
            );
        }
    }
    // Date of birth (a date that only reads in the other format is the date-format rule's).
    let dob = &value[p.birth_date.clone()];
    let want = date_format(&cx.spec.version);
    let born = message.child(patient, "birthDate");
    if let (Some(mine), Some(b)) = (want.read(dob), born) {
        if let Some(theirs) = message.value(b).and_then(Date::from_fhir) {
            if mine != theirs {
                out.push(
                    at_part(
                        meta,
                        doc,
                        to,
                        Some(p.birth_date.clone()),
                        format!(
                            "`{name}` gives date of birth `{dob}` ({}), but the Patient was born {} (`{}` in {})",
                            mine.iso(),
                            theirs.iso(),
                            want.write(theirs),
                            want.name()
                        ),
                        "not the Patient's birth date",
                    )
                    .related_in(message, b, "the Patient's birthDate"),
                );
            }
        }
    }
    // Surname: MESH matches it against PDS without regard to case.
    let surname = &value[p.surname.clone()];
    let names: Vec<NodeId> = message.children_named(patient, "name").collect();
    let official = names
        .iter()
        .copied()
        .find(|&n| message.get_value(n, "use") == Some("official"))
        .or_else(|| names.first().copied());
    if let Some(family) = official.and_then(|n| message.child(n, "family")) {
        let theirs = message.value(family).unwrap_or("").trim();
        if !surname.is_empty() && !surname.eq_ignore_ascii_case(theirs) {
            out.push(
                at_part(
                    meta,
                    doc,
                    to,
                    Some(p.surname.clone()),
                    format!("`{name}` names surname `{surname}`, but the Patient's official family name is `{theirs}`"),
                    "not the Patient's surname",
                )
                .related_in(message, family, "the Patient's family name"),
            );
        }
    }
}

/// `From_DTS` / `Mex-From` is the message's `MessageHeader.source.endpoint`.
pub fn sender_endpoint_mismatch(meta: &RuleMeta, cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(message) = message_of(cx, &[InputKind::Message, InputKind::Response]) else {
        return;
    };
    let doc = cx.doc;
    let (Some(from), Some(endpoint)) = (
        field(doc, "From_DTS", "Mex-From"),
        crate::fhir::message_header(message).and_then(|h| message.get(h, "source.endpoint")),
    ) else {
        return;
    };
    let (mine, theirs) = (
        trimmed(doc, from),
        message.value(endpoint).unwrap_or("").trim(),
    );
    if !mine.is_empty() && !theirs.is_empty() && mine != theirs {
        out.push(
            meta.finding(format!(
                "`{}` is `{mine}`, but the message's `MessageHeader.source.endpoint` is `{theirs}`",
                doc.name(from)
            ))
            .at_node(doc, from)
            .label("not the message's source endpoint")
            .related_in(message, endpoint, "the sender's mailbox in the message"),
        );
    }
}

/// The ODS code of the message's sender: the Organization `MessageHeader.sender` names.
fn sender_ods(message: &Document) -> Option<NodeId> {
    let header = crate::fhir::message_header(message)?;
    let reference = message.get(header, "sender.reference")?;
    let index = BundleIndex::outer(message);
    let entry = index.resolve(message, reference, message.value(reference)?)?;
    let org = index.entries[entry].resource?;
    message
        .children_named(org, "identifier")
        .find(|&i| message.get_value(i, "system") == Some(ODS_CODE))
        .and_then(|i| message.child(i, "value"))
}

/// `LocalId` / `Mex-LocalID` is the sending organisation's ODS code.
pub fn local_id_not_sender(meta: &RuleMeta, cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(message) = message_of(cx, &[InputKind::Message]) else {
        return;
    };
    let doc = cx.doc;
    let (Some(local), Some(ods)) = (field(doc, "LocalId", "Mex-LocalID"), sender_ods(message))
    else {
        return;
    };
    let (mine, theirs) = (trimmed(doc, local), message.value(ods).unwrap_or("").trim());
    if !mine.is_empty() && !theirs.is_empty() && mine != theirs {
        out.push(
            meta.finding(format!(
                "`{}` is `{mine}`, but the sending organisation's ODS code is `{theirs}`",
                doc.name(local)
            ))
            .at_node(doc, local)
            .label("not the sender's ODS code")
            .related_in(message, ods, "the sender's ODS code"),
        );
    }
}

/// The workflow ID of a request sent in `version`, and of its acknowledgement.
pub fn workflows(version: &str) -> (&'static str, &'static str) {
    if version.starts_with("2.") {
        (V2_WORKFLOW, "GPCONNECT_SEND_DOCUMENT_ACK")
    } else {
        (V1_WORKFLOW, "GPFED_CONSULT_REPORT_ACK")
    }
}

fn workflow(doc: &Document) -> Option<NodeId> {
    field(doc, "WorkflowId", "Mex-WorkflowID")
}

/// Metadata travelling with a request does not use an `_ACK` workflow.
pub fn request_workflow_is_ack(meta: &RuleMeta, cx: &Context<'_>, out: &mut Vec<Finding>) {
    if message_of(cx, &[InputKind::Message]).is_none() {
        return;
    }
    let doc = cx.doc;
    let Some(w) = workflow(doc) else { return };
    let value = trimmed(doc, w);
    if let Some(base) = value.strip_suffix("_ACK") {
        out.push(
            meta.finding(format!(
                "the metadata of a request names the acknowledgement workflow `{value}`; a request travels as `{base}`"
            ))
            .at_node(doc, w)
            .label("an acknowledgement workflow"),
        );
    }
}

/// Metadata travelling with an ITK3 response uses the acknowledgement workflow: the request's
/// workflow with `_ACK`, when the request's metadata is at hand.
pub fn response_workflow_not_ack(meta: &RuleMeta, cx: &Context<'_>, out: &mut Vec<Finding>) {
    if message_of(cx, &[InputKind::Response]).is_none() {
        return;
    }
    let doc = cx.doc;
    let Some(w) = workflow(doc) else { return };
    let value = trimmed(doc, w);
    let peers = cx.peers.expect("message_of found peers");
    let request_workflow = peers
        .request_meta
        .iter()
        .find_map(|m| workflow(m).map(|n| (*m, n)))
        .filter(|(m, n)| !trimmed(m, *n).is_empty());
    let expected = match request_workflow {
        Some((m, n)) => format!("{}_ACK", trimmed(m, n)),
        None => workflows(&cx.spec.version).1.to_string(),
    };
    if value == expected {
        return;
    }
    let f = meta
        .finding(format!(
            "the metadata of an ITK3 response names workflow `{value}`; an acknowledgement travels as `{expected}`"
        ))
        .at_node(doc, w)
        .label(format!("expected `{expected}`"));
    out.push(match request_workflow {
        Some((m, n)) => f.related_in(m, n, "the request's workflow"),
        None => f,
    });
}
