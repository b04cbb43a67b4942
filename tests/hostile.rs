//! Hostile and broken inputs: each gives a clear finding and exit 1, never a panic, hang or
//! runaway memory, and a directory mixing them with valid messages reports every file.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_gpcm-validate");

/// The valid sample the hostile variants are made from.
fn valid_xml() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/valid/1.6.0/consultation-report.xml"),
    )
    .unwrap()
}

/// Each case: file name, content, the rule that must be reported.
fn cases() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let xml = valid_xml();
    let json = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/valid/1.6.0/consultation-report.json"),
    )
    .unwrap();
    let deep = 100_000;
    let mut random = Vec::with_capacity(64 * 1024);
    // A fixed xorshift stream: arbitrary bytes, reproducible run to run.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    while random.len() < 64 * 1024 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        random.extend_from_slice(&x.to_le_bytes());
    }
    let laughs: String = {
        let mut d =
            String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE Bundle [\n<!ENTITY a0 \"ha\">\n");
        for i in 1..10 {
            d.push_str(&format!(
                "<!ENTITY a{i} \"{}\">\n",
                format!("&a{};", i - 1).repeat(10)
            ));
        }
        d.push_str("]>\n<Bundle xmlns=\"http://hl7.org/fhir\"><type value=\"&a9;\"/></Bundle>\n");
        d
    };
    vec![
        ("empty.xml", Vec::new(), "input-empty"),
        ("truncated.json", json[..json.len() / 3].to_vec(), "json-syntax"),
        ("truncated.xml", xml.as_bytes()[..xml.len() / 3].to_vec(), "xml-not-well-formed"),
        ("invalid-utf8.xml", xml.replacen("Fernley", "Fern\u{fc}ey", 1).chars().map(|c| c as u32 as u8).collect(), "encoding-invalid-utf8"),
        ("utf16.xml", [vec![0xFF, 0xFE], xml.encode_utf16().flat_map(u16::to_le_bytes).collect()].concat(), "encoding-unsupported"),
        ("billion-laughs.xml", laughs.into_bytes(), "xml-doctype"),
        (
            "external-entity.xml",
            b"<?xml version=\"1.0\"?>\n<!DOCTYPE Bundle [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n<Bundle xmlns=\"http://hl7.org/fhir\"><type value=\"&x;\"/></Bundle>\n".to_vec(),
            "xml-doctype",
        ),
        ("deep.json", format!("{{\"resourceType\":\"Bundle\",\"extension\":{}{}}}", "[".repeat(deep), "]".repeat(deep)).into_bytes(), "document-too-deep"),
        ("deep-objects.json", format!("{{\"resourceType\":\"Bundle\",\"extension\":{}1{}}}", "{\"extension\":".repeat(deep), "}".repeat(deep)).into_bytes(), "document-too-deep"),
        ("deep.xml", format!("<Bundle xmlns=\"http://hl7.org/fhir\">{}{}</Bundle>", "<extension>".repeat(deep), "</extension>".repeat(deep)).into_bytes(), "document-too-deep"),
        ("duplicate-keys.json", b"{\"resourceType\":\"Bundle\",\"type\":\"message\",\"type\":\"collection\"}".to_vec(), "json-duplicate-key"),
        ("random.dat", random, "encoding-invalid-utf8"),
        // Over a mebibyte, so read into a mapped buffer rather than the heap.
        (
            "large-invalid-utf8.xml",
            xml.replacen("Fernley", &format!("<!-- {} -->Fern\u{fc}ey", "x".repeat(1 << 20)), 1).chars().map(|c| c as u32 as u8).collect(),
            "encoding-invalid-utf8",
        ),
    ]
}

/// Runs the validator on `paths` with JSON output, recording the peak resident memory seen.
fn run_json(paths: &[&Path]) -> (Option<i32>, Value, u64) {
    let mut child = Command::new(BIN)
        .arg("--format")
        .arg("json")
        .args(paths)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        std::io::Read::read_to_end(&mut { stdout }, &mut s).unwrap();
        s
    });
    let started = Instant::now();
    let mut peak_kib = 0;
    let status = loop {
        // VmHWM is the kernel's high-water mark of resident memory; sampling it until exit
        // gives (a lower bound of) the peak without instrumenting the binary.
        if let Ok(s) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            if let Some(kib) = s
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<u64>().ok())
            {
                peak_kib = peak_kib.max(kib);
            }
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "validator hung"
        );
        std::thread::sleep(Duration::from_millis(2));
    };
    assert_ne!(status.code(), Some(101), "validator panicked");
    let out = reader.join().unwrap();
    let v: Value = serde_json::from_slice(&out)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", String::from_utf8_lossy(&out)));
    (status.code(), v, peak_kib * 1024)
}

