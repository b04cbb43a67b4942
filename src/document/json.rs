//! FHIR JSON reader that keeps byte spans, folded into the neutral [`Document`] tree.
//!
//! `serde_json::Value` keeps no positions and silently keeps the last of duplicate keys, so this
//! is a small recursive-descent reader of its own. It is strict where FHIR is (duplicate keys,
//! comments, trailing commas, `NaN`, `null` are findings) but recovers from those so that one
//! file reports all of them. Depth is bounded by [`MAX_DEPTH`]; strings are not copied unless
//! they contain escapes.

use super::scan::{blank_len, word_at};
use super::{Builder, Document, Format, NodeId, SourceFile, Span, Str, ValueKind, MAX_DEPTH};
use crate::finding::{Finding, RuleMeta};
use crate::rules::input::*;
use std::borrow::Cow;
use std::sync::Arc;

/// Parses `source.text[start..]` (after any byte-order mark). Returns `None` when the JSON is
/// too broken to give a tree; the reason is in `findings` either way.
pub fn parse(
    source: Arc<SourceFile>,
    start: usize,
    findings: &mut Vec<Finding>,
) -> Option<Document> {
    let result = {
        let mut p = Parser {
            text: &source.text,
            bytes: source.text.as_bytes(),
            pos: start,
            b: Builder::for_source(source.text.len().saturating_sub(start)),
            findings,
            depth: 0,
            spare_members: Vec::new(),
            spare_keys: Vec::new(),
            spare_items: Vec::new(),
        };
        p.document().map(|()| p.b)
    };
    match result {
        Ok(b) => Some(b.finish(source, Format::Json)),
        Err(fatal) => {
            findings.push(*fatal);
            None
        }
    }
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    b: Builder,
    findings: &'a mut Vec<Finding>,
    depth: usize,
    /// Emptied member lists, key sets and array item lists of objects and arrays already
    /// read, reused by the next ones: a bundle has hundreds of thousands of small objects,
    /// and allocating each its own lists cost more than reading them.
    spare_members: Vec<Vec<Member<'a>>>,
    spare_keys: Vec<KeySet<'a>>,
    spare_items: Vec<Vec<Option<NodeId>>>,
}

/// A value just parsed, before it is attached under a name.
enum Parsed {
    /// An object or primitive, already a node.
    Node(NodeId),
    /// An array: its members are nodes (nulls are `None`).
    Array(Vec<Option<NodeId>>),
    Null,
}

/// One property of an object while the object is being read.
struct Member<'a> {
    key: Str,
    key_text: Cow<'a, str>,
    key_span: Span,
    span: Span,
    value: Parsed,
}

/// A finding that ends parsing; boxed because it travels up every `?`.
type Fatal = Box<Finding>;

