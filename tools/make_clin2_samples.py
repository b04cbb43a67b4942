#!/usr/bin/env python3
"""Generates the samples of the Generic / Send Update clinical-resource rules (Python 3.11,
stdlib only): the packs `profiles/packs/payload/medication.toml` (Medication,
MedicationRequest, MedicationStatement) and `profiles/packs/payload/record.toml`
(Immunization, ProblemHeader Condition, ProcedureRequest, DiagnosticReport, Specimen).

Run from the crate root:

    python3 tools/make_clin2_samples.py                  write every owned file
    python3 tools/make_clin2_samples.py --check          exit 1 if an owned file is missing,
                                                         differs or is stale
    python3 tools/make_clin2_samples.py --verify BINARY  also run BINARY (gpcm-validate) on
                                                         every owned sample

What it does:

1. **Valid samples.** From the Generic and Send Update bases of `tools/make_samples.py`
   (`use_case_bases`) it derives, per base, two messages with their own identity
   (`remap_ids`): `*-medications` adds a Medication, two authorisations (MedicationRequest
   intent `plan`: the current repeat and the stopped one it replaced), an issue (intent
   `order`) and a MedicationStatement; `*-record` adds two Immunizations (one given, one not
   given), a Location, two ProblemHeader Conditions (parent and child), a ProcedureRequest, a
   DiagnosticReport and a Specimen. Each new resource has a `urn:uuid:` fullUrl equal to its
   id, the `meta.profile` of gpconnect-messaging.md §2.8, STU3 element order, and an entry in a
   Composition section. Every rule (MUST and SHOULD) is satisfied, so the samples are clean.
2. **Mutations.** For every rule of the two packs, each registered mutation is applied to the
   1.6.0 Generic base and to the 1.6.0 Send Update base (`1.6.0+su`, which pins the use case)
   of its resource group and written to `samples/invalid/<rule>/<release>/<case>.{json,xml}`.
   A rule without a mutation is an error.

Owned files: the valid samples named above and every `.json`/`.xml` directly under
`samples/invalid/<rule of the two packs>/{1.6.0,1.6.0+su}/`. A file there that the catalogue
does not produce is stale: `--check` fails on it and a normal run deletes it.

To add a mutation: write `def name(doc, s)` that edits `doc` in place (`s.res("plan")` is the
resource named `plan` in that sample, `s.ref("plan")` its reference), decorate it with
`@mutation("<rule-name>", "<kebab-case-defect>")`, give it a docstring, run the script, then
`INSTA_UPDATE=always cargo test --test samples` and review the new snapshots. Edits that only
remove an element, set a code or repoint a reference are rows of `DELETIONS`, `CODES` or
`WRONG_TARGETS` instead.
"""

from __future__ import annotations

import copy
import sys
import tomllib
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_samples as ms  # noqa: E402

ROOT = ms.ROOT
SAMPLES = ms.SAMPLES
PACKS = {
    "medications": ROOT / "profiles" / "packs" / "payload" / "medication.toml",
    "record": ROOT / "profiles" / "packs" / "payload" / "record.toml",
}

CC = "https://fhir.hl7.org.uk/STU3/StructureDefinition/"
SCT = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"

# HL7 UK CareConnect extensions (the URLs the 1.4+ MessageDefinition and the CareConnect
# profiles use).
EXT_REPEAT = CC + "Extension-CareConnect-MedicationRepeatInformation-1"
EXT_STATUS_REASON = CC + "Extension-CareConnect-MedicationStatusReason-1"
EXT_PRESCRIPTION_TYPE = CC + "Extension-CareConnect-PrescriptionType-1"
EXT_QUANTITY_TEXT = CC + "Extension-CareConnect-MedicationQuantityText-1"
EXT_LAST_ISSUE = CC + "Extension-CareConnect-MedicationStatementLastIssueDate-1"
EXT_PRESCRIBING_AGENCY = CC + "Extension-CareConnect-MedicationPrescribingAgency-1"
EXT_DATE_RECORDED = CC + "Extension-CareConnect-DateRecorded-1"
EXT_PARENT_PRESENT = CC + "Extension-CareConnect-ParentPresent-1"
EXT_VACCINATION_PROCEDURE = CC + "Extension-CareConnect-VaccinationProcedure-1"
EXT_ACTUAL_PROBLEM = CC + "Extension-CareConnect-ActualProblem-1"
EXT_RELATED_PROBLEM = CC + "Extension-CareConnect-RelatedProblemHeader-1"
EXT_RELATED_CONTENT = CC + "Extension-CareConnect-RelatedClinicalContent-1"
EXT_SIGNIFICANCE = CC + "Extension-CareConnect-ProblemSignificance-1"
EXT_FASTING = CC + "Extension-CareConnect-FastingStatus-1"

PRESCRIPTION_TYPE_SYSTEM = "https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-PrescriptionType-1"
ID_SYSTEM = "https://fhir.riverside-health-hub.example/Id/"

# The bases: sample stem of the use-case base → (stem of the medications sample, stem of the
# record sample). The 1.6.0 ones are also the bases of the failing samples.
DERIVED = {
    "valid/1.5.1/generic": ("valid/1.5.1/generic-medications", "valid/1.5.1/generic-record"),
    "valid/1.6.0/generic": ("valid/1.6.0/generic-medications", "valid/1.6.0/generic-record"),
    "valid/1.6.0+su/send-update": (
        "valid/1.6.0+su/send-update-medications",
        "valid/1.6.0+su/send-update-record",
    ),
}
# Failing samples: release directory → the use-case base its mutations start from.
INVALID_RELEASES = {"1.6.0": "valid/1.6.0/generic", "1.6.0+su": "valid/1.6.0+su/send-update"}


# --------------------------------------------------------------------------------------------
# Building the samples
# --------------------------------------------------------------------------------------------


