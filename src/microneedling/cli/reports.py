"""`microneedling reports revenue|utilisation|retention|outcomes|safety --as EMAIL --first DAY
--last DAY [--json | --csv FILE]`: the clinic's reports (owners), audited in the name given."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from microneedling.cli.common import print_json, user_errors
from microneedling.cli.db import records_database
from microneedling.cli.records import ActingAs, AsJson
from microneedling.services import clinics
from microneedling.services.maintenance import unit_of_work
from microneedling.services.reports import REPORTS, run_report
from microneedling.services.reports.export import figures, report_csv, tables

reports_app = typer.Typer(
    help="The clinic's reports: revenue, utilisation, retention, outcomes, safety.",
    no_args_is_help=True,
)

First = Annotated[str, typer.Option("--first", help="The first day (YYYY-MM-DD).")]
Last = Annotated[str, typer.Option("--last", help="The last day (YYYY-MM-DD).")]
CsvFile = Annotated[
    Path | None, typer.Option("--csv", help="Write the report as CSV to this file.")
]


def _print(report: dict[str, Any]) -> None:
    typer.echo(f"{REPORTS[report['report']][0]}, {report['first']} to {report['last']}")
    for key, value in figures(report).items():
        if key not in ("report", "first", "last"):
            typer.echo(f"  {key.replace('_', ' ')}: {value}")
    for name, rows in tables(report).items():
        typer.echo(f"{name.replace('_', ' ').capitalize()}:")
        if not rows:
            typer.echo("  (none)")
        for row in rows:
            typer.echo("  " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in row.items()))


def _register_report(name: str) -> None:
    """Register `microneedling reports NAME` for one report."""

    def command(
        acting_as: ActingAs,
        first: First,
        last: Last,
        as_json: AsJson = False,
        csv_file: CsvFile = None,
    ) -> None:
        with records_database(migrated=True) as database, user_errors():
            uow = unit_of_work(database)
            actor = clinics.local_operator(uow, acting_as)
            report = run_report(uow, actor, name, first=first, last=last)
        if csv_file is not None:
            csv_file.write_text(report_csv(report), encoding="utf-8")
            typer.echo(f"Wrote {csv_file}.")
        elif as_json:
            print_json(report)
        else:
            _print(report)

    command.__doc__ = f"{REPORTS[name][0]} over the days --first to --last (owners)."
    reports_app.command(name)(command)


for _name in REPORTS:
    _register_report(_name)
