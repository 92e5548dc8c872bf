"""Validation of the uptake model against published numbers (MODELS.md §3.3).

Failures that the model cannot meet without tuning are recorded, not hidden: they are marked
``xfail(strict=False)`` with the numbers in the reason, or asserted as a documented shortfall.
"""

from __future__ import annotations

import math
import re

import pytest

from microneedling.simulation import diffusion as dif
from microneedling.simulation import uptake as up
from microneedling.simulation.params import STATUSES, table, value
from microneedling.simulation.params_transport import PARAMS

#: MODELS.md §7 keys, plus the extra compilation cited for log Kow and the two in-spec keys.
KNOWN_SOURCES = {
    "Brogden2012",
    "Crank1975",
    "Davidson2008",
    "Doddaballapur2009",
    "FreierPachten2015",
    "Gupta2011",
    "IntJPharm2021",
    "Kalluri2011",
    "Kelchen2016",
    "Kretsos2008",
    "Ogunjimi2020",
    "Pharmaceutics2015",
    "PottsGuy1992",
    "Wermeling2008",
    "Hansch1995",
    "derived",
    "assumption",
}


# --- parameter records ---------------------------------------------------------------------------


def test_every_transport_record_has_a_known_source_a_valid_status_and_a_prefix() -> None:
    names = [record.name for record in PARAMS]
    assert len(names) == len(set(names))
    for record in PARAMS:
        assert re.match(r"^(reseal|uptake|compound)\.", record.name), record.name
        assert record.source in KNOWN_SOURCES, (record.name, record.source)
        assert record.status in STATUSES, (record.name, record.status)
        assert record.unit, record.name
        assert math.isfinite(record.value), record.name
        if record.status in ("derived", "assumption", "to_verify", "fitted"):
            assert record.note, f"{record.name} needs a note with its working"


def test_fitted_values_are_in_the_table_with_status_fitted() -> None:
    for name in (up.FIT_SINK, up.FIT_DONOR, up.FIT_KP):
        record = table()[name]
        assert record.status == "fitted"
        assert "scripts/fit_transport.py" in record.note


def test_refitting_reproduces_the_stored_values() -> None:
    fit = up.fit_naloxone()  # about 3 s
    assert fit.sink_depth_um == pytest.approx(value(up.FIT_SINK), rel=1e-4)
    assert fit.donor_ug_per_ml == pytest.approx(value(up.FIT_DONOR), rel=1e-4)
    assert fit.kp_cm_per_h == pytest.approx(value(up.FIT_KP), rel=1e-4)


# --- naloxone calibration (Int J Pharm 2021) ----------------------------------------------------


@pytest.fixture(scope="module")
def naloxone() -> up.NaloxonePrediction:
    return up.naloxone_prediction(value(up.FIT_SINK), value(up.FIT_DONOR), value(up.FIT_KP))


def test_naloxone_passive_amount_at_6_h(naloxone: up.NaloxonePrediction) -> None:
    assert naloxone.passive_6h_ug_per_cm2 == pytest.approx(8.25, rel=0.01)  # fitted: 1 %


def test_naloxone_enhancement_after_500_um_needles(naloxone: up.NaloxonePrediction) -> None:
    assert naloxone.enhancement_500um == pytest.approx(56.0, rel=0.01)  # fitted: 1 %
    assert naloxone.treated_6h_ug_per_cm2 == pytest.approx(462.0, rel=0.01)


def test_naloxone_lag_after_500_um_needles_for_2_min(naloxone: up.NaloxonePrediction) -> None:
    assert naloxone.lag_min == pytest.approx(8.0, rel=0.02)  # fitted, read off the curve: 2 %
    assert naloxone.lag_moment_min == pytest.approx(naloxone.lag_min, rel=0.01)


def test_naloxone_enhancement_after_250_um_needles_is_predicted(
    naloxone: up.NaloxonePrediction,
) -> None:
    # not fitted: the paper's 37-fold; the model gives about 40 (within 10 %)
    assert naloxone.enhancement_250um == pytest.approx(37.0, rel=0.10)


