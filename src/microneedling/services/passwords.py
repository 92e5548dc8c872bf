"""Password hashing behind a small interface: ``hash_password`` and ``verify_password``.

Stored as ``scrypt$<log2 n>$<r>$<p>$<salt b64>$<hash b64>`` with the standard library's
:func:`hashlib.scrypt`. DESIGN.md asks for Argon2; once ``argon2-cffi`` is a dependency, this module
is the only place to change: new hashes in Argon2's format, and ``verify_password`` still reading
``scrypt$`` hashes so no one has to reset a password (``needs_rehash`` tells when to upgrade one at
the next sign-in).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SCHEME = "scrypt"
#: Cost parameters: n = 2**15, r = 8, p = 1 (about 32 MiB and ~50 ms per hash).
LOG2_N = 15
BLOCK_SIZE = 8
PARALLELISM = 1
SALT_BYTES = 16
HASH_BYTES = 32
MAX_PASSWORD_CHARS = 1024


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def _scrypt(password: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=2**log2_n,
        r=r,
        p=p,
        maxmem=2**log2_n * r * 128 * 2 + 1024 * 1024,
        dklen=HASH_BYTES,
    )


def hash_password(password: str, *, log2_n: int = LOG2_N) -> str:
    """A salted hash of ``password`` to store."""
    if not password or len(password) > MAX_PASSWORD_CHARS:
        raise ValueError(f"a password has 1 to {MAX_PASSWORD_CHARS} characters")
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(password, salt, log2_n, BLOCK_SIZE, PARALLELISM)
    return f"{SCHEME}${log2_n}${BLOCK_SIZE}${PARALLELISM}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches the stored hash (False for no hash or an unknown format)."""
    if not stored or not password or len(password) > MAX_PASSWORD_CHARS:
        return False
    try:
        scheme, log2_n, r, p, salt, digest = stored.split("$")
        if scheme != SCHEME or not 10 <= int(log2_n) <= 20:
            return False
        actual = _scrypt(password, _unb64(salt), int(log2_n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, _unb64(digest))


def needs_rehash(stored: str) -> bool:
    """Whether a stored hash uses weaker parameters (or another scheme) than today's."""
    parts = stored.split("$")
    return len(parts) != 6 or parts[0] != SCHEME or int(parts[1]) < LOG2_N
