"""`microneedling simulate` commands for the healing model (Model 3).

- ``inflammation``: the inflammatory response to one session (Cooper et al. 2015 core);
- ``response``: the collagen trajectory a treatment plan (``plan --json``) projects;
- ``compare``: several plans side by side.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from microneedling.cli.common import check_plot_path, fail, print_json, save_plot, user_errors
from microneedling.services.plan_response import (
    MAX_DAYS,
    PlanProjection,
    compare_report,
    project_plan,
    project_plans,
    read_plan_file,
    response_report,
)
from microneedling.simulation.collagen import CollagenParams
from microneedling.simulation.inflammation import (
    DebrisKillReading,
    InflammationSeries,
    simulate_inflammation,
)

_READINGS = {"E": DebrisKillReading.ESTROGEN, "N": DebrisKillReading.NEUTROPHIL}

ReadingOption = Annotated[
    str,
    typer.Option(
        "--reading",
        help="Debris-by-neutrophil term: E = (1 + ken*E) (default), N = (1 + ken*N) as in the "
        "public export (MODELS.md §4.1).",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
PlotOption = Annotated[
    Path | None,
    typer.Option("--plot", help="Also write a plot (.svg or .png).", show_default=False),
]
HorizonOption = Annotated[
    int | None,
    typer.Option(
        "--days",
        help="Days to simulate from the first session (default: a year after the last session, "
        f"at least 365; at most {MAX_DAYS}).",
        show_default=False,
    ),
]


def _reading(value: str) -> DebrisKillReading:
    reading = _READINGS.get(value.strip().upper())
    if reading is None:
        fail(f"--reading: expected E or N, got {value!r}")
    return reading


def _check_days(days: float, option: str = "--days") -> None:
    if not math.isfinite(days) or days <= 0:
        fail(f"{option}: expected a positive number of days, got {days:g}")
    if days > MAX_DAYS:
        fail(f"{option}: at most {MAX_DAYS} days (about 10 years), got {days:g}")


def _peaks_json(series: InflammationSeries) -> dict[str, Any]:
    p = series.peaks

    def r(value: float | None, digits: int = 4) -> float | None:
        return None if value is None else round(value, digits)

    return {
        "neutrophils": {"day": r(p.neutrophil_peak_day), "value": r(p.neutrophil_peak)},
        "macrophages": {"day": r(p.macrophage_peak_day), "value": r(p.macrophage_peak)},
        "active_macrophages": {
            "day": r(p.active_macrophage_peak_day),
            "value": r(p.active_macrophage_peak),
        },
        "pathogen_cleared_day": r(p.pathogen_cleared_day),
        "macrophages_below_10pct_day": r(p.macrophages_resolved_day),
        "debris_at_day_5": r(p.debris_at_day_5, 5),
    }


def inflammation_command(
    days: Annotated[
        float, typer.Option("--days", help=f"Days after the session (at most {MAX_DAYS}).")
    ] = 21.0,
    reading: ReadingOption = "E",
    step_days: Annotated[
        float, typer.Option("--step-days", help="Sampling step of the series, days.")
    ] = 0.25,
    json_output: JsonOption = False,
    plot: PlotOption = None,
) -> None:
    """Inflammatory response to one session: neutrophils, macrophages, pathogen, debris."""
    _check_days(days)
    if not (math.isfinite(step_days) and 0 < step_days <= days):
        fail(f"--step-days: expected a positive step no longer than --days, got {step_days:g}")
    if days / step_days > 100_000:
        fail("--step-days: too small for --days (more than 100000 points)")
    kind = _reading(reading)
    if plot is not None:
        check_plot_path(plot)
    series = simulate_inflammation(days, step_days=step_days, reading=kind)
    if plot is not None:
        from microneedling.simulation.plots_healing import plot_inflammation

        fine = simulate_inflammation(days, step_days=min(step_days, days / 800), reading=kind)
        save_plot(plot_inflammation(fine), plot)
    if json_output:

        def rounded(values: Any) -> list[float]:
            return [float(f"{v:.6g}") for v in values]

        print_json(
            {
                "day": [round(float(d), 6) for d in series.day],
                "neutrophils": rounded(series.neutrophils),
                "macrophages": rounded(series.macrophages),
                "pathogen": rounded(series.pathogen),
                "debris": rounded(series.debris),
                "active_macrophages": rounded(series.active_macrophages),
                "peaks": _peaks_json(series),
                "reading": kind.value,
                "units": "days; cell and debris levels in the model's units",
                "warnings": [
                    "cooper.E = 0 and cooper.C = 0 (assumption): estrogen and cortisol not "
                    "modelled",
                    "debris-by-neutrophil reading is open (MODELS.md §4.1, ambiguity 2); "
                    f"this run uses (1 + ken*{kind.value})",
                ],
            }
        )
        return
    console = Console()
    p = series.peaks
    console.print(
        f"Inflammation after one session (Cooper 2015 core, reading 1 + ken*{kind.value}):"
    )
    console.print(
        f"  neutrophils peak {p.neutrophil_peak:.3f} on day {p.neutrophil_peak_day:.2f}; "
        f"macrophages peak {p.macrophage_peak:.3f} on day {p.macrophage_peak_day:.2f}"
    )
    if p.macrophages_resolved_day is not None:
        console.print(f"  macrophages below 10 % of peak from day {p.macrophages_resolved_day:.1f}")
    table = Table("day", "neutrophils", "macrophages", "pathogen", "debris")
    for k in range(series.day.size):
        table.add_row(
            f"{series.day[k]:g}",
            f"{series.neutrophils[k]:.4f}",
            f"{series.macrophages[k]:.4f}",
            f"{series.pathogen[k]:.2e}",
            f"{series.debris[k]:.4f}",
        )
    console.print(table)


def _load(path: Path) -> Any:
    with user_errors():
        return read_plan_file(path)


def response_command(
    plan_file: Annotated[
        Path, typer.Argument(help="Treatment plan JSON (as printed by `plan --json`).")
    ],
    days: HorizonOption = None,
    reading: ReadingOption = "E",
    json_output: JsonOption = False,
    plot: PlotOption = None,
) -> None:
    """Collagen trajectory a treatment plan projects (day 0 = first session)."""
    if days is not None:
        _check_days(days)
    kind = _reading(reading)
    if plot is not None:
        check_plot_path(plot)
    plan = _load(plan_file)
    with user_errors():
        projection = project_plan(plan, label=plan_file.name, horizon_days=days, reading=kind)
    report = response_report(projection)
    if plot is not None:
        from microneedling.simulation.plots_healing import plot_collagen

        fig = plot_collagen(
            projection.series,
            title=f"Collagen response: {plan_file.name} (day 0 = {report['first_session_date']})",
            collagen=CollagenParams.from_table(),
        )
        save_plot(fig, plot)
    if json_output:
        print_json(report)
        return
    _print_response(report)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1f} %"


def _print_response(report: dict[str, Any]) -> None:
    console = Console()
    console.print(
        f"Collagen projection from {report['first_session_date']} (day 0), "
        f"{report['horizon_days']} days:"
    )
    sessions = Table("#", "day", "date", "depth (mm)", "dose", "S on the day")
    for s in report["sessions"]:
        sessions.add_row(
            str(s["index"]),
            str(s["day"]),
            s["date"],
            f"{s['depth_mm']:g}",
            f"{s['dose']:.3f}",
            _pct(s["collagen_pct_change"]),
        )
    console.print(sessions)
    console.print(
        f"  peak {_pct(report['peak_pct'])} on day {report['peak_day']} ({report['peak_date']}); "
        f"6 months {_pct(report['pct_at_6_months'])}; 12 months {_pct(report['pct_at_12_months'])}"
    )
    console.print("[yellow]Assumptions:[/yellow]")
    for line in report["warnings"]:
        console.print(f"  - {line}", markup=False)


def compare_command(
    plan_files: Annotated[
        list[Path], typer.Argument(help="Two or more treatment plan JSON files.")
    ],
    days: HorizonOption = None,
    reading: ReadingOption = "E",
    json_output: JsonOption = False,
    plot: PlotOption = None,
) -> None:
    """Several plans' collagen trajectories side by side: peak, 6 and 12 months."""
    if len(plan_files) < 2:
        fail("compare: give at least two plan files")
    if days is not None:
        _check_days(days)
    kind = _reading(reading)
    if plot is not None:
        check_plot_path(plot)
    labels = _unique_labels(plan_files)
    plans = [(label, _load(path)) for label, path in zip(labels, plan_files, strict=True)]
    with user_errors():
        projections: list[PlanProjection] = project_plans(plans, horizon_days=days, reading=kind)
    report = compare_report(projections)
    if plot is not None:
        from microneedling.simulation.plots_healing import plot_comparison

        save_plot(
            plot_comparison([p.series for p in projections], [p.label for p in projections]),
            plot,
        )
    if json_output:
        print_json(report)
        return
    console = Console()
    table = Table("plan", "sessions", "peak", "peak day", "6 months", "12 months")
    for row in report["plans"]:
        table.add_row(
            row["label"],
            str(row["sessions"]),
            _pct(row["peak_pct"]),
            str(row["peak_day"]),
            _pct(row["pct_at_6_months"]),
            _pct(row["pct_at_12_months"]),
        )
    console.print(table)
    console.print("[yellow]Assumptions:[/yellow]")
    for line in report["warnings"]:
        console.print(f"  - {line}", markup=False)


def _unique_labels(paths: list[Path]) -> list[str]:
    names = [p.name for p in paths]
    if len(set(names)) == len(names):
        return names
    return [str(p) for p in paths]
