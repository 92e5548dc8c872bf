"""Reactions the patient reports after a session ("Report a reaction"), and staff's work on them.

The patient ticks what they notice (:data:`SYMPTOMS`, plain words), says when it started and
describes it, and may add up to :data:`MAX_PHOTOS` photos. The photos are checked and cleaned
exactly like clinical photos (:func:`microneedling.services.images.clean_image`: size and pixel
limits, real JPEG/PNG only, orientation applied, metadata stripped) before anything is stored;
one bad photo refuses the whole report. The report follows the patient's latest session that has
started, when there is one.

It is a staff task (``new``) on the reported-reactions page until a clinician either confirms it,
which records an adverse event (``adverse_events``; same transaction, audited as
``adverse_event.record``), or closes it with a note (not an adverse event).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select

from microneedling.errors import InternalError, NotFound, RuleViolation, UserError
from microneedling.services.access import Actor, Transaction
from microneedling.services.adverse_events import NewAdverseEvent
from microneedling.services.clock import Clock, utc_now
from microneedling.services.images import CleanImage, clean_image
from microneedling.services.inputs import parse
from microneedling.services.portal.actor import PatientActor, PatientTransaction, register_actions
from microneedling.store import UnitOfWork
from microneedling.store.models import AdverseEvent, Appointment, Patient
from microneedling.store.portal_records_models import ReactionPhoto, ReactionReport

register_actions(
    {
        "portal.reaction_report": "report a reaction",
        "portal.reaction_read": "see the reactions you reported",
    }
)

#: What a patient can tick, in their words (the keys are stored).
SYMPTOMS = {
    "redness": "Redness that is getting worse, or lasts more than 3 days",
    "swelling": "Swelling",
    "pain": "Pain that is getting worse",
    "heat": "The skin feels hot",
    "pus": "Yellow crusts or pus",
    "blisters": "Blisters",
    "cold_sore": "A cold sore",
    "itching": "Itching or a rash",
    "spots": "Spots or breakouts",
    "dark_patches": "Dark or light patches",
    "fever": "Fever or feeling unwell",
    "other": "Something else",
}
#: Most photos one report carries.
MAX_PHOTOS = 3
#: Longest description.
MAX_DESCRIPTION = 2000
#: How far back a reaction may have started (days).
MAX_DAYS_BACK = 90


def _clean_report(
    started_on: object, symptoms: Sequence[object], description: object, today: date
) -> tuple[date, list[str], str]:
    day: date | None
    if isinstance(started_on, date):
        day = started_on
    else:
        text = started_on.strip() if isinstance(started_on, str) else ""
        if not text:
            raise UserError("say on which day it started", field="started_on")
        try:
            day = date.fromisoformat(text) if len(text) <= 10 else None
        except ValueError:
            day = None
        if day is None:
            raise UserError("give the day it started, such as 2026-12-01", field="started_on")
    assert day is not None
    if day > today:
        raise UserError("the day it started cannot be in the future", field="started_on")
    if (today - day).days > MAX_DAYS_BACK:
        raise UserError(
            f"for something that started more than {MAX_DAYS_BACK} days ago, please call the "
            "clinic",
            field="started_on",
        )
    chosen: list[str] = []
    for value in symptoms:
        if not isinstance(value, str) or value not in SYMPTOMS:
            raise UserError("choose from the list", field="symptoms")
        if value not in chosen:
            chosen.append(value)
    words = " ".join(description.split()) if isinstance(description, str) else ""
    if len(words) > MAX_DESCRIPTION:
        raise UserError(f"at most {MAX_DESCRIPTION:,} characters, please", field="description")
    if not chosen and not words:
        raise UserError("tick what you notice, or describe it in a few words", field="description")
    return day, chosen, words


def _clean_photos(uow: UnitOfWork, photos: Sequence[bytes]) -> list[CleanImage]:
    files = [p for p in photos if p]
    if len(files) > MAX_PHOTOS:
        raise UserError(f"at most {MAX_PHOTOS} photos with one report", field="photos")
    if files and uow.photos is None:
        raise InternalError("this unit of work has no photo folder")
    cleaned = []
    for number, data in enumerate(files, start=1):
        assert uow.photos is not None
        try:
            cleaned.append(
                clean_image(data, max_bytes=uow.photos.max_bytes, max_pixels=uow.photos.max_pixels)
            )
        except UserError as error:
            raise UserError(f"photo {number}: {error.message}", field="photos") from None
    return cleaned


def report_reaction(
    uow: UnitOfWork,
    actor: PatientActor,
    *,
    started_on: object,
    symptoms: Sequence[object],
    description: object,
    photos: Sequence[bytes] = (),
    clock: Clock = utc_now,
) -> int:
    """Record the patient's report (and its photos) as a new staff task; nothing is stored when
    any part is refused."""
    cleaned = _clean_photos(uow, photos)
    with PatientTransaction(uow, actor, "portal.reaction_report", clock) as tx:
        patient = tx.patient()
        day, chosen, words = _clean_report(started_on, symptoms, description, tx.today)
        latest = tx.session.execute(
            select(Appointment.id)
            .where(
                Appointment.clinic_id == actor.clinic_id,
                Appointment.patient_id == patient.id,
                Appointment.starts_at <= tx.now,
                Appointment.status.in_(("checked_in", "completed", "scheduled")),
            )
            .order_by(Appointment.starts_at.desc(), Appointment.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        report = ReactionReport(
            patient_id=patient.id,
            appointment_id=latest,
            reported_at=tx.now,
            started_on=day,
            symptoms=chosen,
            description=words,
            status="new",
        )
        tx.records.add(report)
        tx.flush()
        for image in cleaned:
            assert uow.photos is not None
            path = uow.photos.put(actor.clinic_id, image.sha256, image.suffix, image.data)
            tx.records.add(
                ReactionPhoto(
                    report_id=report.id,
                    original_sha256=image.original_sha256,
                    stored_sha256=image.sha256,
                    stored_path=path,
                    media_type=image.media_type,
                    width=image.width,
                    height=image.height,
                    byte_size=len(image.data),
                )
            )
        tx.done(
            entity=("reaction_report", report.id),
            details={"symptoms": len(chosen), "photos": len(cleaned)},
        )
    return report.id


def report_view(report: ReactionReport, photos: Sequence[ReactionPhoto] = ()) -> dict[str, Any]:
    return {
        "id": report.id,
        "patient_id": report.patient_id,
        "appointment_id": report.appointment_id,
        "reported_at": report.reported_at,
        "started_on": report.started_on,
        "symptoms": [SYMPTOMS.get(s, s) for s in report.symptoms],
        "symptom_keys": list(report.symptoms),
        "description": report.description,
        "status": report.status,
        "reviewed_by": report.reviewed_by,
        "reviewed_at": report.reviewed_at,
        "review_note": report.review_note,
        "adverse_event_id": report.adverse_event_id,
        "photos": [{"id": p.id, "width": p.width, "height": p.height} for p in photos],
    }


def _photos_of(session: Any, clinic_id: int, report_ids: Sequence[int]) -> dict[int, list[Any]]:
    found: dict[int, list[Any]] = {i: [] for i in report_ids}
    if not report_ids:
        return found
    rows = session.execute(
        select(ReactionPhoto)
        .where(ReactionPhoto.clinic_id == clinic_id, ReactionPhoto.report_id.in_(report_ids))
        .order_by(ReactionPhoto.id)
    ).scalars()
    for row in rows:
        found[row.report_id].append(row)
    return found


def my_reports(
    uow: UnitOfWork, actor: PatientActor, *, clock: Clock = utc_now
) -> list[dict[str, Any]]:
    """The reactions the patient reported, newest first, with where each stands."""
    with PatientTransaction(uow, actor, "portal.reaction_read", clock) as tx:
        patient = tx.patient()
        rows = tx.records.of_patient(ReactionReport, patient.id)
        rows.sort(key=lambda r: (r.reported_at, r.id), reverse=True)
        photos = _photos_of(tx.session, actor.clinic_id, [r.id for r in rows])
        found = [report_view(r, photos[r.id]) for r in rows]
        tx.done(details={"results": len(found)})
    return found


# Staff ----------------------------------------------------------------------------------------


def list_reports(
    uow: UnitOfWork, actor: Actor, *, status: str = "new", clock: Clock = utc_now
) -> list[dict[str, Any]]:
    """Reported reactions of ``status`` (``new``: the task list, oldest first; ``confirmed`` or
    ``closed``: newest first, at most 200), each with the patient's name."""
    if status not in ("new", "confirmed", "closed"):
        raise UserError("choose new, confirmed or closed", field="status")
    with Transaction(uow, actor, "portal.reaction_review", clock) as tx:
        order = (
            (ReactionReport.reported_at, ReactionReport.id)
            if status == "new"
            else (ReactionReport.reported_at.desc(), ReactionReport.id.desc())
        )
        rows = tx.uow.session.execute(
            select(ReactionReport, Patient.given_name, Patient.family_name)
            .join(Patient, Patient.id == ReactionReport.patient_id)
            .where(ReactionReport.clinic_id == actor.clinic_id, ReactionReport.status == status)
            .order_by(*order)
            .limit(200)
        ).all()
        photos = _photos_of(tx.uow.session, actor.clinic_id, [r[0].id for r in rows])
        found = [
            dict(report_view(r, photos[r.id]), patient=f"{given} {family}")
            for r, given, family in rows
        ]
        tx.done(details={"status": status, "results": len(found)})
    return found


