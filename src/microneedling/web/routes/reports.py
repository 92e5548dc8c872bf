"""The reports page (owners): one report at a time over a period of days, with its figures,
its tables, a bar chart where people would rather look, and its CSV."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from microneedling.errors import UserError
from microneedling.services.access import RoleRefused
from microneedling.services.reports import REPORTS, run_report
from microneedling.services.reports.export import figures, report_csv, tables
from microneedling.web.context import Page, staff_page

router = APIRouter()

WIDTH, HEIGHT = 760, 280
LEFT, RIGHT, TOP, BOTTOM = 60, 16, 24, 64
#: Each bar series has a fill and a pattern of its own, so the chart reads without colour.
SERIES_LOOK = (("#2a5c8a", "solid"), ("#b5541b", "hatch"), ("#17693a", "dots"))


def _number(text: Any) -> float:
    try:
        return float(text or 0)
    except (TypeError, ValueError):
        return 0.0


def bar_chart(
    title: str, labels: list[str], series: list[tuple[str, list[float]]], unit: str
) -> dict[str, Any] | None:
    """Grouped bars: one group per label, one bar per series. None when there is nothing."""
    if not labels or not series or all(v == 0 for _, values in series for v in values):
        return None
    high = max(v for _, values in series for v in values) or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    group_w = plot_w / len(labels)
    bar_w = max(min(group_w * 0.8 / len(series), 40), 2)
    bars, words = [], []
    for s_index, (name, values) in enumerate(series):
        colour, pattern = SERIES_LOOK[s_index % len(SERIES_LOOK)]
        for l_index, value in enumerate(values):
            height = plot_h * value / high
            bars.append(
                {
                    "x": round(LEFT + group_w * l_index + group_w * 0.1 + bar_w * s_index, 1),
                    "y": round(TOP + plot_h - height, 1),
                    "width": round(bar_w, 1),
                    "height": round(height, 1),
                    "colour": colour,
                    "pattern": pattern,
                    "title": f"{name}, {labels[l_index]}: {value:g} {unit}",
                }
            )
        words.append(
            f"{name}: "
            + ", ".join(f"{label} {v:g}" for label, v in zip(labels, values, strict=True))
        )
    every = max(1, -(-len(labels) // 12))
    return {
        "title": title,
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "top": TOP,
        "bottom": HEIGHT - BOTTOM,
        "bars": bars,
        "x_labels": [
            {"x": round(LEFT + group_w * (i + 0.5), 1), "label": label}
            for i, label in enumerate(labels)
            if i % every == 0
        ],
        "y_ticks": [
            {"y": round(TOP + plot_h * (1 - f), 1), "label": f"{high * f:.4g}"}
            for f in (0, 0.25, 0.5, 0.75, 1)
        ],
        "legend": [
            {"name": name, "colour": SERIES_LOOK[i % 3][0], "pattern": SERIES_LOOK[i % 3][1]}
            for i, (name, _) in enumerate(series)
        ],
        "unit": unit,
        "summary": f"{title} ({unit}). " + "; ".join(words),
    }


def charts_of(report: dict[str, Any]) -> list[dict[str, Any]]:
    name = report["report"]
    found: list[dict[str, Any] | None] = []
    if name == "revenue":
        months = report["months"]
        labels = [m["month"] for m in months]
        found.append(
            bar_chart(
                "Invoiced and received by month",
                labels,
                [
                    ("Invoiced", [_number(m["invoiced"]) for m in months]),
                    ("Received", [_number(m["received"]) for m in months]),
                ],
                report["currency"],
            )
        )
    elif name == "utilisation":
        people = report["practitioners"]
        found.append(
            bar_chart(
                "Booked and available hours by practitioner",
                [p["name"] for p in people],
                [
                    ("Booked", [p["booked_hours"] for p in people]),
                    ("Available", [p["available_hours"] for p in people]),
                ],
                "hours",
            )
        )
        months = report["months"]
        found.append(
            bar_chart(
                "No-shows and late cancellations by month",
                [m["month"] for m in months],
                [
                    ("No-shows", [m["no_shows"] for m in months]),
                    ("Late cancellations", [m["late_cancellations"] for m in months]),
                ],
                "sessions",
            )
        )
    elif name == "safety":
        lots = report["by_lot"][:20]
        found.append(
            bar_chart(
                "Adverse events per 100 sessions by cartridge lot",
                [str(row["name"]) for row in lots],
                [
                    ("This lot", [_number(row["per_100_sessions"]) for row in lots]),
                    ("Clinic's rate", [report["baseline_per_100_sessions"] for _ in lots]),
                ],
                "per 100 sessions",
            )
        )
    elif name == "outcomes":
        groups = [g for g in report["groups"] if g["mean_change"] is not None][:20]
        found.append(
            bar_chart(
                "Mean change of score by protocol",
                [f"{g['scale']} {g['concern']} {g['zone']} {g['depth_band']}" for g in groups],
                [("Mean change", [max(_number(g["mean_change"]), 0) for g in groups])],
                "points",
            )
        )
    return [chart for chart in found if chart is not None]


def _period(page: Page, first: str | None, last: str | None) -> tuple[str, str]:
    today = page.today
    start = date(today.year - 1, today.month, 1) if today.month != 12 else date(today.year, 1, 1)
    return first or start.isoformat(), last or today.isoformat()


@router.get("/reports")
def reports_page(
    page: Page = Depends(staff_page),
    report: str = "revenue",
    first: str | None = None,
    last: str | None = None,
) -> Response:
    if not page.can("report.read"):
        raise RoleRefused(page.actor.role, "report.read")
    first, last = _period(page, first, last)
    error, found = None, None
    try:
        found = page.run(run_report, report, first=first, last=last)
    except UserError as refused:
        error = refused
    return page.render(
        "reports.html.j2",
        400 if error else 200,
        title="Reports",
        section="reports",
        reports=[(code, words) for code, (words, _) in REPORTS.items()],
        chosen=report if report in REPORTS else "revenue",
        heading=REPORTS[found["report"]][0] if found else "",
        first=first,
        last=last,
        error=error,
        found=found,
        charts=charts_of(found) if found else [],
        figures={
            k: v
            for k, v in (figures(found) if found else {}).items()
            if k not in ("report", "first", "last")
        },
        tables=tables(found) if found else {},
    )


@router.get("/reports/{report}.csv")
def report_csv_download(
    report: str,
    page: Page = Depends(staff_page),
    first: str | None = None,
    last: str | None = None,
) -> Response:
    first, last = _period(page, first, last)
    found = page.run(run_report, report, first=first, last=last)
    return Response(
        report_csv(found),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{report}-{first}-{last}.csv"'},
    )
