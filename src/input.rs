//! From raw bytes to a parsed input: encoding checks, format detection from content (never the
//! file name), parsing, and what kind of input it is.

use crate::document::{
    headers, json, xml, Document, InputBytes, NodeKind, SourceFile, SourceText, Span,
};
use crate::finding::Finding;
use crate::rules::input::*;
use serde::Serialize;
use std::sync::Arc;

/// What an input is, as reported in the JSON output's `kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputKind {
    /// An ITK3 message Bundle (a GP Connect request).
    Message,
    /// An ITK3 response (acknowledgement) Bundle: MessageHeader with `response`, or event
    /// `ITK008M`.
    Response,
    /// A MESH client control file (`DTSControl`).
    MeshControl,
    /// MESH API `Mex-*` headers.
    MeshHeaders,
    /// The control file of an acknowledgement: its `WorkflowId` ends in `_ACK`.
    MeshAckControl,
    /// The MESH API headers of an acknowledgement: `Mex-WorkflowID` ends in `_ACK`.
    MeshAckHeaders,
    /// A MESH status or error report: a `StatusRecord`, or a control file with `MessageType`
    /// `Report` (what the MESH client leaves in the sender's inbox when delivery failed).
    MeshReport,
    /// A FHIR resource that is not a Bundle.
    FhirResource,
    Unknown,
}

impl InputKind {
    /// MESH metadata or a MESH report (not FHIR).
    pub fn is_mesh(self) -> bool {
        matches!(
            self,
            InputKind::MeshControl
                | InputKind::MeshHeaders
                | InputKind::MeshAckControl
                | InputKind::MeshAckHeaders
                | InputKind::MeshReport
        )
    }

    /// MESH metadata that travels with a message (control file or API headers).
    pub fn is_mesh_metadata(self) -> bool {
        self.is_mesh() && self != InputKind::MeshReport
    }

    pub fn as_str(self) -> &'static str {
        match self {
            InputKind::Message => "message",
            InputKind::Response => "response",
            InputKind::MeshControl => "mesh-control",
            InputKind::MeshHeaders => "mesh-headers",
            InputKind::MeshAckControl => "mesh-ack-control",
            InputKind::MeshAckHeaders => "mesh-ack-headers",
            InputKind::MeshReport => "mesh-report",
            InputKind::FhirResource => "fhir-resource",
            InputKind::Unknown => "unknown",
        }
    }
}

/// One input after parsing. `document` is `None` when the input could not be read as a tree;
/// `findings` then says why.
pub struct ParsedInput {
    pub source: Arc<SourceFile>,
    pub document: Option<Document>,
    pub kind: InputKind,
    pub findings: Vec<Finding>,
}

/// Largest input accepted: spans are 32-bit offsets.
pub const MAX_INPUT: usize = u32::MAX as usize - 1;

pub fn parse(path: String, bytes: impl Into<InputBytes>) -> ParsedInput {
    parse_bytes(path, bytes.into())
}

