"""Encrypted backups: a stream of AES-256-GCM chunks under a key from a passphrase or for a public key.

The file::

    microneedling-encrypted-backup\\n          (the magic line)
    {"format": ..., "version": 1, ...}\\n      (the header: one JSON line, at most 4 KiB)
    chunk, chunk, ..., final chunk           (4-byte big-endian length, then AES-GCM ciphertext)

The key is either derived from a passphrase with scrypt (``"kind": "passphrase"``: salt and cost
in the header) or made for an X25519 public key (``"kind": "x25519"``: a new key pair per backup,
its public half in the header; the shared secret through HKDF-SHA256); openssl makes such keys
(``openssl genpkey -algorithm X25519``). The header also holds a key check (HMAC-SHA256 of a fixed
text under the key) so that a wrong passphrase or private key is told apart from a damaged file.

Each chunk (1 MiB of plaintext at most) is sealed with a nonce made of the header's random prefix,
the chunk's number and a last-chunk flag, and with the whole header as associated data (the
"STREAM" construction): reordering, dropping, truncating or editing any byte of the file — the
header included — fails authentication. The plaintext is the gzipped JSON-lines backup.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from microneedling.errors import InputFileError, UserError

MAGIC = b"microneedling-encrypted-backup\n"
FORMAT = "microneedling-encrypted-backup"
VERSION = 1
CHUNK = 1 << 20
MAX_HEADER = 4096
#: scrypt's cost: 2**15 × 8 × 128 bytes = 32 MiB and about a tenth of a second.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
#: The largest cost a header may ask for (a hostile file must not make restoring take forever).
SCRYPT_MAX_N = 2**20
MIN_PASSPHRASE = 12
_CHECK = b"microneedling backup key check"
_HKDF_INFO = b"microneedling encrypted backup v1"


class WrongKey(UserError):
    """The passphrase or private key is not the one the backup was encrypted for."""


@dataclass(frozen=True)
class Passphrase:
    text: str


@dataclass(frozen=True)
class PublicKey:
    key: X25519PublicKey


@dataclass(frozen=True)
class PrivateKey:
    key: X25519PrivateKey


Seal = Passphrase | PublicKey
Unseal = Passphrase | PrivateKey


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(value: Any, what: str, path: Path, size: int | None = None) -> bytes:
    try:
        data = base64.b64decode(str(value), validate=True)
    except (ValueError, TypeError):
        raise InputFileError(f"{path}: damaged encrypted backup ({what})") from None
    if size is not None and len(data) != size:
        raise InputFileError(f"{path}: damaged encrypted backup ({what})")
    return data


def check_passphrase(text: str) -> Passphrase:
    """A passphrase to encrypt with: at least 12 characters, not only spaces."""
    if len(text.strip()) < MIN_PASSPHRASE:
        raise UserError(
            f"the backup passphrase needs at least {MIN_PASSPHRASE} characters", field="passphrase"
        )
    if len(text) > 1024:
        raise UserError("the backup passphrase is longer than 1,024 characters", field="passphrase")
    return Passphrase(text)


def _pem(path: Path, what: str) -> bytes:
    if not path.is_file():
        raise InputFileError(f"{path}: {what} file not found")
    if path.stat().st_size > 64_000:
        raise InputFileError(f"{path}: not a {what} file (too large)")
    return path.read_bytes()


def load_public_key(path: Path) -> PublicKey:
    """An X25519 public key from a PEM file (``openssl pkey -in KEY.pem -pubout``)."""
    try:
        key = serialization.load_pem_public_key(_pem(path, "public key"))
    except ValueError:
        raise InputFileError(f"{path}: not a PEM public key") from None
    if not isinstance(key, X25519PublicKey):
        raise InputFileError(
            f"{path}: the public key must be an X25519 key "
            "(openssl genpkey -algorithm X25519 -out backup-key.pem)"
        )
    return PublicKey(key)


def load_private_key(path: Path, password: str | None = None) -> PrivateKey:
    """An X25519 private key from a PEM file (protected by ``password`` if it is)."""
    try:
        key = serialization.load_pem_private_key(
            _pem(path, "private key"), password.encode() if password else None
        )
    except TypeError:
        raise UserError(
            f"{path}: the private key is protected by a password; give it as the passphrase",
            field="private_key",
        ) from None
    except ValueError:
        raise InputFileError(f"{path}: not a PEM private key (or its password is wrong)") from None
    if not isinstance(key, X25519PrivateKey):
        raise InputFileError(f"{path}: the private key must be an X25519 key")
    return PrivateKey(key)


def _fingerprint(key: X25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def _hkdf(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=ephemeral + recipient, info=_HKDF_INFO
    ).derive(shared)


def _scrypt(text: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(text.encode("utf-8"))


def _check(key: bytes) -> bytes:
    return hmac.new(key, _CHECK, hashlib.sha256).digest()[:16]


def _new_key(seal: Seal) -> tuple[bytes, dict[str, Any]]:
    if isinstance(seal, Passphrase):
        salt = os.urandom(16)
        key = _scrypt(seal.text, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
        return key, {
            "kind": "passphrase",
            "kdf": "scrypt",
            "salt": _b64(salt),
            "n": SCRYPT_N,
            "r": SCRYPT_R,
            "p": SCRYPT_P,
        }
    ephemeral = X25519PrivateKey.generate()
    ephemeral_raw = ephemeral.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    recipient_raw = seal.key.public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    key = _hkdf(ephemeral.exchange(seal.key), ephemeral_raw, recipient_raw)
    return key, {
        "kind": "x25519",
        "ephemeral": _b64(ephemeral_raw),
        "recipient": _fingerprint(seal.key),
    }


def _nonce(prefix: bytes, counter: int, final: bool) -> bytes:
    return prefix + struct.pack(">IB", counter, 1 if final else 0)


class EncryptingWriter(io.RawIOBase):
    """A binary stream that writes an encrypted backup into ``raw`` (closing it closes ``raw``)."""

    def __init__(self, raw: IO[bytes], seal: Seal) -> None:
        super().__init__()
        self._raw = raw
        self._key, key_info = _new_key(seal)
        self._prefix = os.urandom(7)
        header = {
            "format": FORMAT,
            "version": VERSION,
            "cipher": "AES-256-GCM",
            "chunk_bytes": CHUNK,
            "nonce_prefix": _b64(self._prefix),
            "key": key_info | {"check": _b64(_check(self._key))},
            "content": "gzipped JSON lines",
        }
        self._header = MAGIC + json.dumps(header, sort_keys=True).encode("ascii") + b"\n"
        raw.write(self._header)
        self._aead = AESGCM(self._key)
        self._buffer = bytearray()
        self._counter = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._buffer += data
        while len(self._buffer) > CHUNK:
            self._emit(bytes(self._buffer[:CHUNK]), final=False)
            del self._buffer[:CHUNK]
        return len(data)

    def _emit(self, plain: bytes, *, final: bool) -> None:
        sealed = self._aead.encrypt(_nonce(self._prefix, self._counter, final), plain, self._header)
        self._raw.write(struct.pack(">I", len(sealed)) + sealed)
        self._counter += 1

    def close(self) -> None:
        if not self.closed:
            self._emit(bytes(self._buffer), final=True)
            self._buffer.clear()
            self._raw.flush()
            os.fsync(self._raw.fileno())
            self._raw.close()
        super().close()


def is_encrypted(path: Path) -> bool:
    with path.open("rb") as probe:
        return probe.read(len(MAGIC)) == MAGIC


def read_header(path: Path, raw: IO[bytes]) -> tuple[dict[str, Any], bytes]:
    """The header of an encrypted backup (``raw`` positioned after it) and its bytes."""
    if raw.read(len(MAGIC)) != MAGIC:
        raise InputFileError(f"{path}: not an encrypted microneedling backup")
    line = raw.readline(MAX_HEADER)
    if not line.endswith(b"\n"):
        raise InputFileError(f"{path}: damaged encrypted backup (header)")
    try:
        header = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        raise InputFileError(f"{path}: damaged encrypted backup (header)") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise InputFileError(f"{path}: damaged encrypted backup (header)")
    if header.get("version") != VERSION:
        raise InputFileError(
            f"{path}: encrypted backup version {header.get('version')!r} is not supported; "
            "upgrade the software first"
        )
    if header.get("cipher") != "AES-256-GCM" or header.get("chunk_bytes") != CHUNK:
        raise InputFileError(f"{path}: damaged encrypted backup (cipher)")
    key = header.get("key")
    if not isinstance(key, dict) or key.get("kind") not in ("passphrase", "x25519"):
        raise InputFileError(f"{path}: damaged encrypted backup (key)")
    return header, MAGIC + line


def needs(path: Path) -> str:
    """What opens an encrypted backup: ``"passphrase"`` or ``"private key"``."""
    with path.open("rb") as raw:
        header, _ = read_header(path, raw)
    return "passphrase" if header["key"]["kind"] == "passphrase" else "private key"


def _derive(path: Path, key_info: dict[str, Any], unseal: Unseal | None) -> bytes:
    if key_info["kind"] == "passphrase":
        if not isinstance(unseal, Passphrase):
            raise UserError(f"{path} is encrypted with a passphrase; give the passphrase")
        try:
            n, r, p = int(key_info["n"]), int(key_info["r"]), int(key_info["p"])
        except (KeyError, TypeError, ValueError):
            raise InputFileError(f"{path}: damaged encrypted backup (key)") from None
        if not (2 <= n <= SCRYPT_MAX_N and n & (n - 1) == 0 and 1 <= r <= 32 and 1 <= p <= 16):
            raise InputFileError(f"{path}: damaged encrypted backup (key cost)")
        salt = _unb64(key_info.get("salt"), "salt", path, 16)
        return _scrypt(unseal.text, salt, n, r, p)
    if not isinstance(unseal, PrivateKey):
        raise UserError(
            f"{path} is encrypted for a public key; give its private key (--private-key FILE)"
        )
    ephemeral_raw = _unb64(key_info.get("ephemeral"), "key", path, 32)
    mine = unseal.key.public_key()
    if key_info.get("recipient") != _fingerprint(mine):
        raise WrongKey(f"{path} was encrypted for another key; this private key does not open it")
    shared = unseal.key.exchange(X25519PublicKey.from_public_bytes(ephemeral_raw))
    recipient_raw = mine.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return _hkdf(shared, ephemeral_raw, recipient_raw)


class DecryptingReader(io.RawIOBase):
    """The plaintext of an encrypted backup; any change to the file raises InputFileError."""

    def __init__(self, path: Path, unseal: Unseal | None) -> None:
        super().__init__()
        self._path = path
        self._raw = path.open("rb")
        try:
            header, self._header = read_header(path, self._raw)
            key_info = header["key"]
            key = _derive(path, key_info, unseal)
            check = _unb64(key_info.get("check"), "key check", path, 16)
            if not hmac.compare_digest(check, _check(key)):
                raise WrongKey(
                    "wrong passphrase: it does not open this backup"
                    if key_info["kind"] == "passphrase"
                    else "wrong private key: it does not open this backup"
                )
            self._prefix = _unb64(header.get("nonce_prefix"), "nonce", path, 7)
        except BaseException:
            self._raw.close()
            raise
        self._aead = AESGCM(key)
        self._counter = 0
        self._pending = b""
        self._offset = 0
        self._done = False

    def readable(self) -> bool:
        return True

    def _damaged(self, what: str) -> InputFileError:
        return InputFileError(f"{self._path}: the encrypted backup is damaged or altered ({what})")

    def _next_chunk(self) -> bytes:
        size_bytes = self._raw.read(4)
        if len(size_bytes) < 4:
            raise self._damaged("it ends early")
        (size,) = struct.unpack(">I", size_bytes)
        if not 16 <= size <= CHUNK + 16:
            raise self._damaged("a chunk's length")
        sealed = self._raw.read(size)
        if len(sealed) < size:
            raise self._damaged("it ends early")
        for final in (False, True):
            try:
                plain = self._aead.decrypt(
                    _nonce(self._prefix, self._counter, final), sealed, self._header
                )
            except InvalidTag:
                continue
            self._counter += 1
            if final:
                if self._raw.read(1):
                    raise self._damaged("bytes after the end")
                self._done = True
            return plain
        raise self._damaged(f"chunk {self._counter + 1}")

    def readinto(self, buffer: Any) -> int:
        while self._offset >= len(self._pending) and not self._done:
            self._pending, self._offset = self._next_chunk(), 0
        count = min(len(buffer), len(self._pending) - self._offset)
        buffer[:count] = self._pending[self._offset : self._offset + count]
        self._offset += count
        return count

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()
