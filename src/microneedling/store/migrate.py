"""Schema migrations (Alembic), configured in code: no alembic.ini needed.

The migrations live in ``store/migrations/versions``; they are the only way the schema changes.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from microneedling.store.database import Database

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    """The newest revision this version of the software knows."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def known_revisions() -> list[str]:
    return [script.revision for script in ScriptDirectory.from_config(_config()).walk_revisions()]


def current_revision(database: Database) -> str | None:
    """The revision the database is at (None when it has never been migrated)."""
    with database.engine.connect() as connection:
        revision = MigrationContext.configure(connection).get_current_revision()
        connection.rollback()
    return revision


def upgrade(database: Database, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` (all of them by default)."""
    _run(database, "upgrade", revision)


def downgrade(database: Database, revision: str = "base") -> None:
    """Take the schema down to ``revision`` (``base`` drops every table)."""
    _run(database, "downgrade", revision)


def _run(database: Database, direction: str, revision: str) -> None:
    config = _config()
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        if direction == "upgrade":
            command.upgrade(config, revision)
        else:
            command.downgrade(config, revision)
