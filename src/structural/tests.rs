//! Unit tests of the structural pass over small inline documents: each rule fires where it
//! should, at the node it should (checked by the text under the label), the same way in JSON
//! and XML, and stays quiet on valid content.

use super::*;
use crate::document::Span;
use crate::input;

/// `(rule, location, labelled source text)` of every structural finding, sorted by position.
fn run(path: &str, text: &str) -> Vec<(String, String, String)> {
    let parsed = input::parse(path.to_string(), text.as_bytes().to_vec());
    let doc = parsed
        .document
        .unwrap_or_else(|| panic!("{path} does not parse: {:?}", parsed.findings));
    let mut out = Vec::new();
    check(&doc, &mut out);
    crate::finding::sort(&mut out);
    out.into_iter()
        .map(|f| {
            let span = f.label.as_ref().map_or(Span::default(), |l| l.span);
            (
                f.rule,
                f.location.unwrap_or_default(),
                text[span.range()].to_string(),
            )
        })
        .collect()
}

fn patient_json(body: &str) -> String {
    format!(
        "{{\"resourceType\": \"Patient\", \"id\": \"p1\"{}{body}}}",
        if body.is_empty() { "" } else { ", " }
    )
}

fn patient_xml(body: &str) -> String {
    format!("<Patient xmlns=\"http://hl7.org/fhir\"><id value=\"p1\"/>{body}</Patient>")
}

/// Asserts the findings of a JSON document and its XML twin: same rules at the same locations;
/// the labelled text is given per format because JSON quotes values and XML does not.
#[track_caller]
fn twins(json: &str, xml: &str, expected: &[(&str, &str, &str, &str)]) {
    let from_json = run("t.json", json);
    let from_xml = run("t.xml", xml);
    let want_json: Vec<_> = expected
        .iter()
        .map(|(r, l, j, _)| (r.to_string(), l.to_string(), j.to_string()))
        .collect();
    let want_xml: Vec<_> = expected
        .iter()
        .map(|(r, l, _, x)| (r.to_string(), l.to_string(), x.to_string()))
        .collect();
    assert_eq!(from_json, want_json, "JSON: {json}");
    assert_eq!(from_xml, want_xml, "XML: {xml}");
}

#[test]
fn valid_content_is_clean() {
    twins(
        &patient_json(
            r#""meta": {"profile": ["https://example.org/p"]},
            "extension": [{"url": "https://example.org/e", "valueCode": "x"}],
            "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9000000009"}],
            "active": true,
            "name": [{"use": "official", "family": "Smith", "given": ["Ann", "Bea"]}],
            "gender": "female",
            "birthDate": "1980-02-29",
            "_birthDate": {"extension": [{"url": "https://example.org/t", "valueTime": "10:15:00"}]},
            "multipleBirthInteger": 2,
            "communication": [{"language": {"text": "English"}, "preferred": true}]"#,
        ),
        &patient_xml(
            r#"<meta><profile value="https://example.org/p"/></meta>
            <extension url="https://example.org/e"><valueCode value="x"/></extension>
            <identifier><system value="https://fhir.nhs.uk/Id/nhs-number"/><value value="9000000009"/></identifier>
            <active value="true"/>
            <name><use value="official"/><family value="Smith"/><given value="Ann"/><given value="Bea"/></name>
            <gender value="female"/>
            <birthDate value="1980-02-29"><extension url="https://example.org/t"><valueTime value="10:15:00"/></extension></birthDate>
            <multipleBirthInteger value="2"/>
            <communication><language><text value="English"/></language><preferred value="true"/></communication>"#,
        ),
        &[],
    );
}

