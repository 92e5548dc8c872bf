"""The security headers of every answer, decided in one place.

Both the API (``microneedling serve``) and the pages with the API (``microneedling web``) wrap
their application in :class:`SecurityHeaders` exactly once, as the outermost layer; nothing
inside adds these headers (a route may set its own ``Cache-Control`` or
``Content-Security-Policy``, which is then kept). Each header is sent once:

- ``X-Content-Type-Options: nosniff`` and ``X-Frame-Options: DENY`` everywhere;
- ``Referrer-Policy: same-origin``: addresses carry patients' names in search queries and must
  not leave the site, but the browser must still send the page's own origin with a form post
  (``no-referrer`` makes Chromium send ``Origin: null``, which the pages refuse as cross-site);
- ``Content-Security-Policy``: the pages' policy (this site's scripts and styles only, no inline
  script), Swagger UI's at ``/docs`` (its inline styles allowed, no inline script), and for
  everything else (JSON, files) a policy that allows nothing;
- ``Cache-Control: no-store`` on everything but the static files (which revalidate);
- ``Strict-Transport-Security`` when ``hsts_seconds`` is set (deployments behind HTTPS only).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: The pages' policy: this site's files only. SVG and photos may be data: or blob: for previews.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
#: Swagger UI (``/docs``): its script and style from this site (no inline script: the page's
#: set-up is a file too); it sets inline styles on its own elements, which is allowed.
DOCS_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
#: JSON, calendars, PDFs and photos: nothing in them may run or load anything.
DATA_POLICY = "default-src 'none'; frame-ancestors 'none'; sandbox"

#: Paths whose answers are files that may be kept and revalidated.
STATIC_PREFIXES = ("/static/", "/docs/static/")
#: Paths answered with JSON or other data rather than pages.
DATA_PREFIXES = ("/api/", "/openapi.json")


def policy_for(path: str) -> bytes:
    """The Content-Security-Policy for an answer at ``path``."""
    if path == "/docs" or path.startswith("/docs/"):
        return DOCS_POLICY.encode("ascii")
    if path.startswith(DATA_PREFIXES):
        return DATA_POLICY.encode("ascii")
    return PAGE_POLICY.encode("ascii")


def _always(hsts_seconds: int) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
    ]
    if hsts_seconds > 0:
        headers.append((b"strict-transport-security", f"max-age={hsts_seconds}".encode("ascii")))
    return headers


class SecurityHeaders:
    """ASGI middleware: the headers above, each once, on every HTTP answer (errors included)."""

    def __init__(self, app: ASGIApp, *, hsts_seconds: int = 0) -> None:
        self.app = app
        self.always = _always(hsts_seconds)
        self.names = {name for name, _ in self.always}

    def headers(self, path: str, present: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        """``present`` (an answer's own headers) with the security headers added, each once:
        an answer's own ``Cache-Control`` or CSP is kept; the fixed ones replace any copy."""
        names = {name.lower() for name, _ in present}
        kept = [(name, value) for name, value in present if name.lower() not in self.names]
        kept.extend(self.always)
        if b"content-security-policy" not in names:
            kept.append((b"content-security-policy", policy_for(path)))
        if b"cache-control" not in names:
            static = path.startswith(STATIC_PREFIXES)
            kept.append((b"cache-control", b"no-cache" if static else b"no-store"))
        return kept

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self.headers(path, list(message.get("headers", ())))
            await send(message)

        await self.app(scope, receive, with_headers)
