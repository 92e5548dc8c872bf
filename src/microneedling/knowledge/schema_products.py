"""Ingredient classes for the topical product check (REFERENCE.md A.4): the file model and its cross-check.

``ingredients.yaml`` holds the ingredient classes (retinoid, AHA, BHA, vitamin C, fragrance, benzoyl
peroxide, exfoliant, make-up) with the label names that identify them, the time windows after a
session with the classes each one blocks, the list of known neutral ingredients, what an
ingredient found in neither does to the verdict, what makes a product a mineral sunscreen, and the
clinic-configurable hours (the make-up window and the unknown-ingredient block, REFERENCE.md A.7)
with their defaults and bounds. This module also holds the name matching both the
cross-check and :mod:`microneedling.clinical.products` use (:func:`normalise_name`,
:class:`IngredientIndex`), so the data is validated with exactly the rules it is applied with.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from microneedling.knowledge.base import Code, SourceKey, Strict, Text
from microneedling.knowledge.problems import Problems
from microneedling.knowledge.yamlsource import SourceMap

if TYPE_CHECKING:
    from microneedling.knowledge.knowledge_base import KnowledgeBase

#: What an ingredient found in no class and not on the neutral list does in a window once the
#: unknown-ingredient block (``settings.unknown_block_hours``) is over, strictest first.
UnknownPolicy = Literal["warn", "allow"]
UNKNOWN_STRICTNESS: Mapping[UnknownPolicy, int] = {"warn": 1, "allow": 0}

#: The class the product-level make-up flag (``--make-up``) stands for.
MAKE_UP_CLASS = "make_up"
#: Reason codes of the product check that are not class codes.
RESERVED_CODES = frozenset(
    {"not_sterile", "unknown_ingredients", "clinic_approved", "approval_not_yet", "approval_other"}
)

#: Placeholders a product-check message may use.
MESSAGE_FIELDS = frozenset(
    {
        "label",
        "ingredients",
        "until",
        "window",
        "hours",
        "classes",
        "name",
        "approved_by",
        "approved_on",
    }
)

#: Longest window boundary accepted (a year); the shipped windows end at 7 days.
MAX_HOURS = 24 * 365

Stem = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9]{3,31}$")]

_NOT_WORD = re.compile(r"[\W_]+")
_COLOUR_INDEX = re.compile(r"\bc ?i ?(\d{5})\b")


def normalise_name(text: str) -> str:
    """The form names are compared in: accents removed, case folded, words of letters and digits.

    ``"L-Ascorbic Acid"`` → ``"l ascorbic acid"``, ``"C.I. 77891"`` and ``"CI77891"`` →
    ``"ci 77891"``, ``"Crème"`` → ``"creme"``. Letters of any script are kept (so a name in another
    alphabet stays a name, and unknown, rather than vanishing).
    """
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    words = _NOT_WORD.sub(" ", bare.casefold()).split()
    return _COLOUR_INDEX.sub(r"ci \1", " ".join(words))


def _check_template(text: str) -> str:
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as error:
        raise ValueError(f"message is not a valid template: {error}") from None
    unknown = sorted(name for name in names if name not in MESSAGE_FIELDS)
    if unknown:
        allowed = ", ".join("{" + field + "}" for field in sorted(MESSAGE_FIELDS))
        raise ValueError(f"unknown placeholder {{{unknown[0]}}} (allowed: {allowed})")
    return text


def _unique(values: list[str], what: str) -> list[str]:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{what} {value!r} is listed twice")
        seen.add(value)
    return values


def _names_with_words(names: list[str]) -> list[str]:
    for name in names:
        if not normalise_name(name):
            raise ValueError(f"name {name!r} has no letters or digits")
    return names


# ingredients.yaml ----------------------------------------------------------------------------


class ProductMessages(Strict):
    """Reason texts; placeholders {label} {ingredients} {until} {window} {hours} {classes}, and
    {name} {approved_by} {approved_on} for a clinic-approved product."""

    not_sterile: Text
    class_blocked: Text
    unknown_blocked: Text
    unknown_warning: Text
    approved: Text
    approval_not_yet: Text
    approval_other_ingredients: Text

    @field_validator(
        "not_sterile",
        "class_blocked",
        "unknown_blocked",
        "unknown_warning",
        "approved",
        "approval_not_yet",
        "approval_other_ingredients",
    )
    @classmethod
    def _template(cls, text: str) -> str:
        return _check_template(text)


class HoursSetting(Strict):
    """A clinic-configurable number of hours (REFERENCE.md A.7): its default and its bounds."""

    label: Text
    notes: Text | None = None
    default: int = Field(ge=0, le=MAX_HOURS)
    min: int = Field(ge=0, le=MAX_HOURS)
    max: int = Field(ge=0, le=MAX_HOURS)
    sources: list[SourceKey] = Field(min_length=1)

    @model_validator(mode="after")
    def _within(self) -> HoursSetting:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        if not self.min <= self.default <= self.max:
            raise ValueError(f"default {self.default} is outside {self.min}–{self.max}")
        return self


class ProductSettings(Strict):
    """The product check's clinic-configurable hours (A.7)."""

    make_up_window_hours: HoursSetting
    unknown_block_hours: HoursSetting


