//! Rules and their registry. Built-in input rules live in [`input`]; rules over a parsed
//! message are [`Rule`] implementations listed in [`message::RULES`]. Rule packs loaded from
//! `profiles/` (a later step) register through the same [`Registry`].

pub mod input;
pub mod message;
mod passes;

use crate::document::Document;
use crate::finding::{Finding, RuleMeta};
use crate::input::InputKind;
use std::collections::HashMap;

/// What a rule sees of one input.
pub struct Context<'a> {
    pub doc: &'a Document,
    pub kind: InputKind,
    pub bundle: message::BundleIndex<'a>,
}

impl<'a> Context<'a> {
    pub fn new(doc: &'a Document, kind: InputKind) -> Self {
        Context {
            doc,
            kind,
            bundle: message::BundleIndex::new(doc),
        }
    }
}

/// A check over a parsed document. `Sync` so one registry serves every thread.
pub trait Rule: Sync {
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

/// Every rule the validator knows, by unique name.
pub struct Registry {
    rules: Vec<&'static dyn Rule>,
    by_name: HashMap<String, RuleRef>,
}

#[derive(Clone, Copy)]
enum RuleRef {
    /// A rule whose metadata is static: input rules and rules of a [`Pass`].
    Input(&'static RuleMeta),
    Check(usize),
}

#[derive(Debug)]
pub struct DuplicateRule(pub String);

impl std::fmt::Display for DuplicateRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "rule name `{}` is registered twice", self.0)
    }
}

impl Registry {
    /// The built-in rules. A duplicate name is a programming error caught by the tests.
    pub fn builtin() -> Result<Self, DuplicateRule> {
        let mut reg = Registry {
            rules: Vec::new(),
            by_name: HashMap::new(),
        };
        for meta in input::ALL {
            reg.insert(meta.name.to_string(), RuleRef::Input(meta))?;
        }
        for rule in message::RULES {
            reg.insert(
                rule.meta().name.to_string(),
                RuleRef::Check(reg.rules.len()),
            )?;
            reg.rules.push(*rule);
        }
        Ok(reg)
    }

    fn insert(&mut self, name: String, r: RuleRef) -> Result<(), DuplicateRule> {
        if self.by_name.insert(name.clone(), r).is_some() {
            return Err(DuplicateRule(name));
        }
        Ok(())
    }

    /// Metadata of every rule, sorted by name.
    pub fn metas(&self) -> Vec<&RuleMeta> {
        let mut all: Vec<&RuleMeta> = self
            .by_name
            .values()
            .map(|r| match *r {
                RuleRef::Input(m) => m,
                RuleRef::Check(i) => self.rules[i].meta(),
            })
            .collect();
        all.sort_by(|a, b| a.name.cmp(&b.name));
        all
    }

    pub fn get(&self, name: &str) -> Option<&RuleMeta> {
        self.by_name.get(name).map(|r| match *r {
            RuleRef::Input(m) => m,
            RuleRef::Check(i) => self.rules[i].meta(),
        })
    }

    /// Runs every applicable rule over a parsed document.
    pub fn check(&self, doc: &Document, kind: InputKind, out: &mut Vec<Finding>) {
        let cx = Context::new(doc, kind);
        for rule in &self.rules {
            if rule.applies_to(kind) {
                rule.check(&cx, out);
            }
        }
        for pass in passes::PASSES {
            if pass.applies_to(kind) {
                pass.run(&cx, out);
            }
        }
    }
}
