"""The audit log page's "Verify the chain": an owner checks their clinic's chain, authenticated
with the server's audit key (this module's server has one); the answer says nothing of the other
clinic; tampering and an unreadable entry are named in words, never an error page."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import text, update
from tests.integration.test_audit_log import drop_triggers
from tests.integration.test_audit_tamper import KEY, rehash
from tests.web.web_helpers import Clinic, new_patient, token

from microneedling.services import clinics
from microneedling.store.models import AuditEntry


@pytest.fixture(scope="module")
def audit_key() -> Iterator[None]:
    """The server of this module has an audit key (read from the environment, as in real use)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MICRONEEDLING_AUDIT_KEY", KEY)
        yield


@pytest.fixture(scope="module")
def clinic(audit_key: None, clinic: Clinic) -> Clinic:
    """The web tests' clinic, on a server with the audit key."""
    return clinic


def verify(clinic: Clinic, role: str = "owner") -> tuple[int, str]:
    client = clinic.signed_in(role)
    page = client.post("/admin/audit/verify", data={"csrf_token": token(client, "/admin/audit")})
    return page.status_code, page.text


def report_of(html: str) -> str:
    found = re.search(r'<div[^>]*id="audit-verify-report"[^>]*>(.*?)</div>', html, re.S)
    assert found, "no verification report on the page"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))).strip()


def clinic_entries(clinic: Clinic, clinic_id: int) -> list[int]:
    with clinic.database.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT sequence FROM audit_entry WHERE clinic_id = :c ORDER BY sequence"),
            {"c": clinic_id},
        )
        return [row[0] for row in rows]


def test_an_owner_sees_their_clinics_chain_intact_and_authenticated(clinic: Clinic) -> None:
    status, html = verify(clinic)
    assert status == 200
    # The clinic's entries up to the check (the page then lists the log: one entry more).
    entries = clinic_entries(clinic, clinic.owner.clinic_id)[:-1]
    assert report_of(html) == (
        f"The clinic's audit chain is intact: {len(entries):,} entries checked, up to this "
        "check. Every entry is authenticated with the server's audit key, so a change made "
        "directly in the database would show here."
    )


def test_the_answer_is_the_same_however_busy_the_other_clinic_is(clinic: Clinic) -> None:
    _, first = verify(clinic)
    for _ in range(3):  # the other clinic's owner works
        clinics.clinic_settings(clinic.uow(), clinic.other_owner, clock=clinic.clock)
    _, second = verify(clinic)
    numbers = re.compile(r"\d[\d,]*")
    assert numbers.sub("N", report_of(first)) == numbers.sub("N", report_of(second))
    # The count grew by the clinic's own entries only (the sign-ins and checks of this test).
    mine = clinic_entries(clinic, clinic.owner.clinic_id)[:-1]
    assert f"{len(mine):,} entries checked" in report_of(second)


def test_only_an_owner_can_verify(clinic: Clinic) -> None:
    for role in ("clinician", "front_desk"):
        client = clinic.signed_in(role)
        page = client.post("/admin/audit/verify", data={"csrf_token": token(client, "/")})
        assert page.status_code == 403
    anonymous = clinic.client()
    page = anonymous.post("/admin/audit/verify", data={"csrf_token": "x" * 10_000})
    assert page.status_code in (400, 403) or "Sign in" in page.text


def test_tampering_is_named_with_the_first_entry_that_fails(clinic: Clinic) -> None:
    patient = new_patient(clinic)
    assert patient
    entries = clinic_entries(clinic, clinic.owner.clinic_id)
    target, place = entries[-3], len(entries) - 2  # its number in the clinic's log
    drop_triggers(clinic.database)
    with clinic.database.engine.begin() as connection:
        connection.execute(
            update(AuditEntry).where(AuditEntry.sequence == target).values(actor_id=None)
        )
        rehash(connection, target)
    status, html = verify(clinic)
    assert status == 200
    said = report_of(html)
    assert said.startswith(
        f"The clinic's audit chain is broken. The first entry that fails is entry {place}. "
        "Tell whoever runs the server"
    )
    assert re.search(rf"entries {place}–\d+: authentication does not match", said)


def test_an_unreadable_entry_is_named_not_an_error_page(clinic: Clinic) -> None:
    entries = clinic_entries(clinic, clinic.owner.clinic_id)
    target, place = entries[-1], len(entries)
    with clinic.database.engine.begin() as connection:
        # What someone with direct access does first (whether or not a test before this did).
        connection.execute(text("DROP TRIGGER IF EXISTS audit_entry_no_update"))
        connection.execute(
            text("UPDATE audit_entry SET recorded_at = 'garbage' WHERE sequence = :n"),
            {"n": target},
        )
    status, html = verify(clinic)
    said = report_of(html)
    assert status in (200, 422)
    assert f"entry {place}: its time cannot be read (garbled)" in said
    assert "an entry of the log cannot be read: it was changed outside the application" in html
    # The log page itself says so too, instead of failing.
    page = clinic.signed_in("owner").get("/admin/audit")
    assert page.status_code == 422
    assert "changed outside the application" in page.text
