"""How the API is served: uvicorn's options, in one place for ``microneedling serve`` and the
benchmark.

uvicorn runs with its C-based parts: ``httptools`` parses HTTP/1.1 and ``uvloop`` runs the event
loop (where it is installed: not on Windows; uvicorn's ``loop="auto"`` then takes asyncio's). With
``benchmarks/api.py`` on 2 cores they answered a bare endpoint 1.9 times as fast as uvicorn's
pure-Python h11 parser on asyncio's loop, and ``POST /screen`` 1.45 times as fast. ``http="h11"``
is still there (``microneedling serve --http h11``, ``benchmarks/api.py --http h11``).

With ``--workers`` above 1, uvicorn opens the listening socket in the supervising process and
hands it to the workers, where Python no longer sees it as TCP (``proto`` 0); asyncio then leaves
``TCP_NODELAY`` off on every accepted connection, and an answer written as headers then body waits
for the client's delayed ACK: about 40 ms per request, whatever the application does. The
protocol classes here turn ``TCP_NODELAY`` on for each connection themselves, as asyncio does
for a single worker.
"""

from __future__ import annotations

import contextlib
import socket
from typing import Any, Literal

from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

#: The app factory ``microneedling serve`` runs.
APP_FACTORY = "microneedling.api.app:create_app"

Http = Literal["httptools", "h11"]


def _no_delay(transport: Any) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        with contextlib.suppress(OSError):  # not a TCP socket after all
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class NoDelayHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with ``TCP_NODELAY`` set on every TCP connection."""

    def connection_made(self, transport: Any) -> None:
        _no_delay(transport)
        super().connection_made(transport)


class NoDelayH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, with ``TCP_NODELAY`` set on every TCP connection."""

    def connection_made(self, transport: Any) -> None:
        _no_delay(transport)
        super().connection_made(transport)


PROTOCOLS: dict[str, type[Any]] = {"httptools": NoDelayHttpToolsProtocol, "h11": NoDelayH11Protocol}


def uvicorn_options(
    *, workers: int = 1, log_level: str = "info", http: Http = "httptools"
) -> dict[str, Any]:
    """The options of ``uvicorn.run`` for the API factory (besides host and port).

    The access log stays off: a request line's query string can hold a patient's name.
    """
    return {
        "factory": True,
        "workers": workers,
        "http": PROTOCOLS[http],
        "loop": "auto",
        "access_log": False,
        "server_header": False,
        "log_level": log_level,
    }
