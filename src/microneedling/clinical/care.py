"""Pre-care and aftercare timelines with real dates (REFERENCE.md A.4).

Day 0 is a session day. Each step of ``care.yaml`` is repeated for every session; hour windows are
turned into dates by whole days (hour 24 is the day after the session).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from microneedling.clinical.dates import add_days
from microneedling.knowledge import KnowledgeBase
from microneedling.knowledge.schema_planning import CareFile


def care_timelines(
    session_dates: Sequence[date],
    kb: KnowledgeBase,
    *,
    findings: Iterable[str] = (),
    face_treated: bool = True,
    screened: bool = True,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``(precare, aftercare)`` for every session date, in date order.

    ``findings`` are the screening's finding codes; steps that depend on one are kept only when it
    was found. Without a screening (``screened=False``) such steps are kept, marked conditional.
    """
    care = kb.section("care.yaml", CareFile)
    found = set(findings)
    precare: list[dict[str, Any]] = []
    aftercare: list[dict[str, Any]] = []
    for number, session in enumerate(sorted(session_dates), start=1):
        for step in care.precare:
            instruction = step.instruction
            conditional = False
            if step.if_finding is not None:
                if step.face_only and not face_treated:
                    continue
                if step.if_finding not in found:
                    if screened:
                        continue
                    conditional = True
                    label = kb.findings[step.if_finding].label
                    instruction = f"If {label[0].lower() + label[1:]}: {instruction}"
            if step.instead_if_finding is not None and step.instead_if_finding.code in found:
                instruction = step.instead_if_finding.instruction
            entry: dict[str, Any] = {
                "session": number,
                "day": step.day,
                "date": add_days(session, step.day).isoformat(),
                "instruction": instruction,
                "sources": list(step.sources),
            }
            if conditional:
                entry["conditional"] = True
            precare.append(entry)
        for after in care.aftercare:
            if after.hours is not None:
                window = {"from": after.hours.from_, "to": after.hours.to}
                start = add_days(session, after.hours.from_ // 24)
                end = (
                    add_days(session, math.ceil(after.hours.to / 24))
                    if after.hours.to is not None
                    else None
                )
                key = "hours"
            else:
                assert after.days is not None
                window = {"from": after.days.from_, "to": after.days.to}
                start = add_days(session, after.days.from_)
                end = add_days(session, after.days.to) if after.days.to is not None else None
                key = "day"
            aftercare.append(
                {
                    "session": number,
                    key: window,
                    "date": start.isoformat(),
                    "date_to": end.isoformat() if end else None,
                    "kind": after.kind,
                    "instruction": after.instruction,
                    "sources": list(after.sources),
                }
            )
    precare.sort(key=lambda e: (e["date"], e["session"]))
    return precare, aftercare
