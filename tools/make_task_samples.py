#!/usr/bin/env python3
"""Generates the Task-model payload samples of gpcm-validate (Python 3.11, stdlib only).

Run from the crate root:

    python3 tools/make_task_samples.py                  write every owned file, print what changed
    python3 tools/make_task_samples.py --check          exit 1 if an owned file is missing, differs
                                                        from what would be written, or is stale
    python3 tools/make_task_samples.py --verify BINARY  also run BINARY (gpcm-validate) on every
                                                        owned sample (and on the bases) and check
                                                        its findings

The rules are those of `profiles/packs/payload/task.toml` (GP Connect Messaging 1.0.0-1.2.1,
Send Federated Consultation Report). The JSON helpers, the JSON -> FHIR XML serializer and
`put` come from `tools/make_samples.py`, which stays the owner of the envelope samples.

What it does, in order:

1. **Valid bases.** 1.2.1 is the hand-written `samples/valid/1.2.1/federated-consultation-report`
   (read, never written; `make_samples.py` checks its XML twin). 1.2.0 uses the same message: no
   payload rule differs between 1.2.0 and 1.2.1 except the requirement IDs of the `meta.profile`
   checks, so no separate 1.2.0 base is written. 1.1.0 and 1.0.0 differ (`Task.description` has
   no `, Version n` part before 1.2.0; 1.0.0 used a plain Task and DocumentReference), so they
   are derived by `derive_1_1_0` and `derive_1_0_0` and written to
   `samples/valid/<release>/federated-consultation-report.{json,xml}`.
2. **Mutations.** For every rule of the pack and every release in `RELEASES` where it applies,
   each mutation registered for the rule (`@mutation(...)`) is applied to a copy of the
   release's base and written to `samples/invalid/<rule>/<release>/<case>.{json,xml}`. A
   rule/release pair with no mutation is an error, and so is a mutation for a release where its
   rule does not apply. Each mutation breaks its rule and only that rule (`--verify` and
   `tests/samples.rs` check it).

Owned files: the two derived valid bases and every `.json`/`.xml` directly under
`samples/invalid/<task.toml rule>/<release>/`; a file there that the catalogue does not produce
is stale (`--check` fails on it, a normal run deletes it).

To add a mutation: write `def name(doc, release)` editing the parsed base in place, with a
docstring saying what it changes, decorate it with `@mutation("<rule>", "<kebab-case-defect>",
releases=...)`, run the script, then `INSTA_UPDATE=always cargo test --test samples`.
"""

from __future__ import annotations

import argparse
import base64
import copy
import json
import subprocess
import sys
import tomllib
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_samples import (  # noqa: E402  (the sibling module, found through sys.path)
    SAMPLES,
    ROOT,
    Num,
    load_json,
    put,
    judge,
    rel,
    release_order,
    remap_ids,
    run,
    stale_in,
    to_json,
    to_xml,
    variant_applies,
)

PACK = ROOT / "profiles" / "packs" / "payload" / "task.toml"
RELEASES = ["1.0.0", "1.1.0", "1.2.0", "1.2.1"]
HAND_WRITTEN_1_2_1 = "valid/1.2.1/federated-consultation-report"
DERIVED = {r: f"valid/{r}/federated-consultation-report" for r in ("1.0.0", "1.1.0")}

SD = "https://fhir.nhs.uk/STU3/StructureDefinition/"
CC = "https://fhir.hl7.org.uk/STU3/StructureDefinition/"
NHS_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"


# --------------------------------------------------------------------------------------------
# Navigating the Task-model payload
# --------------------------------------------------------------------------------------------


def payload(doc: dict) -> dict:
    return next(e["resource"] for e in doc["entry"] if e["resource"]["resourceType"] == "Bundle")


def payload_entry(doc: dict, resource_type: str) -> dict:
    return next(e for e in payload(doc)["entry"] if e["resource"]["resourceType"] == resource_type)


def payload_resource(doc: dict, resource_type: str) -> dict:
    return payload_entry(doc, resource_type)["resource"]


def task(doc: dict) -> dict:
    return payload_resource(doc, "Task")


def document(doc: dict) -> dict:
    return payload_resource(doc, "DocumentReference")


def patient(doc: dict) -> dict:
    return payload_resource(doc, "Patient")


