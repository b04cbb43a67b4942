//! FHIR STU3 (3.0.1) base type definitions: the generated `stu3_defs.tsv` table and lookups over it.
//!
//! The table is produced by `tools/gen_stu3_defs.py` from the official core package. It holds
//! every resource, complex datatype and primitive datatype with the elements of its snapshot
//! (inherited ones included), which is what interpreting a document tree needs: names,
//! cardinalities, types, choice elements, content references and required bindings. The file's
//! banner documents its columns.
//!
//! `build.rs` parses the table with this very module ([`Defs::parse`]) and writes the result,
//! lookup tables included, as Rust statics ([`Defs::to_rust`]) behind [`stu3`]: no run parses
//! or indexes anything, and validation never needs the package at run time.
//!
//! A node of a document is located by a [`Ctx`]: the type whose snapshot describes the node and
//! the element inside that snapshot. [`Defs::child`] moves from a node to a named child and
//! returns the [`Ctx`] in which that child's own children are to be looked up.
//!
//! `build.rs` compiles this file into itself (`#[path]`), so it uses nothing but `std`; the
//! embedded table is only referred to under the `stu3_tables` cfg, which `build.rs` sets for the
//! crate and which the build script itself does not have.

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::sync::OnceLock;

/// The FHIR STU3 base definitions, generated from `stu3_defs.tsv` at build time.
#[cfg(stu3_tables)]
pub fn stu3() -> &'static Defs {
    static STU3: std::sync::OnceLock<Defs> = std::sync::OnceLock::new();
    STU3.get_or_init(embedded::defs)
}

/// Builds the embedded definitions afresh, as [`stu3`] does once per process; for benchmarks.
/// (The type references they share are built on the first call only.)
#[cfg(stu3_tables)]
#[doc(hidden)]
pub fn stu3_uncached() -> Defs {
    embedded::defs()
}

/// The tables `build.rs` generates ([`Defs::to_rust`]), and their conversion to [`Defs`].
///
/// They hold integers only: strings are offsets into the TSV text, embedded beside them. A
/// table of `&str` fields would be cheaper to use but not to load: every pointer in a static is
/// relocated by the loader at start-up, and the 1.2 MB of pages holding them copied, in every
/// process, including those that never look a definition up. The types are built from the
/// integers on first use, the elements a chunk at a time as lookups reach them (see
/// [`Elements`]); the lookup tables and child lists are used in place.
#[cfg(stu3_tables)]
mod embedded {
    use super::*;

    include!(concat!(env!("OUT_DIR"), "/stu3_defs.rs"));

    /// The text the tables' string offsets point into. A `static`, so that it has one address
    /// (the test comparing the embedded and parsed tables relies on it).
    pub(super) static TSV: &str = include_str!("stu3_defs.tsv");

    fn text(offset: u32, len: u32) -> &'static str {
        &TSV[offset as usize..offset as usize + len as usize]
    }

    fn optional(offset: u32, len: u32) -> Option<&'static str> {
        (offset != NONE).then(|| text(offset, len))
    }

    fn ctx(ty: u32, node: u32) -> Option<Ctx> {
        (ty != NONE).then_some(Ctx {
            ty: ty as u16,
            node,
        })
    }

    fn kind(code: u32) -> Kind {
        match code {
            0 => Kind::Resource,
            1 => Kind::Complex,
            _ => Kind::Primitive,
        }
    }

    fn json_type(code: u32) -> Option<JsonType> {
        match code {
            1 => Some(JsonType::String),
            2 => Some(JsonType::Boolean),
            3 => Some(JsonType::Number),
            _ => None,
        }
    }

    pub(super) fn defs() -> Defs {
        assert_eq!(
            TSV.len(),
            TSV_LEN,
            "src/fhir/stu3_defs.tsv changed after build.rs read it"
        );
        fn type_ref(r: &[u32; 9]) -> TypeRef {
            TypeRef {
                code: text(r[0], r[1]),
                profile: optional(r[2], r[3]),
                targets: text(r[4], r[5]),
                content: ctx(r[6], r[7]),
                ty: r[8] as u16,
            }
        }
        let types = TYPES
            .iter()
            .map(|t| TypeInfo {
                name: text(t[0], t[1]),
                kind: kind(t[2]),
                is_abstract: t[3] != 0,
                base: optional(t[4], t[5]),
                json_type: json_type(t[6]),
                value_regex: optional(t[7], t[8]),
                root: t[9],
            })
            .collect();
        // One element from its integer row; each gets its own copy of its type references,
        // so that only the elements a run reaches are ever built.
        fn element(id: usize) -> ElementDef {
            let e = &ELEMENTS[id];
            let refs = &TYPE_REFS[e[6] as usize..e[6] as usize + e[7] as usize];
            ElementDef {
                path: text(e[0], e[1]),
                name: text(e[2], e[3]),
                min: e[4],
                max: (e[5] != NONE).then_some(e[5]),
                types: Cow::Owned(refs.iter().map(type_ref).collect()),
                content_reference: optional(e[8], e[9]),
                required_binding: optional(e[10], e[11]),
                regex: optional(e[12], e[13]),
                is_choice: e[14] != 0,
                ty: e[15] as u16,
                content: ctx(e[16], e[17]),
                children_start: e[18],
                children_len: e[19],
                id: id as u32,
            }
        }
        let elements = Elements::lazy(ELEMENTS.len(), element);
        Defs {
            types: Cow::Owned(types),
            type_table: NameTable {
                slots: Cow::Borrowed(&TYPE_TABLE_SLOTS),
                len: TYPE_TABLE.0,
                shift: TYPE_TABLE.1,
            },
            elements,
            child_list: Cow::Borrowed(&CHILD_LIST),
            child_table: NameTable {
                slots: Cow::Borrowed(&CHILD_TABLE_SLOTS),
                len: CHILD_TABLE.0,
                shift: CHILD_TABLE.1,
            },
        }
    }
}

