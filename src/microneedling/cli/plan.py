"""`microneedling plan`: a treatment plan from a request."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from microneedling import demo
from microneedling.cli.common import fail, print_json, user_errors
from microneedling.cli.inputs import read_document
from microneedling.clinical.planning import parse_plan_request, plan
from microneedling.clinical.pricing import PriceList, parse_price_list
from microneedling.documents.handout import write_handout
from microneedling.knowledge import shipped_knowledge_base


def plan_command(
    request_file: Annotated[
        Path | None,
        typer.Argument(metavar="REQUEST", help="Plan request as JSON or YAML.", show_default=False),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
    price_list: Annotated[
        str | None,
        typer.Option(
            "--price-list",
            help="Price list file (JSON/YAML) for a quote, or 'demo' for the demo clinic's.",
        ),
    ] = None,
    use_demo: Annotated[
        bool, typer.Option("--demo", help="Plan the bundled demo request.")
    ] = False,
    handout: Annotated[
        Path | None,
        typer.Option("--handout", help="Also write the patient handout (FILE.html or FILE.pdf)."),
    ] = None,
    patient: Annotated[str, typer.Option(help="Patient name on the handout.")] = "",
    clinic: Annotated[str, typer.Option(help="Clinic name on the handout.")] = "",
) -> None:
    """Plan a treatment series: depths per zone, sessions, dates, care, expected timeline, quote.

    Exit 2 with the reason when the request is malformed or the policy refuses it.
    """
    with user_errors():
        if use_demo == (request_file is not None):
            fail("give a plan request file (JSON or YAML) or --demo")
        data = demo.load("plan_request.json") if use_demo else read_document(request_file)  # type: ignore[arg-type]
        prices = _price_list(price_list)
        result = plan(parse_plan_request(data), shipped_knowledge_base(), price_list=prices)
        if handout is not None:
            write_handout(handout, result, patient=patient, clinic=clinic)
    if as_json:
        print_json(result)
    else:
        print_plan(result)


def _price_list(option: str | None) -> PriceList | None:
    if option is None:
        return None
    data = demo.load("price_list.yaml") if option == "demo" else read_document(Path(option))
    return parse_price_list(data)


def print_plan(result: dict[str, Any]) -> None:
    """A readable plan for staff."""
    console = Console()
    for number, series in enumerate(result["series"], start=1):
        title = f"Series {number}: {', '.join(series['concerns'])}"
        table = Table(title=title, title_justify="left")
        for column in ("Zone", "Concern", "Depth (mm)", "Start (mm)"):
            table.add_column(column)
        for zone in series["zones"]:
            depth = zone["depth_mm"]
            table.add_row(
                zone["zone"], zone["concern"], f"{depth['min']}–{depth['max']}", str(depth["start"])
            )
        console.print(table)
        if series["sessions"]:
            weeks = series["interval_weeks"]
            console.print(
                f"{series['sessions']} sessions, every {weeks['default']} weeks "
                f"(range {weeks['min']}–{weeks['max']}): {', '.join(series['dates'])}"
            )
        else:
            console.print("Home use as needed (no series).")
    if result["maintenance"]:
        maintenance = result["maintenance"]
        console.print(
            f"Maintenance: every {maintenance['every_months']} months from "
            f"{maintenance['first_date']}"
        )
    for heading, key in (("Warnings", "warnings"), ("Precautions", "precautions")):
        if result[key]:
            console.print(f"[bold]{heading}:[/]")
            for item in result[key]:
                text = item.get("message") or item.get("instruction")
                console.print(
                    Padding(Text(f"• {text} ({', '.join(item['sources'])})"), (0, 0, 0, 2))
                )
    if result["combinations"]:
        console.print("[bold]Combinations:[/]")
        for item in result["combinations"]:
            mark = "requested" if item["requested"] else "option"
            console.print(Padding(Text(f"• {item['label']} [{mark}]"), (0, 0, 0, 2)))
    if result["quote"]:
        quote = result["quote"]
        console.print(f"[bold]Quote:[/] {quote['total']} {quote['currency']} ({quote['note']})")
    first_session = [e for e in result["precare"] if e["session"] == 1]
    if first_session:
        console.print("[bold]Before the first session:[/]")
        for entry in first_session:
            console.print(
                Padding(
                    Text(f"{entry['date']} (day {entry['day']}): {entry['instruction']}"),
                    (0, 0, 0, 2),
                )
            )
    kb = result["knowledge_base"]
    console.print(f"[dim]Knowledge base {kb['version']} {kb['hash']}[/]")
