//! Recognises which GP Connect Messaging release and use case a message follows, from the
//! message itself (spec §1 "Recognising the spec generation"): the payload bundle's profile and
//! resource, the MessageDefinition it names, its LocalExtension and its Composition type.
//! `--spec` and `--use-case` pin what cannot be told from the wire.

use crate::document::{Document, NodeId};
use crate::finding::{Finding, RuleMeta, Severity};
use crate::input::InputKind;
use crate::profile::spec::SpecFile;
use crate::rules::bundle_index::BundleIndex;
use crate::rules::SpecContext;
use std::borrow::Cow::Borrowed as B;

pub static SPEC_VERSION_ASSUMED: RuleMeta = RuleMeta {
    name: B("spec-version-assumed"),
    severity: Severity::Information,
    summary: B("Says which GP Connect Messaging release a message was validated against when the message cannot tell."),
    help: B("Pass `--spec X.Y.Z` to validate against a particular release"),
    docs: B("Says which GP Connect Messaging release a message was validated against when the message cannot tell.

## What it checks
Nothing is wrong: the releases of one payload model look alike on the wire (1.3.0 to 1.6.0 all
send the same MessageDefinition), so without `--spec` the validator picks the newest release
that defines the detected use case, and says so here.

## Why it matters
Requirement IDs and some rules differ between releases; a supplier assured against an older
release should pin it so findings carry that release's IDs.

## Example
Failing: a consultation report validated without `--spec` (validated as 1.6.0).
Passing: `gpcm-validate --spec 1.3.0 report.xml`.

## References
- GP Connect Messaging release notes; gpconnect-messaging.md §1
"),
};

pub static USE_CASE_ASSUMED: RuleMeta = RuleMeta {
    name: B("use-case-assumed"),
    severity: Severity::Information,
    summary: B("Says which use case a message was validated as when its LocalExtension and Composition type do not identify one."),
    help: B("Set the LocalExtension handling key to the use case's value, or pass `--use-case`"),
    docs: B("Says which use case a message was validated as when its LocalExtension and Composition type do not identify one.

## What it checks
The use case (consultation report, online consultation, generic, Send Update, …) is read from
the `LocalExtension` handling key, then from `Composition.type`. When neither names a known use
case, the validator assumes the model's main use case and says so here. Send Update messages
are identical to Generic ones on the wire: pass `--use-case su` for them.

## Why it matters
Fixed values and requirement IDs depend on the use case; a wrong guess gives wrong IDs.

## Example
Failing: LocalExtension `SendDocument-ConsultationSummary` (not a defined value).
Passing: LocalExtension `SendDocument-ConsultationReport`.

## References
- gpconnect-messaging.md §1, §2.1 (LocalExtension per use case)
"),
};

/// The detection notices, for the registry.
pub static RULES: &[&RuleMeta] = &[&SPEC_VERSION_ASSUMED, &USE_CASE_ASSUMED];

/// What the user pinned on the command line.
#[derive(Clone, Debug, Default)]
pub struct Pins {
    pub spec: Option<String>,
    pub use_case: Option<String>,
}

/// The release and use case to validate `doc` against, with notices saying what was assumed.
pub fn detect(
    doc: &Document,
    kind: InputKind,
    spec: &SpecFile,
    pins: &Pins,
) -> (SpecContext, Vec<Finding>) {
    if kind.is_mesh_metadata() {
        return crate::mesh::detect::detect(doc, spec, pins);
    }
    let mut notices = Vec::new();
    if kind == InputKind::Response {
        return (response_context(spec, pins), notices);
    }
    let evidence = Evidence::read(doc);
    let model = model_of(&evidence, spec, pins);
    let pinned_release = pins.spec.as_deref().and_then(|v| spec.release(v));
    let (use_case, why) = match (&pins.use_case, pinned_release) {
        (Some(uc), _) => (uc.clone(), None),
        // A pinned release with a single use case leaves nothing to detect.
        (None, Some(r)) if r.use_cases.len() == 1 => (r.use_cases[0].clone(), None),
        (None, _) => use_case_of(
            &evidence,
            spec,
            &model,
            pinned_release.map(|r| r.use_cases.as_slice()),
        ),
    };
    if let (Some(why), InputKind::Message) = (why, kind) {
        let at = evidence.local_extension.unwrap_or(doc.root());
        notices.push(USE_CASE_ASSUMED.finding(why).at_node(doc, at));
    }
    let version = match &pins.spec {
        Some(v) => v.clone(),
        None => {
            let releases = spec.releases_with(&use_case);
            let newest = releases
                .last()
                .map_or_else(|| "1.6.0".to_string(), |r| r.id.clone());
            if releases.len() > 1 && kind == InputKind::Message {
                let span = format!("{}–{}", releases[0].id, newest);
                let at = evidence.message_definition.unwrap_or(doc.root());
                notices.push(
                    SPEC_VERSION_ASSUMED
                        .finding(format!("validated as {newest}, the newest release with this use case; the message reads the same under {span}"))
                        .at_node(doc, at),
                );
            }
            newest
        }
    };
    (SpecContext { version, use_case }, notices)
}

/// A response carries no payload and ITK's default LocalExtension, so nothing in it tells the
/// release or use case: validate against the pins, or the newest consultation-report release.
/// (Paired with its request, a response takes the request's release.)
fn response_context(spec: &SpecFile, pins: &Pins) -> SpecContext {
    let use_case = pins.use_case.clone().unwrap_or_else(|| "cs".to_string());
    let version = pins
        .spec
        .clone()
        .or_else(|| spec.newest_with(&use_case).map(|r| r.id.clone()))
        .unwrap_or_default();
    SpecContext { version, use_case }
}

/// The parts of a message that tell its generation.
struct Evidence<'a> {
    message_definition: Option<NodeId>,
    message_definition_url: Option<&'a str>,
    local_extension: Option<NodeId>,
    local_extension_value: Option<&'a str>,
    payload_profiles: Vec<&'a str>,
    /// The payload Bundle (or resource) the header's focus names.
    payload: Option<NodeId>,
    composition_type: Option<&'a str>,
    doc: &'a Document,
}

impl<'a> Evidence<'a> {
    fn read(doc: &'a Document) -> Self {
        let header = crate::fhir::message_header(doc);
        let handling_value = |key: &str| crate::fhir::handling_value(doc, key);
        let message_definition =
            handling_value("MessageDefinition").and_then(|v| doc.child(v, "reference"));
        let local_extension = handling_value("LocalExtension");
        // The header is an outer entry, so its focus resolves among the outer entries.
        let index = BundleIndex::outer(doc);
        let payload = header
            .and_then(|h| doc.get(h, "focus.reference"))
            .and_then(|r| index.resolve(doc, r, doc.value(r)?))
            .and_then(|i| index.entries[i].resource);
        let composition_type = payload.and_then(|p| {
            doc.children_named(p, "entry")
                .filter_map(|e| doc.child(e, "resource"))
                .find(|&r| doc.is_resource_type(r, "Composition"))
                .and_then(|c| doc.get_value(c, "type.coding.code"))
        });
        Evidence {
            message_definition,
            message_definition_url: message_definition.and_then(|n| doc.value(n)),
            local_extension,
            local_extension_value: local_extension.and_then(|n| doc.value(n)),
            payload_profiles: payload
                .and_then(|p| doc.get(p, "meta"))
                .map(|m| {
                    doc.children_named(m, "profile")
                        .filter_map(|p| doc.value(p))
                        .collect()
                })
                .unwrap_or_default(),
            payload,
            composition_type,
            doc,
        }
    }

    /// Whether the payload holds an entry resource of this type. Asked, not collected: the
    /// first entries decide, and a payload can have a hundred thousand.
    fn payload_has(&self, resource_type: &str) -> bool {
        let doc = self.doc;
        self.payload.is_some_and(|p| {
            doc.children_named(p, "entry")
                .filter_map(|e| doc.child(e, "resource"))
                .any(|r| doc.is_resource_type(r, resource_type))
        })
    }

    /// Whether a resource of this type is anywhere in the message: the last resort when the
    /// payload cannot be found (a focus that does not resolve, a misspelt payload element).
    fn anywhere_has(&self, resource_type: &str) -> bool {
        let doc = self.doc;
        doc.descendants(doc.root())
            .any(|n| doc.is_resource_type(n, resource_type))
    }
}

/// The payload model: the payload's own shape first (it is what receivers parse), then the
/// MessageDefinition; the Composition model when nothing tells.
fn model_of(e: &Evidence<'_>, spec: &SpecFile, pins: &Pins) -> String {
    if let Some(m) = pins.spec.as_deref().and_then(|v| spec.release(v)) {
        return m.model.clone();
    }
    let by = |pred: &dyn Fn(&crate::profile::spec::Model) -> bool| {
        spec.models.iter().find(|m| pred(m)).map(|m| m.id.clone())
    };
    by(&|m| {
        e.payload_profiles
            .iter()
            .any(|p| p.split("/_history/").next() == Some(&m.payload_profile))
    })
    .or_else(|| by(&|m| e.payload_has(&m.payload_resource)))
    .or_else(|| {
        by(&|m| {
            e.message_definition_url
                .is_some_and(|u| m.message_definitions.iter().any(|d| d == u))
        })
    })
    .or_else(|| {
        let v = e.local_extension_value?;
        let uc = spec
            .use_cases
            .iter()
            .find(|u| u.local_extension.iter().any(|l| l == v))?;
        Some(uc.model.clone())
    })
    .or_else(|| by(&|m| e.anywhere_has(&m.payload_resource)))
    .unwrap_or_else(|| "composition".to_string())
}

/// The use case from LocalExtension, then Composition.type; otherwise the model's first use
/// case, with the reason it was assumed.
fn use_case_of(
    e: &Evidence<'_>,
    spec: &SpecFile,
    model: &str,
    allowed: Option<&[String]>,
) -> (String, Option<String>) {
    let in_model = || {
        spec.use_cases
            .iter()
            .filter(move |u| u.model == model && allowed.is_none_or(|a| a.contains(&u.id)))
    };
    if let Some(value) = e.local_extension_value {
        if let Some(uc) = in_model().find(|u| u.local_extension.iter().any(|l| l == value)) {
            return (uc.id.clone(), None);
        }
    }
    if let Some(code) = e.composition_type {
        if let Some(uc) = in_model().find(|u| u.composition_types.iter().any(|c| c == code)) {
            return (uc.id.clone(), None);
        }
    }
    let fallback = in_model()
        .next()
        .map_or_else(|| "cs".to_string(), |u| u.id.clone());
    let name = spec
        .use_case(&fallback)
        .map_or(fallback.as_str(), |u| u.name.as_str());
    let why = match e.local_extension_value {
        Some(v) => {
            format!("LocalExtension `{v}` names no {model}-model use case; validated as {name}")
        }
        None => format!("no LocalExtension names the use case; validated as {name}"),
    };
    (fallback, Some(why))
}
