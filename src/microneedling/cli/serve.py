"""`microneedling serve`: the HTTP API (``/api/v1``, OpenAPI at ``/openapi.json``) with uvicorn.

The database is the configured one (``MICRONEEDLING_DATABASE_URL``); its schema must be the
newest (``microneedling db upgrade``, or ``microneedling demo``, which migrates): the server does
not change a clinic's schema on its own, it refuses to start and says which command to run.
Uvicorn's access log is off: a request line's query string can hold a patient's name. With
``--workers`` above 1 each worker listens with a socket of its own (``SO_REUSEPORT``) and the
kernel spreads the connections over them (api/server.py).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from microneedling.api.server import APP_FACTORY, serve
from microneedling.cli.common import check_port
from microneedling.cli.db import records_database
from microneedling.services.clock import utc_now
from microneedling.services.maintenance import unit_of_work, upgrade_database


class HttpParser(StrEnum):
    httptools = "httptools"
    h11 = "h11"


def serve_command(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")
    ] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Worker processes.")] = 1,
    http: Annotated[
        HttpParser,
        typer.Option(
            "--http",
            help="HTTP/1.1 parser: httptools (C, the default) or h11 (pure Python).",
            case_sensitive=False,
        ),
    ] = HttpParser.httptools,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo/--no-demo",
            help="Migrate the database and load the demo clinics first, unless they are there "
            "(their accounts share a published password: never for a real clinic).",
        ),
    ] = False,
) -> None:
    """Start the HTTP API on the configured database (docs at /docs, OpenAPI at /openapi.json)."""
    check_port(host, port)
    if demo:
        from zoneinfo import ZoneInfo

        from microneedling.services.demo_clinic import TIME_ZONE, build_demo_clinic

        with records_database(bulk_load=True) as database:
            upgrade_database(database)
            day = utc_now().astimezone(ZoneInfo(TIME_ZONE)).date()
            build_demo_clinic(unit_of_work(database), today=day)
        typer.echo(
            "The demo clinics are loaded: their accounts share a published password.", err=True
        )
    with records_database(migrated=True) as database:
        where = database.describe()
    typer.echo(
        f"microneedling API on http://{host}:{port}/api/v1 (docs: /docs) with {where}", err=True
    )
    serve(APP_FACTORY, host=host, port=port, workers=workers, http=http.value)
