//! Check kinds: the small set of checks a rule pack can ask for. Each kind is compiled once from
//! its TOML table when the pack loads (`compile`) and run per document (`run`).
//!
//! Kinds and parameters (all value checks take `optional = true` to skip a missing value):
//! - `required`: the target selects at least one node; with `each = ["path", …]`, instead every
//!   selected node has something (a value or content) at each of those relative paths
//!   (`subject`, `extension.where(url='…')`).
//! - `forbidden`: the target selects nothing.
//! - `count`: `min`, `max`: how many nodes the target selects.
//! - `fixed`: `value`: every selected value equals it.
//! - `one-of`: `values`: every selected value is one of them.
//! - `not-in`: `values`: no selected value is one of them.
//! - `pattern`: `regex`: every selected value matches (whole value).
//! - `max-length`: `max`: selected values have at most this many characters.
//! - `profile-declared`: `profile`: every selected resource lists it in `meta.profile`.
//! - `resolves-to`: `types`, optional `profile`: every selected Reference resolves to an entry
//!   resource of one of the types (declaring the profile).
//! - `resource-type`: `type`: the selected node is a resource of that type.
//! - `max-lengths`: `limits` (child name → length): children of the selected nodes are at most
//!   that many characters long.
//! - `no-control-characters`: no value in or below the selected nodes holds U+0000–U+001F.
//! - `children-allowed`: `values`: every child of the selected nodes has one of these names.
//! - `mesh-address`: `gpprovider`, `date`, `report`: a MESH recipient address (see [`address`]).
//! - `nhs-number`: every selected value is 10 digits with a valid Modulus 11 check digit.
//! - `same-as`: `other`: every selected value equals the value at `other`, a path relative to
//!   the element holding the selected one (`List.title` the same as `code.coding.display`).
//! - `base64`: every selected value is strict RFC 4648 base64 (no whitespace); the finding
//!   points at the first offending character.
//! - `attachment`: `data`, `content_type` (child names, default `data` and `contentType`),
//!   optional `max_bytes`: each selected Attachment or Binary decodes to bytes that match its
//!   declared type (a PDF starts `%PDF-` and ends with an `%%EOF` trailer). Decoding keeps only
//!   the first and last bytes, so a large attachment costs no copy.
//! - `code`: a Rust-coded check named after the rule (`src/rules/code.rs`), for what data cannot
//!   express.

pub mod address;
pub mod children;
mod content;
mod presence;
mod reference;
mod value;

use crate::document::NodeId;
use crate::finding::{Finding, RuleMeta};
use crate::profile::select::{Path, Selection};
use crate::rules::Context;
use std::sync::OnceLock;

