"""The product check of policy version 2 through the API (POST /api/v1/product-check).

The make-up window (48 h) and mineral sunscreens (from 24 h) with the shipped defaults. A clinic's
own hours and approved products reach the check through the clinic's overrides (services); their
rules are tested from tables in tests/knowledge/test_product_rules_v2.py.
"""

from __future__ import annotations

import pytest
from tests.api.conftest import Clinic

TINTED = "Aqua, Zinc Oxide 18%, Glycerin, Iron Oxides (CI 77491, CI 77492)"


@pytest.mark.parametrize(
    ("ingredients", "hours", "make_up", "verdict", "allowed_from"),
    [
        ("Aqua, Glycerin", 30, True, "blocked", 48),
        ("Aqua, Glycerin", 47.5, True, "blocked", 48),
        ("Aqua, Glycerin", 48, True, "allowed", None),
        ("Aqua, Glycerin, Mica", 30, False, "blocked", 48),
        ("Aqua, Glycerin, Mica", 48, False, "allowed", None),
        (TINTED, 23.5, False, "blocked", 24),
        (TINTED, 24, False, "allowed", None),
        ("Aqua, Zinc Oxide, Iron Oxides, Mica", 30, False, "blocked", 48),
    ],
)
def test_make_up_window_and_mineral_sunscreens(
    clinic: Clinic,
    ingredients: str,
    hours: float,
    make_up: bool,
    verdict: str,
    allowed_from: int | None,
) -> None:
    response = clinic.post(
        "/product-check",
        role="clinician",
        json={"ingredients": ingredients, "hours_since_session": hours, "make_up": make_up},
    )
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["verdict"] == verdict
    assert data["allowed_from_hours"] == allowed_from
    assert data["settings"] == {"make_up_window_hours": 48, "unknown_block_hours": 72}


def test_a_tinted_mineral_sunscreen_says_so(clinic: Clinic) -> None:
    response = clinic.post(
        "/product-check", role="clinician", json={"ingredients": TINTED, "hours_since_session": 30}
    )
    data = response.json()
    assert data["product"]["mineral_sunscreen"] is True
    assert data["product"]["tint"] == ["Iron Oxides (CI 77491, CI 77492)"]
    assert data["classes_found"] == [] and data["approval"] is None
