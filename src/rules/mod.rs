//! The rule registry: one place that knows every rule, whether it comes from a rule pack
//! (`profiles/`), is a built-in input rule ([`input`]), belongs to a multi-rule [`Pass`], or is
//! a spec-detection notice ([`crate::detect`]). Rust-coded pack checks live in [`code`].

pub mod bundle_index;
pub mod code;
mod code_clin1;
pub mod code_clin2;
mod code_comp;
pub mod code_task;
pub mod input;
mod passes;
mod payload;

use crate::document::{Document, NodeId};
use crate::finding::{Finding, Requirements, RuleMeta, Severity};
use crate::input::InputKind;
use crate::profile::pack::PackRule;
use crate::profile::{Profile, ProfileError};
use bundle_index::BundleIndex;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The release and use case a document is validated against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecContext {
    pub version: String,
    pub use_case: String,
}

/// What a rule sees of one input.
pub struct Context<'a> {
    pub doc: &'a Document,
    pub kind: InputKind,
    pub bundle: BundleIndex<'a>,
    pub spec: SpecContext,
    /// The files validated together with this one (MESH metadata with its message, a response
    /// with its request); `None` when the file is validated alone.
    pub peers: Option<&'a crate::mesh::Peers<'a>>,
    /// Rule targets' common prefixes, evaluated once per document.
    pub path_cache: crate::profile::select::PathCache,
    /// The payload Bundle, once found (see [`payload::payload`]).
    payload: std::cell::OnceCell<Option<NodeId>>,
    /// The payload's section view, once worked out (see [`payload::section_view`]).
    section_view: std::cell::OnceCell<Option<payload::SectionView>>,
    /// Values the pack checks found to be strict base64 (see `checks::content`).
    pub base64_clean: std::cell::RefCell<Vec<NodeId>>,
    /// Where `spec.version` stands in `spec.toml` (its bit in a rule's version mask);
    /// `usize::MAX`, matching no rule, until the registry sets it.
    pub release: usize,
}

impl<'a> Context<'a> {
    pub fn new(doc: &'a Document, kind: InputKind, spec: SpecContext) -> Self {
        Context {
            doc,
            kind,
            bundle: BundleIndex::new(doc),
            spec,
            peers: None,
            path_cache: Default::default(),
            payload: Default::default(),
            section_view: Default::default(),
            base64_clean: Default::default(),
            release: usize::MAX,
        }
    }
}

/// A check over a parsed document. `Sync` so one registry serves every thread.
pub trait Rule: Sync + Send {
    fn meta(&self) -> &RuleMeta;
    /// Which kinds of input the rule runs on.
    fn applies_to(&self, kind: InputKind) -> bool;
    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>);
}

/// A check that reports findings of several rules in one walk over the document (the
/// structural pass, for instance). Its rules are registered like any other.
pub trait Pass: Sync {
    fn rules(&self) -> &'static [&'static RuleMeta];
    /// Which kinds of input the pass runs on.
    fn applies_to(&self, kind: InputKind) -> bool;
    fn run(&self, cx: &Context<'_>, out: &mut Vec<Finding>);
}

/// Which rules a run reports: `--select` and `--ignore`, each a rule name or a requirement-ID
/// prefix that ends on a segment boundary (`GPCM-SD-CS` matches `GPCM-SD-CS-051`, not
/// `GPCM-SD-CSX-1`).
#[derive(Clone, Debug, Default)]
pub struct Selection {
    pub select: Vec<String>,
    pub ignore: Vec<String>,
}

impl Selection {
    fn matches(pattern: &str, f: &Finding) -> bool {
        if f.rule == pattern {
            return true;
        }
        f.requirement.as_deref().is_some_and(|id| {
            id.strip_prefix(pattern)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('-'))
        })
    }

    pub fn keeps(&self, f: &Finding) -> bool {
        (self.select.is_empty() || self.select.iter().any(|p| Self::matches(p, f)))
            && !self.ignore.iter().any(|p| Self::matches(p, f))
    }
}

/// Every rule the validator knows, by unique name.
pub struct Registry {
    pub profile: Profile,
    /// Names borrowed from the rules where they are static (every embedded one).
    by_name: HashMap<Cow<'static, str>, RuleRef>,
    /// The pack rules that apply to each (input kind, release position, use case) met so far,
    /// so that a directory of like messages decides it once, not once per rule per file.
    applicable: Mutex<HashMap<Applicability, Arc<[usize]>>>,
}

/// Input kind (as a number), release position and use case.
type Applicability = (u16, usize, String);

#[derive(Clone, Copy)]
enum RuleRef {
    /// A rule whose metadata is static: input rules, detection notices and rules of a [`Pass`].
    Static(&'static RuleMeta),
    /// A rule from a pack: index into `profile.rules`.
    Pack(usize),
}

static NO_REQUIREMENTS: Requirements = Requirements::none();

/// What `explain` and `rules` show of a rule.
pub struct RuleInfo<'a> {
    pub meta: &'a RuleMeta,
    /// The requirement ID the rule implements in each release (IDs are version-scoped); none
    /// for built-in rules.
    pub requirements: &'a Requirements,
    /// The pack file that defines it, or `built-in`.
    pub source: &'a str,
    pub pack: Option<&'a PackRule>,
    /// The profile and index of a pack rule, to compile it for [`RuleInfo::target`].
    profile: Option<(&'a Profile, usize)>,
}

impl RuleInfo<'_> {
    /// A pack rule's target as `explain` shows it (this compiles the rule).
    pub fn target(&self) -> Option<String> {
        let (profile, i) = self.profile?;
        profile.rule(i).target_text()
    }
}

