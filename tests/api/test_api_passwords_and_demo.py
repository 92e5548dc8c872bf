"""Passwords are Argon2id (older scrypt hashes still verify and ask to be redone), and the demo
clinics' accounts sign in through the API, each seeing only its own clinic."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.api.conftest import API, PostgresDatabases, SqliteDatabases
from tests.integration.conftest import TODAY

from microneedling.api.app import create_app
from microneedling.config import Settings
from microneedling.services.demo_clinic import build_demo_clinic
from microneedling.services.passwords import (
    hash_password,
    needs_rehash,
    verify_nothing,
    verify_password,
)
from microneedling.store import Database, PhotoFiles, UnitOfWork
from microneedling.store.migrate import upgrade


def test_a_new_password_is_hashed_with_argon2id_and_salted() -> None:
    stored = hash_password("correct horse battery")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert verify_password("correct horse battery", stored)
    assert not verify_password("correct horse batterY", stored)
    assert stored != hash_password("correct horse battery")
    assert not needs_rehash(stored)


def test_a_legacy_scrypt_hash_still_verifies_and_asks_to_be_redone() -> None:
    legacy = hash_password("old password", log2_n=10)
    assert legacy.startswith("scrypt$")
    assert verify_password("old password", legacy)
    assert needs_rehash(legacy)


@pytest.mark.parametrize("stored", [None, "", "$argon2id$garbage", "scrypt$99$8$1$aa$bb", "x"])
def test_a_missing_or_broken_hash_never_verifies(stored: str | None) -> None:
    assert not verify_password("anything", stored)


def test_verifying_nothing_does_the_work_of_a_verification() -> None:
    verify_nothing("whatever")  # raises nothing, returns nothing


DEMO_PASSWORD = "demo-password-1"


@pytest.fixture
def demo_client(
    databases: SqliteDatabases | PostgresDatabases, tmp_path: Path
) -> Iterator[TestClient]:
    database = Database(databases.new_url())
    upgrade(database)
    build_demo_clinic(
        UnitOfWork(database, PhotoFiles(tmp_path)), today=TODAY, patient_count=4,
        password=DEMO_PASSWORD,
    )  # fmt: skip
    app = create_app(Settings(database_url="sqlite:///unused.db", photo_dir=tmp_path),
                     database=database)  # fmt: skip
    with TestClient(app) as client:
        yield client
    database.dispose()


def test_the_demo_accounts_sign_in_and_see_only_their_clinic(demo_client: TestClient) -> None:
    seen = {}
    for email in ("owner@demo.example", "clinician@demo.example", "frontdesk@demo.example",
                  "owner@second.example"):  # fmt: skip
        token = demo_client.post(
            f"{API}/auth/token", data={"username": email, "password": DEMO_PASSWORD}
        )
        assert token.status_code == 200, (email, token.text)
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        patients = demo_client.get(f"{API}/patients?limit=200", headers=headers).json()["items"]
        seen[email] = {patient["id"] for patient in patients}
    assert seen["owner@demo.example"] == seen["frontdesk@demo.example"]
    assert seen["owner@demo.example"] and seen["owner@second.example"]
    assert not seen["owner@demo.example"] & seen["owner@second.example"]
