//! FHIR XML and MESH control-file reader (quick-xml pull parser) into the neutral [`Document`].
//!
//! FHIR mode folds XML into the shape FHIR JSON has: the `value` attribute is the node's value,
//! other attributes (`id`, `url`) become primitive children, a resource element inside a wrapper
//! (`<resource><Patient>`) makes the wrapper a resource node, and the XHTML `div` is kept as
//! one primitive holding its markup. Plain mode (MESH `DTSControl`) keeps elements as they are,
//! with text content as the value. A DOCTYPE is refused and no entity is ever expanded beyond
//! XML's five predefined ones and character references.

use super::scan::{blank_len, word_at};
use super::{Builder, Document, Format, NodeId, SourceFile, Span, Str, ValueKind, MAX_DEPTH};
use crate::finding::Finding;
use crate::rules::input::*;
use quick_xml::errors::IllFormedError;
use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{Namespace, NamespaceResolver, QName, ResolveResult};
use quick_xml::reader::Reader;
use std::borrow::Cow;
use std::io::BufRead as _;
use std::ops::Range;
use std::sync::Arc;

pub const FHIR_NS: &str = "http://hl7.org/fhir";
pub const XHTML_NS: &str = "http://www.w3.org/1999/xhtml";

/// Parses `source.text[start..]`. Returns `None` when the XML is not well-formed enough to give
/// a tree; the reason is in `findings` either way.
pub fn parse(
    source: Arc<SourceFile>,
    start: usize,
    findings: &mut Vec<Finding>,
) -> Option<Document> {
    parse_with(source, start, findings, true)
}

/// [`parse`], with or without [`XmlParser::markup_fast`] (tests compare the two).
fn parse_with(
    source: Arc<SourceFile>,
    start: usize,
    findings: &mut Vec<Finding>,
    fast: bool,
) -> Option<Document> {
    let built = {
        let mut p = XmlParser {
            text: &source.text,
            base: start,
            b: Builder::for_source(source.text.len().saturating_sub(start)),
            findings,
            stack: Vec::new(),
            plain: false,
            root_done: false,
            namespace_reported: false,
            text_reported: false,
            attr_buf: Vec::new(),
            attrs_regular: false,
            attrs_scanned: false,
            fast,
            ns: NamespaceResolver::default(),
            level: 0,
            binding_levels: Vec::new(),
            unprefixed: None,
        };
        p.run().map(|()| p.b)
    };
    match built {
        Ok(b) => Some(b.finish(source, Format::Xml)),
        Err(fatal) => {
            findings.push(*fatal);
            None
        }
    }
}

/// A finding that ends parsing; boxed because it travels up every `?`.
type Fatal = Box<Finding>;

/// An open element on the reader's stack.
struct Frame {
    /// The element's name as written in its start tag, prefix included.
    name: Span,
    /// The node the element's children attach to.
    node: NodeId,
    /// True for a resource element folded into its wrapper: its end tag does not close a node.
    folded: bool,
    /// Text content gathered in plain mode: the span it covers and the unescaped text when it
    /// differs from the source.
    text: Option<(Span, Option<String>)>,
}

struct XmlParser<'a> {
    text: &'a str,
    base: usize,
    b: Builder,
    findings: &'a mut Vec<Finding>,
    stack: Vec<Frame>,
    plain: bool,
    root_done: bool,
    namespace_reported: bool,
    text_reported: bool,
    /// The current start tag's attributes, from [`scan_attributes`]; reused so a start tag
    /// allocates nothing.
    attr_buf: Vec<Attr>,
    /// Whether `attr_buf` holds the current tag's attributes (false: quick-xml must iterate
    /// them and report what is wrong).
    attrs_regular: bool,
    /// Set when [`Self::markup_fast`] has already filled `attr_buf` for the tag being
    /// entered.
    attrs_scanned: bool,
    /// Whether [`Self::markup_fast`] is used.
    fast: bool,
    /// Namespace scopes. Bindings come from our own attribute scan: quick-xml's `NsReader`
    /// would walk every attribute value byte by byte once more.
    ns: NamespaceResolver,
    /// Elements open, as `ns` counts its levels. `ns` itself is told the level only where an
    /// element declares a namespace and where such an element ends: setting it searches its
    /// bindings, and nearly no element declares one.
    level: u16,
    /// The levels of `ns` whose element declared a namespace, innermost last.
    binding_levels: Vec<u16>,
    /// The namespace of an element without a prefix, while no declaration has been entered or
    /// left since it was resolved: almost every element of a document shares it.
    unprefixed: Option<Ns>,
}

impl<'a> XmlParser<'a> {
    /// Byte offset of a slice that borrows from the source text.
    fn offset_of(&self, part: &str) -> Option<usize> {
        let start = self.text.as_ptr() as usize;
        let p = part.as_ptr() as usize;
        (p >= start && p + part.len() <= start + self.text.len()).then(|| p - start)
    }

    fn span_of(&self, part: &str) -> Option<Span> {
        self.offset_of(part).map(|o| Span::new(o, o + part.len()))
    }

