"""Outcome scales (REFERENCE.md A.5): the file model and its cross-check.

Each scale in ``scales.yaml`` is data: its inputs with their ranges and level wording, how the inputs
combine into a total (``method``), the total's declared range, the bands that name a total, the
version or convention, what was verified against the original and where (``verified``), what is
still to be verified (``to_verify``), and its sources.
:mod:`microneedling.clinical.scales` reads these definitions; it hard-codes no clinical value.

Methods:

``sum``
    the total is the sum of ``items`` (a single-item scale is a sum of one item: GAIS, a grade).
``regions``
    ``Σ weight(region) × Π factors(region)`` over ``regions``, each region rated on every one of
    ``factors`` (mMASI: 0.3·A·D forehead + …). Inputs are named ``region.factor``.
``lesion_counts``
    ``Σ points(lesion type) × multiplier(count band of the lesions counted)`` over
    ``lesion_types`` (Goodman & Baron quantitative); a count of 0 scores 0. Plus, for each of the
    optional ``area_rows``, the points of the area level chosen (Goodman & Baron's hypertrophic or
    keloidal scarring: none 0, small 6, medium 12, large 18); its input is the level, 0–n.
``parts``
    one total per part (the sum of its ``items``) plus the part's ``overall`` opinion, which is not
    added in (POSAS observer and patient). Inputs are named ``part.item`` and ``part.overall``.

The model refuses what is wrong within one value (min above max, a whole-number item with a
fractional bound); :func:`cross_check` refuses what is wrong across values (a declared range the
inputs cannot produce, bands that leave gaps or overlap, an unknown lesion group, count bands that
do not follow on), each at its own line.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal
from itertools import pairwise
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from microneedling.knowledge.base import Code, SourceKey, Strict, Text
from microneedling.knowledge.problems import Problems
from microneedling.knowledge.yamlsource import Path_, SourceMap

if TYPE_CHECKING:
    from microneedling.knowledge.knowledge_base import KnowledgeBase

Method = Literal["sum", "regions", "lesion_counts", "parts"]
Better = Literal["lower", "higher"]
#: A symbol a grade may be entered as (Glogau ``III``).
Symbol = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{1,8}$")]

#: Largest magnitude any bound may take (keeps arithmetic on hostile data cheap).
MAX_BOUND = Decimal(1_000_000)

#: Fields that belong to one method only.
METHOD_FIELDS: dict[Method, tuple[str, ...]] = {
    "sum": ("items",),
    "regions": ("factors", "regions"),
    "lesion_counts": ("lesion_groups", "lesion_types", "count_bands", "max_count"),
    "parts": ("parts",),
}


def _bounded(value: Decimal, what: str) -> Decimal:
    if not value.is_finite() or abs(value) > MAX_BOUND:
        raise ValueError(f"{what} must be a finite number of at most {MAX_BOUND:,}")
    return value


class Range(Strict):
    """A closed interval ``min``–``max``."""

    min: Decimal
    max: Decimal

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        _bounded(self.min, "min")
        _bounded(self.max, "max")
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self


class Level(Strict):
    """What one value of an item means (VSS vascularity 2 = red)."""

    value: int
    label: Text


class Item(Strict):
    """One input: a whole number (default) or a decimal with at most ``decimals`` places."""

    label: Text
    min: Decimal
    max: Decimal
    kind: Literal["integer", "decimal"] = "integer"
    decimals: int | None = Field(default=None, ge=1, le=3)
    description: Text | None = None
    levels: list[Level] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Item:
        _bounded(self.min, "min")
        _bounded(self.max, "max")
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        if self.kind == "integer":
            if self.decimals is not None:
                raise ValueError("'decimals' is only for kind: decimal")
            if self.min != self.min.to_integral_value() or self.max != self.max.to_integral_value():
                raise ValueError("a whole-number item needs whole-number min and max")
        elif self.decimals is None:
            raise ValueError("kind: decimal needs 'decimals' (how many places are accepted)")
        if self.levels:
            if self.kind != "integer":
                raise ValueError("levels describe whole-number items only")
            values = [level.value for level in self.levels]
            expected = list(range(int(self.min), int(self.max) + 1))
            if values != expected:
                raise ValueError(
                    f"levels must describe each value from {self.min} to {self.max} in order,"
                    f" got {values}"
                )
        return self


class Band(Strict):
    """A named stretch of totals, ``min``–``max`` inclusive (GAIS 2 = much improved)."""

    min: Decimal
    max: Decimal
    code: Code
    label: Text
    description: Text | None = None
    symbol: Symbol | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Band:
        _bounded(self.min, "min")
        _bounded(self.max, "max")
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self


class Region(Strict):
    """A region of a ``regions`` scale and its weight (mMASI forehead 0.3)."""

    label: Text
    weight: Decimal = Field(gt=0, le=100)


class LesionGroup(Strict):
    """A heading of lesion types (milder, moderate, severe, hyperplastic)."""

    label: Text


class Verified(Strict):
    """What was checked against a source, and where (a URL, or the publication and page)."""

    what: Text
    where: Text
    #: How the text was read: the original publication, or a copy or reproduction of it.
    kind: Literal["original", "reproduction", "secondary"] = "original"


class LesionType(Strict):
    """A lesion type counted by a ``lesion_counts`` scale and its points."""

    label: Text
    group: Code
    points: int = Field(ge=1, le=100)
    verified: list[Verified] = Field(default_factory=list)


class AreaLevel(Strict):
    """One level of an area row: its value (the input), its wording and its points."""

    value: int = Field(ge=0, le=100)
    label: Text
    points: int = Field(ge=0, le=1000)


class AreaRow(Strict):
    """A row of a ``lesion_counts`` scale scored by the area involved, not by counting
    (Goodman & Baron hypertrophic or keloidal scarring); the input is the level's value."""

    label: Text
    group: Code
    levels: list[AreaLevel] = Field(min_length=2, max_length=20)
    verified: list[Verified] = Field(default_factory=list)

    @model_validator(mode="after")
    def _levels(self) -> AreaRow:
        values = [level.value for level in self.levels]
        if values != list(range(len(values))):
            raise ValueError(f"levels must be numbered 0, 1, 2 … in order, got {values}")
        if self.levels[0].points != 0:
            raise ValueError("level 0 means none of it and scores 0 points")
        points = [level.points for level in self.levels]
        if any(later <= earlier for earlier, later in pairwise(points)):
            raise ValueError(f"points must increase with the area, got {points}")
        return self

    def as_item(self) -> Item:
        """The input: the level's value, each level worded with its points."""
        return Item(
            label=self.label,
            min=Decimal(0),
            max=Decimal(len(self.levels) - 1),
            levels=[
                Level(value=level.value, label=f"{level.label} ({level.points} points)")
                for level in self.levels
            ],
        )


