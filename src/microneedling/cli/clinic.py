"""`microneedling clinic create`: a clinic and its owner, from the command line; `microneedling
clinic policy show|set|reset`: the clinic's policy values (REFERENCE.md A.7), as an owner.

For whoever runs the server: a new installation's first clinic (instead of the first-run setup
in the pages), or another clinic in the same database. The owner's password is asked for
(hidden, twice) on a terminal, or read from the first line of standard input; never from the
command line, where the shell's history and every user of the machine could read it. It must
pass the password policy (services/passwords.py).
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from microneedling.cli.common import fail, print_json
from microneedling.cli.db import records_database
from microneedling.cli.records import ActingAs, AsJson
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


# Policy (REFERENCE.md A.7) -------------------------------------------------------------------

policy_app = typer.Typer(
    help="The clinic's policy values (A.7): show, set one, reset to the default (as an owner).",
    no_args_is_help=True,
)
clinic_app.add_typer(policy_app, name="policy")

#: Longest VALUE accepted on the command line (a structured value is JSON).
MAX_VALUE_CHARS = 100_000


def _shown(value: Any, unit: str | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, list | dict):
        count = len(value)
        return f"{count} {'entry' if count == 1 else 'entries'}"
    return f"{value} {unit}" if unit else str(value)


def _print_policy(view: dict[str, Any]) -> None:
    for value in view["values"]:
        shown = _shown(value["in_force"], value["unit"])
        bounds = f" ({value['min']}–{value['max']})" if value["min"] is not None else ""
        where = "clinic" if value["override"] is not None else "default"
        typer.echo(f"{value['key']}: {shown} [{where}]{bounds}")
    for item in view["refused"]:
        typer.echo(f"not applied: {item['key']} = {item['value']}: {item['reason']}")
    typer.echo(f"overrides hash: {view['overrides_hash'] or 'none (shipped defaults)'}")


@policy_app.command("show")
def policy_show_command(acting_as: ActingAs, as_json: AsJson = False) -> None:
    """Each value with its unit, bounds, default and the clinic's override."""
    with records_database(migrated=True) as database:
        uow = unit_of_work(database)
        view = clinics.policy(uow, clinics.local_operator(uow, acting_as))
    if as_json:
        print_json(view)
        return
    _print_policy(view)


def _value(text: str) -> Any:
    if len(text) > MAX_VALUE_CHARS:
        fail(f"the value is too long: at most {MAX_VALUE_CHARS:,} characters")
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        fail(
            "the value is a whole number (such as 21) or, for zone areas, passes, device profiles "
            "and approved products, JSON (such as '{\"cheeks\": 180}')"
        )


@policy_app.command("set")
def policy_set_command(
    key: Annotated[str, typer.Argument(help="The value's name (see `clinic policy show`).")],
    value: Annotated[str, typer.Argument(help="A whole number, or JSON for structured values.")],
    acting_as: ActingAs,
    as_json: AsJson = False,
) -> None:
    """Override one value (within its bounds); the change is audited."""
    parsed = _value(value)
    with records_database(migrated=True) as database:
        uow = unit_of_work(database)
        view = clinics.set_policy_value(uow, clinics.local_operator(uow, acting_as), key, parsed)
    if as_json:
        print_json(view)
        return
    typer.echo(f"Set {key}; new screenings, plans and product checks of the clinic use it.")


@policy_app.command("reset")
def policy_reset_command(
    acting_as: ActingAs,
    keys: Annotated[
        list[str] | None, typer.Argument(help="The values to reset (none with --all).")
    ] = None,
    everything: Annotated[bool, typer.Option("--all", help="Reset every value.")] = False,
    as_json: AsJson = False,
) -> None:
    """Remove overrides: each value returns to its shipped default; the change is audited."""
    chosen = list(keys or [])
    if not chosen and not everything:
        fail("name the values to reset, or give --all")
    if chosen and everything:
        fail("name values or give --all, not both")
    with records_database(migrated=True) as database:
        uow = unit_of_work(database)
        view = clinics.reset_policy_values(uow, clinics.local_operator(uow, acting_as), chosen)
    if as_json:
        print_json(view)
        return
    typer.echo("Reset " + (", ".join(chosen) if chosen else "every value") + " to the default.")
