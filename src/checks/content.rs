//! Checks on what values contain: `nhs-number`, `same-as`, `base64` (strict RFC 4648) and
//! `attachment` (decoded bytes match the declared content type).

use super::{Check, RuleRun};
use crate::document::{Document, NodeId, Span};
use crate::finding::Finding;
use crate::profile::select::Selection;
use crate::rules::Context;

pub fn run(check: &Check, rule: &RuleRun<'_>, sel: &Selection, out: &mut Vec<Finding>) {
    let doc = rule.cx.doc;
    let optional = match check {
        Check::NhsNumber { optional } | Check::Base64 { optional } => *optional,
        _ => true,
    };
    if sel.nodes.is_empty() {
        if !optional {
            out.push(rule.missing(sel, None));
        }
        return;
    }
    for &node in &sel.nodes {
        match check {
            Check::NhsNumber { .. } => {
                let found = doc.value(node).unwrap_or("");
                if let Err(why) = crate::nhs::nhs_number_problem(found) {
                    out.push(rule.finding_at(
                        node,
                        &[("found", found), ("why", why)],
                        Some(why.into()),
                    ));
                }
            }
            Check::SameAs { other } => {
                let Some(parent) = doc.parent(node) else {
                    continue;
                };
                let found = doc.value(node).unwrap_or("");
                let sel = other.eval_from(rule.cx, parent);
                let Some(&twin) = sel.nodes.first() else {
                    continue;
                };
                let expected = doc.value(twin).unwrap_or("");
                if found != expected {
                    let f = rule
                        .finding_at(
                            node,
                            &[("found", found), ("expected", expected)],
                            Some(format!("expected `{expected}`")),
                        )
                        .related(doc.node(twin).span, "must equal this");
                    out.push(f);
                }
            }
            Check::Base64 { .. } => {
                if let Some((offset, why)) = strict_base64(rule.cx, node) {
                    let mut f = rule
                        .finding_at(node, &[("why", &why)], Some(why.clone()))
                        .bad_value(node);
                    if let Some(span) = value_byte_span(doc, node, offset) {
                        f = f.at(span).label(why);
                    }
                    out.push(f);
                }
            }
            Check::Attachment {
                data,
                content_type,
                max_bytes,
            } => attachment(rule, node, data, content_type, *max_bytes, out),
            _ => unreachable!("content::run is only called for content checks"),
        }
    }
}

