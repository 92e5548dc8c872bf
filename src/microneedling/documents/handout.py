"""The printable patient handout: the patient's session dates with pre-care and aftercare.

It is written for the patient: dates as the clinic writes them ("Tuesday 8 December 2026", times
"09:30"), care windows in days ("the first 2 days after the session"), no source codes or policy
notes, no pre-care step whose day has passed by the day it is printed (``today``, passed in),
and the clinic's name, address and phone under "Call the clinic". The PDF embeds Unicode fonts
(``fonts/``, see its README), so every name prints as written.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import date
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, select_autoescape

from microneedling.errors import UserError
from microneedling.text_direction import isolated, without_controls

if TYPE_CHECKING:
    from fpdf import FPDF

_ENV = Environment(
    loader=PackageLoader("microneedling.documents", "templates"),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters["isolated"] = isolated

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")  # fmt: skip
#: Remarks meant for staff, in brackets ("(sources disagree …; policy is 48 hours)").
_STAFF_REMARK = re.compile(
    r"\s*\([^()]*\b(?:polic(?:y|ies)|sources?|evidence|studies|study)\b[^()]*\)", re.IGNORECASE
)
#: Whole days written in hours ("72 hours"), said in days instead.
_HOURS = re.compile(r"\b(\d+) hours\b")
TITLE = "Your microneedling care plan"


def long_date(value: str | date | None) -> str:
    """``2026-12-08`` → "Tuesday 8 December 2026" (the clinic's way of writing a date)."""
    if not value:
        return ""
    day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return f"{_WEEKDAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]} {day.year}"


def _in_days(found: re.Match[str]) -> str:
    hours = int(found.group(1))
    return _days(hours // 24) if hours >= 24 and hours % 24 == 0 else found.group(0)


def patient_words(instruction: str) -> str:
    """An instruction without the remarks meant for staff."""
    text = _STAFF_REMARK.sub("", str(instruction)).strip()
    text = _HOURS.sub(_in_days, text)
    return re.sub(r"\s+([.;,])", r"\1", text)


def _days(count: int) -> str:
    return "1 day" if count == 1 else f"{count} days"


def care_window(step: dict[str, Any]) -> str:
    """How long an aftercare step lasts, in days after the session."""
    if step.get("hours"):
        low, high = step["hours"].get("from") or 0, step["hours"].get("to")
        start = low // 24
        end = math.ceil(high / 24) if high is not None else None
    else:
        window = step.get("day") or {}
        start, end = window.get("from") or 0, window.get("to")
    if end is None:
        return "from the session on" if start == 0 else f"from {_days(start)} after the session on"
    if start == 0:
        return "the first day after the session" if end == 1 else f"the first {_days(end)}"
    return f"from {start} to {_days(end)} after the session"


def _sessions(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Every session day of the plan (one per day), in order, with its time when booked."""
    found: dict[str, str] = {}
    for series in plan["series"]:
        times = series.get("times") or []
        for index, day in enumerate(series.get("dates") or []):
            time = times[index] if index < len(times) else None
            if day not in found or (time and (not found[day] or time < found[day])):
                found[day] = time or ""
    return [
        {"number": number, "day": day, "date": long_date(day), "time": found[day]}
        for number, day in enumerate(sorted(found), start=1)
    ]


def handout_context(
    plan: dict[str, Any],
    *,
    today: date,
    patient: str = "",
    clinic: str | dict[str, Any] = "",
    booked: bool = False,
) -> dict[str, Any]:
    """What the handout shows, from a plan's JSON form (with its booked dates, when booked).

    ``today`` is the day it is printed: pre-care steps before it are left out, and the aftercare
    dates are those of the next session (the last one once all have passed). ``clinic`` is its
    name, or ``{"name", "address", "phone"}``.
    """
    if not isinstance(plan.get("series"), list):
        raise UserError("not a plan: the 'series' list is missing", field="series")
    contact = {"name": clinic} if isinstance(clinic, str) else dict(clinic)
    name = str(contact.get("name") or "").strip() or "your clinic"
    printed = today.isoformat()
    sessions = _sessions(plan)
    upcoming = [s for s in sessions if s["day"] >= printed]
    shown_session = upcoming[0] if upcoming else (sessions[-1] if sessions else None)
    precare = [
        {
            "date": long_date(step["date"]),
            "session": step["session"],
            "instruction": patient_words(step["instruction"]),
        }
        for step in sorted(plan.get("precare", []), key=lambda s: (s["date"], s["session"]))
        if step.get("day", 0) < 0 and step["date"] >= printed
    ]
    aftercare = []
    call = ""
    for step in plan.get("aftercare", []):
        if step.get("kind") == "contact_clinic":
            call = call or patient_words(step["instruction"])
            continue
        if shown_session is None or step.get("session") != shown_session["number"]:
            continue
        aftercare.append(
            {
                "when": care_window(step),
                "from": long_date(step.get("date")),
                "until": long_date(step.get("date_to")),
                "instruction": patient_words(step["instruction"]),
            }
        )
    expected = [
        {
            "from": long_date(event["date_from"]),
            "until": long_date(event.get("date_to")),
            "label": patient_words(event["label"]),
        }
        for event in plan.get("expected", [])
        if (event.get("date_to") or event["date_from"]) >= printed
    ]
    maintenance = plan.get("maintenance")
    return {
        "treatment": _treatment(plan),
        "patient": patient.strip(),
        "clinic": {
            "name": name,
            "address": str(contact.get("address") or "").strip(),
            "phone": str(contact.get("phone") or "").strip(),
        },
        "printed": long_date(today),
        "booked": booked,
        "sessions": sessions,
        "maintenance": {
            "every_months": maintenance["every_months"],
            "first_date": long_date(maintenance["first_date"]),
        }
        if maintenance
        else None,
        "precare": precare,
        "aftercare_session": shown_session,
        "aftercare": aftercare,
        "expected": expected,
        "call": call
        or "Call the clinic if the skin becomes more painful, swollen or red after the first "
        "3 days, if you have a fever, pus or blisters, or if anything worries you.",
    }


def _zone_label(code: str) -> str:
    from microneedling.knowledge import shipped_knowledge_base

    zone = shipped_knowledge_base().zones.get(code)
    return zone.label if zone is not None else code.replace("_", " ")


def _treatment(plan: dict[str, Any]) -> dict[str, Any] | None:
    """The treated zones with their areas, the total and the numbing, in the patient's words
    (None for a plan made before areas were planned, policy 1)."""
    area = plan.get("treated_area")
    if not isinstance(area, dict) or not isinstance(area.get("zones"), list):
        return None
    found = plan.get("numbing")
    numbing: dict[str, Any] = found if isinstance(found, dict) else {}
    total = area.get("total_cm2")
    if numbing.get("topical_anaesthetic", True):
        numb = (
            f"Before each session the skin is numbed with a cream for about 30 minutes "
            f"({total} cm²)."
        )
    else:
        numb = (
            "No numbing cream is used (because of your health answers); the clinic uses other "
            "ways to keep you comfortable."
        )
    return {
        "zones": [
            {"zone": _zone_label(str(z.get("zone"))), "area": f"{z.get('area_cm2')} cm²"}
            for z in area["zones"]
        ],
        "total": f"{total} cm²",
        "numbing": numb,
    }


def render_html(context: dict[str, Any]) -> str:
    """The handout as a standalone HTML page."""
    return _ENV.get_template("handout.html.j2").render(**context)


# PDF ------------------------------------------------------------------------------------------

FONT = "DejaVuSans"
FALLBACK_FONT = "DroidSansFallback"


@cache
def _font_files() -> dict[str, Path]:
    folder = files("microneedling.documents") / "fonts"
    found = {
        "regular": Path(str(folder / "DejaVuSans.ttf")),
        "bold": Path(str(folder / "DejaVuSans-Bold.ttf")),
        "fallback": Path(str(folder / "DroidSansFallbackFull.ttf")),
    }
    return found


def _pdf() -> FPDF:
    # fpdf2 is imported when a PDF is made: the portal and the pages use this module's words
    # (dates, instructions) without loading it.
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    fonts = _font_files()
    pdf.add_font(FONT, "", fonts["regular"])
    pdf.add_font(FONT, "B", fonts["bold"])
    pdf.add_font(FALLBACK_FONT, "", fonts["fallback"])
    pdf.set_fallback_fonts([FALLBACK_FONT], exact_match=False)
    return pdf


def _session_line(session: dict[str, Any]) -> str:
    return f"{session['date']}, {session['time']}" if session["time"] else session["date"]


def render_pdf(context: dict[str, Any]) -> bytes:
    """The handout as an A4 PDF (embedded Unicode fonts: no network, no system fonts)."""
    pdf = _pdf()
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_title(TITLE)
    pdf.add_page()
    width = pdf.epw

    def heading(title: str) -> None:
        pdf.ln(3)
        pdf.set_font(FONT, "B", 13)
        pdf.cell(width, 8, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, "", 10)

    def paragraph(text: str, size: float = 10) -> None:
        pdf.set_font(FONT, "", size)
        pdf.multi_cell(width, 5, text, new_x="LMARGIN", new_y="NEXT")

    def table(rows: Sequence[tuple[str, ...]], widths: tuple[float, ...]) -> None:
        with pdf.table(col_widths=widths, text_align="LEFT", line_height=5) as grid:
            for row in rows:
                cells = grid.row()
                for value in row:
                    cells.cell(str(value))

    pdf.set_font(FONT, "B", 17)
    pdf.cell(width, 10, TITLE, new_x="LMARGIN", new_y="NEXT")
    clinic = context["clinic"]
    # fpdf2 does no bidirectional layout and DejaVu has no FSI/PDI glyphs: the names print without
    # direction controls, so none sits in the text to reorder it when copied (docs/web.md).
    names = [without_controls(x) for x in (context["patient"], clinic["name"])]
    who = " · ".join(x for x in names if x)
    paragraph(f"{who} · printed {context['printed']}")

    heading("Your sessions" if context["booked"] else "Your sessions (proposed dates)")
    if not context["booked"]:
        paragraph("These dates are not booked yet: the clinic confirms the day and time with you.")
    table(
        [("Session", "Date and time" if context["booked"] else "Date")]
        + [(str(s["number"]), _session_line(s)) for s in context["sessions"]],
        (1, 4),
    )
    if context["maintenance"]:
        m = context["maintenance"]
        paragraph(
            f"After the series: a maintenance session every {m['every_months']} months, "
            f"the first on {m['first_date']}."
        )
    treatment = context.get("treatment")
    if treatment:
        heading("Your treatment")
        table(
            [("Area", "Size")]
            + [(z["zone"], z["area"]) for z in treatment["zones"]]
            + [("In total", treatment["total"])],
            (3, 2),
        )
        paragraph(treatment["numbing"])
    heading("Before each session")
    if context["precare"]:
        table(
            [("Date", "Session", "What to do")]
            + [(s["date"], str(s["session"]), s["instruction"]) for s in context["precare"]],
            (2, 0.8, 4),
        )
    else:
        paragraph("Nothing more to do before your sessions.")
    shown = context["aftercare_session"]
    heading("After each session")
    if shown is not None:
        paragraph(
            f"The dates are for session {shown['number']} on {shown['date']}; the same days "
            "apply after every session."
        )
    table(
        [("For", "From", "Until", "What to do")]
        + [(s["when"], s["from"], s["until"], s["instruction"]) for s in context["aftercare"]],
        (1.5, 1.6, 1.6, 3),
    )
    heading("What to expect")
    table(
        [("From", "Until", "")]
        + [(e["from"], e["until"], e["label"]) for e in context["expected"]],
        (1.6, 1.6, 2.5),
    )
    heading("Call the clinic")
    lines = [context["call"], names[1]]
    lines += [x for x in (clinic["address"], clinic["phone"] and f"Phone: {clinic['phone']}") if x]
    pdf.set_font(FONT, "B", 10)
    pdf.multi_cell(width, 5, "\n".join(lines), border=1, align="L", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def write_handout(
    path: Path,
    plan: dict[str, Any],
    *,
    today: date,
    patient: str = "",
    clinic: str = "",
) -> None:
    """Write the handout as HTML or PDF, by the file's suffix."""
    suffix = path.suffix.lower()
    if suffix not in (".html", ".pdf"):
        raise UserError(
            f"expected a file ending in .html or .pdf, got {path.name!r}", field="--handout"
        )
    if not path.parent.exists():
        raise UserError(f"folder {str(path.parent)!r} does not exist", field="--handout")
    if len(patient) > 200 or len(clinic) > 200:
        raise UserError("names are limited to 200 characters", field="--patient")
    context = handout_context(plan, today=today, patient=patient, clinic=clinic)
    if suffix == ".html":
        path.write_text(render_html(context), encoding="utf-8")
    else:
        path.write_bytes(render_pdf(context))
