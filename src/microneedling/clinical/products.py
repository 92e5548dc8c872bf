"""The topical product check (REFERENCE.md A.4): may this product go on the skin yet?

:func:`parse_ingredient_list` turns an ingredient list as printed on a label into ingredient names;
:func:`check_product` classifies each name against ``ingredients.yaml`` (restricted classes, the
neutral list, everything else unknown) and applies the time window the hours since the session fall
in, the make-up window and the unknown-ingredient block (clinic-configurable, A.7: pass a clinic's
values as arguments; :func:`product_check_settings` gives the defaults and bounds). A product whose
only UV filters are mineral is a sunscreen, not make-up. A clinic's approved products
(:class:`ApprovedProduct`) are passed in too: one of them passes from its approved hour. Pure and
deterministic: no I/O, no clock; the same text, hours, arguments and knowledge base give the same
result.

Parsing is deliberately forgiving of label layout and deliberately unforgiving of doubt: text it
cannot place becomes an *unknown* ingredient, which the knowledge base's policy then weighs; nothing
is dropped except headings ("Ingredients:"), "may contain" markers, percentages, footnote markers and
footnotes (which are still searched for restricted classes).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache, lru_cache
from typing import Any, Literal

from microneedling.errors import InternalError, UserError
from microneedling.knowledge import KnowledgeBase
from microneedling.knowledge.schema_products import (
    MAKE_UP_CLASS,
    IngredientIndex,
    IngredientsFile,
    ProductWindow,
    build_index,
    normalise_name,
)

Verdict = Literal["allowed", "blocked"]

#: Longest label text accepted (a real ingredient list is well under 2,000 characters).
MAX_LABEL_CHARS = 20_000
#: Most ingredients accepted in one list (a real one has under 80).
MAX_INGREDIENTS = 300
#: A parenthesis longer than this is not an aside such as "(Water)": separators inside it count.
MAX_ASIDE_CHARS = 200
#: Most approved products one check accepts (a clinic approves a handful).
MAX_APPROVED_PRODUCTS = 200
#: Longest name or "approved by" of an approved product.
MAX_APPROVAL_TEXT = 200
#: Latest hour an approval may name (a year).
MAX_APPROVAL_HOURS = 24 * 365
#: The first hours in which only sterile products may be applied (A.4); no approval changes it.
STERILE_ONLY_HOURS = 24

_FIELD = "ingredients"
_HOURS_FIELD = "hours_since_session"

# -- parsing ---------------------------------------------------------------------------------------

#: Footnote markers: a name carrying one is kept; a segment starting with one may be a footnote.
_MARKERS = "*†‡§¶°º"
_SUPERSCRIPT_DIGITS = "¹²³⁴⁵⁶⁷⁸⁹⁰"
_NEWLINES = str.maketrans({"\r": "\n", "\u2028": "\n", "\u2029": "\n", "\x85": "\n", "\t": " "})
#: Stands in for a comma between two digits ("1,2-Hexanediol", "1,5 %") while splitting.
_DIGIT_COMMA = "\ue000"
_SEPARATORS = frozenset(",;\n•·|[]{}、")

_AND = re.compile(r"\(\s*(?:and|et|und|y|e)\s*\)", re.IGNORECASE)
_NANO = re.compile(r"[\[(]\s*nano\s*[\])]", re.IGNORECASE)
_COMMA_IN_NUMBER = re.compile(r"(?<=\d),(?=\d)")
_DOTTED_COLOUR_INDEX = re.compile(r"\bC\s?\.\s?I\s?\.\s?(?=\d)", re.IGNORECASE)
_LANGUAGES_MAY_CONTAIN = (
    r"may\s+contain|peut\s+contenir|kann\s+enthalten|puede\s+contener|pode\s+conter"
    r"|pu[oò]\s+contenere|kan\s+bevatten"
)
_PREFIXES = (
    # "Ingredients:", "Inactive ingredients:", "INCI:", "Ingrédients :" ...
    re.compile(
        r"^(?:(?:active|inactive|other|key|full)\s+)?"
        r"(?:ingredients?|ingr[eé]dients?|ingredientes|ingredienti|inhaltsstoffe|zutaten"
        r"|bestandteile|composition|contains|inci(?:\s+(?:list|names?))?|actives?|inactives?)"
        r"(?:\s*\([^()]{0,60}\))?\s*:",
        re.IGNORECASE,
    ),
    # "May contain", "May contain/Peut contenir"
    re.compile(
        rf"^(?:{_LANGUAGES_MAY_CONTAIN})(?:\s*/\s*(?:{_LANGUAGES_MAY_CONTAIN}))*\s*:?",
        re.IGNORECASE,
    ),
    # "(+/-)", "[+/-]", "+/-:", "±"
    re.compile(r"^[(\[]?\s*(?:\+\s*/?\s*[-−]|±)\s*[)\]]?\s*:?"),
)
_HEADING_ALONE = re.compile(
    r"^(?:(?:active|inactive|other|key|full)\s+)?"
    r"(?:ingredients?|ingr[eé]dients?|ingredientes|ingredienti|inhaltsstoffe|zutaten"
    r"|bestandteile|composition|inci(?:\s+(?:list|names?))?)$",
    re.IGNORECASE,
)
_PERCENT = re.compile(rf"\d+(?:[.{_DIGIT_COMMA}]\d+)?\s*%(?:\s*w\s*/\s*[wv]\b)?|%")
_COMPARISONS = re.compile(r"[<>≤≥~]")
_SPACES = re.compile(r"\s+")
_EDGE_PUNCTUATION = " .,:;-–—_=+'\"`“”‘’„«»/\\!?"
#: Words that make a marked segment a footnote ("*organic", "**natural origin", "¹ from olives").
#: A marked segment without one ("*Wild Lemon Extract") stays an ingredient.
_FOOTNOTE = re.compile(
    r"\b(?:certified|organic|organically|bio|biological|biologique|natural|naturally|origin"
    r"|farming|agriculture|derived|components?|constituents?|fair\s*trade|ecocert|cosmos"
    r"|vegan|sustainabl[ey]|sustainably|wildcrafted|harvested|sourced|produced|obtained|from"
    r"|issus?|aus)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class _Parsed:
    ingredients: tuple[str, ...]
    footnotes: tuple[str, ...]


def parse_ingredient_list(text: str) -> list[str]:
    """The ingredient names of a label's list, in label order, each once.

    Handles commas, semicolons, newlines and bullets; "Ingredients:" and similar headings; asides
    such as "Aqua (Water)" (kept with their name; commas inside them do not split); "(and)" in
    blend names; percentages; "may contain (+/-)"; footnote markers and footnotes; case, accents
    and stray whitespace and punctuation. Raises :class:`UserError` for empty text, text over
    :data:`MAX_LABEL_CHARS` characters, or more than :data:`MAX_INGREDIENTS` ingredients.
    """
    return list(_parse(text).ingredients)


def _parse(text: str) -> _Parsed:
    if not isinstance(text, str):
        raise UserError("expected the ingredient list as text", field=_FIELD)
    if len(text) > MAX_LABEL_CHARS:
        raise UserError(
            f"the ingredient list is {len(text):,} characters; the limit is "
            f"{MAX_LABEL_CHARS:,} (give one product's list)",
            field=_FIELD,
        )
    ingredients: dict[str, str] = {}
    footnotes: list[str] = []
    for segment in _segments(_clean(text)):
        starts_with_marker = segment.lstrip()[:1] in _MARKERS
        name = _clean_segment(segment)
        if name is None:
            continue
        if starts_with_marker and _FOOTNOTE.search(name):
            footnotes.append(name)
            continue
        key = normalise_name(name) or name.casefold()
        ingredients.setdefault(key, name)
        if len(ingredients) > MAX_INGREDIENTS:
            raise UserError(
                f"more than {MAX_INGREDIENTS} ingredients; give one product's list",
                field=_FIELD,
            )
    if not ingredients:
        raise UserError(
            "no ingredients found: give the list as printed on the label, separated by commas",
            field=_FIELD,
        )
    return _Parsed(tuple(ingredients.values()), tuple(footnotes))


def _clean(text: str) -> str:
    """Characters made uniform: NFKC, one kind of newline, no control or invisible characters."""
    text = text.translate(_NEWLINES)
    for digit in _SUPERSCRIPT_DIGITS:
        text = text.replace(digit, "*")
    # Removed before NFKC, which would spell them out as letters ("TM").
    text = text.replace("™", "").replace("℠", "").replace("®", "").replace("©", "")
    text = unicodedata.normalize("NFKC", text)
    kept: list[str] = []
    for char in text:
        category = unicodedata.category(char)
        if category in ("Cf", "Co", "Cs", "Cn"):
            continue  # zero-width and bidirectional marks: "ret\u200binol" is "retinol"
        kept.append(" " if category == "Cc" and char != "\n" else char)
    text = "".join(kept)
    text = _AND.sub(",", text)
    text = _NANO.sub(" ", text)
    text = _DOTTED_COLOUR_INDEX.sub("CI ", text)  # "C.I. 77491" is not two sentences
    return _COMMA_IN_NUMBER.sub(_DIGIT_COMMA, text)


def _asides(text: str) -> list[tuple[int, int]]:
    """(start, end) of each outermost balanced, short, one-line parenthesis."""
    spans: list[tuple[int, int]] = []
    stack: list[int] = []
    for index, char in enumerate(text):
        if char == "(":
            stack.append(index)
        elif char == ")" and stack:
            start = stack.pop()
            if not stack and index - start <= MAX_ASIDE_CHARS and "\n" not in text[start:index]:
                spans.append((start, index))
        elif char == "\n":
            stack.clear()
    return spans


def _segments(text: str) -> Iterable[str]:
    """Split at separators outside asides, and at a full stop followed by a space."""
    protected = _asides(text)
    span = 0
    start = 0
    length = len(text)
    for index, char in enumerate(text):
        while span < len(protected) and protected[span][1] < index:
            span += 1
        if span < len(protected) and protected[span][0] < index <= protected[span][1]:
            continue
        if char in _SEPARATORS or (char == "." and _ends_sentence(text, index, length)):
            yield text[start:index]
            start = index + 1
    yield text[start:]


def _ends_sentence(text: str, index: int, length: int) -> bool:
    """A full stop followed by whitespace (or the end), and not "No." as in "Red No. 7"."""
    if index + 1 < length and not text[index + 1].isspace():
        return False
    before = text[max(0, index - 3) : index].casefold()
    return not (before.endswith("no") and (len(before) < 3 or not before[0].isalnum()))


def _clean_segment(segment: str) -> str | None:
    """The name in one segment, or None when nothing is left (heading, marker, punctuation)."""
    text = _SPACES.sub(" ", segment).strip(_EDGE_PUNCTUATION)
    for _ in range(6):  # "Ingredients: May contain (+/-): CI 77891"
        before = text
        for prefix in _PREFIXES:
            text = prefix.sub("", text, count=1).strip(_EDGE_PUNCTUATION)
        if text == before:
            break
    if _HEADING_ALONE.match(text):
        return None
    text = _PERCENT.sub(" ", text)
    text = _COMPARISONS.sub(" ", text)
    text = "".join(char for char in text if char not in _MARKERS)
    text = _balance_parentheses(_drop_empty_asides(text)).replace(_DIGIT_COMMA, ",")
    text = _SPACES.sub(" ", text).strip(_EDGE_PUNCTUATION)
    text = text.replace("( ", "(").replace(" )", ")")
    if not any(char.isalnum() for char in text):
        return None
    return text


def _drop_empty_asides(text: str) -> str:
    """Remove parentheses left empty ("Aqua (70 %)" once the percentage is gone), nested too."""
    out: list[str] = []
    frames: list[tuple[int, bool]] = []  # (position of "(" in out, has content)
    for char in text:
        if char == "(":
            frames.append((len(out), False))
            out.append(char)
        elif char == ")" and frames:
            start, has_content = frames.pop()
            if has_content:
                out.append(char)
            else:
                del out[start:]
                out.append(" ")
            if frames and has_content:
                frames[-1] = (frames[-1][0], True)
        else:
            out.append(char)
            if frames and not char.isspace():
                frames[-1] = (frames[-1][0], True)
    return "".join(out)


def _balance_parentheses(text: str) -> str:
    drop: set[int] = set()
    stack: list[int] = []
    for index, char in enumerate(text):
        if char == "(":
            stack.append(index)
        elif char == ")":
            if stack:
                stack.pop()
            else:
                drop.add(index)
    drop.update(stack)
    if not drop:
        return text
    return "".join(" " if index in drop else char for index, char in enumerate(text))


# -- classifying -----------------------------------------------------------------------------------


def _outside_and_inside(name: str) -> tuple[str, list[str]]:
    """The name without its asides, and the text of each outermost aside."""
    outside: list[str] = []
    inside: list[str] = []
    depth = 0
    current: list[str] = []
    for char in name:
        if char == "(":
            if depth == 0:
                current = []
            else:
                current.append(char)
            depth += 1
        elif char == ")" and depth > 0:
            depth -= 1
            if depth == 0:
                inside.append("".join(current))
            else:
                current.append(char)
        elif depth > 0:
            current.append(char)
        else:
            outside.append(char)
    return "".join(outside), inside


def _parts(text: str) -> list[str]:
    """Normalised alternatives of "Aqua/Water/Eau" or "Water, Eau" (empty ones left out)."""
    return [part for part in (normalise_name(p) for p in re.split(r"[/,;]", text)) if part]


def _classify(name: str, index: IngredientIndex) -> tuple[list[str], bool]:
    """(classes found, neutral?) for one ingredient name.

    Classes are looked for everywhere: the whole name, the name without its asides, and each
    aside ("Citrus Limon (Lemon) Peel Oil", "Parfum (Fragrance)"). Neutral needs the name itself
    to be known: "Aqua (Water)" is neutral because Aqua is; an aside alone never makes a name
    neutral, unless the name is nothing but asides.
    """
    outside, inside = _outside_and_inside(name)
    outside_normal = normalise_name(outside)
    candidates = [normalise_name(name), outside_normal, *(normalise_name(t) for t in inside)]
    found: set[str] = set()
    for candidate in candidates:
        found.update(index.classes_in(candidate))
    if found:
        return [code for code in index.class_order if code in found], False
    if outside_normal:
        if outside_normal in index.neutral:
            return [], True
        parts = _parts(outside)
        return [], len(parts) > 1 and all(part in index.neutral for part in parts)
    parts = [part for text in inside for part in _parts(text)]
    return [], bool(parts) and all(part in index.neutral for part in parts)


# -- the check -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClassFound:
    """A restricted class in the product and the ingredients that put it there."""

    code: str
    ingredients: tuple[str, ...]
    #: True when the class comes (also) from a product flag (make-up) rather than only the label.
    flagged: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"class": self.code, "ingredients": list(self.ingredients)}


@dataclass(frozen=True, slots=True)
class ProductReason:
    """Why a product is blocked (a reason) or what to look at (a warning)."""

    code: str
    message: str
    sources: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "sources": list(self.sources)}


@dataclass(frozen=True, slots=True)
class ProductSettingsUsed:
    """The clinic-configurable hours a check used (the knowledge base's defaults unless given)."""

    make_up_window_hours: int
    unknown_block_hours: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "make_up_window_hours": self.make_up_window_hours,
            "unknown_block_hours": self.unknown_block_hours,
        }


