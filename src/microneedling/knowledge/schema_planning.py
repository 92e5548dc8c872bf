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
    timing: Literal["same_session", "after_each_session", "between_sessions", "spaced", "alongside"]
    days_after: int | None = Field(default=None, ge=1, le=120)
    days_apart: int | None = Field(default=None, ge=1, le=120)
    #: between_sessions: the day halfway between two sessions, offered only where that leaves at
    #: least ``min_days_each_side`` days on each side, and ``days_after_last`` after the last one.
    min_days_each_side: int | None = Field(default=None, ge=1, le=120)
    days_after_last: int | None = Field(default=None, ge=1, le=120)
    for_concerns: list[Code] = Field(default_factory=list)
    note: Text | None = None
    sources: list[SourceKey] = Field(min_length=1)

    @model_validator(mode="after")
    def _timing_fields(self) -> Combination:
        if (self.timing == "after_each_session") != (self.days_after is not None):
            raise ValueError("days_after goes with timing after_each_session, and only with it")
        if (self.timing == "spaced") != (self.days_apart is not None):
            raise ValueError("days_apart goes with timing spaced, and only with it")
        between = self.min_days_each_side is not None and self.days_after_last is not None
        if (self.timing == "between_sessions") != between or (
            not between and (self.min_days_each_side or self.days_after_last)
        ):
            raise ValueError(
                "min_days_each_side and days_after_last go with timing between_sessions, and only "
                "with it"
            )
        return self


class DeviceProfile(Strict):
    """A needling device: its settings from ``lowest_mm`` to ``highest_mm`` in ``step_mm`` steps
    (a roller: one fixed length, lowest = highest)."""

    name: Text
    lowest_mm: Depth = Field(ge=0.05, le=5)
    highest_mm: Depth = Field(ge=0.05, le=5)
    step_mm: Depth = Field(ge=0.01, le=5)
    fixed: bool = False
    sources: list[SourceKey] = Field(default_factory=list)

    @model_validator(mode="after")
    def _ordered(self) -> DeviceProfile:
        if self.lowest_mm > self.highest_mm:
            raise ValueError(f"lowest {self.lowest_mm} is above highest {self.highest_mm}")
        if self.fixed != (self.lowest_mm == self.highest_mm):
            raise ValueError("a fixed device (roller) has lowest = highest, and only it")
        return self


class PassRange(Strict):
    min: int = Field(ge=1, le=8)
    max: int = Field(ge=1, le=8)

    @model_validator(mode="after")
    def _ordered(self) -> PassRange:
        if self.min > self.max:
            raise ValueError(f"min {self.min} is greater than max {self.max}")
        return self


class Technique(Strict):
    endpoint: Code
    passes: PassRange


class GlideMedium(Strict):
    label: Text
    note: Text
    sources: list[SourceKey] = Field(min_length=1)


class ScreeningRules(Strict):
    valid_days: int = Field(ge=1, le=730)


#: The warning codes planning emits; each needs its text in planning.yaml.
WARNING_CODES = frozenset(
    {
        "not_screened",
        "screening_outdated",
        "depth_not_settable",
        "large_anesthetic_area",
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
    zone_areas_cm2: dict[Code, int] = Field(min_length=1)
    screening: ScreeningRules
    face_start_max_mm: Depth = Field(gt=0, le=5)
    devices: list[DeviceProfile] = Field(min_length=1)
    default_device: dict[Setting, Text]
    technique: dict[Code, Technique]
    endpoints: dict[Code, Text]
    glide_medium: GlideMedium
    technique_sources: list[SourceKey] = Field(min_length=1)
    protocols: dict[Code, Protocol] = Field(min_length=1)
    reserved_zones: list[Code] = Field(default_factory=list)
    home: HomeRules
    warnings: dict[Code, WarningText]
    maintenance: Maintenance
    expected: list[ExpectedEvent] = Field(min_length=1)
    combinations: dict[Code, Combination]

    @model_validator(mode="after")
    def _devices(self) -> PlanningFile:
        names = [device.name for device in self.devices]
        if len(set(names)) != len(names):
            raise ValueError("devices: two profiles have the same name")
        for setting, name in self.default_device.items():
            if name not in names:
                raise ValueError(f"default_device.{setting}: no device profile {name!r}")
        for code, technique in self.technique.items():
            if technique.endpoint not in self.endpoints:
                raise ValueError(f"technique.{code}: unknown endpoint {technique.endpoint!r}")
            if code not in self.protocols:
                raise ValueError(f"technique.{code}: no protocol {code!r}")
        for area in self.zone_areas_cm2.values():
            if not 1 <= area <= 10_000:
                raise ValueError(f"zone_areas_cm2: {area} cm² is outside 1–10000")
        return self

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
    for code in planning.zone_areas_cm2:
        if code not in kb.zones:
            problems.add(smap, ("zone_areas_cm2", code), f"unknown zone {code!r}")
    for code in kb.zones:
        if code not in planning.zone_areas_cm2:
            problems.add(smap, ("zone_areas_cm2",), f"no area for zone {code!r}")
    for name, protocol in planning.protocols.items():
        if "professional" in protocol.settings and name not in planning.technique:
            problems.add(smap, ("technique",), f"no technique for protocol {name!r}")
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


class Numbing(Strict):
    """The numbing step of day 0 (A.4): naming the area, excluded by some findings, warned above
    ``large_area_cm2`` (clinic-configurable, A.7)."""

    instruction: Text
    excluded_instruction: Text
    excluded_by: list[Code] = Field(min_length=1)
    large_area_cm2: int = Field(ge=1, le=100_000)
    sources: list[SourceKey] = Field(min_length=1)


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
    make_up_window: bool = False
    sources: list[SourceKey] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_window(self) -> AftercareStep:
        if (self.hours is None) == (self.days is None):
            raise ValueError("give exactly one of hours or days")
        if self.make_up_window and (self.hours is None or self.hours.from_ != 0):
            raise ValueError("the make-up window is given in hours from 0")
        return self


class CareFile(Strict):
    numbing: Numbing
    precare: list[PrecareStep] = Field(min_length=1)
    aftercare: list[AftercareStep] = Field(min_length=1)

    @model_validator(mode="after")
    def _numbing_template(self) -> CareFile:
        for name in ("instruction", "excluded_instruction"):
            text = getattr(self.numbing, name)
            try:
                fields = {f for _, f, _, _ in string.Formatter().parse(text) if f}
            except ValueError as error:
                raise ValueError(f"numbing.{name}: not a valid template: {error}") from None
            if fields - {"area", "zones", "reason"}:
                raise ValueError(f"numbing.{name}: unknown placeholder {sorted(fields)[0]!r}")
        return self


def cross_check_care(kb: KnowledgeBase, smap: SourceMap, problems: Problems) -> None:
    """Finding codes named in care.yaml exist."""
    care = kb.section("care.yaml", CareFile)
    for index, step in enumerate(care.precare):
        codes = [step.if_finding, step.instead_if_finding.code if step.instead_if_finding else None]
        for code in codes:
            if code is not None and code not in kb.findings:
                problems.add(smap, ("precare", index), f"unknown finding code {code!r}")
    for code in care.numbing.excluded_by:
        if code not in kb.findings:
            problems.add(smap, ("numbing", "excluded_by"), f"unknown finding code {code!r}")
