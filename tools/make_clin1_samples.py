#!/usr/bin/env python3
"""Generates the samples of the clinical payload pack (`profiles/packs/payload/clinical.toml`):
structured valid messages and one failing message per rule (Python 3.11, stdlib only).

Run from the crate root:

    python3 tools/make_clin1_samples.py                  write every owned file, print what changed
    python3 tools/make_clin1_samples.py --check          exit 1 if an owned file is missing,
                                                         differs or is stale
    python3 tools/make_clin1_samples.py --verify BINARY  also run BINARY (gpcm-validate) on every
                                                         owned sample and check its findings

1. **Structured valid samples.** Each use-case base of `tools/make_samples.py`
   (`use_case_bases`) gets the structured resources an Online Consultation, Generic or Send
   Update message may carry beside its PDF (`add_structured`): a List of two Observations, a
   Questionnaire and its QuestionnaireResponse, a ReferralRequest, a DocumentReference, an
   AllergyIntolerance, a FamilyMemberHistory, a Task, a Consent and a Location, each referenced
   from a Composition section of its own and populated so that no rule (MUST or SHOULD) fires.
   They are written as `samples/valid/<release>/<stem>-structured.{json,xml}`.
2. **Mutations.** For every rule of the clinical pack, each mutation registered for it
   (`@mutation`) edits a structured message (`oc`: the 1.6.0 Online Consultation, by default;
   `ge`: the 1.6.0 Generic one, case name prefixed `generic-`; `su`: the 1.6.0 Send Update one)
   that carries only the section of resources the rule is about (`GROUPS`, and what they point
   at), and is written to `samples/invalid/<rule>/<release dir>/<case>.{json,xml}`. A rule
   without a mutation fails the run.

XML is serialized from the JSON (`make_samples.to_xml`), so twins cannot drift. Owned files: the
structured valid samples and every `.json`/`.xml` under `samples/invalid/<clinical rule>/`; a
file there that the catalogue does not produce is stale, and a normal run deletes it.
"""

from __future__ import annotations

import copy
import sys
import tomllib
import uuid
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_samples as ms  # noqa: E402

ROOT = ms.ROOT
SAMPLES = ms.SAMPLES
PACK = ROOT / "profiles" / "packs" / "payload" / "clinical.toml"
CC = "https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
END_URL = "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-AllergyIntoleranceEnd-1"
ENC_URL = "http://hl7.org/fhir/StructureDefinition/encounter-associatedEncounter"
Num = ms.Num

# Structured valid samples: stem → (use-case base stem, release directory, salt).
STRUCTURED = {
    "valid/1.5.1/online-consultation-structured": ("valid/1.5.1/online-consultation", "1.5.1", "1.5.1/oc"),
    "valid/1.6.0/online-consultation-structured": ("valid/1.6.0/online-consultation", "1.6.0", "1.6.0/oc"),
    "valid/1.5.1/generic-structured": ("valid/1.5.1/generic", "1.5.1", "1.5.1/ge"),
    "valid/1.6.0/generic-structured": ("valid/1.6.0/generic", "1.6.0", "1.6.0/ge"),
    "valid/1.6.0+su/send-update-structured": ("valid/1.6.0+su/send-update", "1.6.0+su", "1.6.0/su"),
}
# The Send Update sample nests its sections (see `add_structured`).
NESTED = {"valid/1.6.0+su/send-update-structured"}
# Mutation bases: key → structured stem; the case-name prefix keeps GE cases apart from OC ones
# in the same release directory.
MUTATION_BASES = {
    "oc": ("valid/1.6.0/online-consultation-structured", ""),
    "ge": ("valid/1.6.0/generic-structured", "generic-"),
    "su": ("valid/1.6.0+su/send-update-structured", ""),
}


# --------------------------------------------------------------------------------------------
# Structured resources
# --------------------------------------------------------------------------------------------


def new_id(salt: str, what: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"gpcm-validate/samples/clin1/{salt}/{what}"))


def meta(resource_type: str) -> dict:
    return {"profile": [f"{CC}{resource_type}-1"]}


def ref(full_url: str) -> dict:
    return {"reference": full_url}


def snomed(code: str, display: str) -> dict:
    return {"coding": [{"system": SNOMED, "code": code, "display": display}]}


class Context:
    """The fullUrls of the base message's resources that the new ones point at."""

    def __init__(self, doc: dict):
        entries = ms.payload(doc)["entry"]
        comp = entries[0]["resource"]
        self.patient = comp["subject"]["reference"]
        self.practitioner = comp["author"][0]["reference"]
        self.organization = comp["custodian"]["reference"]
        self.encounter = comp["encounter"]["reference"]
        self.binary = comp["section"][0]["entry"][0]["reference"]


