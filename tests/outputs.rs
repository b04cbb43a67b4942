//! Output formats and run behaviour: a snapshot of every `--format` on a fixed set of samples;
//! the SARIF log against the official SARIF 2.1.0 schema; JUnit well-formedness and GitHub
//! annotation escaping with hostile text; `--output`, `--quiet` and the stderr summary; and
//! parallel runs giving byte-identical output to `--jobs 1`.

mod common;

use common::*;
use gpcm_validate::document::{SourceFile, Span};
use gpcm_validate::emit::{EmitConfig, OutputFormat};
use gpcm_validate::finding::{Label, Severity};
use gpcm_validate::input::InputKind;
use gpcm_validate::validate::{validate_bytes, FileReport, Options};
use serde_json::Value;
use std::path::Path;
use std::process::Output;
use std::sync::Arc;

const INVALID: &str = "samples/invalid/reference-unresolved/1.6.0/relative-type-id.xml";
const WARNING: &str = "samples/invalid/xml-encoding-declaration/declared-latin1.xml";
const CLEAN: &str = "samples/valid/1.6.0/consultation-report.xml";

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("output is UTF-8")
}

/// The snapshot run: one error, one warning and one clean file, pinned to 1.6.0.
fn report(format: &str) -> String {
    let out = run(&[
        "--spec", "1.6.0", "--format", format, INVALID, WARNING, CLEAN,
    ]);
    assert_eq!(out.status.code(), Some(1), "{format}: {out:?}");
    stdout(&out)
}

macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({ snapshot_path => "snapshots/outputs", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

macro_rules! json_snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({ snapshot_path => "snapshots/outputs", prepend_module_to_snapshot => false }, {
            insta::assert_json_snapshot!($name, $value);
        })
    };
}

#[test]
fn human_snapshot() {
    snapshot!("human", report("human"));
}

#[test]
fn json_snapshot() {
    let v: Value = serde_json::from_str(&report("json")).unwrap();
    json_snapshot!("json", v);
}

#[test]
fn junit_snapshot() {
    snapshot!("junit", report("junit"));
}

#[test]
fn github_snapshot() {
    snapshot!("github", report("github"));
}

#[test]
fn operation_outcome_snapshot() {
    let v: Value = serde_json::from_str(&report("operation-outcome")).unwrap();
    json_snapshot!("operation-outcome", v);
}

/// The SARIF snapshot without the parts that change whenever a rule is added anywhere (the
/// rule list, rule indices) or the crate is released; those are checked in
/// `sarif_rules_come_from_the_registry`.
#[test]
fn sarif_snapshot() {
    let mut v: Value = serde_json::from_str(&report("sarif")).unwrap();
    let driver = &mut v["runs"][0]["tool"]["driver"];
    driver["rules"] = "[every rule of the registry]".into();
    driver["version"] = "[version]".into();
    driver["semanticVersion"] = "[version]".into();
    for result in v["runs"][0]["results"].as_array_mut().unwrap() {
        result["ruleIndex"] = "[index]".into();
    }
    json_snapshot!("sarif", v);
}

