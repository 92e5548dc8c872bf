"""`microneedling db ...`: migrate the records database, back it up, restore it.

The database is ``MICRONEEDLING_DATABASE_URL`` (SQLite file ``./var/microneedling.db`` by default).
A backup's passphrase is asked for (hidden), read from standard input when that is not a
terminal, or taken from ``MICRONEEDLING_BACKUP_PASSPHRASE``; never from the command line, where
every user of the machine could read it.
"""

from __future__ import annotations

import os
import sys
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


#: What `db backup` writes, by the end of the file's name (store/backup.py picks the format so).
BACKUP_KINDS = {
    ".jsonl": "JSON lines, any database",
    ".jsonl.gz": "gzipped JSON lines, any database",
    ".sqlite": "a copy of a SQLite database",
    ".db": "a copy of a SQLite database, without the photos",
    ".enc": "encrypted gzipped JSON lines, any database (with --encrypt or --public-key)",
}

#: Where a script gives the backup passphrase (rather than on the command line).
PASSPHRASE_VARIABLE = "MICRONEEDLING_BACKUP_PASSPHRASE"


def read_passphrase(*, confirm: bool) -> str:
    """The backup passphrase: the environment variable, else asked (hidden) on a terminal, else
    the first line of standard input."""
    given = os.environ.get(PASSPHRASE_VARIABLE)
    if given:
        return given
    if sys.stdin is not None and sys.stdin.isatty():
        text: str = typer.prompt(
            "Backup passphrase", hide_input=True, confirmation_prompt=confirm, err=True
        )
        return text
    line = sys.stdin.readline(2048) if sys.stdin is not None else ""
    if not line.strip():
        fail(
            f"no backup passphrase: type it when asked, give it on standard input or set "
            f"{PASSPHRASE_VARIABLE}"
        )
    return line.rstrip("\r\n")


@contextmanager
def records_database(
    *, migrated: bool = False, bulk_load: bool = False, existing: bool | None = None
) -> Iterator[Database]:
    """The configured database; problems reaching it become one line and exit 2.

    With ``migrated``, a database whose schema is not the newest is refused with the command
    that fixes it. With ``existing`` (the default when ``migrated``), a SQLite file that does not
    exist is refused before anything is created: SQLite would make an empty file on connecting.
    """
    if migrated if existing is None else existing:
        _refuse_missing_sqlite_file()
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


def missing_sqlite_file() -> Path | None:
    """The configured SQLite file when it does not exist (None for one that does, or PostgreSQL)."""
    from microneedling.config import settings
    from microneedling.store.database import database_url

    with user_errors():
        parsed = database_url(settings().database_url)
    if parsed.get_backend_name() != "sqlite" or parsed.query.get("uri"):
        return None
    path = Path(str(parsed.database))
    return None if path.exists() else path


def _refuse_missing_sqlite_file() -> None:
    path = missing_sqlite_file()
    if path is not None:
        fail(
            f"there is no database at {path} (MICRONEEDLING_DATABASE_URL): run "
            "`microneedling db upgrade` first (an empty one) or `microneedling demo` (the demo "
            "clinics)"
        )


