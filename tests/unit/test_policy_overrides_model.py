"""The clinic's policy overrides (REFERENCE.md A.7) as a typed, bounded model: each value below, at
and above its bounds, wrong types, unknown keys and hostile input refused in plain words, every
problem at once; old stored values never applied and never crashing; a stable hash."""

from __future__ import annotations

from typing import Any

import pytest

from microneedling.errors import UserError
from microneedling.knowledge import shipped_knowledge_base
from microneedling.knowledge.overrides import (
    KEYS,
    NO_OVERRIDES,
    SETTINGS,
    defaults,
    overrides_hash,
    parse_overrides,
    read_stored,
)

KB = shipped_knowledge_base()

#: A.7's table: value, low bound, high bound.
BOUNDS = [
    ("minimum_age", 18, 25),
    ("retinoid_exfoliant_wait_days", 3, 30),
    ("sunburn_wait_days", 3, 30),
    ("toxin_filler_peel_wait_days", 7, 42),
    ("laser_light_wait_days", 7, 42),
    ("ablative_wait_months", 1, 12),
    ("tanning_wait_days", 0, 42),
    ("hair_removal_wait_days", 0, 14),
    ("radiotherapy_wait_months", 3, 24),
    ("isotretinoin_window_months", 0, 12),
    ("make_up_window_hours", 24, 168),
    ("unknown_block_hours", 24, 168),
    ("maintenance_interval_months", 3, 12),
    ("sessions_per_12_months", 3, 6),
    ("screening_valid_days", 7, 180),
    ("large_numbing_area_cm2", 100, 2000),
]


def test_the_model_holds_exactly_the_values_of_a7() -> None:
    assert [(s.key, s.min, s.max) for s in SETTINGS] == BOUNDS
    assert set(KEYS) == {key for key, _, _ in BOUNDS} | {
        "zone_areas_cm2",
        "passes",
        "device_profiles",
        "approved_products",
    }


@pytest.mark.parametrize(("key", "low", "high"), BOUNDS)
def test_each_value_is_accepted_at_its_bounds_and_refused_beyond(
    key: str, low: int, high: int
) -> None:
    assert parse_overrides({key: low}, KB).values() == {key: low}
    assert parse_overrides({key: high}, KB).values() == {key: high}
    for wrong in (low - 1, high + 1):
        with pytest.raises(UserError) as refused:
            parse_overrides({key: wrong}, KB)
        assert refused.value.field == key
        assert f"from {low} to {high}" in refused.value.message


@pytest.mark.parametrize("wrong", ["21", 21.0, 21.5, True, None, [21], {"value": 21}, "1e3"])
def test_a_value_of_the_wrong_type_is_refused(wrong: Any) -> None:
    if wrong is None:  # null is "no override" (the default applies)
        assert parse_overrides({"minimum_age": None}, KB).values() == {}
        return
    with pytest.raises(UserError, match="whole number of years from 18 to 25"):
        parse_overrides({"minimum_age": wrong}, KB)


def test_an_unknown_key_is_refused_with_a_plain_message_and_every_problem_is_listed() -> None:
    with pytest.raises(UserError) as refused:
        parse_overrides({"reminder_days": 2, "minimum_age": 12, "sunburn_wait_days": 99}, KB)
    fields = dict(refused.value.fields)
    assert "is not a value a clinic can change" in fields["reminder_days"]
    assert set(fields) == {"reminder_days", "minimum_age", "sunburn_wait_days"}
    assert "(and 2 more problems)" in refused.value.message


@pytest.mark.parametrize(
    "hostile",
    [
        [1, 2],
        "minimum_age=21",
        {f"key{i}": i for i in range(1000)},
        {"x" * 10_000: 1},
        {"zone_areas_cm2": {f"zone{i}": 10 for i in range(500)}},
        {
            "device_profiles": [{"name": "a", "lowest_mm": 0.2, "highest_mm": 1, "step_mm": 0.1}]
            * 50
        },
        {"approved_products": "all of them"},
        {"minimum_age": float("nan")},
        {"zone_areas_cm2": {"cheeks": 10**30}},
    ],
)
def test_hostile_or_oversized_input_is_refused_in_plain_words(hostile: Any) -> None:
    with pytest.raises(UserError) as refused:
        parse_overrides(hostile, KB)
    assert len(refused.value.message) < 600
    assert "Traceback" not in refused.value.message


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ({"cheeks": 4}, "at least 5"),
        ({"cheeks": 3001}, "at most 3,000"),
        ({"elbow": 100}, "'elbow' is not a zone"),
    ],
)
def test_zone_areas_are_each_5_to_3000_cm2_of_a_known_zone(value: Any, says: str) -> None:
    with pytest.raises(UserError, match=says):
        parse_overrides({"zone_areas_cm2": value}, KB)
    assert parse_overrides({"zone_areas_cm2": {"cheeks": 5, "thighs": 3000}}, KB)


