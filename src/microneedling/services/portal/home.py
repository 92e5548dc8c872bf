"""The patient's home page: their next appointment and what to do now, in plain words."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from microneedling.services.clock import Clock, utc_now
from microneedling.services.portal.actor import PatientActor, PatientTransaction
from microneedling.services.portal.intake import view_of
from microneedling.store import UnitOfWork
from microneedling.store.models import Appointment
from microneedling.store.portal_models import PortalIntake


def when_words(moment: datetime, time_zone: str) -> str:
    """ "Tuesday 15 December 2026 at 10:30" on the clinic's clock."""
    local = moment.astimezone(ZoneInfo(time_zone))
    return f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M}"


def home(uow: UnitOfWork, actor: PatientActor, *, clock: Clock = utc_now) -> dict[str, Any]:
    """The patient's name, their next appointment, their questionnaire and what to do now."""
    with PatientTransaction(uow, actor, "portal.home", clock) as tx:
        patient = tx.patient()
        clinic = tx.records.clinic()
        upcoming = tx.session.execute(
            select(Appointment)
            .where(
                Appointment.patient_id == patient.id,
                Appointment.clinic_id == actor.clinic_id,
                Appointment.status == "scheduled",
                Appointment.starts_at > tx.now,
            )
            .order_by(Appointment.starts_at)
            .limit(1)
        ).scalar_one_or_none()
        questionnaire = view_of(
            tx.session.execute(
                select(PortalIntake)
                .where(PortalIntake.patient_id == patient.id)
                .order_by(PortalIntake.id.desc())
                .limit(1)
            ).scalar_one_or_none()
        )
        next_visit = None
        if upcoming is not None:
            next_visit = {
                "when": when_words(upcoming.starts_at, clinic.time_zone),
                "minutes": upcoming.duration_minutes,
                "days_away": (upcoming.starts_at.astimezone(ZoneInfo(clinic.time_zone)).date()
                              - tx.today).days,
            }  # fmt: skip
        to_do = []
        status = questionnaire["status"] if questionnaire else None
        if status in (None, "draft"):
            to_do.append({
                "text": "Fill in the questionnaire before your visit." if status is None
                else "Finish and send your questionnaire.",
                "href": "/my/intake",
                "action": "Fill in the questionnaire" if status is None else "Carry on",
            })  # fmt: skip
        elif status == "submitted":
            to_do.append({"text": "Thank you: the clinic has your questionnaire. A clinician "
                          "will look at it before your visit.", "href": "/my/intake",
                          "action": "See what it means"})  # fmt: skip
        tx.done()
    return {
        "given_name": patient.given_name,
        "clinic": clinic.name,
        "next_visit": next_visit,
        "questionnaire": questionnaire,
        "to_do": to_do,
    }
