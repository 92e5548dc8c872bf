"""API fixtures: the application on a migrated database per backend (SQLite always, PostgreSQL
when one answers, as in tests/integration), a clinic of one's own per test with a signed-in
member of each role, and a second clinic's owner.

The app's clock is :class:`MovableClock` (11:00 in Amsterdam on 1 December 2026, like the
integration tests' ``NOW``); a test moves it to see tokens expire or lockouts end, and it is put
back after every test.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.integration.conftest import (
    NOW,
    PostgresDatabases,
    SqliteDatabases,
    World,
    databases_for,
    make_world,
)

from microneedling.api.app import create_app
from microneedling.config import Settings
from microneedling.services.access import Actor
from microneedling.store import Database
from microneedling.store.migrate import upgrade
from microneedling.store.models import AccessToken

API = "/api/v1"
ROLES = ("owner", "clinician", "front_desk")


class MovableClock:
    """The application's time: NOW until a test moves it."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def databases(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SqliteDatabases | PostgresDatabases]:
    """Makes databases on one backend (the API suite runs once per backend)."""
    yield from databases_for(request.param, tmp_path_factory, "api-sqlite")


@pytest.fixture(scope="session")
def database(databases: SqliteDatabases | PostgresDatabases) -> Iterator[Database]:
    db = Database(databases.new_url())
    upgrade(db)
    yield db
    db.dispose()


@pytest.fixture(scope="session")
def photo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("api-photos")


@pytest.fixture(scope="session")
def app_clock() -> MovableClock:
    return MovableClock()


@pytest.fixture(scope="session")
def app(database: Database, photo_dir: Path, app_clock: MovableClock) -> FastAPI:
    settings = Settings(
        database_url=database.url.render_as_string(hide_password=False),
        photo_dir=photo_dir,
        photo_max_bytes=2_000_000,
    )
    return create_app(settings, database=database, clock=app_clock)


@pytest.fixture
def clock(app_clock: MovableClock) -> Iterator[MovableClock]:
    """The application's clock, put back to NOW after the test."""
    yield app_clock
    app_clock.now = NOW


@pytest.fixture(scope="session")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False, base_url="http://testserver") as test:
        yield test


def token_for(database: Database, actor: Actor, *, at: datetime = NOW) -> str:
    """A bearer token for ``actor``, issued at ``at`` for 8 hours (without the password work of
    signing in; the sign-in itself is tested on its own)."""
    token = secrets.token_urlsafe(32)
    with database.sessions() as session:
        session.add(
            AccessToken(
                token_sha256=hashlib.sha256(token.encode()).hexdigest(),
                staff_user_id=actor.staff_user_id,
                clinic_id=actor.clinic_id,
                issued_at=at,
                expires_at=at + timedelta(hours=8),
            )
        )
        session.commit()
    return token


@dataclass
class Clinic:
    """A clinic of one's own through the API: its world, and a token per role."""

    client: TestClient
    world: World
    other: World
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, role: str | None) -> dict[str, str]:
        return {} if role is None else {"Authorization": f"Bearer {self.tokens[role]}"}

    def call(
        self, method: str, path: str, role: str | None = "owner", **kwargs: Any
    ) -> httpx.Response:
        headers = {**self.headers(role), **kwargs.pop("headers", {})}
        return self.client.request(method, API + path, headers=headers, **kwargs)

    def get(self, path: str, role: str | None = "owner", **kwargs: Any) -> httpx.Response:
        return self.call("GET", path, role, **kwargs)

    def post(self, path: str, role: str | None = "owner", **kwargs: Any) -> httpx.Response:
        return self.call("POST", path, role, **kwargs)


@pytest.fixture
def clinic(client: TestClient, database: Database, photo_dir: Path, clock: MovableClock) -> Clinic:
    world = make_world(database, photo_dir)
    other = make_world(database, photo_dir)
    here = Clinic(client, world, other)
    for role in ROLES:
        here.tokens[role] = token_for(database, getattr(world, role))
    here.tokens["clinician2"] = token_for(database, world.clinician2)
    here.tokens["other_owner"] = token_for(database, other.owner)
    return here
