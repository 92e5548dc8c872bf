"""Policy version 2 of the topical product check (REFERENCE.md A.4, A.7), walked from tables.

- One make-up window (48 h by default) and an unknown-ingredient block (72 h), both
  clinic-configurable within 24–168 h and passed to the check as arguments.
- A product whose only UV filters are mineral (zinc oxide, titanium dioxide), with or without an
  iron-oxide tint, is a sunscreen, not make-up: it passes from 24 h.
- A clinic-approved product passes from its approved hour with the approval as its reason; an
  approval never allows anything before 0 h, nor a product that is not sterile in the first 24 h.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from microneedling.clinical.products import (
    MAX_APPROVED_PRODUCTS,
    ApprovedProduct,
    ProductCheck,
    check_product,
    product_check_settings,
)
from microneedling.errors import UserError
from microneedling.knowledge import KnowledgeBase

BASE = "Aqua, Glycerin, Sodium Hyaluronate"
TINTED = "Aqua, Zinc Oxide 18%, Glycerin, Iron Oxides (CI 77491, CI 77492, CI 77499)"
APPROVED_ON = date(2026, 11, 2)


def check(text: str, hours: float, kb: KnowledgeBase, **options: Any) -> ProductCheck:
    return check_product(text, hours, kb, **options)


# -- the clinic-configurable hours -------------------------------------------------------------


def test_the_settings_and_their_bounds_come_from_the_knowledge_base(kb: KnowledgeBase) -> None:
    settings = product_check_settings(kb)
    assert {key: (s.default, s.min, s.max) for key, s in settings.items()} == {
        "make_up_window_hours": (48, 24, 168),
        "unknown_block_hours": (72, 24, 168),
    }
    result = check(BASE, 30, kb)
    assert result.to_dict()["settings"] == {"make_up_window_hours": 48, "unknown_block_hours": 72}


# (make-up window, hours, verdict, allowed from)
MAKE_UP_ROWS: list[tuple[int | None, float, str, int | None]] = [
    (None, 0, "blocked", 48),
    (None, 24, "blocked", 48),
    (None, 47.99, "blocked", 48),
    (None, 48, "allowed", None),
    (None, 71.99, "allowed", None),
    (24, 24, "allowed", None),
    (24, 23.99, "blocked", 24),
    (72, 48, "blocked", 72),
    (72, 72, "allowed", None),
    (168, 167.99, "blocked", 168),
    (168, 168, "allowed", None),
]


@pytest.mark.parametrize(("window", "hours", "verdict", "allowed_from"), MAKE_UP_ROWS)
@pytest.mark.parametrize("how", ["flag", "pigment"])
def test_make_up_is_blocked_until_the_make_up_window_ends(
    kb: KnowledgeBase,
    window: int | None,
    hours: float,
    verdict: str,
    allowed_from: int | None,
    how: str,
) -> None:
    text = BASE if how == "flag" else f"{BASE}, Mica, CI 77491"
    result = check(
        text,
        hours,
        kb,
        make_up=how == "flag",
        sterile_post_procedure=True,
        make_up_window_hours=window,
    )
    assert result.verdict == verdict
    assert result.allowed_from_hours == allowed_from
    assert [reason.code for reason in result.reasons] == (["make_up"] if allowed_from else [])
    if allowed_from:
        assert f"not before {allowed_from} h" in result.reasons[0].message
    assert result.settings.make_up_window_hours == (window or 48)


# (unknown-ingredient block, hours, reasons, warnings, allowed from)
UNKNOWN_ROWS: list[tuple[int | None, float, list[str], list[str], int | None]] = [
    (None, 71.99, ["unknown_ingredients"], [], 72),
    (None, 72, [], ["unknown_ingredients"], None),
    (24, 24, [], ["unknown_ingredients"], None),
    (24, 23.99, ["unknown_ingredients"], [], 24),
    (100, 99, ["unknown_ingredients"], [], 100),
    (100, 100, [], ["unknown_ingredients"], None),
    (168, 167.99, ["unknown_ingredients"], [], 168),
    (168, 168, [], [], None),
]


@pytest.mark.parametrize(("block", "hours", "reasons", "warnings", "allowed_from"), UNKNOWN_ROWS)
def test_the_unknown_ingredient_block_is_a_parameter(
    kb: KnowledgeBase,
    block: int | None,
    hours: float,
    reasons: list[str],
    warnings: list[str],
    allowed_from: int | None,
) -> None:
    result = check(
        f"{BASE}, Snail Secretion Filtrate",
        hours,
        kb,
        sterile_post_procedure=True,
        unknown_block_hours=block,
    )
    assert [reason.code for reason in result.reasons] == reasons
    assert [warning.code for warning in result.warnings] == warnings
    assert result.allowed_from_hours == allowed_from


def test_a_later_make_up_window_and_an_earlier_block_combine(kb: KnowledgeBase) -> None:
    result = check(
        f"{BASE}, Mica, Mystery", 30, kb, make_up_window_hours=96, unknown_block_hours=24
    )
    assert [reason.code for reason in result.reasons] == ["make_up"]
    assert [warning.code for warning in result.warnings] == ["unknown_ingredients"]
    assert result.allowed_from_hours == 96


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("make_up_window_hours", 23, "must be 24–168 h, got 23"),
        ("make_up_window_hours", 169, "must be 24–168 h, got 169"),
        ("make_up_window_hours", 0, "must be 24–168 h"),
        ("make_up_window_hours", -48, "must be 24–168 h"),
        ("make_up_window_hours", 48.5, "whole number of hours"),
        ("make_up_window_hours", float("nan"), "whole number of hours"),
        ("make_up_window_hours", float("inf"), "whole number of hours"),
        ("make_up_window_hours", True, "whole number of hours"),
        ("make_up_window_hours", "48", "whole number of hours"),
        ("unknown_block_hours", 10**12, "must be 24–168 h"),
        ("unknown_block_hours", 12, "must be 24–168 h"),
        ("unknown_block_hours", [72], "whole number of hours"),
    ],
)
def test_settings_outside_their_bounds_are_refused(
    kb: KnowledgeBase, key: str, value: object, words: str
) -> None:
    with pytest.raises(UserError) as caught:
        check(BASE, 30, kb, **{key: value})
    assert caught.value.field == key
    assert words in caught.value.message


def test_settings_at_their_bounds_are_accepted(kb: KnowledgeBase) -> None:
    for value in (24, 168, 48.0):
        result = check(BASE, 30, kb, make_up_window_hours=value, unknown_block_hours=value)
        assert result.settings.make_up_window_hours == int(value)


# -- mineral sunscreens ------------------------------------------------------------------------

# (label, hours, verdict, mineral sunscreen, reason codes, allowed from)
SUNSCREEN_ROWS: list[tuple[str, float, str, bool, list[str], int | None]] = [
    # untinted mineral sunscreen
    ("Aqua, Zinc Oxide 20%, Glycerin", 23.99, "blocked", True, ["not_sterile"], 24),
    ("Aqua, Zinc Oxide 20%, Glycerin", 24, "allowed", True, [], None),
    ("Aqua, Titanium Dioxide (CI 77891), Dimethicone", 24, "allowed", True, [], None),
    ("Aqua, Titanium Dioxide, Zinc Oxide (Nano)", 30, "allowed", True, [], None),
    # tinted with iron oxides: still a sunscreen
    (TINTED, 23.99, "blocked", True, ["not_sterile"], 24),
    (TINTED, 24, "allowed", True, [], None),
    (TINTED, 30, "allowed", True, [], None),
    ("Aqua, Zinc Oxide, CI 77491, CI 77492", 24, "allowed", True, [], None),
    ("Aqua, Zinc Oxide, Iron Oxide", 24, "allowed", True, [], None),
    # another pigment besides the tint: make-up
    ("Aqua, Zinc Oxide, Iron Oxides, Mica", 30, "blocked", False, ["make_up"], 48),
    ("Aqua, Zinc Oxide, Iron Oxides, CI 77007", 30, "blocked", False, ["make_up"], 48),
    ("Aqua, Zinc Oxide, Iron Oxides (and) Mica", 30, "blocked", False, ["make_up"], 48),
    # an organic filter: not a mineral sunscreen, and the filter is not recognised
    ("Aqua, Zinc Oxide, Avobenzone", 30, "blocked", False, ["unknown_ingredients"], 72),
    (
        "Aqua, Zinc Oxide, Octinoxate, Iron Oxides",
        30,
        "blocked",
        False,
        ["make_up", "unknown_ingredients"],
        72,
    ),
    # iron oxides without a mineral filter: make-up
    ("Aqua, Glycerin, Iron Oxides", 30, "blocked", False, ["make_up"], 48),
]


@pytest.mark.parametrize(
    ("label", "hours", "verdict", "sunscreen", "codes", "allowed_from"), SUNSCREEN_ROWS
)
def test_mineral_sunscreens_pass_from_24_hours(
    kb: KnowledgeBase,
    label: str,
    hours: float,
    verdict: str,
    sunscreen: bool,
    codes: list[str],
    allowed_from: int | None,
) -> None:
    result = check(label, hours, kb)
    assert result.verdict == verdict
    assert result.mineral_sunscreen is sunscreen
    assert [reason.code for reason in result.reasons] == codes
    assert result.allowed_from_hours == allowed_from
    if sunscreen:
        assert "make_up" not in [found.code for found in result.classes_found]
        assert result.to_dict()["product"]["mineral_sunscreen"] is True


def test_a_tinted_sunscreen_names_its_tint_and_cites_the_aftercare(kb: KnowledgeBase) -> None:
    data = check(TINTED, 30, kb).to_dict()
    assert data["product"]["tint"] == ["Iron Oxides (CI 77491, CI 77492, CI 77499)"]
    assert data["classes_found"] == []
    assert "A1" in data["sources"]


def test_a_sunscreen_flagged_as_make_up_stays_make_up(kb: KnowledgeBase) -> None:
    result = check(TINTED, 30, kb, make_up=True)
    assert not result.mineral_sunscreen
    assert [reason.code for reason in result.reasons] == ["make_up"]
    assert result.allowed_from_hours == 48


def test_a_tinted_sunscreen_with_a_restricted_class_is_still_blocked(kb: KnowledgeBase) -> None:
    result = check(f"{TINTED}, Parfum", 30, kb)
    assert result.mineral_sunscreen
    assert [reason.code for reason in result.reasons] == ["fragrance"]
    assert result.allowed_from_hours == 72


# -- clinic-approved products ------------------------------------------------------------------

TXA = "Aqua, Tranexamic Acid 3%, Sodium Hyaluronate"


def approval(**changes: Any) -> ApprovedProduct:
    fields: dict[str, Any] = {
        "name": "Clinic TXA serum",
        "ingredients": TXA,
        "sterile": True,
        "from_hours": 0,
        "approved_by": "Dr Ada Lovelace",
        "approved_on": APPROVED_ON,
    }
    fields.update(changes)
    return ApprovedProduct(**fields)


# (approval's sterile, approval's from_hours, hours, verdict, allowed from)
APPROVAL_ROWS: list[tuple[bool, float, float, str, float | None]] = [
    (True, 0, 0, "allowed", None),
    (True, 0, 23.99, "allowed", None),
    (True, 12, 11.99, "blocked", 12),
    (True, 12, 12, "allowed", None),
    (False, 24, 23.99, "blocked", 24),
    (False, 24, 24, "allowed", None),
    (False, 36.5, 36, "blocked", 36.5),
    (False, 36.5, 36.5, "allowed", None),
    (True, 100, 80, "blocked", 100),  # the clinic's hour holds even when the check would pass
    (True, 100, 100, "allowed", None),
]


@pytest.mark.parametrize(("sterile", "start", "hours", "verdict", "allowed_from"), APPROVAL_ROWS)
def test_an_approved_product_passes_from_its_approved_hour(
    kb: KnowledgeBase,
    sterile: bool,
    start: float,
    hours: float,
    verdict: str,
    allowed_from: float | None,
) -> None:
    approved = approval(sterile=sterile, from_hours=start)
    # Another order, case and layout of the same list.
    text = "Ingredients: SODIUM HYALURONATE; Tranexamic Acid; Aqua"
    result = check(text, hours, kb, approved_products=[approved])
    assert result.verdict == verdict
    assert result.allowed_from_hours == allowed_from
    assert result.approval is not None and result.approval.product == approved
    data = result.to_dict()
    if verdict == "allowed":
        assert result.reasons == ()
        assert data["approval"]["passes"] is True
        assert "Approved by the clinic" in data["approval"]["message"]
        assert "Dr Ada Lovelace" in data["approval"]["message"]
        assert "2026-11-02" in data["approval"]["message"]
        # What the approval set aside is shown, never hidden.
        if hours < 72:
            assert "unknown_ingredients" in [reason["code"] for reason in data["waived"]]
    else:
        assert result.reasons[-1].code == "approval_not_yet"
        assert data["approval"]["passes"] is False


def test_without_the_approval_the_same_product_is_blocked(kb: KnowledgeBase) -> None:
    result = check(TXA, 2, kb)
    assert result.verdict == "blocked" and result.approval is None
    assert [reason.code for reason in result.reasons] == ["not_sterile", "unknown_ingredients"]


@pytest.mark.parametrize(
    "text",
    [
        "Aqua, Tranexamic Acid",  # one ingredient fewer
        f"{TXA}, Parfum",  # one more
        "Aqua, Tranexamic Acid, Sodium Hyaluronate, Ascorbic Acid",
    ],
)
def test_an_approval_applies_only_to_the_same_ingredient_list(kb: KnowledgeBase, text: str) -> None:
    result = check(text, 2, kb, approved_products=[approval()])
    assert result.approval is None and result.verdict == "blocked"


def test_a_named_product_needs_the_approved_name(kb: KnowledgeBase) -> None:
    approved = approval()
    same = check(TXA, 2, kb, approved_products=[approved], product_name="clinic txa SERUM")
    assert same.verdict == "allowed" and same.product_name == "clinic txa SERUM"
    other = check(TXA, 2, kb, approved_products=[approved], product_name="Another serum")
    assert other.verdict == "blocked" and other.approval is None


def test_a_name_approved_with_another_list_warns(kb: KnowledgeBase) -> None:
    result = check(
        "Aqua, Tranexamic Acid",
        2,
        kb,
        approved_products=[approval()],
        product_name="Clinic TXA serum",
    )
    assert result.verdict == "blocked" and result.approval is None
    assert [warning.code for warning in result.warnings] == ["approval_other"]
    assert "different ingredient list" in result.warnings[0].message


def test_an_approval_never_allows_a_non_sterile_product_in_the_first_24_hours(
    kb: KnowledgeBase,
) -> None:
    with pytest.raises(UserError) as caught:
        approval(sterile=False, from_hours=0)
    assert caught.value.field == "from_hours"
    assert "not sterile" in caught.value.message and "24 h" in caught.value.message
    with pytest.raises(UserError):
        approval(sterile=False, from_hours=23.99)


@pytest.mark.parametrize("start", [-1, -0.01, float("-inf")])
def test_an_approval_never_allows_anything_before_0_hours(kb: KnowledgeBase, start: float) -> None:
    with pytest.raises(UserError) as caught:
        approval(from_hours=start)
    assert caught.value.field == "from_hours"


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"name": ""}, "name", "must not be empty"),
        ({"name": "   "}, "name", "must not be empty"),
        ({"name": "x" * 201}, "name", "at most 200"),
        ({"name": "TXA\x00"}, "name", "control characters"),
        ({"name": "TXA\u202e"}, "name", "control characters"),
        ({"name": None}, "name", "expected text"),
        ({"approved_by": ""}, "approved_by", "must not be empty"),
        ({"approved_by": 7}, "approved_by", "expected text"),
        ({"ingredients": ""}, "ingredients", "no ingredients found"),
        ({"ingredients": "x" * 20_001}, "ingredients", "the limit is"),
        ({"ingredients": 42}, "ingredients", "as text"),
        ({"ingredients": ["Aqua", "Glycerin"]}, "ingredients", "as text"),
        ({"name": ["TXA"]}, "name", "expected text"),
        ({"approved_on": datetime(2026, 11, 2, 9, 30)}, "approved_on", "a date"),
        ({"approved_on": None}, "approved_on", "a date"),
        ({"sterile": "yes"}, "sterile", "true or false"),
        ({"from_hours": "24"}, "from_hours", "number of hours"),
        ({"from_hours": True}, "from_hours", "number of hours"),
        ({"from_hours": float("nan")}, "from_hours", "before the session"),
        ({"from_hours": 24 * 366}, "from_hours", "a year"),
        ({"approved_on": "2026-11-02"}, "approved_on", "a date"),
    ],
)
def test_malformed_approvals_are_refused_naming_the_field(
    changes: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(UserError) as caught:
        approval(**changes)
    assert caught.value.field == field
    assert words in caught.value.message


def test_an_approval_round_trips_through_json() -> None:
    approved = approval(from_hours=36.5)
    data = approved.to_dict()
    assert data == {
        "name": "Clinic TXA serum",
        "ingredients": TXA,
        "sterile": True,
        "from_hours": 36.5,
        "approved_by": "Dr Ada Lovelace",
        "approved_on": "2026-11-02",
    }
    assert ApprovedProduct.from_dict(data) == approved


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ([], None, "expected an object"),
        ("TXA", None, "expected an object"),
        ({}, "name", "is required"),
        ({**approval().to_dict(), "colour": "red"}, "colour", "unknown field"),
        ({**approval().to_dict(), "approved_on": "02/11/2026"}, "approved_on", "a date"),
        ({**approval().to_dict(), "approved_on": "2026-13-01"}, "approved_on", "a date"),
        ({**approval().to_dict(), "approved_on": "2" * 5000}, "approved_on", "a date"),
        ({**approval().to_dict(), "approved_on": 20261102}, "approved_on", "a date"),
        ({**approval().to_dict(), "sterile": False}, "from_hours", "not sterile"),
    ],
)
def test_malformed_approval_json_is_refused(data: Any, field: str | None, words: str) -> None:
    with pytest.raises(UserError) as caught:
        ApprovedProduct.from_dict(data)
    assert caught.value.field == field
    assert words in caught.value.message


def test_the_approved_products_argument_is_checked(kb: KnowledgeBase) -> None:
    with pytest.raises(UserError) as caught:
        check(TXA, 2, kb, approved_products=[approval().to_dict()])
    assert caught.value.field == "approved_products"
    with pytest.raises(UserError) as caught:
        check(TXA, 2, kb, approved_products="TXA")
    assert caught.value.field == "approved_products"
    with pytest.raises(UserError) as caught:
        check(TXA, 2, kb, approved_products=[approval()] * (MAX_APPROVED_PRODUCTS + 1))
    assert "more than" in caught.value.message
    with pytest.raises(UserError) as caught:
        check(TXA, 2, kb, product_name="x" * 500)
    assert caught.value.field == "product_name"


def test_the_first_matching_approval_applies(kb: KnowledgeBase) -> None:
    later = approval(name="Later", from_hours=48)
    sooner = approval(name="Sooner", from_hours=0)
    result = check(TXA, 2, kb, approved_products=[later, sooner])
    assert result.approval is not None and result.approval.product.name == "Later"
    assert result.verdict == "blocked" and result.allowed_from_hours == 48
