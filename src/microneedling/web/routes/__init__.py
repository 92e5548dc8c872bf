"""The pages, one router per area."""

from fastapi import APIRouter

from microneedling.web.routes import (
    admin,
    auth,
    charting,
    intakes,
    outcomes,
    patients,
    plans,
    today,
)

ROUTERS: list[APIRouter] = [
    auth.router,
    today.router,
    patients.router,
    intakes.router,
    plans.router,
    charting.router,
    outcomes.router,
    admin.router,
]