class Sunscreen(Strict):
    """What makes a product a mineral sunscreen rather than make-up (A.4)."""

    notes: Text
    mineral_filters: list[Text] = Field(min_length=1)
    tint: list[Text] = Field(default_factory=list)
    tint_colour_index: list[int] = Field(default_factory=list)
    organic_filters: list[Text] = Field(min_length=1)
    sources: list[SourceKey] = Field(min_length=1)

    @field_validator("mineral_filters", "tint", "organic_filters")
    @classmethod
    def _names(cls, names: list[str]) -> list[str]:
        return _names_with_words(names)

    @field_validator("tint_colour_index")
    @classmethod
    def _five_digits(cls, numbers: list[int]) -> list[int]:
        for number in numbers:
            if not 10000 <= number <= 99999:
                raise ValueError(f"{number} is not a five-digit Colour Index number")
        return numbers


class UnknownIngredients(Strict):
    """Why an unrecognised ingredient counts as it does (the per-window policy is in `windows`)."""

    notes: Text
    sources: list[SourceKey] = Field(min_length=1)


class ColourIndexRule(Strict):
    """Any Colour Index number (``CI 77491``) belongs to the class, except those listed."""

    excluding: list[int] = Field(default_factory=list)

    @field_validator("excluding")
    @classmethod
    def _five_digits(cls, numbers: list[int]) -> list[int]:
        for number in numbers:
            if not 10000 <= number <= 99999:
                raise ValueError(f"{number} is not a five-digit Colour Index number")
        if len(set(numbers)) != len(numbers):
            raise ValueError("a number is listed twice")
        return numbers


class IngredientClass(Strict):
    """A class of ingredients the product check restricts, and the names that identify it."""

    label: Text
    notes: Text | None = None
    names: list[Text] = Field(min_length=1)
    stems: list[Stem] = Field(default_factory=list)
    colour_index: ColourIndexRule | None = None
    sources: list[SourceKey] = Field(min_length=1)

    @field_validator("names")
    @classmethod
    def _names(cls, names: list[str]) -> list[str]:
        return _names_with_words(names)

    @field_validator("stems")
    @classmethod
    def _stems(cls, stems: list[str]) -> list[str]:
        return _unique(stems, "stem")

    @field_validator("sources")
    @classmethod
    def _sources(cls, sources: list[str]) -> list[str]:
        return _unique(sources, "source")


