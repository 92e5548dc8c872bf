"""Screening an intake against the knowledge base (REFERENCE.md A.2).

``screen(intake, kb)`` finds every counted finding (zone scoping, waits, derived findings), gives each
its severity, message, sources and ``until``, and derives the decision and ``earliest_date``. Pure
and deterministic: the same intake and knowledge base give the same result.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any, Literal

from microneedling.clinical.dates import add_days, add_months, age_in_years
from microneedling.clinical.intake import LIST_OF_KIND, Intake, IntakeItem, check_intake
from microneedling.knowledge import KnowledgeBase
from microneedling.knowledge.schema import SEVERITY_ORDER, FindingDefinition, Rule, Severity

Decision = Literal["eligible", "caution", "defer", "not_eligible"]

#: The decision each severity forces (A.2).
DECISION_OF: Mapping[Severity, Decision] = {
    "absolute": "not_eligible",
    "temporary": "defer",
    "relative": "caution",
    "precaution": "eligible",
}
_RANK: Mapping[Severity, int] = {severity: rank for rank, severity in enumerate(SEVERITY_ORDER)}


@dataclass(frozen=True, slots=True)
class Finding:
    """A finding that counts, with why and until when."""

    code: str
    severity: Severity
    message: str
    sources: tuple[str, ...]
    until: date | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "sources": list(self.sources),
            "until": self.until.isoformat() if self.until else None,
        }


@dataclass(frozen=True, slots=True)
class Precaution:
    """An instruction that joins the plan. Findings that call for the same instruction (three
    say "No lidocaine or prilocaine cream") give it once: ``code`` is the first of them (in the
    findings' order), ``codes`` all of them, ``sources`` the union of theirs."""

    code: str
    instruction: str
    sources: tuple[str, ...]
    codes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "codes": list(self.codes or (self.code,)),
            "instruction": self.instruction,
            "sources": list(self.sources),
        }


@dataclass(frozen=True, slots=True)
class ScreeningResult:
    """The outcome of screening one intake."""

    decision: Decision
    earliest_date: date | None
    findings: tuple[Finding, ...]
    precautions: tuple[Precaution, ...]
    on: date
    knowledge_base_version: str
    knowledge_base_hash: str
    zones: tuple[str, ...] = ()
    fitzpatrick: int | None = None
    overrides_hash: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (the `screen --json` contract)."""
        return {
            "decision": self.decision,
            "earliest_date": self.earliest_date.isoformat() if self.earliest_date else None,
            "findings": [finding.to_dict() for finding in self.findings],
            "precautions": [precaution.to_dict() for precaution in self.precautions],
            "on": self.on.isoformat(),
            "zones": list(self.zones),
            "fitzpatrick": self.fitzpatrick,
            "knowledge_base": {
                "version": self.knowledge_base_version,
                "hash": self.knowledge_base_hash,
                "overrides_hash": self.overrides_hash,
            },
        }


@dataclass(frozen=True, slots=True)
class _Zones:
    """Zone look-ups precomputed once per knowledge base."""

    expand: Mapping[str, tuple[str, ...]]
    face: frozenset[str]
    labels: Mapping[str, str]


@cache
def _zones(kb: KnowledgeBase) -> _Zones:
    expand: dict[str, tuple[str, ...]] = {code: (code,) for code in kb.zones}
    expand.update(kb.group_members)
    labels = {code: zone.label.lower() for code, zone in kb.zones.items()}
    return _Zones(expand=expand, face=frozenset(kb.group_members["face"]), labels=labels)


def _expand(zones: Iterable[str], lookup: _Zones) -> list[str]:
    """Zone codes in order, groups expanded, without repeats."""
    seen: dict[str, None] = {}
    for name in zones:
        for code in lookup.expand[name]:
            seen.setdefault(code, None)
    return list(seen)


def screen(
    intake: Intake, kb: KnowledgeBase, *, overrides_hash: str | None = None
) -> ScreeningResult:
    """Screen ``intake`` (REFERENCE.md A.2). Raises IntakeError on input that breaks A.1.

    ``overrides_hash`` is the hash of the clinic's policy overrides that applied, recorded in the
    result beside the knowledge base's (None when none applied)."""
    check_intake(intake, kb)
    lookup = _zones(kb)
    asked = set(_expand(intake.zones, lookup))
    requested = [code for code in kb.zones if code in asked]  # vocabulary order
    face_requested = not lookup.face.isdisjoint(requested)
    on = intake.on
    age = age_in_years(intake.patient.birth_date, on)
    fitzpatrick = intake.patient.fitzpatrick

    counted: list[tuple[Finding, Rule]] = []
    for code, definition in kb.findings.items():
        trigger = definition.trigger
        if trigger is None:
            continue
        applies = True
        if trigger.age_below_years is not None:
            applies = age < trigger.age_below_years
        if applies and trigger.fitzpatrick_from is not None and trigger.fitzpatrick_to is not None:
            applies = trigger.fitzpatrick_from <= fitzpatrick <= trigger.fitzpatrick_to
        if applies:
            values = {"label": definition.label, "age": age, "fitzpatrick": fitzpatrick}
            found = _apply_rules(code, None, on, values, kb)
            if found is not None:
                counted.append(found)

    for list_name in LIST_OF_KIND.values():
        for item in getattr(intake, list_name):
            definition = kb.findings[item.code]
            where = _where_it_counts(definition, item, requested, face_requested, lookup)
            outside = False
            if where is None:
                if definition.scope != "local" or not any(
                    rule.when == "outside_zones" for rule in kb.rules_by_finding.get(item.code, ())
                ):
                    continue
                outside = True  # counts elsewhere on the body (A.2)
                where = _expand(item.zones or definition.default_zones, lookup)
            values = {
                "label": definition.label,
                "zones": ", ".join(lookup.labels[z] for z in where) or "the treatment area",
                "age": age,
                "fitzpatrick": fitzpatrick,
            }
            found = _apply_rules(item.code, item, on, values, kb, outside=outside)
            if found is not None:
                counted.append(found)

    findings = tuple(
        finding for finding, _ in sorted(counted, key=lambda pair: _RANK[pair[0].severity])
    )
    precautions: dict[str, Precaution] = {}
    for finding, rule in counted:
        if rule.precaution is not None and finding.code not in precautions:
            precautions[finding.code] = Precaution(
                finding.code, rule.precaution, tuple(rule.sources)
            )

    decision: Decision = "eligible"
    if findings:
        decision = DECISION_OF[findings[0].severity]
    earliest: date | None
    if decision in ("eligible", "caution"):
        earliest = on
    elif decision == "defer":
        untils = [f.until for f in findings if f.severity == "temporary"]
        earliest = None if any(u is None for u in untils) else max(u for u in untils if u)
    else:
        earliest = None
    ordered_precautions = _merged(precautions[f.code] for f in findings if f.code in precautions)
    return ScreeningResult(
        decision=decision,
        earliest_date=earliest,
        findings=findings,
        precautions=ordered_precautions,
        on=on,
        knowledge_base_version=kb.version,
        knowledge_base_hash=kb.hash,
        zones=tuple(requested),
        fitzpatrick=fitzpatrick,
        overrides_hash=overrides_hash,
    )