class Sample:
    """One derived message: its JSON and the ids of the resources it adds, by name."""

    def __init__(self, doc: dict, stem: str):
        self.doc = doc
        self.stem = stem
        self.ids: dict[str, str] = {}
        pb = ms.payload(doc)
        self.comp = pb["entry"][0]["resource"]
        by_type = {e["resource"]["resourceType"]: e["resource"] for e in pb["entry"]}
        self.patient = "urn:uuid:" + by_type["Patient"]["id"]
        self.practitioner = "urn:uuid:" + by_type["Practitioner"]["id"]
        self.organization = "urn:uuid:" + by_type["Organization"]["id"]
        self.encounter = "urn:uuid:" + by_type["Encounter"]["id"]

    def new_id(self, name: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"gpcm-validate/samples/clin2/{self.stem}/{name}"))

    def add(self, name: str, resource_type: str, profile: str, body: dict) -> None:
        """Adds a resource (id, meta, then `body` in STU3 order) to the payload bundle."""
        rid = self.ids.setdefault(name, self.new_id(name))
        resource = {"resourceType": resource_type, "id": rid, "meta": {"profile": [CC + profile]}}
        resource.update(body)
        ms.payload(self.doc)["entry"].append({"fullUrl": f"urn:uuid:{rid}", "resource": resource})

    def ref(self, name: str) -> str:
        return "urn:uuid:" + self.ids.setdefault(name, self.new_id(name))

    def res(self, name: str) -> dict:
        url = self.ref(name)
        return next(e["resource"] for e in ms.payload(self.doc)["entry"] if e["fullUrl"] == url)

    def section(self, title: str, names: list[str]) -> None:
        self.comp["section"].append({"title": title, "entry": [{"reference": self.ref(n)} for n in names]})


def coding(system: str, code: str, display: str) -> dict:
    return {"coding": [{"system": system, "code": code, "display": display}]}


def sct(code: str, display: str) -> dict:
    return coding(SCT, code, display)


def ident(kind: str, s: Sample, name: str) -> dict:
    return {"system": ID_SYSTEM + kind, "value": s.new_id(name + "/identifier")}


def prescription_type(code: str, display: str) -> dict:
    return {"url": EXT_PRESCRIPTION_TYPE, "valueCodeableConcept": coding(PRESCRIPTION_TYPE_SYSTEM, code, display)}


def repeat_information(allowed: int, issued: int, expiry: str) -> dict:
    return {
        "url": EXT_REPEAT,
        "extension": [
            {"url": "numberOfRepeatPrescriptionsAllowed", "valueUnsignedInt": ms.Num(str(allowed))},
            {"url": "numberOfRepeatPrescriptionsIssued", "valueUnsignedInt": ms.Num(str(issued))},
            {"url": "authorisationExpiryDate", "valueDateTime": expiry},
        ],
    }


def dispense_request(start: str, end: str, quantity: int) -> dict:
    return {
        "validityPeriod": {"start": start, "end": end},
        "quantity": {
            "extension": [{"url": EXT_QUANTITY_TEXT, "valueString": "tablet(s)"}],
            "value": ms.Num(str(quantity)),
            "unit": "tablet",
        },
        "expectedSupplyDuration": {"value": ms.Num(str(quantity)), "unit": "day", "system": UCUM, "code": "d"},
    }


DOSAGE = [{"text": "One tablet once a day", "patientInstruction": "Take in the morning with water"}]


def medication_request(s: Sample, name: str, *, extension: list, based_on: str | None, group: str,
                       status: str, intent: str, authored: str, note: str, dispense: dict,
                       prior: str | None = None) -> dict:
    body: dict[str, Any] = {"extension": extension, "identifier": [ident("medication-request", s, name)]}
    if based_on:
        body["basedOn"] = [{"reference": s.ref(based_on)}]
    body.update(
        {
            "groupIdentifier": {"system": ID_SYSTEM + "medication-group", "value": s.new_id(group)},
            "status": status,
            "intent": intent,
            "medicationReference": {"reference": s.ref("medication")},
            "subject": {"reference": s.patient},
            "context": {"reference": s.encounter},
            "authoredOn": authored,
            "requester": {
                "agent": {"reference": s.practitioner},
                "onBehalfOf": {"reference": s.organization},
            },
            "recorder": {"reference": s.practitioner},
            "note": [{"text": note}],
            "dosageInstruction": copy.deepcopy(DOSAGE),
            "dispenseRequest": dispense,
        }
    )
    if prior:
        body["priorPrescription"] = {"reference": s.ref(prior)}
    return body


def add_medications(s: Sample) -> None:
    """Medication, the current repeat authorisation (`plan`, active), the stopped authorisation
    it replaced, one issue (`order`) of the current one, and the MedicationStatement of the
    current authorisation."""
    s.add("medication", "Medication", "CareConnect-Medication-1",
          {"code": sct("319283006", "Amlodipine 5mg tablets")})
    s.add("plan", "MedicationRequest", "CareConnect-MedicationRequest-1", medication_request(
        s, "plan",
        extension=[repeat_information(6, 1, "2024-09-14T00:00:00+00:00"), prescription_type("repeat", "Repeat")],
        based_on=None, group="plan-group", status="active", intent="plan",
        authored="2024-03-14T09:45:00+00:00", note="Dose reviewed at the March appointment",
        dispense=dispense_request("2024-03-14", "2024-09-14", 28), prior="previous-plan"))
    s.add("previous-plan", "MedicationRequest", "CareConnect-MedicationRequest-1", medication_request(
        s, "previous-plan",
        extension=[
            repeat_information(6, 6, "2024-03-14T00:00:00+00:00"),
            {
                "url": EXT_STATUS_REASON,
                "extension": [
                    {"url": "statusReason", "valueCodeableConcept": {"text": "Replaced by a new authorisation"}},
                    {"url": "statusChangeDate", "valueDateTime": "2024-03-14T09:40:00+00:00"},
                ],
            },
            prescription_type("repeat", "Repeat"),
        ],
        based_on=None, group="previous-plan-group", status="stopped", intent="plan",
        authored="2023-09-12T11:20:00+01:00", note="First authorisation",
        dispense=dispense_request("2023-09-12", "2024-03-14", 28)))
    s.add("order", "MedicationRequest", "CareConnect-MedicationRequest-1", medication_request(
        s, "order",
        extension=[prescription_type("repeat", "Repeat")],
        based_on="plan", group="plan-group", status="completed", intent="order",
        authored="2024-03-14T09:46:00+00:00", note="First issue of this authorisation",
        dispense=dispense_request("2024-03-14", "2024-04-11", 28)))
    s.add("statement", "MedicationStatement", "CareConnect-MedicationStatement-1", {
        "extension": [
            {"url": EXT_LAST_ISSUE, "valueDateTime": "2024-03-14T09:46:00+00:00"},
            {
                "url": EXT_PRESCRIBING_AGENCY,
                "valueCodeableConcept": coding(
                    "https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-PrescribingAgency-1",
                    "prescribed-at-gp-practice", "Prescribed at GP practice"),
            },
        ],
        "basedOn": [{"reference": s.ref("plan")}],
        "context": {"reference": s.encounter},
        "status": "active",
        "medicationReference": {"reference": s.ref("medication")},
        "effectivePeriod": {"start": "2024-03-14", "end": "2024-09-14"},
        "dateAsserted": "2024-03-14T09:45:00+00:00",
        "subject": {"reference": s.patient},
        "taken": "unk",
        "note": [{"text": "Dose reviewed at the March appointment"}],
        "dosage": copy.deepcopy(DOSAGE),
    })
    s.section("Medications", ["statement", "plan", "order", "previous-plan", "medication"])


