"""`microneedling fhir export`: the clinic's records as NDJSON files in a folder, as the
server's $export writes them; owners only; another clinic's records never in them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.procedure import Procedure
from tests.integration.conftest import World, make_world
from typer.testing import CliRunner

from microneedling.cli.main import app
from microneedling.store import Database

runner = CliRunner()


@pytest.fixture
def cli_world(
    fresh_database: Database, tmp_path: Path, records_env: Callable[[str], None]
) -> World:
    records_env(fresh_database.url.render_as_string(hide_password=False))
    return make_world(fresh_database, tmp_path / "photos")


def email(world: World, staff_user_id: int) -> str:
    with world.uow:
        user = world.uow.staff.get(staff_user_id)
        assert user is not None
        return user.email


def test_an_owner_exports_the_clinic_into_a_folder(cli_world: World, tmp_path: Path) -> None:
    world = cli_world
    session = world.ready_session(family_name="Exported")
    world.chart(session)
    world.patient(family_name="Second")
    other = make_world(world.database, tmp_path / "photos")
    other.patient(family_name="Elsewhere")
    out = tmp_path / "export"
    owner = email(world, world.owner.staff_user_id)
    done = runner.invoke(app, ["fhir", "export", "--as", owner, "--out", str(out), "--json"])
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    files = {item["type"]: item for item in report["output"]}
    assert files["Patient"]["count"] == 2
    patients = [json.loads(line) for line in (out / "Patient.ndjson").read_text().splitlines()]
    for patient in patients:
        Patient.model_validate(patient)
    assert sorted(p["name"][0]["family"] for p in patients) == ["Exported", "Second"]
    (procedure,) = (out / "Procedure.ndjson").read_text().splitlines()
    Procedure.model_validate(json.loads(procedure))
    shown = runner.invoke(
        app, ["fhir", "export", "--as", owner, "--out", str(tmp_path / "again"), "--type",
              "Patient,AuditEvent"],
    )  # fmt: skip
    assert shown.exit_code == 0, shown.output
    assert "wrote" in shown.output and "Patient" in shown.output
    assert sorted(p.name for p in (tmp_path / "again").iterdir()) == [
        "AuditEvent.ndjson", "Patient.ndjson",
    ]  # fmt: skip


def test_what_cannot_be_exported_is_one_clear_line(cli_world: World, tmp_path: Path) -> None:
    world = cli_world
    owner = email(world, world.owner.staff_user_id)
    clinician = email(world, world.clinician.staff_user_id)
    refused = runner.invoke(
        app, ["fhir", "export", "--as", clinician, "--out", str(tmp_path / "a")]
    )
    assert refused.exit_code == 2
    assert "owner" in refused.output
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    full = runner.invoke(app, ["fhir", "export", "--as", owner, "--out", str(tmp_path / "full")])
    assert full.exit_code == 2 and "not an empty folder" in full.output
    unknown = runner.invoke(
        app, ["fhir", "export", "--as", owner, "--out", str(tmp_path / "b"), "--type", "Basic"]
    )
    assert unknown.exit_code == 2 and "--type: 'Basic'" in unknown.output
