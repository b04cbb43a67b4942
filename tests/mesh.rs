//! MESH metadata: the valid control files and headers are clean alone and with their messages,
//! detection reads the release and use case from the workflow and Subject, the spec's own
//! control files give the defects their README lists, and MESH reports are explained.
//! (Failing single-file samples are tests/samples.rs's; folders of files are tests/pairing.rs's.)

mod common;

use common::*;
use gpcm_validate::detect::Pins;
use gpcm_validate::finding::Severity;
use gpcm_validate::mesh::pair::{validate_group, GroupFile, GroupOptions, Role};
use gpcm_validate::validate::{validate_bytes, FileReport, Options};
use std::collections::BTreeSet;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn pinned(spec: Option<&str>, use_case: Option<&str>) -> Options {
    Options {
        pins: Pins {
            spec: spec.map(str::to_string),
            use_case: use_case.map(str::to_string),
        },
        ..Options::default()
    }
}

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(root().join(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
}

fn rules(report: &FileReport) -> Vec<&str> {
    report.findings.iter().map(|f| f.rule.as_str()).collect()
}

/// Validates files together, as `--ctl` / `--headers` / `--response` do.
fn explicit(options: &Options, files: &[(&str, Role)]) -> Vec<FileReport> {
    let files = files
        .iter()
        .map(|(rel, role)| GroupFile {
            path: rel.to_string(),
            bytes: read(rel).into(),
            role: *role,
        })
        .collect();
    validate_group(registry(), options, files, GroupOptions::default())
}

fn valid_mesh_files() -> Vec<String> {
    sample_files("samples/valid/mesh")
}

#[test]
fn valid_mesh_samples_are_clean_alone() {
    let files = valid_mesh_files();
    assert!(files.len() >= 12, "{files:?}");
    for rel in files {
        let release = rel.split('/').nth(3).unwrap();
        let report = validate_bytes(
            registry(),
            &pinned(Some(release), None),
            rel.clone(),
            read(&rel),
        );
        assert!(
            report.findings.is_empty(),
            "{rel} should be clean:\n{}",
            render(gpcm_validate::emit::OutputFormat::Human, &[report])
        );
        let kind = report.kind.as_str();
        let expected = match rel.rsplit('.').next().unwrap() {
            "ctl" if rel.contains("acknowledgement") => "mesh-ack-control",
            "headers" if rel.contains("acknowledgement") => "mesh-ack-headers",
            "ctl" => "mesh-control",
            "headers" => "mesh-headers",
            _ => "response",
        };
        assert_eq!(kind, expected, "{rel}");
    }
}

#[test]
fn valid_metadata_is_clean_with_its_message() {
    for (release, stem) in [
        ("1.2.1", "federated-consultation-report"),
        ("1.3.0", "consultation-report"),
        ("1.6.0", "consultation-report"),
        ("2.0.0", "consultation-report"),
    ] {
        for message in ["json", "xml"] {
            let message = format!("samples/valid/{release}/{stem}.{message}");
            let ctl = format!("samples/valid/mesh/{release}/{stem}.ctl");
            let headers = format!("samples/valid/mesh/{release}/{stem}.headers");
            let reports = explicit(
                &pinned(Some(release), None),
                &[
                    (&message, Role::Message),
                    (&ctl, Role::Metadata),
                    (&headers, Role::Metadata),
                ],
            );
            assert_eq!(reports.len(), 3);
            for r in &reports {
                assert!(r.findings.is_empty(), "{}: {:?}", r.path, rules(r));
            }
        }
    }
    // A request with its control file, JSON headers and its acknowledgement.
    let reports = explicit(
        &pinned(Some("1.6.0"), None),
        &[
            (
                "samples/valid/1.6.0/consultation-report.json",
                Role::Message,
            ),
            (
                "samples/valid/mesh/1.6.0/consultation-report-json.headers",
                Role::Metadata,
            ),
            (
                "samples/valid/mesh/1.6.0/acknowledgement.json",
                Role::Response,
            ),
        ],
    );
    for r in &reports {
        assert!(r.findings.is_empty(), "{}: {:?}", r.path, rules(r));
    }
}

#[test]
fn detection_reads_the_workflow_and_the_subject() {
    let detect = |rel: &str, options: &Options| {
        let r = validate_bytes(registry(), options, rel.to_string(), read(rel));
        (
            r.spec.clone().unwrap_or_default(),
            r.use_case.clone().unwrap_or_default(),
            rules(&r)
                .into_iter()
                .map(str::to_string)
                .collect::<Vec<_>>(),
        )
    };
    let free = pinned(None, None);
    // v2: one release, one use case, nothing assumed.
    let (spec, uc, notices) = detect("samples/valid/mesh/2.0.0/consultation-report.ctl", &free);
    assert_eq!((spec.as_str(), uc.as_str()), ("2.0.0", "sd"));
    assert!(notices.is_empty(), "{notices:?}");
    // 1.x consultation report: the newest release that has it, and a notice.
    let (spec, uc, notices) = detect(
        "samples/valid/mesh/1.6.0/consultation-report.headers",
        &free,
    );
    assert_eq!((spec.as_str(), uc.as_str()), ("1.6.0", "cs"));
    assert_eq!(notices, ["spec-version-assumed"]);
    let (_, uc, _) = detect("samples/valid/mesh/1.6.0/online-consultation.ctl", &free);
    assert_eq!(uc, "oc");
    let (spec, uc, notices) = detect(
        "samples/valid/mesh/1.2.1/federated-consultation-report.ctl",
        &free,
    );
    assert_eq!((spec.as_str(), uc.as_str()), ("1.2.1", "task"));
    assert_eq!(notices, ["spec-version-assumed"]);
    // Pins win.
    let (spec, uc, notices) = detect(
        "samples/valid/mesh/1.6.0/consultation-report.ctl",
        &pinned(Some("1.5.0"), Some("cs")),
    );
    assert_eq!((spec.as_str(), uc.as_str()), ("1.5.0", "cs"));
    assert!(notices.is_empty(), "{notices:?}");
    // A Subject that names no use case: validated as a consultation report, and said so.
    let text = String::from_utf8(read("samples/valid/mesh/1.6.0/consultation-report.ctl"))
        .unwrap()
        .replace("Consultation report for", "Report about");
    let r = validate_bytes(registry(), &free, "x.ctl".into(), text.into_bytes());
    assert_eq!(r.use_case.as_deref(), Some("cs"));
    assert!(rules(&r).contains(&"use-case-assumed"), "{:?}", rules(&r));
}

/// The spec's example control files, with what the corpus README lists for each.
#[test]
fn the_spec_control_files_give_their_documented_defects() {
    let dir = root().join("../shared/corpus/real/ctl");
    if !dir.is_dir() {
        println!("skipped: ../shared not present");
        return;
    }
    // All use `GPPROVIDER_1234567890_09011955_Smith` (NHS number failing Modulus 11) and a
    // Subject that follows no release's pattern.
    let base = ["ctl-to-dts-invalid", "ctl-subject-invalid"];
    let cases: &[(&str, &str, &str, &[&str])] = &[
        (
            "1.0.0-1.1.0__fedcon__senddocument_fedcon_mesh.md.ctl",
            "1.1.0",
            "task",
            // The placeholder workflow `TBC-GPCONNECT_FEDERATED_CONSULTATION`.
            &["mesh-workflow-id-wrong"],
        ),
        (
            "1.2.0-1.2.1__fedcon__senddocument_fedcon_mesh.md.ctl",
            "1.2.1",
            "task",
            // No version number in the Subject (GPCM-SD-091, a warning).
            &["mesh-subject-version-missing"],
        ),
        (
            "history_2019-07__cs__senddocument_fedcon_mesh.md.ctl",
            "1.3.0",
            "cs",
            &["ctl-local-id-invalid"],
        ),
        (
            "master-1.3.0-draft_and_feature-1.4.0-covid__cs__senddocument_fedcon_mesh.md.ctl",
            "1.3.0",
            "cs",
            &["ctl-local-id-invalid"],
        ),
        (
            "history_2021-07__cs__senddocument_fedcon_mesh.md_Version1.ctl",
            "1.3.0",
            "cs",
            &["ctl-local-id-invalid"],
        ),
        (
            "1.3.0__cs__senddocument_fedcon_mesh.md.ctl",
            "1.3.0",
            "cs",
            &[],
        ),
        (
            "1.4.0-1.6.0__cs__senddocument_fedcon_mesh.md.ctl",
            "1.6.0",
            "cs",
            &["mesh-subject-version-missing"],
        ),
        (
            "history_2021__oc__senddocument_oc_mesh.md.ctl",
            "1.6.0",
            "oc",
            &["ctl-local-id-invalid"],
        ),
        (
            "1.4.0-1.6.0__oc-ge-sendupdate__senddocument_oc_mesh.md.ctl",
            "1.6.0",
            "oc",
            &[],
        ),
        (
            "1.4.0-1.6.0__oc-ge-sendupdate__senddocument_oc_mesh.md.ctl",
            "1.6.0",
            "ge",
            &[],
        ),
        (
            "1.4.0-1.6.0__oc-ge-sendupdate__senddocument_oc_mesh.md.ctl",
            "1.6.0",
            "su",
            &[],
        ),
    ];
    let mut seen = BTreeSet::new();
    for (file, spec, use_case, extra) in cases {
        seen.insert(*file);
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let report = validate_bytes(
            registry(),
            &pinned(Some(spec), Some(use_case)),
            file.to_string(),
            bytes,
        );
        let got: BTreeSet<&str> = rules(&report).into_iter().collect();
        let want: BTreeSet<&str> = base.iter().chain(extra.iter()).copied().collect();
        assert_eq!(got, want, "{file} as {spec} {use_case}");
        let to = report
            .findings
            .iter()
            .find(|f| f.rule == "ctl-to-dts-invalid")
            .unwrap();
        assert!(to.message.contains("Modulus 11"), "{file}: {}", to.message);
        assert!(
            to.requirement.is_some(),
            "{file}: the address rule names its ID"
        );
    }
    // The error-report fragment: EPL-152, explained.
    let file =
        "all-versions__error-report__senddocument_fedcon_errors.md_StatusRecord-fragment.ctl";
    seen.insert(file);
    let report = validate_bytes(
        registry(),
        &pinned(None, None),
        file.into(),
        std::fs::read(dir.join(file)).unwrap(),
    );
    assert_eq!(report.kind.as_str(), "mesh-report");
    assert_eq!(rules(&report), ["mesh-report-error"]);
    let f = &report.findings[0];
    assert!(
        f.message.contains("EPL-152 ERROR_INVALID_NHSNUMBER"),
        "{}",
        f.message
    );
    assert!(f.help.as_deref().unwrap_or("").contains("Modulus 11"));
    // Every control file of the corpus is covered.
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        assert!(seen.contains(name.as_str()), "{name} has no expectation");
    }
}