def backup_kind(file: Path) -> str:
    """The end of ``file``'s name that says what `db backup` writes there; exit 2 for any other."""
    name = file.name.lower()
    for ending in sorted(BACKUP_KINDS, key=len, reverse=True):
        if name.endswith(ending) and len(name) > len(ending):
            return ending
    endings = ", ".join(f"FILE{ending} ({what})" for ending, what in BACKUP_KINDS.items())
    fail(f"{file.name!r} is not a backup file name; give one of {endings}")


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
    head = migrate.head_revision()
    missing = missing_sqlite_file()
    if missing is not None:  # said without connecting: SQLite would create the file
        if as_json:
            print_json({"database": f"sqlite:///{missing}", "revision": None, "head": head})
        else:
            typer.echo(
                f"there is no database at {missing} yet (newest schema {head}; "
                "`microneedling db upgrade` creates it)"
            )
        return
    with records_database() as database:
        revision = migrate.current_revision(database)
        url = database.describe()
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
            "FILE.sqlite or FILE.db (SQLite only, no photos), FILE.enc (encrypted).",
            show_default=False,
        ),
    ],
    encrypt: Annotated[
        bool,
        typer.Option(
            "--encrypt",
            help="Encrypt with a passphrase (asked for, or MICRONEEDLING_BACKUP_PASSPHRASE).",
        ),
    ] = False,
    public_key: Annotated[
        Path | None,
        typer.Option(
            "--public-key",
            metavar="PEM",
            help="Encrypt for this X25519 public key (its private key restores).",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """A consistent snapshot of every record and photo file, taken while the application runs.

    The file is readable by its owner only. A FILE.jsonl, .jsonl.gz or .enc backup holds the
    photo files (MICRONEEDLING_PHOTO_DIR); a .sqlite/.db copy holds the records only.
    """
    from microneedling.store.backup_crypto import check_passphrase, load_public_key

    ending = backup_kind(file)
    if encrypt and public_key is not None:
        fail("give --encrypt (a passphrase) or --public-key, not both")
    sealed = encrypt or public_key is not None
    if sealed != (ending == ".enc"):
        fail(
            "an encrypted backup's file name ends with .enc, and a FILE.enc is encrypted: "
            "give --encrypt or --public-key with FILE.enc"
        )
    if file.exists():
        fail(f"{file} already exists; choose a new file name")
    with user_errors():
        seal = (
            load_public_key(public_key)
            if public_key is not None
            else check_passphrase(read_passphrase(confirm=True))
            if encrypt
            else None
        )
    with records_database(existing=True) as database:
        summary = backup_database(database, file, seal=seal)
    if as_json:
        print_json(summary.to_dict())
        return
    total = sum(summary.rows.values())
    photos = f" and {summary.photos:,} photo files" if summary.format == "jsonl" else ""
    locked = "encrypted, " if summary.encrypted else ""
    typer.echo(
        f"Backed up {total:,} rows{photos} (schema {summary.schema_revision}) to {file} "
        f"({locked}readable by you only)"
    )
    if summary.format == "sqlite":
        typer.echo("The photo files are not in a .sqlite/.db copy: back up FILE.jsonl.gz too.")
    if summary.missing_photos:
        typer.echo(
            f"Warning: {len(summary.missing_photos)} photo files the records name are missing "
            "from the photo folder and are not in the backup.",
            err=True,
        )


@db_app.command("restore")
def restore_command(
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="A file made by `db backup`.", show_default=False)
    ],
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace a database that already holds records."),
    ] = False,
    private_key: Annotated[
        Path | None,
        typer.Option(
            "--private-key",
            metavar="PEM",
            help="The X25519 private key that opens a backup made with --public-key.",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Load a backup into an empty database (or, with --force, replace what is there).

    The photo files go into the photo folder. The file is checked whole first (an encrypted one
    with its passphrase or private key): a damaged or altered one changes nothing.
    """
    from microneedling.store.backup_crypto import (
        Passphrase,
        PrivateKey,
        is_encrypted,
        load_private_key,
        needs,
    )

    unseal: Passphrase | PrivateKey | None = None
    with user_errors():
        if file.is_file() and is_encrypted(file):
            if needs(file) == "passphrase":
                unseal = Passphrase(read_passphrase(confirm=False))
            elif private_key is None:
                fail(f"{file} is encrypted for a public key; give its --private-key FILE")
            else:
                unseal = load_private_key(private_key)
    with records_database() as database:
        summary = restore_database(database, file, force=force, unseal=unseal)
    if as_json:
        print_json(summary.to_dict())
        return
    total = sum(summary.rows.values())
    typer.echo(
        f"Restored {total:,} rows and {summary.photos:,} photo files from {file}; "
        "the schema is at the newest revision"
    )
    if summary.missing_photos:
        typer.echo(
            f"Warning: {len(summary.missing_photos)} photo files the records name are neither "
            "in the backup nor in the photo folder (copy them there).",
            err=True,
        )
