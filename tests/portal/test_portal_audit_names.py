"""The owners' audit log with patients among its actors: a patient's entries carry their portal
account's id, which can equal a member of staff's; filtering by that member of staff never lists
the patient's entries, and the patient is never named as that member of staff."""

from __future__ import annotations

from sqlalchemy import select
from tests.portal.portal_helpers import invited_patient, patient_browser
from tests.web.conftest import back_to_start, clinic, migrated_sqlite  # noqa: F401 (fixtures)
from tests.web.web_helpers import Clinic

from microneedling.services import audit
from microneedling.store.models import AuditEntry
from microneedling.store.portal_models import PortalAccount


def test_a_staff_filter_never_lists_a_patients_entries(clinic: Clinic) -> None:  # noqa: F811
    patient_id = invited_patient(clinic, "filter@example.org")
    patient_browser(clinic, "filter@example.org").get("/my")
    with clinic.uow() as uow:
        account_id = uow.session.execute(
            select(PortalAccount.id).where(PortalAccount.patient_id == patient_id)
        ).scalar_one()
        mine = (
            uow.session.execute(
                select(AuditEntry.action).where(
                    AuditEntry.actor_role == "patient", AuditEntry.actor_id == account_id
                )
            )
            .scalars()
            .all()
        )
    assert "portal.sign_in" in mine  # the patient's own entries exist under that id
    log = audit.audit_log(
        clinic.uow(), clinic.owner, audit.audit_query(person=account_id), clock=clinic.clock
    )
    assert all(not item["action"].startswith("portal.sign") for item in log["items"])
    everything = audit.audit_log(clinic.uow(), clinic.owner, clock=clinic.clock)
    signed_in = [item for item in everything["items"] if item["action"] == "portal.sign_in"]
    assert signed_in and all("(patient portal)" in item["who"] for item in signed_in)