/// "No value" in the generated integer tables.
const NONE: u32 = u32::MAX;

/// [`TypeRef::ty`] of a code that names no type of the table.
const NO_TYPE: u16 = u16::MAX;

/// Where a node sits in the definitions: the type whose snapshot describes it and the element
/// path inside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Ctx {
    ty: u16,
    node: u32,
}

impl Ctx {
    /// The context as one integer, for keying caches of lookups.
    pub fn key(self) -> u64 {
        u64::from(self.ty) << 32 | u64::from(self.node)
    }
}

/// The kind of a type definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Resource,
    Complex,
    Primitive,
}

/// How a primitive's value is represented in JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonType {
    String,
    Boolean,
    Number,
}

/// One resource or datatype.
#[derive(Clone, Debug)]
pub struct TypeInfo {
    pub name: &'static str,
    pub kind: Kind,
    pub is_abstract: bool,
    /// The type this one specializes (`None` for `Element` and `Resource`).
    pub base: Option<&'static str>,
    /// For primitives: the JSON representation of the value.
    pub json_type: Option<JsonType>,
    /// For primitives: the regular expression the value must match, if the spec gives one.
    pub value_regex: Option<&'static str>,
    root: u32,
}

/// One allowed type of an element.
#[derive(Clone, Debug)]
pub struct TypeRef {
    /// The FHIR type code, e.g. `string`, `CodeableConcept`, `Reference`, `BackboneElement`.
    pub code: &'static str,
    /// A profile the type is constrained to, by name for core profiles (`SimpleQuantity`).
    pub profile: Option<&'static str>,
    /// `|`-separated target type names of a Reference (`Resource` means any).
    targets: &'static str,
    /// Where children of a node of this type are looked up.
    content: Option<Ctx>,
    /// The index of the type `code` names ([`NO_TYPE`] when the table has no such type).
    ty: u16,
}

impl TypeRef {
    /// Resource types a Reference of this type may point to; empty when the spec names none.
    pub fn target_types(&self) -> impl Iterator<Item = &'static str> {
        self.targets.split('|').filter(|t| !t.is_empty())
    }
}

/// One element of a type's snapshot.
#[derive(Clone, Debug)]
pub struct ElementDef {
    /// Full path as in the snapshot, e.g. `Bundle.entry.resource`, `Observation.value[x]`.
    pub path: &'static str,
    /// Last path segment without `[x]`: the JSON property / XML element name, or for a
    /// choice element the prefix of its names.
    pub name: &'static str,
    pub min: u32,
    /// `None` means unbounded (`*`).
    pub max: Option<u32>,
    /// Allowed types; empty for a content reference and for a primitive's system-typed `value`.
    pub types: Cow<'static, [TypeRef]>,
    /// E.g. `#Bundle.link`: this element has the content of that one.
    pub content_reference: Option<&'static str>,
    /// ValueSet URL of a `required` binding.
    pub required_binding: Option<&'static str>,
    /// For a primitive's `value`: the regular expression it must match.
    pub regex: Option<&'static str>,
    is_choice: bool,
    ty: u16,
    content: Option<Ctx>,
    children_start: u32,
    children_len: u32,
    /// Where it is in the table: its position in definition order.
    id: u32,
}

impl ElementDef {
    /// Its position in the table, which lists each type's elements in snapshot order.
    pub fn position(&self) -> usize {
        self.id as usize
    }

    /// Whether more than one occurrence is allowed (the JSON form is an array).
    pub fn is_repeating(&self) -> bool {
        self.max != Some(0) && self.max != Some(1)
    }

    /// Whether this is a choice element (`value[x]`), named by type-suffixed names.
    pub fn is_choice(&self) -> bool {
        self.is_choice
    }
}

/// The result of looking up a named child of a node.
#[derive(Clone, Copy, Debug)]
pub struct Child<'a> {
    pub def: &'a ElementDef,
    /// The single allowed type, or the type chosen by a choice element's name.
    pub type_ref: Option<&'a TypeRef>,
    /// `type_ref`'s code.
    pub type_code: Option<&'a str>,
    /// The definition of that type.
    pub type_info: Option<&'a TypeInfo>,
    /// Where the child's own children are looked up: the child's own element for
    /// BackboneElement/Element, the referenced element for a content reference, the root of
    /// its datatype otherwise. `None` for Resource-typed elements, whose node names its own
    /// type, and for a primitive's `value`.
    pub content: Option<Ctx>,
}

/// A defect in the definitions table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

/// The element table. [`Defs::parse`] builds it whole; the embedded definitions build it from
/// their integer rows a chunk at a time, when a lookup first reaches the chunk: a message meets
/// a few hundred of the 5,700 elements, and in a short-lived process every page of memory
/// filled costs a page fault (about 4 µs on the VMs CI runs on).
enum Elements {
    Built(Vec<ElementDef>),
    Lazy {
        chunks: Box<[OnceLock<Box<[ElementDef]>>]>,
        len: usize,
        build: fn(usize) -> ElementDef,
    },
}