def _where_it_counts(
    definition: FindingDefinition,
    item: IntakeItem,
    requested: list[str],
    face_requested: bool,
    lookup: _Zones,
) -> list[str] | None:
    """The requested zones a finding concerns ([] for systemic or "the treatment area"), or None
    when it does not count here."""
    if definition.scope == "systemic":
        return []
    if definition.scope == "face":
        return [zone for zone in requested if zone in lookup.face] if face_requested else None
    given = item.zones if item.zones is not None else definition.default_zones
    if not given:
        return []  # a local finding without zones is taken to be in the treatment area
    mine = set(_expand(given, lookup))
    overlap = [zone for zone in requested if zone in mine]
    return overlap or None


def _apply_rules(
    code: str,
    item: IntakeItem | None,
    on: date,
    values: dict[str, Any],
    kb: KnowledgeBase,
    *,
    outside: bool = False,
) -> tuple[Finding, Rule] | None:
    """The first matching rule's finding for this code, or None if it does not count.

    ``outside``: the (local) finding lies only outside the requested zones; only
    ``when: outside_zones`` rules apply to it, and only other rules to one inside."""
    for rule in kb.rules_by_finding.get(code, ()):
        if (rule.when == "outside_zones") != outside:
            continue
        stopped_on = item.stopped_on if item is not None else None
        if rule.when == "in_use" and not (stopped_on is None or stopped_on > on):
            continue
        if rule.when == "stopped" and not (stopped_on is not None and stopped_on <= on):
            continue
        until: date | None = None
        window = rule.window
        if window is not None:
            start = None
            if item is not None:
                start = item.on if window.from_ == "on" else item.stopped_on
            if start is None:
                if window.if_missing == "unknown":
                    message = kb.messages.missing_date.format_map(_Blank(values))
                    return Finding(code, "temporary", message, tuple(rule.sources), None), rule
                start = on
            end = (
                add_days(start, window.days)
                if window.days
                else add_months(start, window.months or 0)
            )
            if end <= on:
                continue  # the wait has passed: the next rule may still apply
            values["date"] = start.isoformat()
            if window.show_until:
                until = end
                values["until"] = end.isoformat()
        message = rule.message.format_map(_Blank(values))
        return Finding(code, rule.severity, message, tuple(rule.sources), until), rule
    return None


class _Blank(dict[str, Any]):
    """Template values; a placeholder without a value renders as "?" rather than failing."""

    def __missing__(self, key: str) -> str:
        return "?"


def policy_version(knowledge_base_version: str | None) -> int | None:
    """The clinical policy version a knowledge-base version implements (its major number:
    1.x.y is policy 1, 2.x.y policy 2), or None when it cannot be read."""
    head = str(knowledge_base_version or "").split(".", 1)[0]
    return int(head) if head.isdigit() else None


def _merged(precautions: Iterable[Precaution]) -> tuple[Precaution, ...]:
    """One precaution per instruction, in the order first seen (see :class:`Precaution`)."""
    by_text: dict[str, list[Precaution]] = {}
    for precaution in precautions:
        by_text.setdefault(precaution.instruction, []).append(precaution)
    return tuple(
        Precaution(
            same[0].code,
            instruction,
            tuple(dict.fromkeys(source for p in same for source in p.sources)),
            tuple(dict.fromkeys(p.code for p in same)),
        )
        for instruction, same in by_text.items()
    )


def readable_screening(stored: Mapping[str, Any] | None) -> dict[str, Any]:
    """A stored screening result as today's readers expect it. Results stored under policy
    version 1 lack the zones covered, the Fitzpatrick type and the overrides hash: they read as
    no zones, null and null (never guessed); everything else is kept as stored."""
    data = dict(stored or {})
    data.setdefault("findings", [])
    data.setdefault("precautions", [])
    zones = data.get("zones")
    data["zones"] = list(zones) if isinstance(zones, list) else []
    data.setdefault("fitzpatrick", None)
    stamp = data.get("knowledge_base")
    stamp = dict(stamp) if isinstance(stamp, Mapping) else {}
    stamp.setdefault("overrides_hash", None)
    data["knowledge_base"] = stamp
    return data