def practitioner(doc: dict) -> dict:
    return payload_resource(doc, "Practitioner")


def entry_by_url(doc: dict, url: str) -> dict:
    return next(e for e in payload(doc)["entry"] if e["fullUrl"] == url)


def sender_entry(doc: dict) -> dict:
    """The federated practice: the Organization `Task.requester.onBehalfOf` references."""
    return entry_by_url(doc, task(doc)["requester"]["onBehalfOf"]["reference"])


def owner_entry(doc: dict) -> dict:
    """The registered practice: the Organization `Task.owner` references."""
    return entry_by_url(doc, task(doc)["owner"]["reference"])


def new_entry(doc: dict, like: dict, release: str, what: str) -> dict:
    """A deep copy of a payload entry with its own UUID (fullUrl and id), inserted after it."""
    fresh = copy.deepcopy(like)
    new_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"gpcm-validate/task-samples/{release}/{what}"))
    fresh["fullUrl"] = f"urn:uuid:{new_id}"
    fresh["resource"]["id"] = new_id
    entries = payload(doc)["entry"]
    entries.insert(entries.index(like) + 1, fresh)
    return fresh


def attachment(doc: dict) -> dict:
    return document(doc)["content"][0]["attachment"]


# --------------------------------------------------------------------------------------------
# Valid bases
# --------------------------------------------------------------------------------------------


def derive_1_1_0(base_1_2_1: dict) -> dict:
    """1.1.0 Send Federated Consultation Report from the 1.2.1 sample. Edits:

    - new UUIDs throughout (`remap_ids`);
    - `Task.description` without the `, Version 1` part, which 1.2.0 added (GPCM-SD-18 of
      1.1.0: `Federated consultation report for {Patient Name} , NHS Number {NHS Number}, seen
      at {Practice Name}, ODS Code {ODS Code}`).

    Everything else is the same: the 1.2.0 DocumentReference elements (status, indexed,
    subject, author, type) were not required in 1.1.0 but are allowed, and STU3 requires
    status, indexed and type anyway.
    """
    doc = remap_ids(copy.deepcopy(base_1_2_1), "task/1.1.0")
    t = task(doc)
    t["description"] = t["description"].removesuffix(", Version 1")
    return doc


def derive_1_0_0(base_1_2_1: dict) -> dict:
    """1.0.0 from the 1.2.1 sample: as 1.1.0 (new UUIDs, no Version part), and the Task and
    the DocumentReference declare no profile: 1.0.0 used a plain FHIR Task (GPCM-SD-14) and any
    DocumentReference (GPCM-SD-9); GPConnect-Task-1 and GPConnect-DocumentReference-1 came
    with 1.1.0."""
    doc = remap_ids(copy.deepcopy(base_1_2_1), "task/1.0.0")
    t = task(doc)
    t["description"] = t["description"].removesuffix(", Version 1")
    del t["meta"]
    del document(doc)["meta"]
    return doc


def bases() -> dict[str, dict]:
    b121 = load_json(SAMPLES / (HAND_WRITTEN_1_2_1 + ".json"))
    return {
        "1.0.0": derive_1_0_0(b121),
        "1.1.0": derive_1_1_0(b121),
        "1.2.0": b121,
        "1.2.1": b121,
    }


# --------------------------------------------------------------------------------------------
# The rule pack: which releases each rule applies to
# --------------------------------------------------------------------------------------------


def pack_rules() -> list[dict]:
    return tomllib.loads(PACK.read_text(encoding="utf-8"))["rule"]


def applicable_releases(rule: dict, order: list[str]) -> list[str]:
    """Releases of `RELEASES` where the rule applies: through a variant, or through the rule's
    own `versions` (default: every release) when it has no variants."""
    variants = rule.get("variant") or [{"versions": rule.get("versions", [f"{order[0]}.."])}]
    out = []
    for r in RELEASES:
        for v in variants:
            specs = v["versions"]
            if any(s.endswith("..") and order.index(r) >= order.index(s[:-2]) for s in specs):
                out.append(r)
                break
            if variant_applies(v, r, "task", order):
                out.append(r)
                break
    return out


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
V1_0 = ("1.0.0", "1.1.0")
V1_2 = ("1.2.0", "1.2.1")