const BASE64_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// 0..=63 for an alphabet symbol, 64 for `=`, 255 otherwise.
static DECODE: [u8; 256] = {
    let mut t = [255u8; 256];
    let mut i = 0;
    while i < 64 {
        t[BASE64_ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    t[b'=' as usize] = 64;
    t
};

/// [`base64_problem`] of a node's value (empty when it has none), scanning a value that was
/// found clean once per document: the base64 and attachment rules read the same attachments.
fn strict_base64(cx: &Context<'_>, node: NodeId) -> Option<(usize, String)> {
    if cx.base64_clean.borrow().contains(&node) {
        return None;
    }
    let problem = base64_problem(cx.doc.value(node).unwrap_or("").as_bytes());
    if problem.is_none() {
        cx.base64_clean.borrow_mut().push(node);
    }
    problem
}

/// Where strict base64 (RFC 4648 §4: alphabet symbols, at most two `=` only at the end, a
/// multiple of four characters, no whitespace) first goes wrong, and why.
pub fn base64_problem(b: &[u8]) -> Option<(usize, String)> {
    if !b.is_empty() && crate::base64::is_padded_quickly(b) {
        return None;
    }
    let body_end = b.len() - b.iter().rev().take(2).take_while(|&&c| c == b'=').count();
    let body = &b[..body_end];
    if let Some(i) = crate::base64::first_non_symbol(body) {
        let c = b[i];
        let why = match c {
            b'=' => "`=` padding before the end".to_string(),
            b' ' | b'\t' | b'\r' | b'\n' => "whitespace (strict base64 has none)".to_string(),
            c if c.is_ascii_graphic() => format!("`{}` is not a base64 character", c as char),
            c => format!("byte 0x{c:02X} is not a base64 character"),
        };
        return Some((i, why));
    }
    if b.is_empty() {
        return Some((0, "empty".into()));
    }
    if b.len() % 4 != 0 {
        return Some((
            b.len(),
            format!("{} characters; base64 comes in groups of four", b.len()),
        ));
    }
    None
}

/// The source span of the byte at `offset` in a node's value, when the value is the source
/// text itself (no JSON escapes or XML entities to shift offsets).
fn value_byte_span(doc: &Document, node: NodeId, offset: usize) -> Option<Span> {
    let value = doc.value(node)?;
    let span = doc.node(node).value_span;
    let text = doc.source.text.get(span.range())?;
    // The value span of a JSON string includes its quotes.
    let start = span.start as usize + text.find(value)?;
    (text.len() >= value.len()).then(|| Span::new(start + offset, start + offset + 1))
}

/// What decoded bytes turn out to be, from their first and last bytes.
struct Sniff {
    size: u64,
    head: Vec<u8>,
    /// Whether the last kilobyte or so holds a PDF's `%%EOF` marker.
    eof_marker: bool,
}

/// Sniffs valid strict base64 without decoding it all: the size follows from the length and
/// padding, and only the first and last few hundred characters are decoded, so a 100 MB
/// attachment costs no copy and no full pass.
fn sniff(b: &[u8]) -> Sniff {
    const HEAD: usize = 16; // characters: 12 bytes, enough for every signature
    const TAIL: usize = 1400; // characters: ~1 kB, where PDF writers put `%%EOF`
    let padding = b.iter().rev().take(2).take_while(|&&c| c == b'=').count();
    let size = (b.len() / 4 * 3).saturating_sub(padding) as u64;
    /// Characters decoded first: the marker is nearly always in the last few bytes.
    const END: usize = 64;
    let head = decode(&b[..HEAD.min(b.len())]);
    // Both tails start on a quad boundary, so the short one decodes to a suffix of the long one
    // and finding the marker in it is finding it in the long one.
    let has_marker = |chars: usize| {
        let start = b.len().saturating_sub(chars) / 4 * 4;
        memchr::memmem::find(&decode(&b[start..]), b"%%EOF").is_some()
    };
    let eof_marker = has_marker(END) || (b.len() > END && has_marker(TAIL));
    Sniff {
        size,
        head,
        eof_marker,
    }
}

/// Decodes whole quads of valid strict base64.
fn decode(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len() / 4 * 3);
    for quad in b.chunks_exact(4) {
        let word = quad.iter().fold(0u32, |acc, &c| {
            (acc << 6) | u32::from(DECODE[usize::from(c)] & 63)
        });
        // Three bytes for every quad, as the compiler can write them without a length check;
        // the padding of the last quad is taken off below.
        out.extend_from_slice(&[(word >> 16) as u8, (word >> 8) as u8, word as u8]);
    }
    // Strict base64 only pads the last quad: `xx==` gives 1 byte, `xxx=` gives 2.
    let whole = b.len() / 4 * 4;
    let padding = b[..whole]
        .iter()
        .rev()
        .take(2)
        .take_while(|&&c| c == b'=')
        .count();
    out.truncate(out.len() - padding);
    out
}

/// File signatures of the document types messages carry: (content type, what the bytes start
/// with, a name for messages).
const SIGNATURES: &[(&str, &[u8], &str)] = &[
    ("application/pdf", b"%PDF-", "a PDF"),
    ("image/png", b"\x89PNG\r\n\x1a\n", "a PNG image"),
    ("image/jpeg", b"\xFF\xD8\xFF", "a JPEG image"),
    ("image/gif", b"GIF8", "a GIF image"),
    ("image/tiff", b"II*\0", "a TIFF image"),
    ("image/tiff", b"MM\0*", "a TIFF image"),
    ("application/rtf", b"{\\rtf", "an RTF document"),
    ("text/rtf", b"{\\rtf", "an RTF document"),
    (
        "application/msword",
        b"\xD0\xCF\x11\xE0",
        "a Word 97-2003 document",
    ),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        b"PK\x03\x04",
        "a Word (docx) document",
    ),
    ("application/zip", b"PK\x03\x04", "a ZIP archive"),
];

fn looks_like(head: &[u8]) -> &'static str {
    SIGNATURES
        .iter()
        .find(|(_, magic, _)| head.starts_with(magic))
        .map_or("not a recognised document format", |(_, _, name)| name)
}

