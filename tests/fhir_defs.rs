//! Tests of the FHIR STU3 base definitions table and its lookups.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use gpcm_validate::fhir::defs::{stu3, Child, Ctx, Defs, JsonType, Kind};

const COMMITTED_TSV: &str = include_str!("../src/fhir/stu3_defs.tsv");

fn root(type_name: &str) -> Ctx {
    stu3()
        .root(type_name)
        .unwrap_or_else(|| panic!("no type {type_name}"))
}

/// Follows a dotted chain of JSON names from a type root.
fn walk(type_name: &str, names: &str) -> Child<'static> {
    let defs = stu3();
    let mut ctx = root(type_name);
    let mut found = None;
    for name in names.split('.') {
        let child = defs
            .child(ctx, name)
            .unwrap_or_else(|| panic!("{type_name}: no child {name} in {names}"));
        if let Some(content) = child.content {
            ctx = content;
        }
        found = Some(child);
    }
    found.expect("at least one name")
}

fn child_names(ctx: Ctx) -> Vec<&'static str> {
    stu3().children(ctx).map(|e| e.name).collect()
}

#[test]
fn type_info() {
    let defs = stu3();
    let bundle = defs.type_info("Bundle").unwrap();
    assert_eq!(bundle.kind, Kind::Resource);
    assert!(!bundle.is_abstract);
    assert_eq!(bundle.base, Some("Resource"));
    assert!(defs.type_info("DomainResource").unwrap().is_abstract);
    assert_eq!(defs.type_info("Coding").unwrap().kind, Kind::Complex);
    let date = defs.type_info("date").unwrap();
    assert_eq!(date.kind, Kind::Primitive);
    assert_eq!(date.json_type, Some(JsonType::String));
    assert!(date.value_regex.unwrap().starts_with("-?[0-9]{4}"));
    assert_eq!(
        defs.type_info("boolean").unwrap().json_type,
        Some(JsonType::Boolean)
    );
    assert_eq!(
        defs.type_info("positiveInt").unwrap().json_type,
        Some(JsonType::Number)
    );
    assert!(
        defs.type_info("SimpleQuantity").is_none(),
        "profiles are not base types"
    );
    assert!(defs.type_info("bundle").is_none());
    assert!(defs.is_resource_type("MessageHeader"));
    assert!(!defs.is_resource_type("Coding"));
    assert!(!defs.is_resource_type("NotAType"));
}

#[test]
fn bundle_entry_repeats_and_holds_a_resource() {
    let defs = stu3();
    let entry = defs.child(root("Bundle"), "entry").unwrap();
    assert!(entry.def.is_repeating());
    assert_eq!(entry.def.max, None);
    assert_eq!(entry.type_code, Some("BackboneElement"));
    assert_eq!(defs.path(entry.content.unwrap()), Some("Bundle.entry"));

    let resource = defs.child(entry.content.unwrap(), "resource").unwrap();
    assert_eq!(resource.def.path, "Bundle.entry.resource");
    assert_eq!(resource.type_code, Some("Resource"));
    assert!(!resource.def.is_repeating());
    assert_eq!(
        resource.content, None,
        "the resource node names its own type"
    );
}

#[test]
fn message_header_event_is_a_single_required_coding() {
    let event = walk("MessageHeader", "event");
    assert_eq!(event.def.min, 1);
    assert_eq!(event.def.max, Some(1));
    assert!(!event.def.is_repeating());
    assert_eq!(event.type_code, Some("Coding"));
    assert_eq!(event.content, Some(root("Coding")));
}

#[test]
fn coding_content() {
    let coding = root("Coding");
    assert!(
        stu3().element(coding).is_none(),
        "a type root has no element"
    );
    assert_eq!(
        child_names(coding),
        [
            "id",
            "extension",
            "system",
            "version",
            "code",
            "display",
            "userSelected"
        ]
    );
    let code = stu3().child(coding, "code").unwrap();
    assert_eq!(code.type_code, Some("code"));
    assert_eq!(code.content, Some(root("code")));
    assert_eq!(
        child_names(code.content.unwrap()),
        ["id", "extension", "value"]
    );
}

