"""Web sessions: a signed, expiring cookie and the CSRF token it carries.

The cookie holds a small JSON object (session id, CSRF token, the signed-in staff member's account,
clinic and role, when they signed in and when they were last seen), base64url-encoded and signed
with HMAC-SHA256 under the secret key. Nothing in it is secret from its holder; it cannot be
forged or altered without the key. It carries no patient data.

- A session that has not been seen for ``session_idle_minutes``, or is older than
  ``session_max_hours``, is signed out: the next request finds an anonymous session with
  ``expired`` set, and the page says why.
- Every request through the application refreshes "last seen" (the cookie is re-sent at most
  every :data:`TOUCH_SECONDS`).
- Signing in gives a new session id and CSRF token (no session fixation); signing out forgets the
  session id in this process (a copy of the old cookie no longer works) and clears the cookie.
- The account is checked against the database on every request (``web.context``): a closed
  account or a changed role ends the session at once.

Anonymous sessions exist too, so the sign-in form carries a CSRF token. Failed sign-ins are
counted in the database, with the API's (``services.sign_in``), not here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "microneedling_session"
#: Refresh the cookie's "last seen" at most this often.
TOUCH_SECONDS = 30
#: Largest cookie value read (a real one is about 300 bytes).
MAX_COOKIE_CHARS = 4096

Now = Callable[[], float]


@dataclass
class WebSession:
    """One browser's session (anonymous until someone signs in)."""

    sid: str
    csrf: str
    issued: float
    seen: float
    staff_user_id: int | None = None
    clinic_id: int | None = None
    role: str | None = None
    #: Why an earlier session ended ("idle", "max_age", "account"), shown once.
    ended: str | None = None
    #: One-off messages for the next page ("Patient registered").
    flashes: list[str] = field(default_factory=list)
    dirty: bool = False
    #: Sign the cookie out (delete it) rather than send it.
    clear: bool = False

    @property
    def signed_in(self) -> bool:
        return self.staff_user_id is not None

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"s": self.sid, "t": self.csrf, "i": int(self.issued)}
        payload["a"] = int(self.seen)
        if self.signed_in:
            payload.update({"u": self.staff_user_id, "c": self.clinic_id, "r": self.role})
        if self.ended:
            payload["e"] = self.ended
        if self.flashes:
            payload["f"] = self.flashes[-5:]
        return payload

    def flash(self, message: str) -> None:
        self.flashes.append(message[:300])
        self.dirty = True

    def take_flashes(self) -> list[str]:
        taken, self.flashes = self.flashes, []
        if taken:
            self.dirty = True
        return taken

    def take_ended(self) -> str | None:
        ended, self.ended = self.ended, None
        if ended:
            self.dirty = True
        return ended


def new_session(now: float, *, ended: str | None = None) -> WebSession:
    return WebSession(
        sid=secrets.token_urlsafe(16),
        csrf=secrets.token_urlsafe(32),
        issued=now,
        seen=now,
        ended=ended,
        dirty=True,
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionCodec:
    """Signs and checks cookie values."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("the session key needs at least 32 bytes")
        # A key of its own for this purpose, so the same secret could sign something else.
        self._key = hmac.new(key, b"microneedling web session v1", hashlib.sha256).digest()

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


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _session_from(payload: dict[str, Any]) -> WebSession | None:
    sid, csrf = payload.get("s"), payload.get("t")
    issued, seen = _int(payload.get("i")), _int(payload.get("a"))
    if not isinstance(sid, str) or not isinstance(csrf, str) or issued is None or seen is None:
        return None
    session = WebSession(sid=sid, csrf=csrf, issued=float(issued), seen=float(seen))
    user, clinic, role = _int(payload.get("u")), _int(payload.get("c")), payload.get("r")
    if user is not None and clinic is not None and isinstance(role, str):
        session.staff_user_id, session.clinic_id, session.role = user, clinic, role
    ended = payload.get("e")
    session.ended = ended if isinstance(ended, str) else None
    flashes = payload.get("f")
    if isinstance(flashes, list):
        session.flashes = [str(item)[:300] for item in flashes[:5]]
    return session


class RevokedSessions:
    """Session ids signed out in this process, kept until they would have expired anyway."""

    def __init__(self, keep_seconds: float) -> None:
        self._keep = keep_seconds
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def revoke(self, sid: str, now: float) -> None:
        with self._lock:
            self._until = {s: t for s, t in self._until.items() if t > now}
            self._until[sid] = now + self._keep

    def __contains__(self, sid: object) -> bool:
        with self._lock:
            return sid in self._until


class SessionMiddleware:
    """Reads the session cookie into ``scope["state"]["web_session"]`` and writes it back."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        codec: SessionCodec,
        idle_seconds: float,
        max_age_seconds: float,
        secure: bool,
        revoked: RevokedSessions,
        now: Now = time.time,
    ) -> None:
        self.app = app
        self.codec = codec
        self.idle = idle_seconds
        self.max_age = max_age_seconds
        self.secure = secure
        self.revoked = revoked
        self.now = now

    def load(self, cookie: str | None, now: float) -> WebSession:
        payload = self.codec.decode(cookie) if cookie else None
        session = _session_from(payload) if payload is not None else None
        if session is None or session.sid in self.revoked:
            return new_session(now)
        if session.signed_in:
            if now - session.seen > self.idle:
                return new_session(now, ended="idle")
            if now - session.issued > self.max_age:
                return new_session(now, ended="max_age")
        if now - session.seen >= TOUCH_SECONDS:
            session.seen = now
            session.dirty = True
        return session

    def cookie_header(self, session: WebSession) -> bytes:
        attributes = "; Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if self.secure else "")
        if session.clear:
            return f"{COOKIE}=; Max-Age=0{attributes}".encode("latin-1")
        # No Max-Age: the browser forgets it when it closes; the server enforces the time limits.
        value = self.codec.encode(session.to_payload())
        return f"{COOKIE}={value}{attributes}".encode("latin-1")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        cookie = None
        for name, value in scope.get("headers", []):
            if name == b"cookie":
                for part in value.decode("latin-1").split(";"):
                    key, _, text = part.strip().partition("=")
                    if key == COOKIE:
                        cookie = text
        session = self.load(cookie, self.now())
        scope.setdefault("state", {})["web_session"] = session

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and (session.dirty or session.clear):
                headers = list(message.get("headers", []))
                headers.append((b"set-cookie", self.cookie_header(session)))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_cookie)
