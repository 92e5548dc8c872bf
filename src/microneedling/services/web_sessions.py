"""Web sessions kept in the database: what a signed-in browser's cookie stands for.

The cookie carries only an opaque random id (32 bytes, URL-safe text); the ``web_session`` row
keeps its SHA-256, never the id, with the account and clinic, the session's CSRF token, when it
was created and last seen, when it ended and why, and the browser's user agent and address.

Every request reads the row (:func:`check_session`: one indexed Core query with the account's
standing), so whatever ends a session ends it on every server at once, and a copied cookie is
worth nothing afterwards, restarts included:

- signing out (``signed_out``);
- no request for ``idle`` (``idle``) or older than ``max_age`` (``max_age``), found at the next
  request;
- the account closed, moved to another clinic or given another role (``account``);
- a password change or an owner's reset (``password``): every session of the account but the one
  that changed it, and every API token;
- an owner ending a staff member's sessions (``owner``).

"Last seen" is written at most every :data:`TOUCH` (30 s), so a busy session costs one small
write a half-minute, not one per request. Ended rows are kept for the owner's view for
:data:`ENDED_KEPT`, then deleted at a sign-in (anyone's).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, delete, select, update

from microneedling.errors import NotFound
from microneedling.services.access import Actor, Role, Transaction
from microneedling.services.clock import Clock, utc_now
from microneedling.services.token_cache import TOKENS
from microneedling.store import Database, UnitOfWork
from microneedling.store.models import AccessToken, StaffUser, WebSession

log = logging.getLogger("microneedling.services")

TOKEN_BYTES = 32
#: Longer cookie values are not even hashed.
MAX_TOKEN_CHARS = 128
#: "Last seen" is written at most this often.
TOUCH = timedelta(seconds=30)
#: How long an ended session stays listed (then deleted at a sign-in).
ENDED_KEPT = timedelta(days=30)
MAX_USER_AGENT_CHARS = 300
MAX_CLIENT_CHARS = 64

#: Why a session ended, in the words of the person whose session it was.
ENDED_WORDS = {
    "signed_out": "You signed out.",
    "idle": "You were signed out after a while without using the application.",
    "max_age": "You were signed out: a sign-in lasts a working day at most.",
    "account": "You were signed out: your account was closed or changed.",
    "password": "You were signed out: the password of this account was changed.",
    "owner": "You were signed out by an owner of the clinic.",
}

_s, _u = WebSession.__table__.c, StaffUser.__table__.c
_CHECK = (
    select(
        _s.id,
        _s.staff_user_id,
        _s.clinic_id,
        _s.csrf_token,
        _s.created_at,
        _s.last_seen_at,
        _s.ended_at,
        _s.ended_reason,
        _u.clinic_id.label("user_clinic_id"),
        _u.active,
        _u.role,
        _u.password_must_change,
    )
    .join_from(WebSession.__table__, StaffUser.__table__, _u.id == _s.staff_user_id)
    .where(_s.token_sha256 == bindparam("token_sha256"))
)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class OpenedSession:
    """A new session: the opaque id for the cookie (never stored) and its CSRF token."""

    token: str
    csrf: str
    session_id: int
    #: The account's password was reset by an owner: it must be changed first.
    must_change_password: bool = False


@dataclass(frozen=True)
class CheckedSession:
    """What a request's cookie stands for: a live session (``actor`` set) or why it ended."""

    actor: Actor | None = None
    csrf: str = ""
    session_id: int | None = None
    must_change_password: bool = False
    #: Set when the session is over (a key of :data:`ENDED_WORDS`); None with ``actor`` None:
    #: an unknown id (nothing to say).
    ended: str | None = None


def _clean(text: str | None, limit: int) -> str:
    return "".join(c for c in (text or "") if c.isprintable())[:limit]


