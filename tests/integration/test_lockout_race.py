"""The sign-in lockout holds under parallel attempts (issue 14, item 3): 40 wrong passwords at
once for one e-mail get exactly 5 password checks, and 40 from one address for different
e-mails exactly 20, on SQLite and PostgreSQL, through the use case and through the API.

Before the fix, PostgreSQL let 10–11 of 40 through: each attempt counted the failures before any
other had recorded its own. Now counting and recording is one serialised step per e-mail and per
address (services/sign_in.py ``_serialise``)."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from tests.integration.conftest import NOW, World

from microneedling.api.app import create_app
from microneedling.config import Settings
from microneedling.services import sign_in
from microneedling.services.clock import fixed_clock
from microneedling.services.passwords import hash_password
from microneedling.store import UnitOfWork
from microneedling.store.models import StaffUser

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

PASSWORD = "correct horse battery"
ATTEMPTS = 40


class Checks:
    """Counts the password checks (the real ones and the dummy for unknown e-mails)."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def wrap(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.count += 1
            return function(*args, **kwargs)

        return counted


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> Iterator[Checks]:
    counter = Checks()
    monkeypatch.setattr(sign_in, "verify_password", counter.wrap(sign_in.verify_password))
    monkeypatch.setattr(sign_in, "verify_nothing", counter.wrap(sign_in.verify_nothing))
    yield counter


def _email_with_password(world: World) -> str:
    with world.database.sessions() as session, session.begin():
        user = session.get(StaffUser, world.clinician.staff_user_id)
        assert user is not None
        session.execute(
            update(StaffUser)
            .where(StaffUser.id == user.id)
            .values(password_hash=hash_password(PASSWORD))
        )
        return user.email


def _parallel(attempt: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(ATTEMPTS)

    def run(number: int) -> Any:
        barrier.wait()
        return attempt(number)

    with ThreadPoolExecutor(ATTEMPTS) as pool:
        return list(pool.map(run, range(ATTEMPTS)))


def _through_the_service(world: World, email: str, client: str) -> Any:
    try:
        sign_in.sign_in_for_token(
            UnitOfWork(world.database), email, "wrong guess", client=client, clock=fixed_clock(NOW)
        )
    except sign_in.TooManySignIns:
        return "locked"
    except sign_in.SignInRefused:
        return "refused"
    return "signed in"


def test_forty_parallel_wrong_passwords_for_one_email_get_exactly_five_checks(
    world: World, checks: Checks
) -> None:
    email = _email_with_password(world)
    answers = _parallel(lambda n: _through_the_service(world, email, f"10.5.0.{n}"))
    assert checks.count == 5
    assert sorted(answers).count("refused") == 5
    assert answers.count("locked") == ATTEMPTS - 5


def test_forty_parallel_failures_from_one_address_get_exactly_twenty_checks(
    world: World, checks: Checks
) -> None:
    address = f"10.6.{world.owner.clinic_id % 250}.1"
    answers = _parallel(
        lambda n: _through_the_service(world, f"someone-{n}@nowhere.example", address)
    )
    assert checks.count == 20
    assert answers.count("refused") == 20


def test_forty_parallel_wrong_passwords_through_the_api_get_exactly_five_checks(
    world: World, checks: Checks, tmp_path: Path
) -> None:
    email = _email_with_password(world)
    app = create_app(
        Settings(database_url="sqlite://", photo_dir=tmp_path / "photos"),
        database=world.database,
        clock=fixed_clock(NOW),
    )
    local = threading.local()

    def attempt(number: int) -> int:
        if not hasattr(local, "client"):
            local.client = TestClient(app, client=(f"10.7.0.{number}", 50000))
        response = local.client.post(
            "/api/v1/auth/token", data={"username": email, "password": "wrong guess"}
        )
        return int(response.status_code)

    statuses = _parallel(attempt)
    assert checks.count == 5
    assert statuses.count(401) == 5
    assert statuses.count(429) == ATTEMPTS - 5
