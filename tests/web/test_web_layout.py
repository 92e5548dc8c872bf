"""Tablet width (768 to 1024 CSS px), as far as it can be checked without a browser: the plan
builder in one column under 900 px, tap targets of at least 24 x 24 CSS px (the zone map's
small zones included), tables scrolling inside their cards, the header on one line, the Today
page across the whole width, and no inline styles (the CSP forbids them). The same in a real
browser is the end-to-end suite's (issue 13)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from tests.web.web_helpers import Clinic, new_patient

from microneedling.services import plans
from microneedling.web import zone_map

#: The stylesheet's root font size (``:root { font-size: 17px }``): 1rem in CSS px.
REM_PX = 17
#: WCAG 2.2 (2.5.8): the least size of a target, CSS px.
MIN_TARGET_PX = 24


@pytest.fixture(scope="module")
def css(clinic: Clinic) -> str:
    return str(clinic.client().get("/static/css/app.css").text)


@pytest.fixture(scope="module")
def seeded(clinic: Clinic) -> dict[str, int]:
    patient_id = new_patient(clinic)
    plan_id = plans.create_plan(
        clinic.uow(),
        clinic.clinician,
        patient_id,
        {"treatments": [{"zone": "cheeks", "concern": "texture"}]},
        clock=clinic.clock,
    )
    return {"patient": patient_id, "plan": plan_id}


def _media(css: str, query: str) -> str:
    """Every rule inside ``@media (query)`` blocks, joined."""
    found = []
    for match in re.finditer(r"@media \(" + re.escape(query) + r"\) \{", css):
        depth, index = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(css[index], 0)
            index += 1
        found.append(css[match.end() : index - 1])
    assert found, f"no @media ({query}) in the stylesheet"
    return "\n".join(found)


def _rule(css: str, selector: str) -> str:
    """The declarations of the last rule for exactly ``selector``."""
    found = re.findall(r"(?:^|[}\n])\s*" + re.escape(selector) + r"\s*\{([^}]*)\}", css)
    assert found, f"no rule for {selector}"
    return str(found[-1])


def _rem(value: str) -> float:
    number = re.fullmatch(r"([\d.]+)(rem|px)", value.strip())
    assert number, value
    return float(number.group(1)) * (REM_PX if number.group(2) == "rem" else 1)


def test_the_plan_builder_goes_to_one_column_under_900_px(
    clinic: Clinic, css: str, seeded: dict[str, int]
) -> None:
    narrow = _media(css, "max-width: 900px")
    assert "minmax(0, 1fr)" in _rule(narrow, ".grid.builder")
    assert "static" in _rule(narrow, ".builder-map")  # not sticky once the map is below
    html = clinic.signed_in("clinician").get(f"/patients/{seeded['patient']}/plans/new").text
    assert '<div class="grid builder">' in html


def test_every_zone_of_the_map_is_at_least_24_css_px_to_tap_on_a_tablet() -> None:
    # The map is never drawn narrower than NARROWEST_MAP_PX on a tablet: from 900 px the
    # builder gives it two thirds of the content width, below that all of it.
    content_at_900 = 900 - 2 * 0.75 * REM_PX - REM_PX  # main's padding, the grid's gap
    assert content_at_900 * 8 / 12 >= zone_map.NARROWEST_MAP_PX
    scale = zone_map.NARROWEST_MAP_PX / zone_map.WIDTH
    assert zone_map.MIN_HIT * scale >= MIN_TARGET_PX
    for code, drawing in zone_map.ZONES.items():
        hits = [zone_map.bounds(hit) for hit in drawing.hits]
        for shape in drawing.shapes:
            left, top, right, bottom = zone_map.bounds(shape)
            for hit in hits:
                if hit[0] <= right and left <= hit[2] and hit[1] <= bottom and top <= hit[3]:
                    left, top = min(left, hit[0]), min(top, hit[1])
                    right, bottom = max(right, hit[2]), max(bottom, hit[3])
            assert right - left >= zone_map.MIN_HIT, code
            assert bottom - top >= zone_map.MIN_HIT, code
    glabella = zone_map.ZONES["glabella"]
    assert glabella.hits, "the glabella (30 x 20 map units) has a larger hit area"


class _Svg(HTMLParser):
    """The shapes of each zone of the drawn map: ``{zone: [(tag, attributes)]}``."""

    def __init__(self) -> None:
        super().__init__()
        self.zones: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        self._zone: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "g" and "zone" in str(values.get("class", "")).split():
            self._zone = str(values["data-zone"])
            self.zones[self._zone] = []
        elif self._zone is not None and tag in ("rect", "ellipse", "path"):
            self.zones[self._zone].append((tag, values))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "g":
            self._zone = None


def test_the_drawn_map_gives_small_zones_a_transparent_hit_area(
    clinic: Clinic, css: str, seeded: dict[str, int]
) -> None:
    html = clinic.signed_in("clinician").get(f"/patients/{seeded['patient']}/plans/new").text
    parser = _Svg()
    parser.feed(html[html.index('<svg class="zone-map"') :])
    assert "glabella" in parser.zones and set(parser.zones) <= set(zone_map.ZONES)
    rects = [values for tag, values in parser.zones["glabella"] if tag == "rect"]
    assert len(rects) == 1 and rects[0]["class"] == "hit"
    assert float(rects[0]["width"]) >= zone_map.MIN_HIT
    assert float(rects[0]["height"]) >= zone_map.MIN_HIT
    # Drawn under the zone's own shape, inside its group (a tap on it is a tap on the zone).
    assert [tag for tag, _ in parser.zones["glabella"]] == ["rect", "ellipse"]
    assert "transparent" in _rule(css, ".zone-map .zone .hit")


def test_checkboxes_radios_and_buttons_are_at_least_24_css_px(css: str) -> None:
    choice = _rule(css, ".choice input")
    width = re.search(r"width:\s*([\d.]+rem)", choice)
    height = re.search(r"height:\s*([\d.]+rem)", choice)
    assert width and height
    assert _rem(width.group(1)) >= MIN_TARGET_PX and _rem(height.group(1)) >= MIN_TARGET_PX
    buttons = _rule(css, "button, .button")
    least = re.search(r"min-height:\s*([\d.]+rem)", buttons)
    assert least and _rem(least.group(1)) >= MIN_TARGET_PX


def test_tables_scroll_inside_a_wrapper_instead_of_widening_the_page(
    clinic: Clinic, css: str, seeded: dict[str, int]
) -> None:
    assert "overflow-x: auto" in _rule(css, ".table-wrap")
    client = clinic.signed_in("owner")
    pages = [
        "/",
        f"/patients/{seeded['patient']}",
        f"/plans/{seeded['plan']}",
        "/patients?q=Lo",
        "/inventory",
        "/admin/staff",
        "/admin/audit",
        "/admin/calendar",
    ]
    for path in pages:
        html = client.get(path).text
        tables = html.count("<table")
        assert html.count('<div class="table-wrap"><table') == tables, path
    assert "min-width" in _rule(css, "table.audit")  # scrolls rather than breaking its words


def test_the_header_and_navigation_stay_on_one_line_at_tablet_width(css: str) -> None:
    tablet = _media(css, "max-width: 1024px")
    assert "flex-wrap: nowrap" in _rule(tablet, ".site-header .bar")
    assert "flex: none" in _rule(tablet, ".site-header nav")  # the links never shrink away
    brand = _rule(tablet, ".site-header .brand")
    assert "text-overflow: ellipsis" in brand and "min-width" in brand
    assert "display: none" in _rule(tablet, ".site-header .who .muted-on-dark")


def test_the_today_page_uses_the_whole_width(clinic: Clinic, css: str) -> None:
    html = clinic.signed_in("front_desk").get("/").text
    assert 'class="grid fill"' in html and "grid two wide" not in html
    assert "auto-fit" in _rule(css, ".grid.fill")


def test_no_page_uses_inline_styles_the_csp_would_refuse(
    clinic: Clinic, seeded: dict[str, int]
) -> None:
    client = clinic.signed_in("owner")
    for path in (
        "/",
        "/calendar",
        "/calendar?view=week&by=room",
        f"/patients/{seeded['patient']}",
        f"/patients/{seeded['patient']}/plans/new",
        f"/plans/{seeded['plan']}",
        "/admin/audit",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "style-src 'self'" in response.headers["content-security-policy"]
        assert not re.search(r"<[^>]+\sstyle=", response.text), path
        assert "<style" not in response.text, path
