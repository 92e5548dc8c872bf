"""Outcome scales as validated calculators (REFERENCE.md A.5).

``score(scale_code, inputs, kb)`` checks every input against the scale's definition in the knowledge
base (``scales.yaml``: names, ranges, whole numbers or decimal places), computes the total the way
the scale's ``method`` says, names the band the total falls in, and returns a :class:`ScaleResult`
carrying the scale's version, sources, warnings and the knowledge base's version and hash.
``list_scales(kb)`` describes every scale and its inputs (for forms and ``score --list``).

Pure and deterministic: no I/O, and arithmetic in :class:`~decimal.Decimal`, so the mMASI's
``0.3 × 2 × 1`` is exactly 0.6 and the same inputs give the same JSON byte for byte. Bad input raises
:class:`~microneedling.errors.UserError` naming the input, e.g. ``right_malar.area: must be 0–6,
got 7``; every problem found is listed in the error's ``fields``.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from types import MappingProxyType
from typing import Any, Literal

from microneedling.errors import UserError
from microneedling.knowledge import KnowledgeBase
from microneedling.knowledge.schema_scales import (
    Band,
    Better,
    Method,
    Scale,
    ScalesFile,
    Verified,
    inputs_of,
    multiplier,
)

Number = int | float

#: Most inputs any call may pass (the largest scale has 20); more is refused before any work.
MAX_INPUTS = 200
#: How deep nested input objects may go (``{"forehead": {"area": 2}}`` is depth 2).
MAX_DEPTH = 4
_NUMBER = re.compile(r"^[+-]?\d{1,12}(\.\d{1,12})?$", re.ASCII)
_BIG = 10**12


# Result types --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InputSpec:
    """One input a scale takes: its name (``forehead.area``), label and accepted values."""

    name: str
    label: str
    min: Decimal
    max: Decimal
    kind: Literal["integer", "decimal"]
    #: Decimal places accepted (0 for a whole number).
    decimals: int
    #: ``(value, meaning)`` for each value, when the scale words its levels.
    levels: tuple[tuple[int, str], ...]
    #: Names a value may be given as (Glogau ``III`` → 3), upper case.
    symbols: Mapping[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "min": _number(self.min),
            "max": _number(self.max),
            "kind": self.kind,
            "decimals": self.decimals,
            "levels": [{"value": value, "label": label} for value, label in self.levels],
            "symbols": dict(self.symbols),
        }


@dataclass(frozen=True, slots=True)
class BandInfo:
    """A named stretch of totals."""

    code: str
    min: Number
    max: Number
    label: str
    description: str | None
    symbol: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "min": self.min,
            "max": self.max,
            "label": self.label,
            "description": self.description,
            "symbol": self.symbol,
        }


@dataclass(frozen=True, slots=True)
class ScaleInfo:
    """What a scale is and what it takes (``score --list``)."""

    code: str
    label: str
    abbreviation: str
    version: str
    convention: str | None
    method: Method
    better: Better
    range: tuple[Number, Number]
    inputs: tuple[InputSpec, ...]
    bands: tuple[BandInfo, ...]
    interpretation: str | None
    #: ``(row, what, where, kind)``: what was verified and where (row None: the whole scale).
    verified: tuple[tuple[str | None, str, str, str], ...]
    #: ``(text, warn)``: what is to be verified, and whether results carry it as a warning.
    to_verify: tuple[tuple[str, bool], ...]
    notes: tuple[str, ...]
    sources: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "label": self.label,
            "abbreviation": self.abbreviation,
            "version": self.version,
            "convention": self.convention,
            "method": self.method,
            "better": self.better,
            "range": {"min": self.range[0], "max": self.range[1]},
            "inputs": [spec.to_dict() for spec in self.inputs],
            "bands": [band.to_dict() for band in self.bands],
            "interpretation": self.interpretation,
            "verified": [
                {"row": row, "what": what, "where": where, "kind": kind}
                for row, what, where, kind in self.verified
            ],
            "to_verify": [{"text": text, "warn": warn} for text, warn in self.to_verify],
            "notes": list(self.notes),
            "sources": list(self.sources),
        }


@dataclass(frozen=True, slots=True)
class Interpretation:
    """How to read a total: its band (when the scale has bands), a label, a description."""

    band: str | None
    label: str
    description: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"band": self.band, "label": self.label, "description": self.description}


@dataclass(frozen=True, slots=True)
class ScaleResult:
    """One scored assessment."""

    scale: str
    version: str
    #: The inputs as numbers, in the scale's order.
    inputs: Mapping[str, Number]
    #: The total; for a ``parts`` scale (POSAS) each part's total and overall opinion.
    score: Number | Mapping[str, Number]
    range: tuple[Number, Number]
    interpretation: Interpretation
    better: Better
    warnings: tuple[str, ...]
    sources: tuple[str, ...]
    knowledge_base_version: str
    knowledge_base_hash: str

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (the ``score --json`` contract)."""
        score = self.score if isinstance(self.score, int | float) else dict(self.score)
        return {
            "scale": self.scale,
            "version": self.version,
            "inputs": dict(self.inputs),
            "score": score,
            "range": {"min": self.range[0], "max": self.range[1]},
            "interpretation": self.interpretation.to_dict(),
            "better": self.better,
            "warnings": list(self.warnings),
            "sources": list(self.sources),
            "knowledge_base": {
                "version": self.knowledge_base_version,
                "hash": self.knowledge_base_hash,
            },
        }


