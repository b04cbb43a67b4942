//! The neutral tree is the same whichever syntax a message was written in: the JSON and XML
//! twins of each sample parse to identical trees (names, kinds, resource types, values, order).

mod common;

use gpcm_validate::document::{Document, NodeId};
use gpcm_validate::input;
use std::path::Path;

fn parse(rel: &str) -> Document {
    let bytes = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap();
    let parsed = input::parse(rel.to_string(), bytes);
    assert!(parsed.findings.is_empty(), "{rel}: {:?}", parsed.findings);
    parsed.document.expect("parses")
}

/// One line per node: depth, name, kind, resource type and value, in document order.
fn outline(doc: &Document) -> Vec<String> {
    fn walk(doc: &Document, id: NodeId, depth: usize, out: &mut Vec<String>) {
        let n = doc.node(id);
        out.push(format!(
            "{}{} {:?} {:?} {:?}",
            "  ".repeat(depth),
            doc.name(id),
            n.kind,
            doc.resource_type(id),
            doc.value(id)
        ));
        for c in doc.children(id) {
            walk(doc, c, depth + 1, out);
        }
    }
    let mut out = Vec::new();
    walk(doc, doc.root(), 0, &mut out);
    out
}

#[test]
fn json_and_xml_twins_parse_to_the_same_tree() {
    for stem in [
        "samples/valid/1.6.0/consultation-report",
        "samples/valid/1.2.1/federated-consultation-report",
    ] {
        let j = outline(&parse(&format!("{stem}.json")));
        let x = outline(&parse(&format!("{stem}.xml")));
        assert!(j.len() > 100, "{stem}: suspiciously small tree");
        for (a, b) in j.iter().zip(&x) {
            assert_eq!(a, b, "{stem}: first difference");
        }
        assert_eq!(j.len(), x.len(), "{stem}: node counts differ");
    }
}

#[test]
fn primitive_extensions_fold_into_the_primitive_in_both_syntaxes() {
    let json = r#"{"resourceType":"Patient","birthDate":"1970-01-01","_birthDate":{"id":"b1","extension":[{"url":"http://example.org/x","valueBoolean":true}]},
        "name":[{"given":["Ann",null],"_given":[null,{"id":"g2"}]}]}"#;
    let xml = r#"<Patient xmlns="http://hl7.org/fhir"><birthDate id="b1" value="1970-01-01"><extension url="http://example.org/x"><valueBoolean value="true"/></extension></birthDate>
        <name><given value="Ann"/><given id="g2"/></name></Patient>"#;
    let j = input::parse("p.json".into(), json.as_bytes().to_vec());
    let x = input::parse("p.xml".into(), xml.as_bytes().to_vec());
    assert!(j.findings.is_empty(), "{:?}", j.findings);
    assert!(x.findings.is_empty(), "{:?}", x.findings);
    let (j, x) = (j.document.unwrap(), x.document.unwrap());
    assert_eq!(outline(&j), outline(&x));
    let birth = j.get(j.root(), "birthDate").unwrap();
    assert_eq!(j.value(birth), Some("1970-01-01"));
    assert_eq!(j.get_value(birth, "id"), Some("b1"));
    assert_eq!(j.get_value(birth, "extension.valueBoolean"), Some("true"));
    let given: Vec<_> = j
        .children_named(j.get(j.root(), "name").unwrap(), "given")
        .collect();
    assert_eq!(given.len(), 2);
    assert_eq!(j.value(given[1]), None);
    assert_eq!(j.get_value(given[1], "id"), Some("g2"));
    assert_eq!(j.location(given[1]), "Patient.name[0].given[1]");
    assert_eq!(
        x.location(
            x.children_named(x.get(x.root(), "name").unwrap(), "given")
                .nth(1)
                .unwrap()
        ),
        "Patient.name[0].given[1]"
    );
}

#[test]
fn spans_point_at_names_and_values() {
    let json = "{\"resourceType\": \"Bundle\",\n \"type\": \"message\"}";
    let doc = input::parse("b.json".into(), json.as_bytes().to_vec())
        .document
        .unwrap();
    let t = doc.get(doc.root(), "type").unwrap();
    let n = doc.node(t);
    assert_eq!(&json[n.name_span.range()], "type");
    assert_eq!(&json[n.value_span.range()], "\"message\"");
    assert_eq!(doc.source.line_col(n.value_span.start), (2, 10));
    let xml = "<Bundle xmlns=\"http://hl7.org/fhir\">\n  <type value=\"message\"/>\n</Bundle>";
    let doc = input::parse("b.xml".into(), xml.as_bytes().to_vec())
        .document
        .unwrap();
    let t = doc.get(doc.root(), "type").unwrap();
    let n = doc.node(t);
    assert_eq!(&xml[n.name_span.range()], "type");
    assert_eq!(&xml[n.value_span.range()], "message");
    assert_eq!(&xml[n.span.range()], "<type value=\"message\"/>");
    assert_eq!(doc.source.line_col(n.value_span.start), (2, 16));
}

