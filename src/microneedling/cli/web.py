"""`microneedling web`: start the staff web application.

A database without a clinic opens on the first-run setup (the clinic and its owner, once), or
``microneedling clinic create`` makes them first. ``--demo`` loads the demo clinics, whose
accounts share a published password: every page then says it is a demo installation.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table

from microneedling.cli.common import check_port, fail
from microneedling.cli.db import records_database
from microneedling.config import settings
from microneedling.services.clinics import installation
from microneedling.services.clock import Clock, running_from, utc_now
from microneedling.services.demo_clinic import (
    DEFAULT_PASSWORD,
    TIME_ZONE,
    DemoSummary,
    build_demo_clinic,
)
from microneedling.services.maintenance import unit_of_work, upgrade_database

if TYPE_CHECKING:
    from microneedling.services.messages.background import BackgroundWorker


def web_command(
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (127.0.0.1: this computer only).")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")
    ] = 8000,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo/--no-demo",
            help="Load the demo clinics first, unless they are already there (their accounts "
            "share a published password: for trying the product, never for a real clinic).",
        ),
    ] = False,
    today: Annotated[
        str | None,
        typer.Option(
            "--today",
            metavar="YYYY-MM-DD",
            help="Run as if it were this day (the clock starts at 08:00 in the demo clinic's time "
            "zone and runs on): for demonstrations and tests. Default: the real date and time.",
        ),
    ] = None,
    access_log: Annotated[
        bool,
        typer.Option(
            "--access-log/--no-access-log",
            help="Log every request line (off by default: search addresses carry patients' names).",
        ),
    ] = False,
) -> None:
    """Start the web application for clinic staff on the configured database.

    Migrates the database, loads the demo clinics when asked (the first time only), prints the
    address (and the demo sign-ins, or that the first-run setup awaits), and serves until Ctrl+C.
    """
    import uvicorn

    from microneedling.application import create_clinic_app
    from microneedling.config import forwarded_options

    clock = utc_now if today is None else running_from(_morning_of(today))
    check_port(host, port)  # before the demo is loaded and the address printed
    console = Console()
    with records_database(bulk_load=True) as database:
        upgrade_database(database)
        url = database.describe()
        summary = None
        if demo:
            console.print("Loading the demo clinics (the first time takes a few seconds)…")
            day = clock().astimezone(ZoneInfo(TIME_ZONE)).date()
            summary = build_demo_clinic(unit_of_work(database), today=day)
        state = installation(unit_of_work(database))
    # One server: the JSON API under /api/v1 (with /docs and /openapi.json), the pages at /.
    app = create_clinic_app(settings(), clock=clock)
    address = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
    console.print(f"\nThe clinic's records: {url}")
    if summary is not None:
        _print_sign_ins(console, summary)
    if state["demo"]:
        console.print(
            "[bold]This database holds the demo clinics, whose accounts share a published "
            "password[/]: it is for trying the product, never for patients' records."
        )
    elif not state["clinics"]:
        console.print(
            "No clinic yet: the first page asks for the clinic's name and its owner's account "
            "(or run [bold]microneedling clinic create[/] first)."
        )
    console.print(f"\n[bold]Open {address} in a browser[/] (Ctrl+C stops the server).\n")
    worker = _messages_worker(clock)
    try:
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level="warning",
            access_log=access_log,
            server_header=False,
            **forwarded_options(settings()),
        )
    except OSError as error:  # the port is taken, or the address is not this computer's
        fail(f"cannot listen on {host}:{port}: {error.strerror or error}")
    finally:
        if worker is not None:
            worker.stop()


def _messages_worker(clock: Clock) -> BackgroundWorker | None:
    """The in-process sender of patients' messages (docs/messages.md), when it is on."""
    from microneedling.services.maintenance import open_database
    from microneedling.services.messages.background import BackgroundWorker
    from microneedling.services.messages.channels import (
        message_settings,
        transports_from,
        worker_in_web,
        worker_settings_from,
    )

    config = message_settings()
    database = open_database()
    if not worker_in_web(config, database.backend):
        database.dispose()
        return None
    return BackgroundWorker(
        database,
        transports_from(config),
        clock=clock,
        interval=config.messages_worker_interval_seconds,
        settings=worker_settings_from(config),
    ).start()


def _morning_of(text: str) -> datetime:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        fail(f"--today: expected a date as YYYY-MM-DD, got {text!r}")
    return datetime.combine(day, time(8, 0), ZoneInfo(TIME_ZONE))


def _print_sign_ins(console: Console, summary: DemoSummary) -> None:
    table = Table("sign in as", "role", "clinic", "name", title="Demo sign-ins")
    for member in summary.staff:
        table.add_row(member["email"], member["role"], member["clinic"], member["name"])
    console.print(table)
    if summary.password is not None:
        console.print(f"Password for every account: [bold]{summary.password}[/]")
    else:
        console.print(
            "Password: the one given when the demo was created "
            f"(default [bold]{DEFAULT_PASSWORD}[/])."
        )
