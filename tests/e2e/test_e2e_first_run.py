"""A new installation (issue 14, item 1): ``microneedling web`` loads the demo only with
``--demo`` and otherwise opens on the first-run setup; ``python3 dev.py start`` keeps the demo
(the README's embedded default); an installation holding the demo says so on every page."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.shipped_web import ROOT, ShippedWeb, free_port, start_shipped_web, stop_shipped_web

from microneedling.services import clinics
from microneedling.services.demo_clinic import DEFAULT_PASSWORD
from microneedling.services.maintenance import unit_of_work


def test_web_without_demo_opens_on_the_setup_and_loads_no_demo(tmp_path: Path) -> None:
    shipped = start_shipped_web(tmp_path / "fresh", demo=False)
    try:
        answer = httpx.get(f"{shipped.url}/sign-in", follow_redirects=True, timeout=10)
        assert answer.url.path == "/setup"
        assert "Set up the clinic" in answer.text
        assert "Demo installation" not in answer.text
        state = clinics.installation(unit_of_work(shipped.database, shipped.settings))
        assert state == {"clinics": False, "demo": False}
        assert "No clinic yet" in shipped.output()
        assert "Demo sign-ins" not in shipped.output()
        assert "microneedling-demo" not in shipped.output()
    finally:
        stop_shipped_web(shipped)


def test_every_page_of_a_demo_installation_says_so(shipped_web: ShippedWeb) -> None:
    for path in ("/sign-in", "/no-such-page"):
        page = httpx.get(f"{shipped_web.url}{path}", timeout=10)
        assert "Demo installation" in page.text, path
        assert "published" in page.text
    assert "holds the demo clinics" in shipped_web.output()


def load_dev() -> Any:
    spec = importlib.util.spec_from_file_location("dev_script", ROOT / "dev.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("given", "runs"),
    [
        ([], ["web", "--demo"]),
        (["--port", "9000"], ["web", "--demo", "--port", "9000"]),
        (["--no-demo"], ["web", "--no-demo"]),
        (["--demo", "--today", "2026-12-08"], ["web", "--demo", "--today", "2026-12-08"]),
    ],
)
def test_dev_start_keeps_the_demo_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch, given: list[str], runs: list[str]
) -> None:
    dev = load_dev()
    ran: list[list[str]] = []
    monkeypatch.setattr(dev, "_run", lambda *args, check: ran.append([str(a) for a in args]) or 0)
    assert dev.start(given) == 0
    assert ran[0][0].endswith("microneedling") and ran[0][1:] == runs


def test_serve_without_demo_refuses_an_empty_database_and_loads_nothing(tmp_path: Path) -> None:
    database = tmp_path / "records.db"
    result = subprocess.run(
        [sys.executable, "-m", "microneedling", "serve", "--port", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "MICRONEEDLING_DATABASE_URL": f"sqlite:///{database}"},
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "demo clinics are loaded" not in result.stderr
    assert not database.exists()


def test_serve_with_demo_loads_the_demo_and_its_accounts_sign_in(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "MICRONEEDLING_DATABASE_URL": f"sqlite:///{tmp_path / 'records.db'}",
        "MICRONEEDLING_PHOTO_DIR": str(tmp_path / "photos"),
    }
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "microneedling", "serve", "--demo", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 180
        answer = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                answer = httpx.post(
                    f"http://127.0.0.1:{port}/api/v1/auth/token",
                    data={"username": "owner@demo.example", "password": DEFAULT_PASSWORD},
                    timeout=5,
                )
                break
            except httpx.TransportError:
                time.sleep(0.25)
        assert answer is not None, log.read_text()
        assert answer.status_code == 200, answer.text
        assert "published password" in log.read_text()
    finally:
        process.terminate()
        process.wait(timeout=15)
