"""`microneedling staff add|join|list|role|close|reset-password|sign-ins|sign-out|password`: an
owner's staff accounts (invitations), accepting one, and your own password, from the command line.

Each command acts as an owner (``--as EMAIL``): their role is checked and the change audited in
their name, as in the pages and the API. ``staff add`` sends an invitation by e-mail: the person
chooses their own password through its link. A password (``reset-password``) is asked for
(hidden, twice) on a terminal, or read from the first line of standard input; never from the
command line.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from microneedling.cli.clinic import MAX_PASSWORD_LINE, read_new_password
from microneedling.cli.common import fail, print_json
from microneedling.cli.db import records_database
from microneedling.cli.names import plain_name, shown_name
from microneedling.cli.records import ActingAs, AsJson
from microneedling.config import settings
from microneedling.services import clinics, password_change, staff_invitations, web_sessions
from microneedling.services.access import ROLE_WORDS, Role
from microneedling.services.maintenance import unit_of_work
from microneedling.services.sign_in import SignInPolicy

staff_app = typer.Typer(
    help="Staff accounts: add, list, change a role, close (as an owner).", no_args_is_help=True
)

RoleChoice = Annotated[
    Role,
    typer.Option("--role", help="owner, clinician or front_desk.", case_sensitive=False),
]
Member = Annotated[str, typer.Argument(metavar="EMAIL", help="The staff member's e-mail.")]


def _said(member: dict[str, Any]) -> str:
    state = "" if member["active"] else ", account closed"
    name = plain_name(member["display_name"])
    return f"{name} <{member['email']}> ({ROLE_WORDS[Role(member['role'])]}{state})"


@staff_app.command("add")
def add_command(
    email: Annotated[str, typer.Option("--email", help="Their e-mail address (to sign in).")],
    name: Annotated[str, typer.Option("--name", help="Their name, as the records show it.")],
    role: RoleChoice,
    acting_as: ActingAs,
    as_json: AsJson = False,
) -> None:
    """Invite a staff member to the owner's clinic: they get an e-mail with a link to choose
    their password (it works once, for 7 days). The answer is the same whether or not the
    address already has an account."""
    with records_database(migrated=True) as database:
        uow = unit_of_work(database)
        actor = clinics.local_operator(uow, acting_as)
        sent = staff_invitations.invite_staff_member(
            uow, actor, {"email": email, "display_name": name, "role": str(role)}
        )
    if as_json:
        print_json({**sent, "expires_at": sent["expires_at"].isoformat()})
        return
    typer.echo(
        f"Invitation sent to {sent['email']} ({ROLE_WORDS[role]}): the link in it works once, "
        f"for {staff_invitations.INVITATION_DAYS} days."
    )


@staff_app.command("join")
def join_command(
    link: Annotated[
        str,
        typer.Argument(
            metavar="LINK", help="The link in the invitation's e-mail (or its last part)."
        ),
    ],
    as_json: AsJson = False,
) -> None:
    """Accept an invitation: the invited person chooses their password (asked for, or read from
    standard input), as its link's page does. The link works once."""
    token = link.strip().rstrip("/").rsplit("/", 1)[-1]
    password = read_new_password("the new account")
    with records_database(migrated=True) as database:
        actor = staff_invitations.accept_invitation(unit_of_work(database), token, password)
    if as_json:
        print_json({"id": actor.staff_user_id, "role": str(actor.role)})
        return
    typer.echo(f"Your account is ready: sign in as {ROLE_WORDS[actor.role]}.")


@staff_app.command("list")
def list_command(acting_as: ActingAs, as_json: AsJson = False) -> None:
    """The clinic's staff accounts, active and closed."""
    with records_database(migrated=True) as database:
        uow = unit_of_work(database)
        found = clinics.list_staff(uow, clinics.local_operator(uow, acting_as))
    if as_json:
        print_json(found)
        return
    table = Table("id", "name", "e-mail", "role", "account")
    for member in found:
        table.add_row(
            str(member["id"]),
            shown_name(member["display_name"]),
            escape(member["email"]),
            ROLE_WORDS[Role(member["role"])],
            "active" if member["active"] else "closed",
        )
    Console().print(table)


@staff_app.command("role")
def role_command(
    email: Member,
    role: Annotated[
        Role,
        typer.Argument(
            metavar="ROLE", help="owner, clinician or front_desk.", case_sensitive=False
        ),
    ],
    acting_as: ActingAs,
    as_json: AsJson = False,
) -> None:
    """Give a staff member another role (their sign-ins carry it at once)."""
    with records_database(migrated=True) as database:
        uow = unit_of_work(database)
        actor = clinics.local_operator(uow, acting_as)
        changed = clinics.change_role(
            uow, actor, clinics.staff_id_by_email(uow, actor, email), role
        )
    if as_json:
        print_json(changed)
        return
    typer.echo(f"Now {_said(changed)}.")


