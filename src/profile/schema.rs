//! Validates pack files against `profiles/pack.schema.json` (JSON Schema) so that a pack author
//! learns exactly which field of which rule is wrong, before any rule is compiled.

/// The schema, embedded so that `--profiles DIR` is checked against the schema this binary
/// understands, not whatever the directory holds.
pub const PACK_SCHEMA: &str = include_str!("../../profiles/pack.schema.json");

pub fn validator() -> Result<jsonschema::Validator, String> {
    let schema: serde_json::Value = serde_json::from_str(PACK_SCHEMA).map_err(|e| e.to_string())?;
    jsonschema::validator_for(&schema).map_err(|e| e.to_string())
}

/// Checks one parsed pack file; the error names every offending place by its path in the file
/// and, for rules, the rule's name.
pub fn check(validator: &jsonschema::Validator, pack: &toml::Value) -> Result<(), String> {
    let json = serde_json::to_value(pack).map_err(|e| e.to_string())?;
    let mut problems: Vec<String> = validator
        .iter_errors(&json)
        .map(|e| {
            let pointer = e.instance_path().to_string();
            format!("{}: {e}", describe(&json, &pointer))
        })
        .collect();
    problems.sort();
    problems.dedup();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// `/rule/3/check/kind` → `rule[3] (`handling-key-missing`).check.kind`.
fn describe(json: &serde_json::Value, pointer: &str) -> String {
    let parts: Vec<&str> = pointer.split('/').filter(|p| !p.is_empty()).collect();
    let mut out = String::new();
    let mut at = json;
    for (i, part) in parts.iter().enumerate() {
        match part.parse::<usize>() {
            Ok(n) => {
                out.push_str(&format!("[{n}]"));
                at = &at[n];
                if i == 1 {
                    if let Some(name) = at.get("name").and_then(|v| v.as_str()) {
                        out.push_str(&format!(" (`{name}`)"));
                    }
                }
            }
            Err(_) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(part);
                at = &at[*part];
            }
        }
    }
    if out.is_empty() {
        "the file".into()
    } else {
        out
    }
}
