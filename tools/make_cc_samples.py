#!/usr/bin/env python3
"""Generates the samples of the CareConnect payload rules (profiles/packs/payload/careconnect.toml):
Patient, sending Organization, Practitioner, RelatedPerson, Device, Encounter and their
`meta.profile`, Composition model (1.3.0 – 1.6.0, v2). Python 3.11, stdlib only.

Run from the crate root:

    python3 tools/make_cc_samples.py                  write every owned file, print what changed
    python3 tools/make_cc_samples.py --check          exit 1 if an owned file is missing, differs
                                                      from what would be written, or is stale
    python3 tools/make_cc_samples.py --verify BINARY  also run BINARY (gpcm-validate) on every
                                                      owned sample and check its findings

It builds on tools/make_samples.py (imported as `ms`): the valid bases of each release and use
case, the JSON writer and the JSON → XML serializer (so twins cannot drift), `put` for STU3
element order and `remap_ids` for fresh UUIDs.

1. **Extra valid samples.** The bases hold a Practitioner author only. `with_carer_and_device`
   adds a RelatedPerson (the patient's father, who filled in the consultation) and a Device
   (the online consultation software) as further Composition authors, the father also as an
   Encounter participant. Written as `valid/1.6.0/online-consultation-carer-device` and
   `valid/1.5.1/generic-carer-device`.
2. **Mutations.** Each `@mutation(rule, case, bases)` edits a copy of each named base and is
   written to `samples/invalid/<rule>/<release>/<case>.{json,xml}`. Every rule of the pack needs
   at least one; a mutation must break its rule and nothing else (`--verify`, and
   tests/samples.rs, check this).

Owned files: the two extra valid samples and every `.json`/`.xml` under
`samples/invalid/<rule of the pack>/`. A file there that the catalogue does not produce is stale:
`--check` fails on it and a normal run deletes it.
"""

from __future__ import annotations

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
import make_samples as ms  # noqa: E402

ROOT = ms.ROOT
SAMPLES = ms.SAMPLES
PACK = ROOT / "profiles" / "packs" / "payload" / "careconnect.toml"

CC = "https://fhir.hl7.org.uk/STU3/StructureDefinition/"
NHS_NUMBER = "https://fhir.nhs.uk/Id/nhs-number"
SNOMED = "http://snomed.info/sct"


# --------------------------------------------------------------------------------------------
# Navigating the payload
# --------------------------------------------------------------------------------------------


def entries(doc: dict) -> list[dict]:
    return ms.payload(doc)["entry"]


def composition(doc: dict) -> dict:
    return entries(doc)[0]["resource"]


def entry(doc: dict, resource_type: str, n: int = 0) -> dict:
    """The n-th payload entry holding a resource of that type."""
    return [e for e in entries(doc) if e["resource"]["resourceType"] == resource_type][n]


def res(doc: dict, resource_type: str, n: int = 0) -> dict:
    return entry(doc, resource_type, n)["resource"]


