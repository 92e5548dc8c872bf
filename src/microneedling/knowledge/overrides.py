"""A clinic's policy overrides (REFERENCE.md A.7): the typed, bounded values a clinic may change,
and a copy of the knowledge base with them applied.

Only the values of A.7 can be overridden, each within its bounds; anything else is refused with a
plain message. :func:`parse_overrides` checks what a person entered (every problem at once);
:func:`read_stored` reads what a clinic's settings hold, keeping the values that are valid and
listing the others as refused (old free-form JSON such as ``{"minimum_age": 12}`` never applies and
never crashes). :func:`apply_overrides` gives the knowledge base the engines read with the clinic's
values in place; its ``hash`` stays the shipped knowledge base's and ``overrides_hash`` is the
hash of the overrides in force (:func:`overrides_hash`).

Each value has one place in the knowledge base (:data:`SETTINGS` says which); the product check's
approved products are not knowledge-base data and are passed to it as arguments
(:func:`approved_products`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from microneedling.errors import UserError, plain_message
from microneedling.knowledge.knowledge_base import KnowledgeBase
from microneedling.knowledge.schema import FindingDefinition, Rule
from microneedling.knowledge.yamlsource import format_path

#: Keys of a clinic's stored settings that are not policy (A.7) but live in the same column.
NOT_POLICY_KEYS = frozenset({"contact"})

#: Most device profiles and approved products a clinic keeps.
MAX_DEVICE_PROFILES = 20
MAX_APPROVED_PRODUCTS = 100
#: Largest stored overrides document read (characters of its JSON form).
MAX_STORED_CHARS = 200_000

Unit = Literal["years", "days", "months", "hours", "sessions", "cm²"]


@dataclass(frozen=True)
class Setting:
    """One single-number value of A.7: its key, plain label, unit and bounds (both inclusive)."""

    key: str
    label: str
    unit: Unit
    min: int
    max: int
    #: What the value changes, in plain words (shown on the form).
    applies_to: str


#: The single-number values of A.7, in the table's order. Defaults come from the knowledge base
#: (:func:`defaults`), so they are always the shipped ones.
SETTINGS: tuple[Setting, ...] = (
    Setting("minimum_age", "Minimum age", "years", 18, 25, "screening: younger patients are not eligible"),
    Setting("retinoid_exfoliant_wait_days", "Retinoid and exfoliant wait", "days", 3, 30, "screening: topical retinoids and exfoliants"),
    Setting("sunburn_wait_days", "Sunburn wait", "days", 3, 30, "screening: sunburn"),
    Setting("toxin_filler_peel_wait_days", "Toxin, filler and peel wait", "days", 7, 42, "screening: botulinum toxin, dermal filler, chemical peel"),
    Setting("laser_light_wait_days", "Laser or light wait", "days", 7, 42, "screening: non-ablative laser, IPL"),
    Setting("ablative_wait_months", "Ablative resurfacing wait", "months", 1, 12, "screening: ablative laser, dermabrasion, deep peel"),
    Setting("tanning_wait_days", "Tanning wait", "days", 0, 42, "screening: sunbed, tanning, self-tanner (0: no wait)"),
    Setting("hair_removal_wait_days", "Hair removal wait", "days", 0, 14, "screening: waxing, depilatory cream, threading (0: no wait)"),
    Setting("radiotherapy_wait_months", "Radiotherapy wait", "months", 3, 24, "screening: radiotherapy"),
    Setting("isotretinoin_window_months", "Isotretinoin window shown", "months", 0, 12, "screening: isotretinoin stopped recently (0: not shown)"),
    Setting("make_up_window_hours", "Make-up window", "hours", 24, 168, "aftercare and product check: no make-up before this"),
    Setting("unknown_block_hours", "Unknown-ingredient block", "hours", 24, 168, "product check: an unrecognised ingredient blocks before this"),
    Setting("maintenance_interval_months", "Maintenance interval", "months", 3, 12, "plans: one maintenance session every"),
    Setting("sessions_per_12_months", "Sessions in any 12 months (burn scars, stretch marks)", "sessions", 3, 6, "plans: burn scars and stretch marks"),
    Setting("screening_valid_days", "Screening valid for charting", "days", 7, 180, "charting: the latest screening is at most this old"),
    Setting("large_numbing_area_cm2", "Large numbing area", "cm²", 100, 2000, "plans: warning above this treated area"),
)  # fmt: skip
SETTING = {setting.key: setting for setting in SETTINGS}

#: Bounds of the structured values.
ZONE_AREA_MIN, ZONE_AREA_MAX = 5, 3000
PASSES_MIN, PASSES_MAX = 1, 8
DEVICE_LOWEST_MIN, DEVICE_HIGHEST_MAX = 0.1, 3.0
DEVICE_STEP_MIN, DEVICE_STEP_MAX = 0.05, 0.5

#: Every key of A.7 (the structured ones last), in the table's order.
KEYS: tuple[str, ...] = (
    *(setting.key for setting in SETTINGS),
    "zone_areas_cm2",
    "passes",
    "device_profiles",
    "approved_products",
)


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class PassRange(_Model):
    """Passes for a concern group: from ``min`` to ``max`` (1–8)."""

    min: Annotated[int, Field(ge=PASSES_MIN, le=PASSES_MAX, strict=True)]
    max: Annotated[int, Field(ge=PASSES_MIN, le=PASSES_MAX, strict=True)]

    @model_validator(mode="after")
    def _ordered(self) -> PassRange:
        if self.min > self.max:
            raise ValueError("the fewest passes must not be more than the most passes")
        return self


Millimetres = Annotated[float, Field(allow_inf_nan=False)]


class DeviceProfile(_Model):
    """A device the clinic uses: its lowest and highest setting and its step (mm)."""

    name: Name
    lowest_mm: Annotated[Millimetres, Field(ge=DEVICE_LOWEST_MIN, le=DEVICE_HIGHEST_MAX)]
    highest_mm: Annotated[Millimetres, Field(ge=DEVICE_LOWEST_MIN, le=DEVICE_HIGHEST_MAX)]
    step_mm: Annotated[Millimetres, Field(ge=DEVICE_STEP_MIN, le=DEVICE_STEP_MAX)]

    @model_validator(mode="after")
    def _ordered(self) -> DeviceProfile:
        if self.lowest_mm >= self.highest_mm:
            raise ValueError("the lowest setting must be below the highest setting")
        return self


class ApprovedProductEntry(_Model):
    """A product the clinic approved for in-session or aftercare use (A.4)."""

    name: Name
    ingredients: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)
    ]
    sterile: Annotated[bool, Field(strict=True)]
    from_hours: Annotated[float, Field(ge=0, le=8760, allow_inf_nan=False)]
    approved_by: Name
    approved_on: date

    @field_validator("approved_on", mode="before")
    @classmethod
    def _iso_day(cls, value: Any) -> Any:
        if not isinstance(value, str | date):
            raise ValueError("expected a date such as 2026-12-07")
        return value

    @model_validator(mode="after")
    def _allowed(self) -> ApprovedProductEntry:
        if not self.sterile and self.from_hours < 24:
            raise ValueError(
                "a product that is not sterile cannot be approved for the first 24 h after a "
                "session (only sterile products then)"
            )
        return self


class PolicyOverrides(_Model):
    """A clinic's overrides of A.7: each value None (the shipped default) or within its bounds."""

    minimum_age: Annotated[int, Field(ge=18, le=25, strict=True)] | None = None
    retinoid_exfoliant_wait_days: Annotated[int, Field(ge=3, le=30, strict=True)] | None = None
    sunburn_wait_days: Annotated[int, Field(ge=3, le=30, strict=True)] | None = None
    toxin_filler_peel_wait_days: Annotated[int, Field(ge=7, le=42, strict=True)] | None = None
    laser_light_wait_days: Annotated[int, Field(ge=7, le=42, strict=True)] | None = None
    ablative_wait_months: Annotated[int, Field(ge=1, le=12, strict=True)] | None = None
    tanning_wait_days: Annotated[int, Field(ge=0, le=42, strict=True)] | None = None
    hair_removal_wait_days: Annotated[int, Field(ge=0, le=14, strict=True)] | None = None
    radiotherapy_wait_months: Annotated[int, Field(ge=3, le=24, strict=True)] | None = None
    isotretinoin_window_months: Annotated[int, Field(ge=0, le=12, strict=True)] | None = None
    make_up_window_hours: Annotated[int, Field(ge=24, le=168, strict=True)] | None = None
    unknown_block_hours: Annotated[int, Field(ge=24, le=168, strict=True)] | None = None
    maintenance_interval_months: Annotated[int, Field(ge=3, le=12, strict=True)] | None = None
    sessions_per_12_months: Annotated[int, Field(ge=3, le=6, strict=True)] | None = None
    screening_valid_days: Annotated[int, Field(ge=7, le=180, strict=True)] | None = None
    large_numbing_area_cm2: Annotated[int, Field(ge=100, le=2000, strict=True)] | None = None
    zone_areas_cm2: (
        dict[Code, Annotated[int, Field(ge=ZONE_AREA_MIN, le=ZONE_AREA_MAX, strict=True)]] | None
    ) = Field(default=None, max_length=64)
    passes: dict[Code, PassRange] | None = Field(default=None, max_length=64)
    device_profiles: list[DeviceProfile] | None = Field(
        default=None, max_length=MAX_DEVICE_PROFILES
    )
    approved_products: list[ApprovedProductEntry] | None = Field(
        default=None, max_length=MAX_APPROVED_PRODUCTS
    )

    @field_validator("device_profiles")
    @classmethod
    def _unique_devices(cls, value: list[DeviceProfile] | None) -> list[DeviceProfile] | None:
        names = [device.name.casefold() for device in value or ()]
        if len(set(names)) != len(names):
            raise ValueError("two device profiles have the same name")
        return value

    @field_validator("approved_products")
    @classmethod
    def _unique_products(
        cls, value: list[ApprovedProductEntry] | None
    ) -> list[ApprovedProductEntry] | None:
        names = [product.name.casefold() for product in value or ()]
        if len(set(names)) != len(names):
            raise ValueError("two approved products have the same name")
        return value

    def values(self) -> dict[str, Any]:
        """The overrides given, as JSON (keys with no override left out)."""
        return self.model_dump(mode="json", exclude_none=True)


