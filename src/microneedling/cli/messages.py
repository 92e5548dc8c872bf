"""`microneedling messages …`: the clinic's messages to patients from the command line, as a
staff member (``--as EMAIL``): the role is checked and every change audited in their name, as in
the pages and the API. Every command has ``--json``.

- ``settings`` shows quiet hours and timings; ``--quiet-hours`` and ``--timing KIND=N`` set them
  (owners; ``KIND=`` turns one off);
- ``template KIND`` shows a kind's wording; ``--subject``/``--body-file`` set it, ``--reset``
  brings back the shipped wording (owners);
- ``preview KIND`` renders it for a sample patient (with ``--subject``/``--body-file``: as typed,
  not saved);
- ``recalls`` queues today's maintenance recalls and invitations to book (run it daily).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from microneedling.cli.common import fail, print_json, user_errors
from microneedling.cli.db import records_database
from microneedling.cli.records import ActingAs, AsJson
from microneedling.services import clinics
from microneedling.services.access import Actor
from microneedling.services.maintenance import unit_of_work
from microneedling.services.messages import clinic_settings
from microneedling.store import UnitOfWork

messages_app = typer.Typer(
    help="Messages to patients: quiet hours, timings, wording.", no_args_is_help=True
)

T = TypeVar("T")
MAX_BODY_FILE = 100_000
Kind = Annotated[str, typer.Argument(help="A kind of message, e.g. reminder_48h.")]
Subject = Annotated[str | None, typer.Option("--subject", help="The subject (also the SMS).")]
BodyFile = Annotated[
    Path | None, typer.Option("--body-file", help="A text file with the e-mail's wording.")
]


def _run(acting_as: str, work: Callable[[UnitOfWork, Actor], T]) -> T:
    with records_database(migrated=True) as database, user_errors():
        uow = unit_of_work(database)
        return work(uow, clinics.local_operator(uow, acting_as))


def _body(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        if path.stat().st_size > MAX_BODY_FILE:
            fail(f"--body-file: {path.name} is larger than {MAX_BODY_FILE:,} bytes")
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        fail(f"--body-file: {path.name} is not UTF-8 text")
    except OSError as error:
        fail(f"--body-file: {path.name} cannot be read ({error.strerror or error})")


def _timings(items: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in items:
        kind, sep, value = item.partition("=")
        if not sep or not kind.strip():
            fail(f"--timing: {item[:40]!r} is not KIND=NUMBER (e.g. reminder_48h=24)")
        found[kind.strip()] = value.strip()
    return found


@messages_app.command("settings")
def settings_command(
    acting_as: ActingAs,
    quiet_hours: Annotated[
        str | None,
        typer.Option("--quiet-hours", help='Like 21:00-08:00; "" for none (owners).'),
    ] = None,
    timing: Annotated[
        list[str] | None,
        typer.Option("--timing", help="KIND=N, e.g. reminder_48h=24; KIND= turns it off."),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Show the clinic's quiet hours and timings, or set them (owners)."""
    if quiet_hours is not None or timing:
        current = _run(acting_as, clinic_settings.read_message_settings)
        data: dict[str, Any] = {
            k: "" if v is None else str(v) for k, v in current["timings"].items()
        }
        data["quiet_hours"] = current["quiet_hours"] if quiet_hours is None else quiet_hours
        data.update(_timings(timing or []))
        found = _run(
            acting_as, lambda uow, actor: clinic_settings.update_message_settings(uow, actor, data)
        )
    else:
        found = _run(acting_as, clinic_settings.read_message_settings)
    if as_json:
        print_json({"quiet_hours": found["quiet_hours"], "timings": found["timings"]})
        return
    typer.echo(f"Quiet hours: {found['quiet_hours'] or 'none'}")
    for kind, (unit, _default, _low, _high, label) in clinic_settings.TIMINGS.items():
        value = found["timings"].get(kind)
        typer.echo(f"{label} ({kind}): " + (f"{value} {unit}" if value else "off"))


@messages_app.command("template")
def template_command(
    kind: Kind,
    acting_as: ActingAs,
    subject: Subject = None,
    body_file: BodyFile = None,
    reset: Annotated[bool, typer.Option("--reset", help="Back to the shipped wording.")] = False,
    as_json: AsJson = False,
) -> None:
    """Show the wording of one kind of message, or set it (owners)."""
    if reset and (subject is not None or body_file is not None):
        fail("--reset takes no --subject or --body-file")
    body = _body(body_file)
    if reset or subject is not None or body is not None:
        if not reset and (subject is None or body is None):
            fail("give both --subject and --body-file (or --reset)")
        found = _run(
            acting_as,
            lambda uow, actor: clinic_settings.save_template(uow, actor, kind, subject, body),
        )
    else:
        found = _run(acting_as, clinic_settings.read_message_settings)
    if kind not in found["templates"]:
        fail(f"there is no kind of message called {kind[:40]!r}")
    shown = {"kind": kind, **found["templates"][kind]}
    if as_json:
        print_json(shown)
        return
    typer.echo(f"{kind} ({'the clinic' + chr(39) + 's own' if shown['own'] else 'as shipped'})")
    typer.echo(f"Subject: {shown['subject']}\n\n{shown['body']}")


@messages_app.command("preview")
def preview_command(
    kind: Kind,
    acting_as: ActingAs,
    subject: Subject = None,
    body_file: BodyFile = None,
    as_json: AsJson = False,
) -> None:
    """Render a kind of message for a sample patient (nothing is saved)."""
    body = _body(body_file)
    found = _run(
        acting_as, lambda uow, actor: clinic_settings.preview(uow, actor, kind, subject, body)
    )
    if as_json:
        print_json(found)
        return
    if found["problems"]:
        fail("; ".join(f"{p['field']}: {p['message']}" for p in found["problems"]))
    typer.echo(f"Subject: {found['subject']}\n\n{found['text']}\nSMS: {found['sms']}")


@messages_app.command("recalls")
def recalls_command(acting_as: ActingAs, as_json: AsJson = False) -> None:
    """Queue today's maintenance recalls and invitations to book (each at most monthly)."""
    from microneedling.services.messages.recalls import queue_recalls

    counts = _run(acting_as, lambda uow, actor: queue_recalls(uow, actor))
    if as_json:
        print_json(counts)
        return
    typer.echo(
        f"queued {counts['recall']} recall(s), {counts['invitation']} invitation(s) "
        f"({counts['rows']} messages); {counts['skipped']} skipped"
    )
