//! Embeds every file under `profiles/` into the binary, so a fresh install needs nothing beside
//! it and a new pack file is picked up without touching Rust code; and turns the generated STU3
//! tables (`src/fhir/stu3_defs.tsv`, `src/structural/stu3_valuesets.tsv`) into Rust statics, so
//! no run parses them.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, root: &Path, out: &mut Vec<(String, PathBuf)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read profiles/")
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, root, out);
        } else if path.extension().is_some_and(|x| x == "toml") {
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, path));
        }
    }
}

// The STU3 tables are parsed and indexed by the same code the crate uses, compiled in here too;
// only what `stu3_tables` gates (the embedded result itself) is left out of the build script.
#[allow(dead_code, unexpected_cfgs)]
#[path = "src/structural/binding.rs"]
mod binding;
#[allow(dead_code, unexpected_cfgs)]
#[path = "src/fhir/defs.rs"]
mod defs;

/// Writes the STU3 definitions and required-binding codes as Rust expressions to `OUT_DIR`.
fn stu3_tables(out_dir: &Path) {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |rel: &str| -> &'static str {
        println!("cargo:rerun-if-changed={rel}");
        let text = std::fs::read_to_string(manifest.join(rel))
            .unwrap_or_else(|e| panic!("read {rel}: {e}"));
        // The tables borrow their strings from the text, as in the crate.
        Box::leak(text.into_boxed_str())
    };
    let text = read("src/fhir/stu3_defs.tsv");
    let defs = defs::Defs::parse(text).unwrap_or_else(|e| {
        panic!("src/fhir/stu3_defs.tsv: {e}; regenerate it with tools/gen_stu3_defs.py")
    });
    std::fs::write(out_dir.join("stu3_defs.rs"), defs.to_rust(text)).unwrap();
    let sets = binding::ValueSets::parse(read("src/structural/stu3_valuesets.tsv"))
        .unwrap_or_else(|e| {
            panic!("src/structural/stu3_valuesets.tsv: {e}; regenerate it with tools/gen_stu3_valuesets.py")
        });
    std::fs::write(out_dir.join("stu3_valuesets.rs"), sets.to_rust()).unwrap();
    println!("cargo:rustc-check-cfg=cfg(stu3_tables)");
    println!("cargo:rustc-cfg=stu3_tables");
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles");
    println!("cargo:rerun-if-changed=profiles");
    let mut files = Vec::new();
    collect(&root, &root, &mut files);
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let mut code = String::from(
        "/// `(path relative to profiles/, contents)` of every TOML file, sorted.\npub static FILES: &[(&str, &str)] = &[\n",
    );
    for (rel, path) in &files {
        writeln!(
            code,
            "    ({rel:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .unwrap();
    }
    code.push_str("];\n");
    // The same files as JSON: every run parses the packs, and JSON parses several times faster
    // than TOML.
    code.push_str("/// The same files converted to JSON.\npub static JSON: &[(&str, &str)] = &[\n");
    for (i, (rel, path)) in files.iter().enumerate() {
        let text = std::fs::read_to_string(path).unwrap();
        let value: toml::Value = toml::from_str(&text)
            .unwrap_or_else(|e| panic!("profiles/{rel} is not valid TOML: {e}"));
        let json_path = out_dir.join(format!("profile-{i}.json"));
        std::fs::write(&json_path, serde_json::to_string(&value).unwrap()).unwrap();
        writeln!(
            code,
            "    ({rel:?}, include_str!({:?})),",
            json_path.display().to_string()
        )
        .unwrap();
    }
    code.push_str("];\n");
    let out = out_dir.join("embedded_profiles.rs");
    std::fs::write(out, code).unwrap();
    stu3_tables(&out_dir);
}
