"""Signing in to the API: bearer tokens that expire, signing out, and locking out repeated
failures.

A token is 32 random bytes (URL-safe text) given to the client once; the database keeps only its
SHA-256, with the account, the clinic, when it was issued, when it expires and when it was
revoked. Checking a token is one indexed read that writes nothing; the account must still be
active in that clinic, and its role is read afresh (a changed role counts at once). Each sign-in
deletes the tokens that expired more than a day before (:data:`EXPIRED_TOKENS_KEPT`), anyone's.

Failed sign-ins are counted per e-mail (kept as its SHA-256) and per client address, over
``window``; at ``max_failures`` for an e-mail (or ``max_failures_per_client`` for an address)
further attempts are refused for ``lockout`` after the last failure, without checking the password
(:class:`TooManySignIns`, with the seconds to wait). An unknown e-mail gets the same answer, the same
counting and the same password work as a wrong password (:func:`passwords.verify_nothing`), so
neither the message nor the time tells whether an account exists. Sign-ins and failures are
audited (client address and reason, never the password); attempts refused while locked are not,
except the failure that starts the lock, so a flood of attempts cannot fill the audit log.
"""

from __future__ import annotations

import hashlib
import logging
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select

from microneedling.config import Settings
from microneedling.errors import NotFound, PermissionDenied, UserError
from microneedling.services.access import Actor, PasswordMustChange, Role, Transaction
from microneedling.services.clock import Clock, utc_now
from microneedling.services.passwords import (
    hash_password,
    needs_rehash,
    verify_nothing,
    verify_password,
)
from microneedling.services.token_cache import TOKENS
from microneedling.services.views import staff_view
from microneedling.store import Database, UnitOfWork
from microneedling.store.models import AccessToken, SignInFailure, StaffUser
from microneedling.store.repositories import sign_in_of
from microneedling.store.unit_of_work import translate_conflicts

log = logging.getLogger("microneedling.services")

TOKEN_BYTES = 32
#: Longer than any token this module issues; longer ones are not even hashed.
MAX_TOKEN_CHARS = 128
MAX_EMAIL_CHARS = 254
WRONG = "wrong e-mail or password"
#: How long an expired token is kept (then deleted at the next sign-in, anyone's).
EXPIRED_TOKENS_KEPT = timedelta(days=1)


class NotSignedIn(PermissionDenied):
    """No valid sign-in: no token, or one that is unknown, expired or revoked."""


class SignInRefused(NotSignedIn):
    """Wrong e-mail or password (the same message for both)."""


class TooManySignIns(PermissionDenied):
    """Too many failed sign-ins for this e-mail or from this address; wait ``retry_after``."""

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, math.ceil(retry_after / 60))
        super().__init__(
            f"too many failed sign-ins; try again in {minutes} minute{'s' if minutes > 1 else ''}"
        )
        self.retry_after = retry_after


@dataclass(frozen=True)
class SignInPolicy:
    token_lifetime: timedelta = timedelta(hours=8)
    max_failures: int = 5
    max_failures_per_client: int = 20
    window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=15)
    #: How long a token found good is trusted before it is read again (services/token_cache.py).
    token_recheck: timedelta = timedelta(0)

    @classmethod
    def from_settings(cls, settings: Settings) -> SignInPolicy:
        return cls(
            token_lifetime=timedelta(minutes=settings.token_lifetime_minutes),
            max_failures=settings.sign_in_max_failures,
            max_failures_per_client=settings.sign_in_max_failures_per_client,
            window=timedelta(minutes=settings.sign_in_window_minutes),
            lockout=timedelta(minutes=settings.sign_in_lockout_minutes),
            token_recheck=timedelta(seconds=settings.token_recheck_seconds),
        )


@dataclass(frozen=True)
class IssuedToken:
    """A new sign-in: the token (shown once), when it expires, and who it is for."""

    token: str
    expires_at: datetime
    expires_in: int
    actor: Actor


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _email_key(email: str) -> str:
    return _sha256(email.strip().lower())


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))


def _locked_for(
    uow: UnitOfWork, email_key: str, client: str, now: datetime, policy: SignInPolicy
) -> int | None:
    """Seconds to wait if this e-mail or address is locked, else None."""
    since = now - policy.window
    waits = []
    for failures, limit in (
        (uow.sign_in_failures.recent(since, email_sha256=email_key), policy.max_failures),
        (uow.sign_in_failures.recent(since, client=client), policy.max_failures_per_client),
    ):
        if len(failures) >= limit:
            until = failures[-1] + policy.lockout
            if until > now:
                waits.append(_seconds(until - now))
    return max(waits) if waits else None


def sign_in_for_token(
    uow: UnitOfWork,
    email: str,
    password: str,
    *,
    client: str,
    policy: SignInPolicy | None = None,
    clock: Clock = utc_now,
) -> IssuedToken:
    """Check e-mail and password and issue a bearer token.

    Raises :class:`SignInRefused` (wrong e-mail or password, or an inactive account: the same
    message) or :class:`TooManySignIns`. A legacy password hash is upgraded on success.
    """
    issued = _sign_in(uow, email, password, client, policy or SignInPolicy(), clock, token=True)
    assert isinstance(issued, IssuedToken)
    return issued


