"""Browser tests: Debian's Chromium, driven by Playwright, against the web application running
on localhost on a fresh SQLite database with the demo clinic.

Skipped, with the reason, where Chromium or Playwright is missing. Every request the pages make
must go to the application itself: anything else fails the test (the app works offline). Each test
saves screenshots to ``artifacts/screenshots/<test>[-<step>].png``.
"""

from __future__ import annotations

import re
import secrets
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from tests.browser.browser_helpers import OWNER, SCREENSHOTS, LiveApp

from microneedling.config import Settings
from microneedling.services import inventory
from microneedling.services.demo_clinic import TIME_ZONE, build_demo_clinic
from microneedling.services.maintenance import open_database, unit_of_work, upgrade_database
from microneedling.web import create_web_app
from microneedling.web.settings import WebSettings

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Patients in the browser tests' demo clinic (fewer than the real demo: quicker to build).
DEMO_PATIENTS = 30

try:
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError:  # pragma: no cover - the dev dependencies include it
    sync_playwright = None  # type: ignore[assignment]


def _why_skipped() -> str | None:
    if sync_playwright is None:
        return "Playwright is not installed (pip install playwright; no browser download needed)"
    if CHROMIUM is None:
        return (
            "Chromium not found on PATH: install Debian's chromium (apt-get install chromium) "
            "to run the browser tests"
        )
    return None


if sync_playwright is None:
    # The test modules import Playwright: without it they are not even collected.
    collect_ignore_glob = ["test_browser_*.py"]


def pytest_report_header(config: pytest.Config) -> str | None:
    reason = _why_skipped()
    return f"browser tests skipped: {reason}" if reason else None


@pytest.fixture(autouse=True, scope="session")
def _chromium_present() -> None:
    reason = _why_skipped()
    if reason:
        pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    import uvicorn

    folder: Path = tmp_path_factory.mktemp("browser")
    settings = Settings(
        database_url=f"sqlite:///{folder / 'records.db'}", photo_dir=folder / "photos"
    )
    database = open_database(settings)
    upgrade_database(database)
    today = datetime.now(ZoneInfo(TIME_ZONE)).date()
    build_demo_clinic(unit_of_work(database, settings), today=today, patient_count=DEMO_PATIENTS)
    owner = LiveApp("", database, settings, "", "").actor(OWNER)
    lots = inventory.list_lots(unit_of_work(database, settings), owner)
    expired = next(
        lot for lot in lots if lot["expires_on"] < today.isoformat() and not lot["recalled_at"]
    )
    good = next(
        lot for lot in lots if lot["expires_on"] > today.isoformat() and not lot["recalled_at"]
    )
    app = create_web_app(
        settings,
        web_settings=WebSettings(secret_key=secrets.token_urlsafe(40)),
        database=database,
    )
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the web application did not start")
        time.sleep(0.05)
    yield LiveApp(
        f"http://127.0.0.1:{port}", database, settings, expired["lot_number"], good["lot_number"]
    )
    server.should_exit = True
    thread.join(timeout=10)
    database.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    assert sync_playwright is not None and CHROMIUM is not None
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


def _name(node: Any) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", node.name).strip("_")


@pytest.fixture
def page(browser: Browser, live_app: LiveApp, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser tab at tablet width (1024 px); requests off this site are refused."""
    context = browser.new_context(
        viewport={"width": 1024, "height": 768}, locale="en-GB", timezone_id=TIME_ZONE
    )
    elsewhere: list[str] = []

    def only_this_site(route: Any) -> None:
        if route.request.url.startswith(live_app.url):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", only_this_site)
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    failures: list[str] = []
    tab.on("pageerror", lambda error: failures.append(str(error)))
    tab.on(
        "console",
        lambda message: (
            failures.append(message.text)
            if message.type == "error" and "Failed to load resource" not in message.text
            else None
        ),
    )
    yield tab
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / f"{_name(request.node)}.png"), full_page=True)
    context.close()
    assert elsewhere == [], f"the pages asked for other sites: {elsewhere}"
    assert failures == [], f"errors in the page: {failures}"


@pytest.fixture
def shot(page: Page, request: pytest.FixtureRequest) -> Callable[[str], Path]:
    """Save a screenshot of a step: ``shot("deferred")`` → ``<test>-deferred.png``."""

    def save(step: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{_name(request.node)}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
