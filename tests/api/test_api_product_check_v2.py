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


GLIDE = "Sodium Hyaluronate, Aqua, Tranexamic Acid"


def test_the_clinics_own_hours_and_approved_products_apply(clinic: Clinic) -> None:
    """An owner's overrides reach the check the API runs: a longer make-up window, and a sterile
    in-session product the clinic approved (blocked as unknown otherwise), which passes from its
    approved hour with the approval as its reason and is named in the answer."""

    def check(ingredients: str, hours: float, **extra: object) -> dict[str, object]:
        response = clinic.post(
            "/product-check",
            role="clinician",
            json={"ingredients": ingredients, "hours_since_session": hours, **extra},
        )
        assert response.status_code == 200, response.text
        data: dict[str, object] = response.json()
        return data

    before = check(GLIDE, 0.5, product_name="TXA glide", sterile_post_procedure=True)
    assert before["verdict"] == "blocked" and before["approval"] is None
    saved = clinic.call(
        "PUT",
        "/clinic/policy-overrides",
        json={
            "make_up_window_hours": 72,
            "approved_products": [
                {
                    "name": "TXA glide",
                    "ingredients": GLIDE,
                    "sterile": True,
                    "from_hours": 0,
                    "approved_by": "Dr Owner",
                    "approved_on": "2026-11-30",
                }
            ],
        },
    )
    assert saved.status_code == 204, saved.text
    approved = check(GLIDE, 0.5, product_name="TXA glide", sterile_post_procedure=True)
    assert approved["verdict"] == "allowed", approved
    assert approved["approval"] is not None
    make_up = check("Aqua, Glycerin", 50, make_up=True)
    assert make_up["verdict"] == "blocked" and make_up["allowed_from_hours"] == 72
    assert make_up["settings"] == {"make_up_window_hours": 72, "unknown_block_hours": 72}


@pytest.mark.parametrize("name", ["", "x" * 201, 7])
def test_a_product_name_that_cannot_be_one_is_refused(clinic: Clinic, name: object) -> None:
    response = clinic.post(
        "/product-check",
        role="clinician",
        json={"ingredients": "Aqua", "hours_since_session": 30, "product_name": name},
    )
    assert response.status_code == 422
    assert response.json()["fields"][0]["path"] == "product_name"
