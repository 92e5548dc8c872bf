"""Consents the patient e-signs in the portal, and withdraws there as easily.

The patient reads the clinic's current form in full, types their name and ticks that they agree.
What is stored (``portal_signature``): the exact text shown, its form's kind, version and SHA-256,
the name typed, the time, and the device (client address and user agent). The form the page showed
is named by its SHA-256: if the clinic's text changed in the meantime nothing is signed and the
patient reads the new text. The name typed must be the patient's name as the clinic has it (case,
accents and spacing do not matter).

Three forms: the treatment consent and the marketing-photo consent are the clinic's own forms
(:data:`microneedling.services.consents.CONSENT_FORMS`, the ones staff record on paper too); the
clinical-photo consent (photos for the clinical record only) is the portal's. Marketing use is
a separate form, signed only when the patient opts in.

Staff see every e-signed consent beside the ones they recorded (:func:`staff_signatures`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from microneedling.errors import NotFound, RuleViolation, UserError
from microneedling.services.access import Actor, Transaction
from microneedling.services.clock import Clock, utc_now
from microneedling.services.consents import ConsentForm, consent_form
from microneedling.services.patients import require_patient
from microneedling.services.portal.actor import PatientActor, PatientTransaction, register_actions
from microneedling.store import UnitOfWork
from microneedling.store.patient_search import fold
from microneedling.store.portal_records_models import SIGNATURE_KINDS, PortalSignature

register_actions(
    {
        "portal.consent_read": "see your consent forms",
        "portal.consent_sign": "sign a consent form",
        "portal.consent_withdraw": "withdraw a consent",
    }
)

#: The portal's own form: photos kept in the clinical record (never used for marketing).
CLINICAL_PHOTOS_FORMS: dict[str, ConsentForm] = {
    "1": ConsentForm(
        kind="clinical_photos",
        version="1",
        title="Consent to clinical photos",
        text=(
            "I agree that the clinic takes photos of the treated areas before, during and after "
            "my treatment, and keeps them in my clinical record to plan my treatment and follow "
            "its results. Only the clinic's staff who treat me see them. They are not used for "
            "marketing unless I sign the separate marketing consent. I may withdraw this "
            "agreement at any time; no new photos are taken after I do."
        ),
    )
}
CLINICAL_PHOTOS_VERSION = "1"

#: The order the forms are shown in, and what each is, in the patient's words.
FORM_PURPOSE = {
    "treatment": "Your treatment",
    "clinical_photos": "Photos for your clinical record",
    "marketing_photos": "Photos in the clinic's marketing (only if you want to)",
}
assert tuple(FORM_PURPOSE) == SIGNATURE_KINDS

#: Longest user agent and address kept (longer ones are cut, never refused).
MAX_USER_AGENT = 500
MAX_ADDRESS = 64
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class Device:
    """The device a patient signed or withdrew from, as the web server saw it."""

    address: str | None
    user_agent: str | None

    @classmethod
    def of(cls, address: object, user_agent: object) -> Device:
        """Cleaned: control characters removed, cut to the columns' lengths, empty → None."""

        def clean(value: object, limit: int) -> str | None:
            if not isinstance(value, str):
                return None
            text = _CONTROL.sub("", value).strip()[:limit]
            return text or None

        return cls(clean(address, MAX_ADDRESS), clean(user_agent, MAX_USER_AGENT))


def portal_form(kind: str) -> ConsentForm:
    """The current form of ``kind`` a patient signs in the portal."""
    if kind not in SIGNATURE_KINDS:
        raise NotFound("there is no such consent form", field="kind")
    if kind == "clinical_photos":
        return CLINICAL_PHOTOS_FORMS[CLINICAL_PHOTOS_VERSION]
    return consent_form(kind)


def _name_matches(typed: str, given: str, family: str) -> bool:
    return fold(typed) == fold(f"{given} {family}")


def signature_view(row: PortalSignature) -> dict[str, Any]:
    return {
        "id": row.id,
        "patient_id": row.patient_id,
        "kind": row.kind,
        "purpose": FORM_PURPOSE.get(row.kind, row.kind),
        "title": row.title,
        "form_version": row.form_version,
        "text": row.text,
        "text_sha256": row.text_sha256,
        "signed_name": row.signed_name,
        "signed_at": row.signed_at,
        "signed_ip": row.signed_ip,
        "signed_user_agent": row.signed_user_agent,
        "withdrawn_at": row.withdrawn_at,
        "withdrawn_ip": row.withdrawn_ip,
        "withdrawn_user_agent": row.withdrawn_user_agent,
        "standing": row.withdrawn_at is None,
    }


def consent_overview(
    uow: UnitOfWork, actor: PatientActor, *, clock: Clock = utc_now
) -> list[dict[str, Any]]:
    """Each form the patient can sign: its current text, and their signature standing on it
    (``signed``, ``None`` if none) and every earlier one (``history``, newest first)."""
    with PatientTransaction(uow, actor, "portal.consent_read", clock) as tx:
        patient = tx.patient()
        rows = tx.records.of_patient(PortalSignature, patient.id)
        found = []
        for kind, purpose in FORM_PURPOSE.items():
            form = portal_form(kind)
            mine = [signature_view(r) for r in reversed(rows) if r.kind == kind]
            standing = next((s for s in mine if s["standing"]), None)
            found.append(
                {
                    "kind": kind,
                    "purpose": purpose,
                    "title": form.title,
                    "version": form.version,
                    "text": form.text,
                    "text_sha256": form.text_sha256,
                    "signed": standing,
                    "outdated": standing is not None
                    and standing["text_sha256"] != form.text_sha256,
                    "history": mine,
                }
            )
        tx.done(details={"forms": len(found)})
    return found


