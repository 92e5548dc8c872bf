"""Consents: treatment consent (needed to chart a session) and the separate marketing-photo
consent (needed to use a photo for marketing), each signed and withdrawable.

The consent text itself is not stored, only its SHA-256 with the form's version: the clinic keeps
its forms; the record proves which one was signed.
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from pydantic import Field

from microneedling.errors import NotFound, RuleViolation, UserError
from microneedling.services.access import Actor, Transaction
from microneedling.services.clock import Clock, utc_now
from microneedling.services.inputs import Input, Moment, Text, parse
from microneedling.services.patients import require_patient
from microneedling.services.views import consent_view
from microneedling.store import UnitOfWork
from microneedling.store.models import Consent


class SignedConsent(Input):
    kind: Literal["treatment", "marketing_photos"]
    form_version: str = Field(min_length=1, max_length=32)
    #: The text the patient was shown (hashed, not stored).
    text: str = Field(min_length=1, max_length=100_000)
    #: Who signed, as written (the patient, or a guardian).
    signed_by_name: Text
    #: When it was signed (default: now).
    signed_at: Moment | None = None


def sign_consent(
    uow: UnitOfWork,
    actor: Actor,
    patient_id: int,
    consent: SignedConsent | dict[str, Any],
    *,
    clock: Clock = utc_now,
) -> int:
    """Record a signed consent, witnessed by the acting staff member."""
    signed = parse(SignedConsent, consent, what="consent")
    with Transaction(uow, actor, "consent.sign", clock) as tx:
        signed_at = signed.signed_at or tx.now
        if signed_at.tzinfo is None:
            raise UserError("give the time with its time zone", field="signed_at")
        if signed_at > tx.now:
            raise UserError("is in the future", field="signed_at")
        patient = require_patient(tx, patient_id)
        row = Consent(
            patient_id=patient.id,
            kind=signed.kind,
            form_version=signed.form_version,
            text_sha256=hashlib.sha256(signed.text.encode("utf-8")).hexdigest(),
            signed_at=signed_at,
            signed_by_name=signed.signed_by_name,
            witnessed_by=actor.staff_user_id,
        )
        tx.records.add(row)
        tx.flush()
        tx.done(
            patient_id=patient.id,
            entity=("consent", row.id),
            details={"kind": signed.kind, "form_version": signed.form_version},
        )
    return row.id


def withdraw_consent(
    uow: UnitOfWork, actor: Actor, consent_id: int, *, clock: Clock = utc_now
) -> None:
    """Record that the patient withdrew a consent (from now on it no longer counts)."""
    with Transaction(uow, actor, "consent.withdraw", clock) as tx:
        row = tx.records.get(Consent, consent_id, for_update=True)
        if row is None:
            raise NotFound(f"no consent {consent_id} in this clinic", field="consent_id")
        if row.withdrawn_at is not None:
            raise RuleViolation("this consent is already withdrawn", field="consent_id")
        row.withdrawn_at = tx.now
        row.withdrawal_recorded_by = actor.staff_user_id
        tx.done(
            patient_id=row.patient_id,
            entity=("consent", row.id),
            details={"kind": row.kind},
        )


def list_consents(
    uow: UnitOfWork, actor: Actor, patient_id: int, *, clock: Clock = utc_now
) -> list[dict[str, Any]]:
    """The patient's consents (signed, and withdrawn ones), oldest first."""
    with Transaction(uow, actor, "consent.read", clock, reading=True) as tx:
        patient = require_patient(tx, patient_id)
        found = [consent_view(row) for row in tx.records.of_patient(Consent, patient.id)]
        tx.done(patient_id=patient.id, details={"results": len(found)})
    return found
