#!/usr/bin/env python3
"""Generates the release-pinned envelope samples of gpcm-validate (Python 3.11, stdlib only).

Run from the crate root:

    python3 tools/make_samples.py                  write every owned file, print what changed
    python3 tools/make_samples.py --check          exit 1 if an owned file is missing, differs
                                                   from what would be written, or is stale
    python3 tools/make_samples.py --verify BINARY  also run BINARY (gpcm-validate) on every
                                                   owned sample and check its findings

What it does, in order:

1. **Serializer check.** The hand-written valid samples `samples/valid/1.6.0/consultation-report`
   and `samples/valid/1.2.1/federated-consultation-report` are the sources of truth. Their JSON
   is serialized to FHIR XML (`to_xml`) and must equal the hand-written `.xml` byte for byte;
   the generator never writes these four files.
2. **Valid bases.** The base of each release is read (1.2.1, 1.6.0) or derived from the 1.6.0
   JSON by the documented edits in `derive_1_3_0` and `derive_2_0_0` (1.3.0, 2.0.0), and those
   two are written to `samples/valid/<release>/consultation-report.{json,xml}`.
3. **Mutations.** For every rule in `profiles/packs/core/envelope.toml` and every release in
   `RELEASES` where one of the rule's variants applies (version range and use case), each
   mutation registered for that rule (`@mutation(...)`) is applied to a copy of the release's
   base and written to `samples/invalid/<rule>/<release>/<case>.{json,xml}`. A rule/release
   pair without a mutation is an error unless `SKIPPED` says why; a mutation registered for a
   release where its rule does not apply is an error too.

Each mutation breaks its rule and only that rule (`--verify`, and `tests/samples.rs`, check
this). JSON is written with 2-space indentation in STU3 element order (insert new properties
with `put(obj, key, value, after=...)` to keep that order); XML is always serialized from the
JSON, so twins cannot drift.

Owned files: the two derived valid bases, and every `.json`/`.xml` directly under
`samples/invalid/<envelope rule>/<release>/` for the releases in `RELEASES`. A file there that
the catalogue does not produce is stale: `--check` fails on it and a normal run deletes it.

To add a mutation: write a function `def name(doc, release)` that edits `doc` (the parsed JSON
of the release's base) in place, decorate it with
`@mutation("<rule-name>", "<kebab-case-defect>", releases=...)` (default: every release where
the rule applies), give it a docstring saying what it changes, run the script, then
`INSTA_UPDATE=always cargo test --test samples` and review the new snapshots.
"""

from __future__ import annotations

import argparse
import copy
import difflib
import json
import re
import subprocess
import sys
import tomllib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
PACK = ROOT / "profiles" / "packs" / "core" / "envelope.toml"
SPEC = ROOT / "profiles" / "spec.toml"

# Releases the envelope catalogue covers, each with its valid base and that base's use case.
RELEASES = ["1.2.1", "1.3.0", "1.6.0", "2.0.0"]
BASE_STEM = {
    "1.2.1": "valid/1.2.1/federated-consultation-report",
    "1.3.0": "valid/1.3.0/consultation-report",
    "1.6.0": "valid/1.6.0/consultation-report",
    "2.0.0": "valid/2.0.0/consultation-report",
}
BASE_USE_CASE = {"1.2.1": "task", "1.3.0": "cs", "1.6.0": "cs", "2.0.0": "sd"}
# Hand-written samples: read, never written; their XML must equal to_xml(their JSON).
HAND_WRITTEN = ["valid/1.6.0/consultation-report", "valid/1.2.1/federated-consultation-report"]

HANDLING_URL = "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-ITK-MessageHandling-2"
SD = "https://fhir.nhs.uk/STU3/StructureDefinition/"
MD = "https://fhir.nhs.uk/STU3/MessageDefinition/"


# --------------------------------------------------------------------------------------------
# FHIR JSON in and out
# --------------------------------------------------------------------------------------------


class Num(str):
    """A JSON number, kept in its source spelling (FHIR decimals keep their precision)."""


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"), parse_float=Num, parse_int=Num)


def to_json(value: Any) -> str:
    """JSON with 2-space indentation, property order kept, non-ASCII written as is (the same
    bytes as `json.dumps(indent=2, ensure_ascii=False)`), ending with a newline."""
    return _json(value, 0) + "\n"


