"""Starting the web application loads no science, plotting, optimiser or PDF library: those are
imported by the pages and commands that use them, when they are first used (issue 16)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

#: Top-level packages that ``microneedling web`` must not import before it answers.
HEAVY = ("scipy", "matplotlib", "ortools", "pandas", "numpy", "fpdf")

PROGRAM = """
import json, sys
from microneedling.application import create_clinic_app
from microneedling.config import Settings
from microneedling.store import Database

database = Database(sys.argv[1])
create_clinic_app(Settings(database_url=sys.argv[1], photo_dir=sys.argv[2]), database=database)
import microneedling.services.demo_clinic, microneedling.services.plan_science  # noqa: E401
import microneedling.store.migrate
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def _imported(tmp_path: Path) -> set[str]:
    url = f"sqlite:///{tmp_path / 'never-opened.db'}"
    result = subprocess.run(
        [sys.executable, "-c", PROGRAM, url, str(tmp_path / "photos")],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return set(json.loads(result.stdout.splitlines()[-1]))


def test_the_web_application_starts_without_the_heavy_libraries(tmp_path: Path) -> None:
    imported = _imported(tmp_path)
    assert "microneedling" in imported and "fastapi" in imported  # the program did run
    assert imported.isdisjoint(HEAVY), sorted(imported & set(HEAVY))
    assert "alembic" not in imported  # loaded only when there is something to migrate