/// A Rust-coded check: gets the rule's metadata and the document.
pub type CodeFn = fn(&RuleMeta, &Context<'_>, &mut Vec<Finding>);

#[derive(Debug)]
pub enum Check {
    Required {
        each: Vec<Path>,
    },
    Forbidden,
    Count {
        min: usize,
        max: Option<usize>,
    },
    Fixed {
        value: String,
        optional: bool,
    },
    OneOf {
        values: Vec<String>,
        optional: bool,
    },
    NotIn {
        values: Vec<String>,
    },
    Pattern {
        /// Compiled on first use ([`Check::regex`]): a rule carries a pattern for each release
        /// and use case, and a message needs one of them.
        regex: OnceLock<regex::bytes::Regex>,
        source: String,
        optional: bool,
    },
    MaxLength {
        max: usize,
    },
    ProfileDeclared {
        profile: String,
        optional: bool,
    },
    ResolvesTo {
        types: Vec<String>,
        profile: Option<String>,
        optional: bool,
    },
    ResourceType {
        resource_type: String,
    },
    MaxLengths {
        limits: Vec<(String, usize)>,
    },
    NoControlCharacters,
    ChildrenAllowed {
        names: Vec<String>,
    },
    MeshAddress(address::AddressCheck),
    NhsNumber {
        optional: bool,
    },
    SameAs {
        other: Path,
    },
    Base64 {
        optional: bool,
    },
    Attachment {
        data: String,
        content_type: String,
        max_bytes: Option<u64>,
    },
    Code(CodeFn),
}

impl Check {
    /// A `pattern` check's expression, compiled now if this is its first use.
    ///
    /// Byte-wise and without Unicode classes (`(?-u)`): `\d`, `\s` and `\w` are ASCII, as
    /// the packs mean them, and the automaton stays small (with Unicode classes, compiling the
    /// patterns one message needs cost more than validating it). The value is valid UTF-8
    /// already, so matching bytes gives what matching characters would for every pattern that
    /// does not count repetitions of a class reaching beyond ASCII.
    pub fn regex(&self) -> Result<&regex::bytes::Regex, String> {
        let Check::Pattern { regex, source, .. } = self else {
            return Err("not a pattern check".into());
        };
        if let Some(compiled) = regex.get() {
            return Ok(compiled);
        }
        let compiled = regex::bytes::Regex::new(&format!("(?-u)^(?:{source})$"))
            .map_err(|e| format!("bad regex `{source}`: {e}"))?;
        Ok(regex.get_or_init(|| compiled))
    }

    /// Compiles whatever the check defers ([`Check::regex`]), so that a mistake in a pack is
    /// reported when the pack loads rather than when a message first needs the check.
    pub fn verify(&self) -> Result<(), String> {
        match self {
            Check::Pattern { .. } => self.regex().map(|_| ()),
            _ => Ok(()),
        }
    }
    /// Whether the check needs a `select` target (every kind but `code`).
    pub fn needs_target(&self) -> bool {
        !matches!(self, Check::Code(_))
    }

    /// Compiles a check table such as `{ kind = "fixed", value = "true" }`.
    pub fn compile(table: &toml::Table, rule_name: &str) -> Result<Check, String> {
        let p = Params { table };
        let kind = p.str("kind")?;
        let allowed: &[&str] = match kind.as_str() {
            "required" => &["kind", "each"],
            "forbidden" | "code" => &["kind"],
            "count" => &["kind", "min", "max"],
            "fixed" => &["kind", "value", "optional"],
            "one-of" => &["kind", "values", "optional"],
            "not-in" => &["kind", "values"],
            "pattern" => &["kind", "regex", "optional"],
            "max-length" => &["kind", "max"],
            "profile-declared" => &["kind", "profile", "optional"],
            "resolves-to" => &["kind", "types", "profile", "optional"],
            "resource-type" => &["kind", "type"],
            "max-lengths" => &["kind", "limits"],
            "no-control-characters" => &["kind"],
            "children-allowed" => &["kind", "values"],
            "mesh-address" => &["kind", "gpprovider", "date", "report", "optional"],
            "nhs-number" | "base64" => &["kind", "optional"],
            "same-as" => &["kind", "other"],
            "attachment" => &["kind", "data", "content_type", "max_bytes"],
            other => return Err(format!("unknown check kind `{other}`")),
        };
        if let Some(extra) = table.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(format!("check kind `{kind}` takes no parameter `{extra}`"));
        }
        let optional = p.bool_or("optional", false)?;
        Ok(match kind.as_str() {
            "required" => Check::Required {
                each: if table.contains_key("each") {
                    p.strs("each")?
                        .iter()
                        .map(|e| Path::parse_relative(e).map_err(|err| format!("each: {err}")))
                        .collect::<Result<_, _>>()?
                } else {
                    Vec::new()
                },
            },
            "forbidden" => Check::Forbidden,
            "count" => Check::Count {
                min: p.usize_or("min", 0)?,
                max: p.opt_usize("max")?,
            },
            "fixed" => Check::Fixed {
                value: p.str("value")?,
                optional,
            },
            "one-of" => Check::OneOf {
                values: p.strs("values")?,
                optional,
            },
            "not-in" => Check::NotIn {
                values: p.strs("values")?,
            },
            "pattern" => Check::Pattern {
                regex: OnceLock::new(),
                source: p.str("regex")?,
                optional,
            },
            "max-length" => Check::MaxLength {
                max: p.usize_or("max", 0)?,
            },
            "profile-declared" => Check::ProfileDeclared {
                profile: p.str("profile")?,
                optional,
            },
            "resolves-to" => Check::ResolvesTo {
                types: p.strs("types")?,
                profile: p.opt_str("profile")?,
                optional,
            },
            "resource-type" => Check::ResourceType {
                resource_type: p.str("type")?,
            },
            "max-lengths" => Check::MaxLengths {
                limits: children::compile_limits(table)?,
            },
            "no-control-characters" => Check::NoControlCharacters,
            "children-allowed" => Check::ChildrenAllowed {
                names: p.strs("values")?,
            },
            "mesh-address" => Check::MeshAddress(address::AddressCheck::compile(table)?),
            "nhs-number" => Check::NhsNumber { optional },
            "base64" => Check::Base64 { optional },
            "same-as" => Check::SameAs {
                other: Path::parse_relative(&p.str("other")?).map_err(|e| format!("other: {e}"))?,
            },
            "attachment" => Check::Attachment {
                data: p.opt_str("data")?.unwrap_or_else(|| "data".into()),
                content_type: p
                    .opt_str("content_type")?
                    .unwrap_or_else(|| "contentType".into()),
                max_bytes: p.opt_usize("max_bytes")?.map(|m| m as u64),
            },
            "code" => Check::Code(
                crate::rules::code::lookup(rule_name)
                    .ok_or_else(|| format!("no Rust check is registered for rule `{rule_name}`"))?,
            ),
            _ => unreachable!("kinds are matched above"),
        })
    }

    /// Runs the check over what the rule's target selected.
    pub fn run(&self, rule: &RuleRun<'_>, sel: &Selection, out: &mut Vec<Finding>) {
        if sel.unresolved {
            // Nothing to check past a reference that does not resolve; that is reported once,
            // by `reference-unresolved` or `full-url-duplicate`.
            return;
        }
        match self {
            Check::Required { .. } | Check::Forbidden | Check::Count { .. } => {
                presence::run(self, rule, sel, out)
            }
            Check::Fixed { .. }
            | Check::OneOf { .. }
            | Check::NotIn { .. }
            | Check::Pattern { .. }
            | Check::MaxLength { .. } => value::run(self, rule, sel, out),
            Check::ProfileDeclared { .. }
            | Check::ResolvesTo { .. }
            | Check::ResourceType { .. } => reference::run(self, rule, sel, out),
            Check::MaxLengths { .. }
            | Check::NoControlCharacters
            | Check::ChildrenAllowed { .. } => children::run(self, rule, sel, out),
            Check::MeshAddress(check) => check.run(rule, sel, out),
            Check::NhsNumber { .. }
            | Check::SameAs { .. }
            | Check::Base64 { .. }
            | Check::Attachment { .. } => content::run(self, rule, sel, out),
            Check::Code(f) => f(rule.meta, rule.cx, out),
        }
    }
}

