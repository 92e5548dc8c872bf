"""Calendar: a day or a week of appointments as a grid per practitioner or per room, with free
and closed time (``calendar_view.calendar_grid``).

The page positions everything with classes, not ``style=`` (the pages' Content-Security-Policy
allows this site's stylesheet only): a column is a CSS grid of 5-minute rows, and each block
gets ``cal-at-N`` (its first row) and ``cal-span-N`` (how many rows), defined once in
``static/css/app.css`` for a whole day. Overlapping appointments go side by side
(``cal-lanes-N`` on the column, ``cal-lane-N`` on the block).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from microneedling.errors import UserError
from microneedling.services import calendar_view
from microneedling.services.inputs import check_day
from microneedling.web.context import Page, staff_page

router = APIRouter()

#: Minutes per grid row (appointments start on the reservations' 5-minute steps).
ROW_MINUTES = 5
#: Rows in a whole day: the most ``cal-at-N`` and ``cal-span-N`` classes needed.
DAY_ROWS = 24 * 60 // ROW_MINUTES
#: A free or closed stretch shorter than this shows no label on the grid (it would not fit).
SHORT_MINUTES = 20
VIEWS = {"day": "Day", "week": "Week"}
BY = {"practitioner": "Practitioners", "room": "Rooms"}


def _choice(value: str | None, allowed: dict[str, str], field: str, default: str) -> str:
    if value in (None, ""):
        return default
    if value not in allowed:
        raise UserError(f"expected one of: {', '.join(allowed)}", field=field)
    return str(value)


def _day(value: str | None, page: Page) -> date:
    if not value:
        return page.today
    try:
        if len(value) != 10:
            raise ValueError(value)
        shown = date.fromisoformat(value)
    except ValueError:
        raise UserError("expected a date as YYYY-MM-DD, e.g. 2026-12-01", field="day") from None
    return check_day(shown, "day")


def place(start_minute: int, end_minute: int, first: int, last: int) -> str | None:
    """The row classes of a stretch of local minutes in a grid showing ``first`` to ``last``;
    ``None`` when it lies outside."""
    start, end = max(start_minute, first), min(end_minute, last)
    if end <= start:
        return None
    at = (start - first) // ROW_MINUTES + 1
    span = max(1, -(-(end - first) // ROW_MINUTES) + 1 - at)
    return f"cal-at-{at} cal-span-{span}"


def layout(grid: dict[str, Any]) -> dict[str, Any]:
    """The grid with each segment's and block's row classes, the hour labels and the rows."""
    first, last = grid["hours"]["first"], grid["hours"]["last"]
    for column in grid["columns"]:
        for day in column["days"]:
            segments = []
            for segment in day["segments"]:
                css = place(segment["start_minute"], segment["end_minute"], first, last)
                if css is not None:
                    # Too short for its label to be read on the grid: kept for screen readers.
                    short = segment["end_minute"] - segment["start_minute"] < SHORT_MINUTES
                    segments.append({**segment, "css": css + (" cal-short" if short else "")})
            day["segments"] = segments
            lanes = 1
            for block in day["blocks"]:
                found = place(block["start_minute"], block["end_minute"], first, last)
                block["css"] = found or "cal-at-1 cal-span-1"
                lanes = max(lanes, block.get("lanes", 1))
            day["lanes"] = lanes
            # Everything in time order (segments before the blocks they lie under), so reading
            # the column from top to bottom follows the day.
            day["items"] = sorted(
                [
                    *(("segment", s) for s in day["segments"]),
                    *(("block", b) for b in day["blocks"]),
                ],
                key=lambda item: (item[1]["start_minute"], item[0] == "block"),
            )
    grid["rows"] = (last - first) // ROW_MINUTES
    grid["hour_labels"] = [
        {"text": f"{minute // 60:02d}:00", "css": place(minute, minute + 60, first, last)}
        for minute in range(first, last, 60)
    ]
    return grid


@router.get("/calendar")
def calendar_page(
    day: str | None = None,
    view: str | None = None,
    by: str | None = None,
    page: Page = Depends(staff_page),
) -> Response:
    shown = _day(day, page)
    chosen_view = _choice(view, VIEWS, "view", "day")
    chosen_by = _choice(by, BY, "by", "practitioner")
    if chosen_view == "week":
        first = shown - timedelta(days=shown.weekday())
        last = first + timedelta(days=6)
        step = timedelta(days=7)
    else:
        first = last = shown
        step = timedelta(days=1)
    grid = layout(page.run(calendar_view.calendar_grid, first, last, by=chosen_by))
    if chosen_view == "week":
        title = f"Calendar, week of {first:%a %-d %b %Y}"
    else:
        title = f"Calendar, {shown:%a %-d %b %Y}"
    return page.render(
        "calendar_view.html.j2",
        title=title,
        section="calendar",
        grid=grid,
        shown=shown,
        view=chosen_view,
        by=chosen_by,
        views=VIEWS,
        bys=BY,
        previous=(shown - step).isoformat(),
        following=(shown + step).isoformat(),
        today=page.today,
    )