class CountBand(Strict):
    """Lesion counts ``min``–``max`` (``max`` absent: and more) and the multiplier they give."""

    min: int = Field(ge=1)
    max: int | None = None
    multiplier: int = Field(ge=1, le=100)

    @model_validator(mode="after")
    def _ordered(self) -> CountBand:
        if self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self


class Part(Strict):
    """One rater's part of a ``parts`` scale: items summed, plus an overall opinion."""

    label: Text
    items: dict[Code, Item] = Field(min_length=1)
    overall: Item

    @field_validator("items")
    @classmethod
    def _not_overall(cls, items: dict[str, Item]) -> dict[str, Item]:
        if "overall" in items:
            raise ValueError("'overall' is the overall opinion; give it as the part's 'overall'")
        return items


class ToVerify(Strict):
    """Something to check against the original before release.

    ``warn: true`` (the default) puts the text on every result of the scale, for what changes the
    score; ``warn: false`` keeps it in the data and the documentation only (level wording).
    """

    text: Text
    warn: bool = True


class Scale(Strict):
    label: Text
    abbreviation: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    version: Text
    convention: Text | None = None
    better: Better
    method: Method
    range: Range
    items: dict[Code, Item] = Field(default_factory=dict)
    factors: dict[Code, Item] = Field(default_factory=dict)
    regions: dict[Code, Region] = Field(default_factory=dict)
    lesion_groups: dict[Code, LesionGroup] = Field(default_factory=dict)
    lesion_types: dict[Code, LesionType] = Field(default_factory=dict)
    count_bands: list[CountBand] = Field(default_factory=list)
    max_count: int | None = Field(default=None, ge=1, le=100_000)
    area_rows: dict[Code, AreaRow] = Field(default_factory=dict)
    parts: dict[Code, Part] = Field(default_factory=dict)
    bands: list[Band] = Field(default_factory=list)
    interpretation: Text | None = None
    verified: list[Verified] = Field(default_factory=list)
    to_verify: list[ToVerify] = Field(default_factory=list)
    notes: list[Text] = Field(default_factory=list)
    sources: list[SourceKey] = Field(min_length=1)

    @model_validator(mode="after")
    def _fields_of_method(self) -> Scale:
        wrong: list[str] = []
        for method, names in METHOD_FIELDS.items():
            for name in names:
                given = getattr(self, name) not in (None, {}, [])
                if method == self.method and not given:
                    wrong.append(f"method {self.method!r} needs {name!r}")
                if method != self.method and given:
                    wrong.append(f"{name!r} is only used with method {method!r}")
        if self.area_rows and self.method != "lesion_counts":
            wrong.append("'area_rows' is only used with method 'lesion_counts'")
        clash = sorted(set(self.area_rows) & set(self.lesion_types))
        if clash:
            wrong.append(f"{clash[0]!r} is both a lesion type and an area row")
        if not self.bands and self.interpretation is None:
            wrong.append("a scale without bands needs an 'interpretation' (how to read it)")
        if wrong:
            raise ValueError("; ".join(wrong))
        return self

    @field_validator("sources")
    @classmethod
    def _unique_sources(cls, sources: list[str]) -> list[str]:
        if len(set(sources)) != len(sources):
            raise ValueError("a source is listed twice")
        return sources


