"""`microneedling patient ...` and `microneedling recall LOT`: the records from the command line.

Commands act as a staff member (``--as EMAIL``): their role is checked and the action audited in
their name, as in the application.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from microneedling.cli.common import counted, print_json
from microneedling.cli.db import records_database
from microneedling.cli.names import shown_name
from microneedling.services.clinics import local_operator
from microneedling.services.inventory import recall_cartridge_lot
from microneedling.services.maintenance import unit_of_work
from microneedling.services.patients import find_patients, open_patient_record

ActingAs = Annotated[
    str, typer.Option("--as", metavar="EMAIL", help="The staff member acting (their e-mail).")
]
AsJson = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]

patient_app = typer.Typer(help="Patients' records.", no_args_is_help=True)


@patient_app.command("find")
def find_command(
    text: Annotated[
        str,
        typer.Argument(
            help=(
                'Part of a name ("Sara Smit", "Boer"), a phone number, an e-mail address or a '
                'date of birth ("14/03/1988", "1988-03-14", "14 March 1988").'
            )
        ),
    ],
    acting_as: ActingAs,
    as_json: AsJson = False,
) -> None:
    """Patients found by TEXT: words of the name in any order, phone, e-mail or date of birth."""
    with records_database(migrated=True) as database:
        uow = unit_of_work(database)
        found = find_patients(uow, local_operator(uow, acting_as), text)
    if as_json:
        print_json(found)
        return
    table = Table("id", "name", "birth date", "phone", "e-mail", "Fitzpatrick")
    for item in found:
        table.add_row(
            str(item["id"]),
            shown_name(item["given_name"], item["family_name"]),
            item["birth_date"],
            item["phone"] or "",
            item["email"] or "",
            str(item["fitzpatrick"]),
        )
    if not found:
        typer.echo(f"No patient found by {text!r}.")
        return
    Console().print(table)


@patient_app.command("show")
def show_command(
    patient_id: Annotated[int, typer.Argument(metavar="PATIENT_ID")],
    acting_as: ActingAs,
    as_json: AsJson = False,
) -> None:
    """A patient's full record: intakes, consents, plans, sessions and charts, outcomes..."""
    with records_database(migrated=True) as database:
        uow = unit_of_work(database)
        record = open_patient_record(uow, local_operator(uow, acting_as), patient_id)
    if as_json:
        print_json(record)
    else:
        _print_record(record)


def _policy(result: dict[str, Any]) -> str:
    """Which policy a screening or plan was made under (its knowledge-base version)."""
    stamp = result.get("knowledge_base") or {}
    version = stamp.get("version")
    if not version:
        return ""
    return f" [policy {str(version).split('.')[0]}, knowledge base {version}]"


def _zone(zone: dict[str, Any], flagged: dict[str, str]) -> str:
    text = f"{zone['zone']} {zone['depth_mm']} mm × {zone['passes']}"
    if zone.get("endpoint"):
        text += f" ({zone['endpoint'].replace('_', ' ')})"
    if zone["zone"] in flagged:
        text += f" [OUTSIDE THE PLAN: {flagged[zone['zone']]}; reason: {zone.get('reason')}]"
    return text


def _print_record(record: dict[str, Any]) -> None:
    console = Console()
    patient = record["patient"]
    console.print(
        f"[bold]{shown_name(patient['given_name'], patient['family_name'])}[/] "
        f"(patient {patient['id']}), "
        f"born {patient['birth_date']}, Fitzpatrick {patient['fitzpatrick']}"
    )
    for intake in record["intakes"]:
        console.print(
            f"  intake {intake['id']} on {intake['assessed_on']}: {intake['decision']}"
            + (" (acknowledged)" if intake["acknowledged"] else "")
            + _policy(intake),
            markup=False,
        )
    for plan in record["plans"]:
        console.print(f"  plan {plan['id']}: {plan['status']}" + _policy(plan), markup=False)
    charts = {chart["appointment_id"]: chart for chart in record["charts"]}
    for appointment in record["appointments"]:
        line = f"  session {appointment['id']} {appointment['starts_at']} {appointment['status']}"
        chart = charts.get(appointment["id"])
        if chart is not None:
            current = chart["current"]
            flagged = current.get("outside_plan") or {}
            zones = ", ".join(_zone(z, flagged) for z in current["zones"])
            line += f" — lot {current['cartridge_lot']}, {zones}"
            if current.get("glide_medium"):
                line += f"; glide {current['glide_medium']}"
            if current.get("numbed_area_cm2"):
                line += f"; numbed {current['numbed_area_cm2']:g} cm²"
            if chart["amendments"]:
                line += f" (amended {len(chart['amendments'])}×)"
        console.print(line, markup=False)
    for event in record["adverse_events"]:
        console.print(
            f"  adverse event {event['id']}: {event['kind']} ({event['severity']}) "
            f"from {event['onset_on']}"
            + (f", resolved {event['resolved_on']}" if event["resolved_on"] else "")
        )
    for outcome in record["outcomes"]:
        console.print(
            f"  outcome {outcome['scale']} = {outcome['score']} on {outcome['assessed_on']}"
        )
    console.print(
        f"  {counted(len(record['photos']), 'photo')}, "
        f"{counted(len(record['consents']), 'consent')}"
    )


def recall_command(
    lot_number: Annotated[str, typer.Argument(metavar="LOT", help="The lot number.")],
    acting_as: ActingAs,
    reason: Annotated[str, typer.Option("--reason", help="Why the lot is recalled.")],
    as_json: AsJson = False,
) -> None:
    """Recall a cartridge lot: it can no longer be charted, and every patient who received it
    (in the current version of their charts) is listed with their contact details.
    """
    with records_database(migrated=True) as database:
        uow = unit_of_work(database)
        report = recall_cartridge_lot(
            uow, local_operator(uow, acting_as), lot_number, reason=reason
        )
    if as_json:
        print_json(report)
        return
    lot = report["lot"]
    state = "recalled now" if report["newly_recalled"] else f"recalled on {lot['recalled_at'][:10]}"
    console = Console()
    console.print(
        f"Lot {lot['lot_number']} ({lot['product']}): {state}; "
        f"{counted(len(report['patients']), 'patient')}"
    )
    table = Table("patient", "name", "e-mail", "phone", "sessions", "first", "last")
    for item in report["patients"]:
        table.add_row(
            str(item["patient_id"]),
            shown_name(item["given_name"], item["family_name"]),
            item["email"] or "",
            item["phone"] or "",
            str(item["sessions"]),
            item["first_on"],
            item["last_on"],
        )
    console.print(table)
