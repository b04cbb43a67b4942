//! Rule packs as data: loading `profiles/` (embedded at build time, or `--profiles DIR`),
//! checking each pack file against `profiles/pack.schema.json`, and compiling each rule's
//! target path and check once: a pack read from disk as it loads, an embedded rule when a
//! document first needs it (see [`pack`]).
//!
//! Layout: `spec.toml` (releases, models, use cases), `aliases.toml` (named paths shared by
//! every pack, such as `MH` for the MessageHeader), `packs/**/*.toml` (rules),
//! `requirements/<version>.toml` (the requirement index of each release).

pub mod def;
pub mod pack;
pub mod rule;
pub mod schema;
pub mod select;
pub mod spec;

use pack::{EmbeddedRule, EmbeddedVariant, PackRule};
use rule::{DataRule, RuleFile};
use serde::Deserialize;
use spec::SpecFile;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// The files of `profiles/`, embedded when the binary is built (see `build.rs`): `FILES` as
/// written (TOML), `JSON` the files other than packs converted to JSON for fast loading, and
/// `RULES` the packs' rules (see [`EmbeddedRule`]).
mod embedded {
    use super::{EmbeddedRule, EmbeddedVariant};
    use crate::finding::Severity;
    include!(concat!(env!("OUT_DIR"), "/embedded_profiles.rs"));
}

/// How profile texts are written: TOML on disk, JSON for the embedded copies of the files other
/// than packs (`build.rs` converts them; JSON parses several times faster, and every run parses
/// `spec.toml` and `aliases.toml`). Embedded packs become Rust tables ([`EmbeddedRule`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    Toml,
    Json,
}

fn parse_doc<T: serde::de::DeserializeOwned>(syntax: Syntax, text: &str) -> Result<T, String> {
    match syntax {
        Syntax::Toml => toml::from_str(text).map_err(|e| e.to_string()),
        Syntax::Json => serde_json::from_str(text).map_err(|e| e.to_string()),
    }
}

/// A failure to load a rule pack; points at the file and what in it is wrong.
#[derive(Debug)]
pub struct ProfileError {
    pub file: String,
    pub message: String,
}

impl std::fmt::Display for ProfileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.file, self.message)
    }
}

impl std::error::Error for ProfileError {}

/// One row of a release's requirement index.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequirementEntry {
    pub id: String,
    pub use_case: String,
    pub level: String,
    /// `bundle`, `bundle-paired`, `mesh`, `both` or `offline`.
    pub class: String,
    pub summary: String,
    #[serde(default)]
    pub occurrence: Option<u32>,
    #[serde(default)]
    pub note: Option<String>,
}

impl RequirementEntry {
    /// Whether a validator can check it at all without a live system.
    pub fn checkable(&self) -> bool {
        self.class != "offline"
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IndexFile {
    spec: String,
    #[serde(default, rename = "requirement")]
    requirements: Vec<RequirementEntry>,
}

/// One ITK3 response code (`response-codes.toml`), for `explain <code>`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseCode {
    pub code: String,
    pub display: String,
    /// `infrastructure` or `business`.
    pub level: String,
    /// `positive`, `negative`, or `status` for the referral and registration statuses.
    pub outcome: String,
    #[serde(default)]
    pub response_code: Option<String>,
    #[serde(default)]
    pub severity: Option<String>,
    #[serde(default)]
    pub issue_codes: Vec<String>,
    /// What the sender should do on receiving it.
    pub action: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResponseCodeFile {
    code: Vec<ResponseCode>,
}

pub fn parse_response_codes(syntax: Syntax, text: &str) -> Result<Vec<ResponseCode>, String> {
    let file: ResponseCodeFile = parse_doc(syntax, text)?;
    Ok(file.code)
}

/// The embedded response-code table, parsed on first use: only responses need it, so a check of
/// requests never pays for it.
pub fn embedded_response_codes() -> &'static [ResponseCode] {
    static CODES: std::sync::OnceLock<Vec<ResponseCode>> = std::sync::OnceLock::new();
    CODES.get_or_init(|| {
        let text = embedded::JSON
            .iter()
            .find(|(p, _)| *p == "response-codes.toml")
            .map_or("", |(_, t)| t);
        parse_response_codes(Syntax::Json, text)
            .expect("the embedded response-codes.toml parses (tested)")
    })
}

/// The embedded JSON copy of a file under `profiles/` (for tables parsed on first use, such as
/// `mesh-status-codes.toml`).
pub fn embedded_json(path: &str) -> Option<&'static str> {
    embedded::JSON
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, t)| *t)
}

