"""Treatment planning (REFERENCE.md A.3) with care timelines (A.4) and an optional quote.

``plan(request, kb)`` gives per zone a depth range, the starting depth as the plan's device makes
it, the technique and the treated area; groups the concerns into series whose interval ranges
overlap, proposes session dates, maintenance, the expected timeline, combinations, warnings,
pre-care (with the numbing step naming the area in cm²) and aftercare with real dates, and its
sources. Pure and deterministic; a request the policy refuses raises :class:`PlanRequestError` with
the reason.

Policy version 2 (A.2 "Zones"): a plan given a screening treats only the zones that screening
covered and only the Fitzpatrick type it recorded; a screening stored under policy 1 (no ``zones``
in it) cannot vouch for any zone, so a plan on it is refused with "screen again". No screening
gives the warning ``not_screened``; one assessed more than ``screening.valid_days`` (90) days
before the first session gives ``screening_outdated``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from microneedling.clinical.care import aftercare_sources, care_timelines, numbing_step
from microneedling.clinical.dates import add_days, add_months
from microneedling.clinical.intake import IsoDate, Word
from microneedling.clinical.pricing import PriceList, SeriesToPrice, quote
from microneedling.errors import PlanRequestError
from microneedling.knowledge import KnowledgeBase
from microneedling.knowledge.schema_planning import (
    DepthRange,
    PlanningFile,
    Protocol,
)
from microneedling.knowledge.yamlsource import format_path

MAX_TREATMENTS = 40
MAX_DEVICES = 20
#: Findings that start each zone at the low end of its range, as Fitzpatrick 4-6 does (A.3).
LOW_START_FINDINGS = frozenset({"pih_history"})


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Treatment(_Frozen):
    """One zone (or zone group) and the concern to treat there."""

    zone: Word
    concern: Word
    subtype: Word | None = None


class ScreeningInput(BaseModel):
    """The parts of a screening result (``screen --json``) a plan uses."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    decision: Literal["eligible", "caution", "defer", "not_eligible"]
    earliest_date: IsoDate | None = None
    findings: list[dict[str, Any]] = Field(default_factory=list, max_length=500)
    precautions: list[dict[str, Any]] = Field(default_factory=list, max_length=500)
    #: The zones the screening covered (policy 2); None for a screening stored under policy 1,
    #: which cannot vouch for any zone (a plan on it is refused: screen again).
    zones: list[Word] | None = Field(default=None, max_length=100)
    fitzpatrick: int | None = Field(default=None, ge=1, le=6)
    #: The day the screening was assessed.
    on: IsoDate | None = None


class DeviceIn(_Frozen):
    """A clinic's device profile given with the request: settings from ``lowest_mm`` to
    ``highest_mm`` in ``step_mm`` steps (A.7 bounds: lowest >= 0.1, highest <= 3.0, step
    0.05-0.5)."""

    name: Annotated[str, Field(min_length=1, max_length=80)]
    lowest_mm: Annotated[float, Field(ge=0.1, le=3.0, allow_inf_nan=False, strict=False)]
    highest_mm: Annotated[float, Field(ge=0.1, le=3.0, allow_inf_nan=False, strict=False)]
    step_mm: Annotated[float, Field(ge=0.05, le=0.5, allow_inf_nan=False, strict=False)]


class PlanRequest(_Frozen):
    """What to plan."""

    on: IsoDate = Field(description="Planning date")
    setting: Literal["professional", "home"] = "professional"
    fitzpatrick: int = Field(ge=1, le=6)
    start: IsoDate | None = Field(default=None, description="Requested first session")
    treatments: list[Treatment] = Field(min_length=1, max_length=MAX_TREATMENTS)
    add_ons: list[Word] = Field(default_factory=list, max_length=10)
    surgery_on: IsoDate | None = None
    screening: Annotated[ScreeningInput | None, Field(strict=False)] = None
    acknowledged_caution: bool = False
    device: Annotated[str, Field(min_length=1, max_length=80)] | None = Field(
        default=None, description="The device profile to plan for (default: the setting's shipped)"
    )
    devices: list[DeviceIn] = Field(
        default_factory=list, max_length=MAX_DEVICES, description="The clinic's own profiles"
    )


