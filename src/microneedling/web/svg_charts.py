"""Charts drawn on the server as SVG: a patient's scores over time.

Only geometry here (scales, points, ticks); ``partials/score_chart.svg.j2`` draws it, with the
page's own styles, so charts need no script and print as they look.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

WIDTH, HEIGHT = 760, 300
LEFT, RIGHT, TOP, BOTTOM = 52, 20, 40, 52
COLOURS = ("#2a5c8a", "#b5541b", "#17693a", "#6a3d9a")


@dataclass(frozen=True)
class Series:
    name: str
    points: Sequence[tuple[date, float]]


STEPS = (0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000)


def _nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round values from ``low`` to ``high``, about ``count`` of them."""
    wanted = (high - low) / count
    step = next((s for s in STEPS if s >= wanted), STEPS[-1])
    first = int(low // step)
    ticks = []
    k = first
    while k * step <= high + 1e-9:
        if k * step >= low - 1e-9:
            ticks.append(round(k * step, 6))
        k += 1
    return ticks


def score_chart(
    title: str,
    series: Sequence[Series],
    *,
    y_range: tuple[float, float],
    better: str,
) -> dict[str, Any]:
    """What the template draws: axes, ticks, one polyline and its points per series."""
    days = [day for item in series for day, _ in item.points]
    first, last = min(days), max(days)
    margin = timedelta(days=max(3, (last - first).days // 15))
    if first == last:
        margin = timedelta(days=15)
    first, last = first - margin, last + margin
    low, high = y_range
    if low == high:
        high = low + 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day: date) -> float:
        return round(LEFT + plot_w * (day - first).days / max((last - first).days, 1), 1)

    def y(value: float) -> float:
        return round(TOP + plot_h * (1 - (value - low) / (high - low)), 1)

    drawn = []
    for index, item in enumerate(series):
        points = [
            {"x": x(day), "y": y(value), "day": day.isoformat(), "value": value}
            for day, value in sorted(item.points)
        ]
        drawn.append(
            {
                "name": item.name,
                "colour": COLOURS[index % len(COLOURS)],
                "points": points,
                "line": " ".join(f"{p['x']},{p['y']}" for p in points),
            }
        )
    months = []
    cursor = date(first.year, first.month, 1)
    while cursor <= last:
        if cursor >= first:
            months.append({"x": x(cursor), "label": cursor.strftime("%b %Y")})
        cursor = date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
    if len(months) > 8:
        months = months[:: -(-len(months) // 8)]
    return {
        "title": title,
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "top": TOP,
        "bottom": HEIGHT - BOTTOM,
        "y_ticks": [{"y": y(value), "label": f"{value:g}"} for value in _nice_ticks(low, high)],
        "x_ticks": months,
        "series": drawn,
        "better": "lower is better" if better == "lower" else "higher is better",
        "summary": _summary(title, series, better),
    }


def _summary(title: str, series: Sequence[Series], better: str) -> str:
    """The chart in words (its text alternative)."""
    parts = []
    for item in series:
        ordered = sorted(item.points)
        values = ", ".join(f"{value:g} on {day.isoformat()}" for day, value in ordered)
        parts.append(f"{item.name}: {values}")
    return f"{title} ({'lower' if better == 'lower' else 'higher'} is better). " + "; ".join(parts)


def outcome_series(outcomes: Sequence[Mapping[str, Any]], scale: str) -> list[Series]:
    """A scale's assessments as series: one, or one per part (POSAS observer and patient)."""
    by_name: dict[str, list[tuple[date, float]]] = {}
    for outcome in outcomes:
        if outcome["scale"] != scale:
            continue
        day = date.fromisoformat(outcome["assessed_on"])
        score = outcome["score"]
        if isinstance(score, Mapping):
            for name, value in score.items():
                if not name.endswith("_overall"):
                    by_name.setdefault(name.replace("_", " ").capitalize(), []).append(
                        (day, float(value))
                    )
        else:
            by_name.setdefault("Score", []).append((day, float(score)))
    return [Series(name, points) for name, points in by_name.items()]