    fn run(&mut self) -> Result<(), Fatal> {
        let mut reader = Reader::from_str(&self.text[self.base..]);
        let config = reader.config_mut();
        config.check_comments = true;
        if self.fast {
            // Elements that `markup_fast` reads are not on quick-xml's stack of open elements,
            // so end tags are matched against ours instead (`end_tag`, with quick-xml's errors).
            config.check_end_names = false;
            config.allow_unmatched_ends = true;
        }
        // Whether the reader is between markup (quick-xml's `InsideText` state: after any event
        // but text), where tags may be read without it.
        let mut between_markup = false;
        loop {
            if between_markup && self.fast && self.markup_fast(&mut reader)? {
                continue;
            }
            let before = self.base + reader.buffer_position() as usize;
            let event = match reader.read_event() {
                Ok(ev) => ev,
                Err(e) => return fail(self.not_well_formed(&reader, e)),
            };
            between_markup = !matches!(event, Event::Text(_) | Event::Eof);
            let after = self.base + reader.buffer_position() as usize;
            let ns = match &event {
                Event::Start(e) | Event::Empty(e) => self.enter(e, Span::new(before, after))?,
                _ => Ns::None,
            };
            match event {
                Event::Decl(d) => {
                    if let Some(Ok(enc)) = d.encoding() {
                        if !enc.eq_ignore_ascii_case("utf-8") {
                            let span = self.span_of(&enc).unwrap_or(Span::new(before, after));
                            self.findings.push(
                                XML_ENCODING_DECLARATION
                                    .finding(format!(
                                        "the declaration says `{enc}` but the bytes are UTF-8"
                                    ))
                                    .at(span),
                            );
                        }
                    }
                }
                Event::DocType(_) => {
                    // Point at the keyword, not the whole internal subset.
                    let keyword = Span::new(before, (before + "<!DOCTYPE".len()).min(after));
                    return fail(
                        XML_DOCTYPE
                            .finding("DOCTYPE declarations are not allowed; no entity is expanded")
                            .at(keyword),
                    );
                }
                Event::PI(_) | Event::Comment(_) => {}
                Event::Start(e) => {
                    let is_div = self.start(&e, ns, Span::new(before, after), true)?;
                    if let Some(node) = is_div {
                        // Keep the narrative's markup whole, as FHIR JSON does. quick-xml opened
                        // the div itself (`markup_fast` leaves divs to it), so it can match the
                        // end tags inside.
                        reader.config_mut().check_end_names = true;
                        let read = reader.read_to_end(e.name());
                        reader.config_mut().check_end_names = !self.fast;
                        if let Err(err) = read {
                            return fail(self.not_well_formed(&reader, err));
                        }
                        self.leave_scope();
                        let end = self.base + reader.buffer_position() as usize;
                        let span = Span::new(before, end);
                        self.b
                            .set_value(node, Str::Src(span), ValueKind::Xhtml, span);
                        self.b.node_mut(node).span = span;
                    }
                }
                Event::Empty(e) => self.empty(&e, ns, Span::new(before, after))?,
                Event::End(e) => {
                    self.end_tag(e.name().as_ref(), before, after)?;
                    self.leave_scope();
                }
                Event::Text(t) => {
                    let raw: &str = &t;
                    self.text_content(raw, None, Span::new(before, after))?;
                }
                Event::CData(c) => {
                    let raw: String = c.to_string();
                    self.text_content(&raw.clone(), Some(raw), Span::new(before, after))?;
                }
                Event::GeneralRef(r) => {
                    let span = Span::new(before, after);
                    let resolved = if r.is_char_ref() {
                        match r.resolve_char_ref() {
                            Ok(Some(c)) => c.to_string(),
                            _ => return fail(self.bad_entity(&r, span)),
                        }
                    } else {
                        match quick_xml::escape::resolve_predefined_entity(&r) {
                            Some(s) => s.to_string(),
                            None => return fail(self.bad_entity(&r, span)),
                        }
                    };
                    self.text_content(&resolved.clone(), Some(resolved), span)?;
                }
                Event::Eof => {
                    if let Some(frame) = self.stack.last() {
                        let open = self.b.node(frame.node).name_span;
                        let name = self.text[open.range()].to_string();
                        return fail(
                            XML_NOT_WELL_FORMED
                                .finding(format!("the XML ends before `<{name}>` is closed"))
                                .at(Span::at(self.text.len()))
                                .related(open, "opened here"),
                        );
                    }
                    break;
                }
            }
        }
        if !self.root_done {
            return fail(
                XML_NOT_WELL_FORMED
                    .finding("the XML has no root element")
                    .at(Span::at(self.base)),
            );
        }
        Ok(())
    }

    fn bad_entity(&self, r: &str, span: Span) -> Finding {
        XML_NOT_WELL_FORMED
            .finding(format!(
                "`&{r};` is not a predefined XML entity or a valid character reference"
            ))
            .at(span)
            .with_help(
                "Write the character itself, or use `&#NNNN;`; DTD entities are never expanded",
            )
    }

    /// Opens a namespace scope for a start tag, scanning its attributes once (for the scope and
    /// for [`Self::attributes`]), and returns the element's namespace.
    fn enter(&mut self, e: &BytesStart<'_>, tag: Span) -> Result<Ns, Fatal> {
        let raw = e.attributes_raw();
        if std::mem::take(&mut self.attrs_scanned) {
            self.attrs_regular = true;
        } else {
            let mut pairs = std::mem::take(&mut self.attr_buf);
            self.attrs_regular = scan_attributes(raw, &mut pairs);
            self.attr_buf = pairs;
        }
        self.level = self.level.saturating_add(1);
        let mut bound = Ok(());
        let mut declares = false;
        if self.attrs_regular {
            for (key, value, _) in &self.attr_buf {
                if let Some(prefix) = QName(&raw[key.clone()]).as_namespace_binding() {
                    self.ns.set_level(self.level);
                    bound = bound.and(self.ns.add(prefix, Namespace(&raw[value.clone()])));
                    declares = true;
                }
            }
        } else {
            // As quick-xml's resolver does: bindings up to the first malformed attribute.
            for attr in e.attributes().with_checks(false) {
                let Ok(attr) = attr else { break };
                if let Some(prefix) = attr.key.as_namespace_binding() {
                    self.ns.set_level(self.level);
                    bound = bound.and(self.ns.add(prefix, Namespace(&attr.value)));
                    declares = true;
                }
            }
        }
        if declares {
            self.declared_here();
        }
        if let Err(err) = bound {
            return fail(
                XML_NOT_WELL_FORMED
                    .finding(quick_xml::Error::from(err).to_string())
                    .at(tag),
            );
        }
        let name = e.name();
        if name.as_ref().bytes().any(|c| c == b':') {
            return Ok(Ns::of(&self.ns.resolve_element(name).0));
        }
        match &self.unprefixed {
            Some(ns) => Ok(ns.clone()),
            None => {
                let ns = Ns::of(&self.ns.resolve_element(name).0);
                self.unprefixed = Some(ns.clone());
                Ok(ns)
            }
        }
    }

