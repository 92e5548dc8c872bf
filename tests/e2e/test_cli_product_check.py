"""`microneedling product-check` as a user runs it.

The command is exercised through a small Typer app wrapping ``product_check_command`` (so these tests
do not depend on its registration in ``cli/main.py``), and as a real process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from microneedling.cli.product_check import MAX_LABEL_FILE_BYTES, product_check_command
from microneedling.knowledge import shipped_knowledge_base

KB = shipped_knowledge_base()

ISSUE_EXAMPLE = "Aqua, Glycerin, Ascorbic Acid, Parfum"

app = typer.Typer(pretty_exceptions_enable=False, add_completion=False)
app.command("product-check")(product_check_command)


@app.callback()
def _group() -> None:
    """A group, so that the command is invoked by name as under `microneedling`."""


def invoke(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(app, ["product-check", *args], input=stdin)


def assert_clean_failure(result: Result, *words: str) -> None:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for word in words:
        assert word in lines[0], lines[0]


def test_issue_example_is_blocked_with_reasons_as_json() -> None:
    result = invoke("--hours", "30", ISSUE_EXAMPLE, "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["verdict"] == "blocked"
    assert data["hours_since_session"] == 30
    assert [found["class"] for found in data["classes_found"]] == ["vitamin_c", "fragrance"]
    assert [reason["code"] for reason in data["reasons"]] == ["vitamin_c", "fragrance"]
    assert data["allowed_from_hours"] == 168
    assert set(data["knowledge_base"]) == {"version", "hash"}


def test_readable_summary_without_json() -> None:
    result = invoke("--hours", "30", ISSUE_EXAMPLE)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "BLOCKED" in out
    assert "Vitamin C: Ascorbic Acid" in out and "Fragrance: Parfum" in out
    assert "Allowed from: 168 h (7 days) after the session" in out
    assert "S-SOLTANI2014" in out
    assert f"Knowledge base {KB.version} sha256:" in out


def test_allowed_product_exits_zero_and_says_allowed() -> None:
    result = invoke("--hours", "200", ISSUE_EXAMPLE)
    assert result.exit_code == 0 and "ALLOWED" in result.stdout


def test_sterile_flag_lets_a_neutral_product_pass_in_the_first_24_hours() -> None:
    without = json.loads(invoke("--hours", "3", "Aqua, Sodium Hyaluronate", "--json").stdout)
    assert without["verdict"] == "blocked"
    assert [reason["code"] for reason in without["reasons"]] == ["not_sterile"]
    result = invoke(
        "--hours", "3", "Aqua, Sodium Hyaluronate", "--sterile-post-procedure", "--json"
    )
    data = json.loads(result.stdout)
    assert data["verdict"] == "allowed"
    assert data["product"] == {
        "name": None,
        "sterile_post_procedure": True,
        "make_up": False,
        "mineral_sunscreen": False,
        "tint": [],
    }


def test_make_up_flag() -> None:
    data = json.loads(invoke("--hours", "47", "Aqua, Dimethicone", "--make-up", "--json").stdout)
    assert data["verdict"] == "blocked" and data["allowed_from_hours"] == 48
    data = json.loads(invoke("--hours", "48", "Aqua, Dimethicone", "--make-up", "--json").stdout)
    assert data["verdict"] == "allowed"


def test_unknown_ingredient_is_shown_and_warned_about() -> None:
    result = invoke("--hours", "100", "Aqua, Snail Secretion Filtrate")
    assert result.exit_code == 0
    assert "ALLOWED" in result.stdout
    assert "Not recognised" in result.stdout and "Snail Secretion Filtrate" in result.stdout
    assert "Warnings:" in result.stdout


def test_label_text_is_never_read_as_markup() -> None:
    result = invoke("--hours", "30", "Aqua, [red]Mystery[/red] (Serum [bold])")
    assert result.exit_code == 0, result.stderr
    assert "Mystery" in result.stdout


@pytest.mark.parametrize("hours", ["30", "30.5", "30,5", "30h", " 30 h "])
def test_hours_may_be_written_several_ways(hours: str) -> None:
    data = json.loads(invoke("--hours", hours, "Aqua", "--json").stdout)
    assert data["hours_since_session"] in (30, 30.5)


def test_file_option_reads_a_label(tmp_path: Path) -> None:
    label = tmp_path / "label.txt"
    label.write_text("\ufeffINGREDIENTS:\nAqua (Water), Glycerin,\nRetinol 0.3%.\n", "utf-8")
    data = json.loads(invoke("--hours", "100", "--file", str(label), "--json").stdout)
    assert data["ingredients"] == ["Aqua (Water)", "Glycerin", "Retinol"]
    assert data["verdict"] == "blocked"


def test_file_dash_reads_standard_input() -> None:
    result = invoke("--hours", "100", "--file", "-", "--json", stdin="Aqua, Glycerin")
    assert json.loads(result.stdout)["verdict"] == "allowed"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--hours", "-3", "Aqua"], ["--hours", "cannot be negative"]),
        (["--hours", "abc", "Aqua"], ["--hours", "expected a number of hours"]),
        (["--hours", "nan", "Aqua"], ["--hours", "finite"]),
        (["--hours", "inf", "Aqua"], ["--hours", "finite"]),
        (["Aqua"], ["--hours is required"]),
        (["--hours", "30"], ["give the ingredient list"]),
        (["--hours", "30", ""], ["no ingredients found"]),
        (["--hours", "30", " , ; ."], ["no ingredients found"]),
        (["--hours", "30", "x" * 20_001], ["limit is 20,000"]),
    ],
    ids=["negative", "not_a_number", "nan", "infinite", "no_hours", "no_list", "empty_list",
         "only_punctuation", "too_long"],
)  # fmt: skip
def test_bad_input_gives_one_line_and_exit_two(args: list[str], words: list[str]) -> None:
    assert_clean_failure(invoke(*args), *words)


def test_text_and_file_together_are_refused(tmp_path: Path) -> None:
    label = tmp_path / "label.txt"
    label.write_text("Aqua", "utf-8")
    assert_clean_failure(invoke("--hours", "30", "Aqua", "--file", str(label)), "not both")


def test_missing_file_is_refused(tmp_path: Path) -> None:
    assert_clean_failure(
        invoke("--hours", "30", "--file", str(tmp_path / "nope.txt")), "file not found"
    )


def test_huge_file_is_refused_before_reading(tmp_path: Path) -> None:
    label = tmp_path / "huge.txt"
    with label.open("wb") as handle:
        handle.truncate(50_000_000)
    assert_clean_failure(invoke("--hours", "30", "--file", str(label)), "bytes")


def test_file_just_over_the_character_limit_is_refused(tmp_path: Path) -> None:
    label = tmp_path / "long.txt"
    label.write_text("a" * (MAX_LABEL_FILE_BYTES // 4 + 1), "utf-8")
    assert_clean_failure(invoke("--hours", "30", "--file", str(label)), "limit is 20,000")


def test_binary_file_is_refused(tmp_path: Path) -> None:
    label = tmp_path / "label.bin"
    label.write_bytes(b"\xff\xfe\x00\x01" * 10)
    assert_clean_failure(invoke("--hours", "30", "--file", str(label)), "not UTF-8")


def test_empty_file_is_refused(tmp_path: Path) -> None:
    label = tmp_path / "empty.txt"
    label.write_text("  \n", "utf-8")
    assert_clean_failure(invoke("--hours", "30", "--file", str(label)), "empty")


def test_a_folder_is_not_a_label(tmp_path: Path) -> None:
    assert_clean_failure(invoke("--hours", "30", "--file", str(tmp_path)), "not a file")


# -- as a real process ---------------------------------------------------------------------------


def test_real_process_issue_example() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "microneedling", "product-check", "--hours", "30", ISSUE_EXAMPLE,
         "--json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["verdict"] == "blocked"


def test_real_process_bad_hours_exit_two_without_traceback() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "microneedling", "product-check", "--hours", "-1", "Aqua"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_one_ingredient_is_said_in_the_singular() -> None:
    one = invoke("--hours", "30", "Aqua")
    assert one.exit_code == 0, one.stderr
    assert "Read 1 ingredient: Aqua" in one.stdout
    two = invoke("--hours", "30", "Aqua, Glycerin")
    assert "Read 2 ingredients: Aqua, Glycerin" in two.stdout