def immunization_common(s: Sample, not_given: bool) -> dict:
    return {
        "extension": [
            {"url": EXT_DATE_RECORDED, "valueDateTime": "2024-03-14T09:48:00+00:00"},
            {"url": EXT_VACCINATION_PROCEDURE, "valueCodeableConcept": sct(
                "86198006", "Influenza vaccination")},
            {"url": EXT_PARENT_PRESENT, "valueBoolean": False},
        ],
        "status": "completed",
        "notGiven": not_given,
        "vaccineCode": sct("46233009", "Influenza virus vaccine"),
        "patient": {"reference": s.patient},
        "encounter": {"reference": s.encounter},
        "date": "2024-03-14T09:40:00+00:00",
        "primarySource": True,
        "location": {"reference": s.ref("location")},
    }


def practitioner_role(s: Sample, code: str, display: str) -> dict:
    return {"role": coding("http://hl7.org/fhir/v2/0443", code, display), "actor": {"reference": s.practitioner}}


def add_record(s: Sample) -> None:
    """Two Immunizations (given; intended but not given) at a Location, two ProblemHeader
    Conditions (an active parent and an inactive child), and an investigation: a
    ProcedureRequest, the DiagnosticReport based on it and its Specimen."""
    given = immunization_common(s, False)
    given.update({
        "manufacturer": {"display": "Northgate Vaccines Ltd"},
        "lotNumber": "NV2291B",
        "expirationDate": "2024-08-31",
        "site": sct("368208006", "Left upper arm structure"),
        "route": sct("78421000", "Intramuscular route"),
        "doseQuantity": {"value": ms.Num("0.5"), "unit": "ml", "system": UCUM, "code": "mL"},
        "practitioner": [practitioner_role(s, "AP", "Administering Provider"),
                         practitioner_role(s, "EP", "Entering Provider")],
        "note": [{"text": "No immediate reaction"}],
        "explanation": {"reason": [sct("195967001", "Asthma")]},
        "vaccinationProtocol": [{
            "doseSequence": ms.Num("1"),
            "description": "Seasonal influenza programme 2023/24",
            "seriesDoses": ms.Num("1"),
            "targetDisease": [sct("6142004", "Influenza")],
            "doseStatus": coding("http://hl7.org/fhir/vaccination-protocol-dose-status", "count", "Counts"),
        }],
    })
    s.add("immunization", "Immunization", "CareConnect-Immunization-1", given)
    not_given = immunization_common(s, True)
    not_given["vaccineCode"] = sct("333598008", "Pneumococcal vaccine")
    not_given["extension"][1]["valueCodeableConcept"] = sct("12866006", "Pneumococcal vaccination")
    not_given.update({
        "practitioner": [practitioner_role(s, "EP", "Entering Provider")],
        "note": [{"text": "Patient would rather discuss it at the next review"}],
        "explanation": {"reasonNotGiven": [{"text": "Declined by the patient"}]},
    })
    s.add("immunization-not-given", "Immunization", "CareConnect-Immunization-1", not_given)
    s.add("location", "Location", "CareConnect-Location-1", {
        "identifier": [{"system": "https://fhir.nhs.uk/Id/ods-site-code", "value": "A12345001"}],
        "status": "active",
        "name": "Riverside Health Hub treatment room",
        "type": sct("264358009", "General practice premises"),
        "telecom": [{"system": "phone", "value": "01632 960125", "use": "work"}],
        "address": {"line": ["14 Mill Lane"], "city": "Riverside", "postalCode": "ZZ99 3RH"},
    })
    s.add("problem", "Condition", "CareConnect-ProblemHeader-Condition-1", {
        "extension": [
            {"url": EXT_ACTUAL_PROBLEM, "valueReference": {"reference": s.ref("immunization")}},
            {"url": EXT_RELATED_PROBLEM, "extension": [
                {"url": "type", "valueCode": "child"},
                {"url": "target", "valueReference": {"reference": s.ref("problem-episode")}},
            ]},
            {"url": EXT_RELATED_CONTENT, "valueReference": {"reference": s.encounter}},
            {"url": EXT_SIGNIFICANCE, "valueCode": "major"},
        ],
        "clinicalStatus": "active",
        "category": [coding("http://hl7.org/fhir/condition-category", "problem-list-item", "Problem List Item")],
        "code": sct("195967001", "Asthma"),
        "subject": {"reference": s.patient},
        "context": {"reference": s.encounter},
        "onsetDateTime": "2015-05-02",
        "assertedDate": "2015-05-02T10:00:00+01:00",
        "asserter": {"reference": s.practitioner},
        "note": [{"text": "Reviewed annually"}],
    })
    s.add("problem-episode", "Condition", "CareConnect-ProblemHeader-Condition-1", {
        "extension": [
            {"url": EXT_ACTUAL_PROBLEM, "valueReference": {"reference": s.ref("immunization-not-given")}},
            {"url": EXT_RELATED_PROBLEM, "extension": [
                {"url": "type", "valueCode": "parent"},
                {"url": "target", "valueReference": {"reference": s.ref("problem")}},
            ]},
            {"url": EXT_SIGNIFICANCE, "valueCode": "minor"},
        ],
        "clinicalStatus": "inactive",
        "category": [coding("http://hl7.org/fhir/condition-category", "problem-list-item", "Problem List Item")],
        "code": sct("708038006", "Acute exacerbation of asthma"),
        "subject": {"reference": s.patient},
        "context": {"reference": s.encounter},
        "onsetDateTime": "2024-02-20",
        "abatementDateTime": "2024-03-05",
        "assertedDate": "2024-02-20T15:10:00+00:00",
        "asserter": {"reference": s.practitioner},
        "note": [{"text": "Settled after a course of oral steroids"}],
    })
    s.add("procedure-request", "ProcedureRequest", "CareConnect-ProcedureRequest-1", {
        "status": "active",
        "intent": "order",
        "code": sct("26604007", "Full blood count"),
        "subject": {"reference": s.patient},
        "context": {"reference": s.encounter},
        "authoredOn": "2024-03-14T09:49:00+00:00",
        "requester": {"agent": {"reference": s.practitioner}},
        "performer": {"reference": s.organization},
        "reasonCode": [sct("84229001", "Fatigue")],
        "reasonReference": [{"reference": s.ref("problem")}],
        "note": [{"text": "Tiredness since the exacerbation; exclude anaemia"}],
    })
    s.add("diagnostic-report", "DiagnosticReport", "CareConnect-DiagnosticReport-1", {
        "basedOn": [{"reference": s.ref("procedure-request")}],
        "status": "final",
        "category": coding("http://hl7.org/fhir/v2/0074", "LAB", "Laboratory"),
        "code": sct("26604007", "Full blood count"),
        "subject": {"reference": s.patient},
        "context": {"reference": s.encounter},
        "effectiveDateTime": "2024-03-14T10:05:00+00:00",
        "issued": "2024-03-14T14:30:00+00:00",
        "performer": [{"actor": {"reference": s.organization}}],
        "specimen": [{"reference": s.ref("specimen")}],
        "result": [{"display": "Haemoglobin 134 g/L"}],
        "conclusion": "Full blood count within normal limits",
        "codedDiagnosis": [sct("281900007", "No abnormality detected")],
    })
    s.add("specimen", "Specimen", "CareConnect-Specimen-1", {
        "accessionIdentifier": {"system": ID_SYSTEM + "specimen", "value": "RHH24-001877"},
        "status": "available",
        "type": sct("119297000", "Blood specimen"),
        "subject": {"reference": s.patient},
        "receivedTime": "2024-03-14T10:20:00+00:00",
        "request": [{"reference": s.ref("procedure-request")}],
        "collection": {
            "extension": [{"url": EXT_FASTING, "valueCodeableConcept": coding(
                "http://hl7.org/fhir/v2/0916", "NF", "Patient was not fasting")}],
            "collector": {"reference": s.practitioner},
            "collectedDateTime": "2024-03-14T10:05:00+00:00",
            "quantity": {"value": ms.Num("4"), "unit": "ml", "system": UCUM, "code": "mL"},
            "bodySite": sct("368208006", "Left upper arm structure"),
        },
        "note": [{"text": "Sample taken in the treatment room"}],
    })
    s.section("Immunisations", ["immunization", "immunization-not-given", "location"])
    s.section("Problems", ["problem", "problem-episode"])
    s.section("Investigations", ["procedure-request", "diagnostic-report", "specimen"])