class ProductWindow(Strict):
    """Hours ``from_hours`` (inclusive) to ``to_hours`` (exclusive; null: open-ended) after a session."""

    code: Code
    label: Text
    from_hours: int = Field(ge=0, le=MAX_HOURS)
    to_hours: int | None = Field(ge=1, le=MAX_HOURS)
    sterile_only: bool = False
    blocks: list[Code] = Field(default_factory=list)
    unknown: UnknownPolicy
    sources: list[SourceKey] = Field(min_length=1)

    def to_hours_or(self, default: int) -> int:
        """``to_hours``, or ``default`` for the open-ended last window."""
        return default if self.to_hours is None else self.to_hours

    @model_validator(mode="after")
    def _ordered(self) -> ProductWindow:
        if self.to_hours is not None and self.to_hours <= self.from_hours:
            raise ValueError("to_hours must be later than from_hours")
        _unique(self.blocks, "class")
        _unique(self.sources, "source")
        return self


class NeutralIngredients(Strict):
    """Ingredients known not to belong to any restricted class."""

    notes: Text | None = None
    names: list[Text] = Field(min_length=1)
    sources: list[SourceKey] = Field(min_length=1)

    @field_validator("names")
    @classmethod
    def _names(cls, names: list[str]) -> list[str]:
        return _names_with_words(names)


class IngredientsFile(Strict):
    messages: ProductMessages
    settings: ProductSettings
    unknown_ingredients: UnknownIngredients
    classes: dict[Code, IngredientClass] = Field(min_length=1)
    sunscreen: Sunscreen
    windows: list[ProductWindow] = Field(min_length=1)
    neutral: NeutralIngredients


# matching ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IngredientIndex:
    """Normalised look-ups built once from an :class:`IngredientsFile`."""

    #: Normalised class name → class code.
    phrases: Mapping[str, str]
    #: Most words in any class name.
    max_words: int
    #: (word prefix, class code), longest first.
    stems: tuple[tuple[str, str], ...]
    #: The class every Colour Index number belongs to (unless excluded), if any.
    colour_index_class: str | None
    colour_index_excluded: frozenset[str]
    #: Normalised neutral names.
    neutral: frozenset[str]
    #: Class codes in file order.
    class_order: tuple[str, ...]

    def classes_in(self, normalised: str) -> list[str]:
        """Codes of every class whose name, stem or Colour Index rule occurs in ``normalised``.

        Names match as whole words anywhere in the text (``"3 o ethyl ascorbic acid"`` contains
        ``"ascorbic acid"``), stems as the start of a word, in file order of the classes.
        """
        found: set[str] = set()
        words = normalised.split()
        for start in range(len(words)):
            for length in range(1, min(self.max_words, len(words) - start) + 1):
                code = self.phrases.get(" ".join(words[start : start + length]))
                if code is not None:
                    found.add(code)
            for stem, code in self.stems:
                if words[start].startswith(stem):
                    found.add(code)
            if (
                self.colour_index_class is not None
                and words[start] == "ci"
                and start + 1 < len(words)
                and len(words[start + 1]) == 5
                and words[start + 1].isdigit()
                and words[start + 1] not in self.colour_index_excluded
            ):
                found.add(self.colour_index_class)
        return [code for code in self.class_order if code in found]


def build_index(data: IngredientsFile) -> IngredientIndex:
    """The look-ups for ``data`` (on a duplicate name the first class wins; cross_check refuses it)."""
    phrases: dict[str, str] = {}
    stems: list[tuple[str, str]] = []
    colour_class: str | None = None
    excluded: frozenset[str] = frozenset()
    for code, klass in data.classes.items():
        for name in klass.names:
            phrases.setdefault(normalise_name(name), code)
        stems.extend((stem, code) for stem in klass.stems)
        if klass.colour_index is not None and colour_class is None:
            colour_class = code
            excluded = frozenset(str(number) for number in klass.colour_index.excluding)
    return IngredientIndex(
        phrases=phrases,
        max_words=max((len(phrase.split()) for phrase in phrases), default=1),
        stems=tuple(sorted(stems, key=lambda pair: (-len(pair[0]), pair[0]))),
        colour_index_class=colour_class,
        colour_index_excluded=excluded,
        neutral=frozenset(normalise_name(name) for name in data.neutral.names),
        class_order=tuple(data.classes),
    )