    /// Notes that the element being entered declares a namespace.
    fn declared_here(&mut self) {
        let level = self.level;
        if self.binding_levels.last() != Some(&level) {
            self.binding_levels.push(level);
        }
        self.unprefixed = None;
    }

    /// Closes the innermost namespace scope (the counterpart of `enter`).
    fn leave_scope(&mut self) {
        let inner = self.level.saturating_sub(1);
        if self.binding_levels.last() == Some(&self.level) {
            self.binding_levels.pop();
            self.unprefixed = None;
            // Drops the bindings of the level left.
            self.ns.set_level(inner);
        }
        self.level = inner;
    }

    /// An empty element (`<x value="1"/>`), whose namespace scope `enter` has opened.
    fn empty(&mut self, e: &BytesStart<'_>, ns: Ns, tag: Span) -> Result<(), Fatal> {
        let is_div = self.start(e, ns, tag, false)?;
        self.leave_scope();
        if let Some(node) = is_div {
            self.b.set_value(node, Str::Src(tag), ValueKind::Xhtml, tag);
        }
        Ok(())
    }

    /// Reads blank text and the tag after it without quick-xml, when both are plainly regular;
    /// returns false, having read nothing, otherwise.
    ///
    /// FHIR XML is almost all regular tags between indentation, most of them empty elements
    /// (`<code value="x"/>`), and an attachment's base64 is one attribute value of megabytes.
    /// quick-xml walks every tag twice more than our attribute scan must anyway (looking for its
    /// `>`, then checking that it is UTF-8, which the whole text already is). Only called where
    /// quick-xml would read text or markup next (its `InsideText` state); its position moves
    /// past what is read here, and the only state it keeps across tags, its stack of open
    /// elements, is not used (see `run`): reading goes on exactly as if quick-xml had produced
    /// the same events. The narrative `div` is left to quick-xml, which reads it whole.
    fn markup_fast(&mut self, reader: &mut Reader<&[u8]>) -> Result<bool, Fatal> {
        let pos = self.base + reader.buffer_position() as usize;
        let blank = blank_len(&self.text.as_bytes()[pos..]);
        let start = pos + blank;
        let text = self.text;
        let tag = &text[start..];
        let len = if tag.starts_with("<!--") {
            // Comments are common in published examples (28 in the 63 kB consultation report),
            // and each cost quick-xml two events. Anything irregular is left to it: `--` in the
            // body, a body that starts or ends with `-` or starts with `>`, no end.
            // The first `>` after `--`: `>` is rare in comments, and a memchr scan costs less
            // than building a substring searcher for each one.
            let body = &tag.as_bytes()[4..];
            let Some(close) = memchr::memchr_iter(b'>', body)
                .find(|&i| i >= 2 && &body[i - 2..i] == b"--")
                .map(|i| i - 2)
            else {
                return Ok(false);
            };
            let body = &tag[4..4 + close];
            if body.contains("--") || body.ends_with('-') || body.starts_with(['-', '>']) {
                return Ok(false);
            }
            self.blank_before_tag(pos, blank)?;
            4 + close + 3
        } else if tag.as_bytes().get(1) == Some(&b'/') {
            let Some((name_len, len)) = scan_end_tag(tag) else {
                return Ok(false);
            };
            self.blank_before_tag(pos, blank)?;
            self.end_tag(&tag[2..2 + name_len], start, start + len)?;
            self.leave_scope();
            len
        } else {
            let mut pairs = std::mem::take(&mut self.attr_buf);
            let scanned = scan_start_tag(tag, &mut pairs);
            self.attr_buf = pairs;
            let Some(t) = scanned else {
                return Ok(false);
            };
            let e = BytesStart::from_content(&tag[1..t.content_end], t.name_len);
            if !t.empty && local_name(&tag[1..1 + t.name_len]) == "div" {
                return Ok(false);
            }
            self.blank_before_tag(pos, blank)?;
            let span = Span::new(start, start + t.len);
            self.attrs_scanned = true;
            let ns = self.enter(&e, span)?;
            if t.empty {
                self.empty(&e, ns, span)?;
            } else {
                // Not a div, so `start` reads no narrative.
                self.start(&e, ns, span, true)?;
            }
            t.len
        };
        reader.stream().consume(blank + len);
        Ok(true)
    }

    /// The white space `markup_fast` read before a tag, which quick-xml would have given as a
    /// text event.
    fn blank_before_tag(&mut self, pos: usize, blank: usize) -> Result<(), Fatal> {
        if blank > 0 && self.plain {
            // Blank text means nothing to FHIR XML; a control file gathers it.
            let text = self.text;
            self.text_content(&text[pos..pos + blank], None, Span::new(pos, pos + blank))?;
        }
        Ok(())
    }

    /// An end tag `</name>`, its `<` at `at`: it must close the innermost open element, as
    /// quick-xml checks (with the same errors) when it reads every tag itself.
    fn end_tag(&mut self, name: &str, at: usize, after: usize) -> Result<(), Fatal> {
        let error = match self.stack.last() {
            None => IllFormedError::UnmatchedEndTag(name.to_string()),
            Some(frame) if self.text[frame.name.range()] != *name => {
                IllFormedError::MismatchedEndTag {
                    expected: self.text[frame.name.range()].to_string(),
                    found: name.to_string(),
                }
            }
            Some(_) => {
                self.end(after);
                return Ok(());
            }
        };
        fail(self.not_well_formed_at(at, quick_xml::Error::IllFormed(error)))
    }

    fn not_well_formed(&self, reader: &Reader<&[u8]>, e: quick_xml::Error) -> Finding {
        self.not_well_formed_at(self.base + reader.error_position() as usize, e)
    }

    fn not_well_formed_at(&self, at: usize, e: quick_xml::Error) -> Finding {
        let at = at.min(self.text.len());
        let end = self.text[at..]
            .chars()
            .next()
            .map_or(at, |c| at + c.len_utf8());
        XML_NOT_WELL_FORMED
            .finding(format!("{e}"))
            .at(Span::new(at, end))
    }