def mutation(rule: str, case: str, releases: tuple[str, ...] | None = None):
    def register(fn: Callable[[dict, str], None]):
        CATALOGUE.append(Mutation(rule, case, releases, fn))
        return fn

    return register


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# ---- payload Bundle --------------------------------------------------------------------------


@mutation("task-payload-bundle-identifier-missing", "no-identifier")
def _pb_no_identifier(doc: dict, release: str) -> None:
    """The payload Bundle has no `identifier` (as in the published 1.2.1 example)."""
    del payload(doc)["identifier"]


@mutation("task-payload-bundle-element-forbidden", "link-self")
def _pb_link(doc: dict, release: str) -> None:
    """The payload Bundle carries a `link` (relation `self`)."""
    pb = payload(doc)
    put(pb, "link", [{"relation": "self", "url": "https://example.org/fhir/Bundle/" + pb["id"]}],
        after="type")


# ---- Task ------------------------------------------------------------------------------------


@mutation("task-count", "no-task")
def _no_task(doc: dict, release: str) -> None:
    """The payload Bundle has no Task entry: only the DocumentReference and the resources it
    references."""
    pb = payload(doc)
    pb["entry"] = [e for e in pb["entry"] if e["resource"]["resourceType"] != "Task"]


@mutation("task-count", "two-tasks")
def _two_tasks(doc: dict, release: str) -> None:
    """The payload Bundle holds the Task twice (a second entry, its own UUID)."""
    new_entry(doc, payload_entry(doc, "Task"), release, "second-task")


@mutation("task-profile-missing", "care-connect-task-profile")
def _task_cc_profile(doc: dict, release: str) -> None:
    """The Task declares CareConnect-Task-1 (the Composition-model profile) instead of
    GPConnect-Task-1."""
    task(doc)["meta"]["profile"] = [CC + "CareConnect-Task-1"]


@mutation("task-intent-wrong", "order")
def _intent_order(doc: dict, release: str) -> None:
    """`Task.intent` is `order`."""
    task(doc)["intent"] = "order"


@mutation("task-status-wrong", "completed")
def _status_completed(doc: dict, release: str) -> None:
    """`Task.status` is `completed`."""
    task(doc)["status"] = "completed"


@mutation("task-priority-wrong", "urgent")
def _priority_urgent(doc: dict, release: str) -> None:
    """`Task.priority` is `urgent`."""
    task(doc)["priority"] = "urgent"


@mutation("task-priority-wrong", "no-priority")
def _priority_missing(doc: dict, release: str) -> None:
    """The Task has no `priority` (as in the published 1.2.1 example)."""
    del task(doc)["priority"]


@mutation("task-description-format", "free-text")
def _description_free(doc: dict, release: str) -> None:
    """`Task.description` is free text, not the report summary line."""
    task(doc)["description"] = "Consultation summary for Oliver Brackley"


@mutation("task-description-format", "no-version", releases=V1_2)
def _description_no_version(doc: dict, release: str) -> None:
    """`Task.description` in the 1.0/1.1 form, without the `, Version n` that 1.2.0 added."""
    t = task(doc)
    t["description"] = t["description"].removesuffix(", Version 1")


@mutation("task-description-format", "with-version", releases=V1_0)
def _description_with_version(doc: dict, release: str) -> None:
    """`Task.description` in the 1.2.x form, with a `, Version 1` that 1.0/1.1 do not have."""
    task(doc)["description"] += ", Version 1"


@mutation("task-description-inconsistent", "other-nhs-number")
def _description_other_nhs(doc: dict, release: str) -> None:
    """`Task.description` names NHS Number 9991234561, not the Patient's 9994567896."""
    t = task(doc)
    t["description"] = t["description"].replace("9994567896", "9991234561")


@mutation("task-description-inconsistent", "registered-practice-ods")
def _description_owner_ods(doc: dict, release: str) -> None:
    """`Task.description` gives the registered practice's ODS code (B34567) where the
    federated practice's (A23456) belongs."""
    t = task(doc)
    t["description"] = t["description"].replace("ODS Code A23456", "ODS Code B34567")


@mutation("task-for-wrong", "no-for")
def _for_missing(doc: dict, release: str) -> None:
    """The Task has no `for`."""
    del task(doc)["for"]


