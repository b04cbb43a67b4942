//! False-alarm guard: the official FHIR STU3 example resources, JSON and XML, must parse
//! without findings and give no structural error. They come from `../shared/conformance/
//! fhir-stu3` (the 3.0.1 core package and the fhir_stu3_models copies of the 3.0.0 build);
//! without `../shared` the test is skipped.

use gpcm_validate::finding::Severity;
use gpcm_validate::input;
use gpcm_validate::structural;
use std::path::{Path, PathBuf};

/// Examples judged to be wrong themselves, with the reason; they are allowed to give
/// structural errors, and must keep doing so (a fix upstream or here shows up as a failure).
/// Every example currently passes, so the list is empty.
const JUDGED_WRONG: &[(&str, &str)] = &[];

fn example_files(shared: &Path) -> Vec<PathBuf> {
    let stu3 = shared.join("conformance/fhir-stu3");
    let mut files = Vec::new();
    let mut add = |dir: PathBuf, keep: &dyn Fn(&str) -> bool| {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            if keep(&name) {
                files.push(entry.path());
            }
        }
    };
    add(stu3.join("hl7.fhir.core-3.0.1/package"), &|n| {
        n.ends_with(".json") && n.contains("-example")
    });
    add(stu3.join("fhir_stu3_models/examples/json"), &|n| {
        n.ends_with(".json")
    });
    add(stu3.join("fhir_stu3_models/examples/xml"), &|n| {
        n.ends_with(".xml")
    });
    files.sort();
    files
}

#[test]
fn official_examples_give_no_structural_errors() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    if !shared.is_dir() {
        println!("skipped: ../shared not present");
        return;
    }
    let files = example_files(&shared);
    assert!(
        files.len() > 250,
        "expected the STU3 examples, found {} files",
        files.len()
    );
    let mut failures = Vec::new();
    let mut judged_wrong_clean = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let bytes = std::fs::read(path).unwrap();
        let parsed = input::parse(path.display().to_string(), bytes);
        let mut findings = parsed.findings;
        match &parsed.document {
            Some(doc) => structural::check(doc, &mut findings),
            None => failures.push(format!("{name}: does not parse")),
        }
        let errors: Vec<String> = findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .map(|f| {
                let at = f
                    .label
                    .as_ref()
                    .map_or((0, 0), |l| parsed.source.line_col(l.span.start));
                format!(
                    "{name}:{}:{}: {} at {}: {}",
                    at.0,
                    at.1,
                    f.rule,
                    f.location.as_deref().unwrap_or("-"),
                    f.message
                )
            })
            .collect();
        let judged_wrong = JUDGED_WRONG.iter().any(|(n, _)| *n == name);
        match (judged_wrong, errors.is_empty()) {
            (false, false) => failures.extend(errors),
            (true, true) => judged_wrong_clean.push(name),
            _ => {}
        }
    }
    println!(
        "{} official STU3 examples checked, {} judged wrong",
        files.len(),
        JUDGED_WRONG.len()
    );
    assert!(
        failures.is_empty(),
        "structural errors in official examples (fix the check, or list the example in \
         JUDGED_WRONG with the reason):\n{}",
        failures.join("\n")
    );
    assert!(
        judged_wrong_clean.is_empty(),
        "examples listed in JUDGED_WRONG now pass; remove them: {judged_wrong_clean:?}"
    );
}