NO_OVERRIDES = PolicyOverrides()


# Hash ----------------------------------------------------------------------------------------


def overrides_hash(overrides: PolicyOverrides) -> str | None:
    """``sha256:`` of the overrides' canonical JSON (sorted keys, no spaces); None when none."""
    values = overrides.values()
    if not values:
        return None
    canonical = json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# Parsing -------------------------------------------------------------------------------------


def _shown(key: object) -> str:
    if isinstance(key, str) and len(key) <= 40 and key.isprintable():
        return repr(key)
    return "a key"


def _problems(data: Mapping[str, Any], kb: KnowledgeBase) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for key in data:
        if key not in KEYS:
            found.append(
                (
                    str(key)[:40] if isinstance(key, str) else "overrides",
                    f"{_shown(key)} is not a value a clinic can change (A.7 lists them: "
                    + ", ".join(KEYS)
                    + ")",
                )
            )
    for key, value in data.items():
        if key not in KEYS:
            continue
        try:
            parsed = PolicyOverrides.model_validate({key: value})
        except ValidationError as error:
            for item in error.errors(include_url=False):
                found.append((format_path(tuple(item["loc"])) or "overrides", _message(item)))
            continue
        found.extend(_vocabulary_problems(parsed, kb))
    if not found:
        try:
            PolicyOverrides.model_validate(dict(data))
        except ValidationError as error:  # pragma: no cover - each key was valid alone
            found.extend(("overrides", _message(item)) for item in error.errors())
    return found


