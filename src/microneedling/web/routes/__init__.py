"""The pages, one router per area."""

from fastapi import APIRouter

from microneedling.web.routes import (
    account,
    admin,
    auth,
    billing,
    booking,
    calendar_admin,
    calendar_view,
    charting,
    intakes,
    messages,
    outcomes,
    patients,
    plans,
    portal_review,
    reaction_reports,
    reports,
    setup,
    today,
    unsubscribe,
)

ROUTERS: list[APIRouter] = [
    auth.router,
    setup.router,
    account.router,
    today.router,
    patients.router,
    intakes.router,
    plans.router,
    booking.router,
    charting.router,
    outcomes.router,
    billing.router,
    reports.router,
    messages.router,
    portal_review.router,
    reaction_reports.router,
    admin.router,
    calendar_admin.router,
    calendar_view.router,
    unsubscribe.router,
]
