//! Embeds every file under `profiles/` into the binary, so a fresh install needs nothing beside
//! it and a new pack file is picked up without touching Rust code.

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
}
