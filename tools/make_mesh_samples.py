#!/usr/bin/env python3
"""Generates the MESH samples of gpcm-validate (Python 3.11, stdlib only).

Run from the crate root:

    python3 tools/make_mesh_samples.py            write every owned file, print what changed
    python3 tools/make_mesh_samples.py --check    exit 1 if an owned file is missing, differs
                                                  from what would be written, or is stale

What it writes:

1. **Valid metadata** `samples/valid/mesh/<release>/<case>.{ctl,headers}`: the control file and
   MESH API headers that travel with the valid message of the release
   (`samples/valid/<release>/…`): the same patient, sender mailbox and ODS code, so they are
   clean alone (with `--spec <release>`) and clean paired with that message
   (`--ctl` / `--headers`). 1.6.0 also has a JSON header object, online-consultation metadata,
   and an acknowledgement: the ITK3 response to the valid 1.6.0 request (as
   `tools/make_samples.py` derives it) with its own control file and headers.
2. **Single-file failing samples** `samples/invalid/<rule>/<release>/<case>.{ctl,headers}`: a
   valid base with one defect (`MUTATIONS`), breaking that rule only.
3. **Pairing fixtures** `samples/invalid/<rule>/<release>/<case>/`: small MESH-client-style
   folders (a message with its `.ctl` or `.headers`, a request with its responses) for the rules
   that compare files. `tests/pairing.rs` validates each folder as a directory run (or, for a
   case named `explicit-…`, with `--ctl` / `--headers` / `--response`).

Owned: all of `samples/valid/mesh/`, and `samples/invalid/<rule>/` for every rule of
`profiles/packs/mesh/*.toml` and the two unpairing rules. A file there that this script does
not produce is stale: `--check` fails on it and a normal run deletes it.

To add a case: add a `Case(...)` to `MUTATIONS` (single file) or a fixture to `fixtures()`,
run the script, then `INSTA_UPDATE=always cargo test --test samples --test pairing` and review
the new snapshots.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import sys
import tomllib
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
PACKS = ROOT / "profiles" / "packs" / "mesh"
sys.path.insert(0, str(ROOT / "tools"))
import make_samples as ms  # noqa: E402  (the FHIR JSON/XML writer and the response builder)

# Rules that are not in a pack (file-level, src/mesh/pair.rs) but have samples here.
FILE_RULES = ["mesh-control-unpaired", "mesh-data-unpaired"]


# --------------------------------------------------------------------------------------------
# The valid bases: what the metadata of each release's valid message says
# --------------------------------------------------------------------------------------------


@dataclass
class Base:
    message: str  # stem under samples/, without extension
    sender: str  # MESH mailbox = MessageHeader.source.endpoint
    ods: str  # sender Organization ODS code
    nhs: str
    born: tuple[int, int, int]
    family: str
    subject: str
    workflow: str
    date_format: str  # "DDMMYYYY" or "YYYYMMDD"

    def birth(self, fmt: str | None = None) -> str:
        y, m, d = self.born
        return f"{d:02}{m:02}{y:04}" if (fmt or self.date_format) == "DDMMYYYY" else f"{y:04}{m:02}{d:02}"

    def to(self, nhs: str | None = None, birth: str | None = None, family: str | None = None) -> str:
        return f"GPPROVIDER_{nhs or self.nhs}_{birth or self.birth()}_{family or self.family}"


CS_SUBJECT = "Consultation report for Harriet Fernley, NHS Number 9993456780, seen at Riverside Health Hub, ODS Code A12345, Version 1"
FERNLEY = dict(sender="A12345OT001", ods="A12345", nhs="9993456780", born=(1987, 6, 23), family="Fernley")
BASES = {
    "1.2.1": Base(
        message="valid/1.2.1/federated-consultation-report",
        sender="A23456OT001",
        ods="A23456",
        nhs="9994567896",
        born=(1972, 11, 5),
        family="Brackley",
        subject="Federated consultation report for Oliver Brackley , NHS Number 9994567896, seen at Northgate Federated Practice, ODS Code A23456, Version 1",
        workflow="GPFED_CONSULT_REPORT",
        date_format="DDMMYYYY",
    ),
    "1.3.0": Base(message="valid/1.3.0/consultation-report", subject=CS_SUBJECT, workflow="GPFED_CONSULT_REPORT", date_format="DDMMYYYY", **FERNLEY),
    "1.6.0": Base(message="valid/1.6.0/consultation-report", subject=CS_SUBJECT, workflow="GPFED_CONSULT_REPORT", date_format="DDMMYYYY", **FERNLEY),
    "2.0.0": Base(
        message="valid/2.0.0/consultation-report",
        subject="Consultation report for Harriet Fernley, NHS Number: 9993456780, seen at Riverside Health Hub, A12345, Version: 1",
        workflow="GPCONNECT_SEND_DOCUMENT",
        date_format="YYYYMMDD",
        **FERNLEY,
    ),
}
STEM = {"1.2.1": "federated-consultation-report"}
RESPONDER = ms.RESPONDER_ODS + "OT001"
OC_SUBJECT = "Online consultation report for Harriet Fernley, NHS Number 9993456780, ODS Code A12345, Version 1"

# Logical field → (control-file element, header name).
FIELDS = {
    "from": ("From_DTS", "Mex-From"),
    "to": ("To_DTS", "Mex-To"),
    "subject": ("Subject", "Mex-Subject"),
    "local": ("LocalId", "Mex-LocalID"),
    "workflow": ("WorkflowId", "Mex-WorkflowID"),
}


class Meta:
    """A control file or header set as an ordered list of (name, value)."""

    def __init__(self, kind: str, fields: list[list[str]], request_line: str = "", as_json: bool = False):
        self.kind = kind
        self.fields = fields
        self.request_line = request_line
        self.as_json = as_json

    def name(self, key: str) -> str:
        return FIELDS[key][0 if self.kind == "ctl" else 1] if key in FIELDS else key

    def index(self, key: str) -> int:
        n = self.name(key)
        return next(i for i, (k, _) in enumerate(self.fields) if k == n)

    def get(self, key: str) -> str:
        return self.fields[self.index(key)][1]

    def set(self, key: str, value: str) -> None:
        self.fields[self.index(key)][1] = value

    def remove(self, key: str) -> None:
        del self.fields[self.index(key)]

    def rename(self, key: str, new: str) -> None:
        self.fields[self.index(key)][0] = new

    def add(self, name: str, value: str, after: str | None = None) -> None:
        at = self.index(after) + 1 if after else len(self.fields)
        self.fields.insert(at, [name, value])

    def text(self) -> str:
        if self.kind == "ctl":
            esc = lambda v: v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            body = "".join(f"<{k}>{esc(v)}</{k}>\n" for k, v in self.fields)
            return f"<DTSControl>\n{body}</DTSControl>\n"
        if self.as_json:
            return json.dumps(dict(self.fields), indent=2, ensure_ascii=False) + "\n"
        lines = [self.request_line] + [f"{k}: {v}" for k, v in self.fields]
        return "\n".join(lines) + "\n"


def authorization(mailbox: str, salt: str) -> str:
    nonce = uuid.uuid5(uuid.NAMESPACE_URL, f"gpcm-validate/samples/mesh/{salt}")
    digest = hashlib.sha256(f"{mailbox}:{nonce}:{salt}".encode()).hexdigest()
    return f"NHSMESH {mailbox}:{nonce}:1:202406011200:{digest}"


def control(base: Base, subject: str | None = None, to: str | None = None, **over: str) -> Meta:
    fields = [
        ["Version", "1.0"],
        ["AddressType", "DTS"],
        ["MessageType", "Data"],
        ["From_DTS", over.get("sender", base.sender)],
        ["To_DTS", to or base.to()],
        ["Subject", subject or base.subject],
        ["LocalId", over.get("ods", base.ods)],
        ["DTSId", ""],
        ["PartnerId", ""],
        ["Compress", "Y"],
        ["Encrypted", "N"],
        ["WorkflowId", over.get("workflow", base.workflow)],
        ["ProcessId", ""],
        ["DataChecksum", ""],
        ["IsCompressed", "N"],
    ]
    return Meta("ctl", fields)


def headers(base: Base, file_name: str, subject: str | None = None, to: str | None = None, as_json: bool = False, **over: str) -> Meta:
    sender = over.get("sender", base.sender)
    fields = [
        ["Authorization", authorization(sender, file_name)],
        ["Mex-From", sender],
        ["Mex-To", to or base.to()],
        ["Mex-WorkflowID", over.get("workflow", base.workflow)],
        ["Mex-Subject", subject or base.subject],
        ["Mex-LocalID", over.get("ods", base.ods)],
        ["Mex-FileName", file_name],
        ["Mex-Content-Compressed", "N"],
        ["Mex-Content-Encrypted", "N"],
        ["Mex-Content-Checksum", "md5:" + hashlib.md5(file_name.encode()).hexdigest()],
        ["Content-Type", "application/xml" if file_name.endswith((".xml", ".dat")) else "application/fhir+json"],
    ]
    return Meta("headers", fields, f"POST /messageexchange/{sender}/outbox HTTP/1.1", as_json)


def request_json(release: str) -> dict:
    return ms.load_json(SAMPLES / (BASES[release].message + ".json"))


def message_xml(release: str) -> str:
    return (SAMPLES / (BASES[release].message + ".xml")).read_text(encoding="utf-8")


def response_of(release: str) -> dict:
    return ms.derive_response(request_json(release), release)


def ack_meta(kind: str, release: str, file_name: str) -> Meta:
    """The MESH metadata of the ITK3 response: from the registered practice back to the
    sender's mailbox, on the acknowledgement workflow."""
    base = BASES[release]
    over = dict(sender=RESPONDER, ods=ms.RESPONDER_ODS, workflow=base.workflow + "_ACK")
    if kind == "ctl":
        return control(base, to=base.sender, **over)
    return headers(base, file_name, to=base.sender, **over)


