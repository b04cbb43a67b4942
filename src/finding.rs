//! Findings: what a rule reports, in one shape for every rule and every output format.

use crate::document::{Document, NodeId, Span};
use serde::Serialize;
use std::borrow::Cow;

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Information,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Information => "information",
        }
    }
}

/// A span in the finding's file with an optional short noun phrase shown at it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub text: Option<String>,
}

/// A place in another file that explains a finding: the bundle element a MESH cross-check
/// compared a control-file value with, say. Line and column are worked out when the finding is
/// made, since the other file's text is not kept with this file's report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelatedFile {
    pub path: String,
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
    /// FHIRPath-like location of the node there.
    pub location: Option<String>,
    pub text: String,
}

/// Static description of a rule: identity, default severity and the words shown to users.
#[derive(Clone, Debug)]
pub struct RuleMeta {
    /// Stable kebab-case name naming the problem (`bundle-type-not-message`).
    pub name: Cow<'static, str>,
    pub severity: Severity,
    /// One sentence: what the rule checks.
    pub summary: Cow<'static, str>,
    /// Imperative sentence: what to do about a finding.
    pub help: Cow<'static, str>,
    /// Markdown with `## What it checks`, `## Why it matters`, `## Example`, `## References`.
    pub docs: Cow<'static, str>,
}

/// Declares a built-in rule's static metadata, assembling its docs from the parts every rule
/// documents (what, why, failing and passing example, references).
macro_rules! static_rule {
    ($ident:ident, $name:literal, $severity:ident, $summary:literal, $help:literal, $why:literal, $bad:literal, $good:literal, $($refs:literal),+) => {
        pub static $ident: $crate::finding::RuleMeta = $crate::finding::RuleMeta {
            name: std::borrow::Cow::Borrowed($name),
            severity: $crate::finding::Severity::$severity,
            summary: std::borrow::Cow::Borrowed($summary),
            help: std::borrow::Cow::Borrowed($help),
            docs: std::borrow::Cow::Borrowed(concat!(
                $summary,
                "\n\n## What it checks\n",
                $summary,
                "\n\n## Why it matters\n",
                $why,
                "\n\n## Example\nFailing:\n```\n",
                $bad,
                "\n```\nPassing:\n```\n",
                $good,
                "\n```\n\n## References\n",
                $($refs),+
            )),
        };
    };
}
pub(crate) use static_rule;

/// Where a rule implements a requirement: spec version, optionally one use case, and the ID.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RequirementRef {
    pub version: String,
    /// `None` when the ID holds for every use case of the version.
    pub use_case: Option<String>,
    pub id: String,
}

/// The requirement IDs a rule implements. IDs are version-scoped (the same check often has a
/// different ID in each release, and one ID means different things in different releases), and
/// within a release the same check can carry a different ID per use case.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Requirements {
    refs: Vec<RequirementRef>,
}

impl Requirements {
    /// No requirement (rules about the input itself, FHIR base rules).
    pub const fn none() -> Self {
        Requirements { refs: Vec::new() }
    }

    pub fn new(mut refs: Vec<RequirementRef>) -> Self {
        refs.sort();
        refs.dedup();
        Requirements { refs }
    }