def test_doubling_the_donor_doubles_permeation() -> None:
    sink, donor, kp = value(up.FIT_SINK), value(up.FIT_DONOR), value(up.FIT_KP)
    one = up.naloxone_prediction(sink, donor, kp)
    two = up.naloxone_prediction(sink, 2 * donor, kp)
    assert two.treated_6h_ug_per_cm2 == pytest.approx(2 * one.treated_6h_ug_per_cm2, rel=1e-9)
    assert two.passive_6h_ug_per_cm2 == pytest.approx(2 * one.passive_6h_ug_per_cm2, rel=1e-9)


def test_fitted_intact_permeability_is_within_a_factor_3_of_potts_guy() -> None:
    kp_pg = dif.potts_guy_kp_cm_per_h(2.09, 327.37)
    assert 1 / 3 < value(up.FIT_KP) / kp_pg < 3  # porcine vs human regression: factor 3


# --- closure: two pathways -----------------------------------------------------------------------


def _clinic_cell(depth_um: float = 500.0) -> dif.UnitCell:
    return dif.UnitCell(
        up.cell_radius_um(250.0),
        value("uptake.channel_radius_um"),
        depth_um,
        up.default_sink_depth_um(),
    )


def test_quasi_steady_closure_limit_is_open_flux_over_kb_plus_intact_flux_times_t() -> None:
    k_b = 0.83
    d = up.naloxone_diffusivity_cm2_per_h()
    transport = dif.Transport(d, 1000.0, 1.0, 1e-3, closure_rate_per_h=k_b)
    cell = _clinic_cell(250.0)
    hours = 24.0  # 20 closure time constants
    both = up.two_pathways(cell, transport, hours)
    intact_lag = dif.steady_state(cell.intact(), transport).lag_h
    expected = (
        both.channel_steady_flux_ug_per_cm2_h / k_b
        + both.intact_area_fraction * both.intact_steady_flux_ug_per_cm2_h * (hours - intact_lag)
    )
    # Q(t >> 1/k_b) = J_open/k_b + J_intact (t - lag_intact); MODELS.md omits the intact lag: 1 %
    assert both.treated.cumulative_at(hours) == pytest.approx(expected, rel=0.01)


def test_in_vitro_kb_zero_keeps_the_channel_open() -> None:
    report = up.run_uptake(
        "naloxone", punctures_per_cm2=250, channel_radius_um=35.35, channel_depth_um=250, hours=6
    )
    closing = up.run_uptake(
        "naloxone",
        punctures_per_cm2=250,
        channel_radius_um=35.35,
        channel_depth_um=250,
        hours=6,
        closure_rate_per_h=0.83,
    )
    assert report.enhancement_ratio == pytest.approx(56.0, rel=0.01)
    assert closing.cumulative_ug_per_cm2 < 0.3 * report.cumulative_ug_per_cm2


@pytest.mark.parametrize("name", ["retinol", "amantadine_hcl", "naloxone_hcl"])
def test_a_closing_channel_never_makes_treated_skin_take_up_less_than_intact_skin(
    name: str,
) -> None:
    report = up.run_uptake(
        name,
        punctures_per_cm2=250,
        channel_radius_um=35.35,
        channel_depth_um=500,
        hours=24,
        closure_rate_per_h=0.83,
    )
    assert report.enhancement_ratio >= 0.99  # the channels take 1 % of the surface


# --- Davidson 2008 sensitivity ordering ---------------------------------------------------------


def _sensitivities(depth_um: float) -> tuple[float, float, float]:
    d = up.naloxone_diffusivity_cm2_per_h()
    transport = dif.Transport(d, 1000.0)
    radius, r_c, sink = (
        up.cell_radius_um(250.0),
        value("uptake.channel_radius_um"),
        up.default_sink_depth_um(),
    )

    def p_eff(cell_radius: float, channel_radius: float, depth: float) -> float:
        cell = dif.UnitCell(cell_radius, channel_radius, depth, sink)
        return dif.steady_state(cell, transport).p_eff_cm_per_h

    def slope(low: float, high: float, x_low: float, x_high: float) -> float:
        return (math.log(high) - math.log(low)) / (math.log(x_high) - math.log(x_low))

    h = 0.05
    by_depth = slope(
        p_eff(radius, r_c, depth_um * (1 - h)), p_eff(radius, r_c, depth_um * (1 + h)), 1 - h, 1 + h
    )
    by_spacing = slope(
        p_eff(radius * (1 - h), r_c, depth_um), p_eff(radius * (1 + h), r_c, depth_um), 1 - h, 1 + h
    )
    by_radius = slope(
        p_eff(radius, r_c * (1 - h), depth_um), p_eff(radius, r_c * (1 + h), depth_um), 1 - h, 1 + h
    )
    return abs(by_depth), abs(by_spacing), abs(by_radius)


