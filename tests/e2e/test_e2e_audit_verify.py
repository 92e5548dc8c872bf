"""An owner verifies their clinic's audit chain in Chromium, on ``microneedling web`` started with
an audit key (MICRONEEDLING_AUDIT_KEY in its environment, as a real installation sets it): intact
and authenticated; then someone with write access to the database edits an entry and re-hashes
the chain onward (triggers dropped), and the same button names the first entry that fails.

Screenshots: ``artifacts/screenshots/test_an_owner_verifies_*.png``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select, update
from tests.integration.test_audit_log import drop_triggers
from tests.integration.test_audit_tamper import KEY, rehash
from tests.shipped_web import DESKTOP, ShippedWeb, Tabs, start_shipped_web, stop_shipped_web

from microneedling.store.models import AuditEntry, Clinic

PASSWORD = "microneedling-demo"
OWNER = "owner@demo.example"


@pytest.fixture(scope="module")
def keyed_web(tmp_path_factory: pytest.TempPathFactory, chromium: Browser) -> Iterator[ShippedWeb]:
    """``microneedling web --demo`` with an audit key (the demo itself is loaded before the key
    authenticates anything new: its entries are checked against their hashes)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MICRONEEDLING_AUDIT_KEY", KEY)
        shipped = start_shipped_web(tmp_path_factory.mktemp("keyed-web"))
    try:
        yield shipped
    finally:
        stop_shipped_web(shipped)
        assert not re.search(r"Traceback|ERROR", shipped.output()), shipped.output()[-3000:]


@pytest.fixture
def tab(chromium: Browser, keyed_web: ShippedWeb) -> Iterator[Page]:
    tabs = Tabs(chromium, keyed_web.url)
    yield tabs.open(DESKTOP)
    tabs.close()
    assert tabs.elsewhere == [] and tabs.failures == []


def open_audit_log(page: Page, web: ShippedWeb) -> None:
    page.goto(web.url + "/")
    page.get_by_label("E-mail address").fill(OWNER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
    page.get_by_role("link", name="Admin").click()
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()


def test_an_owner_verifies_their_clinics_chain(
    tab: Page, keyed_web: ShippedWeb, shot: Callable[[Page, str], Path]
) -> None:
    open_audit_log(tab, keyed_web)
    tab.get_by_role("button", name="Verify the chain").click()
    report = tab.get_by_role("status").filter(has_text="audit chain")
    expect(report).to_contain_text("The clinic's audit chain is intact")
    # The demo was written before the key; the owner's own sign-in and check are authenticated.
    expect(report).to_contain_text("without the audit key; they are checked against their hashes")
    expect(report).not_to_contain_text("Second Street")
    shot(tab, "intact")

    # Someone with write access to the database edits one of the clinic's entries and re-hashes
    # every entry after it, moving the heads: the hash chain alone would look intact.
    database = keyed_web.database
    with database.engine.connect() as connection:
        clinic_id = connection.execute(select(Clinic.id).where(Clinic.slug == "demo")).scalar_one()
        # The page numbers entries by their place in the clinic's own chain.
        target, place = connection.execute(
            select(AuditEntry.sequence, AuditEntry.clinic_sequence)
            .where(AuditEntry.clinic_id == clinic_id, AuditEntry.hmac.is_not(None))
            .order_by(AuditEntry.sequence)
            .limit(1)
        ).one()
    drop_triggers(database)
    with database.engine.begin() as connection:
        connection.execute(
            update(AuditEntry).where(AuditEntry.sequence == target).values(actor_role="front_desk")
        )
        rehash(connection, target)

    tab.get_by_role("button", name="Verify the chain").click()
    report = tab.get_by_role("status").filter(has_text="audit chain")
    expect(report).to_contain_text("The clinic's audit chain is broken.")
    expect(report).to_contain_text(f"The first entry that fails is entry {place}.")
    expect(report).to_contain_text(
        re.compile(rf"entries {place}–\d+: authentication does not match")
    )
    shot(tab, "tampered")
