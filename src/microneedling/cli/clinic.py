"""`microneedling clinic create`: a clinic and its owner, from the command line.

For whoever runs the server: a new installation's first clinic (instead of the first-run setup
in the pages), or another clinic in the same database. The owner's password is asked for
(hidden, twice) on a terminal, or read from the first line of standard input; never from the
command line, where the shell's history and every user of the machine could read it. It must
pass the password policy (services/passwords.py).
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from microneedling.cli.common import fail, print_json
from microneedling.cli.db import records_database
from microneedling.services import clinics
from microneedling.services.maintenance import unit_of_work, upgrade_database

clinic_app = typer.Typer(help="Clinics: create one with its owner.", no_args_is_help=True)

#: The longest line read as a password from standard input (the policy allows 128 characters).
MAX_PASSWORD_LINE = 4096


def read_new_password(whose: str) -> str:
    """A new password: asked twice (hidden) on a terminal, else the first line of standard
    input. Refused here only when missing; the use case applies the policy."""
    if sys.stdin is not None and sys.stdin.isatty():
        text: str = typer.prompt(
            f"Password for {whose}", hide_input=True, confirmation_prompt=True, err=True
        )
        return text
    line = sys.stdin.readline(MAX_PASSWORD_LINE) if sys.stdin is not None else ""
    password = line.rstrip("\r\n")
    if not password:
        fail(
            f"no password for {whose}: type it when asked, or give it as the first line of "
            "standard input (never on the command line)"
        )
    return password


@clinic_app.command("create")
def create_command(
    name: Annotated[str, typer.Option("--name", help="The clinic's name, as staff see it.")],
    owner_name: Annotated[str, typer.Option("--owner-name", help="The owner's name.")],
    owner_email: Annotated[
        str,
        typer.Option("--owner-email", help="The owner's e-mail address (they sign in with it)."),
    ],
    slug: Annotated[
        str | None,
        typer.Option(
            "--slug",
            help="Short name: lower-case letters, digits and dashes (default: made from the name).",
        ),
    ] = None,
    time_zone: Annotated[
        str,
        typer.Option("--time-zone", help="The clinic's time zone (an IANA name)."),
    ] = "Europe/Amsterdam",
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Create a clinic and its owner in the configured database (migrated first).

    The owner's password is asked for, or read from standard input.
    """
    short = slug if slug is not None else clinics.slug_from_name(name)
    password = read_new_password(owner_email)
    with records_database() as database:
        upgrade_database(database)
        actor = clinics.create_clinic(
            unit_of_work(database),
            slug=short,
            name=name,
            time_zone=time_zone,
            owner={
                "email": owner_email,
                "display_name": owner_name,
                "role": "owner",
                "password": password,
            },
        )
    email = owner_email.strip().lower()
    made: dict[str, Any] = {
        "clinic_id": actor.clinic_id,
        "slug": short,
        "name": name.strip(),
        "time_zone": time_zone,
        "owner": {"id": actor.staff_user_id, "email": email},
    }
    if as_json:
        print_json(made)
        return
    typer.echo(
        f"Created the clinic {name.strip()!r} ({short}); its owner {email} can "
        "sign in with the password given, and add the staff (Admin, or `microneedling staff add`)."
    )