def new_uuid(doc: dict, what: str) -> str:
    """A UUID that is stable across runs: derived from the message's own payload id."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"gpcm-validate/samples/cc/{ms.payload(doc)['id']}/{what}"))


def add_entry(doc: dict, resource: dict, after_type: str) -> str:
    """Adds `resource` as a payload entry after the last entry of `after_type`; returns its
    fullUrl."""
    full_url = f"urn:uuid:{resource['id']}"
    at = max(i for i, e in enumerate(entries(doc)) if e["resource"]["resourceType"] == after_type)
    entries(doc).insert(at + 1, {"fullUrl": full_url, "resource": resource})
    return full_url


def drop_encounter(doc: dict) -> None:
    """Removes the Encounter and `Composition.encounter` (an optional part of the document)."""
    e = entry(doc, "Encounter")
    entries(doc).remove(e)
    del composition(doc)["encounter"]


# --------------------------------------------------------------------------------------------
# Bases
# --------------------------------------------------------------------------------------------


def with_carer_and_device(doc: dict) -> dict:
    """The message with two more authors: the patient's father (a CareConnect-RelatedPerson-1,
    who filled in the consultation for her) and the online consultation software (an
    ITK-Device-1). Both are Composition authors after the Practitioner; the father also takes
    part in the Encounter."""
    doc = copy.deepcopy(doc)
    patient_url = entry(doc, "Patient")["fullUrl"]
    father = {
        "resourceType": "RelatedPerson",
        "id": new_uuid(doc, "related-person"),
        "meta": {"profile": [CC + "CareConnect-RelatedPerson-1"]},
        "patient": {"reference": patient_url},
        "relationship": {
            "coding": [{"system": "http://hl7.org/fhir/v3/RoleCode", "code": "FTH", "display": "father"}]
        },
        "name": [{"use": "official", "family": "Fernley", "given": ["Thomas"], "prefix": ["Mr"]}],
        "telecom": [{"system": "phone", "value": "07700 900123", "use": "mobile"}],
        "gender": "male",
        "birthDate": "1958-11-02",
    }
    software = {
        "resourceType": "Device",
        "id": new_uuid(doc, "device"),
        "meta": {"profile": [ms.SD + "ITK-Device-1"]},
        "type": {
            "coding": [{"system": SNOMED, "code": "706689003", "display": "Application program software"}]
        },
        "manufacturer": "Brightwater Digital Ltd",
        "model": "Brightwater Consult",
        "version": "4.2.0",
    }
    father_url = add_entry(doc, father, "Practitioner")
    device_url = add_entry(doc, software, "RelatedPerson")
    composition(doc)["author"] += [{"reference": father_url}, {"reference": device_url}]
    res(doc, "Encounter")["participant"].append({"individual": {"reference": father_url}})
    return doc


def bases() -> dict[str, dict]:
    """Every message a mutation can start from, by key `<release>/<use case>[+authors]`."""
    env = ms.bases()
    by_stem = ms.use_case_bases(env["1.6.0"])
    oc = by_stem["valid/1.6.0/online-consultation"][2]
    ge = by_stem["valid/1.5.1/generic"][2]
    return {
        "1.3.0/cs": env["1.3.0"],
        "1.6.0/cs": env["1.6.0"],
        "2.0.0/sd": env["2.0.0"],
        "1.6.0/oc": oc,
        "1.5.1/ge": ge,
        "1.6.0/oc+authors": with_carer_and_device(ms.remap_ids(oc, "cc/1.6.0/oc+authors")),
        "1.5.1/ge+authors": with_carer_and_device(ms.remap_ids(ge, "cc/1.5.1/ge+authors")),
    }


# Valid samples this generator owns: stem → base key.
VALID = {
    "valid/1.6.0/online-consultation-carer-device": "1.6.0/oc+authors",
    "valid/1.5.1/generic-carer-device": "1.5.1/ge+authors",
}

CORE = ("1.6.0/cs", "1.3.0/cs", "2.0.0/sd")  # the Patient/Organization/Practitioner releases
OC_GE = ("1.6.0/oc", "1.5.1/ge")  # rules of the OC/GE/SU payload pages
AUTHORS = ("1.6.0/oc+authors", "1.5.1/ge+authors")


# --------------------------------------------------------------------------------------------
# The mutation catalogue
# --------------------------------------------------------------------------------------------


@dataclass
class Mutation:
    rule: str
    case: str
    bases: tuple[str, ...]
    edit: Callable[[dict], None]


CATALOGUE: list[Mutation] = []


def mutation(rule: str, case: str, bases: tuple[str, ...]):
    def register(fn: Callable[[dict], None]):
        CATALOGUE.append(Mutation(rule, case, bases, fn))
        return fn

    return register


def nhs_value(patient: dict) -> str:
    return next(i["value"] for i in patient["identifier"] if i["system"] == NHS_NUMBER)


def nhs_identifier(doc: dict) -> dict:
    return next(i for i in res(doc, "Patient")["identifier"] if i["system"] == NHS_NUMBER)


def custodian(doc: dict) -> dict:
    url = composition(doc)["custodian"]["reference"]
    return next(e["resource"] for e in entries(doc) if e["fullUrl"] == url)


# ---- Patient ---------------------------------------------------------------------------------


@mutation("patient-missing", "subject-by-identifier", OC_GE)
def _patient_by_identifier(doc: dict) -> None:
    """The document Bundle carries no Patient: `Composition.subject` names the patient by NHS
    number (a logical reference) and the Patient entry and the Encounter (whose subject it
    was) are left out. (A Patient contained in the Composition would be another such case, but
    the engine does not yet resolve a `#id` reference from an entry resource to its own
    contained resources.)"""
    drop_encounter(doc)
    patient = entry(doc, "Patient")
    entries(doc).remove(patient)
    composition(doc)["subject"] = {
        "identifier": {"system": NHS_NUMBER, "value": nhs_value(patient["resource"])},
        "display": "Harriet Fernley",
    }


@mutation("patient-duplicated", "patient-author-second-copy", OC_GE)
def _patient_twice(doc: dict) -> None:
    """The patient, also an author, is sent as a second Patient entry (a copy with its own id)
    that `Composition.author` references."""
    copy_of = copy.deepcopy(res(doc, "Patient"))
    copy_of["id"] = new_uuid(doc, "second-patient")
    url = add_entry(doc, copy_of, "Patient")
    composition(doc)["author"].append({"reference": url})


@mutation("patient-nhs-number-missing", "local-identifier-only", CORE)
def _patient_local_identifier(doc: dict) -> None:
    """The Patient's only identifier is a local patient number."""
    res(doc, "Patient")["identifier"] = [
        {"system": "https://fhir.nhs.uk/Id/local-patient-identifier", "value": "RX-11872"}
    ]


