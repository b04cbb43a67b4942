#!/usr/bin/env python3
"""Generates the samples of the Composition-model payload pack (profiles/packs/payload/
composition.toml) (Python 3.11, stdlib only).

Run from the crate root:

    python3 tools/make_comp_samples.py                  write every owned file, print changes
    python3 tools/make_comp_samples.py --check          exit 1 if an owned file is missing,
                                                        differs, or is stale
    python3 tools/make_comp_samples.py --verify BINARY  also run BINARY (gpcm-validate) on every
                                                        owned sample and check its findings

It builds on tools/make_samples.py (imported as `ms`): the valid bases of each release and use
case, the JSON writer and the JSON→XML serializer, so twins cannot drift. The samples about
the Generic / Send Update clinical resources start from the clinical packs' valid samples
(tools/make_clin2_samples.py, `generic-medications` and `generic-record`), which populate
those resources as their own rules require.

1. **Valid samples.** `valid/1.6.0/generic-attachments` is the Generic base with what the bases
   lack: a second attachment (a PNG image) in a section of its own and a DocumentReference that
   carries a PDF inline (`content.attachment.data`), itself referenced from a section.
2. **Mutations.** Each `@mutation(rule, case, targets=...)` edits a copy of a target's base; it
   is written to `samples/invalid/<rule>/<release dir>/<prefix><case>.{json,xml}`. Targets are
   a release and use case with a base (`TARGETS`); the default is every one of `DEFAULT` where
   the rule has a variant. OC and GE targets share the `1.6.0` directory with the consultation
   report, so their cases are prefixed `oc-` and `ge-`.

Each mutation breaks its rule and only that rule (`--verify` and `tests/samples.rs` check this).
Every rule of the pack needs at least one sample.

Owned files: `valid/1.6.0/generic-attachments.{json,xml}` and every `.json`/`.xml` under
`samples/invalid/<rule of the pack>/`. A file there that the catalogue does not produce is
stale: `--check` fails on it and a normal run deletes it.
"""

from __future__ import annotations

import base64
import copy
import struct
import sys
import tomllib
import uuid
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_samples as ms  # noqa: E402
import make_clin2_samples as clin2  # noqa: E402

ROOT = ms.ROOT
SAMPLES = ms.SAMPLES
PACK = ROOT / "profiles" / "packs" / "payload" / "composition.toml"

SNOMED = "http://snomed.info/sct"
CC = "https://fhir.hl7.org.uk/STU3/StructureDefinition/"
UUID_SYSTEM = "https://tools.ietf.org/html/rfc4122"


# --------------------------------------------------------------------------------------------
# Small real documents
# --------------------------------------------------------------------------------------------