# --------------------------------------------------------------------------------------------
# Valid samples
# --------------------------------------------------------------------------------------------


def valid_files() -> dict[Path, str]:
    out: dict[Path, str] = {}
    for release, base in BASES.items():
        stem = STEM.get(release, "consultation-report")
        d = SAMPLES / "valid" / "mesh" / release
        out[d / f"{stem}.ctl"] = control(base).text()
        out[d / f"{stem}.headers"] = headers(base, f"{stem}.xml").text()
    d = SAMPLES / "valid" / "mesh" / "1.6.0"
    base = BASES["1.6.0"]
    out[d / "consultation-report-json.headers"] = headers(base, "consultation-report.json", as_json=True).text()
    out[d / "online-consultation.ctl"] = control(base, subject=OC_SUBJECT).text()
    # An online consultation's API send addresses the recipient's mailbox (endpoint lookup).
    out[d / "online-consultation.headers"] = headers(base, "online-consultation.xml", subject=OC_SUBJECT, to=RESPONDER).text()
    response = response_of("1.6.0")
    out[d / "acknowledgement.json"] = ms.to_json(response)
    out[d / "acknowledgement.xml"] = ms.to_xml(response)
    out[d / "acknowledgement.ctl"] = ack_meta("ctl", "1.6.0", "acknowledgement.xml").text()
    out[d / "acknowledgement.headers"] = ack_meta("headers", "1.6.0", "acknowledgement.xml").text()
    return out