/// The official SARIF 2.1.0 schema, compiled without any network access: it is embedded and
/// refers only to itself.
fn sarif_validator() -> jsonschema::Validator {
    let schema: Value =
        serde_json::from_str(include_str!("data/sarif-schema-2.1.0.json")).expect("schema parses");
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

fn assert_valid_sarif(log: &Value) {
    let validator = sarif_validator();
    let errors: Vec<String> = validator
        .iter_errors(log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF schema violations:\n{}",
        errors.join("\n")
    );
}

/// A report with hostile text everywhere a format copies text: path, message, help, location.
fn hostile_report() -> FileReport {
    let text = "{\"a\": \"ü😀\", \"b\": 1}\n".to_string();
    let source = Arc::new(SourceFile::new("dir with space/a,b:c%d<e>&\"f'.json", text));
    // Built from a registered rule's metadata and then overwritten field by field, so the test
    // does not depend on every field `Finding` has.
    let finding = |severity, rule: &str| {
        let mut f = registry().get("element-unknown").unwrap().meta.finding("");
        f.rule = rule.to_string();
        f.requirement = Some("GPCM-X,1:2".into());
        f.severity = severity;
        f.message =
            "50% of `<a&b>` \"quoted\" 'single'\r\nsecond line\u{1}\u{b}\u{fffe} ]]> end, a:b"
                .into();
        f.help = Some("Fix: it, now%0A\n".into());
        f.label = Some(Label {
            span: Span::new(17, 18),
            text: Some("here <&>".into()),
        });
        f.related = vec![Label {
            span: Span::new(1, 4),
            text: Some("first".into()),
        }];
        f.location = Some("Bundle.entry[0].resource.where(x = '<&>')".into());
        f
    };
    FileReport {
        path: source.path.clone(),
        kind: InputKind::Message,
        spec: Some("1.6.0".into()),
        use_case: Some("cs".into()),
        source,
        findings: vec![
            finding(Severity::Error, "element-unknown"),
            finding(Severity::Warning, "xml-encoding-declaration"),
            finding(Severity::Information, "spec-version-assumed"),
            finding(Severity::Error, "not-a-registered-rule"),
        ],
    }
}

#[test]
fn sarif_validates_against_the_official_schema() {
    // Every sample (every rule that has one), plus hostile text and an absolute path.
    let mut reports: Vec<FileReport> = sample_files("samples")
        .iter()
        .map(|rel| validate_file(rel))
        .collect();
    reports.push(hostile_report());
    let abs = Path::new(env!("CARGO_MANIFEST_DIR")).join(INVALID);
    let bytes = std::fs::read(&abs).unwrap();
    reports.push(validate_bytes(
        registry(),
        &Options::default(),
        abs.display().to_string(),
        bytes,
    ));
    let mut log: Value = serde_json::from_str(&render(OutputFormat::Sarif, &reports)).unwrap();
    assert_valid_sarif(&log);
    // The check has teeth: a log the schema forbids is refused.
    let good = log["runs"][0]["columnKind"].clone();
    log["runs"][0]["columnKind"] = "bytes".into();
    assert!(!sarif_validator().is_valid(&log));
    log["runs"][0]["columnKind"] = good;
    // ... and so is a URI that is not one (formats are asserted).
    let uri = &mut log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
        ["artifactLocation"]["uri"];
    let good = uri.clone();
    *uri = "dir with space/<file>.xml".into();
    assert!(!sarif_validator().is_valid(&log));
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] =
        good;
    let results = log["runs"][0]["results"].as_array().unwrap();
    let findings: usize = reports.iter().map(|r| r.findings.len()).sum();
    assert_eq!(results.len(), findings);
    let last = &results[results.len() - 1];
    assert!(
        last["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .starts_with("file:///"),
        "{last}"
    );
    // The CLI's own log (with the run's registry) is valid too, clean runs included.
    for args in [
        &["--format", "sarif", CLEAN][..],
        &["--format", "sarif", "samples/invalid"],
    ] {
        let out = run(args);
        assert_valid_sarif(&serde_json::from_slice(&out.stdout).unwrap());
    }
}

#[test]
fn sarif_rules_come_from_the_registry() {
    let log: Value = serde_json::from_str(&report("sarif")).unwrap();
    let run = &log["runs"][0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let all = registry().all();
    assert_eq!(rules.len(), all.len());
    for (rule, info) in rules.iter().zip(&all) {
        let name = info.meta.name.as_ref();
        assert_eq!(rule["id"], name);
        assert_eq!(rule["name"], name);
        assert_eq!(rule["shortDescription"]["text"], info.meta.summary.as_ref());
        assert_eq!(rule["help"]["markdown"], info.meta.docs.as_ref());
        let level = match info.meta.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Information => "note",
        };
        assert_eq!(rule["defaultConfiguration"]["level"], level, "{name}");
        // A rule whose `## References` cite a web page links to the first one. (Only the
        // detection notices cite no URL today.)
        let references = info.meta.docs.split("## References").nth(1).unwrap_or("");
        match rule["helpUri"].as_str() {
            Some(uri) => {
                assert!(uri.starts_with("http"), "{name}: {uri}");
                assert!(references.contains(uri), "{name}: {uri}");
            }
            None => assert!(!references.contains("http"), "{name}: no helpUri"),
        }
        let ids: Vec<&str> = rule["properties"]["requirements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        let expected: Vec<&str> = info.requirements.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, expected, "{name}");
    }
    for result in run["results"].as_array().unwrap() {
        let i = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], result["ruleId"]);
    }
}

#[test]
fn sarif_columns_count_code_points() {
    // `😀` is one code point but two UTF-16 code units: the finding after it on the same line
    // must be at the column a code-point count gives.
    let text = r#"{"resourceType": "Bundle", "id": "😀😀", "type": "collection"}"#;
    let report = validate_bytes(
        registry(),
        &Options::default(),
        "emoji.json".into(),
        text.as_bytes().to_vec(),
    );
    let log: Value = serde_json::from_str(&render(OutputFormat::Sarif, &[report])).unwrap();
    let result = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "bundle-type-not-message")
        .expect("bundle-type-not-message reported");
    let region = &result["locations"][0]["physicalLocation"]["region"];
    let at = text.find("\"collection\"").unwrap();
    let column = text[..at].chars().count() as u64 + 1;
    assert_eq!(region["startColumn"].as_u64(), Some(column));
    assert_eq!(
        region["endColumn"].as_u64(),
        Some(column + "\"collection\"".chars().count() as u64)
    );
}