def count_new(uow: UnitOfWork, actor: Actor) -> int:
    """How many reported reactions wait for staff (for a link's badge; not audited: a count)."""
    with uow:
        return int(
            uow.session.execute(
                select(func.count()).where(
                    ReactionReport.clinic_id == actor.clinic_id, ReactionReport.status == "new"
                )
            ).scalar_one()
        )


def read_report(
    uow: UnitOfWork, actor: Actor, report_id: int, *, clock: Clock = utc_now
) -> dict[str, Any]:
    """One reported reaction, with the patient's name."""
    with Transaction(uow, actor, "portal.reaction_review", clock) as tx:
        row = tx.records.get(ReactionReport, report_id)
        if row is None:
            raise NotFound("no such reported reaction in this clinic", field="report_id")
        patient = tx.uow.session.get(Patient, row.patient_id)
        assert patient is not None
        found = report_view(row, _photos_of(tx.uow.session, actor.clinic_id, [row.id])[row.id])
        found["patient"] = f"{patient.given_name} {patient.family_name}"
        tx.done(patient_id=row.patient_id, entity=("reaction_report", row.id))
    return found


def read_report_photo(
    uow: UnitOfWork, actor: Actor, photo_id: int, *, clock: Clock = utc_now
) -> tuple[str, bytes]:
    """A reported reaction's photo: its media type and bytes (reading it is audited)."""
    if uow.photos is None:
        raise InternalError("this unit of work has no photo folder")
    with Transaction(uow, actor, "portal.reaction_review", clock) as tx:
        row = tx.records.get(ReactionPhoto, photo_id)
        if row is None:
            raise NotFound("no such photo in this clinic", field="photo_id")
        report = tx.records.get(ReactionReport, row.report_id)
        assert report is not None
        data = uow.photos.read(row.stored_path)
        tx.done(patient_id=report.patient_id, entity=("reaction_photo", row.id))
    return row.media_type, data