@mutation("task-for-wrong", "for-organization", releases=V1_0)
def _for_organization(doc: dict, release: str) -> None:
    """`Task.for` references the registered practice's Organization, not the Patient. (In
    1.2.x this would also break GPCM-SD-080: the DocumentReference's subject is the Patient.)"""
    task(doc)["for"]["reference"] = task(doc)["owner"]["reference"]


@mutation("task-authored-on-missing", "no-authored-on")
def _authored_on_missing(doc: dict, release: str) -> None:
    """The Task has no `authoredOn` (as in the published 1.2.1 example)."""
    del task(doc)["authoredOn"]


@mutation("task-requester-agent-wrong", "no-agent")
def _agent_missing(doc: dict, release: str) -> None:
    """`Task.requester` has `onBehalfOf` but no `agent`."""
    del task(doc)["requester"]["agent"]


@mutation("task-requester-agent-wrong", "agent-organization", releases=V1_0)
def _agent_organization(doc: dict, release: str) -> None:
    """`Task.requester.agent` references the federated practice's Organization, not the
    Practitioner."""
    r = task(doc)["requester"]
    r["agent"]["reference"] = r["onBehalfOf"]["reference"]


@mutation("task-requester-on-behalf-of-wrong", "on-behalf-of-practitioner")
def _on_behalf_of_practitioner(doc: dict, release: str) -> None:
    """`Task.requester.onBehalfOf` references the Practitioner, not the federated practice."""
    r = task(doc)["requester"]
    r["onBehalfOf"]["reference"] = r["agent"]["reference"]


@mutation("task-owner-wrong", "owner-patient")
def _owner_patient(doc: dict, release: str) -> None:
    """`Task.owner` references the Patient, not the registered practice."""
    task(doc)["owner"]["reference"] = task(doc)["for"]["reference"]


@mutation("task-owner-wrong", "no-owner")
def _owner_missing(doc: dict, release: str) -> None:
    """The Task has no `owner`, and the registered practice's Organization is left out too."""
    t = task(doc)
    url = t["owner"]["reference"]
    del t["owner"]
    pb = payload(doc)
    pb["entry"] = [e for e in pb["entry"] if e["fullUrl"] != url]


@mutation("task-owner-same-as-sender", "owner-is-sender")
def _owner_is_sender(doc: dict, release: str) -> None:
    """`Task.owner` references the federated practice (the `onBehalfOf` Organization), and the
    registered practice's Organization is left out."""
    t = task(doc)
    url = t["owner"]["reference"]
    t["owner"]["reference"] = t["requester"]["onBehalfOf"]["reference"]
    pb = payload(doc)
    pb["entry"] = [e for e in pb["entry"] if e["fullUrl"] != url]


@mutation("task-owner-same-as-sender", "same-ods-code")
def _owner_same_ods(doc: dict, release: str) -> None:
    """The two Organizations are different entries with the same ODS code, A23456."""
    owner = owner_entry(doc)["resource"]
    owner["identifier"][0]["value"] = "A23456"


# ---- Task.input --------------------------------------------------------------------------------


@mutation("task-input-value-not-reference", "value-attachment")
def _input_value_attachment(doc: dict, release: str) -> None:
    """A second `Task.input` carries a PDF inline as `valueAttachment` (the pre-1.0 draft's
    way), beside the input that references the DocumentReference."""
    t = task(doc)
    t["input"].append(
        {
            "type": {"text": "Federated consultation report"},
            "valueAttachment": {"contentType": "application/pdf", "data": attachment(doc)["data"]},
        }
    )


@mutation("task-input-target-wrong", "second-input-patient")
def _input_patient(doc: dict, release: str) -> None:
    """A second `Task.input` references the Patient instead of a DocumentReference."""
    t = task(doc)
    t["input"].append(
        {"type": {"text": "Federated consultation report"},
         "valueReference": {"reference": t["for"]["reference"]}}
    )


@mutation("task-document-reference-contained", "contained-document")
def _document_contained(doc: dict, release: str) -> None:
    """The DocumentReference is contained in the Task (id `report`) and the input references
    `#report`; the payload Bundle has no DocumentReference entry."""
    entry = payload_entry(doc, "DocumentReference")
    contained = copy.deepcopy(entry["resource"])
    contained["id"] = "report"
    t = task(doc)
    put(t, "contained", [contained], before="status")
    t["input"][0]["valueReference"]["reference"] = "#report"
    payload(doc)["entry"].remove(entry)


