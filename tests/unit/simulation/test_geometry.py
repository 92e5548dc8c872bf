"""Model 1, device micro-injury geometry: MODELS.md §2.1-§2.2 and the §2.4 acceptance checks."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from microneedling.errors import UserError
from microneedling.simulation import params_geometry
from microneedling.simulation.geometry import (
    Pen,
    Roller,
    density_after_passes_per_cm2,
    device_from_settings,
    effective_depth_um,
    eta_band,
    geometry_report,
    injured_area_fraction,
    injured_dermal_volume_mm3_per_cm2,
    lattice_spacing_um,
    mean_spacing_poisson_um,
    nearest_neighbour_distances_um,
    passes_to_reach,
    pen_area_rate_cm2_per_s,
    pen_density_per_pass_per_cm2,
    pen_speed_for_density_mm_s,
    place_punctures_lattice,
    place_punctures_poisson,
    placement_injured_area_fraction,
    roller_density_per_pass_per_cm2,
    unit_cell_radius_um,
)
from microneedling.simulation.params import STATUSES, value

KALLURI_RADIUS_UM = value("geometry.kalluri2011.channel_width_um") / 2  # 35.35 µm

# --- §2.4 acceptance checks ------------------------------------------------------------------------


def test_doddaballapur_roller_192_needles_15_passes_gives_250_per_cm2() -> None:
    # Tolerance: ±1 /cm² (MODELS.md §2.4).
    passes = int(value("geometry.roller.passes"))
    target = value("geometry.roller.density_per_cm2")
    per_pass = Roller().density_per_pass_per_cm2()
    assert (passes, target, Roller().needles) == (15, 250.0, 192)
    assert density_after_passes_per_cm2(per_pass, passes) == pytest.approx(target, abs=1.0)
    assert passes_to_reach(per_pass, target) == passes


def test_doddaballapur_footprint_is_11_52_cm2_per_revolution() -> None:
    # 192 / (250 / 15) = 11.52 cm²; tolerance 0.01 cm² for rounding.
    roller = Roller()
    footprint_cm2 = math.pi * roller.drum_diameter_mm * roller.drum_width_mm / 100
    assert footprint_cm2 == pytest.approx(11.52, abs=0.01)


def test_dermapen_990_punctures_per_second_covers_3_96_cm2_per_second_at_250() -> None:
    # 11 needles x 90 Hz = 990 /s; 990 / 250 = 3.96 cm²/s (tolerance 0.005 cm²/s).
    rate = value("geometry.dermapen.area_rate_cm2_per_s")
    assert rate == pytest.approx(3.96)
    assert pen_area_rate_cm2_per_s(11, 90.0, 250.0) == pytest.approx(rate, abs=0.005)
    # The same statement through the pen formula: gliding at the speed for 250 /cm² in one pass
    # covers speed x width = 3.96 cm²/s whatever the width.
    width_mm = 5.0
    speed = pen_speed_for_density_mm_s(250.0, 1, 11, 90.0, width_mm)
    assert speed * width_mm / 100 == pytest.approx(3.96, abs=0.005)
    assert pen_density_per_pass_per_cm2(11, 90.0, speed, width_mm) == pytest.approx(250.0)


@pytest.mark.parametrize("passes", [1, 2, 3, 5])
@pytest.mark.parametrize(
    "frequency_hz",
    [value("geometry.pen.frequency_min_hz"), 90.0, value("geometry.pen.frequency_max_hz")],
)
def test_pen_glide_speed_for_the_band_lands_in_250_to_300(passes: int, frequency_hz: float) -> None:
    # Freier & Pachten: 50-150 stamps/s, goal 250-300 /cm². Tolerance 1e-9 relative.
    report = geometry_report(
        Pen(speed_mm_s=30.0, frequency_hz=frequency_hz), 1.0, passes=passes, zone="cheeks"
    )
    assert report.target.pen_speed_range_mm_s is not None
    slow, fast = report.target.pen_speed_range_mm_s
    for speed, expected in ((slow, 300.0), (fast, 250.0)):
        pen = Pen(speed_mm_s=speed, frequency_hz=frequency_hz)
        density = density_after_passes_per_cm2(pen.density_per_pass_per_cm2(), passes)
        assert density == pytest.approx(expected, rel=1e-9)


def test_pen_passes_to_reach_the_band_from_a_fast_glide() -> None:
    # 11 x 90 / (100 mm/s x 5 mm) = 198 /cm² per pass: 2 passes give 396 (above the band);
    # at 150 mm/s (132 per pass) 2 passes give 264, inside 250-300.
    assert Pen(speed_mm_s=100.0).density_per_pass_per_cm2() == pytest.approx(198.0)
    report = geometry_report(Pen(speed_mm_s=150.0), 1.0, zone="cheeks")
    assert report.passes == 2 and report.passes_chosen_for_target
    assert report.density_per_cm2 == pytest.approx(264.0)
    assert report.target.in_band_after_passes_needed


def test_kalluri_770_um_needle_gives_the_measured_residual_channel() -> None:
    # η = 0.198, r = 35.35 µm: depth 152.5 ± 9.6 µm, width 70.7 ± 9.9 µm (tolerance = the SD).
    eta = value("geometry.kalluri2011.eta")
    depth = effective_depth_um(value("geometry.kalluri2011.needle_um") / 1000, eta)
    assert eta == 0.198
    assert depth == pytest.approx(152.46)
    assert depth == pytest.approx(
        value("geometry.kalluri2011.channel_depth_um"),
        abs=value("geometry.kalluri2011.channel_depth_sd_um"),
    )
    width = 2 * value("geometry.channel_radius_um")
    assert width == pytest.approx(
        value("geometry.kalluri2011.channel_width_um"),
        abs=value("geometry.kalluri2011.channel_width_sd_um"),
    )
    assert depth == pytest.approx(152.5, abs=9.6)
    assert width == pytest.approx(70.7, abs=9.9)


def test_donnelly_600_um_needle_reaches_about_460_um() -> None:
    # η = 0.77 (460/600 rounded): 462 µm; tolerance ±5 µm (the rounding of η moves it by 3 µm).
    eta = value("geometry.donnelly2010.eta")
    depth = effective_depth_um(value("geometry.donnelly2010.needle_um") / 1000, eta)
    assert depth == pytest.approx(value("geometry.donnelly2010.depth_um"), abs=5.0)
    assert eta == 0.77
    assert depth == pytest.approx(460.0, abs=5.0)


def test_worked_example_of_section_2_1() -> None:
    # λ = 250 /cm², r = 35.35 µm. Tolerances: half a unit of the last digit MODELS.md prints.
    assert injured_area_fraction(250.0, KALLURI_RADIUS_UM) == pytest.approx(0.0098, abs=0.00005)
    assert mean_spacing_poisson_um(250.0) == pytest.approx(316.0, abs=0.5)
    assert lattice_spacing_um(250.0) == pytest.approx(632.0, abs=0.5)
    assert unit_cell_radius_um(250.0) == pytest.approx(357.0, abs=0.5)


def test_default_eta_is_0_5_and_reports_show_0_2_and_0_8() -> None:
    assert eta_band() == (0.2, 0.5, 0.8)
    assert effective_depth_um(1.0) == pytest.approx(500.0)


# --- statistics of the seeded Poisson placement ---------------------------------------------------

SEEDS = range(200)
PATCH_MM = 20.0  # 2 x 2 cm, about 1000 punctures at 250 /cm²; periodic, so no edge effect


def test_poisson_placement_over_200_seeds_matches_the_closed_forms() -> None:
    # Mean over 200 seeds within 3 standard errors (SD across seeds / sqrt(200)) of
    # φ = 1 - exp(-λπr²) and d_nn = 1 / (2 sqrt(λ)).
    density = 250.0
    fractions, spacings = [], []
    for seed in SEEDS:
        points = place_punctures_poisson(density, PATCH_MM, PATCH_MM, seed)
        fractions.append(
            placement_injured_area_fraction(
                points, PATCH_MM, PATCH_MM, KALLURI_RADIUS_UM, resolution_um=10.0
            )
        )
        spacings.append(nearest_neighbour_distances_um(points, PATCH_MM, PATCH_MM).mean())
    for sample, closed_form in (
        (np.array(fractions), injured_area_fraction(density, KALLURI_RADIUS_UM)),
        (np.array(spacings), mean_spacing_poisson_um(density)),
    ):
        standard_error = sample.std(ddof=1) / math.sqrt(len(sample))
        assert abs(sample.mean() - closed_form) < 3 * standard_error, (
            sample.mean(),
            closed_form,
            standard_error,
        )


def test_poisson_placement_count_is_about_density_times_area() -> None:
    # 200 seeds: mean count within 3 SE of λA = 1000.
    counts = np.array([len(place_punctures_poisson(250.0, 20.0, 20.0, s)) for s in SEEDS])
    assert abs(counts.mean() - 1000) < 3 * counts.std(ddof=1) / math.sqrt(len(counts))


def test_same_seed_gives_identical_placement_and_report() -> None:
    first = place_punctures_poisson(250.0, 10.0, 10.0, seed=7)
    again = place_punctures_poisson(250.0, 10.0, 10.0, seed=7)
    other = place_punctures_poisson(250.0, 10.0, 10.0, seed=8)
    assert np.array_equal(first, again)
    assert not np.array_equal(first[: len(other)], other[: len(first)])
    report = json.dumps(geometry_report(Roller(), 1.5, seed=3).to_dict())
    assert json.dumps(geometry_report(Roller(), 1.5, seed=3).to_dict()) == report


def test_lattice_placement_has_the_lattice_spacing_everywhere() -> None:
    # 20 mm is a whole number of 0.6325 mm steps only approximately: the lattice is stretched to
    # 32 columns and rows, so spacing is 20/32 mm exactly and the density 256 /cm².
    points = place_punctures_lattice(250.0, 20.0, 20.0)
    assert len(points) == 32 * 32
    distances = nearest_neighbour_distances_um(points, 20.0, 20.0)
    assert distances == pytest.approx(np.full(len(points), 625.0))
    assert lattice_spacing_um(250.0) == pytest.approx(632.5, abs=0.1)
    offset = place_punctures_lattice(250.0, 20.0, 20.0, seed=1)
    assert np.array_equal(offset, place_punctures_lattice(250.0, 20.0, 20.0, seed=1))
    assert nearest_neighbour_distances_um(offset, 20.0, 20.0) == pytest.approx(distances)


def test_lattice_channels_do_not_overlap_so_coverage_is_n_pi_r_squared() -> None:
    # 1024 discs of r = 35.35 µm on 4 cm², no overlap: 1024 π r² / 4 cm² (probe grid 4 µm, 2 %).
    points = place_punctures_lattice(250.0, 20.0, 20.0)
    measured = placement_injured_area_fraction(points, 20.0, 20.0, KALLURI_RADIUS_UM, 4.0)
    expected = 1024 * math.pi * (KALLURI_RADIUS_UM / 1e4) ** 2 / 4.0
    assert measured == pytest.approx(expected, rel=0.02)


def test_an_empty_patch_is_uninjured() -> None:
    empty = np.zeros((0, 2))
    assert placement_injured_area_fraction(empty, 5.0, 5.0, KALLURI_RADIUS_UM) == 0.0


# --- session dose for Model 3 ---------------------------------------------------------------------


def test_injured_dermal_volume_is_density_times_channel_cross_section_times_dermal_depth() -> None:
    # 250 /cm² x π (35.35e-4 cm)² x (500 - 16.8 - 46.1) µm = 0.4290 mm³/cm² (tolerance 1e-9 rel).
    expected = 250 * math.pi * 35.35e-4**2 * (500 - 16.8 - 46.1) * 1e-4 * 1e3
    computed = injured_dermal_volume_mm3_per_cm2(250.0, 35.35, 500.0, 16.8, 46.1)
    assert computed == pytest.approx(expected, rel=1e-9)
    assert computed == pytest.approx(0.4290, abs=1e-4)


def test_a_needle_that_stays_in_the_epidermis_injures_no_dermis() -> None:
    assert injured_dermal_volume_mm3_per_cm2(250.0, 35.35, 50.0, 16.8, 46.1) == 0.0


def test_report_dose_uses_the_zone_epidermis_at_the_point_values() -> None:
    report = geometry_report(Roller(), 1.0, zone="cheeks", sex="female")
    epidermis = report.stack.epidermis_um()
    expected = injured_dermal_volume_mm3_per_cm2(250.0, 35.35, 500.0, epidermis, 0.0)
    assert report.injured_dermal_volume_mm3_per_cm2 == pytest.approx(expected)


# --- input checks ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: effective_depth_um(-1.0), "needle_length_mm"),
        (lambda: effective_depth_um(1.0, 0.0), "eta"),
        (lambda: effective_depth_um(1.0, 1.5), "eta"),
        (lambda: roller_density_per_pass_per_cm2(0, 18.0, 20.0), "needles"),
        (lambda: roller_density_per_pass_per_cm2(192, float("nan"), 20.0), "drum_diameter_mm"),
        (lambda: pen_density_per_pass_per_cm2(11, 90.0, 0.0, 5.0), "speed_mm_s"),
        (lambda: density_after_passes_per_cm2(16.7, 0), "passes"),
        (lambda: mean_spacing_poisson_um(0.0), "density_per_cm2"),
        (lambda: injured_area_fraction(250.0, -1.0), "channel_radius_um"),
        (lambda: place_punctures_poisson(1e6, 1000.0, 1000.0, 0), "width_mm"),
        (lambda: device_from_settings("pen"), "speed_mm_s"),
        (lambda: device_from_settings("drill"), "device"),
        (lambda: device_from_settings("roller", speed_mm_s=10.0), "speed_mm_s"),
        (lambda: device_from_settings("pen", speed_mm_s=10.0, drum_width_mm=5.0), "drum_width_mm"),
        (lambda: device_from_settings("pen", speed_mm_s=10.0, needles=0), "needles"),
        (lambda: geometry_report(Roller(), 1.0, passes=0), "passes"),
        (lambda: geometry_report(Roller(), 0.0), "needle_mm"),
    ],
)
def test_bad_input_is_a_user_error_naming_the_field(call: object, field: str) -> None:
    assert callable(call)
    with pytest.raises(UserError) as caught:
        call()
    assert caught.value.field == field


def test_device_from_settings_fills_in_defaults() -> None:
    assert device_from_settings("Roller") == Roller()
    pen = device_from_settings("pen", speed_mm_s=20.0, needles=12)
    assert pen == Pen(speed_mm_s=20.0, needles=12, frequency_hz=90.0, width_mm=5.0)


# --- the report -----------------------------------------------------------------------------------


def test_report_warns_about_every_assumed_value_it_uses() -> None:
    warnings = geometry_report(Pen(speed_mm_s=40.0), 1.0, zone="scalp").warnings
    for name in (
        "geometry.eta_default",
        "geometry.channel_radius_um",
        "geometry.pen.width_mm",
        "skin.papillary_share",
        "skin.default.dermis_um",
    ):
        assert any(line.startswith(name + " ") for line in warnings), name
    measured = geometry_report(Pen(speed_mm_s=40.0, width_mm=6.0), 1.0, channel_radius_um=30.0)
    assert not any(
        line.startswith(("geometry.pen.width_mm ", "geometry.channel_radius_um "))
        for line in measured.warnings
    )


def test_report_placement_sample_is_close_to_the_closed_forms() -> None:
    # One seed, about 1000 punctures: spacing within 5 %, injured fraction within 15 %.
    report = geometry_report(Roller(), 1.5)
    assert report.placement.punctures == pytest.approx(1000, rel=0.1)
    assert report.placement.mean_spacing_um == pytest.approx(report.mean_spacing_um, rel=0.05)
    assert report.placement.injured_area_fraction == pytest.approx(
        report.injured_area_fraction, rel=0.15
    )


# --- parameter records ----------------------------------------------------------------------------

KNOWN_SOURCES = {
    "Donnelly2010",
    "Kalluri2011",
    "Meng2022",
    "Egawa2007",
    "Chopra2015",
    "Sandby-Moller2003",
    "LeeHwang2002",
    "Laurent2007",
    "Xu2017",
    "Doddaballapur2009",
    "Dermapen2012",
    "FreierPachten2015",
    "derived",
    "assumption",
}


@pytest.mark.parametrize("record", params_geometry.PARAMS, ids=lambda record: record.name)
def test_every_geometry_parameter_has_a_source_and_a_valid_status(record: object) -> None:
    from microneedling.simulation.params import Param

    assert isinstance(record, Param)
    assert record.name.startswith(("geometry.", "skin."))
    assert record.source in KNOWN_SOURCES
    assert record.status in STATUSES
    assert record.unit and record.note
    assert math.isfinite(record.value)
    if record.status in ("derived", "assumption"):
        assert len(record.note) >= 15  # the working is written down


def test_geometry_parameter_names_are_unique() -> None:
    names = [record.name for record in params_geometry.PARAMS]
    assert len(names) == len(set(names))


# --- properties -----------------------------------------------------------------------------------

densities = st.floats(min_value=0.0, max_value=1e5, allow_nan=False)
radii = st.floats(min_value=0.0, max_value=500.0, allow_nan=False)


@given(density=densities, radius=radii)
def test_injured_fraction_is_a_fraction(density: float, radius: float) -> None:
    fraction = injured_area_fraction(density, radius)
    assert 0.0 <= fraction <= 1.0
    assert fraction < 1.0 or density * math.pi * (radius / 1e4) ** 2 > 30


@given(low=densities, extra=st.floats(min_value=1e-3, max_value=1e4), radius=radii)
def test_more_punctures_never_injure_less(low: float, extra: float, radius: float) -> None:
    assert injured_area_fraction(low + extra, radius) >= injured_area_fraction(low, radius)


@given(density=st.floats(min_value=1e-3, max_value=1e5), passes=st.integers(1, 50))
def test_spacing_shrinks_as_passes_add_up(density: float, passes: int) -> None:
    total = density_after_passes_per_cm2(density, passes)
    assert mean_spacing_poisson_um(total) <= mean_spacing_poisson_um(density) * (1 + 1e-12)
    assert mean_spacing_poisson_um(total) < lattice_spacing_um(total)
    assert passes_to_reach(density, total) == passes