# cross-check ---------------------------------------------------------------------------------


def cross_check(kb: KnowledgeBase, smap: SourceMap, problems: Problems) -> None:
    """Checks beyond the model: names, windows and references that must agree with each other."""
    data = kb.section("ingredients.yaml", IngredientsFile)
    _check_classes(data, smap, problems)
    _check_names(data, smap, problems)
    _check_windows(data, smap, problems)
    _check_sunscreen(data, smap, problems)


def _check_sunscreen(data: IngredientsFile, smap: SourceMap, problems: Problems) -> None:
    """Mineral filters are neutral; a tint is make-up; an organic filter is neither."""
    index = build_index(data)
    sunscreen = data.sunscreen
    for position, name in enumerate(sunscreen.mineral_filters):
        normalised = normalise_name(name)
        if normalised not in index.neutral or index.classes_in(normalised):
            problems.add(
                smap,
                ("sunscreen", "mineral_filters", position),
                f"mineral filter {name!r} must be on the neutral list and in no class",
            )
    tints = [*sunscreen.tint, *(f"CI {number}" for number in sunscreen.tint_colour_index)]
    for name in tints:
        if MAKE_UP_CLASS not in index.classes_in(normalise_name(name)):
            where = "tint" if name in sunscreen.tint else "tint_colour_index"
            problems.add(
                smap,
                ("sunscreen", where),
                f"tint {name!r} is not a make-up pigment (nothing to set aside)",
            )
    for position, name in enumerate(sunscreen.organic_filters):
        normalised = normalise_name(name)
        if normalised in index.neutral:
            problems.add(
                smap,
                ("sunscreen", "organic_filters", position),
                f"organic filter {name!r} is on the neutral list (it would pass unchecked)",
            )
    for key in ("make_up_window_hours", "unknown_block_hours"):
        setting = getattr(data.settings, key)
        if setting.min < data.windows[0].to_hours_or(0):
            problems.add(
                smap,
                ("settings", key, "min"),
                f"{key} may not end before the first window "
                f"({data.windows[0].to_hours} h, sterile products only)",
            )


def _check_classes(data: IngredientsFile, smap: SourceMap, problems: Problems) -> None:
    for code in sorted(RESERVED_CODES & set(data.classes)):
        problems.add(smap, ("classes", code), f"{code!r} is a reserved reason code, not a class")
    if MAKE_UP_CLASS not in data.classes:
        problems.add(
            smap, ("classes",), f"the {MAKE_UP_CLASS!r} class is required (the make-up flag)"
        )
    with_rule = [code for code, klass in data.classes.items() if klass.colour_index is not None]
    for code in with_rule[1:]:
        problems.add(
            smap,
            ("classes", code, "colour_index"),
            f"only one class may have a colour_index rule ({with_rule[0]!r} already has one)",
        )


def _check_names(data: IngredientsFile, smap: SourceMap, problems: Problems) -> None:
    """A name means one thing: no name twice, no neutral name that the classes would claim."""
    owner: dict[str, tuple[str, str]] = {}  # normalised → (where, as written)

    def claim(normalised: str, where: str, written: str, path: tuple[str | int, ...]) -> None:
        first = owner.get(normalised)
        if first is None:
            owner[normalised] = (where, written)
        elif first[0] == where:
            problems.add(smap, path, f"{written!r} is listed twice in {where} (as {first[1]!r})")
        else:
            problems.add(smap, path, f"{written!r} is also listed in {first[0]} (as {first[1]!r})")

    for code, klass in data.classes.items():
        for index, name in enumerate(klass.names):
            claim(normalise_name(name), f"class {code!r}", name, ("classes", code, "names", index))
    index_ = build_index(data)
    for code, klass in data.classes.items():
        for index, stem in enumerate(klass.stems):
            clashes = [
                f"{name!r} ({other})"
                for other, other_class in data.classes.items()
                if other != code
                for name in other_class.names
                if any(word.startswith(stem) for word in normalise_name(name).split())
            ]
            if clashes:
                more = f" and {len(clashes) - 3} more" if len(clashes) > 3 else ""
                problems.add(
                    smap,
                    ("classes", code, "stems", index),
                    f"stem {stem!r} also matches names of other classes: "
                    f"{', '.join(clashes[:3])}{more}",
                )
    for index, name in enumerate(data.neutral.names):
        path = ("neutral", "names", index)
        normalised = normalise_name(name)
        claim(normalised, "the neutral list", name, path)
        claimed = index_.classes_in(normalised)
        if claimed and normalised not in index_.phrases:
            problems.add(
                smap, path, f"neutral {name!r} would be matched as {', '.join(map(repr, claimed))}"
            )


