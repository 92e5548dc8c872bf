"""The clinic's reports (owners): revenue, utilisation, retention, outcomes by protocol and
safety signals over a period of days, as JSON or CSV."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Path, Query, Response

from microneedling.api.context import Now, Uow
from microneedling.api.routing import ApiRouter
from microneedling.api.security import CurrentActor
from microneedling.clinical.dates import IsoDate
from microneedling.services.reports import run_report
from microneedling.services.reports.export import report_csv

router = ApiRouter(tags=["reports"])

ReportName = Annotated[
    Literal["revenue", "utilisation", "retention", "outcomes", "safety"],
    Path(description="Which report"),
]
First = Annotated[IsoDate, Query(description="The first day of the period")]
Last = Annotated[IsoDate, Query(description="The last day of the period")]


@router.get("/reports/{report}", summary="A report of the clinic (owners)")
def read(
    report: ReportName, first: First, last: Last, actor: CurrentActor, uow: Uow, clock: Now
) -> dict[str, Any]:
    """The report over the days ``first`` to ``last`` (at most ten years)."""
    return run_report(uow, actor, report, first=first, last=last, clock=clock)


@router.get(
    "/reports/{report}/csv",
    summary="A report of the clinic as CSV (owners)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def read_csv(
    report: ReportName, first: First, last: Last, actor: CurrentActor, uow: Uow, clock: Now
) -> Response:
    found = run_report(uow, actor, report, first=first, last=last, clock=clock)
    return Response(
        report_csv(found),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{report}-{first}-{last}.csv"'},
    )