def build(cx: Context, ids: dict[str, str]) -> list[tuple[str, list[dict]]]:
    """The structured resources, grouped by the Composition section that references them."""
    u = {k: f"urn:uuid:{v}" for k, v in ids.items()}
    observations = [
        {
            "resourceType": "Observation", "id": ids["obs1"], "meta": meta("Observation"),
            "status": "preliminary",
            "category": [{"coding": [{"system": "http://hl7.org/fhir/observation-category",
                                      "code": "vital-signs", "display": "Vital Signs"}]}],
            "code": snomed("27113001", "Body weight"),
            "subject": ref(cx.patient), "context": ref(cx.encounter),
            "effectiveDateTime": "2024-03-14T09:10:00+00:00",
            "issued": "2024-03-14T09:12:00.000+00:00",
            "performer": [ref(cx.patient)],
            "valueQuantity": {"value": Num("68.5"), "unit": "kg", "system": UCUM, "code": "kg"},
        },
        {
            "resourceType": "Observation", "id": ids["obs2"], "meta": meta("Observation"),
            "status": "preliminary",
            "category": [{"coding": [{"system": "http://hl7.org/fhir/observation-category",
                                      "code": "survey", "display": "Survey"}]}],
            "code": snomed("267036007", "Dyspnoea"),
            "subject": ref(cx.patient), "context": ref(cx.encounter),
            "effectiveDateTime": "2024-03-14T09:11:00+00:00",
            "issued": "2024-03-14T09:12:00.000+00:00",
            "performer": [ref(cx.patient)],
            "valueBoolean": True,
        },
    ]
    obs_list = {
        "resourceType": "List", "id": ids["list"], "meta": meta("List"),
        "status": "current", "mode": "snapshot", "title": "Miscellaneous record",
        "code": snomed("826501000000100", "Miscellaneous record"),
        "subject": ref(cx.patient), "encounter": ref(cx.encounter),
        "date": "2024-03-14T09:50:00+00:00",
        "entry": [{"item": ref(u["obs1"])}, {"item": ref(u["obs2"])}],
    }
    questionnaire = {
        "resourceType": "Questionnaire", "id": ids["questionnaire"], "meta": meta("Questionnaire"),
        "url": "https://consult.example.org/fhir/Questionnaire/breathing-difficulty",
        "version": "3.2", "name": "BreathingDifficulty", "title": "Breathing difficulty",
        "status": "active", "date": "2023-11-02",
        "description": "Questions asked of a patient who reports difficulty breathing.",
        "effectivePeriod": {"start": "2023-11-06"},
        "item": [
            {"linkId": "1", "text": "What is your main problem today?", "type": "string"},
            {"linkId": "2", "text": "Are you short of breath when resting?", "type": "boolean"},
            {"linkId": "3", "text": "About you", "type": "group", "item": [
                {"linkId": "3.1", "text": "What is your weight in kilograms?", "type": "decimal"},
            ]},
        ],
    }
    response = {
        "resourceType": "QuestionnaireResponse", "id": ids["response"], "meta": meta("QuestionnaireResponse"),
        "questionnaire": ref(u["questionnaire"]),
        "status": "completed",
        "subject": ref(cx.patient), "context": ref(cx.encounter),
        "authored": "2024-03-14T09:12:00+00:00",
        "author": ref(cx.patient), "source": ref(cx.patient),
        "item": [
            {"linkId": "1", "text": "What is your main problem today?",
             "answer": [{"valueString": "I get out of breath climbing the stairs"}]},
            {"linkId": "2", "text": "Are you short of breath when resting?",
             "answer": [{"valueBoolean": True}]},
            {"linkId": "3", "text": "About you", "item": [
                {"linkId": "3.1", "text": "What is your weight in kilograms?",
                 "answer": [{"valueDecimal": Num("68.5")}]},
            ]},
        ],
    }
    referral = {
        "resourceType": "ReferralRequest", "id": ids["referral"], "meta": meta("ReferralRequest"),
        "status": "unknown", "intent": "order", "priority": "routine",
        "subject": ref(cx.patient), "context": ref(cx.encounter),
        "authoredOn": "2024-03-14T09:45:00+00:00",
        "requester": {"agent": ref(cx.practitioner), "onBehalfOf": ref(cx.organization)},
        "recipient": [{"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "FQ402"},
                       "display": "Millbrook Community Pharmacy"}],
        "reasonCode": [snomed("267036007", "Dyspnoea")],
        "description": "Referred to the community pharmacy for an inhaler technique review.",
        "supportingInfo": [ref(cx.binary)],
    }
    document = {
        "resourceType": "DocumentReference", "id": ids["document"], "meta": meta("DocumentReference"),
        "status": "current",
        "type": snomed("371531000", "Report of clinical encounter"),
        "subject": ref(cx.patient),
        "created": "2024-03-14T09:50:00+00:00", "indexed": "2024-03-14T10:10:00+00:00",
        "author": [ref(cx.practitioner)], "custodian": ref(cx.organization),
        "description": "The consultation report sent in this message.",
        "content": [{"attachment": {"contentType": "application/pdf", "url": cx.binary,
                                    "title": "Consultation report"}}],
        "context": {"encounter": ref(cx.encounter),
                    "period": {"start": "2024-03-14T09:30:00+00:00", "end": "2024-03-14T09:50:00+00:00"}},
    }
    allergy = {
        "resourceType": "AllergyIntolerance", "id": ids["allergy"], "meta": meta("AllergyIntolerance"),
        "extension": [
            {"url": ENC_URL, "valueReference": ref(cx.encounter)},
            {"url": END_URL, "extension": [
                {"url": "endDate", "valueDateTime": "2021-05-04"},
                {"url": "reasonEnded", "valueString": "No reaction to an oral challenge in clinic"},
            ]},
        ],
        "clinicalStatus": "resolved", "verificationStatus": "unconfirmed", "type": "allergy",
        "category": ["medication"], "criticality": "low",
        "code": snomed("91936005", "Allergy to penicillin"),
        "patient": ref(cx.patient),
        "onsetDateTime": "2009-08",
        "assertedDate": "2024-03-14T09:12:00+00:00",
        "recorder": ref(cx.practitioner), "asserter": ref(cx.patient),
        "lastOccurrence": "2009-08",
        "note": [{"text": "Rash after amoxicillin as a child; tolerated a supervised challenge in 2021."}],
        "reaction": [{"manifestation": [snomed("271807003", "Eruption of skin")],
                      "severity": "mild",
                      "exposureRoute": snomed("26643006", "Oral route")}],
    }
    family = {
        "resourceType": "FamilyMemberHistory", "id": ids["family"], "meta": meta("FamilyMemberHistory"),
        "status": "completed", "patient": ref(cx.patient), "date": "2024-03-14",
        "relationship": {"coding": [{"system": "http://hl7.org/fhir/v3/RoleCode", "code": "MTH", "display": "mother"}]},
        "gender": "female",
        "reasonReference": [ref(u["response"])],
        "note": [{"text": "Mother has used inhalers since her forties."}],
        "condition": [{"code": snomed("195967001", "Asthma"), "onsetString": "In her forties"}],
    }
    task = {
        "resourceType": "Task", "id": ids["task"], "meta": meta("Task"),
        "status": "requested",
        "statusReason": {"coding": [{"system": "https://consult.example.org/fhir/CodeSystem/task-status-reason",
                                     "code": "awaiting-review", "display": "Awaiting pharmacist review"}]},
        "intent": "order", "priority": "routine",
        "code": snomed("3457005", "Patient referral"),
        "description": "Review inhaler technique and report back to the practice.",
        "for": ref(cx.patient), "context": ref(cx.encounter),
        "authoredOn": "2024-03-14T09:45:00+00:00",
        "requester": {"agent": ref(cx.practitioner), "onBehalfOf": ref(cx.organization)},
        "owner": {"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "FQ402"},
                  "display": "Millbrook Community Pharmacy"},
        "reason": {"text": "Breathlessness on exertion; inhaler use not yet reviewed."},
        "note": [{"text": "The patient prefers a morning appointment."}],
        "restriction": {"period": {"end": "2024-03-28"}},
        "input": [{"type": {"text": "Current inhaler"}, "valueString": "Salbutamol 100 micrograms/dose"}],
        "output": [{"type": {"text": "Review outcome"}, "valueString": "To be reported to the practice"}],
    }
    consent = {
        "resourceType": "Consent", "id": ids["consent"], "meta": meta("Consent"),
        "status": "active",
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent"}]}],
        "patient": ref(cx.patient),
        "period": {"start": "2024-03-14"},
        "dateTime": "2024-03-14T09:12:00+00:00",
        "consentingParty": [ref(cx.patient)],
        "action": [{"coding": [{"system": "http://hl7.org/fhir/consentaction", "code": "disclose", "display": "Disclose"}]}],
        "organization": [ref(cx.organization)],
        "sourceReference": ref(u["response"]),
        "policy": [{"uri": "https://consult.example.org/policies/share-with-registered-practice"}],
        "purpose": [{"system": "http://hl7.org/fhir/v3/ActReason", "code": "TREAT", "display": "treatment"}],
        "dataPeriod": {"start": "2024-03-14"},
        "data": [{"meaning": "related", "reference": ref(cx.encounter)}],
        "except": [{"type": "deny",
                    "action": [{"coding": [{"system": "http://hl7.org/fhir/consentaction", "code": "use", "display": "Use"}]}],
                    "purpose": [{"system": "http://hl7.org/fhir/v3/ActReason", "code": "HMARKT", "display": "healthcare marketing"}]}],
    }
    location = {
        "resourceType": "Location", "id": ids["location"], "meta": meta("Location"),
        "identifier": [{"system": "https://fhir.nhs.uk/Id/ods-site-code", "value": "A12345001"}],
        "status": "active", "name": "Riverside Health Hub, Quay Street site",
        "type": {"coding": [{"system": "http://hl7.org/fhir/v3/RoleCode", "code": "OF", "display": "Outpatient facility"}]},
        "telecom": [{"system": "phone", "value": "01632 960125", "use": "work"}],
        "address": {"use": "work", "line": ["12 Quay Street"], "city": "Leeds", "postalCode": "LS1 4AB"},
        "managingOrganization": ref(cx.organization),
    }
    return [
        ("Observations", [obs_list, *observations]),
        ("Questionnaire", [questionnaire]),
        ("Questionnaire response", [response]),
        ("Referral", [referral]),
        ("Related documents", [document]),
        ("Allergies", [allergy]),
        ("Family history", [family]),
        ("Tasks", [task]),
        ("Consent", [consent]),
        ("Location", [location]),
    ]


