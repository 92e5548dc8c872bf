"""The pages at a tablet's width (820×1180, and 768 px), measured in Chromium on the shipped
process: nothing scrolls sideways, the header stays on one line, every control is at least
24×24 CSS pixels, the plan builder is one column, and the zone map's smallest zone can be tapped.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import text
from tests.shipped_web import TABLET, ShippedWeb

OWNER = "owner@demo.example"
PASSWORD = "microneedling-demo"

SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
HEADER = """() => {
  const bar = document.querySelector('.site-header .bar'), b = bar.getBoundingClientRect();
  const mid = b.top + b.height / 2;
  const links = [...document.querySelectorAll('.site-header nav a')].map(a => a.getBoundingClientRect());
  return {height: b.height,
    centred: [...bar.children].every(e => { const r = e.getBoundingClientRect();
      return Math.abs(r.top + r.height / 2 - mid) <= 4; }),
    linksVisible: links.every(r => r.right <= window.innerWidth && r.width > 0)};
}"""
SMALL_TARGETS = """() => [...document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=checkbox], [tabindex="0"]')]
  .filter(el => { const r = el.getBoundingClientRect(), cs = getComputedStyle(el);
    if (!r.width && !r.height) return false;
    if (cs.visibility === 'hidden') return false;
    if (el.closest('.sr-only') || el.matches('.skip-link')) return false;
    // WCAG 2.5.8's exception: a link inside a sentence is sized by its text.
    if (el.tagName === 'A' && cs.display === 'inline' && el.closest('p, li, td, dd, .hint, caption')) return false;
    return r.width < 24 || r.height < 24; })
  .map(el => el.tagName + '#' + (el.id || el.getAttribute('data-zone') || el.textContent.trim().slice(0, 20)))"""


def _patient_with_a_plan(web: ShippedWeb) -> int:
    with web.database.engine.connect() as connection:
        found = connection.execute(
            text("SELECT patient_id FROM treatment_plan ORDER BY id LIMIT 1")
        ).scalar_one()
    return int(found)


@pytest.mark.parametrize("width", [820, 768])
def test_the_pages_fit_a_tablet_with_the_header_on_one_line_and_targets_to_tap(
    open_tab: Callable[..., Page], shipped_web: ShippedWeb, width: int
) -> None:
    page = open_tab({"width": width, "height": TABLET["height"]})
    page.goto(shipped_web.url + "/sign-in")
    page.get_by_label("E-mail address").fill(OWNER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(shipped_web.url + "/")
    patient = _patient_with_a_plan(shipped_web)
    problems: dict[str, object] = {}
    for path in (
        "/",
        "/calendar",
        "/calendar?view=week",
        "/patients",
        f"/patients/{patient}",
        f"/patients/{patient}/plans/new",
        "/inventory",
        "/admin/audit",
        "/admin/calendar",
    ):
        page.goto(shipped_web.url + path)
        page.wait_for_load_state("networkidle")
        sideways = page.evaluate(SIDEWAYS)
        header = page.evaluate(HEADER)
        small = page.evaluate(SMALL_TARGETS)
        if sideways > 0:
            problems[f"{path} scrolls sideways by"] = sideways
        if header["height"] > 64 or not header["centred"] or not header["linksVisible"]:
            problems[f"{path} header"] = header
        if small:
            problems[f"{path} targets under 24 px"] = small
    assert problems == {}


def test_the_plan_builder_is_one_column_on_a_tablet_and_the_glabella_can_be_tapped(
    open_tab: Callable[..., Page], shipped_web: ShippedWeb
) -> None:
    patient = _patient_with_a_plan(shipped_web)
    for width, columns in ((820, 1), (1280, 2)):
        page = open_tab({"width": width, "height": 1000})
        page.goto(shipped_web.url + "/sign-in")
        page.get_by_label("E-mail address").fill("clinician@demo.example")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(shipped_web.url + "/")
        page.goto(f"{shipped_web.url}/patients/{patient}/plans/new")
        page.wait_for_load_state("load")
        template = page.evaluate(
            "() => getComputedStyle(document.querySelector('.grid.builder')).gridTemplateColumns"
        )
        assert len(re.split(r"\s+", template.strip())) == columns, (width, template)
        box = page.locator("#map-glabella").bounding_box()
        assert box is not None and box["width"] >= 24 and box["height"] >= 24, box
        page.locator("#map-glabella").click()
        expect(page.locator("#treat-glabella")).to_be_checked()
