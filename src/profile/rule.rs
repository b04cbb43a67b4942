//! A rule as it runs once compiled: a target path, a check, and variants that scope it by
//! spec version and use case, each with the requirement ID that release gives it. Compiled from
//! a pack file's definition ([`super::def`]) or from an embedded rule's tables.

pub use super::def::{RuleDef, RuleFile, VariantDef};
use super::pack::EmbeddedRule;
use super::select::Path;
use super::spec::{has, SpecFile};
use crate::checks::{Check, RuleRun};
use crate::finding::{Finding, RequirementRef, Requirements, RuleMeta, Severity};
use crate::input::InputKind;
use crate::rules::{Context, Rule};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Debug)]
struct Variant {
    /// Releases, a bit per position in `spec.toml`.
    versions: u64,
    use_cases: Vec<String>,
    severity: Severity,
    /// Index into `DataRule::checks`.
    check: usize,
    /// Releases (a mask, disjoint from the others') → requirement ID.
    requirements: Vec<(u64, String)>,
    /// IDs the variant also implements in all its releases.
    also: Vec<String>,
}

pub struct DataRule {
    pub meta: RuleMeta,
    requirement_refs: OnceLock<Requirements>,
    kinds: Vec<InputKind>,
    scope: Option<Path>,
    target: Option<Path>,
    message: Cow<'static, str>,
    missing_message: Option<Cow<'static, str>>,
    variants: Vec<Variant>,
    checks: Vec<Check>,
}

/// The input kinds a pack rule can name in `applies`, by name.
pub const KINDS: &[(&str, InputKind)] = &[
    ("message", InputKind::Message),
    ("response", InputKind::Response),
    ("mesh-control", InputKind::MeshControl),
    ("mesh-headers", InputKind::MeshHeaders),
    ("mesh-ack-control", InputKind::MeshAckControl),
    ("mesh-ack-headers", InputKind::MeshAckHeaders),
    ("mesh-report", InputKind::MeshReport),
    ("fhir-resource", InputKind::FhirResource),
];

/// The input kinds an `applies` list names (`["message"]` when there is none).
pub fn input_kinds<S: AsRef<str>>(applies: Option<&[S]>) -> Result<Vec<InputKind>, String> {
    match applies {
        None => Ok(vec![InputKind::Message]),
        Some(list) => list
            .iter()
            .map(|k| {
                let k = k.as_ref();
                KINDS
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, kind)| *kind)
                    .ok_or_else(|| format!("unknown input kind `{k}`"))
            })
            .collect(),
    }
}

/// What a variant says about requirement IDs; strings owned (a pack file) or static (an
/// embedded rule).
struct VariantIds<'a, S> {
    versions: u64,
    use_cases: &'a [S],
    /// Releases → ID, from [`SpecFile::id_masks`].
    ids: &'a [(u64, S)],
    also: &'a [S],
}

/// Every (release, use case, ID) the variants name.
fn requirement_refs<'a, S: AsRef<str> + 'a>(
    spec: &SpecFile,
    variants: impl Iterator<Item = VariantIds<'a, S>>,
) -> Requirements {
    let mut refs = Vec::new();
    for v in variants {
        let ids = v.ids.iter().map(|(mask, id)| (*mask, id.as_ref()));
        let also = v.also.iter().map(|id| (v.versions, id.as_ref()));
        for (mask, id) in ids.chain(also) {
            for (i, release) in spec.versions.iter().enumerate() {
                if !has(mask, i) {
                    continue;
                }
                if v.use_cases.is_empty() {
                    refs.push(RequirementRef {
                        version: release.id.clone(),
                        use_case: None,
                        id: id.to_string(),
                    });
                }
                // A variant may span releases where some of its use cases do not exist yet.
                let known = v.use_cases.iter().map(AsRef::as_ref);
                for uc in known.filter(|u| release.use_cases.iter().any(|r| r == u)) {
                    refs.push(RequirementRef {
                        version: release.id.clone(),
                        use_case: Some(uc.to_string()),
                        id: id.to_string(),
                    });
                }
            }
        }
    }
    Requirements::new(refs)
}