    /// Handles a start or empty tag. Returns the node when it is an XHTML `div`, whose content
    /// the caller captures whole.
    fn start(
        &mut self,
        e: &BytesStart<'_>,
        ns: Ns,
        tag: Span,
        has_content: bool,
    ) -> Result<Option<NodeId>, Fatal> {
        let qname = e.name();
        let qname_str: &str = qname.as_ref();
        // Names are short: a byte loop beats `rsplit`'s general searcher.
        let local = match qname_str.bytes().rposition(|c| c == b':') {
            Some(colon) => &qname_str[colon + 1..],
            None => qname_str,
        };
        let qname_span = self.span_of(qname_str).unwrap_or(Span::new(
            tag.start as usize + 1,
            tag.start as usize + 1 + qname_str.len(),
        ));
        let name_span = self.span_of(local).unwrap_or(Span::new(
            tag.start as usize + 1,
            tag.start as usize + 1 + local.len(),
        ));
        if self.stack.len() >= MAX_DEPTH {
            return fail(
                DOCUMENT_TOO_DEEP
                    .finding(format!("nesting exceeds {MAX_DEPTH} levels"))
                    .at(name_span),
            );
        }
        if self.stack.is_empty() {
            if self.root_done {
                return fail(
                    XML_NOT_WELL_FORMED
                        .finding("the XML has more than one root element")
                        .at(name_span),
                );
            }
            // MESH control files and MESH error reports are plain XML, not FHIR.
            self.plain = matches!(local, "DTSControl" | "StatusRecord") && ns != Ns::Fhir;
        }
        let parent = self.stack.last().map(|f| f.node);
        let is_div = !self.plain && local == "div" && ns == Ns::Xhtml;
        if !self.plain && !is_div && ns != Ns::Fhir && !self.namespace_reported {
            self.namespace_reported = true;
            let found = match &ns {
                Ns::Other(n) => format!("`{n}`"),
                Ns::Xhtml => format!("`{XHTML_NS}`"),
                Ns::None | Ns::Fhir => "no namespace".to_string(),
            };
            self.findings.push(
                XML_NAMESPACE
                    .finding(format!("`{local}` is in {found}, not `{FHIR_NS}`"))
                    .at(name_span),
            );
        }
        let name = Str::Src(name_span);
        let resource_like = !self.plain && local.starts_with(|c: char| c.is_ascii_uppercase());
        if resource_like {
            if let Some(wrapper) = parent {
                // `<resource><Patient>`: the wrapper becomes the resource node.
                let wrapper_busy = self.b.node(wrapper).resource_type.is_some()
                    || self.b.node(wrapper).first_child.is_some();
                if wrapper_busy {
                    self.findings.push(
                        XML_RESOURCE_WRAPPER
                            .finding(format!(
                                "`{local}` is not the only content of `{}`",
                                self.name_of(wrapper)
                            ))
                            .at(name_span),
                    );
                } else {
                    self.b.set_resource(wrapper, name);
                }
                self.attributes(e, wrapper, tag, true)?;
                if has_content {
                    self.stack.push(Frame {
                        name: qname_span,
                        node: wrapper,
                        folded: true,
                        text: None,
                    });
                }
                return Ok(None);
            }
        }
        let node = self.b.push(parent, name, tag, name_span);
        if parent.is_none() {
            self.root_done = true;
            if resource_like {
                self.b.set_resource(node, name);
            }
        }
        if is_div {
            return Ok(Some(node));
        }
        self.attributes(e, node, tag, false)?;
        if has_content {
            self.stack.push(Frame {
                name: qname_span,
                node,
                folded: false,
                text: None,
            });
        }
        Ok(None)
    }

    fn name_of(&self, id: NodeId) -> String {
        match self.b.node(id).name {
            Str::Src(s) => self.text[s.range()].to_string(),
            s @ Str::Owned(_) => self.b.owned_str(s).to_string(),
        }
    }

    /// `value` becomes the node's value; other attributes become primitive children (FHIR's
    /// `id` and `url` are attributes in XML and properties in JSON).
    fn attributes(
        &mut self,
        e: &BytesStart<'_>,
        node: NodeId,
        tag: Span,
        on_resource: bool,
    ) -> Result<(), Fatal> {
        let raw = e.attributes_raw();
        if self.attrs_regular {
            let pairs = std::mem::take(&mut self.attr_buf);
            for (key, value, special) in &pairs {
                self.attribute(
                    &raw[key.clone()],
                    &raw[value.clone()],
                    *special,
                    node,
                    tag,
                    on_resource,
                )?;
            }
            self.attr_buf = pairs;
            return Ok(());
        }
        // Anything unusual: quick-xml's iterator finds and words the problem.
        for attr in e.attributes() {
            let attr = match attr {
                Ok(a) => a,
                Err(err) => {
                    return fail(XML_NOT_WELL_FORMED.finding(format!("{err}")).at(tag));
                }
            };
            let special = needs_normalization(&attr.value);
            self.attribute(
                attr.key.as_ref(),
                &attr.value,
                special,
                node,
                tag,
                on_resource,
            )?;
        }
        Ok(())
    }