NAMES = ["list", "obs1", "obs2", "questionnaire", "response", "referral", "document", "allergy",
         "family", "task", "consent", "location"]


# Sections whose resources point at another section's: the FamilyMemberHistory's reason and the
# Consent's source are the QuestionnaireResponse.
NEEDS = {"Family history": "Questionnaire response", "Consent": "Questionnaire response"}


def add_structured(doc: dict, salt: str, only: str | None = None, nest: bool = False) -> dict:
    """The message with the structured resources added: each as a payload entry with fullUrl
    `urn:uuid:<id>`, and referenced from a Composition section named for what it holds. With
    `only`, just that section's resources (and those they point at): the smaller message a
    failing sample of that resource starts from. With `nest`, those sections are subsections of
    one `Structured information` section (FHIR lets sections nest; rules must look inside)."""
    doc = copy.deepcopy(doc)
    cx = Context(doc)
    ids = {name: new_id(salt, name) for name in NAMES}
    bundle = ms.payload(doc)
    comp = bundle["entry"][0]["resource"]
    groups = build(cx, ids)
    if only is not None:
        keep = {only, NEEDS.get(only)}
        groups = [(t, rs) for t, rs in groups if t in keep]
        if "Questionnaire" not in keep:
            for r in (r for _, rs in groups for r in rs if r["resourceType"] == "QuestionnaireResponse"):
                del r["questionnaire"]
    sections = comp["section"]
    if nest:
        sections = []
        comp["section"].append({"title": "Structured information", "section": sections})
    for title, resources in groups:
        sections.append({"title": title, "entry": [ref(f"urn:uuid:{r['id']}") for r in resources]})
        for r in resources:
            bundle["entry"].append({"fullUrl": f"urn:uuid:{r['id']}", "resource": r})
    return doc


