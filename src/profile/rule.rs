//! A rule as a pack declares it (`[[rule]]` in TOML) and as it runs once compiled: a target
//! path, a check, and variants that scope it by spec version and use case, each with the
//! requirement ID that release gives it.

use super::select::Path;
use super::spec::{has, SpecFile};
use crate::checks::{Check, RuleRun};
use crate::finding::{Finding, RequirementRef, Requirements, RuleMeta, Severity};
use crate::input::InputKind;
use crate::rules::{Context, Rule};
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    #[serde(default, rename = "rule")]
    pub rules: Vec<RuleDef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDef {
    pub name: String,
    pub severity: Severity,
    /// `summary`, `help` and `docs` of an embedded rule are static text (see `build.rs`).
    pub summary: Cow<'static, str>,
    pub message: String,
    #[serde(default)]
    pub missing_message: Option<String>,
    pub help: Cow<'static, str>,
    pub docs: Cow<'static, str>,
    /// Kinds of input the rule runs on; default `["message"]`.
    #[serde(default)]
    pub applies: Option<Vec<String>>,
    /// Target path; required by every check kind but `code`. With `for_each`, it is relative
    /// to each node `for_each` selects.
    #[serde(default)]
    pub select: Option<String>,
    /// Scope: the check runs once per node this path selects (each Observation, say), so that
    /// a missing or wrong value is reported for every resource, not once for the bundle.
    #[serde(default)]
    pub for_each: Option<String>,
    pub check: toml::Table,
    /// Version sets the rule applies to when it has no variants (default: every release).
    #[serde(default)]
    pub versions: Option<Vec<String>>,
    #[serde(default)]
    pub use_cases: Option<Vec<String>>,
    /// Version set → requirement ID, for a rule without variants.
    #[serde(default)]
    pub requirements: BTreeMap<String, String>,
    #[serde(default, rename = "variant")]
    pub variants: Vec<VariantDef>,
}

/// Where and how a rule applies in some releases and use cases: its requirement IDs there,
/// and any check parameters or severity that differ.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariantDef {
    pub versions: Vec<String>,
    #[serde(default)]
    pub use_cases: Vec<String>,
    #[serde(default)]
    pub severity: Option<Severity>,
    /// One ID for every version of the variant.
    #[serde(default)]
    pub requirement: Option<String>,
    /// Version set → ID, when the releases of the variant number it differently.
    #[serde(default)]
    pub requirements: BTreeMap<String, String>,
    /// Further IDs the variant implements in all its versions: a release that numbers one
    /// requirement twice (GPCM-C-2 on the pages, GPCM-C-02 in the requirement file), or a
    /// companion requirement the same check covers. Findings cite the main ID.
    #[serde(default)]
    pub also: Vec<String>,
    /// Check parameters that replace the rule's for this variant.
    #[serde(default)]
    pub check: Option<toml::Table>,
}

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
    message: String,
    missing_message: Option<String>,
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

/// A variant's requirement IDs: `requirement` for all its releases, then `requirements` (version
/// set → ID), a later entry winning for the releases it names, as masks of releases.
fn id_masks(
    spec: &SpecFile,
    versions: u64,
    requirement: Option<&String>,
    requirements: &BTreeMap<String, String>,
) -> Result<Vec<(u64, String)>, String> {
    let mut masks = Vec::new();
    if let Some(id) = requirement {
        masks.push((versions, id.clone()));
    }
    for (set, id) in requirements {
        let these = spec.mask(std::slice::from_ref(set))?;
        if these & !versions != 0 {
            let outside = &spec.versions[(these & !versions).trailing_zeros() as usize].id;
            return Err(format!(
                "requirement `{id}` names version {outside}, which the variant does not cover"
            ));
        }
        for (mask, _) in &mut masks {
            *mask &= !these;
        }
        masks.push((these, id.clone()));
    }
    masks.retain(|(mask, _)| *mask != 0);
    Ok(masks)
}

/// What a variant says about requirement IDs.
struct VariantIds<'a> {
    versions: u64,
    use_cases: &'a [String],
    /// Releases → ID, from [`id_masks`].
    ids: &'a [(u64, String)],
    also: &'a [String],
}

/// Every (release, use case, ID) the variants name.
fn requirement_refs<'a>(
    spec: &SpecFile,
    variants: impl Iterator<Item = VariantIds<'a>>,
) -> Requirements {
    let mut refs = Vec::new();
    for v in variants {
        let ids = v.ids.iter().map(|(mask, id)| (*mask, id));
        let also = v.also.iter().map(|id| (v.versions, id));
        for (mask, id) in ids.chain(also) {
            for (i, release) in spec.versions.iter().enumerate() {
                if !has(mask, i) {
                    continue;
                }
                if v.use_cases.is_empty() {
                    refs.push(RequirementRef {
                        version: release.id.clone(),
                        use_case: None,
                        id: id.clone(),
                    });
                }
                // A variant may span releases where some of its use cases do not exist yet.
                for uc in v.use_cases.iter().filter(|u| release.use_cases.contains(u)) {
                    refs.push(RequirementRef {
                        version: release.id.clone(),
                        use_case: Some(uc.clone()),
                        id: id.clone(),
                    });
                }
            }
        }
    }
    Requirements::new(refs)
}

