"""The clinic's words for codes, dates and times, as the pages show them (Jinja filters)."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup

from microneedling.knowledge import KnowledgeBase, shipped_knowledge_base
from microneedling.knowledge.schema_scales import ScalesFile
from microneedling.text_direction import CONTROLS, balanced, isolated

DECISIONS = {
    "eligible": "Eligible",
    "caution": "Caution",
    "defer": "Deferred",
    "not_eligible": "Not eligible",
}
SEVERITIES = {
    "absolute": "Do not treat",
    "temporary": "Wait",
    "relative": "Caution",
    "precaution": "Precaution",
}
ROLES = {"owner": "Owner", "clinician": "Clinician", "front_desk": "Front desk"}
STATUSES = {
    "scheduled": "Scheduled",
    "checked_in": "Checked in",
    "completed": "Completed",
    "cancelled": "Cancelled",
    "no_show": "No-show",
    "proposed": "Proposed",
    "accepted": "Accepted",
}
#: Times of day a patient may prefer for their sessions (the whole visit inside the range).
TIME_WISHES = {
    "00:00-12:00": "Mornings (done by 12:00)",
    "12:00-17:00": "Afternoons (12:00 to 17:00)",
    "17:00-24:00": "Evenings (from 17:00)",
}
PHOTO_VIEWS = {
    "front": "Front",
    "left_oblique": "Left oblique",
    "right_oblique": "Right oblique",
    "left_profile": "Left profile",
    "right_profile": "Right profile",
    "close_up": "Close-up",
}


def kb() -> KnowledgeBase:
    return shipped_knowledge_base()


def words(code: Any) -> str:
    """A code as words: ``acne_scars`` → "Acne scars"."""
    text = str(code or "").replace("_", " ").strip()
    return text[:1].upper() + text[1:]


@cache
def _zone_labels(base: KnowledgeBase) -> dict[str, str]:
    labels = {code: zone.label for code, zone in base.zones.items()}
    labels.update({code: group.label for code, group in base.zone_groups.items()})
    return labels


def zone_label(code: Any) -> str:
    return _zone_labels(kb()).get(str(code), words(code))


def concern_label(code: Any) -> str:
    concern = kb().concerns.get(str(code))
    return concern.label if concern is not None else words(code)


def finding_label(code: Any) -> str:
    finding = kb().findings.get(str(code))
    return finding.label if finding is not None else words(code)


def source_title(key: Any) -> str:
    source = kb().sources.get(str(key))
    return source.title if source is not None else str(key)


@cache
def _scale_labels(base: KnowledgeBase) -> dict[str, str]:
    return {
        code: scale.label for code, scale in base.section("scales.yaml", ScalesFile).scales.items()
    }


def scale_label(code: Any) -> str:
    """An outcome scale's name: ``gais`` → "Global Aesthetic Improvement Scale"."""
    return _scale_labels(kb()).get(str(code), words(code))


def label(mapping: dict[str, str], code: Any) -> str:
    return mapping.get(str(code), words(code))


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def day(value: Any) -> str:
    """``2026-11-21`` → "Sat 21 Nov 2026"."""
    found = _as_date(value)
    return found.strftime("%a %-d %b %Y") if found is not None else ""


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def local(value: Any, time_zone: str, style: str = "datetime") -> str:
    """A UTC moment on the clinic's wall clock: "Sat 21 Nov 2026 14:30", or "14:30"."""
    moment = _moment(value)
    if moment is None:
        return ""
    if moment.tzinfo is not None:
        moment = moment.astimezone(ZoneInfo(time_zone))
    if style == "time":
        return moment.strftime("%H:%M")
    if style == "date":
        return moment.date().isoformat()
    return moment.strftime("%a %-d %b %Y %H:%M")


def filters() -> dict[str, Any]:
    return {
        "words": words,
        "zone_label": zone_label,
        "concern_label": concern_label,
        "finding_label": finding_label,
        "source_title": source_title,
        "scale_label": scale_label,
        "decision_label": lambda code: label(DECISIONS, code),
        "severity_label": lambda code: label(SEVERITIES, code),
        "role_label": lambda code: label(ROLES, code),
        "status_label": lambda code: label(STATUSES, code),
        "view_label": lambda code: label(PHOTO_VIEWS, code),
        "time_wish": lambda code: TIME_WISHES.get(str(code), str(code)),
        "day": day,
        "local": local,
    }


def name(value: object) -> Markup:
    """A person's or clinic's name in the page, inside ``<bdi>``: whatever direction controls it
    holds, they cannot reorder the text around it (docs/web.md)."""
    return Markup("<bdi>{}</bdi>").format(str(value))


def name_text(value: object) -> str:
    """A name in an attribute (``aria-label``, ``alt``), where ``<bdi>`` cannot go: between FSI
    and PDI with its overrides removed when it holds any direction control, else as written (so
    accessible names stay plain)."""
    text = str(value)
    return isolated(text) if set(text) & CONTROLS else text


def name_filters() -> dict[str, Any]:
    """``name`` for names in the page's text, ``name_text`` for names in attributes (between FSI
    and PDI, overrides removed) and ``bidi_balanced`` for text such as the window title."""
    return {"name": name, "name_text": name_text, "bidi_balanced": balanced}