def test_davidson_ordering_at_the_clinical_base_case() -> None:
    # base case: 1.0 mm pen needle (d_eff 500 µm at eta 0.5), 250 /cm², r_c 35.35 µm, fitted sink
    depth, spacing, radius = _sensitivities(500.0)
    assert depth > spacing > radius


@pytest.mark.xfail(
    strict=False,
    reason="recorded: at the calibration geometry (0.5 mm needle, d_eff 250 µm, sink 682 µm) "
    "spacing (|dlnP/dln s| = 1.02) outranks depth (0.56); depth leads only once the channel tip "
    "is within about 230 µm of the sink (d_eff >= 450 µm)",
)
def test_davidson_ordering_at_the_calibration_geometry() -> None:
    depth, spacing, radius = _sensitivities(250.0)
    assert depth > spacing > radius


# --- roller negative control (Pharmaceutics 2015, PMC4695825) ------------------------------------


@pytest.fixture(scope="module")
def control() -> dict[str, up.ControlCase]:
    return {case.compound: case for case in up.roller_negative_control()}


def test_roller_control_enhancement_is_far_below_naloxones_and_in_the_observed_order(
    control: dict[str, up.ControlCase],
) -> None:
    amantadine, pramipexole = control["amantadine_hcl"], control["pramipexole"]
    # observed: pramipexole 0.99x < amantadine 2.2x; model: about 2.2x < 10x, against 56x for
    # naloxone under the same device settings and a shared donor basis
    assert pramipexole.model_ratio < amantadine.model_ratio
    assert amantadine.model_ratio < value("uptake.naloxone.enhancement_500um") / 5
    assert pramipexole.model_ratio < 3.0


@pytest.mark.xfail(
    strict=False,
    reason="recorded: with the donor derived from amantadine's Potts-Guy permeability "
    "(1.74 mg/mL, both drugs), the model gives 10x (amantadine) and 2.2x (pramipexole) against "
    "the observed 2.2x and 0.99x (mean + 2 SD: 4.0x and 1.01x). It would agree if the study's "
    "donor were below about 0.19 and 1.4 mg/mL; the donor is not transcribed (to verify).",
)
def test_roller_control_enhancement_within_the_observed_spread(
    control: dict[str, up.ControlCase],
) -> None:
    assert control["amantadine_hcl"].model_ratio <= (49.04 + 2 * 19.77) / 22.38
    assert control["pramipexole"].model_ratio <= (134.04 + 2 * 0.98) / 134.83


# --- Wermeling 2008 ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def wermeling() -> up.WermelingCheck:
    return up.wermeling_check()


def test_wermeling_steady_state_is_reached_within_2_h(wermeling: up.WermelingCheck) -> None:
    assert wermeling.time_to_90_percent_h <= value("uptake.wermeling.steady_state_within_h")
    assert wermeling.steady_enhancement_ratio > 20  # undetectable without microneedles


def test_wermeling_48_h_shortfall_is_the_documented_one(wermeling: up.WermelingCheck) -> None:
    # MODELS.md caution: under the Ogunjimi occluded clock (White, t_half 20.9 h) the channel
    # flux falls to 2^(-48/20.9) = 0.20 of its start; the intact pathway adds about 1 point
    assert wermeling.expected_ratio_48h == pytest.approx(0.204, abs=0.002)
    assert wermeling.flux_ratio_48h_to_peak == pytest.approx(0.21, abs=0.02)


@pytest.mark.xfail(
    strict=False,
    reason="recorded: Wermeling 2008 held steady state for >= 48 h, but the occluded barrier "
    "clock leaves about 21 % of the peak flux at 48 h (MODELS.md §3.3 caution; not tuned away)",
)
def test_wermeling_steady_state_is_held_for_48_h(wermeling: up.WermelingCheck) -> None:
    assert wermeling.flux_ratio_48h_to_peak >= 0.8