@staff_app.command("close")
def close_command(email: Member, acting_as: ActingAs, as_json: AsJson = False) -> None:
    """Close a staff member's account: they are signed out and cannot sign in again."""
    with records_database(migrated=True) as database:
        uow = unit_of_work(database)
        actor = clinics.local_operator(uow, acting_as)
        closed = clinics.deactivate_staff_member(
            uow, actor, clinics.staff_id_by_email(uow, actor, email)
        )
    if as_json:
        print_json(closed)
        return
    typer.echo(f"Closed: {_said(closed)}. Their records keep their name.")


def _read_line(what: str) -> str:
    line = sys.stdin.readline(MAX_PASSWORD_LINE) if sys.stdin is not None else ""
    text = line.rstrip("\r\n")
    if not text:
        fail(
            f"no {what}: type it when asked, or give the current password and the new one as the "
            "first two lines of standard input (never on the command line)"
        )
    return text


@staff_app.command("password")
def password_command(acting_as: ActingAs) -> None:
    """Change your own password (the current one, then the new one twice, asked hidden; or two
    lines of standard input). Every sign-in of the account ends: pages and API alike."""
    if sys.stdin is not None and sys.stdin.isatty():
        current = typer.prompt("Current password", hide_input=True, err=True)
        new = typer.prompt("New password", hide_input=True, confirmation_prompt=True, err=True)
    else:
        current, new = _read_line("current password"), _read_line("new password")
    with records_database(migrated=True) as database:
        uow = unit_of_work(database)
        actor = clinics.local_operator(uow, acting_as)
        ended = password_change.change_password(
            uow,
            actor,
            current,
            new,
            client="command line",
            policy=SignInPolicy.from_settings(settings()),
        )
    elsewhere = f" {ended} sign-in{'s' if ended != 1 else ''} ended." if ended else ""
    typer.echo(f"Password changed.{elsewhere}")


@staff_app.command("reset-password")
def reset_password_command(email: Member, acting_as: ActingAs, as_json: AsJson = False) -> None:
    """Give a staff member a one-time password (printed once): they must choose their own at
    their next sign-in, and can do nothing else until then. Their sign-ins end."""
    with records_database(migrated=True) as database:
        uow = unit_of_work(database)
        actor = clinics.local_operator(uow, acting_as)
        member = clinics.staff_id_by_email(uow, actor, email)
        one_time = password_change.reset_password(uow, actor, member)
    if as_json:
        print_json({"id": member, "one_time_password": one_time})
        return
    typer.echo(f"One-time password for {email.strip().lower()}: {one_time}")
    typer.echo(
        "Give it to them in person; it is not shown again. They choose their own at sign-in."
    )


@staff_app.command("sign-ins")
def sign_ins_command(email: Member, acting_as: ActingAs, as_json: AsJson = False) -> None:
    """Where a staff member is signed in to the pages (when, from where, which browser)."""
    with records_database(migrated=True) as database:
        uow = unit_of_work(database)
        actor = clinics.local_operator(uow, acting_as)
        seen = web_sessions.staff_sessions(uow, actor, clinics.staff_id_by_email(uow, actor, email))
    if as_json:
        print_json(seen)
        return
    table = Table("id", "signed in", "last seen", "ended", "from", "browser")
    for row in seen["sessions"]:
        ended = row["ended_reason"] or ""
        table.add_row(
            str(row["id"]),
            f"{row['created_at']:%Y-%m-%d %H:%M} UTC",
            f"{row['last_seen_at']:%Y-%m-%d %H:%M} UTC",
            ended,
            row["client"],
            row["user_agent"][:60],
        )
    Console().print(table)
    typer.echo(f"Signed in to the API: {seen['open_api_tokens']} token(s).")


@staff_app.command("sign-out")
def sign_out_command(email: Member, acting_as: ActingAs, as_json: AsJson = False) -> None:
    """Sign a staff member out everywhere: every session of the pages and every API token."""
    with records_database(migrated=True) as database:
        uow = unit_of_work(database)
        actor = clinics.local_operator(uow, acting_as)
        ended = web_sessions.end_staff_sessions(
            uow, actor, clinics.staff_id_by_email(uow, actor, email)
        )
    if as_json:
        print_json({"ended": ended})
        return
    if not ended:
        typer.echo("They were not signed in anywhere.")
        return
    typer.echo(f"Signed out everywhere ({ended} sign-in{'s' if ended != 1 else ''} ended).")