    /// One attribute, `raw` as written between its quotes; `special` says whether it holds a
    /// character that normalisation changes ([`needs_normalization`]).
    #[allow(clippy::too_many_arguments)]
    fn attribute(
        &mut self,
        key: &str,
        raw: &str,
        special: bool,
        node: NodeId,
        tag: Span,
        on_resource: bool,
    ) -> Result<(), Fatal> {
        if key == "xmlns" || key.starts_with("xmlns:") {
            return Ok(());
        }
        let key_span = self.span_of(key).unwrap_or(tag);
        let raw_span = self.span_of(raw);
        // Only entity references and line breaks or tabs change a value; the base64 of an
        // attachment (most of a large message) has none, so it is neither copied nor rescanned.
        let value = if special {
            let attr = Attribute {
                key: QName(key),
                value: Cow::Borrowed(raw),
            };
            match attr.normalized_value(quick_xml::XmlVersion::Implicit1_0) {
                Ok(v) => v,
                Err(err) => {
                    return fail(XML_NOT_WELL_FORMED
                        .finding(format!("{err}"))
                        .at(raw_span.unwrap_or(tag))
                        .with_help("Write the character itself, or use `&#NNNN;`; DTD entities are never expanded"));
                }
            }
        } else {
            Cow::Borrowed(raw)
        };
        let value_span = raw_span.unwrap_or(tag);
        let text = match (&value, raw_span) {
            (Cow::Borrowed(v), Some(s)) if v.len() == s.len() => Str::Src(s),
            _ => self.b.own(value.into_owned()),
        };
        if on_resource {
            // Only namespace declarations belong on a resource's own element.
            self.findings.push(
                XML_NOT_WELL_FORMED
                    .finding(format!(
                        "unexpected attribute `{key}` on a resource element"
                    ))
                    .at(key_span),
            );
            return Ok(());
        }
        if key == "value" && !self.plain {
            self.b.set_value(node, text, ValueKind::String, value_span);
        } else {
            let whole = Span::new(
                key_span.start as usize,
                (value_span.end as usize + 1).min(self.text.len()),
            );
            let child = self.b.push(Some(node), Str::Src(key_span), whole, key_span);
            self.b.set_value(child, text, ValueKind::String, value_span);
        }
        Ok(())
    }

    fn end(&mut self, after: usize) {
        let Some(frame) = self.stack.pop() else {
            return;
        };
        if frame.folded {
            return;
        }
        self.b.node_mut(frame.node).span.end = after as u32;
        if let Some((span, owned)) = frame.text {
            let blank = owned
                .as_deref()
                .unwrap_or(&self.text[span.range()])
                .trim()
                .is_empty();
            if blank && self.b.node(frame.node).first_child.is_some() {
                // Indentation between child elements, not a value.
                return;
            }
            let value = match owned {
                Some(s) => self.b.own(s),
                None => Str::Src(span),
            };
            self.b.set_value(frame.node, value, ValueKind::String, span);
        }
    }

    /// Text, CDATA and entity references. FHIR XML carries no text outside the narrative; a MESH
    /// control file's values are its text.
    fn text_content(
        &mut self,
        raw: &str,
        resolved: Option<String>,
        span: Span,
    ) -> Result<(), Fatal> {
        let blank = is_blank(raw) && resolved.as_deref().is_none_or(is_blank);
        let Some(frame) = self.stack.last_mut() else {
            if blank {
                return Ok(());
            }
            return fail(
                XML_NOT_WELL_FORMED
                    .finding("text outside the root element")
                    .at(span),
            );
        };
        if !self.plain {
            if !blank && !self.text_reported {
                self.text_reported = true;
                self.findings.push(
                    XML_UNEXPECTED_TEXT
                        .finding(format!(
                            "text content `{}` is not allowed here",
                            raw.trim().chars().take(40).collect::<String>()
                        ))
                        .at(span),
                );
            }
            return Ok(());
        }
        // Plain mode: gather the element's text; only copy when entities made it differ.
        let piece = resolved.as_deref().unwrap_or(raw);
        frame.text = Some(match frame.text.take() {
            None => (span, resolved),
            Some((prev, owned)) => {
                let mut s = owned.unwrap_or_else(|| self.text[prev.range()].to_string());
                s.push_str(piece);
                (Span::new(prev.start as usize, span.end as usize), Some(s))
            }
        });
        Ok(())
    }
}

/// The namespace of an element, without allocating for the two that FHIR uses.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Ns {
    Fhir,
    Xhtml,
    Other(String),
    None,
}

impl Ns {
    fn of(r: &ResolveResult<'_>) -> Ns {
        match r {
            ResolveResult::Bound(ns) if ns.0 == FHIR_NS => Ns::Fhir,
            ResolveResult::Bound(ns) if ns.0 == XHTML_NS => Ns::Xhtml,
            ResolveResult::Bound(ns) => Ns::Other(ns.0.to_string()),
            _ => Ns::None,
        }
    }
}

/// One attribute of a start tag: the byte ranges of its key and of its value (between the
/// quotes), and whether the value holds a character that normalisation changes.
type Attr = (Range<usize>, Range<usize>, bool);

/// The local part of an element name, after the first `:` as quick-xml's `local_name` has it;
/// a byte loop, where quick-xml's `str::find` sets up a general search for each short name.
fn local_name(name: &str) -> &str {
    match name.bytes().position(|c| c == b':') {
        Some(colon) => &name[colon + 1..],
        None => name,
    }
}

/// XML's white space.
fn is_xml_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

/// Whether a word of eight bytes holds a byte below `(`: the classic test, exact as `(` is
/// below 0x80.
fn has_byte_below_paren(x: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    x.wrapping_sub(ONES * u64::from(b'(')) & !x & (ONES << 7) != 0
}

/// Whether text is only white space (Unicode's, as `str::trim` has it). The indentation between
/// elements, the usual case, is settled a byte at a time without decoding characters.
fn is_blank(text: &str) -> bool {
    text.bytes().all(is_xml_space) || text.trim().is_empty()
}

/// Splits a start tag's attribute list (everything after the element name) into `key="value"`
/// pairs, as byte ranges of `raw`. Returns false when the list is anything other than such pairs
/// with distinct keys; the caller then lets quick-xml's attribute iterator report it. Values
/// are scanned by [`scan_value`], which skips a multi-megabyte base64 value 64 bytes at a time,
/// where quick-xml's attribute iterator walks it byte by byte (it was a third of the time spent
/// on a 63 kB message with a PDF attached).
fn scan_attributes(raw: &str, out: &mut Vec<Attr>) -> bool {
    scan_attribute_list(raw.as_bytes(), false, out) == Some(raw.len())
}

/// A start or empty element tag read by [`scan_start_tag`].
struct StartTag {
    /// Length of the element name.
    name_len: usize,
    /// Where the content quick-xml would give (between `<` and `>` or `/>`) ends.
    content_end: usize,
    /// Length of the whole tag, `<` to `>`.
    len: usize,
    /// `<name/>`.
    empty: bool,
}