def use_case_bases() -> dict[str, dict]:
    return {stem: doc for stem, (_, _, doc) in ms.use_case_bases(ms.bases()["1.6.0"]).items()}


def structured_samples(bases: dict[str, dict]) -> dict[str, tuple[str, dict]]:
    """Stem → (release directory, message)."""
    return {stem: (rel_dir, add_structured(bases[base], salt, nest=stem in NESTED))
            for stem, (base, rel_dir, salt) in STRUCTURED.items()}


# The section (see `build`) whose resources each rule checks, by rule-name prefix (longest first).
GROUPS = [
    ("questionnaire-response-", "Questionnaire response"), ("questionnaire-", "Questionnaire"),
    ("list-", "Observations"), ("observation-", "Observations"), ("referral-", "Referral"),
    ("document-reference-", "Related documents"), ("allergy-", "Allergies"),
    ("family-history-", "Family history"), ("clinical-task-", "Tasks"), ("consent-", "Consent"),
    ("location-", "Location"),
]


def group_of(rule: str) -> str:
    return next(g for prefix, g in GROUPS if rule.startswith(prefix))


# --------------------------------------------------------------------------------------------
# Navigating and editing the structured samples
# --------------------------------------------------------------------------------------------


def resources(doc: dict, resource_type: str) -> list[dict]:
    return [e["resource"] for e in ms.payload(doc)["entry"] if e["resource"]["resourceType"] == resource_type]


def res(doc: dict, resource_type: str, index: int = 0) -> dict:
    return resources(doc, resource_type)[index]


def url(resource: dict) -> str:
    return f"urn:uuid:{resource['id']}"


def composition(doc: dict) -> dict:
    return ms.payload(doc)["entry"][0]["resource"]


def patient(doc: dict) -> str:
    return composition(doc)["subject"]["reference"]


def practitioner(doc: dict) -> str:
    return composition(doc)["author"][0]["reference"]


def encounter(doc: dict) -> str:
    return composition(doc)["encounter"]["reference"]


