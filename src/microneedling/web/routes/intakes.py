"""The intake questionnaire, with follow-up questions for what is ticked, and the screening
decision shown at once with each reason, its sources and the earliest date; a clinician's
acknowledgement of a caution."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from microneedling.errors import UserError
from microneedling.knowledge import KnowledgeBase
from microneedling.services import intakes, overview, patients
from microneedling.web.context import Page, RecordId, posted_form, staff_page
from microneedling.web.forms import Form
from microneedling.web.labels import kb
from microneedling.web.routes.patients import full_name

router = APIRouter()

LISTS = (
    ("conditions", "condition", "Skin and general conditions"),
    ("medications", "medication", "Medications"),
    ("procedures", "procedure", "Recent procedures"),
    ("allergies", "allergy", "Allergies"),
)


@dataclass(frozen=True)
class Question:
    """One finding the questionnaire asks about, and its follow-up questions."""

    code: str
    label: str
    notes: str | None
    list_name: str
    #: Ask where (zones): local findings.
    zones: bool
    #: Ask when it happened (``on``): dated findings (a permanent implant has no date that counts).
    on: bool
    #: Ask when it was stopped (``stopped_on``): medications.
    stopped_on: bool

    @property
    def has_follow_up(self) -> bool:
        return self.zones or self.on or self.stopped_on


@cache
def questions(base: KnowledgeBase) -> dict[str, list[Question]]:
    found: dict[str, list[Question]] = {name: [] for name, _, _ in LISTS}
    kinds = {kind: name for name, kind, _ in LISTS}
    for code, finding in base.findings.items():
        if finding.kind not in kinds:
            continue
        found[kinds[finding.kind]].append(
            Question(
                code=code,
                label=finding.label,
                notes=finding.notes,
                list_name=kinds[finding.kind],
                zones=finding.scope == "local",
                on=finding.dated == "on",
                stopped_on=finding.kind == "medication",
            )
        )
    return found


def zone_options(base: KnowledgeBase) -> list[tuple[str, list[tuple[str, str]]]]:
    """Zones in groups for checkboxes: face, body, and the zones in no group."""
    groups: list[tuple[str, list[tuple[str, str]]]] = []
    for group, info in base.zone_groups.items():
        members = [(code, base.zones[code].label) for code in base.group_members[group]]
        groups.append((info.label, members))
    other = [(code, zone.label) for code, zone in base.zones.items() if zone.group is None]
    groups.append(("Neck, décolletage and scalp", other))
    return groups


def labels(base: KnowledgeBase) -> dict[str, str]:
    found = {"on": "Assessment date", "zones": "Zones to treat", "finding": "Findings"}
    for items in questions(base).values():
        for item in items:
            found[item.code] = item.label
            found[f"{item.code}.zones"] = f"{item.label}: where"
            found[f"{item.code}.on"] = f"{item.label}: date"
            found[f"{item.code}.stopped_on"] = f"{item.label}: stopped on"
    return found


def answers_from(
    form: Form, base: KnowledgeBase, today: date | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """The intake answers from the form, and where each answer's fields came from
    (``medications[0].stopped_on`` → ``topical_retinoid.stopped_on``); an assessment after
    ``today`` is refused with the form's other problems."""
    where: dict[str, str] = {"on": "on", "zones": "zones"}
    answers: dict[str, Any] = {}
    on = form.day("on", required=True, not_after=today, after_message="is after today")
    if on is not None:
        answers["on"] = on.isoformat()
    known = {code for code, zone in base.zones.items()}
    zones = [z for z in form.getlist("zones") if z in known]
    if not zones:
        form.add("zones", "tick at least one zone to treat")
    answers["zones"] = zones
    ticked = set(form.getlist("finding"))
    for list_name, items in questions(base).items():
        entries: list[dict[str, Any]] = []
        for item in items:
            if item.code not in ticked:
                continue
            index = len(entries)
            entry: dict[str, Any] = {"code": item.code}
            where[f"{list_name}[{index}].code"] = "finding"
            where[f"{list_name}[{index}]"] = item.code
            if item.zones:
                chosen = [z for z in form.getlist(f"{item.code}.zones") if z in known]
                if chosen:
                    entry["zones"] = chosen
                for position in range(len(chosen)):
                    where[f"{list_name}[{index}].zones[{position}]"] = f"{item.code}.zones"
                where[f"{list_name}[{index}].zones"] = f"{item.code}.zones"
            for name, asked in (("on", item.on), ("stopped_on", item.stopped_on)):
                if asked:
                    value = form.day(f"{item.code}.{name}")
                    if value is not None:
                        entry[name] = value.isoformat()
                    where[f"{list_name}[{index}].{name}"] = f"{item.code}.{name}"
            entries.append(entry)
        answers[list_name] = entries
    return answers, where