/// What a check needs of the rule it runs for.
pub struct RuleRun<'a> {
    pub meta: &'a RuleMeta,
    pub cx: &'a Context<'a>,
    /// The rule's message template, with `{found}`, `{expected}` and `{count}` placeholders.
    pub message: &'a str,
    /// Message for a target that is absent; defaults to "`<target>` is missing".
    pub missing_message: Option<&'a str>,
    pub target: &'a str,
}

impl RuleRun<'_> {
    /// A finding at a node, with the message's placeholders filled.
    pub fn finding_at(
        &self,
        node: NodeId,
        vars: &[(&str, &str)],
        label: Option<String>,
    ) -> Finding {
        let f = self
            .meta
            .finding(fill(self.message, vars))
            .at_node(self.cx.doc, node);
        match label {
            Some(l) => f.label(l),
            None => f,
        }
    }

    /// A finding for a target that selected nothing, at the deepest node the path reached.
    pub fn missing(&self, sel: &Selection, expected: Option<&str>) -> Finding {
        let message = match self.missing_message {
            Some(m) => fill(m, &[("expected", expected.unwrap_or(""))]),
            None => format!("`{}` is missing", self.target),
        };
        let mut f = self
            .meta
            .finding(message)
            .at_node_name(self.cx.doc, sel.reached);
        if let Some(child) = sel.missing_child {
            f = f.absent(sel.reached, child);
        }
        match expected {
            Some(e) => f.label(format!("expected `{e}` in here")),
            None => f.label("missing in here"),
        }
    }
}