@dataclass(frozen=True, slots=True)
class ApprovedProduct:
    """A product a clinic has approved (REFERENCE.md A.4 and A.7), passed to :func:`check_product`.

    ``ingredients`` is the product's ingredient list as printed on its label; a checked product
    is this product when its list has the same ingredients (order, case, accents, percentages and
    label layout do not matter). ``from_hours`` is the hour after the session from which it may
    be used; ``sterile`` says whether it is a sterile product. An approval can never allow
    anything before 0 h, or a product that is not sterile in the first 24 h: building one that
    would raises :class:`UserError` naming the field. Build it from stored JSON with
    :meth:`from_dict`; :meth:`to_dict` gives that JSON back.
    """

    name: str
    ingredients: str
    sterile: bool
    from_hours: float
    approved_by: str
    approved_on: date

    def __post_init__(self) -> None:
        _check_text(self.name, "name", MAX_APPROVAL_TEXT)
        _check_text(self.approved_by, "approved_by", MAX_APPROVAL_TEXT)
        if not isinstance(self.sterile, bool):
            raise UserError("expected true or false (is the product sterile?)", field="sterile")
        if isinstance(self.approved_on, datetime) or not isinstance(self.approved_on, date):
            raise UserError("expected a date such as 2026-12-07", field="approved_on")
        hours = self.from_hours
        if isinstance(hours, bool) or not isinstance(hours, int | float):
            raise UserError("expected a number of hours, such as 24", field="from_hours")
        if not math.isfinite(hours) or hours < 0:
            raise UserError(
                "an approval cannot allow a product before the session (0 h)", field="from_hours"
            )
        if hours > MAX_APPROVAL_HOURS:
            raise UserError(
                f"at most {MAX_APPROVAL_HOURS:,} h (a year) after the session", field="from_hours"
            )
        if not self.sterile and hours < STERILE_ONLY_HOURS:
            raise UserError(
                f"a product that is not sterile cannot be approved for the first "
                f"{STERILE_ONLY_HOURS} h after a session (only sterile products then)",
                field="from_hours",
            )
        if not isinstance(self.ingredients, str):
            raise UserError("expected the ingredient list as text", field="ingredients")
        try:
            _label_key(self.ingredients)  # reads the list once: refused here, cached for checks
        except UserError as error:
            raise UserError(error.message, field="ingredients") from None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ApprovedProduct:
        """An approval from its JSON form (``approved_on`` as ``YYYY-MM-DD``)."""
        if not isinstance(data, Mapping):
            raise UserError("expected an object describing the approved product")
        fields = ("name", "ingredients", "sterile", "from_hours", "approved_by", "approved_on")
        for key in data:
            if key not in fields:
                shown = key if isinstance(key, str) and len(key) <= 40 else "a key"
                raise UserError(f"unknown field (fields: {', '.join(fields)})", field=str(shown))
        for key in fields:
            if key not in data:
                raise UserError("is required", field=key)
        when = data["approved_on"]
        if isinstance(when, str):
            try:
                when = date.fromisoformat(when.strip()) if len(when) <= 10 else None
            except ValueError:
                when = None
            if when is None:
                raise UserError("expected a date such as 2026-12-07", field="approved_on")
        return cls(
            name=data["name"],
            ingredients=data["ingredients"],
            sterile=data["sterile"],
            from_hours=data["from_hours"],
            approved_by=data["approved_by"],
            approved_on=when,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "ingredients": self.ingredients,
            "sterile": self.sterile,
            "from_hours": _json_number(self.from_hours),
            "approved_by": self.approved_by,
            "approved_on": self.approved_on.isoformat(),
        }

    @property
    def allowed_from_hours(self) -> float:
        """The hour it passes from: its approved hour, never before 0 h, nor before 24 h unless
        sterile (already refused on building; applied again here)."""
        floor = 0 if self.sterile else STERILE_ONLY_HOURS
        return max(self.from_hours, floor)

    def ingredient_key(self) -> frozenset[str]:
        """The ingredients, normalised, as compared with a checked product's."""
        return _label_key(self.ingredients)


