"""The questionnaire before the visit, as the patient fills it in the portal.

- :func:`my_questionnaire`: the patient's current questionnaire (a draft, sent, or confirmed).
- :func:`save_draft`: keeps what was typed so far (nothing is checked but its size).
- :func:`submit`: checks the answers (dates as a person gives them), screens them at once with
  the clinic's policy, and keeps the screening with them; a questionnaire is sent once.
- :func:`meaning`: what the screening means for the patient, in plain words.

The answers are kept as the form gave them (``form``: ``zones``, ``finding`` and each finding's
``<code>.zones``, ``<code>.on``, ``<code>.stopped_on``) and, once sent, as an intake
(``intake``: the shape ``services/intakes.record_intake`` takes), so the clinician's review
(``services/portal/review.py``) opens the staff intake form already filled in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from microneedling.clinical.intake import parse_intake
from microneedling.clinical.screening import screen
from microneedling.errors import IntakeError, UserError
from microneedling.knowledge import KnowledgeBase, shipped_knowledge_base
from microneedling.knowledge.overrides import overrides_hash_of
from microneedling.services.clock import Clock, utc_now
from microneedling.services.computations import knowledge_base_for
from microneedling.services.portal.actor import PatientActor, PatientTransaction
from microneedling.services.portal.plain_dates import parse_plain_date
from microneedling.services.portal.questions import SECTIONS, plain_questions, thing_of
from microneedling.store import UnitOfWork
from microneedling.store.models import Patient
from microneedling.store.portal_models import PortalIntake

#: The most values a questionnaire's form may hold, and the longest value.
MAX_VALUES = 600
MAX_VALUE_CHARS = 60


class AnswersRefused(UserError):
    """The answers have problems: ``problems`` maps each form field to its message."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("some answers need another look", fields=list(problems.items()))
        self.problems = problems


def clean_form(values: dict[str, list[str]], base: KnowledgeBase) -> dict[str, list[str]]:
    """Only the questionnaire's own fields, each value trimmed and bounded."""
    allowed = {"zones", "finding"}
    for items in plain_questions(base).values():
        for question in items:
            allowed |= {
                f"{question.code}.zones",
                f"{question.code}.on",
                f"{question.code}.stopped_on",
            }
    kept: dict[str, list[str]] = {}
    total = 0
    for name, given in values.items():
        if name not in allowed:
            continue
        cleaned = [item.strip()[:MAX_VALUE_CHARS] for item in given if item.strip()]
        total += len(cleaned)
        if total > MAX_VALUES:
            raise UserError("the questionnaire is too long to save")
        if cleaned:
            kept[name] = cleaned
    return kept


def _kb(tx: PatientTransaction) -> KnowledgeBase:
    return knowledge_base_for(tx.records.clinic().policy_overrides)


def _open(tx: PatientTransaction) -> PortalIntake | None:
    """The patient's newest questionnaire."""
    found: PortalIntake | None = tx.session.execute(
        select(PortalIntake)
        .where(PortalIntake.patient_id == tx.actor.patient_id,
               PortalIntake.clinic_id == tx.actor.clinic_id)
        .order_by(PortalIntake.id.desc())
        .limit(1)
    ).scalar_one_or_none()  # fmt: skip
    return found


def view_of(row: PortalIntake | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "id": row.id,
        "status": row.status,
        "form": dict(row.answers.get("form", {})),
        "submitted_at": row.submitted_at,
        "screening": row.screening,
        "decision": row.decision,
        "earliest_date": row.earliest_date,
        "reviewed_at": row.reviewed_at,
    }


def my_questionnaire(
    uow: UnitOfWork, actor: PatientActor, *, clock: Clock = utc_now
) -> dict[str, Any] | None:
    """The patient's newest questionnaire (None: never started)."""
    with PatientTransaction(uow, actor, "portal.intake_read", clock) as tx:
        row = _open(tx)
        found = view_of(row)
        tx.done(entity=("portal_intake", row.id) if row is not None else None)
    return found


def save_draft(
    uow: UnitOfWork, actor: PatientActor, values: dict[str, list[str]], *, clock: Clock = utc_now
) -> int:
    """Keep the answers so far (a new draft, or the open one)."""
    with PatientTransaction(uow, actor, "portal.intake_save", clock) as tx:
        form = clean_form(values, _kb(tx))
        row = _open(tx)
        if row is not None and row.status == "submitted":
            raise UserError("you have already sent this questionnaire; the clinic is reviewing it")
        if row is None or row.status == "confirmed":
            row = PortalIntake(clinic_id=actor.clinic_id, patient_id=actor.patient_id,
                               account_id=actor.account_id, status="draft", answers={"form": form},
                               created_at=tx.now, updated_at=tx.now)  # fmt: skip
            tx.session.add(row)
        else:
            row.answers, row.updated_at = {"form": form}, tx.now
        tx.flush()
        tx.done(entity=("portal_intake", row.id))
    return row.id