#[test]
fn narrative_div_stays_xhtml_text() {
    let xml = r#"<Patient xmlns="http://hl7.org/fhir"><text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtml"><p>Ann <b>Smith</b></p></div></text></Patient>"#;
    let doc = input::parse("p.xml".into(), xml.as_bytes().to_vec())
        .document
        .unwrap();
    let div = doc.get(doc.root(), "text.div").unwrap();
    assert_eq!(
        doc.value(div),
        Some(r#"<div xmlns="http://www.w3.org/1999/xhtml"><p>Ann <b>Smith</b></p></div>"#)
    );
    assert_eq!(doc.children(div).count(), 0);
}

#[test]
fn mesh_control_files_keep_element_text_as_values() {
    let ctl = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DTSControl>\n  <Version>1.0</Version>\n  <WorkflowId>GPFED_CONSULT_REPORT</WorkflowId>\n  <Subject>A &amp; B</Subject>\n</DTSControl>\n";
    let parsed = input::parse("m.ctl".into(), ctl.as_bytes().to_vec());
    assert_eq!(parsed.kind.as_str(), "mesh-control");
    let doc = parsed.document.unwrap();
    assert_eq!(
        doc.get_value(doc.root(), "WorkflowId"),
        Some("GPFED_CONSULT_REPORT")
    );
    assert_eq!(doc.get_value(doc.root(), "Subject"), Some("A & B"));
    assert_eq!(doc.value(doc.root()), None, "indentation is not a value");
    let wf = doc.get(doc.root(), "WorkflowId").unwrap();
    assert_eq!(
        &ctl[doc.node(wf).value_span.range()],
        "GPFED_CONSULT_REPORT"
    );
}

/// Same-named siblings are numbered in order whether or not they follow one another, under a
/// parent with few distinct child names and under one with many (where the numbering switches
/// from a list to a hash map).
#[test]
fn same_named_siblings_are_numbered_in_order() {
    for distinct in [3, 40] {
        let names: Vec<String> = (0..distinct).map(|i| format!("n{i}")).collect();
        // Each name three times, interleaved: n0 n1 … n0 n1 … n0 n1 …
        let children: String = (0..3)
            .flat_map(|_| names.iter().map(|n| format!("<{n} value=\"x\"/>")))
            .collect();
        let xml = format!("<Basic xmlns=\"http://hl7.org/fhir\">{children}</Basic>");
        let parsed = input::parse("t.xml".into(), xml.into_bytes());
        let doc = parsed.document.expect("parses");
        let mut expected = std::collections::HashMap::new();
        for c in doc.children(doc.root()) {
            let next = expected.entry(doc.name(c).to_string()).or_insert(0u32);
            assert_eq!(doc.node(c).index, *next, "{} among {distinct}", doc.name(c));
            *next += 1;
        }
        assert_eq!(expected.len(), distinct);
        assert!(expected.values().all(|&n| n == 3));
    }
}

/// `has_name` and `is_resource_type` compare lengths before bytes; they must answer exactly as
/// comparing `name` and `resource_type` does, for names sliced from the source and for names
/// a JSON escape made the parser copy.
#[test]
fn name_and_type_tests_agree_with_the_strings() {
    let escaped = br#"{"resourceType": "Bundle", "ty\u0070e": "message", "entry": [{"resource": {"resourceType": "Pati\u0065nt", "id": "p"}}]}"#;
    let parsed = input::parse("escaped.json".to_string(), escaped.to_vec());
    let mut docs = vec![parsed.document.expect("parses")];
    docs.push(parse("samples/valid/1.6.0/consultation-report.json"));
    docs.push(parse("samples/valid/1.6.0/consultation-report.xml"));
    let probes = [
        "type", "typ", "types", "Patient", "Patienu", "Bundle", "entry", "id", "",
    ];
    for doc in &docs {
        let mut ids = vec![doc.root()];
        ids.extend(doc.descendants(doc.root()));
        for id in ids {
            for probe in probes.iter().copied().chain([doc.name(id)]) {
                assert_eq!(doc.has_name(id, probe), doc.name(id) == probe, "{probe}");
                let is_type = doc.resource_type(id) == Some(probe);
                assert_eq!(doc.is_resource_type(id, probe), is_type, "{probe}");
            }
        }
    }
    let doc = &docs[0];
    let entry = doc.child(doc.root(), "entry").unwrap();
    let resource = doc.child(entry, "resource").unwrap();
    assert!(
        doc.child(doc.root(), "type").is_some(),
        "an escaped key reads unescaped"
    );
    assert!(doc.is_resource_type(resource, "Patient"));
}