def make_pdf(lines: list[str], padding: int = 0) -> bytes:
    """A one-page PDF 1.4 with a correct xref table: the text lines in Helvetica, and, when
    `padding` > 0, an unused stream object of that many zero bytes (for the size sample)."""
    text = "BT\n/F1 9 Tf\n12 TL\n40 800 Td\n" + "".join(
        "(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") Tj T*\n"
        for line in lines
    ) + "ET\n"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text.encode("latin-1") + b"endstream",
    ]
    if padding:
        objects.append(b"<< /Length %d >>\nstream\n" % padding + b"\0" * padding + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def make_png(width: int = 2, height: int = 2, rgb: tuple[int, int, int] = (0, 94, 184)) -> bytes:
    """A tiny valid PNG (8-bit RGB), one colour."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\0" + bytes(rgb) * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# --------------------------------------------------------------------------------------------
# Navigating and editing the payload
# --------------------------------------------------------------------------------------------


def pb(doc: dict) -> dict:
    return ms.payload(doc)


def comp(doc: dict) -> dict:
    return pb(doc)["entry"][0]["resource"]


def pb_entry(doc: dict, resource_type: str) -> dict:
    return next(e for e in pb(doc)["entry"] if e["resource"]["resourceType"] == resource_type)


def ref(doc: dict, resource_type: str) -> str:
    return pb_entry(doc, resource_type)["fullUrl"]


def binary(doc: dict) -> dict:
    return pb_entry(doc, "Binary")["resource"]


def new_id(doc: dict, what: str) -> str:
    """A UUID for a new resource, stable per message (keyed on the Composition id) and `what`."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"gpcm-validate/comp-samples/{comp(doc)['id']}/{what}"))


def add_entry(doc: dict, resource: dict) -> str:
    """Appends `resource` (with its `id`) to the payload; returns its fullUrl."""
    url = f"urn:uuid:{resource['id']}"
    pb(doc)["entry"].append({"fullUrl": url, "resource": resource})
    return url


def add_section(doc: dict, title: str, target: str, *, first: bool = False) -> None:
    section = {"title": title, "entry": [{"reference": target}]}
    if first:
        comp(doc)["section"].insert(0, section)
    else:
        comp(doc)["section"].append(section)


def binary_resource(doc: dict, what: str, content_type: str, data: bytes) -> dict:
    return {
        "resourceType": "Binary",
        "id": new_id(doc, what),
        "meta": {"profile": [ms.SD + "ITK-Attachment-Binary-1"]},
        "contentType": content_type,
        "content": b64(data),
    }


def add_png(doc: dict, section: str | None = "Wound photograph") -> str:
    """Adds a PNG image Binary; with `section`, in a section of its own."""
    url = add_entry(doc, binary_resource(doc, "image", "image/png", make_png()))
    if section:
        add_section(doc, section, url)
    return url


def patient_name(doc: dict) -> tuple[str, str]:
    p = pb_entry(doc, "Patient")["resource"]
    name = p["name"][0]
    nhs = next(i["value"] for i in p["identifier"] if i["system"] == "https://fhir.nhs.uk/Id/nhs-number")
    return f"{' '.join(name['given'])} {name['family']}", nhs


def set_text(doc: dict, text: str) -> None:
    comp(doc)["text"]["div"] = f'<div xmlns="http://www.w3.org/1999/xhtml">{text}</div>'


def previous_identifier(doc: dict) -> dict:
    return {"system": UUID_SYSTEM, "value": new_id(doc, "previous-version")}


def put_relates_to(doc: dict, items: list[dict]) -> None:
    ms.put(comp(doc), "relatesTo", items, after="custodian")


# --------------------------------------------------------------------------------------------
# Targets: a release and use case with a valid base
# --------------------------------------------------------------------------------------------


@dataclass
class Target:
    directory: str  # the release directory under invalid/<rule>/
    release: str
    use_case: str
    prefix: str  # case-name prefix (OC and GE share 1.6.0 with the consultation report)


TARGETS = {
    "1.3.0": Target("1.3.0", "1.3.0", "cs", ""),
    "1.6.0": Target("1.6.0", "1.6.0", "cs", ""),
    "1.6.0/oc": Target("1.6.0", "1.6.0", "oc", "oc-"),
    "1.6.0/ge": Target("1.6.0", "1.6.0", "ge", "ge-"),
    "1.6.0+su": Target("1.6.0+su", "1.6.0", "su", ""),
    "2.0.0": Target("2.0.0", "2.0.0", "sd", ""),
    # The clinical packs' valid Generic samples (tools/make_clin2_samples.py).
    "1.6.0/ge-medications": Target("1.6.0", "1.6.0", "ge", "ge-"),
    "1.6.0/ge-record": Target("1.6.0", "1.6.0", "ge", "ge-"),
}
DEFAULT = ("1.3.0", "1.6.0", "1.6.0+su", "2.0.0")
OWN_VALID = "valid/1.6.0/generic-attachments"


def document_reference(doc: dict) -> dict:
    """A CareConnect-DocumentReference-1 carrying a referral letter PDF inline, populated as
    GPCM-SD-GE-082…087 ask: status, a SNOMED CT type, subject, author, content, context."""
    name, nhs = patient_name(doc)
    pdf = make_pdf([
        "Referral letter",
        f"Patient: {name}   NHS Number: {nhs}",
        "Referred to the community diabetes service for structured education.",
    ])
    return {
        "resourceType": "DocumentReference",
        "id": new_id(doc, "document-reference"),
        "meta": {"profile": [CC + "CareConnect-DocumentReference-1"]},
        "status": "current",
        "type": {"coding": [{"system": SNOMED, "code": "371531000", "display": "Report of clinical encounter"}]},
        "subject": {"reference": ref(doc, "Patient")},
        "created": comp(doc)["date"],
        "indexed": comp(doc)["date"],
        "author": [{"reference": ref(doc, "Practitioner")}],
        "custodian": {"reference": ref(doc, "Organization")},
        "description": "Referral letter",
        "content": [
            {
                "attachment": {
                    "contentType": "application/pdf",
                    "data": b64(pdf),
                    "title": "Referral letter",
                    "creation": comp(doc)["date"],
                }
            }
        ],
        "context": {"encounter": {"reference": ref(doc, "Encounter")}},
    }


def derive_generic_attachments(ge: dict) -> dict:
    """The 1.6.0 Generic base with a second attachment and an inline document: a PNG image in
    a section of its own, and a DocumentReference carrying a PDF in `content.attachment.data`,
    referenced from a section (GPCM-SD-012)."""
    doc = ms.remap_ids(copy.deepcopy(ge), "1.6.0/ge-attachments")
    add_png(doc)
    url = add_entry(doc, document_reference(doc))
    add_section(doc, "Referral letter", url)
    return doc


def bases() -> dict[str, dict]:
    base = ms.bases()
    uc = ms.use_case_bases(base["1.6.0"])
    clinical = clin2.samples()
    return {
        "1.3.0": base["1.3.0"],
        "1.6.0": base["1.6.0"],
        "1.6.0/oc": uc["valid/1.6.0/online-consultation"][2],
        "1.6.0/ge": uc["valid/1.6.0/generic"][2],
        "1.6.0+su": uc["valid/1.6.0+su/send-update"][2],
        "2.0.0": base["2.0.0"],
        "1.6.0/ge-medications": clinical["valid/1.6.0/generic-medications"][1].doc,
        "1.6.0/ge-record": clinical["valid/1.6.0/generic-record"][1].doc,
    }


# --------------------------------------------------------------------------------------------
# The mutation catalogue
# --------------------------------------------------------------------------------------------


@dataclass
class Mutation:
    rule: str
    case: str
    targets: tuple[str, ...] | None  # None: every DEFAULT target where the rule applies
    edit: Callable[[dict, str], None]


CATALOGUE: list[Mutation] = []


def mutation(rule: str, case: str, targets: tuple[str, ...] | None = None):
    def register(fn: Callable[[dict, str], None]):
        CATALOGUE.append(Mutation(rule, case, targets, fn))
        return fn

    return register


# ---- the document Bundle ---------------------------------------------------------------------


@mutation("document-bundle-composition-not-first", "binary-first")
def _binary_first(doc: dict, target: str) -> None:
    """The PDF Binary's entry comes before the Composition's."""
    entries = pb(doc)["entry"]
    entries[0], entries[1] = entries[1], entries[0]


@mutation("document-bundle-identifier-missing", "no-identifier")
def _pb_no_identifier(doc: dict, target: str) -> None:
    """The document Bundle has no `identifier`."""
    del pb(doc)["identifier"]


@mutation("document-bundle-identifier-system-missing", "value-only")
def _pb_identifier_value_only(doc: dict, target: str) -> None:
    """The document Bundle's identifier has a `value` but no `system`."""
    del pb(doc)["identifier"]["system"]


@mutation("document-bundle-identifier-reused", "message-identifier")
def _pb_identifier_reused(doc: dict, target: str) -> None:
    """The document Bundle reuses the message Bundle's identifier (as every spec example does)."""
    pb(doc)["identifier"]["value"] = doc["identifier"]["value"]


@mutation("document-bundle-element-forbidden", "entry-request")
def _pb_entry_request(doc: dict, target: str) -> None:
    """The Binary's entry carries a transaction `request` (POST Binary)."""
    pb_entry(doc, "Binary")["request"] = {"method": "POST", "url": "Binary"}


@mutation("document-bundle-resource-id-missing", "practitioner-without-id", targets=("1.6.0", "1.6.0+su"))
def _practitioner_no_id(doc: dict, target: str) -> None:
    """The Practitioner has no `id` (its entry keeps its fullUrl, so references resolve)."""
    del pb_entry(doc, "Practitioner")["resource"]["id"]


@mutation("document-bundle-resource-not-allowed", "encounter-in-1-3", targets=("1.3.0",))
def _encounter_in_1_3(doc: dict, target: str) -> None:
    """A 1.3.0 report carries an Encounter (referenced by `Composition.encounter`), which the
    1.3.0 payload does not define: the 1.6.0 sample's Encounter with the 1.3.0 UUIDs."""
    cs = ms.remap_ids(copy.deepcopy(ms.bases()["1.6.0"]), "1.3.0")
    encounter = pb_entry(cs, "Encounter")
    pb(doc)["entry"].append(encounter)
    ms.put(comp(doc), "encounter", {"reference": encounter["fullUrl"]}, after="subject")


# ---- the Composition ------------------------------------------------------------------------


@mutation("composition-profile-missing", "profile-without-stu3")
def _comp_profile(doc: dict, target: str) -> None:
    """The Composition declares the early malformed URL without `STU3`."""
    comp(doc)["meta"]["profile"] = ["https://fhir.hl7.org.uk/StructureDefinition/CareConnect-Composition-1"]


@mutation("composition-status-not-final", "preliminary")
def _comp_preliminary(doc: dict, target: str) -> None:
    """`Composition.status` is `preliminary`."""
    comp(doc)["status"] = "preliminary"


@mutation("composition-type-not-snomed", "read-code", targets=("1.3.0", "1.6.0", "1.6.0/ge", "1.6.0+su", "2.0.0"))
def _comp_type_read(doc: dict, target: str) -> None:
    """`Composition.type` is coded in Read v2 only (no SNOMED CT coding)."""
    comp(doc)["type"]["coding"] = [{"system": "http://read.info/readv2", "code": "9N2..", "display": "Letter"}]


@mutation("composition-type-wrong", "first-draft-code", targets=("1.3.0", "1.6.0", "2.0.0"))
def _comp_type_draft(doc: dict, target: str) -> None:
    """`Composition.type` is `325851000000107`, the code of the spec's first draft example."""
    comp(doc)["type"]["coding"] = [{"system": SNOMED, "code": "325851000000107", "display": "Consultation report"}]


@mutation("composition-type-wrong", "placeholder-code", targets=("1.6.0/oc",))
def _comp_type_placeholder(doc: dict, target: str) -> None:
    """An online consultation typed with the placeholder `xxxxxxxxx` of the consent and klinik
    examples."""
    comp(doc)["type"]["coding"] = [{
        "system": SNOMED, "code": "xxxxxxxxx",
        "display": "Clinical Online Consultation Submission - Via Patient",
    }]


@mutation("composition-date-missing", "no-date")
def _comp_no_date(doc: dict, target: str) -> None:
    """The Composition has no `date`."""
    del comp(doc)["date"]


@mutation("composition-confidentiality-wrong", "very-restricted")
def _comp_confidentiality(doc: dict, target: str) -> None:
    """`Composition.confidentiality` is `V` (very restricted), a v3 code GP Connect does not use."""
    comp(doc)["confidentiality"] = "V"


@mutation("composition-title-missing", "no-title", targets=("1.6.0/ge", "1.6.0+su", "2.0.0"))
def _comp_no_title(doc: dict, target: str) -> None:
    """The Composition has no `title`."""
    del comp(doc)["title"]


@mutation("composition-title-wrong", "capital-r", targets=("1.3.0", "1.6.0"))
def _comp_title_case(doc: dict, target: str) -> None:
    """`Composition.title` is `Consultation Report` (capital R)."""
    comp(doc)["title"] = "Consultation Report"


@mutation("composition-title-wrong", "capital-c", targets=("1.6.0/oc",))
def _comp_title_oc(doc: dict, target: str) -> None:
    """`Composition.title` is `Online Consultation report`, as in every OC example."""
    comp(doc)["title"] = "Online Consultation report"


@mutation("composition-text-summary-wrong", "unfilled-template", targets=("1.3.0", "1.6.0"))
def _text_template(doc: dict, target: str) -> None:
    """The summary is the unfilled template, as in every consultation report example."""
    set_text(doc, "Consultation report for {Patient Name} , NHS Number {NHS Number}, seen at "
                  "{Practice Name}*, ODS Code {ODS Code}*, Version {Version Number}")


@mutation("composition-text-summary-wrong", "space-before-comma", targets=("1.6.0/oc",))
def _text_oc_space(doc: dict, target: str) -> None:
    """The OC summary has a space before the first comma, as the OC example does."""
    name, nhs = patient_name(doc)
    set_text(doc, f"Online consultation report for {name.upper()} , NHS Number {nhs}, Version 1")


@mutation("composition-text-summary-wrong", "no-version", targets=("1.6.0/ge", "1.6.0+su"))
def _text_no_version(doc: dict, target: str) -> None:
    """The summary ends after the NHS number, without `Version`."""
    name, nhs = patient_name(doc)
    set_text(doc, f"Discharge summary report for {name}, NHS Number {nhs}")


@mutation("composition-text-summary-wrong", "v1-format", targets=("2.0.0",))
def _text_v1_in_v2(doc: dict, target: str) -> None:
    """A v2 document with the 1.x summary (no colons after `NHS Number` and `Version`)."""
    name, nhs = patient_name(doc)
    set_text(doc, f"Consultation report for {name}, NHS Number {nhs}, seen at Riverside Health Hub, "
                  "ODS Code A12345, Version 1")


@mutation("composition-text-confidential-summary-wrong", "practice-shown", targets=("1.3.0", "1.6.0", "2.0.0"))
def _text_confidential(doc: dict, target: str) -> None:
    """A restricted (`R`) Composition whose summary still names the practice and ODS code."""
    comp(doc)["confidentiality"] = "R"


@mutation("composition-text-confidential-summary-wrong", "space-before-comma", targets=("1.6.0/oc",))
def _text_confidential_oc(doc: dict, target: str) -> None:
    """A restricted online consultation with a space before the summary's first comma."""
    comp(doc)["confidentiality"] = "R"
    name, nhs = patient_name(doc)
    set_text(doc, f"Online consultation report for {name} , NHS Number {nhs}, Version 1")


@mutation("composition-subject-wrong", "practitioner")
def _subject_practitioner(doc: dict, target: str) -> None:
    """`Composition.subject` references the Practitioner."""
    comp(doc)["subject"]["reference"] = ref(doc, "Practitioner")


@mutation("composition-author-wrong", "patient-in-1-3", targets=("1.3.0",))
def _author_patient_1_3(doc: dict, target: str) -> None:
    """A 1.3.0 author is the Patient (1.3.0 allows only the Practitioner)."""
    comp(doc)["author"] = [{"reference": ref(doc, "Patient")}]


@mutation("composition-author-wrong", "organization-author", targets=("1.6.0", "1.6.0+su"))
def _author_organization(doc: dict, target: str) -> None:
    """A second author references the sending Organization, which 1.x does not allow."""
    comp(doc)["author"].append({"reference": ref(doc, "Organization")})


@mutation("composition-author-wrong", "encounter-author", targets=("2.0.0",))
def _author_encounter(doc: dict, target: str) -> None:
    """A second author references the Encounter."""
    comp(doc)["author"].append({"reference": ref(doc, "Encounter")})


@mutation("composition-author-practitioner-missing", "patient-only")
def _author_patient_only(doc: dict, target: str) -> None:
    """The only author is the Patient (allowed from 1.4.0, but a consultation report names its
    clinician)."""
    comp(doc)["author"] = [{"reference": ref(doc, "Patient")}]


@mutation("composition-custodian-wrong", "practitioner")
def _custodian_practitioner(doc: dict, target: str) -> None:
    """`Composition.custodian` references the Practitioner."""
    comp(doc)["custodian"]["reference"] = ref(doc, "Practitioner")


@mutation("composition-encounter-wrong", "patient")
def _encounter_patient(doc: dict, target: str) -> None:
    """`Composition.encounter` references the Patient."""
    comp(doc)["encounter"]["reference"] = ref(doc, "Patient")


@mutation("composition-encounter-missing", "unreferenced-encounter")
def _encounter_missing(doc: dict, target: str) -> None:
    """The payload holds an Encounter but the Composition has no `encounter`."""
    del comp(doc)["encounter"]


# ---- replacements ---------------------------------------------------------------------------


@mutation("replacement-relates-to-repeated", "two-replaced-documents")
def _relates_to_twice(doc: dict, target: str) -> None:
    """The Composition names two replaced documents."""
    put_relates_to(doc, [
        {"code": "replaces", "targetIdentifier": previous_identifier(doc)},
        {"code": "replaces", "targetIdentifier": {"system": UUID_SYSTEM, "value": new_id(doc, "first-version")}},
    ])


@mutation("replacement-code-wrong", "appends")
def _relates_to_appends(doc: dict, target: str) -> None:
    """`relatesTo.code` is `appends`."""
    put_relates_to(doc, [{"code": "appends", "targetIdentifier": previous_identifier(doc)}])


@mutation("replacement-target-identifier-missing", "target-reference")
def _relates_to_reference(doc: dict, target: str) -> None:
    """The replaced document is named by `targetReference.identifier`, not `targetIdentifier`."""
    put_relates_to(doc, [{"code": "replaces", "targetReference": {"identifier": previous_identifier(doc)}}])


@mutation("replacement-target-identifier-not-uuid", "local-reference")
def _relates_to_local(doc: dict, target: str) -> None:
    """`relatesTo.targetIdentifier.value` is a local document number, not a UUID."""
    put_relates_to(doc, [{"code": "replaces", "targetIdentifier": {
        "system": "https://riverside.example.org/documents", "value": "DOC-2024-0042"}}])


# ---- sections -------------------------------------------------------------------------------


@mutation("section-primary-not-binary", "patient-first")
def _primary_patient(doc: dict, target: str) -> None:
    """A new first section references the Patient, so the primary attachment is not first."""
    add_section(doc, "Patient", ref(doc, "Patient"), first=True)


@mutation("section-primary-not-pdf", "image-first", targets=("1.3.0", "1.6.0", "1.6.0/oc", "2.0.0"))
def _primary_image(doc: dict, target: str) -> None:
    """A PNG image in a new first section precedes the PDF report."""
    url = add_png(doc, section=None)
    add_section(doc, "Wound photograph", url, first=True)


@mutation("section-binaries-shared", "image-beside-report")
def _binaries_shared(doc: dict, target: str) -> None:
    """A PNG image is a second entry of the report's section."""
    url = add_png(doc, section=None)
    comp(doc)["section"][0]["entry"].append({"reference": url})


@mutation("section-empty", "title-only")
def _section_empty(doc: dict, target: str) -> None:
    """A second section has a title and nothing else."""
    comp(doc)["section"].append({"title": "Attachments"})


@mutation("section-observation-list-missing", "observation-without-list", targets=("1.6.0",))
def _observation_no_list(doc: dict, target: str) -> None:
    """An Observation is referenced directly from a section, with no List (as in the 1.6.0
    consultation report example)."""
    url = add_entry(doc, observation(doc))
    add_section(doc, "Observations", url)


# ---- binaries and attachments ---------------------------------------------------------------


@mutation("binary-section-missing", "unreferenced-image")
def _binary_unreferenced(doc: dict, target: str) -> None:
    """A PNG image Binary that no section references."""
    add_png(doc, section=None)


@mutation("binary-profile-missing", "no-meta")
def _binary_no_meta(doc: dict, target: str) -> None:
    """The PDF Binary has no `meta`."""
    del binary(doc)["meta"]


@mutation("binary-security-context-present", "security-context")
def _binary_security(doc: dict, target: str) -> None:
    """The PDF Binary names a `securityContext` (the Patient)."""
    ms.put(binary(doc), "securityContext", {"reference": ref(doc, "Patient")}, after="contentType")


@mutation("binary-content-type-invalid", "file-extension", targets=("1.6.0/ge", "1.6.0+su"))
def _binary_type_extension(doc: dict, target: str) -> None:
    """`Binary.contentType` is `pdf`, a file extension."""
    binary(doc)["contentType"] = "pdf"


@mutation("binary-content-not-base64", "line-breaks")
def _binary_line_breaks(doc: dict, target: str) -> None:
    """The base64 content is wrapped at 76 characters (MIME style)."""
    content = binary(doc)["content"]
    binary(doc)["content"] = "\n".join(content[i:i + 76] for i in range(0, len(content), 76))


@mutation("binary-content-mismatch", "text-not-pdf")
def _binary_text(doc: dict, target: str) -> None:
    """The `application/pdf` Binary decodes to plain text."""
    binary(doc)["content"] = b64(b"This is not a PDF document, just a line of text.\n")


@mutation("binary-content-mismatch", "truncated-pdf", targets=("1.6.0",))
def _binary_truncated(doc: dict, target: str) -> None:
    """The PDF is cut short: it has no `%%EOF` trailer."""
    raw = base64.b64decode(binary(doc)["content"])
    binary(doc)["content"] = b64(raw[: len(raw) // 2 // 3 * 3])


def _docref(doc: dict) -> dict:
    return pb_entry(doc, "DocumentReference")["resource"]["content"][0]["attachment"]


@mutation("attachment-data-not-base64", "space-in-data", targets=("1.6.0/ge-attachments",))
def _docref_space(doc: dict, target: str) -> None:
    """The DocumentReference's inline PDF has a space in its base64."""
    a = _docref(doc)
    a["data"] = a["data"][:40] + " " + a["data"][40:]


@mutation("attachment-data-mismatch", "png-declared-pdf", targets=("1.6.0/ge-attachments",))
def _docref_png(doc: dict, target: str) -> None:
    """The DocumentReference's attachment is declared `application/pdf` but is a PNG image."""
    _docref(doc)["data"] = b64(make_png())


@mutation("attachment-message-too-large", "large-scan", targets=("1.6.0/ge",))
def _large_message(doc: dict, target: str) -> None:
    """The PDF carries a 4 MiB stream, so the message is over 5 MiB once base64 encoded."""
    name, nhs = patient_name(doc)
    pdf = make_pdf(["Discharge summary (scanned)", f"Patient: {name}   NHS Number: {nhs}"],
                   padding=4 * 1024 * 1024)
    binary(doc)["content"] = b64(pdf)


# ---- structured resources referenced from sections ------------------------------------------
# The Generic / Send Update resources (GPCM-SD-018…024, 078) come from the clinical packs' own
# valid samples (tools/make_clin2_samples.py), which populate them completely: a failing sample
# takes one of them and drops the section entries that reference its resources of one type.


def observation(doc: dict) -> dict:
    """A CareConnect-Observation-1 body weight, entered by the patient."""
    return {
        "resourceType": "Observation",
        "id": new_id(doc, "observation"),
        "meta": {"profile": [CC + "CareConnect-Observation-1"]},
        "status": "final",
        "category": [{"coding": [{"system": "http://hl7.org/fhir/observation-category",
                                  "code": "vital-signs", "display": "Vital Signs"}]}],
        "code": {"coding": [{"system": SNOMED, "code": "27113001", "display": "Body weight"}]},
        "subject": {"reference": ref(doc, "Patient")},
        "context": {"reference": ref(doc, "Encounter")},
        "effectiveDateTime": comp(doc)["date"],
        "issued": comp(doc)["date"],
        "performer": [{"reference": ref(doc, "Patient")}],
        "valueQuantity": {"value": ms.Num("72.5"), "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"},
    }


def unreference(doc: dict, resource_type: str) -> None:
    """Drops every section entry that references a resource of `resource_type`, and any section
    left without entries."""
    urls = {e["fullUrl"] for e in pb(doc)["entry"] if e["resource"]["resourceType"] == resource_type}
    sections = comp(doc)["section"]
    for section in sections:
        section["entry"] = [e for e in section.get("entry", []) if e["reference"] not in urls]
    comp(doc)["section"] = [x for x in sections if x["entry"] or x.get("section") or x.get("text")]


# Each GE/SU resource type, and the clinical sample (target) that carries it.
SECTION_TYPES = {
    "Medication": "1.6.0/ge-medications",
    "MedicationRequest": "1.6.0/ge-medications",
    "MedicationStatement": "1.6.0/ge-medications",
    "Immunization": "1.6.0/ge-record",
    "Condition": "1.6.0/ge-record",
    "ProcedureRequest": "1.6.0/ge-record",
    "DiagnosticReport": "1.6.0/ge-record",
    "Specimen": "1.6.0/ge-record",
}


def _kebab(name: str) -> str:
    return "".join("-" + c.lower() if c.isupper() else c for c in name).lstrip("-")


def _unreferenced(resource_type: str):
    def edit(doc: dict, target: str) -> None:
        unreference(doc, resource_type)

    edit.__doc__ = f"No Composition section references the {resource_type} resources."
    return edit


for _t, _target in SECTION_TYPES.items():
    mutation(f"section-entry-missing-{_kebab(_t)}", f"unreferenced-{_kebab(_t)}",
             targets=(_target,))(_unreferenced(_t))


@mutation("section-list-missing", "problems-in-separate-sections", targets=("1.6.0/ge-record",))
def _problems_scattered(doc: dict, target: str) -> None:
    """The two problems (Conditions) sit in two sections instead of one grouped set."""
    problems = next(x for x in comp(doc)["section"]
                    if any(pb_by_url(doc, e["reference"])["resourceType"] == "Condition" for e in x["entry"]))
    moved = problems["entry"].pop()
    comp(doc)["section"].append({"title": "Problem", "entry": [moved]})


def pb_by_url(doc: dict, url: str) -> dict:
    return next(e["resource"] for e in pb(doc)["entry"] if e["fullUrl"] == url)


# --------------------------------------------------------------------------------------------
# Planning, writing, checking
# --------------------------------------------------------------------------------------------


def pack_rules() -> list[dict]:
    return tomllib.loads(PACK.read_text(encoding="utf-8"))["rule"]


def applies(rule: dict, target: Target, order: list[str]) -> bool:
    return any(ms.variant_applies(v, target.release, target.use_case, order) for v in rule.get("variant", []))


def plan() -> tuple[list[ms.Planned], list[str]]:
    problems: list[str] = []
    files: list[ms.Planned] = []
    base = bases()
    own = derive_generic_attachments(base["1.6.0/ge"])
    base["1.6.0/ge-attachments"] = own
    targets = dict(TARGETS)
    targets["1.6.0/ge-attachments"] = Target("1.6.0", "1.6.0", "ge", "")
    stem = SAMPLES / OWN_VALID
    files.append(ms.Planned(stem.with_suffix(".json"), ms.to_json(own), "1.6.0", None))
    files.append(ms.Planned(stem.with_suffix(".xml"), ms.to_xml(own), "1.6.0", None))

    order = ms.release_order()
    rules = {r["name"]: r for r in pack_rules()}
    for m in CATALOGUE:
        if m.rule not in rules:
            problems.append(f"mutation {m.rule}/{m.case}: no such rule in {PACK.name}")
    for name, rule in rules.items():
        mutations = [m for m in CATALOGUE if m.rule == name]
        written = 0
        for m in mutations:
            wanted = m.targets or DEFAULT
            for t in wanted:
                target = targets[t]
                if not applies(rule, target, order):
                    if m.targets:
                        problems.append(f"{name}/{t}/{m.case}: the rule does not apply there")
                    continue
                doc = copy.deepcopy(base[t])
                m.edit(doc, t)
                if ms.to_json(doc) == ms.to_json(base[t]):
                    problems.append(f"{name}/{t}/{m.case}: the mutation changes nothing")
                path = SAMPLES / "invalid" / name / target.directory / (target.prefix + m.case)
                files.append(ms.Planned(path.with_suffix(".json"), ms.to_json(doc), target.release, name))
                files.append(ms.Planned(path.with_suffix(".xml"), ms.to_xml(doc), target.release, name))
                written += 1
        if not written:
            problems.append(f"{name}: no sample (add a @mutation)")
    paths = [f.path for f in files]
    if len(paths) != len(set(paths)):
        problems.append("two mutations write the same file")
    return files, problems


def owned_dirs() -> list[Path]:
    return [SAMPLES / "invalid" / r["name"] for r in pack_rules()]


def stale_files(files: list[ms.Planned]) -> list[Path]:
    return ms.stale_in(files, owned_dirs(), recursive=True)


def main() -> int:
    return ms.run(__doc__, "make_comp_samples.py", plan, stale_files, lambda files, stale: owned_dirs(), ms.verify)


if __name__ == "__main__":
    sys.exit(main())
