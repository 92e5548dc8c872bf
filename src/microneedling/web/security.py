"""Request limits and response headers for every page.

- Unsafe requests (POST…) whose ``Origin`` names another site are refused before any code runs
  (the CSRF token is checked too, per form: ``web.forms``).
- Request bodies are limited: a photo upload to the photo limit, anything else to
  ``max_form_bytes``; a larger ``Content-Length`` is refused at once, and a body without one is
  counted as it arrives.
- Every response says: no framing, no MIME sniffing, same-origin referrers, a Content-Security-
  Policy that allows only this site's own scripts and styles (no inline script), and pages with
  patient data are not cached.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: The pages' policy: this site's files only. SVG and photos may be data: or blob: for previews.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
_UPLOAD = re.compile(r"^/patients/\d+/photos$")


class BodyTooLarge(Exception):
    """A request body over its limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the request is larger than {limit:,} bytes")
        self.limit = limit


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode("ascii")),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class SecurityMiddleware:
    def __init__(self, app: ASGIApp, *, max_form_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_form_bytes = max_form_bytes
        self.max_upload_bytes = max_upload_bytes

    def _origin_ok(self, scope: Scope) -> bool:
        origin = _header(scope, b"origin")
        if origin is None:  # not a browser, or an old one: the CSRF token still decides
            return True
        host = _header(scope, b"host")
        scheme = scope.get("scheme", "http")
        return host is not None and origin in (f"{scheme}://{host}", f"https://{host}")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method in UNSAFE and not self._origin_ok(scope):
            await _plain(send, 403, "refused: this form was sent from another site")
            return
        limit = self.max_upload_bytes if _UPLOAD.match(scope["path"]) else self.max_form_bytes
        length = _header(scope, b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _plain(send, 413, f"refused: larger than {limit:,} bytes")
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        static = scope["path"].startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {key.lower() for key, _ in headers}
                extra = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                ]
                if b"content-security-policy" not in present:
                    extra.append((b"content-security-policy", PAGE_POLICY.encode("ascii")))
                if not static and b"cache-control" not in present:
                    extra.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers + extra}
            await send(message)

        await self.app(scope, counted, with_headers)
