//! Files validated together: a MESH control file or headers with their message, a response with
//! its request. Every pairing fixture (`samples/invalid/<rule>/<release>/<case>/`) reports its
//! rule and nothing else, with snapshots; a MESH client folder is reported completely, each file
//! once, in order; `--ctl`, `--headers` and `--response` pair explicitly; and a file given alone
//! is reported exactly as before pairing existed.

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// `(file name, rule)` of every finding of a JSON report, in output order.
fn findings(v: &Value) -> Vec<(String, String)> {
    v["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| {
            let name = Path::new(f["path"].as_str().unwrap())
                .file_name()
                .unwrap()
                .to_string_lossy()
                .to_string();
            f["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |x| (name.clone(), x["rule"].as_str().unwrap().to_string()))
        })
        .collect()
}

fn paths(v: &Value) -> Vec<String> {
    v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect()
}

/// The pairing fixtures: folders under `samples/invalid/<rule>/<release>/`.
fn fixtures() -> Vec<String> {
    let mut dirs: Vec<String> = sample_files("samples/invalid")
        .into_iter()
        .filter(|rel| rel.split('/').count() == 6)
        .map(|rel| rel.rsplit_once('/').unwrap().0.to_string())
        .collect();
    dirs.dedup();
    dirs
}

/// The command line a fixture is validated with: the folder, or (`explicit-…` cases) the
/// request with `--ctl` / `--headers` / `--response`.
fn fixture_args(dir: &str) -> Vec<String> {
    let parts: Vec<&str> = dir.split('/').collect();
    let (release, case) = (parts[3], parts[4]);
    let mut args = vec!["--spec".to_string(), release.to_string()];
    if !case.starts_with("explicit") {
        args.push(dir.to_string());
        return args;
    }
    let mut files: Vec<String> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    files.sort();
    for f in files {
        let path = format!("{dir}/{f}");
        if f.starts_with("request.") {
            args.push(path);
        } else if f.ends_with(".ctl") {
            args.extend(["--ctl".to_string(), path]);
        } else if f.ends_with(".headers") {
            args.extend(["--headers".to_string(), path]);
        } else {
            args.extend(["--response".to_string(), path]);
        }
    }
    args
}

#[test]
fn pairing_fixtures_report_their_rule_and_match_snapshots() {
    let dirs = fixtures();
    assert!(dirs.len() >= 20, "{dirs:?}");
    for dir in dirs {
        let rule = dir.split('/').nth(2).unwrap();
        let args = fixture_args(&dir);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut with_format = args.clone();
        with_format.extend(["--format", "json"]);
        let out = run(&with_format);
        let v = json(&out);
        let got = findings(&v);
        assert!(
            got.iter().any(|(_, r)| r == rule),
            "{dir}: `{rule}` not reported, got {got:?}"
        );
        let others: Vec<_> = got.iter().filter(|(_, r)| r != rule).collect();
        assert!(
            others.is_empty(),
            "{dir}: expected only `{rule}`, got {others:?}"
        );
        let human = run(&args);
        let name = dir
            .trim_start_matches("samples/invalid/")
            .replace('/', "__");
        insta::with_settings!({ snapshot_path => "snapshots/pairing", prepend_module_to_snapshot => false, input_file => &dir }, {
            insta::assert_snapshot!(format!("{name}.human"), String::from_utf8_lossy(&human.stdout));
            insta::assert_json_snapshot!(format!("{name}.json"), v);
        });
    }
}

