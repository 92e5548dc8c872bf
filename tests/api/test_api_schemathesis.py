"""Schemathesis against the OpenAPI document: every operation, with generated valid and invalid
input, signed in as an owner (who may call everything), on each backend.

Checks: no server error (never a 500), the status code is one the document lists, the content
type and headers are the documented ones, the body matches the documented schema, and invalid
input is refused (a 4xx). Examples per operation are bounded so the run stays short; the clinic
holds a few real records, so some generated ids hit them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from tests.api.conftest import API, token_for
from tests.api.test_api_roles import TABLE
from tests.integration.conftest import make_world

from microneedling.store import Database
from microneedling.store.models import SignInFailure

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
EXAMPLES = 30


@pytest.fixture(scope="session")
def fuzzed_owner(database: Database, photo_dir: Any) -> str:
    """An owner's token in a clinic with a patient, a charted session and a photo."""
    world = make_world(database, photo_dir)
    session = world.ready_session()
    world.chart(session)
    return token_for(database, world.owner)


@pytest.fixture(scope="session")
def api_schema(app: FastAPI) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture
def no_lockouts(database: Database) -> Iterator[None]:
    """Generated sign-ins lock the test client's address out; later tests start afresh."""
    yield
    with database.sessions() as session:
        session.query(SignInFailure).delete()
        session.commit()


#: Every operation but signing out (which would end the token the run uses).
OPERATIONS = sorted(route for route in TABLE if route != ("POST", "/auth/logout"))


@pytest.mark.parametrize("mode", list(GenerationMode), ids=str)
@pytest.mark.parametrize("route", OPERATIONS, ids=lambda r: f"{r[0]} {r[1]}")
def test_the_api_answers_generated_requests_as_documented(
    api_schema: Any,
    fuzzed_owner: str,
    no_lockouts: None,
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
        case.call_and_validate(headers={"Authorization": f"Bearer {fuzzed_owner}"}, checks=CHECKS)

    try:
        answers_as_documented()
    except Unsatisfiable:
        # Nothing to make invalid: the operation takes no parameters and no body.
        assert mode is GenerationMode.NEGATIVE
        assert not list(operation.iter_parameters()) and not list(operation.body)
