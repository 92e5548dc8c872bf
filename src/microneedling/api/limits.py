"""Refusing hostile requests before they reach a route, and headers on every answer.

An ASGI middleware reads the body once, up to a limit (413 beyond it; at once, without reading,
when ``Content-Length`` already says so), so a route never sees an oversized document. A JSON body
is refused (422) when it nests deeper than :data:`MAX_JSON_DEPTH`, uses the non-standard
constants ``NaN``/``Infinity`` (or a number too large for a float), or holds a NUL character or
a lone surrogate anywhere (neither can be stored as text). A NUL in the path, the query string or
a form body is refused the same way. Multipart bodies (photos) get their own, larger limit.

(The headers every answer carries are added by
:class:`~microneedling.security_headers.SecurityHeaders`, outside everything here, refusals from
here included.)
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from microneedling.api.errors import error_body

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Largest JSON (or form) body accepted, bytes.
MAX_BODY_BYTES = 1_000_000
#: Room for a multipart body's form fields and boundaries beside the photo itself.
MULTIPART_OVERHEAD = 64 * 1024
#: Deepest JSON nesting accepted (a real request needs about 5).
MAX_JSON_DEPTH = 32

_PERCENT_NUL = re.compile(rb"%00")
_SURROGATE = re.compile("[\ud800-\udfff]")


class Refused(ValueError):
    """A body the API refuses; the message says why."""


def json_depth(body: bytes) -> int:
    """The deepest nesting of ``[``/``{`` in a JSON text, ignoring brackets inside strings."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def _constant(name: str) -> Any:
    raise Refused(f"{name} is not a JSON number")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise Refused(f"the number {text[:20]} is too large")
    return value


_TOO_DEEP = f"JSON nested deeper than {MAX_JSON_DEPTH} levels"


def _check_document(document: Any, *, escapes: bool) -> None:
    """Refuse nesting deeper than :data:`MAX_JSON_DEPTH` in a parsed JSON document and, when its
    text has ``\\u`` escapes (the only way a NUL or a lone surrogate gets into valid JSON
    decoded from UTF-8), NUL characters and lone surrogates in any key or string."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            if depth > MAX_JSON_DEPTH:
                raise Refused(_TOO_DEEP)
            if escapes:
                for key in item:
                    _check_text(key)
            stack.extend((value, depth + 1) for value in item.values())
        elif isinstance(item, list):
            if depth > MAX_JSON_DEPTH:
                raise Refused(_TOO_DEEP)
            stack.extend((value, depth + 1) for value in item)
        elif escapes and isinstance(item, str):
            _check_text(item)


def _check_text(text: str) -> None:
    if "\x00" in text:
        raise Refused("text must not contain NUL characters")
    if _SURROGATE.search(text):
        raise Refused("text must not contain unpaired surrogates (invalid Unicode)")


def check_json(body: bytes) -> None:
    """Raise :class:`Refused` for a JSON body the API will not take (malformed JSON is left to
    the route, which names the problem)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused("the body is not UTF-8 text") from None
    try:
        document = json.loads(text, parse_constant=_constant, parse_float=_float)
    except Refused:
        raise
    except RecursionError:  # the parser's own limit, far deeper than ours
        raise Refused(_TOO_DEEP) from None
    except ValueError:
        if json_depth(body) > MAX_JSON_DEPTH:
            raise Refused(_TOO_DEEP) from None
        return
    escapes = "\\u" in text
    # Fewer brackets than the limit cannot nest deeper than it: most bodies need no walk at all.
    if escapes or text.count("[") + text.count("{") > MAX_JSON_DEPTH:
        _check_document(document, escapes=escapes)


class RequestLimits:
    """ASGI middleware: body size, JSON depth and contents, NULs."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int = MAX_BODY_BYTES,
        max_upload_bytes: int = 25_000_000,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes + MULTIPART_OVERHEAD

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        if "\x00" in scope.get("path", "") or _PERCENT_NUL.search(scope.get("query_string", b"")):
            await _refuse(send, 422, "invalid", "the address must not contain NUL")
            return
        if scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        content_type = headers.get("content-type", "").lower()
        multipart = content_type.startswith("multipart/")
        limit = self.max_upload_bytes if multipart else self.max_body_bytes
        too_large = f"the request body is larger than {limit:,} bytes"
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _refuse(send, 413, "too_large", too_large)
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = bool(message.get("more_body"))
            if len(body) > limit:
                await _refuse(send, 413, "too_large", too_large)
                return
        try:
            if content_type.startswith("application/json") and body:
                check_json(bytes(body))
            elif content_type.startswith("application/x-www-form-urlencoded") and (
                b"\x00" in body or _PERCENT_NUL.search(body)
            ):
                raise Refused("text must not contain NUL characters")
        except Refused as refused:
            await _refuse(send, 422, "invalid", str(refused))
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app(scope, replay, send)


async def _refuse(send: Send, status: int, code: str, message: str) -> None:
    payload = json.dumps(error_body(code, message), separators=(",", ":")).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode("ascii")),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