#[test]
fn every_pairing_snapshot_belongs_to_a_fixture() {
    let dir = root().join("tests/snapshots/pairing");
    let fixtures = fixtures();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    let mut stale = Vec::new();
    for entry in entries {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        let stem = name
            .strip_suffix(".human.snap")
            .or_else(|| name.strip_suffix(".json.snap"));
        let fixture = stem.map(|s| format!("samples/invalid/{}", s.replace("__", "/")));
        if !fixture.is_some_and(|f| fixtures.contains(&f)) {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "snapshots without a fixture (delete them): {stale:?}"
    );
}

fn copy(from: &str, to: &Path) {
    std::fs::copy(root().join(from), to).unwrap_or_else(|e| panic!("{from}: {e}"));
}

/// A MESH client OUT folder with three pairs (one of them JSON in a `.dat`), a control file
/// whose data file is missing, and a data file that is not well-formed and has no control file.
#[test]
fn a_mesh_client_folder_is_reported_completely_each_file_once() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("OUT");
    std::fs::create_dir(&out).unwrap();
    copy(
        "samples/valid/1.6.0/consultation-report.xml",
        &out.join("a.dat"),
    );
    copy(
        "samples/valid/mesh/1.6.0/consultation-report.ctl",
        &out.join("a.ctl"),
    );
    copy(
        "samples/valid/1.6.0/consultation-report.json",
        &out.join("b.dat"),
    );
    copy(
        "samples/valid/mesh/1.6.0/consultation-report.ctl",
        &out.join("b.ctl"),
    );
    copy(
        "samples/valid/2.0.0/consultation-report.xml",
        &out.join("c.dat"),
    );
    copy(
        "samples/valid/mesh/2.0.0/consultation-report.ctl",
        &out.join("c.ctl"),
    );
    copy(
        "samples/valid/mesh/1.6.0/consultation-report.ctl",
        &out.join("d.ctl"),
    );
    std::fs::write(
        out.join("e.dat"),
        "<Bundle xmlns=\"http://hl7.org/fhir\"><id value=\"x\"/>",
    )
    .unwrap();
    let dir = out.to_string_lossy().to_string();
    let single = run(&["--format", "json", "-j", "1", &dir]);
    let parallel = run(&["--format", "json", "-j", "4", &dir]);
    assert_eq!(
        single.stdout, parallel.stdout,
        "output depends on the thread count"
    );
    assert_eq!(single.status.code(), Some(1));
    let v = json(&single);
    let names: Vec<String> = paths(&v)
        .iter()
        .map(|p| {
            Path::new(p)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .to_string()
        })
        .collect();
    assert_eq!(
        names,
        ["a.ctl", "a.dat", "b.ctl", "b.dat", "c.ctl", "c.dat", "d.ctl", "e.dat"],
        "each file once, in order"
    );
    let errors: Vec<(String, String)> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| {
            let name = Path::new(f["path"].as_str().unwrap())
                .file_name()
                .unwrap()
                .to_string_lossy()
                .to_string();
            f["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|x| x["severity"] != "information")
                .map(move |x| (name.clone(), x["rule"].as_str().unwrap().to_string()))
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("d.ctl", "mesh-control-unpaired"),
        ("e.dat", "mesh-data-unpaired"),
        ("e.dat", "xml-not-well-formed"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    let mut got = errors.clone();
    got.sort();
    assert_eq!(got, expected, "{v}");
    // The pairs took their message's release: the v2 control file is validated as 2.0.0.
    let kinds: BTreeMap<String, (String, Value)> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let name = Path::new(f["path"].as_str().unwrap())
                .file_name()
                .unwrap()
                .to_string_lossy()
                .to_string();
            (
                name,
                (f["kind"].as_str().unwrap().to_string(), f["spec"].clone()),
            )
        })
        .collect();
    assert_eq!(
        kinds["b.dat"].0, "message",
        "kind from content, not the name"
    );
    assert_eq!(kinds["c.ctl"].1, "2.0.0");
    assert_eq!(kinds["e.dat"].0, "unknown");
}

#[test]
fn a_request_and_its_responses_pair_in_a_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    copy(
        "samples/valid/1.6.0/consultation-report.xml",
        &d.join("report.dat"),
    );
    copy(
        "samples/valid/mesh/1.6.0/consultation-report.ctl",
        &d.join("report.ctl"),
    );
    copy(
        "samples/valid/mesh/1.6.0/acknowledgement.xml",
        &d.join("ack.dat"),
    );
    copy(
        "samples/valid/mesh/1.6.0/acknowledgement.ctl",
        &d.join("ack.ctl"),
    );
    let dir = d.to_string_lossy().to_string();
    let v = json(&run(&["--spec", "1.6.0", "--format", "json", &dir]));
    assert_eq!(paths(&v).len(), 4);
    assert!(findings(&v).is_empty(), "{v}");
    // A second infrastructure response to the same request.
    copy(
        "samples/invalid/response-duplicate/1.6.0/two-infrastructure-xml/response-2.xml",
        &d.join("second.xml"),
    );
    let v = json(&run(&["--spec", "1.6.0", "--format", "json", &dir]));
    assert_eq!(
        findings(&v),
        [("second.xml".to_string(), "response-duplicate".to_string())]
    );
    // The acknowledgement's control file on the request's workflow.
    let ack = std::fs::read_to_string(d.join("ack.ctl"))
        .unwrap()
        .replace("GPFED_CONSULT_REPORT_ACK", "GPFED_CONSULT_REPORT");
    std::fs::write(d.join("ack.ctl"), ack).unwrap();
    std::fs::remove_file(d.join("second.xml")).unwrap();
    let got = findings(&json(&run(&["--spec", "1.6.0", "--format", "json", &dir])));
    assert!(
        got.contains(&(
            "ack.ctl".to_string(),
            "mesh-response-workflow-not-ack".to_string()
        )),
        "{got:?}"
    );
}

