//! The command-line contract: exit codes, output formats, inputs (files, directories, stdin) and
//! the JSON report shape that users' CI relies on.

mod common;

use common::{bin, run};
use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::{Output, Stdio};

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

const VALID: &str = "samples/valid/1.6.0/consultation-report.xml";
const TYPE_COLLECTION_JSON: &str =
    "samples/invalid/bundle-type-not-message/1.6.0/type-collection.json";
const TYPE_COLLECTION_XML: &str =
    "samples/invalid/bundle-type-not-message/1.6.0/type-collection.xml";

/// The first finding of `rule` in the first file of a JSON report.
fn finding_of<'a>(v: &'a Value, rule: &str) -> &'a Value {
    v["files"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == rule)
        .unwrap_or_else(|| panic!("no `{rule}` finding in {v}"))
}

#[test]
fn clean_file_exits_0_and_says_so() {
    let out = run(&[VALID]);
    assert_eq!(out.status.code(), Some(0));
    // The one-line summary goes to stderr, so stdout stays the report alone.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Checked 1 file: 0 errors"), "{stderr}");
}

#[test]
fn error_findings_exit_1() {
    let out = run(&[TYPE_COLLECTION_XML]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("bundle-type-not-message"), "{stdout}");
    assert!(stdout.contains("type-collection.xml:11:16"), "{stdout}");
}

#[test]
fn warnings_exit_0_unless_denied() {
    let sample = "samples/invalid/xml-encoding-declaration/declared-latin1.xml";
    assert_eq!(run(&[sample]).status.code(), Some(0));
    assert_eq!(run(&["--deny-warnings", sample]).status.code(), Some(1));
}

