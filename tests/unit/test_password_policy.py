"""The password policy (ASVS L2 2.1): length, strength with the person's own words, plain advice."""

from __future__ import annotations

import pytest

from microneedling.errors import UserError
from microneedling.services.passwords import (
    MAX_NEW_PASSWORD_CHARS,
    MIN_NEW_PASSWORD_CHARS,
    check_new_password,
)

PERSON = ("Olivia Owens", "olivia.owens@sunrise.example", "Sunrise Skin", "sunrise")


def refusal(password: object, **kwargs: object) -> str:
    with pytest.raises(UserError) as raised:
        check_new_password(password, user_inputs=PERSON, **kwargs)  # type: ignore[arg-type]
    return raised.value.message


def test_a_long_uncommon_passphrase_is_accepted() -> None:
    check_new_password("velvet lantern orbit cascade", user_inputs=PERSON)


def test_eleven_characters_are_refused_and_told_to_add_words() -> None:
    message = refusal("kq8#Zr!w2Lp")
    assert "is too short: use at least 12 characters" in message
    assert "Add a few more words" in message


def test_sixty_four_and_up_to_the_cap_are_accepted_and_nothing_is_cut_off() -> None:
    check_new_password("velvet lantern orbit cascade " * 2 + "x" * 6, user_inputs=PERSON)
    check_new_password("q7!Vb" * (MAX_NEW_PASSWORD_CHARS // 5), user_inputs=PERSON)
    assert MIN_NEW_PASSWORD_CHARS == 12 and MAX_NEW_PASSWORD_CHARS >= 64


def test_an_oversized_password_is_refused_in_plain_words() -> None:
    assert "is too long: at most 128 characters" in refusal("velvet lantern " * 100)


@pytest.mark.parametrize(
    "common", ["Password1234", "qwertyuiop123", "iloveyou12345", "aaaaaaaaaaaa"]
)
def test_common_and_repetitive_passwords_are_refused_with_zxcvbn_advice(common: str) -> None:
    message = refusal(common)
    assert message.startswith("is too easy to guess.")
    assert "word" in message.lower() or "avoid" in message.lower()


def test_the_persons_own_name_and_clinic_count_against_the_password() -> None:
    check_new_password("sunrise olivia owens", user_inputs=())
    assert "words anyone would try first" in refusal("sunrise olivia owens")
    assert "words anyone would try first" in refusal("OliviaOwens2024!")


@pytest.mark.parametrize("hostile", [None, 12345678901234, b"velvet lantern orbit", " " * 20, ""])
def test_missing_and_malformed_passwords_are_refused(hostile: object) -> None:
    assert refusal(hostile)


def test_the_refusal_names_the_field_it_was_given() -> None:
    with pytest.raises(UserError) as raised:
        check_new_password("short", field="new_password")
    assert raised.value.field == "new_password"


def test_the_demos_published_password_is_refused_for_a_real_account() -> None:
    from microneedling.services.demo_clinic import DEFAULT_PASSWORD

    assert "published with the software" in refusal(DEFAULT_PASSWORD)
    assert "published with the software" in refusal(" MICRONEEDLING-DEMO ")
    assert "words anyone would try first" in refusal("microneedling clinic 1")
