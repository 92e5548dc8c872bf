"""The product as the README starts it, for the browser and end-to-end tests (a pytest plugin,
loaded by tests/conftest.py).

- ``shipped_web``: ``microneedling web --demo --today 2026-12-08`` as a subprocess on a fresh
  SQLite file (one per test session): the same command, application and middleware a clinic
  runs, on a fixed day, so no test depends on the real date.
- ``chromium``: Debian's Chromium driven by Playwright (never a downloaded browser); tests that
  need it skip, saying why, where Chromium or Playwright is missing.
- ``open_tab``: a fresh browser tab at a given size; requests to other sites are refused and
  fail the test, as do errors in the page.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from microneedling.config import Settings
from microneedling.services.clock import Clock, running_from
from microneedling.services.demo_clinic import TIME_ZONE
from microneedling.services.maintenance import open_database
from microneedling.store import Database

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
#: The day the shipped process believes it is (a Tuesday; the demo is built for it).
TODAY = date(2026, 12, 8)
#: Its clock starts at 08:00 that morning (``microneedling web --today``) and runs on.
MORNING = datetime(2026, 12, 8, 8, 0, tzinfo=ZoneInfo(TIME_ZONE))
DESKTOP = {"width": 1280, "height": 800}
TABLET = {"width": 820, "height": 1180}

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

try:
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError:  # pragma: no cover - the dev dependencies include it
    sync_playwright = None  # type: ignore[assignment]


def why_no_browser() -> str | None:
    if sync_playwright is None:
        return "Playwright is not installed (pip install playwright; no browser download needed)"
    if CHROMIUM is None:
        return (
            "Chromium not found on PATH: install Debian's chromium (apt-get install chromium) "
            "to run the browser tests"
        )
    return None


def pytest_report_header(config: pytest.Config) -> str | None:
    reason = why_no_browser()
    return f"browser tests skipped: {reason}" if reason else None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (``--dist loadgroup``), the tests around one shipped server run on one
    worker, so each server (and its demo) is started once per run, not once per worker."""
    for item in items:
        if "shipped_web" in getattr(item, "fixturenames", ()):
            server = "browser" if "tests/browser/" in item.path.as_posix() else "e2e"
            item.add_marker(pytest.mark.xdist_group(f"shipped-web-{server}"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class ShippedWeb:
    """``microneedling web`` running in a subprocess."""

    url: str
    folder: Path
    settings: Settings
    process: subprocess.Popen[bytes]
    log: Path
    clock: Clock
    today: date = TODAY
    _database: Database | None = field(default=None, repr=False)

    @property
    def database(self) -> Database:
        """The same records, opened from the tests' own process (to prepare what a test is
        not about, and to check what the pages wrote)."""
        if self._database is None:
            self._database = open_database(self.settings)
        return self._database

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


#: The days whose demo this test process has had built into the run's demo cache.
_DEMOS_BUILT: set[date] = set()


def build_demo_once(folder: Path, today: date, *, timeout: float = 1800) -> None:
    """Have the demo that ``microneedling web --demo --today DAY`` loads built into this test
    run's demo cache (``MICRONEEDLING_CACHE_DIR``, tests/conftest.py) before a server starts, by
    the same program: ``microneedling demo --today DAY`` on a throwaway database. A server then
    loads a copy in about a second and answers within its start-up timeout however busy the
    machine, where a first build could take minutes. Once per test process and day; the cache
    builds it once per run (a second process waits for the first one's build)."""
    if today in _DEMOS_BUILT or os.environ.get("MICRONEEDLING_CACHE_DIR", "off") == "off":
        return
    work = folder / "demo-build"
    work.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "MICRONEEDLING_DATABASE_URL": f"sqlite:///{work / 'records.db'}",
        "MICRONEEDLING_PHOTO_DIR": str(work / "photos"),
    }
    command = Path(sys.executable).with_name("microneedling")
    try:
        done = subprocess.run(
            [str(command), "demo", "--today", today.isoformat(), "--json"],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(f"microneedling demo exited {done.returncode}:\n{done.stderr}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _DEMOS_BUILT.add(today)


def start_shipped_web(
    folder: Path, *, today: date = TODAY, timeout: float = 180, demo: bool = True
) -> ShippedWeb:
    """Start ``microneedling web --demo --today DAY`` on a fresh database in ``folder`` and wait
    until it answers (``demo=False``: without ``--demo``, a new installation's first run)."""
    folder.mkdir(parents=True, exist_ok=True)
    if demo:
        build_demo_once(folder, today)
    settings = Settings(
        database_url=f"sqlite:///{folder / 'microneedling.db'}", photo_dir=folder / "photos"
    )
    env = {
        **os.environ,
        "MICRONEEDLING_DATABASE_URL": settings.database_url,
        "MICRONEEDLING_PHOTO_DIR": str(settings.photo_dir),
    }
    env.pop("MICRONEEDLING_WEB_SECRET_KEY", None)
    port = free_port()
    command = Path(sys.executable).with_name("microneedling")
    log = folder / "web.log"
    demo_flag = ["--demo"] if demo else []
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(command), "web", *demo_flag, "--today", today.isoformat(), "--port", str(port)],
            cwd=folder,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    # What the tests prepare is dated a minute behind the server's clock (which starts when the
    # command does, a moment after this), so it is always in the server's past.
    clock = running_from(datetime.combine(today, MORNING.timetz()) - timedelta(minutes=1))
    url = f"http://127.0.0.1:{port}"
    shipped = ShippedWeb(url, folder, settings, process, log, clock, today)
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(
                f"microneedling web exited ({process.returncode}):\n{shipped.output()}"
            )
        try:
            if httpx.get(f"{url}/sign-in", timeout=2).status_code in (200, 303):
                return shipped
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(
                f"microneedling web did not answer in {timeout} s:\n{shipped.output()}"
            )
        time.sleep(0.25)


def stop_shipped_web(shipped: ShippedWeb) -> None:
    shipped.process.terminate()
    try:
        shipped.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        shipped.process.kill()
        shipped.process.wait(timeout=5)
    if shipped._database is not None:
        shipped._database.dispose()


def serve_shipped_web(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[ShippedWeb]:
    """Start the shipped process for a test session, stop it after, and fail if it logged an
    error meanwhile."""
    reason = why_no_browser()
    if reason:
        pytest.skip(reason)
    shipped = start_shipped_web(tmp_path_factory.mktemp(name))
    try:
        yield shipped
    finally:
        stop_shipped_web(shipped)
        problems = [
            line for line in shipped.output().splitlines() if re.search(r"Traceback|ERROR", line)
        ]
        assert problems == [], "the server logged errors:\n" + shipped.output()[-5000:]


@pytest.fixture(scope="session")
def shipped_web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShippedWeb]:
    yield from serve_shipped_web(tmp_path_factory, "shipped-web")


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    reason = why_no_browser()
    if reason:
        pytest.skip(reason)
    assert sync_playwright is not None and CHROMIUM is not None
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


def screenshot_name(node: Any) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", node.name).strip("_")


class Tabs:
    """Opens browser tabs on the shipped application and checks them when the test ends."""

    def __init__(self, browser: Browser, url: str) -> None:
        self.browser = browser
        self.url = url
        self.contexts: list[Any] = []
        self.elsewhere: list[str] = []
        self.failures: list[str] = []

    def open(self, viewport: dict[str, int] | None = None) -> Page:
        context = self.browser.new_context(
            viewport=viewport or DESKTOP,
            locale="en-GB",
            timezone_id=TIME_ZONE,
            accept_downloads=True,
        )

        def only_this_site(route: Any) -> None:
            if route.request.url.startswith(self.url):
                route.continue_()
            else:
                self.elsewhere.append(route.request.url)
                route.abort()

        context.route("**/*", only_this_site)
        tab = context.new_page()
        tab.set_default_timeout(15_000)
        tab.on("pageerror", lambda error: self.failures.append(str(error)))
        tab.on(
            "console",
            lambda message: (
                self.failures.append(message.text)
                if message.type == "error" and "Failed to load resource" not in message.text
                else None
            ),
        )
        self.contexts.append(context)
        return tab

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def open_tab(
    chromium: Browser, shipped_web: ShippedWeb, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Page]]:
    tabs = Tabs(chromium, shipped_web.url)
    yield tabs.open
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for number, context in enumerate(tabs.contexts):
        for page in context.pages:
            suffix = f"-{number}" if number else ""
            page.screenshot(
                path=str(SCREENSHOTS / f"{screenshot_name(request.node)}{suffix}.png"),
                full_page=True,
            )
    tabs.close()
    assert tabs.elsewhere == [], f"the pages asked for other sites: {tabs.elsewhere}"
    assert tabs.failures == [], f"errors in the page: {tabs.failures}"


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable[[Page, str], Path]:
    """Save a screenshot of a step: ``shot(page, "deferred")`` → ``<test>-deferred.png``."""

    def save(page: Page, step: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{screenshot_name(request.node)}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
