"""Web sessions: the cookies and what they stand for.

A signed-in browser's cookie ``microneedling_session`` carries only an opaque random id; the
session itself lives in the database (:mod:`microneedling.services.web_sessions`: the account,
the CSRF token, last seen, ended and why). Every request looks the id up (on a worker thread, one
indexed read), so signing out, the idle and maximum age, a closed account, a password change or
an owner ending the session count on every server at once, and a copied cookie is worth nothing
after any of them, restarts included.

A browser that is not signed in gets an anonymous session, so the sign-in form carries a CSRF
token: its cookie is a small signed value (HMAC-SHA256 under the secret key) holding only that
token. One-off messages for the next page ("Patient registered", why a session ended) travel in a
second signed cookie, ``microneedling_notice``, and are taken by the next page shown. Neither
signed cookie holds anything secret from its holder, identity or patient data.

- Signing in gives a new session (id and CSRF token): a session fixed beforehand is useless.
- A session found ended tells the next page why (``ended``), once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from microneedling.services.web_sessions import CheckedSession

COOKIE = "microneedling_session"
NOTICE_COOKIE = "microneedling_notice"
#: Largest cookie value read.
MAX_COOKIE_CHARS = 4096

#: Looks a signed-in cookie's opaque id up in the database (runs on a worker thread).
Lookup = Callable[[str], CheckedSession]


@dataclass
class WebSession:
    """One browser's session for this request (anonymous until someone signs in)."""

    csrf: str
    #: The opaque id of a signed-in session (the cookie's value), None when anonymous.
    token: str | None = None
    session_id: int | None = None
    staff_user_id: int | None = None
    clinic_id: int | None = None
    role: str | None = None
    must_change_password: bool = False
    #: Why an earlier session ended (a key of ``web_sessions.ENDED_WORDS``), shown once.
    ended: str | None = None
    #: One-off messages for the next page ("Patient registered").
    flashes: list[str] = field(default_factory=list)
    #: The session cookie must be sent again (a new anonymous session, a sign-in, a sign-out).
    dirty: bool = False
    #: The notice cookie must be sent again (or cleared).
    notice_dirty: bool = False

    @property
    def signed_in(self) -> bool:
        return self.staff_user_id is not None

    def flash(self, message: str) -> None:
        self.flashes.append(message[:300])
        self.notice_dirty = True

    def take_flashes(self) -> list[str]:
        taken, self.flashes = self.flashes, []
        if taken:
            self.notice_dirty = True
        return taken

    def take_ended(self) -> str | None:
        ended, self.ended = self.ended, None
        if ended:
            self.notice_dirty = True
        return ended

    def become_anonymous(self, *, ended: str | None = None) -> None:
        """Forget the signed-in session here (a new anonymous one with a new CSRF token)."""
        self.csrf = secrets.token_urlsafe(32)
        self.token = self.session_id = self.staff_user_id = self.clinic_id = self.role = None
        self.must_change_password = False
        self.dirty = True
        if ended is not None:
            self.ended = ended
            self.notice_dirty = True

    def become_signed_in(
        self, token: str, csrf: str, session_id: int, staff_user_id: int, clinic_id: int, role: str
    ) -> None:
        self.token, self.csrf, self.session_id = token, csrf, session_id
        self.staff_user_id, self.clinic_id, self.role = staff_user_id, clinic_id, role
        self.ended = None
        self.dirty = self.notice_dirty = True


