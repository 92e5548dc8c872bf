"""`microneedling calendar ...`: a plan turned into a booked series from the command line, with
one-line errors and exit code 2, JSON output and roles checked."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar
from tests.integration.scheduling_support import (
    SchedulingWorld,
    app,
    calendar_settings_for,
    make_scheduling_world,
)
from typer.testing import CliRunner

from microneedling.store import Database

runner = CliRunner()


@pytest.fixture
def clinic(
    database: Database, tmp_path: Path, records_env: Callable[[str], None]
) -> SchedulingWorld:
    """A clinic on the real clock (the commands read it), the settings pointing at its database."""
    records_env(database.url.render_as_string(hide_password=False))
    return make_scheduling_world(
        database, tmp_path / "photos", now=datetime.now(UTC), configure=False
    )


def run(*arguments: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["calendar", *arguments])
    return result.exit_code, result.stdout, result.stderr


def test_a_plan_becomes_a_booked_series_from_the_command_line(
    clinic: SchedulingWorld, tmp_path: Path
) -> None:
    owner, desk = f"owner@{clinic.slug}.example", f"desk@{clinic.slug}.example"
    settings = tmp_path / "calendar.yaml"
    practitioners = "\n".join(
        f"  - {{id: {email}, hours: {{monday-saturday: '08:00-18:00'}}}}"
        for email in (clinic.anna, clinic.ben)
    )
    settings.write_text(
        "opening_hours: {monday-saturday: '08:00-18:00'}\n"
        "closures: [{from: 2027-12-24, to: 2027-12-26, reason: Christmas}]\n"
        "slot_minutes: 15\n"
        f"practitioners:\n{practitioners}\n"
        "rooms: [{id: room-1}, {id: room-2}]\n"
        f"devices: [{{id: {clinic.pen}}}]\n",
        encoding="utf-8",
    )
    refused = run("configure", str(settings), "--as", desk)
    assert refused[0] == 2 and refused[2].startswith(
        "error: Your role (front desk) cannot change the clinic calendar; that is for owners"
    )
    assert refused[2].count("\n") == 1
    code, out, err = run("configure", str(settings), "--as", owner)
    assert code == 0, err
    assert "2 practitioner(s), 2 room(s), 1 device(s)" in out
    shown = json.loads(run("show", "--as", desk, "--json")[1])
    assert shown["rooms"][1]["id"] == "room-2"

    patient_id, plan_id = clinic.patient_with_plan()
    code, out, err = run("propose", "--plan", str(plan_id), "--as", desk, "--json",
                         "--weekdays", "tuesday,thursday", "--times", "08:00-12:00")  # fmt: skip
    assert code == 0, err
    proposal = json.loads(out)
    sessions = proposal["series"][0]["sessions"]
    assert all(date.fromisoformat(s["start"][:10]).weekday() in (1, 3) for s in sessions)
    table = run("propose", "--plan", str(plan_id), "--as", desk)
    assert table[0] == 0 and "session" in table[1]

    code, out, err = run("book", "--plan", str(plan_id), "--accept", "--as", desk, "--json")
    assert code == 0, err
    booked = json.loads(out)["series"][0]["sessions"]
    assert len(booked) == 3

    again = run("book", "--plan", str(plan_id), "--accept", "--as", desk)
    assert again[0] == 2 and "already booked" in again[2]

    last = booked[-1]
    next_day = date.fromisoformat(last["start"][:10]) + timedelta(days=1)
    if next_day.weekday() == 6:
        next_day += timedelta(days=1)
    target = next_day.isoformat() + "T11:00"
    code, out, err = run("move", "--appointment", str(last["appointment_id"]), "--to", target,
                         "--as", desk, "--json")  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["moved"] == [last["appointment_id"]]
    under = run("move", "--appointment", str(booked[1]["appointment_id"]), "--to",
                booked[0]["start"][:10] + "T11:00", "--as", desk)  # fmt: skip
    assert under[0] == 2 and "at least 4 weeks after session 1" in under[2]

    ics = tmp_path / "series.ics"
    code, out, err = run("export", "--patient", str(patient_id), "--out", str(ics), "--as", desk)
    assert code == 0, err and "3 sessions" in out
    events = list(Calendar.from_ical(ics.read_bytes()).walk("VEVENT"))
    assert [str(e["SUMMARY"]) for e in events] == [
        f"Microneedling session {n} of 3" for n in (1, 2, 3)
    ]
    assert str(events[2]["DTSTART"].dt.astimezone(UTC))[:10] == target[:10]
    feed = tmp_path / "anna.ics"
    code, _, err = run("feed", "--practitioner", clinic.anna, "--out", str(feed), "--as", desk)
    assert code == 0, err and feed.exists()
    wrong = run("export", "--patient", str(patient_id), "--out", str(tmp_path / "x.txt"),
                "--as", desk)  # fmt: skip
    assert wrong[0] == 2 and ".ics" in wrong[2]

    code, out, err = run("cancel", "--appointment", str(booked[1]["appointment_id"]),
                         "--reason", "Patient is ill", "--as", desk, "--json")  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["cancelled"] == booked[1]["appointment_id"]
    listed = json.loads(run("series", "--patient", str(patient_id), "--as", desk, "--json")[1])
    assert [s["session"] for s in listed[0]["sessions"]] == [1, 3]

    code, out, err = run("due", "--as", desk, "--json")
    assert code == 0, err and json.loads(out) == []


def test_picked_slots_from_a_file_and_the_optimiser_from_the_command_line(
    clinic: SchedulingWorld, tmp_path: Path
) -> None:
    settings = calendar_settings_for(clinic.pen, closures=[])
    settings["practitioners"] = [{"id": clinic.anna, "hours": {"monday-friday": "08:00-16:00"}}]
    file = tmp_path / "calendar.json"
    file.write_text(json.dumps(settings), encoding="utf-8")
    owner, desk = f"owner@{clinic.slug}.example", f"desk@{clinic.slug}.example"
    clinician = clinic.anna
    assert run("configure", str(file), "--as", owner)[0] == 0
    _, plan_id = clinic.patient_with_plan()
    proposal = tmp_path / "proposal.json"
    code, out, err = run("propose", "--plan", str(plan_id), "--as", desk, "--json")
    assert code == 0, err
    proposal.write_text(out, encoding="utf-8")
    code, out, err = run("book", "--plan", str(plan_id), "--slots", str(proposal), "--as", desk,
                         "--json")  # fmt: skip
    assert code == 0, err
    assert [s["start"] for s in json.loads(out)["series"][0]["sessions"]] == [
        s["start"] for s in json.loads(proposal.read_text())["series"][0]["sessions"]
    ]
    both = run("book", "--plan", str(plan_id), "--accept", "--slots", str(proposal), "--as", desk)
    assert both[0] == 2 and "either --accept or --slots" in both[2]

    pending = [clinic.patient_with_plan()[1] for _ in range(2)]
    result_file = tmp_path / "optimised.json"
    refused = run("optimise", "--as", desk)
    assert refused[0] == 2 and "Your role (front desk) cannot optimise the calendar" in refused[2]
    code, out, err = run("optimise", "--as", clinician, "--time-limit", "2", "--horizon", "120",
                         "--out", str(result_file), "--json")  # fmt: skip
    assert code == 0, err
    optimised = json.loads(out)
    assert {e["plan_id"] for e in optimised["series"]} >= set(pending)
    assert json.loads(result_file.read_text()) == optimised
    code, out, err = run("accept", str(result_file), "--as", desk, "--json")
    assert code == 0, err
    assert len(json.loads(out)["accepted"]) == len(optimised["series"])
    table = run("optimise", "--as", clinician, "--method", "greedy")
    assert table[0] == 0 and "0 series" in table[1]