@mutation("task-input-type-text-wrong", "encounter-summary")
def _type_text_summary(doc: dict, release: str) -> None:
    """`Task.input.type.text` is `Federated Encounter Summary` (the pre-1.0 draft's text)."""
    task(doc)["input"][0]["type"]["text"] = "Federated Encounter Summary"


@mutation("task-input-type-text-wrong", "title-case")
def _type_text_title_case(doc: dict, release: str) -> None:
    """`Task.input.type.text` is `Federated Consultation Report`: the DocumentReference
    description's capitalisation, not the input's."""
    task(doc)["input"][0]["type"]["text"] = "Federated Consultation Report"


RTF = (
    b"{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 Helvetica;}}\\f0\\fs20 "
    b"Federated consultation report\\par Sample text for validator testing only.\\par}"
)


@mutation("task-report-pdf-missing", "report-as-rtf")
def _report_rtf(doc: dict, release: str) -> None:
    """The report is attached as an RTF document (`application/rtf`), not a PDF."""
    a = attachment(doc)
    a["contentType"] = "application/rtf"
    a["data"] = b64(RTF)


@mutation("task-report-pdf-missing", "no-input")
def _report_no_input(doc: dict, release: str) -> None:
    """The Task has no `input`, and the payload no DocumentReference."""
    del task(doc)["input"]
    pb = payload(doc)
    pb["entry"] = [e for e in pb["entry"] if e["resource"]["resourceType"] != "DocumentReference"]


# ---- DocumentReference ---------------------------------------------------------------------


@mutation("task-document-not-input", "second-document-unreferenced")
def _document_unreferenced(doc: dict, release: str) -> None:
    """A second DocumentReference (a copy of the report with its own UUID) that no
    `Task.input` references."""
    new_entry(doc, payload_entry(doc, "DocumentReference"), release, "second-document")


@mutation("task-document-reference-profile-missing", "care-connect-profile")
def _document_cc_profile(doc: dict, release: str) -> None:
    """The DocumentReference declares CareConnect-DocumentReference-1 (the Composition-model
    profile) instead of GPConnect-DocumentReference-1."""
    document(doc)["meta"]["profile"] = [CC + "CareConnect-DocumentReference-1"]


@mutation("task-document-created-missing", "no-created")
def _document_no_created(doc: dict, release: str) -> None:
    """The DocumentReference has no `created`."""
    del document(doc)["created"]


@mutation("task-document-description-missing", "no-description")
def _document_no_description(doc: dict, release: str) -> None:
    """The DocumentReference has no `description`."""
    del document(doc)["description"]


@mutation("task-document-description-wrong", "lower-case")
def _document_description_lower(doc: dict, release: str) -> None:
    """`DocumentReference.description` is `Federated consultation report` (the input type's
    capitalisation, as in the published examples)."""
    document(doc)["description"] = "Federated consultation report"


@mutation("task-document-attachment-incomplete", "url-instead-of-data")
def _attachment_url(doc: dict, release: str) -> None:
    """The attachment points at a URL instead of carrying the PDF as `data`."""
    document(doc)["content"][0]["attachment"] = {
        "contentType": "application/pdf",
        "url": "https://documents.example.org/federated/report-1.pdf",
    }


@mutation("task-document-data-not-base64", "line-breaks")
def _data_line_breaks(doc: dict, release: str) -> None:
    """The base64 is broken into 76-character lines, MIME style (FHIR's base64Binary and the
    strict encoding GP Connect receivers decode have no whitespace)."""
    a = attachment(doc)
    data = a["data"]
    a["data"] = "\n".join(data[i : i + 76] for i in range(0, len(data), 76))


@mutation("task-document-content-mismatch", "text-not-pdf")
def _content_text(doc: dict, release: str) -> None:
    """The attachment says `application/pdf` but its data decodes to a line of text."""
    attachment(doc)["data"] = b64(b"This is not a PDF document.")


@mutation("task-document-content-mismatch", "truncated-pdf")
def _content_truncated(doc: dict, release: str) -> None:
    """The PDF is cut short: its first 600 bytes, without the `%%EOF` trailer."""
    a = attachment(doc)
    a["data"] = b64(base64.b64decode(a["data"])[:600])


@mutation("task-document-status-wrong", "superseded")
def _document_superseded(doc: dict, release: str) -> None:
    """`DocumentReference.status` is `superseded`."""
    document(doc)["status"] = "superseded"