/// Everything loaded from a `profiles/` tree.
pub struct Profile {
    pub spec: SpecFile,
    /// Every pack rule, in file order. Embedded rules are compiled on first use:
    /// [`Profile::rule`].
    pub rules: Vec<PackRule>,
    /// Named paths the rules' targets may start with.
    aliases: HashMap<String, String>,
    /// Release → its requirement index.
    pub requirements: BTreeMap<String, Vec<RequirementEntry>>,
    /// ITK3 response codes (empty when the run does not need them).
    pub response_codes: Vec<ResponseCode>,
}

impl Profile {
    /// The packs built into the binary, every rule compiled (what `rules`, `explain` and the
    /// tests use).
    pub fn embedded() -> Result<Profile, ProfileError> {
        let profile = Profile::embedded_where(|_| true)?;
        profile.compile_all()?;
        Ok(profile)
    }

    /// The embedded files whose path passes `keep` (a check skips the requirement indexes), and
    /// every embedded rule, each compiled when a document first needs it.
    pub fn embedded_where(keep: impl Fn(&str) -> bool) -> Result<Profile, ProfileError> {
        let files = embedded::JSON
            .iter()
            .filter(|(p, _)| keep(p))
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect();
        let mut profile = Profile::from_texts(files, false, Syntax::Json)?;
        // Names are unique: the registry refuses a repeated one, and a test loads these packs
        // from their TOML, which `push_rule` checks.
        profile.rules.reserve_exact(embedded::RULES.len());
        for rule in embedded::RULES {
            let deferred = PackRule::deferred(rule).map_err(|m| ProfileError {
                file: rule.file.to_string(),
                message: format!("rule `{}`: {m}", rule.name),
            })?;
            profile.rules.push(deferred);
        }
        Ok(profile)
    }

    /// Rule `i` of [`Profile::rules`], compiled.
    ///
    /// # Panics
    /// When an embedded rule does not compile, which `tests/rule_catalogue.rs` rules out for the
    /// rules a binary is built with (rules from `--profiles DIR` are compiled when they load).
    pub fn rule(&self, i: usize) -> &DataRule {
        self.try_rule(i).unwrap_or_else(|e| panic!("{e}"))
    }

    fn try_rule(&self, i: usize) -> Result<&DataRule, ProfileError> {
        let rule = &self.rules[i];
        rule.compiled(&self.aliases).map_err(|m| ProfileError {
            file: rule.file.to_string(),
            message: format!("rule `{}`: {m}", rule.name),
        })
    }

    /// Compiles every rule not compiled yet, patterns included, reporting the first that
    /// fails.
    pub fn compile_all(&self) -> Result<(), ProfileError> {
        (0..self.rules.len()).try_for_each(|i| {
            let rule = self.try_rule(i)?;
            rule.verify().map_err(|m| ProfileError {
                file: self.rules[i].file.to_string(),
                message: format!("rule `{}`: {m}", self.rules[i].name),
            })
        })
    }