# --------------------------------------------------------------------------------------------
# Single-file failing samples
# --------------------------------------------------------------------------------------------


@dataclass
class Case:
    rule: str
    case: str
    kinds: tuple[str, ...]  # "ctl", "headers"
    releases: tuple[str, ...]
    edit: Callable[[Meta, Base], None]
    base: str = "request"  # "request", "oc" (online consultation), "ack", "json" (JSON headers)



def setter(key: str, value: Callable[[Base], str] | str) -> Callable[[Meta, Base], None]:
    def edit(m: Meta, b: Base) -> None:
        m.set(key, value(b) if callable(value) else value)

    return edit


def remover(key: str) -> Callable[[Meta, Base], None]:
    return lambda m, b: m.remove(key)


def adder(name: str, value: str, after: str | None = None) -> Callable[[Meta, Base], None]:
    return lambda m, b: m.add(name, value, after)


def tab_in_subject(m: Meta, b: Base) -> None:
    m.set("subject", m.get("subject").replace("Harriet ", "Harriet\t", 1))


CTL, HDR, BOTH = ("ctl",), ("headers",), ("ctl", "headers")
MUTATIONS: list[Case] = [
    # The MESH client's control-file rules.
    Case("ctl-element-missing", "no-version", CTL, ("1.6.0",), remover("Version")),
    Case("ctl-element-missing", "no-message-type", CTL, ("1.2.1",), remover("MessageType")),
    Case("ctl-version-wrong", "document-version-1", CTL, ("1.6.0", "2.0.0"), setter("Version", "1")),
    Case("ctl-address-type-wrong", "smtp", CTL, ("1.6.0",), setter("AddressType", "SMTP")),
    Case("ctl-message-type-wrong", "upper-case", CTL, ("1.6.0",), setter("MessageType", "DATA")),
    Case("ctl-flag-invalid", "compress-yes", CTL, ("1.6.0",), setter("Compress", "Yes")),
    Case("ctl-flag-invalid", "is-compressed-lower-case", CTL, ("2.0.0",), setter("IsCompressed", "n")),
    Case("ctl-element-unknown", "local-id-misspelt", CTL, ("1.2.1",), lambda m, b: m.rename("local", "LocalID")),
    Case("ctl-element-unknown", "extra-element", CTL, ("1.6.0",), adder("Priority", "routine", after="subject")),
    Case("ctl-element-too-long", "partner-id-501", CTL, ("1.6.0",), setter("PartnerId", "P" * 501)),
    Case("ctl-control-character", "tab-in-subject", CTL, ("1.6.0",), tab_in_subject),
    # MESH API headers.
    Case("mex-header-too-long", "partner-id-501", HDR, ("1.6.0",), adder("Mex-PartnerID", "P" * 501)),
    Case("mex-header-control-character", "tab-in-subject", HDR, ("1.6.0",), tab_in_subject),
    Case("mex-header-control-character", "tab-in-subject-json", HDR, ("1.6.0",), tab_in_subject, base="json"),
    Case("mex-content-flag-invalid", "compressed-true", HDR, ("1.6.0",), setter("Mex-Content-Compressed", "true")),
    Case("mex-checksum-invalid", "equals-sign", HDR, ("1.6.0",), setter("Mex-Content-Checksum", "md5=b10a8db164e0754105b7a99be72e3fe5")),
    Case("mex-chunk-range-invalid", "chunk-zero", HDR, ("1.6.0",), adder("Mex-Chunk-Range", "0:3")),
    Case("mex-content-encoding-unsupported", "brotli", HDR, ("1.6.0",), adder("Content-Encoding", "br")),
    Case("mex-authorization-invalid", "password-in-token", HDR, ("1.6.0",), setter("Authorization", "NHSMESH A12345OT001:password")),
    # Sender mailbox.
    Case("ctl-from-dts-invalid", "lower-case", CTL, ("1.2.1", "1.6.0"), setter("from", lambda b: b.sender.lower())),
    Case("ctl-from-dts-invalid", "placeholder", CTL, ("1.3.0",), setter("from", "SENDER_MESH_MAILBOX_ID")),
    Case("ctl-from-dts-invalid", "missing", CTL, ("2.0.0",), remover("from")),
    Case("mex-from-invalid", "lower-case", HDR, ("1.2.1",), setter("from", lambda b: b.sender.lower())),
    Case("mex-from-invalid", "missing", HDR, ("1.6.0", "2.0.0"), remover("from")),
    # Recipient address.
    Case("ctl-to-dts-invalid", "nhs-number-check-digit", CTL, ("1.6.0",), setter("to", lambda b: b.to(nhs="9993456781"))),
    Case("ctl-to-dts-invalid", "nhs-number-nine-digits", CTL, ("1.6.0",), setter("to", lambda b: b.to(nhs="999345678"))),
    Case("ctl-to-dts-invalid", "birth-date-not-a-date", CTL, ("1.6.0",), setter("to", lambda b: b.to(birth="31021987"))),
    Case("ctl-to-dts-invalid", "birth-date-future", CTL, ("1.6.0",), setter("to", lambda b: b.to(birth="01012999"))),
    Case("ctl-to-dts-invalid", "prefix-lower-case", CTL, ("1.6.0",), setter("to", lambda b: b.to().replace("GPPROVIDER", "GPProvider"))),
    Case("ctl-to-dts-invalid", "mailbox-id", CTL, ("1.6.0",), setter("to", RESPONDER)),
    Case("ctl-to-dts-invalid", "no-surname", CTL, ("1.6.0",), setter("to", lambda b: b.to()[: -len(b.family)])),
    Case("ctl-to-dts-invalid", "missing-parts", CTL, ("1.6.0",), setter("to", lambda b: b.to().rsplit("_", 1)[0])),
    Case("ctl-to-dts-invalid", "missing", CTL, ("1.3.0",), remover("to")),
    Case("ctl-to-dts-invalid", "spec-example-nhs-number", CTL, ("1.2.1",), setter("to", lambda b: b.to(nhs="1234567890"))),
    Case("ctl-to-dts-invalid", "birth-date-iso", CTL, ("2.0.0",), setter("to", lambda b: b.to(birth="1987-06-23"))),
    Case("mex-to-invalid", "birth-date-iso", HDR, ("1.6.0",), setter("to", lambda b: b.to(birth="1987-06-23"))),
    Case("mex-to-invalid", "nhs-number-check-digit", HDR, ("1.3.0",), setter("to", lambda b: b.to(nhs="9993456781"))),
    Case("mex-to-invalid", "mailbox-id", HDR, ("1.2.1",), setter("to", RESPONDER)),
    Case("mex-to-invalid", "missing", HDR, ("2.0.0",), remover("to")),
    Case("mex-to-invalid", "url", HDR, ("1.6.0",), setter("to", "https://mesh.example.nhs.uk/" + RESPONDER), base="oc"),
    Case("mesh-address-date-format", "year-first", BOTH, ("1.6.0",), setter("to", lambda b: b.to(birth=b.birth("YYYYMMDD")))),
    Case("mesh-address-date-format", "day-first", BOTH, ("2.0.0",), setter("to", lambda b: b.to(birth=b.birth("DDMMYYYY")))),
    Case("mesh-address-surname-characters", "digit", BOTH, ("1.6.0",), setter("to", lambda b: b.to(family=b.family + "2"))),
    Case("mesh-address-surname-characters", "underscore", CTL, ("2.0.0",), setter("to", lambda b: b.to(family=b.family + "_Smith"))),
    Case("mesh-ack-to-invalid", "lower-case-mailbox", BOTH, ("1.6.0",), setter("to", lambda b: b.sender.lower()), base="ack"),
    Case("mesh-ack-to-invalid", "missing", HDR, ("1.6.0",), remover("to"), base="ack"),
    # Subject.
    Case("ctl-subject-invalid", "nhs-number-spaced", CTL, ("1.6.0",), setter("subject", lambda b: b.subject.replace("9993456780", "999 345 6780"))),
    Case("ctl-subject-invalid", "no-version", CTL, ("1.3.0",), setter("subject", lambda b: b.subject.rsplit(", Version", 1)[0])),
    Case("ctl-subject-invalid", "no-practice", CTL, ("1.2.1",), setter("subject", lambda b: b.subject.replace(", seen at Northgate Federated Practice", ""))),
    Case("ctl-subject-invalid", "v1-format", CTL, ("2.0.0",), setter("subject", CS_SUBJECT)),
    Case("ctl-subject-invalid", "no-ods-code", CTL, ("1.6.0",), setter("subject", lambda b: OC_SUBJECT.replace("ODS Code ", "")), base="oc"),
    Case("ctl-subject-invalid", "missing", CTL, ("1.3.0",), remover("subject")),
    Case("mex-subject-invalid", "nhs-number-spaced", HDR, ("1.6.0",), setter("subject", lambda b: b.subject.replace("9993456780", "999 345 6780"))),
    Case("mex-subject-invalid", "no-version", HDR, ("1.3.0",), setter("subject", lambda b: b.subject.rsplit(", Version", 1)[0])),
    Case("mex-subject-invalid", "no-practice", HDR, ("1.2.1",), setter("subject", lambda b: b.subject.replace(", seen at Northgate Federated Practice", ""))),
    Case("mex-subject-invalid", "v1-format", HDR, ("2.0.0",), setter("subject", CS_SUBJECT)),
    Case("mesh-subject-version-missing", "no-version", BOTH, ("1.6.0", "1.2.1"), setter("subject", lambda b: b.subject.rsplit(", Version", 1)[0])),
    # LocalId.
    Case("ctl-local-id-invalid", "empty", CTL, ("1.6.0",), setter("local", "")),
    Case("ctl-local-id-invalid", "missing", CTL, ("1.3.0",), remover("local")),
    Case("mex-local-id-invalid", "missing", HDR, ("1.6.0",), remover("local")),
    Case("mex-local-id-invalid", "lower-case", HDR, ("1.3.0",), setter("local", lambda b: b.ods.lower())),
    # Workflow.
    Case("mesh-workflow-id-wrong", "v2-workflow", BOTH, ("1.6.0",), setter("workflow", "GPCONNECT_SEND_DOCUMENT")),
    Case("mesh-workflow-id-wrong", "v1-workflow", BOTH, ("2.0.0",), setter("workflow", "GPFED_CONSULT_REPORT")),
    Case("mesh-workflow-id-wrong", "placeholder", CTL, ("1.2.1",), setter("workflow", "TBC:WorkflowID")),
    Case("mesh-workflow-id-wrong", "missing", HDR, ("1.3.0",), remover("workflow")),
]