def parse_plan_request(data: Any) -> PlanRequest:
    """Validate a plan request's structure; PlanRequestError names the field."""
    if not isinstance(data, Mapping):
        raise PlanRequestError("a plan request must be a JSON object")
    try:
        return PlanRequest.model_validate(data)
    except ValidationError as error:
        fields = []
        for item in error.errors(include_url=False):
            message = str(item["msg"]).removeprefix("Value error, ")
            if item["type"] == "missing":
                message = "is required"
            elif item["type"] == "extra_forbidden":
                message = "is not a known field"
            fields.append((format_path(tuple(item["loc"])) or "request", message))
        field_name, message = fields[0]
        more = f" (and {len(fields) - 1} more problems)" if len(fields) > 1 else ""
        raise PlanRequestError(message + more, field=field_name, fields=fields) from None


@dataclass(frozen=True, slots=True)
class ZonePlan:
    zone: str
    concern: str
    subtype: str | None
    depth: DepthRange
    start_mm: float
    #: The starting depth as the device makes it; None when it cannot make any depth of the range.
    setting_mm: float | None = None
    area_cm2: int | None = None
    technique: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {"zone": self.zone, "concern": self.concern}
        if self.subtype is not None:
            result["subtype"] = self.subtype
        start = self.setting_mm if self.setting_mm is not None else self.start_mm
        result["depth_mm"] = {"min": self.depth.min, "max": self.depth.max, "start": start}
        result["policy_start_mm"] = self.start_mm
        result["device_setting_mm"] = self.setting_mm
        result["area_cm2"] = self.area_cm2
        result["technique"] = self.technique
        return result