/// Parses an XML document completely, returning every attribute value and text node
/// unescaped, or the first well-formedness error.
fn parse_xml(xml: &str) -> Result<Vec<String>, String> {
    use quick_xml::events::Event;
    if let Some(c) = xml.chars().find(|&c| {
        matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
    }) {
        return Err(format!("character {c:?} is not allowed in XML 1.0"));
    }
    let mut reader = quick_xml::Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    let mut values = Vec::new();
    let mut text = String::new();
    let (mut depth, mut roots) = (0usize, 0usize);
    loop {
        let event = reader.read_event().map_err(|e| e.to_string())?;
        if !matches!(event, Event::Text(_) | Event::GeneralRef(_)) && !text.is_empty() {
            values.push(std::mem::take(&mut text));
        }
        match &event {
            Event::Start(e) | Event::Empty(e) => {
                if depth == 0 {
                    roots += 1;
                }
                for attr in e.attributes() {
                    let attr = attr.map_err(|e| e.to_string())?;
                    let value = attr
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|e| e.to_string())?;
                    values.push(value.into_owned());
                }
                if matches!(event, Event::Start(_)) {
                    depth += 1;
                }
            }
            Event::End(_) => depth -= 1,
            Event::Text(t) => {
                if depth == 0 && !t.xml10_content().trim().is_empty() {
                    return Err("text outside the root element".into());
                }
                text.push_str(&t.xml10_content());
            }
            Event::GeneralRef(r) => {
                if let Some(c) = r.resolve_char_ref().map_err(|e| e.to_string())? {
                    text.push(c);
                } else {
                    let name: &str = r.as_ref();
                    let resolved = quick_xml::escape::resolve_predefined_entity(name)
                        .ok_or_else(|| format!("unknown entity &{name};"))?;
                    text.push_str(resolved);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if depth != 0 || roots != 1 {
        return Err(format!("{roots} root elements, {depth} left open"));
    }
    Ok(values)
}

#[test]
fn junit_is_well_formed_and_keeps_the_text() {
    let hostile = hostile_report();
    let mut reports: Vec<FileReport> = sample_files("samples")
        .iter()
        .map(|rel| validate_file(rel))
        .collect();
    reports.push(hostile_report());
    let xml = render(OutputFormat::Junit, &reports);
    let values = parse_xml(&xml).unwrap_or_else(|e| panic!("JUnit output is not XML: {e}\n{xml}"));
    // Escaping round-trips; only characters XML cannot carry at all are replaced.
    let message = &hostile.findings[0].message;
    let carried = message.replace(['\u{1}', '\u{b}', '\u{fffe}'], "\u{fffd}");
    assert!(values.contains(&hostile.path), "path lost: {values:?}");
    // The attribute keeps `\r\n` as character references; element text is normalised to `\n`.
    assert!(
        values.contains(&carried),
        "message attribute lost: {values:?}"
    );
    assert!(
        values.iter().any(
            |v| v.contains(&carried) && v.contains("Bundle.entry[0].resource.where(x = '<&>')")
        ),
        "failure text lost: {values:?}"
    );
    // A suite per file, a case per finding, a passing case for a clean file.
    let suites = xml.matches("<testsuite ").count();
    assert_eq!(suites, reports.len());
    let cases = xml.matches("<testcase ").count();
    let expected: usize = reports.iter().map(|r| r.findings.len().max(1)).sum();
    assert_eq!(cases, expected);
    // Errors fail; the warning and the notice do not, unless warnings are denied.
    let one = |deny_warnings| {
        let mut out = Vec::new();
        let config = EmitConfig {
            deny_warnings,
            ..EmitConfig::new(false)
        };
        let mut emitter = OutputFormat::Junit.emitter_with(&config);
        let mut summary = gpcm_validate::emit::Summary::default();
        emitter.begin(&mut out).unwrap();
        summary.add(&hostile);
        emitter.file(&mut out, &hostile).unwrap();
        emitter.end(&mut out, &summary).unwrap();
        String::from_utf8(out).unwrap()
    };
    assert_eq!(one(false).matches("<failure ").count(), 2);
    assert_eq!(one(true).matches("<failure ").count(), 3);
    assert!(one(false).contains("failures=\"2\""));
}

#[test]
fn github_annotations_escape_data_and_properties() {
    let out = render(OutputFormat::Github, &[hostile_report()]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines.len(),
        4,
        "one line per finding, newlines escaped:\n{out}"
    );
    assert_eq!(
        lines[0],
        "::error file=dir with space/a%2Cb%3Ac%25d<e>&\"f'.json,line=1,col=14,endLine=1,endColumn=15,\
         title=element-unknown (GPCM-X%2C1%3A2)::50%25 of `<a&b>` \"quoted\" 'single'%0D%0Asecond \
         line\u{1}\u{b}\u{fffe} ]]> end, a:b%0AFix: it, now%250A%0A%0Aat \
         Bundle.entry[0].resource.where(x = '<&>')"
    );
    assert!(lines[1].starts_with("::warning file="));
    assert!(lines[2].starts_with("::notice file="));
    // Information on the real samples maps the same way.
    let unpinned = run(&["--format", "github", CLEAN]);
    assert_eq!(unpinned.status.code(), Some(0));
    assert!(stdout(&unpinned)
        .starts_with("::notice file=samples/valid/1.6.0/consultation-report.xml,line="));
}

#[test]
fn operation_outcome_codes_are_stu3_issue_types() {
    // The STU3 IssueType value set (http://hl7.org/fhir/STU3/valueset-issue-type.html).
    const ISSUE_TYPES: &[&str] = &[
        "invalid",
        "structure",
        "required",
        "value",
        "invariant",
        "security",
        "login",
        "unknown",
        "expired",
        "forbidden",
        "suppressed",
        "processing",
        "not-supported",
        "duplicate",
        "not-found",
        "too-long",
        "code-invalid",
        "extension",
        "too-costly",
        "business-rule",
        "conflict",
        "incomplete",
        "transient",
        "lock-error",
        "no-store",
        "exception",
        "timeout",
        "throttled",
        "informational",
    ];
    for rule in registry().all() {
        let f = rule.meta.finding("x");
        let code = gpcm_validate::emit::issue_code(&f);
        assert!(ISSUE_TYPES.contains(&code), "{}: {code}", rule.meta.name);
    }
    let v: Value =
        serde_json::from_str(&render(OutputFormat::OperationOutcome, &[hostile_report()])).unwrap();
    let issue = &v["entry"][0]["resource"]["issue"][0];
    assert_eq!(
        issue["extension"][0]["url"],
        "http://hl7.org/fhir/StructureDefinition/operationoutcome-issue-line"
    );
    assert_eq!(issue["extension"][0]["valueInteger"], 1);
    assert_eq!(
        issue["extension"][1]["url"],
        "http://hl7.org/fhir/StructureDefinition/operationoutcome-issue-col"
    );
    assert_eq!(issue["extension"][1]["valueInteger"], 14);
    assert_eq!(issue["code"], "structure");
    assert_eq!(
        issue["expression"][0],
        "Bundle.entry[0].resource.where(x = '<&>')"
    );
}

#[test]
fn output_file_quiet_and_summary_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.sarif");
    let file_arg = file.to_str().unwrap();
    let out = run(&["--format", "sarif", "--output", file_arg, INVALID]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert_valid_sarif(&serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap());

    // Human: findings on stdout, the summary line on stderr.
    let out = run(&["--spec", "1.6.0", INVALID]);
    assert!(stdout(&out).contains("reference-unresolved"));
    assert!(!stdout(&out).contains("Checked"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.trim(),
        "Checked 1 file: 1 error, 0 warnings, 0 information"
    );

    // Quiet: nothing at all, the exit status still tells.
    let out = run(&["--quiet", INVALID]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:?}");
    let out = run(&["-q", CLEAN]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:?}");
    // ... except why the run could not happen.
    let out = run(&["--quiet", "does/not/exist.xml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does/not/exist.xml"));
    // `--quiet --output` still writes the report.
    let out = run(&["-q", "--format", "json", "-o", file_arg, INVALID]);
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
    let v: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(v["summary"]["errors"], 1);
    // An unwritable output is a failure to run.
    let out = run(&["-o", "does/not/exist/report.txt", INVALID]);
    assert_eq!(out.status.code(), Some(2));
    // `--jobs 0` is refused.
    assert_eq!(run(&["--jobs", "0", INVALID]).status.code(), Some(2));
}

#[test]
fn parallel_runs_are_byte_identical_to_one_job() {
    for format in [
        "human",
        "json",
        "sarif",
        "junit",
        "github",
        "operation-outcome",
    ] {
        let serial = run(&[
            "--format",
            format,
            "--jobs",
            "1",
            "samples",
            "does/not/exist.xml",
        ]);
        assert_eq!(serial.status.code(), Some(2));
        for jobs in ["2", "3", "8"] {
            let parallel = run(&[
                "--format",
                format,
                "--jobs",
                jobs,
                "samples",
                "does/not/exist.xml",
            ]);
            assert_eq!(
                parallel.status.code(),
                serial.status.code(),
                "{format} -j{jobs}"
            );
            assert!(
                parallel.stdout == serial.stdout,
                "{format}: --jobs {jobs} output differs from --jobs 1"
            );
            assert_eq!(parallel.stderr, serial.stderr, "{format} -j{jobs}");
        }
    }
}
