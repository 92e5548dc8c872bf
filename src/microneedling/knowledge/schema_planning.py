"""Treatment planning defaults (REFERENCE.md A.3) and care timelines (A.4): models and checks."""

from __future__ import annotations

import string
from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from microneedling.knowledge.base import Code, SourceKey, Strict, Text
from microneedling.knowledge.problems import Problems
from microneedling.knowledge.yamlsource import SourceMap

if TYPE_CHECKING:
    from microneedling.knowledge.knowledge_base import KnowledgeBase

Setting = Literal["professional", "home"]
Depth = float


class DepthRange(Strict):
    min: Depth = Field(gt=0, le=5)
    max: Depth = Field(gt=0, le=5)

    @model_validator(mode="after")
    def _ordered(self) -> DepthRange:
        if self.min > self.max:
            raise ValueError(f"min {self.min} is greater than max {self.max}")
        return self


class ZoneDepth(Strict):
    rejuvenation: DepthRange | None
    cap: Depth = Field(gt=0, le=5)

    @model_validator(mode="after")
    def _within_cap(self) -> ZoneDepth:
        if self.rejuvenation is not None and self.rejuvenation.max > self.cap:
            raise ValueError(
                f"rejuvenation max {self.rejuvenation.max} is above the cap {self.cap}"
            )
        return self


class CountRange(Strict):
    default: int = Field(ge=1, le=52)
    min: int = Field(ge=1, le=52)
    max: int = Field(ge=1, le=52)

    @model_validator(mode="after")
    def _ordered(self) -> CountRange:
        if not self.min <= self.default <= self.max:
            raise ValueError(f"default {self.default} is outside {self.min}–{self.max}")
        return self


class Protocol(Strict):
    concern: Code | None = None
    group: Code | None = None
    depth: Literal["zone"] | DepthRange
    depth_overrides: dict[Code, DepthRange] = Field(default_factory=dict)
    start_mm: Depth | None = Field(default=None, gt=0, le=5)
    start_mm_fitzpatrick_4_6: Depth | None = Field(default=None, gt=0, le=5)
    sessions: CountRange | None = None
    interval_weeks: CountRange | None = None
    settings: list[Setting] = Field(min_length=1)
    zones: list[Code] | None = None
    first_session_after_surgery_weeks: int | None = Field(default=None, ge=1, le=104)
    max_sessions_per_12_months: int | None = Field(default=None, ge=1, le=52)
    sources: list[SourceKey] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Protocol:
        if (self.concern is None) == (self.group is None):
            raise ValueError("give exactly one of concern or group")
        if (self.sessions is None) != (self.interval_weeks is None):
            raise ValueError("sessions and interval_weeks go together")
        if self.sessions is None and self.settings != ["home"]:
            raise ValueError("only a home-only protocol may omit sessions")
        if isinstance(self.depth, DepthRange):
            for start in (self.start_mm, self.start_mm_fitzpatrick_4_6):
                if start is not None and not self.depth.min <= start <= self.depth.max:
                    raise ValueError(f"start depth {start} is outside the depth range")
        elif self.start_mm is not None:
            raise ValueError("a fixed start depth needs a fixed depth range")
        return self


class HomeRules(Strict):
    max_depth_mm: Depth = Field(gt=0, le=1)
    sources: list[SourceKey] = Field(min_length=1)


class WarningText(Strict):
    message: Text
    sources: list[SourceKey] = Field(min_length=1)
    above_mm: Depth | None = None


class Maintenance(Strict):
    every_months: int = Field(ge=1, le=24)
    sources: list[SourceKey] = Field(min_length=1)


class ExpectedEvent(Strict):
    event: Code
    label: Text
    after: Literal["each_session", "last_session"]
    from_days: int | None = Field(default=None, ge=0, le=730)
    from_months: int | None = Field(default=None, ge=0, le=24)
    to_days: int | None = Field(default=None, ge=0, le=730)
    sources: list[SourceKey] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_start(self) -> ExpectedEvent:
        if (self.from_days is None) == (self.from_months is None):
            raise ValueError("give exactly one of from_days or from_months")
        if (
            self.to_days is not None
            and self.from_days is not None
            and self.to_days < self.from_days
        ):
            raise ValueError("to_days is before from_days")
        return self


class Combination(Strict):
    label: Text
    timing: Literal["same_session", "after_each_session", "spaced", "alongside"]
    days_after: int | None = Field(default=None, ge=1, le=120)
    days_apart: int | None = Field(default=None, ge=1, le=120)
    for_concerns: list[Code] = Field(default_factory=list)
    note: Text | None = None
    sources: list[SourceKey] = Field(min_length=1)

    @model_validator(mode="after")
    def _timing_fields(self) -> Combination:
        if (self.timing == "after_each_session") != (self.days_after is not None):
            raise ValueError("days_after goes with timing after_each_session, and only with it")
        if (self.timing == "spaced") != (self.days_apart is not None):
            raise ValueError("days_apart goes with timing spaced, and only with it")
        return self


#: The warning codes planning emits; each needs its text in planning.yaml.
WARNING_CODES = frozenset(
    {
        "face_depth_above_1_5",
        "icepick_limited_response",
        "series_split",
        "depth_capped",
        "home_depth_capped",
        "sessions_above_range",
        "session_limit_per_12_months",
        "start_moved",
        "add_on_not_indicated",
    }
)