/// Replaces `{name}` placeholders, in one pass; a placeholder without a value stays as written.
pub fn fill(template: &str, vars: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            let name = &after[..close];
            let (_, value) = vars.iter().find(|(k, _)| *k == name)?;
            Some((value, close))
        });
        match value {
            Some((value, close)) => {
                out.push_str(value);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Typed access to a check's TOML parameters with messages a pack author can act on.
struct Params<'a> {
    table: &'a toml::Table,
}

impl Params<'_> {
    fn str(&self, key: &str) -> Result<String, String> {
        match self.table.get(key) {
            Some(toml::Value::String(s)) => Ok(s.clone()),
            Some(toml::Value::Boolean(b)) => Ok(b.to_string()),
            Some(toml::Value::Integer(i)) => Ok(i.to_string()),
            Some(_) => Err(format!("`{key}` must be a string")),
            None => Err(format!("missing parameter `{key}`")),
        }
    }

    fn opt_str(&self, key: &str) -> Result<Option<String>, String> {
        self.table.get(key).map(|_| self.str(key)).transpose()
    }

    fn strs(&self, key: &str) -> Result<Vec<String>, String> {
        match self.table.get(key) {
            Some(toml::Value::Array(items)) if !items.is_empty() => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| format!("`{key}` must hold strings"))
                })
                .collect(),
            Some(_) => Err(format!("`{key}` must be a non-empty array of strings")),
            None => Err(format!("missing parameter `{key}`")),
        }
    }

    fn opt_usize(&self, key: &str) -> Result<Option<usize>, String> {
        match self.table.get(key) {
            Some(toml::Value::Integer(i)) if *i >= 0 => Ok(Some(*i as usize)),
            Some(_) => Err(format!("`{key}` must be a non-negative integer")),
            None => Ok(None),
        }
    }

    fn usize_or(&self, key: &str, default: usize) -> Result<usize, String> {
        Ok(self.opt_usize(key)?.unwrap_or(default))
    }

    fn bool_or(&self, key: &str, default: bool) -> Result<bool, String> {
        match self.table.get(key) {
            Some(toml::Value::Boolean(b)) => Ok(*b),
            Some(_) => Err(format!("`{key}` must be true or false")),
            None => Ok(default),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{fill, Check};
    use std::sync::OnceLock;

    fn pattern(source: &str) -> Check {
        Check::Pattern {
            regex: OnceLock::new(),
            source: source.into(),
            optional: false,
        }
    }

    #[test]
    fn patterns_match_whole_values_with_ascii_classes() {
        let digits = pattern(r"\d{3}");
        let re = digits.regex().unwrap();
        assert!(re.is_match(b"123"));
        assert!(!re.is_match(b"1234"), "the whole value must match");
        // `\d` is ASCII, as the packs mean it: an Arabic-Indic digit is not one.
        assert!(!re.is_match("12\u{0663}".as_bytes()));
        // A literal beyond ASCII matches its UTF-8 bytes.
        let re = pattern("caf(é|e)").regex().unwrap().clone();
        assert!(re.is_match("café".as_bytes()) && re.is_match(b"cafe"));
        assert!(pattern("[0-9").verify().is_err());
    }

    #[test]
    fn fill_replaces_known_placeholders_once() {
        assert_eq!(
            fill(
                "`{value}` is not {expected}",
                &[("value", "x"), ("expected", "y")]
            ),
            "`x` is not y"
        );
        // A value from the document is not read as a template.
        assert_eq!(
            fill(
                "{value} then {expected}",
                &[("value", "{expected}"), ("expected", "e")]
            ),
            "{expected} then e"
        );
        // Unknown or unclosed placeholders stay as written.
        assert_eq!(fill("{other} {value", &[("value", "v")]), "{other} {value");
        assert_eq!(fill("", &[]), "");
    }
}