fn attachment(
    rule: &RuleRun<'_>,
    node: NodeId,
    data: &str,
    content_type: &str,
    max_bytes: Option<u64>,
    out: &mut Vec<Finding>,
) {
    let doc = rule.cx.doc;
    let (Some(data_node), Some(type_node)) = (doc.child(node, data), doc.child(node, content_type))
    else {
        return; // absent data or type: required-element rules report that
    };
    let (Some(b64), Some(declared)) = (doc.value(data_node), doc.value(type_node)) else {
        return;
    };
    if strict_base64(rule.cx, data_node).is_some() {
        return; // the base64 rule reports undecodable data
    }
    let bytes = sniff(b64.as_bytes());
    let size = bytes.size.to_string();
    let declared_type = declared.split(';').next().unwrap_or("").trim();
    let expected: Vec<_> = SIGNATURES
        .iter()
        .filter(|(t, _, _)| t.eq_ignore_ascii_case(declared_type))
        .collect();
    let why = if bytes.size == 0 {
        Some("decodes to no bytes at all".to_string())
    } else if !expected.is_empty() && !expected.iter().any(|(_, m, _)| bytes.head.starts_with(m)) {
        Some(format!("decoded, it is {}", looks_like(&bytes.head)))
    } else if declared_type.eq_ignore_ascii_case("application/pdf") && !bytes.eof_marker {
        Some("the PDF has no `%%EOF` trailer: it is truncated".to_string())
    } else {
        max_bytes
            .filter(|&m| bytes.size > m)
            .map(|m| format!("{} bytes decoded, more than the {m} allowed", bytes.size))
    };
    if let Some(why) = why {
        let label = format!("{why} ({size} bytes)");
        out.push(
            rule.finding_at(
                data_node,
                &[
                    ("found", looks_like(&bytes.head)),
                    ("expected", declared),
                    ("size", &size),
                    ("why", &why),
                ],
                Some(label),
            )
            .related(doc.node(type_node).span, "declared here"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_base64() {
        assert_eq!(base64_problem(b"JVBERi0="), None);
        assert_eq!(base64_problem(b"JVBE Ri0=").map(|p| p.0), Some(4));
        assert_eq!(base64_problem(b"JV=ERi0=").map(|p| p.0), Some(2));
        assert_eq!(base64_problem(b"JVBERi0").map(|p| p.0), Some(7));
        assert_eq!(base64_problem(b"JVB*").map(|p| p.0), Some(3));
        // Past the first 64-byte block, and in the last partial block.
        let mut long = vec![b'A'; 400];
        long[130] = b'\n';
        assert_eq!(base64_problem(&long).map(|p| p.0), Some(130));
        long[130] = b'A';
        long[397] = b'-';
        assert_eq!(base64_problem(&long).map(|p| p.0), Some(397));
    }

    #[test]
    fn decodes_quads_and_final_padding() {
        assert_eq!(decode(b"TWFuTWFu"), b"ManMan");
        assert_eq!(decode(b"TWFuTWE="), b"ManMa");
        assert_eq!(decode(b"TWFuTQ=="), b"ManM");
        assert_eq!(decode(b"TQ"), b"");
        assert_eq!(decode(b""), b"");
    }

    #[test]
    fn sniffs_a_large_pdf_from_its_ends() {
        // "%PDF-" + 30,000 spaces + "%%EOF\n", encoded with the decoder's own table.
        let mut bytes = b"%PDF-".to_vec();
        bytes.extend(std::iter::repeat_n(b' ', 30_000));
        bytes.extend_from_slice(b"%%EOF\n");
        let text = encode(&bytes);
        assert_eq!(base64_problem(text.as_bytes()), None);
        let s = sniff(text.as_bytes());
        assert_eq!(s.size, bytes.len() as u64);
        assert!(s.head.starts_with(b"%PDF-"));
        assert!(s.eof_marker);
    }

    #[test]
    fn finds_the_pdf_marker_anywhere_in_the_last_kilobyte() {
        let pdf = |trailer_after: usize| {
            let mut bytes = b"%PDF-".to_vec();
            bytes.extend(std::iter::repeat_n(b' ', 5_000));
            bytes.extend_from_slice(b"%%EOF");
            bytes.extend(std::iter::repeat_n(b'\n', trailer_after));
            sniff(encode(&bytes).as_bytes()).eof_marker
        };
        // In the short tail decoded first, at its start, in the long tail, and too far back.
        for (after, found) in [
            (0, true),
            (1, true),
            (40, true),
            (44, true),
            (600, true),
            (1000, true),
            (1100, false),
        ] {
            assert_eq!(pdf(after), found, "{after} bytes after the marker");
        }
        assert!(!sniff(b"JVBERi0=").eof_marker);
    }

    fn encode(bytes: &[u8]) -> String {
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let mut word = 0u32;
            for (i, &b) in chunk.iter().enumerate() {
                word |= u32::from(b) << (16 - 8 * i);
            }
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(BASE64_ALPHABET[(word >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    #[test]
    fn sniffs_pdf() {
        // "%PDF-1.4 ... %%EOF"
        let s = sniff(b"JVBERi0xLjQgLi4uICUlRU9G");
        assert!(s.head.starts_with(b"%PDF-"));
        assert!(s.eof_marker);
        assert_eq!(s.size, 18);
    }
}