def sign(
    uow: UnitOfWork,
    actor: PatientActor,
    kind: str,
    *,
    text_sha256: str,
    typed_name: str,
    agreed: bool,
    device: Device,
    clock: Clock = utc_now,
) -> int:
    """E-sign the current form of ``kind``: ``text_sha256`` names the text the page showed,
    ``typed_name`` is the name the patient typed, ``agreed`` their tick. Refused (nothing stored)
    when any is missing or wrong, or when this text is already signed and standing."""
    form = portal_form(kind)
    if not isinstance(text_sha256, str) or not re.fullmatch(r"[0-9a-f]{64}", text_sha256):
        raise UserError("the form could not be read back: please open it again", field="form")
    if text_sha256 != form.text_sha256:
        raise UserError(
            "the clinic changed this form while it was open: please read the new text and sign "
            "again",
            field="form",
        )
    name = " ".join(typed_name.split()) if isinstance(typed_name, str) else ""
    if not name:
        raise UserError("type your full name to sign", field="typed_name")
    if len(name) > 200:
        raise UserError("a name has at most 200 characters", field="typed_name")
    if agreed is not True:
        raise UserError("tick the box to say you have read and agree to it", field="agreed")
    with PatientTransaction(uow, actor, "portal.consent_sign", clock) as tx:
        patient = tx.patient()
        if not _name_matches(name, patient.given_name, patient.family_name):
            raise UserError(
                "type your full name as the clinic has it "
                f"({patient.given_name} {patient.family_name})",
                field="typed_name",
            )
        for row in tx.records.of_patient(PortalSignature, patient.id):
            if (
                row.kind == kind
                and row.withdrawn_at is None
                and row.text_sha256 == form.text_sha256
            ):
                raise RuleViolation("you have already signed this form", field="form")
        signature = PortalSignature(
            patient_id=patient.id,
            kind=form.kind,
            form_version=form.version,
            title=form.title,
            text=form.text,
            text_sha256=hashlib.sha256(form.text.encode("utf-8")).hexdigest(),
            signed_name=name,
            signed_at=tx.now,
            signed_ip=device.address,
            signed_user_agent=device.user_agent,
        )
        tx.records.add(signature)
        tx.flush()
        tx.done(
            entity=("portal_signature", signature.id),
            details={"kind": form.kind, "form_version": form.version},
        )
    return signature.id


def withdraw(
    uow: UnitOfWork,
    actor: PatientActor,
    signature_id: int,
    *,
    device: Device,
    clock: Clock = utc_now,
) -> None:
    """Withdraw one of the patient's own standing e-signed consents (from now on it no longer
    counts). Another patient's, or one that does not exist, is not found."""
    with PatientTransaction(uow, actor, "portal.consent_withdraw", clock) as tx:
        patient = tx.patient()
        row = tx.records.get(PortalSignature, signature_id, for_update=True)
        if row is None or row.patient_id != patient.id:
            raise NotFound("there is no such signed consent", field="signature")
        if row.withdrawn_at is not None:
            raise RuleViolation("you have already withdrawn this consent", field="signature")
        row.withdrawn_at = tx.now
        row.withdrawn_ip = device.address
        row.withdrawn_user_agent = device.user_agent
        tx.done(entity=("portal_signature", row.id), details={"kind": row.kind})


def my_signature(
    uow: UnitOfWork, actor: PatientActor, signature_id: int, *, clock: Clock = utc_now
) -> dict[str, Any]:
    """One of the patient's own signed consents (for its PDF copy), with the clinic's name."""
    with PatientTransaction(uow, actor, "portal.consent_read", clock) as tx:
        patient = tx.patient()
        row = tx.records.get(PortalSignature, signature_id)
        if row is None or row.patient_id != patient.id:
            raise NotFound("there is no such signed consent", field="signature")
        found = signature_view(row)
        found["patient"] = f"{patient.given_name} {patient.family_name}"
        clinic = tx.records.clinic()
        found["clinic"] = clinic.name
        found["time_zone"] = clinic.time_zone
        tx.done(entity=("portal_signature", row.id), details={"kind": row.kind})
    return found


def staff_signatures(
    uow: UnitOfWork, actor: Actor, patient_id: int, *, clock: Clock = utc_now
) -> list[dict[str, Any]]:
    """The consents a patient e-signed in the portal, for staff (oldest first): read under the
    same permission as the consents staff record (``consent.read``)."""
    with Transaction(uow, actor, "consent.read", clock, reading=True) as tx:
        patient = require_patient(tx, patient_id)
        found = [signature_view(row) for row in tx.records.of_patient(PortalSignature, patient.id)]
        tx.done(patient_id=patient.id, details={"results": len(found), "portal": True})
    return found