BUILDERS = {"medications": add_medications, "record": add_record}


def derive(base: dict, stem: str, group: str) -> Sample:
    s = Sample(ms.remap_ids(copy.deepcopy(base), f"clin2/{stem}"), stem)
    BUILDERS[group](s)
    return s


def samples() -> dict[str, tuple[str, Sample]]:
    """Every valid sample: stem → (release, the sample)."""
    out = {}
    bases = ms.use_case_bases(ms.bases()["1.6.0"])
    for base_stem, stems in DERIVED.items():
        release, _, doc = bases[base_stem]
        for group, stem in zip(("medications", "record"), stems):
            out[stem] = (release, derive(doc, stem, group))
    return out


# --------------------------------------------------------------------------------------------
# The mutation catalogue
# --------------------------------------------------------------------------------------------


@dataclass
class Mutation:
    rule: str
    case: str
    edit: Callable[[dict, Sample], None]


CATALOGUE: list[Mutation] = []


def mutation(rule: str, case: str):
    def register(fn: Callable[[dict, Sample], None]):
        CATALOGUE.append(Mutation(rule, case, fn))
        return fn

    return register


def ext(resource: dict, url: str) -> dict:
    return next(x for x in resource["extension"] if x["url"] == url)


def drop_ext(resource: dict, url: str) -> None:
    resource["extension"] = [x for x in resource["extension"] if x["url"] != url]


def sub_ext(extension: dict, url: str) -> dict:
    return next(x for x in extension["extension"] if x["url"] == url)


def drop_sub_ext(extension: dict, url: str) -> None:
    extension["extension"] = [x for x in extension["extension"] if x["url"] != url]


def pointer(resource: dict, key: str, reference: str) -> None:
    resource[key] = {"reference": reference}


# ---- Medication -------------------------------------------------------------------------------


@mutation("medication-code-missing", "no-code")
def _medication_no_code(doc: dict, s: Sample) -> None:
    """The Medication has no `code`."""
    del s.res("medication")["code"]


@mutation("medication-code-not-snomed", "local-code-only")
def _medication_local_code(doc: dict, s: Sample) -> None:
    """`Medication.code` has only a local coding."""
    s.res("medication")["code"] = coding("https://fhir.riverside-health-hub.example/CodeSystem/drugs", "AML5",
                                         "Amlodipine 5mg tablets")


# ---- MedicationRequest: extensions --------------------------------------------------------------


@mutation("medication-request-repeat-information-on-order", "issue-with-repeat-counts")
def _order_repeat_information(doc: dict, s: Sample) -> None:
    """The issue (intent `order`) carries a copy of its plan's repeatInformation extension."""
    order = s.res("order")
    order["extension"].insert(0, copy.deepcopy(ext(s.res("plan"), EXT_REPEAT)))


@mutation("medication-request-repeat-information-missing", "repeat-plan-without-counts")
def _plan_no_repeat_information(doc: dict, s: Sample) -> None:
    """The current repeat authorisation has no repeatInformation extension."""
    drop_ext(s.res("plan"), EXT_REPEAT)