#[test]
fn unknown_elements_are_reported_once_at_the_top() {
    twins(
        &patient_json(r#""foo": {"bar": {"baz": "1"}}"#),
        &patient_xml(r#"<foo><bar><baz value="1"/></bar></foo>"#),
        &[("element-unknown", "Patient.foo", "foo", "foo")],
    );
    // A choice element needs a known type suffix.
    twins(
        &patient_json(r#""deceasedText": "no""#),
        &patient_xml(r#"<deceasedText value="no"/>"#),
        &[(
            "element-unknown",
            "Patient.deceasedText",
            "deceasedText",
            "deceasedText",
        )],
    );
    // A primitive's value is never a child element.
    twins(
        &patient_json(r#""_birthDate": {"value": "1980-01-01"}"#),
        &patient_xml(r#"<birthDate><value value="1980-01-01"/></birthDate>"#),
        &[(
            "element-unknown",
            "Patient.birthDate.value",
            "value",
            "value",
        )],
    );
}

#[test]
fn unknown_element_help_suggests_the_name() {
    let parsed = input::parse(
        "t.xml".into(),
        patient_xml(r#"<deceasedText value="x"/><birthdate value="1980-01-01"/>"#).into_bytes(),
    );
    let mut out = Vec::new();
    check(parsed.document.as_ref().unwrap(), &mut out);
    let helps: Vec<_> = out.iter().map(|f| f.help.clone().unwrap()).collect();
    assert!(helps[0].contains("`deceasedBoolean`"), "{helps:?}");
    assert!(
        helps[1].contains("case-sensitive: `birthDate`"),
        "{helps:?}"
    );
}

#[test]
fn schema_location_is_allowed_on_the_root_only() {
    let xml = r#"<Patient xmlns="http://hl7.org/fhir" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://hl7.org/fhir ../../schema/patient.xsd"><name xsi:schemaLocation="x"><family value="S"/></name></Patient>"#;
    assert_eq!(
        run("t.xml", xml),
        [(
            "element-unknown".to_string(),
            "Patient.name[0].xsi:schemaLocation".to_string(),
            "xsi:schemaLocation".to_string()
        )]
    );
}

fn bundle_json(resource: &str) -> String {
    format!(
        r#"{{"resourceType": "Bundle", "type": "collection", "entry": [{{"resource": {resource}}}]}}"#
    )
}

fn bundle_xml(resource: &str) -> String {
    format!(
        r#"<Bundle xmlns="http://hl7.org/fhir"><type value="collection"/><entry><resource>{resource}</resource></entry></Bundle>"#
    )
}

#[test]
fn resource_types() {
    twins(
        r#"{"resourceType": "patient"}"#,
        r#"<patient xmlns="http://hl7.org/fhir"/>"#,
        &[("resource-type-unknown", "patient", "patient", "patient")],
    );
    twins(
        &bundle_json(r#"{"resourceType": "bundle", "type": "document"}"#),
        &bundle_xml(r#"<bundle><type value="document"/></bundle>"#),
        &[(
            "resource-type-unknown",
            "Bundle.entry[0].resource",
            "bundle",
            "bundle",
        )],
    );
    twins(
        &bundle_json(r#"{"resourceType": "DomainResource"}"#),
        &bundle_xml("<DomainResource/>"),
        &[(
            "resource-type-unknown",
            "Bundle.entry[0].resource",
            "DomainResource",
            "DomainResource",
        )],
    );
    twins(
        &bundle_json(r#"{"id": "x"}"#),
        &bundle_xml(r#"<id value="x"/>"#),
        &[(
            "resource-expected",
            "Bundle.entry[0].resource",
            "resource",
            "resource",
        )],
    );
    twins(
        &patient_json(r#""managingOrganization": {"resourceType": "Organization", "name": "X"}"#),
        &patient_xml(
            r#"<managingOrganization><Organization><name value="X"/></Organization></managingOrganization>"#,
        ),
        &[(
            "resource-not-allowed",
            "Patient.managingOrganization",
            "Organization",
            "Organization",
        )],
    );
    // JSON's root without `resourceType` is the parser's finding, not this pass's.
    assert_eq!(run("t.json", r#"{"id": "x"}"#), []);
}

#[test]
fn cardinality() {
    twins(
        r#"{"resourceType": "Bundle"}"#,
        r#"<Bundle xmlns="http://hl7.org/fhir"/>"#,
        &[("cardinality-too-few", "Bundle", "Bundle", "Bundle")],
    );
    twins(
        &patient_json(r#""communication": [{"preferred": true}]"#),
        &patient_xml(r#"<communication><preferred value="true"/></communication>"#),
        &[(
            "cardinality-too-few",
            "Patient.communication[0]",
            "communication",
            "communication",
        )],
    );
    // The typed forms of a choice count together against `deceased[x]`'s max of 1.
    twins(
        &patient_json(r#""deceasedBoolean": false, "deceasedDateTime": "2020-01-01""#),
        &patient_xml(r#"<deceasedBoolean value="false"/><deceasedDateTime value="2020-01-01"/>"#),
        &[(
            "cardinality-too-many",
            "Patient.deceasedDateTime",
            "deceasedDateTime",
            "deceasedDateTime",
        )],
    );
    assert_eq!(
        run(
            "t.xml",
            &patient_xml(r#"<gender value="male"/><gender value="female"/>"#)
        ),
        [(
            "cardinality-too-many".into(),
            "Patient.gender[1]".into(),
            "gender".into()
        )]
    );
}

#[test]
fn json_shape() {
    let one = |body: &str| run("t.json", &patient_json(body));
    let f = |rule: &str, location: &str, text: &str| {
        vec![(rule.to_string(), location.to_string(), text.to_string())]
    };
    assert_eq!(
        one(r#""name": {"family": "S"}"#),
        f("json-array-expected", "Patient.name[0]", "name")
    );
    assert_eq!(
        one(r#""gender": ["male"]"#),
        f("json-array-unexpected", "Patient.gender[0]", "gender")
    );
    assert_eq!(
        one(r#""active": "true""#),
        f("json-value-type-mismatch", "Patient.active", "\"true\"")
    );
    assert_eq!(
        one(r#""multipleBirthInteger": "2""#),
        f(
            "json-value-type-mismatch",
            "Patient.multipleBirthInteger",
            "\"2\""
        )
    );
    assert_eq!(
        one(r#""gender": 1"#),
        f("json-value-type-mismatch", "Patient.gender", "1")
    );
    // A primitive written as an object is one finding, whatever the object holds.
    assert_eq!(
        one(r#""birthDate": {"value": "1980-01-01"}"#),
        f("json-value-type-mismatch", "Patient.birthDate", "birthDate")
    );
    assert_eq!(
        one(r#""birthDate": {}"#),
        f("json-value-type-mismatch", "Patient.birthDate", "birthDate")
    );
}

#[test]
fn values() {
    twins(
        &patient_json(r#""maritalStatus": "M""#),
        &patient_xml(r#"<maritalStatus value="M"/>"#),
        &[(
            "element-value-not-allowed",
            "Patient.maritalStatus",
            "\"M\"",
            "M",
        )],
    );
    twins(
        &patient_json(r#""birthDate": "1981-02-29""#),
        &patient_xml(r#"<birthDate value="1981-02-29"/>"#),
        &[(
            "primitive-invalid",
            "Patient.birthDate",
            "\"1981-02-29\"",
            "1981-02-29",
        )],
    );
    twins(
        &patient_json(r#""gender": "Male""#),
        &patient_xml(r#"<gender value="Male"/>"#),
        &[(
            "code-not-in-value-set",
            "Patient.gender",
            "\"Male\"",
            "Male",
        )],
    );
    // A code is format-checked first; an invalid one is not also looked up.
    twins(
        &patient_json(r#""gender": " male""#),
        &patient_xml(r#"<gender value=" male"/>"#),
        &[("primitive-invalid", "Patient.gender", "\" male\"", " male")],
    );
}

#[test]
fn required_binding_on_a_coding() {
    let plan = |code: &str, system: &str| {
        format!(
            r#"{{"resourceType": "PlanDefinition", "status": "draft", "action": [{{"type": {{"system": "{system}", "code": "{code}"}}}}]}}"#
        )
    };
    assert_eq!(
        run("t.json", &plan("create", "http://hl7.org/fhir/action-type")),
        []
    );
    assert_eq!(
        run("t.json", &plan("nope", "http://hl7.org/fhir/action-type")),
        [(
            "code-not-in-value-set".into(),
            "PlanDefinition.action[0].type.code".into(),
            "\"nope\"".into()
        )]
    );
    // A code of another system says nothing about this value set.
    assert_eq!(run("t.json", &plan("nope", "https://example.org/cs")), []);
}

#[test]
fn empty_elements_and_values() {
    twins(
        &patient_json(r#""meta": {}"#),
        &patient_xml("<meta/>"),
        &[("element-empty", "Patient.meta", "meta", "meta")],
    );
    twins(
        &patient_json(r#""gender": """#),
        &patient_xml(r#"<gender value=""/>"#),
        &[("element-empty", "Patient.gender", "gender", "gender")],
    );
    // Only an `id` is still empty (ele-1 does not count it).
    assert_eq!(
        run("t.xml", &patient_xml(r#"<meta id="m"/>"#)),
        [("element-empty".into(), "Patient.meta".into(), "meta".into())]
    );
    // Text content is the parser's finding (`xml-unexpected-text`), not an empty element.
    assert_eq!(run("t.xml", &patient_xml("<gender>male</gender>")), []);
    assert_eq!(
        run("t.xml", &patient_xml("<meta><!-- nothing --></meta>")),
        [("element-empty".into(), "Patient.meta".into(), "meta".into())]
    );
}

#[test]
fn extensions_ext_1() {
    twins(
        &patient_json(
            r#""extension": [{"url": "https://example.org/e", "extension": [{"url": "a", "valueCode": "x"}], "valueCode": "y"}]"#,
        ),
        &patient_xml(
            r#"<extension url="https://example.org/e"><extension url="a"><valueCode value="x"/></extension><valueCode value="y"/></extension>"#,
        ),
        &[(
            "extension-value-and-children",
            "Patient.extension[0].valueCode",
            "valueCode",
            "valueCode",
        )],
    );
    twins(
        &patient_json(r#""extension": [{"url": "https://example.org/e"}]"#),
        &patient_xml(r#"<extension url="https://example.org/e"/>"#),
        &[(
            "extension-value-missing",
            "Patient.extension[0]",
            "extension",
            "extension",
        )],
    );
    // A misspelt value is reported as unknown, not also as a missing value.
    assert_eq!(
        run(
            "t.xml",
            &patient_xml(
                r#"<extension url="https://example.org/e"><valueText value="x"/></extension>"#
            )
        ),
        [(
            "element-unknown".into(),
            "Patient.extension[0].valueText".into(),
            "valueText".into()
        )]
    );
}

#[test]
fn xml_order_and_attributes() {
    assert_eq!(
        run(
            "t.xml",
            &patient_xml(
                r#"<gender value="male"/><active value="true"/><name><family value="S"/></name>"#
            )
        ),
        [(
            "xml-element-order".into(),
            "Patient.active".into(),
            "active".into()
        )]
    );
    // Repeats of one element must be adjacent.
    assert_eq!(
        run(
            "t.xml",
            &patient_xml(r#"<name><given value="A"/><family value="S"/><given value="B"/></name>"#)
        ),
        [(
            "xml-element-order".into(),
            "Patient.name[0].family".into(),
            "family".into()
        )]
    );
    // JSON has no order.
    assert_eq!(
        run(
            "t.json",
            &patient_json(r#""gender": "male", "active": true"#)
        ),
        []
    );
    assert_eq!(
        run(
            "t.xml",
            &patient_xml(
                r#"<extension><url value="https://example.org/e"/><valueCode value="x"/></extension>"#
            )
        ),
        [(
            "xml-attribute-mismatch".into(),
            "Patient.extension[0].url".into(),
            "url".into()
        )]
    );
    assert_eq!(
        run("t.xml", &patient_xml(r#"<name family="S"/>"#)),
        [(
            "xml-attribute-mismatch".into(),
            "Patient.name[0].family".into(),
            "family".into()
        )]
    );
}

#[test]
fn parser_findings_are_not_repeated() {
    // `NaN` is `json-non-finite-number`, reported by the parser.
    assert_eq!(
        run("t.json", &patient_json(r#""multipleBirthInteger": NaN"#)),
        []
    );
    // A required element written as `null` is `json-null`, not also a missing element.
    assert_eq!(
        run("t.json", r#"{"resourceType": "Bundle", "type": null}"#),
        []
    );
    assert_eq!(
        run(
            "t.json",
            &patient_json(r#""communication": [{"preferred": true, "language": null}]"#)
        ),
        []
    );
    // A `null` deeper down does not excuse the missing element.
    assert_eq!(
        run(
            "t.json",
            r#"{"resourceType": "Bundle", "meta": {"versionId": "1", "type": null}}"#
        ),
        [(
            "cardinality-too-few".into(),
            "Bundle".into(),
            "Bundle".into()
        )]
    );
}

/// The order check compares definitions by table position; that is only definition order if
/// each parent's child definitions have increasing positions. Checks every type of the table.
#[test]
fn child_definitions_are_in_table_order() {
    let defs = defs::stu3();
    let mut parents = 0;
    for info in defs.types() {
        let mut stack = vec![defs.root(info.name).unwrap()];
        while let Some(ctx) = stack.pop() {
            parents += 1;
            let children: Vec<&ElementDef> = defs.children(ctx).collect();
            for pair in children.windows(2) {
                assert!(
                    order::position(pair[0]) < order::position(pair[1]),
                    "{} before {}",
                    pair[0].path,
                    pair[1].path
                );
            }
            for def in children {
                if let Some(at) = defs.at_path(def.path) {
                    if def.content_reference.is_none()
                        && def
                            .types
                            .iter()
                            .any(|t| t.code == "BackboneElement" || t.code == "Element")
                    {
                        stack.push(at);
                    }
                }
            }
        }
    }
    assert!(parents > 500, "{parents} parents");
}
