"""The schema is built and removed only by the migrations, and they match the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from microneedling.store import Database
from microneedling.store.migrate import current_revision, downgrade, head_revision, upgrade
from microneedling.store.models import Base

TABLES = {table.name for table in Base.metadata.sorted_tables}


def test_migrating_an_empty_database_creates_every_table_and_the_chain_head(
    fresh_url: str,
) -> None:
    database = Database(fresh_url)
    assert current_revision(database) is None
    upgrade(database)
    assert current_revision(database) == head_revision()
    assert set(inspect(database.engine).get_table_names()) >= TABLES
    with database.engine.connect() as connection:
        head = connection.execute(text("SELECT id, sequence, hash FROM audit_chain_head")).all()
    assert head == [(1, 0, "0" * 64)]
    database.dispose()


def test_the_migrations_and_the_models_describe_the_same_schema(fresh_database: Database) -> None:
    with fresh_database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_downgrading_to_base_removes_everything_and_upgrading_again_works(
    fresh_database: Database,
) -> None:
    downgrade(fresh_database, "base")
    assert set(inspect(fresh_database.engine).get_table_names()) <= {"alembic_version"}
    assert current_revision(fresh_database) is None
    upgrade(fresh_database)
    assert current_revision(fresh_database) == head_revision()


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_entry SET action = 'edited'", "DELETE FROM audit_entry"]
)
def test_the_database_refuses_to_change_or_delete_an_audit_entry(
    fresh_database: Database, statement: str
) -> None:
    with fresh_database.engine.connect() as connection:
        connection.execute(
            text(
                "INSERT INTO audit_entry (sequence, recorded_at, actor_role, action, details, "
                "prev_hash, hash) VALUES (1, CURRENT_TIMESTAMP, 'system', 'test', '{}', 'a', 'b')"
            )
        )
        with pytest.raises(DBAPIError, match="append-only"):
            connection.execute(text(statement))
        connection.rollback()
