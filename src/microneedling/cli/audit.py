"""`microneedling audit ...`: verify the hash-chained audit log; read a clinic's entries."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from microneedling.cli.common import (
    counted,
    fail,
    options_named,
    print_json,
    settings_problem,
    user_errors,
)
from microneedling.cli.db import records_database
from microneedling.services.audit import (
    audit_log,
    audit_query,
    clinic_by_slug,
    verify_audit_log,
    verify_clinic_audit_log,
)
from microneedling.services.clinics import local_operator
from microneedling.services.maintenance import unit_of_work
from microneedling.store.audit_verify import ChainReport

#: Exit code of `audit verify` when the chain is broken (2 stays "bad input").
EXIT_TAMPERED = 1
#: Most entries `audit log` shows at once.
MAX_LIMIT = 1000

audit_app = typer.Typer(help="The audit log: verify it, read it.", no_args_is_help=True)


@audit_app.command("verify")
def verify_command(
    clinic: Annotated[
        str | None,
        typer.Option(
            "--clinic", metavar="SLUG", help="Only this clinic's chain (the clinic's short name)."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Check every entry's hash, link and authentication (with MICRONEEDLING_AUDIT_KEY), each
    clinic's chain and the heads; with --clinic, one clinic's chain only. Exit 0 when intact, 1
    when an entry was altered, inserted, deleted, moved or cannot be read (the first one is
    named), 2 when the database cannot be read.
    """
    readable_settings()
    with records_database(migrated=True) as database:
        if clinic is None:
            report = verify_audit_log(database)
        else:
            with options_named({"clinic": "--clinic"}):
                report = verify_clinic_audit_log(database, clinic_by_slug(database, clinic))
    if as_json:
        print_json(report.to_dict())
    else:
        print_report(report, clinic)
    if not report.intact:
        raise typer.Exit(EXIT_TAMPERED)


def readable_settings() -> None:
    """A setting that cannot be read (an audit key too short) is one line and exit 2."""
    from pydantic import ValidationError

    from microneedling.config import settings

    try:
        settings()
    except ValidationError as error:
        fail(f"the settings cannot be read: {settings_problem(error)}")


def print_report(report: ChainReport, clinic: str | None) -> None:
    """The outcome in words: intact or broken (the first entry that fails, every problem), and
    how far it can be trusted (authenticated with the audit key, or not)."""
    whose = f"Clinic {clinic!r}'s audit log" if clinic else "Audit log"
    if report.intact:
        last = "last place in the clinic's chain" if clinic else "head"
        typer.echo(
            f"{whose} intact: {report.entries:,} entries; {last} {report.head_sequence} "
            f"{report.head_hash}"
        )
        if report.fully_authenticated:
            typer.echo("Every entry is authenticated with the audit key.")
        for note in report.notes():
            typer.echo(note)
        return
    err = Console(stderr=True, soft_wrap=True)
    err.print(f"{whose} BROKEN: {counted(len(report.problems), 'problem')}", markup=False)
    if report.first_failing is not None:
        err.print(f"The first entry that fails is entry {report.first_failing}.", markup=False)
    for problem in report.problems:
        err.print(f"  {problem}", markup=False, highlight=False)
    for note in report.notes():
        err.print(note, markup=False, highlight=False)


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
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=MAX_LIMIT, help="Entries per page.")
    ] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print the entries as JSON.")] = False,
) -> None:
    """A clinic's audit log, newest first, each entry as a sentence (owners only; reading it is
    audited too)."""
    options = {"patient": "--patient", "person": "--person", "action": "--action",
               "from": "--from", "to": "--to", "before": "--before", "after": "--after",
               "limit": "--limit"}  # fmt: skip
    with user_errors(), options_named(options):
        query = audit_query(
            patient=patient, person=person, action=action, date_from=date_from, date_to=date_to
        )
    with records_database(migrated=True) as database, options_named(options):
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
        # The sentence's names are isolated by its wording; Rich must not read them as markup.
        table.add_row(str(entry["sequence"]), entry["at_local"][:16].replace("T", " "),
                      escape(entry["sentence"]))  # fmt: skip
    console = Console()
    console.print(table)
    typer.echo(paging_hint(page, newest=before is None and after is None))


def paging_hint(page: dict[str, Any], *, newest: bool) -> str:
    """Where this page is in the log and how to see the rest: ``showing 50 of 3,901; older
    entries: --before 3852 (3,851 more; up to 1000 at a time with --limit)``. ``newest``: the
    page is the newest (no --before/--after), so the entries not shown are all older ones."""
    shown, total = len(page["items"]), page["total"]
    line = f"showing {shown:,} of {total:,}"
    if page["older"]:
        line += f"; older entries: --before {page['older']}"
        more = f"{total - shown:,} more; " if newest else ""
        if page["limit"] < MAX_LIMIT:
            line += f" ({more}up to {MAX_LIMIT} at a time with --limit)"
        elif more:
            line += f" ({more.removesuffix('; ')})"
    if page["newer"]:
        line += f"; newer entries: --after {page['newer']}"
    return line


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