# Catalogue -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Entry:
    code: str
    definition: Scale
    info: ScaleInfo


@cache
def _catalogue(kb: KnowledgeBase) -> Mapping[str, _Entry]:
    scales = kb.section("scales.yaml", ScalesFile).scales
    return MappingProxyType({code: _entry(code, scale) for code, scale in scales.items()})


def _entry(code: str, scale: Scale) -> _Entry:
    symbols = {band.symbol.upper(): int(band.min) for band in scale.bands if band.symbol}
    specs = tuple(
        InputSpec(
            name=name,
            label=label,
            min=item.min,
            max=item.max,
            kind=item.kind,
            decimals=item.decimals or 0,
            levels=tuple((level.value, level.label) for level in item.levels),
            symbols=MappingProxyType(dict(symbols)),
        )
        for name, label, item in inputs_of(scale)
    )
    info = ScaleInfo(
        code=code,
        label=scale.label,
        abbreviation=scale.abbreviation,
        version=scale.version,
        convention=scale.convention,
        method=scale.method,
        better=scale.better,
        range=(_number(scale.range.min), _number(scale.range.max)),
        inputs=specs,
        bands=tuple(_band_info(band) for band in scale.bands),
        interpretation=scale.interpretation,
        verified=_verified(scale),
        to_verify=tuple((entry.text, entry.warn) for entry in scale.to_verify),
        notes=tuple(scale.notes),
        sources=tuple(scale.sources),
    )
    return _Entry(code=code, definition=scale, info=info)


def _verified(scale: Scale) -> tuple[tuple[str | None, str, str, str], ...]:
    rows: list[tuple[str | None, Sequence[Verified]]] = [(None, scale.verified)]
    rows += [(code, lesion.verified) for code, lesion in scale.lesion_types.items()]
    rows += [(code, row.verified) for code, row in scale.area_rows.items()]
    return tuple((row, note.what, note.where, note.kind) for row, notes in rows for note in notes)


def _band_info(band: Band) -> BandInfo:
    return BandInfo(
        code=band.code,
        min=_number(band.min),
        max=_number(band.max),
        label=band.label,
        description=band.description,
        symbol=band.symbol,
    )


def list_scales(kb: KnowledgeBase) -> tuple[ScaleInfo, ...]:
    """Every scale of the knowledge base, in file order."""
    return tuple(entry.info for entry in _catalogue(kb).values())


def scale_info(scale_code: str, kb: KnowledgeBase) -> ScaleInfo:
    """One scale's description; UserError (field ``scale``) if there is no such scale."""
    return _lookup(scale_code, kb).info


def _lookup(scale_code: Any, kb: KnowledgeBase) -> _Entry:
    catalogue = _catalogue(kb)
    known = ", ".join(catalogue)
    if not isinstance(scale_code, str):
        raise UserError(f"expected a scale name (one of: {known})", field="scale")
    key = scale_code.strip().lower().replace("-", "_")
    entry = catalogue.get(key)
    if entry is None:
        raise UserError(f"unknown scale {_short(scale_code)} (known: {known})", field="scale")
    return entry


# Scoring -------------------------------------------------------------------------------------


