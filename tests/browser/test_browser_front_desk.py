"""Front desk signs in and is refused charting: no link to it, and the page itself says no."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect
from tests.browser.browser_helpers import FRONT_DESK, LiveApp, sign_in


def test_front_desk_is_refused_charting(
    page: Page, live_app: LiveApp, shot: Callable[[str], Path]
) -> None:
    ids = live_app.patient("Dora", "Desk", screened=True, consent=True, booked_now=True)
    sign_in(page, live_app, FRONT_DESK)
    expect(page.get_by_role("link", name="Inventory")).to_have_count(0)
    expect(page.get_by_role("link", name="Admin")).to_have_count(0)
    page.goto(f"{live_app.url}/patients/{ids['patient']}")
    expect(page.get_by_role("link", name="Chart this session")).to_have_count(0)
    expect(page.get_by_role("button", name="Check in")).to_be_visible()
    shot("record")
    response = page.goto(f"{live_app.url}/appointments/{ids['appointment']}/chart")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed for your role")
    expect(page.locator("main")).to_contain_text("cannot chart sessions")
    expect(page.locator("main")).not_to_contain_text("chart.create")
    shot("refused")
