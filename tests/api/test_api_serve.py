"""`microneedling serve` as a real process: it starts uvicorn on the configured database, signs
staff in and answers; on a database whose schema is not the newest it refuses to start."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from microneedling.services import clinics
from microneedling.store import Database, UnitOfWork
from microneedling.store.migrate import upgrade


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(url: str, photos: Path, port: int, *options: str) -> subprocess.Popen[str]:
    environment = {**os.environ, "MICRONEEDLING_DATABASE_URL": url,
                   "MICRONEEDLING_PHOTO_DIR": str(photos)}  # fmt: skip
    return subprocess.Popen(
        [
            str(Path(sys.executable).with_name("microneedling")),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            *options,
        ],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.fixture(params=["httptools", "h11"])
def server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """The API served with each of uvicorn's HTTP parsers (``--http``)."""
    url = f"sqlite:///{tmp_path / 'served.db'}"
    database = Database(url)
    upgrade(database)
    clinics.create_clinic(
        UnitOfWork(database), slug="served", name="Served Clinic", time_zone="Europe/Amsterdam",
        owner={"email": "owner@served.example", "display_name": "Owner", "role": "owner",
               "password": "served-password"},
    )  # fmt: skip
    database.dispose()
    port = free_port()
    process = serve(url, tmp_path / "photos", port, "--http", request.param)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"serve exited: {process.stdout.read() if process.stdout else ''}")
            try:
                httpx.get(f"{base}/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_the_served_api_signs_staff_in_and_answers(server: str) -> None:
    token = httpx.post(
        f"{server}/api/v1/auth/token",
        data={"username": "owner@served.example", "password": "served-password"},
    )
    assert token.status_code == 200, token.text
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    me = httpx.get(f"{server}/api/v1/auth/me", headers=headers)
    assert me.json()["clinic"]["slug"] == "served"
    created = httpx.post(
        f"{server}/api/v1/patients", headers=headers,
        json={"given_name": "Served", "family_name": "Patient", "birth_date": "1980-01-01",
              "fitzpatrick": 2},
    )  # fmt: skip
    assert created.status_code == 201
    assert created.headers["location"] == f"/api/v1/patients/{created.json()['id']}"
    assert httpx.get(f"{server}/api/v1/patients").status_code == 401
    assert "server" not in {name.lower() for name in created.headers}


def test_serve_refuses_a_database_that_is_not_migrated(tmp_path: Path) -> None:
    process = serve(f"sqlite:///{tmp_path / 'empty.db'}", tmp_path / "photos", free_port())
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 2
    assert "microneedling db upgrade" in output


def test_serve_refuses_an_unknown_http_parser(tmp_path: Path) -> None:
    process = serve(
        f"sqlite:///{tmp_path / 'any.db'}", tmp_path / "photos", free_port(), "--http", "spdy"
    )
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 2
    assert "Invalid value for '--http'" in output and "'spdy'" in output
