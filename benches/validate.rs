//! The validator's cost, in three groups (following jsonschema's benches): `load_profiles`
//! (compiling the embedded rule packs, once per process), `parse` (JSON against XML of the same
//! message) and `validate` (the whole per-file pipeline in-process: parse, detect, every rule).
//!
//! Run with `cargo bench --bench validate`; BENCHMARKS.md records the figures and the commands
//! for the cold-process (end-to-end) measurements, which use the files this benchmark writes to
//! `benches/data/` as it first uses them (generated, not committed):
//!
//! - `consultation-report-63k.xml`: the published 1.6.0 Send Consultation Report example
//!   (`../shared/corpus/real/1.6.0__cs__consultation_report.xml`) without the spec site's
//!   `{% highlight %}` lines;
//! - `oc-consent-2.6M.xml`: the 1.6.0 Online Consultation example with a 2.6 MB PDF
//!   (`../shared/corpus/real/1.6.0__oc__oc_consultation_report_consent.xml`);
//! - `generated-N.{xml,json}`: the 1.6.0 sample message with N extra Observation entries in its
//!   payload Bundle, each referencing the Patient, for N = 10,000, 50,000 and 100,000.
//!
//! Without `../shared` the two real messages fall back to `samples/valid/1.6.0/
//! consultation-report.xml` (12 kB), and the benchmark says so on stderr.

use gpcm_validate::detect::Pins;
use gpcm_validate::input;
use gpcm_validate::rules::Registry;
use gpcm_validate::validate::{validate_bytes, Options};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

