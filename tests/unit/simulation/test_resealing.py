"""Resealing clocks and the absorption window (MODELS.md §3.1, §3.4)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from microneedling.errors import UserError
from microneedling.simulation import resealing as rs


def test_half_life_and_rate_are_inverse() -> None:
    assert rs.half_life_h(rs.rate_per_h(20.9)) == pytest.approx(20.9, rel=1e-12)
    assert rs.rate_per_h(math.log(2.0)) == pytest.approx(1.0, rel=1e-12)


def test_open_fraction_halves_each_half_life() -> None:
    k = rs.rate_per_h(10.0)
    fractions = rs.open_fraction(np.array([0.0, 10.0, 20.0]), k)
    assert fractions == pytest.approx([1.0, 0.5, 0.25], rel=1e-12)


def test_default_theta_makes_the_lifetime_2_4_half_lives() -> None:
    assert rs.default_theta() == pytest.approx(2.0**-2.4, rel=1e-12)
    assert rs.lifetime_h(rs.rate_per_h(1.0)) == pytest.approx(2.4, rel=1e-12)


@pytest.mark.parametrize(
    ("group", "low_h", "high_h"),
    [("White", 17.3, 20.9), ("Black", 22.9, 27.7)],
)
def test_ogunjimi_derived_half_lives(group: str, low_h: float, high_h: float) -> None:
    data = rs.ogunjimi_group(group)
    # MODELS.md quotes one decimal: 0.05 h
    assert data.half_life_h_at_2_9 == pytest.approx(low_h, abs=0.05)
    assert data.half_life_h_at_2_4 == pytest.approx(high_h, abs=0.05)


def test_ogunjimi_lifetimes_are_longest_in_black_and_shortest_in_asian_participants() -> None:
    lifetimes = [rs.ogunjimi_group(g).lifetime_h for g in rs.OGUNJIMI_GROUPS]
    assert lifetimes == sorted(lifetimes, reverse=True)
    assert lifetimes == [66.5, 61.1, 50.2, 48.0, 44.1]


def test_occluded_barrier_clock_uses_the_group_half_life() -> None:
    clock = rs.barrier_clock(occluded=True, group="white")
    assert clock.half_life_h == pytest.approx(50.2 / 2.4, rel=1e-12)
    assert clock.lifetime_h() == pytest.approx(50.2, rel=1e-9)


def test_gupta_non_occluded_barrier_recovers_within_2_h() -> None:
    clock = rs.barrier_clock(occluded=False)
    assert clock.rate_per_h >= 0.83 - 0.005  # k_b >= 0.83 /h, as MODELS.md rounds it
    assert clock.lifetime_h() <= 2.0 + 1e-9


def test_occlusion_slows_both_clocks_for_every_group() -> None:
    for group in rs.OGUNJIMI_GROUPS:
        assert rs.barrier_clock(True, group).half_life_h > rs.barrier_clock(False).half_life_h
        assert rs.pore_clock(True, group).half_life_h >= rs.pore_clock(False).half_life_h


def test_pore_clock_is_flagged_to_verify() -> None:
    clock = rs.pore_clock(occluded=False)
    assert any(
        "reseal.pore" in line and "to_verify" in line for line in rs.warnings_for(clock.param_names)
    )


def test_modifiers_lengthen_the_half_life() -> None:
    base = rs.barrier_clock(True, "Asian").half_life_h
    slowed = rs.barrier_clock(True, "Asian", rs.Modifiers(anti_inflammatory=1.5, age=2.0))
    assert slowed.half_life_h == pytest.approx(3.0 * base, rel=1e-12)


@pytest.mark.parametrize("field", ["anti_inflammatory", "age"])
def test_a_modifier_below_one_is_refused(field: str) -> None:
    with pytest.raises(UserError) as caught:
        rs.Modifiers(**{field: 0.5})
    assert caught.value.field == field


def test_unknown_group_is_a_user_error() -> None:
    with pytest.raises(UserError) as caught:
        rs.barrier_clock(True, "Martian")
    assert caught.value.field == "group"


@pytest.mark.parametrize("spelling", ["bi/multiracial", "Multiracial", "bi-multiracial", "LATINO"])
def test_group_names_are_forgiving(spelling: str) -> None:
    assert rs.group_key(spelling) in rs.OGUNJIMI_GROUPS


def test_absorption_window_without_occlusion_is_the_24_h_particle_floor() -> None:
    window = rs.absorption_window(occluded=False)
    assert window.solute_h == pytest.approx(2.0, rel=1e-9)
    assert window.particle_h == pytest.approx(24.0)  # 18 h rat pore lifetime, floored at 24 h
    assert window.safety_h == pytest.approx(24.0)


def test_absorption_window_under_occlusion_follows_the_slowest_clock() -> None:
    window = rs.absorption_window(occluded=True, group="Black")
    assert window.solute_h == pytest.approx(66.5, rel=1e-9)
    assert window.safety_h == max(window.solute_h, window.particle_h) >= 24.0


def test_resealing_report_has_the_keys_the_cli_prints() -> None:
    data = rs.resealing_report(occluded=True, group="White").to_dict()
    for key in ("half_life_h", "closure_h", "barrier_recovery_h", "curve", "absorption_window"):
        assert key in data
    curve = data["curve"]
    assert isinstance(curve, dict)
    assert len(curve["hours"]) == len(curve["open_fraction"])
    assert curve["open_fraction"][0] == 1.0


def test_report_without_a_group_warns_that_the_slowest_group_is_used() -> None:
    report = rs.resealing_report(occluded=True)
    assert report.barrier.half_life_h == pytest.approx(66.5 / 2.4)
    assert any("no group given" in line for line in report.warnings)
