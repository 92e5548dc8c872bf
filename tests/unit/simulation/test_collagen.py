"""Model 3 collagen module and treatment series (MODELS.md §4.2, §6).

Validation targets (each test states its tolerance): Lotfi 2013 (+53.2 % papillary collagen 8
weeks after the 5th monthly 1.5 mm session, fitted), C1 peak 6–8 weeks after the last session,
synthesis up within 24 h and peaking near day 6.5–7 for one pulse (Exp Biol Med 1979), the
durability claim, the collagen direction (El-Domyati 2015), the fast path within 1 % of the
reference solver, determinism, and a source and valid status on every parameter record.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest

from microneedling.errors import UserError
from microneedling.simulation import params as param_table
from microneedling.simulation.collagen import (
    CollagenParams,
    CollagenSeries,
    LotfiProtocol,
    SeriesPlan,
    fast_path_applies,
    fit_collagen,
    lotfi_metrics,
    needle_dose,
    reference_volume_mm3_per_cm2,
    session_dose,
    simulate_many,
    simulate_series,
)
from microneedling.simulation.params_healing import load_fitted

COOPER_CONSTANTS = (
    *("kpn", "kpm", "Ninf", "kptn", "kptm", "mupt", "knp", "knpt", "snr", "munr", "mun"),
    *("knm", "kmp", "kmm", "kmn", "kmpt", "smr", "mumr", "mum", "ENinf", "ken", "EMinf"),
    *("kem", "Cn", "Cm1", "Cm2", "kpg", "pinf", "kbp", "sb", "mub", "kpb"),
)
SOURCES = {
    "Cooper2015",
    "Lotfi2013",
    "ExpBiolMed1979",
    "FernandesSignorini2008",
    "Segal2012",
    "Doddaballapur2009",
    "Kalluri2011",
    "Egawa2007",
    "Chopra2015",
    "derived",
    "assumption",
}


@pytest.fixture(scope="module")
def protocol() -> LotfiProtocol:
    return LotfiProtocol.from_table()


@pytest.fixture(scope="module")
def lotfi_reference(protocol: LotfiProtocol) -> CollagenSeries:
    return simulate_series(protocol.session_days, 1.0, protocol.horizon_days, method="reference")


@pytest.fixture(scope="module")
def lotfi_fast(protocol: LotfiProtocol) -> CollagenSeries:
    return simulate_series(protocol.session_days, 1.0, protocol.horizon_days, method="fast")


@pytest.fixture(scope="module")
def single_pulse() -> CollagenSeries:
    return simulate_series([0], 1.0, 60, method="reference")


# --- Parameter records ----------------------------------------------------------------------------


def _healing_records() -> list[param_table.Param]:
    return [
        p for name, p in param_table.table().items() if name.startswith(("cooper.", "collagen."))
    ]


def test_every_healing_record_has_a_source_a_unit_and_a_valid_status() -> None:
    records = _healing_records()
    assert records
    for record in records:
        assert record.source in SOURCES, record.name
        assert record.status in param_table.STATUSES, record.name
        assert record.unit, record.name
        assert math.isfinite(record.value), record.name
        if record.status in ("derived", "assumption", "fitted"):
            assert record.note, f"{record.name} needs its working in the note"


def test_all_32_cooper_constants_the_inputs_and_x0_are_records() -> None:
    names = set(param_table.table())
    assert len(COOPER_CONSTANTS) == 32
    for name in [*COOPER_CONSTANTS, "E", "C"]:
        assert f"cooper.{name}" in names
    x0 = [param_table.value(f"cooper.x0_{s}") for s in ("pathogen", "debris", "macrophages")]
    assert [*x0, param_table.value("cooper.x0_neutrophils")] == [0.1, 2.0, 0.0, 0.1]
    assert param_table.value("cooper.kptn") == 2.03 and param_table.value("cooper.ken") == 5.37


def test_fitted_records_are_marked_fitted_and_read_from_the_json() -> None:
    stored = load_fitted()
    for name, key in (
        ("collagen.synthesis_gain", "synthesis_gain"),
        ("collagen.tau_t_days", "tau_t_days"),
    ):
        record = param_table.get(name)
        assert record.status == "fitted" and record.source == "Lotfi2013"
        assert record.value == stored[key]
    assert param_table.get("collagen.tau_m_days").value == stored["tau_m_days"]
    assert param_table.get("collagen.tau_f_days").value == 2.0


def test_refitting_reproduces_the_stored_values(protocol: LotfiProtocol) -> None:
    fit = fit_collagen(protocol=protocol)
    stored = load_fitted()
    assert fit.tau_m_days == stored["tau_m_days"]
    assert fit.tau_t_days == stored["tau_t_days"]
    assert fit.synthesis_gain == stored["synthesis_gain"]


# --- Dose -----------------------------------------------------------------------------------------


def test_reference_volume_is_a_1_5_mm_roller_at_250_per_cm2_on_the_cheek() -> None:
    # 250 · π·(0.03535 mm)² · (750 − 16.8 − 46.1) µm = 0.6744 mm³/cm² (tolerance 1e-4).
    assert reference_volume_mm3_per_cm2() == pytest.approx(0.6744, abs=1e-4)
    assert session_dose(250.0, 35.35, 750.0, 16.8, 46.1) == pytest.approx(1.0, rel=1e-12)
    assert needle_dose(1.5) == pytest.approx(1.0, rel=1e-12)


def test_dose_grows_with_depth_and_is_zero_above_the_dermis() -> None:
    doses = [needle_dose(mm) for mm in (0.1, 0.25, 0.5, 1.0, 1.5, 2.0)]
    assert doses[0] == 0.0  # 50 µm effective depth stays in the epidermis
    assert all(a < b for a, b in itertools.pairwise(doses[1:]))
    assert needle_dose(1.0) == pytest.approx((500 - 62.9) / 687.1, rel=1e-9)
    assert session_dose(500.0, 35.35, 750.0, 16.8, 46.1) == pytest.approx(2.0)


def test_dose_refuses_negative_inputs() -> None:
    with pytest.raises(UserError, match="density"):
        session_dose(-1.0, 35.35, 750.0, 16.8, 46.1)


# --- Validation targets ---------------------------------------------------------------------------


def test_lotfi_collagen_gain_8_weeks_after_the_fifth_monthly_session(
    protocol: LotfiProtocol, lotfi_reference: CollagenSeries
) -> None:
    # Lotfi 2013: +53.2 % (fitted); reference solver within 0.1 percentage point.
    day = protocol.last_day + protocol.days_after_last
    assert lotfi_reference.pct_on_day(day) == pytest.approx(53.2, abs=0.1)


def test_collagen_1_peaks_6_to_8_weeks_after_the_last_session(
    protocol: LotfiProtocol, lotfi_reference: CollagenSeries
) -> None:
    # Claim: full effect 6–8 weeks after the last session; tau_m fixes it at 7 weeks (computed 49).
    after_last = lotfi_reference.c1_peak_day - protocol.last_day
    assert 42 <= after_last <= 56
    assert after_last == pytest.approx(49, abs=1)


def test_results_last_months_s_at_6_months_keeps_half_of_s_at_8_weeks(
    protocol: LotfiProtocol, lotfi_reference: CollagenSeries
) -> None:
    # Durability bound (assumption): S(last + 182 d) >= 0.5 · S(last + 56 d); tau_t sits on it.
    last = protocol.last_day
    ratio = lotfi_reference.pct_on_day(last + 182) / lotfi_reference.pct_on_day(last + 56)
    assert ratio >= 0.5
    assert ratio == pytest.approx(0.5, abs=0.005)


def test_one_pulse_raises_synthesis_within_24_hours(single_pulse: CollagenSeries) -> None:
    # Exp Biol Med 1979: synthesis up by 24 h. Day 1 is above 2 % of the peak (computed 4.8 %).
    synthesis = single_pulse.synthesis_pct_per_day
    assert synthesis[0] == 0.0
    assert synthesis[1] > 0.02 * synthesis.max()


def test_one_pulse_synthesis_peaks_near_day_6_5_to_7() -> None:
    # Exp Biol Med 1979: peak on day 7; MODELS.md derives ≈ 6.5 for tau_F = 2 d. Tolerance: the
    # band 6.5–7 widened by 0.5 d (computed 6.4 d on a 0.02-day grid).
    fine = _single_pulse_fine_synthesis()
    peak_day = float(np.argmax(fine) / 50)
    assert 6.0 <= peak_day <= 7.5


def _single_pulse_fine_synthesis() -> np.ndarray:
    from microneedling.simulation.collagen import collagen_table
    from microneedling.simulation.inflammation import CooperParams, DebrisKillReading

    table = collagen_table(
        1.0,
        400,
        collagen=CollagenParams.from_table(),
        core=CooperParams.from_table(),
        reading=DebrisKillReading.ESTROGEN,
    )
    return np.asarray(table.fine_response[:, 0])


@pytest.mark.xfail(
    strict=True,
    reason="Day-11 shortfall (documented in docs/science/healing.md): with tau_F = 2 d synthesis "
    "is still about half its peak on day 11, not back to normal as in Exp Biol Med 1979; no "
    "parameter is added to fix it (MODELS.md §4.2).",
)
def test_one_pulse_synthesis_is_back_to_normal_by_day_11(single_pulse: CollagenSeries) -> None:
    synthesis = single_pulse.synthesis_pct_per_day
    assert synthesis[11] < 0.1 * synthesis.max()


def test_collagen_goes_up_after_treatment_as_in_el_domyati(lotfi_reference: CollagenSeries) -> None:
    # El-Domyati 2015: collagen I, III and new collagen up after microneedling.
    s = lotfi_reference
    assert np.all(s.collagen_pct_change >= -1e-9)
    assert np.all(s.collagen_1_pct >= -1e-9) and np.all(s.collagen_3_pct >= -1e-9)
    assert s.collagen_1_pct[-1] > 0 and s.collagen_3_pct[30] > 0 and s.peak_pct > 0


def test_the_alternative_reading_gives_a_similar_lotfi_value(protocol: LotfiProtocol) -> None:
    # Not refitted: the (1 + ken*N) reading lands within 2 percentage points (computed 51.5 %).
    metrics = lotfi_metrics(CollagenParams.from_table(), protocol=protocol, reading="N")
    assert metrics.pct_at_biopsy == pytest.approx(53.2, abs=2.0)


# --- Fast path vs reference -----------------------------------------------------------------------


def _max_relative_error(fast: CollagenSeries, reference: CollagenSeries) -> dict[str, float]:
    out = {}
    for name in ("collagen_pct_change", "collagen_1_pct", "collagen_3_pct", "inflammatory_signal"):
        a, b = getattr(fast, name), getattr(reference, name)
        out[name] = float(np.max(np.abs(a - b)) / np.max(np.abs(b)))
    return out


def test_fast_path_matches_the_reference_on_the_lotfi_protocol(
    lotfi_fast: CollagenSeries, lotfi_reference: CollagenSeries
) -> None:
    # MODELS.md §6: within 1 % (of each series' peak) on the validation cases.
    assert lotfi_fast.method == "fast" and lotfi_reference.method == "reference"
    for name, error in _max_relative_error(lotfi_fast, lotfi_reference).items():
        assert error < 0.01, name
    assert lotfi_fast.peak_day == lotfi_reference.peak_day


@pytest.mark.parametrize(
    ("session_days", "doses"),
    [
        ([0, 28, 56, 84, 112, 140], [1.0] * 6),
        ([0, 42, 84, 126, 168, 210], [0.6362, 1.0, 1.0, 1.3638, 1.0, 0.6362]),
        ([0, 14, 28, 42], [1.0, 1.0, 1.0, 1.0]),
    ],
    ids=["monthly_x6", "six_weekly_mixed_doses", "two_weekly"],
)
def test_fast_path_matches_the_reference_within_1_percent(
    session_days: list[int], doses: list[float]
) -> None:
    # 1 % of each series' peak, and the 6- and 12-month values within 1 % of themselves.
    fast = simulate_series(session_days, doses, 365, method="fast")
    reference = simulate_series(session_days, doses, 365, method="reference")
    for name, error in _max_relative_error(fast, reference).items():
        assert error < 0.01, name
    assert fast.pct_at_6_months == pytest.approx(reference.pct_at_6_months, rel=0.01)
    assert fast.pct_at_12_months == pytest.approx(reference.pct_at_12_months, rel=0.01)


@pytest.mark.parametrize("dose", [0.0123, 0.4085, 1.467, 5.272])
def test_fast_path_from_the_dose_table_matches_the_reference_between_grid_doses(
    dose: float,
) -> None:
    # The cold fast path reads the core's response from the shipped dose table, interpolated in
    # dose (MODELS.md §6). Half-way between grid doses (the worst case), 6 monthly sessions: within
    # 1 % as required, and S, C1, C3 within 1e-4 of their peaks, fi2 within 1e-3 (computed
    # <= 1.3e-5 and 1.9e-4 over every interval from u = 0.01 to 5.99).
    from microneedling.simulation.collagen import clear_tables
    from microneedling.simulation.inflammation import pulse_table

    clear_tables()
    days = [0, 28, 56, 84, 112, 140]
    fast = simulate_series(days, dose, 365, method="fast")
    assert pulse_table(dose, 365).source == "dose table"
    reference = simulate_series(days, dose, 365, method="reference")
    errors = _max_relative_error(fast, reference)
    assert all(error < 0.01 for error in errors.values()), errors
    for name in ("collagen_pct_change", "collagen_1_pct", "collagen_3_pct"):
        assert errors[name] < 1e-4, name
    assert errors["inflammatory_signal"] < 1e-3
    assert fast.pct_at_12_months == pytest.approx(reference.pct_at_12_months, rel=1e-4)


@pytest.mark.parametrize("rate", [0.03, 0.5, 4.0])
def test_whole_day_collagen_steps_are_exact_for_a_cubic_signal(rate: float) -> None:
    # After the first 25 days the collagen filters step whole days, exact when the signal is the
    # cubic through the daily samples. For a cubic f, y' = -r*y + f has the exact solution
    # y = p + (y0 - p(t0)) exp(-r (t - t0)) with p = sum over k of (-1)^k f^(k) / r^(k+1).
    from microneedling.simulation.collagen import _whole_day_filter

    c = np.array([[0.3, -0.05, 2e-3, -1e-5], [-1.0, 0.2, 0.01, 3e-5]])  # two channels
    days = np.arange(41, dtype=float)
    t = days[:, None]
    derivatives = [
        c[:, 0] + c[:, 1] * t + c[:, 2] * t**2 + c[:, 3] * t**3,
        c[:, 1] + 2 * c[:, 2] * t + 3 * c[:, 3] * t**2,
        2 * c[:, 2] + 6 * c[:, 3] * t,
        6 * c[:, 3] + 0 * t,
    ]
    particular = sum((-1) ** k * d / rate ** (k + 1) for k, d in enumerate(derivatives))
    start = 25
    initial = np.array([0.7, -0.2])
    exact = particular[start:] + (initial - particular[start]) * np.exp(
        -rate * (days[start:, None] - start)
    )
    stepped = _whole_day_filter(derivatives[0], start, rate, initial)
    assert stepped.shape == exact.shape
    np.testing.assert_allclose(stepped, exact, rtol=1e-11, atol=1e-11 * np.abs(exact).max())


def test_plain_superposition_of_pulses_would_not_be_good_enough(
    lotfi_fast: CollagenSeries, protocol: LotfiProtocol
) -> None:
    # Why the fast path carries the interaction term: a new pulse clears the previous one's slow
    # debris tail, so adding independent pulses overestimates S by several percent.
    one = simulate_series([0], 1.0, protocol.horizon_days, method="fast").collagen_pct_change
    superposed = np.zeros_like(one)
    for start in protocol.session_days:
        superposed[start:] += one[: one.size - start]
    error = np.max(np.abs(superposed - lotfi_fast.collagen_pct_change)) / lotfi_fast.peak_pct
    assert error > 0.03


def test_auto_uses_the_reference_where_the_fast_path_does_not_apply() -> None:
    assert fast_path_applies([0, 28, 56], [1.0, 1.0, 1.0])
    assert not fast_path_applies([0, 7], [1.0, 1.0])
    assert fast_path_applies([0, 7], [1.0, 0.0])  # a zero dose is no pulse
    assert not fast_path_applies([0, 28.5], [1.0, 1.0])
    assert simulate_series([0, 7], 1.0, 60).method == "reference"
    assert simulate_series([0, 28], 1.0, 60).method == "fast"


def test_series_are_deterministic() -> None:
    for method in ("fast", "reference"):
        a = simulate_series([0, 30, 60], [1.0, 0.5, 1.0], 200, method=method)  # type: ignore[arg-type]
        b = simulate_series([0, 30, 60], [1.0, 0.5, 1.0], 200, method=method)  # type: ignore[arg-type]
        np.testing.assert_array_equal(a.collagen_pct_change, b.collagen_pct_change)
        np.testing.assert_array_equal(a.inflammatory_signal, b.inflammatory_signal)


# --- Series behaviour -----------------------------------------------------------------------------


def test_series_reports_markers_peak_and_6_and_12_month_values() -> None:
    s = simulate_series([0, 28, 56], [1.0, 1.0, 0.5], 400)
    assert s.day[0] == 0 and s.day[-1] == 400 and s.day.size == 401
    assert [m.day for m in s.sessions] == [0.0, 28.0, 56.0]
    assert [m.dose for m in s.sessions] == [1.0, 1.0, 0.5]
    assert s.sessions[0].collagen_pct_change == 0.0 and s.sessions[2].collagen_pct_change > 0
    assert s.peak_pct == pytest.approx(float(s.collagen_pct_change.max()))
    assert s.collagen_pct_change[s.peak_day] == s.peak_pct
    assert s.pct_at_6_months == s.pct_on_day(182) and s.pct_at_12_months == s.pct_on_day(365)
    short = simulate_series([0], 1.0, 100)
    assert short.pct_at_6_months is None and short.pct_at_12_months is None


def test_a_zero_dose_changes_nothing_and_same_day_doses_add_up() -> None:
    nothing = simulate_series([0], 0.0, 50)
    assert np.all(nothing.collagen_pct_change == 0.0)
    split = simulate_series([0, 0, 28], [0.5, 0.5, 1.0], 100, method="fast")
    whole = simulate_series([0, 28], [1.0, 1.0], 100, method="fast")
    np.testing.assert_allclose(split.collagen_pct_change, whole.collagen_pct_change, atol=1e-12)
    with_blank = simulate_series([0, 10, 28], [1.0, 0.0, 1.0], 100)
    np.testing.assert_allclose(with_blank.collagen_pct_change, whole.collagen_pct_change, atol=1e-9)


def test_deeper_sessions_build_more_collagen() -> None:
    shallow = simulate_series([0, 28, 56], needle_dose(1.0), 200)
    deep = simulate_series([0, 28, 56], needle_dose(2.0), 200)
    assert deep.peak_pct > shallow.peak_pct > 0


@pytest.mark.parametrize(
    ("days", "doses", "horizon", "message"),
    [
        ([-1, 10], [1.0, 1.0], 100, ">= 0"),
        ([0, 200], [1.0, 1.0], 100, "after the horizon"),
        ([0, 10], [1.0], 100, "doses"),
        ([0], [-1.0], 100, "doses"),
        ([], [], 100, "non-empty"),
        ([0], [1.0], 0, "horizon"),
    ],
)
def test_bad_series_inputs_are_refused(
    days: list[float], doses: list[float], horizon: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        simulate_series(days, doses, horizon)


# --- Batch ----------------------------------------------------------------------------------------


def test_simulate_many_matches_single_plans_and_reports_progress() -> None:
    plans = [
        SeriesPlan((0, 28, 56), (1.0, 1.0, 1.0)),
        SeriesPlan((0, 42, 84, 126), (0.6362, 0.6362, 1.0, 1.0)),
        ([0, 35], [1.3638, 0.0]),
        SeriesPlan((0, 7), (1.0, 1.0)),  # too close for the fast path: reference fallback
    ]
    calls: list[tuple[int, int]] = []
    batch = simulate_many(
        plans, 400, progress=lambda done, total: calls.append((done, total)), chunk_size=2
    )
    assert calls == [(2, 4), (4, 4)]
    assert batch.collagen_pct_change is not None
    for k, plan in enumerate(plans):
        days, doses = (plan.session_days, plan.doses) if isinstance(plan, SeriesPlan) else plan
        single = simulate_series(days, doses, 400)
        np.testing.assert_allclose(
            batch.collagen_pct_change[k], single.collagen_pct_change, rtol=1e-9, atol=1e-9
        )
        assert batch.peak_day[k] == single.peak_day
        assert batch.pct_at_6_months[k] == pytest.approx(single.pct_at_6_months)
        assert batch.pct_at_12_months[k] == pytest.approx(single.pct_at_12_months)


def test_simulate_many_can_drop_the_series_and_marks_missing_months() -> None:
    batch = simulate_many([([0, 28], [1.0, 1.0])] * 3, 120, keep_series=False)
    assert batch.collagen_pct_change is None
    assert batch.peak_pct.shape == (3,) and np.all(batch.peak_pct == batch.peak_pct[0])
    assert np.all(np.isnan(batch.pct_at_6_months)) and np.all(np.isnan(batch.pct_at_12_months))


# --- Plots ----------------------------------------------------------------------------------------


def test_plots_are_written_as_svg_and_png(tmp_path: Path) -> None:
    from microneedling.simulation.inflammation import simulate_inflammation
    from microneedling.simulation.plots_healing import (
        plot_collagen,
        plot_comparison,
        plot_inflammation,
    )
    from microneedling.simulation.plotting import save_figure

    four = simulate_series([0, 28, 56], 1.0, 365)
    six = simulate_series([0, 42, 84], 1.0, 365)
    figures = {
        "inflammation.svg": plot_inflammation(simulate_inflammation(21.0, step_days=0.1)),
        "collagen.png": plot_collagen(four, collagen=CollagenParams.from_table()),
        "compare.svg": plot_comparison([four, six], ["4 weeks", "6 weeks"]),
    }
    for name, figure in figures.items():
        save_figure(figure, tmp_path / name)
        assert (tmp_path / name).stat().st_size > 1000
    svg = (tmp_path / "compare.svg").read_text()
    assert "<svg" in svg
    with pytest.raises(ValueError, match=r"svg or \.png"):
        save_figure(figures["compare.svg"], tmp_path / "x.pdf")


def test_simulate_many_refuses_more_distinct_doses_than_it_can_tabulate() -> None:
    plans = [([0], [1.0 + k * 1e-6]) for k in range(300)]
    with pytest.raises(ValueError, match="distinct doses"):
        simulate_many(plans, 100)


def test_dose_response_is_shallow_because_macrophage_recruitment_saturates() -> None:
    # Recorded model property (docs/science/healing.md §6), not a target: the core's macrophage
    # recruitment smr*R1/(mumr + R1) saturates (R1 >> mumr even for small pulses), so a 0.25 mm
    # session (u = 0.09) still gives about 79 % of a 1.5 mm session's single-pulse peak.
    shallow = simulate_series([0], needle_dose(0.25), 120).peak_pct
    reference = simulate_series([0], 1.0, 120).peak_pct
    deep = simulate_series([0], needle_dose(2.5), 120).peak_pct
    assert shallow < reference < deep
    assert 0.7 < shallow / reference < 0.9
    assert deep / reference < 1.05


def test_very_small_doses_take_the_reference_solver() -> None:
    from microneedling.simulation.collagen import FAST_MIN_DOSE, fast_path_applies

    assert fast_path_applies([0, 28, 56], [1.0, 1.0, 1.0])
    assert not fast_path_applies([0, 28, 56], [FAST_MIN_DOSE / 2] * 3)
    assert fast_path_applies([0, 28, 56], [0.0, 1.0, 1.0])  # a session that injures nothing is fine
