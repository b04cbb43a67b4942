//! The rule catalogue stays consistent: packs pass the schema, every rule is documented and has
//! a failing sample, every requirement ID a rule claims exists in that release's index, every
//! Rust-coded check is bound to a pack rule, and the envelope requirements of every release are
//! implemented.

mod common;

use common::*;
use gpcm_validate::profile::Profile;
use gpcm_validate::rules::code::CODE_CHECKS;
use std::collections::BTreeSet;
use std::path::Path;

/// Rules that cannot have a failing sample, and why.
const NO_SAMPLE: &[(&str, &str)] = &[
    ("input-too-large", "needs a file over 4 GiB"),
    (
        "use-case-assumed",
        "a message whose use case cannot be told also has a wrong LocalExtension, so a sample cannot show this notice alone; tests/detect.rs covers it",
    ),
];

#[test]
fn embedded_packs_pass_the_pack_schema() {
    let files: Vec<(String, String)> = Profile::embedded_files()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect();
    assert!(
        files.iter().any(|(p, _)| p.starts_with("packs/")),
        "no packs embedded"
    );
    if let Err(e) = Profile::from_files(files, true) {
        panic!("{e}");
    }
}

#[test]
fn every_rule_is_documented_and_has_a_failing_sample() {
    let samples: BTreeSet<String> = sample_files("samples/invalid")
        .iter()
        .map(|p| p.split('/').nth(2).unwrap().to_string())
        .collect();
    for rule in registry().all() {
        let name = &rule.meta.name;
        assert!(
            name.split('-').all(|w| !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())),
            "{name}: not kebab-case"
        );
        for heading in [
            "## What it checks",
            "## Why it matters",
            "## Example",
            "## References",
        ] {
            assert!(
                rule.meta.docs.contains(heading),
                "{name}: docs lack `{heading}`"
            );
        }
        assert!(
            !rule.meta.summary.is_empty() && !rule.meta.help.is_empty(),
            "{name}: summary/help"
        );
        if NO_SAMPLE.iter().any(|(n, _)| n == name) {
            continue;
        }
        assert!(
            samples.contains(name.as_ref()),
            "{name}: no samples/invalid/{name}/"
        );
    }
    for dir in &samples {
        assert!(
            registry().get(dir).is_some(),
            "samples/invalid/{dir}/ names no rule"
        );
    }
}

#[test]
fn requirement_ids_exist_in_their_release_index() {
    let profile = &registry().profile;
    for version in profile.spec.all_versions() {
        assert!(
            profile.requirements.contains_key(&version),
            "no requirements/{version}.toml"
        );
    }
    for rule in registry().all() {
        for req in rule.requirements.iter() {
            let index = &profile.requirements[&req.version];
            let entry = index.iter().find(|e| e.id == req.id);
            let Some(entry) = entry else {
                panic!(
                    "{}: {} is not a requirement of {}",
                    rule.meta.name, req.id, req.version
                );
            };
            assert!(
                entry.checkable(),
                "{}: {} in {} is not checkable offline",
                rule.meta.name,
                req.id,
                req.version
            );
            if let Some(uc) = &req.use_case {
                assert!(
                    index
                        .iter()
                        .any(|e| e.id == req.id && (&e.use_case == uc || e.use_case == "core")),
                    "{}: {} in {} does not belong to use case {uc}",
                    rule.meta.name,
                    req.id,
                    req.version
                );
            }
        }
    }
}

#[test]
fn every_rust_check_is_bound_to_a_pack_rule() {
    for (name, _) in CODE_CHECKS {
        let rule = registry()
            .get(name)
            .unwrap_or_else(|| panic!("Rust check `{name}` has no pack rule"));
        assert!(rule.pack.is_some(), "`{name}` must be declared in a pack");
    }
}

/// The ITK3 envelope requirements of a release: the request header items (handling keys,
/// sender, source, event, timestamp, routing), the focus, and the ITK3 conformance
/// requirement, as the index words them. Response items belong to the response rules.
fn is_envelope(summary: &str, id: &str) -> bool {
    let request_header = (summary.starts_with("Handling key")
        || summary.starts_with("MessageHeader"))
        && !summary.contains("source (endpoint) =");
    let conformance = id.starts_with("GPCM-C-2") || id.starts_with("GPCM-C-02");
    request_header || conformance
}

