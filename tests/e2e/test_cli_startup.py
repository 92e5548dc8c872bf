"""`microneedling` starts without importing what it does not need, as a real process.

``--help`` lists every command with its one-line help and imports none of them; a screening or a
plan imports no SciPy, OR-Tools, pandas, SQLAlchemy, Matplotlib or web server. (How fast that is,
is measured by ``benchmarks/startup.py``, not here: no test depends on the wall clock.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from microneedling.cli.main import COMMANDS
from microneedling.cli.simulate import SIMULATE_COMMANDS

#: Libraries only some commands need: none of them is imported to screen, plan or show help.
HEAVY = (
    "scipy", "ortools", "pandas", "sqlalchemy", "alembic", "matplotlib", "fastapi", "starlette",
    "uvicorn", "jinja2", "fpdf", "PIL", "psycopg", "icalendar", "httpx",
)  # fmt: skip

#: Runs the command line in this process, then writes every module it imported to a file.
PROBE = """
import json, sys
from microneedling.cli.main import app
try:
    app(sys.argv[2:], prog_name="microneedling")
except SystemExit as stop:
    code = stop.code
else:
    code = 0
with open(sys.argv[1], "w") as out:
    json.dump({"code": code, "modules": sorted(sys.modules)}, out)
"""


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "microneedling", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "400"},
    )


def imported_by(tmp_path: Path, *args: str) -> set[str]:
    """The modules ``microneedling ARGS`` imports (it must succeed)."""
    report = tmp_path / "modules.json"
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(report), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "MICRONEEDLING_DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}"},
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(report.read_text())
    assert data["code"] in (0, None), result.stderr
    return set(data["modules"])


def heavy_in(modules: set[str]) -> list[str]:
    return sorted({name.split(".")[0] for name in modules} & set(HEAVY))


def test_help_lists_every_command_with_its_one_line_help() -> None:
    result = run("--help")
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.replace("│", " ").split())
    for name, entry in COMMANDS.items():
        assert f"{name} {entry.summary}" in text, name
    assert "--version" in text


def test_help_imports_none_of_the_commands(tmp_path: Path) -> None:
    modules = imported_by(tmp_path, "--help")
    commands = {name for name in modules if name.startswith("microneedling.cli.")}
    assert commands <= {"microneedling.cli.main", "microneedling.cli.lazy"}
    assert not {name for name in modules if name.startswith("microneedling.knowledge")}
    assert heavy_in(modules) == []


def test_simulate_help_lists_its_commands_without_importing_them(tmp_path: Path) -> None:
    result = run("simulate", "--help")
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.replace("│", " ").split())
    for name, entry in SIMULATE_COMMANDS.items():
        assert f"{name} {entry.summary}" in text, name
    modules = imported_by(tmp_path, "simulate", "--help")
    assert not {name for name in modules if name.startswith("microneedling.cli.simulate_")}
    assert not {name for name in modules if name.startswith("microneedling.simulation")}


@pytest.mark.parametrize(
    "command",
    [
        ["screen", "--demo", "--json"],
        ["screen", "--demo"],
        ["plan", "--demo", "--json"],
        ["plan", "--demo"],
        ["score", "vss", "vascularity=1", "pigmentation=1", "pliability=2", "height=1"],
        ["product-check", "--hours", "30", "Aqua, Glycerin"],
        ["kb", "validate"],
        ["schema", "intake"],
    ],
    ids=" ".join,
)
def test_the_pure_commands_import_no_heavy_library(tmp_path: Path, command: list[str]) -> None:
    modules = imported_by(tmp_path, *command)
    assert heavy_in(modules) == []
    assert not {name for name in modules if name.startswith(("microneedling.services",
                                                              "microneedling.store"))}  # fmt: skip


def test_a_screening_imports_only_its_own_command(tmp_path: Path) -> None:
    modules = imported_by(tmp_path, "screen", "--demo", "--json")
    commands = {name for name in modules if name.startswith("microneedling.cli.")}
    assert commands == {
        "microneedling.cli.main",
        "microneedling.cli.lazy",
        "microneedling.cli.screen",
        "microneedling.cli.common",
        "microneedling.cli.inputs",
    }


def test_version_prints_the_installed_version() -> None:
    result = run("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"microneedling {version('microneedling')}\n"


def test_a_mistyped_command_is_refused_with_the_nearest_names() -> None:
    result = run("scren")
    assert result.returncode == 2
    assert "No such command 'scren'" in result.stderr
    assert "Did you mean 'screen'" in result.stderr


def test_a_subcommands_own_help_and_options_still_work() -> None:
    result = run("screen", "--help")
    assert result.returncode == 0, result.stderr
    assert "--batch" in result.stdout and "--demo" in result.stdout
    nested = run("calendar", "series", "--help")
    assert nested.returncode == 0, nested.stderr
    assert "--as" in nested.stdout
