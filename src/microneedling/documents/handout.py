"""The printable patient handout: the patient's session dates with pre-care and aftercare."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fpdf import FPDF
from jinja2 import Environment, PackageLoader, select_autoescape

from microneedling.errors import UserError

_ENV = Environment(
    loader=PackageLoader("microneedling.documents", "templates"),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)

# fpdf2's built-in fonts are Latin-1; these characters are written plainly instead.
_PLAIN = str.maketrans({"–": "-", "—": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "≥": ">=",
                        "≤": "<=", "…": "...", "·": "-", "µ": "u"})  # fmt: skip


def handout_context(plan: dict[str, Any], *, patient: str = "", clinic: str = "") -> dict[str, Any]:
    """What the handout shows, from a plan's JSON form."""
    if not isinstance(plan.get("series"), list):
        raise UserError("not a plan: the 'series' list is missing", field="series")
    dates = sorted({d for series in plan["series"] for d in series.get("dates", [])})
    first = dates[0] if dates else None
    aftercare = []
    contact = ""
    for step in plan.get("aftercare", []):
        if step.get("session") != 1:
            continue
        if step.get("kind") == "contact_clinic":
            contact = step["instruction"]
            continue
        aftercare.append(
            {
                "when": _describe_window(step, "from"),
                "until": _describe_window(step, "to"),
                "instruction": step["instruction"],
            }
        )
    return {
        "patient": patient.strip(),
        "clinic": clinic.strip() or "Your clinic",
        "on": plan.get("on", ""),
        "sessions": [{"number": n, "date": d} for n, d in enumerate(dates, start=1)],
        "first_session": first,
        "maintenance": plan.get("maintenance"),
        "precare": plan.get("precare", []),
        "aftercare": aftercare,
        "expected": [
            e for e in plan.get("expected", []) if e.get("date_from", "") >= (first or "")
        ],
        "contact": contact,
        "sources": plan.get("sources", []),
        "knowledge_base": plan.get("knowledge_base", {"version": "?"}),
    }


def _describe_window(step: dict[str, Any], end: str) -> str:
    window = step.get("hours") or step.get("day") or {}
    value = window.get(end)
    if value is None:
        return ""
    unit = "hours" if "hours" in step else "days"
    when = step["date"] if end == "from" else step.get("date_to") or ""
    return f"{when} ({value} {unit})"


def render_html(context: dict[str, Any]) -> str:
    """The handout as a standalone HTML page."""
    return _ENV.get_template("handout.html.j2").render(**context)


def render_pdf(context: dict[str, Any]) -> bytes:
    """The handout as an A4 PDF (built-in fonts, no network, no system fonts needed)."""
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_title("Your microneedling care plan")
    pdf.add_page()
    width = pdf.epw

    def text(value: Any) -> str:
        return str(value).translate(_PLAIN).encode("latin-1", "replace").decode("latin-1")

    def heading(title: str) -> None:
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 13)
        pdf.cell(width, 8, text(title), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10)

    def table(rows: list[tuple[str, ...]], widths: tuple[float, ...]) -> None:
        with pdf.table(col_widths=widths, text_align="LEFT", line_height=5) as grid:
            for row in rows:
                cells = grid.row()
                for value in row:
                    cells.cell(text(value))

    pdf.set_font("Helvetica", "B", 17)
    pdf.cell(width, 10, "Your microneedling care plan", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    who = " - ".join(x for x in (context["patient"], context["clinic"]) if x)
    pdf.cell(width, 6, text(f"{who} - prepared {context['on']}"), new_x="LMARGIN", new_y="NEXT")

    heading("Your sessions")
    table(
        [("Session", "Date")] + [(str(s["number"]), s["date"]) for s in context["sessions"]], (1, 3)
    )
    if context["maintenance"]:
        m = context["maintenance"]
        pdf.multi_cell(
            width,
            5,
            text(f"Maintenance every {m['every_months']} months, first on {m['first_date']}."),
        )
    heading("Before each session")
    table(
        [("Date", "Session", "What to do")]
        + [(s["date"], str(s["session"]), s["instruction"]) for s in context["precare"]],
        (1.1, 0.7, 5),
    )
    heading("After each session (dates for session 1)")
    table(
        [("From", "Until", "What to do")]
        + [(s["when"], s["until"], s["instruction"]) for s in context["aftercare"]],
        (1.6, 1.6, 4),
    )
    heading("What to expect")
    table(
        [("From", "Until", "")]
        + [(e["date_from"], e["date_to"] or "", e["label"]) for e in context["expected"]],
        (1, 1, 3),
    )
    heading("Call the clinic")
    pdf.set_font("Helvetica", "B", 10)
    pdf.multi_cell(width, 5, text(context["contact"]), border=1)
    pdf.set_font("Helvetica", "", 8)
    pdf.ln(3)
    sources = ", ".join(context["sources"])
    pdf.multi_cell(
        width,
        4,
        text(f"Sources: {sources}. Knowledge base {context['knowledge_base']['version']}."),
    )
    return bytes(pdf.output())


def write_handout(path: Path, plan: dict[str, Any], *, patient: str = "", clinic: str = "") -> None:
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
    context = handout_context(plan, patient=patient, clinic=clinic)
    if suffix == ".html":
        path.write_text(render_html(context), encoding="utf-8")
    else:
        path.write_bytes(render_pdf(context))
