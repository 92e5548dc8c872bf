"""The owner's admin pages: staff and roles, the audit log."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect
from tests.browser.browser_helpers import OWNER, LiveApp, sign_in


def test_the_owner_invites_a_staff_member_and_reads_the_audit_log(
    page: Page, live_app: LiveApp, shot: Callable[[str], Path]
) -> None:
    sign_in(page, live_app, OWNER)
    page.get_by_role("link", name="Admin").click()
    expect(page.get_by_role("heading", name="Staff", exact=True)).to_be_visible()
    page.get_by_label("Name").fill("Nadia Newcomer")
    page.get_by_label("E-mail address").fill("nadia@demo.example")
    page.get_by_label("Front desk").check()
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_text("Invitation sent to nadia@demo.example")).to_be_visible()
    shot("staff")
    page.get_by_role("link", name="Price list").click()
    expect(page.get_by_label("A medium area, per session")).to_have_value("220.00")
    page.get_by_role("link", name="Audit log").click()
    page.get_by_role("button", name="Verify the chain").click()
    expect(
        page.get_by_role("status").filter(has_text="The clinic's audit chain is intact")
    ).to_be_visible()
    shot("audit")