#[test]
fn choice_elements_resolve_by_type_suffix() {
    let defs = stu3();
    let quantity = defs.child(root("Observation"), "valueQuantity").unwrap();
    assert_eq!(quantity.def.path, "Observation.value[x]");
    assert_eq!(quantity.def.name, "value");
    assert!(quantity.def.is_choice());
    assert_eq!(quantity.type_code, Some("Quantity"));
    assert_eq!(quantity.content, Some(root("Quantity")));

    let extension = root("Extension");
    let boolean = defs.child(extension, "valueBoolean").unwrap();
    assert_eq!(boolean.type_code, Some("boolean"));
    assert_eq!(boolean.content, Some(root("boolean")));

    let reference = defs.child(extension, "valueReference").unwrap();
    assert_eq!(reference.type_code, Some("Reference"));
    assert_eq!(reference.content, Some(root("Reference")));

    for (name, code) in [
        ("valueDateTime", "dateTime"),
        ("valueCodeableConcept", "CodeableConcept"),
        ("valueString", "string"),
    ] {
        assert_eq!(
            defs.child(extension, name).unwrap().type_code,
            Some(code),
            "{name}"
        );
    }
    for bad in [
        "valueFoo",
        "value",
        "valuestring",
        "valueSTRING",
        "valueDatetime",
        "valueReferenceX",
        "ValueString",
        "valueCoding ",
    ] {
        assert!(defs.child(extension, bad).is_none(), "{bad}");
    }

    // The prefix itself contains a capital letter.
    let default = defs
        .child(root("ElementDefinition"), "defaultValueString")
        .unwrap();
    assert_eq!(default.def.path, "ElementDefinition.defaultValue[x]");
    assert_eq!(default.type_code, Some("string"));
}

#[test]
fn content_references_point_at_the_referenced_element() {
    let defs = stu3();
    let link = walk("Bundle", "entry.link");
    assert_eq!(link.def.content_reference, Some("#Bundle.link"));
    assert!(link.def.is_repeating());
    assert_eq!(link.type_code, None);
    assert_eq!(link.content, defs.at_path("Bundle.link"));
    let relation = defs.child(link.content.unwrap(), "relation").unwrap();
    assert_eq!(relation.def.path, "Bundle.link.relation");
    assert_eq!(relation.def.min, 1);

    let nested = walk("Composition", "section.section");
    assert_eq!(nested.def.content_reference, Some("#Composition.section"));
    assert_eq!(nested.content, defs.at_path("Composition.section"));
    let title = defs.child(nested.content.unwrap(), "title").unwrap();
    assert_eq!(title.def.path, "Composition.section.title");
    let deeper = walk("Composition", "section.section.section.entry");
    assert_eq!(deeper.def.path, "Composition.section.entry");
}

#[test]
fn primitive_elements_have_primitive_content() {
    let defs = stu3();
    let birth_date = defs.child(root("Patient"), "birthDate").unwrap();
    assert_eq!(birth_date.type_code, Some("date"));
    let content = birth_date.content.unwrap();
    assert_eq!(content, root("date"));
    assert_eq!(defs.type_of(content).unwrap().kind, Kind::Primitive);
    let extension = defs.child(content, "extension").unwrap();
    assert!(extension.def.is_repeating());
    assert_eq!(extension.type_code, Some("Extension"));
    assert!(defs.child(content, "id").is_some());
    let value = defs.child(content, "value").unwrap();
    assert!(value.def.types.is_empty());
    assert_eq!(value.content, None);
    assert!(value.def.regex.is_some());
}

#[test]
fn reference_and_narrative() {
    let reference = walk("Reference", "reference");
    assert_eq!(reference.type_code, Some("string"));

    let subject = walk("Observation", "subject");
    assert_eq!(subject.type_code, Some("Reference"));
    let targets: Vec<_> = subject.type_ref.unwrap().target_types().collect();
    assert_eq!(targets, ["Patient", "Group", "Device", "Location"]);

    let div = walk("Narrative", "div");
    assert_eq!(div.type_code, Some("xhtml"));
    assert_eq!(div.def.min, 1);
    let text = walk("Patient", "text");
    assert_eq!(text.type_code, Some("Narrative"));
}

#[test]
fn inherited_elements_are_in_every_snapshot() {
    let defs = stu3();
    assert_eq!(
        &child_names(root("Patient"))[..8],
        [
            "id",
            "meta",
            "implicitRules",
            "language",
            "text",
            "contained",
            "extension",
            "modifierExtension"
        ]
    );
    assert_eq!(
        child_names(root("Bundle"))[..4],
        ["id", "meta", "implicitRules", "language"]
    );
    let entry = walk("Bundle", "entry").content.unwrap();
    assert_eq!(
        child_names(entry)[..3],
        ["id", "extension", "modifierExtension"]
    );
    let contained = walk("Patient", "contained");
    assert_eq!(contained.type_code, Some("Resource"));
    assert_eq!(contained.content, None);
    assert_eq!(walk("Quantity", "extension").type_code, Some("Extension"));
    assert!(defs.child(root("Coding"), "modifierExtension").is_none());
}