/// The spec's 1.4.0–1.6.0 control file against the spec's 1.6.0 example message: the README
/// says the address names neither the example Patient's NHS number nor birth date, and the
/// sender mailbox is `GP0001` in one and `MESHGP0001` in the other.
#[test]
fn the_spec_control_file_disagrees_with_the_spec_message() {
    let real = root().join("../shared/corpus/real");
    if !real.is_dir() {
        println!("skipped: ../shared not present");
        return;
    }
    let ctl =
        std::fs::read(real.join("ctl/1.4.0-1.6.0__cs__senddocument_fedcon_mesh.md.ctl")).unwrap();
    // The spec page wraps the message in `{% … %}` lines.
    let message: String = std::fs::read_to_string(real.join("1.6.0__cs__consultation_report.xml"))
        .unwrap()
        .lines()
        .filter(|l| !(l.trim().starts_with("{%") && l.trim().ends_with("%}")))
        .collect::<Vec<_>>()
        .join("\n");
    let files = vec![
        GroupFile {
            path: "consultation_report.xml".into(),
            bytes: message.trim_start().as_bytes().to_vec().into(),
            role: Role::Message,
        },
        GroupFile {
            path: "consultation_report.ctl".into(),
            bytes: ctl.into(),
            role: Role::Metadata,
        },
    ];
    let reports = validate_group(
        registry(),
        &pinned(Some("1.6.0"), None),
        files,
        GroupOptions::default(),
    );
    let ctl_rules = rules(&reports[1]);
    let mismatches: Vec<&str> = reports[1]
        .findings
        .iter()
        .filter(|f| f.rule == "mesh-demographics-mismatch")
        .map(|f| f.message.as_str())
        .collect();
    assert!(
        mismatches
            .iter()
            .any(|m| m.contains("NHS number `1234567890`")),
        "{mismatches:?}"
    );
    assert!(
        mismatches
            .iter()
            .any(|m| m.contains("date of birth `09011955`")),
        "{mismatches:?}"
    );
    assert!(
        ctl_rules.contains(&"mesh-sender-endpoint-mismatch"),
        "{ctl_rules:?}"
    );
    let f = reports[1]
        .findings
        .iter()
        .find(|f| f.rule == "mesh-sender-endpoint-mismatch")
        .unwrap();
    assert_eq!(f.related_files[0].path, "consultation_report.xml");
    assert_eq!(
        f.related_files[0].location.as_deref(),
        Some("Bundle.entry[0].resource.source.endpoint")
    );
}

#[test]
fn mesh_reports_are_explained() {
    let out = run(&["explain", "EPL-151"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for part in [
        "EPL-151 ERROR_NO_MAILBOX_MATCHES (MESH status code)",
        "not delivered",
        "SEND",
        "what the sender should do:",
    ] {
        assert!(text.contains(part), "`{part}` missing:\n{text}");
    }
    let lower = run(&["explain", "epl-154"]);
    assert!(String::from_utf8_lossy(&lower.stdout).contains("ERROR_NO_DEMOGRAPHICS_MATCH"));
    // A report in the sender's inbox gets one error finding saying what to do.
    let rel = "samples/invalid/mesh-report-error/1.6.0/epl-151-status-record.ctl";
    let report = validate_bytes(registry(), &pinned(None, None), rel.into(), read(rel));
    assert_eq!(report.kind.as_str(), "mesh-report");
    assert_eq!(report.spec, None, "a report belongs to no release");
    assert_eq!(report.count(Severity::Error), 1);
    assert!(report.findings[0]
        .help
        .as_deref()
        .unwrap()
        .contains("gpcm-validate explain EPL-151"));
}