@mutation("task-document-indexed-missing", "no-indexed")
def _document_no_indexed(doc: dict, release: str) -> None:
    """The DocumentReference has no `indexed`."""
    del document(doc)["indexed"]


@mutation("task-document-subject-wrong", "no-subject")
def _document_no_subject(doc: dict, release: str) -> None:
    """The DocumentReference has no `subject`."""
    del document(doc)["subject"]


@mutation("task-document-subject-wrong", "subject-other-patient")
def _document_other_patient(doc: dict, release: str) -> None:
    """`DocumentReference.subject` references a second Patient entry (another person, with
    their own NHS number), not the Patient of `Task.for`."""
    other = new_entry(doc, payload_entry(doc, "Patient"), release, "other-patient")
    p = other["resource"]
    p["identifier"][0]["value"] = "9990001111"
    p["name"][0]["family"] = "Fairweather"
    p["name"][0]["given"] = ["Ada"]
    p["name"][0]["prefix"] = ["Mrs"]
    p["gender"] = "female"
    p["birthDate"] = "1958-03-14"
    document(doc)["subject"]["reference"] = other["fullUrl"]


@mutation("task-document-author-wrong", "no-author")
def _document_no_author(doc: dict, release: str) -> None:
    """The DocumentReference has no `author`."""
    del document(doc)["author"]


@mutation("task-document-author-wrong", "author-organization")
def _document_author_org(doc: dict, release: str) -> None:
    """`DocumentReference.author` references the federated practice's Organization, not the
    Practitioner of `Task.requester.agent`."""
    document(doc)["author"][0]["reference"] = task(doc)["requester"]["onBehalfOf"]["reference"]


@mutation("task-document-type-wrong", "snomed-system")
def _document_type_snomed(doc: dict, release: str) -> None:
    """`DocumentReference.type.coding.system` is SNOMED CT's `http://snomed.info/sct`, not the
    `https://fhir.nhs.uk/STU3/ValueSet/DocumentType-1` the spec fixes."""
    document(doc)["type"]["coding"][0]["system"] = "http://snomed.info/sct"


# ---- Organizations ---------------------------------------------------------------------------


@mutation("cc-organization-profile-missing", "malformed-profile-url")
def _org_profile(doc: dict, release: str) -> None:
    """The registered practice declares `https://fhir.hl7.org.uk/StructureDefinition/
    CareConnect-Organization-1` (no `STU3`, as in early examples)."""
    owner_entry(doc)["resource"]["meta"]["profile"] = [
        "https://fhir.hl7.org.uk/StructureDefinition/CareConnect-Organization-1"
    ]


@mutation("cc-organization-ods-code-missing", "organisation-spelling")
def _org_ods_spelling(doc: dict, release: str) -> None:
    """The registered practice's ODS code uses the system `…/Id/ods-organisation-code` (UK
    spelling), which is not the ODS code system."""
    owner_entry(doc)["resource"]["identifier"][0]["system"] = "https://fhir.nhs.uk/Id/ods-organisation-code"


@mutation("cc-organization-name-missing", "no-name")
def _org_no_name(doc: dict, release: str) -> None:
    """The registered practice's Organization has no `name`."""
    del owner_entry(doc)["resource"]["name"]


@mutation("cc-organization-phone-missing", "email-only")
def _org_email(doc: dict, release: str) -> None:
    """The registered practice gives an email address in `telecom`, no phone number."""
    owner_entry(doc)["resource"]["telecom"] = [
        {"system": "email", "value": "reception.b34567@example.org", "use": "work"}
    ]


# ---- Practitioner ----------------------------------------------------------------------------


@mutation("cc-practitioner-profile-missing", "malformed-profile-url")
def _prac_profile(doc: dict, release: str) -> None:
    """The Practitioner declares `https://fhir.hl7.org.uk/StructureDefinition/STU3/
    CareConnect-Practitioner-1` (path segments swapped, as in early examples)."""
    practitioner(doc)["meta"]["profile"] = [
        "https://fhir.hl7.org.uk/StructureDefinition/STU3/CareConnect-Practitioner-1"
    ]


