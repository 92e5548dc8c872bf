"""`microneedling clinic policy show|set|reset`: the clinic's policy values (REFERENCE.md A.7)
from the command line, as an owner: bounds refused in one plain line (exit 2), every change
audited, --json."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from microneedling.cli.main import app
from microneedling.config import settings
from microneedling.services import audit, clinics
from microneedling.services.maintenance import open_database, unit_of_work

runner = CliRunner()
STRONG = "velvet lantern orbit cascade"
OWNER = "ada@sunrise.example"


@pytest.fixture
def records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'records.db'}"
    monkeypatch.setenv("MICRONEEDLING_DATABASE_URL", url)
    monkeypatch.setenv("MICRONEEDLING_PHOTO_DIR", str(tmp_path / "photos"))
    settings.cache_clear()
    made = runner.invoke(
        app,
        ["clinic", "create", "--name", "Sunrise Skin", "--owner-name", "Ada Lovelace",
         "--owner-email", OWNER],
        input=STRONG + "\n",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    yield url
    settings.cache_clear()


def run(*args: str) -> object:
    return runner.invoke(app, ["clinic", "policy", *args])


def _sentences() -> list[str]:
    database = open_database()
    try:
        uow = unit_of_work(database)
        owner = clinics.sign_in(uow, OWNER, STRONG)
        return [item["sentence"] for item in audit.audit_log(uow, owner)["items"]]
    finally:
        database.dispose()


def test_show_lists_every_value_with_its_default_and_bounds(records: str) -> None:
    result = run("show", "--as", OWNER)
    assert result.exit_code == 0, result.output
    assert "minimum_age: 18 years [default] (18–25)" in result.stdout
    assert "make_up_window_hours: 48 hours [default] (24–168)" in result.stdout
    assert "overrides hash: none" in result.stdout
    shown = json.loads(run("show", "--as", OWNER, "--json").stdout)
    assert shown["overrides_hash"] is None
    assert {value["key"] for value in shown["values"]} >= {"minimum_age", "zone_areas_cm2"}


def test_set_then_reset_a_value_is_audited_and_changes_the_hash(records: str) -> None:
    result = run("set", "minimum_age", "21", "--as", OWNER, "--json")
    assert result.exit_code == 0, result.output
    view = json.loads(result.stdout)
    assert view["overrides"] == {"minimum_age": 21} and view["overrides_hash"].startswith("sha256:")
    first = view["overrides_hash"]
    second = json.loads(run("set", "minimum_age", "22", "--as", OWNER, "--json").stdout)
    assert second["overrides_hash"] not in (None, first)
    assert "Ada Lovelace changed the clinic's policy overrides: minimum age set to 22 years" in (
        _sentences()
    )
    reset = run("reset", "minimum_age", "--as", OWNER, "--json")
    assert reset.exit_code == 0, reset.output
    assert json.loads(reset.stdout)["overrides_hash"] is None
    assert any("minimum age reset to its default" in sentence for sentence in _sentences())


def test_structured_values_are_json(records: str) -> None:
    result = run("set", "zone_areas_cm2", '{"cheeks": 180}', "--as", OWNER, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["overrides"]["zone_areas_cm2"] == {"cheeks": 180}


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("set", "minimum_age", "17"), "enter a whole number of years from 18 to 25"),
        (("set", "minimum_age", "26"), "enter a whole number of years from 18 to 25"),
        (("set", "minimum_age", "21.5"), "enter a whole number of years from 18 to 25"),
        (("set", "minimum_age", '"21"'), "enter a whole number of years from 18 to 25"),
        (("set", "minimum_age", "twenty"), "the value is a whole number"),
        (("set", "reminder_days", "2"), "is not a value a clinic can change"),
        (("set", "zone_areas_cm2", '{"elbow": 50}'), "'elbow' is not a zone"),
        (("set", "zone_areas_cm2", '{"cheeks": 4000}'), "at most 3,000"),
        (("set", "minimum_age", "[" * 5000), "the value is a whole number"),
        (("set", "minimum_age", "1" * 200_000), "too long"),
        (("reset",), "name the values to reset, or give --all"),
    ],
)
def test_refusals_are_one_plain_line(records: str, args: tuple[str, ...], says: str) -> None:
    result = run(*args, "--as", OWNER)
    assert result.exit_code == 2, result.output
    assert says in result.stderr and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


def test_reset_all_restores_every_default(records: str) -> None:
    run("set", "sunburn_wait_days", "10", "--as", OWNER)
    result = run("reset", "--all", "--as", OWNER, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["overrides"] == {}