def _message(item: Any) -> str:
    loc = tuple(item["loc"])
    if loc and loc[0] in SETTING and len(loc) == 1 and item["type"] != "missing":
        setting = SETTING[str(loc[0])]
        return f"enter a whole number of {setting.unit} from {setting.min} to {setting.max}"
    if item["type"] == "value_error":
        return str(item["msg"]).removeprefix("Value error, ")
    return plain_message(item)


def _vocabulary_problems(parsed: PolicyOverrides, kb: KnowledgeBase) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for zone in parsed.zone_areas_cm2 or {}:
        if zone not in kb.zones:
            found.append((f"zone_areas_cm2.{zone}", f"{zone!r} is not a zone"))
    groups = pass_groups(kb)
    for group in parsed.passes or {}:
        if group not in groups:
            found.append(
                (
                    f"passes.{group}",
                    f"{group!r} is not a concern group (one of {', '.join(groups)})",
                )
            )
    for index, product in enumerate(parsed.approved_products or ()):
        try:
            _approved(product)
        except UserError as error:
            found.append((f"approved_products[{index}].{error.field or 'name'}", error.message))
    return found


def parse_overrides(data: object, kb: KnowledgeBase) -> PolicyOverrides:
    """What a person entered, as overrides; a UserError lists every problem (in ``fields``)."""
    if not isinstance(data, Mapping):
        raise UserError("policy overrides are an object of named values", field="overrides")
    if len(data) > 2 * len(KEYS):
        raise UserError("too many values: a clinic can change only the values of A.7")
    found = _problems(data, kb)
    if found:
        field, message = found[0]
        more = f" (and {len(found) - 1} more problems)" if len(found) > 1 else ""
        raise UserError(message + more, field=field, fields=found)
    return PolicyOverrides.model_validate(dict(data))