class ScalesFile(Strict):
    scales: dict[Code, Scale] = Field(min_length=1)


# Derived values, shared by the cross-check and the calculators -------------------------------


def inputs_of(scale: Scale) -> Iterator[tuple[str, str, Item]]:
    """Every input as ``(name, label, item)``, in file order (a lesion count is an item too)."""
    if scale.method == "sum":
        for code, item in scale.items.items():
            yield code, item.label, item
    elif scale.method == "regions":
        for region_code, region in scale.regions.items():
            for factor_code, factor in scale.factors.items():
                yield f"{region_code}.{factor_code}", f"{region.label}: {factor.label}", factor
    elif scale.method == "lesion_counts":
        count = Decimal(scale.max_count or 0)
        for code, lesion in scale.lesion_types.items():
            yield code, lesion.label, Item(label=lesion.label, min=Decimal(0), max=count)
        for code, row in scale.area_rows.items():
            yield code, row.label, row.as_item()
    else:
        for part_code, part in scale.parts.items():
            for item_code, item in part.items.items():
                yield f"{part_code}.{item_code}", f"{part.label}: {item.label}", item
            yield f"{part_code}.overall", f"{part.label}: {part.overall.label}", part.overall


def multiplier(count: int, bands: Sequence[CountBand]) -> int:
    """The multiplier a lesion count earns: 0 for no lesions, else its band's."""
    for band in bands:
        if count >= band.min and (band.max is None or count <= band.max):
            return band.multiplier
    return 0


