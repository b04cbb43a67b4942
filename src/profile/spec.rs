//! GP Connect Messaging releases, payload models and use cases, loaded from `profiles/spec.toml`,
//! and version sets (`"1.0.0..=1.2.1"`, `"1.3.0.."`) that rules are scoped by.

use serde::Deserialize;
use std::collections::BTreeMap;

/// Whether a version mask ([`SpecFile::mask`]) holds the release at position `release`.
pub fn has(mask: u64, release: usize) -> bool {
    release < 64 && mask >> release & 1 == 1
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecFile {
    #[serde(rename = "version")]
    pub versions: Vec<Release>,
    #[serde(rename = "model")]
    pub models: Vec<Model>,
    #[serde(rename = "use_case")]
    pub use_cases: Vec<UseCase>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Release {
    pub id: String,
    pub model: String,
    pub use_cases: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    pub id: String,
    pub name: String,
    pub payload_profile: String,
    pub payload_resource: String,
    pub message_definitions: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UseCase {
    pub id: String,
    pub name: String,
    pub model: String,
    pub local_extension: Vec<String>,
    #[serde(default)]
    pub composition_types: Vec<String>,
}

impl SpecFile {
    pub fn parse(text: &str) -> Result<SpecFile, String> {
        toml::from_str::<SpecFile>(text)
            .map_err(|e| e.to_string())?
            .checked()
    }

    /// Checks that every release names a known model and use cases.
    pub fn checked(self) -> Result<SpecFile, String> {
        let spec = self;
        if spec.versions.is_empty() || spec.versions.len() > 64 {
            return Err("spec.toml must list between 1 and 64 releases".into());
        }
        for r in &spec.versions {
            if spec.model(&r.model).is_none() {
                return Err(format!(
                    "version {} names unknown model `{}`",
                    r.id, r.model
                ));
            }
            for uc in &r.use_cases {
                if spec.use_case(uc).is_none() {
                    return Err(format!("version {} names unknown use case `{uc}`", r.id));
                }
            }
        }
        Ok(spec)
    }

    pub fn model(&self, id: &str) -> Option<&Model> {
        self.models.iter().find(|m| m.id == id)
    }

    pub fn use_case(&self, id: &str) -> Option<&UseCase> {
        self.use_cases.iter().find(|u| u.id == id)
    }

    pub fn release(&self, id: &str) -> Option<&Release> {
        self.versions.iter().find(|r| r.id == id)
    }

    /// Where a release stands in `spec.toml`, oldest first: its bit in a version mask.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.versions.iter().position(|r| r.id == id)
    }

    /// The positions a version-set item (`"1.2.0"`, `"1.0.0..=1.2.1"`, `"1.3.0.."`) covers.
    fn range(&self, item: &str) -> Result<std::ops::RangeInclusive<usize>, String> {
        let known = |v: &str| {
            self.position(v.trim())
                .ok_or_else(|| format!("`{v}` is not a known spec version"))
        };
        // Found by bytes: `str::split_once` with a pattern costs more than the rest (every
        // run reads a few hundred of these).
        let dots = item.as_bytes().windows(2).position(|w| w == b"..");
        let range = match dots.map(|i| (&item[..i], &item[i + 2..])) {
            Some((a, "")) => known(a)?..=self.versions.len() - 1,
            Some((a, b)) if b.starts_with('=') => known(a)?..=known(&b[1..])?,
            _ => {
                let i = known(item)?;
                i..=i
            }
        };
        if range.is_empty() {
            return Err(format!("version range `{item}` is empty"));
        }
        Ok(range)
    }

    /// Expands version-set items to release ids, in the order the items give them.
    pub fn expand(&self, items: &[String]) -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        for item in items {
            for i in self.range(item)? {
                if !out.contains(&self.versions[i].id) {
                    out.push(self.versions[i].id.clone());
                }
            }
        }
        Ok(out)
    }

    /// Version-set items as a mask with a bit per release position.
    pub fn mask<S: AsRef<str>>(&self, items: &[S]) -> Result<u64, String> {
        items.iter().try_fold(0, |mask, item| {
            Ok(self.range(item.as_ref())?.fold(mask, |m, i| m | 1 << i))
        })
    }

    /// A variant's requirement IDs, as (releases, ID) with disjoint release masks:
    /// `requirement` for every release of the variant (`versions`), then each entry of
    /// `requirements` (version set → ID), a later entry taking the releases it names.
    pub fn id_masks(
        &self,
        versions: u64,
        requirement: Option<&str>,
        requirements: &BTreeMap<String, String>,
    ) -> Result<Vec<(u64, String)>, String> {
        let mut masks = Vec::new();
        if let Some(id) = requirement {
            masks.push((versions, id.to_string()));
        }
        for (set, id) in requirements {
            let these = self.mask(std::slice::from_ref(set))?;
            if these & !versions != 0 {
                let outside = &self.versions[(these & !versions).trailing_zeros() as usize].id;
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

    /// The mask of every release.
    pub fn mask_all(&self) -> u64 {
        u64::MAX >> (64 - self.versions.len())
    }

    /// Every release id, in order.
    pub fn all_versions(&self) -> Vec<String> {
        self.versions.iter().map(|r| r.id.clone()).collect()
    }

    /// The newest release that defines `use_case`.
    pub fn newest_with(&self, use_case: &str) -> Option<&Release> {
        self.versions
            .iter()
            .rev()
            .find(|r| r.use_cases.iter().any(|u| u == use_case))
    }

    /// Releases that define `use_case`, oldest first.
    pub fn releases_with(&self, use_case: &str) -> Vec<&Release> {
        self.versions
            .iter()
            .filter(|r| r.use_cases.iter().any(|u| u == use_case))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> SpecFile {
        SpecFile::parse(include_str!("../../profiles/spec.toml")).unwrap()
    }

    #[test]
    fn version_sets_expand_in_release_order() {
        let s = spec();
        assert_eq!(
            s.expand(&["1.2.0..=1.3.0".into()]).unwrap(),
            ["1.2.0", "1.2.1", "1.3.0"]
        );
        assert_eq!(s.expand(&["1.6.0..".into()]).unwrap(), ["1.6.0", "2.0.0"]);
        assert_eq!(
            s.expand(&["1.0.0".into(), "1.0.0".into()]).unwrap(),
            ["1.0.0"]
        );
        assert!(s.expand(&["1.7.0".into()]).is_err());
        assert!(s.expand(&["1.3.0..=1.2.0".into()]).is_err());
        let first = s.position("1.6.0").unwrap();
        assert_eq!(s.mask(&["1.6.0.."]).unwrap(), 0b11 << first);
        assert_eq!(s.mask(&["1.0.0", "1.0.0..=1.1.0"]).unwrap(), 0b11);
        assert_eq!(s.mask_all().count_ones() as usize, s.versions.len());
        assert!(s.mask(&["1.7.0"]).is_err());
    }

    #[test]
    fn newest_release_per_use_case() {
        let s = spec();
        assert_eq!(s.newest_with("task").unwrap().id, "1.2.1");
        assert_eq!(s.newest_with("cs").unwrap().id, "1.6.0");
        assert_eq!(s.newest_with("pr").unwrap().id, "1.5.2");
        assert_eq!(s.newest_with("sd").unwrap().id, "2.0.0");
    }
}
