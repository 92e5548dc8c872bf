"""Consents: treatment consent (needed to chart a session) and the separate marketing-photo
consent (needed to use a photo for marketing), each signed and withdrawable.

Each kind has its own form, versioned (:data:`CONSENT_FORMS`): the server decides the text for a
kind and version, and the record keeps that text itself with its SHA-256 and the form's version,
so anyone can later read exactly what was signed. A caller may send the text (or its SHA-256) it
showed; it must be the form's, or nothing is recorded.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class ConsentForm:
    """One version of a consent form: what the patient reads and signs."""

    kind: str
    version: str
    title: str
    text: str

    @property
    def text_sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


#: Every version of every consent form, by kind; a version's text never changes (add a new one).
CONSENT_FORMS: dict[str, dict[str, ConsentForm]] = {
    "treatment": {
        "1": ConsentForm(
            kind="treatment",
            version="1",
            title="Consent to microneedling treatment",
            text=(
                "I consent to microneedling (collagen induction therapy) as explained to me, "
                "including its expected effects (redness, swelling, flaking for a few days), its "
                "risks (infection, cold-sore reactivation, changes in pigmentation, and rarely "
                "scarring), the aftercare I must follow, and that I may withdraw this consent at "
                "any time."
            ),
        ),
    },
    "marketing_photos": {
        "1": ConsentForm(
            kind="marketing_photos",
            version="1",
            title="Consent to the use of my photos in marketing",
            text=(
                "I agree that my clinical photos, without my name, may be used in the clinic's "
                "marketing. I may withdraw this agreement at any time; photos will not be used "
                "after I do."
            ),
        ),
    },
}
#: The version new consents of each kind are signed on.
CURRENT_VERSION = {"treatment": "1", "marketing_photos": "1"}


def consent_form(kind: str, version: str | None = None) -> ConsentForm:
    """The form of ``kind`` at ``version`` (default: the current one)."""
    versions = CONSENT_FORMS.get(kind)
    if versions is None:
        raise UserError(
            f"unknown consent {kind!r} (known: {', '.join(CONSENT_FORMS)})", field="kind"
        )
    chosen = version or CURRENT_VERSION[kind]
    found = versions.get(chosen)
    if found is None:
        raise UserError(
            f"there is no version {chosen!r} of the {kind.replace('_', ' ')} consent form "
            f"(versions: {', '.join(versions)})",
            field="form_version",
        )
    return found


def current_consent_forms() -> list[ConsentForm]:
    """The form each kind is signed on today, in the order of the kinds."""
    return [consent_form(kind) for kind in CONSENT_FORMS]


class SignedConsent(Input):
    kind: Literal["treatment", "marketing_photos"]
    #: The form's version (default: the current one of the kind).
    form_version: str | None = Field(default=None, min_length=1, max_length=32)
    #: The text the patient was shown, if the caller sends it: it must be the form's own text.
    text: str | None = Field(default=None, min_length=1, max_length=100_000)
    #: Or the SHA-256 of the text shown: it must be the form's.
    text_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    #: Who signed, as written (the patient, or a guardian).
    signed_by_name: Text
    #: When it was signed (default: now).
    signed_at: Moment | None = None


def _form_signed(signed: SignedConsent) -> ConsentForm:
    form = consent_form(signed.kind, signed.form_version)
    if signed.text is not None and signed.text.strip() != form.text:
        raise UserError(
            f"is not the text of version {form.version} of the {signed.kind.replace('_', ' ')} "
            "consent form; leave it out and the form's own text is recorded",
            field="text",
        )
    if signed.text_sha256 is not None and signed.text_sha256 != form.text_sha256:
        raise UserError(
            f"the text shown is not version {form.version} of the "
            f"{signed.kind.replace('_', ' ')} consent form; show the form again",
            field="text_sha256",
        )
    return form


def sign_consent(
    uow: UnitOfWork,
    actor: Actor,
    patient_id: int,
    consent: SignedConsent | dict[str, Any],
    *,
    clock: Clock = utc_now,
) -> int:
    """Record a signed consent on its kind's form, witnessed by the acting staff member."""
    signed = parse(SignedConsent, consent, what="consent")
    form = _form_signed(signed)
    with Transaction(uow, actor, "consent.sign", clock) as tx:
        signed_at = signed.signed_at or tx.now
        if signed_at.tzinfo is None:
            raise UserError("give the time with its time zone", field="signed_at")
        if signed_at > tx.now:
            raise UserError("is in the future", field="signed_at")
        patient = require_patient(tx, patient_id)
        row = Consent(
            patient_id=patient.id,
            kind=form.kind,
            form_version=form.version,
            text=form.text,
            text_sha256=form.text_sha256,
            signed_at=signed_at,
            signed_by_name=signed.signed_by_name,
            witnessed_by=actor.staff_user_id,
        )
        tx.records.add(row)
        tx.flush()
        tx.done(
            patient_id=patient.id,
            entity=("consent", row.id),
            details={"kind": form.kind, "form_version": form.version},
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
