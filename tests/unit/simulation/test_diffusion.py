"""Numerical checks of the unit-cell diffusion solver (MODELS.md §3.3, Crank 1975).

Each test states its tolerance next to the assertion.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from microneedling.errors import UserError
from microneedling.simulation import diffusion as dif

D_CM2_PER_H = dif.m2_per_s_to_cm2_per_h(1.6e-10)  # a small molecule in dermis
UM_PER_CM = 1e4


def _base_cell(sink_um: float = 700.0) -> dif.UnitCell:
    radius = UM_PER_CM / math.sqrt(math.pi * 250.0)
    return dif.UnitCell(radius, 35.35, 250.0, sink_um)


# --- property correlations -----------------------------------------------------------------------


def test_stokes_einstein_worked_example_gives_6_6e_10_m2_per_s() -> None:
    d0 = dif.stokes_einstein_m2_per_s(0.5, temperature_k=310.0, viscosity_mpa_s=0.69)
    assert d0 == pytest.approx(6.6e-10, rel=0.01)  # MODELS.md quotes two figures: 1 %


def test_kretsos_dermal_diffusivity_for_naloxone_is_about_1_6e_10_m2_per_s() -> None:
    d = dif.kretsos_dermal_diffusivity_m2_per_s(327.37)
    assert d == pytest.approx(10 ** (-8.15 - 0.655 * math.log10(327.37)), rel=1e-12)
    assert d == pytest.approx(1.59e-10, rel=0.01)


def test_kretsos_binding_slows_dermal_diffusion() -> None:
    free = dif.kretsos_dermal_diffusivity_m2_per_s(300.0)
    bound = dif.kretsos_dermal_diffusivity_m2_per_s(300.0, fraction_unbound=0.5, lipid_partition=10)
    assert bound < free


def test_potts_guy_permeability_of_naloxone() -> None:
    kp = dif.potts_guy_kp_cm_per_h(2.09, 327.37)
    assert math.log10(kp) == pytest.approx(-2.7 + 0.71 * 2.09 - 0.0061 * 327.37, abs=1e-12)


# --- 1-D membrane (Crank 1975) ------------------------------------------------------------------


def test_membrane_steady_flux_and_lag_match_crank_within_half_a_percent() -> None:
    h_um, donor, partition = 500.0, 1000.0, 0.8
    h_cm = h_um / UM_PER_CM
    lag_exact = h_cm**2 / (6 * D_CM2_PER_H)
    result = dif.membrane(
        h_um, D_CM2_PER_H, 12 * lag_exact, donor_ug_per_ml=donor, partition=partition
    )
    flux_exact = D_CM2_PER_H * partition * donor / h_cm
    curve = result.curve
    late_slope = np.polyfit(
        curve.hours[curve.hours > 6 * lag_exact],
        curve.cumulative_ug_per_cm2[curve.hours > 6 * lag_exact],
        1,
    )[0]
    # tolerance 0.5 % (MODELS.md §3.3), for the steady solve and for the simulated curve
    assert result.steady_flux_ug_per_cm2_h == pytest.approx(flux_exact, rel=0.005)
    assert late_slope == pytest.approx(flux_exact, rel=0.005)
    assert result.lag_h == pytest.approx(lag_exact, rel=0.005)
    assert dif.lag_time_h(curve.hours, curve.cumulative_ug_per_cm2) == pytest.approx(
        lag_exact, rel=0.005
    )


def test_membrane_under_a_fixed_surface_flux_lags_h2_over_2d() -> None:
    h_um, kp, donor = 400.0, 1e-3, 2000.0
    h_cm = h_um / UM_PER_CM
    lag_exact = h_cm**2 / (2 * D_CM2_PER_H)
    result = dif.membrane(
        h_um,
        D_CM2_PER_H,
        12 * lag_exact,
        donor_ug_per_ml=donor,
        top="fixed_flux",
        permeability_cm_per_h=kp,
    )
    assert result.steady_flux_ug_per_cm2_h == pytest.approx(kp * donor, rel=0.005)  # 0.5 %
    curve = result.curve
    assert dif.lag_time_h(curve.hours, curve.cumulative_ug_per_cm2) == pytest.approx(
        lag_exact, rel=0.005
    )


def test_membrane_under_the_series_route_matches_its_analytic_flux_and_lag() -> None:
    # -D c'(0) = kp (C - c/K): J = kp C / (1 + kp h/(K D)),
    # t_lag = h^2/(2D) - h^3 / (3 D (h + K D/kp))  (moment solution; -> h^2/(6D) as kp -> inf)
    h_um, kp, donor, partition = 600.0, 0.05, 500.0, 0.7
    h = h_um / UM_PER_CM
    d = D_CM2_PER_H
    flux = kp * donor / (1 + kp * h / (partition * d))
    lag = h**2 / (2 * d) - h**3 / (3 * d * (h + partition * d / kp))
    result = dif.membrane(
        h_um,
        d,
        12 * lag,
        donor_ug_per_ml=donor,
        partition=partition,
        top="series",
        permeability_cm_per_h=kp,
    )
    assert result.steady_flux_ug_per_cm2_h == pytest.approx(flux, rel=0.005)  # 0.5 %
    assert result.lag_h == pytest.approx(lag, rel=0.005)  # 0.5 %


# --- grid convergence ----------------------------------------------------------------------------


def test_grid_convergence_is_second_order_and_default_grid_is_within_half_a_percent() -> None:
    cell = _base_cell()
    transport = dif.Transport(D_CM2_PER_H, 1000.0)
    p = [dif.steady_state(cell, transport, dif.GridSpec(level=k)).p_eff_cm_per_h for k in (1, 2, 3)]
    order = math.log(abs(p[1] - p[0]) / abs(p[2] - p[1])) / math.log(2.0)
    assert abs(order - 2.0) <= 0.3  # observed order within 0.3 of the formal order 2
    reference = p[2] + (p[2] - p[1]) / (2.0**order - 1.0)  # Richardson extrapolation
    default = dif.steady_state(cell, transport).p_eff_cm_per_h
    assert default == pytest.approx(reference, rel=0.005)  # default grid: 0.5 %


def test_default_transient_is_within_one_percent_of_a_refined_reference() -> None:
    cell = _base_cell()
    transport = dif.Transport(D_CM2_PER_H, 1000.0)
    default = dif.simulate(cell, transport, 6.0)
    refined = dif.simulate(
        cell, transport, 6.0, dif.GridSpec(level=3), dif.TimeSpec(0.0125, 24, 0.0025)
    )
    for hours in (0.25, 0.5, 1.0, 6.0):
        # 1 % (MODELS.md §6), checked early in the transient too
        assert default.cumulative_at(hours) == pytest.approx(refined.cumulative_at(hours), rel=0.01)


# --- reductions and limits -----------------------------------------------------------------------


@pytest.mark.parametrize("route", ["series", "fixed_flux"])
def test_no_channel_with_the_intact_route_reduces_to_the_1d_membrane(route: str) -> None:
    sink_um, kp, donor = 700.0, 2e-3, 1500.0
    cell = dif.UnitCell(300.0, 0.0, 0.0, sink_um)
    transport = dif.Transport(
        D_CM2_PER_H, donor, 1.0, intact_permeability_cm_per_h=kp, intact_route=route
    )  # type: ignore[arg-type]
    hours = 4.0
    cell_curve = dif.simulate(cell, transport, hours, dif.GridSpec(level=3))
    one_d = dif.membrane(
        sink_um,
        D_CM2_PER_H,
        hours,
        donor_ug_per_ml=donor,
        top=route,  # type: ignore[arg-type]
        permeability_cm_per_h=kp,
        cells=dif.discretize(cell, D_CM2_PER_H, dif.GridSpec(level=3)).z_faces_cm.size - 1,
    )
    steady = dif.steady_state(cell, transport, dif.GridSpec(level=3))
    assert steady.flux_ug_per_cm2_h == pytest.approx(one_d.steady_flux_ug_per_cm2_h, rel=1e-9)
    for t in (0.5, 1.0, 4.0):
        # same cells in z, same time steps: agreement to round-off (1e-9)
        assert cell_curve.cumulative_at(t) == pytest.approx(one_d.curve.cumulative_at(t), rel=1e-9)


def test_cumulative_channel_uptake_tends_to_open_flux_over_kb() -> None:
    cell = _base_cell()
    k_b = 0.5
    transport = dif.Transport(D_CM2_PER_H, 1000.0, closure_rate_per_h=k_b)
    open_flux = dif.steady_state(cell, transport).channel_flux_ug_per_cm2_h
    curve = dif.simulate(cell, transport, 30.0 / k_b)
    # exact limit of the linear model for any lag (Laplace transform at 0); 1 % for the solver
    assert curve.cumulative_at(30.0 / k_b) == pytest.approx(open_flux / k_b, rel=0.01)


def test_excised_skin_with_kb_zero_reaches_the_steady_flux() -> None:
    cell = _base_cell()
    transport = dif.Transport(D_CM2_PER_H, 1000.0, closure_rate_per_h=0.0)
    steady = dif.steady_state(cell, transport)
    curve = dif.simulate(cell, transport, 6.0)
    assert curve.flux_at(6.0) == pytest.approx(steady.flux_ug_per_cm2_h, rel=0.001)  # 0.1 %
    assert dif.lag_time_h(curve.hours, curve.cumulative_ug_per_cm2) == pytest.approx(
        steady.lag_h, rel=0.005
    )  # curve intercept vs moment solution: 0.5 %


def test_uptake_is_linear_in_the_donor_concentration() -> None:
    cell = _base_cell()
    one = dif.simulate(cell, dif.Transport(D_CM2_PER_H, 1000.0, 1.0, 1e-3), 6.0)
    two = dif.simulate(cell, dif.Transport(D_CM2_PER_H, 2000.0, 1.0, 1e-3), 6.0)
    assert two.cumulative_at(6.0) == pytest.approx(2 * one.cumulative_at(6.0), rel=1e-9)


# --- input checks --------------------------------------------------------------------------------


def test_channels_wider_than_their_cell_are_refused() -> None:
    with pytest.raises(UserError) as caught:
        dif.UnitCell(30.0, 35.35, 250.0, 700.0)
    assert caught.value.field == "punctures_per_cm2"


def test_a_channel_reaching_the_sink_is_refused() -> None:
    with pytest.raises(UserError) as caught:
        dif.UnitCell(300.0, 35.35, 800.0, 700.0)
    assert caught.value.field == "channel_depth_um"


def test_a_negative_horizon_is_refused() -> None:
    with pytest.raises(UserError):
        dif.simulate(_base_cell(), dif.Transport(D_CM2_PER_H, 1.0), -1.0)