def sign_in_for_session(
    uow: UnitOfWork,
    email: str,
    password: str,
    *,
    client: str,
    policy: SignInPolicy | None = None,
    clock: Clock = utc_now,
) -> Actor:
    """As :func:`sign_in_for_token` (the same failures counted, lockout and audit entry), for a
    caller that keeps its own session (the web pages): no token is issued."""
    actor = _sign_in(uow, email, password, client, policy or SignInPolicy(), clock, token=False)
    assert isinstance(actor, Actor)
    return actor


def _sign_in(
    uow: UnitOfWork,
    email: str,
    password: str,
    client: str,
    policy: SignInPolicy,
    clock: Clock,
    *,
    token: bool,
) -> IssuedToken | Actor:
    now = clock()
    client = (client or "unknown")[:64]
    email = email.strip().lower()
    email_key = _email_key(email)
    with uow:
        _serialise(uow, email_key, client)
        wait = _locked_for(uow, email_key, client, now, policy)
        if wait is not None:
            log.info("sign-in refused while locked client=%s", client)
            raise TooManySignIns(wait)
        user = uow.staff.by_email(email) if 0 < len(email) <= MAX_EMAIL_CHARS else None
        if user is None or user.password_hash is None:
            verify_nothing(password)
            matches = False
        else:
            matches = verify_password(password, user.password_hash)
        if user is None or not matches or not user.active:
            if user is None:
                reason = "unknown e-mail"
            elif matches:
                reason = "account inactive"
            else:
                reason = "wrong password"
            _refuse(uow, user, email_key, client, now, policy, reason=reason)
            raise SignInRefused(WRONG)
        assert user.password_hash is not None
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        _forget_expired_tokens(uow, now)
        row: AccessToken | None = None
        secret = ""
        if token:
            secret = secrets.token_urlsafe(TOKEN_BYTES)
            row = AccessToken(
                token_sha256=_sha256(secret),
                staff_user_id=user.id,
                clinic_id=user.clinic_id,
                issued_at=now,
                expires_at=now + policy.token_lifetime,
            )
            uow.tokens.add(row)
        uow.sign_in_failures.forget(email_sha256=email_key)
        uow.flush()
        with translate_conflicts():
            uow.audit.append(
                at=now,
                clinic_id=user.clinic_id,
                actor_id=user.id,
                actor_role=user.role,
                action="account.sign_in",
                entity_type="access_token" if row is not None else "staff_user",
                entity_id=row.id if row is not None else user.id,
                details={"client": client, "via": "token" if token else "session"},
            )
        uow.commit()
        actor = Actor(user.id, user.clinic_id, Role(user.role))
    log.info("signed in clinic=%s actor=%s", actor.clinic_id, actor.staff_user_id)
    if row is None:
        return actor
    return IssuedToken(secret, row.expires_at, _seconds(row.expires_at - now), actor)


def _serialise(uow: UnitOfWork, email_key: str, client: str) -> None:
    """Make counting and recording a failure one step per e-mail and per address: the first
    statement of the transaction waits for any other sign-in of the same e-mail or from the
    same address to finish (its failure committed and counted).

    PostgreSQL: two transaction-level advisory locks (the e-mail's, then the address's: always in
    that order, so two sign-ins never wait for each other crosswise). SQLite: every write
    transaction begins ``IMMEDIATE``, holding the one writer lock from its first statement, so
    sign-ins already take turns.
    """
    if uow.database.engine.dialect.name != "postgresql":
        return
    for key in (f"sign-in e-mail {email_key}", f"sign-in client {client}"):
        number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        uow.session.execute(select(func.pg_advisory_xact_lock(number)))


def check_password_of(
    uow: UnitOfWork,
    email: str,
    password: str,
    password_hash: str | None,
    *,
    client: str,
    policy: SignInPolicy,
    clock: Clock = utc_now,
) -> None:
    """Check a signed-in person's current password (to change it) under the sign-in lockout of
    their e-mail: a wrong one is a failed sign-in (counted, audited, locking the e-mail out as
    signing in does). Raises :class:`TooManySignIns` or :class:`UserError` on
    ``current_password``."""
    now = clock()
    client = (client or "unknown")[:64]
    email_key = _email_key(email)
    with uow:
        _serialise(uow, email_key, client)
        wait = _locked_for(uow, email_key, client, now, policy)
        if wait is not None:
            raise TooManySignIns(wait)
        if password_hash is not None and verify_password(password, password_hash):
            uow.commit()
            return
        user = uow.staff.by_email(email)
        _refuse(uow, user, email_key, client, now, policy, reason="wrong current password")
    raise UserError("This is not your current password.", field="current_password")


