"""Files the product writes that hold patients' data are readable by their owner only: the SQLite
database and its -wal/-shm files (0600, in a 0700 folder when the product makes it), backups of
every format (0600), photo files (0600) and their folders (0700), handouts written by commands
(0600) — whatever the umask of whoever starts the product (here the usual 022)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.integration.conftest import NOW, World, make_world

from microneedling.services import photos
from microneedling.store import Database, PhotoFiles
from microneedling.store import backup_crypto as crypto
from microneedling.store.backup import backup
from microneedling.store.migrate import upgrade

MICRONEEDLING = str(Path(sys.executable).with_name("microneedling"))


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The umask most systems give a login (022: new files readable by everyone)."""
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


def a_photo() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (30, 20), (120, 40, 40)).save(out, format="JPEG")
    return out.getvalue()


def test_a_new_sqlite_database_and_its_journal_files_are_the_owners_only(tmp_path: Path) -> None:
    file = tmp_path / "var" / "records.db"
    database = Database(f"sqlite:///{file}")
    upgrade(database)
    world = make_world(database, tmp_path / "photos")
    world.patient()
    wal, shm = file.with_name("records.db-wal"), file.with_name("records.db-shm")
    assert wal.exists() and shm.exists()
    assert mode(file) == 0o600
    assert mode(wal) == 0o600 and mode(shm) == 0o600
    assert mode(file.parent) == 0o700
    database.dispose()


def test_an_existing_folder_keeps_its_mode_and_an_existing_database_is_left_as_it_is(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    database = Database(f"sqlite:///{folder / 'records.db'}")
    upgrade(database)
    database.dispose()
    assert mode(folder) == 0o755  # the person's own folder: not ours to change
    assert mode(folder / "records.db") == 0o600


@pytest.fixture
def world(fresh_database: Database, tmp_path: Path) -> World:
    return make_world(fresh_database, tmp_path / "photos")


def test_photo_files_and_their_folders_are_the_owners_only(world: World, tmp_path: Path) -> None:
    patient_id = world.patient()
    photos.add_photo(
        world.uow, world.clinician, patient_id, a_photo(), view="front", clock=world.clock
    )
    root = tmp_path / "photos"
    (name,) = PhotoFiles(root).stored()
    assert mode(root) == 0o700
    assert mode(root / name.split("/")[0]) == 0o700
    assert mode(root / name) == 0o600


@pytest.mark.parametrize("name", ["records.jsonl", "records.jsonl.gz", "records.enc"])
def test_every_backup_file_is_the_owners_only(world: World, tmp_path: Path, name: str) -> None:
    patient_id = world.patient()
    photos.add_photo(
        world.uow, world.clinician, patient_id, a_photo(), view="front", clock=world.clock
    )
    file = tmp_path / name
    seal = crypto.check_passphrase("a long enough passphrase") if name.endswith(".enc") else None
    summary = backup(
        world.database, file, now=NOW, photos=PhotoFiles(tmp_path / "photos"), seal=seal
    )
    assert summary.photos == 1
    assert mode(file) == 0o600
    assert not file.with_name(name + ".partial").exists()


def test_a_sqlite_copy_backup_is_the_owners_only(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'records.db'}")
    upgrade(database)
    file = tmp_path / "copy.sqlite"
    backup(database, file, now=NOW)
    assert mode(file) == 0o600
    database.dispose()


def test_a_backup_that_fails_leaves_no_partial_file(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'records.db'}")  # no schema: refused
    with pytest.raises(Exception, match="no schema"):
        backup(database, tmp_path / "records.jsonl", now=NOW)
    assert list(tmp_path.glob("records.jsonl*")) == []
    database.dispose()


def _run(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The installed command, started with this test's umask (022)."""
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("MICRONEEDLING_")
    }
    environment["MICRONEEDLING_CACHE_DIR"] = "off"
    return subprocess.run(
        [MICRONEEDLING, *arguments],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_commands_write_their_files_for_their_user_only_whatever_the_umask(
    tmp_path: Path,
) -> None:
    made = _run("db", "upgrade", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert mode(tmp_path / "var") == 0o700
    assert mode(tmp_path / "var" / "microneedling.db") == 0o600
    handout = _run("plan", "--demo", "--handout", "handout.html", "--printed-on", "2026-12-01",
                   cwd=tmp_path)  # fmt: skip
    assert handout.returncode == 0, handout.stderr
    assert mode(tmp_path / "handout.html") == 0o600
    backed_up = _run("db", "backup", "records.jsonl.gz", cwd=tmp_path)
    assert backed_up.returncode == 0, backed_up.stderr
    assert "readable by you only" in backed_up.stdout
    assert mode(tmp_path / "records.jsonl.gz") == 0o600
