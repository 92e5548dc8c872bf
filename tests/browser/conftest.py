"""Browser tests: Debian's Chromium, driven by Playwright, against the product exactly as the
README starts it — ``microneedling web --demo`` in a subprocess on a fresh SQLite database, on a
fixed day (``--today``; see tests/shipped_web.py).

Skipped, with the reason, where Chromium or Playwright is missing. Every request the pages make
must go to the application itself: anything else fails the test (the app works offline). Each test
saves screenshots to ``artifacts/screenshots/<test>[-<step>].png``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from tests.browser.browser_helpers import OWNER, LiveApp
from tests.shipped_web import (
    SCREENSHOTS,
    ShippedWeb,
    Tabs,
    screenshot_name,
    serve_shipped_web,
    why_no_browser,
)

from microneedling.services import inventory

try:
    from playwright.sync_api import Browser, Page
except ImportError:  # pragma: no cover - the dev dependencies include it
    # The test modules import Playwright: without it they are not even collected.
    collect_ignore_glob = ["test_browser_*.py"]


@pytest.fixture(autouse=True, scope="session")
def _chromium_present() -> None:
    reason = why_no_browser()
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="session")
def shipped_web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShippedWeb]:
    """The browser tests' own server: they book sessions for today, and the demo's day has room
    for only a few more, which the end-to-end suite's server keeps for itself."""
    yield from serve_shipped_web(tmp_path_factory, "shipped-web-browser")


@pytest.fixture(scope="session")
def live_app(shipped_web: ShippedWeb) -> LiveApp:
    app = LiveApp(
        shipped_web.url, shipped_web.database, shipped_web.settings, "", "", shipped_web.clock,
        shipped_web.today,
    )  # fmt: skip
    lots = inventory.list_lots(app.uow(), app.actor(OWNER))
    today = app.today.isoformat()
    expired = next(lot for lot in lots if lot["expires_on"] < today and not lot["recalled_at"])
    good = next(lot for lot in lots if lot["expires_on"] > today and not lot["recalled_at"])
    return replace(app, expired_lot=expired["lot_number"], good_lot=good["lot_number"])


@pytest.fixture
def page(chromium: Browser, live_app: LiveApp, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser tab at 1024 px; requests off this site are refused."""
    tabs = Tabs(chromium, live_app.url)
    tab = tabs.open({"width": 1024, "height": 768})
    yield tab
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / f"{screenshot_name(request.node)}.png"), full_page=True)
    tabs.close()
    assert tabs.elsewhere == [], f"the pages asked for other sites: {tabs.elsewhere}"
    assert tabs.failures == [], f"errors in the page: {tabs.failures}"


@pytest.fixture
def shot(page: Page, request: pytest.FixtureRequest) -> Callable[[str], Path]:
    """Save a screenshot of a step: ``shot("deferred")`` → ``<test>-deferred.png``."""

    def save(step: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{screenshot_name(request.node)}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
