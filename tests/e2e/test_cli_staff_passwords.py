"""`microneedling staff password|reset-password|sign-ins|sign-out`: your own password and an
owner's reset from the command line (passwords on standard input, never an argument), and an
owner seeing and ending a staff member's sign-ins; refusals in one line (exit 2), all audited."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.e2e.test_cli_clinic_and_staff import invitation_link
from typer.testing import CliRunner

from microneedling.cli.main import app
from microneedling.config import settings
from microneedling.errors import PermissionDenied
from microneedling.services import audit, clinics, sign_in
from microneedling.services.maintenance import open_database, unit_of_work

runner = CliRunner()
OWNER_PASSWORD = "velvet lantern orbit cascade"
CLEO_PASSWORD = "harbor quartz meadow violin"
NEW_PASSWORD = "copper willow nebula tandem"


@pytest.fixture
def records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'records.db'}"
    monkeypatch.setenv("MICRONEEDLING_DATABASE_URL", url)
    monkeypatch.setenv("MICRONEEDLING_PHOTO_DIR", str(tmp_path / "photos"))
    settings.cache_clear()
    made = run(
        "clinic", "create", "--name", "Sunrise Skin", "--owner-name", "Ada Lovelace",
        "--owner-email", "ada@sunrise.example", stdin=OWNER_PASSWORD + "\n",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    added = run(
        "staff", "add", "--email", "cleo@sunrise.example", "--name", "Cleo Clinician",
        "--role", "clinician", "--as", "ada@sunrise.example",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    joined = run("staff", "join", invitation_link("cleo@sunrise.example"),
                 stdin=CLEO_PASSWORD + "\n")  # fmt: skip
    assert joined.exit_code == 0, joined.output
    yield url
    settings.cache_clear()


def run(*args: str, stdin: str | None = None) -> object:
    return runner.invoke(app, list(args), input=stdin)


def _sign_in(email: str, password: str) -> object:
    database = open_database()
    try:
        return sign_in.sign_in_for_token(
            unit_of_work(database), email, password, client="test"
        ).actor
    finally:
        database.dispose()


def test_staff_password_changes_your_own_and_ends_your_sign_ins(records: str) -> None:
    token = _sign_in("cleo@sunrise.example", CLEO_PASSWORD)
    assert token is not None
    result = run(
        "staff", "password", "--as", "cleo@sunrise.example",
        stdin=f"{CLEO_PASSWORD}\n{NEW_PASSWORD}\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Password changed. 1 sign-in ended." in result.stdout
    assert NEW_PASSWORD not in result.output and CLEO_PASSWORD not in result.output
    with pytest.raises(PermissionDenied):
        _sign_in("cleo@sunrise.example", CLEO_PASSWORD)
    _sign_in("cleo@sunrise.example", NEW_PASSWORD)


@pytest.mark.parametrize(
    ("stdin", "says"),
    [
        ("", "no current password"),
        (f"{CLEO_PASSWORD}\n", "no new password"),
        (f"not it\n{NEW_PASSWORD}\n", "This is not your current password"),
        (f"{CLEO_PASSWORD}\nshort\n", "at least 12 characters"),
        (f"{CLEO_PASSWORD}\n{'x' * 5000}\n", "at most 128 characters"),
        (f"{CLEO_PASSWORD}\n{CLEO_PASSWORD}\n", "the same as the current one"),
    ],
)
def test_staff_password_refuses_in_one_line(records: str, stdin: str, says: str) -> None:
    result = run("staff", "password", "--as", "cleo@sunrise.example", stdin=stdin)
    assert result.exit_code == 2, result.output
    assert says in result.stderr and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1
    _sign_in("cleo@sunrise.example", CLEO_PASSWORD)  # unchanged


def test_staff_password_has_no_password_option() -> None:
    result = run("staff", "password", "--help")
    assert "--password" not in result.output and "--new" not in result.output


def test_an_owner_resets_a_password_once_and_it_must_be_changed_first(records: str) -> None:
    result = run(
        "staff", "reset-password", "cleo@sunrise.example", "--as", "ada@sunrise.example", "--json"
    )
    assert result.exit_code == 0, result.output
    one_time = json.loads(result.stdout)["one_time_password"]
    assert re.fullmatch(r"([a-z2-9]{5}-){3}[a-z2-9]{5}", one_time)
    refused = run("patient", "find", "Ada", "--as", "cleo@sunrise.example")
    assert refused.exit_code == 2
    assert "choose a new password first" in refused.stderr
    changed = run(
        "staff", "password", "--as", "cleo@sunrise.example", stdin=f"{one_time}\n{NEW_PASSWORD}\n"
    )
    assert changed.exit_code == 0, changed.output
    _sign_in("cleo@sunrise.example", NEW_PASSWORD)
    database = open_database()
    try:
        uow = unit_of_work(database)
        owner = clinics.sign_in(uow, "ada@sunrise.example", OWNER_PASSWORD)
        sentences = [item["sentence"] for item in audit.audit_log(uow, owner)["items"]]
    finally:
        database.dispose()
    assert any("reset the password of Cleo Clinician" in s for s in sentences), sentences
    assert any("changed their password" in s for s in sentences), sentences


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("reset-password", "cleo@sunrise.example", "--as", "cleo@sunrise.example"), "owners"),
        (("reset-password", "nobody@sunrise.example", "--as", "ada@sunrise.example"), "nobody"),
        (("reset-password", "ada@sunrise.example", "--as", "ada@sunrise.example"), "current one"),
        (("sign-ins", "ada@sunrise.example", "--as", "cleo@sunrise.example"), "owners"),
        (("sign-out", "x" * 300, "--as", "ada@sunrise.example"), "no staff member"),
    ],
)
def test_owner_commands_refuse_in_one_line(records: str, args: tuple[str, ...], says: str) -> None:
    result = run("staff", *args)
    assert result.exit_code == 2, result.output
    assert says in result.stderr and "Traceback" not in result.output


def test_an_owner_sees_and_ends_a_staff_members_sign_ins(records: str) -> None:
    _sign_in("cleo@sunrise.example", CLEO_PASSWORD)
    seen = run("staff", "sign-ins", "cleo@sunrise.example", "--as", "ada@sunrise.example", "--json")
    assert seen.exit_code == 0, seen.output
    assert json.loads(seen.stdout)["open_api_tokens"] == 1
    ended = run("staff", "sign-out", "cleo@sunrise.example", "--as", "ada@sunrise.example")
    assert ended.exit_code == 0 and "1 sign-in ended" in ended.stdout
    again = run("staff", "sign-out", "cleo@sunrise.example", "--as", "ada@sunrise.example")
    assert "not signed in anywhere" in again.stdout