/// The requirement IDs of a rule given as JSON (an embedded rule), read without compiling its
/// paths and checks: SARIF lists every rule's IDs.
pub fn requirements_of_json(json: &str, spec: &SpecFile) -> Result<Requirements, String> {
    #[derive(Deserialize)]
    struct Ids {
        versions: Option<Vec<String>>,
        use_cases: Option<Vec<String>>,
        #[serde(default)]
        requirements: BTreeMap<String, String>,
        #[serde(default, rename = "variant")]
        variants: Vec<VariantIdsDef>,
    }
    #[derive(Deserialize)]
    struct VariantIdsDef {
        versions: Vec<String>,
        #[serde(default)]
        use_cases: Vec<String>,
        requirement: Option<String>,
        #[serde(default)]
        requirements: BTreeMap<String, String>,
        #[serde(default)]
        also: Vec<String>,
    }
    let def: Ids = serde_json::from_str(json).map_err(|e| e.to_string())?;
    let variants = if def.variants.is_empty() {
        vec![VariantIdsDef {
            versions: def.versions.unwrap_or_else(|| spec.all_versions()),
            use_cases: def.use_cases.unwrap_or_default(),
            requirement: None,
            requirements: def.requirements,
            also: Vec::new(),
        }]
    } else {
        def.variants
    };
    let mut scoped = Vec::new();
    for v in &variants {
        let versions = spec.mask(&v.versions)?;
        let ids = id_masks(spec, versions, v.requirement.as_ref(), &v.requirements)?;
        scoped.push((versions, ids));
    }
    Ok(requirement_refs(
        spec,
        variants
            .iter()
            .zip(&scoped)
            .map(|(v, (versions, ids))| VariantIds {
                versions: *versions,
                use_cases: &v.use_cases,
                ids,
                also: &v.also,
            }),
    ))
}

impl DataRule {
    pub fn compile(
        def: RuleDef,
        aliases: &HashMap<String, String>,
        spec: &SpecFile,
    ) -> Result<DataRule, String> {
        if !is_kebab(&def.name) {
            return Err("the name must be kebab-case (lower-case words joined by `-`)".into());
        }
        let kinds = input_kinds(def.applies.as_deref())?;
        let scope = def
            .for_each
            .as_deref()
            .map(|s| Path::parse(s, aliases).map_err(|e| format!("for_each: {e}")))
            .transpose()?;
        let target = def
            .select
            .as_deref()
            .map(|s| match scope {
                Some(_) => Path::parse_relative(s),
                None => Path::parse(s, aliases),
            })
            .transpose()
            .map_err(|e| format!("select: {e}"))?;
        if scope.is_some() && target.is_none() {
            return Err("`for_each` needs a relative `select`".into());
        }
        let known_use_case = |uc: &String| {
            spec.use_case(uc)
                .map(|_| ())
                .ok_or_else(|| format!("unknown use case `{uc}`"))
        };
        let mut variant_defs = def.variants;
        if variant_defs.is_empty() {
            variant_defs.push(VariantDef {
                versions: def.versions.clone().unwrap_or_else(|| spec.all_versions()),
                use_cases: def.use_cases.clone().unwrap_or_default(),
                severity: None,
                requirement: None,
                requirements: def.requirements.clone(),
                also: Vec::new(),
                check: None,
            });
        } else if def.versions.is_some() || def.use_cases.is_some() || !def.requirements.is_empty()
        {
            return Err(
                "a rule with variants gives versions, use cases and requirements in each variant"
                    .into(),
            );
        }
        let mut variants = Vec::new();
        // The rule's own check table serves every variant that changes none of its parameters;
        // it is compiled once, and only if one does not.
        let mut checks = Vec::new();
        let mut shared = None;
        for v in variant_defs {
            v.use_cases.iter().try_for_each(known_use_case)?;
            let versions = spec.mask(&v.versions)?;
            let requirements = id_masks(spec, versions, v.requirement.as_ref(), &v.requirements)?;
            let check = match (&v.check, shared) {
                (None, Some(i)) => i,
                (overrides, _) => {
                    let compiled = match overrides {
                        None => Check::compile(&def.check, &def.name)?,
                        Some(overrides) => {
                            let mut table = def.check.clone();
                            for (k, val) in overrides {
                                table.insert(k.clone(), val.clone());
                            }
                            Check::compile(&table, &def.name)?
                        }
                    };
                    if compiled.needs_target() && target.is_none() {
                        return Err("`select` is required for this check kind".into());
                    }
                    checks.push(compiled);
                    if overrides.is_none() {
                        shared = Some(checks.len() - 1);
                    }
                    checks.len() - 1
                }
            };
            variants.push(Variant {
                versions,
                use_cases: v.use_cases,
                severity: v.severity.unwrap_or(def.severity),
                check,
                requirements,
                also: v.also,
            });
        }
        Ok(DataRule {
            meta: RuleMeta {
                name: def.name.into(),
                severity: def.severity,
                summary: def.summary,
                help: def.help,
                docs: def.docs,
            },
            requirement_refs: OnceLock::new(),
            kinds,
            scope,
            target,
            message: def.message,
            missing_message: def.missing_message,
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

    /// The rule's target as `explain` shows it: `for_each` scope, then `select`.
    pub fn target_text(&self) -> Option<String> {
        let target = self.target.as_ref().map(Path::text)?;
        Some(match &self.scope {
            Some(scope) => format!("{} (for each: {target})", scope.text()),
            None => target.to_string(),
        })
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