@mutation("medication-request-repeats-issued-missing", "no-issued-count")
def _plan_no_issued(doc: dict, s: Sample) -> None:
    """The plan's repeatInformation has no `numberOfRepeatPrescriptionsIssued`."""
    drop_sub_ext(ext(s.res("plan"), EXT_REPEAT), "numberOfRepeatPrescriptionsIssued")


@mutation("medication-request-status-reason-missing", "stopped-plan-without-reason")
def _stopped_without_reason(doc: dict, s: Sample) -> None:
    """The stopped authorisation has no statusReason extension."""
    drop_ext(s.res("previous-plan"), EXT_STATUS_REASON)


@mutation("medication-request-status-reason-on-order", "issue-with-status-reason")
def _order_status_reason(doc: dict, s: Sample) -> None:
    """The issue carries a copy of the stopped plan's statusReason extension."""
    s.res("order")["extension"].insert(0, copy.deepcopy(ext(s.res("previous-plan"), EXT_STATUS_REASON)))


@mutation("medication-request-status-change-date-missing", "reason-without-date")
def _status_reason_no_date(doc: dict, s: Sample) -> None:
    """The stopped plan's statusReason has no `statusChangeDate`."""
    drop_sub_ext(ext(s.res("previous-plan"), EXT_STATUS_REASON), "statusChangeDate")


@mutation("medication-request-status-reason-text-missing", "date-without-reason")
def _status_reason_no_reason(doc: dict, s: Sample) -> None:
    """The stopped plan's statusReason has a `statusChangeDate` but no `statusReason`."""
    drop_sub_ext(ext(s.res("previous-plan"), EXT_STATUS_REASON), "statusReason")


@mutation("medication-request-prescription-type-missing", "issue-without-type")
def _order_no_type(doc: dict, s: Sample) -> None:
    """The issue has no prescriptionType extension (and so no extension at all)."""
    del s.res("order")["extension"]


# ---- MedicationRequest: identity and links ------------------------------------------------------


@mutation("medication-request-identifier-missing", "no-identifier")
def _order_no_identifier(doc: dict, s: Sample) -> None:
    """The issue has no `identifier`."""
    del s.res("order")["identifier"]


@mutation("medication-request-identifier-incomplete", "no-namespace")
def _order_identifier_no_system(doc: dict, s: Sample) -> None:
    """The issue's identifier has a value but no `system`."""
    del s.res("order")["identifier"][0]["system"]


@mutation("medication-request-order-based-on-missing", "issue-not-linked")
def _order_no_based_on(doc: dict, s: Sample) -> None:
    """The issue has no `basedOn`."""
    del s.res("order")["basedOn"]


@mutation("medication-request-based-on-not-plan", "issue-based-on-itself")
def _order_based_on_order(doc: dict, s: Sample) -> None:
    """The issue's `basedOn` points at an issue (itself), not at a plan."""
    s.res("order")["basedOn"] = [{"reference": s.ref("order")}]


@mutation("medication-request-plan-based-on", "plan-based-on-previous-plan")
def _plan_based_on(doc: dict, s: Sample) -> None:
    """The current authorisation names the one it replaced in `basedOn`."""
    ms.put(s.res("plan"), "basedOn", [{"reference": s.ref("previous-plan")}], after="identifier")


@mutation("medication-request-group-identifier-value-missing", "group-without-value")
def _order_group_no_value(doc: dict, s: Sample) -> None:
    """The issue's `groupIdentifier` has a system but no value."""
    del s.res("order")["groupIdentifier"]["value"]


@mutation("medication-request-group-identifier-missing", "repeat-issue-without-group")
def _order_no_group(doc: dict, s: Sample) -> None:
    """The repeat issue has no `groupIdentifier`."""
    del s.res("order")["groupIdentifier"]


# ---- Edits by table: removals, codes, wrong reference targets ----------------------------------


def _deleter(name: str, *path: str) -> Callable[[dict, Sample], None]:
    def edit(doc: dict, s: Sample) -> None:
        obj = s.res(name)
        for step in path[:-1]:
            obj = obj[step] if not isinstance(obj, list) else obj[int(step)]
        del obj[path[-1]]

    return edit