def intake_answers(
    form: dict[str, list[str]], base: KnowledgeBase, patient: Patient, today: date
) -> dict[str, Any]:
    """The intake (``record_intake``'s shape) the form's answers make, or every problem."""
    problems: dict[str, str] = {}
    known = set(base.zones)
    zones = [zone for zone in form.get("zones", []) if zone in known]
    if not zones:
        problems["zones"] = "choose at least one area you would like treated"
    ticked = set(form.get("finding", []))
    answers: dict[str, Any] = {"on": today.isoformat(), "zones": zones}
    for list_name, items in plain_questions(base).items():
        entries = []
        for question in items:
            if question.code not in ticked:
                continue
            entry: dict[str, Any] = {"code": question.code}
            if question.where:
                where = [z for z in form.get(f"{question.code}.zones", []) if z in known]
                if where:
                    entry["zones"] = where
            for name, asked in (("on", question.when), ("stopped_on", question.stopped)):
                if not asked:
                    continue
                text = (form.get(f"{question.code}.{name}") or [""])[0]
                try:
                    day = parse_plain_date(text, today, field=f"{question.code}.{name}")
                except UserError as error:
                    problems[f"{question.code}.{name}"] = error.message
                    continue
                if day is not None:
                    entry[name] = day.isoformat()
            entries.append(entry)
        answers[list_name] = entries
    if problems:
        raise AnswersRefused(problems)
    answers["patient"] = {"birth_date": patient.birth_date.isoformat(),
                          "fitzpatrick": patient.fitzpatrick}  # fmt: skip
    if patient.sex:
        answers["patient"]["sex"] = patient.sex
    return answers


def submit(
    uow: UnitOfWork, actor: PatientActor, values: dict[str, list[str]], *, clock: Clock = utc_now
) -> dict[str, Any]:
    """Send the questionnaire: checked, screened at once, kept with its screening."""
    with PatientTransaction(uow, actor, "portal.intake_submit", clock) as tx:
        base = _kb(tx)
        form = clean_form(values, base)
        row = _open(tx)
        if row is not None and row.status == "submitted":
            raise UserError("you have already sent this questionnaire; the clinic is reviewing it")
        patient = tx.patient()
        built = intake_answers(form, base, patient, tx.today)
        try:
            result = screen(parse_intake(built), base, overrides_hash=overrides_hash_of(base))
        except IntakeError as error:
            raise UserError(f"some answers could not be read: {error.message}") from error
        if row is None or row.status == "confirmed":
            row = PortalIntake(clinic_id=actor.clinic_id, patient_id=actor.patient_id,
                               account_id=actor.account_id, status="draft", answers={},
                               created_at=tx.now, updated_at=tx.now)  # fmt: skip
            tx.session.add(row)
        row.answers = {"form": form, "intake": built}
        row.status, row.submitted_at, row.updated_at = "submitted", tx.now, tx.now
        row.screening = result.to_dict()
        row.decision, row.earliest_date = result.decision, result.earliest_date
        tx.flush()
        tx.done(entity=("portal_intake", row.id), details={"decision": result.decision})
        found = view_of(row)
    assert found is not None
    return found


@dataclass
class Meaning:
    """What a screening means for the patient: a headline and the sentences under it."""

    headline: str
    tone: str
    points: list[str] = field(default_factory=list)


def _day(value: str | date | None) -> str:
    if value is None:
        return ""
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day.day} {day:%B %Y}"


def meaning(screening: dict[str, Any] | None, base: KnowledgeBase | None = None) -> Meaning:
    """The screening in a patient's words: no codes, no rule names, a date as people write it."""
    base = base or shipped_knowledge_base()
    if not screening:
        return Meaning("", "ok")
    decision = screening.get("decision")
    points: list[str] = []
    for finding in screening.get("findings", []):
        thing = thing_of(base, str(finding.get("code")))
        severity = finding.get("severity")
        until = finding.get("until")
        if severity == "temporary" and until:
            points.append(f"We will need to wait until {_day(until)} because of your {thing}.")
        elif severity == "absolute":
            points.append(f"Because of your {thing}, this treatment may not be possible for you; "
                          "a clinician will talk it through with you.")  # fmt: skip
        else:
            points.append(f"A clinician will talk with you about your {thing} before treatment.")
    for precaution in screening.get("precautions", []):
        thing = thing_of(base, str(precaution.get("code")))
        points.append(f"Because of your {thing}, the clinic will tell you how to prepare "
                      "(for example a medicine to start before each session).")  # fmt: skip
    unique = list(dict.fromkeys(points))
    if decision == "eligible":
        return Meaning("Nothing in your answers stands in the way of treatment.", "ok", unique)
    if decision == "defer":
        earliest = screening.get("earliest_date")
        headline = (f"Treatment can start from {_day(earliest)}." if earliest
                    else "Treatment will need to wait a while.")  # fmt: skip
        return Meaning(headline, "wait", unique)
    if decision == "caution":
        return Meaning("A clinician needs to look at some of your answers with you.", "wait",
                       unique)  # fmt: skip
    return Meaning("From your answers, this treatment may not be right for you at the moment.",
                   "wait", unique)  # fmt: skip


__all__ = ["SECTIONS", "AnswersRefused", "Meaning", "meaning", "my_questionnaire", "save_draft",
           "submit"]  # fmt: skip