/// The requirement IDs of an embedded rule, from its tables, without compiling it: SARIF lists
/// every rule's IDs.
pub fn embedded_requirements(rule: &EmbeddedRule, spec: &SpecFile) -> Requirements {
    requirement_refs(
        spec,
        rule.variants.iter().map(|v| VariantIds {
            versions: v.versions,
            use_cases: v.use_cases,
            ids: v.requirements,
            also: v.also,
        }),
    )
}

/// A rule's `for_each` scope and `select` target, parsed.
fn rule_paths(
    for_each: Option<&str>,
    select: Option<&str>,
    aliases: &HashMap<String, String>,
) -> Result<(Option<Path>, Option<Path>), String> {
    let scope = for_each
        .map(|s| Path::parse(s, aliases).map_err(|e| format!("for_each: {e}")))
        .transpose()?;
    let target = select
        .map(|s| match scope {
            Some(_) => Path::parse_relative(s),
            None => Path::parse(s, aliases),
        })
        .transpose()
        .map_err(|e| format!("select: {e}"))?;
    if scope.is_some() && target.is_none() {
        return Err("`for_each` needs a relative `select`".into());
    }
    Ok((scope, target))
}

/// Compiles one check table of a rule whose target is `target`.
fn compile_check(table: &toml::Table, name: &str, target: Option<&Path>) -> Result<Check, String> {
    let compiled = Check::compile(table, name)?;
    if compiled.needs_target() && target.is_none() {
        return Err("`select` is required for this check kind".into());
    }
    Ok(compiled)
}

impl DataRule {
    /// Compiles a rule read from a pack file.
    pub fn compile(
        def: RuleDef,
        aliases: &HashMap<String, String>,
        spec: &SpecFile,
    ) -> Result<DataRule, String> {
        if !is_kebab(&def.name) {
            return Err("the name must be kebab-case (lower-case words joined by `-`)".into());
        }
        let kinds = input_kinds(def.applies.as_deref())?;
        let (scope, target) = rule_paths(def.for_each.as_deref(), def.select.as_deref(), aliases)?;
        let (scoped, tables) = def.scoped(spec)?;
        let checks = tables
            .iter()
            .map(|table| compile_check(table, &def.name, target.as_ref()))
            .collect::<Result<_, _>>()?;
        let variants = scoped
            .into_iter()
            .map(|v| Variant {
                versions: v.versions,
                use_cases: v.use_cases,
                severity: v.severity.unwrap_or(def.severity),
                check: v.check,
                requirements: v.requirements,
                also: v.also,
            })
            .collect();
        Ok(DataRule {
            meta: RuleMeta {
                name: def.name.into(),
                severity: def.severity,
                summary: def.summary.into(),
                help: def.help.into(),
                docs: def.docs.into(),
            },
            requirement_refs: OnceLock::new(),
            kinds,
            scope,
            target,
            message: def.message.into(),
            missing_message: def.missing_message.map(Cow::Owned),
            variants,
            checks,
        })
    }

    /// Compiles an embedded rule from the tables `build.rs` wrote: only its paths and check
    /// tables are left to parse.
    pub fn from_embedded(
        rule: &'static EmbeddedRule,
        aliases: &HashMap<String, String>,
    ) -> Result<DataRule, String> {
        if !is_kebab(rule.name) {
            return Err("the name must be kebab-case (lower-case words joined by `-`)".into());
        }
        let (scope, target) = rule_paths(rule.for_each, rule.select, aliases)?;
        let checks = rule
            .checks
            .iter()
            .map(|json| {
                let table: toml::Table = serde_json::from_str(json).map_err(|e| e.to_string())?;
                compile_check(&table, rule.name, target.as_ref())
            })
            .collect::<Result<_, _>>()?;
        let owned = |list: &[&str]| list.iter().map(|s| s.to_string()).collect();
        let variants = rule
            .variants
            .iter()
            .map(|v| Variant {
                versions: v.versions,
                use_cases: owned(v.use_cases),
                severity: v.severity.unwrap_or(rule.severity),
                check: v.check,
                requirements: v
                    .requirements
                    .iter()
                    .map(|&(m, id)| (m, id.to_string()))
                    .collect(),
                also: owned(v.also),
            })
            .collect();
        Ok(DataRule {
            meta: RuleMeta {
                name: Cow::Borrowed(rule.name),
                severity: rule.severity,
                summary: Cow::Borrowed(rule.summary),
                help: Cow::Borrowed(rule.help),
                docs: Cow::Borrowed(rule.docs),
            },
            requirement_refs: OnceLock::new(),
            kinds: input_kinds(rule.applies)?,
            scope,
            target,
            message: Cow::Borrowed(rule.message),
            missing_message: rule.missing_message.map(Cow::Borrowed),
            variants,
            checks,
        })
    }

