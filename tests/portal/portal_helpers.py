"""Helpers for the portal's tests: a patient with portal access, the code they were sent, a
browser signed in as them (Starlette's TestClient over the staff web application)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from starlette.testclient import TestClient
from tests.web.web_helpers import Clinic, csrf_of, new_patient

from microneedling.services.portal import accounts
from microneedling.store.message_models import OutboxMessage

CODE = re.compile(r"sign-in code is (\d{6})")


def invited_patient(clinic: Clinic, email: str, **details: Any) -> int:
    """A patient with ``email`` on record, invited to the portal by front desk."""
    patient_id = new_patient(clinic, screened=False, consent=False, email=email, **details)
    accounts.invite_patient(clinic.uow(), clinic.front_desk, patient_id, "email",
                            clock=clinic.clock)  # fmt: skip
    return patient_id


def last_code(clinic: Clinic, recipient: str) -> str:
    """The newest sign-in code queued for ``recipient`` (as the patient reads it)."""
    with clinic.uow() as uow:
        row = uow.session.execute(
            select(OutboxMessage)
            .where(
                OutboxMessage.kind == "portal_code",
                OutboxMessage.recipient == recipient.strip().lower(),
            )
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        ).scalar_one()
        found = CODE.search(row.subject or "")
    assert found, "no code in the message"
    return found.group(1)


def ask_code(client: TestClient, address: str, slug: str = "web") -> Any:
    page = client.get(f"/my/sign-in?clinic={slug}")
    return client.post("/my/sign-in", data={"csrf_token": csrf_of(page.text), "clinic": slug,
                                             "address": address})  # fmt: skip


def give_code(client: TestClient, address: str, code: str, slug: str = "web") -> Any:
    page = client.get(f"/my/sign-in?clinic={slug}")
    return client.post("/my/sign-in/code", data={"csrf_token": csrf_of(page.text),
                                                 "clinic": slug, "address": address,
                                                 "code": code})  # fmt: skip


def patient_browser(clinic: Clinic, email: str, address: str = "198.51.100.1") -> TestClient:
    """A browser signed in to the portal as the patient with ``email``."""
    client = TestClient(clinic.app, follow_redirects=True, client=(address, 50000))
    ask_code(client, email)
    response = give_code(client, email, last_code(clinic, email))
    assert response.url.path == "/my", response.text[:500]
    return client
