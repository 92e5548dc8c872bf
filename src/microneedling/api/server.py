"""How the API is served: uvicorn's options, in one place for ``microneedling serve`` and the
benchmark.

With ``--workers`` above 1, uvicorn opens the listening socket in the supervising process and
hands it to the workers, where Python no longer sees it as TCP (``proto`` 0); asyncio then leaves
``TCP_NODELAY`` off on every accepted connection, and an answer written as headers then body waits
for the client's delayed ACK: about 40 ms per request, whatever the application does.
:class:`NoDelayH11Protocol` (uvicorn's own HTTP/1.1 protocol) turns ``TCP_NODELAY`` on for each
connection itself, as asyncio does for a single worker.
"""

from __future__ import annotations

import contextlib
import socket
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

#: The app factory ``microneedling serve`` runs.
APP_FACTORY = "microneedling.api.app:create_app"


class NoDelayH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, with ``TCP_NODELAY`` set on every TCP connection it serves."""

    def connection_made(self, transport: Any) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):  # not a TCP socket after all
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


def uvicorn_options(*, workers: int = 1, log_level: str = "info") -> dict[str, Any]:
    """The options of ``uvicorn.run`` for the API factory (besides host and port).

    The access log stays off: a request line's query string can hold a patient's name.
    """
    return {
        "factory": True,
        "workers": workers,
        "http": NoDelayH11Protocol,
        "access_log": False,
        "server_header": False,
        "log_level": log_level,
    }
