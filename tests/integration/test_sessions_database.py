"""Web sessions live in the database (issue 14, item 2): a signed-out session does not come back
after a restart or on a second server; idle and maximum age, a closed account, a password change
and an owner end sessions everywhere at once; the cookie carries only an opaque id, and the
database only its hash. On SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import re
import warnings
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from tests.integration.conftest import NOW, World

from microneedling.config import Settings
from microneedling.errors import NotFound, PermissionDenied, UserError
from microneedling.services import clinics, password_change, sign_in, web_sessions
from microneedling.services.access import Actor, PasswordMustChange
from microneedling.services.overview import account
from microneedling.services.passwords import hash_password
from microneedling.store import UnitOfWork
from microneedling.store.models import AccessToken, AuditEntry, StaffUser, WebSession
from microneedling.web import create_web_app
from microneedling.web.sessions import COOKIE
from microneedling.web.settings import WebSettings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

PASSWORD = "correct horse battery"
NEW_PASSWORD = "lantern orchard velvet 42"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


def _email(world: World, actor: Actor) -> str:
    with world.database.sessions() as session:
        user = session.get(StaffUser, actor.staff_user_id)
        assert user is not None
        return user.email


def _set_password(world: World, actor: Actor, password: str = PASSWORD) -> str:
    with world.database.sessions() as session, session.begin():
        session.execute(
            update(StaffUser)
            .where(StaffUser.id == actor.staff_user_id)
            .values(password_hash=hash_password(password))
        )
    return _email(world, actor)


def server(world: World, clock: Clock, tmp_path: Path, key: str = "k" * 40) -> Any:
    """One ``microneedling web`` process on the world's database (a new one: a restart, or a
    second server)."""
    settings = Settings(database_url="sqlite://", photo_dir=tmp_path / "photos")
    return create_web_app(
        settings,
        web_settings=WebSettings(secret_key=key),
        database=world.database,
        clock=clock,
    )


def browser(app: Any, address: str = "10.1.1.1") -> TestClient:
    return TestClient(app, follow_redirects=True, client=(address, 50000))


def web_sign_in(client: TestClient, email: str, password: str = PASSWORD) -> Any:
    page = client.get("/sign-in")
    found = CSRF.search(page.text)
    assert found
    return client.post(
        "/sign-in",
        data={"csrf_token": found.group(1), "email": email, "password": password, "next": "/"},
    )


def csrf(client: TestClient, path: str = "/") -> str:
    found = CSRF.search(client.get(path).text)
    assert found
    return found.group(1)


def with_cookie(app: Any, value: str) -> TestClient:
    client = browser(app, "10.9.9.9")
    client.cookies.set(COOKIE, value)
    return client


def test_a_signed_out_session_stays_out_on_another_server_and_after_a_restart(
    world: World, clock: Clock, tmp_path: Path
) -> None:
    email = _set_password(world, world.clinician)
    first, second = server(world, clock, tmp_path), server(world, clock, tmp_path, "s" * 40)
    client = browser(first)
    assert web_sign_in(client, email).url.path == "/"
    copied = client.cookies.get(COOKIE)
    assert copied
    # The same cookie works on the second server (another key: the id is not signed, it is
    # looked up).
    assert with_cookie(second, copied).get("/patients").url.path == "/patients"
    signed_out = client.post("/sign-out", data={"csrf_token": csrf(client)})
    assert signed_out.url.path == "/sign-in"
    # Neither the second server nor a restarted first one takes the copy.
    for app in (second, server(world, clock, tmp_path)):
        assert with_cookie(app, copied).get("/patients").url.path == "/sign-in"
    with world.database.sessions() as session:
        sign_outs = session.execute(
            select(AuditEntry.entity_type).where(
                AuditEntry.actor_id == world.clinician.staff_user_id,
                AuditEntry.action == "account.sign_out",
            )
        ).all()
    assert sign_outs == [("web_session",)]


def test_the_cookie_carries_only_an_opaque_id_and_the_database_only_its_hash(
    world: World, clock: Clock, tmp_path: Path
) -> None:
    email = _set_password(world, world.front_desk)
    client = browser(server(world, clock, tmp_path))
    client.headers["user-agent"] = "Mozilla/5.0 (Tablet) Front desk <b>browser</b>\x07"
    web_sign_in(client, email)
    value = client.cookies.get(COOKIE)
    assert value and re.fullmatch(r"[A-Za-z0-9_-]{43}", value)
    with world.database.sessions() as session:
        rows = session.execute(
            select(WebSession).where(WebSession.staff_user_id == world.front_desk.staff_user_id)
        ).scalars()
        (row,) = list(rows)
        assert row.token_sha256 == hashlib.sha256(value.encode()).hexdigest()
        stored = [str(getattr(row, c.key)) for c in WebSession.__table__.columns]
        assert not any(value in text for text in stored)
        assert row.client == "10.1.1.1"
        assert row.user_agent == "Mozilla/5.0 (Tablet) Front desk <b>browser</b>"
        assert row.ended_at is None and row.csrf_token


def test_idle_and_maximum_age_end_the_session_and_last_seen_is_written_at_most_every_30_s(
    world: World, clock: Clock, tmp_path: Path
) -> None:
    email = _set_password(world, world.clinician)
    app = server(world, clock, tmp_path)
    client = browser(app)
    web_sign_in(client, email)

    def last_seen() -> datetime:
        with world.database.sessions() as session:
            return session.execute(
                select(WebSession.last_seen_at).where(
                    WebSession.staff_user_id == world.clinician.staff_user_id,
                    WebSession.ended_at.is_(None),
                )
            ).scalar_one()

    signed_in_at = last_seen()
    clock.advance(seconds=29)
    client.get("/patients")
    assert last_seen() == signed_in_at  # no write within 30 s
    clock.advance(seconds=1)
    client.get("/patients")
    assert last_seen() == signed_in_at + timedelta(seconds=30)
    # Active every 25 minutes: never idle, but signed out 12 hours after signing in.
    for _ in range(28):
        clock.advance(minutes=25)
        assert client.get("/patients").url.path == "/patients"
    clock.advance(minutes=25)  # 12 h 5 min after signing in
    response = client.get("/patients")
    assert response.url.path == "/sign-in"
    assert "more than 12 hours ago" in response.text
    # Idle: 31 minutes without a request.
    web_sign_in(client, email)
    clock.advance(minutes=31)
    response = client.get("/patients")
    assert response.url.path == "/sign-in"
    assert "30 minutes without activity" in response.text
    with world.database.sessions() as session:
        reasons = session.execute(
            select(WebSession.ended_reason)
            .where(WebSession.staff_user_id == world.clinician.staff_user_id)
            .order_by(WebSession.id)
        ).scalars()
        assert list(reasons) == ["max_age", "idle"]


def test_a_closed_account_ends_its_sessions_on_every_server(
    world: World, clock: Clock, tmp_path: Path
) -> None:
    email = _set_password(world, world.clinician2)
    first, second = server(world, clock, tmp_path), server(world, clock, tmp_path)
    on_first, on_second = browser(first), browser(second)
    web_sign_in(on_first, email)
    web_sign_in(on_second, email)
    clinics.deactivate_staff_member(world.uow, world.owner, world.clinician2.staff_user_id)
    # Ended at once (the owner's list of sign-ins shows none open), not at their next request.
    with world.database.sessions() as session:
        rows = session.execute(
            select(WebSession.ended_reason).where(
                WebSession.staff_user_id == world.clinician2.staff_user_id
            )
        ).scalars()
        assert sorted(rows) == ["account", "account"]
    for client in (on_first, on_second):
        response = client.get("/patients")
        assert response.url.path == "/sign-in"
        assert "your account was closed" in response.text


def _uow(world: World) -> UnitOfWork:
    return UnitOfWork(world.database, world.uow.photos)


def test_changing_a_password_ends_every_other_session_and_api_token(
    world: World, clock: Clock, tmp_path: Path
) -> None:
    email = _set_password(world, world.clinician)
    app = server(world, clock, tmp_path)
    mine, other = browser(app), browser(app, "10.2.2.2")
    web_sign_in(mine, email)
    web_sign_in(other, email)
    issued = sign_in.sign_in_for_token(_uow(world), email, PASSWORD, client="api", clock=clock)
    kept = sign_in.sign_in_for_token(_uow(world), email, PASSWORD, client="api", clock=clock)
    with world.database.sessions() as session:
        my_session = session.execute(
            select(WebSession.id).where(
                WebSession.client == "10.1.1.1",
                WebSession.staff_user_id == world.clinician.staff_user_id,
            )
        ).scalar_one()
    ended = password_change.change_password(
        _uow(world),
        world.clinician,
        PASSWORD,
        NEW_PASSWORD,
        client="10.1.1.1",
        keep_session=my_session,
        keep_token_sha256=hashlib.sha256(kept.token.encode()).hexdigest(),
        clock=clock,
    )
    assert ended == 2  # the other browser and the first token
    assert mine.get("/patients").url.path == "/patients"
    response = other.get("/patients")
    assert response.url.path == "/sign-in"
    assert "password of this account was changed" in response.text
    with pytest.raises(sign_in.NotSignedIn):
        sign_in.actor_for_token(_uow(world), issued.token, clock=clock)
    assert sign_in.actor_for_token(_uow(world), kept.token, clock=clock) == world.clinician
    # The old password no longer signs in; the new one does.
    assert web_sign_in(browser(app), email).status_code == 422
    assert web_sign_in(browser(app), email, NEW_PASSWORD).url.path == "/"
    with world.database.sessions() as session:
        entry = session.execute(
            select(AuditEntry).where(
                AuditEntry.action == "account.change_password",
                AuditEntry.actor_id == world.clinician.staff_user_id,
            )
        ).scalar_one()
        assert entry.actor_id == world.clinician.staff_user_id
        assert PASSWORD not in str(entry.details) and NEW_PASSWORD not in str(entry.details)


def test_a_password_change_needs_the_current_password_and_a_strong_new_one(
    world: World, clock: Clock
) -> None:
    _set_password(world, world.front_desk)
    cases = [
        ("not it", NEW_PASSWORD, "current_password"),
        ("", NEW_PASSWORD, "current_password"),
        ("x" * 5000, NEW_PASSWORD, "current_password"),
        (PASSWORD, "", "new_password"),
        (PASSWORD, "short", "new_password"),
        (PASSWORD, "password1234", "new_password"),
        (PASSWORD, "x" * 200, "new_password"),
        (PASSWORD, PASSWORD, "new_password"),
    ]
    for current, new, field in cases:
        with pytest.raises(UserError) as refused:
            password_change.change_password(
                _uow(world), world.front_desk, current, new, client="c", clock=clock
            )
        assert refused.value.field == field, (current[:10], new[:10])
    # Wrong current passwords count as failed sign-ins of the e-mail: the fifth locks it.
    for _ in range(4):
        with pytest.raises(UserError):
            password_change.change_password(
                _uow(world), world.front_desk, "wrong again", NEW_PASSWORD, client="c", clock=clock
            )
    with pytest.raises(sign_in.TooManySignIns):
        password_change.change_password(
            _uow(world), world.front_desk, PASSWORD, NEW_PASSWORD, client="c", clock=clock
        )


def test_an_owner_resets_a_password_and_the_account_can_do_nothing_else_until_it_is_changed(
    world: World, clock: Clock, tmp_path: Path
) -> None:
    email = _set_password(world, world.clinician)
    app = server(world, clock, tmp_path)
    before = browser(app)
    web_sign_in(before, email)
    one_time = password_change.reset_password(
        _uow(world), world.owner, world.clinician.staff_user_id, clock=clock
    )
    assert re.fullmatch(r"([a-z2-9]{5}-){3}[a-z2-9]{5}", one_time)
    assert before.get("/patients").url.path == "/sign-in"  # their session ended
    with pytest.raises(PasswordMustChange):
        account_patients(world)
    client = browser(app)
    response = web_sign_in(client, email, one_time)
    assert response.url.path == "/account/password"
    # Every other page leads back to the password page.
    assert client.get("/patients").url.path == "/account/password"
    password_change.change_password(
        _uow(world), world.clinician, one_time, NEW_PASSWORD, client="c", clock=clock
    )
    assert account(_uow(world), world.clinician)["id"] == world.clinician.staff_user_id
    account_patients(world)  # allowed again
    # Only an owner, only in their clinic, never their own (that needs the current password).
    with pytest.raises(PermissionDenied):
        password_change.reset_password(
            _uow(world), world.front_desk, world.clinician.staff_user_id, clock=clock
        )
    with pytest.raises(UserError):
        password_change.reset_password(
            _uow(world), world.owner, world.owner.staff_user_id, clock=clock
        )
    for nobody in (0, -1, 2**40, 999_999):
        with pytest.raises(NotFound):
            password_change.reset_password(_uow(world), world.owner, nobody, clock=clock)


def account_patients(world: World) -> Any:
    from microneedling.services import patients

    return patients.find_patients(_uow(world), world.clinician, "Ada", clock=world.clock)


def test_an_owner_sees_a_staff_members_sessions_and_ends_them(
    world: World, other_world: World, clock: Clock, tmp_path: Path
) -> None:
    email = _set_password(world, world.front_desk)
    app = server(world, clock, tmp_path)
    tablet, desk = browser(app, "10.3.3.3"), browser(app, "10.4.4.4")
    tablet.headers["user-agent"] = "Tablet browser"
    web_sign_in(tablet, email)
    web_sign_in(desk, email)
    sign_in.sign_in_for_token(_uow(world), email, PASSWORD, client="api", clock=clock)
    seen = web_sessions.staff_sessions(
        _uow(world), world.owner, world.front_desk.staff_user_id, clock=clock
    )
    clients = {s["client"]: s for s in seen["sessions"]}
    assert set(clients) == {"10.3.3.3", "10.4.4.4"}
    assert clients["10.3.3.3"]["user_agent"] == "Tablet browser"
    assert seen["open_api_tokens"] == 1
    web_sessions.end_staff_sessions(
        _uow(world),
        world.owner,
        world.front_desk.staff_user_id,
        session_id=clients["10.3.3.3"]["id"],
        clock=clock,
    )
    response = tablet.get("/patients")
    assert "signed out by an owner" in response.text
    assert desk.get("/patients").url.path == "/patients"
    assert (
        web_sessions.end_staff_sessions(
            _uow(world), world.owner, world.front_desk.staff_user_id, clock=clock
        )
        == 2
    )  # the desk's session and the API token
    assert desk.get("/patients").url.path == "/sign-in"
    with world.database.sessions() as session:
        assert (
            session.execute(
                select(AccessToken.revoked_at).where(
                    AccessToken.staff_user_id == world.front_desk.staff_user_id
                )
            ).scalar_one()
            == clock.now
        )
        actions = session.execute(
            select(AuditEntry.action)
            .where(
                AuditEntry.actor_id == world.owner.staff_user_id,
                AuditEntry.action.like("staff.%_sessions"),
            )
            .order_by(AuditEntry.sequence)
        ).scalars()
        assert list(actions) == ["staff.read_sessions", "staff.end_sessions", "staff.end_sessions"]
    # Owners only; other clinics' staff are not found; a session of someone else neither.
    with pytest.raises(PermissionDenied):
        web_sessions.staff_sessions(
            _uow(world), world.clinician, world.front_desk.staff_user_id, clock=clock
        )
    with pytest.raises(NotFound):
        web_sessions.staff_sessions(
            _uow(world), other_world.owner, world.front_desk.staff_user_id, clock=clock
        )
    with pytest.raises(NotFound):
        web_sessions.end_staff_sessions(
            _uow(world),
            world.owner,
            world.clinician.staff_user_id,
            session_id=clients["10.3.3.3"]["id"],
            clock=clock,
        )
