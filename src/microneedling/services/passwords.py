"""Password hashing behind a small interface: ``hash_password``, ``verify_password``,
``needs_rehash`` and ``verify_nothing``.

New hashes are Argon2id (``argon2-cffi``), with OWASP's minimum parameters (19 MiB, 2 passes, one
lane: about 20-40 ms and 19 MiB per sign-in, so a burst of sign-ins cannot exhaust memory). Hashes
made before Argon2 (``scrypt$<log2 n>$<r>$<p>$<salt b64>$<hash b64>``) still verify, and
``needs_rehash`` says they should be replaced: signing in upgrades them.

``verify_nothing`` costs what a real verification costs; sign-in calls it for an unknown e-mail so
that the time taken does not tell whether an account exists.

``check_new_password`` is the password policy (OWASP ASVS level 2, section 2.1), applied wherever
a password is chosen: first-run setup, ``clinic create``, adding a staff member, changing or
resetting a password. A new password has 12 to 128 characters (any characters, spaces included;
nothing is cut off), and zxcvbn, with no network, must score it at least 3 of 4 with the person's
name, e-mail and clinic counted as known words; a refusal says what to do, in zxcvbn's words.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import threading
from collections.abc import Iterable
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from zxcvbn import zxcvbn

from microneedling.errors import UserError

MAX_PASSWORD_CHARS = 1024

#: The password policy: ASVS 2.1.1 (at least 12), 2.1.2 (at least 64 allowed), 2.1.7 (strength).
MIN_NEW_PASSWORD_CHARS = 12
MAX_NEW_PASSWORD_CHARS = 128
#: zxcvbn's score (0-4) a new password needs: 3 is "safely unguessable" (about 10^10 guesses).
MIN_STRENGTH = 3
#: Passwords printed in the software's own documents (the demo's): never a real account's.
PUBLISHED_PASSWORDS = frozenset({"microneedling-demo"})
#: Words anyone attacking this software tries first, whoever the person is.
PRODUCT_WORDS = ("microneedling", "microneedle", "dermaroller", "clinic")
#: zxcvbn refuses longer passwords; a longer one is judged by its first 72 characters.
_ZXCVBN_CHARS = 72
#: zxcvbn keeps the user inputs in a module-level dictionary, so calls take turns.
_ZXCVBN_LOCK = threading.Lock()

#: Argon2id, OWASP's minimum recommended parameters.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)

#: The legacy scheme: n = 2**15, r = 8, p = 1.
SCRYPT = "scrypt"
LOG2_N = 15
BLOCK_SIZE = 8
PARALLELISM = 1
SALT_BYTES = 16
HASH_BYTES = 32


def hash_password(password: str, *, log2_n: int | None = None) -> str:
    """A salted Argon2id hash of ``password`` to store.

    ``log2_n`` makes a legacy scrypt hash instead (only to exercise the upgrade path).
    """
    if not password or len(password) > MAX_PASSWORD_CHARS:
        raise ValueError(f"a password has 1 to {MAX_PASSWORD_CHARS} characters")
    if log2_n is not None:
        return _scrypt_hash(password, log2_n)
    return HASHER.hash(password)


def verify_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches the stored hash (False for no hash or an unknown format)."""
    if not stored or not password or len(password) > MAX_PASSWORD_CHARS:
        return False
    if stored.startswith("$argon2"):
        try:
            return HASHER.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
    return _scrypt_verify(password, stored)


def needs_rehash(stored: str) -> bool:
    """Whether a stored hash uses another scheme or weaker parameters than today's."""
    if not stored.startswith("$argon2"):
        return True
    try:
        return HASHER.check_needs_rehash(stored)
    except (InvalidHashError, ValueError):
        return True


def check_new_password(
    password: str, *, user_inputs: Iterable[str] = (), field: str = "password"
) -> None:
    """Refuse a new password the policy does not accept, with a message saying what to do.

    The message follows the field's label ("Password: is too easy to guess. Add another word or
    two."), as the forms show it and the command line prints it.

    ``user_inputs`` are words an attacker would try first for this person: their name, e-mail,
    clinic name and slug (split into words here). Raises :class:`UserError` on ``field``.
    """
    if not isinstance(password, str) or len(password) < MIN_NEW_PASSWORD_CHARS:
        raise UserError(
            f"is too short: use at least {MIN_NEW_PASSWORD_CHARS} characters. Add a few more "
            "words (a short sentence is easy to remember and hard to guess).",
            field=field,
        )
    if len(password) > MAX_NEW_PASSWORD_CHARS:
        raise UserError(
            f"is too long: at most {MAX_NEW_PASSWORD_CHARS} characters. Choose a shorter one.",
            field=field,
        )
    if not password.strip():
        raise UserError("cannot be only spaces: use a few words.", field=field)
    if password.strip().casefold() in PUBLISHED_PASSWORDS:
        raise UserError(
            "is the demo's password, published with the software: choose one of your own.",
            field=field,
        )
    words = _known_words((*user_inputs, *PRODUCT_WORDS))
    with _ZXCVBN_LOCK:
        result = zxcvbn(password[:_ZXCVBN_CHARS], user_inputs=words)
    own = sum(
        len(match["token"])
        for match in result["sequence"]
        if match.get("dictionary_name") == "user_inputs"
    )
    if own * 2 >= len(password[:_ZXCVBN_CHARS].replace(" ", "")):
        raise UserError(
            "is mostly words anyone would try first (your name, e-mail, the clinic's name, "
            "this software's). Add another word or two. Uncommon words are better.",
            field=field,
        )
    if result["score"] >= MIN_STRENGTH:
        return
    feedback = result.get("feedback") or {}
    advice = [str(feedback.get("warning") or "").strip()]
    advice += [str(tip).strip() for tip in feedback.get("suggestions") or []]
    said = " ".join(_sentence(line) for line in advice if line)
    raise UserError(
        "is too easy to guess. " + (said or "Add another word or two. Uncommon words are better."),
        field=field,
    )


def _known_words(user_inputs: Iterable[str]) -> list[str]:
    words: list[str] = []
    for text in user_inputs:
        if not text:
            continue
        text = str(text)[:254].lower()
        words.append(text)
        words += [part for part in re.split(r"[^\w]+", text) if len(part) >= 3]
    return list(dict.fromkeys(words))


def _sentence(text: str) -> str:
    return text if text.endswith((".", "!", "?")) else text + "."


@cache
def _dummy_hash() -> str:
    return HASHER.hash(secrets.token_urlsafe(16))


def verify_nothing(password: str) -> None:
    """Spend the time a verification takes, for an account that does not exist."""
    verify_password(password or "-", _dummy_hash())


# The legacy scheme --------------------------------------------------------------------------


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


def _scrypt_hash(password: str, log2_n: int) -> str:
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(password, salt, log2_n, BLOCK_SIZE, PARALLELISM)
    return f"{SCRYPT}${log2_n}${BLOCK_SIZE}${PARALLELISM}${_b64(salt)}${_b64(digest)}"


def _scrypt_verify(password: str, stored: str) -> bool:
    try:
        scheme, log2_n, r, p, salt, digest = stored.split("$")
        if scheme != SCRYPT or not 10 <= int(log2_n) <= 20 or int(r) > 32 or int(p) > 4:
            return False
        actual = _scrypt(password, _unb64(salt), int(log2_n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, _unb64(digest))