@mutation("cc-practitioner-sds-id-missing", "role-profile-id-only")
def _prac_role_profile(doc: dict, release: str) -> None:
    """The Practitioner's only identifier is an SDS role profile id, not the SDS user id."""
    practitioner(doc)["identifier"] = [
        {"system": "https://fhir.nhs.uk/Id/sds-role-profile-id", "value": "555234567891"}
    ]


@mutation("cc-practitioner-name-count", "two-official-names")
def _prac_two_names(doc: dict, release: str) -> None:
    """The Practitioner has two official names."""
    p = practitioner(doc)
    second = copy.deepcopy(p["name"][0])
    second["family"] = "Raman-Shah"
    p["name"].append(second)


@mutation("cc-practitioner-name-not-official", "no-use")
def _prac_name_no_use(doc: dict, release: str) -> None:
    """The Practitioner's name has no `use` (as in the published examples)."""
    del practitioner(doc)["name"][0]["use"]


@mutation("cc-practitioner-name-not-official", "usual")
def _prac_name_usual(doc: dict, release: str) -> None:
    """The Practitioner's name has `use` = `usual`."""
    practitioner(doc)["name"][0]["use"] = "usual"


@mutation("cc-practitioner-phone-missing", "no-telecom")
def _prac_no_telecom(doc: dict, release: str) -> None:
    """The Practitioner has no `telecom`."""
    del practitioner(doc)["telecom"]


# ---- Patient ---------------------------------------------------------------------------------


@mutation("cc-patient-profile-missing", "malformed-profile-url")
def _patient_profile(doc: dict, release: str) -> None:
    """The Patient declares `https://fhir.hl7.org.uk/StructureDefinition/CareConnect-Patient-1`
    (no `STU3`, as in early examples)."""
    patient(doc)["meta"]["profile"] = ["https://fhir.hl7.org.uk/StructureDefinition/CareConnect-Patient-1"]


@mutation("cc-patient-nhs-number-missing", "local-identifier-only")
def _patient_local_id(doc: dict, release: str) -> None:
    """The Patient's only identifier is a local patient identifier."""
    patient(doc)["identifier"] = [
        {"system": "https://fhir.nhs.uk/Id/local-patient-identifier", "value": "NFP-000123"}
    ]


def _set_nhs_number(doc: dict, value: str) -> None:
    """Sets the Patient's NHS number, and the one `Task.description` repeats."""
    ident = next(i for i in patient(doc)["identifier"] if i["system"] == NHS_SYSTEM)
    old = ident["value"]
    ident["value"] = value
    t = task(doc)
    t["description"] = t["description"].replace(old, value)


@mutation("cc-patient-nhs-number-invalid", "check-digit-wrong")
def _nhs_check_digit(doc: dict, release: str) -> None:
    """The NHS number is 9994567890: its check digit should be 6 (also in `Task.description`)."""
    _set_nhs_number(doc, "9994567890")


@mutation("cc-patient-nhs-number-invalid", "spaced")
def _nhs_spaced(doc: dict, release: str) -> None:
    """The NHS number is written with spaces, `999 456 7896` (also in `Task.description`)."""
    _set_nhs_number(doc, "999 456 7896")


@mutation("cc-patient-nhs-number-verification-missing", "no-verification-extension")
def _nhs_no_verification(doc: dict, release: str) -> None:
    """The NHS number identifier has no verification status extension."""
    ident = next(i for i in patient(doc)["identifier"] if i["system"] == NHS_SYSTEM)
    del ident["extension"]


@mutation("cc-patient-name-count", "two-official-names")
def _patient_two_names(doc: dict, release: str) -> None:
    """The Patient has two official names."""
    p = patient(doc)
    second = copy.deepcopy(p["name"][0])
    second["given"] = ["Oliver", "James"]
    p["name"].append(second)


@mutation("cc-patient-name-not-official", "usual")
def _patient_name_usual(doc: dict, release: str) -> None:
    """The Patient's name has `use` = `usual`."""
    patient(doc)["name"][0]["use"] = "usual"


@mutation("cc-patient-name-family-missing", "no-family")
def _patient_no_family(doc: dict, release: str) -> None:
    """The Patient's official name has no `family`."""
    del patient(doc)["name"][0]["family"]


@mutation("cc-patient-birth-date-missing", "no-birth-date")
def _patient_no_birth_date(doc: dict, release: str) -> None:
    """The Patient has no `birthDate`."""
    del patient(doc)["birthDate"]


