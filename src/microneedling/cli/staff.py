"""`microneedling staff add|list|role|close`: an owner's staff accounts, from the command line.

Each command acts as an owner (``--as EMAIL``): their role is checked and the change audited in
their name, as in the pages and the API. A new member's first password is asked for (hidden,
twice) on a terminal, or read from the first line of standard input; never from the command
line.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from microneedling.cli.clinic import read_new_password
from microneedling.cli.common import print_json
from microneedling.cli.db import records_database
from microneedling.cli.records import ActingAs, AsJson
from microneedling.services import clinics
from microneedling.services.access import ROLE_WORDS, Role
from microneedling.services.maintenance import unit_of_work

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
    return (
        f"{member['display_name']} <{member['email']}> ({ROLE_WORDS[Role(member['role'])]}{state})"
    )


@staff_app.command("add")
def add_command(
    email: Annotated[str, typer.Option("--email", help="Their e-mail address (to sign in).")],
    name: Annotated[str, typer.Option("--name", help="Their name, as the records show it.")],
    role: RoleChoice,
    acting_as: ActingAs,
    as_json: AsJson = False,
) -> None:
    """Add a staff member to the owner's clinic; their first password is asked for."""
    password = read_new_password(email)
    with records_database(migrated=True) as database:
        uow = unit_of_work(database)
        actor = clinics.local_operator(uow, acting_as)
        member = clinics.add_staff_member(
            uow,
            actor,
            {"email": email, "display_name": name, "role": str(role), "password": password},
        )
    added = {"id": member.staff_user_id, "email": email.strip().lower(), "role": str(role)}
    if as_json:
        print_json(added)
        return
    typer.echo(f"{name.strip()} can now sign in as {ROLE_WORDS[role]} with {added['email']}.")


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
            member["display_name"],
            member["email"],
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