def score(scale_code: str, inputs: Mapping[str, Any], kb: KnowledgeBase) -> ScaleResult:
    """Score one assessment on ``scale_code`` (REFERENCE.md A.5).

    ``inputs`` maps each input name to its value: flat (``{"forehead.area": 2}``) or nested
    (``{"forehead": {"area": 2}}``); values are numbers or numeric strings (a graded scale with
    symbols also takes them: Glogau ``"III"``). Every input is required. Raises UserError naming
    the input for anything unknown, missing, out of range or not a number of the right kind.
    """
    entry = _lookup(scale_code, kb)
    values = _validate(entry, inputs)
    scale = entry.definition
    total = _total(scale, values)
    if isinstance(total, Decimal):
        result_score: Number | Mapping[str, Number] = _number(total)
        interpretation = _interpret(entry, total)
    else:
        result_score = MappingProxyType({name: _number(value) for name, value in total.items()})
        interpretation = _interpret_parts(entry, total)
    return ScaleResult(
        scale=entry.code,
        version=scale.version,
        inputs=MappingProxyType({name: _number(value) for name, value in values.items()}),
        score=result_score,
        range=entry.info.range,
        interpretation=interpretation,
        better=scale.better,
        warnings=tuple(check.text for check in scale.to_verify if check.warn),
        sources=tuple(scale.sources),
        knowledge_base_version=kb.version,
        knowledge_base_hash=kb.hash,
    )


def _total(scale: Scale, values: Mapping[str, Decimal]) -> Decimal | dict[str, Decimal]:
    """The total by the scale's method (a mapping of part totals for ``parts``)."""
    if scale.method == "sum":
        return sum((values[code] for code in scale.items), Decimal(0))
    if scale.method == "regions":
        total = Decimal(0)
        for region_code, region in scale.regions.items():
            product = region.weight
            for factor_code in scale.factors:
                product *= values[f"{region_code}.{factor_code}"]
            total += product
        return total
    if scale.method == "lesion_counts":
        counted = sum(
            (
                Decimal(lesion.points * multiplier(int(values[code]), scale.count_bands))
                for code, lesion in scale.lesion_types.items()
            ),
            Decimal(0),
        )
        by_area = sum(
            (
                Decimal(row.levels[int(values[code])].points)
                for code, row in scale.area_rows.items()
            ),
            Decimal(0),
        )
        return counted + by_area
    parts: dict[str, Decimal] = {}
    for part_code, part in scale.parts.items():
        parts[part_code] = sum((values[f"{part_code}.{code}"] for code in part.items), Decimal(0))
    for part_code in scale.parts:
        parts[f"{part_code}_overall"] = values[f"{part_code}.overall"]
    return parts


def _interpret(entry: _Entry, total: Decimal) -> Interpretation:
    scale = entry.definition
    for band in scale.bands:
        if band.min <= total <= band.max:
            return Interpretation(band=band.code, label=band.label, description=band.description)
    low, high = entry.info.range
    return Interpretation(
        band=None,
        label=f"{scale.abbreviation} {_number(total)} (range {low}–{high})",
        description=scale.interpretation,
    )


def _interpret_parts(entry: _Entry, totals: Mapping[str, Decimal]) -> Interpretation:
    scale = entry.definition
    low, high = entry.info.range
    shown = ", ".join(
        f"{part.label.lower()} {_number(totals[code])}" for code, part in scale.parts.items()
    )
    label = f"{scale.abbreviation} {shown} (range {low}–{high} each)"
    return Interpretation(band=None, label=label, description=scale.interpretation)


# Input validation ----------------------------------------------------------------------------


class _Bad(Exception):
    """One input's problem (collected, then raised together as a UserError)."""


def _validate(entry: _Entry, inputs: Mapping[str, Any]) -> dict[str, Decimal]:
    if not isinstance(inputs, Mapping):
        raise UserError("inputs must be an object of name: value pairs", field="inputs")
    flat = _flatten(inputs)
    specs = entry.info.inputs
    names = [spec.name for spec in specs]
    wrong: list[tuple[str, str]] = []
    for key in flat:
        if key not in names:
            wrong.append((_short_key(key), _unknown(key, names, entry.definition.abbreviation)))
    values: dict[str, Decimal] = {}
    missing: list[str] = []
    for spec in specs:
        if spec.name not in flat:
            missing.append(spec.name)
            continue
        try:
            values[spec.name] = _value(spec, flat[spec.name])
        except _Bad as bad:
            wrong.append((spec.name, str(bad)))
    problems = wrong + [(name, "is required") for name in missing]
    if wrong:
        # A wrong value says more than a missing one: it leads the one-line message.
        field, message = wrong[0]
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        raise UserError(message + more, field=field, fields=problems)
    if len(missing) == 1:
        raise UserError("is required", field=missing[0])
    if missing:
        raise UserError(f"missing inputs: {', '.join(missing)}", fields=problems)
    return values