def base_meta(case: Case, kind: str, release: str) -> Meta:
    base = BASES[release]
    stem = STEM.get(release, "consultation-report")
    if case.base == "oc":
        return control(base, subject=OC_SUBJECT) if kind == "ctl" else headers(base, "online-consultation.xml", subject=OC_SUBJECT, to=RESPONDER)
    if case.base == "ack":
        return ack_meta(kind, release, "acknowledgement.xml")
    if case.base == "json":
        return headers(base, f"{stem}.json", as_json=True)
    return control(base) if kind == "ctl" else headers(base, f"{stem}.xml")


def mutated_files() -> dict[Path, str]:
    out: dict[Path, str] = {}
    for case in MUTATIONS:
        for release in case.releases:
            for kind in case.kinds:
                m = base_meta(case, kind, release)
                m.fields = copy.deepcopy(m.fields)
                case.edit(m, BASES[release])
                ext = "ctl" if kind == "ctl" else "headers"
                path = SAMPLES / "invalid" / case.rule / release / f"{case.case}.{ext}"
                assert path not in out, f"two cases write {path}"
                out[path] = m.text()
    return out


def status_record(indent: str, **parts: str) -> str:
    body = "".join(f"{indent}  <{k}>{v}</{k}>\n" for k, v in parts.items())
    return f"{indent}<StatusRecord>\n{body}{indent}</StatusRecord>\n"


