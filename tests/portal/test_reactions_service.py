# ruff: noqa: F811 (the fixtures imported from tests/integration)
"""Reported reactions through the services on SQLite and PostgreSQL: stored with their photos as
the patient; an oversized photo refuses the whole report; a clinician's confirmation records the
adverse event and closes the report in one transaction; another clinic sees nothing."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select
from tests.integration.conftest import NOW, World, database, databases, make_world  # noqa: F401
from tests.portal.test_consents_signing_service import portal_patient

from microneedling.errors import NotFound, PermissionDenied, RuleViolation, UserError
from microneedling.services.portal import reactions
from microneedling.store import Database
from microneedling.store.models import AdverseEvent, AuditEntry
from microneedling.store.portal_records_models import ReactionPhoto, ReactionReport


@pytest.fixture
def world(database: Database, tmp_path: Path) -> World:
    return make_world(database, tmp_path / "photos")


def jpeg(width: int = 40, height: int = 30) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (180, 60, 60)).save(buffer, "JPEG")
    return buffer.getvalue()


def count(world: World, model: type, patient_id: int | None = None) -> int:
    with world.uow as uow:
        query = (
            select(func.count())
            .select_from(model)
            .where(
                model.clinic_id == world.owner.clinic_id  # type: ignore[attr-defined]
            )
        )
        if patient_id is not None:
            query = query.where(model.patient_id == patient_id)  # type: ignore[attr-defined]
        return int(uow.session.execute(query).scalar_one())


def send(world: World, actor: object, **changes: object) -> int:
    values: dict[str, object] = {
        "started_on": "2026-11-30",
        "symptoms": ["swelling", "pus"],
        "description": "  Swollen   and  sore ",
        "photos": [jpeg()],
        **changes,
    }
    return reactions.report_reaction(world.uow, actor, clock=world.clock, **values)  # type: ignore[arg-type]


def test_a_report_is_stored_with_its_photos_as_the_patient(world: World) -> None:
    ada = portal_patient(world)
    appointment_id = world.appointment(ada.patient_id)
    report_id = send(world, ada, photos=[jpeg(), jpeg(50, 50)])
    with world.uow as uow:
        row = uow.session.get(ReactionReport, report_id)
        assert row is not None
        assert (row.status, row.started_on, row.symptoms) == ("new", date(2026, 11, 30),
                                                              ["swelling", "pus"])  # fmt: skip
        assert row.description == "Swollen and sore" and row.appointment_id == appointment_id
        entry = uow.session.execute(
            select(AuditEntry).where(AuditEntry.action == "portal.reaction_report",
                                     AuditEntry.entity_id == report_id)
        ).scalar_one()  # fmt: skip
        assert (entry.actor_role, entry.patient_id) == ("patient", ada.patient_id)
        assert "Swollen" not in entry.details
    assert count(world, ReactionPhoto) == 2
    [mine] = reactions.my_reports(world.uow, ada, clock=world.clock)
    assert mine["symptoms"] == ["Swelling", "Yellow crusts or pus"]


def test_an_oversized_or_false_photo_refuses_the_whole_report(world: World) -> None:
    ada = portal_patient(world)
    assert world.uow.photos is not None
    world.uow.photos.max_bytes = 2_000
    with pytest.raises(UserError) as refused:
        send(world, ada, photos=[jpeg(), jpeg(800, 800)])
    assert refused.value.field == "photos" and "photo 2" in refused.value.message
    with pytest.raises(UserError):
        send(world, ada, photos=[b"GIF89a" + b"\0" * 20])
    assert count(world, ReactionReport, ada.patient_id) == 0 and count(world, ReactionPhoto) == 0


def test_confirming_records_the_adverse_event_and_closes_the_report_together(
    world: World,
) -> None:
    ada = portal_patient(world)
    report_id = send(world, ada)
    with pytest.raises(PermissionDenied):
        reactions.confirm_report(world.uow, world.front_desk, report_id,
                                 {"kind": "infection", "severity": "mild",
                                  "onset_on": "2026-11-30"}, clock=world.clock)  # fmt: skip
    with pytest.raises(UserError):  # onset after today: nothing recorded, the report stays new
        reactions.confirm_report(world.uow, world.clinician, report_id,
                                 {"kind": "infection", "severity": "mild",
                                  "onset_on": (NOW.date() + timedelta(days=1)).isoformat()},
                                 clock=world.clock)  # fmt: skip
    assert count(world, AdverseEvent, ada.patient_id) == 0
    event_id = reactions.confirm_report(
        world.uow, world.clinician, report_id,
        {"kind": "infection", "severity": "moderate", "onset_on": "2026-11-30"},
        clock=world.clock,
    )  # fmt: skip
    with world.uow as uow:
        report = uow.session.get(ReactionReport, report_id)
        event = uow.session.get(AdverseEvent, event_id)
        assert report is not None and event is not None
        assert (report.status, report.adverse_event_id) == ("confirmed", event_id)
        assert event.description == "Swollen and sore"
        assert report.reviewed_by == world.clinician.staff_user_id
    with pytest.raises(RuleViolation):
        reactions.close_report(world.uow, world.clinician, report_id, "no", clock=world.clock)


def test_another_clinic_sees_none_of_it(world: World, database: Database, tmp_path: Path) -> None:
    ada = portal_patient(world)
    report_id = send(world, ada)
    elsewhere = make_world(database, tmp_path / "elsewhere")
    assert reactions.list_reports(elsewhere.uow, elsewhere.clinician, clock=elsewhere.clock) == []
    with pytest.raises(NotFound):
        reactions.read_report(elsewhere.uow, elsewhere.clinician, report_id, clock=elsewhere.clock)
    with pytest.raises(NotFound):
        reactions.close_report(elsewhere.uow, elsewhere.clinician, report_id, "not ours",
                               clock=elsewhere.clock)  # fmt: skip
    found = reactions.list_reports(world.uow, world.front_desk, clock=world.clock)
    assert [r["id"] for r in found] == [report_id]
