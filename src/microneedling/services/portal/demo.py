"""The demo clinic's patients with portal access: three patients (the first registered with an
e-mail address) invited to the portal the evening before the demo's day. A demo clinic shows a
sign-in code on the page itself (no message can reach an example.com address)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from microneedling.services.access import Actor, Role
from microneedling.services.clock import fixed_clock
from microneedling.services.portal.accounts import invite_patient
from microneedling.store import UnitOfWork
from microneedling.store.models import Clinic, Patient, StaffUser

#: How many demo patients get portal access.
PORTAL_PATIENTS = 3


def open_demo_portal(uow: UnitOfWork, today: date, slug: str = "demo") -> list[str]:
    """Invite the clinic's first patients with an e-mail address; their addresses."""
    with uow:
        clinic = uow.session.execute(select(Clinic).where(Clinic.slug == slug)).scalar_one()
        owner = uow.session.execute(
            select(StaffUser)
            .where(StaffUser.clinic_id == clinic.id, StaffUser.role == "owner")
            .order_by(StaffUser.id)
            .limit(1)
        ).scalar_one()
        chosen = list(
            uow.session.execute(
                select(Patient.id, Patient.email)
                .where(Patient.clinic_id == clinic.id, Patient.email.is_not(None))
                .order_by(Patient.id)
                .limit(PORTAL_PATIENTS)
            ).all()
        )
        actor = Actor(owner.id, clinic.id, Role.OWNER)
        evening = datetime.combine(today - timedelta(days=1), time(18, 0),
                                   tzinfo=ZoneInfo(clinic.time_zone))  # fmt: skip
    for patient_id, _email in chosen:
        invite_patient(uow, actor, patient_id, "email", clock=fixed_clock(evening))
    return [str(email) for _id, email in chosen]


def sign_in_lines(emails: list[str]) -> list[str]:
    """What ``microneedling demo`` prints about the portal."""
    if not emails:
        return []
    return [
        "Patient portal: open /my/sign-in?clinic=demo and sign in as "
        + ", ".join(emails)
        + " (the demo clinic shows the one-time code on the page)."
    ]