def report_files() -> dict[Path, str]:
    """MESH reports: a bare StatusRecord (the error report in the sender's inbox), a received
    report control file, a sent control file with MESH's status record."""
    d = lambda rule: SAMPLES / "invalid" / rule / "1.6.0"
    out: dict[Path, str] = {}
    out[d("mesh-report-error") / "epl-151-status-record.ctl"] = status_record(
        "", DateTime="20240601101500", Event="SEND", Status="ERROR", StatusCode="EPL-151", Description="No mailbox matched"
    )
    received = control(BASES["1.6.0"])
    received.set("AddressType", "ALL")
    received.set("MessageType", "Report")
    received.set("DTSId", "20240601101500123456_A1B2C3")
    text = received.text().replace(
        "</DTSControl>\n",
        status_record("", DateTime="20240601101500", Event="SEND", Status="ERROR", StatusCode="EPL-154", Description="NHS Number supplied does not match the demographics")
        + "</DTSControl>\n",
    )
    out[d("mesh-report-error") / "epl-154-received-report.ctl"] = text
    out[d("mesh-report-error") / "unknown-code.ctl"] = status_record(
        "", DateTime="20240601101500", Event="SEND", Status="ERROR", StatusCode="99", Description="Something went wrong"
    )
    sent = control(BASES["1.6.0"])
    sent.set("DTSId", "20240601101500123456_A1B2C3")
    out[d("mesh-report-success") / "sent-control-file.ctl"] = sent.text().replace(
        "</DTSControl>\n",
        status_record("", DateTime="20240601101500", Event="TRANSFER", Status="SUCCESS", StatusCode="00", Description="Transferred to recipient mailbox")
        + "</DTSControl>\n",
    )
    out[d("mesh-report-date-time-invalid") / "iso-date-time.ctl"] = status_record(
        "", DateTime="2024-06-01 10:15:00", Event="SEND", Description="Message sent"
    )
    out[d("mesh-report-status-invalid") / "failed.ctl"] = status_record(
        "", DateTime="20240601101500", Event="SEND", Status="FAILED", Description="Message not sent"
    )
    return out