@dataclass(frozen=True)
class Refused:
    """A stored value that is not applied, and why."""

    key: str
    value: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"key": self.key, "value": self.value, "reason": self.reason}


@dataclass(frozen=True)
class StoredOverrides:
    """What a clinic's stored settings hold: the overrides that apply, and those refused."""

    overrides: PolicyOverrides
    refused: tuple[Refused, ...]

    @property
    def hash(self) -> str | None:
        return overrides_hash(self.overrides)


def _value_text(value: object) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def read_stored(stored: object, kb: KnowledgeBase) -> StoredOverrides:
    """The overrides a clinic's stored settings hold. Never raises: a value that is not valid
    (outside its bounds, of the wrong type, not a value of A.7) is listed as refused, and never
    applied. Keys that are not policy (:data:`NOT_POLICY_KEYS`) are ignored here."""
    if not isinstance(stored, Mapping):
        return StoredOverrides(NO_OVERRIDES, ())
    try:
        size = len(json.dumps(stored, default=str))
    except (TypeError, ValueError, RecursionError):
        size = MAX_STORED_CHARS + 1
    if size > MAX_STORED_CHARS:
        note = Refused("overrides", "(too large)", "the stored overrides are too large to read")
        return StoredOverrides(NO_OVERRIDES, (note,))
    good: dict[str, Any] = {}
    refused: list[Refused] = []
    for key, value in stored.items():
        if key in NOT_POLICY_KEYS:
            continue
        if key not in KEYS:
            reason = "not a value a clinic can change (A.7); ignored"
            refused.append(Refused(str(key)[:40], _value_text(value), reason))
            continue
        problems = _problems({key: value}, kb)
        if problems:
            reason = "; ".join(f"{field}: {message}" for field, message in problems[:3])
            refused.append(Refused(key, _value_text(value), f"{reason}; not applied"))
        else:
            good[key] = value
    return StoredOverrides(PolicyOverrides.model_validate(good), tuple(refused))


# Where each value lives ----------------------------------------------------------------------

