"""The full record's ETag over the API, on both databases: the record comes with an ETag; sent back
in ``If-None-Match`` while nothing changed it answers 304 without a body, audited all the same;
every kind of change to what the record shows (through a use case, or by hand in the database)
gives a new ETag and the full record again; a list of tags, weak tags and ``*`` match as HTTP
says; anything else in the header is no tag at all (the full record, never a wrong 304); and a
304 is refused exactly like the record to those who may not read it.
"""

from __future__ import annotations

import importlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest
from PIL import Image
from sqlalchemy import select, text
from tests.api.conftest import Clinic
from tests.integration.conftest import Session

from microneedling.api.schemas import FullRecordOut
from microneedling.services import (
    adverse_events,
    appointments,
    charts,
    consents,
    inventory,
    outcomes,
    photos,
    plans,
)
from microneedling.services.audit import verify_audit_log
from microneedling.store import Database, repositories
from microneedling.store.models import AuditEntry

STRONG_TAG = re.compile(r'^"[0-9a-f]{32}"$')
ACNE = {"zone": "cheeks", "concern": "acne_scars", "subtype": "rolling"}


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (12, 8), (200, 30, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


def read(
    clinic: Clinic, patient_id: int, if_none_match: str | None = None, role: str = "clinician"
) -> httpx.Response:
    # As bytes: a header may hold any octet (here Latin-1 letters), and HTTP clients send those.
    headers = {} if if_none_match is None else {"If-None-Match": if_none_match.encode("latin-1")}
    return clinic.get(f"/patients/{patient_id}/record", role=role, headers=headers)


def etag_of(clinic: Clinic, patient_id: int) -> str:
    response = read(clinic, patient_id)
    assert response.status_code == 200
    return response.headers["etag"]


def record_readings(database: Database, patient_id: int) -> list[AuditEntry]:
    with database.sessions() as session:
        return list(
            session.execute(
                select(AuditEntry)
                .where(
                    AuditEntry.action == "patient.read_record",
                    AuditEntry.patient_id == patient_id,
                )
                .order_by(AuditEntry.sequence)
            ).scalars()
        )


@pytest.fixture
def session(clinic: Clinic) -> Session:
    """A patient ready to be charted (intake, consent, today's appointment, device, lot)."""
    return clinic.world.ready_session()


def test_the_record_comes_with_a_strong_etag_that_reading_does_not_change(
    clinic: Clinic, session: Session
) -> None:
    first = read(clinic, session.patient_id)
    assert first.status_code == 200
    assert STRONG_TAG.match(first.headers["etag"])
    again = read(clinic, session.patient_id)
    assert again.headers["etag"] == first.headers["etag"]
    assert again.json() == first.json()


def test_an_unchanged_record_answers_304_without_a_body_and_the_reading_is_audited(
    clinic: Clinic, session: Session, database: Database
) -> None:
    etag = etag_of(clinic, session.patient_id)
    before = len(record_readings(database, session.patient_id))
    response = read(clinic, session.patient_id, etag)
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag
    assert response.headers["cache-control"] == "no-store"  # patient data is never kept by caches
    readings = record_readings(database, session.patient_id)
    assert len(readings) == before + 1
    last = readings[-1]
    assert (last.actor_id, last.entity_type, last.entity_id) == (
        clinic.world.clinician.staff_user_id,
        "patient",
        session.patient_id,
    )
    assert '"unchanged":true' in last.details
    assert verify_audit_log(database).intact


@pytest.mark.parametrize(
    "header",
    [
        "{etag}",
        "W/{etag}",
        '"0123456789abcdef0123456789abcdef", {etag}',
        '  "elsewhere"  ,W/{etag}  ',
        "*",
    ],
    ids=["the tag", "weak", "in a list", "with spaces", "any"],
)
def test_the_current_etag_matches_as_http_compares_it(
    clinic: Clinic, session: Session, header: str
) -> None:
    etag = etag_of(clinic, session.patient_id)
    response = read(clinic, session.patient_id, header.format(etag=etag))
    assert response.status_code == 304
    assert response.headers["etag"] == etag


@pytest.mark.parametrize(
    "header",
    [
        "garbage",
        "{bare}",
        '"{bare}',
        "W/",
        '""',
        "{etag} {etag}",
        "{etag};{etag}",
        "{etag}, garbage",
        ", ".join(['"x"'] * 40) + ", {etag}",
        "\u00e9t\u00e9",
        "",
    ],
    ids=[
        "a word",
        "unquoted",
        "unterminated",
        "weak marker alone",
        "empty tag",
        "no comma",
        "semicolon",
        "garbage after",
        "beyond 32 tags",
        "not ascii",
        "empty",
    ],
)
def test_anything_but_a_list_of_entity_tags_gets_the_full_record(
    clinic: Clinic, session: Session, header: str
) -> None:
    etag = etag_of(clinic, session.patient_id)
    response = read(clinic, session.patient_id, header.format(etag=etag, bare=etag.strip('"')))
    assert response.status_code == 200
    assert response.json()["patient"]["id"] == session.patient_id
    assert response.headers["etag"] == etag


def test_a_stale_etag_gets_the_full_record_and_the_new_etag(
    clinic: Clinic, session: Session
) -> None:
    old = etag_of(clinic, session.patient_id)
    clinic.world.chart(session)
    response = read(clinic, session.patient_id, old)
    assert response.status_code == 200
    assert len(response.json()["charts"]) == 1
    new = response.headers["etag"]
    assert new != old
    assert read(clinic, session.patient_id, new).status_code == 304


@pytest.mark.parametrize(
    ("role", "status"), [("front_desk", 403), ("other_owner", 404), (None, 401)]
)
def test_a_304_is_refused_like_the_record_to_whoever_may_not_read_it(
    clinic: Clinic, session: Session, role: str | None, status: int, database: Database
) -> None:
    etag = etag_of(clinic, session.patient_id)
    before = len(record_readings(database, session.patient_id))
    response = clinic.get(
        f"/patients/{session.patient_id}/record", role=role, headers={"If-None-Match": etag}
    )
    assert response.status_code == status
    assert "etag" not in response.headers
    assert len(record_readings(database, session.patient_id)) == before


def test_another_patients_change_leaves_the_etag_as_it_was(
    clinic: Clinic, session: Session
) -> None:
    etag = etag_of(clinic, session.patient_id)
    other = clinic.world.ready_session()
    clinic.world.chart(other)
    assert read(clinic, session.patient_id, etag).status_code == 304


# Every kind of change -----------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """A change to the record: ``prepare`` (before the ETag is taken; its result is passed on)
    and ``make`` (the change itself)."""

    make: Callable[[Clinic, Session, Any], object]
    prepare: Callable[[Clinic, Session], Any] = lambda clinic, session: None


def _plan(clinic: Clinic, session: Session) -> int:
    world = clinic.world
    return plans.create_plan(
        world.uow, world.clinician, session.patient_id, {"treatments": [ACNE]}, clock=world.clock
    )


def _charted(clinic: Clinic, session: Session) -> int:
    return clinic.world.chart(session)


def _photo(clinic: Clinic, session: Session) -> int:
    world = clinic.world
    return photos.add_photo(
        world.uow, world.clinician, session.patient_id, jpeg(), view="front", clock=world.clock
    )


def _adverse_event(clinic: Clinic, session: Session) -> int:
    world = clinic.world
    return adverse_events.record_adverse_event(
        world.uow,
        world.clinician,
        session.patient_id,
        {
            "kind": "oedema",
            "severity": "mild",
            "onset_on": "2026-12-01",
            "appointment_id": session.appointment_id,
        },
        clock=world.clock,
    )


def _by_hand(statement: str) -> Callable[[Clinic, Session, Any], None]:
    """A change made in the database itself, as no use case makes it."""

    def make(clinic: Clinic, session: Session, prepared: Any) -> None:
        with clinic.world.database.engine.begin() as connection:
            connection.execute(text(statement), {"id": prepared})

    return make


def _marketing_photo(clinic: Clinic, session: Session) -> int:
    clinic.world.consent(session.patient_id, "marketing_photos")
    return _photo(clinic, session)


def _outcome(clinic: Clinic, session: Session, _: Any) -> int:
    world = clinic.world
    return outcomes.record_outcome(
        world.uow,
        world.clinician,
        session.patient_id,
        scale="gais",
        inputs={"grade": 2},
        assessed_on=date(2026, 11, 30),
        clock=world.clock,
    )


CHANGES = {
    "contact details": Change(
        lambda clinic, session, _: clinic.call(
            "PATCH", f"/patients/{session.patient_id}", json={"phone": "+31 6 1234 5678"}
        ).raise_for_status()
    ),
    "intake recorded": Change(lambda clinic, session, _: clinic.world.intake(session.patient_id)),
    "plan made": Change(lambda clinic, session, _: _plan(clinic, session)),
    "plan accepted": Change(
        lambda clinic, session, plan_id: plans.set_plan_status(
            clinic.world.uow, clinic.world.clinician, plan_id, "accepted", clock=clinic.world.clock
        ),
        _plan,
    ),
    "session booked": Change(
        lambda clinic, session, _: clinic.world.appointment(session.patient_id)
    ),
    "session cancelled": Change(
        lambda clinic, session, _: appointments.set_appointment_status(
            clinic.world.uow,
            clinic.world.front_desk,
            session.appointment_id,
            "cancelled",
            reason="the patient is ill",
            clock=clinic.world.clock,
        )
    ),
    "session charted": Change(lambda clinic, session, _: _charted(clinic, session)),
    "chart amended": Change(
        lambda clinic, session, _: charts.amend_chart(
            clinic.world.uow,
            clinic.world.clinician2,
            session.appointment_id,
            changes={"needle_count": 16},
            reason="wrong cartridge charted",
            clock=clinic.world.clock,
        ),
        _charted,
    ),
    "photo added": Change(lambda clinic, session, _: _photo(clinic, session)),
    "photo chosen for marketing": Change(
        lambda clinic, session, photo_id: photos.select_photo_for_marketing(
            clinic.world.uow, clinic.world.clinician, photo_id, clock=clinic.world.clock
        ),
        _marketing_photo,
    ),
    "consent signed": Change(
        lambda clinic, session, _: clinic.world.consent(session.patient_id, "marketing_photos")
    ),
    "consent withdrawn": Change(
        lambda clinic, session, consent_id: consents.withdraw_consent(
            clinic.world.uow, clinic.world.front_desk, consent_id, clock=clinic.world.clock
        ),
        lambda clinic, session: clinic.world.consent(session.patient_id, "marketing_photos"),
    ),
    "outcome recorded": Change(_outcome),
    "adverse event recorded": Change(lambda clinic, session, _: _adverse_event(clinic, session)),
    "adverse event resolved": Change(
        lambda clinic, session, event_id: adverse_events.resolve_adverse_event(
            clinic.world.uow,
            clinic.world.clinician,
            event_id,
            resolved_on=date(2026, 12, 1),
            resolution="settled with cold compresses",
            clock=clinic.world.clock,
        ),
        _adverse_event,
    ),
    "charted lot recalled": Change(
        lambda clinic, session, _: inventory.recall_cartridge_lot(
            clinic.world.uow,
            clinic.world.clinician,
            session.lot_number,
            reason="sterility not assured",
            clock=clinic.world.clock,
        ),
        _charted,
    ),
    "charted device changed by hand": Change(
        _by_hand("UPDATE device SET in_service = false WHERE id = :id"),
        lambda clinic, session: (_charted(clinic, session), session.device_id)[1],
    ),
    "photo changed by hand": Change(
        _by_hand("UPDATE photo SET zone = 'forehead' WHERE id = :id"), _photo
    ),
    "consent deleted by hand": Change(
        _by_hand("DELETE FROM consent WHERE id = :id"),
        lambda clinic, session: clinic.world.consent(session.patient_id, "marketing_photos"),
    ),
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_every_change_to_what_the_record_shows_gives_a_new_etag(
    clinic: Clinic, session: Session, change: Change
) -> None:
    prepared = change.prepare(clinic, session)
    before = read(clinic, session.patient_id)
    etag = before.headers["etag"]
    assert read(clinic, session.patient_id, etag).status_code == 304
    change.make(clinic, session, prepared)
    after = read(clinic, session.patient_id, etag)
    assert after.status_code == 200, "a changed record answered as unchanged"
    assert after.headers["etag"] != etag
    assert after.json() != before.json()
    assert read(clinic, session.patient_id, after.headers["etag"]).status_code == 304


def test_the_changes_above_reach_every_part_of_the_record() -> None:
    """Each part of the answer (a key of ``FullRecordOut``) is changed by one of the cases."""
    parts = {
        "patient": "contact details",
        "intakes": "intake recorded",
        "consents": "consent withdrawn",
        "plans": "plan accepted",
        "appointments": "session cancelled",
        "charts": "chart amended",
        "adverse_events": "adverse event resolved",
        "outcomes": "outcome recorded",
        "photos": "photo chosen for marketing",
    }
    assert set(FullRecordOut.model_fields) == set(parts)
    assert set(parts.values()) <= set(CHANGES)


def test_the_database_keeps_the_versions_triggers_on_every_table_of_the_record(
    database: Database,
) -> None:
    """Migration 0010's triggers are there at the newest revision: a later migration that
    rebuilds one of these tables (SQLite's batch mode copies a table without its triggers) must
    make them again, or the ETag would miss that table's changes."""
    migration = importlib.import_module(
        "microneedling.store.migrations.versions.0010_record_versions"
    )
    with database.engine.connect() as connection:
        if database.backend == "sqlite":
            expected = set(migration.SQLITE_TRIGGERS)
            found = connection.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            ).scalars()
        else:
            expected = {name for name, _ in migration.POSTGRESQL_TRIGGERS}
            found = connection.execute(
                text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
            ).scalars()
        assert expected <= set(found)
    covered = {table for _, table in migration.POSTGRESQL_TRIGGERS}
    assert covered == {"patient", *migration.PATIENT_TABLES, *migration.CHART_TABLES,
                       *migration.INVENTORY_TABLES}  # fmt: skip
    # Every table the record is read from (ClinicRecords.full_record_rows) is covered.
    read = {query.selected_columns[0].table.name for query in repositories._RECORD.values()}
    assert read <= covered, read - covered