def rename(obj: dict, old: str, new: str, value: Any) -> None:
    """Replaces property `old` by `new` = `value` in the same place (a choice type's other form)."""
    items = [(new, value) if k == old else (k, v) for k, v in obj.items()]
    obj.clear()
    obj.update(items)


def unsection(doc: dict, resource: dict) -> None:
    """Removes the section entries that reference `resource`, and sections left empty."""
    def prune(sections: list[dict]) -> list[dict]:
        for s in sections:
            if "entry" in s:
                s["entry"] = [e for e in s["entry"] if e["reference"] != url(resource)]
                if not s["entry"]:
                    del s["entry"]
            if "section" in s:
                s["section"] = prune(s["section"])
                if not s["section"]:
                    del s["section"]
        return [s for s in sections if "entry" in s or "section" in s]

    comp = composition(doc)
    comp["section"] = prune(comp["section"])


def remove(doc: dict, resource: dict) -> None:
    """Removes `resource` from the payload and from the sections."""
    unsection(doc, resource)
    bundle = ms.payload(doc)
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"] is not resource]


# --------------------------------------------------------------------------------------------
# Mutation catalogue
# --------------------------------------------------------------------------------------------


class Mutation:
    def __init__(self, rule: str, case: str, bases: tuple[str, ...], edit: Callable[[dict], None]):
        self.rule, self.case, self.bases, self.edit = rule, case, bases, edit


CATALOGUE: list[Mutation] = []


def mutation(rule: str, case: str, bases: tuple[str, ...] = ("oc",)):
    def register(fn: Callable[[dict], None]):
        CATALOGUE.append(Mutation(rule, case, bases, fn))
        return fn

    return register


def kebab(name: str) -> str:
    """`effectivePeriod` → `effective-period`."""
    return "".join(f"-{c.lower()}" if c.isupper() else c for c in name)


def delete(resource_type: str, element: str, rule: str, bases: tuple[str, ...] = ("oc",), index: int = 0,
           case: str | None = None) -> None:
    """Registers a mutation that deletes `element` from a resource."""
    def edit(doc: dict) -> None:
        del res(doc, resource_type, index)[element]

    edit.__doc__ = f"The {resource_type} has no `{element}`."
    CATALOGUE.append(Mutation(rule, case or f"no-{kebab(element)}", bases, edit))


def set_value(resource_type: str, element: str, value: Any, rule: str, case: str,
              bases: tuple[str, ...] = ("oc",), index: int = 0) -> None:
    """Registers a mutation that sets `element` of a resource to `value`."""
    def edit(doc: dict) -> None:
        res(doc, resource_type, index)[element] = copy.deepcopy(value)

    edit.__doc__ = f"The {resource_type}'s `{element}` is {value!r}."
    CATALOGUE.append(Mutation(rule, case, bases, edit))


def point(resource_type: str, element: str, target: Callable[[dict], str], rule: str, case: str,
          bases: tuple[str, ...] = ("oc",), path: tuple[str, ...] = ()) -> None:
    """Registers a mutation that points a Reference (`element`, inside `path`) elsewhere; a list
    of references keeps one element."""
    def edit(doc: dict) -> None:
        obj = res(doc, resource_type)
        for p in path:
            obj = obj[p]
        obj[element] = [ref(target(doc))] if isinstance(obj[element], list) else ref(target(doc))

    edit.__doc__ = f"The {resource_type}'s `{'.'.join((*path, element))}` points elsewhere."
    CATALOGUE.append(Mutation(rule, case, bases, edit))


# ---- section membership (GPCM-SD-007...017) ---------------------------------------------------

for _rule, _type, _index in [
    ("list-not-in-section", "List", 0), ("observation-not-in-section", "Observation", 1),
    ("questionnaire-not-in-section", "Questionnaire", 0),
    ("questionnaire-response-not-in-section", "QuestionnaireResponse", 0),
    ("referral-not-in-section", "ReferralRequest", 0),
    ("document-reference-not-in-section", "DocumentReference", 0),
    ("allergy-not-in-section", "AllergyIntolerance", 0),
    ("family-history-not-in-section", "FamilyMemberHistory", 0),
    ("clinical-task-not-in-section", "Task", 0), ("consent-not-in-section", "Consent", 0),
    ("location-not-in-section", "Location", 0),
]:
    def _edit(doc: dict, t: str = _type, i: int = _index) -> None:
        unsection(doc, res(doc, t, i))

    _edit.__doc__ = f"No Composition section references the {_type}."
    # Send Update nests its sections: its Observation case shows nested sections are searched.
    CATALOGUE.append(Mutation(_rule, "not-in-any-section", ("oc", "su") if _type == "Observation" else ("oc",), _edit))


# ---- List ---------------------------------------------------------------------------------------