@dataclass(frozen=True, slots=True)
class ApprovalUsed:
    """The clinic approval a check applied."""

    product: ApprovedProduct
    #: True when the product passes on the approval (the hour has come).
    passes: bool
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.product.name,
            "sterile": self.product.sterile,
            "from_hours": _json_number(self.product.allowed_from_hours),
            "approved_by": self.product.approved_by,
            "approved_on": self.product.approved_on.isoformat(),
            "passes": self.passes,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class ProductCheck:
    """The outcome of checking one product at one time after a session."""

    verdict: Verdict
    hours_since_session: float
    phase: ProductWindow
    ingredients: tuple[str, ...]
    classes_found: tuple[ClassFound, ...]
    unknown_ingredients: tuple[str, ...]
    reasons: tuple[ProductReason, ...]
    warnings: tuple[ProductReason, ...]
    sources: tuple[str, ...]
    allowed_from_hours: float | None
    sterile_post_procedure: bool
    make_up: bool
    knowledge_base_version: str
    knowledge_base_hash: str
    settings: ProductSettingsUsed
    #: True when the product is a mineral sunscreen (only mineral UV filters, iron-oxide tint or
    #: none): it is not make-up.
    mineral_sunscreen: bool = False
    #: The iron-oxide tint a mineral sunscreen carries (not counted as make-up).
    tint: tuple[str, ...] = ()
    product_name: str | None = None
    approval: ApprovalUsed | None = None
    #: Reasons that would block the product, set aside by the clinic's approval.
    waived: tuple[ProductReason, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (the `product-check --json` contract)."""
        return {
            "verdict": self.verdict,
            "hours_since_session": _json_number(self.hours_since_session),
            "phase": {
                "code": self.phase.code,
                "label": self.phase.label,
                "from_hours": self.phase.from_hours,
                "to_hours": self.phase.to_hours,
            },
            "product": {
                "name": self.product_name,
                "sterile_post_procedure": self.sterile_post_procedure,
                "make_up": self.make_up,
                "mineral_sunscreen": self.mineral_sunscreen,
                "tint": list(self.tint),
            },
            "ingredients": list(self.ingredients),
            "classes_found": [found.to_dict() for found in self.classes_found],
            "unknown_ingredients": list(self.unknown_ingredients),
            "reasons": [reason.to_dict() for reason in self.reasons],
            "warnings": [warning.to_dict() for warning in self.warnings],
            "approval": None if self.approval is None else self.approval.to_dict(),
            "waived": [reason.to_dict() for reason in self.waived],
            "sources": list(self.sources),
            "allowed_from_hours": (
                None if self.allowed_from_hours is None else _json_number(self.allowed_from_hours)
            ),
            "settings": self.settings.to_dict(),
            "knowledge_base": {
                "version": self.knowledge_base_version,
                "hash": self.knowledge_base_hash,
            },
        }


@dataclass(frozen=True, slots=True)
class _Rules:
    """The product-check data and look-ups, built once per knowledge base."""

    data: IngredientsFile
    index: IngredientIndex
    mineral_filters: tuple[str, ...]
    organic_filters: tuple[str, ...]
    tints: tuple[str, ...]


@cache
def _rules(kb: KnowledgeBase) -> _Rules:
    data = kb.section("ingredients.yaml", IngredientsFile)
    sunscreen = data.sunscreen
    tints = [*sunscreen.tint, *(f"CI {number}" for number in sunscreen.tint_colour_index)]
    return _Rules(
        data=data,
        index=build_index(data),
        mineral_filters=tuple(normalise_name(name) for name in sunscreen.mineral_filters),
        organic_filters=tuple(normalise_name(name) for name in sunscreen.organic_filters),
        tints=tuple(sorted({normalise_name(name) for name in tints}, key=len, reverse=True)),
    )


def check_hours(value: object) -> float:
    """``value`` as hours since the session; raises UserError if it is not a number ≥ 0."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UserError("expected a number of hours, such as 30 or 30.5", field=_HOURS_FIELD)
    if isinstance(value, float) and not math.isfinite(value):
        raise UserError("expected a finite number of hours", field=_HOURS_FIELD)
    if value < 0:
        raise UserError(
            f"{hours_text(value)}: the hours since the session cannot be negative",
            field=_HOURS_FIELD,
        )
    return value


@dataclass(frozen=True, slots=True)
class HoursBounds:
    """A clinic-configurable number of hours: its default and bounds (A.7)."""

    default: int
    min: int
    max: int


def product_check_settings(kb: KnowledgeBase) -> dict[str, HoursBounds]:
    """The product check's clinic-configurable hours with their defaults and bounds (A.7):
    ``make_up_window_hours`` and ``unknown_block_hours``."""
    settings = _rules(kb).data.settings
    return {
        key: HoursBounds(setting.default, setting.min, setting.max)
        for key, setting in (
            ("make_up_window_hours", settings.make_up_window_hours),
            ("unknown_block_hours", settings.unknown_block_hours),
        )
    }


def _setting(kb: KnowledgeBase, key: str, value: object) -> int:
    bounds = product_check_settings(kb)[key]
    if value is None:
        return bounds.default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UserError("expected a whole number of hours, such as 48", field=key)
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        raise UserError("expected a whole number of hours, such as 48", field=key)
    if not bounds.min <= value <= bounds.max:
        raise UserError(
            f"must be {bounds.min}–{bounds.max} h, got {_json_number(float(value))}", field=key
        )
    return int(value)


def check_product(
    ingredients_text: str,
    hours_since_session: float,
    kb: KnowledgeBase,
    *,
    sterile_post_procedure: bool = False,
    make_up: bool = False,
    make_up_window_hours: int | None = None,
    unknown_block_hours: int | None = None,
    approved_products: Sequence[ApprovedProduct] = (),
    product_name: str | None = None,
) -> ProductCheck:
    """Whether a product may be applied ``hours_since_session`` hours after a session (A.4).

    ``ingredients_text`` is the list as printed on the label. ``sterile_post_procedure`` and
    ``make_up`` are facts about the product a label list cannot prove: a sterile product labelled
    for post-procedure use (the only kind allowed in the first 24 h), and a make-up product (blocked
    like a listed pigment). A product whose only UV filters are mineral, with or without an
    iron-oxide tint, is a sunscreen, not make-up.

    ``make_up_window_hours`` and ``unknown_block_hours`` are the clinic's values (A.7; ``None``:
    the knowledge base's defaults, 48 and 72 h; each within the bounds of
    :func:`product_check_settings`, else UserError). ``approved_products`` are the clinic's
    approved products: a product with the same ingredients as one of them (and, when
    ``product_name`` is given, the same name) passes from its approved hour with the approval as
    its reason, and is blocked before it. Raises :class:`UserError` on bad hours, settings or an
    unusable list.
    """
    hours = check_hours(hours_since_session)
    make_up_until = _setting(kb, "make_up_window_hours", make_up_window_hours)
    unknown_until = _setting(kb, "unknown_block_hours", unknown_block_hours)
    name = _product_name(product_name)
    approvals = _approvals(approved_products)
    parsed = _parse(ingredients_text)
    rules = _rules(kb)
    data, index = rules.data, rules.index

    by_class: dict[str, list[str]] = {}
    unknown: list[str] = []
    for ingredient in parsed.ingredients:
        classes, neutral = _classify(ingredient, index)
        for code in classes:
            by_class.setdefault(code, []).append(ingredient)
        if not classes and not neutral:
            unknown.append(ingredient)
    for note in parsed.footnotes:  # "*natural component of essential oils"
        for code in index.classes_in(normalise_name(note)):
            by_class.setdefault(code, []).append(note)

    sunscreen = _mineral_sunscreen(parsed.ingredients, by_class.get(MAKE_UP_CLASS, []), rules)
    tint: tuple[str, ...] = ()
    if sunscreen and not make_up:
        tint = tuple(by_class.pop(MAKE_UP_CLASS, ()))
    found = tuple(
        ClassFound(
            code,
            tuple(by_class.get(code, ())),
            flagged=make_up and code == MAKE_UP_CLASS,
        )
        for code in index.class_order
        if code in by_class or (make_up and code == MAKE_UP_CLASS)
    )

    windows = data.windows
    at = _window_at(windows, hours)
    window = windows[at]
    codes = [item.code for item in found]
    values = {"hours": hours_text(hours), "window": window.label}
    reasons: list[ProductReason] = []
    warnings: list[ProductReason] = []
    if window.sterile_only and not sterile_post_procedure:
        until = _first_from(windows, at, lambda w: not w.sterile_only)
        message = data.messages.not_sterile.format(**values, until=hours_text(until))
        reasons.append(ProductReason("not_sterile", message, tuple(window.sources)))
    for item in found:
        if item.code == MAKE_UP_CLASS:
            if hours >= make_up_until:
                continue
            until = make_up_until
            extra = data.settings.make_up_window_hours.sources
        elif item.code in window.blocks:
            until = _first_from(windows, at, _allows(item.code))
            extra = []
        else:
            continue
        klass = data.classes[item.code]
        names = [*item.ingredients, *(["flagged as make-up"] if item.flagged else [])]
        message = data.messages.class_blocked.format(
            **values, label=klass.label, ingredients=", ".join(names), until=hours_text(until)
        )
        sources = _unique([*window.sources, *klass.sources, *extra])
        reasons.append(ProductReason(item.code, message, sources))
    if unknown:
        sources = _unique([*window.sources, *data.unknown_ingredients.sources])
        listed = ", ".join(unknown)
        if hours < unknown_until:
            message = data.messages.unknown_blocked.format(
                **values, ingredients=listed, until=hours_text(unknown_until)
            )
            reasons.append(ProductReason("unknown_ingredients", message, sources))
        elif window.unknown == "warn":
            until = _first_from(windows, at, lambda w: w.unknown == "allow")
            labels = [_in_sentence(data.classes[code].label) for code in window.blocks]
            message = data.messages.unknown_warning.format(
                **values,
                ingredients=listed,
                until=hours_text(until),
                classes=_or_list(labels),
            )
            warnings.append(ProductReason("unknown_ingredients", message, sources))

    def blocked_at(moment: float) -> bool:
        later = windows[_window_at(windows, moment)]
        return (
            (later.sterile_only and not sterile_post_procedure)
            or any(code in later.blocks for code in codes)
            or (MAKE_UP_CLASS in codes and moment < make_up_until)
            or (bool(unknown) and moment < unknown_until)
        )

    allowed_from: float | None = None
    if reasons:
        allowed_from = _first_passing(windows, hours, (make_up_until, unknown_until), blocked_at)

    approval: ApprovalUsed | None = None
    waived: tuple[ProductReason, ...] = ()
    approved, other = _matching_approval(parsed.ingredients, name, approvals)
    if other is not None:
        message = data.messages.approval_other_ingredients.format(**values, name=other.name)
        warnings.append(ProductReason("approval_other", message, ()))
    if approved is not None:
        start = approved.allowed_from_hours
        details = {
            "name": approved.name,
            "approved_by": approved.approved_by,
            "approved_on": approved.approved_on.isoformat(),
            "until": hours_text(start),
        }
        if hours >= start:
            message = data.messages.approved.format(**values, **details)
            approval = ApprovalUsed(approved, passes=True, message=message)
            waived, reasons, allowed_from = tuple(reasons), [], None
        else:
            message = data.messages.approval_not_yet.format(**values, **details)
            approval = ApprovalUsed(approved, passes=False, message=message)
            reasons.append(ProductReason("approval_not_yet", message, ()))
            allowed_from = start
    return ProductCheck(
        verdict="blocked" if reasons else "allowed",
        hours_since_session=hours,
        phase=window,
        ingredients=parsed.ingredients,
        classes_found=found,
        unknown_ingredients=tuple(unknown),
        reasons=tuple(reasons),
        warnings=tuple(warnings),
        sources=_unique(
            [
                *window.sources,
                *(data.sunscreen.sources if sunscreen and not make_up else ()),
                *(source for reason in (*reasons, *warnings) for source in reason.sources),
            ]
        ),
        allowed_from_hours=allowed_from,
        sterile_post_procedure=sterile_post_procedure,
        make_up=make_up,
        knowledge_base_version=kb.version,
        knowledge_base_hash=kb.hash,
        settings=ProductSettingsUsed(make_up_until, unknown_until),
        mineral_sunscreen=sunscreen and not make_up,
        tint=tint,
        product_name=name,
        approval=approval,
        waived=waived,
    )


def _first_passing(
    windows: Sequence[ProductWindow],
    hours: float,
    settings: Iterable[int],
    blocked_at: Callable[[float], bool],
) -> float:
    """The first moment after ``hours`` at which nothing blocks: a window start or a setting."""
    moments = sorted({*(w.from_hours for w in windows), *settings})
    for moment in moments:
        if moment > hours and not blocked_at(moment):
            return moment
    raise InternalError("no later moment lifts the restriction (inconsistent windows)")


def _words_contain(normalised: str, phrase: str) -> bool:
    return f" {phrase} " in f" {normalised} "


def _mineral_sunscreen(
    ingredients: Sequence[str], make_up_names: Sequence[str], rules: _Rules
) -> bool:
    """Only mineral UV filters, and no pigment but an iron-oxide tint (A.4)."""
    normalised = [normalise_name(name) for name in ingredients]
    if not any(_words_contain(n, f) for n in normalised for f in rules.mineral_filters):
        return False
    if any(_words_contain(n, f) for n in normalised for f in rules.organic_filters):
        return False
    return all(_tint_only(name, rules) for name in make_up_names)


def _tint_only(name: str, rules: _Rules) -> bool:
    """Whether the only pigment in ``name`` is an iron-oxide tint ("Iron Oxides (CI 77491)")."""
    rest = f" {normalise_name(name)} "
    found = False
    for tint in rules.tints:
        if f" {tint} " in rest:
            found = True
            rest = rest.replace(f" {tint} ", " ")
    return found and MAKE_UP_CLASS not in rules.index.classes_in(rest.strip())


@lru_cache(maxsize=1024)
def _label_key(text: str) -> frozenset[str]:
    """An approved product's ingredients, normalised (read once per label text)."""
    return _ingredient_key(_parse(text).ingredients)


def _ingredient_key(ingredients: Iterable[str]) -> frozenset[str]:
    return frozenset(normalise_name(name) or name.casefold() for name in ingredients)


def _product_name(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise UserError("expected the product's name as text", field="product_name")
    text = value.strip()
    if not text:
        return None
    _check_text(text, "product_name", MAX_APPROVAL_TEXT)
    return text


def _approvals(values: object) -> tuple[ApprovedProduct, ...]:
    if isinstance(values, str | bytes) or not isinstance(values, Sequence):
        raise UserError("expected a list of approved products", field="approved_products")
    if len(values) > MAX_APPROVED_PRODUCTS:
        raise UserError(
            f"more than {MAX_APPROVED_PRODUCTS} approved products", field="approved_products"
        )
    for value in values:
        if not isinstance(value, ApprovedProduct):
            raise UserError(
                "each approved product must be an ApprovedProduct", field="approved_products"
            )
    return tuple(values)


def _matching_approval(
    ingredients: Sequence[str], name: str | None, approvals: Sequence[ApprovedProduct]
) -> tuple[ApprovedProduct | None, ApprovedProduct | None]:
    """(the approval of this product, an approval of the same name but another list)."""
    key = _ingredient_key(ingredients)
    wanted = None if name is None else normalise_name(name) or name.casefold()
    other: ApprovedProduct | None = None
    for approval in approvals:
        same_name = wanted is None or (normalise_name(approval.name) or approval.name) == wanted
        if not same_name:
            continue
        if approval.ingredient_key() == key:
            return approval, None
        if wanted is not None and other is None:
            other = approval
    return None, other


def _check_text(value: object, field: str, limit: int) -> str:
    if not isinstance(value, str):
        raise UserError("expected text", field=field)
    if not value.strip():
        raise UserError("must not be empty", field=field)
    if len(value) > limit:
        raise UserError(f"at most {limit} characters", field=field)
    if any(unicodedata.category(char) in ("Cc", "Cf") for char in value):
        raise UserError("contains control characters", field=field)
    return value


def _window_at(windows: Sequence[ProductWindow], hours: float) -> int:
    """Index of the window ``hours`` falls in (from inclusive, to exclusive)."""
    for position, window in enumerate(windows):
        if window.from_hours <= hours and (window.to_hours is None or hours < window.to_hours):
            return position
    raise InternalError(f"no product window covers {hours} h (the knowledge base is inconsistent)")


def _first_from(
    windows: Sequence[ProductWindow], at: int, passes: Callable[[ProductWindow], bool]
) -> int:
    """The start of the first window after ``at`` that ``passes``.

    The knowledge base guarantees one exists: the last window blocks nothing and restrictions only
    relax (schema_products.cross_check).
    """
    for window in windows[at + 1 :]:
        if passes(window):
            return window.from_hours
    raise InternalError("no later product window lifts the restriction (inconsistent windows)")


def _allows(code: str) -> Callable[[ProductWindow], bool]:
    """A test for "this window does not block class ``code``"."""
    return lambda window: code not in window.blocks


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def _json_number(value: float) -> float | int:
    """30.0 → 30 so that whole hours read as whole numbers in JSON."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def hours_text(value: float) -> str:
    """``30`` → ``"30 h"``, ``30.5`` → ``"30.5 h"``, ``72`` → ``"72 h (3 days)"``."""
    number = _json_number(value)
    if isinstance(number, float):
        return f"{number:g} h"
    if number > 0 and number % 24 == 0:
        days = number // 24
        return f"{number} h ({days} day{'s' if days != 1 else ''})"
    return f"{number} h"


def _in_sentence(label: str) -> str:
    """Lower-case a word label for use mid-sentence ("retinoid"), but keep "AHA" as it is."""
    if len(label) > 1 and label[0].isupper() and label[1].islower():
        return label[0].lower() + label[1:]
    return label


def _or_list(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


__all__ = [
    "MAX_APPROVED_PRODUCTS",
    "MAX_INGREDIENTS",
    "MAX_LABEL_CHARS",
    "STERILE_ONLY_HOURS",
    "ApprovalUsed",
    "ApprovedProduct",
    "ClassFound",
    "HoursBounds",
    "ProductCheck",
    "ProductReason",
    "ProductSettingsUsed",
    "Verdict",
    "check_hours",
    "check_product",
    "hours_text",
    "parse_ingredient_list",
    "product_check_settings",
]