#[test]
fn missing_path_and_bad_arguments_exit_2() {
    let out = run(&["does/not/exist.xml", VALID]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does/not/exist.xml"));
    // The readable file is still reported.
    assert!(String::from_utf8_lossy(&out.stderr).contains("Checked 1 file"));
    assert_eq!(run(&["--format", "yaml", VALID]).status.code(), Some(2));
    assert_eq!(run(&["--spec", "one", VALID]).status.code(), Some(2));
    assert_eq!(run(&[]).status.code(), Some(2));
}

#[test]
fn json_report_has_the_documented_shape() {
    let out = run(&[
        "--format",
        "json",
        "--spec",
        "1.6.0",
        TYPE_COLLECTION_JSON,
        VALID,
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    let files = v["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    let f = &files[0];
    assert_eq!(f["path"], TYPE_COLLECTION_JSON);
    assert_eq!(f["kind"], "message");
    assert_eq!(f["spec"], "1.6.0");
    assert_eq!(f["use_case"], "cs");
    let finding = finding_of(&v, "bundle-type-not-message");
    for key in [
        "rule",
        "requirement",
        "severity",
        "message",
        "location",
        "line",
        "column",
    ] {
        assert!(
            finding.get(key).is_some(),
            "finding lacks `{key}`: {finding}"
        );
    }
    assert_eq!(finding["rule"], "bundle-type-not-message");
    assert_eq!(finding["severity"], "error");
    assert_eq!(finding["location"], "Bundle.type");
    assert_eq!(finding["requirement"], "GPCM-C-02");
    assert_eq!(files[1]["findings"].as_array().unwrap().len(), 0);
    assert_eq!(v["summary"]["files"], 2);
    assert_eq!(v["summary"]["errors"], 1);
    assert_eq!(v["summary"]["warnings"], 0);
}

/// Line and column of the first occurrence of `needle` in a file, computed independently of the
/// validator (1-based; columns in characters).
fn position_of(rel: &str, needle: &str) -> (u64, u64) {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap();
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not in {rel}"));
    let before = &text[..at];
    let line = before.matches('\n').count() as u64 + 1;
    let col = before.rsplit('\n').next().unwrap().chars().count() as u64 + 1;
    (line, col)
}

#[test]
fn planted_error_is_reported_at_its_line_and_column_in_json_and_xml() {
    for (file, token) in [
        (TYPE_COLLECTION_JSON, "\"collection\""),
        (TYPE_COLLECTION_XML, "collection\"/>"),
    ] {
        let v = json(&run(&["--format", "json", file]));
        let finding = finding_of(&v, "bundle-type-not-message");
        let (line, col) = position_of(file, token);
        assert_eq!(
            (
                finding["line"].as_u64().unwrap(),
                finding["column"].as_u64().unwrap()
            ),
            (line, col),
            "{file}"
        );
    }
    // A missing element is reported at its parent.
    let rel = "samples/invalid/reference-unresolved/1.6.0/relative-type-id.xml";
    let v = json(&run(&["--format", "json", rel]));
    let finding = finding_of(&v, "reference-unresolved");
    let (line, col) = position_of(rel, "Patient/67963e14");
    assert_eq!(
        (finding["line"].as_u64(), finding["column"].as_u64()),
        (Some(line), Some(col))
    );
}

#[test]
fn stdin_is_read_with_a_dash() {
    let mut child = bin()
        .args(["--format", "json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let bytes =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(TYPE_COLLECTION_JSON)).unwrap();
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v["files"][0]["path"], "<stdin>");
    assert_eq!(
        v["files"][0]["findings"][0]["rule"],
        "bundle-type-not-message"
    );
}

#[test]
fn directories_are_walked_in_sorted_order() {
    let out = run(&[
        "--format",
        "json",
        "samples/invalid/reference-unresolved/1.6.0",
        "samples/valid/1.2.1",
        "samples/valid/1.6.0",
    ]);
    let v = json(&out);
    let paths: Vec<&str> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    let mut expected: Vec<String> = ["contained-missing", "missing-target", "relative-type-id"]
        .iter()
        .flat_map(|c| {
            ["json", "xml"].map(|x| format!("samples/invalid/reference-unresolved/1.6.0/{c}.{x}"))
        })
        .collect();
    // The valid directories grow with the packs: list them independently, in byte order.
    for dir in ["samples/valid/1.2.1", "samples/valid/1.6.0"] {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert!(names.len() >= 2, "{dir} holds samples");
        expected.extend(names.iter().map(|n| format!("{dir}/{n}")));
    }
    assert_eq!(paths, expected);
}

#[test]
fn output_is_deterministic() {
    let a = run(&["--format", "json", "samples"]);
    let b = run(&["--format", "json", "samples"]);
    assert_eq!(a.stdout, b.stdout);
    let h1 = run(&["samples/invalid"]);
    let h2 = run(&["samples/invalid"]);
    assert_eq!(h1.stdout, h2.stdout);
}

#[test]
fn kind_is_detected_from_content_not_extension() {
    let dir = tempfile::tempdir().unwrap();
    let misnamed = dir.path().join("message.json");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(TYPE_COLLECTION_XML),
        &misnamed,
    )
    .unwrap();
    let v = json(&run(&["--format", "json", misnamed.to_str().unwrap()]));
    assert_eq!(v["files"][0]["kind"], "message");
    assert_eq!(
        v["files"][0]["findings"][0]["rule"],
        "bundle-type-not-message"
    );
}

#[test]
fn rules_and_explain_describe_the_rules() {
    let out = run(&["rules"]);
    assert_eq!(out.status.code(), Some(0));
    let listing = String::from_utf8_lossy(&out.stdout);
    for name in [
        "bundle-type-not-message",
        "reference-unresolved",
        "json-duplicate-key",
        "xml-doctype",
    ] {
        assert!(listing.contains(name), "{name} missing from:\n{listing}");
    }
    let out = run(&["explain", "reference-unresolved"]);
    assert_eq!(out.status.code(), Some(0));
    let docs = String::from_utf8_lossy(&out.stdout);
    for heading in [
        "## What it checks",
        "## Why it matters",
        "## Example",
        "## References",
    ] {
        assert!(docs.contains(heading), "{heading} missing");
    }
    assert_eq!(run(&["explain", "no-such-rule"]).status.code(), Some(2));
}

#[test]
fn rules_for_a_release_show_its_requirement_ids() {
    let out = run(&["rules", "--spec", "1.2.1"]);
    assert_eq!(out.status.code(), Some(0));
    let listing = String::from_utf8_lossy(&out.stdout);
    let line = listing
        .lines()
        .find(|l| l.starts_with("handling-bus-ack-not-requested"))
        .unwrap();
    assert!(line.contains("GPCM-SD-040"), "{line}");
    // Composition-model rules do not apply to 1.2.1.
    assert!(
        !listing.contains("payload-bundle-type-not-document"),
        "{listing}"
    );
    let v: Value =
        serde_json::from_slice(&run(&["rules", "--spec", "1.6.0", "--format", "json"]).stdout)
            .unwrap();
    let rule = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "message-header-event-wrong")
        .unwrap();
    let ids: Vec<&str> = rule["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"GPCM-SD-CS-051") && ids.contains(&"GPCM-SD-OC-150"),
        "{ids:?}"
    );
    assert_eq!(run(&["rules", "--spec", "9.9.9"]).status.code(), Some(2));
}

#[test]
fn coverage_reports_implemented_of_checkable_requirements() {
    let out = run(&["rules", "--coverage", "--spec", "1.6.0", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["spec"], "1.6.0");
    let reqs = v["requirements"].as_array().unwrap();
    let checkable = reqs.iter().filter(|r| r["class"] != "offline").count();
    let implemented = reqs
        .iter()
        .filter(|r| r["class"] != "offline" && !r["rules"].as_array().unwrap().is_empty())
        .count();
    assert_eq!(v["checkable"], checkable);
    assert_eq!(v["implemented"], implemented);
    let event = reqs.iter().find(|r| r["id"] == "GPCM-SD-CS-051").unwrap();
    assert_eq!(event["class"], "bundle");
    assert_eq!(
        event["rules"],
        serde_json::json!([
            "message-header-event-display-wrong",
            "message-header-event-system-wrong",
            "message-header-event-wrong"
        ])
    );
    let human = String::from_utf8_lossy(&run(&["rules", "--coverage", "--spec", "1.6.0"]).stdout)
        .to_string();
    assert!(
        human.starts_with(&format!(
            "1.6.0: {implemented} of {checkable} checkable requirements implemented"
        )),
        "{human}"
    );
}

#[test]
fn explain_finds_rules_by_requirement_id_in_a_release() {
    let out = run(&["explain", "GPCM-SD-CS-048", "--spec", "1.6.0"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("handling-local-extension-wrong (error)"),
        "{text}"
    );
    assert!(
        text.contains("defined in: packs/core/envelope.toml"),
        "{text}"
    );
    assert!(text.contains("1.6.0   GPCM-SD-CS-048 (cs)"), "{text}");
    // The same ID means something else in 1.2.1 (a Task-model rule, not implemented yet here).
    assert_eq!(
        run(&["explain", "GPCM-SD-CS-048", "--spec", "1.2.1"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn select_and_ignore_filter_by_rule_name_or_requirement_prefix() {
    let file = "samples/invalid/bundle-type-not-message/1.6.0/type-collection.json";
    let count = |args: &[&str]| {
        let mut all = vec!["--format", "json", "--spec", "1.6.0"];
        all.extend_from_slice(args);
        all.push(file);
        json(&run(&all))["summary"]["errors"].as_u64().unwrap()
    };
    assert_eq!(count(&[]), 1);
    assert_eq!(count(&["--ignore", "bundle-type-not-message"]), 0);
    assert_eq!(
        count(&["--ignore", "GPCM-C"]),
        0,
        "prefix on a segment boundary"
    );
    assert_eq!(
        count(&["--ignore", "GPCM-C-0"]),
        1,
        "not a segment boundary"
    );
    assert_eq!(count(&["--select", "reference-unresolved"]), 0);
    assert_eq!(count(&["--select", "GPCM-C-02,reference-unresolved"]), 1);
    let out = run(&[
        "--ignore",
        "bundle-type-not-message",
        "--spec",
        "1.6.0",
        file,
    ]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn external_profiles_replace_the_embedded_ones_and_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles");
    for f in ["spec.toml", "aliases.toml"] {
        std::fs::copy(root.join(f), dir.path().join(f)).unwrap();
    }
    std::fs::create_dir_all(dir.path().join("packs")).unwrap();
    std::fs::copy(
        root.join("packs/core/envelope.toml"),
        dir.path().join("packs/envelope.toml"),
    )
    .unwrap();
    let d = dir.path().to_str().unwrap();
    let out = run(&["profiles", "--profiles", d]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(
        run(&["--profiles", d, "--spec", "1.6.0", TYPE_COLLECTION_JSON])
            .status
            .code(),
        Some(1)
    );
    std::fs::write(
        dir.path().join("packs/extra.toml"),
        "[[rule]]\nname = \"x\"\n",
    )
    .unwrap();
    let out = run(&["--profiles", d, VALID]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("packs/extra.toml"), "{err}");
    assert_eq!(run(&["profiles"]).status.code(), Some(0));

    // Patterns are compiled when a message first needs them, except in packs given with
    // `--profiles`: a broken one is reported as the packs load, whatever is validated.
    let docs = "docs = \"\"\"x\n\n## What it checks\nx\n\n## Why it matters\nx\n\n## Example\nx\n\n## References\n- x\n\"\"\"\n";
    std::fs::write(
        dir.path().join("packs/extra.toml"),
        format!(
            "[[rule]]\nname = \"broken-pattern\"\nseverity = \"error\"\nsummary = \"x.\"\n\
             message = \"x\"\nhelp = \"x\"\napplies = [\"mesh-report\"]\n\
             select = \"StatusRecord.DateTime\"\ncheck = {{ kind = \"pattern\", regex = \"[0-9\" }}\n{docs}"
        ),
    )
    .unwrap();
    let out = run(&["--profiles", d, VALID]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("broken-pattern") && err.contains("bad regex"),
        "{err}"
    );
}

#[test]
fn explain_gives_the_meaning_of_itk_response_codes() {
    let out = run(&["explain", "30002"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("30002 Patient not known here"), "{text}");
    assert!(text.contains("business response, negative"), "{text}");
    assert!(
        text.contains("`fatal-error`") && text.contains("`not-found`"),
        "{text}"
    );
    assert!(text.contains("what the sender should do:"), "{text}");
    let out = run(&["explain", "20013"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("infrastructure response, positive"));
    for retired in ["41001", "51013", "RC999"] {
        let out = run(&["explain", retired]);
        assert_eq!(out.status.code(), Some(0), "{retired}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("retired"),
            "{retired}"
        );
    }
    assert_eq!(
        run(&["explain", "10006"]).status.code(),
        Some(2),
        "there is no 10006"
    );
}

/// Every code of the official ITK-ResponseCodes-1 CodeSystem has an entry, and no other.
#[test]
fn response_codes_match_the_official_code_system() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "../shared/conformance/STU3-FHIR-Assets/CodeSystems/CodeSystem-ITK-ResponseCodes-1.xml",
    );
    let Ok(xml) = std::fs::read_to_string(&path) else {
        println!("skipped: ../shared not present");
        return;
    };
    let official: Vec<&str> = xml
        .split("<code value=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .collect();
    let registry = gpcm_validate::rules::Registry::builtin().unwrap();
    let ours: Vec<&str> = registry
        .profile
        .response_codes
        .iter()
        .map(|c| c.code.as_str())
        .collect();
    assert_eq!(ours, official);
}

/// Validates `text` given on stdin with `args`, returning the JSON report.
/// The rules of the first file's findings in a JSON report, in order.
fn rule_names(report: &Value) -> Vec<&str> {
    report["files"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect()
}

fn validate_stdin(args: &[&str], text: &str) -> Value {
    let mut child = bin()
        .args(args)
        .args(["--format", "json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    json(&child.wait_with_output().unwrap())
}

#[test]
fn one_bad_value_gives_one_finding_the_pack_rules() {
    // `mesage` breaks both the pack rule (Bundle.type fixed to `message`) and STU3's required
    // binding of Bundle.type; only the pack rule, which names the requirement, reports it.
    let valid = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/valid/1.6.0/consultation-report.json"),
    )
    .unwrap();
    let broken = valid.replacen("\"type\": \"message\"", "\"type\": \"mesage\"", 1);
    assert_ne!(broken, valid);
    let v = validate_stdin(&["--spec", "1.6.0"], &broken);
    let rules = rule_names(&v);
    assert_eq!(rules, ["bundle-type-not-message"]);
    // Without the pack rule the STU3 binding still reports the value.
    let v = validate_stdin(
        &["--spec", "1.6.0", "--ignore", "bundle-type-not-message"],
        &broken,
    );
    assert_eq!(
        v["files"][0]["findings"][0]["rule"],
        "code-not-in-value-set"
    );
}

#[test]
fn a_misspelt_resource_type_is_reported_once_not_by_every_reference_to_it() {
    // `Patinet` is no STU3 type: the structural pass reports it, and the rules about what a
    // reference must point at (Composition.subject is a Patient) leave it alone.
    let valid = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/valid/1.6.0/consultation-report.json"),
    )
    .unwrap();
    let broken = valid.replacen(
        "\"resourceType\": \"Patient\"",
        "\"resourceType\": \"Patinet\"",
        1,
    );
    assert_ne!(broken, valid);
    let v = validate_stdin(&["--spec", "1.6.0"], &broken);
    let rules = rule_names(&v);
    assert_eq!(rules, ["resource-type-unknown"]);
    // A real resource of the wrong type is still the reference rule's finding.
    let wrong = valid.replacen(
        "\"resourceType\": \"Patient\"",
        "\"resourceType\": \"Device\"",
        1,
    );
    let v = validate_stdin(&["--spec", "1.6.0"], &wrong);
    let rules = rule_names(&v);
    assert!(rules.contains(&"composition-subject-wrong"), "{rules:?}");
}
