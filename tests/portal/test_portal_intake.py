"""The questionnaire before the visit: plain questions, dates as people give them, a draft, sent
once, screened at once with its meaning in plain words, and confirmed (or corrected) by a
clinician into the intake of record."""

from __future__ import annotations

import re

from sqlalchemy import select
from tests.portal.portal_helpers import invited_patient, patient_browser
from tests.web.conftest import back_to_start, clinic, migrated_sqlite  # noqa: F401 (fixtures)
from tests.web.web_helpers import Clinic, csrf_of, error_summary

from microneedling.store.models import AuditEntry, Intake
from microneedling.store.portal_models import PortalIntake

CODES = re.compile(r"\b[a-z]+_[a-z_]+\b")


def _send(client, data: dict[str, object]):  # type: ignore[no-untyped-def]
    page = client.get("/my/intake")
    return client.post("/my/intake", data={"csrf_token": csrf_of(page.text), **data})


def test_the_questions_are_in_plain_words(clinic: Clinic) -> None:  # noqa: F811
    invited_patient(clinic, "plain@example.org")
    client = patient_browser(clinic, "plain@example.org", "198.51.100.30")
    page = client.get("/my/intake")
    assert page.status_code == 200
    assert "Have you taken isotretinoin (Roaccutane, Accutane) tablets" in page.text
    assert "Around the eyes" in page.text and "Periorbital" not in page.text
    visible = re.sub(r"<[^>]+>", " ", page.text)
    visible = re.sub(r"\{[^}]*\}", " ", visible)
    assert not [word for word in CODES.findall(visible) if word not in ("csrf_token",)]


def test_a_draft_is_kept_then_sent_once_and_its_meaning_shown(clinic: Clinic) -> None:  # noqa: F811
    patient_id = invited_patient(clinic, "draft@example.org")
    client = patient_browser(clinic, "draft@example.org", "198.51.100.31")
    saved = _send(client, {"action": "save", "zones": "cheeks", "finding": "topical_retinoid",
                           "topical_retinoid.stopped_on": "yesterday"})  # fmt: skip
    assert saved.status_code == 200 and "Saved" in saved.text
    again = client.get("/my/intake")
    assert 'value="yesterday"' in again.text
    sent = _send(client, {"action": "submit", "zones": "cheeks", "finding": "topical_retinoid",
                          "topical_retinoid.stopped_on": "yesterday"})  # fmt: skip
    assert sent.status_code == 200
    # START is 1 December 2026 (tests.web.web_helpers): stopped on 30 November, 7 days.
    assert "wait until 7 December 2026 because of your retinoid" in sent.text
    assert "clinician" in sent.text
    with clinic.uow() as uow:
        row = uow.session.execute(
            select(PortalIntake).where(PortalIntake.patient_id == patient_id)
        ).scalar_one()
        assert row.status == "submitted" and row.decision == "defer"
        assert (
            uow.session.execute(select(Intake).where(Intake.patient_id == patient_id))
            .scalars()
            .all()
            == []
        )
    resent = _send(client, {"action": "submit", "zones": "cheeks"})
    assert resent.status_code == 422
    assert "already sent" in resent.text


def test_bad_answers_get_clear_messages_and_save_nothing(clinic: Clinic) -> None:  # noqa: F811
    patient_id = invited_patient(clinic, "bad@example.org")
    client = patient_browser(clinic, "bad@example.org", "198.51.100.32")
    response = _send(client, {"action": "submit", "finding": ["isotretinoin", "chemical_peel"],
                              "isotretinoin.stopped_on": "next week",
                              "chemical_peel.on": "31/02/2026"})  # fmt: skip
    assert response.status_code == 422
    problems = " ".join(error_summary(response.text))
    assert "choose at least one area" in problems
    assert "could not read that date" in problems
    future = _send(client, {"action": "submit", "zones": "cheeks", "finding": "chemical_peel",
                            "chemical_peel.on": "1 January 2030"})  # fmt: skip
    assert "in the future" in future.text
    hostile = _send(client, {"action": "submit", "zones": ["<script>", "cheeks"],
                             "finding": "'; drop table patient; --"})  # fmt: skip
    assert hostile.status_code == 200
    with clinic.uow() as uow:
        rows = (
            uow.session.execute(select(PortalIntake).where(PortalIntake.patient_id == patient_id))
            .scalars()
            .all()
        )
        assert [row.answers["intake"]["zones"] for row in rows] == [["cheeks"]]


def test_a_clinician_confirms_it_into_the_intake_of_record(clinic: Clinic) -> None:  # noqa: F811
    patient_id = invited_patient(clinic, "confirm@example.org", given_name="Cora")
    client = patient_browser(clinic, "confirm@example.org", "198.51.100.33")
    _send(client, {"action": "submit", "zones": ["cheeks", "forehead"], "finding": "chemical_peel",
                   "chemical_peel.on": "3 weeks ago"})  # fmt: skip
    desk = clinic.signed_in("front_desk")
    assert desk.get("/portal/intakes/1", follow_redirects=False).status_code in (403, 404)
    staff = clinic.signed_in("clinician")
    listing = staff.get("/portal")
    link = re.search(r'Cora Lovelace.*?href="/portal/intakes/(\d+)"', listing.text, re.S)
    assert link, listing.text[:2000]
    review = staff.get(f"/portal/intakes/{link.group(1)}")
    assert review.status_code == 200
    assert 'value="2026-11-10"' in review.text  # "3 weeks ago" from 1 December
    fields = {
        "csrf_token": csrf_of(review.text),
        "on": "2026-12-01",
        "zones": ["cheeks"],
        "finding": "chemical_peel",
        "chemical_peel.on": "2026-11-10",
    }
    confirmed = staff.post(f"/portal/intakes/{link.group(1)}/confirm", data=fields)
    assert confirmed.status_code == 200 and "/intakes/" in str(confirmed.url)
    with clinic.uow() as uow:
        intake = uow.session.execute(
            select(Intake).where(Intake.patient_id == patient_id)
        ).scalar_one()
        assert intake.answers["zones"] == ["cheeks"]
        entry = (
            uow.session.execute(
                select(AuditEntry).where(AuditEntry.action == "portal.intake_confirm")
            )
            .scalars()
            .one()
        )
        assert entry.patient_id == patient_id and '"corrected":true' in entry.details
    twice = staff.post(f"/portal/intakes/{link.group(1)}/confirm", data=fields)
    assert twice.status_code == 422 and "already confirmed" in twice.text
    shown = client.get("/my/intake")
    assert "has read and confirmed" in shown.text
