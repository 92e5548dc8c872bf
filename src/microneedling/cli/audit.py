"""`microneedling audit ...`: verify the hash-chained audit log; read a clinic's entries."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from microneedling.cli.common import print_json
from microneedling.cli.db import records_database
from microneedling.services.audit import audit_entries, verify_audit_log
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
        int | None, typer.Option("--patient", help="Only entries about this patient.")
    ] = None,
    after: Annotated[int, typer.Option("--after", help="Entries after this sequence.")] = 0,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print the entries as JSON.")] = False,
) -> None:
    """A clinic's audit entries in order (owners only; reading it is audited too)."""
    with records_database(migrated=True) as database:
        uow = unit_of_work(database)
        actor = local_operator(uow, acting_as)
        entries = audit_entries(uow, actor, patient_id=patient, after=after, limit=limit)
    if as_json:
        print_json(entries)
        return
    table = Table("seq", "at (UTC)", "actor", "action", "patient", "entity")
    for entry in entries:
        table.add_row(
            str(entry["sequence"]),
            entry["at"][:19],
            f"{entry['actor_role']} {entry['actor_id']}",
            entry["action"],
            str(entry["patient_id"] or ""),
            entry["entity"] or "",
        )
    Console().print(table)