@mutation("list-missing-for-observations", "observations-without-list", ("oc", "su"))
def _no_list(doc: dict) -> None:
    """The List is removed; the two Observations stay."""
    remove(doc, res(doc, "List"))


set_value("List", "status", "retired", "list-status-not-current", "retired")
set_value("List", "mode", "changes", "list-mode-not-snapshot", "changes")
delete("List", "title", "list-title-missing")
set_value("List", "title", "Online consultation answers", "list-title-not-code-display", "own-title")
set_value("List", "code", snomed("1102421000000108", "Miscellaneous record"), "list-code-wrong", "other-code")
set_value("List", "code", {"coding": [{"system": "https://consult.example.org/fhir/CodeSystem/list-type",
                                       "code": "answers", "display": "Miscellaneous record"}]},
          "list-code-wrong", "local-code-only")
point("List", "subject", practitioner, "list-subject-not-patient", "subject-practitioner")


@mutation("list-observation-not-listed", "second-observation-unlisted", ("oc", "su"))
def _unlisted(doc: dict) -> None:
    """The List names only the first Observation."""
    res(doc, "List")["entry"].pop()


# ---- Observation --------------------------------------------------------------------------------

set_value("Observation", "status", "amended", "observation-status-invalid", "amended")
delete("Observation", "category", "observation-category-missing")
set_value("Observation", "code", {"text": "Body weight"}, "observation-code-not-coded", "text-only")
point("Observation", "subject", encounter, "observation-subject-not-patient", "subject-encounter")
delete("Observation", "issued", "observation-issued-missing")
point("Observation", "performer", practitioner, "observation-performer-not-patient", "performer-practitioner")
delete("Observation", "valueBoolean", "observation-value-missing", index=1, case="no-value")

# ---- Questionnaire ------------------------------------------------------------------------------

set_value("Questionnaire", "status", "draft", "questionnaire-status-not-active", "draft")
for _el, _rule in [("version", "questionnaire-version-missing"), ("name", "questionnaire-name-missing"),
                   ("title", "questionnaire-title-missing"), ("date", "questionnaire-date-missing"),
                   ("description", "questionnaire-description-missing"),
                   ("effectivePeriod", "questionnaire-effective-period-missing"),
                   ("item", "questionnaire-item-missing")]:
    delete("Questionnaire", _el, _rule)

# ---- QuestionnaireResponse ----------------------------------------------------------------------

set_value("QuestionnaireResponse", "status", "in-progress", "questionnaire-response-status-not-completed", "in-progress")
point("QuestionnaireResponse", "subject", encounter, "questionnaire-response-subject-not-patient", "subject-encounter")
delete("QuestionnaireResponse", "authored", "questionnaire-response-authored-missing")
delete("QuestionnaireResponse", "item", "questionnaire-response-item-missing")


@mutation("questionnaire-response-item-link-id-missing", "nested-item-without-link-id")
def _no_link_id(doc: dict) -> None:
    """The nested item 3.1 has no `linkId`."""
    del res(doc, "QuestionnaireResponse")["item"][2]["item"][0]["linkId"]


@mutation("questionnaire-response-item-text-missing", "answered-item-without-text")
def _no_text(doc: dict) -> None:
    """Item 2 has an answer but no `text`."""
    del res(doc, "QuestionnaireResponse")["item"][1]["text"]


@mutation("questionnaire-response-answer-value-missing", "answer-with-only-nested-item")
def _no_answer_value(doc: dict) -> None:
    """Item 1's answer holds a nested item instead of a value."""
    res(doc, "QuestionnaireResponse")["item"][0]["answer"] = [{"item": [
        {"linkId": "1.1", "text": "Please describe the problem", "answer": [{"valueString": "Breathless on stairs"}]},
    ]}]


# ---- ReferralRequest ----------------------------------------------------------------------------

set_value("ReferralRequest", "status", "active", "referral-status-not-unknown", "active")
set_value("ReferralRequest", "intent", "proposal", "referral-intent-not-order", "proposal")
point("ReferralRequest", "subject", practitioner, "referral-subject-not-patient", "subject-practitioner")
delete("ReferralRequest", "context", "referral-context-not-encounter")
delete("ReferralRequest", "requester", "referral-requester-missing")
point("ReferralRequest", "agent", encounter, "referral-requester-agent-invalid", "agent-encounter", path=("requester",))
delete("ReferralRequest", "recipient", "referral-recipient-missing")
delete("ReferralRequest", "reasonCode", "referral-reason-code-missing")
delete("ReferralRequest", "description", "referral-description-missing")
delete("ReferralRequest", "supportingInfo", "referral-supporting-info-missing")

# ---- DocumentReference --------------------------------------------------------------------------

delete("DocumentReference", "status", "document-reference-status-invalid")
set_value("DocumentReference", "type", {"coding": [{"system": SNOMED, "display": "Report of clinical encounter"}]},
          "document-reference-type-not-coded", "coding-without-code")