@mutation("patient-nhs-number-invalid", "check-digit-wrong", CORE)
def _patient_check_digit(doc: dict) -> None:
    """The NHS number's last digit is not its Modulus 11 check digit (`9993456781`)."""
    nhs_identifier(doc)["value"] = "9993456781"


@mutation("patient-nhs-number-verification-missing", "no-verification-extension", CORE)
def _patient_no_verification(doc: dict) -> None:
    """The NHS number identifier has no NHSNumberVerificationStatus extension."""
    del nhs_identifier(doc)["extension"]


@mutation("patient-name-count-wrong", "two-official-names", CORE)
def _patient_two_names(doc: dict) -> None:
    """The Patient has a second official name (a former surname)."""
    res(doc, "Patient")["name"].append({"use": "official", "family": "Ashdown", "given": ["Harriet"]})


@mutation("patient-name-not-official", "use-usual", CORE)
def _patient_name_usual(doc: dict) -> None:
    """The Patient's name has `use` = `usual`."""
    res(doc, "Patient")["name"][0]["use"] = "usual"


@mutation("patient-name-family-missing", "given-name-only", CORE)
def _patient_no_family(doc: dict) -> None:
    """The Patient's official name has given names but no `family`."""
    del res(doc, "Patient")["name"][0]["family"]


@mutation("patient-birth-date-invalid", "year-and-month", CORE)
def _patient_birth_month(doc: dict) -> None:
    """`birthDate` is `1987-06` (a valid FHIR date, but not a full one)."""
    res(doc, "Patient")["birthDate"] = "1987-06"


# ---- Organization ----------------------------------------------------------------------------


@mutation("organization-sender-missing", "custodian-by-identifier", ("1.6.0/cs", "1.3.0/cs"))
def _organization_by_identifier(doc: dict) -> None:
    """The document Bundle carries no Organization: `Composition.custodian` names the sender by
    ODS code (a logical reference), the Organization entry is left out and so is the
    Encounter's `serviceProvider` (1.6.0; consultation reports do not require it)."""
    for e in entries(doc):
        if e["resource"]["resourceType"] == "Encounter":
            del e["resource"]["serviceProvider"]
    org = entry(doc, "Organization")
    entries(doc).remove(org)
    composition(doc)["custodian"] = {
        "identifier": dict(org["resource"]["identifier"][0]),
        "display": org["resource"]["name"],
    }


