"""Schema migrations (Alembic), configured in code: no alembic.ini needed.

The migrations live in ``store/migrations/versions``; they are the only way the schema changes.

Every start of ``microneedling web`` (and most commands) migrates first, and almost always the
database is already at the newest revision. That check is made without Alembic: the revisions are
read from the migration files' ``revision = "…"`` and ``down_revision = "…"`` lines, and the
database's revision from its ``alembic_version`` table, one query. Alembic (and every migration
module it imports) is loaded only when there is something to migrate, or when the files are not
one simple chain (a merge, a branch), in which case Alembic's own reading is used throughout.
A test keeps the quick reading equal to Alembic's.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text

from microneedling.store.database import Database

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: The table Alembic keeps the database's revision in.
VERSION_TABLE = "alembic_version"

_REVISION = re.compile(r"^revision(?:\s*:[^=\n]*)?\s*=\s*['\"]([^'\"]+)['\"]\s*$", re.MULTILINE)
_DOWN_REVISION = re.compile(
    r"^down_revision(?:\s*:[^=\n]*)?\s*=\s*(?:None|['\"]([^'\"]+)['\"])\s*$", re.MULTILINE
)


def _config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@cache
def _simple_chain() -> tuple[str, ...] | None:
    """The revisions, newest first, read from the files; None unless they form one plain chain
    (then Alembic reads them instead)."""
    down: dict[str, str | None] = {}
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        if path.name.startswith("_"):
            continue
        source = path.read_text("utf-8")
        revisions = _REVISION.findall(source)
        downs = _DOWN_REVISION.findall(source)
        if len(revisions) != 1 or len(downs) != 1 or revisions[0] in down:
            return None
        down[revisions[0]] = downs[0] or None
    parents = [parent for parent in down.values() if parent is not None]
    heads = set(down) - set(parents)
    if len(heads) != 1 or len(parents) != len(set(parents)) or not set(parents) <= set(down):
        return None
    chain = [heads.pop()]
    while (parent := down[chain[-1]]) is not None:
        chain.append(parent)
    return tuple(chain) if len(chain) == len(down) else None


def _alembic_revisions() -> list[str]:
    from alembic.script import ScriptDirectory

    return [script.revision for script in ScriptDirectory.from_config(_config()).walk_revisions()]


def head_revision() -> str:
    """The newest revision this version of the software knows."""
    chain = _simple_chain()
    if chain is not None:
        return chain[0]
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def known_revisions() -> list[str]:
    """Every revision this version of the software knows, newest first."""
    chain = _simple_chain()
    return list(chain) if chain is not None else _alembic_revisions()


def current_revision(database: Database) -> str | None:
    """The revision the database is at (None when it has never been migrated)."""
    with database.engine.connect() as connection:
        try:
            if not inspect(connection).has_table(VERSION_TABLE):
                return None
            rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).all()
        finally:
            connection.rollback()
    if len(rows) > 1:  # more than one head: let Alembic say what it makes of it
        from alembic.runtime.migration import MigrationContext

        with database.engine.connect() as connection:
            revision = MigrationContext.configure(connection).get_current_revision()
            connection.rollback()
        return revision
    return str(rows[0][0]) if rows else None


def upgrade(database: Database, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` (all of them by default).

    A database already at the newest revision is left alone without loading Alembic.
    """
    quick = revision in ("head", "heads") and _simple_chain() is not None
    if quick and current_revision(database) == head_revision():
        return
    _run(database, "upgrade", revision)


def downgrade(database: Database, revision: str = "base") -> None:
    """Take the schema down to ``revision`` (``base`` drops every table)."""
    _run(database, "downgrade", revision)


def _run(database: Database, direction: str, revision: str) -> None:
    from alembic import command

    config = _config()
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        if direction == "upgrade":
            command.upgrade(config, revision)
        else:
            command.downgrade(config, revision)
