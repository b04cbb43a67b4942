//! A rule as a pack file declares it (`[[rule]]`), and its variants resolved to release masks
//! with the check table each one uses. The loader compiles pack files from this; `build.rs`
//! includes this file too and writes the embedded rules' tables from it, so that no run
//! deserializes or scopes an embedded rule.

use super::spec::SpecFile;
use crate::finding::Severity;
use serde::Deserialize;
use std::collections::BTreeMap;

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
    pub summary: String,
    pub message: String,
    #[serde(default)]
    pub missing_message: Option<String>,
    pub help: String,
    pub docs: String,
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

/// A variant as a run uses it: releases and requirement IDs as masks (see
/// [`SpecFile::id_masks`]), and which of the rule's check tables it runs.
#[derive(Debug)]
pub struct ScopedVariant {
    /// Releases, a bit per position in `spec.toml`.
    pub versions: u64,
    pub use_cases: Vec<String>,
    /// The variant's own severity, when it differs from the rule's.
    pub severity: Option<Severity>,
    /// Index into the check tables [`RuleDef::scoped`] returns.
    pub check: usize,
    pub requirements: Vec<(u64, String)>,
    pub also: Vec<String>,
}

impl RuleDef {
    /// The rule's variants (the rule itself when it has none) scoped by release, and the
    /// distinct check tables they run: the rule's own table, shared by every variant that
    /// changes none of its parameters, then each variant's table with its changes applied.
    pub fn scoped(
        &self,
        spec: &SpecFile,
    ) -> Result<(Vec<ScopedVariant>, Vec<toml::Table>), String> {
        let implicit;
        let variant_defs = if self.variants.is_empty() {
            implicit = [VariantDef {
                versions: self.versions.clone().unwrap_or_else(|| spec.all_versions()),
                use_cases: self.use_cases.clone().unwrap_or_default(),
                severity: None,
                requirement: None,
                requirements: self.requirements.clone(),
                also: Vec::new(),
                check: None,
            }];
            &implicit[..]
        } else if self.versions.is_some()
            || self.use_cases.is_some()
            || !self.requirements.is_empty()
        {
            return Err(
                "a rule with variants gives versions, use cases and requirements in each variant"
                    .into(),
            );
        } else {
            &self.variants[..]
        };
        let mut variants = Vec::new();
        let mut tables = Vec::new();
        let mut shared = None;
        for v in variant_defs {
            if let Some(uc) = v.use_cases.iter().find(|uc| spec.use_case(uc).is_none()) {
                return Err(format!("unknown use case `{uc}`"));
            }
            let versions = spec.mask(&v.versions)?;
            let requirements =
                spec.id_masks(versions, v.requirement.as_deref(), &v.requirements)?;
            let check = match (&v.check, shared) {
                (None, Some(i)) => i,
                (overrides, _) => {
                    let mut table = self.check.clone();
                    for (k, val) in overrides.iter().flatten() {
                        table.insert(k.clone(), val.clone());
                    }
                    tables.push(table);
                    if overrides.is_none() {
                        shared = Some(tables.len() - 1);
                    }
                    tables.len() - 1
                }
            };
            variants.push(ScopedVariant {
                versions,
                use_cases: v.use_cases.clone(),
                severity: v.severity,
                check,
                requirements,
                also: v.also.clone(),
            });
        }
        Ok((variants, tables))
    }
}
