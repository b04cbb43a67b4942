//! Built-in rules about the input itself: encoding, syntax and the FHIR serialisation rules the
//! parsers enforce. Parsers report these; no rule pack can turn them into data because they
//! decide whether there is a document tree at all.

use crate::finding::{static_rule, RuleMeta};

/// An input rule: its references are the FHIR serialisation rules.
macro_rules! input_rule {
    ($ident:ident, $name:literal, $severity:ident, $summary:literal, $help:literal, $why:literal, $bad:literal, $good:literal) => {
        static_rule!(
            $ident,
            $name,
            $severity,
            $summary,
            $help,
            $why,
            $bad,
            $good,
            "- FHIR STU3 formats: http://hl7.org/fhir/STU3/formats.html\n"
        );
    };
}

input_rule!(
    INPUT_EMPTY,
    "input-empty",
    Error,
    "The file must not be empty.",
    "Check the file was written completely before it was sent",
    "An empty MESH message or control file is never a valid GP Connect message.",
    "(a zero-byte file)",
    "<Bundle xmlns=\"http://hl7.org/fhir\">…</Bundle>"
);
input_rule!(
    INPUT_UNRECOGNISED,
    "input-unrecognised",
    Error,
    "The file must be FHIR JSON, FHIR XML or a MESH control file.",
    "Send the message as FHIR XML (starting with `<`) or FHIR JSON (starting with `{`)",
    "The receiver cannot interpret content that is neither JSON nor XML.",
    "%PDF-1.4 …",
    "{\"resourceType\": \"Bundle\", …}"
);
input_rule!(
    INPUT_TOO_LARGE,
    "input-too-large",
    Error,
    "The file must be smaller than 4 GiB.",
    "Split the content; MESH itself limits a message to 100 MB uncompressed",
    "Positions in findings are 32-bit byte offsets, and no MESH message comes near this size.",
    "(a 5 GiB file)",
    "(a message under 100 MB)"
);
input_rule!(
    ENCODING_UNSUPPORTED,
    "encoding-unsupported",
    Error,
    "The file must be encoded as UTF-8.",
    "Re-encode the file as UTF-8 (without a byte-order mark, or with the UTF-8 one)",
    "FHIR requires UTF-8 for both JSON and XML; a receiver reading UTF-16 as UTF-8 sees garbage.",
    "FF FE 3C 00 42 00 … (UTF-16 little-endian)",
    "3C 42 75 6E 64 6C 65 … (UTF-8)"
);
input_rule!(ENCODING_INVALID_UTF8, "encoding-invalid-utf8", Error,
    "The file must be valid UTF-8.",
    "Re-encode the file as UTF-8; the byte shown is not part of any UTF-8 character",
    "FHIR requires UTF-8; a byte sequence that is not UTF-8 usually means the file was written in a legacy code page such as Windows-1252.",
    "<family value=\"M\\xFCller\"/>  (Latin-1 ü)", "<family value=\"Müller\"/>");
input_rule!(
    DOCUMENT_TOO_DEEP,
    "document-too-deep",
    Error,
    "Elements must not be nested more than 256 levels deep.",
    "Check the generator for runaway recursion; no FHIR message needs this depth",
    "No real message comes close; unbounded nesting is a denial-of-service pattern.",
    "[[[[[[ … 100,000 levels … ]]]]]]",
    "a GP Connect message, about 20 levels deep"
);
input_rule!(
    JSON_SYNTAX,
    "json-syntax",
    Error,
    "The file must be well-formed JSON.",
    "Fix the JSON syntax at the position shown",
    "A receiver cannot parse a malformed message at all.",
    "{\"resourceType\": \"Bundle\", \"type\": }",
    "{\"resourceType\": \"Bundle\", \"type\": \"message\"}"
);
input_rule!(JSON_DUPLICATE_KEY, "json-duplicate-key", Error,
    "A JSON object must not repeat a property name.",
    "Remove one of the duplicate properties, or merge them into one array",
    "FHIR forbids duplicate keys and parsers disagree about which one wins, so sender and receiver may read different values. The first occurrence is kept.",
    "{\"type\": \"message\", \"type\": \"document\"}", "{\"type\": \"message\"}");
input_rule!(
    JSON_COMMENT,
    "json-comment",
    Error,
    "FHIR JSON must not contain comments.",
    "Remove the comment; put notes in the narrative or an extension",
    "Comments are not JSON; strict receivers reject the message.",
    "{\"type\": \"message\" // note\n}",
    "{\"type\": \"message\"}"
);
input_rule!(
    JSON_TRAILING_COMMA,
    "json-trailing-comma",
    Error,
    "JSON objects and arrays must not end with a comma.",
    "Remove the comma before the closing bracket",
    "Trailing commas are not JSON; strict receivers reject the message.",
    "{\"type\": \"message\",}",
    "{\"type\": \"message\"}"
);
input_rule!(
    JSON_NON_FINITE_NUMBER,
    "json-non-finite-number",
    Error,
    "JSON numbers must be finite decimal literals.",
    "Replace `NaN`/`Infinity` with a number, or leave the element out",
    "`NaN` and `Infinity` are not JSON and FHIR decimals cannot hold them.",
    "{\"value\": NaN}",
    "{\"value\": 1.5}"
);
input_rule!(JSON_NULL, "json-null", Error,
    "FHIR JSON must not use `null` except as a placeholder in a primitive array that has a `_name` twin.",
    "Leave the property out instead of sending `null`",
    "FHIR represents absence by omission; `null` values are rejected by conformant parsers.",
    "{\"birthDate\": null}", "{}");