def _json(value: Any, depth: int) -> str:
    pad, inner = "  " * depth, "  " * (depth + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{_json_str(k)}: {_json(v, depth + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        return "[\n" + ",\n".join(inner + _json(v, depth + 1) for v in value) + "\n" + pad + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, Num):
        return str(value)
    if isinstance(value, str):
        return _json_str(value)
    raise TypeError(f"cannot write {value!r} as FHIR JSON")


def _json_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


# --------------------------------------------------------------------------------------------
# FHIR JSON -> FHIR XML
# --------------------------------------------------------------------------------------------


def to_xml(resource: dict) -> str:
    """FHIR XML for a FHIR JSON resource, following the FHIR XML rules our samples use:

    - properties in JSON order (our JSON is written in STU3 element order);
    - a resource is an element named by its `resourceType`, wrapped in its property element
      (`<resource><Patient>…</Patient></resource>`); the root is `<Bundle xmlns=…>`;
    - a primitive is an element with a `value` attribute; its `_name` twin (id, extensions) is
      merged into that element;
    - element `id` and extension `url` are attributes (id first); a resource's own `id` is an
      `<id value=…/>` element;
    - arrays are repeated elements; the narrative `div` (an XHTML string) is written verbatim;
    - 2-space indentation, an XML declaration first, a newline at the end.
    """
    out = ['<?xml version="1.0" encoding="UTF-8"?>']
    _xml_resource(out, resource, 0, root=True)
    return "\n".join(out) + "\n"


def _attr(s: str) -> str:
    return (
        s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("\n", "&#10;")
        .replace("\r", "&#13;")
        .replace("\t", "&#9;")
    )


def _primitive_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):  # Num is a str
        return value
    raise TypeError(f"not a FHIR primitive: {value!r}")


def _xml_resource(out: list[str], res: dict, depth: int, root: bool = False) -> None:
    rtype = res["resourceType"]
    ns = ' xmlns="http://hl7.org/fhir"' if root else ""
    out.append(f"{'  ' * depth}<{rtype}{ns}>")
    _xml_children(out, res, depth + 1, is_resource=True, is_extension=False)
    out.append(f"{'  ' * depth}</{rtype}>")


def _xml_children(
    out: list[str], obj: dict, depth: int, *, is_resource: bool, is_extension: bool
) -> None:
    for key, value in obj.items():
        if key == "resourceType":
            continue
        if key == "id" and not is_resource:
            continue  # an attribute of the element
        if key == "url" and is_extension:
            continue  # an attribute of the extension
        if key.startswith("_"):
            if key[1:] in obj:
                continue  # merged into the primitive's element
            _xml_property(out, key[1:], None, value, depth)
            continue
        _xml_property(out, key, value, obj.get("_" + key), depth)


def _xml_property(out: list[str], name: str, value: Any, ext: Any, depth: int) -> None:
    if isinstance(value, list) or isinstance(ext, list):
        values = value if isinstance(value, list) else [None] * len(ext)
        exts = ext if isinstance(ext, list) else [None] * len(values)
        for v, e in zip(values, exts, strict=True):
            _xml_element(out, name, v, e, depth)
    else:
        _xml_element(out, name, value, ext, depth)


def _xml_element(out: list[str], name: str, value: Any, ext: Any, depth: int) -> None:
    pad = "  " * depth
    if name == "div" and isinstance(value, str):
        out.append(pad + value)  # narrative XHTML, verbatim
        return
    if isinstance(value, dict):
        if "resourceType" in value:
            out.append(f"{pad}<{name}>")
            _xml_resource(out, value, depth + 1)
            out.append(f"{pad}</{name}>")
            return
        is_ext = name in ("extension", "modifierExtension")
        attrs = ""
        if "id" in value:
            attrs += f' id="{_attr(value["id"])}"'
        if is_ext and "url" in value:
            attrs += f' url="{_attr(value["url"])}"'
        body: list[str] = []
        _xml_children(body, value, depth + 1, is_resource=False, is_extension=is_ext)
        _xml_wrap(out, pad, name, attrs, body)
        return
    # A primitive, with or without a value, with its `_name` id and extensions.
    ext = ext or {}
    attrs = ""
    if "id" in ext:
        attrs += f' id="{_attr(ext["id"])}"'
    if value is not None:
        attrs += f' value="{_attr(_primitive_text(value))}"'
    body = []
    for e in ext.get("extension", []):
        _xml_element(body, "extension", e, None, depth + 1)
    _xml_wrap(out, pad, name, attrs, body)


def _xml_wrap(out: list[str], pad: str, name: str, attrs: str, body: list[str]) -> None:
    if body:
        out.append(f"{pad}<{name}{attrs}>")
        out.extend(body)
        out.append(f"{pad}</{name}>")
    else:
        out.append(f"{pad}<{name}{attrs}/>")


# --------------------------------------------------------------------------------------------
# Navigating and editing FHIR JSON
# --------------------------------------------------------------------------------------------


def put(obj: dict, key: str, value: Any, *, after: str | None = None, before: str | None = None) -> None:
    """Sets `obj[key]`; a new key goes right after `after` or right before `before` (the first
    of them present), keeping STU3 element order. An existing key keeps its place."""
    if key in obj:
        obj[key] = value
        return
    items = list(obj.items())
    at = len(items)
    if after is not None and after in obj:
        at = [k for k, _ in items].index(after) + 1
    elif before is not None and before in obj:
        at = [k for k, _ in items].index(before)
    items.insert(at, (key, value))
    obj.clear()
    obj.update(items)


def header(doc: dict) -> dict:
    """The MessageHeader (the first entry of every base)."""
    return next(e["resource"] for e in doc["entry"] if e["resource"]["resourceType"] == "MessageHeader")


def handling(doc: dict) -> dict:
    return next(x for x in header(doc)["extension"] if x["url"] == HANDLING_URL)


def handling_key(doc: dict, key: str) -> dict:
    return next(x for x in handling(doc)["extension"] if x["url"] == key)


def outer_entry(doc: dict, resource_type: str) -> dict:
    return next(e for e in doc["entry"] if e["resource"]["resourceType"] == resource_type)


def payload(doc: dict) -> dict:
    """The payload Bundle (the entry the MessageHeader's focus names)."""
    return outer_entry(doc, "Bundle")["resource"]


def header_organization_entry(doc: dict) -> dict:
    return outer_entry(doc, "Organization")


def author_ref(doc: dict) -> str:
    """The fullUrl of the authoring Practitioner in the payload."""
    first = payload(doc)["entry"][0]["resource"]
    if first["resourceType"] == "Composition":
        return first["author"][0]["reference"]
    return first["requester"]["agent"]["reference"]


def remap_ids(doc: Any, salt: str) -> Any:
    """Gives a derived message its own identity: every UUID in it is replaced by a UUIDv5 of
    (`salt`, old UUID), consistently, so fullUrls, ids, references and the SenderReference /
    Encounter identifier pairing still line up."""
    text = to_json(doc)
    found = sorted(set(_uuids(text)))
    for old in found:
        new = str(uuid.uuid5(uuid.NAMESPACE_URL, f"gpcm-validate/samples/{salt}/{old}"))
        text = text.replace(old, new)
    return json.loads(text, parse_float=Num, parse_int=Num)


def _uuids(text: str) -> list[str]:
    return re.findall(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", text)


# --------------------------------------------------------------------------------------------
# Valid bases
# --------------------------------------------------------------------------------------------


def derive_1_3_0(cs_1_6_0: dict) -> dict:
    """1.3.0 Send Consultation Report from the 1.6.0 CS sample. The envelope is the same in both
    releases (GPCM-SD-039…049 in 1.3.0 are CS-043…053 in 1.6.0, same values; focus GPCM-SD-103;
    meta GPCM-SD-108). Edits:

    - new UUIDs throughout (`remap_ids`), so the two samples are different messages;
    - no Encounter: 1.3.0 says nothing about encounter content (`Composition.encounter` arrives
      with GPCM-SD-006 in 1.4.0), so the 1.3.0 report carries Composition, Binary, Patient,
      Organization and Practitioner only. SenderReference still names the sender's encounter.
    """
    doc = remap_ids(copy.deepcopy(cs_1_6_0), "1.3.0")
    pb = payload(doc)
    pb["entry"] = [e for e in pb["entry"] if e["resource"]["resourceType"] != "Encounter"]
    del pb["entry"][0]["resource"]["encounter"]
    return doc


def derive_2_0_0(cs_1_6_0: dict) -> dict:
    """Send Document v2 (Simplifier GP Connect Send Document 2.0.x) from the 1.6.0 CS sample.
    Edits:

    - new UUIDs throughout (`remap_ids`);
    - `LocalExtension` = `None` (v2 SCAL GPCM-SD-044; itk3.md §2: "v2: `None`");
    - the Composition summary text in the v2 form (SD-119, itk3.md §6.2):
      `Consultation report for [patient-name], NHS Number: [nhs-number], seen at
      [location-name], [ods-code], Version: [version-number]`.

    Kept as they are, all valid in v2: event ITK007C (SD-047), Bus/InfAckRequested `true`
    (SD-040/041), RecipientType `FA` (SD-039), the canonical MessageDefinition
    `…/ITK-GPConnectSendDocument-MessageDefinition-1` (SD-043; the `-Instance-1` form the SCAL
    writes is accepted but ITK3 2.5.1 removed "Instance"), SenderReference = the encounter
    UUID (SD-042), sender → header Organization (SD-045), source.endpoint (SD-046), no
    destination/receiver (SD-049), focus → ITK-Document-Bundle-1 of type document (SD-103),
    `meta.profile` on every resource (SD-108), Composition type 371531000 (SD-115).
    """
    doc = remap_ids(copy.deepcopy(cs_1_6_0), "2.0.0")
    handling_key(doc, "LocalExtension")["valueString"] = "None"
    comp = payload(doc)["entry"][0]["resource"]
    comp["text"]["div"] = (
        '<div xmlns="http://www.w3.org/1999/xhtml">Consultation report for Harriet Fernley, '
        "NHS Number: 9993456780, seen at Riverside Health Hub, A12345, Version: 1</div>"
    )
    return doc


def _retype(doc: dict, local_extension: str, code: str, display: str, title: str, text: str) -> None:
    """Makes a consultation report another Composition-model use case: the LocalExtension that
    names it, Composition.type/title and the summary text the use case prescribes, and an
    Encounter typed and prioritised as OC/GE/SU-033…039 ask."""
    handling_key(doc, "LocalExtension")["valueString"] = local_extension
    comp = payload(doc)["entry"][0]["resource"]
    comp["type"]["coding"] = [{"system": "http://snomed.info/sct", "code": code, "display": display}]
    comp["title"] = title
    comp["text"]["div"] = f'<div xmlns="http://www.w3.org/1999/xhtml">{text}</div>'
    for e in payload(doc)["entry"]:
        r = e["resource"]
        if r["resourceType"] == "Encounter":
            put(r, "type", [{"coding": [{"system": "http://snomed.info/sct", "code": "185316007",
                                         "display": "Indirect encounter"}]}], after="class")
            put(r, "priority", {"coding": [{"system": "http://hl7.org/fhir/v3/ActPriority",
                                            "code": "R", "display": "routine"}]}, after="type")


def derive_online_consultation(cs_1_6_0: dict, release: str) -> dict:
    """Online Consultation (OC, 1.4.0+) from the 1.6.0 CS sample: LocalExtension
    `SendDocument-OnlineConsultationReport` (OC-147), Composition.type 149951000000107 (OC-003),
    title `Online consultation report` (OC-006), the OC summary text (OC-007), and an Encounter
    with type and priority (OC-034/037)."""
    doc = remap_ids(copy.deepcopy(cs_1_6_0), f"{release}/oc")
    _retype(doc, "SendDocument-OnlineConsultationReport", "149951000000107",
            "Patient information received using general practice online consultation system",
            "Online consultation report",
            "Online consultation report for Harriet Fernley, NHS Number 9993456780, Version 1")
    return doc


def derive_generic(cs_1_6_0: dict, release: str, salt: str) -> dict:
    """Generic Send Document (GE, 1.5.0+) and Send Update (SU, 1.6.0, the same wire content)
    from the 1.6.0 CS sample: LocalExtension `SendDocument-Generic` (GE-274), a SNOMED CT
    document type (discharge summary, GE-003), its title (GE-006) and the
    `{name of report} report for …` summary text (GE-007)."""
    doc = remap_ids(copy.deepcopy(cs_1_6_0), f"{release}/{salt}")
    _retype(doc, "SendDocument-Generic", "373942005", "Discharge summary", "Discharge summary",
            "Discharge summary report for Harriet Fernley, NHS Number 9993456780, Version 1")
    return doc


# Valid bases per use case, beside the one envelope base per release above: stem → (release,
# use case, derived message). A `+<use case>` release directory pins the use case the wire
# cannot show (Send Update reads exactly like Generic).
def use_case_bases(cs_1_6_0: dict) -> dict[str, tuple[str, str, dict]]:
    return {
        "valid/1.5.1/consultation-report": ("1.5.1", "cs", remap_ids(copy.deepcopy(cs_1_6_0), "1.5.1/cs")),
        "valid/1.5.1/online-consultation": ("1.5.1", "oc", derive_online_consultation(cs_1_6_0, "1.5.1")),
        "valid/1.6.0/online-consultation": ("1.6.0", "oc", derive_online_consultation(cs_1_6_0, "1.6.0")),
        "valid/1.5.1/generic": ("1.5.1", "ge", derive_generic(cs_1_6_0, "1.5.1", "ge")),
        "valid/1.6.0/generic": ("1.6.0", "ge", derive_generic(cs_1_6_0, "1.6.0", "ge")),
        "valid/1.6.0+su/send-update": ("1.6.0", "su", derive_generic(cs_1_6_0, "1.6.0", "su")),
    }


RESPONDER_ODS = "B34567"  # the registered practice (Hollybrook Surgery in the 1.2.1 sample)


def derive_response(request: dict, release: str) -> dict:
    """The ITK3 infrastructure response (code 20013, Success) a receiver sends back for the
    release's valid request: the base of the response-only rules' samples. It is not written
    as a file of its own (`tests/samples.rs` expects every valid sample to be a request);
    `--verify` checks it validates clean. Built per itk3.md §5 and the ITK3
    ITK-Response-20013-Example-1, with GP Connect's rules where they differ:

    - a new message Bundle (ITK-Message-Bundle-1, type message, identifier);
    - the MessageHeader: handling keys BusAckRequested/InfAckRequested `false`
      (GPCM-SD-050/051, CS-054/055, SD-050/051), RecipientType `FA`, MessageDefinition
      `…/ITK-Response-MessageDefinition-1`, SenderReference = the request's (GPCM-SD-052,
      CS-056, SD-052), LocalExtension `None`; event `ITK008M` "ITK Response"; sender → the
      responder's CareConnect-ITK-Header-Organization-1 (GP Connect, not the ITK examples'
      header Practitioner); timestamp a minute after the request; source.endpoint = the
      responder's mailbox; response.identifier = the request's `MessageHeader.id`,
      response.code `ok`, response.details → the OperationOutcome;
    - the responder's header Organization (ODS code only);
    - an ITK-Response-OperationOutcome-1 with one issue: information / informational /
      ITK-ResponseCodes-1 `20013` "Success".
    """
    def new_id(what: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"gpcm-validate/samples/{release}/response/{what}"))

    req_header = header(request)
    bundle_id, header_id, org_id, oo_id = (new_id(x) for x in ("bundle", "header", "org", "oo"))
    sent = datetime.fromisoformat(req_header["timestamp"]) + timedelta(minutes=1)
    keys = [
        {"url": "BusAckRequested", "valueBoolean": False},
        {"url": "InfAckRequested", "valueBoolean": False},
        copy.deepcopy(handling_key(request, "RecipientType")),
        {"url": "MessageDefinition", "valueReference": {"reference": MD + "ITK-Response-MessageDefinition-1"}},
        copy.deepcopy(handling_key(request, "SenderReference")),
        {"url": "LocalExtension", "valueString": "None"},
    ]
    return {
        "resourceType": "Bundle",
        "id": bundle_id,
        "meta": {"profile": [SD + "ITK-Message-Bundle-1"]},
        "identifier": {"system": "https://tools.ietf.org/html/rfc4122", "value": new_id("identifier")},
        "type": "message",
        "entry": [
            {
                "fullUrl": f"urn:uuid:{header_id}",
                "resource": {
                    "resourceType": "MessageHeader",
                    "id": header_id,
                    "meta": {"profile": [SD + "ITK-MessageHeader-2"]},
                    "extension": [{"url": HANDLING_URL, "extension": keys}],
                    "event": {
                        "system": "https://fhir.nhs.uk/STU3/CodeSystem/ITK-MessageEvent-2",
                        "code": "ITK008M",
                        "display": "ITK Response",
                    },
                    "sender": {"reference": f"urn:uuid:{org_id}"},
                    "timestamp": sent.isoformat(),
                    "source": {"endpoint": f"{RESPONDER_ODS}OT001"},
                    "response": {
                        "identifier": req_header["id"],
                        "code": "ok",
                        "details": {"reference": f"urn:uuid:{oo_id}"},
                    },
                },
            },
            {
                "fullUrl": f"urn:uuid:{org_id}",
                "resource": {
                    "resourceType": "Organization",
                    "id": org_id,
                    "meta": {"profile": [SD + "CareConnect-ITK-Header-Organization-1"]},
                    "identifier": [
                        {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": RESPONDER_ODS}
                    ],
                },
            },
            {
                "fullUrl": f"urn:uuid:{oo_id}",
                "resource": {
                    "resourceType": "OperationOutcome",
                    "id": oo_id,
                    "meta": {"profile": [SD + "ITK-Response-OperationOutcome-1"]},
                    "issue": [
                        {
                            "severity": "information",
                            "code": "informational",
                            "details": {
                                "coding": [
                                    {
                                        "system": "https://fhir.nhs.uk/STU3/CodeSystem/ITK-ResponseCodes-1",
                                        "code": "20013",
                                        "display": "Success",
                                    }
                                ]
                            },
                        }
                    ],
                },
            },
        ],
    }


# --------------------------------------------------------------------------------------------
# The rule pack: which releases each envelope rule applies to
# --------------------------------------------------------------------------------------------


def release_order() -> list[str]:
    return [v["id"] for v in tomllib.loads(SPEC.read_text(encoding="utf-8"))["version"]]


def pack_rules() -> list[dict]:
    return tomllib.loads(PACK.read_text(encoding="utf-8"))["rule"]


def variant_applies(variant: dict, release: str, use_case: str, order: list[str]) -> bool:
    def in_range(spec: str) -> bool:
        if "..=" in spec:
            lo, hi = spec.split("..=")
            return order.index(lo) <= order.index(release) <= order.index(hi)
        return spec == release

    if not any(in_range(v) for v in variant.get("versions", [])):
        return False
    return "use_cases" not in variant or use_case in variant["use_cases"]


def kinds(rule: dict) -> list[str]:
    """What a rule applies to (`applies`): `message` rules get request samples (from the
    release's valid base), `response`-only rules get response samples (from `derive_response`)."""
    return rule.get("applies", ["message"])


def applicable_releases(rule: dict, order: list[str]) -> list[str]:
    return [
        r
        for r in RELEASES
        if any(variant_applies(v, r, BASE_USE_CASE[r], order) for v in rule.get("variant", []))
    ]


# --------------------------------------------------------------------------------------------
# The mutation catalogue
# --------------------------------------------------------------------------------------------


@dataclass
class Mutation:
    rule: str
    case: str
    releases: tuple[str, ...] | None  # None: every release where the rule applies
    edit: Callable[[dict, str], None]


CATALOGUE: list[Mutation] = []

# Rule/release pairs that have no sample, and why. Every other applicable pair must have one.
SKIPPED: dict[tuple[str, str], str] = {}

V1 = ("1.2.1", "1.3.0", "1.6.0")
COMPOSITION_MODEL = ("1.3.0", "1.6.0", "2.0.0")


def mutation(rule: str, case: str, releases: tuple[str, ...] | None = None):
    def register(fn: Callable[[dict, str], None]):
        CATALOGUE.append(Mutation(rule, case, releases, fn))
        return fn

    return register


# ---- outer Bundle ----------------------------------------------------------------------------


@mutation("bundle-type-not-message", "type-collection")
def _bundle_type_collection(doc: dict, release: str) -> None:
    """`Bundle.type` is `collection`."""
    doc["type"] = "collection"


@mutation("bundle-profile-missing", "no-meta")
def _bundle_no_meta(doc: dict, release: str) -> None:
    """The message Bundle has no `meta` (as in the 2024 generic example)."""
    del doc["meta"]


@mutation("bundle-identifier-missing", "no-identifier")
def _bundle_no_identifier(doc: dict, release: str) -> None:
    """The message Bundle has no `identifier`."""
    del doc["identifier"]


@mutation("bundle-element-forbidden", "link-self")
def _bundle_link(doc: dict, release: str) -> None:
    """The message Bundle carries a `link` (relation `self`), as a search result would."""
    put(doc, "link", [{"relation": "self", "url": f"urn:uuid:{doc['id']}"}], after="type")


@mutation("message-header-not-first", "organization-first")
def _organization_first(doc: dict, release: str) -> None:
    """The header Organization entry comes before the MessageHeader entry."""
    doc["entry"][0], doc["entry"][1] = doc["entry"][1], doc["entry"][0]


# ---- references and fullUrls (Rust-coded rules) ---------------------------------------------


@mutation("full-url-duplicate", "entry-repeated")
def _outer_entry_repeated(doc: dict, release: str) -> None:
    """The header Organization entry appears twice in the message Bundle."""
    i = doc["entry"].index(header_organization_entry(doc))
    doc["entry"].insert(i + 1, copy.deepcopy(doc["entry"][i]))


@mutation("full-url-duplicate", "payload-entry-repeated")
def _payload_entry_repeated(doc: dict, release: str) -> None:
    """The payload Bundle's last entry appears twice in the payload Bundle."""
    pb = payload(doc)
    pb["entry"].append(copy.deepcopy(pb["entry"][-1]))


@mutation("reference-unresolved", "missing-target")
def _focus_missing_target(doc: dict, release: str) -> None:
    """`MessageHeader.focus` names a `urn:uuid:` that no entry has."""
    header(doc)["focus"][0]["reference"] = "urn:uuid:2f0b6a43-7c55-4f0e-9d5e-3a1c8e2b9d10"


@mutation("reference-unresolved", "relative-type-id")
def _relative_patient(doc: dict, release: str) -> None:
    """The payload's patient reference (Composition.subject, Task.for) is written
    `Patient/<id>` against `urn:uuid:` fullUrls."""
    first = payload(doc)["entry"][0]["resource"]
    ref = first["subject" if first["resourceType"] == "Composition" else "for"]
    ref["reference"] = "Patient/" + ref["reference"].removeprefix("urn:uuid:")


@mutation("reference-unresolved", "contained-missing")
def _contained_missing(doc: dict, release: str) -> None:
    """The payload's author reference (Composition.author, Task.requester.agent) is `#author`,
    a contained resource that is not there."""
    first = payload(doc)["entry"][0]["resource"]
    if first["resourceType"] == "Composition":
        first["author"][0]["reference"] = "#author"
    else:
        first["requester"]["agent"]["reference"] = "#author"


# ---- MessageHeader ---------------------------------------------------------------------------


@mutation("message-header-profile-missing", "no-meta")
def _header_no_meta(doc: dict, release: str) -> None:
    """The MessageHeader has no `meta`."""
    del header(doc)["meta"]


@mutation("message-header-sender-wrong", "careconnect-organization-profile")
def _sender_profile(doc: dict, release: str) -> None:
    """The Organization `MessageHeader.sender` names declares CareConnect-Organization-1 (the
    payload's profile) instead of CareConnect-ITK-Header-Organization-1. (An entry of the
    message Bundle, so the sample does not depend on whether the header's references may
    resolve into the payload Bundle.)"""
    header_organization_entry(doc)["resource"]["meta"]["profile"] = [
        "https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Organization-1"
    ]


@mutation("header-organization-ods-missing", "site-code-only")
def _header_org_site_code(doc: dict, release: str) -> None:
    """The header Organization's only identifier is an ODS site code, not an organisation
    code."""
    header_organization_entry(doc)["resource"]["identifier"][0]["system"] = (
        "https://fhir.nhs.uk/Id/ods-site-code"
    )


@mutation("message-header-source-element-forbidden", "source-software")
def _source_software(doc: dict, release: str) -> None:
    """`MessageHeader.source` names the sending `software`."""
    put(header(doc)["source"], "software", "Riverside Clinical System", before="endpoint")


@mutation("message-header-event-wrong", "update-record-event")
def _event_itk014m(doc: dict, release: str) -> None:
    """`MessageHeader.event.code` is `ITK014M` (ITK Update Record), which no GP Connect release
    uses."""
    header(doc)["event"]["code"] = "ITK014M"


@mutation("message-header-event-system-wrong", "value-set-url")
def _event_system_value_set(doc: dict, release: str) -> None:
    """`MessageHeader.event.system` is the ITK-MessageEvent-2 value set URL instead of the code
    system's."""
    header(doc)["event"]["system"] = "https://fhir.nhs.uk/STU3/ValueSet/ITK-MessageEvent-2"


@mutation("message-header-event-display-wrong", "display-free-text")
def _event_display(doc: dict, release: str) -> None:
    """`MessageHeader.event.display` is free text, not the code system's display."""
    header(doc)["event"]["display"] = "Send document"


@mutation("message-header-destination-present", "destination-endpoint")
def _destination(doc: dict, release: str) -> None:
    """The MessageHeader names a `destination` endpoint (the receiver's MESH mailbox)."""
    put(header(doc), "destination", [{"endpoint": f"{RESPONDER_ODS}OT001"}], after="event")


@mutation("message-header-receiver-present", "receiver-organization")
def _receiver(doc: dict, release: str) -> None:
    """The MessageHeader names a `receiver`: a second CareConnect-ITK-Header-Organization-1 entry
    for the registered practice."""
    rid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"gpcm-validate/samples/{release}/receiver"))
    i = doc["entry"].index(header_organization_entry(doc))
    doc["entry"].insert(
        i + 1,
        {
            "fullUrl": f"urn:uuid:{rid}",
            "resource": {
                "resourceType": "Organization",
                "id": rid,
                "meta": {"profile": [SD + "CareConnect-ITK-Header-Organization-1"]},
                "identifier": [
                    {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": RESPONDER_ODS}
                ],
            },
        },
    )
    put(header(doc), "receiver", {"reference": f"urn:uuid:{rid}"}, after="event")


@mutation("message-header-element-forbidden", "reason-present")
def _header_reason(doc: dict, release: str) -> None:
    """The MessageHeader gives a `reason` (the document type)."""
    put(
        header(doc),
        "reason",
        {
            "coding": [
                {
                    "system": "http://snomed.info/sct",
                    "code": "371531000",
                    "display": "Report of clinical encounter",
                }
            ]
        },
        after="source",
    )


# ---- handling specification ------------------------------------------------------------------


@mutation("handling-extension-count", "extension-absent")
def _handling_absent(doc: dict, release: str) -> None:
    """The MessageHeader has no handling extension at all."""
    del header(doc)["extension"]


@mutation("handling-extension-count", "extension-repeated")
def _handling_repeated(doc: dict, release: str) -> None:
    """The handling extension appears twice (identical copies)."""
    ext = header(doc)["extension"]
    ext.append(copy.deepcopy(ext[0]))


@mutation("handling-key-invalid", "inf-ack-missing")
def _key_missing(doc: dict, release: str) -> None:
    """The handling extension has no `InfAckRequested` key."""
    h = handling(doc)
    h["extension"] = [x for x in h["extension"] if x["url"] != "InfAckRequested"]


@mutation("handling-key-invalid", "bus-ack-repeated")
def _key_repeated(doc: dict, release: str) -> None:
    """`BusAckRequested` appears twice (both `true`)."""
    h = handling(doc)
    i = h["extension"].index(handling_key(doc, "BusAckRequested"))
    h["extension"].insert(i + 1, copy.deepcopy(h["extension"][i]))


@mutation("handling-key-invalid", "bus-ack-value-string")
def _key_wrong_type(doc: dict, release: str) -> None:
    """`BusAckRequested` is `valueString` `"true"`, not `valueBoolean`."""
    key = handling_key(doc, "BusAckRequested")
    del key["valueBoolean"]
    key["valueString"] = "true"


@mutation("handling-bus-ack-not-requested", "bus-ack-false")
def _bus_ack_false(doc: dict, release: str) -> None:
    """`BusAckRequested` is `false`."""
    handling_key(doc, "BusAckRequested")["valueBoolean"] = False


@mutation("handling-inf-ack-not-requested", "inf-ack-false")
def _inf_ack_false(doc: dict, release: str) -> None:
    """`InfAckRequested` is `false`."""
    handling_key(doc, "InfAckRequested")["valueBoolean"] = False


@mutation("handling-recipient-type-wrong", "for-information", releases=V1)
def _recipient_fi(doc: dict, release: str) -> None:
    """`RecipientType` is `FI` (For Information), which a consultation report (and the Task
    model) may not use: it always goes For Action."""
    coding = handling_key(doc, "RecipientType")["valueCoding"]
    coding["code"], coding["display"] = "FI", "For Information"


@mutation("handling-recipient-type-wrong", "code-lowercase", releases=("2.0.0",))
def _recipient_lowercase(doc: dict, release: str) -> None:
    """`RecipientType` is `fa`: codes are case-sensitive (v2 allows `FA` and `FI`)."""
    handling_key(doc, "RecipientType")["valueCoding"]["code"] = "fa"


@mutation("handling-recipient-type-system-wrong", "value-set-url")
def _recipient_system(doc: dict, release: str) -> None:
    """The `RecipientType` coding's system is the ITK-RecipientType-1 value set URL instead of
    the code system's."""
    handling_key(doc, "RecipientType")["valueCoding"]["system"] = (
        "https://fhir.nhs.uk/STU3/ValueSet/ITK-RecipientType-1"
    )


@mutation("handling-sender-reference-empty", "none")
def _sender_reference_none(doc: dict, release: str) -> None:
    """`SenderReference` is the ITK placeholder `None`."""
    handling_key(doc, "SenderReference")["valueString"] = "None"


@mutation("handling-sender-reference-too-long", "length-256")
def _sender_reference_long(doc: dict, release: str) -> None:
    """`SenderReference` is 256 characters: the encounter UUID repeated."""
    key = handling_key(doc, "SenderReference")
    key["valueString"] = ((key["valueString"] + "/") * 8)[:256]


@mutation("handling-message-definition-wrong", "composition-model-definition", releases=("1.2.1",))
def _md_composition_model(doc: dict, release: str) -> None:
    """A Task-model (1.2.1) message names the 1.3.0+ MessageDefinition
    `…/ITK-GPConnectSendDocument-MessageDefinition-1` instead of `…-Instance-1`."""
    handling_key(doc, "MessageDefinition")["valueReference"]["reference"] = (
        MD + "ITK-GPConnectSendDocument-MessageDefinition-1"
    )


@mutation("handling-message-definition-wrong", "instance-definition", releases=("1.3.0", "1.6.0"))
def _md_instance(doc: dict, release: str) -> None:
    """A Composition-model message names the Task-model MessageDefinition
    `…/ITK-GPConnectSendDocument-MessageDefinition-Instance-1`."""
    handling_key(doc, "MessageDefinition")["valueReference"]["reference"] = (
        MD + "ITK-GPConnectSendDocument-MessageDefinition-Instance-1"
    )


@mutation("handling-message-definition-wrong", "send-task-definition", releases=("2.0.0",))
def _md_send_task(doc: dict, release: str) -> None:
    """The MessageDefinition is `…/ITK-SendTask-MessageDefinition-Instance-1`, the pre-1.0
    value the published examples carry (v2 accepts both Send Document URLs, not this one)."""
    handling_key(doc, "MessageDefinition")["valueReference"]["reference"] = (
        MD + "ITK-SendTask-MessageDefinition-Instance-1"
    )


@mutation("handling-local-extension-wrong", "consultation-summary", releases=("1.3.0", "1.6.0"))
def _local_extension_summary(doc: dict, release: str) -> None:
    """`LocalExtension` is `SendDocument-ConsultationSummary`, the value of the published
    consultation-report examples, which no release defines."""
    handling_key(doc, "LocalExtension")["valueString"] = "SendDocument-ConsultationSummary"


@mutation("handling-local-extension-wrong", "federated-consultation-summary", releases=("1.2.1",))
def _local_extension_federated_summary(doc: dict, release: str) -> None:
    """`LocalExtension` is `SendDocument-FederatedConsultationSummary`, the value of the
    published 1.2.1 example; 1.2.1 defines `SendDocument-FederatedConsultationReport`."""
    handling_key(doc, "LocalExtension")["valueString"] = "SendDocument-FederatedConsultationSummary"


@mutation("handling-local-extension-wrong", "v1-consultation-report", releases=("2.0.0",))
def _local_extension_v1(doc: dict, release: str) -> None:
    """A v2 message keeps the 1.x `LocalExtension` `SendDocument-ConsultationReport`; v2 wants
    `None`."""
    handling_key(doc, "LocalExtension")["valueString"] = "SendDocument-ConsultationReport"


# ---- focus and payload -----------------------------------------------------------------------


@mutation("focus-not-payload-bundle", "document-bundle-profile", releases=("1.2.1",))
def _payload_profile_document(doc: dict, release: str) -> None:
    """The Task-model payload Bundle declares ITK-Document-Bundle-1 instead of
    ITK-Payload-Bundle-1."""
    payload(doc)["meta"]["profile"] = [SD + "ITK-Document-Bundle-1"]


@mutation("focus-not-payload-bundle", "payload-bundle-profile", releases=COMPOSITION_MODEL)
def _payload_profile_task(doc: dict, release: str) -> None:
    """The document Bundle declares the Task-model ITK-Payload-Bundle-1 instead of
    ITK-Document-Bundle-1."""
    payload(doc)["meta"]["profile"] = [SD + "ITK-Payload-Bundle-1"]


@mutation("payload-bundle-type-not-document", "type-collection")
def _payload_collection(doc: dict, release: str) -> None:
    """The payload Bundle's `type` is `collection` (the Task-model value)."""
    payload(doc)["type"] = "collection"


# ---- ITK3 responses (from derive_response) --------------------------------------------------


@mutation("response-bus-ack-requested", "bus-ack-true")
def _response_bus_ack(doc: dict, release: str) -> None:
    """The response's `BusAckRequested` is `true`."""
    handling_key(doc, "BusAckRequested")["valueBoolean"] = True


@mutation("response-inf-ack-requested", "inf-ack-true")
def _response_inf_ack(doc: dict, release: str) -> None:
    """The response's `InfAckRequested` is `true` (as in ITK3's business-response examples)."""
    handling_key(doc, "InfAckRequested")["valueBoolean"] = True


@mutation("response-sender-wrong", "header-practitioner")
def _response_sender_practitioner(doc: dict, release: str) -> None:
    """The response's sender is a CareConnect-ITK-Header-Practitioner-1 entry (as in ITK3's
    examples), not the responder's header Organization."""
    pid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"gpcm-validate/samples/{release}/response/practitioner"))
    doc["entry"].insert(
        2,
        {
            "fullUrl": f"urn:uuid:{pid}",
            "resource": {
                "resourceType": "Practitioner",
                "id": pid,
                "meta": {"profile": [SD + "CareConnect-ITK-Header-Practitioner-1"]},
                "identifier": [{"system": "https://fhir.nhs.uk/Id/sds-user-id", "value": "555345678901"}],
                "name": [{"family": "Whitlow", "given": ["Ada"], "prefix": ["Dr"]}],
            },
        },
    )
    header(doc)["sender"]["reference"] = f"urn:uuid:{pid}"