#[test]
fn every_envelope_requirement_of_every_release_is_implemented() {
    let profile = &registry().profile;
    let mut missing = Vec::new();
    for (version, index) in &profile.requirements {
        for e in index
            .iter()
            .filter(|e| e.checkable() && is_envelope(&e.summary, &e.id))
        {
            let implemented = registry().all().iter().any(|r| {
                r.requirements
                    .iter()
                    .any(|q| &q.version == version && q.id == e.id)
            });
            if !implemented {
                missing.push(format!(
                    "{version} {} ({}): {}",
                    e.id, e.use_case, e.summary
                ));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "envelope requirements without a rule:\n{}",
        missing.join("\n")
    );
}

#[test]
fn a_broken_external_pack_is_refused_with_a_precise_error() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles");
    for f in ["spec.toml", "aliases.toml"] {
        std::fs::copy(root.join(f), dir.path().join(f)).unwrap();
    }
    std::fs::create_dir_all(dir.path().join("packs")).unwrap();
    std::fs::write(
        dir.path().join("packs/broken.toml"),
        "[[rule]]\nname = \"Bad_Name\"\nseverity = \"fatal\"\nsummary = \"s\"\nmessage = \"m\"\nhelp = \"h\"\ndocs = \"d\"\ncheck = { kind = \"fixd\" }\n",
    )
    .unwrap();
    let err = Profile::from_dir(dir.path())
        .err()
        .expect("the pack is refused")
        .to_string();
    assert!(err.starts_with("packs/broken.toml:"), "{err}");
    for part in [
        "rule[0] (`Bad_Name`).name",
        "rule[0] (`Bad_Name`).severity",
        "rule[0] (`Bad_Name`).check.kind",
    ] {
        assert!(err.contains(part), "`{part}` missing from: {err}");
    }
}

/// The embedded rule tables (what runs load) say exactly what the TOML packs say.
#[test]
fn embedded_rules_match_the_toml_packs() {
    let toml: Vec<(String, String)> = Profile::embedded_files()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect();
    let from_toml = Profile::from_files(toml, false).unwrap();
    let from_json = Profile::embedded().unwrap();
    let summary = |p: &Profile| -> Vec<String> {
        (0..p.rules.len())
            .map(|i| {
                let r = p.rule(i);
                format!(
                    "{} {:?} {:?} {:?} {:?} {:?}",
                    r.meta.name,
                    r.meta.severity,
                    r.meta.summary,
                    r.meta.docs,
                    r.target_text(),
                    r.requirements(&p.spec)
                )
            })
            .collect()
    };
    assert_eq!(summary(&from_toml), summary(&from_json));
    // Paths, checks and variants too: every field a run reads.
    for i in 0..from_toml.rules.len() {
        assert_eq!(
            format!("{:?}", from_toml.rule(i)),
            format!("{:?}", from_json.rule(i))
        );
    }
    // A run decides from `build.rs`'s literals which embedded rules to compile; they must say
    // what the compiled pack says.
    let lazy = Profile::embedded_where(|_| true).unwrap();
    let mut checked = 0;
    for (i, rule) in lazy.rules.iter().enumerate() {
        // What listings and SARIF read without compiling a rule.
        let compiled = from_toml.rule(i);
        assert_eq!(
            format!("{:?}", rule.meta()),
            format!("{:?}", compiled.meta),
            "{}",
            rule.name
        );
        assert_eq!(
            rule.requirements(&lazy.spec),
            compiled.requirements(&from_toml.spec),
            "{}",
            rule.name
        );
        for (r, release) in lazy.spec.versions.iter().enumerate() {
            assert_eq!(
                rule.applies_to_release(r),
                compiled.applies_to_release(r),
                "{} in {}",
                rule.name,
                release.id
            );
            for &(_, kind) in gpcm_validate::profile::rule::KINDS {
                for uc in &lazy.spec.use_cases {
                    assert_eq!(
                        rule.applies(kind, r, &uc.id),
                        from_toml.rules[i].applies(kind, r, &uc.id),
                        "{} on {kind:?} in {} {}",
                        rule.name,
                        release.id,
                        uc.id
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 10_000, "only {checked} combinations compared");
    assert_eq!(from_toml.requirements.len(), from_json.requirements.len());
    assert_eq!(
        from_toml.response_codes.len(),
        from_json.response_codes.len()
    );
}
