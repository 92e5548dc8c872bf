"""Every benchmark script runs at small scale and prints its table, so none breaks unnoticed.

Each script in ``benchmarks/`` (but the helpers, ``_*.py``), found by listing the folder, is run
as ``python3 dev.py bench --quick`` runs it: a new process with ``--quick`` (a few seconds each;
the figures are not the targets'). It must exit 0 and print a table on stdout (the scripts print
theirs with ``_common.print_table``, a Rich table). What a machine lacks is said and skipped by
the script itself, never failed: PostgreSQL at 127.0.0.1:5432 (its rows are left out), ``wrk``
(``api.py`` falls back to a Python client), Chromium (``pages.py`` measures the start-up only).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
SCRIPTS = sorted(path for path in BENCHMARKS.glob("*.py") if not path.name.startswith("_"))
#: A Rich table's header row is drawn with this character.
TABLE = "┃"


def test_the_benchmarks_folder_has_its_scripts() -> None:
    assert {"api.py", "records.py", "pages.py", "screening.py"} <= {p.name for p in SCRIPTS}


@pytest.mark.slow
@pytest.mark.parametrize("script", SCRIPTS, ids=[path.name for path in SCRIPTS])
def test_the_benchmark_runs_at_small_scale_and_prints_its_table(script: Path) -> None:
    finished = subprocess.run(
        [sys.executable, str(script), "--quick"],
        cwd=BENCHMARKS.parent,
        env={**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "120"},
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=600,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-4000:]
    assert TABLE in finished.stdout, finished.stdout[-4000:] + finished.stderr[-2000:]