/// Elements per lazily built chunk: about a page of memory.
const CHUNK: usize = 32;

impl Elements {
    fn lazy(len: usize, build: fn(usize) -> ElementDef) -> Elements {
        Elements::Lazy {
            chunks: (0..len.div_ceil(CHUNK)).map(|_| OnceLock::new()).collect(),
            len,
            build,
        }
    }

    fn len(&self) -> usize {
        match self {
            Elements::Built(all) => all.len(),
            Elements::Lazy { len, .. } => *len,
        }
    }

    fn get(&self, id: usize) -> Option<&ElementDef> {
        match self {
            Elements::Built(all) => all.get(id),
            Elements::Lazy { chunks, len, build } => {
                let chunk = chunks.get(id / CHUNK)?.get_or_init(|| {
                    let start = id / CHUNK * CHUNK;
                    (start..(start + CHUNK).min(*len)).map(build).collect()
                });
                chunk.get(id % CHUNK)
            }
        }
    }

    /// The table [`Defs::parse`] is still completing.
    fn built_mut(&mut self) -> &mut Vec<ElementDef> {
        match self {
            Elements::Built(all) => all,
            Elements::Lazy { .. } => unreachable!("only parsed definitions are completed"),
        }
    }
}

impl std::ops::Index<usize> for Elements {
    type Output = ElementDef;

    fn index(&self, id: usize) -> &ElementDef {
        match self.get(id) {
            Some(element) => element,
            None => panic!("element {id} out of range"),
        }
    }
}

impl fmt::Debug for Elements {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Elements({})", self.len())
    }
}

/// A set of type definitions with indexes for lookups.
#[derive(Debug)]
pub struct Defs {
    types: Cow<'static, [TypeInfo]>,
    /// Type name -> index into `types` (under key 0).
    type_table: NameTable,
    /// All elements of all types; each type's root is included as a synthetic element so that
    /// roots and backbone elements are handled alike.
    elements: Elements,
    /// Direct children of each element, contiguous per parent, in definition order.
    child_list: Cow<'static, [u32]>,
    /// (parent element, child name) -> child element; choice elements under `parent | CHOICE_KEY`.
    child_table: NameTable,
}

impl Defs {
    /// Parses a table in the format written by `tools/gen_stu3_defs.py`.
    ///
    /// The text must be `'static` because definitions borrow their strings from it instead of
    /// copying thousands of small strings. Runs at build time for the embedded table.
    pub fn parse(text: &'static str) -> Result<Defs, ParseError> {
        let mut builder = Builder::default();
        // Rows average about 48 bytes; reserving avoids regrowing the large element vector.
        builder.elements.reserve(text.len() / 40);
        let bytes = text.as_bytes();
        let mut fields = [""; MAX_FIELDS];
        let (mut pos, mut line_no) = (0, 0);
        // One pass over the bytes splitting rows and columns together: fields are short, so
        // per-field `split`/`memchr` calls cost more than the scan itself.
        while pos < bytes.len() {
            line_no += 1;
            let (mut count, mut field_start, mut overflow) = (0, pos, false);
            loop {
                let byte = bytes.get(pos).copied();
                pos += 1;
                if !matches!(byte, Some(b'\t' | b'\n') | None) {
                    continue;
                }
                let field = &text[field_start..pos - 1];
                match fields.get_mut(count) {
                    Some(slot) => *slot = field.strip_suffix('\r').unwrap_or(field),
                    None => overflow = true,
                }
                count += 1;
                field_start = pos;
                if byte != Some(b'\t') {
                    break;
                }
            }
            if fields[0].is_empty() && count == 1 || fields[0].starts_with('#') {
                continue;
            }
            let result = if overflow {
                Err(format!("more than {MAX_FIELDS} columns"))
            } else if fields[0] == "T" {
                builder.add_type(&fields[..count], line_no)
            } else {
                builder.add_element(&fields[..count], line_no)
            };
            result.map_err(|message| ParseError {
                line: line_no,
                message,
            })?;
        }
        builder.finish()
    }

    fn type_index(&self, name: &str) -> Option<u32> {
        self.type_table
            .get(0, name, |index| self.types[index as usize].name)
    }

    fn child_id(&self, key: u32, name: &str) -> Option<u32> {
        self.child_table
            .get(key, name, |id| self.elements[id as usize].name)
    }

    pub fn type_info(&self, name: &str) -> Option<&TypeInfo> {
        let index = self.type_index(name)?;
        self.types.get(index as usize)
    }

    /// All types, sorted by name.
    pub fn types(&self) -> impl Iterator<Item = &TypeInfo> {
        self.types.iter()
    }

    /// True for every resource type, including the abstract `Resource` and `DomainResource`.
    pub fn is_resource_type(&self, name: &str) -> bool {
        self.type_info(name)
            .is_some_and(|info| info.kind == Kind::Resource)
    }

    /// True for resource types that can occur as instances (`resourceType` values).
    pub fn is_concrete_resource_type(&self, name: &str) -> bool {
        self.type_info(name)
            .is_some_and(|info| info.kind == Kind::Resource && !info.is_abstract)
    }

    /// The context for the content of a resource or datatype.
    pub fn root(&self, type_name: &str) -> Option<Ctx> {
        let index = self.type_index(type_name)?;
        Some(Ctx {
            ty: index as u16,
            node: self.types[index as usize].root,
        })
    }

