"""Pre-care and aftercare timelines with real dates (REFERENCE.md A.4).

Day 0 is a session day. Each step of ``care.yaml`` is repeated for every session; hour windows are
turned into dates by whole days (hour 24 is the day after the session). The day-0 step names the
area to numb in cm² (or says why there is no numbing: a finding that excludes topical anaesthetic),
and the one make-up window lasts ingredients.yaml's ``settings.make_up_window_hours`` (48 h shipped,
clinic-configurable), the window the product check uses too.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

from microneedling.knowledge import KnowledgeBase
from microneedling.knowledge.schema_planning import CareFile, Numbing

#: The make-up window when the knowledge base does not say (A.4: 48 h).
DEFAULT_MAKE_UP_WINDOW_H = 48


@dataclass(frozen=True, slots=True)
class _Precare:
    day: int
    offset: timedelta
    instruction: str
    sources: tuple[str, ...]
    if_finding: str | None
    if_finding_label: str
    face_only: bool
    instead: tuple[str, str] | None


@dataclass(frozen=True, slots=True)
class _Aftercare:
    key: str
    window: tuple[int, int | None]
    start: timedelta
    end: timedelta | None
    kind: str
    instruction: str
    sources: tuple[str, ...]


def make_up_window_hours(kb: KnowledgeBase) -> int:
    """The one make-up window (hours): ingredients.yaml's setting, as the product check uses."""
    ingredients = kb.sections.get("ingredients.yaml")
    setting = getattr(getattr(ingredients, "settings", None), "make_up_window_hours", None)
    if setting is None and isinstance(getattr(ingredients, "settings", None), dict):
        setting = ingredients.settings.get("make_up_window_hours")  # type: ignore[union-attr]
    value = getattr(setting, "default", None)
    return int(value) if isinstance(value, int | float) else DEFAULT_MAKE_UP_WINDOW_H


def numbing_rules(kb: KnowledgeBase) -> Numbing:
    """The day-0 numbing step of care.yaml (area template, exclusions, large-area threshold)."""
    return kb.section("care.yaml", CareFile).numbing


def numbing_step(
    kb: KnowledgeBase, *, area_cm2: int, zones: Sequence[str], findings: Iterable[str] = ()
) -> dict[str, Any]:
    """What the numbing step of day 0 says for ``area_cm2`` over ``zones`` (labels), and which
    findings exclude topical anaesthetic (``excluded_by``, empty when none)."""
    rules = numbing_rules(kb)
    found = set(findings)
    excluded = [code for code in rules.excluded_by if code in found]
    names = ", ".join(zones)
    if excluded:
        reason = "; ".join(
            (kb.findings[code].label if code in kb.findings else code) for code in excluded
        )
        text = rules.excluded_instruction.format(area=area_cm2, zones=names, reason=reason.lower())
    else:
        text = rules.instruction.format(area=area_cm2, zones=names)
    return {
        "area_cm2": area_cm2,
        "topical_anaesthetic": not excluded,
        "excluded_by": excluded,
        "instruction": text,
        "large_area_cm2": rules.large_area_cm2,
        "sources": list(rules.sources),
    }


