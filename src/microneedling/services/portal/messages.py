"""The portal's messages to patients: the invitation and the sign-in code, in plain words.

Both are urgent messages of the outbox (``queue_urgent``: sent at once, past quiet hours and
preferences), queued in the transaction that makes them. Neither names a treatment: an SMS and
an e-mail subject carry only the clinic's name.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from microneedling.services.messages.channels import message_settings
from microneedling.services.messages.outbox import queue_urgent
from microneedling.store.models import Clinic, Patient


def portal_url(slug: str) -> str:
    """The portal's sign-in page for the clinic, at the address patients reach it by
    (``MICRONEEDLING_MESSAGES_PUBLIC_URL``; a relative link without it)."""
    base = (message_settings().messages_public_url or "").rstrip("/")
    return f"{base}/my/sign-in?clinic={slug}"


def channels_of(patient: Patient) -> list[tuple[str, str]]:
    """The patient's addresses, e-mail first: (channel, address)."""
    found = []
    if patient.email:
        found.append(("email", patient.email))
    if patient.phone:
        found.append(("sms", patient.phone))
    return found


def queue_invitation(
    session: Session, clinic: Clinic, patient: Patient, channel: str, address: str, now: datetime
) -> None:
    link = portal_url(clinic.slug)
    subject = f"{clinic.name}: your own page at the clinic"
    if channel == "sms":
        text = f"{clinic.name}: you can now use your own page at the clinic: {link}"
    else:
        text = (
            f"Dear {patient.given_name},\n\n"
            f"{clinic.name} invites you to your own page at the clinic. There you can fill in "
            "the questionnaire before your visit and see your appointments.\n\n"
            f"Open {link} and sign in with this e-mail address: we send you a code each time, "
            "there is no password to remember.\n\n"
            f"{clinic.name}"
        )
    queue_urgent(session, clinic.id, kind="portal_invitation", channel=channel,
                 recipient=address, subject=subject, text=text, now=now,
                 patient_id=patient.id)  # fmt: skip


def queue_code(
    session: Session,
    clinic: Clinic,
    patient: Patient,
    channel: str,
    address: str,
    code: str,
    minutes: int,
    now: datetime,
) -> None:
    subject = f"{clinic.name}: your sign-in code is {code}"
    if channel == "sms":
        text = f"{clinic.name}: your sign-in code is {code}. It works once, for {minutes} minutes."
    else:
        text = (
            f"Dear {patient.given_name},\n\n"
            f"Your code to sign in to your page at {clinic.name} is:\n\n    {code}\n\n"
            f"It works once, for {minutes} minutes. If you did not ask for it, you can ignore "
            "this message: nobody can sign in without the code.\n\n"
            f"{clinic.name}"
        )
    queue_urgent(session, clinic.id, kind="portal_code", channel=channel, recipient=address,
                 subject=subject, text=text, now=now, patient_id=patient.id)  # fmt: skip
