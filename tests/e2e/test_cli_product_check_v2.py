"""`microneedling product-check` under policy version 2: the make-up window, mineral sunscreens,
the clinic's own hours (--make-up-window, --unknown-block) and approved products (--approved)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner, Result

from microneedling.cli.product_check import MAX_APPROVED_FILE_BYTES, product_check_command

app = typer.Typer(pretty_exceptions_enable=False, add_completion=False)
app.command("product-check")(product_check_command)

TXA = "Aqua, Tranexamic Acid, Sodium Hyaluronate"
TINTED = "Aqua, Zinc Oxide 18%, Glycerin, Iron Oxides (CI 77491, CI 77492)"
APPROVAL = {
    "name": "Clinic TXA serum",
    "ingredients": TXA,
    "sterile": True,
    "from_hours": 0,
    "approved_by": "Dr Ada Lovelace",
    "approved_on": "2026-11-02",
}


@app.callback()
def _group() -> None:
    """A group, so that the command is invoked by name as under `microneedling`."""


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, ["product-check", *args])


def as_json(*args: str) -> dict[str, Any]:
    result = invoke(*args, "--json")
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def assert_clean_failure(result: Result, *words: str) -> None:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for word in words:
        assert word in lines[0], lines[0]


def write(tmp_path: Path, data: Any, name: str = "approved.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("args", "verdict", "allowed_from"),
    [
        (["--hours", "30", "Aqua, Glycerin, Mica"], "blocked", 48),
        (["--hours", "48", "Aqua, Glycerin, Mica"], "allowed", None),
        (["--hours", "48", "Aqua, Glycerin, Mica", "--make-up-window", "72"], "blocked", 72),
        (["--hours", "30", "Aqua, Glycerin, Mica", "--make-up-window", "24 h"], "allowed", None),
        (["--hours", "30", TINTED], "allowed", None),
        (["--hours", "23", TINTED], "blocked", 24),
        (["--hours", "30", "Aqua, Mystery"], "blocked", 72),
        (["--hours", "30", "Aqua, Mystery", "--unknown-block", "24"], "allowed", None),
    ],
)
def test_windows_from_a_table(args: list[str], verdict: str, allowed_from: int | None) -> None:
    data = as_json(*args)
    assert data["verdict"] == verdict
    assert data["allowed_from_hours"] == allowed_from


def test_the_summary_names_a_mineral_sunscreen_and_the_hours_used() -> None:
    result = invoke("--hours", "30", TINTED, "--make-up-window", "72")
    assert result.exit_code == 0, result.stderr
    assert "ALLOWED" in result.stdout
    assert "Mineral sunscreen, not make-up (tint: Iron Oxides" in result.stdout
    assert "Make-up window 72 h (3 days); unknown-ingredient block 72 h (3 days)" in result.stdout


def test_an_approved_product_passes_with_the_approval_as_its_reason(tmp_path: Path) -> None:
    path = write(tmp_path, [APPROVAL])
    data = as_json(
        "--hours", "2", "Sodium Hyaluronate, Tranexamic Acid, Aqua", "--approved", str(path)
    )
    assert data["verdict"] == "allowed"
    assert data["approval"]["name"] == "Clinic TXA serum" and data["approval"]["passes"]
    assert [reason["code"] for reason in data["waived"]] == ["not_sterile", "unknown_ingredients"]
    result = invoke("--hours", "2", TXA, "--approved", str(path))
    assert "Clinic approval:" in result.stdout and "Dr Ada Lovelace" in result.stdout
    assert "Set aside by the approval:" in result.stdout


def test_an_approval_waits_for_its_hour_and_its_name(tmp_path: Path) -> None:
    path = write(tmp_path, {"approved_products": [{**APPROVAL, "from_hours": 30}]})
    data = as_json("--hours", "2", TXA, "--approved", str(path))
    assert data["verdict"] == "blocked" and data["allowed_from_hours"] == 30
    data = as_json("--hours", "31", TXA, "--approved", str(path), "--name", "Other")
    assert data["verdict"] == "blocked" and data["approval"] is None


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("{not json", "not valid JSON"),
        ('"a string"', "expected a JSON list"),
        ("[1]", "approved product 1: expected an object"),
        (json.dumps([{**APPROVAL, "sterile": False}]), "approved product 1 from_hours: a product"),
        (json.dumps([{**APPROVAL, "from_hours": -1}]), "before the session"),
        (json.dumps([{**APPROVAL, "approved_on": "yesterday"}]), "approved_on: expected a date"),
        (json.dumps([{**APPROVAL, "extra": 1}]), "extra: unknown field"),
        (json.dumps([{k: v for k, v in APPROVAL.items() if k != "name"}]), "name: is required"),
        (json.dumps([APPROVAL] * 201), "more than 200 approved products"),
        ("[" * 100_000, "nested too deeply"),
    ],
)
def test_a_bad_approved_products_file_is_one_clean_error(
    tmp_path: Path, content: str, words: str
) -> None:
    path = tmp_path / "approved.json"
    path.write_text(content, encoding="utf-8")
    assert_clean_failure(invoke("--hours", "2", TXA, "--approved", str(path)), words)


def test_missing_binary_and_oversized_approved_files(tmp_path: Path) -> None:
    assert_clean_failure(
        invoke("--hours", "2", TXA, "--approved", str(tmp_path / "none.json")), "file not found"
    )
    assert_clean_failure(invoke("--hours", "2", TXA, "--approved", str(tmp_path)), "not a file")
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00[")
    assert_clean_failure(invoke("--hours", "2", TXA, "--approved", str(binary)), "not UTF-8")
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (MAX_APPROVED_FILE_BYTES + 1))
    assert_clean_failure(invoke("--hours", "2", TXA, "--approved", str(big)), "bytes")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--make-up-window", "200"], "--make-up-window: must be 24–168 h, got 200"),
        (["--make-up-window", "12"], "--make-up-window: must be 24–168 h"),
        (["--make-up-window", "48.5"], "--make-up-window: expected a whole number"),
        (["--make-up-window", "-48"], "--make-up-window: expected a whole number"),
        (["--make-up-window", "x" * 5000], "--make-up-window: expected a whole number"),
        (["--unknown-block", "169"], "--unknown-block: must be 24–168 h"),
        (["--unknown-block", "١٢٠"], "--unknown-block: expected a whole number"),
        (["--name", "x" * 500], "--name: at most 200 characters"),
    ],
)
def test_bad_options_are_one_clean_error(args: list[str], words: str) -> None:
    assert_clean_failure(invoke("--hours", "30", "Aqua", *args), words)