# Elements whose absence breaks exactly one rule: rule → (case, resource name, path).
DELETIONS = {
    "medication-request-context-missing": ("no-context", "order", "context"),
    "medication-request-authored-on-missing": ("no-authored-on", "order", "authoredOn"),
    "medication-request-requester-missing": ("no-requester", "order", "requester"),
    "medication-request-note-missing": ("no-note", "order", "note"),
    "medication-request-dosage-missing": ("no-dosage", "order", "dosageInstruction"),
    "medication-request-dosage-text-missing": ("no-dosage-text", "order", "dosageInstruction", "0", "text"),
    "medication-request-patient-instruction-missing": (
        "no-patient-instruction", "order", "dosageInstruction", "0", "patientInstruction"),
    "medication-request-validity-start-missing": (
        "validity-without-start", "order", "dispenseRequest", "validityPeriod", "start"),
    "medication-request-quantity-missing": ("no-quantity", "order", "dispenseRequest", "quantity"),
    "medication-request-supply-duration-missing": (
        "no-supply-duration", "order", "dispenseRequest", "expectedSupplyDuration"),
    "medication-request-prior-prescription-missing": ("no-prior-prescription", "plan", "priorPrescription"),
    "medication-statement-based-on-missing": ("no-based-on", "statement", "basedOn"),
    "medication-statement-context-missing": ("no-context", "statement", "context"),
    "medication-statement-date-asserted-missing": ("no-date-asserted", "statement", "dateAsserted"),
    "medication-statement-note-missing": ("no-note", "statement", "note"),
    "medication-statement-dosage-text-missing": ("no-dosage-text", "statement", "dosage", "0", "text"),
    "medication-statement-patient-instruction-missing": (
        "no-patient-instruction", "statement", "dosage", "0", "patientInstruction"),
    "immunization-not-given-missing": ("no-not-given", "immunization", "notGiven"),
    "immunization-vaccine-code-missing": ("no-vaccine-code", "immunization", "vaccineCode"),
    "immunization-encounter-missing": ("no-encounter", "immunization", "encounter"),
    "immunization-date-missing": ("no-date", "immunization", "date"),
    "immunization-location-missing": ("no-location", "immunization", "location"),
    "immunization-manufacturer-missing": ("no-manufacturer", "immunization", "manufacturer"),
    "immunization-lot-number-missing": ("no-lot-number", "immunization", "lotNumber"),
    "immunization-expiration-date-missing": ("no-expiration-date", "immunization", "expirationDate"),
    "immunization-site-missing": ("no-site", "immunization", "site"),
    "immunization-route-missing": ("no-route", "immunization", "route"),
    "immunization-dose-quantity-missing": ("no-dose-quantity", "immunization", "doseQuantity"),
    "immunization-practitioner-missing": ("no-practitioner", "immunization", "practitioner"),
    "immunization-note-missing": ("no-note", "immunization", "note"),
    "immunization-reason-missing": ("given-without-reason", "immunization", "explanation"),
    "immunization-not-given-reason-missing": ("not-given-without-reason", "immunization-not-given", "explanation"),
    "immunization-protocol-missing": ("no-protocol", "immunization", "vaccinationProtocol"),
    "immunization-protocol-description-missing": (
        "no-description", "immunization", "vaccinationProtocol", "0", "description"),
    "immunization-protocol-series-doses-missing": (
        "no-series-doses", "immunization", "vaccinationProtocol", "0", "seriesDoses"),
    "immunization-protocol-target-disease-missing": (
        "no-target-disease", "immunization", "vaccinationProtocol", "0", "targetDisease"),
    "problem-code-missing": ("no-code", "problem", "code"),
    "problem-context-missing": ("no-context", "problem", "context"),
    "problem-onset-missing": ("no-onset", "problem", "onsetDateTime"),
    "problem-abatement-missing": ("inactive-without-abatement", "problem-episode", "abatementDateTime"),
    "problem-asserted-date-missing": ("no-asserted-date", "problem", "assertedDate"),
    "problem-note-missing": ("no-note", "problem", "note"),
    "procedure-request-code-missing": ("no-code", "procedure-request", "code"),
    "procedure-request-performer-missing": ("no-performer", "procedure-request", "performer"),
    "procedure-request-requester-missing": ("no-requester", "procedure-request", "requester"),
    "procedure-request-reason-code-missing": ("no-reason-code", "procedure-request", "reasonCode"),
    "procedure-request-reason-reference-missing": ("no-reason-reference", "procedure-request", "reasonReference"),
    "procedure-request-note-missing": ("no-note", "procedure-request", "note"),
    "diagnostic-report-based-on-missing": ("no-based-on", "diagnostic-report", "basedOn"),
    "diagnostic-report-category-missing": ("no-category", "diagnostic-report", "category"),
    "diagnostic-report-code-missing": ("no-code", "diagnostic-report", "code"),
    "diagnostic-report-issued-missing": ("no-issued", "diagnostic-report", "issued"),
    "diagnostic-report-performer-missing": ("no-performer", "diagnostic-report", "performer"),
    "diagnostic-report-specimen-missing": ("no-specimen", "diagnostic-report", "specimen"),
    "diagnostic-report-result-missing": ("no-result", "diagnostic-report", "result"),
    "diagnostic-report-coded-diagnosis-missing": ("no-coded-diagnosis", "diagnostic-report", "codedDiagnosis"),
    "diagnostic-report-conclusion-missing": ("no-conclusion", "diagnostic-report", "conclusion"),
    "specimen-accession-identifier-missing": ("no-accession-identifier", "specimen", "accessionIdentifier"),
    "specimen-status-invalid": ("no-status", "specimen", "status"),
    "specimen-type-missing": ("no-type", "specimen", "type"),
    "specimen-received-time-missing": ("no-received-time", "specimen", "receivedTime"),
    "specimen-collection-missing": ("no-collection", "specimen", "collection"),
    "specimen-fasting-status-missing": ("no-fasting-status", "specimen", "collection", "extension"),
    "specimen-collector-missing": ("no-collector", "specimen", "collection", "collector"),
    "specimen-collected-missing": ("no-collected", "specimen", "collection", "collectedDateTime"),
    "specimen-body-site-missing": ("no-body-site", "specimen", "collection", "bodySite"),
    "specimen-note-missing": ("no-note", "specimen", "note"),
}
for _rule, (_case, *_path) in DELETIONS.items():
    _edit = _deleter(*_path)
    _edit.__doc__ = f"`{'.'.join(_path[1:])}` of the `{_path[0]}` resource is removed."
    CATALOGUE.append(Mutation(_rule, _case, _edit))


def _setter(name: str, key: str, value: str) -> Callable[[dict, Sample], None]:
    def edit(doc: dict, s: Sample) -> None:
        s.res(name)[key] = value

    edit.__doc__ = f"`{key}` of the `{name}` resource is `{value}`."
    return edit


# Codes GP Connect does not allow there, but STU3's value set does (so only the pack rule
# reports them): rule → (case, resource name, element, code).
CODES = {
    "medication-request-status-invalid": ("on-hold", "order", "status", "on-hold"),
    "medication-request-intent-invalid": ("proposal", "order", "intent", "proposal"),
    "medication-statement-status-invalid": ("intended", "statement", "status", "intended"),
    "medication-statement-taken-not-unknown": ("taken-yes", "statement", "taken", "y"),
    "immunization-status-not-completed": ("entered-in-error", "immunization", "status", "entered-in-error"),
    "problem-clinical-status-invalid": ("resolved", "problem", "clinicalStatus", "resolved"),
    "procedure-request-status-not-active": ("completed", "procedure-request", "status", "completed"),
    "procedure-request-intent-not-order": ("plan", "procedure-request", "intent", "plan"),
    "diagnostic-report-status-invalid": ("amended", "diagnostic-report", "status", "amended"),
}
for _rule, (_case, _name, _key, _value) in CODES.items():
    CATALOGUE.append(Mutation(_rule, _case, _setter(_name, _key, _value)))


def _repointer(name: str, key: str, target: str) -> Callable[[dict, Sample], None]:
    def edit(doc: dict, s: Sample) -> None:
        pointer(s.res(name), key, getattr(s, target))

    edit.__doc__ = f"`{key}` of the `{name}` resource points at the {target.capitalize()}."
    return edit


