"""`microneedling serve --workers 2` spreads connections over its workers: a burst of 32
keep-alive connections (as a load generator or a proxy opens them) is served by both, each
connection staying with its worker. Before, uvicorn's workers shared one listening socket and the
first to wake accepted all 32."""

from __future__ import annotations

import http.client
import os
import select
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.api.test_api_serve import free_port

from microneedling.api.server import WORKER_HEADER_VARIABLE, reuse_port_available
from microneedling.store import Database
from microneedling.store.migrate import upgrade

pytestmark = pytest.mark.skipif(
    not reuse_port_available(), reason="SO_REUSEPORT is not offered by this system"
)


def pid_of(connection: http.client.HTTPConnection) -> str:
    connection.request("GET", "/openapi.json")
    response = connection.getresponse()
    response.read()
    assert response.status == 200
    pid = response.getheader("X-Worker-Pid")
    assert pid is not None, "the debugging header is missing"
    return pid


def served(tmp_path: Path, workers: int, *, header: bool = True) -> subprocess.Popen[str]:
    url = f"sqlite:///{tmp_path / 'served.db'}"
    database = Database(url)
    upgrade(database)
    database.dispose()
    environment = {
        **os.environ,
        "MICRONEEDLING_DATABASE_URL": url,
        "MICRONEEDLING_PHOTO_DIR": str(tmp_path / "photos"),
    }
    if header:
        environment[WORKER_HEADER_VARIABLE] = "1"
    else:
        environment.pop(WORKER_HEADER_VARIABLE, None)
    port = free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("microneedling")), "serve", "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(workers)],
        env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    process.port = port  # type: ignore[attr-defined]
    return process


def stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def ready_workers(process: subprocess.Popen[str], count: int) -> set[str]:
    """Fresh connections one at a time until ``count`` workers have answered (each worker starts
    on its own and is ready at its own moment)."""
    seen: set[str] = set()
    deadline = time.monotonic() + 60
    while len(seen) < count:
        if process.poll() is not None:
            pytest.fail(f"serve exited: {process.stdout.read() if process.stdout else ''}")
        if time.monotonic() > deadline:
            pytest.fail(f"only {len(seen)} of {count} workers answered")
        connection = http.client.HTTPConnection("127.0.0.1", process.port, timeout=5)  # type: ignore[attr-defined]
        try:
            seen.add(pid_of(connection))
        except (OSError, http.client.HTTPException):
            time.sleep(0.2)
        finally:
            connection.close()
    return seen


def burst(port: int, count: int) -> list[http.client.HTTPConnection]:
    """``count`` connections opened at once, as wrk or a proxy opens them: every handshake is
    started before any is waited for, so they queue together before a worker wakes."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    for sock in sockets:
        sock.setblocking(False)
        sock.connect_ex(("127.0.0.1", port))
    pending = list(sockets)
    deadline = time.monotonic() + 10
    while pending and time.monotonic() < deadline:
        _, writable, _ = select.select([], pending, [], 1)
        pending = [sock for sock in pending if sock not in writable]
    assert not pending, "connections not established"
    connections = []
    for sock in sockets:
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
        sock.setblocking(True)
        sock.settimeout(10)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.sock = sock
        connections.append(connection)
    return connections


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    process = served(tmp_path, 2)
    try:
        yield process
    finally:
        stop(process)


def test_a_burst_of_32_keep_alive_connections_is_served_by_both_workers(
    two_workers: subprocess.Popen[str],
) -> None:
    workers = ready_workers(two_workers, 2)
    connections = burst(two_workers.port, 32)  # type: ignore[attr-defined]
    try:
        first = [pid_of(connection) for connection in connections]
        again = [pid_of(connection) for connection in connections]
    finally:
        for connection in connections:
            connection.close()
    assert set(first) == workers
    shares = Counter(first)
    # The kernel hashes each connection to a worker: an even split is likeliest, and fewer than
    # 4 of 32 on one side has a chance of about one in a million.
    assert min(shares.values()) >= 4, shares
    assert again == first, "a keep-alive connection stays with the worker that accepted it"


def test_without_the_debugging_switch_no_answer_names_its_worker(tmp_path: Path) -> None:
    process = served(tmp_path, 2, header=False)
    try:
        deadline = time.monotonic() + 60
        while True:
            connection = http.client.HTTPConnection("127.0.0.1", process.port, timeout=5)  # type: ignore[attr-defined]
            try:
                connection.request("GET", "/openapi.json")
                response = connection.getresponse()
                response.read()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail("serve did not answer")
                time.sleep(0.2)
            finally:
                connection.close()
        assert response.status == 200
        assert response.getheader("X-Worker-Pid") is None
    finally:
        stop(process)


def test_a_port_already_taken_stops_the_workers_with_a_message(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        url = f"sqlite:///{tmp_path / 'served.db'}"
        database = Database(url)
        upgrade(database)
        database.dispose()
        result = subprocess.run(
            [str(Path(sys.executable).with_name("microneedling")), "serve", "--host", "127.0.0.1",
             "--port", str(port), "--workers", "2"],
            env={**os.environ, "MICRONEEDLING_DATABASE_URL": url},
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    assert result.returncode != 0
    assert str(port) in result.stdout + result.stderr