#: Screening waits: override key → (the findings whose windowed rules it sets, unit).
WAITS: Mapping[str, tuple[tuple[str, ...], Literal["days", "months"]]] = {
    "retinoid_exfoliant_wait_days": (("topical_retinoid", "topical_exfoliant"), "days"),
    "sunburn_wait_days": (("sunburn",), "days"),
    "toxin_filler_peel_wait_days": (("botulinum_toxin", "dermal_filler", "chemical_peel"), "days"),
    "laser_light_wait_days": (("laser_or_light",), "days"),
    "ablative_wait_months": (("ablative_resurfacing",), "months"),
    "tanning_wait_days": (("tanning",), "days"),
    "hair_removal_wait_days": (("hair_removal",), "days"),
    "radiotherapy_wait_months": (("radiotherapy",), "months"),
    "isotretinoin_window_months": (("isotretinoin",), "months"),
}
MINIMUM_AGE_FINDING = "under_18"


def pass_groups(kb: KnowledgeBase) -> tuple[str, ...]:
    """The concern groups whose passes a clinic may set (the plan's technique groups where the
    knowledge base has them, else its protocols)."""
    planning = kb.sections.get("planning.yaml")
    technique = getattr(planning, "technique", None)
    if isinstance(technique, Mapping):
        return tuple(technique)
    protocols = getattr(planning, "protocols", None)
    return tuple(protocols) if isinstance(protocols, Mapping) else ()


def _window_rules(kb: KnowledgeBase, findings: Sequence[str]) -> list[Rule]:
    return [rule for rule in kb.rules if rule.finding in findings and rule.window is not None]


def _wait_default(kb: KnowledgeBase, key: str) -> int | None:
    findings, unit = WAITS[key]
    for rule in _window_rules(kb, findings):
        assert rule.window is not None
        value = rule.window.days if unit == "days" else rule.window.months
        if value is not None:
            return value
    return None


def _nested(obj: object, *path: str) -> Any:
    for name in path:
        if obj is None:
            return None
        obj = obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)
    return obj


def defaults(kb: KnowledgeBase) -> dict[str, Any]:
    """The shipped value of each A.7 value, read from ``kb`` (None where this knowledge base does
    not hold it yet)."""
    found: dict[str, Any] = {key: _wait_default(kb, key) for key in WAITS}
    under = kb.findings.get(MINIMUM_AGE_FINDING)
    found["minimum_age"] = under.trigger.age_below_years if under and under.trigger else None
    ingredients = kb.sections.get("ingredients.yaml")
    for key in ("make_up_window_hours", "unknown_block_hours"):
        found[key] = _nested(ingredients, "settings", key, "default")
    planning = kb.sections.get("planning.yaml")
    found["maintenance_interval_months"] = _nested(planning, "maintenance", "every_months")
    caps = [
        protocol.max_sessions_per_12_months
        for protocol in (_nested(planning, "protocols") or {}).values()
        if protocol.max_sessions_per_12_months is not None
    ]
    found["sessions_per_12_months"] = caps[0] if caps else None
    found["screening_valid_days"] = _nested(planning, "screening", "valid_days") or 90
    care = kb.sections.get("care.yaml")
    found["large_numbing_area_cm2"] = _nested(care, "numbing", "large_area_cm2") or _nested(
        planning, "numbing", "large_area_cm2"
    )
    found["zone_areas_cm2"] = _zone_areas(kb)
    technique = _nested(planning, "technique")
    found["passes"] = (
        {
            str(group): {"min": item.passes.min, "max": item.passes.max}
            for group, item in technique.items()
        }
        if isinstance(technique, Mapping)
        else None
    )
    devices = _nested(planning, "devices")
    found["device_profiles"] = (
        [
            {
                "name": device.name,
                "lowest_mm": device.lowest_mm,
                "highest_mm": device.highest_mm,
                "step_mm": device.step_mm,
            }
            for device in devices
        ]
        if isinstance(devices, list | tuple)
        else None
    )
    found["approved_products"] = []
    return {key: found.get(key) for key in KEYS}