/// [`parse`], one copy for every kind of caller.
fn parse_bytes(path: String, bytes: InputBytes) -> ParsedInput {
    let mut findings = Vec::new();
    let unreadable = |text: String, findings: Vec<Finding>| ParsedInput {
        source: Arc::new(SourceFile::new(path.clone(), text)),
        document: None,
        kind: InputKind::Unknown,
        findings,
    };
    if bytes.len() > MAX_INPUT {
        findings.push(INPUT_TOO_LARGE.finding(format!("the file is {} bytes", bytes.len())));
        return unreadable(String::new(), findings);
    }
    if bytes.is_empty() {
        findings.push(INPUT_EMPTY.finding("the file is empty"));
        return unreadable(String::new(), findings);
    }
    if let Some(encoding) = foreign_encoding(&bytes) {
        findings.push(
            ENCODING_UNSUPPORTED
                .finding(format!("the file is encoded as {encoding}, not UTF-8"))
                .at(Span::new(0, 0)),
        );
        return unreadable(String::new(), findings);
    }
    let text = match SourceText::from_bytes(bytes) {
        Ok(t) => t,
        Err(bytes) => {
            // Found again only now: the valid case checks each byte once.
            let at = std::str::from_utf8(&bytes)
                .err()
                .map_or(0, |e| e.valid_up_to());
            let bad = bytes[at];
            // Keep a lossy copy only to render the snippet; nothing is validated from it.
            let text = String::from_utf8_lossy(&bytes).into_owned();
            findings.push(
                ENCODING_INVALID_UTF8
                    .finding(format!(
                        "byte 0x{bad:02X} at offset {at} is not valid UTF-8"
                    ))
                    .at(Span::new(at, at + 1)),
            );
            return unreadable(text, findings);
        }
    };
    let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let first = text[start..]
        .find(|c: char| !c.is_ascii_whitespace())
        .map(|i| start + i);
    let source = Arc::new(SourceFile::new(path, text));
    let document = match first.map(|i| source.text.as_bytes()[i]) {
        None => {
            findings.push(INPUT_EMPTY.finding("the file holds only whitespace"));
            None
        }
        // Spec pages wrap their examples in Jekyll/Liquid lines (`{% highlight xml %}`); a copy
        // pasted with them is neither JSON nor XML, and saying so beats a JSON syntax error.
        Some(b'{') if source.text[first.unwrap_or(0)..].starts_with("{%") => {
            let at = first.unwrap_or(0);
            let end = source.text[at..]
                .find('\n')
                .map_or(source.text.len(), |i| at + i);
            findings.push(
                INPUT_UNRECOGNISED
                    .finding("the file starts with a Jekyll template line, not JSON or XML")
                    .at(Span::new(at, end))
                    .with_help("Remove the `{% … %}` lines copied from the spec page; the message is what lies between them"),
            );
            None
        }
        Some(b'{' | b'[') => json::parse(source.clone(), start, &mut findings).map(|doc| {
            if headers::is_header_object(&doc) {
                headers::from_json(&doc)
            } else {
                if doc.resource_type(doc.root()).is_none() {
                    let at = doc.node(doc.root()).span.start as usize;
                    findings.push(
                        RESOURCE_TYPE_MISSING
                            .finding("the JSON document has no `resourceType`")
                            .at(Span::new(at, at + 1)),
                    );
                }
                doc
            }
        }),
        Some(b'<') => xml::parse(source.clone(), start, &mut findings),
        Some(_) if headers::looks_like_headers(&source.text, start) => {
            Some(headers::parse_text(source.clone(), start))
        }
        Some(_) => {
            let at = first.unwrap_or(0);
            let end = source.text[at..]
                .chars()
                .next()
                .map_or(at, |c| at + c.len_utf8());
            findings.push(
                INPUT_UNRECOGNISED
                    .finding("the content is not JSON, XML or a MESH control file")
                    .at(Span::new(at, end)),
            );
            None
        }
    };
    let kind = document.as_ref().map_or(InputKind::Unknown, classify);
    ParsedInput {
        source,
        document,
        kind,
        findings,
    }
}

/// Names a non-UTF-8 Unicode encoding recognised from a byte-order mark or from the zero bytes
/// that UTF-16/32 put beside ASCII `<` and `{`.
fn foreign_encoding(bytes: &[u8]) -> Option<&'static str> {
    let starts = |p: &[u8]| bytes.starts_with(p);
    if starts(&[0xFF, 0xFE, 0, 0]) || starts(&[0, 0, 0xFE, 0xFF]) {
        return Some("UTF-32");
    }
    if starts(&[0xFF, 0xFE]) {
        return Some("UTF-16 little-endian");
    }
    if starts(&[0xFE, 0xFF]) {
        return Some("UTF-16 big-endian");
    }
    match bytes {
        [0, b'<' | b'{', ..] => Some("UTF-16 big-endian (no byte-order mark)"),
        [b'<' | b'{', 0, ..] => Some("UTF-16 little-endian (no byte-order mark)"),
        _ => None,
    }
}

/// Whether MESH metadata names an acknowledgement workflow (`…_ACK`): the metadata of an ITK3
/// response, which GP Connect's rules for a document's metadata do not bind.
fn is_ack(doc: &Document, field: &str) -> bool {
    doc.get_value(doc.root(), field)
        .is_some_and(|w| w.trim().to_ascii_uppercase().ends_with("_ACK"))
}

/// Decides the kind from the root and, for a Bundle, the first MessageHeader's event.
fn classify(doc: &Document) -> InputKind {
    let root = doc.root();
    if doc.node(root).kind != NodeKind::Resource {
        return match doc.name(root) {
            "DTSControl"
                if doc
                    .get_value(root, "MessageType")
                    .is_some_and(|t| t.trim().eq_ignore_ascii_case("report")) =>
            {
                InputKind::MeshReport
            }
            "DTSControl" if is_ack(doc, "WorkflowId") => InputKind::MeshAckControl,
            "DTSControl" => InputKind::MeshControl,
            "StatusRecord" => InputKind::MeshReport,
            headers::ROOT if is_ack(doc, "Mex-WorkflowID") => InputKind::MeshAckHeaders,
            headers::ROOT => InputKind::MeshHeaders,
            _ => InputKind::Unknown,
        };
    }
    match doc.resource_type(root) {
        Some("Bundle") => {
            let header = crate::fhir::message_header(doc);
            // A response answers a request: it has `MessageHeader.response`, or the ITK3
            // response event. Either is enough, so a response with the wrong event is still
            // judged as a response (and its event reported).
            let is_response = header.is_some_and(|mh| {
                doc.child(mh, "response").is_some()
                    || doc.get_value(mh, "event.code") == Some("ITK008M")
            });
            if is_response {
                InputKind::Response
            } else {
                InputKind::Message
            }
        }
        Some(_) => InputKind::FhirResource,
        None => InputKind::Unknown,
    }
}