#[test]
fn ctl_headers_and_response_flags_pair_with_the_one_message() {
    let message = "samples/valid/1.6.0/consultation-report.xml";
    let out = run(&[
        "--spec",
        "1.6.0",
        "--ctl",
        "samples/valid/mesh/1.6.0/consultation-report.ctl",
        "--headers",
        "samples/valid/mesh/1.6.0/consultation-report.headers",
        "--response",
        "samples/valid/mesh/1.6.0/acknowledgement.xml",
        "--format",
        "json",
        message,
    ]);
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert_eq!(
        paths(&v),
        [
            message,
            "samples/valid/mesh/1.6.0/consultation-report.ctl",
            "samples/valid/mesh/1.6.0/consultation-report.headers",
            "samples/valid/mesh/1.6.0/acknowledgement.xml",
        ]
    );
    assert!(findings(&v).is_empty(), "{v}");
    // A control file naming another patient: the finding is on the control file's line and
    // names the Patient element in the message as related.
    let out = run(&[
        "--spec",
        "1.6.0",
        "--format",
        "json",
        "--ctl",
        "samples/invalid/mesh-demographics-mismatch/1.6.0/ctl-nhs-number/report.ctl",
        message,
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    let f = &v["files"][1]["findings"][0];
    assert_eq!(f["rule"], "mesh-demographics-mismatch");
    assert_eq!(f["requirement"], "GPCM-SD-CS-042");
    assert_eq!(f["line"], 6);
    assert_eq!(f["related"][0]["path"], message);
    assert!(f["related"][0]["location"]
        .as_str()
        .unwrap()
        .ends_with("identifier[0].value"));
    // The human output names the related place too.
    let human = run(&[
        "--spec",
        "1.6.0",
        "--ctl",
        "samples/invalid/mesh-demographics-mismatch/1.6.0/ctl-nhs-number/report.ctl",
        message,
    ]);
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.contains(&format!("the Patient's NHS number: {message}:")),
        "{text}"
    );
}

#[test]
fn pairing_flags_need_exactly_one_message() {
    for args in [
        &[
            "--ctl",
            "samples/valid/mesh/1.6.0/consultation-report.ctl",
            "samples/valid/1.6.0/consultation-report.xml",
            "samples/valid/1.6.0/consultation-report.json",
        ][..],
        &[
            "--ctl",
            "samples/valid/mesh/1.6.0/consultation-report.ctl",
            "samples/valid/1.6.0",
        ],
        &[
            "--response",
            "no/such/response.xml",
            "samples/valid/1.6.0/consultation-report.xml",
        ],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty());
    }
}

/// A file validated on its own is not expected to have a partner: no unpaired findings, and
/// the same report as before pairing existed.
#[test]
fn a_file_alone_is_not_unpaired() {
    for rel in [
        "samples/valid/mesh/1.6.0/consultation-report.ctl",
        "samples/valid/mesh/1.6.0/acknowledgement.xml",
    ] {
        let v = json(&run(&["--spec", "1.6.0", "--format", "json", rel]));
        assert!(findings(&v).is_empty(), "{rel}: {v}");
    }
    // Nor are control files given without any message.
    let v = json(&run(&[
        "--spec",
        "1.6.0",
        "--format",
        "json",
        "samples/valid/mesh/1.6.0/consultation-report.ctl",
        "samples/valid/mesh/1.6.0/online-consultation.ctl",
    ]));
    assert!(findings(&v).is_empty(), "{v}");
    // Responses given without any request are not reported as unpaired either.
    let dir = "samples/invalid/response-code-unknown/1.6.0";
    let v = json(&run(&["--spec", "1.6.0", "--format", "json", dir]));
    assert!(
        findings(&v)
            .iter()
            .all(|(_, r)| r == "response-code-unknown"),
        "{v}"
    );
}

/// The committed MESH samples are the generator's output (it needs Python 3.11 or later; the
/// test is skipped without one).
#[test]
fn samples_are_what_the_generator_writes() {
    let python_ok = std::process::Command::new("python3")
        .args(["-c", "import sys; sys.exit(sys.version_info < (3, 11))"])
        .status()
        .is_ok_and(|s| s.success());
    if !python_ok {
        println!("skipped: no python3 >= 3.11");
        return;
    }
    let out = std::process::Command::new("python3")
        .args(["tools/make_mesh_samples.py", "--check"])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "tools/make_mesh_samples.py --check:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