def open_session(
    uow: UnitOfWork,
    actor: Actor,
    *,
    user_agent: str | None,
    client: str,
    clock: Clock = utc_now,
) -> OpenedSession:
    """A new session for ``actor`` (who has just signed in; the sign-in is audited there)."""
    now = clock()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    csrf = secrets.token_urlsafe(32)
    with uow:
        uow.session.execute(
            delete(WebSession).where(
                WebSession.ended_at.is_not(None), WebSession.ended_at < now - ENDED_KEPT
            )
        )
        row = WebSession(
            token_sha256=token_hash(token),
            staff_user_id=actor.staff_user_id,
            clinic_id=actor.clinic_id,
            csrf_token=csrf,
            created_at=now,
            last_seen_at=now,
            user_agent=_clean(user_agent, MAX_USER_AGENT_CHARS),
            client=_clean(client, MAX_CLIENT_CHARS) or "unknown",
        )
        uow.session.add(row)
        uow.flush()
        session_id = row.id
        user = uow.staff.get(actor.staff_user_id)
        must_change = bool(user is not None and user.password_must_change)
        uow.commit()
    return OpenedSession(token, csrf, session_id, must_change)


def check_session(
    database: Database,
    token: str,
    *,
    idle: timedelta,
    max_age: timedelta,
    clock: Clock = utc_now,
) -> CheckedSession:
    """The session a cookie's id stands for, checked against the database.

    One read outside any transaction; a write only to end a session found over its time or
    whose account changed, and to move "last seen" (at most every :data:`TOUCH`).
    """
    if not token or len(token) > MAX_TOKEN_CHARS:
        return CheckedSession()
    now = clock()
    with database.statement_reader().connect() as connection:
        row = connection.execute(_CHECK, {"token_sha256": token_hash(token)}).one_or_none()
    if row is None:
        return CheckedSession()
    if row.ended_at is not None:
        return CheckedSession(ended=row.ended_reason or "signed_out")
    ended = None
    if not row.active or row.user_clinic_id != row.clinic_id:
        ended = "account"
    elif now - row.last_seen_at > idle:
        ended = "idle"
    elif now - row.created_at > max_age:
        ended = "max_age"
    if ended is not None:
        _end_one(database, row.id, ended, now)
        return CheckedSession(ended=ended)
    if now - row.last_seen_at >= TOUCH:
        with database.engine.begin() as connection:
            connection.execute(
                update(WebSession)
                .where(WebSession.id == row.id, WebSession.ended_at.is_(None))
                .values(last_seen_at=now)
            )
    return CheckedSession(
        actor=Actor(row.staff_user_id, row.clinic_id, Role(row.role)),
        csrf=row.csrf_token,
        session_id=row.id,
        must_change_password=bool(row.password_must_change),
    )


def _end_one(database: Database, session_id: int, reason: str, now: datetime) -> None:
    with database.engine.begin() as connection:
        connection.execute(
            update(WebSession)
            .where(WebSession.id == session_id, WebSession.ended_at.is_(None))
            .values(ended_at=now, ended_reason=reason)
        )


