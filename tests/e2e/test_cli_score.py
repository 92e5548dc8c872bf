"""`microneedling score` as a user runs it: arguments, --file, --list, --json, and bad input.

The command is wrapped in a small Typer app here, so these tests do not depend on its registration
in `cli/main.py`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner, Result

from microneedling.cli.score import MAX_INPUT_FILE_BYTES, score_command

app = typer.Typer(pretty_exceptions_enable=False, add_completion=False)
app.command()(score_command)
runner = CliRunner()

VSS = ["vascularity=1", "pigmentation=1", "pliability=2", "height=1"]
MMASI = {
    "forehead": {"area": 2, "darkness": 1},
    "right_malar": {"area": 3, "darkness": 2},
    "left_malar": {"area": 3, "darkness": 2},
    "chin": {"area": 1, "darkness": 1},
}
MMASI_ARGS = [f"{region}.{name}={value}"
              for region, values in MMASI.items() for name, value in values.items()]  # fmt: skip
GOODMAN_ZERO = [f"{lesion}=0" for lesion in (
    "macular", "mildly_atrophic", "moderately_atrophic", "punched_out_shallow",
    "shallow_broad_atrophic", "punched_out_deep_normal", "punched_out_deep_abnormal",
    "linear_troughed", "deep_broad_atrophic", "papular", "hypertrophic_keloid")]  # fmt: skip


def run(*args: str) -> Result:
    return runner.invoke(app, list(args))


def as_json(*args: str) -> dict[str, Any]:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def assert_clean_failure(result: Result, *words: str) -> None:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for word in words:
        assert word in lines[0], lines[0]


# Scoring -------------------------------------------------------------------------------------


def test_vss_json_has_exactly_the_contract_keys() -> None:
    data = as_json("vss", *VSS)
    assert list(data) == [
        "scale", "version", "inputs", "score", "range", "interpretation", "better", "warnings",
        "sources", "knowledge_base",
    ]  # fmt: skip
    assert data["score"] == 5
    assert data["range"] == {"min": 0, "max": 13}
    assert data["better"] == "lower"
    assert data["sources"] == ["S-VSS"]
    assert set(data["knowledge_base"]) == {"version", "hash"}


def test_mmasi_from_arguments() -> None:
    data = as_json("mmasi", *MMASI_ARGS)
    assert data["score"] == 4.3
    assert data["inputs"]["right_malar.area"] == 3


def test_mmasi_from_a_nested_json_file_scores_the_same(tmp_path: Path) -> None:
    path = write(tmp_path / "mmasi.json", MMASI)
    assert as_json("mmasi", "--file", str(path)) == as_json("mmasi", *MMASI_ARGS)


def test_a_yaml_file_with_flat_names_works_too(tmp_path: Path) -> None:
    path = tmp_path / "vss.yaml"
    path.write_text("vascularity: 1\npigmentation: 1\npliability: 2\nheight: 1\n", "utf-8")
    assert as_json("vss", "--file", str(path))["score"] == 5


def test_file_and_arguments_combine(tmp_path: Path) -> None:
    path = write(tmp_path / "part.json", {"vascularity": 1, "pigmentation": 1})
    assert as_json("vss", "--file", str(path), "pliability=2", "height=1")["score"] == 5


def test_a_one_input_scale_takes_a_bare_value() -> None:
    data = as_json("gais", "2")
    assert data["score"] == 2
    assert data["interpretation"]["label"] == "Much improved"
    assert as_json("gais", "grade=2") == data


def test_glogau_takes_a_roman_numeral() -> None:
    data = as_json("glogau", "III")
    assert (data["score"], data["interpretation"]["band"]) == (3, "type_iii")


def test_satisfaction_takes_one_decimal_place() -> None:
    data = as_json("satisfaction", "7.5")
    assert (data["score"], data["better"]) == (7.5, "higher")


def test_goodman_quantitative_result_carries_the_to_verify_warning() -> None:
    counts = [arg for arg in GOODMAN_ZERO if not arg.startswith("papular")]
    data = as_json("goodman_quantitative", *counts, "papular=11")
    assert data["score"] == 4
    assert any("to be verified against the original" in w for w in data["warnings"])


@pytest.mark.parametrize(("level", "points"), [(0, 0), (1, 6), (2, 12), (3, 18)])
def test_goodman_quantitative_scores_hypertrophic_keloid_scarring_by_area(
    level: int, points: int
) -> None:
    others = [arg for arg in GOODMAN_ZERO if not arg.startswith("hypertrophic_keloid")]
    data = as_json("goodman_quantitative", *others, f"hypertrophic_keloid={level}")
    assert data["score"] == points and data["range"] == {"min": 0, "max": 84}


def test_goodman_quantitative_refuses_a_bad_area_level() -> None:
    others = [arg for arg in GOODMAN_ZERO if not arg.startswith("hypertrophic_keloid")]
    result = run("goodman_quantitative", *others, "hypertrophic_keloid=4")
    assert result.exit_code == 2
    assert "hypertrophic_keloid: must be 0–3, got 4" in result.stderr


def test_posas_scores_both_parts() -> None:
    observer = [
        f"observer.{n}=2"
        for n in (
            "vascularity",
            "pigmentation",
            "thickness",
            "relief",
            "pliability",
            "surface_area",
            "overall",
        )
    ]
    patient = [f"patient.{n}=3" for n in ("pain", "itching", "colour", "stiffness", "thickness",
                                          "irregularity", "overall")]  # fmt: skip
    data = as_json("posas", *observer, *patient)
    assert data["score"] == {"observer": 12, "patient": 18, "observer_overall": 2,
                             "patient_overall": 3}  # fmt: skip


def test_readable_output() -> None:
    result = run("vss", *VSS)
    assert result.exit_code == 0, result.stderr
    assert "VSS" in result.stdout and "Vancouver Scar Scale" in result.stdout
    assert "Score: 5" in result.stdout and "lower is better" in result.stdout
    assert "Yielding" in result.stdout  # the meaning of pliability 2
    assert "Sources: S-VSS" in result.stdout
    assert "Knowledge base" in result.stdout


def test_readable_output_shows_the_band_and_the_warning() -> None:
    assert "Interpretation: Much improved" in run("gais", "2").stdout
    output = run("goodman_quantitative", *GOODMAN_ZERO).stdout
    assert "Warning:" in output and "verified against the original" in " ".join(output.split())


# Listing -------------------------------------------------------------------------------------


def test_list_shows_every_scale_and_its_inputs() -> None:
    result = run("--list")
    assert result.exit_code == 0, result.stderr
    for code in ("gais", "goodman_qualitative", "goodman_quantitative", "mmasi", "vss", "posas",
                 "glogau", "satisfaction"):  # fmt: skip
        assert code in result.stdout
    assert "forehead.area" in result.stdout and "observer.surface_area" in result.stdout


def test_list_json_describes_inputs_and_bands() -> None:
    data = as_json("--list")
    scales = {scale["code"]: scale for scale in data["scales"]}
    assert len(scales) == 8
    [area] = [spec for spec in scales["mmasi"]["inputs"] if spec["name"] == "chin.area"]
    assert (area["min"], area["max"], area["kind"]) == (0, 6, "integer")
    assert [band["code"] for band in scales["glogau"]["bands"]] == [
        "type_i", "type_ii", "type_iii", "type_iv"]  # fmt: skip
    assert scales["goodman_quantitative"]["to_verify"][0]["warn"] is True


def test_list_shows_what_was_verified_and_where() -> None:
    output = " ".join(run("--list", "posas").stdout.split())
    assert "Verified, original:" in output and "posas.nl" in output
    data = as_json("--list", "goodman_quantitative")
    [scale] = data["scales"]
    assert any("10.1111/j.1473-2165.2006.00222.x" in note["where"] for note in scale["verified"])


def test_list_of_one_scale() -> None:
    data = as_json("--list", "vss")
    assert [scale["code"] for scale in data["scales"]] == ["vss"]


# Bad input: one line on stderr, exit 2 -------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["masi"], ["unknown scale 'masi'", "mmasi"]),
        (["vss", *VSS, "colour=2"], ["colour: not an input of VSS"]),
        (["vss", *VSS[:3]], ["height: is required"]),
        (["vss", "vascularity=1"], ["pigmentation: is required", "height: is required"]),
        (["mmasi", *MMASI_ARGS[:2], "right_malar.area=7", *MMASI_ARGS[3:]],
         ["right_malar.area: must be 0–6, got 7"]),
        (["vss", "vascularity=1.5", *VSS[1:]], ["vascularity: must be a whole number, got 1.5"]),
        (["vss", "vascularity=one", *VSS[1:]], ["vascularity: must be 0–3, got 'one'"]),
        (["vss", "vascularity", *VSS[1:]], ["malformed argument 'vascularity'", "KEY=VALUE"]),
        (["vss", "=1", *VSS[1:]], ["malformed argument '=1'", "no name before '='"]),
        (["vss", "vascularity=", *VSS[1:]], ["vascularity: no value after '='"]),
        (["vss", *VSS, "height=2"], ["height: given twice"]),
        (["gais", "2", "3"], ["malformed argument '2'"]),
        (["gais", "6"], ["grade: must be 1–5, got 6"]),
        (["glogau", "V"], ["type: must be 1–4 or I, II, III, IV, got 'V'"]),
        (["satisfaction", "7.25"], ["vas: must have at most 1 decimal place, got 7.25"]),
        ([], ["give a scale"]),
        (["--list", "vss", "height=1"], ["--list takes no inputs"]),
        (["--list", "nope"], ["unknown scale 'nope'"]),
    ],
)  # fmt: skip
def test_bad_arguments_fail_cleanly(args: list[str], words: list[str]) -> None:
    assert_clean_failure(run(*args), *words)


def test_a_huge_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    path.write_text('{"vascularity": 1' + " " * MAX_INPUT_FILE_BYTES + "}", encoding="utf-8")
    assert_clean_failure(run("vss", "--file", str(path)), "the limit is")


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("[1, 2]", ["expected an object of name: value pairs"]),
        ("{not json", ["not valid JSON"]),
        ('{"vascularity": 1, "vascularity": 2}', ["duplicate key 'vascularity'"]),
        ('{"vascularity": NaN}', ["NaN is not allowed"]),
        ("", ["file is empty"]),
    ],
)
def test_a_bad_file_fails_cleanly(tmp_path: Path, content: str, words: list[str]) -> None:
    path = tmp_path / "inputs.json"
    path.write_text(content, encoding="utf-8")
    assert_clean_failure(run("vss", "--file", str(path)), *words)


def test_a_missing_file_fails_cleanly(tmp_path: Path) -> None:
    assert_clean_failure(run("vss", "--file", str(tmp_path / "nowhere.json")), "file not found")


def test_an_input_in_both_file_and_arguments_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "vss.json", {"vascularity": 1, "pigmentation": 1, "pliability": 2,
                                         "height": 1})  # fmt: skip
    assert_clean_failure(run("vss", "--file", str(path), "height=2"),
                         "height: given both in --file and on the command line")  # fmt: skip


def test_every_problem_is_listed_not_counted() -> None:
    """`score vss vascularity=9`: the out-of-range value and each missing input, all named."""
    result = run("vss", "vascularity=9")
    assert_clean_failure(
        result,
        "vascularity: must be 0–3, got 9",
        "pigmentation: is required",
        "pliability: is required",
        "height: is required",
    )
    assert "more problems" not in result.stderr


def test_every_problem_is_listed_by_the_real_command() -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "microneedling", "score", "vss", "vascularity=9"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: vascularity: must be 0–3, got 9; pigmentation: is required; "
        "pliability: is required; height: is required"
    )