/// Reads `<name attributes>` or `<name attributes/>` at the start of `text`, filling `out` with
/// the attributes as ranges from the end of the name. Returns `None` for anything else (an end
/// tag, a comment, irregular attributes), which quick-xml then reads. The tag ends where
/// quick-xml would end it (the first `>` outside quotes): names and keys hold no quote, `<`,
/// `/` or `>`.
fn scan_start_tag(text: &str, out: &mut Vec<Attr>) -> Option<StartTag> {
    let b = text.as_bytes();
    if b.first() != Some(&b'<') {
        return None;
    }
    let name_len = name_len(&b[1..]);
    if name_len == 0 {
        return None;
    }
    let attrs = 1 + name_len;
    let end = attrs + scan_attribute_list(&b[attrs..], true, out)?;
    match (b.get(end), b.get(end + 1)) {
        (Some(b'>'), _) => Some(StartTag {
            name_len,
            content_end: end,
            len: end + 1,
            empty: false,
        }),
        (Some(b'/'), Some(b'>')) => Some(StartTag {
            name_len,
            content_end: end,
            len: end + 2,
            empty: true,
        }),
        _ => None,
    }
}

/// Reads `</name>` (white space allowed before the `>`) at the start of `text`: the length of
/// the name and of the whole tag. `None` for anything else, which quick-xml then reads.
fn scan_end_tag(text: &str) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    if !b.starts_with(b"</") {
        return None;
    }
    let name_len = name_len(&b[2..]);
    let after = 2 + name_len;
    let blank = b[after..].iter().take_while(|&&c| is_xml_space(c)).count();
    (name_len > 0 && b.get(after + blank) == Some(&b'>')).then_some((name_len, after + blank + 1))
}

/// Length of the element name at the start of `b`, as far as a regular tag can have it.
fn name_len(b: &[u8]) -> usize {
    b.iter()
        .take_while(|&&c| BYTE_CLASS[usize::from(c)] & NAME_END == 0)
        .count()
}

/// [`BYTE_CLASS`] bit of what ends a key in a regular tag: white space, `=`, `/`, `>`, `<`,
/// quotes and `&` (none of which belongs to a name or key of a regular tag).
const KEY_END: u8 = 1;
/// [`BYTE_CLASS`] bit of what ends an element name in a regular tag: [`KEY_END`], `!` and `?`.
const NAME_END: u8 = 2;

/// Classes of bytes for the tag scanners, looked up once per byte instead of compared with
/// each member of a class.
static BYTE_CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let key_end = b" \t\r\n=/><\"'&";
    let mut i = 0;
    while i < key_end.len() {
        table[key_end[i] as usize] |= KEY_END | NAME_END;
        i += 1;
    }
    table[b'!' as usize] |= NAME_END;
    table[b'?' as usize] |= NAME_END;
    table
};

/// Scans `key="value"` pairs from the start of `b` into `out` (ranges relative to `b`). Stops
/// at the end of `b`, or with `in_tag` at a `/` or `>` where a key would start, and returns
/// where it stopped. `None` when a pair is irregular or a key repeats.
fn scan_attribute_list(b: &[u8], in_tag: bool, out: &mut Vec<Attr>) -> Option<usize> {
    out.clear();
    let mut i = 0;
    loop {
        while i < b.len() && is_xml_space(b[i]) {
            i += 1;
        }
        match b.get(i) {
            None => return Some(i),
            Some(b'/' | b'>') if in_tag => return Some(i),
            _ => {}
        }
        let key = i;
        while i < b.len() && BYTE_CLASS[usize::from(b[i])] & KEY_END == 0 {
            i += 1;
        }
        let key = key..i;
        while i < b.len() && is_xml_space(b[i]) {
            i += 1;
        }
        if key.is_empty() || b.get(i) != Some(&b'=') {
            return None;
        }
        i += 1;
        while i < b.len() && is_xml_space(b[i]) {
            i += 1;
        }
        let quote = match b.get(i) {
            Some(&q @ (b'"' | b'\'')) => q,
            _ => return None,
        };
        let start = i + 1;
        let (end, special) = scan_value(b, start, quote)?;
        if out.iter().any(|(k, _, _)| b[k.clone()] == b[key.clone()]) {
            return None;
        }
        i = end + 1;
        out.push((key, start..end, special));
    }
}

/// Finds the closing `quote` of an attribute value that starts at `b[start]`, and says whether
/// the value holds a character that attribute-value normalisation changes (`&`, tab, CR, LF).
///
/// Both quotes and those four are below `(`, and base64 has no such byte, so a 64-byte block
/// without one is passed over after a single comparison the compiler vectorises; only blocks
/// that have one (a space will do) are looked at byte by byte.
fn scan_value(b: &[u8], start: usize, quote: u8) -> Option<(usize, bool)> {
    const BLOCK: usize = 64;
    let mut special = false;
    // Within a block, only the words holding a byte below `(` are looked at byte by byte.
    let mut look = |at: usize, bytes: &[u8]| {
        for (w, word) in bytes.chunks(8).enumerate() {
            if word.len() == 8 && !has_byte_below_paren(word_at(word)) {
                continue;
            }
            for (j, &c) in word.iter().enumerate() {
                if c == quote {
                    return Some(at + w * 8 + j);
                }
                special |= matches!(c, b'&' | b'\t' | b'\r' | b'\n');
            }
        }
        None
    };
    let value = b.get(start..)?;
    let mut blocks = value.chunks_exact(BLOCK);
    let mut at = start;
    for block in &mut blocks {
        if block.iter().fold(false, |any, &c| any | (c < b'(')) {
            if let Some(end) = look(at, block) {
                return Some((end, special));
            }
        }
        at += BLOCK;
    }
    let end = look(at, blocks.remainder())?;
    Some((end, special))
}

/// Whether an attribute value holds a character that XML attribute-value normalisation changes
/// (`&`, tab, CR, LF), for values quick-xml's iterator gives.
fn needs_normalization(value: &str) -> bool {
    value
        .bytes()
        .any(|c| matches!(c, b'&' | b'\t' | b'\r' | b'\n'))
}