def _forget_expired_tokens(uow: UnitOfWork, now: datetime) -> None:
    """Delete every token (of any account) that expired more than :data:`EXPIRED_TOKENS_KEPT`
    ago: each sign-in adds a row, and nothing else would ever remove them. A token that expired
    less recently still answers "this token has expired" rather than "unknown"."""
    uow.session.execute(
        delete(AccessToken).where(AccessToken.expires_at < now - EXPIRED_TOKENS_KEPT)
    )


def _refuse(
    uow: UnitOfWork,
    user: StaffUser | None,
    email_key: str,
    client: str,
    now: datetime,
    policy: SignInPolicy,
    *,
    reason: str,
) -> None:
    """Count the failure, audit it, and commit (the caller then raises)."""
    uow.sign_in_failures.forget(before=now - policy.window)
    uow.sign_in_failures.add(SignInFailure(at=now, email_sha256=email_key, client=client))
    uow.flush()
    details: dict[str, Any] = {"client": client, "reason": reason}
    locked = _locked_for(uow, email_key, client, now, policy)
    if locked is not None:
        details["locked_for_seconds"] = locked
    with translate_conflicts():
        uow.audit.append(
            at=now,
            clinic_id=user.clinic_id if user is not None else None,
            actor_id=user.id if user is not None else None,
            actor_role=user.role if user is not None else "anonymous",
            action="account.sign_in_refused",
            entity_type="staff_user" if user is not None else None,
            entity_id=user.id if user is not None else None,
            details=details,
        )
    uow.commit()
    log.info("sign-in refused client=%s locked=%s", client, locked is not None)


def actor_for_token(
    uow: UnitOfWork,
    token: str,
    *,
    clock: Clock = utc_now,
    recheck: timedelta = timedelta(0),
    before_password_change: bool = False,
) -> Actor:
    """The signed-in staff member a bearer token stands for (:class:`NotSignedIn` if none).

    This runs before every API request: one Core query on a plain connection of ``uow``'s
    database, outside any transaction (one statement needs none), without an ORM session or
    objects; it waits for no writer and writes nothing. With ``recheck``, a token found good is
    remembered that long (:mod:`~microneedling.services.token_cache`), and
    :func:`remembered_actor` answers for it without the query. An account whose password an
    owner reset is refused (:class:`PasswordMustChange`) unless ``before_password_change``
    (the few calls it may make: change the password, sign out, who am I).
    """
    if not token or len(token) > MAX_TOKEN_CHARS:
        raise NotSignedIn("sign in first: no valid token")
    now = clock()
    token_sha256 = _sha256(token)
    with uow.database.statement_reader().connect() as connection:
        found = sign_in_of(connection, token_sha256)
    if found is None:
        raise NotSignedIn("sign in again: this token is unknown")
    if found.revoked_at is not None:
        raise NotSignedIn("sign in again: this token was signed out")
    if found.expires_at <= now:
        raise NotSignedIn("sign in again: this token has expired")
    if not found.active or found.user_clinic_id != found.clinic_id:
        raise NotSignedIn("sign in again: this account is not active")
    actor = Actor(found.user_id, found.user_clinic_id, Role(found.role))
    if found.password_must_change:
        # Reset by an owner: only changing the password (and signing out, who am I) until then;
        # never remembered, so the change counts at the next request.
        if not before_password_change:
            raise PasswordMustChange()
        return actor
    TOKENS.put(
        uow.database.describe(),
        token_sha256,
        actor,
        expires_at=found.expires_at,
        now=now,
        recheck=recheck,
    )
    return actor


def remembered_actor(database: Database, token: str, *, clock: Clock = utc_now) -> Actor | None:
    """The actor of a token :func:`actor_for_token` found good less than its ``recheck`` ago
    (and not expired since), else None: then ask :func:`actor_for_token`."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None
    return TOKENS.get(database.describe(), _sha256(token), clock())


def sign_out(uow: UnitOfWork, actor: Actor, token: str, *, clock: Clock = utc_now) -> None:
    """Revoke the token: it no longer signs anyone in."""
    with Transaction(uow, actor, "account.sign_out", clock) as tx:
        found = uow.tokens.by_hash(_sha256(token)) if len(token) <= MAX_TOKEN_CHARS else None
        if found is None or found[0].staff_user_id != actor.staff_user_id:
            raise NotFound("no such sign-in for this account", field="token")
        row = found[0]
        if row.revoked_at is None:
            row.revoked_at = tx.now
        tx.done(entity=("access_token", row.id))
    TOKENS.forget(uow.database.describe(), row.token_sha256)


def signed_in_account(uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    """The signed-in staff member and their clinic (their own account: not audited).

    Use a read-only unit of work.
    """
    with uow:
        user = uow.staff.get(actor.staff_user_id)
        clinic = uow.clinics.get(actor.clinic_id)
        if user is None or clinic is None:
            raise NotSignedIn("sign in again: this account is not active")
        return {
            **staff_view(user),
            "clinic": {
                "id": clinic.id,
                "slug": clinic.slug,
                "name": clinic.name,
                "time_zone": clinic.time_zone,
            },
        }