    /// The context of the element with this snapshot path, e.g. `Bundle.entry` or
    /// `Observation.value[x]`.
    pub fn at_path(&self, path: &str) -> Option<Ctx> {
        let mut segments = path.split('.');
        let mut ctx = self.root(segments.next()?)?;
        for segment in segments {
            let (name, key) = match segment.strip_suffix("[x]") {
                Some(prefix) => (prefix, ctx.node | CHOICE_KEY),
                None => (segment, ctx.node),
            };
            ctx.node = self.child_id(key, name)?;
        }
        Some(ctx)
    }

    /// The type whose snapshot describes `ctx`.
    pub fn type_of(&self, ctx: Ctx) -> Option<&TypeInfo> {
        self.types.get(usize::from(ctx.ty))
    }

    /// The snapshot path of `ctx`; a type root's path is the type name.
    pub fn path(&self, ctx: Ctx) -> Option<&'static str> {
        self.elements
            .get(ctx.node as usize)
            .map(|element| element.path)
    }

    /// The definition at `ctx`; `None` for a type root.
    pub fn element(&self, ctx: Ctx) -> Option<&ElementDef> {
        if self.type_of(ctx)?.root == ctx.node {
            return None;
        }
        self.elements.get(ctx.node as usize)
    }

    /// Direct child definitions of `ctx` in definition order.
    pub fn children(&self, ctx: Ctx) -> impl Iterator<Item = &ElementDef> {
        let ids = match self.elements.get(ctx.node as usize) {
            Some(element) => {
                let start = element.children_start as usize;
                &self.child_list[start..start + element.children_len as usize]
            }
            None => &[],
        };
        ids.iter().map(|&id| &self.elements[id as usize])
    }

    /// Looks up child `name` (a JSON property name / XML element name) of a node at `ctx`.
    ///
    /// A choice element `value[x]` matches `value` followed by one of its type codes with the
    /// first letter capitalised (`valueString`, `valueCodeableConcept`), and the match reports
    /// that type. Names with any other suffix do not match.
    pub fn child(&self, ctx: Ctx, name: &str) -> Option<Child<'_>> {
        if let Some(id) = self.child_id(ctx.node, name) {
            let def = &self.elements[id as usize];
            let type_ref = match &*def.types {
                [only] => Some(only),
                _ => None,
            };
            return Some(Child {
                def,
                type_ref,
                type_code: type_ref.map(|t| t.code),
                type_info: type_ref.and_then(|t| self.types.get(usize::from(t.ty))),
                content: def.content,
            });
        }
        // The type suffix starts at an upper-case letter; the prefix may contain upper case
        // too (`defaultValue[x]`), so every such split is tried. Upper-case ASCII bytes are
        // always char boundaries.
        for (split, byte) in name.bytes().enumerate().skip(1) {
            if !byte.is_ascii_uppercase() {
                continue;
            }
            let Some(id) = self.child_id(ctx.node | CHOICE_KEY, &name[..split]) else {
                continue;
            };
            let def = &self.elements[id as usize];
            let suffix = &name[split..];
            let type_ref = def.types.iter().find(|t| is_type_suffix(suffix, t.code))?;
            return Some(Child {
                def,
                type_ref: Some(type_ref),
                type_code: Some(type_ref.code),
                type_info: self.types.get(usize::from(type_ref.ty)),
                content: type_ref.content,
            });
        }
        None
    }

    /// The definitions as Rust items for `build.rs` to embed (see [`stu3`]): every table as
    /// built, lookup tables included, so that nothing is parsed or indexed at run time, and
    /// strings as `offset, length` into `text`, the table they were parsed from. An absent
    /// string or context is [`NONE`].
    #[doc(hidden)]
    pub fn to_rust(&self, text: &str) -> String {
        let span = |s: &str| -> [u32; 2] {
            if s.is_empty() {
                return [0, 0];
            }
            let offset = (s.as_ptr() as usize)
                .checked_sub(text.as_ptr() as usize)
                .filter(|&o| o + s.len() <= text.len())
                .expect("every string of the definitions is a slice of their text");
            [offset as u32, s.len() as u32]
        };
        let optional = |s: Option<&str>| s.map_or([NONE, 0], span);
        let ctx = |c: Option<Ctx>| c.map_or([NONE, 0], |c| [u32::from(c.ty), c.node]);
        let mut out = String::new();
        let mut array = |name: &str, width: usize, rows: Vec<Vec<u32>>| {
            let n = rows.len();
            writeln!(out, "static {name}: [[u32; {width}]; {n}] = [").unwrap();
            for row in rows {
                debug_assert_eq!(row.len(), width);
                let cells: Vec<String> = row.iter().map(u32::to_string).collect();
                writeln!(out, "    [{}],", cells.join(",")).unwrap();
            }
            out.push_str("];\n");
        };
        let types = self
            .types
            .iter()
            .map(|t| {
                let kind = match t.kind {
                    Kind::Resource => 0,
                    Kind::Complex => 1,
                    Kind::Primitive => 2,
                };
                let json = match t.json_type {
                    None => 0,
                    Some(JsonType::String) => 1,
                    Some(JsonType::Boolean) => 2,
                    Some(JsonType::Number) => 3,
                };
                let mut row = span(t.name).to_vec();
                row.extend([kind, u32::from(t.is_abstract)]);
                row.extend(optional(t.base));
                row.push(json);
                row.extend(optional(t.value_regex));
                row.push(t.root);
                row
            })
            .collect();
        array("TYPES", 10, types);
        let mut refs = Vec::new();
        let mut elements = Vec::new();
        for e in (0..self.elements.len()).map(|id| &self.elements[id]) {
            let start = refs.len() as u32;
            for t in e.types.iter() {
                let mut row = span(t.code).to_vec();
                row.extend(optional(t.profile));
                row.extend(span(t.targets));
                row.extend(ctx(t.content));
                row.push(u32::from(t.ty));
                refs.push(row);
            }
            let mut row = span(e.path).to_vec();
            row.extend(span(e.name));
            row.extend([e.min, e.max.unwrap_or(NONE), start, e.types.len() as u32]);
            row.extend(optional(e.content_reference));
            row.extend(optional(e.required_binding));
            row.extend(optional(e.regex));
            row.extend([u32::from(e.is_choice), u32::from(e.ty)]);
            row.extend(ctx(e.content));
            row.extend([e.children_start, e.children_len]);
            elements.push(row);
        }
        array("TYPE_REFS", 9, refs);
        array("ELEMENTS", 20, elements);
        let mut table = |name: &str, table: &NameTable| {
            let n = table.slots.len();
            writeln!(out, "static {name}_SLOTS: [Slot; {n}] = [").unwrap();
            for chunk in table.slots.chunks(8) {
                let cells: Vec<String> = chunk
                    .iter()
                    .map(|Slot(key, value, tag)| format!("Slot({key},{value},{tag})"))
                    .collect();
                writeln!(out, "    {},", cells.join(",")).unwrap();
            }
            out.push_str("];\n");
            let (len, shift) = (table.len, table.shift);
            writeln!(out, "const {name}: (usize, u32) = ({len}, {shift});").unwrap();
        };
        table("TYPE_TABLE", &self.type_table);
        table("CHILD_TABLE", &self.child_table);
        let n = self.child_list.len();
        writeln!(out, "static CHILD_LIST: [u32; {n}] = [").unwrap();
        for chunk in self.child_list.chunks(16) {
            let cells: Vec<String> = chunk.iter().map(u32::to_string).collect();
            writeln!(out, "    {},", cells.join(",")).unwrap();
        }
        out.push_str("];\n");
        writeln!(out, "const TSV_LEN: usize = {};", text.len()).unwrap();
        out
    }

    /// Works out where the children of nodes described by element `id` are defined.
    fn resolve_content(&mut self, id: usize) -> Result<(), String> {
        let element = &self.elements[id];
        let own = Ctx {
            ty: element.ty,
            node: id as u32,
        };
        let content = match element.content_reference {
            Some(reference) => Some(self.at_path(&reference[1..]).ok_or_else(|| {
                format!("{}: unknown content reference {reference}", element.path)
            })?),
            None => None,
        };
        for index in 0..element.types.len() {
            let element = &self.elements[id];
            let code = element.types[index].code;
            let root = self.root(code);
            let type_content = match code {
                // Inline definitions: the children follow in this snapshot.
                "BackboneElement" | "Element" => Some(own),
                code => {
                    let ctx =
                        root.ok_or_else(|| format!("{}: unknown type {code}", element.path))?;
                    // A resource node names its own type (resourceType / XML element name).
                    let kind = self.types[usize::from(ctx.ty)].kind;
                    (kind != Kind::Resource).then_some(ctx)
                }
            };
            let type_ref = &mut self.elements.built_mut()[id].types.to_mut()[index];
            type_ref.content = type_content;
            type_ref.ty = root.map_or(NO_TYPE, |ctx| ctx.ty);
        }
        let element = &mut self.elements.built_mut()[id];
        element.content = match (content, &*element.types) {
            (Some(content), _) => Some(content),
            (None, [only]) if !element.is_choice => only.content,
            _ => None,
        };
        Ok(())
    }
}

