"""`microneedling calendar ...`: the clinic calendar, booking a plan's series, moving and
cancelling sessions, maintenance due, `.ics` files and the clinic-wide optimiser.

Commands act as a staff member (``--as EMAIL``): their role is checked and the action audited in
their name. Times without an offset are the clinic's wall clock (``2027-01-05T09:00``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from microneedling.cli.common import fail, print_json
from microneedling.cli.db import records_database
from microneedling.cli.inputs import read_document
from microneedling.cli.records import ActingAs, AsJson
from microneedling.scheduling.optimise import Progress as OptimiserProgress
from microneedling.services import calendar_settings, scheduling
from microneedling.services.clinics import local_operator
from microneedling.services.maintenance import unit_of_work

calendar_app = typer.Typer(
    help="The clinic calendar: book a plan's series, move or cancel sessions, export .ics.",
    no_args_is_help=True,
)

PlanId = Annotated[int, typer.Option("--plan", metavar="ID", help="The treatment plan.", min=1)]
AppointmentId = Annotated[
    int, typer.Option("--appointment", metavar="ID", help="The session's appointment.", min=1)
]
Weekdays = Annotated[
    str | None,
    typer.Option("--weekdays", help="Preferred weekdays, e.g. tuesday,thursday or monday-friday."),
]
Times = Annotated[
    str | None,
    typer.Option(
        "--times", help="Preferred local times for the visit, e.g. 09:00-12:00,16:00-19:00."
    ),
]
Practitioner = Annotated[
    str | None, typer.Option("--practitioner", metavar="EMAIL", help="Preferred practitioner.")
]
Series = Annotated[
    int | None,
    typer.Option(
        "--series", metavar="N", help="Only this series of the plan (0 is the first).", min=0
    ),
]


def _preferences(
    weekdays: str | None, times: str | None, practitioner: str | None
) -> dict[str, Any]:
    prefs: dict[str, Any] = {}
    if weekdays:
        prefs["weekdays"] = [part.strip() for part in weekdays.split(",") if part.strip()]
    if times:
        prefs["times"] = [part.strip() for part in times.split(",") if part.strip()]
    if practitioner:
        prefs["practitioner"] = practitioner.strip().lower()
    return prefs


def _write(path: Path, data: bytes) -> None:
    if not path.parent.exists():
        fail(f"--out: folder {str(path.parent)!r} does not exist")
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    partial.replace(path)


def _sessions_table(title: str, sessions: list[dict[str, Any]]) -> Table:
    table = Table("session", "status", "start (local)", "practitioner", "room", "device", "note",
                  title=title)  # fmt: skip
    for item in sessions:
        note = "; ".join([*([item["note"]] if item.get("note") else []), *item.get("reasons", [])])
        table.add_row(
            str(item["session"]),
            item["status"],
            (item.get("start") or "")[:16].replace("T", " "),
            item.get("practitioner") or "",
            item.get("room") or "",
            item.get("device") or "",
            note,
        )
    return table


@calendar_app.command("configure")
def configure_command(
    file: Annotated[Path, typer.Argument(help="Calendar settings (YAML or JSON).")],
    acting_as: ActingAs,
    as_json: AsJson = False,
) -> None:
    """Set the clinic calendar: opening hours, closures, appointment lengths, slot grid,
    practitioners' hours and absences, rooms, devices (an owner)."""
    with records_database(migrated=True) as database:
        data = read_document(file)
        uow = unit_of_work(database)
        result = calendar_settings.configure_calendar(uow, local_operator(uow, acting_as), data)
    if as_json:
        print_json(result)
        return
    Console().print(
        f"Calendar set: {len(result['practitioners'])} practitioner(s), "
        f"{len(result['rooms'])} room(s), {len(result['devices'])} device(s), "
        f"{len(result.get('closures') or [])} closure(s), {result['time_zone']}."
    )