def _zone_areas(kb: KnowledgeBase) -> dict[str, int] | None:
    planning = kb.sections.get("planning.yaml")
    areas = _nested(planning, "zone_areas_cm2") or _nested(planning, "areas")
    if isinstance(areas, Mapping):
        return {str(zone): int(area) for zone, area in areas.items()}
    zones = _nested(planning, "zones")
    if isinstance(zones, Mapping):
        found = {
            str(zone): int(area)
            for zone, depth in zones.items()
            if isinstance(area := getattr(depth, "area_cm2", None), int | float)
        }
        return found or None
    return None


# Applying ------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ClinicKnowledgeBase(KnowledgeBase):
    """The shipped knowledge base with a clinic's overrides applied. ``hash`` is still the shipped
    one; ``overrides_hash`` names the overrides in force."""

    overrides: PolicyOverrides = NO_OVERRIDES
    overrides_hash: str | None = None
    #: Values that could not be applied because this knowledge base has no place for them yet.
    not_applied: tuple[str, ...] = ()

    def stamp(self) -> dict[str, str]:
        stamp = dict(super().stamp())
        if self.overrides_hash is not None:
            stamp["overrides_hash"] = self.overrides_hash
        return stamp


def _reword(text: str | None, old: int | None, new: int, unit: str) -> str | None:
    """A rule's message with its wait's number changed ("7 days" → "14 days")."""
    if text is None or old is None or old == new:
        return text
    singular = unit.rstrip("s")
    return re.sub(
        rf"(?<![\d.]){old}([ -])({singular}s?)\b",
        lambda m: f"{new}{m.group(1)}{singular}{'s' if new != 1 and m.group(1) == ' ' else ''}",
        text,
    )


def _rules_with_waits(
    kb: KnowledgeBase, overrides: PolicyOverrides, missing: list[str]
) -> tuple[Rule, ...]:
    rules: list[Rule | None] = list(kb.rules)
    for key, (findings, unit) in WAITS.items():
        value = getattr(overrides, key)
        if value is None:
            continue
        touched = False
        for index, rule in enumerate(rules):
            if rule is None or rule.finding not in findings or rule.window is None:
                continue
            touched = True
            if value == 0:
                rules[index] = None  # no wait: the rule never counts
                continue
            window = rule.window
            old = window.days if window.days is not None else window.months
            old_unit = "days" if window.days is not None else "months"
            new_window = window.model_copy(
                update={"days": value if unit == "days" else None}
                | {"months": value if unit == "months" else None}
            )
            message = _reword(rule.message, old, value, unit) if old_unit == unit else rule.message
            rules[index] = rule.model_copy(update={"window": new_window, "message": message})
        if not touched:
            missing.append(key)
    return tuple(rule for rule in rules if rule is not None)


def _findings_with_age(
    kb: KnowledgeBase, overrides: PolicyOverrides, missing: list[str]
) -> tuple[Mapping[str, FindingDefinition], tuple[Rule, ...] | None]:
    age = overrides.minimum_age
    definition = kb.findings.get(MINIMUM_AGE_FINDING)
    if age is None:
        return kb.findings, None
    if definition is None or definition.trigger is None:
        missing.append("minimum_age")
        return kb.findings, None
    old = definition.trigger.age_below_years
    trigger = definition.trigger.model_copy(update={"age_below_years": age})
    findings = dict(kb.findings)
    findings[MINIMUM_AGE_FINDING] = definition.model_copy(update={"trigger": trigger})
    return findings, _age_messages(kb, old, age)


def _age_messages(kb: KnowledgeBase, old: int | None, age: int) -> tuple[Rule, ...]:
    def reword(rule: Rule) -> Rule:
        if rule.finding != MINIMUM_AGE_FINDING or old is None:
            return rule
        message = re.sub(rf"(?<![\d{{]){old}(?!\d)", str(age), rule.message)
        return rule.model_copy(update={"message": message})

    return tuple(reword(rule) for rule in kb.rules)


def _set_path(section: Any, path: tuple[str, ...], value: Any) -> Any:
    """``section`` (a frozen model) with the attribute at ``path`` set; None when absent."""
    head, *rest = path
    current = getattr(section, head, None)
    if current is None and rest:
        return None
    if not rest:
        if not hasattr(section, head):
            return None
        return section.model_copy(update={head: value})
    inner = _set_path(current, tuple(rest), value)
    return None if inner is None else section.model_copy(update={head: inner})