@mutation("response-header-profile-missing", "no-meta")
def _response_no_meta(doc: dict, release: str) -> None:
    """The response's MessageHeader has no `meta`."""
    del header(doc)["meta"]


# --------------------------------------------------------------------------------------------
# Planning, writing, checking
# --------------------------------------------------------------------------------------------


def bases() -> dict[str, dict]:
    cs = load_json(SAMPLES / (BASE_STEM["1.6.0"] + ".json"))
    return {
        "1.2.1": load_json(SAMPLES / (BASE_STEM["1.2.1"] + ".json")),
        "1.3.0": derive_1_3_0(cs),
        "1.6.0": cs,
        "2.0.0": derive_2_0_0(cs),
    }


@dataclass
class Planned:
    path: Path
    text: str
    release: str
    rule: str | None  # None for a valid sample


def plan() -> tuple[list[Planned], list[str]]:
    """Every file the generator owns, with its content, and the problems found planning it."""
    problems: list[str] = []
    files: list[Planned] = []
    base = bases()
    for release in ("1.3.0", "2.0.0"):
        stem = SAMPLES / BASE_STEM[release]
        files.append(Planned(stem.with_suffix(".json"), to_json(base[release]), release, None))
        files.append(Planned(stem.with_suffix(".xml"), to_xml(base[release]), release, None))
    for stem_name, (release, _, doc) in use_case_bases(base["1.6.0"]).items():
        stem = SAMPLES / stem_name
        files.append(Planned(stem.with_suffix(".json"), to_json(doc), release, None))
        files.append(Planned(stem.with_suffix(".xml"), to_xml(doc), release, None))

    order = release_order()
    rules = {r["name"]: r for r in pack_rules()}
    responses = {r: derive_response(base[r], r) for r in RELEASES}
    for m in CATALOGUE:
        if m.rule not in rules:
            problems.append(f"mutation {m.rule}/{m.case}: no such rule in {PACK.name}")
    for name, rule in rules.items():
        if not {"message", "response"} & set(kinds(rule)):
            problems.append(f"{name}: applies to {kinds(rule)}, which has no base here")
            continue
        applies = applicable_releases(rule, order)
        mutations = [m for m in CATALOGUE if m.rule == name]
        for m in mutations:
            for r in m.releases or ():
                if r not in applies:
                    problems.append(f"{name}/{r}/{m.case}: the rule does not apply to {r}")
        for release in applies:
            here = [m for m in mutations if m.releases is None or release in m.releases]
            if not here and (name, release) not in SKIPPED:
                problems.append(
                    f"{name}: no mutation for {release} (add a @mutation, or a SKIPPED reason)"
                )
            if here and (name, release) in SKIPPED:
                problems.append(f"{name}: {release} is in SKIPPED but has mutations")
            seen: set[str] = set()
            for m in here:
                if m.case in seen:
                    problems.append(f"{name}/{release}: case {m.case} twice")
                seen.add(m.case)
                start = base[release] if "message" in kinds(rule) else responses[release]
                doc = copy.deepcopy(start)
                m.edit(doc, release)
                text = to_json(doc)
                if text == to_json(start):
                    problems.append(f"{name}/{release}/{m.case}: the mutation changes nothing")
                stem = SAMPLES / "invalid" / name / release / m.case
                files.append(Planned(stem.with_suffix(".json"), text, release, name))
                files.append(Planned(stem.with_suffix(".xml"), to_xml(doc), release, name))
    return files, problems


