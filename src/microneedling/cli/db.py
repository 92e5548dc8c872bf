"""`microneedling db ...`: migrate the records database, back it up, restore it.

The database is ``MICRONEEDLING_DATABASE_URL`` (SQLite file ``./var/microneedling.db`` by default).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import OperationalError

from microneedling.cli.common import fail, print_json, user_errors
from microneedling.services.maintenance import (
    backup_database,
    open_database,
    restore_database,
    upgrade_database,
)
from microneedling.store import Database, migrate

db_app = typer.Typer(help="The records database: migrate, back up, restore.", no_args_is_help=True)


@contextmanager
def records_database(*, migrated: bool = False, bulk_load: bool = False) -> Iterator[Database]:
    """The configured database; problems reaching it become one line and exit 2.

    With ``migrated``, a database whose schema is not the newest is refused with the command
    that fixes it.
    """
    with user_errors():
        database = open_database(bulk_load=bulk_load)
    try:
        if migrated:
            revision = migrate.current_revision(database)
            if revision != migrate.head_revision():
                fail(
                    f"the database {database.describe()} is at schema {revision or 'none'}; "
                    "run `microneedling db upgrade` first"
                )
        with user_errors():
            yield database
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else "unreachable"
        fail(f"cannot use the database {database.describe()}: {reason}")
    finally:
        database.dispose()


@db_app.command("upgrade")
def upgrade_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Create the schema, or migrate it to the newest revision."""
    with records_database() as database:
        before, after = upgrade_database(database)
        url = database.describe()
    if as_json:
        print_json({"database": url, "from": before, "to": after})
    else:
        typer.echo(f"{url}: schema {before or 'none'} → {after}")


@db_app.command("current")
def current_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Which schema revision the database is at, and the newest one."""
    with records_database() as database:
        revision = migrate.current_revision(database)
        url = database.describe()
    head = migrate.head_revision()
    if as_json:
        print_json({"database": url, "revision": revision, "head": head})
    else:
        state = "up to date" if revision == head else "run `microneedling db upgrade`"
        typer.echo(f"{url}: schema {revision or 'none'} (newest {head}; {state})")


@db_app.command("backup")
def backup_command(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help="Where to write: FILE.jsonl or FILE.jsonl.gz (any database), "
            "FILE.sqlite (SQLite only).",
            show_default=False,
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """A consistent snapshot of every record, taken while the application keeps running.

    Photo files are not in it: copy the photo folder (MICRONEEDLING_PHOTO_DIR) alongside.
    """
    if file.exists():
        fail(f"{file} already exists; choose a new file name")
    with records_database() as database:
        summary = backup_database(database, file)
    if as_json:
        print_json(summary.to_dict())
    else:
        total = sum(summary.rows.values())
        typer.echo(f"Backed up {total:,} rows (schema {summary.schema_revision}) to {file}")


@db_app.command("restore")
def restore_command(
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="A file made by `db backup`.", show_default=False)
    ],
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace a database that already holds records."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Load a backup into an empty database (or, with --force, replace what is there)."""
    with records_database() as database:
        summary = restore_database(database, file, force=force)
    if as_json:
        print_json(summary.to_dict())
    else:
        total = sum(summary.rows.values())
        typer.echo(f"Restored {total:,} rows from {file}; the schema is at the newest revision")