set_value("DocumentReference", "type",
          {"coding": [{"system": "https://consult.example.org/fhir/CodeSystem/document-type", "code": "CONSULT",
                       "display": "Consultation report"}]},
          "document-reference-type-not-snomed", "local-code")
point("DocumentReference", "subject", practitioner, "document-reference-subject-not-patient", "subject-practitioner")
point("DocumentReference", "author", encounter, "document-reference-author-invalid", "author-encounter")
delete("DocumentReference", "content", "document-reference-content-missing")
delete("DocumentReference", "context", "document-reference-context-missing")

# ---- AllergyIntolerance -------------------------------------------------------------------------


@mutation("allergy-encounter-missing", "no-encounter-extension")
def _no_encounter_ext(doc: dict) -> None:
    """The AllergyIntolerance has no `encounter` extension."""
    a = res(doc, "AllergyIntolerance")
    a["extension"] = [x for x in a["extension"] if x["url"] != ENC_URL]


@mutation("allergy-end-missing", "resolved-without-allergy-end")
def _no_end(doc: dict) -> None:
    """The resolved AllergyIntolerance has no `allergyEnd` extension."""
    a = res(doc, "AllergyIntolerance")
    a["extension"] = [x for x in a["extension"] if x["url"] != END_URL]


@mutation("allergy-end-reason-missing", "no-reason-ended")
def _no_end_reason(doc: dict) -> None:
    """The `allergyEnd` extension has an `endDate` but no `reasonEnded`."""
    end = next(x for x in res(doc, "AllergyIntolerance")["extension"] if x["url"] == END_URL)
    end["extension"] = [x for x in end["extension"] if x["url"] != "reasonEnded"]


set_value("AllergyIntolerance", "clinicalStatus", "inactive", "allergy-clinical-status-invalid", "inactive")
set_value("AllergyIntolerance", "verificationStatus", "confirmed", "allergy-verification-status-not-unconfirmed", "confirmed")
set_value("AllergyIntolerance", "category", ["food"], "allergy-category-invalid", "food")
delete("AllergyIntolerance", "type", "allergy-type-missing")
delete("AllergyIntolerance", "criticality", "allergy-criticality-missing")
delete("AllergyIntolerance", "code", "allergy-code-missing")
point("AllergyIntolerance", "patient", practitioner, "allergy-patient-reference-wrong", "patient-practitioner")


@mutation("allergy-onset-not-date-time", "onset-string")
def _onset_string(doc: dict) -> None:
    """The onset is `onsetString` `childhood` instead of a dateTime."""
    rename(res(doc, "AllergyIntolerance"), "onsetDateTime", "onsetString", "childhood")


delete("AllergyIntolerance", "assertedDate", "allergy-asserted-date-missing")
delete("AllergyIntolerance", "recorder", "allergy-recorder-missing")
delete("AllergyIntolerance", "asserter", "allergy-asserter-missing")
delete("AllergyIntolerance", "lastOccurrence", "allergy-last-occurrence-missing")


@mutation("allergy-manifestation-not-coded", "manifestation-text-only")
def _manifestation_text(doc: dict) -> None:
    """The reaction's manifestation is text only."""
    res(doc, "AllergyIntolerance")["reaction"][0]["manifestation"] = [{"text": "itchy rash"}]


@mutation("allergy-reaction-severity-missing", "no-severity")
def _no_severity(doc: dict) -> None:
    """The reaction has no `severity`."""
    del res(doc, "AllergyIntolerance")["reaction"][0]["severity"]


@mutation("allergy-exposure-route-not-dmd", "route-text-only")
def _route_text(doc: dict) -> None:
    """The reaction's exposure route is text only."""
    res(doc, "AllergyIntolerance")["reaction"][0]["exposureRoute"] = {"text": "by mouth"}


# ---- FamilyMemberHistory ------------------------------------------------------------------------

delete("FamilyMemberHistory", "status", "family-history-status-invalid")
point("FamilyMemberHistory", "patient", practitioner, "family-history-patient-reference-wrong", "patient-practitioner")
set_value("FamilyMemberHistory", "relationship", {"text": "Mum"}, "family-history-relationship-not-coded", "text-only")
point("FamilyMemberHistory", "reasonReference", encounter, "family-history-reason-reference-invalid", "reason-encounter")
delete("FamilyMemberHistory", "note", "family-history-note-missing")
delete("FamilyMemberHistory", "condition", "family-history-condition-missing")

# ---- Task ---------------------------------------------------------------------------------------

set_value("Task", "status", "in-progress", "clinical-task-status-not-requested", "in-progress")
delete("Task", "statusReason", "clinical-task-status-reason-missing")
set_value("Task", "intent", "instance-order", "clinical-task-intent-invalid", "instance-order")
for _el in ["priority", "code", "owner", "reason", "note", "restriction", "input", "output"]:
    delete("Task", _el, f"clinical-task-{_el}-missing")
