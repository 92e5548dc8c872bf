"""Who may use the portal: staff invite a patient; a new candidate asks for a consultation.

- :func:`invite_patient` (staff, ``portal.invite``): opens the patient's portal account (or
  opens it again) and sends the invitation by e-mail or SMS (an urgent message of the outbox).
- :func:`portal_status` (staff): whether a patient has portal access, for the patient page.
- :func:`request_consultation` (anyone, from the clinic's public page): a request staff follow
  up (:func:`consultation_requests`, :func:`handle_request`). Limited per computer
  (:data:`MAX_REQUESTS_PER_CLIENT` a day) and per address.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from microneedling.errors import NotFound, UserError
from microneedling.services.access import Actor, Transaction
from microneedling.services.clock import Clock, utc_now
from microneedling.services.portal.messages import channels_of, queue_invitation
from microneedling.services.portal.sign_in import Address, TooManyTries, clinic_by_slug
from microneedling.store import UnitOfWork
from microneedling.store.models import Patient
from microneedling.store.portal_models import ConsultationRequest, PortalAccount

MAX_REQUESTS_PER_CLIENT = 5
MAX_REQUESTS_PER_ADDRESS = 2
REQUEST_WINDOW = timedelta(days=1)
MAX_NAME_CHARS = 200
MAX_MESSAGE_CHARS = 2000


@dataclass(frozen=True)
class Invited:
    channel: str
    reopened: bool


def _account(session: Any, patient_id: int) -> PortalAccount | None:
    found: PortalAccount | None = session.execute(
        select(PortalAccount).where(PortalAccount.patient_id == patient_id)
    ).scalar_one_or_none()
    return found


def invite_patient(
    uow: UnitOfWork, actor: Actor, patient_id: int, channel: str, *, clock: Clock = utc_now
) -> Invited:
    """Give the patient portal access and send the invitation by ``channel`` (email, sms)."""
    with Transaction(uow, actor, "portal.invite", clock) as tx:
        patient = tx.records.get(Patient, patient_id)
        if patient is None:
            raise NotFound("there is no such patient")
        addresses = dict(channels_of(patient))
        if channel not in ("email", "sms"):
            raise UserError("choose e-mail or text message", field="channel")
        if channel not in addresses:
            what = "an e-mail address" if channel == "email" else "a phone number"
            raise UserError(f"the patient has no {what} on record: add it first",
                            field="channel")  # fmt: skip
        account = _account(tx.uow.session, patient.id)
        reopened = account is not None and account.closed_at is not None
        if account is None:
            account = PortalAccount(clinic_id=actor.clinic_id, patient_id=patient.id,
                                    invited_at=tx.now, invited_by=actor.staff_user_id)  # fmt: skip
            tx.records.add(account)
        else:
            account.invited_at, account.invited_by, account.closed_at = (
                tx.now,
                actor.staff_user_id,
                None,
            )
        queue_invitation(tx.uow.session, tx.records.clinic(), patient, channel,
                         addresses[channel], tx.now)  # fmt: skip
        tx.flush()
        tx.done(patient_id=patient.id, entity=("portal_account", account.id),
                details={"channel": channel, "reopened": reopened})  # fmt: skip
    return Invited(channel, reopened)


def portal_status(uow: UnitOfWork, actor: Actor, patient_id: int) -> dict[str, Any] | None:
    """The patient's portal access as staff see it (None: never invited). Read inside the
    patient page's own audited reading; this adds no entry of its own."""
    with uow:
        account = _account(uow.session, patient_id)
        if account is None or account.clinic_id != actor.clinic_id:
            return None
        return {
            "invited_at": account.invited_at,
            "activated_at": account.activated_at,
            "closed_at": account.closed_at,
        }


def request_consultation(
    uow: UnitOfWork,
    clinic_slug: str,
    *,
    name: str,
    contact: str,
    message: str,
    client: str,
    clock: Clock = utc_now,
) -> None:
    """Record a candidate's request for a consultation (audited as someone not signed in)."""
    now = clock()
    name = " ".join((name or "").split())
    if not name:
        raise UserError("enter your name", field="name")
    if len(name) > MAX_NAME_CHARS:
        raise UserError("that name is too long", field="name")
    address = Address.parse(contact)
    text = (message or "").strip()
    if len(text) > MAX_MESSAGE_CHARS:
        raise UserError(f"please keep the message under {MAX_MESSAGE_CHARS} characters",
                        field="message")  # fmt: skip
    client_key = hashlib.sha256((client or "unknown").encode()).hexdigest()
    with uow:
        clinic = clinic_by_slug(uow, clinic_slug)
        since = now - REQUEST_WINDOW
        by_client = uow.session.execute(
            select(func.count()).where(
                ConsultationRequest.client == client_key, ConsultationRequest.created_at > since
            )
        ).scalar_one()
        column = (
            ConsultationRequest.email if address.channel == "email" else ConsultationRequest.phone
        )
        by_address = uow.session.execute(
            select(func.count()).where(
                ConsultationRequest.clinic_id == clinic.id,
                func.lower(column) == address.value,
                ConsultationRequest.created_at > since,
            )
        ).scalar_one()
        if by_client >= MAX_REQUESTS_PER_CLIENT or by_address >= MAX_REQUESTS_PER_ADDRESS:
            raise TooManyTries("the clinic already has your request; they will contact you. "
                               "You can send another tomorrow", field="name")  # fmt: skip
        row = ConsultationRequest(
            clinic_id=clinic.id,
            name=name,
            email=address.value if address.channel == "email" else None,
            phone=address.value if address.channel == "sms" else None,
            message=text,
            created_at=now,
            client=client_key,
            status="new",
        )
        uow.session.add(row)
        uow.flush()
        uow.audit.append(at=now, clinic_id=clinic.id, actor_id=None, actor_role="anonymous",
                         action="portal.consultation_request",
                         entity_type="consultation_request", entity_id=row.id)  # fmt: skip
        uow.commit()


def consultation_requests(
    uow: UnitOfWork, actor: Actor, *, clock: Clock = utc_now
) -> list[dict[str, Any]]:
    """The clinic's open consultation requests, oldest first."""
    with Transaction(uow, actor, "portal.request_read", clock) as tx:
        rows = list(
            tx.uow.session.execute(
                select(ConsultationRequest)
                .where(
                    ConsultationRequest.clinic_id == actor.clinic_id,
                    ConsultationRequest.status == "new",
                )
                .order_by(ConsultationRequest.created_at, ConsultationRequest.id)
                .limit(200)
            ).scalars()
        )
        found = [
            {"id": row.id, "name": row.name, "email": row.email, "phone": row.phone,
             "message": row.message, "created_at": row.created_at}
            for row in rows
        ]  # fmt: skip
        tx.done(details={"results": len(found)})
    return found


def handle_request(
    uow: UnitOfWork, actor: Actor, request_id: int, *, clock: Clock = utc_now
) -> None:
    """Mark a consultation request as dealt with."""
    with Transaction(uow, actor, "portal.request_handle", clock) as tx:
        row = tx.records.get(ConsultationRequest, request_id)
        if row is None:
            raise NotFound("there is no such request")
        if row.status != "new":
            raise UserError("this request was already dealt with")
        row.status, row.handled_by, row.handled_at = "handled", actor.staff_user_id, tx.now
        tx.done(entity=("consultation_request", row.id))
