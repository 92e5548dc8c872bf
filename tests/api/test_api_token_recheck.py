"""A bearer token found good is trusted for ``token_recheck_seconds`` (5) before it is read again
(services/token_cache.py). Sign-out and closing an account through this application take effect
at once (test_api_sign_in.py); here, what another process does to the database behind the
application's back: it counts once the recheck time has passed, and a closed account reads no
records even before then."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import update
from tests.api.conftest import API, Clinic, MovableClock

from microneedling import demo
from microneedling.store.models import AccessToken, StaffUser

RECHECK = timedelta(seconds=5)


def sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def screen(clinic: Clinic, role: str) -> int:
    return clinic.post("/screen", role, json=demo.load("intake.json")).status_code


def test_a_token_signed_out_by_another_process_stops_working_within_the_recheck_time(
    clinic: Clinic, clock: MovableClock
) -> None:
    assert screen(clinic, "clinician") == 200  # found good, remembered
    with clinic.world.database.engine.begin() as connection:
        connection.execute(
            update(AccessToken)
            .where(AccessToken.token_sha256 == sha256(clinic.tokens["clinician"]))
            .values(revoked_at=clock.now)
        )
    assert screen(clinic, "clinician") == 200  # still trusted: checked less than 5 s ago
    clock.advance(RECHECK)
    refused = clinic.post("/screen", "clinician", json=demo.load("intake.json"))
    assert refused.status_code == 401
    assert refused.json()["message"] == "sign in again: this token was signed out"


def test_an_account_closed_by_another_process_reads_no_records_even_before_the_recheck(
    clinic: Clinic, clock: MovableClock
) -> None:
    patient_id = clinic.world.patient()
    assert clinic.get("/patients", "clinician").status_code == 200
    with clinic.world.database.engine.begin() as connection:
        connection.execute(
            update(StaffUser)
            .where(StaffUser.id == clinic.world.clinician.staff_user_id)
            .values(active=False)
        )
    # Every use case reads the account in its own transaction: refused at once.
    assert clinic.get("/patients", "clinician").status_code in (401, 403)
    record = clinic.get(f"/patients/{patient_id}/record", "clinician")
    assert record.status_code in (401, 403)
    clock.advance(RECHECK)
    assert screen(clinic, "clinician") == 401
    assert (
        clinic.client.get(f"{API}/auth/me", headers=clinic.headers("clinician")).status_code == 401
    )