@cache
def _steps(kb: KnowledgeBase) -> tuple[tuple[_Precare, ...], tuple[_Aftercare, ...]]:
    """care.yaml compiled once per knowledge base: offsets as timedeltas, labels looked up."""
    care = kb.section("care.yaml", CareFile)
    make_up_hours = make_up_window_hours(kb)
    precare = tuple(
        _Precare(
            day=step.day,
            offset=timedelta(days=step.day),
            instruction=step.instruction,
            sources=tuple(step.sources),
            if_finding=step.if_finding,
            if_finding_label=kb.findings[step.if_finding].label if step.if_finding else "",
            face_only=step.face_only,
            instead=(step.instead_if_finding.code, step.instead_if_finding.instruction)
            if step.instead_if_finding
            else None,
        )
        for step in care.precare
    )
    aftercare = []
    for step in care.aftercare:
        instruction = step.instruction
        if step.make_up_window:
            step = step.model_copy(
                update={"hours": step.hours.model_copy(update={"to": make_up_hours})}  # type: ignore[union-attr]
            )
            instruction = instruction.format(hours=make_up_hours)
        if step.hours is not None:
            key, low, high = "hours", step.hours.from_, step.hours.to
            start = timedelta(days=low // 24)
            end = timedelta(days=math.ceil(high / 24)) if high is not None else None
        else:
            assert step.days is not None
            key, low, high = "day", step.days.from_, step.days.to
            start = timedelta(days=low)
            end = timedelta(days=high) if high is not None else None
        aftercare.append(
            _Aftercare(key, (low, high), start, end, step.kind, instruction, tuple(step.sources))
        )
    return precare, tuple(aftercare)


@cache
def aftercare_sources(kb: KnowledgeBase) -> tuple[str, ...]:
    """Every source the aftercare steps cite (they apply to every session)."""
    return tuple(dict.fromkeys(s for step in _steps(kb)[1] for s in step.sources))


def care_timelines(
    session_dates: Sequence[date],
    kb: KnowledgeBase,
    *,
    findings: Iterable[str] = (),
    face_treated: bool = True,
    screened: bool = True,
    numbing: str | Mapping[date, str] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``(precare, aftercare)`` for every session date, in date order.

    ``findings`` are the screening's finding codes; steps that depend on one are kept only when it
    was found. Without a screening (``screened=False``) such steps are kept, marked conditional.
    ``numbing`` is the numbing step's text (:func:`numbing_step`) for ``{numbing}`` in a step, one
    for every session or one per session day.
    """
    findings = list(findings)
    # Without the area (a caller that plans nothing): the step without its area.
    rules = numbing_rules(kb)
    excluded = [code for code in rules.excluded_by if code in set(findings)]
    if excluded:
        reason = "; ".join(
            kb.findings[c].label.lower() if c in kb.findings else c for c in excluded
        )
        generic = rules.excluded_instruction.split("; the area")[0].format(reason=reason)
    else:
        generic = rules.instruction.split(" on {area}")[0]
    precare_steps, aftercare_steps = _steps(kb)
    found = set(findings)
    precare: list[dict[str, Any]] = []
    aftercare: list[dict[str, Any]] = []
    for number, session in enumerate(sorted(session_dates), start=1):
        for step in precare_steps:
            instruction = step.instruction
            conditional = False
            if step.if_finding is not None:
                if step.face_only and not face_treated:
                    continue
                if step.if_finding not in found:
                    if screened:
                        continue
                    conditional = True
                    label = step.if_finding_label
                    instruction = f"If {label[0].lower() + label[1:]}: {instruction}"
            if step.instead is not None and step.instead[0] in found:
                instruction = step.instead[1]
            if "{numbing}" in instruction:
                text = numbing if isinstance(numbing, str) else None
                if isinstance(numbing, Mapping):
                    text = numbing.get(session)
                instruction = instruction.replace("{numbing}", text or generic)
            entry: dict[str, Any] = {
                "session": number,
                "day": step.day,
                "date": (session + step.offset).isoformat(),
                "instruction": instruction,
                "sources": list(step.sources),
            }
            if conditional:
                entry["conditional"] = True
            precare.append(entry)
        for after in aftercare_steps:
            aftercare.append(
                {
                    "session": number,
                    after.key: {"from": after.window[0], "to": after.window[1]},
                    "date": (session + after.start).isoformat(),
                    "date_to": (session + after.end).isoformat() if after.end is not None else None,
                    "kind": after.kind,
                    "instruction": after.instruction,
                    "sources": list(after.sources),
                }
            )
    precare.sort(key=lambda e: (e["date"], e["session"]))
    return precare, aftercare
