"""`microneedling clinic create` and `microneedling staff add|list|role|close`: a clinic and its
staff from the command line, with passwords read from standard input (never an argument), the
password policy, plain one-line refusals (exit 2) and every change audited."""

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
OTHER = "harbor quartz meadow violin"


@pytest.fixture
def records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'records.db'}"
    monkeypatch.setenv("MICRONEEDLING_DATABASE_URL", url)
    monkeypatch.setenv("MICRONEEDLING_PHOTO_DIR", str(tmp_path / "photos"))
    settings.cache_clear()
    yield url
    settings.cache_clear()


def run(*args: str, password: str | None = None) -> object:
    return runner.invoke(app, list(args), input=None if password is None else password + "\n")


def create(password: str = STRONG, *extra: str) -> object:
    return run(
        "clinic", "create", "--name", "Sunrise Skin", "--owner-name", "Ada Lovelace",
        "--owner-email", "Ada@Sunrise.example", *extra, password=password,
    )  # fmt: skip


def test_clinic_create_makes_the_clinic_and_owner_from_a_password_on_stdin(records: str) -> None:
    result = create(STRONG, "--json")
    assert result.exit_code == 0, result.output
    made = json.loads(result.stdout)
    assert made["slug"] == "sunrise-skin" and made["owner"]["email"] == "ada@sunrise.example"
    assert STRONG not in result.output
    database = open_database()
    try:
        uow = unit_of_work(database)
        owner = clinics.sign_in(uow, "ada@sunrise.example", STRONG)
        sentences = [item["sentence"] for item in audit.audit_log(uow, owner)["items"]]
        assert "The system created the clinic with Ada Lovelace as its owner" in sentences
    finally:
        database.dispose()


@pytest.mark.parametrize(
    ("password", "says"),
    [
        ("", "no password for Ada@Sunrise.example"),
        ("short", "at least 12 characters"),
        ("Password12345", "too easy to guess"),
        ("microneedling-demo", "published with the software"),
        ("x" * 5000, "at most 128 characters"),
    ],
)
def test_clinic_create_refuses_a_missing_or_weak_password_in_one_line(
    records: str, password: str, says: str
) -> None:
    result = create(password)
    assert result.exit_code == 2
    assert says in result.stderr and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


def test_clinic_create_has_no_password_option() -> None:
    result = runner.invoke(app, ["clinic", "create", "--help"])
    assert "--password" not in result.stdout


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (["--slug", "Bad Slug"], "slug: a clinic's short name"),
        (["--slug", "demo"], "kept for the demo clinics"),
        (["--time-zone", "Mars/Olympus"], "unknown time zone"),
    ],
)
def test_clinic_create_refuses_malformed_fields_naming_them(
    records: str, extra: list[str], says: str
) -> None:
    result = create(STRONG, *extra)
    assert result.exit_code == 2 and says in result.stderr


def test_a_second_clinic_with_the_same_owner_e_mail_is_refused(records: str) -> None:
    assert create().exit_code == 0
    again = run(
        "clinic", "create", "--name", "Moonrise", "--owner-name", "Ada", "--owner-email",
        "ada@sunrise.example", password=STRONG,
    )  # fmt: skip
    assert again.exit_code == 2 and "cannot be given a new account" in again.stderr


def test_an_owner_adds_lists_changes_and_closes_staff(records: str) -> None:
    assert create().exit_code == 0
    owner = ("--as", "ada@sunrise.example")
    added = run(
        "staff", "add", "--email", "cleo@sunrise.example", "--name", "Dr Cleo Jansen",
        "--role", "clinician", *owner, password=OTHER,
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "Dr Cleo Jansen can now sign in as clinician" in added.stdout
    listed = json.loads(run("staff", "list", *owner, "--json").stdout)
    assert [(m["email"], m["role"], m["active"]) for m in listed] == [
        ("ada@sunrise.example", "owner", True),
        ("cleo@sunrise.example", "clinician", True),
    ]
    changed = run("staff", "role", "cleo@sunrise.example", "owner", *owner)
    assert changed.exit_code == 0 and "(owner)" in changed.stdout
    closed = run("staff", "close", "cleo@sunrise.example", *owner, "--json")
    assert closed.exit_code == 0 and json.loads(closed.stdout)["active"] is False
    database = open_database()
    try:
        uow = unit_of_work(database)
        actor = clinics.sign_in(uow, "ada@sunrise.example", STRONG)
        sentences = [item["sentence"] for item in audit.audit_log(uow, actor)["items"]]
    finally:
        database.dispose()
    assert "Ada Lovelace added Dr Cleo Jansen as clinician" in sentences
    assert "Ada Lovelace made Dr Cleo Jansen owner (was clinician)" in sentences
    assert "Ada Lovelace closed the account of Dr Cleo Jansen" in sentences


def test_staff_commands_refuse_in_one_line(records: str) -> None:
    assert create().exit_code == 0
    owner = ("--as", "ada@sunrise.example")
    cases = [
        (run("staff", "close", "ada@sunrise.example", *owner), "your own account"),
        (run("staff", "role", "ada@sunrise.example", "clinician", *owner), "your own role"),
        (run("staff", "close", "nobody@x.example", *owner), "no staff member"),
        (run("staff", "list", "--as", "nobody@x.example"), "no active staff member"),
        (
            run("staff", "add", "--email", "weak@x.example", "--name", "W", "--role",
                "clinician", *owner, password="password1234"),
            "too easy to guess",
        ),
    ]  # fmt: skip
    for result, says in cases:
        assert result.exit_code == 2, result.output
        assert says in result.stderr and "Traceback" not in result.output
    bad_role = run("staff", "role", "ada@sunrise.example", "admin", *owner)
    assert bad_role.exit_code == 2 and "admin" in bad_role.output