@calendar_app.command("show")
def show_command(acting_as: ActingAs, as_json: AsJson = False) -> None:
    """The clinic calendar's settings (what `configure` takes)."""
    with records_database(migrated=True) as database:
        uow = unit_of_work(database)
        result = calendar_settings.read_calendar(uow, local_operator(uow, acting_as))
    if as_json:
        print_json(result)
        return
    console = Console()
    console.print(f"[bold]{result.get('name') or 'Clinic calendar'}[/] ({result['time_zone']})")
    console.print(f"  open: {json.dumps(result['opening_hours'], ensure_ascii=False)}")
    for item in result["practitioners"]:
        console.print(f"  practitioner {item['id']}: {json.dumps(item['hours'])}")
    console.print(f"  rooms: {', '.join(room['id'] for room in result['rooms'])}")
    console.print(f"  devices: {', '.join(device['id'] for device in result['devices'])}")


@calendar_app.command("propose")
def propose_command(
    plan: PlanId,
    acting_as: ActingAs,
    weekdays: Weekdays = None,
    times: Times = None,
    practitioner: Practitioner = None,
    series: Series = None,
    as_json: AsJson = False,
) -> None:
    """Propose appointments for every session of a plan's series (nothing is booked)."""
    with records_database(migrated=True) as database:
        uow = unit_of_work(database)
        result = scheduling.propose_plan(
            uow,
            local_operator(uow, acting_as),
            plan,
            preferences=_preferences(weekdays, times, practitioner),
            series_index=series,
        )
    if as_json:
        print_json(result)
        return
    console = Console()
    for item in result["series"]:
        console.print(
            _sessions_table(
                f"Plan {result['plan_id']}, series {item['series_index']}: "
                f"{item['sessions_planned']} sessions, {item['interval_weeks']['min']}–"
                f"{item['interval_weeks']['max']} weeks apart (from {item['first_allowed_date']})",
                item["sessions"],
            )
        )
    for item in result["already_booked"]:
        console.print(f"Series {item['series_index']} is booked (series {item['series_id']}).")


@calendar_app.command("book")
def book_command(
    plan: PlanId,
    acting_as: ActingAs,
    accept: Annotated[
        bool, typer.Option("--accept", help="Book the proposal as it stands now.")
    ] = False,
    slots: Annotated[
        Path | None,
        typer.Option(
            "--slots",
            metavar="FILE",
            help="Slots picked by staff (JSON/YAML): a list of {session, start, practitioner, "
            "room, device}, or an edited `propose --json` output.",
        ),
    ] = None,
    weekdays: Weekdays = None,
    times: Times = None,
    practitioner: Practitioner = None,
    series: Series = None,
    as_json: AsJson = False,
) -> None:
    """Book a plan's series in one transaction: the proposal (--accept) or picked slots."""
    if accept == (slots is not None):
        fail("give either --accept or --slots FILE")
    with records_database(migrated=True) as database:
        picked = read_document(slots) if slots is not None else None
        uow = unit_of_work(database)
        result = scheduling.book_plan(
            uow,
            local_operator(uow, acting_as),
            plan,
            slots=picked,
            preferences=_preferences(weekdays, times, practitioner),
            series_index=series,
        )
    if as_json:
        print_json(result)
        return
    console = Console()
    for item in result["series"]:
        console.print(
            _sessions_table(f"Booked series {item['series_id']} (plan {plan})", item["sessions"])
        )


def _print_change(result: dict[str, Any], title: str) -> None:
    console = Console()
    console.print(_sessions_table(title, result["sessions"]))
    if result["flagged"]:
        console.print(
            f"[bold yellow]Flagged:[/] session(s) {', '.join(map(str, result['flagged']))}"
        )


@calendar_app.command("move")
def move_command(
    appointment: AppointmentId,
    to: Annotated[
        str,
        typer.Option(
            "--to", metavar="DATETIME", help="New start, e.g. 2027-01-12T10:30 (clinic time)."
        ),
    ],
    acting_as: ActingAs,
    as_json: AsJson = False,
) -> None:
    """Move one session; the later ones are re-proposed inside their windows (or flagged)."""
    with records_database(migrated=True) as database:
        uow = unit_of_work(database)
        result = scheduling.move_session(uow, local_operator(uow, acting_as), appointment, to)
    if as_json:
        print_json(result)
    else:
        _print_change(result, f"Series {result['series_id']} after moving {appointment}")