impl Registry {
    /// The built-in rules and the embedded rule packs.
    pub fn builtin() -> Result<Self, ProfileError> {
        Registry::with_profile(Profile::embedded()?)
    }

    pub fn with_profile(profile: Profile) -> Result<Self, ProfileError> {
        let mut by_name = HashMap::new();
        let statics = input::ALL
            .iter()
            .chain(crate::detect::RULES)
            .chain(crate::mesh::RULES)
            .copied()
            .chain(
                passes::PASSES
                    .iter()
                    .flat_map(|p| p.rules().iter().copied()),
            );
        let mut insert = |name: &Cow<'static, str>, r: RuleRef| {
            if by_name.insert(name.clone(), r).is_some() {
                return Err(ProfileError {
                    file: "profiles".into(),
                    message: format!("rule name `{name}` is defined twice (a pack rule may not reuse a built-in name)"),
                });
            }
            Ok(())
        };
        for meta in statics {
            insert(&meta.name, RuleRef::Static(meta))?;
        }
        for (i, rule) in profile.rules.iter().enumerate() {
            insert(&rule.name, RuleRef::Pack(i))?;
        }
        Ok(Registry {
            profile,
            by_name,
            applicable: Mutex::default(),
        })
    }

    fn info(&self, r: RuleRef) -> RuleInfo<'_> {
        match r {
            RuleRef::Static(meta) => RuleInfo {
                meta,
                requirements: &NO_REQUIREMENTS,
                source: "built-in",
                pack: None,
                profile: None,
            },
            RuleRef::Pack(i) => {
                let rule = &self.profile.rules[i];
                RuleInfo {
                    meta: rule.meta(),
                    requirements: rule.requirements(&self.profile.spec),
                    source: &rule.file,
                    pack: Some(rule),
                    profile: Some((&self.profile, i)),
                }
            }
        }
    }

    /// Every rule, sorted by name.
    pub fn all(&self) -> Vec<RuleInfo<'_>> {
        let mut all: Vec<RuleInfo<'_>> = self.by_name.values().map(|r| self.info(*r)).collect();
        all.sort_by(|a, b| a.meta.name.cmp(&b.meta.name));
        all
    }

    pub fn get(&self, name: &str) -> Option<RuleInfo<'_>> {
        self.by_name.get(name).map(|r| self.info(*r))
    }

    /// Rules implementing a requirement ID (in `version`, or in any version).
    pub fn by_requirement(&self, id: &str, version: Option<&str>) -> Vec<RuleInfo<'_>> {
        self.all()
            .into_iter()
            .filter(|r| {
                r.requirements
                    .iter()
                    .any(|req| req.id == id && version.is_none_or(|v| v == req.version))
            })
            .collect()
    }

    /// Runs every applicable rule over a parsed document, keeping the findings `selection`
    /// keeps.
    pub fn check(
        &self,
        doc: &Document,
        kind: InputKind,
        spec: SpecContext,
        selection: &Selection,
        out: &mut Vec<Finding>,
    ) {
        self.check_with(doc, kind, spec, selection, None, out);
    }

    /// [`Registry::check`] for a file validated together with others (see [`crate::mesh`]).
    pub fn check_with(
        &self,
        doc: &Document,
        kind: InputKind,
        spec: SpecContext,
        selection: &Selection,
        peers: Option<&crate::mesh::Peers<'_>>,
        out: &mut Vec<Finding>,
    ) {
        let start = out.len();
        let mut cx = Context::new(doc, kind, spec);
        cx.peers = peers;
        // A release the packs do not know has no pack rules.
        if let Some(release) = self.profile.spec.position(&cx.spec.version) {
            cx.release = release;
            for &i in self.applicable(kind, release, &cx.spec.use_case).iter() {
                self.profile.rule(i).check(&cx, out);
            }
        }
        // An ignored pack rule must not hide the base rule's finding on the same defect.
        let kept: Vec<Finding> = out.drain(start..).filter(|f| selection.keeps(f)).collect();
        out.extend(kept);
        let pack_end = out.len();
        for pass in passes::PASSES {
            if pass.applies_to(kind) {
                pass.run(&cx, out);
            }
        }
        // One absent element or bad value, one finding: the pack rule's, which names the
        // requirement.
        let reported: std::collections::HashSet<_> = out[start..pack_end]
            .iter()
            .filter_map(|f| f.defect.clone())
            .collect();
        if !reported.is_empty() {
            let mut at = 0;
            out.retain(|f| {
                at += 1;
                at <= pack_end || !f.defect.as_ref().is_some_and(|a| reported.contains(a))
            });
        }
    }

    /// Indexes into `profile.rules` of the rules that run on such an input.
    fn applicable(&self, kind: InputKind, release: usize, use_case: &str) -> Arc<[usize]> {
        let key = (kind as u16, release, use_case.to_string());
        let mut cache = self.applicable.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(key)
            .or_insert_with(|| {
                let rules = self.profile.rules.iter().enumerate();
                rules
                    .filter(|(_, rule)| rule.applies(kind, release, use_case))
                    .map(|(i, _)| i)
                    .collect()
            })
            .clone()
    }

    /// Severity a finding of `rule` gets by default (for listings).
    pub fn severity(&self, rule: &str) -> Option<Severity> {
        self.get(rule).map(|r| r.meta.severity)
    }
}
