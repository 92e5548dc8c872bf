"""The records' commands: one-line errors with exit code 2, JSON output, roles checked."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from tests.integration.conftest import World
from tests.integration.records_cli import app
from typer.testing import CliRunner

from microneedling.store import Database
from microneedling.store.migrate import head_revision

runner = CliRunner()


def url_of(database: Database) -> str:
    return database.url.render_as_string(hide_password=False)


def test_db_upgrade_creates_the_schema_and_db_current_reports_it(
    fresh_url: str, records_env: Callable[[str], None]
) -> None:
    records_env(fresh_url)
    before = runner.invoke(app, ["db", "current", "--json"])
    assert json.loads(before.stdout)["revision"] is None
    result = runner.invoke(app, ["db", "upgrade", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["to"] == head_revision()
    after = runner.invoke(app, ["db", "current"])
    assert "up to date" in after.stdout


def test_a_command_on_a_database_without_the_schema_says_how_to_fix_it(
    fresh_url: str, records_env: Callable[[str], None]
) -> None:
    records_env(fresh_url)
    result = runner.invoke(app, ["patient", "show", "1", "--as", "x@y.example"])
    assert result.exit_code == 2
    assert "run `microneedling db upgrade` first" in result.stderr


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://root@localhost/db", "unsupported database 'mysql'"),
        ("not a url at all", "not a database URL"),
        ("postgresql://nobody@127.0.0.1:1/none", "cannot use the database"),
    ],
)
def test_a_bad_database_url_is_one_line_and_exit_2(
    records_env: Callable[[str], None], url: str, message: str
) -> None:
    records_env(url)
    result = runner.invoke(app, ["db", "current"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert message in result.stderr


def test_patient_show_checks_the_role_of_the_staff_member(
    world: World, records_env: Callable[[str], None]
) -> None:
    session = world.ready_session(family_name="Commandline")
    world.chart(session)
    records_env(url_of(world.database))
    with world.uow:
        emails = {
            actor: world.uow.staff.get(actor.staff_user_id).email  # type: ignore[union-attr]
            for actor in (world.clinician, world.front_desk)
        }
    shown = runner.invoke(
        app, ["patient", "show", str(session.patient_id), "--as", emails[world.clinician], "--json"]
    )
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["patient"]["family_name"] == "Commandline"
    refused = runner.invoke(
        app, ["patient", "show", str(session.patient_id), "--as", emails[world.front_desk]]
    )
    assert refused.exit_code == 2
    assert (
        "Your role (front desk) cannot open a patient's full record; that is for clinicians and "
        "owners" in refused.stderr
    )
    nobody = runner.invoke(app, ["patient", "show", "1", "--as", "nobody@nowhere.example"])
    assert nobody.exit_code == 2 and "no active staff member" in nobody.stderr


def test_recall_lists_the_patients(world: World, records_env: Callable[[str], None]) -> None:
    session = world.ready_session(family_name="Recalled")
    world.chart(session)
    records_env(url_of(world.database))
    with world.uow:
        owner = world.uow.staff.get(world.owner.staff_user_id)
        assert owner is not None
        email = owner.email
    result = runner.invoke(
        app, ["recall", session.lot_number, "--as", email, "--reason", "notice", "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [p["family_name"] for p in report["patients"]] == ["Recalled"]
    table = runner.invoke(app, ["recall", session.lot_number, "--as", email, "--reason", "again"])
    assert table.exit_code == 0 and "Recalled" in table.stdout
