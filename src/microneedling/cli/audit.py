"""`microneedling audit ...`: verify the hash-chained audit log; read a clinic's entries."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from microneedling.cli.common import print_json, user_errors
from microneedling.cli.db import records_database
from microneedling.services.audit import audit_log, audit_query, verify_audit_log
from microneedling.services.clinics import local_operator
from microneedling.services.maintenance import unit_of_work

#: Exit code of `audit verify` when the chain is broken (2 stays "bad input").
EXIT_TAMPERED = 1

audit_app = typer.Typer(help="The audit log: verify it, read it.", no_args_is_help=True)


@audit_app.command("verify")
def verify_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Check every entry's hash and link. Exit 0 when intact, 1 when altered, inserted or
    deleted entries are found, 2 when the database cannot be read.
    """
    with records_database(migrated=True) as database:
        report = verify_audit_log(database)
    if as_json:
        print_json(report.to_dict())
    elif report.intact:
        typer.echo(
            f"Audit log intact: {report.entries:,} entries; head {report.head_sequence} "
            f"{report.head_hash}"
        )
    else:
        err = Console(stderr=True)
        err.print(f"Audit log BROKEN: {len(report.problems)} problem(s)", markup=False)
        for problem in report.problems:
            err.print(f"  {problem}", markup=False, highlight=False)
    if not report.intact:
        raise typer.Exit(EXIT_TAMPERED)


@audit_app.command("log")
def log_command(
    acting_as: Annotated[
        str, typer.Option("--as", metavar="EMAIL", help="The owner reading the log.")
    ],
    patient: Annotated[
        str | None,
        typer.Option("--patient", help="Only entries about patients with this in their name."),
    ] = None,
    person: Annotated[
        int | None, typer.Option("--person", help="Only what this staff member (id) did.")
    ] = None,
    action: Annotated[
        str | None, typer.Option("--action", help="Only this action (e.g. patient.read_record).")
    ] = None,
    date_from: Annotated[
        str | None, typer.Option("--from", metavar="DATE", help="From this day (clinic time).")
    ] = None,
    date_to: Annotated[
        str | None, typer.Option("--to", metavar="DATE", help="Up to this day (clinic time).")
    ] = None,
    before: Annotated[
        int | None, typer.Option("--before", min=1, help="Entries older than this entry.")
    ] = None,
    after: Annotated[
        int | None, typer.Option("--after", min=1, help="Entries newer than this entry.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print the entries as JSON.")] = False,
) -> None:
    """A clinic's audit log, newest first, each entry as a sentence (owners only; reading it is
    audited too)."""
    with user_errors():
        query = audit_query(
            patient=patient, person=person, action=action, date_from=date_from, date_to=date_to
        )
    with records_database(migrated=True) as database:
        uow = unit_of_work(database)
        actor = local_operator(uow, acting_as)
        page = audit_log(uow, actor, query, before=before, after=after, limit=limit)
    entries = [
        {key: entry[key] for key in _JSON_KEYS} | {"sentence": entry["sentence"]}
        for entry in page["items"]
    ]
    if as_json:
        print_json(entries)
        return
    table = Table("entry", f"when ({page['time_zone']})", "what happened")
    for entry in page["items"]:
        table.add_row(str(entry["sequence"]), entry["at_local"][:16].replace("T", " "),
                      entry["sentence"])  # fmt: skip
    console = Console()
    console.print(table)
    shown, total = len(entries), page["total"]
    hint = f"; older entries: --before {page['older']}" if page["older"] else ""
    console.print(f"showing {shown:,} of {total:,}{hint}", markup=False, highlight=False)


#: The keys of an entry in ``--json`` (as before), then its sentence.
_JSON_KEYS = (
    "sequence",
    "at",
    "actor_id",
    "actor_role",
    "action",
    "patient_id",
    "entity",
    "details",
    "hash",
)