impl<'a> Parser<'a> {
    fn document(&mut self) -> Result<(), Fatal> {
        self.skip_ws()?;
        let start = self.pos;
        if self.peek() != Some(b'{') {
            let mut f = self.unexpected("a JSON object");
            if self.peek().is_some() && self.bytes[start] == b'[' {
                f.help = Some("A FHIR JSON document is one resource object, not an array".into());
            }
            return Err(f);
        }
        let placeholder = self.b.own("");
        let root = self
            .b
            .push(None, placeholder, Span::at(start), Span::at(start));
        self.object_body(root)?;
        self.skip_ws()?;
        if self.pos < self.bytes.len() {
            self.findings.push(
                JSON_SYNTAX
                    .finding("unexpected content after the end of the JSON document")
                    .at(Span::new(self.pos, self.bytes.len().min(self.pos + 1))),
            );
        }
        Ok(())
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn fatal(&self, rule: &RuleMeta, message: String, span: Span) -> Fatal {
        Box::new(rule.finding(message).at(span))
    }

    fn unexpected(&self, expected: &str) -> Fatal {
        match self.text[self.pos..].chars().next() {
            None => self.fatal(
                &JSON_SYNTAX,
                format!("the JSON ends early: expected {expected}"),
                Span::at(self.pos),
            ),
            Some(c) => self.fatal(
                &JSON_SYNTAX,
                format!("expected {expected}, found `{}`", c.escape_debug()),
                Span::new(self.pos, self.pos + c.len_utf8()),
            ),
        }
    }

    /// Skips whitespace and reports (then skips) comments.
    fn skip_ws(&mut self) -> Result<(), Fatal> {
        loop {
            self.pos += blank_len(self.bytes.get(self.pos..).unwrap_or_default());
            match self.peek() {
                Some(b'/') => {
                    let start = self.pos;
                    let rest = &self.text[start..];
                    let end = if rest.starts_with("//") {
                        rest.find('\n').map_or(self.bytes.len(), |i| start + i)
                    } else if rest.starts_with("/*") {
                        match rest.strip_prefix("/*").and_then(|r| r.find("*/")) {
                            Some(i) => start + 2 + i + 2,
                            None => {
                                return Err(self.fatal(
                                    &JSON_SYNTAX,
                                    "unterminated `/*` comment".into(),
                                    Span::new(start, start + 2),
                                ))
                            }
                        }
                    } else {
                        return Err(self.unexpected("a JSON value"));
                    };
                    self.findings.push(
                        JSON_COMMENT
                            .finding("comments are not allowed in FHIR JSON")
                            .at(Span::new(start, end)),
                    );
                    self.pos = end;
                }
                _ => return Ok(()),
            }
        }
    }

    fn enter(&mut self) -> Result<(), Fatal> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.fatal(
                &DOCUMENT_TOO_DEEP,
                format!("nesting exceeds {MAX_DEPTH} levels"),
                Span::new(self.pos, self.pos + 1),
            ));
        }
        Ok(())
    }

    /// Parses any value; objects and primitives become nodes under `parent` named `name`.
    fn value(&mut self, parent: NodeId, name: Str, name_span: Span) -> Result<Parsed, Fatal> {
        let start = self.pos;
        match self.peek() {
            Some(b'{') => {
                let id = self.b.push(Some(parent), name, Span::at(start), name_span);
                self.object_body(id)?;
                Ok(Parsed::Node(id))
            }
            Some(b'[') => self.array(parent, name, name_span),
            Some(b'n') if self.text[start..].starts_with("null") => {
                self.pos += 4;
                Ok(Parsed::Null)
            }
            _ => {
                let (value, kind, span) = self.primitive()?;
                let id = self.b.push(Some(parent), name, span, name_span);
                self.b.set_value(id, value, kind, span);
                Ok(Parsed::Node(id))
            }
        }
    }

    fn primitive(&mut self) -> Result<(Str, ValueKind, Span), Fatal> {
        let start = self.pos;
        match self.peek() {
            Some(b'"') => {
                let (s, span) = self.string()?;
                Ok((s, ValueKind::String, span))
            }
            Some(b't') if self.text[start..].starts_with("true") => {
                self.pos += 4;
                let span = Span::new(start, self.pos);
                Ok((Str::Src(span), ValueKind::Boolean, span))
            }
            Some(b'f') if self.text[start..].starts_with("false") => {
                self.pos += 5;
                let span = Span::new(start, self.pos);
                Ok((Str::Src(span), ValueKind::Boolean, span))
            }
            Some(b'-' | b'0'..=b'9' | b'N' | b'I') => self.number(),
            _ => Err(self.unexpected("a JSON value")),
        }
    }

    fn number(&mut self) -> Result<(Str, ValueKind, Span), Fatal> {
        let start = self.pos;
        for word in ["NaN", "Infinity", "-Infinity"] {
            if self.text[start..].starts_with(word) {
                self.pos += word.len();
                let span = Span::new(start, self.pos);
                self.findings.push(
                    JSON_NON_FINITE_NUMBER
                        .finding(format!("`{word}` is not a JSON number"))
                        .at(span),
                );
                return Ok((Str::Src(span), ValueKind::Number, span));
            }
        }
        let digits = |p: &mut Self| {
            let s = p.pos;
            while matches!(p.peek(), Some(b'0'..=b'9')) {
                p.pos += 1;
            }
            p.pos - s
        };
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let int_start = self.pos;
        let n = digits(self);
        if n == 0 {
            return Err(self.unexpected("a digit"));
        }
        if n > 1 && self.bytes[int_start] == b'0' {
            return Err(self.fatal(
                &JSON_SYNTAX,
                "numbers must not have leading zeros".into(),
                Span::new(start, self.pos),
            ));
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if digits(self) == 0 {
                return Err(self.unexpected("a digit after the decimal point"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return Err(self.unexpected("a digit in the exponent"));
            }
        }
        let span = Span::new(start, self.pos);
        Ok((Str::Src(span), ValueKind::Number, span))
    }

    /// Reads a string token; returns its text (borrowed unless it has escapes) and the token span.
    fn string(&mut self) -> Result<(Str, Span), Fatal> {
        let start = self.pos;
        self.pos += 1;
        let content_start = self.pos;
        // Fast path: no escapes, the value is a slice of the source.
        loop {
            self.pos += plain_run_len(self.bytes.get(self.pos..).unwrap_or_default());
            match self.peek() {
                Some(b'"') => {
                    let s = Str::Src(Span::new(content_start, self.pos));
                    self.pos += 1;
                    return Ok((s, Span::new(start, self.pos)));
                }
                Some(b'\\') => break,
                Some(c) if c < 0x20 => return Err(self.control_char()),
                Some(_) => self.pos += 1,
                None => return Err(self.unterminated(start)),
            }
        }
        let mut out = String::from(&self.text[content_start..self.pos]);
        loop {
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    let s = self.b.own(out);
                    return Ok((s, Span::new(start, self.pos)));
                }
                Some(b'\\') => {
                    let esc = self.pos;
                    self.pos += 1;
                    let c = match self.peek() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.pos += 1;
                            let c = self.unicode_escape(esc)?;
                            out.push(c);
                            continue;
                        }
                        None => return Err(self.unterminated(start)),
                        Some(_) => {
                            let end = self.pos
                                + self.text[self.pos..]
                                    .chars()
                                    .next()
                                    .map_or(0, char::len_utf8);
                            return Err(self.fatal(
                                &JSON_SYNTAX,
                                format!("invalid escape `{}` in string", &self.text[esc..end]),
                                Span::new(esc, end),
                            ));
                        }
                    };
                    self.pos += 1;
                    out.push(c);
                }
                Some(c) if c < 0x20 => return Err(self.control_char()),
                Some(_) => {
                    // Copy the run up to the next quote, backslash or control character.
                    let run = self.pos;
                    while matches!(self.peek(), Some(c) if c != b'"' && c != b'\\' && c >= 0x20) {
                        self.pos += 1;
                    }
                    out.push_str(&self.text[run..self.pos]);
                }
                None => return Err(self.unterminated(start)),
            }
        }
    }

    fn hex4(&mut self, esc: usize) -> Result<u32, Fatal> {
        let digits = self
            .text
            .get(self.pos..self.pos + 4)
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()));
        match digits {
            Some(d) => {
                self.pos += 4;
                Ok(u32::from_str_radix(d, 16).unwrap_or(0))
            }
            None => Err(self.fatal(
                &JSON_SYNTAX,
                "`\\u` must be followed by four hex digits".into(),
                Span::new(esc, (self.pos + 1).min(self.bytes.len())),
            )),
        }
    }

    fn unicode_escape(&mut self, esc: usize) -> Result<char, Fatal> {
        let hi = self.hex4(esc)?;
        let code = if (0xD800..0xDC00).contains(&hi) {
            if !self.text[self.pos..].starts_with("\\u") {
                return Err(self.lone_surrogate(esc));
            }
            self.pos += 2;
            let lo = self.hex4(esc)?;
            if !(0xDC00..0xE000).contains(&lo) {
                return Err(self.lone_surrogate(esc));
            }
            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
        } else if (0xDC00..0xE000).contains(&hi) {
            return Err(self.lone_surrogate(esc));
        } else {
            hi
        };
        char::from_u32(code).ok_or_else(|| self.lone_surrogate(esc))
    }

    fn lone_surrogate(&self, esc: usize) -> Fatal {
        self.fatal(
            &JSON_SYNTAX,
            "`\\u` escape is an unpaired surrogate, which is not a character".into(),
            Span::new(esc, self.pos),
        )
    }

    fn control_char(&self) -> Fatal {
        self.fatal(
            &JSON_SYNTAX,
            format!(
                "control character U+{:04X} must be escaped inside a string",
                self.bytes[self.pos]
            ),
            Span::new(self.pos, self.pos + 1),
        )
    }

    fn unterminated(&self, start: usize) -> Fatal {
        self.fatal(
            &JSON_SYNTAX,
            "the JSON ends inside a string".into(),
            Span::new(start, start + 1),
        )
    }

    /// After a `,`: reports a trailing comma if `close` follows, and says whether it did.
    fn trailing_comma(&mut self, comma: usize, close: u8) -> Result<bool, Fatal> {
        self.skip_ws()?;
        if self.peek() == Some(close) {
            self.findings.push(
                JSON_TRAILING_COMMA
                    .finding("trailing comma before the closing bracket")
                    .at(Span::new(comma, comma + 1)),
            );
            return Ok(true);
        }
        Ok(false)
    }

    /// After an array item or object member: consumes the `,` (reporting a trailing one) or the
    /// closing bracket, and says whether the container ended.
    fn item_ends_container(&mut self, close: u8, open: usize) -> Result<bool, Fatal> {
        self.skip_ws()?;
        match self.peek() {
            Some(b',') => {
                let comma = self.pos;
                self.pos += 1;
                let trailing = self.trailing_comma(comma, close)?;
                if trailing {
                    self.pos += 1;
                }
                Ok(trailing)
            }
            Some(c) if c == close => {
                self.pos += 1;
                Ok(true)
            }
            _ => {
                let what = if close == b']' {
                    "`,` or `]` in the array opened here"
                } else {
                    "`,` or `}` in the object opened here"
                };
                Err(self.unexpected(what).related_open(open))
            }
        }
    }

    fn array(&mut self, parent: NodeId, name: Str, name_span: Span) -> Result<Parsed, Fatal> {
        self.enter()?;
        let open = self.pos;
        self.pos += 1;
        let mut items = self.spare_items.pop().unwrap_or_default();
        self.skip_ws()?;
        if self.peek() == Some(b']') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(Parsed::Array(items));
        }
        loop {
            self.skip_ws()?;
            let item_start = self.pos;
            match self.value(parent, name, name_span)? {
                Parsed::Node(id) => {
                    self.b.node_mut(id).in_array = true;
                    items.push(Some(id));
                }
                Parsed::Null => items.push(None),
                Parsed::Array(inner) => {
                    self.findings.push(
                        JSON_SYNTAX
                            .finding("FHIR JSON never nests an array directly inside an array")
                            .at(Span::new(item_start, item_start + 1))
                            .with_help("Flatten the inner array into the outer one"),
                    );
                    items.extend(inner);
                }
            }
            if self.item_ends_container(b']', open)? {
                break;
            }
        }
        self.depth -= 1;
        Ok(Parsed::Array(items))
    }

    /// Reads `{ … }` into node `obj`, folding `resourceType` and `_name` members.
    fn object_body(&mut self, obj: NodeId) -> Result<(), Fatal> {
        self.enter()?;
        let open = self.pos;
        self.pos += 1;
        let mut members = self.spare_members.pop().unwrap_or_default();
        let mut seen = self.spare_keys.pop().unwrap_or_default();
        // Whether the nodes linked under `obj` while reading differ from its final children:
        // a duplicate's value or a non-string `resourceType` was read into the tree.
        let mut relink = false;
        self.skip_ws()?;
        if self.peek() == Some(b'}') {
            self.pos += 1;
        } else {
            loop {
                self.skip_ws()?;
                if self.peek() != Some(b'"') {
                    return Err(self.unexpected("a property name in double quotes"));
                }
                let (key, key_span) = self.string()?;
                let key_text: Cow<'a, str> = match key {
                    Str::Src(span) => Cow::Borrowed(&self.text[span.range()]),
                    // Escaped keys are rare; `own` pushed the string last.
                    Str::Owned(_) => Cow::Owned(self.b.owned_str(key).to_owned()),
                };
                self.skip_ws()?;
                if self.peek() != Some(b':') {
                    return Err(self.unexpected("`:` after the property name"));
                }
                self.pos += 1;
                self.skip_ws()?;
                let duplicate = seen.insert(key_text.clone(), key_span);
                relink |= duplicate.is_some();
                let (name, name_span) = field_name(key, key_span);
                let value = if &*key_text == "resourceType" {
                    let start = self.pos;
                    match self.primitive() {
                        Ok((s, ValueKind::String, span)) => {
                            if duplicate.is_none() {
                                self.b.set_resource(obj, s);
                                if self.b.node(obj).parent.is_none() {
                                    self.b.set_name(
                                        obj,
                                        s,
                                        Span::new(span.start as usize + 1, span.end as usize - 1),
                                    );
                                }
                            }
                        }
                        Ok(_) | Err(_) => {
                            relink = true;
                            self.pos = start;
                            // Read whatever it is so the rest of the object still parses.
                            self.value(obj, name, name_span)?;
                            self.findings.push(
                                RESOURCE_TYPE_MISSING
                                    .finding("`resourceType` must be a string")
                                    .at(Span::new(start, self.pos)),
                            );
                        }
                    }
                    Parsed::Null
                } else {
                    self.value(obj, name, name_span)?
                };
                let span = Span::new(key_span.start as usize, self.pos);
                if let Some(first) = duplicate {
                    self.findings.push(
                        JSON_DUPLICATE_KEY
                            .finding(format!("property `{key_text}` appears more than once"))
                            .at(key_span)
                            .label("duplicate")
                            .related(first, "first occurrence, which is kept"),
                    );
                } else if &*key_text != "resourceType" {
                    members.push(Member {
                        key,
                        key_text,
                        key_span,
                        span,
                        value,
                    });
                }
                if self.item_ends_container(b'}', open)? {
                    break;
                }
            }
        }
        self.depth -= 1;
        let n = self.b.node_mut(obj);
        n.span.end = self.pos as u32;
        self.fold_members(obj, &mut members, relink);
        seen.clear();
        self.spare_members.push(members);
        self.spare_keys.push(seen);
        Ok(())
    }

    /// Turns an object's members into its final child list: merges `_name` into `name`, drops
    /// duplicates and unmatched `null`s (reporting them). `relink` says that nodes other than
    /// the members' were linked under `obj` while reading; `members` is left empty.
    fn fold_members(&mut self, obj: NodeId, members: &mut Vec<Member<'a>>, mut relink: bool) {
        let mut children: Vec<NodeId> = Vec::new();
        // Merge `_x` into `x` first, so `x` nodes carry their id/extension children.
        let mut i = 0;
        while i < members.len() {
            let Some(base) = members[i].key_text.strip_prefix('_').map(str::to_owned) else {
                i += 1;
                continue;
            };
            relink = true;
            let ext = members.remove(i);
            if !self.extension_shape_ok(&ext) {
                continue;
            }
            match members.iter().position(|m| *m.key_text == *base) {
                Some(j) => self.merge_primitive_extension(&mut members[j], ext),
                None => {
                    // A primitive with only extensions: `_x` stands alone, renamed to `x`.
                    let renamed = self.rename_underscore(ext);
                    members.insert(i, renamed);
                    i += 1;
                }
            }
        }
        // Without merges or dropped nodes, the members' nodes were linked under `obj` in this
        // very order as they were read.
        for m in members.drain(..) {
            match m.value {
                Parsed::Node(id) => {
                    if relink {
                        children.push(id);
                    }
                }
                Parsed::Array(mut items) => {
                    for (k, &item) in items.iter().enumerate() {
                        match item {
                            Some(id) => {
                                if relink {
                                    children.push(id);
                                }
                            }
                            None => self.findings.push(
                                JSON_NULL
                                    .finding(format!(
                                        "`{}[{k}]` is `null` with no `_{}` extension at that index",
                                        m.key_text, m.key_text
                                    ))
                                    .at(m.key_span),
                            ),
                        }
                    }
                    items.clear();
                    self.spare_items.push(items);
                }
                Parsed::Null => self.findings.push(
                    JSON_NULL
                        .finding(format!("`{}` is `null`", m.key_text))
                        .at(Span::new(m.key_span.start as usize, m.span.end as usize))
                        .with_help("Leave the property out instead of sending `null`"),
                ),
            }
        }
        if relink {
            self.b.relink_children(obj, &children);
        }
    }

    /// `_x` carries only `id` and `extension`, so it must be an object (or objects and nulls).
    fn extension_shape_ok(&mut self, ext: &Member<'a>) -> bool {
        let nodes: Vec<NodeId> = match &ext.value {
            Parsed::Node(id) => vec![*id],
            Parsed::Array(items) => items.iter().flatten().copied().collect(),
            Parsed::Null => Vec::new(),
        };
        let primitive = nodes.iter().any(|&n| self.b.node(n).value.is_some());
        if primitive {
            self.findings.push(
                JSON_PRIMITIVE_EXTENSION
                    .finding(format!(
                        "`{}` must be an object holding `id` or `extension`",
                        ext.key_text
                    ))
                    .at(ext.key_span),
            );
        }
        !primitive
    }

    fn rename_underscore(&mut self, mut ext: Member<'a>) -> Member<'a> {
        let base: Cow<'a, str> = match ext.key_text {
            Cow::Borrowed(text) => Cow::Borrowed(&text[1..]),
            Cow::Owned(ref text) => Cow::Owned(text[1..].to_owned()),
        };
        let (name, name_span) = match ext.key {
            Str::Src(s) => (
                Str::Src(Span::new(s.start as usize + 1, s.end as usize)),
                Span::new(
                    ext.key_span.start as usize + 2,
                    ext.key_span.end as usize - 1,
                ),
            ),
            Str::Owned(_) => (self.b.own(&*base), ext.key_span),
        };
        let rename = |b: &mut Builder, id: NodeId| b.set_name(id, name, name_span);
        match &mut ext.value {
            Parsed::Node(id) => rename(&mut self.b, *id),
            Parsed::Array(items) => {
                // Nulls here stand for absent values with no extension: nothing to keep.
                items.retain(Option::is_some);
                for id in items.iter().flatten() {
                    rename(&mut self.b, *id);
                }
            }
            Parsed::Null => {}
        }
        ext.key_text = base;
        ext
    }

    fn merge_primitive_extension(&mut self, base: &mut Member<'a>, ext: Member<'a>) {
        let mismatch = |p: &mut Self, what: String| {
            p.findings
                .push(JSON_PRIMITIVE_EXTENSION.finding(what).at(ext.key_span));
        };
        let base_key = base.key;
        match (&mut base.value, ext.value) {
            (Parsed::Node(b), Parsed::Node(e)) => self.move_children(*b, e),
            (Parsed::Array(bs), Parsed::Array(es)) => {
                if bs.len() != es.len() {
                    mismatch(
                        self,
                        format!(
                            "`{}` has {} items but `{}` has {}",
                            ext.key_text,
                            es.len(),
                            base.key_text,
                            bs.len()
                        ),
                    );
                }
                for (k, e) in es.into_iter().enumerate() {
                    let Some(e) = e else { continue };
                    match bs.get_mut(k) {
                        Some(Some(b)) => self.move_children(*b, e),
                        Some(slot @ None) => {
                            // `null` in the value array with data in `_x`: an extension-only item.
                            let own = self.b.node(e).name_span;
                            let span = Span::new(own.start as usize + 1, own.end as usize);
                            self.b.set_name(e, base_key, span);
                            *slot = Some(e);
                        }
                        None => {}
                    }
                }
            }
            (_, Parsed::Null) => {}
            _ => mismatch(
                self,
                format!(
                    "`{}` must have the same shape (single or array) as `{}`",
                    ext.key_text, base.key_text
                ),
            ),
        }
    }

    /// Moves the `id`/`extension` children of a `_x` node under the primitive node `x`.
    fn move_children(&mut self, to: NodeId, from: NodeId) {
        let mut kids = self.b.children(to);
        kids.extend(self.b.children(from));
        self.b.relink_children(to, &kids);
    }
}

