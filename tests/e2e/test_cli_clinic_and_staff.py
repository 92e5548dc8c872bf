"""`microneedling clinic create` and `microneedling staff add|join|list|role|close`: a clinic and
its staff from the command line (an invitation, accepted with its link), with passwords read from standard input (never an argument), the
password policy, plain one-line refusals (exit 2) and every change audited."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from microneedling.cli.main import app
from microneedling.config import settings
from microneedling.services import audit, clinics
from microneedling.services.maintenance import open_database, unit_of_work
from microneedling.store.message_models import OutboxMessage

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


def invitation_link(address: str) -> str:
    """The link in the newest message queued to ``address`` (the outbox, as the worker sends)."""
    database = open_database()
    try:
        with database.engine.connect() as connection:
            text = connection.execute(
                select(OutboxMessage.body_text)
                .where(OutboxMessage.recipient == address)
                .order_by(OutboxMessage.id.desc())
                .limit(1)
            ).scalar_one()
    finally:
        database.dispose()
    found = re.search(r"/join/[A-Za-z0-9_-]+", text or "")
    assert found is not None, text
    return found.group(0)


def test_an_owner_invites_lists_changes_and_closes_staff(records: str) -> None:
    assert create().exit_code == 0
    owner = ("--as", "ada@sunrise.example")
    added = run(
        "staff", "add", "--email", "cleo@sunrise.example", "--name", "Dr Cleo Jansen",
        "--role", "clinician", *owner,
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "Invitation sent to cleo@sunrise.example (clinician)" in added.stdout
    # The owner's own address (an account) gets the same answer.
    taken = run("staff", "add", "--email", "ada@sunrise.example", "--name", "Ada",
                "--role", "clinician", *owner, "--json")  # fmt: skip
    assert taken.exit_code == 0 and json.loads(taken.stdout)["status"] == "invitation sent"
    link = invitation_link("cleo@sunrise.example")
    weak = run("staff", "join", link, password="password1234")
    assert weak.exit_code == 2 and "too easy to guess" in weak.stderr
    joined = run("staff", "join", "https://clinic.example" + link, password=OTHER)
    assert joined.exit_code == 0, joined.output
    assert "Your account is ready" in joined.stdout
    again = run("staff", "join", link, password=OTHER)
    assert again.exit_code == 2 and "cannot be used" in again.stderr
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
    assert "Ada Lovelace sent an invitation to join the staff as clinician" in sentences
    assert "Dr Cleo Jansen accepted an invitation and joined as clinician" in sentences
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
            run("staff", "add", "--email", "not-an-address", "--name", "W", "--role",
                "clinician", *owner),
            "e-mail",
        ),
        (run("staff", "join", "/join/made-up-link-000000000000000", password=OTHER),
         "cannot be used"),
    ]  # fmt: skip
    for result, says in cases:
        assert result.exit_code == 2, result.output
        assert says in result.stderr and "Traceback" not in result.output
    bad_role = run("staff", "role", "ada@sunrise.example", "admin", *owner)
    assert bad_role.exit_code == 2 and "admin" in bad_role.output
