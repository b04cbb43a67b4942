//! Metadata and documentation of the rules the structural pass reports: FHIR STU3 base rules
//! that hold for every resource, whatever profile it claims. None implements a GP Connect
//! requirement, so none carries a requirement ID.

use crate::finding::{static_rule, RuleMeta};

/// A structural rule: always an error, referencing the STU3 formats page after its own links.
macro_rules! structural_rule {
    ($ident:ident, $name:literal, $summary:literal, $help:literal, $why:literal, $bad:literal, $good:literal, $refs:literal) => {
        static_rule!(
            $ident,
            $name,
            Error,
            $summary,
            $help,
            $why,
            $bad,
            $good,
            $refs,
            "- FHIR STU3 formats: http://hl7.org/fhir/STU3/formats.html\n"
        );
    };
}

structural_rule!(
    ELEMENT_UNKNOWN,
    "element-unknown",
    "Every element must be defined by the STU3 definition of the resource or datatype that holds it.",
    "Check the element's spelling and case against the STU3 definition, or carry the data in an extension",
    "Receivers that validate reject unknown elements, and receivers that do not silently drop them, so the data never arrives. A choice element needs a known type suffix (`valueString`, not `valueText`).",
    "<Encounter>\n  <performer>…</performer>   (Encounter has no `performer` in STU3)\n</Encounter>",
    "<Encounter>\n  <participant>\n    <individual>…</individual>\n  </participant>\n</Encounter>",
    "- STU3 resource definitions: http://hl7.org/fhir/STU3/resourcelist.html\n"
);
structural_rule!(
    RESOURCE_TYPE_UNKNOWN,
    "resource-type-unknown",
    "A resource's type (JSON `resourceType`, XML element name) must be a concrete FHIR STU3 resource type.",
    "Use the exact, case-sensitive STU3 resource name (`Bundle`, `Patient`, …)",
    "A receiver picks the definition to read a resource by its type; an unknown or abstract type (`DomainResource`) leaves the whole resource unreadable.",
    "<resource>\n  <bundle>…</bundle>\n</resource>",
    "<resource>\n  <Bundle>…</Bundle>\n</resource>",
    "- STU3 resource list: http://hl7.org/fhir/STU3/resourcelist.html\n"
);
structural_rule!(
    RESOURCE_EXPECTED,
    "resource-expected",
    "An element whose type is Resource (`Bundle.entry.resource`, `contained`) must hold a resource.",
    "Put the resource inside the element: `\"resourceType\"` in JSON, a wrapping resource element in XML",
    "Without a resource type the content cannot be interpreted; in JSON this is usually a forgotten `resourceType`, in XML a missing `<Patient>` (or similar) wrapper.",
    "\"resource\": {\"id\": \"1\", \"gender\": \"female\"}",
    "\"resource\": {\"resourceType\": \"Patient\", \"id\": \"1\", \"gender\": \"female\"}",
    "- STU3 resource containment: http://hl7.org/fhir/STU3/references.html#contained\n"
);
structural_rule!(
    RESOURCE_NOT_ALLOWED,
    "resource-not-allowed",
    "A resource may appear only in an element whose type is Resource.",
    "Reference the resource with a Reference datatype instead of inlining it; in XML, element names start with a lower-case letter",
    "Inlining a resource where the definition wants a datatype (say a Reference) leaves the element unreadable. In XML an upper-case element name is read as a resource.",
    "<subject>\n  <Patient>…</Patient>\n</subject>",
    "<subject>\n  <reference value=\"urn:uuid:…\"/>\n</subject>",
    "- STU3 references: http://hl7.org/fhir/STU3/references.html\n"
);
structural_rule!(
    CARDINALITY_TOO_FEW,
    "cardinality-too-few",
    "An element must occur at least as often as its STU3 minimum cardinality.",
    "Add the missing element",
    "Required elements carry what every receiver relies on (`MessageHeader.event`, `Bundle.type`); a message without them cannot be processed.",
    "<MessageHeader>\n  <timestamp value=\"2024-03-14T10:15:00+00:00\"/>   (no `event`)\n  …",
    "<MessageHeader>\n  <event>…</event>\n  <timestamp value=\"2024-03-14T10:15:00+00:00\"/>\n  …",
    "- STU3 cardinality: http://hl7.org/fhir/STU3/conformance-rules.html#cardinality\n"
);
structural_rule!(
    CARDINALITY_TOO_MANY,
    "cardinality-too-many",
    "An element must not occur more often than its STU3 maximum cardinality.",
    "Keep one occurrence; a choice element `x[x]` allows only one of its typed forms",
    "A receiver reading a single-valued element keeps one occurrence and ignores the others, so which value wins is undefined.",
    "<Patient>\n  <gender value=\"female\"/>\n  <gender value=\"male\"/>\n</Patient>",
    "<Patient>\n  <gender value=\"female\"/>\n</Patient>",
    "- STU3 cardinality: http://hl7.org/fhir/STU3/conformance-rules.html#cardinality\n"
);
structural_rule!(
    JSON_ARRAY_EXPECTED,
    "json-array-expected",
    "In FHIR JSON an element that may repeat is always an array, even with one item.",
    "Wrap the value in `[` `]`",
    "FHIR JSON decides array-or-not from the definition, never from the instance; strict parsers reject a single object where an array is defined.",
    "\"identifier\": {\"system\": \"…\", \"value\": \"…\"}",
    "\"identifier\": [{\"system\": \"…\", \"value\": \"…\"}]",
    "- STU3 JSON representation: http://hl7.org/fhir/STU3/json.html\n"
);
structural_rule!(
    JSON_ARRAY_UNEXPECTED,
    "json-array-unexpected",
    "In FHIR JSON an element that cannot repeat is never an array.",
    "Remove the `[` `]` around the value",
    "FHIR JSON decides array-or-not from the definition; strict parsers reject an array where a single value is defined.",
    "\"gender\": [\"female\"]",
    "\"gender\": \"female\"",
    "- STU3 JSON representation: http://hl7.org/fhir/STU3/json.html\n"
);
structural_rule!(
    JSON_VALUE_TYPE_MISMATCH,
    "json-value-type-mismatch",
    "In FHIR JSON a primitive's value is a JSON boolean for `boolean`, a JSON number for `integer`, `decimal`, `positiveInt` and `unsignedInt`, and a JSON string for every other primitive; never an object.",
    "Write the value with the JSON type its FHIR type uses; put a primitive's `id` and `extension` in the `_name` property",
    "Receivers map JSON types to FHIR types; a quoted number or boolean, or a primitive written as an object, fails strict parsing.",
    "\"active\": \"true\",\n\"birthDate\": {\"value\": \"1980-01-01\"}",
    "\"active\": true,\n\"birthDate\": \"1980-01-01\"",
    "- STU3 JSON representation of primitives: http://hl7.org/fhir/STU3/json.html#primitive\n"
);
structural_rule!(
    ELEMENT_VALUE_NOT_ALLOWED,
    "element-value-not-allowed",
    "Only primitive elements carry a value; a complex element (Reference, Coding, …) is a JSON object or an XML element with child elements.",
    "Put the value in the right child element (a Reference's `reference`, a Coding's `code`)",
    "The value of a complex element is silently dropped by receivers, so the data is lost.",
    "<subject value=\"urn:uuid:…\"/>",
    "<subject>\n  <reference value=\"urn:uuid:…\"/>\n</subject>",
    "- STU3 datatypes: http://hl7.org/fhir/STU3/datatypes.html\n"
);
structural_rule!(
    PRIMITIVE_INVALID,
    "primitive-invalid",
    "A primitive value must have the lexical form of its STU3 type: real calendar dates, times with a time zone when the type needs one, integers in 32-bit range, ids of at most 64 characters, and so on.",
    "Write the value in the format of its FHIR type (see the message for what is wrong)",
    "Receivers parse primitives by type; a value like `2023-02-29` or `2024-03-14T10:15:00` (no time zone) is rejected or, worse, read differently by different systems.",
    "<birthDate value=\"1981-02-29\"/>\n<timestamp value=\"2024-03-14T10:15:00\"/>",
    "<birthDate value=\"1980-02-29\"/>\n<timestamp value=\"2024-03-14T10:15:00+00:00\"/>",
    "- STU3 primitive types: http://hl7.org/fhir/STU3/datatypes.html#primitive\n"
);
structural_rule!(
    CODE_NOT_IN_VALUE_SET,
    "code-not-in-value-set",
    "A code bound to a value set with strength `required` must be one of that value set's codes.",
    "Use one of the codes the value set allows (codes are case-sensitive)",
    "Required bindings close the list of meanings a receiver has to understand (`Bundle.type`, `Composition.status`); any other code is meaningless to it.",
    "<status value=\"complete\"/>   (Composition.status)",
    "<status value=\"final\"/>",
    "- STU3 terminology bindings: http://hl7.org/fhir/STU3/terminologies.html#required\n"
);
structural_rule!(
    ELEMENT_EMPTY,
    "element-empty",
    "Every element must have a value or child elements (ele-1), and a value is never the empty string.",
    "Leave the element out when there is nothing to send",
    "FHIR represents absence by omission; empty elements and empty values (`value=\"\"`, `\"\"`) are invalid and receivers reject them.",
    "<meta></meta>\n<valueString value=\"\"/>",
    "(leave both out)",
    "- STU3 constraint ele-1: http://hl7.org/fhir/STU3/element.html#invs\n"
);
structural_rule!(
    EXTENSION_VALUE_AND_CHILDREN,
    "extension-value-and-children",
    "An extension must not have both a value and nested extensions (ext-1).",
    "Keep either the `value[x]` or the nested `extension` elements",
    "A simple extension carries a value, a complex one carries nested extensions; an extension with both is ambiguous and invalid.",
    "<extension url=\"…\">\n  <extension url=\"part\">…</extension>\n  <valueString value=\"x\"/>\n</extension>",
    "<extension url=\"…\">\n  <extension url=\"part\">…</extension>\n</extension>",
    "- STU3 constraint ext-1: http://hl7.org/fhir/STU3/extensibility.html#Extension\n"
);
structural_rule!(
    EXTENSION_VALUE_MISSING,
    "extension-value-missing",
    "An extension must have either a value or nested extensions (ext-1).",
    "Add the extension's `value[x]`, or leave the extension out",
    "An extension with only a `url` says nothing; ext-1 requires exactly one of a value or nested extensions.",
    "<extension url=\"https://example.org/flag\"/>",
    "<extension url=\"https://example.org/flag\">\n  <valueBoolean value=\"true\"/>\n</extension>",
    "- STU3 constraint ext-1: http://hl7.org/fhir/STU3/extensibility.html#Extension\n"
);
structural_rule!(
    XML_ELEMENT_ORDER,
    "xml-element-order",
    "In FHIR XML the child elements of an element appear in the order of its STU3 definition.",
    "Move the element to its place in the definition order (the message names the element it must precede)",
    "STU3 XML is defined by schema with a fixed element order; schema-validating receivers reject out-of-order content. The published GP Connect examples break this rule.",
    "<MessageHeader>\n  <source>…</source>\n  <event>…</event>\n</MessageHeader>",
    "<MessageHeader>\n  <event>…</event>\n  <source>…</source>\n</MessageHeader>",
    "- STU3 XML representation: http://hl7.org/fhir/STU3/xml.html\n"
);
structural_rule!(
    XML_ATTRIBUTE_MISMATCH,
    "xml-attribute-mismatch",
    "In FHIR XML an element's `id` and an extension's `url` are attributes; every other element is a child element with a `value` attribute.",
    "Write `id` and `url` as attributes (`<extension url=\"…\">`) and other elements as child elements",
    "FHIR XML fixes which properties are attributes; receivers look for `url` as an attribute and for everything else as elements, so the data is missed.",
    "<extension>\n  <url value=\"https://example.org/flag\"/>\n  …",
    "<extension url=\"https://example.org/flag\">\n  …",
    "- STU3 XML representation: http://hl7.org/fhir/STU3/xml.html\n"
);

/// Every rule of the structural pass, for the registry.
pub static ALL: &[&RuleMeta] = &[
    &ELEMENT_UNKNOWN,
    &RESOURCE_TYPE_UNKNOWN,
    &RESOURCE_EXPECTED,
    &RESOURCE_NOT_ALLOWED,
    &CARDINALITY_TOO_FEW,
    &CARDINALITY_TOO_MANY,
    &JSON_ARRAY_EXPECTED,
    &JSON_ARRAY_UNEXPECTED,
    &JSON_VALUE_TYPE_MISMATCH,
    &ELEMENT_VALUE_NOT_ALLOWED,
    &PRIMITIVE_INVALID,
    &CODE_NOT_IN_VALUE_SET,
    &ELEMENT_EMPTY,
    &EXTENSION_VALUE_AND_CHILDREN,
    &EXTENSION_VALUE_MISSING,
    &XML_ELEMENT_ORDER,
    &XML_ATTRIBUTE_MISMATCH,
];
