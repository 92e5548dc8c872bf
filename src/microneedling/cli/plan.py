"""`microneedling plan`: a treatment plan from a request."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from microneedling import demo
from microneedling.cli.common import (
    check_plot_path,
    fail,
    print_json,
    save_plot,
    user_errors,
    wrote,
)
from microneedling.cli.inputs import read_document
from microneedling.clinical.planning import parse_plan_request, plan
from microneedling.clinical.pricing import PriceList, parse_price_list
from microneedling.knowledge import shipped_knowledge_base

if TYPE_CHECKING:
    from rich.console import Console


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
    science: Annotated[
        bool,
        typer.Option(
            "--science",
            help="Add what the plan does to the skin: channels per zone, absorption window, "
            "predicted collagen.",
        ),
    ] = False,
    plot: Annotated[
        Path | None,
        typer.Option("--plot", help="Write the predicted collagen trajectory (FILE.svg or .png)."),
    ] = None,
    device: Annotated[
        str | None,
        typer.Option(
            "--device",
            help="Plan for this device profile (a shipped one, or one the request's 'devices' "
            "gives): starting depths are rounded to its settings.",
            show_default=False,
        ),
    ] = None,
    patient: Annotated[str, typer.Option(help="Patient name on the handout.")] = "",
    clinic: Annotated[str, typer.Option(help="Clinic name on the handout.")] = "",
    printed_on: Annotated[
        datetime | None,
        typer.Option(
            "--printed-on",
            formats=["%Y-%m-%d"],
            help="The day the handout is printed (YYYY-MM-DD; default today): pre-care steps "
            "before it are left out.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Plan a treatment series: depths per zone, sessions, dates, care, expected timeline, quote.

    Exit 2 with the reason when the request is malformed or the policy refuses it.
    """
    with user_errors():
        if use_demo == (request_file is not None):
            fail("give a plan request file (JSON or YAML) or --demo")
        data = demo.load("plan_request.json") if use_demo else read_document(request_file)  # type: ignore[arg-type]
        if device is not None:
            if not isinstance(data, dict):
                fail("the plan request must be a mapping (JSON object or YAML mapping)")
            data = {**data, "device": device}
        prices = _price_list(price_list)
        result = plan(parse_plan_request(data), shipped_knowledge_base(), price_list=prices)
        if handout is not None:
            from microneedling.documents.handout import write_handout

            today = printed_on.date() if printed_on is not None else date.today()
            write_handout(handout, result, today=today, patient=patient, clinic=clinic)
            wrote("Handout", handout)
        if science or plot is not None:
            # The models pull in SciPy and Matplotlib: imported only when asked for.
            from microneedling.services.plan_response import project_plan
            from microneedling.services.plan_science import plan_science
            from microneedling.simulation.plots_healing import plot_collagen
        if science:
            result["science"] = plan_science(result, include_series=as_json)
        if plot is not None:
            check_plot_path(plot)
            save_plot(plot_collagen(project_plan(result).series, title="Predicted collagen"), plot)
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
    from rich.console import Console
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    console = Console()
    device = result.get("device")
    if device:
        settings = (
            f"fixed {device['lowest_mm']:g} mm"
            if device.get("fixed")
            else f"{device['lowest_mm']:g}–{device['highest_mm']:g} mm in {device['step_mm']:g} mm "
            "steps"
        )
        console.print(f"Device: {device['name']} ({settings})")
    for number, series in enumerate(result["series"], start=1):
        title = f"Series {number}: {', '.join(series['concerns'])}"
        table = Table(title=title, title_justify="left")
        for column in ("Zone", "Concern", "Depth (mm)", "Start (mm)", "Area (cm²)", "Technique"):
            table.add_column(column)
        for zone in series["zones"]:
            depth = zone["depth_mm"]
            setting = zone.get("device_setting_mm", depth["start"])
            start = f"{setting:g}" if setting is not None else "not settable"
            technique = zone.get("technique")
            how = (
                f"{technique['endpoint_label'].lower()}; {technique['passes']['min']}–"
                f"{technique['passes']['max']} passes, crossing"
                if technique
                else "—"
            )
            area = zone.get("area_cm2")
            table.add_row(
                zone["zone"], zone["concern"], f"{depth['min']:g}–{depth['max']:g}", start,
                "—" if area is None else str(area), how,
            )  # fmt: skip
        console.print(table)
        if series["sessions"]:
            weeks = series["interval_weeks"]
            console.print(
                f"{series['sessions']} sessions, every {weeks['default']} weeks "
                f"(range {weeks['min']}–{weeks['max']}): {', '.join(series['dates'])}"
            )
        else:
            console.print("Home use as needed (no series).")
    if result.get("treated_area"):
        console.print(f"Treated area: {result['treated_area']['total_cm2']} cm² in total")
    if result.get("numbing"):
        console.print(f"Numbing: {result['numbing']['instruction']}")
    if result.get("glide_medium"):
        glide = result["glide_medium"]
        console.print(f"Glide medium: {glide['label']}. {glide['note']}")
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
            line = f"• {item['label']} [{mark}]"
            if item.get("dates") and item["timing"] == "between_sessions":
                line += f": {', '.join(item['dates'])}"
            if item.get("note"):
                line += f" — {item['note']}"
            console.print(Padding(Text(line), (0, 0, 0, 2)))
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
    if "science" in result:
        _print_science(console, result["science"])
    kb = result["knowledge_base"]
    console.print(f"[dim]Knowledge base {kb['version']} {kb['hash']}[/]")


def _print_science(console: Console, science: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table(title="What the starting depths do to the skin (model)", title_justify="left")
    for column in ("Zone", "Start (mm)", "Reaches (mm)", "Layer", "Channels/cm²"):
        table.add_column(column)
    for zone in science["zones"]:
        layer = zone["layer"].replace("_", " ")
        if zone["beyond_dermis"]:
            layer += " (beyond dermis in thin skin)"
        table.add_row(
            zone["zone"],
            str(zone["start_mm"]),
            str(zone["effective_depth_mm"]),
            layer,
            f"{zone['punctures_per_cm2']:g}",
        )
    console.print(table)
    window = science["absorption_window"]
    console.print(
        f"Topicals reach viable tissue for about {window['not_occluded']['safety_h']:g} h after "
        f"a session ({window['occluded']['safety_h']:g} h under occlusion)."
    )
    collagen = science["collagen"]
    if collagen:
        full = collagen.get("full_effect")
        if full:
            console.print(
                f"Full effect (mature collagen, type I, at its peak; model): {full['date']}, "
                f"{full['weeks_after_last_session']:g} weeks after the last session."
            )
        console.print(
            f"Total collagen (types I and III; not the full effect): peak "
            f"+{collagen['peak_pct']:.1f} % on {collagen['peak_date']}; "
            f"+{collagen['pct_at_6_months']:.1f} % at 6 months, "
            f"+{collagen['pct_at_12_months']:.1f} % at 12 months (model; assumptions apply)."
        )