def _mapper(where: dict[str, str]) -> Any:
    def field_of(path: str) -> str | None:
        if path in where:
            return where[path]
        match = re.match(r"^(\w+\[\d+\])", path)
        return where.get(match.group(1)) if match else None

    return field_of


def _form_page(page: Page, patient: dict[str, Any], form: Form, status: int = 200) -> Response:
    base = kb()
    return page.render(
        "intake_new.html.j2",
        status,
        title="Intake",
        section="patients",
        patient=patient,
        name=full_name(patient),
        form=form,
        zone_groups=zone_options(base),
        lists=[(name, heading, questions(base)[name]) for name, _, heading in LISTS],
    )


@router.get("/patients/{patient_id}/intakes/new")
def intake_page(patient_id: RecordId, page: Page = Depends(staff_page)) -> Response:
    patient = page.run(patients.read_patient, patient_id)
    form = Form.blank(labels(kb()), on=page.today.isoformat())
    return _form_page(page, patient, form)


@router.post("/patients/{patient_id}/intakes/new")
def record_intake(
    patient_id: RecordId, page: Page = Depends(staff_page), form: Form = Depends(posted_form)
) -> Response:
    base = kb()
    form.labels = labels(base)
    answers, where = answers_from(form, base, page.today)
    if form.ok:
        try:
            intake_id = page.run(intakes.record_intake, patient_id, answers)
        except UserError as error:
            form.add_user_error(error, _mapper(where))
        else:
            return page.redirect(f"/intakes/{intake_id}")
    patient = page.run(patients.read_patient, patient_id)
    return _form_page(page, patient, form, 422)


# The screening decision ----------------------------------------------------------------------


def _result_page(page: Page, intake_id: int, form: Form, status: int = 200) -> Response:
    intake = page.run(intakes.read_intake, intake_id)
    patient = page.run(patients.read_patient, intake["patient_id"])
    staff = {member["id"]: member["display_name"] for member in page.run(overview.staff_directory)}
    base = kb()
    earliest = intake["earliest_date"]
    days_to_wait = None
    if intake["decision"] == "defer" and earliest:
        days_to_wait = (date.fromisoformat(earliest) - page.today).days
    return page.render(
        "intake.html.j2",
        status,
        title=f"Screening of {full_name(patient)}",
        section="patients",
        intake=intake,
        screening=intake["screening"],
        answers=intake["answers"],
        patient=patient,
        name=full_name(patient),
        staff=staff,
        form=form,
        days_to_wait=days_to_wait,
        lists=[(name, heading) for name, _, heading in LISTS],
        sources={key: source.title for key, source in base.sources.items()},
    )


@router.get("/intakes/{intake_id}")
def intake_result(intake_id: RecordId, page: Page = Depends(staff_page)) -> Response:
    return _result_page(page, intake_id, Form.blank({"note": "Your note"}))


@router.post("/intakes/{intake_id}/acknowledge")
def acknowledge(
    intake_id: RecordId, page: Page = Depends(staff_page), form: Form = Depends(posted_form)
) -> Response:
    form.labels = {"note": "Your note"}
    note = form.text("note", required=True, max_length=2000, multiline=True)
    if form.ok and note is not None:
        try:
            page.run(intakes.acknowledge_caution, intake_id, note=note)
        except UserError as error:
            form.add_user_error(error, {"intake_id": "note"})
        else:
            page.flash("Caution acknowledged; the patient can now be planned and treated.")
            return page.redirect(f"/intakes/{intake_id}")
    return _result_page(page, intake_id, form, 422)