@mutation("cc-patient-birth-date-not-full-date", "year-and-month")
def _patient_birth_month(doc: dict, release: str) -> None:
    """`Patient.birthDate` is `1972-11`: year and month only (a valid FHIR date)."""
    patient(doc)["birthDate"] = "1972-11"


# --------------------------------------------------------------------------------------------
# Planning, writing, checking
# --------------------------------------------------------------------------------------------


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
    for release, stem_name in DERIVED.items():
        stem = SAMPLES / stem_name
        files.append(Planned(stem.with_suffix(".json"), to_json(base[release]), release, None))
        files.append(Planned(stem.with_suffix(".xml"), to_xml(base[release]), release, None))

    order = release_order()
    rules = {r["name"]: r for r in pack_rules()}
    for m in CATALOGUE:
        if m.rule not in rules:
            problems.append(f"mutation {m.rule}/{m.case}: no such rule in {PACK.name}")
    for name, rule in rules.items():
        applies = applicable_releases(rule, order)
        mutations = [m for m in CATALOGUE if m.rule == name]
        for m in mutations:
            for r in m.releases or ():
                if r not in applies:
                    problems.append(f"{name}/{r}/{m.case}: the rule does not apply to {r}")
        for release in applies:
            here = [m for m in mutations if m.releases is None or release in m.releases]
            if not here:
                problems.append(f"{name}: no mutation for {release}")
            seen: set[str] = set()
            for m in here:
                if m.case in seen:
                    problems.append(f"{name}/{release}: case {m.case} twice")
                seen.add(m.case)
                doc = copy.deepcopy(base[release])
                m.edit(doc, release)
                text = to_json(doc)
                if text == to_json(base[release]):
                    problems.append(f"{name}/{release}/{m.case}: the mutation changes nothing")
                stem = SAMPLES / "invalid" / name / release / m.case
                files.append(Planned(stem.with_suffix(".json"), text, release, name))
                files.append(Planned(stem.with_suffix(".xml"), to_xml(doc), release, name))
    return files, problems


def owned_dirs() -> list[Path]:
    dirs = [SAMPLES / Path(stem).parent for stem in DERIVED.values()]
    for rule in pack_rules():
        dirs += [SAMPLES / "invalid" / rule["name"] / r for r in RELEASES]
    return dirs


def stale_files(files: list[Planned]) -> list[Path]:
    return stale_in(files, owned_dirs())


PROFILES: list[str] = []  # `--profiles DIR` for the validator, when given


def run_validator(binary: str, release: str, path: str | None, text: str | None = None) -> dict:
    args = [binary, *PROFILES, "--spec", release, "--format", "json", path or "-"]
    out = subprocess.run(args, cwd=ROOT, input=text, capture_output=True, text=True)
    return json.loads(out.stdout)["files"][0]


def verify(binary: str, files: list[Planned]) -> list[str]:
    """Runs gpcm-validate on every owned sample: a valid one has no findings; an invalid one
    reports its directory's rule and nothing else; JSON and XML twins agree. The bases that are
    not written here (1.2.1, and 1.2.0 which uses it) must validate clean too."""
    problems = []
    base = bases()
    for release in ("1.2.0", "1.2.1"):
        for fmt, text in (("json", to_json(base[release])), ("xml", to_xml(base[release]))):
            report = run_validator(binary, release, None, text)
            if report["findings"]:
                problems.append(
                    f"base {release} ({fmt}): {[x['rule'] for x in report['findings']]}"
                )
    keys: dict[str, list] = {}
    for f in files:
        report = run_validator(binary, f.release, rel(f.path))
        problems += judge(f.path, f.rule, f.release, report, keys)
    return problems


def main() -> int:
    def add_args(ap: argparse.ArgumentParser) -> None:
        ap.add_argument("--profiles", metavar="DIR", help="with --verify: load the rule packs from "
                        "DIR (`profiles`, to try pack edits without rebuilding)")

    def before(args: argparse.Namespace) -> list[str]:
        if args.profiles:
            PROFILES.extend(["--profiles", args.profiles])
        return []

    return run(__doc__, "make_task_samples.py", plan, stale_files,
               lambda files, stale: owned_dirs(), verify, add_args, before)


if __name__ == "__main__":
    sys.exit(main())