def new_session(*, ended: str | None = None) -> WebSession:
    session = WebSession(csrf=secrets.token_urlsafe(32), dirty=True)
    if ended:
        session.ended, session.notice_dirty = ended, True
    return session


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionCodec:
    """Signs and checks the anonymous and notice cookies' values."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("the session key needs at least 32 bytes")
        # A key of its own for this purpose, so the same secret could sign something else.
        self._key = hmac.new(key, b"microneedling web session v2", hashlib.sha256).digest()

    def _mac(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode("ascii"), hashlib.sha256).digest())

    def encode(self, payload: dict[str, Any]) -> str:
        body = _b64(json.dumps(payload, separators=(",", ":"), ensure_ascii=True).encode())
        return f"{body}.{self._mac(body)}"

    def decode(self, value: str) -> dict[str, Any] | None:
        """The payload of a cookie this codec signed, or None (tampered, truncated, foreign)."""
        if not value or len(value) > MAX_COOKIE_CHARS or value.count(".") != 1:
            return None
        body, mac = value.split(".")
        try:
            if not hmac.compare_digest(mac.encode("ascii"), self._mac(body).encode("ascii")):
                return None
            payload = json.loads(_unb64(body))
        except (ValueError, UnicodeError):
            return None
        return payload if isinstance(payload, dict) else None


def _is_token(value: str) -> bool:
    """A signed-in cookie's value: URL-safe base64 text without a dot (anonymous ones have one)."""
    return 20 <= len(value) <= 128 and all(c.isalnum() or c in "-_" for c in value)


def _cookies(scope: Scope) -> dict[str, str]:
    cookies: dict[str, str] = {}
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, _, text = part.strip().partition("=")
                if key in (COOKIE, NOTICE_COOKIE):
                    cookies[key] = text
    return cookies


class SessionMiddleware:
    """Reads the cookies into ``scope["state"]["web_session"]`` and writes them back."""

    def __init__(self, app: ASGIApp, *, codec: SessionCodec, lookup: Lookup, secure: bool) -> None:
        self.app = app
        self.codec = codec
        self.lookup = lookup
        self.secure = secure

    def _notices(self, value: str | None) -> tuple[list[str], str | None]:
        payload = self.codec.decode(value) if value else None
        if payload is None:
            return [], None
        flashes = payload.get("f")
        ended = payload.get("e")
        return (
            [str(item)[:300] for item in flashes[:5]] if isinstance(flashes, list) else [],
            ended if isinstance(ended, str) else None,
        )

    async def load(self, cookies: dict[str, str]) -> WebSession:
        value = cookies.get(COOKIE, "")
        flashes, ended = self._notices(cookies.get(NOTICE_COOKIE))
        session: WebSession | None = None
        if value and _is_token(value):
            checked = await anyio.to_thread.run_sync(self.lookup, value)
            if checked.actor is not None:
                actor = checked.actor
                session = WebSession(
                    csrf=checked.csrf,
                    token=value,
                    session_id=checked.session_id,
                    staff_user_id=actor.staff_user_id,
                    clinic_id=actor.clinic_id,
                    role=str(actor.role),
                    must_change_password=checked.must_change_password,
                )
            else:
                session = new_session(ended=checked.ended)
        elif value:
            payload = self.codec.decode(value)
            csrf = payload.get("t") if payload is not None else None
            if isinstance(csrf, str) and 20 <= len(csrf) <= 100:
                session = WebSession(csrf=csrf)
        if session is None:
            session = new_session()
        session.flashes = flashes + session.flashes
        session.ended = session.ended or ended
        return session

    def _cookie(self, name: str, value: str | None) -> bytes:
        attributes = "; Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if self.secure else "")
        if value is None:
            return f"{name}=; Max-Age=0{attributes}".encode("latin-1")
        # No Max-Age: the browser forgets it when it closes; the server enforces the time limits.
        return f"{name}={value}{attributes}".encode("latin-1")

    def set_cookies(self, session: WebSession) -> list[tuple[bytes, bytes]]:
        headers = []
        if session.dirty:
            kept = session.token or self.codec.encode({"t": session.csrf})
            headers.append((b"set-cookie", self._cookie(COOKIE, kept)))
        if session.notice_dirty:
            notice: dict[str, Any] = {}
            if session.flashes:
                notice["f"] = session.flashes[-5:]
            if session.ended:
                notice["e"] = session.ended
            value = self.codec.encode(notice) if notice else None
            headers.append((b"set-cookie", self._cookie(NOTICE_COOKIE, value)))
        return headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        session = await self.load(_cookies(scope))
        scope.setdefault("state", {})["web_session"] = session

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = self.set_cookies(session)
                if extra:
                    message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_cookie)
