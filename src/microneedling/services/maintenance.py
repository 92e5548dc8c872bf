"""Running the records: opening the configured database, migrating it, backups and restores."""

from __future__ import annotations

from pathlib import Path

from microneedling.config import Settings, settings
from microneedling.services.clock import Clock, utc_now
from microneedling.store import Database, PhotoFiles, UnitOfWork, migrate
from microneedling.store.audit_keys import keys_from_settings
from microneedling.store.backup import BackupSummary, backup, restore
from microneedling.store.backup_crypto import Seal, Unseal


def open_database(config: Settings | None = None, *, bulk_load: bool = False) -> Database:
    """The database the settings point at (MICRONEEDLING_DATABASE_URL, SQLite by default).

    ``bulk_load`` trades durability through a power cut of the last commits for speed (SQLite
    ``synchronous=NORMAL``); for loading the demo, never for a clinic's own records.
    """
    config = config or settings()
    return Database(
        config.database_url,
        busy_timeout_ms=config.sqlite_busy_timeout_ms,
        sqlite_synchronous="NORMAL" if bulk_load else "FULL",
        audit_keys=keys_from_settings(config),
    )


def unit_of_work(database: Database, config: Settings | None = None) -> UnitOfWork:
    """A unit of work on ``database`` with the configured photo folder."""
    return UnitOfWork(database, photo_files(config))


def upgrade_database(database: Database) -> tuple[str | None, str]:
    """Migrate to the newest schema; returns the revisions before and after."""
    before = migrate.current_revision(database)
    migrate.upgrade(database, "head")
    return before, migrate.head_revision()


def photo_files(config: Settings | None = None) -> PhotoFiles:
    """The configured photo folder."""
    config = config or settings()
    return PhotoFiles(
        config.photo_dir, max_bytes=config.photo_max_bytes, max_pixels=config.photo_max_pixels
    )


def backup_database(
    database: Database, path: Path, *, seal: Seal | None = None, clock: Clock = utc_now
) -> BackupSummary:
    """Back up the records and the configured photo folder's files (encrypted under ``seal``)."""
    return backup(database, path, now=clock(), photos=photo_files(), seal=seal)


def restore_database(
    database: Database, path: Path, *, force: bool = False, unseal: Unseal | None = None
) -> BackupSummary:
    """Restore the records, and the photo files into the configured photo folder."""
    return restore(database, path, force=force, photos=photo_files(), unseal=unseal)
