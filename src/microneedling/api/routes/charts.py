"""Session charts: charting a session (signed, locked), amending it, reading it with its
history, and the list of charted sessions (by day range, practitioner, cartridge lot, patient)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Response

from microneedling.api.context import IdInPath, Now, Uow
from microneedling.api.routes.appointments import FromDay, OptionalId, ToDay
from microneedling.api.routes.patients import Limit, Offset
from microneedling.api.routing import ApiRouter
from microneedling.api.schemas import AmendmentIn, ChartOut, Page, SessionOut
from microneedling.api.security import CurrentActor
from microneedling.services import charts
from microneedling.services.charts import ChartEntry

router = ApiRouter(tags=["sessions and charts"])


@router.get(
    "/sessions",
    response_model=Page[SessionOut],
    summary="Charted sessions, newest first",
)
def list_sessions(
    actor: CurrentActor,
    uow: Uow,
    clock: Now,
    from_day: FromDay = None,
    to_day: ToDay = None,
    practitioner_id: OptionalId = None,
    lot: Annotated[
        str | None, Query(min_length=1, max_length=64, description="Cartridge lot number")
    ] = None,
    patient_id: OptionalId = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Each session once, as its chart's current version says (an amendment that corrected the
    lot counts)."""
    return charts.list_sessions(
        uow,
        actor,
        from_day=from_day,
        to_day=to_day,
        practitioner_id=practitioner_id,
        lot_number=lot,
        patient_id=patient_id,
        limit=limit,
        offset=offset,
        clock=clock,
    )


@router.post(
    "/appointments/{appointment_id}/chart",
    status_code=201,
    response_model=ChartOut,
    summary="Chart and sign a session",
)
def chart_session(
    appointment_id: IdInPath,
    body: ChartEntry,
    actor: CurrentActor,
    uow: Uow,
    clock: Now,
    response: Response,
) -> dict[str, Any]:
    """Refused (409, every reason in `fields`) without a signed treatment consent, with an
    expired or recalled lot, or without a valid screening."""
    charts.chart_session(uow, actor, appointment_id, body, clock=clock)
    response.headers["Location"] = f"/api/v1/appointments/{appointment_id}/chart"
    return charts.read_chart(uow, actor, appointment_id, clock=clock)


@router.get(
    "/appointments/{appointment_id}/chart",
    response_model=ChartOut,
    summary="A session's chart with its amendments",
)
def read_chart(
    appointment_id: IdInPath, actor: CurrentActor, uow: Uow, clock: Now
) -> dict[str, Any]:
    return charts.read_chart(uow, actor, appointment_id, clock=clock)


@router.post(
    "/appointments/{appointment_id}/chart/amendments",
    status_code=201,
    response_model=ChartOut,
    summary="Amend a signed chart (a new version; the original stays)",
)
def amend_chart(
    appointment_id: IdInPath, body: AmendmentIn, actor: CurrentActor, uow: Uow, clock: Now
) -> dict[str, Any]:
    charts.amend_chart(
        uow,
        actor,
        appointment_id,
        changes=body.changes,
        reason=body.reason,
        expected_version=body.expected_version,
        clock=clock,
    )
    return charts.read_chart(uow, actor, appointment_id, clock=clock)
