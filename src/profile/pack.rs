//! A pack rule as a run holds it: its name, input kinds and the releases and use cases it
//! applies to, known from the start; its paths and checks compiled the first time a document
//! needs them, so that a run pays only for the rules of the releases and use cases it meets.

use super::rule::{embedded_requirements, input_kinds, DataRule, RuleDef};
use super::spec::{has, SpecFile};
use crate::finding::{Requirements, RuleMeta, Severity};
use crate::input::InputKind;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

/// A rule of the embedded packs as `build.rs` writes it: everything a pack file says, with
/// its variants already resolved to release masks ([`RuleDef::scoped`]); only the paths and
/// check tables are left for a run to compile.
pub struct EmbeddedRule {
    /// The pack file, relative to `profiles/`.
    pub file: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    /// `applies` (input kinds); `None` when the rule does not say.
    pub applies: Option<&'static [&'static str]>,
    pub summary: &'static str,
    pub help: &'static str,
    pub docs: &'static str,
    pub message: &'static str,
    pub missing_message: Option<&'static str>,
    pub select: Option<&'static str>,
    pub for_each: Option<&'static str>,
    /// The check tables the variants run, as JSON.
    pub checks: &'static [&'static str],
    pub variants: &'static [EmbeddedVariant],
}

/// A variant of an embedded rule (see [`super::def::ScopedVariant`]).
pub struct EmbeddedVariant {
    pub versions: u64,
    pub use_cases: &'static [&'static str],
    pub severity: Option<Severity>,
    pub check: usize,
    pub requirements: &'static [(u64, &'static str)],
    pub also: &'static [&'static str],
}

/// Releases (a bit per release, in `spec.toml` order) and use cases (empty: every one) where a
/// rule or one of its variants applies.
struct Scope {
    versions: u64,
    use_cases: UseCases,
}

/// Use-case ids: borrowed from the embedded rule table, or read from a pack file.
enum UseCases {
    Embedded(&'static [&'static str]),
    Read(Vec<String>),
}

impl Scope {
    fn covers(&self, release: usize, use_case: &str) -> bool {
        has(self.versions, release)
            && match &self.use_cases {
                UseCases::Embedded(list) => list.is_empty() || list.contains(&use_case),
                UseCases::Read(list) => list.is_empty() || list.iter().any(|u| u == use_case),
            }
    }
}

/// Input kinds as a bit set, a bit per [`InputKind`] variant.
fn kind_bits(kinds: &[InputKind]) -> u16 {
    kinds.iter().fold(0, |bits, &k| bits | 1 << k as u16)
}

pub struct PackRule {
    pub name: Cow<'static, str>,
    /// The pack file that defines it, relative to `profiles/`.
    pub file: Cow<'static, str>,
    /// Input kinds, as [`kind_bits`].
    kinds: u16,
    scopes: Vec<Scope>,
    /// Where an embedded rule's text is, to compile it from on first use.
    embedded: Option<&'static EmbeddedRule>,
    /// Boxed: every run holds all the pack rules and compiles few of them.
    compiled: OnceLock<Box<DataRule>>,
    /// An embedded rule's metadata and requirement IDs, for listings and SARIF, which need
    /// them for every rule but no rule's paths or checks.
    meta: OnceLock<Box<RuleMeta>>,
    requirements: OnceLock<Requirements>,
}

impl PackRule {
    /// Compiles a rule read from a pack file now, so that a mistake in it is reported when the
    /// packs load.
    pub fn compile(
        def: RuleDef,
        aliases: &HashMap<String, String>,
        spec: &SpecFile,
        file: &str,
    ) -> Result<PackRule, String> {
        let rule = DataRule::compile(def, aliases, spec)?;
        rule.verify()?;
        // Where it applies is the compiled rule's variants, scoped once (`RuleDef::scoped`).
        let scopes = rule
            .scopes()
            .map(|(versions, use_cases)| Scope {
                versions,
                use_cases: UseCases::Read(use_cases.to_vec()),
            })
            .collect();
        let kinds = kind_bits(rule.kinds());
        Ok(PackRule {
            name: Cow::Owned(rule.meta.name.to_string()),
            file: Cow::Owned(file.to_string()),
            kinds,
            scopes,
            embedded: None,
            compiled: OnceLock::from(Box::new(rule)),
            meta: OnceLock::new(),
            requirements: OnceLock::new(),
        })
    }

    /// An embedded rule, to compile when a document first needs it.
    pub fn deferred(rule: &'static EmbeddedRule) -> Result<PackRule, String> {
        let scopes = rule
            .variants
            .iter()
            .map(|v| Scope {
                versions: v.versions,
                use_cases: UseCases::Embedded(v.use_cases),
            })
            .collect();
        Ok(PackRule {
            name: Cow::Borrowed(rule.name),
            file: Cow::Borrowed(rule.file),
            kinds: kind_bits(&input_kinds(rule.applies)?),
            scopes,
            embedded: Some(rule),
            compiled: OnceLock::new(),
            meta: OnceLock::new(),
            requirements: OnceLock::new(),
        })
    }

    /// Whether the rule runs on an input of `kind` validated against the release at position
    /// `release` of `spec.toml` and `use_case`.
    pub fn applies(&self, kind: InputKind, release: usize, use_case: &str) -> bool {
        self.kinds & 1 << kind as u16 != 0
            && self.scopes.iter().any(|s| s.covers(release, use_case))
    }

    /// Whether the rule applies to the release at position `release` in any use case.
    pub fn applies_to_release(&self, release: usize) -> bool {
        self.scopes.iter().any(|s| has(s.versions, release))
    }

    /// Name, severity and the words shown to users, without compiling the rule.
    pub fn meta(&self) -> &RuleMeta {
        match (self.compiled.get(), self.embedded) {
            (_, Some(rule)) => self.meta.get_or_init(|| {
                Box::new(RuleMeta {
                    name: Cow::Borrowed(rule.name),
                    severity: rule.severity,
                    summary: Cow::Borrowed(rule.summary),
                    help: Cow::Borrowed(rule.help),
                    docs: Cow::Borrowed(rule.docs),
                })
            }),
            (Some(compiled), None) => &compiled.meta,
            // Every rule is embedded or compiled when it loads.
            (None, None) => self.meta.get_or_init(|| {
                Box::new(RuleMeta {
                    name: self.name.clone(),
                    severity: Severity::Error,
                    summary: Cow::Borrowed(""),
                    help: Cow::Borrowed(""),
                    docs: Cow::Borrowed(""),
                })
            }),
        }
    }

    /// The requirement ID the rule implements in each release and use case, without compiling
    /// the rule.
    pub fn requirements(&self, spec: &SpecFile) -> &Requirements {
        match (self.compiled.get(), self.embedded) {
            (Some(compiled), _) => compiled.requirements(spec),
            (None, Some(rule)) => self
                .requirements
                .get_or_init(|| embedded_requirements(rule, spec)),
            (None, None) => self.requirements.get_or_init(Requirements::default),
        }
    }

    /// The compiled rule, compiling it now if it was deferred.
    pub fn compiled(&self, aliases: &HashMap<String, String>) -> Result<&DataRule, String> {
        if let Some(rule) = self.compiled.get() {
            return Ok(rule);
        }
        // A rule read from a pack file was compiled when it loaded.
        let Some(rule) = self.embedded else {
            return Err("the rule was not compiled".into());
        };
        let compiled = DataRule::from_embedded(rule, aliases)?;
        // Two threads may both compile a rule first needed at once; one result is kept.
        Ok(self.compiled.get_or_init(|| Box::new(compiled)))
    }
}