def total_range(scale: Scale) -> tuple[Decimal, Decimal]:
    """The lowest and highest total the inputs can produce (per part, for ``parts``).

    For ``parts`` every part must reach the same range; the first part's is returned and
    :func:`cross_check` compares the others.
    """
    if scale.method == "sum":
        items = list(scale.items.values())
        return sum((i.min for i in items), Decimal(0)), sum((i.max for i in items), Decimal(0))
    if scale.method == "regions":
        low = high = Decimal(0)
        for region in scale.regions.values():
            low_product = high_product = region.weight
            for factor in scale.factors.values():
                low_product *= factor.min
                high_product *= factor.max
            low += low_product
            high += high_product
        return low, high
    if scale.method == "lesion_counts":
        top = multiplier(scale.max_count or 0, scale.count_bands)
        counted = sum(lesion.points * top for lesion in scale.lesion_types.values())
        by_area = sum(row.levels[-1].points for row in scale.area_rows.values())
        return Decimal(0), Decimal(counted + by_area)
    part = next(iter(scale.parts.values()))
    return _part_range(part)


def _part_range(part: Part) -> tuple[Decimal, Decimal]:
    items = list(part.items.values())
    return sum((i.min for i in items), Decimal(0)), sum((i.max for i in items), Decimal(0))


def integer_total(scale: Scale) -> bool:
    """Whether every total is a whole number (bands are only allowed then)."""
    if scale.method == "sum":
        return all(item.kind == "integer" for item in scale.items.values())
    if scale.method == "lesion_counts":
        return True
    if scale.method == "parts":
        return all(
            item.kind == "integer" for part in scale.parts.values() for item in part.items.values()
        )
    return False


# Cross-check --------------------------------------------------------------------------------


def cross_check(kb: KnowledgeBase, smap: SourceMap, problems: Problems) -> None:
    """Checks beyond the model: ranges, bands, lesion groups, count bands, input names."""
    scales = kb.section("scales.yaml", ScalesFile).scales
    for code, scale in scales.items():
        _check_scale(scale, ("scales", code), smap, problems)


def _check_scale(scale: Scale, where: Path_, smap: SourceMap, problems: Problems) -> None:
    if scale.method == "regions":
        for factor_code, factor in scale.factors.items():
            if factor.min < 0:
                problems.add(
                    smap,
                    (*where, "factors", factor_code, "min"),
                    "a factor of a regions scale cannot be negative (products would not be"
                    " monotone)",
                )
                return
    if scale.method == "lesion_counts" and not _check_lesions(scale, where, smap, problems):
        return
    low, high = total_range(scale)
    declared = scale.range
    if (low, high) != (declared.min, declared.max):
        problems.add(
            smap,
            (*where, "range"),
            f"declared range {_show(declared.min)}–{_show(declared.max)}, but the inputs give"
            f" {_show(low)}–{_show(high)}",
        )
    if scale.method == "parts":
        for part_code, part in scale.parts.items():
            part_low, part_high = _part_range(part)
            if (part_low, part_high) != (declared.min, declared.max):
                problems.add(
                    smap,
                    (*where, "parts", part_code),
                    f"part totals {_show(part_low)}–{_show(part_high)} differ from the declared"
                    f" range {_show(declared.min)}–{_show(declared.max)}",
                )
    if scale.bands:
        _check_bands(scale, where, smap, problems)