    /// Compiles what the rule's checks leave to their first use (patterns), reporting the
    /// first mistake: for rules that are checked as they load.
    pub fn verify(&self) -> Result<(), String> {
        self.checks.iter().try_for_each(Check::verify)
    }

    /// Where the rule implements which requirement ID (for listings, `explain` and SARIF),
    /// worked out on first use: a check only needs the ID of the release at hand.
    pub fn requirements(&self, spec: &SpecFile) -> &Requirements {
        self.requirement_refs.get_or_init(|| {
            requirement_refs(
                spec,
                self.variants.iter().map(|v| VariantIds {
                    versions: v.versions,
                    use_cases: &v.use_cases,
                    ids: &v.requirements,
                    also: &v.also,
                }),
            )
        })
    }

    fn variant(&self, release: usize, use_case: &str) -> Option<&Variant> {
        self.variants.iter().find(|v| {
            has(v.versions, release)
                && (v.use_cases.is_empty() || v.use_cases.iter().any(|u| u == use_case))
        })
    }

    /// Whether the rule applies to the release at position `release` (any use case), for
    /// `rules --spec`.
    pub fn applies_to_release(&self, release: usize) -> bool {
        self.variants.iter().any(|v| has(v.versions, release))
    }

    /// Each variant's releases (a mask) and use cases (empty: every one).
    pub fn scopes(&self) -> impl Iterator<Item = (u64, &[String])> {
        self.variants.iter().map(|v| (v.versions, &v.use_cases[..]))
    }

    /// The input kinds the rule runs on.
    pub fn kinds(&self) -> &[InputKind] {
        &self.kinds
    }

    /// The rule's target as `explain` shows it: `for_each` scope, then `select`.
    pub fn target_text(&self) -> Option<String> {
        let target = self.target.as_ref().map(Path::text)?;
        Some(match &self.scope {
            Some(scope) => format!("{} (for each: {target})", scope.text()),
            None => target.to_string(),
        })
    }
}

/// Everything a run uses, for tests that compare a rule compiled from its pack file with the
/// same rule compiled from the embedded tables.
impl std::fmt::Debug for DataRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataRule")
            .field("meta", &self.meta)
            .field("kinds", &self.kinds)
            .field("scope", &self.scope)
            .field("target", &self.target)
            .field("message", &self.message)
            .field("missing_message", &self.missing_message)
            .field("variants", &self.variants)
            .field("checks", &self.checks)
            .finish()
    }
}

impl Rule for DataRule {
    fn meta(&self) -> &RuleMeta {
        &self.meta
    }

    fn applies_to(&self, kind: InputKind) -> bool {
        self.kinds.contains(&kind)
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let Some(variant) = self.variant(cx.release, &cx.spec.use_case) else {
            return;
        };
        let check = &self.checks[variant.check];
        let start = out.len();
        let run = RuleRun {
            meta: &self.meta,
            cx,
            message: &self.message,
            missing_message: self.missing_message.as_deref(),
            target: self.target.as_ref().map_or("", Path::text),
        };
        match (&self.scope, &self.target) {
            (Some(scope), Some(path)) => {
                let sel = scope.eval(cx);
                if !sel.unresolved {
                    for &node in &sel.nodes {
                        check.run(&run, &path.eval_from(cx, node), out);
                    }
                }
            }
            (_, Some(path)) => check.run(&run, &path.eval(cx), out),
            (_, None) => check.run(
                &run,
                &crate::profile::select::Selection {
                    nodes: Default::default(),
                    reached: cx.doc.root(),
                    missing_child: None,
                    unresolved: false,
                },
                out,
            ),
        }
        let requirement = variant
            .requirements
            .iter()
            .find(|(mask, _)| has(*mask, cx.release));
        for f in &mut out[start..] {
            f.severity = variant.severity;
            f.requirement = requirement.map(|(_, id)| id.clone());
        }
    }
}

fn is_kebab(name: &str) -> bool {
    !name.is_empty()
        && name.split('-').all(|w| {
            !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}
