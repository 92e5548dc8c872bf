"""Client addresses cannot be forged (issue 14, item 5), with the real ``microneedling serve`` and
``microneedling web`` processes, on SQLite and PostgreSQL.

uvicorn believes ``X-Forwarded-For`` from 127.0.0.1 unless told otherwise, so before the fix 25
failed sign-ins from this machine, each naming another address, never reached the per-address
lock (20) and the audit recorded the made-up addresses. Now forwarded headers are believed only
from the proxies named in ``MICRONEEDLING_TRUSTED_PROXIES`` (none by default).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from tests.integration.conftest import PostgresDatabases, SqliteDatabases, databases_for

from microneedling.services import clinics
from microneedling.store import Database, UnitOfWork
from microneedling.store.models import AuditEntry

PASSWORD = "quartz mango ferry lighthouse"
ATTEMPTS = 25
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def databases(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SqliteDatabases | PostgresDatabases]:
    yield from databases_for(request.param, tmp_path_factory, "addresses")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _database(databases: SqliteDatabases | PostgresDatabases) -> str:
    url = databases.migrated_url()
    database = Database(url)
    try:
        clinics.create_clinic(
            UnitOfWork(database),
            slug="addresses",
            name="Addresses Clinic",
            time_zone="Europe/Amsterdam",
            owner={"email": "owner@addresses.example", "display_name": "Owner",
                   "role": "owner", "password": PASSWORD},
        )  # fmt: skip
    finally:
        database.dispose()
    return url


class Server:
    def __init__(self, command: str, url: str, folder: Path, trusted: str | None) -> None:
        self.url = url
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "MICRONEEDLING_DATABASE_URL": url,
            "MICRONEEDLING_PHOTO_DIR": str(folder / "photos"),
        }
        env.pop("MICRONEEDLING_TRUSTED_PROXIES", None)
        env.pop("FORWARDED_ALLOW_IPS", None)
        if trusted is not None:
            env["MICRONEEDLING_TRUSTED_PROXIES"] = trusted
        extra = ["--no-demo"] if command == "web" else []
        self.log = folder / f"{command}.log"
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(
                [str(Path(sys.executable).with_name("microneedling")), command, "--host",
                 "127.0.0.1", "--port", str(self.port), *extra],
                env=env, cwd=folder, stdout=output, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"{command} exited: {self.log.read_text(errors='replace')}")
            try:
                httpx.get(self.base + ("/sign-in" if command == "web" else "/openapi.json"))
                return
            except httpx.TransportError:
                time.sleep(0.2)
        pytest.fail(f"{command} did not answer: {self.log.read_text(errors='replace')}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _api_attempt(server: Server, number: int) -> int:
    response = httpx.post(
        f"{server.base}/api/v1/auth/token",
        data={"username": f"nobody-{number}@addresses.example", "password": "guess"},
        headers={"X-Forwarded-For": f"203.0.113.{number + 1}"},
    )
    return response.status_code


def _web_attempt(server: Server, number: int) -> int:
    with httpx.Client(base_url=server.base) as browser:
        page = browser.get("/sign-in")
        found = CSRF.search(page.text)
        assert found, page.text[:500]
        response = browser.post(
            "/sign-in",
            data={"csrf_token": found.group(1), "email": f"nobody-{number}@addresses.example",
                  "password": "guess", "next": "/"},
            headers={"X-Forwarded-For": f"203.0.113.{number + 1}"},
        )  # fmt: skip
        return response.status_code


def _audited_clients(url: str) -> list[str]:
    database = Database(url)
    try:
        with database.sessions() as session:
            details = session.execute(
                select(AuditEntry.details)
                .where(AuditEntry.action == "account.sign_in_refused")
                .order_by(AuditEntry.sequence)
            ).scalars()
            return [json.loads(text)["client"] for text in details]
    finally:
        database.dispose()


@pytest.mark.parametrize("command", ["serve", "web"])
def test_forged_forwarded_addresses_from_an_untrusted_client_are_ignored(
    databases: SqliteDatabases | PostgresDatabases, tmp_path: Path, command: str
) -> None:
    url = _database(databases)
    server = Server(command, url, tmp_path, trusted=None)
    attempt = _api_attempt if command == "serve" else _web_attempt
    try:
        statuses = [attempt(server, number) for number in range(ATTEMPTS)]
    finally:
        server.stop()
    refused = 401 if command == "serve" else 422
    # The per-address lock (20 failures) counts this machine's real address, whatever the header.
    assert statuses[:20] == [refused] * 20
    assert statuses[20:] == [429] * (ATTEMPTS - 20)
    assert set(_audited_clients(url)) == {"127.0.0.1"}


@pytest.mark.parametrize("command", ["serve", "web"])
def test_forwarded_addresses_from_a_trusted_proxy_are_used(
    databases: SqliteDatabases | PostgresDatabases, tmp_path: Path, command: str
) -> None:
    url = _database(databases)
    server = Server(command, url, tmp_path, trusted="127.0.0.1/32")
    attempt = _api_attempt if command == "serve" else _web_attempt
    try:
        statuses = [attempt(server, number) for number in range(ATTEMPTS)]
    finally:
        server.stop()
    refused = 401 if command == "serve" else 422
    assert statuses == [refused] * ATTEMPTS  # each "address" failed once
    assert _audited_clients(url) == [f"203.0.113.{n + 1}" for n in range(ATTEMPTS)]


def test_a_setting_that_names_no_address_is_refused_at_start(tmp_path: Path) -> None:
    env = {**os.environ, "MICRONEEDLING_TRUSTED_PROXIES": "10.0.0.1, everyone",
           "MICRONEEDLING_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}  # fmt: skip
    result = subprocess.run(
        [str(Path(sys.executable).with_name("microneedling")), "serve", "--port",
         str(_free_port())],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert "MICRONEEDLING_TRUSTED_PROXIES: 'everyone' is not an address or network" in (
        result.stdout + result.stderr
    )