class PlanningFile(Strict):
    zones: dict[Code, ZoneDepth] = Field(min_length=1)
    zone_sources: list[SourceKey] = Field(min_length=1)
    protocols: dict[Code, Protocol] = Field(min_length=1)
    reserved_zones: list[Code] = Field(default_factory=list)
    home: HomeRules
    warnings: dict[Code, WarningText]
    maintenance: Maintenance
    expected: list[ExpectedEvent] = Field(min_length=1)
    combinations: dict[Code, Combination]

    @model_validator(mode="after")
    def _warning_codes(self) -> PlanningFile:
        missing = sorted(WARNING_CODES - set(self.warnings))
        if missing:
            raise ValueError(f"warnings: missing text for {', '.join(missing)}")
        unknown = sorted(set(self.warnings) - WARNING_CODES)
        if unknown:
            raise ValueError(f"warnings: unknown code {unknown[0]!r}")
        for code, text in self.warnings.items():
            try:
                list(string.Formatter().parse(text.message))
            except ValueError as error:
                raise ValueError(
                    f"warnings.{code}: message is not a valid template: {error}"
                ) from None
        return self


def cross_check_planning(kb: KnowledgeBase, smap: SourceMap, problems: Problems) -> None:
    """Zones, concerns and groups named in planning.yaml exist, and every concern has a protocol."""
    planning = kb.section("planning.yaml", PlanningFile)
    for code in planning.zones:
        if code not in kb.zones:
            problems.add(smap, ("zones", code), f"unknown zone {code!r}")
    for code in kb.zones:
        if code not in planning.zones:
            problems.add(smap, ("zones",), f"no depth entry for zone {code!r}")
    for code in planning.reserved_zones:
        if code not in kb.zones:
            problems.add(smap, ("reserved_zones",), f"unknown zone {code!r}")
    covered: dict[str, str] = {}
    for name, protocol in planning.protocols.items():
        where = ("protocols", name)
        members: list[str] = []
        if protocol.concern is not None:
            if protocol.concern not in kb.concerns:
                problems.add(smap, (*where, "concern"), f"unknown concern {protocol.concern!r}")
            members = [protocol.concern]
        elif protocol.group is not None:
            if protocol.group not in kb.concern_groups:
                problems.add(smap, (*where, "group"), f"unknown concern group {protocol.group!r}")
            members = [c for c, concern in kb.concerns.items() if concern.group == protocol.group]
        for concern in members:
            if concern in covered:
                problems.add(smap, where, f"{concern!r} already has protocol {covered[concern]!r}")
            covered[concern] = name
        for zone in [*protocol.depth_overrides, *(protocol.zones or [])]:
            if zone not in kb.zones:
                problems.add(smap, where, f"unknown zone {zone!r}")
        for zone, override in protocol.depth_overrides.items():
            entry = planning.zones.get(zone)
            if entry is not None and override.max > entry.cap:
                problems.add(smap, (*where, "depth_overrides", zone), "above the zone cap")
        if protocol.depth == "zone":
            for zone in protocol.zones or []:
                entry = planning.zones.get(zone)
                if entry is not None and entry.rejuvenation is None:
                    problems.add(smap, where, f"zone {zone!r} has no rejuvenation range")
    for concern in kb.concerns:
        if concern not in covered:
            problems.add(smap, ("protocols",), f"no protocol for concern {concern!r}")
    for code, combination in planning.combinations.items():
        for concern in combination.for_concerns:
            if concern not in kb.concerns:
                problems.add(smap, ("combinations", code), f"unknown concern {concern!r}")


# care.yaml -------------------------------------------------------------------------------------


class InsteadIf(Strict):
    code: Code
    instruction: Text


class PrecareStep(Strict):
    day: int = Field(ge=-90, le=0)
    instruction: Text
    if_finding: Code | None = None
    face_only: bool = False
    instead_if_finding: InsteadIf | None = None
    sources: list[SourceKey] = Field(min_length=1)


class Window(Strict):
    from_: int = Field(alias="from", ge=0, le=10_000)
    to: int | None = Field(default=None, ge=0, le=10_000)

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.to is not None and self.to <= self.from_:
            raise ValueError("'to' must be after 'from'")
        return self


class AftercareStep(Strict):
    hours: Window | None = None
    days: Window | None = None
    kind: Literal["instruction", "expected", "contact_clinic"]
    instruction: Text
    sources: list[SourceKey] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_window(self) -> AftercareStep:
        if (self.hours is None) == (self.days is None):
            raise ValueError("give exactly one of hours or days")
        return self


class CareFile(Strict):
    precare: list[PrecareStep] = Field(min_length=1)
    aftercare: list[AftercareStep] = Field(min_length=1)


def cross_check_care(kb: KnowledgeBase, smap: SourceMap, problems: Problems) -> None:
    """Finding codes named in care.yaml exist."""
    care = kb.section("care.yaml", CareFile)
    for index, step in enumerate(care.precare):
        codes = [step.if_finding, step.instead_if_finding.code if step.instead_if_finding else None]
        for code in codes:
            if code is not None and code not in kb.findings:
                problems.add(smap, ("precare", index), f"unknown finding code {code!r}")
