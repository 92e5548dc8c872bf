"""`microneedling screen`, `kb` and `schema` as a user runs them: the real command line (in this
process, tests/conftest.py `run_cli`; tests/e2e/test_cli_startup.py starts real ones), real files."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import intake_data, run_cli

TOP_LEVEL_KEYS = [
    "decision",
    "earliest_date",
    "findings",
    "precautions",
    "on",
    "zones",
    "fitzpatrick",
    "knowledge_base",
]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=cwd)


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def assert_clean_failure(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_screen_json_has_exactly_the_contract_keys(tmp_path: Path) -> None:
    intake = intake_data(medications=[{"code": "topical_retinoid", "stopped_on": "2026-11-28"}])
    result = run("screen", str(write(tmp_path / "intake.json", intake)), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert list(data) == TOP_LEVEL_KEYS
    assert data["decision"] == "defer"
    assert data["earliest_date"] == "2026-12-05"
    assert set(data["findings"][0]) == {"code", "severity", "message", "sources", "until"}
    assert set(data["knowledge_base"]) == {"version", "hash", "overrides_hash"}


def test_issue_example_intake(tmp_path: Path) -> None:
    example = {
        "on": "2026-12-01",
        "patient": {"birth_date": "1990-05-17", "sex": "female", "fitzpatrick": 3},
        "zones": ["cheeks", "forehead"],
        "conditions": [{"code": "acne_active", "zones": ["cheeks"]}],
        "medications": [{"code": "topical_retinoid", "stopped_on": "2026-11-28"}],
        "procedures": [{"code": "botulinum_toxin", "on": "2026-11-24", "zones": ["glabella"]}],
        "allergies": [],
    }
    data = json.loads(run("screen", str(write(tmp_path / "i.json", example)), "--json").stdout)
    assert data["decision"] == "defer"
    assert data["earliest_date"] is None  # active acne has no computable end
    assert [f["code"] for f in data["findings"]] == ["acne_active", "topical_retinoid"]


@pytest.mark.parametrize("decision_intake", [
    intake_data(conditions=[{"code": "bleeding_disorder"}]),
    intake_data(conditions=[{"code": "keloid_tendency"}]),
    intake_data(),
])  # fmt: skip
def test_exit_zero_whatever_the_decision(tmp_path: Path, decision_intake: dict[str, Any]) -> None:
    assert run("screen", str(write(tmp_path / "i.json", decision_intake)), "--json").returncode == 0


def test_yaml_intake_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "intake.yaml"
    path.write_text(
        "on: 2026-12-01\npatient: {birth_date: 1990-05-17, fitzpatrick: 5}\nzones: [face]\n",
        encoding="utf-8",
    )
    data = json.loads(run("screen", str(path), "--json").stdout)
    assert data["decision"] == "eligible"
    assert [f["code"] for f in data["findings"]] == ["fitzpatrick_4_6"]


def test_readable_summary_without_json(tmp_path: Path) -> None:
    intake = intake_data(conditions=[{"code": "pregnancy"}])
    result = run("screen", str(write(tmp_path / "i.json", intake)))
    assert result.returncode == 0
    assert "DEFER" in result.stdout and "pregnancy" in result.stdout.lower()


def test_demo_screens_the_bundled_intake() -> None:
    result = run("screen", "--demo")
    assert result.returncode == 0
    assert "Decision:" in result.stdout


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ('{"on": ', "not valid JSON"),
        ("", "empty"),
        ("[1, 2]", "JSON object"),
        ('{"on": "2026-12-01", "on": "2026-12-02"}', "duplicate key 'on'"),
        (json.dumps(intake_data(conditions=[{"code": "unicorn"}])), "conditions[0].code"),
        (json.dumps(intake_data(fitzpatrick=9)), "patient.fitzpatrick"),
        (json.dumps({**intake_data(), "zones": [{"a": 1}]}), "zones[0]"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"on": NaN}', "NaN"),
    ],
)
def test_bad_input_gives_one_line_and_exit_two(tmp_path: Path, content: str, words: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    assert_clean_failure(run("screen", str(path), "--json"), words)


def test_binary_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "photo.json"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00")
    assert_clean_failure(run("screen", str(path)), "not UTF-8")


def test_missing_file_is_refused(tmp_path: Path) -> None:
    assert_clean_failure(run("screen", str(tmp_path / "nope.json")), "file not found")


def test_a_50_mb_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as handle:
        handle.write(b'{"pad": "')
        handle.write(b"x" * (50 * 1024 * 1024))
        handle.write(b'"}')
    assert_clean_failure(run("screen", str(path), "--json"), "limit")


def test_no_argument_explains_what_to_give() -> None:
    assert_clean_failure(run("screen"), "give an intake file")


def test_batch_screens_every_line_and_reports_bad_ones(tmp_path: Path) -> None:
    source = tmp_path / "intakes.jsonl"
    lines = [
        json.dumps(intake_data()),
        "{not json",
        json.dumps(intake_data(conditions=[{"code": "pregnancy"}])),
        "",
        json.dumps(intake_data(zones=["elbow"])),
        json.dumps(intake_data(medications=[{"code": "isotretinoin"}])),
    ]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "results.jsonl"
    result = run("screen", "--batch", str(source), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "line 2:" in result.stderr and "line 5:" in result.stderr and "zones[0]" in result.stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["line"] for r in records] == [1, 2, 3, 5, 6]
    assert [r.get("decision", "error") for r in records] == [
        "eligible", "error", "defer", "error", "not_eligible",
    ]  # fmt: skip


def test_batch_needs_out(tmp_path: Path) -> None:
    source = tmp_path / "a.jsonl"
    source.write_text(json.dumps(intake_data()) + "\n")
    assert_clean_failure(run("screen", "--batch", str(source)), "--out")


def test_schema_intake_prints_a_json_schema_with_codes() -> None:
    result = run("schema", "intake")
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    assert schema["type"] == "object"
    assert "zones" in schema["required"]
    assert "topical_retinoid" in schema["$defs"]["Medication"]["properties"]["code"]["enum"]
    assert "face" in schema["properties"]["zones"]["items"]["enum"]


def test_kb_validate_the_shipped_one() -> None:
    result = run("kb", "validate", "--json")
    assert result.returncode == 0
    assert json.loads(result.stdout)["valid"] is True


def test_kb_validate_a_broken_folder_lists_problems_and_exits_two(tmp_path: Path) -> None:
    import shutil

    from microneedling.knowledge import SHIPPED_PATH

    folder = tmp_path / "kb"
    shutil.copytree(SHIPPED_PATH, folder)
    text = (
        (folder / "screening.yaml").read_text().replace("sources: [S-SKINPEN]", "sources: [S-X]", 1)
    )
    (folder / "screening.yaml").write_text(text)
    result = run("kb", "validate", str(folder))
    assert result.returncode == 2
    assert "screening.yaml, line" in result.stderr and "unknown source key 'S-X'" in result.stderr
    assert "Traceback" not in result.stderr


def test_kb_show_prints_tables() -> None:
    result = run("kb", "show")
    assert result.returncode == 0
    for word in ("Zones", "Findings", "Screening rules", "Sources", "periorbital"):
        assert word in result.stdout


def test_batch_summary_accounts_for_every_line_read(tmp_path: Path) -> None:
    source = tmp_path / "intakes.jsonl"
    lines = [
        json.dumps(intake_data()),
        "{not json",
        json.dumps(intake_data(conditions=[{"code": "pregnancy"}])),
        json.dumps(intake_data(zones=["elbow"])),
    ]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "results.jsonl"
    result = run("screen", "--batch", str(source), "--out", str(out))
    assert result.returncode == 0, result.stderr
    summary = result.stderr.strip().splitlines()[-1]
    assert summary == f"Read 4 lines: 2 screened, 2 with errors; results in {out}"


def test_batch_summary_counts_blank_lines_and_says_one_in_the_singular(tmp_path: Path) -> None:
    source = tmp_path / "intakes.jsonl"
    source.write_text(json.dumps(intake_data()) + "\n\n", encoding="utf-8")
    out = tmp_path / "results.jsonl"
    result = run("screen", "--batch", str(source), "--out", str(out))
    assert result.returncode == 0, result.stderr
    summary = result.stderr.strip().splitlines()[-1]
    assert summary == (
        f"Read 2 lines: 1 screened, 0 with errors, 1 blank line skipped; results in {out}"
    )
