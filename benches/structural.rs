//! Cost of the structural pass alone on a real 63 kB GP Connect message (the published 1.6.0
//! Send Consultation Report example), parsed outside the timed region.
//!
//! Run with `cargo bench --bench structural`. The budget is 0.1 ms per message; see
//! BENCHMARKS.md for the recorded figures. Falls back to the bundled 12 kB sample when
//! `../shared` is not checked out beside the crate.

use gpcm_validate::document::Document;
use gpcm_validate::input;
use gpcm_validate::structural;
use std::path::Path;

fn main() {
    divan::main();
}

/// The message as a parsed document, plus its size for the throughput counter.
fn load() -> (Document, usize) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let real = root.join("../shared/corpus/real/1.6.0__cs__consultation_report.xml");
    let path = if real.is_file() {
        real
    } else {
        root.join("samples/valid/1.6.0/consultation-report.xml")
    };
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let raw = String::from_utf8(bytes).expect("the message is UTF-8");
    // The spec site wraps its examples in Liquid `{% highlight %}` lines; they are not XML.
    let text: String = raw
        .lines()
        .filter(|line| {
            let t = line.trim();
            !(t.starts_with("{%") && t.ends_with("%}"))
        })
        .map(|line| format!("{line}\n"))
        .collect();
    let len = text.len();
    let parsed = input::parse(path.display().to_string(), text.into_bytes());
    let doc = parsed.document.expect("the benchmark message parses");
    (doc, len)
}

/// The structural pass over the whole message: every node, every check.
#[divan::bench(sample_count = 1000)]
fn structural_pass(bencher: divan::Bencher) {
    let (doc, len) = load();
    // Parse the embedded tables before timing: a run pays that once, not per message.
    let mut warm = Vec::new();
    structural::check(&doc, &mut warm);
    bencher
        .counter(divan::counter::BytesCount::new(len))
        .bench_local(|| {
            let mut out = Vec::new();
            structural::check(divan::black_box(&doc), &mut out);
            out
        });
}
