"""Backups: a consistent snapshot taken while the application runs, and restoring one.

Two formats:

- **JSON lines** (any backend, ``.jsonl`` or ``.jsonl.gz``): a header line (format, schema
  revision, tables), then per table a line naming its columns followed by one line per row, then
  an end line with the row count (a truncated file is refused). Every table is read in one
  read-only transaction: REPEATABLE READ on PostgreSQL, a WAL read transaction on SQLite, so the
  snapshot is consistent while others keep writing. It restores into either backend.
- **SQLite file** (SQLite only, ``.sqlite`` or ``.db``): the sqlite3 online backup API, a
  page-level copy made under one read lock.

Restoring loads into an empty database: it is migrated to the backup's schema revision, the rows
are loaded table by table in dependency order, PostgreSQL sequences are moved past the loaded
ids, and the schema is then migrated to the newest revision. A database that already holds
records is refused unless ``force`` (which first drops every table by migrating down to base).
"""

from __future__ import annotations

import gzip
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any, cast

from sqlalchemy import Column, Connection, Date, Table, delete, func, select, text

from microneedling.errors import Conflict, InputFileError, UserError
from microneedling.store import migrate
from microneedling.store.database import Database
from microneedling.store.models import Base, UtcDateTime

FORMAT = "microneedling-backup"
FORMAT_VERSION = 1
SQLITE_MAGIC = b"SQLite format 3\x00"
GZIP_MAGIC = b"\x1f\x8b"
BATCH = 2_000


def tables() -> list[Table]:
    """Every table of the records, parents before children."""
    return list(Base.metadata.sorted_tables)


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def backed_up(table: Table) -> list[Column[Any]]:
    """The columns a backup holds: all but those the database keeps itself (``info["derived"]``:
    the calendar versions, which triggers set again as the rows are restored)."""
    return [column for column in table.columns if not column.info.get("derived")]


def _decoder(table: Table) -> list[Any]:
    decoders: list[Any] = []
    for column in backed_up(table):
        if isinstance(column.type, UtcDateTime):
            decoders.append(lambda v: None if v is None else datetime.fromisoformat(v))
        elif isinstance(column.type, Date):
            decoders.append(lambda v: None if v is None else date.fromisoformat(v))
        else:
            decoders.append(None)
    return decoders


@dataclass
class BackupSummary:
    path: Path
    format: str
    schema_revision: str
    rows: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": str(self.path),
            "format": self.format,
            "schema_revision": self.schema_revision,
            "rows": self.rows,
            "total_rows": sum(self.rows.values()),
        }


def _open_text(path: Path, mode: str, *, compressed: bool | None = None) -> IO[str]:
    if path.name.endswith(".gz") if compressed is None else compressed:
        return cast(IO[str], gzip.open(path, mode + "t", encoding="utf-8"))
    return path.open(mode, encoding="utf-8")


def _is_sqlite_file(path: Path) -> bool:
    return path.suffix.lower() in (".sqlite", ".db")


def backup(database: Database, path: Path, *, now: datetime) -> BackupSummary:
    """Write a consistent snapshot of ``database`` to ``path`` (format from the suffix)."""
    revision = migrate.current_revision(database)
    if revision is None:
        raise UserError("the database has no schema yet; run `microneedling db upgrade`")
    if not path.parent.exists():
        raise InputFileError(f"folder {str(path.parent)!r} does not exist")
    partial = path.with_name(path.name + ".partial")
    if _is_sqlite_file(path):
        if database.backend != "sqlite":
            raise UserError(
                "a .sqlite/.db backup is for SQLite databases; use FILE.jsonl or FILE.jsonl.gz",
                field="file",
            )
        rows = _sqlite_copy(database, partial)
        kind = "sqlite"
    else:
        rows = _json_export(database, partial, revision, now, path.name.endswith(".gz"))
        kind = "jsonl"
    partial.replace(path)
    return BackupSummary(path, kind, revision, rows)


def _sqlite_copy(database: Database, target: Path) -> dict[str, int]:
    target.unlink(missing_ok=True)
    source = database.engine.raw_connection()
    try:
        destination = sqlite3.connect(target)
        try:
            driver = source.driver_connection
            assert isinstance(driver, sqlite3.Connection)
            driver.backup(destination)  # all pages in one step, under one read lock
            counts = {
                table.name: destination.execute(f'SELECT count(*) FROM "{table.name}"').fetchone()[
                    0
                ]
                for table in tables()
            }
        finally:
            destination.close()
    finally:
        source.close()
    return counts


def _snapshot(database: Database) -> Iterator[Connection]:
    with database.snapshot() as connection:
        yield connection


def _json_export(
    database: Database, target: Path, revision: str, now: datetime, compressed: bool
) -> dict[str, int]:
    counts: dict[str, int] = {}
    with _open_text(target, "w", compressed=compressed) as out:
        header = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "schema_revision": revision,
            "backend": database.backend,
            "created_at": now.astimezone(UTC).isoformat(),
            "tables": [table.name for table in tables()],
        }
        out.write(json.dumps(header) + "\n")
        for connection in _snapshot(database):
            for table in tables():
                columns = [column.name for column in backed_up(table)]
                out.write(json.dumps({"table": table.name, "columns": columns}) + "\n")
                order = list(table.primary_key.columns)
                result = connection.execution_options(yield_per=BATCH).execute(
                    select(*backed_up(table)).order_by(*order)
                )
                count = 0
                for row in result:
                    out.write(
                        json.dumps([_encode(value) for value in row], ensure_ascii=False) + "\n"
                    )
                    count += 1
                counts[table.name] = count
        out.write(json.dumps({"end": True, "rows": sum(counts.values())}) + "\n")
    return counts


