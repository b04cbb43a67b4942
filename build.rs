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
fn str_slice(items: &[&str]) -> String {
    format!("&{items:?}")
}

/// The strings of an optional TOML array (`None` when the key is absent).
fn strings(value: Option<&toml::Value>) -> Option<Vec<&str>> {
    let array = value?.as_array()?;
    Some(array.iter().filter_map(|v| v.as_str()).collect())
}

/// `RULES`: every rule of the embedded packs. What decides whether a rule applies to a document
/// (its input kinds, and the releases and use cases of the rule or of each variant) is written
/// as literals, and so is its prose (summary, help, docs); the rest of the rule as JSON, which a
/// run compiles only when a document needs it. Mistakes in a rule are the crate's to report: a
/// test compiles every embedded rule.
fn pack_rules(files: &[(String, PathBuf)]) -> String {
    let mut code = String::from(
        "/// Every rule of the embedded packs, in file order.\npub static RULES: &[EmbeddedRule] = &[\n",
    );
    for (rel, path) in files.iter().filter(|(rel, _)| rel.starts_with("packs/")) {
        let text = std::fs::read_to_string(path).unwrap();
        let value: toml::Value = toml::from_str(&text).unwrap();
        let rules = value.get("rule").and_then(|r| r.as_array());
        for rule in rules.into_iter().flatten() {
            let name = rule.get("name").and_then(|n| n.as_str()).unwrap_or("");
            let applies = strings(rule.get("applies"));
            let variants = rule.get("variant").and_then(|v| v.as_array());
            let scope = |table: &toml::Value| {
                let versions = strings(table.get("versions"));
                let use_cases = strings(table.get("use_cases")).unwrap_or_default();
                format!(
                    "({}, {})",
                    versions.map_or("None".into(), |v| format!("Some({})", str_slice(&v))),
                    str_slice(&use_cases)
                )
            };
            let scopes: Vec<String> = match variants {
                Some(list) if !list.is_empty() => list.iter().map(scope).collect(),
                _ => vec![scope(rule)],
            };
            // The prose stays out of the JSON: a run only reads it to print it.
            let mut rest = rule.clone();
            let mut prose = Vec::new();
            for key in ["summary", "help", "docs"] {
                let text = rule.get(key).and_then(|t| t.as_str()).unwrap_or("");
                prose.push(format!("{key}: {text:?}"));
                if let Some(table) = rest.as_table_mut() {
                    table.insert(key.into(), toml::Value::String(String::new()));
                }
            }
            let json = serde_json::to_string(&rest).unwrap();
            let severity = match rule.get("severity").and_then(|s| s.as_str()) {
                Some("error") => "Error",
                Some("warning") => "Warning",
                Some("information") => "Information",
                other => panic!("profiles/{rel}: rule `{name}`: severity {other:?} is not error, warning or information"),
            };
            writeln!(
                code,
                "    EmbeddedRule {{ file: {rel:?}, name: {name:?}, severity: Severity::{severity}, applies: {}, scopes: &[{}], {}, json: {json:?} }},",
                applies.map_or("None".into(), |a| format!("Some({})", str_slice(&a))),
                scopes.join(", "),
                prose.join(", "),
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
    code.push_str(&pack_rules(&files));
    let out = out_dir.join("embedded_profiles.rs");
    std::fs::write(out, code).unwrap();
    stu3_tables(&out_dir);
}
