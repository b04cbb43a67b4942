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

/// A Rust slice literal of string literals: `&["a", "b"]`.
fn str_slice<S: AsRef<str>>(items: &[S]) -> String {
    let items: Vec<&str> = items.iter().map(AsRef::as_ref).collect();
    format!("&{items:?}")
}

/// An `Option<&str>` literal.
fn opt_str(value: Option<&str>) -> String {
    value.map_or("None".into(), |v| format!("Some({v:?})"))
}

// Rule definitions and their scoping by release are read with the crate's own code: `def.rs`
// needs `spec.rs` beside it and the crate's `Severity`, here a copy of the same variants.
#[allow(dead_code)]
#[path = "src/profile/def.rs"]
mod def;
#[allow(dead_code)]
#[path = "src/profile/spec.rs"]
mod spec;
mod finding {
    #[derive(Clone, Copy, Debug, serde::Deserialize)]
    #[serde(rename_all = "lowercase")]
    pub enum Severity {
        Error,
        Warning,
        Information,
    }
}

/// `RULES`: every rule of the embedded packs, as literals: its variants already scoped by
/// release (bit masks in `spec.toml` order), its check tables as JSON. A mistake that scoping
/// finds stops the build; the rest (paths, check parameters) is the crate's to report, and a
/// test compiles every embedded rule.
fn pack_rules(files: &[(String, PathBuf)], spec: &spec::SpecFile) -> String {
    let mut code = String::from(
        "/// Every rule of the embedded packs, in file order.\npub static RULES: &[EmbeddedRule] = &[\n",
    );
    for (rel, path) in files.iter().filter(|(rel, _)| rel.starts_with("packs/")) {
        let text = std::fs::read_to_string(path).unwrap();
        let file: def::RuleFile = toml::from_str(&text)
            .unwrap_or_else(|e| panic!("profiles/{rel} is not a valid rule pack: {e}"));
        for rule in &file.rules {
            let fail = |e: String| -> ! { panic!("profiles/{rel}: rule `{}`: {e}", rule.name) };
            let (variants, tables) = rule.scoped(spec).unwrap_or_else(|e| fail(e));
            let checks: Vec<String> = tables
                .iter()
                .map(|t| serde_json::to_string(t).unwrap())
                .collect();
            let variants: Vec<String> = variants
                .iter()
                .map(|v| {
                    let ids: Vec<String> = v
                        .requirements
                        .iter()
                        .map(|(mask, id)| format!("({mask}, {id:?})"))
                        .collect();
                    format!(
                        "EmbeddedVariant {{ versions: {}, use_cases: {}, severity: {}, check: {}, requirements: &[{}], also: {} }}",
                        v.versions,
                        str_slice(&v.use_cases),
                        v.severity.map_or("None".into(), |s| format!("Some(Severity::{s:?})")),
                        v.check,
                        ids.join(", "),
                        str_slice(&v.also),
                    )
                })
                .collect();
            writeln!(
                code,
                "    EmbeddedRule {{ file: {rel:?}, name: {:?}, severity: Severity::{:?}, applies: {}, summary: {:?}, help: {:?}, docs: {:?}, message: {:?}, missing_message: {}, select: {}, for_each: {}, checks: {}, variants: &[{}] }},",
                rule.name,
                rule.severity,
                rule.applies.as_ref().map_or("None".into(), |a| format!("Some({})", str_slice(a))),
                rule.summary,
                rule.help,
                rule.docs,
                rule.message,
                opt_str(rule.missing_message.as_deref()),
                opt_str(rule.select.as_deref()),
                opt_str(rule.for_each.as_deref()),
                str_slice(&checks),
                variants.join(", "),
            )
            .unwrap();
        }
    }
    code.push_str("];\n");
    code
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
    // The same files as JSON, which parses several times faster than TOML; packs are left out,
    // their rules going into `RULES` below.
    code.push_str("/// The files other than packs, converted to JSON.\npub static JSON: &[(&str, &str)] = &[\n");
    for (i, (rel, path)) in files.iter().enumerate() {
        if rel.starts_with("packs/") {
            continue;
        }
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
    println!("cargo:rerun-if-changed=src/profile/spec.rs");
    println!("cargo:rerun-if-changed=src/profile/def.rs");
    let spec_text = std::fs::read_to_string(root.join("spec.toml")).unwrap();
    let spec =
        spec::SpecFile::parse(&spec_text).unwrap_or_else(|e| panic!("profiles/spec.toml: {e}"));
    code.push_str(&pack_rules(&files, &spec));
    let out = out_dir.join("embedded_profiles.rs");
    std::fs::write(out, code).unwrap();
    stu3_tables(&out_dir);
}
