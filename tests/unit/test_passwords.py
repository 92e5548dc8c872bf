"""Password hashes (scrypt now, behind an interface the API can move to Argon2)."""

from __future__ import annotations

import pytest

from microneedling.services.passwords import hash_password, needs_rehash, verify_password


def test_a_password_verifies_against_its_hash_and_nothing_else() -> None:
    stored = hash_password("correct horse battery", log2_n=10)
    assert stored.startswith("scrypt$10$8$1$")
    assert verify_password("correct horse battery", stored)
    assert not verify_password("correct horse batterY", stored)
    assert stored != hash_password("correct horse battery", log2_n=10)  # salted


@pytest.mark.parametrize("stored", [None, "", "argon2$whatever", "scrypt$99$8$1$aa$bb", "scrypt$x"])
def test_a_missing_or_foreign_hash_never_verifies(stored: str | None) -> None:
    assert not verify_password("anything", stored)


def test_a_hash_with_weaker_parameters_asks_to_be_redone() -> None:
    assert needs_rehash(hash_password("pw", log2_n=10))
    assert not needs_rehash(hash_password("pw"))


def test_an_empty_password_is_refused() -> None:
    with pytest.raises(ValueError):
        hash_password("")
