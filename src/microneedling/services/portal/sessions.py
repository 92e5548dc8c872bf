"""Patients' portal sessions, kept in the database (``portal_session``), apart from the staff's.

The patient's cookie carries only an opaque random id; the row keeps its SHA-256, with the
portal account, the patient, the session's CSRF token, when it was created and last seen, when
it ended and why. Every portal request checks the row (:func:`check_patient_session`): signing
out, :data:`IDLE` without a request, :data:`MAX_AGE`, or the account closed end it on every
server at once. A staff cookie is never looked up here, nor a patient's in ``web_session``.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from microneedling.services.clock import Clock, utc_now
from microneedling.services.portal.actor import PatientActor
from microneedling.store import Database, UnitOfWork
from microneedling.store.portal_models import PortalAccount, PortalSession

#: A portal session ends after this long without a request.
IDLE = timedelta(minutes=30)
#: And after this long in any case.
MAX_AGE = timedelta(hours=12)
#: "Last seen" is written at most this often.
TOUCH = timedelta(seconds=30)
MAX_TOKEN_CHARS = 128

#: Why a patient's session ended, in their words.
ENDED_WORDS = {
    "signed_out": "You signed out.",
    "idle": "You were signed out after a while without using the portal. Sign in again.",
    "max_age": "You were signed out: a sign-in lasts 12 hours at most. Sign in again.",
    "account": "You were signed out: your access to the portal was closed by the clinic.",
}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class OpenedPatientSession:
    """A new session: the opaque id for the cookie (never stored) and its CSRF token."""

    token: str
    csrf: str


@dataclass(frozen=True)
class CheckedPatientSession:
    """What a patient cookie stands for: a live session (``actor`` set) or why it ended."""

    actor: PatientActor | None = None
    csrf: str = ""
    ended: str | None = None


def _clean(text: str | None, limit: int) -> str:
    return "".join(c for c in (text or "") if c.isprintable())[:limit]


def open_patient_session(
    uow: UnitOfWork, actor: PatientActor, *, user_agent: str | None, client: str, now: datetime
) -> OpenedPatientSession:
    """A new session for ``actor``, who has just signed in (audited there)."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    with uow:
        uow.session.add(
            PortalSession(
                token_sha256=token_hash(token),
                account_id=actor.account_id,
                clinic_id=actor.clinic_id,
                patient_id=actor.patient_id,
                csrf_token=csrf,
                created_at=now,
                last_seen_at=now,
                user_agent=_clean(user_agent, 300),
                client=_clean(client, 64) or "unknown",
            )
        )
        uow.commit()
    return OpenedPatientSession(token, csrf)


_s, _a = PortalSession.__table__.c, PortalAccount.__table__.c


def check_patient_session(
    database: Database, token: str, *, clock: Clock = utc_now
) -> CheckedPatientSession:
    """The session a patient cookie's id stands for, checked against the database."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return CheckedPatientSession()
    now = clock()
    query = (
        select(
            _s.id,
            _s.account_id,
            _s.clinic_id,
            _s.patient_id,
            _s.csrf_token,
            _s.created_at,
            _s.last_seen_at,
            _s.ended_at,
            _s.ended_reason,
            _a.closed_at,
            _a.patient_id.label("account_patient_id"),
            _a.clinic_id.label("account_clinic_id"),
        )
        .join_from(PortalSession.__table__, PortalAccount.__table__, _a.id == _s.account_id)
        .where(_s.token_sha256 == token_hash(token))
    )
    with database.engine.connect() as connection:
        row = connection.execute(query).one_or_none()
    if row is None:
        return CheckedPatientSession()
    if row.ended_at is not None:
        return CheckedPatientSession(ended=row.ended_reason or "signed_out")
    ended = None
    if (
        row.closed_at is not None
        or row.account_patient_id != row.patient_id
        or row.account_clinic_id != row.clinic_id
    ):
        ended = "account"
    elif now - row.last_seen_at > IDLE:
        ended = "idle"
    elif now - row.created_at > MAX_AGE:
        ended = "max_age"
    if ended is not None:
        _end(database, row.id, ended, now)
        return CheckedPatientSession(ended=ended)
    if now - row.last_seen_at >= TOUCH:
        with database.engine.begin() as connection:
            connection.execute(
                update(PortalSession)
                .where(PortalSession.id == row.id, PortalSession.ended_at.is_(None))
                .values(last_seen_at=now)
            )
    return CheckedPatientSession(
        actor=PatientActor(row.account_id, row.patient_id, row.clinic_id), csrf=row.csrf_token
    )


def _end(database: Database, session_id: int, reason: str, now: datetime) -> None:
    with database.engine.begin() as connection:
        connection.execute(
            update(PortalSession)
            .where(PortalSession.id == session_id, PortalSession.ended_at.is_(None))
            .values(ended_at=now, ended_reason=reason)
        )


def end_patient_session(database: Database, token: str, reason: str, *, now: datetime) -> None:
    """End the session of a patient cookie's id (signing out)."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return
    with database.engine.begin() as connection:
        connection.execute(
            update(PortalSession)
            .where(
                PortalSession.token_sha256 == token_hash(token), PortalSession.ended_at.is_(None)
            )
            .values(ended_at=now, ended_reason=reason)
        )