def end_session_by_token(
    database: Database, token: str, reason: str, *, clock: Clock = utc_now
) -> None:
    """End the session of this cookie id, if open (not audited: the caller's reason is the
    account's standing found changed, which was audited where it changed)."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return
    with database.engine.begin() as connection:
        connection.execute(
            update(WebSession)
            .where(WebSession.token_sha256 == token_hash(token), WebSession.ended_at.is_(None))
            .values(ended_at=clock(), ended_reason=reason)
        )


def sign_out(uow: UnitOfWork, actor: Actor, token: str, *, clock: Clock = utc_now) -> None:
    """End the session of this cookie id (signing out), audited as a sign-out."""
    with Transaction(uow, actor, "account.sign_out", clock) as tx:
        row = None
        if token and len(token) <= MAX_TOKEN_CHARS:
            row = uow.session.execute(
                select(WebSession).where(WebSession.token_sha256 == token_hash(token))
            ).scalar_one_or_none()
        if row is None or row.staff_user_id != actor.staff_user_id:
            raise NotFound("no such sign-in for this account", field="session")
        if row.ended_at is None:
            row.ended_at, row.ended_reason = tx.now, "signed_out"
        tx.done(entity=("web_session", row.id), details={"via": "session"})


def end_sessions_of(
    uow: UnitOfWork,
    staff_user_id: int,
    reason: str,
    now: datetime,
    *,
    keep_session: int | None = None,
    tokens_too: bool = False,
    keep_token_sha256: str | None = None,
) -> int:
    """End every open session of an account (but ``keep_session``) in ``uow``'s transaction; with
    ``tokens_too``, revoke its API tokens as well (but ``keep_token_sha256``). How many ended."""
    query = update(WebSession).where(
        WebSession.staff_user_id == staff_user_id, WebSession.ended_at.is_(None)
    )
    if keep_session is not None:
        query = query.where(WebSession.id != keep_session)
    result = uow.session.execute(
        query.values(ended_at=now, ended_reason=reason).execution_options(synchronize_session=False)
    )
    ended = int(getattr(result, "rowcount", 0) or 0)
    if tokens_too:
        condition = and_(
            AccessToken.staff_user_id == staff_user_id,
            AccessToken.revoked_at.is_(None),
            AccessToken.expires_at > now,
        )
        if keep_token_sha256 is not None:
            condition = and_(condition, AccessToken.token_sha256 != keep_token_sha256)
        revoked = uow.session.execute(select(AccessToken.token_sha256).where(condition)).scalars()
        hashes = list(revoked)
        if hashes:
            uow.session.execute(
                update(AccessToken)
                .where(AccessToken.token_sha256.in_(hashes))
                .values(revoked_at=now)
                .execution_options(synchronize_session=False)
            )
            for sha in hashes:
                TOKENS.forget(uow.database.describe(), sha)
        ended += len(hashes)
    return int(ended or 0)


def _session_view(row: WebSession) -> dict[str, Any]:
    return {
        "id": row.id,
        "created_at": row.created_at,
        "last_seen_at": row.last_seen_at,
        "ended_at": row.ended_at,
        "ended_reason": row.ended_reason,
        "user_agent": row.user_agent,
        "client": row.client,
    }


def _staff_member(uow: UnitOfWork, actor: Actor, staff_user_id: int) -> StaffUser:
    user = uow.staff.get(staff_user_id) if 0 < staff_user_id <= 2**31 - 1 else None
    if user is None or user.clinic_id != actor.clinic_id:
        raise NotFound("there is no such staff member in this clinic", field="staff_user_id")
    return user


def staff_sessions(
    uow: UnitOfWork,
    actor: Actor,
    staff_user_id: int,
    *,
    clock: Clock = utc_now,
    limit: int = 50,
) -> dict[str, Any]:
    """A staff member's sessions, open ones first, then the most recent ended (an owner's view:
    when, from where, which browser). Audited."""
    with Transaction(uow, actor, "staff.read_sessions", clock) as tx:
        user = _staff_member(uow, actor, staff_user_id)
        rows = uow.session.execute(
            select(WebSession)
            .where(WebSession.staff_user_id == user.id)
            .order_by(WebSession.ended_at.is_not(None), WebSession.last_seen_at.desc())
            .limit(limit)
        ).scalars()
        sessions = [_session_view(row) for row in rows]
        tokens = uow.session.execute(
            select(AccessToken.id, AccessToken.issued_at, AccessToken.expires_at).where(
                AccessToken.staff_user_id == user.id,
                AccessToken.revoked_at.is_(None),
                AccessToken.expires_at > tx.now,
            )
        ).all()
        result = {
            "staff": {
                "id": user.id,
                "display_name": user.display_name,
                "email": user.email,
                "role": user.role,
                "active": user.active,
            },
            "sessions": sessions,
            "open_api_tokens": len(tokens),
        }
        tx.done(entity=("staff_user", user.id))
    return result


def end_staff_sessions(
    uow: UnitOfWork,
    actor: Actor,
    staff_user_id: int,
    *,
    session_id: int | None = None,
    clock: Clock = utc_now,
) -> int:
    """An owner ends one session of a staff member (``session_id``), or all of them and their
    API tokens. Audited; how many ended."""
    with Transaction(uow, actor, "staff.end_sessions", clock) as tx:
        user = _staff_member(uow, actor, staff_user_id)
        if session_id is not None:
            row = uow.session.get(WebSession, session_id) if 0 < session_id <= 2**31 - 1 else None
            if row is None or row.staff_user_id != user.id:
                raise NotFound("there is no such sign-in for this staff member", field="session")
            ended = 0
            if row.ended_at is None:
                row.ended_at, row.ended_reason = tx.now, "owner"
                ended = 1
        else:
            ended = end_sessions_of(uow, user.id, "owner", tx.now, tokens_too=True)
        tx.done(
            entity=("staff_user", user.id),
            details={"ended": ended, **({"session": session_id} if session_id else {})},
        )
    log.info("sessions ended by an owner clinic=%s staff=%s", actor.clinic_id, staff_user_id)
    return ended
