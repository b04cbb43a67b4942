//! MESH API headers into the neutral tree: a captured HTTP header block (`Name: value` lines,
//! optionally after a request or status line, as `curl -D` writes it) or a JSON object of
//! header names to values. The root is `MeshHeaders`; each header becomes a child named by its
//! canonical spelling (HTTP header names are case-insensitive), with its trimmed value.

use super::{Builder, Document, Format, NodeId, SourceFile, Span, Str, ValueKind};
use std::sync::Arc;

/// Header names as the MESH Python client spells them; matching is case-insensitive.
const CANONICAL: &[&str] = &[
    "Mex-To",
    "Mex-From",
    "Mex-WorkflowID",
    "Mex-Subject",
    "Mex-LocalID",
    "Mex-PartnerID",
    "Mex-FileName",
    "Mex-Content-Compressed",
    "Mex-Content-Encrypted",
    "Mex-Content-Checksum",
    "Mex-Content-Type",
    "Mex-Chunk-Range",
    "Mex-Total-Chunks",
    "Mex-ClientVersion",
    "Mex-OSName",
    "Mex-OSVersion",
    "Mex-OSArchitecture",
    "Mex-JavaVersion",
    "Mex-AddressType",
    "Mex-MessageType",
    "Mex-MessageID",
    "Mex-Version",
    "Mex-StatusCode",
    "Mex-StatusEvent",
    "Mex-StatusDescription",
    "Mex-StatusSuccess",
    "Mex-StatusTimestamp",
    "Mex-LinkedMsgID",
    "Authorization",
    "Accept",
    "Content-Type",
    "Content-Encoding",
    "Content-Length",
];

pub const ROOT: &str = "MeshHeaders";

fn canonical(name: &str) -> Option<&'static str> {
    CANONICAL
        .iter()
        .copied()
        .find(|c| c.eq_ignore_ascii_case(name))
}

/// Whether text (from `start`) reads as an HTTP header block: a request or status line, or a
/// first line of the form `Name: value`.
pub fn looks_like_headers(text: &str, start: usize) -> bool {
    let first = text[start..]
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    let first = first.trim_start();
    if first.starts_with("HTTP/") {
        return true;
    }
    let method = first.split(' ').next().unwrap_or("");
    if matches!(method, "GET" | "POST" | "PUT") && first.contains(" /") {
        return true;
    }
    match first.split_once(':') {
        Some((name, _)) => {
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        }
        None => false,
    }
}

/// Whether a parsed JSON document is a header object: no `resourceType`, and some key that is
/// a MESH header.
pub fn is_header_object(doc: &Document) -> bool {
    let root = doc.root();
    doc.resource_type(root).is_none()
        && doc
            .children(root)
            .any(|c| doc.name(c).len() > 4 && doc.name(c)[..4].eq_ignore_ascii_case("mex-"))
}

fn root_node(b: &mut Builder, text: &str, start: usize) -> NodeId {
    let name = b.own(ROOT);
    let first_len = text[start..].find('\n').unwrap_or(text.len() - start);
    b.push(
        None,
        name,
        Span::new(start, text.len()),
        Span::new(start, start + first_len.min(text.len() - start)),
    )
}

fn header(
    b: &mut Builder,
    root: NodeId,
    raw_name: Span,
    name: &str,
    value: (Str, Span),
    whole: Span,
) {
    let n = match canonical(name) {
        Some(c) => b.own(c),
        None => Str::Src(raw_name),
    };
    let id = b.push(Some(root), n, whole, raw_name);
    b.set_value(id, value.0, ValueKind::String, value.1);
}

/// Parses an HTTP header block.
pub fn parse_text(source: Arc<SourceFile>, start: usize) -> Document {
    let text = source.text.as_str();
    let mut b = Builder::new();
    let root = root_node(&mut b, text, start);
    let mut offset = start;
    for line in text[start..].split_inclusive('\n') {
        let line_start = offset;
        offset += line.len();
        let content = line.trim_end_matches(['\r', '\n']);
        if content.trim().is_empty() {
            // A blank line ends the header block; what follows is a body.
            if line_start > start {
                break;
            }
            continue;
        }
        let Some((name, rest)) = content.split_once(':') else {
            continue;
        };
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            continue; // the request or status line
        }
        let value_start = line_start + name.len() + 1 + (rest.len() - rest.trim_start().len());
        let value = rest.trim();
        let value_span = Span::new(value_start, value_start + value.len());
        let name_span = Span::new(line_start, line_start + name.len());
        let whole = Span::new(line_start, line_start + content.len());
        header(
            &mut b,
            root,
            name_span,
            name,
            (Str::Src(value_span), value_span),
            whole,
        );
    }
    // Headers are neither FHIR syntax; `Xml` only means "not JSON" here and no FHIR pass runs
    // on MESH inputs.
    b.finish(source, Format::Xml)
}

/// Rebuilds a JSON header object as a headers document, keeping every span.
pub fn from_json(json: &Document) -> Document {
    let source = json.source.clone();
    let text = source.text.as_str();
    let mut b = Builder::new();
    let root_span = json.node(json.root()).span;
    let root = root_node(&mut b, text, root_span.start as usize);
    for c in json.children(json.root()) {
        let node = json.node(c);
        let value = json.value(c).unwrap_or("");
        // Escaped strings were unescaped into owned text; keep spans, copy only those values.
        let value_str = if text.get(node.value_span.range()) == Some(&format!("\"{value}\"")[..]) {
            let s = node.value_span;
            Str::Src(Span::new(s.start as usize + 1, s.end as usize - 1))
        } else {
            b.own(value)
        };
        header(
            &mut b,
            root,
            node.name_span,
            json.name(c),
            (value_str, node.value_span),
            node.span,
        );
    }
    b.finish(source, Format::Json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_headers_are_canonicalised_and_keep_spans() {
        let text = "POST /messageexchange/A12345OT001/outbox HTTP/1.1\r\nmex-to:  GPPROVIDER_9434765919_09011955_Smith \r\nMex-WorkflowID: GPFED_CONSULT_REPORT\r\nX-Other: 1\r\n\r\nbody";
        assert!(looks_like_headers(text, 0));
        let doc = parse_text(Arc::new(SourceFile::new("h", text.to_string())), 0);
        assert_eq!(doc.name(doc.root()), ROOT);
        let to = doc.child(doc.root(), "Mex-To").unwrap();
        assert_eq!(doc.value(to), Some("GPPROVIDER_9434765919_09011955_Smith"));
        assert_eq!(&text[doc.node(to).name_span.range()], "mex-to");
        assert_eq!(
            &text[doc.node(to).value_span.range()],
            "GPPROVIDER_9434765919_09011955_Smith"
        );
        assert!(doc.child(doc.root(), "X-Other").is_some());
        assert_eq!(
            doc.children(doc.root()).count(),
            3,
            "the body is not a header"
        );
    }

    #[test]
    fn other_text_is_not_headers() {
        assert!(!looks_like_headers("This is a report: see below", 0));
        assert!(!looks_like_headers("%PDF-1.4", 0));
    }
}