_SectionEdit = Callable[[Any, Any], Any]


def _planning_edits(overrides: PolicyOverrides) -> list[tuple[str, str, _SectionEdit]]:
    """(override key, file, edit) for the values that live in the planning and care files."""
    edits: list[tuple[str, str, _SectionEdit]] = []
    if overrides.maintenance_interval_months is not None:
        months = overrides.maintenance_interval_months
        edits.append(
            (
                "maintenance_interval_months",
                "planning.yaml",
                lambda planning, _: _set_path(planning, ("maintenance", "every_months"), months),
            )
        )
    if overrides.sessions_per_12_months is not None:
        edits.append(("sessions_per_12_months", "planning.yaml", _session_cap(overrides)))
    if overrides.zone_areas_cm2:
        edits.append(("zone_areas_cm2", "planning.yaml", _areas(overrides.zone_areas_cm2)))
    if overrides.large_numbing_area_cm2 is not None:
        area = overrides.large_numbing_area_cm2
        edits.append(
            (
                "large_numbing_area_cm2",
                "care.yaml",
                lambda care, _: _set_path(care, ("numbing", "large_area_cm2"), area),
            )
        )
    if overrides.screening_valid_days is not None:
        days = overrides.screening_valid_days
        edits.append(
            (
                "screening_valid_days",
                "planning.yaml",
                lambda planning, _: _set_path(planning, ("screening", "valid_days"), days),
            )
        )
    if overrides.passes:
        edits.append(("passes", "planning.yaml", _passes(overrides.passes)))
    if overrides.device_profiles:
        edits.append(("device_profiles", "planning.yaml", _devices(overrides.device_profiles)))
    for key in ("make_up_window_hours", "unknown_block_hours"):
        value = getattr(overrides, key)
        if value is not None:
            edits.append((key, "ingredients.yaml", _hours(key, value)))
    return edits


def _passes(passes: Mapping[str, PassRange]) -> _SectionEdit:
    """The plan's technique per protocol (``technique.<group>.passes``) with the clinic's passes."""

    def edit(planning: Any, _: Any) -> Any:
        technique = getattr(planning, "technique", None)
        if not isinstance(technique, Mapping) or any(group not in technique for group in passes):
            return None
        changed = dict(technique)
        for group, given in passes.items():
            current = technique[group]
            new = current.passes.model_copy(update={"min": given.min, "max": given.max})
            changed[group] = current.model_copy(update={"passes": new})
        return planning.model_copy(update={"technique": changed})

    return edit


def _devices(devices: Sequence[DeviceProfile]) -> _SectionEdit:
    """The plan's device profiles (``devices``) with the clinic's added; one of the same name as a
    shipped profile takes its place."""

    def edit(planning: Any, _: Any) -> Any:
        shipped = getattr(planning, "devices", None)
        if not isinstance(shipped, list | tuple) or not shipped:
            return None
        kind = type(shipped[0])
        added = [
            kind.model_validate(
                {
                    "name": device.name,
                    "lowest_mm": device.lowest_mm,
                    "highest_mm": device.highest_mm,
                    "step_mm": device.step_mm,
                }
            )
            for device in devices
        ]
        names = {device.name.casefold() for device in devices}
        kept = [device for device in shipped if str(device.name).casefold() not in names]
        return planning.model_copy(update={"devices": [*kept, *added]})

    return edit


def _hours(key: str, value: int) -> _SectionEdit:
    return lambda ingredients, _: _set_path(ingredients, ("settings", key, "default"), value)


def _session_cap(overrides: PolicyOverrides) -> _SectionEdit:
    def edit(planning: Any, _: Any) -> Any:
        protocols = getattr(planning, "protocols", None)
        if not isinstance(protocols, Mapping):
            return None
        changed = {
            code: protocol.model_copy(
                update={"max_sessions_per_12_months": overrides.sessions_per_12_months}
            )
            if protocol.max_sessions_per_12_months is not None
            else protocol
            for code, protocol in protocols.items()
        }
        return planning.model_copy(update={"protocols": changed})

    return edit