/// Whether `suffix` is `code` with its first letter capitalised (`dateTime` -> `DateTime`).
fn is_type_suffix(suffix: &str, code: &str) -> bool {
    let (s, c) = (suffix.as_bytes(), code.as_bytes());
    match (s.split_first(), c.split_first()) {
        (Some((s0, s_rest)), Some((c0, c_rest))) => {
            *s0 == c0.to_ascii_uppercase() && s_rest == c_rest
        }
        _ => false,
    }
}

const MAX_FIELDS: usize = 7;
/// Marks choice entries in the child table: their names are prefixes, which must not match
/// a plain child name (`value` is not a valid name for `value[x]`).
const CHOICE_KEY: u32 = 1 << 31;
const NO_PARENT: u32 = u32::MAX;

#[derive(Default)]
struct Builder {
    types: Vec<TypeInfo>,
    elements: Vec<ElementDef>,
    lines: Vec<usize>,
    parents: Vec<u32>,
    /// The current element's ancestors: snapshots list elements depth first, so a row's parent
    /// is always on this stack.
    ancestors: Vec<u32>,
}

impl Builder {
    fn add_type(&mut self, fields: &[&'static str], line: usize) -> Result<(), String> {
        let &[_, name, kind, is_abstract, base, json] = fields else {
            return Err(format!("type row needs 6 columns, has {}", fields.len()));
        };
        let kind = match kind {
            "resource" => Kind::Resource,
            "complex" => Kind::Complex,
            "primitive" => Kind::Primitive,
            other => return Err(format!("unknown kind {other:?}")),
        };
        let is_abstract = match is_abstract {
            "0" => false,
            "1" => true,
            other => return Err(format!("abstract flag must be 0 or 1, not {other:?}")),
        };
        let json_type = match json {
            "-" => None,
            "string" => Some(JsonType::String),
            "boolean" => Some(JsonType::Boolean),
            "number" => Some(JsonType::Number),
            other => return Err(format!("unknown JSON type {other:?}")),
        };
        if name.is_empty() || name.contains('.') {
            return Err(format!("bad type name {name:?}"));
        }
        let ty = u16::try_from(self.types.len()).map_err(|_| "too many types".to_string())?;
        let root = self.push_element(root_element(name, ty), line, NO_PARENT)?;
        self.ancestors.clear();
        self.ancestors.push(root);
        self.types.push(TypeInfo {
            name,
            kind,
            is_abstract,
            base: (base != "-").then_some(base),
            json_type,
            value_regex: None,
            root,
        });
        Ok(())
    }

    fn add_element(&mut self, fields: &[&'static str], line: usize) -> Result<(), String> {
        let Some(ty) = self.types.len().checked_sub(1) else {
            return Err("element row before the first type row".to_string());
        };
        let field = |i: usize| fields.get(i).copied().filter(|f| !f.is_empty());
        let path = fields[0];
        let min = fields
            .get(1)
            .and_then(|m| m.parse().ok())
            .ok_or_else(|| format!("{path}: bad or missing min"))?;
        let max = match fields.get(2) {
            Some(&"*") => None,
            Some(m) => Some(m.parse().map_err(|_| format!("{path}: bad max {m:?}"))?),
            None => return Err(format!("{path}: missing max")),
        };
        let types = match field(3) {
            Some(text) => {
                let commas = text.bytes().filter(|&b| b == b',').count();
                let mut types = Vec::with_capacity(commas + 1);
                for item in text.split(',') {
                    types.push(parse_type_ref(item)?);
                }
                Cow::Owned(types)
            }
            None => Cow::Borrowed(&[][..]),
        };
        let content_reference = field(4);
        if content_reference.is_some_and(|r| !r.starts_with('#')) {
            return Err(format!("{path}: content reference must start with #"));
        }
        let (parent_path, segment) = path
            .rsplit_once('.')
            .ok_or_else(|| format!("{path}: not inside a type"))?;
        while let Some(&top) = self.ancestors.last() {
            if self.elements[top as usize].path == parent_path {
                break;
            }
            self.ancestors.pop();
        }
        let &parent = self.ancestors.last().ok_or_else(|| {
            format!("{path}: parent {parent_path} is not an element of this type listed before it")
        })?;
        let (name, is_choice) = match segment.strip_suffix("[x]") {
            Some(prefix) => (prefix, true),
            None => (segment, false),
        };
        let element = ElementDef {
            path,
            name,
            min,
            max,
            types,
            content_reference,
            required_binding: field(5),
            regex: field(6),
            is_choice,
            ty: ty as u16,
            content: None,
            children_start: 0,
            children_len: 0,
            id: 0,
        };
        let id = self.push_element(element, line, parent)?;
        self.ancestors.push(id);
        Ok(())
    }

    fn push_element(
        &mut self,
        mut element: ElementDef,
        line: usize,
        parent: u32,
    ) -> Result<u32, String> {
        // Node ids share the child-table key space with CHOICE_KEY.
        let id = u32::try_from(self.elements.len())
            .ok()
            .filter(|&id| id < CHOICE_KEY)
            .ok_or_else(|| "too many elements".to_string())?;
        element.id = id;
        self.elements.push(element);
        self.lines.push(line);
        self.parents.push(parent);
        Ok(id)
    }

    fn finish(self) -> Result<Defs, ParseError> {
        let error = |id: usize, message: String| ParseError {
            line: self.lines[id],
            message,
        };
        let mut type_table = NameTable::with_capacity(self.types.len());
        for (index, info) in self.types.iter().enumerate() {
            if !type_table.insert(0, info.name, index as u32, |i| self.types[i as usize].name) {
                let message = format!("type {} defined twice", info.name);
                return Err(error(info.root as usize, message));
            }
        }

        // Group children by parent, keeping definition order (a stable counting sort).
        let mut starts = vec![0u32; self.elements.len() + 1];
        for &parent in self.parents.iter().filter(|&&p| p != NO_PARENT) {
            starts[parent as usize + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let mut child_list = vec![0u32; starts[self.elements.len()] as usize];
        let mut fill = starts.clone();
        let mut child_table = NameTable::with_capacity(child_list.len());
        for (id, &parent) in self.parents.iter().enumerate() {
            if parent == NO_PARENT {
                continue;
            }
            let slot = &mut fill[parent as usize];
            child_list[*slot as usize] = id as u32;
            *slot += 1;
            let element = &self.elements[id];
            let key = if element.is_choice {
                parent | CHOICE_KEY
            } else {
                parent
            };
            let name_of = |id: u32| self.elements[id as usize].name;
            if !child_table.insert(key, element.name, id as u32, name_of) {
                let message = format!("{}: defined twice", element.path);
                return Err(error(id, message));
            }
        }

        let lines = self.lines;
        let mut defs = Defs {
            types: Cow::Owned(self.types),
            type_table,
            elements: Elements::Built(self.elements),
            child_list: Cow::Owned(child_list),
            child_table,
        };
        for (id, element) in defs.elements.built_mut().iter_mut().enumerate() {
            element.children_start = starts[id];
            element.children_len = starts[id + 1] - starts[id];
        }
        for (id, &line) in lines.iter().enumerate() {
            defs.resolve_content(id)
                .map_err(|message| ParseError { line, message })?;
        }
        for index in 0..defs.types.len() {
            let info = &defs.types[index];
            if info.kind == Kind::Primitive {
                let root = Ctx {
                    ty: index as u16,
                    node: info.root,
                };
                let regex = defs.child(root, "value").and_then(|value| value.def.regex);
                defs.types.to_mut()[index].value_regex = regex;
            }
        }
        Ok(defs)
    }
}

fn root_element(name: &'static str, ty: u16) -> ElementDef {
    ElementDef {
        path: name,
        name,
        min: 0,
        max: None,
        types: Cow::Borrowed(&[][..]),
        content_reference: None,
        required_binding: None,
        regex: None,
        is_choice: false,
        ty,
        content: None,
        children_start: 0,
        children_len: 0,
        id: 0,
    }
}

/// Parses `code`, `Reference(A|B)`, `Quantity{SimpleQuantity}`.
fn parse_type_ref(text: &'static str) -> Result<TypeRef, String> {
    let bad = || format!("malformed type {text:?}");
    let (rest, profile) = match text.strip_suffix('}') {
        Some(head) => {
            let (rest, profile) = head.split_once('{').ok_or_else(bad)?;
            (rest, Some(profile))
        }
        None => (text, None),
    };
    let (code, targets) = match rest.strip_suffix(')') {
        Some(head) => head.split_once('(').ok_or_else(bad)?,
        None => (rest, ""),
    };
    let is_name = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric());
    if !is_name(code) || profile.is_some_and(|p| p.is_empty()) || targets.contains(['(', '{']) {
        return Err(bad());
    }
    Ok(TypeRef {
        code,
        profile,
        targets,
        content: None,
        ty: NO_TYPE,
    })
}

/// Open-addressing map from (u32 key, name) to a u32 value, e.g. (parent node, child name)
/// to child node.
///
/// A std `HashMap<(u32, &'static str), u32>` cannot be queried with a borrowed, non-static
/// name, and child lookups run for every node of every document, so the table is
/// hand-rolled: linear probing, at most half full, multiplicative hashing indexed by the high
/// bits. It is built once and never grows.
///
/// Slots hold no name: the value names its entry (an element, a type), so the caller passes
/// `name_of` to compare against, and the slots are plain integers. That keeps the generated
/// table free of pointers, which the loader would otherwise relocate (and so copy) page by page
/// in every process; a 32-bit tag from the hash makes a comparison with the wrong name rare.
#[derive(Debug)]
struct NameTable {
    slots: Cow<'static, [Slot]>,
    len: usize,
    shift: u32,
}

/// `(key, value, tag)`; `value == EMPTY` marks a free slot.
#[derive(Clone, Copy, Debug)]
struct Slot(u32, u32, u32);

const EMPTY: u32 = u32::MAX;

impl NameTable {
    fn with_capacity(entries: usize) -> NameTable {
        let bits = (entries.max(8) * 2).next_power_of_two().trailing_zeros();
        NameTable {
            slots: Cow::Owned(vec![Slot(0, EMPTY, 0); 1 << bits]),
            len: 0,
            shift: 64 - bits,
        }
    }

    /// Returns false if the key is already present. `value` must not be `EMPTY`; `name_of`
    /// gives the name of every value already inserted.
    fn insert<'n>(
        &mut self,
        key: u32,
        name: &str,
        value: u32,
        name_of: impl Fn(u32) -> &'n str + Copy,
    ) -> bool {
        debug_assert_ne!(value, EMPTY);
        if (self.len + 1) * 2 > self.slots.len() {
            // Callers size the table up front; growing only keeps the half-full invariant.
            let mut bigger = NameTable::with_capacity(self.slots.len());
            for &Slot(key, value, _) in self.slots.iter().filter(|slot| slot.1 != EMPTY) {
                bigger.insert(key, name_of(value), value, name_of);
            }
            *self = bigger;
        }
        let hash = hash_key(key, name);
        let tag = hash as u32;
        let mask = self.slots.len() - 1;
        let mut index = (hash >> self.shift) as usize;
        let slots = self.slots.to_mut();
        loop {
            let slot = &mut slots[index];
            if slot.1 == EMPTY {
                *slot = Slot(key, value, tag);
                self.len += 1;
                return true;
            }
            if slot.0 == key && slot.2 == tag && name_of(slot.1) == name {
                return false;
            }
            index = (index + 1) & mask;
        }
    }

    fn get<'n>(&self, key: u32, name: &str, name_of: impl Fn(u32) -> &'n str) -> Option<u32> {
        let hash = hash_key(key, name);
        let tag = hash as u32;
        let mask = self.slots.len() - 1;
        let mut index = (hash >> self.shift) as usize;
        // Terminates: the table is never more than half full, so an empty slot is reached.
        loop {
            let Slot(k, value, t) = self.slots[index];
            if value == EMPTY {
                return None;
            }
            if k == key && t == tag && name_of(value) == name {
                return Some(value);
            }
            index = (index + 1) & mask;
        }
    }
}

fn hash_key(key: u32, name: &str) -> u64 {
    // Keys and table contents are fixed; probing names come from documents but cannot grow
    // the table, so a fast non-keyed hash is adequate.
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mix = |h: u64, word: u64| (h.rotate_left(5) ^ word).wrapping_mul(K);
    let mut h = mix(0, u64::from(key));
    let mut chunks = name.as_bytes().chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        h = mix(h, u64::from_le_bytes(word));
    }
    let rest = chunks.remainder();
    let mut word = [0u8; 8];
    word[..rest.len()].copy_from_slice(rest);
    h = mix(h, u64::from_le_bytes(word));
    mix(h, name.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINI: &str = "\
# comment
T\tElement\tcomplex\t1\t-\t-
Element.id\t0\t1\tstring
Element.extension\t0\t*\tExtension
T\tExtension\tcomplex\t0\tElement\t-
Extension.url\t1\t1\tstring
Extension.value[x]\t0\t1\tstring,Reference(Patient|Group),Quantity{SimpleQuantity}
T\tPatient\tresource\t0\t-\t-
Patient.contact\t0\t*\tBackboneElement
Patient.contact.name\t0\t1\tstring
Patient.contact.contact\t0\t*\t\t#Patient.contact
T\tQuantity\tcomplex\t0\tElement\t-
T\tReference\tcomplex\t0\tElement\t-
T\tstring\tprimitive\t0\tElement\tstring
string.value\t0\t1\t\t\t\t[ \\S]+
";

    fn mini() -> Defs {
        Defs::parse(MINI).expect("mini table parses")
    }

    #[test]
    fn parses_a_small_table() {
        let defs = mini();
        let ext = defs.root("Extension").unwrap();
        let names: Vec<_> = defs.children(ext).map(|e| e.name).collect();
        assert_eq!(names, ["url", "value"]);
        let value = defs.child(ext, "valueReference").unwrap();
        let targets: Vec<_> = value.type_ref.unwrap().target_types().collect();
        assert_eq!(targets, ["Patient", "Group"]);
        let quantity = defs.child(ext, "valueQuantity").unwrap();
        assert_eq!(quantity.type_ref.unwrap().profile, Some("SimpleQuantity"));
        assert_eq!(quantity.content, defs.root("Quantity"));
        assert!(defs.child(ext, "value").is_none());
        assert!(defs.child(ext, "valuestring").is_none());
        assert_eq!(
            defs.type_info("string").unwrap().value_regex,
            Some("[ \\S]+")
        );
    }

    #[test]
    fn nested_content_reference_loops_back() {
        let defs = mini();
        let patient = defs.root("Patient").unwrap();
        let contact = defs.child(patient, "contact").unwrap();
        let inner = defs.child(contact.content.unwrap(), "contact").unwrap();
        assert_eq!(inner.content, contact.content);
        assert_eq!(defs.path(inner.content.unwrap()), Some("Patient.contact"));
    }

    #[test]
    fn rejects_malformed_tables() {
        let cases = [
            ("Foo.bar\t0\t1\tstring\n", 1, "before the first type"),
            ("T\tA\tcomplex\t0\t-\t-\nA.b\t0\tx\tstring\n", 2, "bad max"),
            ("T\tA\tcomplex\t0\t-\t-\nA.b.c\t0\t1\tA\n", 2, "parent A.b"),
            (
                "T\tA\tcomplex\t0\t-\t-\nA.b\t0\t1\tNope\n",
                2,
                "unknown type Nope",
            ),
            (
                "T\tA\tcomplex\t0\t-\t-\nA.b\t0\t1\t\t#A.c\n",
                2,
                "unknown content",
            ),
            (
                "T\tA\tcomplex\t0\t-\t-\nA.b\t0\t1\tA\nA.b\t0\t1\tA\n",
                3,
                "defined twice",
            ),
            ("T\tA\tcomplex\t0\t-\t-\nB.b\t0\t1\tA\n", 2, "parent B"),
            ("T\tA\tweird\t0\t-\t-\n", 1, "unknown kind"),
            (
                "T\tA\tcomplex\t0\t-\t-\nA.b\t0\t1\tRef(A\n",
                2,
                "malformed type",
            ),
        ];
        for (text, line, needle) in cases {
            let err = Defs::parse(text).expect_err(text);
            assert_eq!(err.line, line, "{text:?}: {err}");
            assert!(err.message.contains(needle), "{text:?}: {err}");
        }
    }

    #[test]
    fn child_table_handles_collisions() {
        let names: Vec<String> = (0..500).map(|i| format!("n{i}")).collect();
        // Value `v` is entry `v / 3` under key `v % 3`.
        let name_of = |value: u32| names[value as usize / 3].as_str();
        // Deliberately undersized, so that inserting also exercises growing.
        let mut table = NameTable::with_capacity(10);
        for (i, name) in names.iter().enumerate() {
            for key in 0..3 {
                assert!(table.insert(key, name, i as u32 * 3 + key, name_of));
            }
        }
        assert!(!table.insert(1, &names[7], 7 * 3 + 1, name_of));
        for (i, name) in names.iter().enumerate() {
            for key in 0..3 {
                assert_eq!(table.get(key, name, name_of), Some(i as u32 * 3 + key));
            }
            assert_eq!(table.get(3, name, name_of), None);
        }
        assert_eq!(table.get(0, "missing", name_of), None);
    }

    /// The table embedded at build time is exactly what parsing the committed TSV gives.
    #[test]
    fn embedded_table_matches_the_tsv() {
        let text = embedded::TSV;
        let parsed = Defs::parse(text).expect("the TSV parses");
        assert!(parsed.to_rust(text) == stu3().to_rust(text));
    }

    #[test]
    fn embedded_table_loads() {
        let defs = stu3();
        assert!(defs.types().count() > 150);
        assert!(defs.is_concrete_resource_type("Bundle"));
        assert!(defs.is_resource_type("DomainResource"));
        assert!(!defs.is_concrete_resource_type("DomainResource"));
        assert!(!defs.is_resource_type("Coding"));
    }
}
