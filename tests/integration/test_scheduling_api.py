"""The scheduling routes of the HTTP API: a plan booked as a series, moved, cancelled,
downloaded as .ics."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar
from tests.api.conftest import token_for
from tests.integration.scheduling_support import SchedulingWorld, make_scheduling_world

from microneedling.api.app import PREFIX, create_app
from microneedling.config import Settings
from microneedling.store import Database


@pytest.fixture
def api(database: Database, tmp_path: Path) -> Iterator[tuple[TestClient, SchedulingWorld]]:
    clinic = make_scheduling_world(database, tmp_path / "photos")
    app = create_app(
        Settings(
            database_url=database.url.render_as_string(hide_password=False),
            photo_dir=tmp_path / "photos",
        ),
        database=database,
        clock=clinic.clock,
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, clinic


def call(client: TestClient, token: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return client.request(
        method, PREFIX + "/scheduling" + path, headers={"Authorization": f"Bearer {token}"},
        **kwargs,
    )  # fmt: skip


def test_a_plan_is_booked_moved_and_downloaded_through_the_api(
    api: tuple[TestClient, SchedulingWorld], database: Database
) -> None:
    client, clinic = api
    desk = token_for(database, clinic.desk, at=clinic.clock())
    owner = token_for(database, clinic.owner, at=clinic.clock())
    clinician = token_for(database, clinic.clinician, at=clinic.clock())
    patient_id, plan_id = clinic.patient_with_plan()

    proposal = call(client, desk, "POST", f"/plans/{plan_id}/proposal", json={})
    assert proposal.status_code == 200, proposal.text
    sessions = proposal.json()["series"][0]["sessions"]
    assert [s["session"] for s in sessions] == [1, 2, 3]

    both = call(client, desk, "POST", f"/plans/{plan_id}/booking",
                json={"accept": True, "slots": []})  # fmt: skip
    assert both.status_code == 422 and both.json()["error"] == "invalid"
    slots = [{"session": s["session"], "start": s["start"]} for s in sessions]
    booked = call(client, desk, "POST", f"/plans/{plan_id}/booking", json={"slots": slots})
    assert booked.status_code == 201, booked.text
    series = booked.json()["series"][0]
    assert [s["start"] for s in series["sessions"]] == [s["start"] for s in sessions]
    again = call(client, desk, "POST", f"/plans/{plan_id}/booking", json={"accept": True})
    assert again.status_code == 409 and again.json()["error"] == "conflict"

    last = series["sessions"][-1]
    moved = call(client, desk, "POST", f"/appointments/{last['appointment_id']}/move",
                 json={"to": last["start"][:10] + "T14:00"})  # fmt: skip
    assert moved.status_code == 200, moved.text
    assert moved.json()["moved"] == [last["appointment_id"]]
    under = call(client, desk, "POST", f"/appointments/{series['sessions'][1]['appointment_id']}/move",
                 json={"to": sessions[0]["start"][:10] + "T14:00"})  # fmt: skip
    assert under.status_code == 422 and under.json()["fields"][0]["path"] == "to"

    ics = call(client, desk, "GET", f"/patients/{patient_id}/calendar.ics")
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    assert len(list(Calendar.from_ical(ics.content).walk("VEVENT"))) == 3
    feed = call(
        client, desk, "GET", f"/practitioners/{clinic.clinician.staff_user_id}/calendar.ics"
    )
    assert feed.status_code == 200 and b"BEGIN:VEVENT" in feed.content

    cancelled = call(
        client,
        desk,
        "POST",
        f"/appointments/{series['sessions'][1]['appointment_id']}/cancel",
        json={"reason": "Patient is ill"},
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["created"] == [] and cancelled.json()["reason"] == "Patient is ill"
    listed = call(client, desk, "GET", f"/patients/{patient_id}/series")
    assert listed.status_code == 200 and len(listed.json()[0]["sessions"]) == 2
    assert call(client, desk, "GET", "/maintenance-due").json() == []

    assert call(client, desk, "POST", "/optimise", json={}).status_code == 403
    optimised = call(client, clinician, "POST", "/optimise",
                     json={"method": "greedy", "horizon_days": 60})  # fmt: skip
    assert optimised.status_code == 200, optimised.text
    accepted = call(client, desk, "POST", "/optimise/accept", json={"result": optimised.json()})
    assert accepted.status_code == 200, accepted.text

    settings = call(client, desk, "GET", "/calendar").json()
    assert call(client, desk, "PUT", "/calendar", json=settings).status_code == 403
    assert call(client, owner, "PUT", "/calendar", json=settings).status_code == 200
    bad = call(client, owner, "PUT", "/calendar", json={**settings, "slot_minutes": 7})
    assert bad.status_code == 422 and bad.json()["fields"][0]["path"] == "slot_minutes"