@dataclass(frozen=True, slots=True)
class Device:
    """A device profile as planning uses it (shipped, the clinic's, or given with the request)."""

    name: str
    lowest_mm: float
    highest_mm: float
    step_mm: float

    @property
    def fixed(self) -> bool:
        return self.lowest_mm == self.highest_mm

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "lowest_mm": self.lowest_mm,
            "highest_mm": self.highest_mm,
            "step_mm": self.step_mm,
            "fixed": self.fixed,
        }

    def _grid(self) -> list[float]:
        # Work in micrometres so that 0.1 mm steps do not drift.
        low, high, step = (round(v * 1000) for v in (self.lowest_mm, self.highest_mm, self.step_mm))
        if self.fixed or step <= 0:
            return [low / 1000]
        return [(low + k * step) / 1000 for k in range((high - low) // step + 1)]

    def setting_for(self, start: float, low: float, high: float) -> float | None:
        """``start`` rounded down to a setting; if that is below ``low`` (or there is none), the
        lowest setting at or above ``low``; None if that is above ``high`` (A.3)."""
        grid = self._grid()
        eps = 1e-9
        down = [g for g in grid if g <= start + eps]
        if down and down[-1] >= low - eps:
            return down[-1]
        up = [g for g in grid if g >= low - eps]
        if up and up[0] <= high + eps:
            return up[0]
        return None


def _device(value: Any) -> Device:
    """A :class:`Device` from anything with ``name``, ``lowest_mm``, ``highest_mm``, ``step_mm``
    (the knowledge base's, a request's, or a clinic override's profile; or such a mapping)."""

    def get(key: str) -> Any:
        return value[key] if isinstance(value, Mapping) else getattr(value, key)

    return Device(
        name=str(get("name")),
        lowest_mm=float(get("lowest_mm")),
        highest_mm=float(get("highest_mm")),
        step_mm=float(get("step_mm")),
    )


@dataclass
class _Series:
    concerns: list[str]
    zones: list[ZonePlan]
    sessions: int | None = None
    interval: tuple[int, int, int] | None = None  # (min, max, default) weeks
    dates: list[date] = field(default_factory=list)


def _round(value: float) -> float:
    return round(value, 3)


@cache
def _protocol_of(kb: KnowledgeBase) -> dict[str, tuple[str, Protocol]]:
    planning = kb.section("planning.yaml", PlanningFile)
    result: dict[str, tuple[str, Protocol]] = {}
    for name, protocol in planning.protocols.items():
        if protocol.concern is not None:
            result[protocol.concern] = (name, protocol)
        else:
            for code, concern in kb.concerns.items():
                if concern.group == protocol.group:
                    result[code] = (name, protocol)
    return result


class _Warnings:
    def __init__(self, planning: PlanningFile) -> None:
        self._planning = planning
        self.items: list[dict[str, Any]] = []

    def add(self, code: str, *, zone: str | None = None, **values: Any) -> None:
        text = self._planning.warnings[code]
        message = text.message.format(**({"zone": zone} if zone else {}), **values)
        entry: dict[str, Any] = {"code": code, "message": message, "sources": list(text.sources)}
        if zone is not None:
            entry["zone"] = zone
        if entry not in self.items:
            self.items.append(entry)


def plan(
    request: PlanRequest,
    kb: KnowledgeBase,
    *,
    price_list: PriceList | None = None,
    devices: Iterable[Any] = (),
    passes: Mapping[str, Any] | None = None,
    screening_valid_days: int | None = None,
) -> dict[str, Any]:
    """The treatment plan for ``request`` as JSON data (the `plan --json` contract).

    ``devices`` are a clinic's own device profiles (anything with ``name``, ``lowest_mm``,
    ``highest_mm``, ``step_mm``), beside the shipped ones and those given in the request;
    ``passes`` the clinic's passes per technique group (``{group: {"min", "max"}}`` or objects
    with ``min``/``max``); ``screening_valid_days`` the clinic's screening validity (A.7).
    """
    planning = kb.section("planning.yaml", PlanningFile)
    protocols = _protocol_of(kb)
    warnings = _Warnings(planning)
    sources: dict[str, None] = {}

    if request.start is not None and request.start < request.on:
        raise PlanRequestError("the start date is before the planning date", field="start")
    precautions = _check_screening(request)
    device = _choose_device(request, planning, devices)
    finding_codes = {
        str(f.get("code")) for f in (request.screening.findings if request.screening else [])
    }
    if request.screening is None:
        warnings.add("not_screened")
    else:
        _check_screened_zones(request, kb)

    face = set(kb.group_members.get("face", ()))
    zone_plans: list[ZonePlan] = []
    for index, treatment in enumerate(request.treatments):
        where = f"treatments[{index}]"
        concern = kb.concerns.get(treatment.concern)
        if concern is None:
            raise PlanRequestError(
                f"unknown concern {treatment.concern!r}", field=f"{where}.concern"
            )
        if treatment.subtype is not None and treatment.subtype not in concern.subtypes:
            allowed = ", ".join(concern.subtypes) or "none"
            raise PlanRequestError(
                f"unknown subtype {treatment.subtype!r} for {treatment.concern} (allowed: {allowed})",
                field=f"{where}.subtype",
            )
        if treatment.zone in kb.zone_groups:
            zones = list(kb.group_members[treatment.zone])
        elif treatment.zone in kb.zones:
            zones = [treatment.zone]
        else:
            raise PlanRequestError(f"unknown zone {treatment.zone!r}", field=f"{where}.zone")
        _, protocol = protocols[treatment.concern]
        if request.setting not in protocol.settings:
            need = "a professional" if request.setting == "home" else "home use only"
            raise PlanRequestError(
                f"{concern.label} needs {need}; it cannot be planned in the {request.setting} setting",
                field=f"{where}.concern",
            )
        for zone in zones:
            _check_zone(zone, treatment.concern, protocol, planning, kb, where)
            zone_plan = _zone_plan(
                zone, treatment, protocol, planning, request, warnings, kb,
                device=device, face=zone in face, low_start=bool(finding_codes & LOW_START_FINDINGS),
                passes=passes,
            )  # fmt: skip
            if zone in face and zone_plan.depth.max > (
                planning.warnings["face_depth_above_1_5"].above_mm or 1.5
            ):
                warnings.add("face_depth_above_1_5", zones=kb.zones[zone].label.lower())
            zone_plans.append(zone_plan)
        if treatment.subtype == "icepick":
            warnings.add("icepick_limited_response")
        sources.update(dict.fromkeys(protocol.sources))

    for add_on in request.add_ons:
        combination = planning.combinations.get(add_on)
        if combination is None:
            known = ", ".join(planning.combinations)
            raise PlanRequestError(f"unknown add-on {add_on!r} (known: {known})", field="add_ons")
        concerns_in_plan = {z.concern for z in zone_plans}
        if combination.for_concerns and not concerns_in_plan & set(combination.for_concerns):
            warnings.add("add_on_not_indicated", add_on=combination.label)

    series = _group_series(zone_plans, protocols, warnings)
    start = _first_date(request, warnings)
    for item in series:
        _schedule(item, start, request, protocols, warnings)

    maintenance = _maintenance(series, planning, protocols, warnings)
    if maintenance is not None:
        sources.update(dict.fromkeys(planning.maintenance.sources))
    session_dates = sorted({d for item in series for d in item.dates})
    _check_screening_age(request, series, planning, warnings, screening_valid_days)
    face_treated = any(z.zone in face for z in zone_plans)
    treated_area = _treated_area(zone_plans, kb)
    numbing = numbing_step(
        kb,
        area_cm2=treated_area["total_cm2"],
        zones=[kb.zones[z["zone"]].label.lower() for z in treated_area["zones"]],
        findings=finding_codes,
    )
    numbing_on = _numbing_by_date(series, kb, finding_codes)
    largest = max([numbing["area_cm2"], *(n["area_cm2"] for n in numbing_on.values())])
    if numbing["topical_anaesthetic"] and largest > numbing["large_area_cm2"]:
        warnings.add("large_anesthetic_area", area=largest, limit=numbing["large_area_cm2"])
    precare, aftercare = care_timelines(
        session_dates, kb, findings=finding_codes, face_treated=face_treated,
        screened=request.screening is not None,
        numbing={day: n["instruction"] for day, n in numbing_on.items()},
    )  # fmt: skip
    expected = _expected(series, planning)
    combinations = _combinations(series, zone_plans, request, planning)
    if aftercare:
        sources.update(dict.fromkeys(aftercare_sources(kb)))
    for block in (precare, expected, combinations, warnings.items):
        for entry in block:
            sources.update(dict.fromkeys(entry["sources"]))
    sources.update(dict.fromkeys(planning.zone_sources))
    if any(z.technique for z in zone_plans):
        sources.update(dict.fromkeys(planning.technique_sources))
        sources.update(dict.fromkeys(planning.glide_medium.sources))
    sources.update(dict.fromkeys(numbing["sources"]))

    quote_data = None
    if price_list is not None:
        quote_data = quote(
            [
                SeriesToPrice(
                    label=", ".join(item.concerns),
                    zones=tuple(z.zone for z in item.zones),
                    sessions=item.sessions or 0,
                    add_ons=tuple(
                        a
                        for a in request.add_ons
                        if planning.combinations[a].timing == "same_session"
                    ),
                )
                for item in series
                if item.sessions
            ],
            price_list,
        )

    return {
        "on": request.on.isoformat(),
        "setting": request.setting,
        "fitzpatrick": request.fitzpatrick,
        "device": device.to_dict(),
        "screening": _screening_summary(request),
        "series": [_series_dict(item) for item in series],
        "treated_area": treated_area,
        "numbing": numbing,
        "glide_medium": {
            "label": planning.glide_medium.label,
            "note": planning.glide_medium.note,
            "sources": list(planning.glide_medium.sources),
        },
        "maintenance": maintenance,
        "precare": precare,
        "aftercare": aftercare,
        "expected": expected,
        "combinations": combinations,
        "warnings": warnings.items,
        "precautions": precautions,
        "quote": quote_data,
        "sources": sorted(sources),
        "knowledge_base": kb.stamp(),
    }


def _check_screening(request: PlanRequest) -> list[dict[str, Any]]:
    screening = request.screening
    if screening is None:
        return []
    if screening.decision == "not_eligible":
        raise PlanRequestError("the screening decision is not_eligible: no plan", field="screening")
    if screening.decision == "caution" and not request.acknowledged_caution:
        raise PlanRequestError(
            "the screening decision is caution: a clinician must acknowledge it "
            "(acknowledged_caution: true)",
            field="acknowledged_caution",
        )
    if screening.decision == "defer" and screening.earliest_date is None:
        raise PlanRequestError(
            "the screening is deferred with no known date: screen again once the condition has "
            "resolved",
            field="screening.earliest_date",
        )
    return [
        {
            "code": str(p.get("code")),
            "codes": [str(code) for code in p.get("codes") or [p.get("code")]],
            "instruction": str(p.get("instruction")),
            "sources": list(p.get("sources") or []),
        }
        for p in screening.precautions
    ]


def _choose_device(request: PlanRequest, planning: PlanningFile, devices: Iterable[Any]) -> Device:
    """The profile the request names (among the shipped, the clinic's and the request's own),
    or the setting's shipped default."""
    known: dict[str, Device] = {}
    for profile in [*planning.devices, *devices, *request.devices]:
        device = _device(profile)
        known[device.name.casefold()] = device
    name = request.device or planning.default_device.get(request.setting)
    if name is None:
        name = planning.devices[0].name
    found = known.get(name.casefold())
    if found is None:
        names = ", ".join(sorted({d.name for d in known.values()}))
        raise PlanRequestError(f"unknown device profile {name!r} (known: {names})", field="device")
    return found


def _check_screened_zones(request: PlanRequest, kb: KnowledgeBase) -> None:
    """The zones and Fitzpatrick type of the plan against those of its screening (A.2 "Zones").

    A screening without ``zones`` was stored under policy 1, when screenings did not record the
    zones they covered: it cannot vouch for any zone, so the plan is refused with "screen again"
    rather than trusted for zones nobody screened.
    """
    screening = request.screening
    assert screening is not None
    if screening.zones is None:
        raise PlanRequestError(
            "the screening does not record which zones it covered (it was made under policy "
            "version 1): screen again including every zone to treat",
            field="screening.zones",
        )
    if screening.fitzpatrick is not None and screening.fitzpatrick != request.fitzpatrick:
        raise PlanRequestError(
            f"Fitzpatrick type {request.fitzpatrick} differs from the screening's type "
            f"{screening.fitzpatrick}: correct the type or screen again",
            field="fitzpatrick",
        )
    covered: set[str] = set()
    for zone in screening.zones:
        covered.update(kb.group_members.get(zone, (zone,)))
    missing: dict[str, str] = {}
    for index, treatment in enumerate(request.treatments):
        zones = kb.group_members.get(treatment.zone) or (treatment.zone,)
        for zone in zones:
            if zone in kb.zones and zone not in covered and zone not in missing:
                missing[zone] = f"treatments[{index}].zone"
    if missing:
        names = [kb.zones[zone].label.lower() for zone in missing]
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        plural = len(names) > 1 or names[0].endswith("s")
        verb = "were" if plural else "was"
        pronoun = "them" if plural else "it"
        raise PlanRequestError(
            f"{listed} {verb} not screened: screen again including {pronoun}",
            field=next(iter(missing.values())),
        )


def _check_screening_age(
    request: PlanRequest,
    series: list[_Series],
    planning: PlanningFile,
    warnings: _Warnings,
    valid_days: int | None,
) -> None:
    screening = request.screening
    if screening is None or screening.on is None:
        return
    days = valid_days if valid_days is not None else planning.screening.valid_days
    dated = [s.dates[0] for s in series if s.dates]
    first = min(dated) if dated else (request.start or request.on)
    if (first - screening.on).days > days:
        warnings.add(
            "screening_outdated",
            assessed=screening.on.isoformat(),
            days=days,
            first=first.isoformat(),
        )


def _screening_summary(request: PlanRequest) -> dict[str, Any] | None:
    screening = request.screening
    if screening is None:
        return None
    return {
        "decision": screening.decision,
        "on": screening.on.isoformat() if screening.on else None,
        "zones": list(screening.zones) if screening.zones is not None else None,
        "fitzpatrick": screening.fitzpatrick,
    }


def _area_of(zones: Iterable[str], kb: KnowledgeBase) -> tuple[list[str], int]:
    planning = kb.section("planning.yaml", PlanningFile)
    distinct = list(dict.fromkeys(zones))
    return distinct, sum(planning.zone_areas_cm2.get(z, 0) for z in distinct)


def _treated_area(zone_plans: Sequence[ZonePlan], kb: KnowledgeBase) -> dict[str, Any]:
    """Each treated zone's area and the total (cm², each zone counted once)."""
    planning = kb.section("planning.yaml", PlanningFile)
    distinct, total = _area_of((z.zone for z in zone_plans), kb)
    return {
        "zones": [{"zone": z, "area_cm2": planning.zone_areas_cm2.get(z, 0)} for z in distinct],
        "total_cm2": total,
        "sources": list(planning.zone_sources),
    }


def _numbing_by_date(
    series: list[_Series], kb: KnowledgeBase, findings: set[str]
) -> dict[date, dict[str, Any]]:
    """The numbing step of each session day, for the zones treated that day."""
    on: dict[date, list[str]] = {}
    for item in series:
        for day in item.dates:
            on.setdefault(day, []).extend(z.zone for z in item.zones)
    result = {}
    for day, zones in on.items():
        distinct, area = _area_of(zones, kb)
        labels = [kb.zones[z].label.lower() for z in distinct]
        result[day] = numbing_step(kb, area_cm2=area, zones=labels, findings=findings)
    return result


def _technique(
    protocol_name: str, planning: PlanningFile, passes: Mapping[str, Any] | None
) -> dict[str, Any] | None:
    technique = planning.technique.get(protocol_name)
    if technique is None:
        return None
    low, high = technique.passes.min, technique.passes.max
    override = (passes or {}).get(protocol_name)
    if override is not None:
        if isinstance(override, Mapping):
            low, high = int(override["min"]), int(override["max"])
        else:
            low, high = int(override.min), int(override.max)
    return {
        "endpoint": technique.endpoint,
        "endpoint_label": planning.endpoints[technique.endpoint],
        "passes": {"min": low, "max": high},
        "directions": "crossing",
        "glide_medium": planning.glide_medium.label,
    }


def _check_zone(
    zone: str,
    concern: str,
    protocol: Protocol,
    planning: PlanningFile,
    kb: KnowledgeBase,
    where: str,
) -> None:
    label = kb.concerns[concern].label
    if protocol.zones is not None and zone not in protocol.zones:
        only = ", ".join(protocol.zones)
        raise PlanRequestError(
            f"{label} applies to {only} only, not to {zone}", field=f"{where}.zone"
        )
    if zone in planning.reserved_zones and (protocol.zones is None or zone not in protocol.zones):
        allowed = [c for c, (_, p) in _protocol_of(kb).items() if p.zones and zone in p.zones]
        raise PlanRequestError(
            f"the {zone} takes only {', '.join(allowed)}, not {concern}", field=f"{where}.concern"
        )


def _zone_plan(
    zone: str,
    treatment: Treatment,
    protocol: Protocol,
    planning: PlanningFile,
    request: PlanRequest,
    warnings: _Warnings,
    kb: KnowledgeBase,
    *,
    device: Device,
    face: bool = False,
    low_start: bool = False,
    passes: Mapping[str, Any] | None = None,
) -> ZonePlan:
    entry = planning.zones[zone]
    if protocol.depth == "zone":
        base = protocol.depth_overrides.get(zone) or entry.rejuvenation
        if base is None:  # guarded by _check_zone and the knowledge-base checks
            raise PlanRequestError(f"no depth range for {zone}", field="treatments")
        low, high = base.min, base.max
    else:
        low, high = protocol.depth.min, protocol.depth.max
        if high > entry.cap:
            warnings.add(
                "depth_capped",
                concern=kb.concerns[treatment.concern].label,
                zone=zone,
                cap=entry.cap,
            )
        low, high = min(low, entry.cap), min(high, entry.cap)
    if request.setting == "home" and high > planning.home.max_depth_mm:
        cap = planning.home.max_depth_mm
        warnings.add("home_depth_capped", cap=cap)
        low, high = min(low, cap), min(high, cap)
    fitzpatrick_4_6 = request.fitzpatrick >= 4 or low_start
    fixed = protocol.start_mm_fitzpatrick_4_6 if fitzpatrick_4_6 else protocol.start_mm
    if fixed is None and protocol.start_mm is not None:
        fixed = protocol.start_mm
    if fixed is not None:
        start = min(max(fixed, low), high)
    elif fitzpatrick_4_6:
        start = low
    else:
        start = (low + high) / 2
    if face:
        start = min(start, planning.face_start_max_mm)
    setting = device.setting_for(start, low, high)
    if setting is None:
        warnings.add(
            "depth_not_settable",
            zone=zone,
            device=device.name,
            low=f"{_round(low):g}",
            high=f"{_round(high):g}",
        )
    protocol_name = _protocol_of(kb)[treatment.concern][0]
    return ZonePlan(
        zone=zone,
        concern=treatment.concern,
        subtype=treatment.subtype,
        depth=DepthRange(min=_round(low), max=_round(high)),
        start_mm=_round(start),
        setting_mm=None if setting is None else _round(setting),
        area_cm2=planning.zone_areas_cm2.get(zone),
        technique=_technique(protocol_name, planning, passes),
    )


def _group_series(
    zone_plans: list[ZonePlan],
    protocols: Mapping[str, tuple[str, Protocol]],
    warnings: _Warnings,
) -> list[_Series]:
    """Concerns grouped so that each group's interval ranges overlap (greedy, by interval)."""
    concerns = list(dict.fromkeys(z.concern for z in zone_plans))
    timed = [c for c in concerns if protocols[c][1].interval_weeks is not None]
    untimed = [c for c in concerns if protocols[c][1].interval_weeks is None]

    def interval(concern: str) -> tuple[int, int]:
        weeks = protocols[concern][1].interval_weeks
        assert weeks is not None
        return weeks.min, weeks.max

    groups: list[list[str]] = []
    bounds: list[tuple[int, int]] = []
    for concern in sorted(timed, key=lambda c: (interval(c), concerns.index(c))):
        low, high = interval(concern)
        if groups and max(bounds[-1][0], low) <= min(bounds[-1][1], high):
            groups[-1].append(concern)
            bounds[-1] = (max(bounds[-1][0], low), min(bounds[-1][1], high))
        else:
            groups.append([concern])
            bounds.append((low, high))
    groups.sort(key=lambda g: min(concerns.index(c) for c in g))
    if len(groups) > 1:
        warnings.add("series_split", count=len(groups))
    series = []
    for group in groups:
        ordered = sorted(group, key=concerns.index)
        series.append(
            _Series(concerns=ordered, zones=[z for z in zone_plans if z.concern in group])
        )
    if untimed:
        series.append(
            _Series(concerns=untimed, zones=[z for z in zone_plans if z.concern in untimed])
        )
    return series


def _first_date(request: PlanRequest, warnings: _Warnings) -> date:
    start = request.start or request.on
    screening = request.screening
    earliest = screening.earliest_date if screening and screening.decision == "defer" else None
    if earliest is not None and start < earliest:
        if request.start is not None:
            warnings.add(
                "start_moved",
                requested=request.start.isoformat(),
                start=earliest.isoformat(),
                reason="the screening deferred treatment until then",
            )
        start = earliest
    return start


def _schedule(
    item: _Series,
    start: date,
    request: PlanRequest,
    protocols: Mapping[str, tuple[str, Protocol]],
    warnings: _Warnings,
) -> None:
    rules = [protocols[c][1] for c in item.concerns]
    if any(p.sessions is None or p.interval_weeks is None for p in rules):
        return  # home product absorption: used as needed, no series
    sessions = max(p.sessions.default for p in rules if p.sessions)
    low = max(p.interval_weeks.min for p in rules if p.interval_weeks)
    high = min(p.interval_weeks.max for p in rules if p.interval_weeks)
    default = max(p.interval_weeks.default for p in rules if p.interval_weeks)
    default = min(max(default, low), high)
    for concern, protocol in zip(item.concerns, rules, strict=True):
        limit = protocol.max_sessions_per_12_months
        if limit is not None and sessions > limit:
            warnings.add(
                "session_limit_per_12_months",
                concern=concern,
                limit=limit,
                what=f"the series is shortened to {limit} sessions",
            )
            sessions = limit
    for concern, protocol in zip(item.concerns, rules, strict=True):
        if protocol.sessions is not None and sessions > protocol.sessions.max:
            warnings.add(
                "sessions_above_range",
                concern=concern,
                sessions=sessions,
                max=protocol.sessions.max,
            )
    first = start
    weeks_after_surgery = [
        p.first_session_after_surgery_weeks for p in rules if p.first_session_after_surgery_weeks
    ]
    if weeks_after_surgery:
        if request.surgery_on is None:
            raise PlanRequestError(
                "surgical scars need the date of surgery (surgery_on): the first session may be no "
                f"earlier than {max(weeks_after_surgery)} weeks after it",
                field="surgery_on",
            )
        if request.surgery_on > request.on:
            raise PlanRequestError(
                "the surgery date is after the planning date", field="surgery_on"
            )
        allowed = add_days(request.surgery_on, 7 * max(weeks_after_surgery))
        if first < allowed:
            warnings.add(
                "start_moved",
                requested=first.isoformat(),
                start=allowed.isoformat(),
                reason=f"surgical scars are treated from {max(weeks_after_surgery)} weeks after surgery",
            )
            first = allowed
    item.sessions = sessions
    item.interval = (low, high, default)
    item.dates = [first + timedelta(weeks=default * k) for k in range(sessions)]


def _maintenance(
    series: list[_Series],
    planning: PlanningFile,
    protocols: Mapping[str, tuple[str, Protocol]],
    warnings: _Warnings,
) -> dict[str, Any] | None:
    timed = [s for s in series if s.dates]
    if not timed:
        return None
    every = planning.maintenance.every_months
    first = add_months(max(s.dates[-1] for s in timed), every)
    for item in timed:
        for concern in item.concerns:
            limit = protocols[concern][1].max_sessions_per_12_months
            if limit is not None and len(item.dates) >= limit:
                allowed = add_months(item.dates[-limit], 12)
                if first < allowed:
                    first = allowed
                    warnings.add(
                        "session_limit_per_12_months",
                        concern=concern,
                        limit=limit,
                        what=f"the first maintenance session moves to {allowed.isoformat()}",
                    )
    return {
        "every_months": every,
        "first_date": first.isoformat(),
        "sources": list(planning.maintenance.sources),
    }


def _expected(series: list[_Series], planning: PlanningFile) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    all_dates = sorted({d for s in series for d in s.dates})
    last_dates = sorted({s.dates[-1] for s in series if s.dates})
    for event in planning.expected:
        anchors = all_dates if event.after == "each_session" else last_dates
        for anchor in anchors:
            if event.from_months is not None:
                start = add_months(anchor, event.from_months)
            else:
                start = add_days(anchor, event.from_days or 0)
            end = add_days(anchor, event.to_days) if event.to_days is not None else None
            entries.append(
                {
                    "event": event.event,
                    "label": event.label,
                    "date_from": start.isoformat(),
                    "date_to": end.isoformat() if end else None,
                    "sources": list(event.sources),
                }
            )
    entries.sort(key=lambda e: (e["date_from"], e["event"]))
    return entries


def _combinations(
    series: list[_Series], zone_plans: list[ZonePlan], request: PlanRequest, planning: PlanningFile
) -> list[dict[str, Any]]:
    concerns = {z.concern for z in zone_plans}
    dates = sorted({d for s in series for d in s.dates})
    result = []
    for code, combination in planning.combinations.items():
        requested = code in request.add_ons
        relevant = not combination.for_concerns or bool(concerns & set(combination.for_concerns))
        if not (requested or relevant):
            continue
        entry: dict[str, Any] = {
            "code": code,
            "label": combination.label,
            "requested": requested,
            "timing": combination.timing,
        }
        if combination.timing == "same_session":
            entry["dates"] = [d.isoformat() for d in dates]
        elif combination.timing == "after_each_session" and combination.days_after:
            entry["dates"] = [add_days(d, combination.days_after).isoformat() for d in dates]
        elif combination.timing == "between_sessions":
            entry["dates"] = [
                d.isoformat()
                for d in halfway_dates(
                    dates,
                    min_days_each_side=combination.min_days_each_side or 14,
                    days_after_last=combination.days_after_last or 21,
                )
            ]
        elif combination.timing == "spaced" and combination.days_apart:
            entry["avoid"] = [
                {
                    "from": add_days(d, -combination.days_apart + 1).isoformat(),
                    "to": add_days(d, combination.days_apart - 1).isoformat(),
                }
                for d in dates
            ]
        if combination.note:
            entry["note"] = combination.note
        entry["sources"] = list(combination.sources)
        result.append(entry)
    return result


def halfway_dates(
    dates: Sequence[date], *, min_days_each_side: int, days_after_last: int
) -> list[date]:
    """The day halfway between each two sessions where that leaves at least
    ``min_days_each_side`` days on each side (an odd gap: the earlier day), and ``days_after_last``
    days after the last session (A.3 chemical peel)."""
    ordered = sorted(set(dates))
    found = []
    for before, after in itertools.pairwise(ordered):
        gap = (after - before).days
        middle = add_days(before, math.floor(gap / 2))
        if (middle - before).days >= min_days_each_side and (
            after - middle
        ).days >= min_days_each_side:
            found.append(middle)
    if ordered:
        found.append(add_days(ordered[-1], days_after_last))
    return found


def _series_dict(item: _Series) -> dict[str, Any]:
    interval = None
    if item.interval is not None:
        low, high, default = item.interval
        interval = {"min": low, "max": high, "default": default}
    return {
        "concerns": item.concerns,
        "zones": [z.to_dict() for z in item.zones],
        "sessions": item.sessions,
        "interval_weeks": interval,
        "dates": [d.isoformat() for d in item.dates],
    }
