"""Issue 14, item 7, on the command line: names holding direction overrides, right-to-left
letters or Rich markup (``"Ann [/]"``) are shown as typed and isolated in `patient find`,
`patient show`, `staff list|role` and `audit log`: no traceback (a name with ``[/]`` broke the
table before), no override reaching past the name."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from microneedling.cli.main import app
from microneedling.config import settings
from microneedling.services import clinics, patients
from microneedling.services.maintenance import open_database, unit_of_work
from microneedling.text_direction import EMBEDDINGS, FSI

runner = CliRunner()
STRONG = "velvet lantern orbit cascade"
OWNER = ("--as", "ada@sunrise.example")
GIVEN, FAMILY = "Ann [/]", "Eve\u202eeciv"  # markup that closes nothing; an override


@pytest.fixture
def records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    monkeypatch.setenv("MICRONEEDLING_DATABASE_URL", f"sqlite:///{tmp_path / 'records.db'}")
    monkeypatch.setenv("MICRONEEDLING_PHOTO_DIR", str(tmp_path / "photos"))
    settings.cache_clear()
    made = runner.invoke(
        app,
        ["clinic", "create", "--name", "Sunrise Skin", "--owner-name", "Ada Lovelace",
         "--owner-email", "ada@sunrise.example"],
        input=STRONG + "\n",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    database = open_database()
    try:
        uow = unit_of_work(database)
        owner = clinics.local_operator(uow, "ada@sunrise.example")
        clinics.add_staff_member(
            uow, owner,
            {"email": "rtl@sunrise.example", "display_name": "\u202bمريم [bold]",
             "role": "clinician", "password": STRONG},
        )  # fmt: skip
        patient_id = patients.register_patient(
            uow, owner,
            {"given_name": GIVEN, "family_name": FAMILY, "birth_date": "1990-01-02",
             "fitzpatrick": 3},
        )  # fmt: skip
        patients.open_patient_record(uow, owner, patient_id)
    finally:
        database.dispose()
    yield patient_id
    settings.cache_clear()


def _clean(result: object) -> str:
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    out: str = result.stdout  # type: ignore[attr-defined]
    assert "Traceback" not in out
    assert not set(out) & EMBEDDINGS, "an override or embedding reached the output"
    return out


def test_patient_find_and_show_print_hostile_names_as_typed(records: int) -> None:
    found = _clean(runner.invoke(app, ["patient", "find", "Ann", *OWNER]))
    assert "Ann [/]" in found and FSI in found
    shown = _clean(runner.invoke(app, ["patient", "show", str(records), *OWNER]))
    assert "Ann [/]" in shown and f"(patient {records})" in shown


def test_staff_list_and_audit_log_isolate_names(records: int) -> None:
    listed = _clean(runner.invoke(app, ["staff", "list", *OWNER]))
    assert "[bold]" in listed and "مريم" in listed
    changed = _clean(runner.invoke(app, ["staff", "role", "rtl@sunrise.example", "owner", *OWNER]))
    assert changed.startswith(f"Now {FSI}") and "<rtl@sunrise.example> (owner)" in changed
    log = _clean(runner.invoke(app, ["audit", "log", "--limit", "50", *OWNER]))
    assert "Ann [/]" in log and "opened the record of" in log