/// The node name for a property key: the key itself, the span without its quotes.
fn field_name(key: Str, key_span: Span) -> (Str, Span) {
    (
        key,
        Span::new(key_span.start as usize + 1, key_span.end as usize - 1),
    )
}

trait RelatedOpen {
    fn related_open(self, open: usize) -> Self;
}

impl RelatedOpen for Fatal {
    fn related_open(self, open: usize) -> Self {
        Box::new(self.related(Span::new(open, open + 1), "opened here"))
    }
}

/// Keys seen in one object. FHIR objects have few keys, so a linear scan beats hashing until an
/// object is unusually large.
#[derive(Default)]
struct KeySet<'a> {
    small: Vec<(Cow<'a, str>, Span)>,
    large: Option<std::collections::HashMap<Cow<'a, str>, Span>>,
}

impl<'a> KeySet<'a> {
    /// Forgets every key, keeping the small list's room for the next object.
    fn clear(&mut self) {
        self.small.clear();
        self.large = None;
    }

    /// Records `key`; returns the span of an earlier identical key, if any.
    fn insert(&mut self, key: Cow<'a, str>, span: Span) -> Option<Span> {
        if let Some(map) = &mut self.large {
            if let Some(&first) = map.get(&*key) {
                return Some(first);
            }
            map.insert(key, span);
            return None;
        }
        if let Some((_, first)) = self.small.iter().find(|(k, _)| *k == key) {
            return Some(*first);
        }
        self.small.push((key, span));
        if self.small.len() > 32 {
            self.large = Some(self.small.drain(..).collect());
        }
        None
    }
}

/// Length of the run at the start of `b` that a string holds as it is: up to the first `"`,
/// `\\` or control character (or the end). Eight bytes are tested at once with the classic
/// tests for a zero byte and a byte below a bound; only a word that may hold one of them is
/// looked at byte by byte.
fn plain_run_len(b: &[u8]) -> usize {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = ONES << 7;
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let mut i = 0;
    while let Some(word) = b.get(i..i + 8) {
        let x = word_at(word);
        let special = has_zero(x ^ (ONES * u64::from(b'"')))
            | has_zero(x ^ (ONES * u64::from(b'\\')))
            | (x.wrapping_sub(ONES * 0x20) & !x & HIGH);
        if special != 0 {
            break;
        }
        i += 8;
    }
    i + b[i..]
        .iter()
        .take_while(|&&c| c != b'"' && c != b'\\' && c >= 0x20)
        .count()
}
