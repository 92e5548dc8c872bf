"""Backups: a consistent snapshot taken while the application runs, and restoring one.

Two formats:

- **JSON lines** (any backend, ``.jsonl`` or ``.jsonl.gz``): a header line (format, schema
  revision, tables), then per table a line naming its columns followed by one line per row, then
  an end line with the row count (a truncated file is refused). Every table is read in one
  read-only transaction: REPEATABLE READ on PostgreSQL, a WAL read transaction on SQLite, so the
  snapshot is consistent while others keep writing. It restores into either backend. After the
  tables come the photo files (format version 2): per file a line naming it with its SHA-256 and
  size, then one line of its bytes in base64; restoring checks each file's hash against its name.
- **Encrypted** (``.enc``): the gzipped JSON lines, sealed in AES-256-GCM chunks under a key from
  a passphrase or for an X25519 public key (store/backup_crypto.py).
- **SQLite file** (SQLite only, ``.sqlite`` or ``.db``): the sqlite3 online backup API, a
  page-level copy made under one read lock.

Restoring loads into an empty database: it is migrated to the backup's schema revision, the rows
are loaded table by table in dependency order, PostgreSQL sequences are moved past the loaded
ids, and the schema is then migrated to the newest revision. A database that already holds
records is refused unless ``force`` (which first drops every table by migrating down to base).
The whole file is read and checked first (structure, row shapes, end line, photo hashes, and for
an encrypted one the passphrase and every chunk's authentication), so a damaged, truncated or
altered backup, or a wrong passphrase, is refused before anything changes.

Backup files are patient data: they are created owner-only (0600).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import os
import sqlite3
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any, cast

from sqlalchemy import Column, Connection, Date, Table, delete, func, select, text

from microneedling.errors import Conflict, InputFileError, UserError
from microneedling.store import migrate
from microneedling.store.backup_crypto import (
    DecryptingReader,
    EncryptingWriter,
    Seal,
    Unseal,
    is_encrypted,
)
from microneedling.store.database import Database
from microneedling.store.files import PhotoFiles
from microneedling.store.models import Base, UtcDateTime

FORMAT = "microneedling-backup"
FORMAT_VERSION = 2
#: Versions this code restores (1: no photo files in it).
READABLE_VERSIONS = (1, 2)
#: The longest line a backup may hold: a photo of the largest size allowed, in base64, and then
#: some; a longer line is refused rather than read into memory.
MAX_LINE = 48_000_000
FILE_MODE = 0o600
SQLITE_MAGIC = b"SQLite format 3\x00"
GZIP_MAGIC = b"\x1f\x8b"
BATCH = 2_000


#: Who is signed in (web sessions, API tokens): never carried over by a backup, so a restored
#: database starts with everyone signed out (a session ended after the backup cannot come back).
SIGN_INS = frozenset({"web_session", "access_token"})


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
    #: Photo files written to (or restored from) the backup.
    photos: int = 0
    #: Photo files the records name that were not there to back up (or not in the backup nor
    #: the photo folder, on restoring).
    missing_photos: tuple[str, ...] = ()
    encrypted: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": str(self.path),
            "format": self.format,
            "encrypted": self.encrypted,
            "schema_revision": self.schema_revision,
            "rows": self.rows,
            "total_rows": sum(self.rows.values()),
            "photos": self.photos,
            "missing_photos": list(self.missing_photos),
        }


def create_private(path: Path) -> IO[bytes]:
    """A new file (replacing one of the same name) readable by its owner only (0600)."""
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    os.fchmod(handle, FILE_MODE)  # an existing file keeps its mode through O_CREAT
    return os.fdopen(handle, "wb")


def _open_reading(path: Path, kind: str, unseal: Unseal | None) -> IO[str]:
    """The lines of a JSON-lines backup: ``kind`` plain, gzip or encrypted."""
    binary: IO[bytes]
    if kind == "encrypted":
        reader = DecryptingReader(path, unseal)
        binary = cast(IO[bytes], gzip.GzipFile(fileobj=io.BufferedReader(reader), mode="rb"))
    elif kind == "gzip":
        binary = cast(IO[bytes], gzip.open(path, "rb"))  # noqa: SIM115 - closed by the caller
    else:
        binary = path.open("rb")
    return io.TextIOWrapper(binary, encoding="utf-8", newline="\n")


def _line(lines: IO[str], path: Path) -> str:
    """The next line ('' at the end); a line longer than MAX_LINE is refused, not read."""
    try:
        line = lines.readline(MAX_LINE)
    except (OSError, EOFError, UnicodeDecodeError, zlib.error):
        raise InputFileError(f"{path}: damaged backup (cannot be read)") from None
    if len(line) >= MAX_LINE and not line.endswith("\n"):
        raise InputFileError(f"{path}: damaged backup (a line is longer than any backup makes)")
    return line


def _is_sqlite_file(path: Path) -> bool:
    return path.suffix.lower() in (".sqlite", ".db")


def backup(
    database: Database,
    path: Path,
    *,
    now: datetime,
    photos: PhotoFiles | None = None,
    seal: Seal | None = None,
) -> BackupSummary:
    """Write a consistent snapshot of ``database`` to ``path`` (format from the suffix), with the
    photo files of ``photos`` (JSON lines only), encrypted under ``seal`` when given."""
    revision = migrate.current_revision(database)
    if revision is None:
        raise UserError("the database has no schema yet; run `microneedling db upgrade`")
    if not path.parent.exists():
        raise InputFileError(f"folder {str(path.parent)!r} does not exist")
    partial = path.with_name(path.name + ".partial")
    missing: tuple[str, ...] = ()
    photo_count = 0
    try:
        if _is_sqlite_file(path) and seal is None:
            if database.backend != "sqlite":
                raise UserError(
                    "a .sqlite/.db backup is for SQLite databases; use FILE.jsonl or FILE.jsonl.gz",
                    field="file",
                )
            rows = _sqlite_copy(database, partial)
            kind = "sqlite"
        else:
            raw = create_private(partial)
            if seal is not None:
                sink: IO[bytes] = cast(IO[bytes], EncryptingWriter(raw, seal))
                compressed = True
            else:
                sink, compressed = raw, path.name.endswith(".gz")
            rows, photo_count, missing = _json_export(
                database, sink, revision, now, compressed, photos
            )
            kind = "jsonl"
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return BackupSummary(path, kind, revision, rows, photo_count, missing, seal is not None)


def _sqlite_copy(database: Database, target: Path) -> dict[str, int]:
    create_private(target).close()  # SQLite writes into the empty 0600 file, keeping its mode
    source = database.engine.raw_connection()
    try:
        destination = sqlite3.connect(target)
        try:
            driver = source.driver_connection
            assert isinstance(driver, sqlite3.Connection)
            driver.backup(destination)  # all pages in one step, under one read lock
            with destination:
                for name in sorted(SIGN_INS):
                    destination.execute(f'DELETE FROM "{name}"')
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
    database: Database,
    sink: IO[bytes],
    revision: str,
    now: datetime,
    compressed: bool,
    photos: PhotoFiles | None,
) -> tuple[dict[str, int], int, tuple[str, ...]]:
    counts: dict[str, int] = {}
    named: list[str] = []
    binary: IO[bytes] = (
        cast(IO[bytes], gzip.GzipFile(fileobj=sink, mode="wb", mtime=0)) if compressed else sink
    )
    with sink, binary, io.TextIOWrapper(binary, encoding="utf-8", newline="\n") as out:
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
                if table.name in SIGN_INS:
                    counts[table.name] = 0
                    continue
                order = list(table.primary_key.columns)
                result = connection.execution_options(yield_per=BATCH).execute(
                    select(*backed_up(table)).order_by(*order)
                )
                count = 0
                path_at = columns.index("stored_path") if table.name == "photo" else None
                for row in result:
                    out.write(
                        json.dumps([_encode(value) for value in row], ensure_ascii=False) + "\n"
                    )
                    if path_at is not None:
                        named.append(row[path_at])
                    count += 1
                counts[table.name] = count
        written, missing = _photo_export(out, photos, sorted(set(named)))
        out.write(json.dumps({"end": True, "rows": sum(counts.values()), "photos": written}) + "\n")
        out.flush()
        if not isinstance(sink, EncryptingWriter):
            binary.flush()
            sink.flush()
            os.fsync(sink.fileno())
    return counts, written, missing


def _photo_export(
    out: IO[str], photos: PhotoFiles | None, named: list[str]
) -> tuple[int, tuple[str, ...]]:
    """The photo files the records name, each as a line naming it and a line of base64."""
    if photos is None:
        return 0, ()
    written = 0
    missing: list[str] = []
    for relative in named:
        try:
            data = photos.read(relative)
        except (OSError, ValueError):
            missing.append(relative)
            continue
        digest = hashlib.sha256(data).hexdigest()
        out.write(json.dumps({"photo": relative, "sha256": digest, "size": len(data)}) + "\n")
        out.write(json.dumps(base64.b64encode(data).decode("ascii")) + "\n")
        written += 1
    return written, tuple(missing)


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


def _kind(path: Path) -> str:
    if not path.is_file():
        raise InputFileError(f"{path}: file not found")
    if is_encrypted(path):
        return "encrypted"
    with path.open("rb") as probe:
        start = probe.read(16)
    if start == SQLITE_MAGIC:
        return "sqlite"
    return "gzip" if start[:2] == GZIP_MAGIC else "plain"


def read_header(path: Path, unseal: Unseal | None = None) -> dict[str, Any]:
    """The header of a backup file, or InputFileError when it is not one (an encrypted one is
    opened with ``unseal``: WrongKey for the wrong passphrase or key)."""
    kind = _kind(path)
    if kind == "sqlite":
        return {"format": "sqlite", "kind": kind}
    try:
        with _open_reading(path, kind, unseal) as lines:
            header = json.loads(_line(lines, path))
    except (json.JSONDecodeError, InputFileError) as error:
        if kind == "encrypted" and isinstance(error, InputFileError):
            raise
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise InputFileError(f"{path}: not a microneedling backup")
    if header.get("format_version") not in READABLE_VERSIONS:
        raise InputFileError(
            f"{path}: backup format version {header.get('format_version')!r} is not supported"
        )
    header["kind"] = kind
    if header.get("schema_revision") not in migrate.known_revisions():
        raise InputFileError(
            f"{path}: made by a newer version (schema {header.get('schema_revision')!r}); "
            "upgrade the software first"
        )
    return header


def restore(
    database: Database,
    path: Path,
    *,
    force: bool = False,
    photos: PhotoFiles | None = None,
    unseal: Unseal | None = None,
) -> BackupSummary:
    """Load a backup into ``database`` (empty, or emptied first with ``force``) and its photo
    files into ``photos``. The file is checked whole first: nothing changes for a bad one."""
    header = read_header(path, unseal)
    if header["format"] == "sqlite":
        source = Database(f"sqlite:///{path.resolve()}")
        try:
            revision = migrate.current_revision(source)
            if revision not in migrate.known_revisions():
                raise InputFileError(f"{path}: not a microneedling database")
            return _restore_rows(database, path, "sqlite", revision, _rows_of(source), force)
        finally:
            source.dispose()
    kind = header["kind"]
    checked = _Photos(None)
    for _table, _columns, rows in _rows_of_file(path, kind, unseal, checked):
        for _row in rows:
            pass
    into = _Photos(photos)
    summary = _restore_rows(
        database,
        path,
        "jsonl",
        header["schema_revision"],
        _rows_of_file(path, kind, unseal, into),
        force,
    )
    summary.encrypted = kind == "encrypted"
    summary.photos = into.count
    summary.missing_photos = tuple(
        name
        for name in sorted(checked.named)
        if name not in checked.names and (photos is None or not photos.path(name).is_file())
    )
    return summary


class _Photos:
    """Where the photo files of a backup go as it is read (nowhere when only checking)."""

    def __init__(self, files: PhotoFiles | None) -> None:
        self.files = files
        self.count = 0
        self.names: set[str] = set()
        self.named: set[str] = set()

    def put(self, relative: str, data: bytes) -> None:
        self.count += 1
        self.names.add(relative)
        if self.files is not None:
            clinic, name = relative.split("/")
            sha256, suffix = name.split(".")
            self.files.put(int(clinic.removeprefix("clinic-")), sha256, suffix, data)


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
            if table.name in SIGN_INS:
                yield table, columns, iter(())
                continue
            result = connection.execution_options(yield_per=BATCH).execute(
                select(*backed_up(table)).order_by(*order)
            )
            yield table, columns, (list(row) for row in result)


def _rows_of_file(path: Path, kind: str, unseal: Unseal | None, photos: _Photos) -> TableRows:
    by_name = {table.name: table for table in tables()}

    def damaged(what: str) -> InputFileError:
        return InputFileError(f"{path}: damaged backup ({what})")

    def parse(line: str) -> Any:
        try:
            return json.loads(line)
        except json.JSONDecodeError:
            raise damaged("not JSON") from None

    with _open_reading(path, kind, unseal) as lines:
        _line(lines, path)
        pending = _line(lines, path)
        total = 0
        seen: set[str] = set()
        while pending:
            marker = parse(pending)
            if isinstance(marker, dict) and marker.get("end"):
                if marker.get("rows") != total or marker.get("photos", 0) != photos.count:
                    raise damaged("the counts at its end do not match")
                if _line(lines, path):
                    raise damaged("lines after its end")
                return
            if isinstance(marker, dict) and "photo" in marker:
                _read_photo(path, lines, marker, photos)
                pending = _line(lines, path)
                continue
            if not isinstance(marker, dict) or marker.get("table") not in by_name:
                raise damaged("unexpected line")
            table = by_name[marker["table"]]
            if table.name in seen:
                raise damaged(f"{table.name} twice")
            seen.add(table.name)
            columns = marker.get("columns")
            if columns != [column.name for column in backed_up(table)]:
                raise InputFileError(f"{path}: columns of {table.name} do not match the schema")
            decoders = _decoder(table)
            path_at = columns.index("stored_path") if table.name == "photo" else None
            carry: list[str] = [""]

            def rows(
                decoders: list[Any] = decoders,
                carry: list[str] = carry,
                path_at: int | None = path_at,
            ) -> Any:
                nonlocal total
                while line := _line(lines, path):
                    value = parse(line)
                    if isinstance(value, dict):
                        carry[0] = line
                        return
                    if not isinstance(value, list) or len(value) != len(decoders):
                        raise damaged("a row of the wrong shape")
                    try:
                        row = [
                            decode(item) if decode is not None else item
                            for decode, item in zip(decoders, value, strict=True)
                        ]
                    except (TypeError, ValueError):
                        raise damaged("a date that is not one") from None
                    if path_at is not None:
                        photos.named.add(str(row[path_at]))
                    total += 1
                    yield row

            yield table, columns, rows()
            pending = carry[0]
        raise InputFileError(f"{path}: the backup is truncated (no end line)")


def _read_photo(path: Path, lines: IO[str], marker: dict[str, Any], photos: _Photos) -> None:
    relative, sha256, size = marker.get("photo"), marker.get("sha256"), marker.get("size")
    try:
        PhotoFiles(Path(".")).path(str(relative))
    except ValueError:
        raise InputFileError(f"{path}: damaged backup (a photo file name)") from None
    data_line = _line(lines, path)
    try:
        data = base64.b64decode(json.loads(data_line), validate=True)
    except (json.JSONDecodeError, TypeError, ValueError):
        raise InputFileError(f"{path}: damaged backup (photo {relative})") from None
    digest = hashlib.sha256(data).hexdigest()
    name_hash = str(relative).rsplit("/", 1)[-1].split(".")[0]
    if size != len(data) or digest != sha256 or digest != name_hash:
        raise InputFileError(
            f"{path}: photo {relative} is damaged (its contents do not match its hash)"
        )
    if relative in photos.names:
        raise InputFileError(f"{path}: damaged backup (photo {relative} twice)")
    photos.put(str(relative), data)


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
            if table.name in SIGN_INS:  # in backups made before they were left out
                for _ in rows:
                    pass
                counts[table.name] = 0
                continue
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