fn main() {
    divan::main();
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn data_dir() -> PathBuf {
    root().join("benches/data")
}

const SAMPLE_XML: &str = "samples/valid/1.6.0/consultation-report.xml";
const SAMPLE_JSON: &str = "samples/valid/1.6.0/consultation-report.json";
const REAL_63K: &str = "../shared/corpus/real/1.6.0__cs__consultation_report.xml";
const REAL_2_6M: &str = "../shared/corpus/real/1.6.0__oc__oc_consultation_report_consent.xml";

/// The spec site wraps its examples in Liquid `{% highlight %}` lines; they are not XML.
fn strip_liquid(text: &str) -> String {
    text.lines()
        .filter(|line| {
            let t = line.trim();
            !(t.starts_with("{%") && t.ends_with("%}"))
        })
        .map(|line| format!("{line}\n"))
        .collect()
}

fn read(rel: &str) -> String {
    let path = root().join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// A real message from `../shared`, or the bundled sample when it is not checked out.
fn real(rel: &str) -> String {
    if root().join(rel).is_file() {
        strip_liquid(&read(rel))
    } else {
        eprintln!("note: {rel} is absent; benchmarking {SAMPLE_XML} in its place");
        read(SAMPLE_XML)
    }
}

const PATIENT: &str = "urn:uuid:67963e14-3e05-4c41-ad4e-b98a55768d77";

fn uuid(i: usize) -> String {
    format!("00000000-0000-4000-8000-{i:012}")
}

/// The List that groups the generated Observations: the spec wants every Observation in a List,
/// and every List and Observation referenced from a Composition section.
const LIST: &str = "ffffffff-0000-4000-8000-000000000000";

/// The 1.6.0 sample with `n` Observation entries appended to its payload Bundle, grouped by one
/// List, all referenced from the Composition's section, so that the message stays valid.
fn generated_xml(n: usize) -> String {
    let sample = read(SAMPLE_XML);
    let outer = sample.rfind("</Bundle>").expect("outer Bundle closes");
    let inner = sample[..outer]
        .rfind("</Bundle>")
        .expect("payload Bundle closes");
    let line_start = sample[..inner].rfind('\n').map_or(0, |i| i + 1);
    let section_end = sample.find("              </section>").expect("a section");
    let mut out = String::with_capacity(sample.len() + n * 1000);
    out.push_str(&sample[..section_end]);
    let section_entry = |id: &str| {
        format!("                <entry>\n                  <reference value=\"urn:uuid:{id}\"/>\n                </entry>\n")
    };
    out.push_str(&section_entry(LIST));
    for i in 0..n {
        out.push_str(&section_entry(&uuid(i)));
    }
    out.push_str(&sample[section_end..line_start]);
    out.push_str(&format!(
        r#"        <entry>
          <fullUrl value="urn:uuid:{LIST}"/>
          <resource>
            <List>
              <id value="{LIST}"/>
              <meta>
                <profile value="https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-List-1"/>
              </meta>
              <status value="current"/>
              <mode value="snapshot"/>
              <title value="Miscellaneous record"/>
              <code>
                <coding>
                  <system value="http://snomed.info/sct"/>
                  <code value="826501000000100"/>
                  <display value="Miscellaneous record"/>
                </coding>
              </code>
              <subject>
                <reference value="{PATIENT}"/>
              </subject>
"#
    ));
    for i in 0..n {
        out.push_str(&format!(
            "              <entry>\n                <item>\n                  <reference value=\"urn:uuid:{}\"/>\n                </item>\n              </entry>\n",
            uuid(i)
        ));
    }
    out.push_str("            </List>\n          </resource>\n        </entry>\n");
    for i in 0..n {
        let id = uuid(i);
        out.push_str(&format!(
            r#"        <entry>
          <fullUrl value="urn:uuid:{id}"/>
          <resource>
            <Observation>
              <id value="{id}"/>
              <status value="final"/>
              <code>
                <coding>
                  <system value="http://snomed.info/sct"/>
                  <code value="271649006"/>
                  <display value="Systolic blood pressure"/>
                </coding>
              </code>
              <subject>
                <reference value="{PATIENT}"/>
              </subject>
              <valueQuantity>
                <value value="{value}"/>
                <unit value="mmHg"/>
                <system value="http://unitsofmeasure.org"/>
                <code value="mm[Hg]"/>
              </valueQuantity>
            </Observation>
          </resource>
        </entry>
"#,
            value = 100 + i % 60
        ));
    }
    out.push_str(&sample[line_start..]);
    out
}

/// The JSON twin of [`generated_xml`].
fn generated_json(n: usize) -> String {
    let mut v: serde_json::Value = serde_json::from_str(&read(SAMPLE_JSON)).expect("sample");
    let payload = &mut v["entry"][2]["resource"]["entry"];
    let section = payload[0]["resource"]["section"][0]["entry"]
        .as_array_mut()
        .expect("the Composition's first section has entries");
    section.push(serde_json::json!({"reference": format!("urn:uuid:{LIST}")}));
    section
        .extend((0..n).map(|i| serde_json::json!({"reference": format!("urn:uuid:{}", uuid(i))})));
    let entries = payload.as_array_mut().expect("payload Bundle entries");
    let items: Vec<serde_json::Value> = (0..n)
        .map(|i| serde_json::json!({"item": {"reference": format!("urn:uuid:{}", uuid(i))}}))
        .collect();
    entries.push(serde_json::json!({
        "fullUrl": format!("urn:uuid:{LIST}"),
        "resource": {
            "resourceType": "List",
            "id": LIST,
            "meta": {"profile": ["https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-List-1"]},
            "status": "current",
            "mode": "snapshot",
            "title": "Miscellaneous record",
            "code": {"coding": [{
                "system": "http://snomed.info/sct",
                "code": "826501000000100",
                "display": "Miscellaneous record"
            }]},
            "subject": {"reference": PATIENT},
            "entry": items
        }
    }));
    for i in 0..n {
        let id = uuid(i);
        entries.push(serde_json::json!({
            "fullUrl": format!("urn:uuid:{id}"),
            "resource": {
                "resourceType": "Observation",
                "id": id,
                "status": "final",
                "code": {"coding": [{
                    "system": "http://snomed.info/sct",
                    "code": "271649006",
                    "display": "Systolic blood pressure"
                }]},
                "subject": {"reference": PATIENT},
                "valueQuantity": {
                    "value": 100 + i % 60,
                    "unit": "mmHg",
                    "system": "http://unitsofmeasure.org",
                    "code": "mm[Hg]"
                }
            }
        }));
    }
    serde_json::to_string_pretty(&v).expect("serialise") + "\n"
}

/// A benchmark input by name, built on first use and written to `benches/data/` for the
/// cold-process measurements in BENCHMARKS.md.
fn input(name: &str) -> &'static [u8] {
    static INPUTS: OnceLock<Mutex<HashMap<String, &'static [u8]>>> = OnceLock::new();
    let mut inputs = INPUTS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(bytes) = inputs.get(name) {
        return bytes;
    }
    let text = match name {
        "sample-12k.xml" => read(SAMPLE_XML),
        "sample-12k.json" => read(SAMPLE_JSON),
        "consultation-report-63k.xml" => real(REAL_63K),
        "oc-consent-2.6M.xml" => real(REAL_2_6M),
        _ => {
            let generated = name.strip_prefix("generated-").and_then(|rest| {
                let (n, ext) = rest.split_once('.')?;
                let n: usize = n.parse().ok()?;
                match ext {
                    "xml" => Some(generated_xml(n)),
                    "json" => Some(generated_json(n)),
                    _ => None,
                }
            });
            generated.unwrap_or_else(|| panic!("no input {name}"))
        }
    };
    let bytes: &'static [u8] = Box::leak(text.into_bytes().into_boxed_slice());
    let path = data_dir().join(name);
    if std::fs::read(&path).ok().as_deref() != Some(bytes) {
        // The files only serve the cold-process measurements; failing to write them is not a
        // reason to stop benchmarking.
        let _ = std::fs::create_dir_all(data_dir()).and_then(|()| std::fs::write(&path, bytes));
    }
    inputs.insert(name.to_string(), bytes);
    bytes
}

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| Registry::builtin().expect("embedded packs load"))
}

