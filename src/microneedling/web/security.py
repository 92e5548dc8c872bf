"""Request limits for every page.

- Unsafe requests (POST…) whose ``Origin`` names another site are refused before any code runs
  (the CSRF token is checked too, per form: ``web.forms``). ``Origin: null`` (a page that sent no
  referrer, a sandboxed frame, a file) is another site.
- Request bodies are limited: a photo upload to the photo limit, anything else to
  ``max_form_bytes``; a larger ``Content-Length`` is refused at once, and a body without one is
  counted as it arrives.

The response headers (CSP, framing, referrers, caching) are added in one place for the whole
product: :mod:`microneedling.security_headers`.
"""

from __future__ import annotations

import re
from html import escape

from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_UPLOAD = re.compile(r"^(/patients/\d+/photos|/my/reactions/new)$")


class BodyTooLarge(Exception):
    """A request body over its limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(too_large_message(limit))
        self.limit = limit


def too_large_message(limit: int) -> str:
    """What a person is told when what they sent is over ``limit`` bytes."""
    megabytes = limit / 1_000_000
    size = f"{megabytes:,.0f} MB" if megabytes >= 1 else f"{limit / 1000:,.0f} KB"
    return (
        f"What you sent is larger than this form accepts ({size}). Nothing was saved: go back "
        "and send something smaller (for a photo, a smaller or more compressed file)."
    )


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def refusal_page(title: str, message: str) -> str:
    """A page for a request refused before any page code runs (no session, no template)."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{escape(title)}</title><link rel="stylesheet" href="/static/css/app.css">'
        f'</head><body><main class="page"><h1>{escape(title)}</h1><p>{escape(message)}</p>'
        '<p>Use your browser\'s Back button, or <a href="/">go to Today</a>.</p>'
        "</main></body></html>"
    )


async def _refuse(send: Send, status: int, title: str, message: str) -> None:
    body = refusal_page(title, message).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/html; charset=utf-8"),
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
            await _refuse(
                send,
                403,
                "This form came from another site",
                "The form was not sent from this application's own page, so it was not "
                "accepted. Open the page again here and send it from there.",
            )
            return
        limit = self.max_upload_bytes if _UPLOAD.match(scope["path"]) else self.max_form_bytes
        length = _header(scope, b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _refuse(send, 413, "Too large", too_large_message(limit))
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

        await self.app(scope, counted, send)