# --------------------------------------------------------------------------------------------
# Pairing fixtures
# --------------------------------------------------------------------------------------------


def other_nhs() -> str:
    """A valid test-range NHS number that is not the patient's."""
    for n in range(999_000_000, 999_001_000):
        digits = str(n)
        total = sum(int(c) * w for c, w in zip(digits, range(10, 1, -1)))
        check = 11 - total % 11
        check = 0 if check == 11 else check
        if check != 10 and digits + str(check) != "9993456780":
            return digits + str(check)
    raise AssertionError("no NHS number found")


def fixture(rule: str, release: str, case: str, files: dict[str, str]) -> dict[Path, str]:
    d = SAMPLES / "invalid" / rule / release / case
    return {d / name: text for name, text in files.items()}


def json_and_xml(doc: dict, stem: str) -> tuple[dict[str, str], dict[str, str]]:
    return {f"{stem}.json": ms.to_json(doc)}, {f"{stem}.xml": ms.to_xml(doc)}


def response_fixture(rule: str, release: str, case: str, responses: list[dict], request: dict | None = None) -> dict[Path, str]:
    """The same fixture twice: `<case>-json/` and `<case>-xml/`."""
    request = request if request is not None else request_json(release)
    out: dict[Path, str] = {}
    for fmt in ("json", "xml"):
        write = ms.to_json if fmt == "json" else ms.to_xml
        files = {f"request.{fmt}": write(request)}
        for i, r in enumerate(responses):
            name = "response" if len(responses) == 1 else f"response-{i + 1}"
            files[f"{name}.{fmt}"] = write(r)
        out.update(fixture(rule, release, f"{case}-{fmt}", files))
    return out


