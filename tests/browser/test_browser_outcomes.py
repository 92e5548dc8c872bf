"""Outcomes: a scale with a live total, the chart of scores over time; photos: upload and a
before/after comparison of the same view."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect
from tests.browser.browser_helpers import CLINICIAN, LiveApp, jpeg, sign_in


def test_a_clinician_records_an_outcome_and_sees_the_progress_chart(
    page: Page, live_app: LiveApp, shot: Callable[[str], Path]
) -> None:
    ids = live_app.patient("Olga", "Outcome", screened=True)
    live_app.outcome(ids["patient"], "gais", {"grade": 3}, days_ago=56)
    sign_in(page, live_app, CLINICIAN)
    page.goto(f"{live_app.url}/patients/{ids['patient']}")
    page.get_by_role("link", name="Outcomes and progress").click()
    page.wait_for_load_state()  # the page's scripts are ready
    expect(page.locator("svg.chart circle.point")).to_have_count(1)

    page.get_by_label("Scale", exact=True).select_option("vss")
    expect(page.get_by_label("Vascularity")).to_be_visible()
    page.get_by_label("Vascularity").select_option("2")
    expect(page.locator("#live-score")).to_contain_text("1 of 4 answered")
    page.get_by_label("Pigmentation").select_option("1")
    page.get_by_label("Pliability").select_option("3")
    page.get_by_label("Height").select_option("1")
    expect(page.locator("#live-total")).to_have_text("7")

    page.get_by_label("Scale", exact=True).select_option("gais")
    page.get_by_label("Improvement compared with before treatment").select_option("2")
    expect(page.locator("#live-total")).to_have_text("2")
    expect(page.locator("#live-band")).to_have_text("Much improved")
    shot("live-total")
    page.get_by_role("button", name="Record outcome").click()
    expect(page.get_by_text("Outcome recorded.")).to_be_visible()
    chart = page.locator("svg.chart")
    expect(chart.locator("circle.point")).to_have_count(2)
    expect(chart.locator("polyline.series")).to_have_count(1)
    expect(chart).to_have_attribute("aria-label", f"{chart.get_attribute('aria-label')}")
    assert "lower is better" in (chart.get_attribute("aria-label") or "")
    shot("progress-chart")


def test_photos_are_uploaded_and_compared_side_by_side(
    page: Page, live_app: LiveApp, shot: Callable[[str], Path], tmp_path: Path
) -> None:
    ids = live_app.patient("Fiona", "Photo", screened=True)
    sign_in(page, live_app, CLINICIAN)
    page.goto(f"{live_app.url}/patients/{ids['patient']}/photos")
    before_day = live_app.today.replace(day=1).isoformat()
    for colour, day in (("#b08060", before_day), ("#c09070", live_app.today.isoformat())):
        page.get_by_label("Photo (JPEG or PNG)").set_input_files(
            jpeg(colour, tmp_path / f"{colour[1:]}.jpg")
        )
        page.get_by_label("View").select_option("front")
        page.get_by_label("Taken on").fill(day)
        page.get_by_role("button", name="Add photo").click()
        expect(page.get_by_text("Photo added")).to_be_visible()
    page.get_by_role("link", name="compare first and latest").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Before and after")
    images = page.locator(".compare img")
    expect(images).to_have_count(2)
    for index in range(2):
        expect(images.nth(index)).to_have_js_property("complete", True)
        assert images.nth(index).evaluate("img => img.naturalWidth") == 320
    shot("compare")