# References to the wrong kind of resource: rule → (case, resource name, element, the base
# resource it points at instead: `patient` or `practitioner`).
WRONG_TARGETS = {
    "medication-request-medication-wrong": ("medication-is-patient", "order", "medicationReference", "patient"),
    "medication-request-subject-wrong": ("subject-is-practitioner", "order", "subject", "practitioner"),
    "medication-request-recorder-wrong": ("recorder-is-patient", "order", "recorder", "patient"),
    "medication-statement-medication-wrong": ("medication-is-patient", "statement", "medicationReference", "patient"),
    "medication-statement-subject-wrong": ("subject-is-practitioner", "statement", "subject", "practitioner"),
    "immunization-patient-wrong": ("patient-is-practitioner", "immunization", "patient", "practitioner"),
    "problem-subject-wrong": ("subject-is-practitioner", "problem", "subject", "practitioner"),
    "problem-asserter-wrong": ("asserter-is-patient", "problem", "asserter", "patient"),
    "procedure-request-subject-wrong": ("subject-is-practitioner", "procedure-request", "subject", "practitioner"),
    "diagnostic-report-subject-wrong": ("subject-is-practitioner", "diagnostic-report", "subject", "practitioner"),
    "specimen-subject-wrong": ("subject-is-practitioner", "specimen", "subject", "practitioner"),
}
for _rule, (_case, _name, _key, _target) in WRONG_TARGETS.items():
    CATALOGUE.append(Mutation(_rule, _case, _repointer(_name, _key, _target)))


# ---- MedicationRequest: dispense request ----------------------------------------------------------


@mutation("medication-request-quantity-text-missing", "unit-only")
def _quantity_unit_only(doc: dict, s: Sample) -> None:
    """The issue's dispense quantity has a unit but neither a value nor a quantityText."""
    s.res("order")["dispenseRequest"]["quantity"] = {"unit": "tablet"}


@mutation("medication-request-quantity-text-duplicates-value", "text-restates-quantity")
def _quantity_text_number(doc: dict, s: Sample) -> None:
    """The issue's quantityText is `28 tablets` beside the numeric value 28."""
    ext(s.res("order")["dispenseRequest"]["quantity"], EXT_QUANTITY_TEXT)["valueString"] = "28 tablets"


@mutation("medication-request-supply-duration-not-days", "in-weeks")
def _supply_in_weeks(doc: dict, s: Sample) -> None:
    """The issue's expected supply duration is 4 weeks (UCUM `wk`)."""
    s.res("order")["dispenseRequest"]["expectedSupplyDuration"] = {
        "value": ms.Num("4"), "unit": "week", "system": UCUM, "code": "wk"}


@mutation("medication-request-dispense-performer-on-plan", "plan-with-dispenser")
def _plan_performer(doc: dict, s: Sample) -> None:
    """The current authorisation names a dispenser in `dispenseRequest.performer`."""
    s.res("plan")["dispenseRequest"]["performer"] = {"reference": s.organization}


# ---- MedicationStatement ----------------------------------------------------------------------


@mutation("medication-statement-last-issue-date-missing", "no-last-issue-date")
def _statement_no_last_issue(doc: dict, s: Sample) -> None:
    """The MedicationStatement has no lastIssueDate extension."""
    drop_ext(s.res("statement"), EXT_LAST_ISSUE)


@mutation("medication-statement-prescribing-agency-missing", "no-prescribing-agency")
def _statement_no_agency(doc: dict, s: Sample) -> None:
    """The MedicationStatement has no prescribingAgency extension."""
    drop_ext(s.res("statement"), EXT_PRESCRIBING_AGENCY)


@mutation("medication-statement-based-on-not-plan", "based-on-issue")
def _statement_based_on_order(doc: dict, s: Sample) -> None:
    """The MedicationStatement's `basedOn` points at the issue (intent `order`)."""
    s.res("statement")["basedOn"] = [{"reference": s.ref("order")}]


@mutation("medication-statement-effective-missing", "effective-date-time")
def _statement_effective_date(doc: dict, s: Sample) -> None:
    """The MedicationStatement gives `effectiveDateTime` instead of `effectivePeriod`."""
    st = s.res("statement")
    ms.put(st, "effectiveDateTime", "2024-03-14", after="effectivePeriod")
    del st["effectivePeriod"]


# ---- Immunization ---------------------------------------------------------------------------------


@mutation("immunization-parent-present-missing", "no-parent-present")
def _imm_no_parent(doc: dict, s: Sample) -> None:
    """The given Immunization has no parentPresent extension."""
    drop_ext(s.res("immunization"), EXT_PARENT_PRESENT)


@mutation("immunization-recorded-date-missing", "no-recorded-date")
def _imm_no_recorded(doc: dict, s: Sample) -> None:
    """The given Immunization has no recordedDate (DateRecorded) extension."""
    drop_ext(s.res("immunization"), EXT_DATE_RECORDED)


@mutation("immunization-vaccination-procedure-missing", "no-vaccination-procedure")
def _imm_no_procedure(doc: dict, s: Sample) -> None:
    """The given Immunization has no vaccinationProcedure extension."""
    drop_ext(s.res("immunization"), EXT_VACCINATION_PROCEDURE)


@mutation("immunization-report-origin-with-primary-source", "primary-source-with-origin")
def _imm_report_origin(doc: dict, s: Sample) -> None:
    """The given, primary-source Immunization has a `reportOrigin`."""
    ms.put(s.res("immunization"), "reportOrigin", {"text": "Patient recollection"}, after="primarySource")


def _add_to_not_given(key: str, after: str) -> Callable[[dict, Sample], None]:
    def edit(doc: dict, s: Sample) -> None:
        ms.put(s.res("immunization-not-given"), key, copy.deepcopy(s.res("immunization")[key]), after=after)

    edit.__doc__ = f"The Immunization that was not given has the given one's `{key}`."
    return edit


CATALOGUE += [
    Mutation("immunization-site-when-not-given", "not-given-with-site", _add_to_not_given("site", "location")),
    Mutation("immunization-route-when-not-given", "not-given-with-route", _add_to_not_given("route", "location")),
    Mutation("immunization-dose-quantity-when-not-given", "not-given-with-dose",
             _add_to_not_given("doseQuantity", "location")),
    Mutation("immunization-protocol-when-not-given", "not-given-with-protocol",
             _add_to_not_given("vaccinationProtocol", "explanation")),
]


