"""What ``microneedling web --demo`` does before it answers, on a database already migrated and
holding the demo: the schema check reads the revision without Alembic (nor the migrations), and
the demo check finds the demo (issue 16)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

from alembic.script import ScriptDirectory

from microneedling.services.demo_clinic import build_demo_clinic
from microneedling.store import Database, PhotoFiles, UnitOfWork, migrate

PROGRAM = """
import json, sys
from datetime import date
from microneedling.services.demo_clinic import build_demo_clinic
from microneedling.services.maintenance import upgrade_database
from microneedling.store import Database, UnitOfWork

database = Database(sys.argv[1])
before, after = upgrade_database(database)
summary = build_demo_clinic(UnitOfWork(database), today=date(2026, 12, 1))
print(json.dumps({"revisions": [before, after], "already_loaded": summary.already_loaded,
                  "alembic": "alembic" in sys.modules}))
"""


def test_the_quick_reading_of_the_migrations_is_alembics() -> None:
    scripts = ScriptDirectory.from_config(migrate._config())
    assert migrate._simple_chain() is not None, "the migrations are one chain"
    assert migrate.head_revision() == scripts.get_current_head()
    assert migrate.known_revisions() == [script.revision for script in scripts.walk_revisions()]


def test_starting_on_a_migrated_demo_database_does_not_load_alembic(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'records.db'}"
    database = Database(url)
    migrate.upgrade(database)
    uow = UnitOfWork(database, PhotoFiles(tmp_path / "photos"))
    build_demo_clinic(uow, today=date(2026, 12, 1), patient_count=2, cache=None)
    database.dispose()

    result = subprocess.run(
        [sys.executable, "-c", PROGRAM, url],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    seen = json.loads(result.stdout.splitlines()[-1])
    head = migrate.head_revision()
    assert seen == {
        "revisions": [head, head],
        "already_loaded": True,
        "alembic": False,
    }