fn rules_of(file: &Value) -> Vec<String> {
    file["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn each_hostile_input_gives_its_finding_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes, rule) in cases() {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let (code, v, peak) = run_json(&[&path]);
        assert_eq!(code, Some(1), "{name}");
        let rules = rules_of(&v["files"][0]);
        assert!(
            rules.iter().any(|r| r == rule),
            "{name}: expected {rule}, got {rules:?}"
        );
        // Small inputs: the process itself dominates; just make sure nothing exploded.
        assert!(peak < 64 * 1024 * 1024, "{name}: peak memory {peak} bytes");
    }
}

#[test]
fn a_directory_of_hostile_and_valid_files_reports_every_file() {
    let dir = tempfile::tempdir().unwrap();
    let cases = cases();
    for (name, bytes, _) in &cases {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for valid in [
        "samples/valid/1.6.0/consultation-report.xml",
        "samples/valid/1.6.0/consultation-report.json",
    ] {
        let name = format!(
            "valid-{}",
            Path::new(valid).file_name().unwrap().to_string_lossy()
        );
        std::fs::copy(root.join(valid), dir.path().join(name)).unwrap();
    }
    let (code, v, _) = run_json(&[dir.path()]);
    assert_eq!(code, Some(1));
    let files = v["files"].as_array().unwrap();
    assert_eq!(files.len(), cases.len() + 2, "every file is reported once");
    let mut seen: Vec<String> = files
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    let sorted = {
        let mut s = seen.clone();
        s.sort();
        s
    };
    assert_eq!(seen, sorted, "directory order is sorted");
    seen.dedup();
    assert_eq!(seen.len(), files.len());
    for f in files {
        let path = f["path"].as_str().unwrap();
        let name = Path::new(path)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_string();
        if name.starts_with("valid-") {
            // Clean: at most the information notice saying which release was assumed.
            let problems: Vec<&Value> = f["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|x| x["severity"] != "information")
                .collect();
            assert!(problems.is_empty(), "{name} should be clean: {problems:?}");
        } else {
            let (_, _, rule) = cases.iter().find(|(n, _, _)| *n == name).unwrap();
            assert!(rules_of(f).iter().any(|r| r == rule), "{name}");
        }
    }
}

/// A 200 MB message whose Binary holds one huge base64 value, in JSON and in XML.
fn huge_messages(dir: &Path) -> Vec<PathBuf> {
    let target = 200 * 1024 * 1024;
    let chunk = "JVBERi0xLjQKJeLjz9MK".repeat(4096); // base64, 80 KiB
    let reps = target / chunk.len();
    let mut paths = Vec::new();
    for (name, head, tail) in [
        (
            "huge.json",
            "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[{\"fullUrl\":\"urn:uuid:8f1c2a64-5e0b-4f5e-9a43-6d2b7c0e1f90\",\"resource\":{\"resourceType\":\"Binary\",\"contentType\":\"application/pdf\",\"content\":\"",
            "\"}}]}",
        ),
        (
            "huge.xml",
            "<Bundle xmlns=\"http://hl7.org/fhir\"><type value=\"collection\"/><entry><fullUrl value=\"urn:uuid:8f1c2a64-5e0b-4f5e-9a43-6d2b7c0e1f90\"/><resource><Binary><contentType value=\"application/pdf\"/><content value=\"",
            "\"/></Binary></resource></entry></Bundle>",
        ),
    ] {
        let path = dir.join(name);
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        use std::io::Write;
        f.write_all(head.as_bytes()).unwrap();
        for _ in 0..reps {
            f.write_all(chunk.as_bytes()).unwrap();
        }
        f.write_all(tail.as_bytes()).unwrap();
        f.flush().unwrap();
        paths.push(path);
    }
    paths
}

#[test]
fn a_200_mb_message_is_validated_within_3x_its_size_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    for path in huge_messages(dir.path()) {
        let size = std::fs::metadata(&path).unwrap().len();
        let (code, v, peak) = run_json(&[&path]);
        assert_eq!(code, Some(1), "{}", path.display());
        let rules = rules_of(&v["files"][0]);
        // Not a message (type collection, no MessageHeader): the envelope rules say so.
        assert!(
            rules.contains(&"bundle-type-not-message".to_string()),
            "{rules:?}"
        );
        assert!(
            rules.contains(&"message-header-not-first".to_string()),
            "{rules:?}"
        );
        assert!(
            peak <= 3 * size,
            "{}: peak {peak} bytes for a {size}-byte file",
            path.display()
        );
        eprintln!(
            "{}: {size} bytes, peak resident memory {peak} bytes",
            path.display()
        );
        std::fs::remove_file(&path).unwrap();
    }
}