fn fail<T>(finding: Finding) -> Result<T, Fatal> {
    Err(Box::new(finding))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast scan agrees with quick-xml's attribute iterator wherever it answers, and hands
    /// back to it whenever quick-xml would report an error.
    #[test]
    fn attribute_scan_matches_quick_xml() {
        let cases = [
            "",
            "   ",
            r#"value="x""#,
            r#" value = 'x' id="a""#,
            "value=\"a\nb\" url='u'",
            r#"value="a&amp;b""#,
            r#"value="it's""#,
            r#"value='say "hi"'"#,
            r#"xmlns="http://hl7.org/fhir" xmlns:x="urn:x" x:a="1""#,
            r#"a="1"b="2""#,
            r#"a="1" a="2""#,
            r#"a="1" b"#,
            r#"a="1" b="#,
            r#"a=1"#,
            r#"a="unterminated"#,
            r#"="x""#,
            "value=\"\u{e9}\u{1f600}\"",
        ];
        let mut pairs = Vec::new();
        for raw in cases {
            let start = BytesStart::from_content(format!("e {raw}"), 1);
            let expected: Result<Vec<(String, String)>, _> = start
                .attributes()
                .map(|a| a.map(|a| (a.key.as_ref().to_string(), a.value.to_string())))
                .collect();
            let fast = scan_attributes(start.attributes_raw(), &mut pairs);
            match expected {
                Ok(expected) if fast => {
                    let raw = start.attributes_raw();
                    let got: Vec<(String, String)> = pairs
                        .iter()
                        .map(|(k, v, _)| (raw[k.clone()].to_string(), raw[v.clone()].to_string()))
                        .collect();
                    assert_eq!(got, expected, "{raw:?}");
                }
                Ok(_) => {}
                Err(_) => assert!(!fast, "{raw:?}: quick-xml refuses it, the scan did not"),
            }
        }
    }

    #[test]
    fn normalization_is_needed_only_for_entities_and_line_breaks() {
        let long = "QUJD".repeat(1000);
        assert!(!needs_normalization(&long));
        for c in ["&", "\t", "\r", "\n"] {
            assert!(needs_normalization(&format!("{long}{c}{long}")), "{c:?}");
        }
    }

    /// Namespaces resolve as quick-xml's `NsReader` resolves them: prefixes, defaults,
    /// redeclarations and their scope.
    #[test]
    fn namespaces_resolve_per_scope() {
        let xml = r#"<f:Bundle xmlns:f="http://hl7.org/fhir"><f:id value="1"/><x xmlns="urn:other"><y/></x><f:type value="message"/></f:Bundle>"#;
        let mut findings = Vec::new();
        let doc = parse(
            Arc::new(SourceFile::new("t.xml", xml.to_string())),
            0,
            &mut findings,
        )
        .expect("parses");
        let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
        // `x` is reported (once per file); `f:type` after it is back in the FHIR namespace.
        assert_eq!(
            messages,
            ["`x` is in `urn:other`, not `http://hl7.org/fhir`"],
            "{messages:?}"
        );
        let root = doc.root();
        assert_eq!(doc.get_value(root, "type"), Some("message"));
        assert_eq!(doc.get_value(root, "id"), Some("1"));
    }

    /// The namespace of unprefixed elements is remembered between elements, and forgotten when
    /// a declaration is entered or left: a `div` after the narrative is not XHTML.
    #[test]
    fn unprefixed_namespace_follows_declarations() {
        let xml = r#"<Bundle xmlns="http://hl7.org/fhir"><text><div xmlns="http://www.w3.org/1999/xhtml"><p/></div></text><div/><x xmlns="urn:x"/><div/></Bundle>"#;
        for fast in [true, false] {
            let mut findings = Vec::new();
            let source = Arc::new(SourceFile::new("t.xml", xml.to_string()));
            let doc = parse_with(source, 0, &mut findings, fast).expect("parses");
            let root = doc.root();
            let narrative = doc.get(root, "text.div").expect("narrative");
            assert_eq!(doc.value_kind(narrative), Some(ValueKind::Xhtml));
            let divs: Vec<NodeId> = doc.children_named(root, "div").collect();
            assert_eq!(divs.len(), 2);
            for div in divs {
                assert_eq!(doc.value_kind(div), None, "a FHIR `div` is not a narrative");
            }
            let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
            assert_eq!(messages, ["`x` is in `urn:x`, not `http://hl7.org/fhir`"]);
        }
    }

    /// Reading tags without quick-xml changes nothing: the same tree and the same findings,
    /// on every XML sample and on irregular markup that must be left to quick-xml.
    #[test]
    fn fast_markup_reads_as_quick_xml_reads_it() {
        let mut texts: Vec<String> = [
            r#"<Bundle xmlns="http://hl7.org/fhir"><id value="1"/><type value="a&amp;b"/></Bundle>"#,
            "<Bundle xmlns=\"http://hl7.org/fhir\">\n  <id value=\"1\" />\n\t<meta/>\r\n</Bundle>",
            r#"<Bundle xmlns="http://hl7.org/fhir"><id value='it"s'/><x a="1"b="2"/></Bundle>"#,
            r#"<Bundle xmlns="http://hl7.org/fhir"><id value="1" value="2"/></Bundle>"#,
            r#"<Bundle xmlns="http://hl7.org/fhir"><id value="1/><type value="x"/></Bundle>"#,
            r#"<Bundle xmlns="http://hl7.org/fhir"><id value="1" / ><a/b="1"/></Bundle>"#,
            r#"<Bundle xmlns="http://hl7.org/fhir"><id value="a>b"/><c d>="1"/></Bundle>"#,
            r#"<Bundle xmlns="http://hl7.org/fhir"><f:id xmlns:f="urn:x" value="1"/></Bundle>"#,
            r#"<Bundle xmlns="http://hl7.org/fhir"><div xmlns="http://www.w3.org/1999/xhtml"/></Bundle>"#,
            r#"<Bundle xmlns="http://hl7.org/fhir"><id value="1"/></Bundle><extra/>"#,
            r#"<Bundle xmlns="http://hl7.org/fhir"><id value="1"/> text <id value="2"/></Bundle>"#,
            r#"<Bundle xmlns="http://hl7.org/fhir"><id value="1"/><!-- c --><?pi x?><id value="2"/>"#,
            "<!-- a --><Bundle xmlns=\"http://hl7.org/fhir\">\n  <!-- b -->\n  <id value=\"1\"/><!--c--></Bundle>\n<!-- d -->",
            r#"<Bundle xmlns="http://hl7.org/fhir"><!-- a -- b --><id value="1"/></Bundle>"#,
            r#"<Bundle xmlns="http://hl7.org/fhir"><!-- a ---><id value="1"/></Bundle>"#,
            r#"<Bundle xmlns="http://hl7.org/fhir"><!----><!---x--><!-->--><id value="1"/></Bundle>"#,
            r#"<Bundle xmlns="http://hl7.org/fhir"><!-- <id value="1"/> --></Bundle>"#,
            r#"<Bundle xmlns="http://hl7.org/fhir"><!-- never closed <id value="1"/></Bundle>"#,
            r#"<Bundle xmlns="http://hl7.org/fhir"><id value="1"/><!-- c -->x<!-- d --></Bundle>"#,
            "<DTSControl><!-- a --><Version>1.0<!-- b --></Version>\n<!-- c -->\n</DTSControl>",
            r#"<Bundle xmlns="http://hl7.org/fhir">&amp;<id value="1"/></Bundle>"#,
            r#"<Bundle xmlns="http://hl7.org/fhir"><entry><resource><Patient/></resource></entry></Bundle>"#,
            r#"<Bundle xmlns="http://hl7.org/fhir"><id value="&#xZZ;"/></Bundle>"#,
            r#"<Bundle xmlns="http://hl7.org/fhir"><id value="1"/"#,
            r#"<Bundle/>"#,
            "<DTSControl><Version>1.0</Version><Empty/>\n<From_DTS a='1'/></DTSControl>",
            "<DTSControl>\n  <Version>1.0</Version >\n  <To_DTS> X &amp; Y </To_DTS>\n</DTSControl>",
            r#"<Bundle xmlns="http://hl7.org/fhir"><id value="1"></Bundle>"#,
            r#"<Bundle xmlns="http://hl7.org/fhir"><id value="1"></id ></Bundle ></x>"#,
            r#"<Bundle xmlns="http://hl7.org/fhir"><id value="1"></ id></Bundle>"#,
            r#"<Bundle xmlns="http://hl7.org/fhir"><id value="1"></id x></Bundle>"#,
            r#"<Bundle xmlns="http://hl7.org/fhir"><id value="1"></id"#,
            r#"<Bundle xmlns="http://hl7.org/fhir"><meta><id value="1"/></meta></Bundle></Bundle>"#,
            r#"<f:Bundle xmlns:f="http://hl7.org/fhir"><f:id value="1"/></Bundle>"#,
            r#"<f:Bundle xmlns:f="http://hl7.org/fhir"><f:meta></f:meta></f:Bundle>"#,
            r#"<Bundle xmlns="http://hl7.org/fhir"><text><div xmlns="http://www.w3.org/1999/xhtml"><p>a</p><br/></div></text></Bundle>"#,
            r#"<Bundle xmlns="http://hl7.org/fhir"><text><div xmlns="http://www.w3.org/1999/xhtml"><p>a</div></text></Bundle>"#,
            r#"<Bundle xmlns="http://hl7.org/fhir"><text><div xmlns="http://www.w3.org/1999/xhtml"></p></div></text></Bundle>"#,
            r#"<Bundle xmlns="http://hl7.org/fhir"><div><id value="1"/></div></Bundle>"#,
            r#"<Bundle xmlns="http://hl7.org/fhir"><id value="1"/><![CDATA[x]]></Bundle>"#,
            r#"<Bundle xmlns="http://hl7.org/fhir"><meta>text</meta></Bundle>"#,
            "<Bundle xmlns=\"http://hl7.org/fhir\">\n</Bundle>\n\n",
            "</Bundle>",
            "  <Bundle xmlns=\"http://hl7.org/fhir\"></Bundle>",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
        let mut dirs = vec![root];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir)
                .expect("samples/ is readable")
                .flatten()
            {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|x| x == "xml") {
                    // Samples in other encodings never reach the XML reader.
                    texts.extend(std::fs::read_to_string(&path).ok());
                }
            }
        }
        assert!(texts.len() > 100, "{} inputs", texts.len());
        for text in texts {
            let run = |fast: bool| {
                let mut findings = Vec::new();
                let source = Arc::new(SourceFile::new("t.xml", text.clone()));
                let doc = parse_with(source, 0, &mut findings, fast);
                format!("{doc:?}\n{findings:?}")
            };
            assert_eq!(run(true), run(false), "{text}");
        }
    }

    #[test]
    fn value_scan_finds_the_quote_and_special_characters() {
        let long = "QUJD".repeat(100);
        for (value, special) in [
            (long.clone(), false),
            (format!("{long}&amp;{long}"), true),
            (format!("{long}\n"), true),
            (format!("a b {long}"), false),
            ("".to_string(), false),
            ("\t".to_string(), true),
            ("\u{e9}t\u{e9} \u{1f600}".to_string(), false),
            ("\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}&".to_string(), true),
            ("'''''''''".to_string(), false),
        ] {
            for pad in 0..40 {
                let text = format!("{}{value}\"{long}\"", "x".repeat(pad));
                let got = scan_value(text.as_bytes(), pad, b'"');
                assert_eq!(got, Some((pad + value.len(), special)), "{pad} {value:?}");
            }
        }
        assert_eq!(scan_value(long.as_bytes(), 0, b'"'), None);
        assert_eq!(scan_value(b"a'b\"", 0, b'"'), Some((3, false)));
    }
}
