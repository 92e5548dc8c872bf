"""`microneedling worker`: send the patients' messages that are due (docs/messages.md).

Runs until stopped (a pass every ``MICRONEEDLING_MESSAGES_WORKER_INTERVAL_SECONDS``), or once
with ``--once``. Any number of workers may share a PostgreSQL database; with SQLite, run one (or
let ``microneedling web`` send, which it does by default).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Annotated

import typer
from pydantic import ValidationError

from microneedling.cli.common import fail
from microneedling.cli.db import records_database
from microneedling.services.messages.channels import (
    message_settings,
    transports_from,
    worker_settings_from,
)
from microneedling.services.messages.worker import Summary, run_once


def _moment(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        fail(f"--now: {text[:40]!r} is not a date and time like 2026-12-08T09:00:00+00:00")
    if moment.tzinfo is None:
        fail("--now: give the time zone too, e.g. 2026-12-08T09:00:00+00:00")
    return moment.astimezone(UTC)


def worker_command(
    once: Annotated[bool, typer.Option("--once", help="Send what is due now, then stop.")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print each pass's summary as JSON.")
    ] = False,
    now: Annotated[
        str | None,
        typer.Option(
            "--now",
            metavar="ISO-DATETIME",
            help="With --once: send what is due at this moment (for tests and demonstrations).",
        ),
    ] = None,
) -> None:
    """Send the patients' messages that are due: e-mail and SMS, with retries."""
    fixed = _moment(now)
    if fixed is not None and not once:
        fail("--now is for --once only")
    try:
        config = message_settings()
    except ValidationError as error:
        problems = [
            f"MICRONEEDLING_{'_'.join(str(part) for part in item['loc']).upper()}: {item['msg']}"
            for item in error.errors(include_input=False)
        ]
        fail("the settings cannot be read: " + "; ".join(problems))
    transports = transports_from(config)
    options = worker_settings_from(config)
    with records_database(migrated=True) as database:
        while True:
            summary: Summary = run_once(
                database, transports, now=fixed or datetime.now(UTC), settings=options
            )
            if as_json:
                typer.echo(json.dumps(summary.as_dict(), sort_keys=True))
            elif summary.claimed or once:
                typer.echo(
                    f"sent {summary.sent}, retrying {summary.retried}, failed {summary.failed}, "
                    f"withdrawn {summary.withdrawn}"
                )
            if once:
                return
            if summary.claimed < options.batch:
                time.sleep(config.messages_worker_interval_seconds)