def owned_dirs() -> list[Path]:
    dirs = [SAMPLES / "valid" / "1.3.0", SAMPLES / "valid" / "2.0.0"]
    for rule in pack_rules():
        dirs += [SAMPLES / "invalid" / rule["name"] / r for r in RELEASES]
    return dirs


def stale_in(files: list, dirs: list[Path], recursive: bool = False) -> list[Path]:
    """Sample files (`.json`, `.xml`) in `dirs` (and below them, when `recursive`) that no
    planned file is: what a generator removes from the directories it owns."""
    wanted = {f.path for f in files}
    stale = []
    for d in dirs:
        if d.is_dir():
            found = d.rglob("*") if recursive else d.iterdir()
            stale += [
                p
                for p in sorted(found)
                if p.is_file() and p.suffix in (".json", ".xml") and p not in wanted
            ]
    return stale


def stale_files(files: list[Planned]) -> list[Path]:
    return stale_in(files, owned_dirs())


def check_hand_written() -> list[str]:
    """The serializer must reproduce the hand-written XML twins exactly."""
    problems = []
    for stem in HAND_WRITTEN:
        want = (SAMPLES / (stem + ".xml")).read_text(encoding="utf-8")
        got = to_xml(load_json(SAMPLES / (stem + ".json")))
        if got != want:
            diff = "".join(
                list(
                    difflib.unified_diff(
                        want.splitlines(keepends=True),
                        got.splitlines(keepends=True),
                        f"samples/{stem}.xml (hand-written)",
                        f"to_xml(samples/{stem}.json)",
                    )
                )[:40]
            )
            problems.append(f"to_xml does not reproduce samples/{stem}.xml:\n{diff}")
    return problems


