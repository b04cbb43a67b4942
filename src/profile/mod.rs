//! Rule packs as data: loading `profiles/` (embedded at build time, or `--profiles DIR`),
//! checking each pack file against `profiles/pack.schema.json`, and compiling every rule's
//! target path and check once, before any input is read.
//!
//! Layout: `spec.toml` (releases, models, use cases), `aliases.toml` (named paths shared by
//! every pack, such as `MH` for the MessageHeader), `packs/**/*.toml` (rules),
//! `requirements/<version>.toml` (the requirement index of each release).

pub mod rule;
pub mod schema;
pub mod select;
pub mod spec;

use rule::{DataRule, RuleFile};
use serde::Deserialize;
use spec::SpecFile;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// The files of `profiles/`, embedded when the binary is built (see `build.rs`).
mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_profiles.rs"));
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

pub fn parse_response_codes(text: &str) -> Result<Vec<ResponseCode>, String> {
    let file: ResponseCodeFile = toml::from_str(text).map_err(|e| e.to_string())?;
    Ok(file.code)
}

/// The embedded response-code table, parsed on first use: only responses need it, so a check of
/// requests never pays for it.
pub fn embedded_response_codes() -> &'static [ResponseCode] {
    static CODES: std::sync::OnceLock<Vec<ResponseCode>> = std::sync::OnceLock::new();
    CODES.get_or_init(|| {
        let text = embedded::FILES
            .iter()
            .find(|(p, _)| *p == "response-codes.toml")
            .map_or("", |(_, t)| t);
        parse_response_codes(text).expect("the embedded response-codes.toml parses (tested)")
    })
}

/// Everything loaded from a `profiles/` tree.
pub struct Profile {
    pub spec: SpecFile,
    pub rules: Vec<DataRule>,
    /// Release → its requirement index.
    pub requirements: BTreeMap<String, Vec<RequirementEntry>>,
    /// ITK3 response codes (empty when the run does not need them).
    pub response_codes: Vec<ResponseCode>,
}

impl Profile {
    /// The packs built into the binary.
    pub fn embedded() -> Result<Profile, ProfileError> {
        Profile::from_files(
            embedded::FILES
                .iter()
                .map(|(p, t)| (p.to_string(), t.to_string()))
                .collect(),
            false,
        )
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
        mut files: Vec<(String, String)>,
        check_schema: bool,
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
        let spec = SpecFile::parse(spec_text).map_err(|m| err("spec.toml", m))?;
        let aliases: HashMap<String, String> = match files.iter().find(|(p, _)| p == "aliases.toml")
        {
            Some((_, text)) => {
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct AliasFile {
                    aliases: HashMap<String, String>,
                }
                toml::from_str::<AliasFile>(text)
                    .map_err(|e| err("aliases.toml", e.to_string()))?
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
        let mut rules: Vec<DataRule> = Vec::new();
        let mut names: HashMap<String, String> = HashMap::new();
        for (path, text) in &files {
            if let Some(version) = path
                .strip_prefix("requirements/")
                .and_then(|f| f.strip_suffix(".toml"))
            {
                let index: IndexFile =
                    toml::from_str(text).map_err(|e| err(path, e.to_string()))?;
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
                let file: ResponseCodeFile =
                    toml::from_str(text).map_err(|e| err(path, e.to_string()))?;
                response_codes = file.code;
            } else if path.starts_with("packs/") {
                let value: toml::Value =
                    toml::from_str(text).map_err(|e| err(path, e.to_string()))?;
                if let Some(v) = &validator {
                    schema::check(v, &value).map_err(|m| err(path, m))?;
                }
                let file: RuleFile = value
                    .try_into()
                    .map_err(|e: toml::de::Error| err(path, e.to_string()))?;
                for def in file.rules {
                    let name = def.name.clone();
                    let rule = DataRule::compile(def, &aliases, &spec, path)
                        .map_err(|m| err(path, format!("rule `{name}`: {m}")))?;
                    if let Some(first) = names.insert(name.clone(), path.clone()) {
                        return Err(err(
                            path,
                            format!("rule `{name}` is already defined in {first}"),
                        ));
                    }
                    rules.push(rule);
                }
            }
        }
        Ok(Profile {
            spec,
            rules,
            requirements,
            response_codes,
        })
    }

    /// Every pack file of the embedded set, for the schema test and `profiles check`.
    pub fn embedded_files() -> impl Iterator<Item = (&'static str, &'static str)> {
        embedded::FILES.iter().copied()
    }
}
