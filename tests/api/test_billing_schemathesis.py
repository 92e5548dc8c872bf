"""Schemathesis against the billing operations of the OpenAPI document (as
tests/api/test_api_schemathesis.py does for the others): generated valid and invalid input,
signed in as an owner of a clinic with billing set up and an invoice; never a server error,
answers as documented, invalid input refused."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation.modes import GenerationMode
from tests.api.conftest import API, token_for
from tests.api.test_api_schemathesis import CHECKS, api_schema, no_lockouts  # noqa: F401
from tests.api.test_billing_roles import BILLING_TABLE
from tests.integration.conftest import make_world
from tests.integration.test_billing import BILLING, PRICES

from microneedling.services import clinics
from microneedling.services.billing import packages
from microneedling.services.billing import settings as billing_settings
from microneedling.store import Database

EXAMPLES = 25


@pytest.fixture(scope="session")
def billing_owner(database: Database, photo_dir: Any) -> str:
    world = make_world(database, photo_dir)
    clinics.set_price_list(world.uow, world.owner, PRICES, clock=world.clock)
    billing_settings.configure_billing(world.uow, world.owner, BILLING, clock=world.clock)
    session = world.ready_session()
    packages.sell_catalogue(world.uow, world.front_desk, session.patient_id, "face-3",
                            clock=world.clock)  # fmt: skip
    return token_for(database, world.owner)


@pytest.mark.parametrize("mode", list(GenerationMode), ids=str)
@pytest.mark.parametrize("route", sorted(BILLING_TABLE), ids=lambda r: f"{r[0]} {r[1]}")
def test_the_billing_api_answers_generated_requests_as_documented(
    api_schema: Any,  # noqa: F811
    billing_owner: str,
    no_lockouts: None,  # noqa: F811
    route: tuple[str, str],
    mode: GenerationMode,
) -> None:
    method, path = route
    operation = api_schema[API + path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def answers_as_documented(case: Any) -> None:
        case.call_and_validate(headers={"Authorization": f"Bearer {billing_owner}"}, checks=CHECKS)

    try:
        answers_as_documented()
    except Unsatisfiable:
        assert mode is GenerationMode.NEGATIVE
        assert not list(operation.iter_parameters()) and not list(operation.body)