@pytest.mark.parametrize(
    ("passes", "says"),
    [
        ({"min": 0, "max": 4}, "at least 1"),
        ({"min": 2, "max": 9}, "at most 8"),
        ({"min": 5, "max": 3}, "fewest passes must not be more than the most"),
    ],
)
def test_passes_are_1_to_8_in_order(passes: dict[str, int], says: str) -> None:
    group = "acne_scars"
    with pytest.raises(UserError, match=says):
        parse_overrides({"passes": {group: passes}}, KB)
    assert parse_overrides({"passes": {group: {"min": 1, "max": 8}}}, KB)
    with pytest.raises(UserError, match="is not a concern group"):
        parse_overrides({"passes": {"elbows": {"min": 1, "max": 2}}}, KB)


@pytest.mark.parametrize(
    ("device", "says"),
    [
        ({"lowest_mm": 0.05, "highest_mm": 2.5, "step_mm": 0.25}, "at least 0.1"),
        ({"lowest_mm": 0.25, "highest_mm": 3.1, "step_mm": 0.25}, "at most 3"),
        ({"lowest_mm": 0.25, "highest_mm": 2.5, "step_mm": 0.04}, "at least 0.05"),
        ({"lowest_mm": 0.25, "highest_mm": 2.5, "step_mm": 0.6}, "at most 0.5"),
        ({"lowest_mm": 2.5, "highest_mm": 2.5, "step_mm": 0.25}, "lowest setting must be below"),
    ],
)
def test_device_profiles_are_bounded(device: dict[str, float], says: str) -> None:
    with pytest.raises(UserError, match=says):
        parse_overrides({"device_profiles": [{"name": "Pen", **device}]}, KB)
    good = {"name": "Dermapen", "lowest_mm": 0.1, "highest_mm": 3.0, "step_mm": 0.1}
    assert parse_overrides({"device_profiles": [good]}, KB)
    with pytest.raises(UserError, match="same name"):
        parse_overrides({"device_profiles": [good, good]}, KB)


def test_approved_products_follow_a4() -> None:
    product = {
        "name": "TXA serum",
        "ingredients": "Aqua, Tranexamic Acid",
        "sterile": True,
        "from_hours": 0,
        "approved_by": "Dr Ada",
        "approved_on": "2026-12-07",
    }
    assert parse_overrides({"approved_products": [product]}, KB)
    with pytest.raises(UserError, match="not sterile cannot be approved for the first 24 h"):
        parse_overrides({"approved_products": [{**product, "sterile": False}]}, KB)
    with pytest.raises(UserError):
        parse_overrides({"approved_products": [{**product, "from_hours": -1}]}, KB)
    with pytest.raises(UserError):
        parse_overrides({"approved_products": [{**product, "approved_on": 20261207}]}, KB)


def test_the_defaults_are_the_shipped_values() -> None:
    shipped = defaults(KB)
    assert shipped["minimum_age"] == 18
    assert shipped["retinoid_exfoliant_wait_days"] == 7
    assert shipped["sunburn_wait_days"] == 7
    assert shipped["toxin_filler_peel_wait_days"] == 14
    assert shipped["isotretinoin_window_months"] == 6
    assert shipped["make_up_window_hours"] == 48
    assert shipped["unknown_block_hours"] == 72
    assert shipped["maintenance_interval_months"] == 6
    assert shipped["sessions_per_12_months"] == 5
    assert shipped["screening_valid_days"] == 90


def test_the_hash_is_null_without_overrides_stable_and_changes_with_any_value() -> None:
    assert overrides_hash(NO_OVERRIDES) is None
    one = parse_overrides({"minimum_age": 21, "sunburn_wait_days": 10}, KB)
    same = parse_overrides({"sunburn_wait_days": 10, "minimum_age": 21}, KB)
    other = parse_overrides({"minimum_age": 22, "sunburn_wait_days": 10}, KB)
    assert overrides_hash(one) == overrides_hash(same)
    assert overrides_hash(one) != overrides_hash(other)
    assert str(overrides_hash(one)).startswith("sha256:") and len(str(overrides_hash(one))) == 71


@pytest.mark.parametrize(
    "stored",
    [
        {"minimum_age": 12},
        {"contact": {"phone": "+31 71 123 4567"}},
        {"reminder_days": 2, "screening_valid_days": "soon"},
        [1, 2, 3],
        "text",
        None,
        {"zone_areas_cm2": {"cheeks": -1}},
        {"x": "y" * 300_000},
    ],
)
def test_old_free_form_settings_are_read_without_crashing_and_never_applied(stored: Any) -> None:
    found = read_stored(stored, KB)
    assert found.overrides.values() == {}
    assert found.hash is None
    for item in found.refused:
        assert item.reason and len(item.value) <= 80


def test_valid_stored_values_apply_beside_refused_ones() -> None:
    found = read_stored({"minimum_age": 12, "sunburn_wait_days": 10, "contact": {}}, KB)
    assert found.overrides.values() == {"sunburn_wait_days": 10}
    assert [item.key for item in found.refused] == ["minimum_age"]
    assert "18 to 25" in found.refused[0].reason and "not applied" in found.refused[0].reason