def _flatten(inputs: Mapping[Any, Any]) -> dict[str, Any]:
    """``{"forehead": {"area": 2}}`` → ``{"forehead.area": 2}``, refusing repeats and excess."""
    flat: dict[str, Any] = {}

    def walk(node: Mapping[Any, Any], prefix: str, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise UserError(f"inputs nested more than {MAX_DEPTH} deep", field=prefix or "inputs")
        for key, value in node.items():
            if not isinstance(key, str) or not key.strip():
                raise UserError("input names must be non-empty text", field=prefix or "inputs")
            name = f"{prefix}.{key.strip()}" if prefix else key.strip()
            if isinstance(value, Mapping):
                walk(value, name, depth + 1)
                continue
            if name in flat:
                raise UserError("is given twice", field=_short_key(name))
            if len(flat) >= MAX_INPUTS:
                raise UserError(f"more than {MAX_INPUTS} inputs", field="inputs")
            flat[name] = value

    walk(inputs, "", 1)
    return flat


def _unknown(key: str, names: list[str], abbreviation: str) -> str:
    close = difflib.get_close_matches(key[:64], names, n=1)
    if close:
        return f"not an input of {abbreviation}; did you mean {close[0]!r}?"
    return f"not an input of {abbreviation} (inputs: {', '.join(names)})"


def _value(spec: InputSpec, raw: Any) -> Decimal:
    """``raw`` as a Decimal within the spec, or _Bad saying what is wrong."""
    expected = f"{_number(spec.min)}–{_number(spec.max)}"
    if spec.symbols:
        expected += " or " + ", ".join(spec.symbols)
    if isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal):
        raise _Bad(f"must be a number, got {_short(raw)}")
    if isinstance(raw, str):
        text = raw.strip()
        if text.upper() in spec.symbols:
            return Decimal(spec.symbols[text.upper()])
        if not _NUMBER.match(text):
            raise _Bad(f"must be {expected}, got {_short(raw)}")
        value = Decimal(text)
    elif isinstance(raw, int):
        if abs(raw) > _BIG:
            raise _Bad(f"must be {expected}, got a number that large")
        value = Decimal(raw)
    elif isinstance(raw, float):
        if not math.isfinite(raw):
            raise _Bad(f"must be a number, got {raw}")
        if abs(raw) > _BIG:
            raise _Bad(f"must be {expected}, got a number that large")
        value = Decimal(repr(raw))
    else:
        if not raw.is_finite() or abs(raw) > _BIG:
            raise _Bad(f"must be {expected}, got {_short(raw)}")
        value = raw
    if spec.kind == "integer" and value != value.to_integral_value():
        raise _Bad(f"must be a whole number, got {_show(value)}")
    if not spec.min <= value <= spec.max:
        raise _Bad(f"must be {expected}, got {_show(value)}")
    if spec.kind == "decimal" and value != round(value, spec.decimals):
        places = "place" if spec.decimals == 1 else "places"
        raise _Bad(f"must have at most {spec.decimals} decimal {places}, got {_show(value)}")
    return value


# Helpers -------------------------------------------------------------------------------------


def _number(value: Decimal) -> Number:
    """A Decimal as JSON wants it: an int when whole (24), else a float (5.4)."""
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def _show(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _short(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:37] + "...")
    if isinstance(value, int | float | Decimal):
        text = str(value)
        return text if len(text) <= 40 else text[:37] + "..."
    return f"a {type(value).__name__}"


def _short_key(key: str) -> str:
    return key if len(key) <= 64 else key[:61] + "..."


__all__ = [
    "BandInfo",
    "InputSpec",
    "Interpretation",
    "ScaleInfo",
    "ScaleResult",
    "list_scales",
    "scale_info",
    "score",
]