@mutation("organization-ods-code-missing", "site-code-only", CORE)
def _organization_site_code(doc: dict) -> None:
    """The sending Organization's only identifier is an ODS site code."""
    custodian(doc)["identifier"][0]["system"] = "https://fhir.nhs.uk/Id/ods-site-code"


@mutation("organization-name-missing", "no-name", CORE)
def _organization_no_name(doc: dict) -> None:
    """The sending Organization has no `name`."""
    del custodian(doc)["name"]


@mutation("organization-phone-missing", "email-only", CORE)
def _organization_email(doc: dict) -> None:
    """The sending Organization's only telecom is an email address."""
    custodian(doc)["telecom"] = [{"system": "email", "value": "reception@riverside.example.org", "use": "work"}]


# ---- Practitioner ----------------------------------------------------------------------------


@mutation("practitioner-sds-user-id-missing", "gmc-number-only", CORE)
def _practitioner_gmc(doc: dict) -> None:
    """The Practitioner's only identifier is a GMC number (a warning in v2, which asks for the
    SDS user ID only when it is known)."""
    res(doc, "Practitioner")["identifier"] = [{"system": "https://fhir.hl7.org.uk/Id/gmc-number", "value": "7012345"}]


@mutation("practitioner-name-count-wrong", "two-official-names", CORE)
def _practitioner_two_names(doc: dict) -> None:
    """The Practitioner has a second official name."""
    res(doc, "Practitioner")["name"].append({"use": "official", "family": "Adeyemi", "given": ["Samuel"]})


@mutation("practitioner-name-not-official", "use-usual", CORE)
def _practitioner_name_usual(doc: dict) -> None:
    """The Practitioner's name has `use` = `usual`."""
    res(doc, "Practitioner")["name"][0]["use"] = "usual"


@mutation("practitioner-phone-missing", "no-telecom", CORE)
def _practitioner_no_telecom(doc: dict) -> None:
    """The Practitioner has no `telecom`."""
    del res(doc, "Practitioner")["telecom"]


# ---- RelatedPerson ---------------------------------------------------------------------------


@mutation("related-person-name-count-wrong", "no-name", AUTHORS)
def _related_person_no_name(doc: dict) -> None:
    """The RelatedPerson has no `name`."""
    del res(doc, "RelatedPerson")["name"]


@mutation("related-person-birth-date-invalid", "year-and-month", AUTHORS)
def _related_person_birth_month(doc: dict) -> None:
    """The RelatedPerson's `birthDate` is `1958-11`."""
    res(doc, "RelatedPerson")["birthDate"] = "1958-11"


@mutation("related-person-phone-missing", "email-only", AUTHORS)
def _related_person_email(doc: dict) -> None:
    """The RelatedPerson's only telecom is an email address."""
    res(doc, "RelatedPerson")["telecom"] = [{"system": "email", "value": "t.fernley@example.org", "use": "home"}]


# ---- Device ----------------------------------------------------------------------------------


@mutation("device-type-not-snomed", "type-text-only", AUTHORS)
def _device_type_text(doc: dict) -> None:
    """`Device.type` is text only, with no SNOMED CT coding."""
    res(doc, "Device")["type"] = {"text": "Online consultation platform"}


@mutation("device-manufacturer-missing", "no-manufacturer", AUTHORS)
def _device_no_manufacturer(doc: dict) -> None:
    """The Device has no `manufacturer`."""
    del res(doc, "Device")["manufacturer"]


# ---- Encounter -------------------------------------------------------------------------------


@mutation("encounter-status-not-finished", "in-progress", OC_GE)
def _encounter_in_progress(doc: dict) -> None:
    """`Encounter.status` is `in-progress`."""
    res(doc, "Encounter")["status"] = "in-progress"


