"""`microneedling simulate resealing|uptake` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from microneedling.cli.main import app

runner = CliRunner()


def _json(args: list[str]) -> dict[str, object]:
    result = runner.invoke(app, ["simulate", *args, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def _fails_with_one_line(args: list[str], fragment: str) -> None:
    result = runner.invoke(app, ["simulate", *args])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:")
    assert fragment in lines[0]


# --- resealing -----------------------------------------------------------------------------------


def test_resealing_json_has_the_half_life_closure_recovery_curve_and_window() -> None:
    data = _json(["resealing"])
    for key in ("half_life_h", "closure_h", "barrier_recovery_h", "curve", "absorption_window"):
        assert key in data
    assert data["half_life_h"] == pytest.approx(2 / 2.4)
    assert data["barrier_recovery_h"] == pytest.approx(2.0)
    curve = data["curve"]
    assert isinstance(curve, dict)
    assert len(curve["hours"]) == len(curve["open_fraction"]) > 10
    window = data["absorption_window"]
    assert isinstance(window, dict)
    assert window["safety_h"] >= 24.0
    warnings = data["warnings"]
    assert isinstance(warnings, list)
    assert any("to_verify" in line for line in warnings)


def test_resealing_occluded_for_a_group_uses_its_half_life() -> None:
    data = _json(["resealing", "--occluded", "--group", "White"])
    assert data["half_life_h"] == pytest.approx(50.2 / 2.4)
    assert data["barrier_recovery_h"] == pytest.approx(50.2)


def test_resealing_prints_a_readable_table() -> None:
    result = runner.invoke(app, ["simulate", "resealing", "--occluded", "--group", "Asian"])
    assert result.exit_code == 0, result.output
    assert "Absorption window" in result.stdout
    assert "barrier" in result.stdout


@pytest.mark.parametrize("suffix", [".svg", ".png"])
def test_resealing_writes_a_plot(tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"reseal{suffix}"
    result = runner.invoke(app, ["simulate", "resealing", "--plot", str(target)])
    assert result.exit_code == 0, result.output
    assert target.stat().st_size > 1000


def test_unknown_group_is_one_line_and_exit_2() -> None:
    _fails_with_one_line(["resealing", "--occluded", "--group", "Martian"], "--group")


def test_a_modifier_below_one_is_one_line_and_exit_2() -> None:
    _fails_with_one_line(["resealing", "--age-factor", "0.5"], "--age-factor")


def test_a_plot_with_the_wrong_suffix_is_refused(tmp_path: Path) -> None:
    _fails_with_one_line(["resealing", "--plot", str(tmp_path / "x.pdf")], "--plot")


# --- uptake --------------------------------------------------------------------------------------

UPTAKE = ["uptake", "--device", "pen", "--needle-mm", "0.5", "--compound", "naloxone"]


def test_uptake_json_has_the_enhancement_amounts_lag_inputs_and_warnings() -> None:
    data = _json([*UPTAKE, "--hours", "6", "--in-vitro"])
    for key in (
        "enhancement_ratio",
        "cumulative_ug_per_cm2",
        "intact_cumulative_ug_per_cm2",
        "lag_min",
        "inputs",
        "warnings",
    ):
        assert key in data
    inputs = data["inputs"]
    assert isinstance(inputs, dict)
    assert inputs["punctures_per_cm2"] == 250.0
    assert inputs["channel_radius_um"] == 35.35
    assert inputs["channel_depth_um"] == pytest.approx(250.0)
    assert "Freier" in str(inputs["density_basis"])
    # the calibration case: 56x at 6 h in vitro
    assert data["enhancement_ratio"] == pytest.approx(56.0, rel=0.01)
    assert data["intact_cumulative_ug_per_cm2"] == pytest.approx(8.25, rel=0.01)


def test_uptake_in_vivo_closes_the_channels() -> None:
    open_ = _json([*UPTAKE, "--hours", "24", "--in-vitro"])
    closing = _json([*UPTAKE, "--hours", "24"])
    assert closing["cumulative_ug_per_cm2"] < open_["cumulative_ug_per_cm2"]  # type: ignore[operator]
    inputs = closing["inputs"]
    assert isinstance(inputs, dict)
    assert "Gupta" in str(inputs["closure_basis"])


def test_uptake_roller_uses_the_doddaballapur_density() -> None:
    data = _json(["uptake", "--device", "roller", "--needle-mm", "1", "--compound", "vitamin_c"])
    inputs = data["inputs"]
    assert isinstance(inputs, dict)
    assert "Doddaballapur" in str(inputs["density_basis"])


def test_uptake_of_high_mw_hyaluronic_acid_reports_an_unbounded_ratio_as_null() -> None:
    data = _json(["uptake", "--device", "pen", "--needle-mm", "1", "--compound", "ha_1mda"])
    assert data["enhancement_ratio"] is None
    assert data["intact_cumulative_ug_per_cm2"] == 0.0


def test_uptake_prints_a_readable_table() -> None:
    result = runner.invoke(app, ["simulate", *UPTAKE, "--hours", "2"])
    assert result.exit_code == 0, result.output
    assert "enhancement" in result.stdout
    assert "warning:" in result.stdout


def test_uptake_writes_a_plot(tmp_path: Path) -> None:
    target = tmp_path / "uptake.svg"
    result = runner.invoke(app, ["simulate", *UPTAKE, "--plot", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8").lstrip().startswith("<?xml")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (
            ["uptake", "--device", "pen", "--needle-mm", "0.5", "--compound", "unobtainium"],
            "--compound",
        ),
        ([*UPTAKE, "--hours", "-1"], "--hours"),
        ([*UPTAKE, "--hours", "1000"], "--hours"),
        (
            ["uptake", "--device", "pen", "--needle-mm", "25", "--compound", "naloxone"],
            "--needle-mm",
        ),
        (
            ["uptake", "--device", "pen", "--needle-mm", "0", "--compound", "naloxone"],
            "--needle-mm",
        ),
        (["uptake", "--device", "stamp", "--needle-mm", "1", "--compound", "naloxone"], "--device"),
        (["uptake", "--needle-mm", "1", "--compound", "naloxone"], "--device"),
        ([*UPTAKE, "--density", "300000"], "--density"),
        ([*UPTAKE, "--density", "0"], "--density"),
        ([*UPTAKE, "--donor-mg-per-ml", "-3"], "--donor-mg-per-ml"),
        ([*UPTAKE, "--eta", "1.5"], "--eta"),
        ([*UPTAKE, "--occluded", "--group", "nobody"], "--group"),
        ([*UPTAKE, "--sink-um", "100"], "--needle-mm"),
    ],
)
def test_bad_uptake_input_is_one_line_and_exit_2(args: list[str], fragment: str) -> None:
    _fails_with_one_line(args, fragment)
