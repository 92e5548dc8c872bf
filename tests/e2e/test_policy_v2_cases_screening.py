"""Policy version 2's screening cases end to end through the real command line
(``microneedling screen … --json``): active skin cancer on the back, isotretinoin stopped two
months ago, keloid tendency plus four relative findings, a planned isotretinoin start. The same
cases through the JSON API are in tests/api/test_api_policy_v2_cases_screening.py.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from tests.conftest import intake_data, run_cli


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args)


def screen_json(tmp_path: Path, data: dict[str, Any]) -> dict[str, Any]:
    path = tmp_path / "intake.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = run("screen", str(path), "--json")
    assert result.returncode == 0, result.stderr
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def test_cancer_on_the_back_with_the_face_treated_is_caution(tmp_path: Path) -> None:
    data = screen_json(
        tmp_path,
        intake_data(
            zones=["cheeks", "forehead"],
            fitzpatrick=3,
            conditions=[{"code": "skin_cancer_active", "zones": ["back"]}],
        ),
    )
    assert data["decision"] == "caution"
    assert [(f["code"], f["severity"]) for f in data["findings"]] == [
        ("skin_cancer_active", "relative")
    ]
    assert "clearance from the treating physician" in data["precautions"][0]["instruction"]
    assert data["zones"] == ["forehead", "cheeks"]
    assert data["fitzpatrick"] == 3
    assert data["knowledge_base"]["version"].startswith("2.")
    assert data["knowledge_base"]["overrides_hash"] is None


def test_cancer_on_the_treated_cheeks_is_not_eligible(tmp_path: Path) -> None:
    data = screen_json(
        tmp_path, intake_data(conditions=[{"code": "skin_cancer_active", "zones": ["cheeks"]}])
    )
    assert data["decision"] == "not_eligible"


def test_isotretinoin_stopped_two_months_ago(tmp_path: Path) -> None:
    data = screen_json(
        tmp_path, intake_data(medications=[{"code": "isotretinoin", "stopped_on": "2026-10-01"}])
    )
    assert data["decision"] == "caution"
    assert data["earliest_date"] == "2026-12-01"
    (finding,) = data["findings"]
    assert (finding["severity"], finding["until"]) == ("relative", "2027-04-01")
    assert finding["sources"] == ["S-ISOTRETINOIN-PI", "S-SPRING2017", "S-WALDMAN2017"]
    assert "prescribing information" in finding["message"]
    assert "clinician decides" in finding["message"]


def test_keloid_plus_four_relative_findings(tmp_path: Path) -> None:
    data = screen_json(
        tmp_path,
        intake_data(
            conditions=[{"code": "keloid_tendency"}, {"code": "liver_disease_severe"}],
            medications=[{"code": "anticoagulant"}, {"code": "antiarrhythmic"}],
            allergies=[{"code": "nickel_allergy"}],
        ),
    )
    assert data["decision"] == "caution"
    assert sorted(f["code"] for f in data["findings"]) == [
        "antiarrhythmic",
        "anticoagulant",
        "keloid_tendency",
        "liver_disease_severe",
        "nickel_allergy",
    ]
    assert {code for p in data["precautions"] for code in p["codes"]} == {
        "antiarrhythmic",
        "anticoagulant",
        "liver_disease_severe",
        "nickel_allergy",
    }
    # Liver disease and the antiarrhythmic ask the same thing: said once, naming both.
    (no_lidocaine,) = [p for p in data["precautions"] if "lidocaine" in p["instruction"]]
    assert sorted(no_lidocaine["codes"]) == ["antiarrhythmic", "liver_disease_severe"]


def test_a_planned_isotretinoin_start_is_refused_in_plain_words(tmp_path: Path) -> None:
    path = tmp_path / "intake.json"
    data = intake_data(medications=[{"code": "isotretinoin", "started_on": "2026-12-20"}])
    path.write_text(json.dumps(data), encoding="utf-8")
    result = run("screen", str(path), "--json")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "medications[0].started_on" in result.stderr
    assert "a medication not yet started is recorded when it starts" in result.stderr


def test_the_human_output_names_the_zones_and_type(tmp_path: Path) -> None:
    path = tmp_path / "intake.json"
    path.write_text(json.dumps(intake_data(zones=["neck"], fitzpatrick=5)), encoding="utf-8")
    result = run("screen", str(path))
    assert result.returncode == 0, result.stderr
    assert "Zones screened: neck" in result.stdout
    assert "Fitzpatrick type: 5" in result.stdout
