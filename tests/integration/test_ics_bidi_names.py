"""A practitioner's feed shows a patient's name between FSI and PDI with its direction overrides
removed, so an override in the name cannot reorder the event's summary (issue 14, item 7).
On SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from icalendar import Calendar
from sqlalchemy import update
from tests.integration.scheduling_support import make_scheduling_world

from microneedling.services import scheduling
from microneedling.store import Database
from microneedling.store.models import Patient


def test_a_name_with_an_override_is_isolated_in_the_practitioners_feed(
    database: Database, tmp_path: Path
) -> None:
    clinic = make_scheduling_world(database, tmp_path / "photos")
    patient_id, plan_id = clinic.patient_with_plan()
    with database.engine.begin() as connection:
        connection.execute(
            update(Patient)
            .where(Patient.id == patient_id)
            .values(given_name="Ada\u202eecilA", family_name="Lovelace\u2067")
        )
    scheduling.book_plan(
        clinic.uow, clinic.desk, plan_id, preferences={"practitioner": clinic.anna},
        clock=clinic.clock,
    )  # fmt: skip
    feed = scheduling.practitioner_feed(
        clinic.uow, clinic.owner, clinic.anna, with_names=True, clock=clinic.clock
    )
    summaries = [str(e["SUMMARY"]) for e in Calendar.from_ical(feed).walk("VEVENT")]
    assert summaries
    for summary in summaries:
        assert summary.endswith(" – \u2068AdaecilA Lovelace\u2069"), summary
        assert "\u202e" not in summary and "\u2067" not in summary
