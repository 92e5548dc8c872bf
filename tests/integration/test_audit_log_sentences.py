"""The owners' audit log on both backends: sentences with names, newest first, paged by entry,
filtered in the database (patients found by name first), exported; the CLI prints the same."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from tests.integration.conftest import NOW, World, make_world
from tests.integration.records_cli import app
from typer.testing import CliRunner

from microneedling.errors import PermissionDenied, UserError
from microneedling.services import audit, clinics, patients
from microneedling.services.clock import fixed_clock
from microneedling.store import Database

runner = CliRunner()


def sentences(page: dict[str, object]) -> list[str]:
    return [item["sentence"] for item in page["items"]]  # type: ignore[attr-defined, index]


def test_entries_read_as_sentences_with_names_newest_first(world: World) -> None:
    sara = world.patient(given_name="Sara", family_name="Smits")
    patients.open_patient_record(
        world.uow, world.clinician, sara, clock=fixed_clock(NOW + timedelta(minutes=5))
    )
    clinics.add_staff_member(
        world.uow, world.owner,
        {"email": world.unique("nadia") + "@x.example", "display_name": "Nadia Newcomer",
         "role": "front_desk"},
        clock=fixed_clock(NOW + timedelta(minutes=10)),
    )  # fmt: skip
    page = audit.audit_log(world.uow, world.owner, clock=fixed_clock(NOW + timedelta(hours=1)))
    assert sentences(page)[:3] == [
        "Owner added Nadia Newcomer as front desk",
        "Clinician opened the record of Sara Smits",
        "Frontdesk registered Sara Smits",
    ]
    first = page["items"][1]
    assert first["at_local"] == "2026-12-01T11:05:00+01:00"  # the clinic's wall clock
    assert first["action_name"] == "Opened a patient's record"
    assert first["who"] == "clinician" and first["patient"] == "Sara Smits"
    assert sentences(page)[-1] == "The system created the clinic with Owner as its owner"


def test_pages_follow_one_another_by_entry_number_without_gaps(world: World) -> None:
    for index in range(7):
        world.patient(given_name="Paged", family_name=f"Person{index}")
    query = audit.audit_query(patient="paged")
    seen: list[int] = []
    page = audit.audit_log(world.uow, world.owner, query, limit=3, clock=world.clock)
    assert page["total"] == 7 and page["newer"] is None
    while True:
        seen.extend(item["sequence"] for item in page["items"])
        if page["older"] is None:
            break
        page = audit.audit_log(
            world.uow, world.owner, query, before=page["older"], limit=3, clock=world.clock
        )
    assert seen == sorted(seen, reverse=True) and len(seen) == 7
    back = audit.audit_log(
        world.uow, world.owner, query, after=page["newer"], limit=3, clock=world.clock
    )
    assert [item["sequence"] for item in back["items"]] == seen[3:6]


def test_filters_select_by_patient_name_person_action_and_clinic_days(world: World) -> None:
    mila = world.patient(given_name="Mila", family_name="de Boer")
    other = world.patient(given_name="Noor", family_name="Chen")
    late = fixed_clock(NOW + timedelta(days=1, hours=12))  # 23:00 in Amsterdam, 2 Dec
    for patient_id in (mila, other):
        patients.open_patient_record(world.uow, world.clinician, patient_id, clock=late)

    def shown(**filters: object) -> list[str]:
        query = audit.audit_query(**filters)  # type: ignore[arg-type]
        found = sentences(audit.audit_log(world.uow, world.owner, query, clock=world.clock))
        return [text for text in found if "read the audit log about" not in text]

    assert shown(patient="boer") == [
        "Clinician opened the record of Mila de Boer",
        "Frontdesk registered Mila de Boer",
    ]
    assert shown(patient="BOER mil") == shown(patient="boer")
    assert shown(person=world.clinician.staff_user_id, action="patient.read_record") == [
        "Clinician opened the record of Noor Chen",
        "Clinician opened the record of Mila de Boer",
    ]
    assert shown(patient="boer", date_from="2026-12-02", date_to="2026-12-02") == [
        "Clinician opened the record of Mila de Boer"
    ]
    assert shown(patient="boer", date_from="2026-12-03") == []
    assert shown(patient="nobody-by-this-name") == []
    # Reading the log about one patient is itself an entry about that patient.
    query = audit.audit_query(patient="boer", action="audit.read")
    page = audit.audit_log(world.uow, world.owner, query, clock=world.clock)
    assert sentences(page)[0] == "Owner read the audit log about Mila de Boer (0 results)"


def test_the_log_of_one_clinic_never_shows_another_clinics_entries(
    world: World, other_world: World
) -> None:
    other_world.patient(given_name="Secret", family_name="Elsewhere")
    page = audit.audit_log(world.uow, world.owner, limit=1000, clock=world.clock)
    assert not any("Elsewhere" in text for text in sentences(page))
    assert (
        audit.audit_log(
            world.uow, world.owner, audit.audit_query(patient="elsewhere"), clock=world.clock
        )["items"]
        == []
    )
    with pytest.raises(UserError, match="choose a member of staff"):
        audit.audit_log(
            world.uow,
            world.owner,
            audit.audit_query(person=other_world.owner.staff_user_id),
            clock=world.clock,
        )


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"date_from": "2026-02-30"}, "from"),
        ({"date_from": "2026-12-09", "date_to": "2026-12-01"}, "to"),
        ({"action": "patient.delete"}, "action"),
        ({"person": "Olivia"}, "person"),
        ({"patient": "x" * 201}, "patient"),
    ],
)
def test_bad_filters_name_the_filter(filters: dict[str, str], field: str) -> None:
    with pytest.raises(UserError) as raised:
        audit.audit_query(**filters)  # type: ignore[arg-type]
    assert [name for name, _ in raised.value.fields] == [field]


def test_an_entry_number_not_in_this_clinics_log_is_a_clear_error(world: World) -> None:
    with pytest.raises(UserError, match="has no entry"):
        audit.audit_log(world.uow, world.owner, before=2**31 - 1, clock=world.clock)


def test_reading_and_exporting_are_audited_and_for_owners_only(world: World) -> None:
    world.patient(given_name="Export", family_name="Me")
    lines = audit.audit_export(
        world.uow, world.owner, audit.audit_query(patient="export"), clock=world.clock
    )
    text = "".join(lines)
    assert text.splitlines()[0] == "when,who,action,patient,sentence,entry,hash"
    assert "Frontdesk registered Export Me" in text
    page = audit.audit_log(
        world.uow, world.owner, audit.audit_query(action="audit.read"), clock=world.clock
    )
    assert sentences(page)[0] == "Owner downloaded the audit log about Export Me as CSV"
    assert page["items"][0]["details"] == {"export": "csv", "filters": ["patient"]}
    for actor in (world.clinician, world.front_desk):
        with pytest.raises(PermissionDenied):
            audit.audit_log(world.uow, actor, clock=world.clock)
        with pytest.raises(PermissionDenied):
            audit.audit_export(world.uow, actor, clock=world.clock)


def test_the_api_listing_carries_each_entrys_sentence(world: World) -> None:
    patient_id = world.patient(given_name="Api", family_name="Reader")
    page = audit.audit_page(world.uow, world.owner, patient_id=patient_id, clock=world.clock)
    assert [item["sentence"] for item in page["items"]] == ["Frontdesk registered Api Reader"]


@pytest.fixture
def cli_world(
    fresh_database: Database, tmp_path: Path, records_env: Callable[[str], None]
) -> World:
    records_env(fresh_database.url.render_as_string(hide_password=False))
    return make_world(fresh_database, tmp_path / "photos")


def test_the_cli_prints_sentences_newest_first_with_a_paging_hint(cli_world: World) -> None:
    world = cli_world
    for index in range(4):
        world.patient(given_name="Cli", family_name=f"Person{index}")
    email = _owner_email(world)
    shown = runner.invoke(app, ["audit", "log", "--as", email, "--limit", "2", "--patient", "cli"])
    assert shown.exit_code == 0, shown.output
    assert shown.output.index("registered Cli Person3") < shown.output.index(
        "registered Cli Person2"
    )
    assert "Person1" not in shown.output
    older = json.loads(
        runner.invoke(app, ["audit", "log", "--as", email, "--patient", "cli", "--json"]).stdout
    )
    assert f"showing 2 of 4; older entries: --before {older[1]['sequence']}" in shown.output
    assert list(older[0]) == [
        "sequence", "at", "actor_id", "actor_role", "action", "patient_id", "entity", "details",
        "hash", "sentence",
    ]  # fmt: skip
    assert older[0]["sentence"] == "Frontdesk registered Cli Person3"
    bad = runner.invoke(app, ["audit", "log", "--as", email, "--from", "2026-13-01"])
    assert bad.exit_code == 2
    assert "expected a date such as 2026-12-08" in bad.output


def _owner_email(world: World) -> str:
    with world.uow:
        user = world.uow.staff.get(world.owner.staff_user_id)
        assert user is not None
        return user.email


def test_the_demo_clinics_are_known_by_their_short_names() -> None:
    from microneedling.services.demo_clinic import DEMO_SLUG, SECOND_SLUG

    assert {DEMO_SLUG, SECOND_SLUG} == audit.DEMO_CLINICS