def confirm_report(
    uow: UnitOfWork,
    actor: Actor,
    report_id: int,
    event: NewAdverseEvent | dict[str, Any],
    *,
    clock: Clock = utc_now,
) -> int:
    """A clinician confirms a reported reaction: the adverse event is recorded (kind, severity,
    onset; the session the report followed unless given) and the report closed as confirmed,
    in one transaction. Returns the adverse event's id."""
    new = parse(NewAdverseEvent, event, what="adverse event")
    with Transaction(uow, actor, "adverse_event.record", clock) as tx:
        report = tx.records.get(ReactionReport, report_id, for_update=True)
        if report is None:
            raise NotFound("no such reported reaction in this clinic", field="report_id")
        if report.status != "new":
            raise RuleViolation("this report has already been dealt with", field="report_id")
        if new.onset_on > tx.today:
            raise UserError("is after today", field="onset_on")
        if new.resolved_on is not None and new.resolved_on < new.onset_on:
            raise UserError("is before the onset", field="resolved_on")
        appointment_id = new.appointment_id or report.appointment_id
        if appointment_id is not None:
            session = tx.records.get(Appointment, appointment_id)
            if session is None or session.patient_id != report.patient_id:
                raise NotFound("no such session for this patient", field="appointment_id")
        row = AdverseEvent(
            patient_id=report.patient_id,
            appointment_id=appointment_id,
            kind=new.kind,
            severity=new.severity,
            onset_on=new.onset_on,
            description=new.description or report.description or None,
            resolved_on=new.resolved_on,
            resolution=new.resolution,
            reported_by=actor.staff_user_id,
            reported_at=tx.now,
        )
        tx.records.add(row)
        tx.flush()
        report.status = "confirmed"
        report.reviewed_by = actor.staff_user_id
        report.reviewed_at = tx.now
        report.adverse_event_id = row.id
        tx.done(
            patient_id=report.patient_id,
            entity=("adverse_event", row.id),
            details={
                "kind": new.kind,
                "severity": new.severity,
                "reaction_report": report.id,
            },
        )
    return row.id


def close_report(
    uow: UnitOfWork, actor: Actor, report_id: int, note: object, *, clock: Clock = utc_now
) -> None:
    """A clinician closes a reported reaction that is not an adverse event, saying why."""
    text = " ".join(note.split()) if isinstance(note, str) else ""
    if not text:
        raise UserError("say why it is not an adverse event", field="note")
    if len(text) > MAX_DESCRIPTION:
        raise UserError(f"at most {MAX_DESCRIPTION:,} characters", field="note")
    with Transaction(uow, actor, "portal.reaction_close", clock) as tx:
        report = tx.records.get(ReactionReport, report_id, for_update=True)
        if report is None:
            raise NotFound("no such reported reaction in this clinic", field="report_id")
        if report.status != "new":
            raise RuleViolation("this report has already been dealt with", field="report_id")
        report.status = "closed"
        report.reviewed_by = actor.staff_user_id
        report.reviewed_at = tx.now
        report.review_note = text
        tx.done(patient_id=report.patient_id, entity=("reaction_report", report.id))
