"""`microneedling fhir ...`: the clinic's records in HL7 FHIR R4 (docs/fhir.md)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from microneedling.cli.common import counted, fail, print_json, user_errors
from microneedling.cli.db import records_database
from microneedling.services.clinics import local_operator
from microneedling.services.clock import utc_now
from microneedling.services.maintenance import unit_of_work

fhir_app = typer.Typer(help="The clinic's records in HL7 FHIR R4.", no_args_is_help=True)


@fhir_app.command("export")
def export_command(
    acting_as: Annotated[
        str, typer.Option("--as", metavar="EMAIL", help="The owner exporting the records.")
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out", metavar="FOLDER", help="A new (or empty) folder for the NDJSON files."
        ),
    ],
    types: Annotated[
        str | None,
        typer.Option(
            "--type",
            metavar="TYPES",
            help="Only these resource types, comma-separated (AuditEvent: the audit log).",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the files written as JSON.")
    ] = False,
) -> None:
    """Export the clinic's records as FHIR Bulk Data: one <Type>.ndjson file per resource
    type (as the server's $export writes them), owners only, audited. Memory stays bounded
    whatever the clinic's size: the records are read and written a page at a time."""
    from microneedling.api.fhir import bulk

    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        fail(f"--out: {out} is not an empty folder; name a new one")
    try:
        wanted = bulk.export_types(types, bulk.EXPORTABLE)
    except bulk.ExportError as error:
        fail(error.message.replace("_type", "--type"))
    started = time.monotonic()
    with records_database(migrated=True) as database, user_errors():
        uow = unit_of_work(database)
        actor = local_operator(uow, acting_as)
        totals = bulk.counts(uow, actor, wanted, clock=utc_now)
        out.mkdir(parents=True, exist_ok=True, mode=0o700)
        console = Console(stderr=True)
        with Progress(
            TextColumn("[bold]{task.description:<22}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=as_json and not console.is_terminal,
        ) as bar:
            task = bar.add_task("starting", total=sum(totals.values()))
            before = {name: sum(totals[t] for t in wanted[: wanted.index(name)]) for name in wanted}

            def report(name: str, written: int) -> None:
                bar.update(task, description=name, completed=before[name] + written)

            outputs = bulk.export_to(uow, actor, out, wanted, utc_now, progress=report)
    seconds = time.monotonic() - started
    files = [{"type": o.type, "file": str(o.path), "count": o.count} for o in outputs]
    if as_json:
        print_json({"folder": str(out), "output": files, "seconds": round(seconds, 2)})
        return
    for item in files:
        typer.echo(f"{item['type']:<22} {item['count']:>10,}  {item['file']}")
    total = sum(o.count for o in outputs)
    typer.echo(
        f"wrote {counted(total, 'resource')} in {counted(len(files), 'file')} ({seconds:.1f} s)"
    )
