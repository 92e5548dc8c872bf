"""`microneedling simulate geometry` through the Typer app (in process)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from microneedling.cli.main import app

LAYERS = {
    "stratum_corneum",
    "viable_epidermis",
    "papillary_dermis",
    "reticular_dermis",
    "below_dermis",
}


def run(*args: str) -> Any:
    return CliRunner().invoke(app, ["simulate", "geometry", *args])


def run_json(*args: str) -> dict[str, Any]:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_roller_json_has_the_contract_keys_and_doddaballapur_numbers() -> None:
    data = run_json("--device", "roller", "--needle-mm", "1.5")
    for key in (
        "punctures_per_cm2",
        "injured_area_fraction",
        "mean_spacing_um",
        "effective_depth_mm",
        "layer",
    ):
        assert key in data
    assert data["passes"] == 15 and data["passes_chosen_for_target"] is True
    assert data["punctures_per_cm2"] == pytest.approx(250.0, abs=1.0)
    assert data["injured_area_fraction"] == pytest.approx(0.0098, abs=0.00005)
    assert data["mean_spacing_um"] == pytest.approx(316.2, abs=0.1)
    assert data["effective_depth_mm"] == pytest.approx(0.75)
    assert data["layer"] in LAYERS
    assert data["layer_at_lower_bound"] in LAYERS and data["layer_at_upper_bound"] in LAYERS
    assert [row["eta"] for row in data["eta_band"]] == [0.2, 0.5, 0.8]
    assert data["zone"] == "cheeks" and data["sex"] is None
    assert data["placement"]["seed"] == 0
    assert any(line.startswith("geometry.eta_default") for line in data["warnings"])


def test_pen_json_reports_glide_speed_and_passes_for_the_250_to_300_band() -> None:
    data = run_json(
        "--device", "pen", "--needle-mm", "0.5", "--speed-mm-s", "100", "--zone", "forehead",
        "--sex", "male", "--passes", "1",
    )  # fmt: skip
    assert data["punctures_per_cm2"] == pytest.approx(198.0)  # 11 x 90 / (100 x 5) per mm² x 100
    assert data["passes_to_reach_target"] == 2
    assert data["in_target_band_after_those_passes"] is False  # 396 /cm²
    slow, fast = data["pen_speed_for_target_mm_s"]
    assert slow == pytest.approx(66.0) and fast == pytest.approx(79.2)
    assert data["settings"] == {
        "needles": 11,
        "frequency_hz": 90.0,
        "speed_mm_s": 100.0,
        "width_mm": 5.0,
    }
    assert data["layers"]["dermis"]["point_um"] == 1170.0


def test_same_arguments_give_byte_identical_json() -> None:
    args = ("--device", "pen", "--needle-mm", "1", "--speed-mm-s", "30", "--seed", "5", "--json")
    assert run(*args).stdout == run(*args).stdout


def test_text_output_is_a_readable_table() -> None:
    result = run("--device", "roller", "--needle-mm", "2.0", "--zone", "perioral")
    assert result.exit_code == 0, result.output
    assert "Density and coverage" in result.stdout
    assert "below dermis" in result.stdout
    assert "may pass the dermis" in result.stdout


@pytest.mark.parametrize("suffix", [".svg", ".png"])
def test_plot_is_written(tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"geometry{suffix}"
    result = run("--device", "roller", "--needle-mm", "1", "--plot", str(target))
    assert result.exit_code == 0, result.output
    head = target.read_bytes()[:8]
    assert head.startswith(b"<?xml" if suffix == ".svg" else b"\x89PNG")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--device", "roller", "--needle-mm", "-1"), ("--needle-mm", "above 0")),
        (("--device", "roller", "--needle-mm", "0"), ("--needle-mm",)),
        (("--device", "roller", "--needle-mm", "1", "--needles", "0"), ("--needles",)),
        (("--device", "roller", "--needle-mm", "1", "--zone", "elbow"), ("--zone", "elbow")),
        (("--device", "drill", "--needle-mm", "1"), ("--device", "drill")),
        (("--device", "pen", "--needle-mm", "1"), ("--speed-mm-s",)),
        (("--device", "pen", "--needle-mm", "1", "--speed-mm-s", "-3"), ("--speed-mm-s",)),
        (("--device", "roller", "--needle-mm", "1", "--speed-mm-s", "3"), ("--speed-mm-s",)),
        (("--device", "roller", "--needle-mm", "1", "--sex", "x"), ("--sex",)),
        (("--device", "roller", "--needle-mm", "1", "--eta", "1.5"), ("--eta",)),
        (("--device", "roller", "--needle-mm", "1", "--passes", "0"), ("--passes",)),
        (("--device", "roller", "--needle-mm", "1", "--plot", "out.pdf"), ("--plot",)),
        (("--device", "roller", "--needle-mm", "1", "--plot", "/no/such/dir/a.svg"), ("--plot",)),
        (("--needle-mm", "1"), ("--device",)),
        (("--device", "roller"), ("--needle-mm",)),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_2(
    args: tuple[str, ...], words: tuple[str, ...]
) -> None:
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for word in words:
        assert word in lines[0]
    assert "Traceback" not in result.output