def fixtures() -> dict[Path, str]:
    out: dict[Path, str] = {}
    b16, b20, b13 = BASES["1.6.0"], BASES["2.0.0"], BASES["1.3.0"]
    xml16 = message_xml("1.6.0")
    # A MESH client folder with one pair, and half of another.
    pair = {"a.ctl": control(b16).text(), "a.dat": xml16}
    out |= fixture("mesh-control-unpaired", "1.6.0", "orphan-control", pair | {"b.ctl": control(b16).text()})
    out |= fixture("mesh-data-unpaired", "1.6.0", "orphan-data", pair | {"b.dat": xml16})
    # Metadata that disagrees with its message.
    out |= fixture("mesh-demographics-mismatch", "1.6.0", "ctl-nhs-number", {
        "report.dat": xml16, "report.ctl": control(b16, to=b16.to(nhs=other_nhs())).text()})
    out |= fixture("mesh-demographics-mismatch", "1.6.0", "headers-surname", {
        "report.xml": xml16, "report.headers": headers(b16, "report.xml", to=b16.to(family="Fenley")).text()})
    out |= fixture("mesh-demographics-mismatch", "2.0.0", "ctl-birth-date", {
        "report.dat": message_xml("2.0.0"), "report.ctl": control(b20, to=b20.to(birth="19870624")).text()})
    out |= fixture("mesh-sender-endpoint-mismatch", "1.6.0", "ctl", {
        "report.dat": xml16, "report.ctl": control(b16, sender="A12345OT002").text()})
    out |= fixture("mesh-sender-endpoint-mismatch", "2.0.0", "headers", {
        "report.json": ms.to_json(request_json("2.0.0")), "report.headers": headers(b20, "report.json", sender="A12345OT002").text()})
    out |= fixture("ctl-local-id-not-sender", "1.6.0", "other-ods", {
        "report.dat": xml16, "report.ctl": control(b16, ods="B34567").text()})
    out |= fixture("mex-local-id-not-sender", "1.3.0", "other-ods", {
        "report.xml": message_xml("1.3.0"), "report.headers": headers(b13, "report.xml", ods="B34567").text()})
    out |= fixture("mesh-request-workflow-is-ack", "1.6.0", "ctl", {
        "report.dat": xml16, "report.ctl": control(b16, workflow="GPFED_CONSULT_REPORT_ACK").text()})
    out |= fixture("mesh-request-workflow-is-ack", "2.0.0", "headers", {
        "report.xml": message_xml("2.0.0"), "report.headers": headers(b20, "report.xml", workflow="GPCONNECT_SEND_DOCUMENT_ACK").text()})
    # A response sent on the request's own workflow (its metadata otherwise a request's).
    response16 = response_of("1.6.0")
    out |= fixture("mesh-response-workflow-not-ack", "1.6.0", "ctl", {
        "request.dat": xml16,
        "request.ctl": control(b16).text(),
        "response.dat": ms.to_xml(response16),
        "response.ctl": control(b16, sender=RESPONDER, ods=ms.RESPONDER_ODS).text(),
    })
    response20 = response_of("2.0.0")
    out |= fixture("mesh-response-workflow-not-ack", "2.0.0", "headers", {
        "request.json": ms.to_json(request_json("2.0.0")),
        "request.headers": headers(b20, "request.json").text(),
        "response.json": ms.to_json(response20),
        "response.headers": headers(b20, "response.json", sender=RESPONDER, ods=ms.RESPONDER_ODS).text(),
    })
    # Responses and their request.
    wrong_id = copy.deepcopy(response16)
    ms.header(wrong_id)["response"]["identifier"] = request_json("1.6.0")["id"]
    out |= response_fixture("response-request-identifier-mismatch", "1.6.0", "explicit-bundle-id", [wrong_id])
    for release in ("1.6.0", "2.0.0"):
        r = response_of(release)
        ms.handling_key(r, "SenderReference")["valueString"] = str(
            uuid.uuid5(uuid.NAMESPACE_URL, f"gpcm-validate/samples/{release}/other-sender-reference"))
        out |= response_fixture("response-sender-reference-mismatch", release, "other-reference", [r])
    second = ms.remap_ids(copy.deepcopy(response16), "second")
    # New ids for the second response; what answers the request stays the request's.
    ms.header(second)["response"]["identifier"] = ms.header(request_json("1.6.0"))["id"]
    ms.handling_key(second, "SenderReference")["valueString"] = ms.handling_key(response16, "SenderReference")["valueString"]
    out |= response_fixture("response-duplicate", "1.6.0", "two-infrastructure", [response16, second])
    stray = copy.deepcopy(response16)
    ms.header(stray)["response"]["identifier"] = str(uuid.uuid5(uuid.NAMESPACE_URL, "gpcm-validate/samples/another-request"))
    out |= response_fixture("response-unpaired", "1.6.0", "answers-another-request", [stray])
    return out


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def mesh_rules() -> list[str]:
    names = list(FILE_RULES)
    for pack in sorted(PACKS.glob("*.toml")):
        names += [r["name"] for r in tomllib.loads(pack.read_text(encoding="utf-8")).get("rule", [])]
    return names


