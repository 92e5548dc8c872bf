"""Policy version 2's planning cases end to end through the real command line (``microneedling
screen … --json`` then ``microneedling plan … --json`` on that screening): the neck screened and
the cheeks planned (refused), facial burn scars (start 1.5 mm, not 1.75), stretch marks on the
abdomen and thighs (3000 cm² to numb, ``large_anesthetic_area``); also ``plan`` without a
screening (``not_screened``) and with an old one (``screening_outdated``). The same cases
through the JSON API are in tests/api/test_api_policy_v2_cases_planning.py.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from tests.conftest import intake_data, run_cli


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args)


def write(tmp_path: Path, data: Any, name: str) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def screened(tmp_path: Path, zones: list[str], **extra: Any) -> dict[str, Any]:
    result = run(
        "screen", write(tmp_path, intake_data(zones=zones, **extra), "intake.json"), "--json"
    )
    assert result.returncode == 0, result.stderr
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def request(treatments: list[tuple[str, str]], screening: Any, **extra: Any) -> dict[str, Any]:
    return {
        "on": "2026-12-01",
        "fitzpatrick": 2,
        "start": "2026-12-07",
        "treatments": [{"zone": z, "concern": c} for z, c in treatments],
        "screening": screening,
        **extra,
    }


def plan_json(tmp_path: Path, data: dict[str, Any]) -> dict[str, Any]:
    result = run("plan", write(tmp_path, data, "request.json"), "--json")
    assert result.returncode == 0, result.stderr
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def codes(plan: dict[str, Any]) -> list[str]:
    return [w["code"] for w in plan["warnings"]]


def test_neck_screened_cheeks_planned_is_refused(tmp_path: Path) -> None:
    screening = screened(tmp_path, ["neck"])
    assert screening["zones"] == ["neck"]
    data = request([("cheeks", "acne_scars")], screening)
    result = run("plan", write(tmp_path, data, "request.json"), "--json")
    assert result.returncode == 2, result.stdout
    assert "Traceback" not in result.stderr
    assert "cheeks were not screened: screen again including them" in result.stderr
    # The neck itself plans.
    assert plan_json(tmp_path, request([("neck", "skin_laxity")], screening))["series"]


def test_a_fitzpatrick_type_other_than_the_screenings_is_refused(tmp_path: Path) -> None:
    screening = screened(tmp_path, ["neck"])
    data = request([("neck", "skin_laxity")], screening, fitzpatrick=4)
    result = run("plan", write(tmp_path, data, "request.json"))
    assert result.returncode == 2 and "differs from the screening" in result.stderr


def test_facial_burn_scars_start_at_1_5_not_1_75(tmp_path: Path) -> None:
    screening = screened(tmp_path, ["cheeks"])
    plan = plan_json(tmp_path, request([("cheeks", "burn_scars")], screening))
    [zone] = plan["series"][0]["zones"]
    assert (zone["depth_mm"]["min"], zone["depth_mm"]["max"]) == (1.5, 2.0)
    assert zone["depth_mm"]["start"] == 1.5 and zone["device_setting_mm"] == 1.5
    assert zone["technique"]["endpoint"] == "pinpoint_bleeding"
    assert "face_depth_above_1_5" in codes(plan)
    text = run("plan", write(tmp_path, request([("cheeks", "burn_scars")], screening), "r.json"))
    assert text.returncode == 0 and "1.75" not in text.stdout


def test_abdomen_and_thighs_stretch_marks_numb_3000_cm2(tmp_path: Path) -> None:
    screening = screened(tmp_path, ["abdomen", "thighs"])
    plan = plan_json(
        tmp_path, request([("abdomen", "stretch_marks"), ("thighs", "stretch_marks")], screening)
    )
    assert plan["treated_area"]["total_cm2"] == 3000
    assert [z["area_cm2"] for z in plan["series"][0]["zones"]] == [1000, 2000]
    assert plan["numbing"]["area_cm2"] == 3000 and plan["numbing"]["topical_anaesthetic"]
    day_0 = [e for e in plan["precare"] if e["day"] == 0]
    assert day_0 and all("3000 cm²" in e["instruction"] for e in day_0)
    assert "large_anesthetic_area" in codes(plan)
    text = run(
        "plan",
        write(
            tmp_path,
            request([("abdomen", "stretch_marks"), ("thighs", "stretch_marks")], screening),
            "r.json",
        ),
    )
    assert "3000 cm²" in text.stdout and "do not wrap or occlude" in " ".join(text.stdout.split())


def test_plan_without_a_screening_warns_not_screened(tmp_path: Path) -> None:
    plan = plan_json(tmp_path, request([("neck", "skin_laxity")], None))
    assert "not_screened" in codes(plan)
    text = run("plan", write(tmp_path, request([("neck", "skin_laxity")], None), "r.json"))
    assert "No screening was given" in " ".join(text.stdout.split())


def test_plan_with_an_old_screening_warns_screening_outdated(tmp_path: Path) -> None:
    screening = screened(tmp_path, ["neck"], on="2026-08-01")
    plan = plan_json(tmp_path, request([("neck", "skin_laxity")], screening))
    assert "screening_outdated" in codes(plan)
    assert "not_screened" not in codes(plan)
