"""What an aftercare message says, taken from the plan's care timeline (``clinical/care.py``), so
that a message says what the patient's handout says, on the day it applies.

The timeline's steps are windows after the session (``hours`` or ``day`` from … to); a message
on day *d* after the session lists:

- ``care_do``: the instructions whose window covers day *d* (hours ``from <= 24d < to``, days
  ``from <= d < to``; an open end never ends);
- ``care_expected``: what is normal on that day (``expected`` steps);
- ``care_ended``: instructions whose window ended since the previous aftercare message (day
  ``since``): the patient may stop them;
- ``contact_signs``: the ``contact_clinic`` steps (when to call the clinic), every time.

The plan's stored timeline is used (it was computed with the patient's findings); an appointment
without a plan uses the shipped knowledge base's timeline.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from microneedling.clinical.care import care_timelines
from microneedling.knowledge.loader import shipped_knowledge_base

#: The day after the session each aftercare kind is about (its default timing).
AFTERCARE_DAYS = {"aftercare_0d": 0, "aftercare_1d": 1, "aftercare_3d": 3, "aftercare_7d": 7}


def previous_day(kind: str, days: dict[str, int]) -> int:
    """The day of the aftercare message before ``kind`` (0 for the first)."""
    earlier = [d for k, d in days.items() if d < days[kind]]
    return max(earlier, default=0)


def _window(step: dict[str, Any]) -> tuple[float, float | None]:
    """The step's window in days after the session (``to`` None: no end)."""
    if "hours" in step and isinstance(step["hours"], dict):
        low, high = step["hours"].get("from", 0), step["hours"].get("to")
        return low / 24, high / 24 if high is not None else None
    found = step.get("day")
    window: dict[str, Any] = found if isinstance(found, dict) else {}
    low, high = window.get("from", 0), window.get("to")
    return float(low), float(high) if high is not None else None


def _covers(window: tuple[float, float | None], day: float) -> bool:
    low, high = window
    return low <= day and (high is None or day < high)


def session_steps(plan: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The aftercare steps of one session: the plan's (its first session's; every session has the
    same), or the shipped timeline's when there is no plan."""
    steps = (plan or {}).get("aftercare") or []
    first = [s for s in steps if isinstance(s, dict) and s.get("session", 1) == 1]
    if first:
        return first
    return care_timelines([date(2000, 1, 1)], shipped_knowledge_base())[1]


def aftercare_context(plan: dict[str, Any] | None, day: int, since: int = 0) -> dict[str, Any]:
    """The placeholders of an aftercare message on ``day`` after the session, the previous one
    having gone on day ``since``."""
    steps = session_steps(plan)
    todo: list[str] = []
    expected: list[str] = []
    ended: list[str] = []
    contact: list[str] = []
    for step in steps:
        text = str(step.get("instruction", "")).strip()
        if not text:
            continue
        window, kind = _window(step), step.get("kind")
        if kind == "contact_clinic":
            contact.append(text)
        elif _covers(window, day):
            (expected if kind == "expected" else todo).append(text)
        elif kind != "expected" and window[1] is not None and since < window[1] <= day:
            ended.append(text)
    return {
        "care_do": list(dict.fromkeys(todo)),
        "care_expected": list(dict.fromkeys(expected)),
        "care_ended": list(dict.fromkeys(ended)),
        "contact_signs": " ".join(dict.fromkeys(contact)),
    }
