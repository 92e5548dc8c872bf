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

Several workers, one port: uvicorn's own way shares one listening socket among the workers, and
the first worker to wake accepts a whole burst of connections (32 keep-alive connections all went
to one worker of two). :func:`serve` instead gives each worker a listening socket of its own on
the same address with ``SO_REUSEPORT`` (Linux, the BSDs, macOS), and the kernel spreads new
connections over them. Only processes of the same user can join such a group of sockets. Where
``SO_REUSEPORT`` is missing, uvicorn's shared socket is used.

With ``MICRONEEDLING_DEBUG_WORKER_HEADER=1`` every answer carries an ``X-Worker-Pid`` header
naming the worker process that made it (for tests and benchmarks; off in production).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Literal

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.supervisors.multiprocess import Multiprocess, Process

#: The app factory ``microneedling serve`` runs.
APP_FACTORY = "microneedling.api.server:create_served_app"
#: Set to 1, every answer names the worker process that made it (``X-Worker-Pid``).
WORKER_HEADER_VARIABLE = "MICRONEEDLING_DEBUG_WORKER_HEADER"

logger = logging.getLogger("uvicorn.error")

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
    Forwarded headers are believed only from ``MICRONEEDLING_TRUSTED_PROXIES``.
    """
    from microneedling.config import forwarded_options, settings

    return {
        **forwarded_options(settings()),
        "factory": True,
        "workers": workers,
        "http": PROTOCOLS[http],
        "loop": "auto",
        "access_log": False,
        "server_header": False,
        "log_level": log_level,
    }


def reuse_port_available() -> bool:
    """Whether each worker can listen on the same port with a socket of its own."""
    return hasattr(socket, "SO_REUSEPORT") and sys.platform != "win32"


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` with ``SO_REUSEPORT`` (not yet listening)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except BaseException:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class _OwnSocketProcess(Process):
    """A uvicorn worker that listens on a ``SO_REUSEPORT`` socket of its own."""

    def target(self, sockets: list[socket.socket] | None = None) -> None:  # pragma: no cover
        try:
            sock = reuse_port_socket(self.config.host, self.config.port)
        except OSError as error:
            logger.error("cannot listen on %s:%s: %s", self.config.host, self.config.port, error)
            sys.exit(STARTUP_FAILURE)
        super().target([sock])


class _OwnSocketsSupervisor(Multiprocess):
    """uvicorn's supervisor of workers, each worker with a listening socket of its own.

    It starts, watches and restarts them as uvicorn's does; a restart of all (SIGHUP) is not
    offered, since a new worker cannot take over an old one's socket.
    """

    def init_processes(self) -> None:
        for _ in range(self.processes_num):
            process = _OwnSocketProcess(self.config, [])
            process.start()
            self.processes.append(process)

    def keep_subprocess_alive(self) -> None:
        if self.should_exit.is_set():
            return
        for index, process in enumerate(self.processes):
            if process.is_alive(timeout=self.config.timeout_worker_healthcheck):
                continue
            process.kill()
            process.join()
            if process.exitcode == STARTUP_FAILURE:
                logger.error("Worker [%s] failed to start; stopping.", process.pid)
                self.should_exit.set()
                return
            if self.should_exit.is_set():
                return
            logger.info("Worker [%s] died; starting another", process.pid)
            replacement = _OwnSocketProcess(self.config, [])
            replacement.start()
            self.processes[index] = replacement

    def handle_hup(self) -> None:
        logger.info("Received SIGHUP: restarting workers is not offered; restart the server.")


def serve(
    app: str,
    *,
    host: str,
    port: int,
    workers: int = 1,
    http: Http = "httptools",
    log_level: str = "info",
) -> None:
    """Serve the app factory ``app`` as ``microneedling serve`` does: one process, or ``workers``
    processes each listening with a socket of its own where the system allows it."""
    options = uvicorn_options(workers=workers, http=http, log_level=log_level)
    if workers <= 1 or not reuse_port_available():
        uvicorn.run(app, host=host, port=port, **options)
        return
    config = uvicorn.Config(app, host=host, port=port, **options)
    _OwnSocketsSupervisor(config, sockets=[]).run()


ASGIApp = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
    Awaitable[None],
]


def create_served_app() -> Any:
    """The API as ``microneedling serve`` runs it (api/app.py's ``create_app``), naming its
    worker in each answer when ``MICRONEEDLING_DEBUG_WORKER_HEADER=1``."""
    from microneedling.api.app import create_app

    app = create_app()
    return with_worker_header(app) if os.environ.get(WORKER_HEADER_VARIABLE) == "1" else app


def with_worker_header(app: ASGIApp) -> ASGIApp:
    """``app`` with an ``X-Worker-Pid`` header on every answer (the debugging switch is on)."""
    pid = str(os.getpid()).encode()

    async def wrapped(
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Any]],
        send: Callable[[Any], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def named(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = {
                    **message,
                    "headers": [*message.get("headers", []), (b"x-worker-pid", pid)],
                }
            await send(message)

        await app(scope, receive, named)

    return wrapped
