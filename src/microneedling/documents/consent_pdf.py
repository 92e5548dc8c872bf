"""A consent the patient e-signed in the portal, as an A4 PDF for their own records.

It prints what :func:`microneedling.services.portal.consents_signing.my_signature` gives: the
clinic, the form's title and version, the exact text signed, the name typed, when (in the clinic's
time zone), the text's SHA-256 (anyone can check the text against it), the device it was signed
from, and the withdrawal when there is one. The handout's embedded Unicode fonts; names print
without direction controls, as on the handout.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from microneedling.documents.handout import FONT, _pdf, long_date
from microneedling.text_direction import without_controls


def _moment(value: datetime, zone: str) -> str:
    local = value.astimezone(ZoneInfo(zone))
    return f"{long_date(local.date())}, {local:%H:%M} ({zone})"


def consent_filename(signature: dict[str, Any]) -> str:
    """``consent-treatment-2026-12-01.pdf``: the kind and the day, nothing identifying."""
    kind = str(signature["kind"]).replace("_", "-")
    return f"consent-{kind}-{signature['signed_at']:%Y-%m-%d}.pdf"


def render_consent(signature: dict[str, Any]) -> bytes:
    """The signed consent as PDF bytes."""
    zone = str(signature.get("time_zone") or "UTC")
    pdf = _pdf()
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_title(str(signature["title"]))
    pdf.add_page()
    width = pdf.epw

    def line(text: str, size: float = 10, style: str = "") -> None:
        pdf.set_font(FONT, style, size)
        pdf.multi_cell(width, size * 0.55, text, new_x="LMARGIN", new_y="NEXT")

    line(without_controls(str(signature.get("clinic") or "")), 12, "B")
    pdf.ln(2)
    line(str(signature["title"]), 16, "B")
    line(f"Form version {signature['form_version']}", 9)
    pdf.ln(3)
    line(str(signature["text"]), 11)
    pdf.ln(5)
    line("Signed electronically", 12, "B")
    facts = [
        f"Name typed: {without_controls(str(signature['signed_name']))}",
        f"Patient: {without_controls(str(signature.get('patient') or ''))}",
        f"Signed on: {_moment(signature['signed_at'], zone)}",
        f"From: {signature.get('signed_ip') or 'address not known'}, "
        f"{without_controls(str(signature.get('signed_user_agent') or 'browser not known'))}",
        f"SHA-256 of the text: {signature['text_sha256']}",
    ]
    line("\n".join(facts), 9)
    if signature.get("withdrawn_at") is not None:
        pdf.ln(4)
        line("Withdrawn", 12, "B")
        line(f"Withdrawn on: {_moment(signature['withdrawn_at'], zone)}. It no longer counts.", 10)
    pdf.ln(4)
    line(
        "You can withdraw this consent at any time in your patient portal, under "
        "\u201cConsent forms\u201d, or by telling the clinic.",
        9,
    )
    return bytes(pdf.output())