@mutation("immunization-practitioner-role-invalid", "ordering-provider")
def _imm_role_op(doc: dict, s: Sample) -> None:
    """The given Immunization's first practitioner has role `OP` (ordering provider)."""
    s.res("immunization")["practitioner"][0]["role"] = coding("http://hl7.org/fhir/v2/0443", "OP", "Ordering Provider")


@mutation("immunization-practitioner-actor-wrong", "actor-is-patient")
def _imm_actor_patient(doc: dict, s: Sample) -> None:
    """The given Immunization's first practitioner `actor` points at the Patient."""
    pointer(s.res("immunization")["practitioner"][0], "actor", s.patient)


@mutation("immunization-reason-when-not-given", "not-given-with-reason")
def _imm_not_given_reason(doc: dict, s: Sample) -> None:
    """The Immunization that was not given also has `explanation.reason`."""
    explanation = s.res("immunization-not-given")["explanation"]
    s.res("immunization-not-given")["explanation"] = {"reason": [{"text": "Travel"}], **explanation}


@mutation("immunization-not-given-reason-when-given", "given-with-not-given-reason")
def _imm_given_reason_not_given(doc: dict, s: Sample) -> None:
    """The given Immunization also has `explanation.reasonNotGiven`."""
    s.res("immunization")["explanation"]["reasonNotGiven"] = [{"text": "Declined by the patient"}]


@mutation("immunization-protocol-dose-status-not-count", "nocount")
def _imm_nocount(doc: dict, s: Sample) -> None:
    """The given Immunization's protocol dose status is `nocount`."""
    s.res("immunization")["vaccinationProtocol"][0]["doseStatus"] = coding(
        "http://hl7.org/fhir/vaccination-protocol-dose-status", "nocount", "Does not count")


# ---- ProblemHeader (Condition) --------------------------------------------------------------------


@mutation("problem-actual-problem-missing", "no-actual-problem")
def _problem_no_actual(doc: dict, s: Sample) -> None:
    """The parent problem has no actualProblem extension."""
    drop_ext(s.res("problem"), EXT_ACTUAL_PROBLEM)


@mutation("problem-related-problem-missing", "no-related-problem")
def _problem_no_related(doc: dict, s: Sample) -> None:
    """The child problem has no relatedProblemHeader extension."""
    drop_ext(s.res("problem-episode"), EXT_RELATED_PROBLEM)


@mutation("problem-related-problem-type-invalid", "type-grouped")
def _problem_related_type(doc: dict, s: Sample) -> None:
    """The parent problem's relatedProblemHeader `type` is `grouped`."""
    sub_ext(ext(s.res("problem"), EXT_RELATED_PROBLEM), "type")["valueCode"] = "grouped"


@mutation("problem-related-problem-target-wrong", "target-is-immunization")
def _problem_related_target(doc: dict, s: Sample) -> None:
    """The parent problem's relatedProblemHeader `target` points at an Immunization."""
    sub_ext(ext(s.res("problem"), EXT_RELATED_PROBLEM), "target")["valueReference"] = {
        "reference": s.ref("immunization")}


@mutation("problem-significance-invalid", "severe")
def _problem_severe(doc: dict, s: Sample) -> None:
    """The parent problem's significance is `severe`."""
    ext(s.res("problem"), EXT_SIGNIFICANCE)["valueCode"] = "severe"


@mutation("problem-category-not-problem-list-item", "encounter-diagnosis")
def _problem_category(doc: dict, s: Sample) -> None:
    """The parent problem's category is `encounter-diagnosis`."""
    s.res("problem")["category"] = [coding("http://hl7.org/fhir/condition-category", "encounter-diagnosis",
                                           "Encounter Diagnosis")]


# --------------------------------------------------------------------------------------------
# Planning, writing, checking
# --------------------------------------------------------------------------------------------


def pack_rules() -> dict[str, str]:
    """Rule name → the resource group ("medications" or "record") whose base it mutates."""
    out = {}
    for group, path in PACKS.items():
        for r in tomllib.loads(path.read_text(encoding="utf-8"))["rule"]:
            out[r["name"]] = group
    return out


def plan() -> tuple[list[ms.Planned], list[str]]:
    problems: list[str] = []
    files: list[ms.Planned] = []
    valid = samples()
    for stem, (release, s) in valid.items():
        path = SAMPLES / stem
        files.append(ms.Planned(path.with_suffix(".json"), ms.to_json(s.doc), release, None))
        files.append(ms.Planned(path.with_suffix(".xml"), ms.to_xml(s.doc), release, None))
    rules = pack_rules()
    for m in CATALOGUE:
        if m.rule not in rules:
            problems.append(f"mutation {m.rule}/{m.case}: no such rule in the packs")
    bases = ms.use_case_bases(ms.bases()["1.6.0"])
    for name, group in sorted(rules.items()):
        mutations = [m for m in CATALOGUE if m.rule == name]
        if not mutations:
            problems.append(f"{name}: no mutation")
        seen: set[str] = set()
        for m in mutations:
            if m.case in seen:
                problems.append(f"{name}: case {m.case} twice")
            seen.add(m.case)
            for release_dir, base_stem in INVALID_RELEASES.items():
                release, _, base = bases[base_stem]
                stem = f"invalid/{name}/{release_dir}/{m.case}"
                s = derive(base, stem, group)
                start = ms.to_json(s.doc)
                m.edit(s.doc, s)
                text = ms.to_json(s.doc)
                if text == start:
                    problems.append(f"{name}/{release_dir}/{m.case}: the mutation changes nothing")
                path = SAMPLES / stem
                files.append(ms.Planned(path.with_suffix(".json"), text, release, name))
                files.append(ms.Planned(path.with_suffix(".xml"), ms.to_xml(s.doc), release, name))
    return files, problems


def owned_dirs() -> list[Path]:
    dirs = []
    for name in pack_rules():
        dirs += [SAMPLES / "invalid" / name / r for r in INVALID_RELEASES]
    return dirs


def stale_files(files: list[ms.Planned]) -> list[Path]:
    return ms.stale_in(files, owned_dirs())


def main() -> int:
    return ms.run(__doc__, "make_clin2_samples.py", plan, stale_files, lambda files, stale: owned_dirs(), ms.verify)


if __name__ == "__main__":
    sys.exit(main())