    /// The requirement ID in `version` for `use_case` (a use-case-specific ID wins).
    pub fn for_spec(&self, version: &str, use_case: &str) -> Option<&str> {
        let of_version = || self.refs.iter().filter(|r| r.version == version);
        of_version()
            .find(|r| r.use_case.as_deref() == Some(use_case))
            .or_else(|| of_version().find(|r| r.use_case.is_none()))
            .map(|r| r.id.as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = &RequirementRef> {
        self.refs.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.refs.is_empty()
    }
}

impl RuleMeta {
    /// A finding of this rule with its default severity and help.
    pub fn finding(&self, message: impl Into<String>) -> Finding {
        Finding {
            rule: self.name.to_string(),
            requirement: None,
            severity: self.severity,
            message: message.into(),
            help: Some(self.help.to_string()).filter(|h| !h.is_empty()),
            label: None,
            related: Vec::new(),
            related_files: Vec::new(),
            location: None,
            defect: None,
        }
    }
}

/// The defect behind a finding, when two rules can see the same one: an element `child`
/// missing under `parent`, or a node whose value is wrong. When a pack rule (which carries the
/// requirement ID) and a FHIR base rule both report one defect, only the pack rule's finding is
/// kept.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Defect {
    Missing { parent: NodeId, child: String },
    BadValue(NodeId),
}

/// One problem in one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub rule: String,
    /// The requirement ID as the validated spec version numbers it, if the rule implements one.
    pub requirement: Option<String>,
    pub severity: Severity,
    /// What is wrong at this place: one line, no trailing period.
    pub message: String,
    pub help: Option<String>,
    /// The primary place; `None` for findings about the file as a whole.
    pub label: Option<Label>,
    /// Further places in the same file that explain the finding (the other duplicate, say).
    pub related: Vec<Label>,
    /// Places in other files that explain the finding.
    pub related_files: Vec<RelatedFile>,
    /// FHIRPath-like location of the offending node.
    pub location: Option<String>,
    /// Set on findings about a missing element or a bad value (see [`Defect`]).
    pub defect: Option<Defect>,
}

impl Finding {
    pub fn at(mut self, span: Span) -> Self {
        self.label = Some(Label { span, text: None });
        self
    }

    pub fn label(mut self, text: impl Into<String>) -> Self {
        if let Some(l) = &mut self.label {
            l.text = Some(text.into());
        }
        self
    }

    /// Points at a node: its value when it has one, otherwise its name, and records its location.
    pub fn at_node(mut self, doc: &Document, id: NodeId) -> Self {
        let node = doc.node(id);
        let span = if doc.value(id).is_some() && !node.value_span.is_empty() {
            node.value_span
        } else {
            node.name_span
        };
        self.label = Some(Label { span, text: None });
        self.location = Some(doc.location(id));
        self
    }

    /// Points at the name of a node (for a problem with the element itself, or a missing child).
    pub fn at_node_name(mut self, doc: &Document, id: NodeId) -> Self {
        self.label = Some(Label {
            span: doc.node(id).name_span,
            text: None,
        });
        self.location = Some(doc.location(id));
        self
    }

    pub fn related(mut self, span: Span, text: impl Into<String>) -> Self {
        self.related.push(Label {
            span,
            text: Some(text.into()),
        });
        self
    }

    /// Adds a related place in another document (its value, else its name).
    pub fn related_in(mut self, doc: &Document, id: NodeId, text: impl Into<String>) -> Self {
        let node = doc.node(id);
        let span = if doc.value(id).is_some() && !node.value_span.is_empty() {
            node.value_span
        } else {
            node.name_span
        };
        let (line, column) = doc.source.line_col(span.start);
        let (end_line, end_column) = doc.source.line_col(span.end);
        self.related_files.push(RelatedFile {
            path: doc.source.path.clone(),
            line,
            column,
            end_line,
            end_column,
            location: Some(doc.location(id)),
            text: text.into(),
        });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn absent(mut self, parent: NodeId, child: impl Into<String>) -> Self {
        self.defect = Some(Defect::Missing {
            parent,
            child: child.into(),
        });
        self
    }

    /// Marks the finding as being about the value of `node`.
    pub fn bad_value(mut self, node: NodeId) -> Self {
        self.defect = Some(Defect::BadValue(node));
        self
    }

    pub fn with_requirement(mut self, id: Option<String>) -> Self {
        self.requirement = id;
        self
    }

    /// Byte offset used to order findings; file-level findings come first.
    pub fn offset(&self) -> Option<u32> {
        self.label.as_ref().map(|l| l.span.start)
    }
}

/// Sorts findings into the documented deterministic order: position, then rule, then message.
pub fn sort(findings: &mut [Finding]) {
    findings
        .sort_by(|a, b| (a.offset(), &a.rule, &a.message).cmp(&(b.offset(), &b.rule, &b.message)));
}