def owned_roots() -> list[Path]:
    return [SAMPLES / "valid" / "mesh"] + [SAMPLES / "invalid" / r for r in mesh_rules()]


def all_files() -> dict[Path, str]:
    files = valid_files() | mutated_files() | report_files() | fixtures()
    rules = set(mesh_rules())
    for path in files:
        rel = path.relative_to(SAMPLES)
        assert rel.parts[0] == "valid" or rel.parts[1] in rules, f"{rel}: no such MESH rule"
    return files


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="write nothing; exit 1 on any difference")
    args = ap.parse_args()
    files = all_files()
    changed = [p for p, t in files.items() if not p.exists() or p.read_text(encoding="utf-8") != t]
    stale = sorted(
        p for root in owned_roots() if root.is_dir() for p in root.rglob("*") if p.is_file() and p not in files
    )
    rel = lambda p: p.relative_to(ROOT)
    missing_rules = [r for r in mesh_rules() if not any(p.relative_to(SAMPLES).parts[1:2] == (r,) for p in files)]
    if missing_rules:
        print(f"error: rules without a sample: {', '.join(missing_rules)}", file=sys.stderr)
        return 1
    if args.check:
        for p in changed:
            print(f"differs: {rel(p)}", file=sys.stderr)
        for p in stale:
            print(f"stale: {rel(p)}", file=sys.stderr)
        if changed or stale:
            print("run `python3 tools/make_mesh_samples.py` to regenerate", file=sys.stderr)
            return 1
    else:
        for p in changed:
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(files[p], encoding="utf-8", newline="\n")
            print(f"wrote {rel(p)}")
        for p in stale:
            p.unlink()
            print(f"removed {rel(p)}")
        for root in owned_roots():
            if root.is_dir():
                for d in sorted((x for x in root.rglob("*") if x.is_dir()), reverse=True):
                    if not any(d.iterdir()):
                        d.rmdir()
    verb = "differ" if args.check else "written"
    print(f"{len(files)} owned files: {len(changed)} {verb}, {len(stale)} stale", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
