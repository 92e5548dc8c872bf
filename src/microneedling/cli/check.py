"""`microneedling check`: what is unsafe in the current settings, and what to do (services/preflight.py).

Exit 0 when nothing is, 1 when something is (so a deployment can stop on it), 2 when the
settings themselves cannot be read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from microneedling.cli.common import fail, print_json, settings_problem


def check_command(
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            max=1024,
            help="Server processes that will share the database (all servers' workers together).",
        ),
    ] = 1,
    https: Annotated[
        bool,
        typer.Option(
            "--https/--no-https",
            help="Whether people reach it over HTTPS (--no-https: this machine's own use only).",
        ),
    ] = True,
    backups: Annotated[
        Path | None,
        typer.Option(
            "--backups",
            metavar="FOLDER",
            help="The folder backups are written to, to check who can read it.",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Say what is unsafe in the current settings, and what to do; exit 1 if anything is."""
    from pydantic import ValidationError

    from microneedling.config import settings
    from microneedling.services.preflight import HTTPS_ONLY, Deployment, WebFacts, preflight
    from microneedling.web.settings import WebSettings

    try:
        config = settings()
        web = WebSettings()
    except ValidationError as error:
        fail(f"the settings cannot be read: {settings_problem(error)}")
    report = preflight(
        config,
        WebFacts(secret_key_set=web.secret_key is not None, cookie_secure=web.cookie_secure),
        Deployment(processes=workers, https=https, backups=backups),
    )
    if as_json:
        print_json(report.to_dict())
    elif report.safe:
        typer.echo(f"Nothing unsafe found. Checked: {', '.join(report.checked)}.")
    else:
        typer.echo(f"{len(report.findings)} unsafe settings:")
        for finding in report.findings:
            typer.echo(f"\n✗ {finding.problem}\n  What to do: {finding.fix}")
        if https and any(finding.code in HTTPS_ONLY for finding in report.findings):
            typer.echo(
                "\nServed over plain HTTP for this computer's own use only? "
                "`microneedling check --no-https` leaves out what matters behind HTTPS."
            )
    if not report.safe:
        raise typer.Exit(1)
