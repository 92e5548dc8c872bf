"""`microneedling demo`: load the demo clinics into the configured database."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from microneedling.cli.common import fail, print_json
from microneedling.cli.db import records_database
from microneedling.services.clock import utc_now
from microneedling.services.demo_clinic import (
    DEFAULT_PASSWORD,
    DEFAULT_PATIENTS,
    DEFAULT_SEED,
    TIME_ZONE,
    DemoSummary,
    build_demo_clinic,
)
from microneedling.services.maintenance import unit_of_work, upgrade_database


def demo_command(
    seed: Annotated[int, typer.Option("--seed", help="Same seed and day, same records.")] = (
        DEFAULT_SEED
    ),
    patients: Annotated[
        int, typer.Option("--patients", min=1, max=5000, help="Patients of the demo clinic.")
    ] = DEFAULT_PATIENTS,
    password: Annotated[
        str, typer.Option("--password", help="The password of every demo account.")
    ] = DEFAULT_PASSWORD,
    today: Annotated[
        str | None,
        typer.Option(
            "--today",
            metavar="YYYY-MM-DD",
            help="The day the demo is built for (default: today in the clinic's time zone).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Create the demo clinic (and a second clinic) in the configured database.

    Migrates the database first. A year of records made through the real use cases: staff of
    each role, patients screened across every decision, plans, charted sessions, outcomes, a few
    adverse events, an expiring cartridge lot. Does nothing if the demo clinic is already there.
    """
    if len(password) < 8:
        fail("--password: at least 8 characters")
    if today is None:
        day = utc_now().astimezone(ZoneInfo(TIME_ZONE)).date()
    else:
        try:
            day = date.fromisoformat(today)
        except ValueError:
            fail(f"--today: expected a date as YYYY-MM-DD, got {today!r}")
    err = Console(stderr=True)
    with records_database(bulk_load=True) as database:
        upgrade_database(database)
        uow = unit_of_work(database)
        progress = Progress(
            TextColumn("Building the demo clinic"),
            BarColumn(),
            MofNCompleteColumn(),
            console=err,
            transient=True,
            disable=as_json,
        )
        with progress:
            task = progress.add_task("demo", total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            summary = build_demo_clinic(
                uow, today=day, seed=seed, patient_count=patients, password=password,
                progress=advance,
            )  # fmt: skip
        url = database.describe()
    if as_json:
        print_json({"database": url, **summary.to_dict()})
    else:
        _print_summary(summary, url)


def _print_summary(summary: DemoSummary, url: str) -> None:
    console = Console()
    if summary.already_loaded:
        console.print(
            f"The demo clinic is already in {url}; sign in with the password given when it was "
            f"created (default {DEFAULT_PASSWORD!r})."
        )
    else:
        counts = summary.counts
        console.print(
            f"Demo clinics created in {url} for {summary.today.isoformat()} (seed {summary.seed}): "
            f"{counts.get('patients', 0)} patients, {counts.get('charts', 0)} charted sessions, "
            f"{counts.get('adverse events', 0)} adverse events."
        )
    table = Table("clinic", "sign in as", "role", "name")
    for member in summary.staff:
        table.add_row(member["clinic"], member["email"], member["role"], member["name"])
    console.print(table)
    if summary.password is not None:
        console.print(f"Password for every account: [bold]{summary.password}[/]")
    from microneedling.services.portal.demo import sign_in_lines

    for line in sign_in_lines(summary.counts.get("portal", [])):
        console.print(line)