def _check_windows(data: IngredientsFile, smap: SourceMap, problems: Problems) -> None:
    windows = data.windows
    seen: dict[str, int] = {}
    for index, window in enumerate(windows):
        if window.code in seen:
            problems.add(
                smap, ("windows", index, "code"), f"window {window.code!r} is listed twice"
            )
        seen.setdefault(window.code, index)
        for position, code in enumerate(window.blocks):
            if code not in data.classes:
                problems.add(
                    smap, ("windows", index, "blocks", position), f"unknown class {code!r}"
                )
    if windows[0].from_hours != 0:
        problems.add(smap, ("windows", 0, "from_hours"), "the first window must start at 0 hours")
    for index, (before, after) in enumerate(pairwise(windows), start=1):
        if before.to_hours is None:
            problems.add(
                smap,
                ("windows", index - 1, "to_hours"),
                "only the last window may be open-ended (to_hours: null)",
            )
        elif after.from_hours != before.to_hours:
            relation = "overlaps" if after.from_hours < before.to_hours else "leaves a gap after"
            problems.add(
                smap,
                ("windows", index, "from_hours"),
                f"window {after.code!r} starts at {after.from_hours} h: it {relation} "
                f"{before.code!r}, which ends at {before.to_hours} h (windows must be sorted "
                "and follow each other)",
            )
        # Restrictions may only relax as time passes, so "allowed from" is well defined.
        tightened = [code for code in after.blocks if code not in before.blocks]
        if tightened:
            problems.add(
                smap,
                ("windows", index, "blocks"),
                f"blocks {', '.join(map(repr, tightened))}, which the earlier window "
                f"{before.code!r} allows (restrictions may only relax over time)",
            )
        if UNKNOWN_STRICTNESS[after.unknown] > UNKNOWN_STRICTNESS[before.unknown]:
            problems.add(
                smap,
                ("windows", index, "unknown"),
                f"'{after.unknown}' is stricter than '{before.unknown}' in the earlier window "
                f"{before.code!r} (restrictions may only relax over time)",
            )
        if after.sterile_only and not before.sterile_only:
            problems.add(
                smap,
                ("windows", index, "sterile_only"),
                "sterile_only may only apply to the first windows (restrictions may only relax)",
            )
    last_index, last = len(windows) - 1, windows[-1]
    if last.to_hours is not None:
        problems.add(
            smap,
            ("windows", last_index, "to_hours"),
            "the last window must be open-ended (to_hours: null): every product is allowed "
            "at some point",
        )
    if last.blocks or last.sterile_only:
        problems.add(
            smap,
            ("windows", last_index),
            "the last window must block nothing (no blocks, no sterile_only)",
        )
    for index, window in enumerate(windows):
        if MAKE_UP_CLASS in window.blocks:
            problems.add(
                smap,
                ("windows", index, "blocks"),
                f"{MAKE_UP_CLASS!r} is blocked by settings.make_up_window_hours, not by a window",
            )
    blocked = {code for window in windows for code in window.blocks} | {MAKE_UP_CLASS}
    for code in data.classes:
        if code not in blocked:
            problems.add(smap, ("classes", code), f"class {code!r} is blocked in no window")
