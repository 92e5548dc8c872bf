"""Finding patients as staff type them (name words in any order, phone, e-mail, date of birth),
and the warning when someone is registered twice."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from sqlalchemy import text
from tests.integration.conftest import World
from tests.integration.records_cli import app
from typer.testing import CliRunner

from microneedling.services import patients
from microneedling.store import Database
from microneedling.store.migrate import downgrade, upgrade

runner = CliRunner()


def found(world: World, typed: str) -> list[str]:
    """The names the search finds for ``typed``, as "Given Family"."""
    result = patients.list_patients(world.uow, world.front_desk, text=typed, clock=world.clock)
    return [f"{p['given_name']} {p['family_name']}" for p in result["items"]]


@pytest.fixture
def people(world: World) -> World:
    world.patient(
        given_name="Sara",
        family_name="Smits",
        birth_date="1988-03-14",
        phone="+31 6-1234 5678",
        email="sara.smits@example.org",
    )
    world.patient(given_name="Anne", family_name="de Boer", birth_date="1975-11-02")
    world.patient(given_name="Zoë", family_name="Müller-Lüdenscheidt", birth_date="2001-01-09")
    world.patient(given_name="Sarah", family_name="Jansen", birth_date="1988-04-03")
    return world


@pytest.mark.parametrize(
    ("typed", "names"),
    [
        ("Sara Smit", ["Sara Smits"]),
        ("smits sara", ["Sara Smits"]),
        ("SMITS", ["Sara Smits"]),
        ("Boer", ["Anne de Boer"]),
        ("de boer", ["Anne de Boer"]),
        ("anne boer", ["Anne de Boer"]),
        ("zoe muller", ["Zoë Müller-Lüdenscheidt"]),
        ("Lüdenscheidt", ["Zoë Müller-Lüdenscheidt"]),
        ("sara", ["Sarah Jansen", "Sara Smits"]),
        ("Sara Jansen", ["Sarah Jansen"]),
    ],
)
def test_a_patient_is_found_by_any_words_of_their_name_in_any_order_without_case_or_accents(
    people: World, typed: str, names: list[str]
) -> None:
    assert found(people, typed) == names


@pytest.mark.parametrize(
    "typed", ["+31 6 1234 5678", "0031-6-12345678", "06 1234 5678", "0612345678", "1234 5678"]
)
def test_a_patient_is_found_by_their_phone_number_however_it_is_spaced(
    people: World, typed: str
) -> None:
    assert found(people, typed) == ["Sara Smits"]


@pytest.mark.parametrize("typed", ["sara.smits@example.org", "SARA.SMITS@", "smits@example"])
def test_a_patient_is_found_by_their_email_address(people: World, typed: str) -> None:
    assert found(people, typed) == ["Sara Smits"]


@pytest.mark.parametrize(
    "typed",
    ["14/03/1988", "1988-03-14", "14 March 1988", "14 mar 1988", "14-03-1988", "14.3.1988"],
)
def test_a_patient_is_found_by_their_date_of_birth_as_a_person_types_it(
    people: World, typed: str
) -> None:
    assert found(people, typed) == ["Sara Smits"]


def test_a_search_finds_nobody_of_another_clinic(people: World, other_world: World) -> None:
    assert found(other_world, "Sara Smits") == []


def test_a_search_with_wildcards_takes_them_literally(people: World) -> None:
    assert found(people, "%") == []
    assert found(people, "_ara") == []


def test_the_find_command_finds_a_patient_by_phone(
    people: World, records_env: Callable[[str], None]
) -> None:
    records_env(people.database.url.render_as_string(hide_password=False))
    with people.database.engine.connect() as connection:
        email = connection.execute(
            text("SELECT email FROM staff_user WHERE id = :id"),
            {"id": people.front_desk.staff_user_id},
        ).scalar_one()
    result = runner.invoke(app, ["patient", "find", "06 1234 5678", "--as", email, "--json"])
    assert result.exit_code == 0, result.output
    assert [p["family_name"] for p in json.loads(result.stdout)] == ["Smits"]


def test_registering_the_same_name_and_birth_date_again_is_refused_naming_the_existing_record(
    people: World,
) -> None:
    existing = found(people, "Sara Smits")
    assert existing == ["Sara Smits"]
    details = {"given_name": "sara", "family_name": "SMITS", "birth_date": "1988-03-14",
               "fitzpatrick": 3}  # fmt: skip
    with pytest.raises(patients.DuplicatePatient) as caught:
        patients.register_patient(
            people.uow, people.front_desk, details, warn_of_duplicates=True, clock=people.clock
        )
    assert caught.value.field == "confirm_duplicate"
    assert "Sara Smits, born 14 Mar 1988, is already registered" in caught.value.message
    assert [p["family_name"] for p in caught.value.existing] == ["Smits"]
    assert found(people, "Sara Smits") == ["Sara Smits"]


def test_registering_a_namesake_goes_ahead_once_confirmed(people: World) -> None:
    details = {"given_name": "Sara", "family_name": "Smits", "birth_date": "1988-03-14",
               "fitzpatrick": 3, "confirm_duplicate": True}  # fmt: skip
    patients.register_patient(
        people.uow, people.front_desk, details, warn_of_duplicates=True, clock=people.clock
    )
    assert found(people, "Sara Smits") == ["Sara Smits", "Sara Smits"]


def test_the_same_name_with_another_birth_date_is_no_duplicate(people: World) -> None:
    details = {"given_name": "Sara", "family_name": "Smits", "birth_date": "1990-03-14",
               "fitzpatrick": 3}  # fmt: skip
    patients.register_patient(
        people.uow, people.front_desk, details, warn_of_duplicates=True, clock=people.clock
    )
    assert found(people, "14/03/1990") == ["Sara Smits"]


def test_changing_a_phone_number_finds_the_patient_by_the_new_one(people: World) -> None:
    patient_id = patients.find_patients(people.uow, people.front_desk, "Anne de Boer")[0]["id"]
    patients.update_contact_details(
        people.uow, people.front_desk, patient_id, {"phone": "020-555 0199"}, clock=people.clock
    )
    assert found(people, "020 555 0199") == ["Anne de Boer"]


def test_migration_0006_makes_patients_registered_before_it_findable(
    fresh_database: Database,
) -> None:
    downgrade(fresh_database, "0005")
    with fresh_database.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO clinic (id, slug, name, time_zone, policy_overrides, created_at) "
                "VALUES (1, 'old', 'Old clinic', 'Europe/Amsterdam', '{}', CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO staff_user (id, clinic_id, email, display_name, role, active, "
                "password_hash, created_at) VALUES (1, 1, 'o@old.example', 'Olga Owner', "
                "'owner', true, NULL, CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO patient (id, clinic_id, given_name, family_name, birth_date, "
                "fitzpatrick, phone, created_at, created_by) VALUES (1, 1, 'Ånna', 'van Dijk', "
                "'1970-01-02', 2, '+31 (0)20 555', CURRENT_TIMESTAMP, 1)"
            )
        )
    upgrade(fresh_database)
    with fresh_database.engine.connect() as connection:
        row = connection.execute(text("SELECT search_name, phone_digits FROM patient")).one()
    assert tuple(row) == (" anna van dijk ", "31020555")