#[test]
fn required_bindings_are_recorded() {
    assert_eq!(
        walk("Bundle", "type").def.required_binding,
        Some("http://hl7.org/fhir/ValueSet/bundle-type")
    );
    assert_eq!(walk("Coding", "code").def.required_binding, None);
}

#[test]
fn unknown_names_are_not_found() {
    let defs = stu3();
    let patient = root("Patient");
    for name in [
        "",
        "foo",
        "Name",
        "name.family",
        "resourceType",
        "birthdate",
    ] {
        assert!(defs.child(patient, name).is_none(), "{name:?}");
    }
    assert!(defs.root("Patients").is_none());
    assert!(defs.at_path("Patient.nope").is_none());
    // A leaf element has no children to find.
    let leaf = defs.at_path("Patient.gender").unwrap();
    assert!(defs.child(leaf, "id").is_none());
    assert_eq!(defs.children(leaf).count(), 0);
}

#[test]
fn every_type_and_element_resolves() {
    let defs = stu3();
    let mut elements = 0;
    for info in defs.types() {
        let ctx = defs.root(info.name).unwrap();
        assert_eq!(defs.path(ctx), Some(info.name));
        let mut stack = vec![ctx];
        while let Some(ctx) = stack.pop() {
            for def in defs.children(ctx) {
                elements += 1;
                let name = if def.is_choice() {
                    // Any allowed type names the element.
                    let code = def.types[0].code;
                    format!("{}{}{}", def.name, code[..1].to_uppercase(), &code[1..])
                } else {
                    def.name.to_string()
                };
                let child = defs.child(ctx, &name).unwrap();
                assert_eq!(child.def.path, def.path);
                let at = defs.at_path(def.path).unwrap();
                assert_eq!(defs.element(at).unwrap().path, def.path);
                // Descend into inline definitions only; datatypes are visited from their roots.
                if child.content == Some(at) {
                    stack.push(at);
                }
            }
        }
    }
    assert!(elements > 5000, "{elements} elements");
}

/// Prints how long parsing the embedded table takes (run with --release --nocapture). The
/// first parse is what a command-line run pays (cold allocator); the minimum is the least
/// disturbed by whatever else the machine is doing.
#[test]
fn load_time() {
    let runs = 30;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let defs = Defs::parse(COMMITTED_TSV).unwrap();
        times.push(start.elapsed());
        assert!(defs.root("Bundle").is_some());
    }
    let min = times.iter().min().unwrap();
    let mean = times.iter().sum::<std::time::Duration>() / runs as u32;
    let first = times[0];
    println!(
        "stu3_defs.tsv load time: first {first:?}, min {min:?}, mean {mean:?} over {runs} parses"
    );
}

/// The committed table must be exactly what the generator produces from the package.
#[test]
fn committed_table_matches_generator() {
    if let Some(committed) = assert_generated("tools/gen_stu3_defs.py", "src/fhir/stu3_defs.tsv") {
        assert_eq!(committed, COMMITTED_TSV.as_bytes());
    }
}

/// The committed required-binding codes must be exactly what their generator produces.
#[test]
fn committed_value_sets_match_generator() {
    if let Some(committed) = assert_generated(
        "tools/gen_stu3_valuesets.py",
        "src/structural/stu3_valuesets.tsv",
    ) {
        assert_eq!(
            committed,
            include_bytes!("../src/structural/stu3_valuesets.tsv")
        );
    }
}

/// Runs a generator over the 3.0.1 package and asserts its output is byte-identical to the
/// committed file; returns the committed bytes, or `None` when the check was skipped.
fn assert_generated(script: &str, committed: &str) -> Option<Vec<u8>> {
    let crate_root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let package = crate_root.join("../shared/conformance/fhir-stu3/hl7.fhir.core-3.0.1/package");
    if !package.is_dir() {
        println!("skipped: ../shared not present");
        return None;
    }
    let output = match Command::new("python3")
        .arg(crate_root.join(script))
        .arg(&package)
        .args(["-o", "-"])
        .output()
    {
        Ok(output) => output,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            println!("skipped: python3 not found");
            return None;
        }
        Err(err) => panic!("running {script}: {err}"),
    };
    assert!(
        output.status.success(),
        "{script} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let bytes = std::fs::read(crate_root.join(committed)).unwrap();
    assert!(
        output.stdout == bytes,
        "{committed} is stale; regenerate with: python3 {script} {}",
        "../shared/conformance/fhir-stu3/hl7.fhir.core-3.0.1/package"
    );
    Some(bytes)
}
