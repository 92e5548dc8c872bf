"""`microneedling plan --device`: the plan is made for the named device profile (policy A.3
"Device profiles"): a shipped one or one the request gives; an unknown name is refused, naming
the known ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from microneedling.cli.main import app

runner = CliRunner()

REQUEST = {
    "on": "2026-12-01",
    "setting": "professional",
    "fitzpatrick": 3,
    "start": "2026-12-07",
    "treatments": [{"zone": "cheeks", "concern": "acne_scars", "subtype": "rolling"}],
    "devices": [{"name": "Clinic pen 0.1", "lowest_mm": 0.2, "highest_mm": 3.0, "step_mm": 0.1}],
}


def plan(tmp_path: Path, *options: str, request: object = REQUEST) -> tuple[int, str]:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(request), encoding="utf-8")
    result = runner.invoke(app, ["plan", str(path), *options])
    return result.exit_code, result.output


def test_the_named_device_profile_is_used_and_shown(tmp_path: Path) -> None:
    code, output = plan(tmp_path, "--device", "Clinic pen 0.1", "--json")
    assert code == 0, output
    result = json.loads(output)
    assert result["device"]["name"] == "Clinic pen 0.1"
    assert result["device"]["step_mm"] == pytest.approx(0.1)
    code, text = plan(tmp_path, "--device", "Clinic pen 0.1")
    assert code == 0, text
    assert "Device: Clinic pen 0.1 (0.2–3 mm in 0.1 mm steps)" in text


def test_without_the_option_the_shipped_default_pen_is_used(tmp_path: Path) -> None:
    code, output = plan(tmp_path, "--json")
    assert code == 0, output
    assert json.loads(output)["device"]["name"] == "Default pen"


@pytest.mark.parametrize(
    ("device", "words"),
    [
        ("Dermapen 9000", "unknown device profile 'Dermapen 9000'"),
        ("", "device"),
        ("x" * 500, "device"),
    ],
    ids=["unknown", "empty", "oversized"],
)
def test_a_device_the_plan_cannot_use_is_refused_with_exit_2(
    tmp_path: Path, device: str, words: str
) -> None:
    code, output = plan(tmp_path, "--device", device)
    assert code == 2
    assert words in output
    assert "Traceback" not in output


def test_the_option_on_a_request_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    code, output = plan(tmp_path, "--device", "Default pen", request=[1, 2])
    assert code == 2
    assert "mapping" in output