# Restoring -----------------------------------------------------------------------------------


def has_records(database: Database) -> bool:
    """Whether any table holds a row (the audit chain's empty head row does not count)."""
    with database.snapshot() as connection:
        for table in tables():
            if table.name == "audit_chain_head":
                continue
            if connection.execute(select(func.count()).select_from(table)).scalar_one():
                return True
    return False


def read_header(path: Path) -> dict[str, Any]:
    """The header of a backup file, or InputFileError when it is not one."""
    if not path.is_file():
        raise InputFileError(f"{path}: file not found")
    with path.open("rb") as probe:
        start = probe.read(16)
    if start == SQLITE_MAGIC:
        return {"format": "sqlite"}
    try:
        with _open_text(path, "r", compressed=start[:2] == GZIP_MAGIC) as lines:
            header = json.loads(lines.readline())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, EOFError):
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise InputFileError(f"{path}: not a microneedling backup")
    if header.get("format_version") != FORMAT_VERSION:
        raise InputFileError(
            f"{path}: backup format version {header.get('format_version')!r} is not supported"
        )
    header["compressed"] = start[:2] == GZIP_MAGIC
    if header.get("schema_revision") not in migrate.known_revisions():
        raise InputFileError(
            f"{path}: made by a newer version (schema {header.get('schema_revision')!r}); "
            "upgrade the software first"
        )
    return header


def restore(database: Database, path: Path, *, force: bool = False) -> BackupSummary:
    """Load a backup into ``database`` (empty, or emptied first with ``force``)."""
    header = read_header(path)
    if header["format"] == "sqlite":
        source = Database(f"sqlite:///{path.resolve()}")
        try:
            revision = migrate.current_revision(source)
            if revision not in migrate.known_revisions():
                raise InputFileError(f"{path}: not a microneedling database")
            return _restore_rows(database, path, "sqlite", revision, _rows_of(source), force)
        finally:
            source.dispose()
    return _restore_rows(
        database,
        path,
        "jsonl",
        header["schema_revision"],
        _rows_of_file(path, header["compressed"]),
        force,
    )


def _prepare(database: Database, revision: str, force: bool) -> None:
    current = migrate.current_revision(database)
    if current is not None and has_records(database):
        if not force:
            raise Conflict(
                f"{database.describe()} already holds records; restoring would replace them "
                "(use --force to drop everything first)"
            )
        migrate.downgrade(database, "base")
        current = None
    if current is not None and current != revision:
        migrate.downgrade(database, "base")
    migrate.upgrade(database, revision)


TableRows = Iterator[tuple[Table, list[str], Iterator[list[Any]]]]


def _rows_of(source: Database) -> TableRows:
    for connection in _snapshot(source):
        for table in tables():
            order = list(table.primary_key.columns)
            columns = [column.name for column in backed_up(table)]
            result = connection.execution_options(yield_per=BATCH).execute(
                select(*backed_up(table)).order_by(*order)
            )
            yield table, columns, (list(row) for row in result)


def _rows_of_file(path: Path, compressed: bool) -> TableRows:
    by_name = {table.name: table for table in tables()}
    with _open_text(path, "r", compressed=compressed) as lines:
        lines.readline()
        pending: str | None = lines.readline()
        while pending:
            try:
                marker = json.loads(pending)
            except json.JSONDecodeError:
                raise InputFileError(f"{path}: damaged backup (not JSON)") from None
            if isinstance(marker, dict) and marker.get("end"):
                return
            if not isinstance(marker, dict) or marker.get("table") not in by_name:
                raise InputFileError(f"{path}: damaged backup (unexpected line)")
            table = by_name[marker["table"]]
            columns = marker["columns"]
            if columns != [column.name for column in backed_up(table)]:
                raise InputFileError(f"{path}: columns of {table.name} do not match the schema")
            decoders = _decoder(table)
            carry: list[str | None] = [None]

            def rows(decoders: list[Any] = decoders, carry: list[str | None] = carry) -> Any:
                for line in lines:
                    value = json.loads(line)
                    if isinstance(value, dict):
                        carry[0] = line
                        return
                    yield [
                        decode(item) if decode is not None else item
                        for decode, item in zip(decoders, value, strict=True)
                    ]
                carry[0] = ""

            yield table, columns, rows()
            pending = carry[0]
        raise InputFileError(f"{path}: the backup is truncated (no end line)")


def _restore_rows(
    database: Database,
    path: Path,
    kind: str,
    revision: str,
    source: TableRows,
    force: bool,
) -> BackupSummary:
    _prepare(database, revision, force)
    counts: dict[str, int] = {}
    with database.engine.begin() as connection:
        connection.execute(delete(tables_by_name()["audit_chain_head"]))
        for table, columns, rows in source:
            count = 0
            batch: list[dict[str, Any]] = []
            for row in rows:
                batch.append(dict(zip(columns, row, strict=True)))
                if len(batch) >= BATCH:
                    connection.execute(table.insert(), batch)
                    count += len(batch)
                    batch = []
            if batch:
                connection.execute(table.insert(), batch)
                count += len(batch)
            counts[table.name] = count
        if database.backend == "postgresql":
            _move_sequences(connection)
    migrate.upgrade(database, "head")
    return BackupSummary(path, kind, revision, counts)


def tables_by_name() -> dict[str, Table]:
    return {table.name: table for table in tables()}


def _move_sequences(connection: Connection) -> None:
    for table in tables():
        key = list(table.primary_key.columns)
        if len(key) != 1 or not key[0].autoincrement or key[0].name != "id":
            continue
        if table.name == "audit_chain_head":
            continue
        connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table.name}), 1), "
                f"(SELECT MAX(id) FROM {table.name}) IS NOT NULL)"
            )
        )
