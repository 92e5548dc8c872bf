"""`microneedling simulate ... --plot FILE` says where it wrote the figure (on stderr, so that
``--json`` output stays one JSON document)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from tests.conftest import run_cli

COMMANDS = {
    "geometry": ["geometry", "--device", "pen", "--needle-mm", "1", "--speed-mm-s", "20"],
    "inflammation": ["inflammation", "--days", "10"],
    "resealing": ["resealing"],
}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_plot_says_where_it_was_written(tmp_path: Path, name: str) -> None:
    plot = tmp_path / f"{name}.svg"
    result = run("simulate", *COMMANDS[name], "--json", "--plot", str(plot))
    assert result.returncode == 0, result.stderr
    json.loads(result.stdout)
    assert f"Plot written to {plot.resolve()}" in result.stderr
    assert plot.read_text(encoding="utf-8").lstrip().startswith("<?xml")
