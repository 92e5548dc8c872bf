"""Backups hold the photo files and can be encrypted (a passphrase, or an X25519 public key);
restoring checks the whole file first, so a damaged, altered, truncated or oversized backup, or a
wrong passphrase or key, is refused with a clear message and changes nothing."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from PIL import Image
from sqlalchemy import func, select
from tests.integration.conftest import NOW, PostgresDatabases, SqliteDatabases, make_world
from tests.integration.records_cli import app
from typer.testing import CliRunner

from microneedling.errors import InputFileError, UserError
from microneedling.services import photos
from microneedling.store import Database, PhotoFiles
from microneedling.store import backup_crypto as crypto
from microneedling.store.backup import MAX_LINE, backup, restore
from microneedling.store.migrate import upgrade
from microneedling.store.models import Patient, Photo

runner = CliRunner()
PASSPHRASE = "correct horse battery staple"


def a_photo(colour: tuple[int, int, int]) -> bytes:
    image = Image.new("RGB", (40, 30), colour)
    out = io.BytesIO()
    image.save(out, format="JPEG")
    return out.getvalue()


@dataclass
class Clinic:
    database: Database
    photo_dir: Path
    photo_files: list[str]


@pytest.fixture(scope="module")
def clinic(
    databases: SqliteDatabases | PostgresDatabases, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Clinic]:
    """A database of its own with one clinic, two patients and three photo files (only read)."""
    tmp_path = tmp_path_factory.mktemp("clinic")
    database = Database(databases.new_url())
    upgrade(database)
    world = make_world(database, tmp_path / "photos")
    for colour in ((200, 30, 30), (30, 200, 30)):
        patient_id = world.patient()
        photos.add_photo(
            world.uow, world.clinician, patient_id, a_photo(colour), view="front", clock=world.clock
        )
    photos.add_photo(
        world.uow,
        world.clinician,
        patient_id,
        a_photo((1, 2, 250)),
        view="close_up",
        clock=world.clock,
    )
    stored = PhotoFiles(tmp_path / "photos").stored()
    assert len(stored) == 3
    yield Clinic(database, tmp_path / "photos", stored)
    database.dispose()


def url_of(database: Database) -> str:
    return database.url.render_as_string(hide_password=False)


def counts(database: Database) -> tuple[int, int]:
    with database.snapshot() as connection:
        return (
            connection.execute(select(func.count()).select_from(Patient)).scalar_one(),
            connection.execute(select(func.count()).select_from(Photo)).scalar_one(),
        )


def test_a_backup_holds_the_photo_files_and_restoring_puts_them_back_checked(
    clinic: Clinic, fresh_url: str, tmp_path: Path
) -> None:
    file = tmp_path / "records.jsonl.gz"
    summary = backup(clinic.database, file, now=NOW, photos=PhotoFiles(clinic.photo_dir))
    assert summary.photos == 3 and summary.missing_photos == ()
    target, into = Database(fresh_url), PhotoFiles(tmp_path / "restored-photos")
    restored = restore(target, file, photos=into)
    assert restored.photos == 3 and restored.missing_photos == ()
    assert into.stored() == clinic.photo_files
    for name in into.stored():
        assert hashlib.sha256(into.read(name)).hexdigest() == name.split("/")[1].split(".")[0]
    assert counts(target) == counts(clinic.database)
    target.dispose()


def test_a_photo_file_changed_in_the_backup_is_refused_and_nothing_changes(
    clinic: Clinic, fresh_url: str, tmp_path: Path
) -> None:
    file = tmp_path / "records.jsonl"
    backup(clinic.database, file, now=NOW, photos=PhotoFiles(clinic.photo_dir))
    lines = file.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith('{"photo"'))
    lines[at + 1] = json.dumps(base64.b64encode(b"not the photo").decode())
    file.write_text("\n".join(lines) + "\n")
    target, into = Database(fresh_url), PhotoFiles(tmp_path / "restored")
    with pytest.raises(InputFileError, match=r"is damaged \(its contents do not match its hash\)"):
        restore(target, file, photos=into)
    assert into.stored() == []
    assert not _has_records(target)
    target.dispose()


def _has_records(database: Database) -> bool:
    from microneedling.store.backup import has_records
    from microneedling.store.migrate import current_revision

    return current_revision(database) is not None and has_records(database)


def test_a_passphrase_encrypted_backup_restores_with_the_passphrase(
    clinic: Clinic, fresh_url: str, tmp_path: Path
) -> None:
    file = tmp_path / "records.enc"
    summary = backup(
        clinic.database,
        file,
        now=NOW,
        photos=PhotoFiles(clinic.photo_dir),
        seal=crypto.check_passphrase(PASSPHRASE),
    )
    assert summary.encrypted and summary.photos == 3
    raw = file.read_bytes()
    assert raw.startswith(crypto.MAGIC)
    assert b"Lovelace" not in raw and b"microneedling-backup" not in raw
    assert os.stat(file).st_mode & 0o777 == 0o600
    target = Database(fresh_url)
    restored = restore(
        target, file, photos=PhotoFiles(tmp_path / "r"), unseal=crypto.Passphrase(PASSPHRASE)
    )
    assert restored.encrypted and restored.photos == 3
    assert counts(target) == counts(clinic.database)
    target.dispose()


@pytest.fixture
def encrypted(clinic: Clinic, tmp_path: Path) -> Path:
    file = tmp_path / "records.enc"
    backup(
        clinic.database,
        file,
        now=NOW,
        photos=PhotoFiles(clinic.photo_dir),
        seal=crypto.check_passphrase(PASSPHRASE),
    )
    return file


def _refused(
    fresh_url: str, tmp_path: Path, file: Path, message: str, unseal: crypto.Unseal | None = None
) -> None:
    target, into = Database(fresh_url), PhotoFiles(tmp_path / "untouched")
    with pytest.raises(UserError, match=message):
        restore(target, file, photos=into, unseal=unseal or crypto.Passphrase(PASSPHRASE))
    assert into.stored() == [] and not _has_records(target)
    target.dispose()


def test_a_wrong_passphrase_is_refused_as_such_and_nothing_changes(
    encrypted: Path, fresh_url: str, tmp_path: Path
) -> None:
    _refused(fresh_url, tmp_path, encrypted, "wrong passphrase", crypto.Passphrase("x" * 20))


@pytest.mark.parametrize("where", ["first chunk", "last byte", "header", "magic", "a chunk length"])
def test_an_altered_encrypted_backup_is_refused_and_nothing_changes(
    encrypted: Path, fresh_url: str, tmp_path: Path, where: str
) -> None:
    data = bytearray(encrypted.read_bytes())
    header_end = data.index(b"\n", len(crypto.MAGIC)) + 1
    if where == "first chunk":
        data[header_end + 40] ^= 1
    elif where == "last byte":
        data[-1] ^= 1
    elif where == "header":
        at = data.index(b'"content"')
        data[at + 1 : at + 2] = b"C"
    elif where == "magic":
        data[0:1] = b"M"
    else:
        data[header_end] ^= 0x80
    encrypted.write_bytes(bytes(data))
    message = "not a microneedling backup" if where == "magic" else "damaged or altered"
    _refused(fresh_url, tmp_path, encrypted, message)


def test_an_altered_header_fails_every_chunk_even_with_the_key_check_intact(
    encrypted: Path, fresh_url: str, tmp_path: Path
) -> None:
    data = encrypted.read_bytes()
    altered = data.replace(b'"content": "gzipped JSON lines"', b'"content": "gzipped JSON Lines"')
    assert altered != data
    encrypted.write_bytes(altered)
    _refused(fresh_url, tmp_path, encrypted, "damaged or altered")


@pytest.mark.parametrize("keep", [0.0, 0.3, 0.99])
def test_a_truncated_encrypted_backup_is_refused_and_nothing_changes(
    encrypted: Path, fresh_url: str, tmp_path: Path, keep: float
) -> None:
    data = encrypted.read_bytes()
    encrypted.write_bytes(data[: max(len(crypto.MAGIC) + 5, int(len(data) * keep))])
    _refused(fresh_url, tmp_path, encrypted, "damaged|not a microneedling backup|ends early")


def test_bytes_added_after_an_encrypted_backup_are_refused(
    encrypted: Path, fresh_url: str, tmp_path: Path
) -> None:
    encrypted.write_bytes(encrypted.read_bytes() + b"\x00" * 7)
    _refused(fresh_url, tmp_path, encrypted, "damaged or altered")


@pytest.mark.parametrize(
    "header",
    [
        b"not json\n",
        b'{"format": "microneedling-encrypted-backup", "version": 9}\n',
        b"[]\n",
        b"{" + b" " * 5000 + b"}\n",
    ],
)
def test_a_malformed_encrypted_header_is_refused(
    header: bytes, fresh_url: str, tmp_path: Path
) -> None:
    file = tmp_path / "bad.enc"
    file.write_bytes(crypto.MAGIC + header + b"\x00" * 64)
    _refused(fresh_url, tmp_path, file, "damaged encrypted backup|not supported")


def test_a_hostile_scrypt_cost_in_the_header_is_refused_before_deriving(
    encrypted: Path, fresh_url: str, tmp_path: Path
) -> None:
    data = encrypted.read_bytes()
    encrypted.write_bytes(data.replace(b'"n": 32768', b'"n": 1073741824'))
    _refused(fresh_url, tmp_path, encrypted, "key cost")


def test_a_public_key_backup_restores_with_its_private_key_only(
    clinic: Clinic, fresh_url: str, tmp_path: Path
) -> None:
    private = X25519PrivateKey.generate()
    public_pem = tmp_path / "backup-key.pub.pem"
    public_pem.write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    file = tmp_path / "records.enc"
    backup(
        clinic.database,
        file,
        now=NOW,
        photos=PhotoFiles(clinic.photo_dir),
        seal=crypto.load_public_key(public_pem),
    )
    other = crypto.PrivateKey(X25519PrivateKey.generate())
    _refused(fresh_url, tmp_path, file, "another key", other)
    _refused(fresh_url, tmp_path, file, "encrypted for a public key", crypto.Passphrase(PASSPHRASE))
    target = Database(fresh_url)
    restored = restore(
        target, file, photos=PhotoFiles(tmp_path / "r"), unseal=crypto.PrivateKey(private)
    )
    assert restored.photos == 3
    target.dispose()


def test_a_short_passphrase_and_a_key_of_another_kind_are_refused(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="at least 12 characters"):
        crypto.check_passphrase("short pass")
    with pytest.raises(UserError, match="at least 12 characters"):
        crypto.check_passphrase(" " * 30)
    (tmp_path / "junk.pem").write_text(
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"
    )
    with pytest.raises(InputFileError, match="not a PEM public key"):
        crypto.load_public_key(tmp_path / "junk.pem")
    (tmp_path / "big.pem").write_bytes(b"x" * 100_000)
    with pytest.raises(InputFileError, match="too large"):
        crypto.load_public_key(tmp_path / "big.pem")
    with pytest.raises(InputFileError, match="not found"):
        crypto.load_private_key(tmp_path / "missing.pem")


def test_an_oversized_line_in_a_plain_backup_is_refused_without_reading_it_whole(
    clinic: Clinic, fresh_url: str, tmp_path: Path
) -> None:
    file = tmp_path / "records.jsonl.gz"
    backup(clinic.database, file, now=NOW)
    with gzip.open(file, "rt", encoding="utf-8") as lines:
        header = lines.readline()
    with gzip.open(file, "wt", encoding="utf-8") as out:
        out.write(header)
        out.write('{"table": "clinic", "columns": []}\n')
        out.write("[" + " " * (MAX_LINE + 10) + "]\n")
    _refused(fresh_url, tmp_path, file, "longer than any backup makes|columns of clinic")


def test_the_counts_at_the_end_of_a_backup_are_checked(
    clinic: Clinic, fresh_url: str, tmp_path: Path
) -> None:
    file = tmp_path / "records.jsonl"
    backup(clinic.database, file, now=NOW, photos=PhotoFiles(clinic.photo_dir))
    lines = file.read_text().splitlines()
    end = json.loads(lines[-1])
    end["rows"] += 1
    lines[-1] = json.dumps(end)
    file.write_text("\n".join(lines) + "\n")
    _refused(fresh_url, tmp_path, file, "counts at its end do not match")


def _cli_env(url: str, photo_dir: Path, **extra: str) -> dict[str, str]:
    return {
        "MICRONEEDLING_DATABASE_URL": url,
        "MICRONEEDLING_PHOTO_DIR": str(photo_dir),
        **extra,
    }


def test_the_cli_encrypts_with_a_passphrase_from_standard_input_and_restores_with_it(
    clinic: Clinic,
    fresh_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from microneedling.config import settings

    monkeypatch.setenv("MICRONEEDLING_DATABASE_URL", url_of(clinic.database))
    monkeypatch.setenv("MICRONEEDLING_PHOTO_DIR", str(clinic.photo_dir))
    monkeypatch.delenv("MICRONEEDLING_BACKUP_PASSPHRASE", raising=False)
    settings.cache_clear()
    file = tmp_path / "records.enc"
    result = runner.invoke(app, ["db", "backup", str(file), "--encrypt"], input=PASSPHRASE + "\n")
    assert result.exit_code == 0, result.output
    assert "3 photo files" in result.output and "encrypted" in result.output
    assert os.stat(file).st_mode & 0o777 == 0o600
    assert PASSPHRASE not in result.output

    monkeypatch.setenv("MICRONEEDLING_DATABASE_URL", fresh_url)
    monkeypatch.setenv("MICRONEEDLING_PHOTO_DIR", str(tmp_path / "restored"))
    settings.cache_clear()
    wrong = runner.invoke(app, ["db", "restore", str(file)], input="not the passphrase at all\n")
    assert wrong.exit_code == 2
    assert "wrong passphrase" in wrong.output
    assert not (tmp_path / "restored").exists() or not PhotoFiles(tmp_path / "restored").stored()
    monkeypatch.setenv("MICRONEEDLING_BACKUP_PASSPHRASE", PASSPHRASE)
    right = runner.invoke(app, ["db", "restore", str(file)])
    assert right.exit_code == 0, right.output
    assert "3 photo files" in right.output
    assert len(PhotoFiles(tmp_path / "restored").stored()) == 3
    settings.cache_clear()


@pytest.mark.parametrize(
    ("arguments", "stdin", "message"),
    [
        (["x.enc"], "", "give --encrypt or --public-key"),
        (["x.jsonl.gz", "--encrypt"], PASSPHRASE + "\n", "file name ends with .enc"),
        (["x.enc", "--encrypt"], "short\n", "at least 12 characters"),
        (["x.enc", "--encrypt"], "\n", "no backup passphrase"),
        (["x.enc", "--public-key", "missing.pem"], "", "public key file not found"),
        (["x.enc", "--encrypt", "--public-key", "k.pem"], "", "not both"),
    ],
)
def test_the_cli_refuses_encryption_options_that_do_not_fit(
    clinic: Clinic,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    arguments: list[str],
    stdin: str,
    message: str,
) -> None:
    from microneedling.config import settings

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MICRONEEDLING_DATABASE_URL", url_of(clinic.database))
    monkeypatch.setenv("MICRONEEDLING_PHOTO_DIR", str(clinic.photo_dir))
    monkeypatch.delenv("MICRONEEDLING_BACKUP_PASSPHRASE", raising=False)
    settings.cache_clear()
    result = runner.invoke(app, ["db", "backup", *arguments], input=stdin)
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "x.enc").exists() and not (tmp_path / "x.jsonl.gz").exists()
    settings.cache_clear()


def test_the_passphrase_is_never_an_option_on_the_command_line() -> None:
    for command in ("backup", "restore"):
        result = runner.invoke(app, ["db", command, "--help"])
        assert "--passphrase" not in result.output
        assert "MICRONEEDLING_BACKUP_PASSPHRASE" in result.output or command == "restore"


def test_a_bad_backup_with_force_leaves_the_existing_records_as_they_were(
    clinic: Clinic, tmp_path: Path
) -> None:
    """--force drops everything before loading: a file refused must be refused before that."""
    file = tmp_path / "records.enc"
    backup(
        clinic.database,
        file,
        now=NOW,
        photos=PhotoFiles(clinic.photo_dir),
        seal=crypto.check_passphrase(PASSPHRASE),
    )
    data = bytearray(file.read_bytes())
    data[-20] ^= 1
    file.write_bytes(bytes(data))
    before = counts(clinic.database)
    with pytest.raises(UserError, match="damaged or altered"):
        restore(clinic.database, file, force=True, unseal=crypto.Passphrase(PASSPHRASE))
    with pytest.raises(UserError, match="wrong passphrase"):
        restore(clinic.database, file, force=True, unseal=crypto.Passphrase("x" * 16))
    assert counts(clinic.database) == before
    assert PhotoFiles(clinic.photo_dir).stored() == clinic.photo_files


@pytest.mark.parametrize(
    "name", ["../../outside.jpg", "clinic-1/../../x.jpg", "/etc/passwd", "clinic-1/" + "0" * 64]
)
def test_a_photo_named_outside_the_photo_folder_is_refused(
    clinic: Clinic, fresh_url: str, tmp_path: Path, name: str
) -> None:
    file = tmp_path / "records.jsonl"
    backup(clinic.database, file, now=NOW, photos=PhotoFiles(clinic.photo_dir))
    lines = file.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith('{"photo"'))
    marker = json.loads(lines[at])
    marker["photo"] = name
    lines[at] = json.dumps(marker)
    file.write_text("\n".join(lines) + "\n")
    _refused(fresh_url, tmp_path, file, "a photo file name")
    assert not (tmp_path / "outside.jpg").exists()


def test_the_cli_encrypts_for_a_public_key_and_restores_with_its_private_key_only(
    clinic: Clinic, fresh_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from microneedling.config import settings

    private = X25519PrivateKey.generate()
    private_pem, public_pem = tmp_path / "backup-key.pem", tmp_path / "backup-key.pub.pem"
    private_pem.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public_pem.write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    monkeypatch.delenv("MICRONEEDLING_BACKUP_PASSPHRASE", raising=False)
    monkeypatch.setenv("MICRONEEDLING_DATABASE_URL", url_of(clinic.database))
    monkeypatch.setenv("MICRONEEDLING_PHOTO_DIR", str(clinic.photo_dir))
    settings.cache_clear()
    file = tmp_path / "records.enc"
    made = runner.invoke(app, ["db", "backup", str(file), "--public-key", str(public_pem)])
    assert made.exit_code == 0, made.output
    monkeypatch.setenv("MICRONEEDLING_DATABASE_URL", fresh_url)
    monkeypatch.setenv("MICRONEEDLING_PHOTO_DIR", str(tmp_path / "restored"))
    settings.cache_clear()
    without = runner.invoke(app, ["db", "restore", str(file)])
    assert without.exit_code == 2
    assert "give its --private-key FILE" in without.output
    wrong = runner.invoke(app, ["db", "restore", str(file), "--private-key", str(public_pem)])
    assert wrong.exit_code == 2
    assert "not a PEM private key" in wrong.output
    restored = runner.invoke(
        app, ["db", "restore", str(file), "--private-key", str(private_pem), "--json"]
    )
    assert restored.exit_code == 0, restored.output
    outcome = json.loads(restored.output)
    assert outcome["encrypted"] is True and outcome["photos"] == 3
    assert outcome["missing_photos"] == []
    settings.cache_clear()
