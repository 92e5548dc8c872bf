"""Stateless computations: screening, planning, the product check and outcome scores.

Nothing is stored and no patient is named; the caller must still be signed-in staff (the inputs
are health data), and a plan or a score needs a clinical role. Recording an intake that is kept
is ``POST /patients/{id}/intakes``.

Each applies the caller's clinic's policy overrides (read from the database: the routes run in
the thread pool), and its result carries their hash beside the knowledge base's.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from microneedling.api.context import Uow
from microneedling.api.responses import plain_json
from microneedling.api.routing import ApiRouter
from microneedling.api.schemas import ScreeningOut
from microneedling.api.security import CurrentActor
from microneedling.clinical.intake import Intake
from microneedling.clinical.planning import PlanRequest
from microneedling.services import computations

router = ApiRouter(tags=["computations"])


class ProductCheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ingredients: str = Field(min_length=1, max_length=20_000, description="As printed on the label")
    hours_since_session: float = Field(ge=0, le=100_000, allow_inf_nan=False, strict=True)
    sterile_post_procedure: bool = False
    make_up: bool = False
    product_name: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="The product's name, to match a product the clinic approved",
    )


@router.post("/screen", response_model=ScreeningOut, summary="Screen an intake (nothing stored)")
def screen_intake(intake: Intake, actor: CurrentActor, uow: Uow) -> Response:
    return plain_json(computations.screen_intake(actor, intake, uow=uow))


@router.post(
    "/plan", response_model=dict[str, Any], summary="Plan a treatment series (nothing stored)"
)
def plan_series(request: PlanRequest, actor: CurrentActor, uow: Uow) -> Response:
    """The `plan --json` contract; `screening` may hold a screening result."""
    return plain_json(computations.plan_series(actor, request, uow=uow))


@router.post(
    "/product-check",
    response_model=dict[str, Any],
    summary="Is a skincare product safe this long after a session?",
)
def product_check(body: ProductCheckIn, actor: CurrentActor, uow: Uow) -> dict[str, Any]:
    return computations.product_check(
        actor,
        body.ingredients,
        body.hours_since_session,
        sterile_post_procedure=body.sterile_post_procedure,
        make_up=body.make_up,
        product_name=body.product_name,
        uow=uow,
    )


@router.post("/scores/{scale}", response_model=dict[str, Any], summary="Score an outcome scale")
def score_scale(
    scale: Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")],
    inputs: Annotated[dict[str, Any], Body(description="The scale's inputs, by item")],
    actor: CurrentActor,
) -> dict[str, Any]:
    return computations.score_scale(actor, scale, inputs)