@mutation("encounter-type-not-snomed", "read-code", OC_GE)
def _encounter_read_code(doc: dict) -> None:
    """`Encounter.type` is coded in Read CTV3, not SNOMED CT."""
    res(doc, "Encounter")["type"] = [
        {"coding": [{"system": "http://read.info/ctv3", "code": "9N3A.", "display": "Indirect encounter"}]}
    ]


@mutation("encounter-subject-not-patient", "subject-practitioner", OC_GE)
def _encounter_subject_practitioner(doc: dict) -> None:
    """`Encounter.subject` references the Practitioner."""
    res(doc, "Encounter")["subject"]["reference"] = entry(doc, "Practitioner")["fullUrl"]


@mutation("encounter-participant-missing", "no-participant", OC_GE)
def _encounter_no_participant(doc: dict) -> None:
    """The Encounter has no `participant`."""
    del res(doc, "Encounter")["participant"]


@mutation("encounter-priority-missing", "no-priority", OC_GE)
def _encounter_no_priority(doc: dict) -> None:
    """The Encounter has no `priority`."""
    del res(doc, "Encounter")["priority"]


@mutation("encounter-period-incomplete", "no-end", OC_GE)
def _encounter_no_end(doc: dict) -> None:
    """`Encounter.period` has a start but no end."""
    del res(doc, "Encounter")["period"]["end"]


@mutation("encounter-service-provider-missing", "no-service-provider", OC_GE)
def _encounter_no_service_provider(doc: dict) -> None:
    """The Encounter has no `serviceProvider`."""
    del res(doc, "Encounter")["serviceProvider"]


# ---- meta.profile ----------------------------------------------------------------------------


@mutation("resource-profile-patient-missing", "profile-url-without-stu3", CORE)
def _patient_profile_url(doc: dict) -> None:
    """The Patient declares `https://fhir.hl7.org.uk/StructureDefinition/CareConnect-Patient-1`
    (no `/STU3/`), as early spec examples did."""
    res(doc, "Patient")["meta"]["profile"] = ["https://fhir.hl7.org.uk/StructureDefinition/CareConnect-Patient-1"]


def branch_organization(doc: dict) -> dict:
    """A second Organization, the branch surgery where the patient was seen, complete but for
    its `meta`."""
    org = copy.deepcopy(custodian(doc))
    org["id"] = new_uuid(doc, "branch-organization")
    del org["meta"]
    org["identifier"][0]["value"] = "A12346"
    org["name"] = "Riverside Health Hub, Mill Lane branch"
    org["telecom"][0]["value"] = "01632 960125"
    return org


@mutation("resource-profile-organization-missing", "branch-without-meta", ("1.6.0/cs", "2.0.0/sd"))
def _organization_no_meta(doc: dict) -> None:
    """`Encounter.serviceProvider` is a second Organization (the branch surgery) that has no
    `meta`."""
    url = add_entry(doc, branch_organization(doc), "Organization")
    res(doc, "Encounter")["serviceProvider"]["reference"] = url


@mutation("resource-profile-practitioner-missing", "nurse-without-meta", ("1.6.0/cs", "2.0.0/sd"))
def _practitioner_no_meta(doc: dict) -> None:
    """A second Practitioner (a nurse taking part in the Encounter), complete but for its
    `meta`."""
    nurse = copy.deepcopy(res(doc, "Practitioner"))
    nurse["id"] = new_uuid(doc, "nurse")
    del nurse["meta"]
    nurse["identifier"][0]["value"] = "555123456790"
    nurse["name"] = [{"use": "official", "family": "Lindqvist", "given": ["Maja"], "prefix": ["Ms"]}]
    nurse["telecom"][0]["value"] = "01632 960126"
    url = add_entry(doc, nurse, "Practitioner")
    res(doc, "Encounter")["participant"].append({"individual": {"reference": url}})


@mutation("resource-profile-related-person-missing", "patient-profile", ("1.6.0/oc+authors",))
def _related_person_patient_profile(doc: dict) -> None:
    """The RelatedPerson declares CareConnect-Patient-1."""
    res(doc, "RelatedPerson")["meta"]["profile"] = [CC + "CareConnect-Patient-1"]


