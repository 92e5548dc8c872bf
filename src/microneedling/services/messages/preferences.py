"""Patients stopping (and restarting) messages, honoured at once.

- :func:`unsubscribe`: the link in every e-mail (a signed token, :mod:`.optout`) stops that kind
  of message — every channel — for that patient.
- :func:`sms_keyword`: an inbound SMS relayed by the provider: ``STOP`` (and the carriers'
  synonyms) stops every SMS to each patient with that number; ``START`` restarts them.

Each records a new preference row (when, and how: ``unsubscribe_link``, ``sms_stop``,
``sms_start``) and withdraws the queued messages it stops, in one transaction; the worker checks
the newest preference again just before sending. Both are public (the patient has no account):
they take no actor, answer the same whether or not anything matched, and say nothing about the
patient.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import select

from microneedling.services.messages.optout import read_token
from microneedling.services.messages.outbox import Preferences, preferences_of
from microneedling.store import UnitOfWork
from microneedling.store.message_models import MessagePreference
from microneedling.store.message_records import MessageRecords
from microneedling.store.models import Clinic, Patient
from microneedling.store.patient_search import digits

#: What carriers and providers treat as "stop" and "start" (compared in capitals, trimmed).
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "STOP ALL"})
START_WORDS = frozenset({"START", "UNSTOP", "YES"})


@dataclass(frozen=True, slots=True)
class OptOut:
    """What an opt-out did (for the caller's page or answer; no patient detail)."""

    recorded: int
    withdrawn: int


def _record(
    records: MessageRecords,
    patient_id: int,
    current: Preferences,
    now: datetime,
    source: str,
    **changes: bool,
) -> None:
    values = {k: v for k, v in asdict(current).items() if k not in ("source", "recorded_at")}
    values.update(changes)
    records.add(
        MessagePreference(
            patient_id=patient_id, recorded_at=now, source=source, recorded_by=None, **values
        )
    )


#: What each category is called to the patient who stops it.
CATEGORY_WORDS = {
    "reminders": "appointment confirmations and reminders",
    "aftercare": "aftercare advice after your sessions",
    "recalls": "invitations to book your next appointment",
    "marketing": "news and offers",
}


@dataclass(frozen=True, slots=True)
class Unsubscribing:
    """What an unsubscribe link would stop (shown before the patient confirms)."""

    clinic: str
    category: str
    words: str
    already_stopped: bool


def unsubscribe_preview(uow: UnitOfWork, key: bytes, token: str) -> Unsubscribing | None:
    """What the link would stop, changing nothing; None for a link that is not genuine."""
    found = read_token(key, token)
    if found is None:
        return None
    clinic_id, patient_id, category, _channel = found
    with uow:
        patient = uow.session.get(Patient, patient_id)
        clinic = uow.session.get(Clinic, clinic_id)
        if patient is None or clinic is None or patient.clinic_id != clinic_id:
            return None
        current = preferences_of(MessageRecords(uow.session, clinic_id), patient_id)
        return Unsubscribing(
            clinic.name, category, CATEGORY_WORDS[category], not current.allows(category)
        )


def unsubscribe(uow: UnitOfWork, key: bytes, token: str, *, now: datetime) -> OptOut | None:
    """Stop the kind of message the token names; None for a token that is not genuine."""
    found = read_token(key, token)
    if found is None:
        return None
    clinic_id, patient_id, category, _channel = found
    with uow:
        records = MessageRecords(uow.session, clinic_id)
        patient = uow.session.get(Patient, patient_id)
        if patient is None or patient.clinic_id != clinic_id:
            return None
        current = preferences_of(records, patient_id)
        recorded = 0
        if current.allows(category):
            _record(records, patient_id, current, now, "unsubscribe_link", **{category: False})
            recorded = 1
        withdrawn = records.withdraw_queued_of_patient(
            patient_id, now, "the patient unsubscribed", categories=[category]
        )
        uow.commit()
    return OptOut(recorded, withdrawn)


def sms_keyword(uow: UnitOfWork, sender: str, body: str, *, now: datetime) -> OptOut:
    """Act on an inbound SMS: STOP stops, START restarts, anything else changes nothing."""
    word = " ".join((body or "").strip().upper().split())[:20]
    number = digits(sender[:40] if isinstance(sender, str) else None)
    if number is None or word not in STOP_WORDS | START_WORDS:
        return OptOut(0, 0)
    stop = word in STOP_WORDS
    recorded = withdrawn = 0
    with uow:
        patients = uow.session.execute(
            select(Patient.id, Patient.clinic_id).where(Patient.phone_digits == number)
        ).all()
        for patient_id, clinic_id in patients:
            records = MessageRecords(uow.session, clinic_id)
            current = preferences_of(records, patient_id)
            if current.sms == (not stop):
                continue
            _record(
                records, patient_id, current, now, "sms_stop" if stop else "sms_start", sms=not stop
            )
            recorded += 1
            if stop:
                withdrawn += records.withdraw_queued_of_patient(
                    patient_id, now, "the patient replied STOP", channel="sms"
                )
        uow.commit()
    return OptOut(recorded, withdrawn)