input_rule!(JSON_PRIMITIVE_EXTENSION, "json-primitive-extension", Error,
    "A `_name` property must be an object (or array of objects and nulls) that lines up with its primitive `name`.",
    "Make `_name` an object holding `id`/`extension`, with one item per item of `name` when it is an array",
    "FHIR JSON carries a primitive's id and extensions in a parallel `_name` property; when the two do not line up, extensions attach to the wrong value.",
    "{\"given\": [\"Ann\"], \"_given\": [null, {\"extension\": []}]}", "{\"given\": [\"Ann\", \"Bea\"], \"_given\": [null, {\"id\": \"g2\"}]}");
input_rule!(
    RESOURCE_TYPE_MISSING,
    "resource-type-missing",
    Error,
    "A FHIR JSON resource must state its `resourceType` as a string.",
    "Add `\"resourceType\": \"Bundle\"` (or the resource's type) to the object",
    "Without `resourceType` a receiver cannot tell which resource the object is.",
    "{\"type\": \"message\"}",
    "{\"resourceType\": \"Bundle\", \"type\": \"message\"}"
);
input_rule!(
    XML_NOT_WELL_FORMED,
    "xml-not-well-formed",
    Error,
    "The file must be well-formed XML.",
    "Fix the XML at the position shown",
    "A receiver cannot parse a malformed message at all.",
    "<Bundle xmlns=\"http://hl7.org/fhir\"><type value=\"message\"></Bundle>",
    "<Bundle xmlns=\"http://hl7.org/fhir\"><type value=\"message\"/></Bundle>"
);
input_rule!(XML_DOCTYPE, "xml-doctype", Error,
    "FHIR XML must not contain a DOCTYPE declaration.",
    "Remove the DOCTYPE and any entity declarations; write characters directly or as character references",
    "FHIR forbids DTDs; entity declarations enable billion-laughs and external-entity attacks, so this validator refuses them and never expands an entity.",
    "<!DOCTYPE Bundle [<!ENTITY a \"…\">]>", "<Bundle xmlns=\"http://hl7.org/fhir\">");
input_rule!(XML_NAMESPACE, "xml-namespace", Error,
    "FHIR XML elements must be in the `http://hl7.org/fhir` namespace (the narrative `div` in XHTML's).",
    "Declare `xmlns=\"http://hl7.org/fhir\"` on the root element",
    "Receivers match elements by namespace; an element outside the FHIR namespace is not FHIR content.",
    "<Bundle>", "<Bundle xmlns=\"http://hl7.org/fhir\">");
input_rule!(
    XML_UNEXPECTED_TEXT,
    "xml-unexpected-text",
    Error,
    "FHIR XML elements carry values in `value` attributes, never as text content.",
    "Move the text into a `value` attribute",
    "Text content is ignored by FHIR parsers, so the value is silently lost.",
    "<status>final</status>",
    "<status value=\"final\"/>"
);
input_rule!(
    XML_ENCODING_DECLARATION,
    "xml-encoding-declaration",
    Warning,
    "The XML declaration must not declare an encoding other than UTF-8.",
    "Declare `encoding=\"UTF-8\"` or leave the encoding out",
    "The bytes are UTF-8; a receiver that trusts the declaration will decode them wrongly.",
    "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>",
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
);
input_rule!(XML_RESOURCE_WRAPPER, "xml-resource-wrapper", Error,
    "A resource-typed XML element must hold exactly one resource element and nothing else.",
    "Put exactly one resource (such as `<Patient>`) inside the element",
    "FHIR XML wraps a contained resource in an element named after the field; anything else cannot be read as a resource.",
    "<resource><Patient/><Practitioner/></resource>", "<resource><Patient>…</Patient></resource>");

/// Every built-in input rule, for the registry.
pub static ALL: &[&RuleMeta] = &[
    &INPUT_EMPTY,
    &INPUT_UNRECOGNISED,
    &INPUT_TOO_LARGE,
    &ENCODING_UNSUPPORTED,
    &ENCODING_INVALID_UTF8,
    &DOCUMENT_TOO_DEEP,
    &JSON_SYNTAX,
    &JSON_DUPLICATE_KEY,
    &JSON_COMMENT,
    &JSON_TRAILING_COMMA,
    &JSON_NON_FINITE_NUMBER,
    &JSON_NULL,
    &JSON_PRIMITIVE_EXTENSION,
    &RESOURCE_TYPE_MISSING,
    &XML_NOT_WELL_FORMED,
    &XML_DOCTYPE,
    &XML_NAMESPACE,
    &XML_UNEXPECTED_TEXT,
    &XML_ENCODING_DECLARATION,
    &XML_RESOURCE_WRAPPER,
];