/// Every run pins the release, as a CI job validating its own messages would.
fn options() -> Options {
    Options {
        pins: Pins {
            spec: Some("1.6.0".into()),
            use_case: None,
        },
        ..Options::default()
    }
}

mod load_profiles {
    use super::*;

    /// What a check loads: the embedded rule packs' names and scopes, without the requirement
    /// indexes; a rule is compiled when a message first needs it. Every validating process
    /// pays this once.
    #[divan::bench(sample_count = 100)]
    fn check_packs() -> Registry {
        gpcm_validate::cli::check_registry().expect("embedded packs load")
    }

    /// Everything embedded, every rule compiled, requirement indexes included (`rules`,
    /// `explain`, `profiles`).
    #[divan::bench(sample_count = 100)]
    fn builtin_with_indexes() -> Registry {
        Registry::builtin().expect("embedded packs load")
    }

    /// The STU3 definitions as every process gets them on first use: the types built from the
    /// integer tables `build.rs` embeds (elements are built in chunks as lookups reach them).
    #[divan::bench(sample_count = 100)]
    fn stu3_definitions() -> gpcm_validate::fhir::defs::Defs {
        gpcm_validate::fhir::defs::stu3_uncached()
    }

    /// Parsing and indexing `stu3_defs.tsv`: what `build.rs` does once per build, and what
    /// every process did before the tables were embedded.
    #[divan::bench(sample_count = 100)]
    fn stu3_definitions_from_tsv() -> gpcm_validate::fhir::defs::Defs {
        gpcm_validate::fhir::defs::Defs::parse(include_str!("../src/fhir/stu3_defs.tsv"))
            .expect("the STU3 tables parse")
    }
}

mod parse {
    use super::*;

    /// Bytes to a typed tree (encoding checks, format detection, parse, STU3 typing).
    #[divan::bench(args = [
        "sample-12k.json", "sample-12k.xml",
        "consultation-report-63k.xml", "oc-consent-2.6M.xml",
        "generated-10000.json", "generated-10000.xml",
    ], sample_count = 50)]
    fn message(bencher: divan::Bencher, name: &str) {
        let bytes = input(name);
        bencher
            .counter(divan::counter::BytesCount::new(bytes.len()))
            .with_inputs(|| bytes.to_vec())
            .bench_local_values(|b| input::parse(name.to_string(), b));
    }
}

mod validate {
    use super::*;

    /// The whole per-file pipeline: parse, detect, every rule, sorted findings.
    #[divan::bench(args = [
        "sample-12k.json", "sample-12k.xml",
        "consultation-report-63k.xml", "oc-consent-2.6M.xml",
    ], sample_count = 100)]
    fn message(bencher: divan::Bencher, name: &str) {
        let bytes = input(name);
        let (registry, options) = (registry(), options());
        // Load the lazily parsed tables (STU3 definitions) outside the timing.
        validate_bytes(registry, &options, name.to_string(), bytes.to_vec());
        bencher
            .counter(divan::counter::BytesCount::new(bytes.len()))
            .with_inputs(|| bytes.to_vec())
            .bench_local_values(|b| validate_bytes(registry, &options, name.to_string(), b));
    }

    /// [`message`] back to back, the copy of the input included in the timing (a few µs for
    /// 63 kB): what a process validating many messages pays per message once its caches are
    /// warm, where `message` starts every sample with the input freshly copied.
    #[divan::bench(args = ["consultation-report-63k.xml", "sample-12k.xml"], sample_count = 100)]
    fn message_repeated(bencher: divan::Bencher, name: &str) {
        let bytes = input(name);
        let (registry, options) = (registry(), options());
        validate_bytes(registry, &options, name.to_string(), bytes.to_vec());
        bencher
            .counter(divan::counter::BytesCount::new(bytes.len()))
            .bench_local(|| validate_bytes(registry, &options, name.to_string(), bytes.to_vec()));
    }

    /// A generated message with N payload entries, XML and JSON: checks linearity.
    #[divan::bench(args = [
        "generated-10000.xml", "generated-50000.xml", "generated-100000.xml",
        "generated-10000.json", "generated-50000.json", "generated-100000.json",
    ], sample_count = 5, sample_size = 1)]
    fn generated(bencher: divan::Bencher, name: &str) {
        let bytes = input(name);
        let (registry, options) = (registry(), options());
        validate_bytes(
            registry,
            &options,
            "warm".into(),
            input("sample-12k.xml").to_vec(),
        );
        bencher
            .counter(divan::counter::BytesCount::new(bytes.len()))
            .with_inputs(|| bytes.to_vec())
            .bench_local_values(|b| validate_bytes(registry, &options, name.to_string(), b));
    }
}
