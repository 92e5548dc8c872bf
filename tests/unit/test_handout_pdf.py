"""The PDF handout prints every name as written (embedded Unicode fonts with a CJK fallback)
and says care windows in days."""

from __future__ import annotations

from datetime import date

import pypdfium2 as pdfium

from microneedling.clinical.planning import parse_plan_request, plan
from microneedling.documents.handout import care_window, handout_context, render_pdf
from microneedling.knowledge import shipped_knowledge_base

REQUEST = {
    "on": "2026-12-01",
    "fitzpatrick": 2,
    "treatments": [{"zone": "cheeks", "concern": "acne_scars", "subtype": "rolling"}],
}


def pdf_text(data: bytes) -> str:
    document = pdfium.PdfDocument(data)
    return "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))


def test_a_vietnamese_and_chinese_name_prints_as_written_in_the_pdf() -> None:
    computed = plan(parse_plan_request(REQUEST), shipped_knowledge_base())
    context = handout_context(
        computed,
        today=date(2026, 12, 1),
        patient="Nguyễn 王芳",
        clinic={"name": "Clínica Łódź", "address": "ul. Piękna 1", "phone": "+48 22 000 0000"},
    )
    text = pdf_text(render_pdf(context))
    assert "Nguyễn 王芳" in text
    assert "Clínica Łódź" in text and "ul. Piękna 1" in text
    assert "Nguy?n" not in text and "??" not in text


def test_care_windows_are_said_in_days_not_hours() -> None:
    assert care_window({"hours": {"from": 0, "to": 48}}) == "the first 2 days"
    assert care_window({"hours": {"from": 24, "to": 192}}) == "from 1 to 8 days after the session"
    assert care_window({"hours": {"from": 0, "to": 24}}) == "the first day after the session"
    assert care_window({"day": {"from": 2, "to": 5}}) == "from 2 to 5 days after the session"


def test_direction_controls_in_a_name_are_left_out_of_the_pdf() -> None:
    """fpdf2 lays text out left to right and its fonts have no FSI/PDI glyphs: a name's
    right-to-left override would sit invisibly in the text and reorder it when copied."""
    computed = plan(parse_plan_request(REQUEST), shipped_knowledge_base())
    context = handout_context(
        computed,
        today=date(2026, 12, 1),
        patient="Ada\u202eecilA \u2068Lovelace",
        clinic={"name": "Clinic\u202d One"},
    )
    text = pdf_text(render_pdf(context))
    assert "AdaecilA Lovelace · Clinic One · printed" in text
    assert not set(text) & set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def test_names_in_the_html_handout_are_isolated() -> None:
    from microneedling.documents.handout import render_html

    computed = plan(parse_plan_request(REQUEST), shipped_knowledge_base())
    html = render_html(
        handout_context(
            computed, today=date(2026, 12, 1), patient="Ada\u202eecilA", clinic="Clinic One"
        )
    )
    assert "<strong><bdi>Ada\u202eecilA</bdi></strong>" in html
    assert "<bdi>Clinic One</bdi>" in html
    assert "<title>Your microneedling care plan – \u2068AdaecilA\u2069</title>" in html