    /// Loads a `profiles/` directory from disk (`--profiles DIR`), validating every pack file
    /// against the pack schema first.
    pub fn from_dir(dir: &Path) -> Result<Profile, ProfileError> {
        let mut files = Vec::new();
        for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
            let entry = entry.map_err(|e| ProfileError {
                file: dir.display().to_string(),
                message: e.to_string(),
            })?;
            if entry.file_type().is_file() && entry.path().extension().is_some_and(|x| x == "toml")
            {
                let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
                let rel = rel.to_string_lossy().replace('\\', "/");
                let text = std::fs::read_to_string(entry.path()).map_err(|e| ProfileError {
                    file: rel.clone(),
                    message: e.to_string(),
                })?;
                files.push((rel, text));
            }
        }
        Profile::from_files(files, true)
    }

    /// Builds a profile from `(relative path, text)` pairs. `check_schema` validates pack files
    /// against the JSON schema (always done for external packs; tests do it for embedded ones).
    pub fn from_files(
        files: Vec<(String, String)>,
        check_schema: bool,
    ) -> Result<Profile, ProfileError> {
        Profile::from_texts(files, check_schema, Syntax::Toml)
    }

    fn from_texts(
        mut files: Vec<(String, String)>,
        check_schema: bool,
        syntax: Syntax,
    ) -> Result<Profile, ProfileError> {
        files.sort();
        let err = |file: &str, message: String| ProfileError {
            file: file.to_string(),
            message,
        };
        let spec_text = files
            .iter()
            .find(|(p, _)| p == "spec.toml")
            .map(|(_, t)| t.as_str())
            .ok_or_else(|| {
                err(
                    "spec.toml",
                    "missing: the profiles directory needs a spec.toml".into(),
                )
            })?;
        let spec = parse_doc::<SpecFile>(syntax, spec_text)
            .and_then(SpecFile::checked)
            .map_err(|m| err("spec.toml", m))?;
        let aliases: HashMap<String, String> = match files.iter().find(|(p, _)| p == "aliases.toml")
        {
            Some((_, text)) => {
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct AliasFile {
                    aliases: HashMap<String, String>,
                }
                parse_doc::<AliasFile>(syntax, text)
                    .map_err(|m| err("aliases.toml", m))?
                    .aliases
            }
            None => HashMap::new(),
        };
        let validator = if check_schema {
            Some(schema::validator().map_err(|m| err("pack.schema.json", m))?)
        } else {
            None
        };

        let mut requirements = BTreeMap::new();
        let mut response_codes = Vec::new();
        let mut rules = Vec::new();
        let mut names = HashMap::new();
        for (path, text) in &files {
            if let Some(version) = path
                .strip_prefix("requirements/")
                .and_then(|f| f.strip_suffix(".toml"))
            {
                let index: IndexFile = parse_doc(syntax, text).map_err(|m| err(path, m))?;
                if index.spec != version || spec.release(version).is_none() {
                    return Err(err(
                        path,
                        format!(
                            "`spec = \"{}\"` must name a known release and match the file name",
                            index.spec
                        ),
                    ));
                }
                requirements.insert(index.spec, index.requirements);
            } else if path == "response-codes.toml" {
                response_codes = parse_response_codes(syntax, text).map_err(|m| err(path, m))?;
            } else if path.starts_with("packs/") {
                let file: RuleFile = match &validator {
                    // Schema errors name the field precisely, so check before deserialising.
                    Some(v) => {
                        let value: toml::Value =
                            parse_doc(syntax, text).map_err(|m| err(path, m))?;
                        schema::check(v, &value).map_err(|m| err(path, m))?;
                        value
                            .try_into()
                            .map_err(|e: toml::de::Error| err(path, e.to_string()))?
                    }
                    None => parse_doc(syntax, text).map_err(|m| err(path, m))?,
                };
                for def in file.rules {
                    let name = def.name.clone();
                    let rule = PackRule::compile(def, &aliases, &spec, path)
                        .map_err(|m| err(path, format!("rule `{name}`: {m}")))?;
                    push_rule(&mut rules, &mut names, rule)?;
                }
            }
        }
        Ok(Profile {
            spec,
            rules,
            aliases,
            requirements,
            response_codes,
        })
    }

    /// Every pack file of the embedded set, for the schema test and `profiles check`.
    pub fn embedded_files() -> impl Iterator<Item = (&'static str, &'static str)> {
        embedded::FILES.iter().copied()
    }
}

/// Adds a rule, refusing a name another pack file already used.
fn push_rule(
    rules: &mut Vec<PackRule>,
    names: &mut HashMap<String, String>,
    rule: PackRule,
) -> Result<(), ProfileError> {
    if let Some(first) = names.insert(rule.name.to_string(), rule.file.to_string()) {
        return Err(ProfileError {
            file: rule.file.to_string(),
            message: format!("rule `{}` is already defined in {first}", rule.name),
        });
    }
    rules.push(rule);
    Ok(())
}