@mutation("resource-profile-device-missing", "gpconnect-device-profile", ("1.6.0/oc+authors",))
def _device_gpconnect_profile(doc: dict) -> None:
    """The Device declares GPConnect-Device-1, not ITK-Device-1."""
    res(doc, "Device")["meta"]["profile"] = [ms.SD + "GPConnect-Device-1"]


@mutation("resource-profile-encounter-missing", "no-meta", ("1.6.0/cs", "2.0.0/sd"))
def _encounter_no_meta(doc: dict) -> None:
    """The Encounter has no `meta`."""
    del res(doc, "Encounter")["meta"]


# --------------------------------------------------------------------------------------------
# Planning, writing, checking
# --------------------------------------------------------------------------------------------


@dataclass
class Planned:
    path: Path
    text: str
    release_dir: str  # `<release>` or `<release>+<use case>`
    rule: str | None  # None for a valid sample


def pack_rules() -> list[str]:
    return [r["name"] for r in tomllib.loads(PACK.read_text(encoding="utf-8"))["rule"]]


def plan() -> tuple[list[Planned], list[str]]:
    problems: list[str] = []
    files: list[Planned] = []
    base = bases()
    for stem_name, key in VALID.items():
        stem = SAMPLES / stem_name
        doc = base[key]
        release = key.split("/")[0]
        files.append(Planned(stem.with_suffix(".json"), ms.to_json(doc), release, None))
        files.append(Planned(stem.with_suffix(".xml"), ms.to_xml(doc), release, None))
    rules = pack_rules()
    for m in CATALOGUE:
        if m.rule not in rules:
            problems.append(f"mutation {m.rule}/{m.case}: no such rule in {PACK.name}")
    for name in rules:
        here = [m for m in CATALOGUE if m.rule == name]
        if not here:
            problems.append(f"{name}: no mutation")
        seen: set[tuple[str, str]] = set()
        for m in here:
            for key in m.bases:
                release = key.split("/")[0]
                if (release, m.case) in seen:
                    problems.append(f"{name}/{release}/{m.case}: written twice")
                seen.add((release, m.case))
                doc = copy.deepcopy(base[key])
                m.edit(doc)
                text = ms.to_json(doc)
                if text == ms.to_json(base[key]):
                    problems.append(f"{name}/{key}/{m.case}: the mutation changes nothing")
                stem = SAMPLES / "invalid" / name / release / m.case
                files.append(Planned(stem.with_suffix(".json"), text, release, name))
                files.append(Planned(stem.with_suffix(".xml"), ms.to_xml(doc), release, name))
    return files, problems


def stale_files(files: list[Planned]) -> list[Path]:
    wanted = {f.path for f in files}
    stale = []
    for name in pack_rules():
        d = SAMPLES / "invalid" / name
        if d.is_dir():
            stale += [p for p in sorted(d.rglob("*")) if p.is_file() and p not in wanted]
    return stale


def rel(p: Path) -> str:
    return p.relative_to(ROOT).as_posix()


def verify(binary: str, files: list[Planned]) -> list[str]:
    """Runs gpcm-validate on every owned sample: a valid one has no findings; an invalid one
    reports its directory's rule and nothing else; JSON and XML twins agree."""
    problems = []
    keys: dict[str, list] = {}
    for f in files:
        pins = ["--spec", f.release_dir.split("+")[0]]
        if "+" in f.release_dir:
            pins += ["--use-case", f.release_dir.split("+")[1]]
        out = subprocess.run(
            [binary, *pins, "--format", "json", rel(f.path)], cwd=ROOT, capture_output=True, text=True
        )
        report = json.loads(out.stdout)["files"][0]
        problems += ms.judge(f.path, f.rule, None, report, keys)
    return problems


def main() -> int:
    return ms.run(__doc__, "make_cc_samples.py", plan, stale_files, ms.stale_dirs, verify)


if __name__ == "__main__":
    sys.exit(main())