@calendar_app.command("cancel")
def cancel_command(
    appointment: AppointmentId,
    reason: Annotated[
        str, typer.Option("--reason", metavar="TEXT", help="Why the session is cancelled.")
    ],
    acting_as: ActingAs,
    as_json: AsJson = False,
) -> None:
    """Cancel one session, with the reason: its slot is left free (not booked again)."""
    with records_database(migrated=True) as database:
        uow = unit_of_work(database)
        result = scheduling.cancel_session(
            uow, local_operator(uow, acting_as), appointment, reason=reason
        )
    if as_json:
        print_json(result)
    else:
        _print_change(result, f"Series {result['series_id']} after cancelling {appointment}")


@calendar_app.command("series")
def series_command(
    patient: Annotated[int, typer.Option("--patient", metavar="ID", min=1)],
    acting_as: ActingAs,
    as_json: AsJson = False,
) -> None:
    """A patient's booked series and their sessions (with flags)."""
    with records_database(migrated=True) as database:
        uow = unit_of_work(database)
        result = scheduling.list_series(uow, local_operator(uow, acting_as), patient)
    if as_json:
        print_json(result)
        return
    console = Console()
    for item in result:
        table = Table("appointment", "session", "status", "start", "practitioner", "room", "flag",
                      title=f"Series {item['series_id']} (plan {item['plan_id']})")  # fmt: skip
        for session in item["sessions"]:
            table.add_row(
                str(session["appointment_id"]),
                str(session["session"]),
                session["status"],
                session["start"][:16].replace("T", " "),
                session["practitioner"] or "",
                session["room"] or "",
                session["flag"] or "",
            )
        console.print(table)


@calendar_app.command("due")
def due_command(
    acting_as: ActingAs,
    days: Annotated[
        int, typer.Option("--days", min=0, max=366, help="Also list those due within N days.")
    ] = 30,
    as_json: AsJson = False,
) -> None:
    """Patients whose maintenance session (every 6 months after a series) is due or overdue."""
    with records_database(migrated=True) as database:
        uow = unit_of_work(database)
        result = scheduling.maintenance_due_list(
            uow, local_operator(uow, acting_as), horizon_days=days
        )
    if as_json:
        print_json(result)
        return
    table = Table("patient", "name", "due", "status", "days overdue", "last session", "phone")
    for item in result:
        table.add_row(
            str(item["patient_id"]),
            item["name"],
            item["due"],
            item["status"],
            str(item["days_overdue"]),
            item["last_session"],
            item["phone"] or "",
        )
    Console().print(table)


@calendar_app.command("export")
def export_command(
    patient: Annotated[int, typer.Option("--patient", metavar="ID", min=1)],
    out: Annotated[Path, typer.Option("--out", metavar="FILE.ics", help="Where to write.")],
    acting_as: ActingAs,
) -> None:
    """Write a patient's booked series as an .ics calendar (each session with its pre-care
    reminders)."""
    if out.suffix.lower() != ".ics":
        fail(f"--out: expected a file ending in .ics, got {out.name!r}")
    with records_database(migrated=True) as database:
        uow = unit_of_work(database)
        data = scheduling.patient_calendar(uow, local_operator(uow, acting_as), patient)
    _write(out, data)
    typer.echo(f"wrote {out} ({data.count(b'BEGIN:VEVENT')} sessions)")