def _areas(areas: Mapping[str, int]) -> _SectionEdit:
    def edit(planning: Any, _: Any) -> Any:
        for name in ("zone_areas_cm2", "areas"):
            current = getattr(planning, name, None)
            if isinstance(current, Mapping):
                return planning.model_copy(update={name: {**current, **areas}})
        zones = getattr(planning, "zones", None)
        if isinstance(zones, Mapping) and all(
            hasattr(depth, "area_cm2") for depth in zones.values()
        ):
            changed = {
                code: depth.model_copy(update={"area_cm2": areas[code]}) if code in areas else depth
                for code, depth in zones.items()
            }
            return planning.model_copy(update={"zones": changed})
        return None

    return edit


def _build(kb: KnowledgeBase, overrides: PolicyOverrides) -> ClinicKnowledgeBase:
    missing: list[str] = []
    findings, age_rules = _findings_with_age(kb, overrides, missing)
    base = dataclasses.replace(kb, rules=age_rules) if age_rules is not None else kb
    rules = _rules_with_waits(base, overrides, missing)
    sections = dict(kb.sections)
    for key, name, edit in _planning_edits(overrides):
        section = sections.get(name)
        changed = edit(section, overrides) if section is not None else None
        if changed is None:
            missing.append(key)
        else:
            sections[name] = changed
    by_finding: dict[str, list[Rule]] = {}
    for rule in rules:
        by_finding.setdefault(rule.finding, []).append(rule)
    own = {"overrides", "overrides_hash", "not_applied"}
    fields = {
        field.name: getattr(kb, field.name)
        for field in dataclasses.fields(KnowledgeBase)
        if field.name not in own
    }
    fields.update(
        findings=findings,
        rules=rules,
        rules_by_finding={code: tuple(items) for code, items in by_finding.items()},
        sections=sections,
    )
    return ClinicKnowledgeBase(
        **fields,
        overrides=overrides,
        overrides_hash=overrides_hash(overrides),
        not_applied=tuple(missing),
    )


_CACHE: dict[tuple[int, str], ClinicKnowledgeBase] = {}
_CACHE_LOCK = threading.Lock()
#: Most clinic knowledge bases kept (the engines cache their look-ups per knowledge base).
_CACHE_SIZE = 256


def apply_overrides(kb: KnowledgeBase, overrides: PolicyOverrides) -> KnowledgeBase:
    """``kb`` with the clinic's overrides in place (``kb`` itself when there are none).

    The same knowledge base and overrides give the same object back, so the engines' per-knowledge
    -base caches stay small. Values ``kb`` has no place for yet are listed in ``not_applied``.
    """
    digest = overrides_hash(overrides)
    if digest is None:
        return kb
    key = (id(kb), digest)
    with _CACHE_LOCK:
        found = _CACHE.get(key)
        if found is not None and found.hash == kb.hash:
            return found
    built = _build(kb, overrides)
    with _CACHE_LOCK:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = built
    return built


def overrides_hash_of(kb: KnowledgeBase) -> str | None:
    """The hash of the overrides a knowledge base carries (None for the shipped one)."""
    return kb.overrides_hash if isinstance(kb, ClinicKnowledgeBase) else None


def approved_products(overrides: PolicyOverrides) -> tuple[Any, ...]:
    """The clinic's approved products as the product check takes them."""
    return tuple(_approved(product) for product in overrides.approved_products or ())


def _approved(product: ApprovedProductEntry) -> Any:
    from microneedling.clinical.products import ApprovedProduct  # clinical builds on knowledge

    return ApprovedProduct(
        name=product.name,
        ingredients=product.ingredients,
        sterile=product.sterile,
        from_hours=product.from_hours,
        approved_by=product.approved_by,
        approved_on=product.approved_on,
    )