def rel(p: Path) -> str:
    return p.relative_to(ROOT).as_posix()


def verify(binary: str, files: list[Planned]) -> list[str]:
    """Runs gpcm-validate on every owned sample: a valid one has no findings; an invalid one
    reports its directory's rule and nothing else; JSON and XML twins agree. The response
    bases, which are not written, must validate clean as responses."""
    problems = []
    base = bases()
    for release in RELEASES:
        response = derive_response(base[release], release)
        for fmt, text in (("json", to_json(response)), ("xml", to_xml(response))):
            out = subprocess.run(
                [binary, "--spec", release, "--format", "json", "-"],
                input=text,
                capture_output=True,
                text=True,
            )
            report = json.loads(out.stdout)["files"][0]
            if report["kind"] != "response" or report["findings"]:
                problems.append(
                    f"response base {release} ({fmt}): kind {report['kind']}, "
                    f"findings {[x['rule'] for x in report['findings']]}"
                )
    keys: dict[str, list] = {}
    for f in files:
        pins = ["--spec", f.release]
        if "+" in f.path.parent.name:  # `<release>+<use case>` pins the use case too
            pins += ["--use-case", f.path.parent.name.split("+")[1]]
        out = subprocess.run(
            [binary, *pins, "--format", "json", rel(f.path)],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        report = json.loads(out.stdout)["files"][0]
        problems += judge(f.path, f.rule, f.release, report, keys)
    return problems


def judge(path: Path, rule: str | None, release: str | None, report: dict, keys: dict) -> list[str]:
    """What `--verify` says of one sample's JSON report: a valid sample (`rule` None) has no
    findings; an invalid one reports its rule and nothing else; it was validated as `release`
    (when given); and its JSON and XML twins give the same findings (`keys` remembers the first
    twin's)."""
    problems = []
    findings = report["findings"]
    got = [x["rule"] for x in findings]
    if rule is None:
        if findings:
            problems.append(f"{rel(path)}: expected no findings, got {got}")
    else:
        if rule not in got:
            problems.append(f"{rel(path)}: `{rule}` not reported, got {got}")
        others = [r for r in got if r != rule]
        if others:
            problems.append(f"{rel(path)}: also reported {others}")
    if release is not None and report.get("spec") != release:
        problems.append(f"{rel(path)}: validated as {report.get('spec')}, not {release}")
    stem = rel(path).rsplit(".", 1)[0]
    key = [(x["rule"], x["location"], x.get("requirement"), x["severity"]) for x in findings]
    if stem in keys and keys[stem] != key:
        problems.append(f"{stem}: JSON and XML twins differ: {keys[stem]} vs {key}")
    keys[stem] = key
    return problems



# ---- absent header elements -------------------------------------------------------------------
# STU3 makes these 1..1 too; the validator keeps one finding per absent element, the pack
# rule's (it names the requirement), so each sample reports only its rule.


@mutation("message-header-timestamp-missing", "no-timestamp")
def _no_timestamp(doc: dict, release: str) -> None:
    """The MessageHeader has no `timestamp`."""
    del header(doc)["timestamp"]


@mutation("message-header-source-endpoint-missing", "no-source")
def _no_source(doc: dict, release: str) -> None:
    """The MessageHeader has no `source` (and so no `source.endpoint`)."""
    del header(doc)["source"]


@mutation("response-timestamp-missing", "no-timestamp")
def _response_no_timestamp(doc: dict, release: str) -> None:
    """The response's MessageHeader has no `timestamp`."""
    del header(doc)["timestamp"]


@mutation("response-event-wrong", "request-event")
def _response_request_event(doc: dict, release: str) -> None:
    """A response (it has `MessageHeader.response`) carries the request event `ITK007C`."""
    header(doc)["event"]["code"] = "ITK007C"
    header(doc)["event"]["display"] = "ITK GP Connect Send Document"



# ---- the response's OperationOutcome ----------------------------------------------------------


def response_outcome(doc: dict) -> dict:
    """The response's ITK-Response-OperationOutcome-1."""
    return outer_entry(doc, "OperationOutcome")["resource"]


@mutation("response-details-wrong", "details-to-organization")
def _response_details_organization(doc: dict, release: str) -> None:
    """`response.details` points at the responder's header Organization, not the
    OperationOutcome."""
    header(doc)["response"]["details"]["reference"] = outer_entry(doc, "Organization")["fullUrl"]


@mutation("response-code-system-wrong", "retired-acknowledgement-system")
def _response_code_system(doc: dict, release: str) -> None:
    """The response code's system is the retired ITK-Acknowledgement-1 code system."""
    coding = response_outcome(doc)["issue"][0]["details"]["coding"][0]
    coding["system"] = "https://fhir.nhs.uk/STU3/CodeSystem/ITK-Acknowledgement-1"


@mutation("response-code-unknown", "retired-code")
def _response_code_retired(doc: dict, release: str) -> None:
    """The response code is `51001`, a retired infrastructure acknowledgement code."""
    response_outcome(doc)["issue"][0]["details"]["coding"][0]["code"] = "51001"



@mutation("response-issue-coding-count", "two-codings")
def _response_two_codings(doc: dict, release: str) -> None:
    """The issue's `details` carries the Success coding twice."""
    codings = response_outcome(doc)["issue"][0]["details"]["coding"]
    codings.append(copy.deepcopy(codings[0]))


@mutation("response-code-outside-gpcm-range", "business-code-of-another-service")
def _response_code_out_of_range(doc: dict, release: str) -> None:
    """The response code is `30004` (Patient known here and recently deceased): positive and
    defined by ITK3 (ok / information / informational, like 20013), but outside the business
    range 30001-30003 GP Connect Messaging names."""
    coding = response_outcome(doc)["issue"][0]["details"]["coding"][0]
    coding["code"] = "30004"
    coding["display"] = "Patient known here and recently deceased"


@mutation("response-diagnostics-missing", "payload-failure-without-diagnostics")
def _response_no_diagnostics(doc: dict, release: str) -> None:
    """A negative response (20009 Payload validation failure, mapped consistently) with no
    `diagnostics` saying what failed."""
    header(doc)["response"]["code"] = "fatal-error"
    issue = response_outcome(doc)["issue"][0]
    issue["severity"] = "fatal"
    issue["code"] = "invalid"
    issue["details"]["coding"][0]["code"] = "20009"
    issue["details"]["coding"][0]["display"] = "Payload validation failure"
    issue.pop("diagnostics", None)


@mutation("response-code-inconsistent", "success-sent-as-fatal-error")
def _response_inconsistent(doc: dict, release: str) -> None:
    """`response.code` is `fatal-error` although the code is 20013 Success (`ok`)."""
    header(doc)["response"]["code"] = "fatal-error"


def sync(files: list, stale: list[Path], dirs: list[Path], check: bool, script: str) -> bool:
    """Writes the planned files that differ and removes the stale ones (or, with `check`, only
    reports them); shared by every sample generator. False when `check` finds a difference."""
    changed = [f for f in files if not f.path.exists() or f.path.read_text(encoding="utf-8") != f.text]
    if check:
        for f in changed:
            print(f"differs: {rel(f.path)}", file=sys.stderr)
        for p in stale:
            print(f"stale: {rel(p)}", file=sys.stderr)
        if changed or stale:
            print(f"run `python3 tools/{script}` to regenerate", file=sys.stderr)
            return False
    else:
        for f in changed:
            f.path.parent.mkdir(parents=True, exist_ok=True)
            f.path.write_text(f.text, encoding="utf-8", newline="\n")
            print(f"wrote {rel(f.path)}")
        for p in stale:
            p.unlink()
            print(f"removed {rel(p)}")
        for d in dirs:  # empty directories in and under an owned one, and its parent
            if not d.is_dir():
                continue
            for x in sorted((x for x in d.rglob("*") if x.is_dir()), reverse=True):
                if not any(x.iterdir()):
                    x.rmdir()
            for x in (d, d.parent):
                if x.is_dir() and not any(x.iterdir()):
                    x.rmdir()
    verb = "differ" if check else "written"
    print(f"{len(files)} owned files: {len(changed)} {verb}, {len(stale)} stale", file=sys.stderr)
    return True


def run(doc: str, script: str, plan, stale_files, dirs, verify, add_args=None, before=None) -> int:
    """The command line every sample generator shares. `plan()` gives the owned files and the
    problems found planning them; `stale_files(files)` the owned files no longer planned;
    `dirs(files, stale)` the directories whose empty subdirectories are removed;
    `verify(binary, files)` the problems `--verify` finds. `add_args(parser)` adds a
    generator's own options and `before(args)` acts on them before planning, returning
    problems of its own."""
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="write nothing; exit 1 on any difference")
    ap.add_argument("--verify", metavar="BINARY", help="run gpcm-validate on every owned sample")
    if add_args:
        add_args(ap)
    args = ap.parse_args()

    problems = before(args) if before else []
    files, planning = plan()
    problems += planning
    if problems:
        for p in problems:
            print(f"error: {p}", file=sys.stderr)
        return 1
    stale = stale_files(files)
    if not sync(files, stale, dirs(files, stale), args.check, script):
        return 1

    if args.verify:
        bad = verify(args.verify, files)
        for p in bad:
            print(f"verify: {p}", file=sys.stderr)
        if bad:
            return 1
        print(f"verified {len(files)} files with {args.verify}", file=sys.stderr)
    return 0


def stale_dirs(files: list, stale: list[Path]) -> list[Path]:
    """`dirs` for `run`: the directories that held stale files."""
    return sorted({p.parent for p in stale})


def main() -> int:
    return run(
        __doc__,
        "make_samples.py",
        plan,
        stale_files,
        lambda files, stale: owned_dirs(),
        verify,
        before=lambda args: check_hand_written(),
    )


if __name__ == "__main__":
    sys.exit(main())