point("Task", "for", practitioner, "clinical-task-for-not-patient", "for-practitioner")
delete("Task", "context", "clinical-task-context-not-encounter")
point("Task", "agent", encounter, "clinical-task-requester-agent-invalid", "agent-encounter", path=("requester",))

# ---- Consent ------------------------------------------------------------------------------------

set_value("Consent", "status", "draft", "consent-status-invalid", "draft")
point("Consent", "patient", practitioner, "consent-patient-reference-wrong", "patient-practitioner")
for _el, _rule in [("category", "consent-category-missing"), ("period", "consent-period-missing"),
                   ("consentingParty", "consent-consenting-party-missing"), ("action", "consent-action-missing"),
                   ("sourceReference", "consent-source-missing"), ("policy", "consent-policy-missing"),
                   ("purpose", "consent-purpose-missing"), ("dataPeriod", "consent-data-period-missing"),
                   ("data", "consent-data-missing"), ("except", "consent-except-missing")]:
    delete("Consent", _el, _rule)

# ---- Location (OC-168...173, GE/SU-141...146) ---------------------------------------------------

_BOTH = ("oc", "ge")
set_value("Location", "identifier", [{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "A12345"}],
          "location-site-code-missing", "organisation-code-only", _BOTH)
set_value("Location", "status", "inactive", "location-status-not-active", "inactive", _BOTH)
delete("Location", "name", "location-name-missing", _BOTH)
delete("Location", "type", "location-type-missing", _BOTH)
set_value("Location", "telecom", [{"system": "email", "value": "quay.street@riverside.example.org", "use": "work"}],
          "location-phone-missing", "email-only", _BOTH)
delete("Location", "address", "location-address-missing", _BOTH)


# --------------------------------------------------------------------------------------------
# Planning, writing, checking
# --------------------------------------------------------------------------------------------


def pack_rules() -> list[str]:
    return [r["name"] for r in tomllib.loads(PACK.read_text(encoding="utf-8"))["rule"]]


def release_of(rel_dir: str) -> str:
    return rel_dir.split("+")[0]


def plan() -> tuple[list[ms.Planned], list[str]]:
    problems: list[str] = []
    files: list[ms.Planned] = []
    bases = use_case_bases()
    samples = structured_samples(bases)
    for stem, (rel_dir, doc) in samples.items():
        path = SAMPLES / stem
        files.append(ms.Planned(path.with_suffix(".json"), ms.to_json(doc), release_of(rel_dir), None))
        files.append(ms.Planned(path.with_suffix(".xml"), ms.to_xml(doc), release_of(rel_dir), None))
    rules = pack_rules()
    for m in CATALOGUE:
        if m.rule not in rules:
            problems.append(f"mutation {m.rule}/{m.case}: no such rule in {PACK.name}")
    seen: set[Path] = set()
    for name in rules:
        mutations = [m for m in CATALOGUE if m.rule == name]
        if not mutations:
            problems.append(f"{name}: no mutation")
        for m in mutations:
            for key in m.bases:
                stem, prefix = MUTATION_BASES[key]
                base, rel_dir, salt = STRUCTURED[stem]
                start = add_structured(bases[base], salt, only=group_of(name), nest=stem in NESTED)
                doc = copy.deepcopy(start)
                m.edit(doc)
                text = ms.to_json(doc)
                if text == ms.to_json(start):
                    problems.append(f"{name}/{key}/{m.case}: the mutation changes nothing")
                path = SAMPLES / "invalid" / name / rel_dir / f"{prefix}{m.case}"
                if path in seen:
                    problems.append(f"{name}/{rel_dir}: case {prefix}{m.case} twice")
                seen.add(path)
                files.append(ms.Planned(path.with_suffix(".json"), text, release_of(rel_dir), name))
                files.append(ms.Planned(path.with_suffix(".xml"), ms.to_xml(doc), release_of(rel_dir), name))
    return files, problems


def stale_files(files: list[ms.Planned]) -> list[Path]:
    wanted = {f.path for f in files}
    owned = [p for stem in STRUCTURED for p in (SAMPLES / f"{stem}.json", SAMPLES / f"{stem}.xml")]
    for name in pack_rules():
        d = SAMPLES / "invalid" / name
        if d.is_dir():
            owned += [p for p in sorted(d.rglob("*")) if p.is_file() and p.suffix in (".json", ".xml")]
    return [p for p in owned if p.exists() and p not in wanted]


def main() -> int:
    return ms.run(__doc__, "make_clin1_samples.py", plan, stale_files, ms.stale_dirs, ms.verify)


if __name__ == "__main__":
    sys.exit(main())