def _check_lesions(scale: Scale, where: Path_, smap: SourceMap, problems: Problems) -> bool:
    """Lesion groups resolve and count bands follow on from 1; False if the range is unusable."""
    usable = True
    for lesion_code, lesion in scale.lesion_types.items():
        if lesion.group not in scale.lesion_groups:
            problems.add(
                smap,
                (*where, "lesion_types", lesion_code, "group"),
                f"unknown lesion group {lesion.group!r}",
            )
    for row_code, row in scale.area_rows.items():
        if row.group not in scale.lesion_groups:
            problems.add(
                smap,
                (*where, "area_rows", row_code, "group"),
                f"unknown lesion group {row.group!r}",
            )
    used = {lesion.group for lesion in scale.lesion_types.values()}
    used |= {row.group for row in scale.area_rows.values()}
    for group_code in scale.lesion_groups:
        if group_code not in used:
            problems.add(
                smap, (*where, "lesion_groups", group_code), f"group {group_code!r} has no lesions"
            )
    expected: int | None = 1
    for index, band in enumerate(scale.count_bands):
        place = (*where, "count_bands", index)
        if expected is None:
            problems.add(smap, place, "follows a band without max (which covers every count)")
            usable = False
            break
        if band.min != expected:
            problems.add(
                smap, (*place, "min"), f"count bands must follow on: expected min {expected}"
            )
            usable = False
        expected = None if band.max is None else band.max + 1
        if index and band.multiplier <= scale.count_bands[index - 1].multiplier:
            problems.add(smap, (*place, "multiplier"), "multipliers must increase with the count")
    if expected is not None and scale.max_count is not None and scale.max_count >= expected:
        problems.add(
            smap,
            (*where, "count_bands"),
            f"counts from {expected} to max_count ({scale.max_count}) fall in no band;"
            " leave the last band's max out",
        )
        usable = False
    last = scale.count_bands[-1] if scale.count_bands else None
    if scale.max_count is not None and last is not None and scale.max_count < last.min:
        problems.add(
            smap,
            (*where, "max_count"),
            f"max_count ({scale.max_count}) is below the last count band ({last.min})",
        )
    return usable


def _check_bands(scale: Scale, where: Path_, smap: SourceMap, problems: Problems) -> None:
    """Bands sorted, without gaps or overlaps, exactly covering the range; symbols usable."""
    if not integer_total(scale) or scale.method == "parts":
        problems.add(
            smap,
            (*where, "bands"),
            "bands are only for a single total of whole numbers; use 'interpretation'",
        )
        return
    bands = scale.bands
    if bands[0].min != scale.range.min:
        problems.add(
            smap,
            (*where, "bands", 0, "min"),
            f"bands must start at the range's min ({_show(scale.range.min)})",
        )
    for index in range(1, len(bands)):
        previous, band = bands[index - 1], bands[index]
        if band.min != previous.max + 1:
            gap = "overlaps" if band.min <= previous.max else "leaves a gap after"
            problems.add(
                smap,
                (*where, "bands", index, "min"),
                f"band {band.code!r} {gap} band {previous.code!r}: expected min"
                f" {_show(previous.max + 1)}",
            )
    if bands[-1].max != scale.range.max:
        problems.add(
            smap,
            (*where, "bands", len(bands) - 1, "max"),
            f"bands must end at the range's max ({_show(scale.range.max)})",
        )
    for index, band in enumerate(bands):
        if band.min != band.min.to_integral_value() or band.max != band.max.to_integral_value():
            problems.add(smap, (*where, "bands", index), "band bounds must be whole numbers")
    codes = [band.code for band in bands]
    for index, code in enumerate(codes):
        if code in codes[:index]:
            problems.add(smap, (*where, "bands", index, "code"), f"band code {code!r} is repeated")
    symbols: list[str] = []
    for index, band in enumerate(bands):
        if band.symbol is None:
            continue
        place = (*where, "bands", index, "symbol")
        if len(list(inputs_of(scale))) != 1 or band.min != band.max:
            problems.add(
                smap, place, "a symbol names a grade: only on one-value bands of one-item scales"
            )
        if band.symbol.upper() in symbols:
            problems.add(smap, place, f"symbol {band.symbol!r} is repeated")
        symbols.append(band.symbol.upper())


def _show(value: Decimal) -> str:
    """A bound as people write it: 24, not 24.0."""
    return format(value.normalize(), "f")