@calendar_app.command("feed")
def feed_command(
    practitioner: Annotated[
        str, typer.Option("--practitioner", metavar="ID", help="Staff id or e-mail.")
    ],
    out: Annotated[Path, typer.Option("--out", metavar="FILE.ics", help="Where to write.")],
    acting_as: ActingAs,
    names: Annotated[bool, typer.Option("--names", help="Show patients' names.")] = False,
) -> None:
    """Write a practitioner's sessions (from 30 days ago on) as an .ics feed."""
    if out.suffix.lower() != ".ics":
        fail(f"--out: expected a file ending in .ics, got {out.name!r}")
    with records_database(migrated=True) as database:
        uow = unit_of_work(database)
        data = scheduling.practitioner_feed(
            uow, local_operator(uow, acting_as), practitioner, with_names=names
        )
    _write(out, data)
    typer.echo(f"wrote {out} ({data.count(b'BEGIN:VEVENT')} sessions)")


@calendar_app.command("optimise")
def optimise_command(
    acting_as: ActingAs,
    time_limit: Annotated[
        float, typer.Option("--time-limit", min=0.1, max=600, help="CP-SAT budget in seconds.")
    ] = 10.0,
    method: Annotated[
        str, typer.Option("--method", help="cp-sat (optimiser) or greedy (first fit).")
    ] = "cp-sat",
    horizon: Annotated[
        int, typer.Option("--horizon", min=7, max=366, help="Days ahead to plan.")
    ] = 182,
    out: Annotated[
        Path | None,
        typer.Option("--out", metavar="FILE", help="Write the proposal (JSON) for `accept`."),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Assign slots to every pending series together (plans not booked yet, series whose
    sessions no longer fit the calendar). Nothing is booked: `calendar accept FILE` books it."""
    if method not in ("cp-sat", "greedy"):
        fail("--method: expected cp-sat or greedy")
    with records_database(migrated=True) as database:
        uow = unit_of_work(database)
        actor = local_operator(uow, acting_as)
        console = Console(stderr=True)
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[placed]} placed"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=as_json and not console.is_terminal,
        ) as bar:
            task = bar.add_task("optimising", total=None, placed=0)

            def report(step: OptimiserProgress) -> None:
                label = "greedy baseline" if step.method == "greedy" else "CP-SAT, week"
                bar.update(
                    task,
                    description=label,
                    completed=step.done,
                    total=step.total,
                    placed=step.placed,
                )

            result = scheduling.optimise_calendar(
                uow,
                actor,
                method=method,  # type: ignore[arg-type]
                time_limit_seconds=time_limit,
                horizon_days=horizon,
                progress=report,
            )
    if out is not None:
        _write(out, (json.dumps(result, indent=2, ensure_ascii=False) + "\n").encode())
    if as_json:
        print_json(result)
        return
    summary = result["summary"]
    console = Console()
    console.print(
        f"{result['method']}: {summary['in_window']} of {summary['sessions']} sessions placed "
        f"in their windows ({summary['series']} series), {summary['unplaced']} unplaced, "
        f"utilisation {summary['utilisation']:.0%}"
    )
    table = Table("series", "why", "patient", "placed", "first start", "unplaced")
    for item in result["series"]:
        table.add_row(
            item["key"],
            item["why"],
            str(item["patient_id"]),
            str(len(item["sessions"])),
            item["sessions"][0]["start"][:16].replace("T", " ") if item["sessions"] else "",
            str(len(item["unplaced"])),
        )
    console.print(table)
    if out is not None:
        console.print(f"Proposal written to {out}; book it with `calendar accept {out}`.")


@calendar_app.command("accept")
def accept_command(
    file: Annotated[Path, typer.Argument(help="The proposal `optimise --out` wrote.")],
    acting_as: ActingAs,
    series: Annotated[
        list[str] | None,
        typer.Option("--series", metavar="KEY", help="Only these series (repeat the option)."),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Book an optimiser proposal in one transaction (all series, or those named)."""
    with records_database(migrated=True) as database:
        document = read_document(file, max_bytes=50_000_000)
        uow = unit_of_work(database)
        result = scheduling.accept_optimised(
            uow, local_operator(uow, acting_as), document, keys=series or None
        )
    if as_json:
        print_json(result)
        return
    console = Console()
    console.print(f"Accepted {len(result['accepted'])} series.")
    for item in result["skipped"]:
        console.print(f"  skipped {item['key']}: {item['reason']}")
