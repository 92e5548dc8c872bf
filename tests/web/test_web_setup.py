"""The first-run setup in the pages: a database without a clinic asks for one (and its owner)
once; afterwards the setup is gone, and a form sent to it anyway is refused. A demo installation
says so on every page."""

from __future__ import annotations

import html
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.web.web_helpers import START, MovableClock, csrf_of

from microneedling.config import Settings
from microneedling.services import clinics
from microneedling.services.demo_clinic import DEFAULT_PASSWORD
from microneedling.services.maintenance import open_database, unit_of_work
from microneedling.store import Database
from microneedling.web import create_web_app
from microneedling.web.settings import WebSettings

with __import__("warnings").catch_warnings():
    __import__("warnings").simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

STRONG = "velvet lantern orbit cascade"


class Fresh:
    def __init__(self, folder: Path, template: Path) -> None:
        shutil.copyfile(template, folder / "records.db")
        self.settings = Settings(
            database_url=f"sqlite:///{folder / 'records.db'}", photo_dir=folder / "photos"
        )
        self.database: Database = open_database(self.settings)
        self.app = create_web_app(
            self.settings,
            web_settings=WebSettings(secret_key="s" * 40),
            database=self.database,
            clock=MovableClock(START),
        )

    def client(self) -> TestClient:
        return TestClient(self.app, follow_redirects=True)

    def clinics(self) -> list[str]:
        with unit_of_work(self.database, self.settings) as uow:
            return [row.slug for row in uow.session.query(clinics.Clinic)]


@pytest.fixture
def fresh(tmp_path: Path, migrated_sqlite: Path) -> Iterator[Fresh]:
    made = Fresh(tmp_path, migrated_sqlite)
    yield made
    made.database.dispose()


def setup_form(**changes: Any) -> dict[str, Any]:
    return {
        "clinic_name": "Sunrise Skin",
        "slug": "",
        "time_zone": "Europe/Amsterdam",
        "display_name": "Ada Lovelace",
        "email": "ada@sunrise.example",
        "password": STRONG,
        "password_again": STRONG,
        **changes,
    }


def post_setup(client: TestClient, **changes: Any) -> Any:
    page = client.get("/setup")
    token = csrf_of(page.text)
    return client.post("/setup", data={"csrf_token": token, **setup_form(**changes)})


def test_a_database_without_a_clinic_opens_on_the_setup(fresh: Fresh) -> None:
    client = fresh.client()
    for path in ("/", "/sign-in", "/patients", "/admin/staff"):
        page = client.get(path)
        assert page.url.path == "/setup", path
        assert "Set up the clinic" in page.text
        assert 'name="password_again"' in page.text


def test_the_setup_makes_the_clinic_and_its_owner_who_then_signs_in(fresh: Fresh) -> None:
    client = fresh.client()
    done = post_setup(client)
    assert done.status_code == 200 and done.url.path == "/sign-in"
    assert "Sunrise Skin is set up. Sign in as ada@sunrise.example" in done.text
    assert fresh.clinics() == ["sunrise-skin"]  # the short name made from the name
    page = client.get("/sign-in")
    signed = client.post(
        "/sign-in",
        data={"csrf_token": csrf_of(page.text), "email": "ada@sunrise.example",
              "password": STRONG, "next": "/"},
    )  # fmt: skip
    assert signed.url.path in ("/", "/account/password")
    assert "Sunrise Skin" in signed.text and "Ada Lovelace" in signed.text


def test_after_the_setup_its_page_is_gone_and_a_second_one_is_refused(fresh: Fresh) -> None:
    client = fresh.client()
    post_setup(client)
    assert client.get("/setup").url.path == "/sign-in"
    # A form from a tab left open (or forged: it carries a valid token of its own session).
    other = fresh.client()
    token = csrf_of(other.get("/sign-in").text)
    again = other.post(
        "/setup",
        data={"csrf_token": token, **setup_form(clinic_name="Take Over", email="eve@x.example")},
    )
    assert again.status_code == 409
    assert "already set up" in again.text
    assert fresh.clinics() == ["sunrise-skin"]


def test_a_setup_form_without_its_token_is_refused(fresh: Fresh) -> None:
    response = fresh.client().post("/setup", data=setup_form())
    assert response.status_code == 403
    assert fresh.clinics() == []


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"clinic_name": ""}, "Clinic's name", "is required"),
        ({"clinic_name": "N" * 201}, "Clinic's name", "too long"),
        ({"clinic_name": "Sun\x00rise"}, "Clinic's name", "control characters"),
        ({"slug": "Not A Slug"}, "Short name", "lower-case letters"),
        ({"slug": "demo"}, "Short name", "kept for the demo clinics"),
        ({"clinic_name": "診療所"}, "Short name", "is required for this name"),
        ({"time_zone": "Mars/Olympus"}, "Time zone", "choose"),
        ({"time_zone": ""}, "Time zone", "choose"),
        ({"display_name": ""}, "Your name", "is required"),
        ({"email": "not-an-address"}, "Your e-mail address", "e-mail"),
        ({"email": "a" * 300 + "@x.example"}, "Your e-mail address", "too long"),
        ({"password": "", "password_again": ""}, "Password", "is required"),
        ({"password": "shortpass", "password_again": "shortpass"}, "Password", "at least 12"),
        (
            {"password": "Password12345", "password_again": "Password12345"},
            "Password",
            "too easy to guess",
        ),
        (
            {"password": DEFAULT_PASSWORD, "password_again": DEFAULT_PASSWORD},
            "Password",
            "published with the software",
        ),
        ({"password_again": STRONG + "x"}, "Password again", "not the same"),
        ({"password": "p" * 5000, "password_again": "p" * 5000}, "Password", "at most"),
    ],
)
def test_a_malformed_setup_is_refused_saying_which_field_and_what_to_do(
    fresh: Fresh, changes: dict[str, Any], field: str, says: str
) -> None:
    response = post_setup(fresh.client(), **changes)
    assert response.status_code == 422
    text = html.unescape(response.text)
    assert f"{field}: " in text and says in text
    assert STRONG not in response.text  # passwords are never sent back
    assert fresh.clinics() == []


def test_hostile_text_in_the_setup_is_shown_as_text(fresh: Fresh) -> None:
    response = post_setup(fresh.client(), clinic_name="<script>alert(1)</script>", slug="BAD!")
    assert response.status_code == 422
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;" in response.text


def test_an_installation_without_the_demo_has_no_banner_and_one_with_it_says_so(
    fresh: Fresh,
) -> None:
    client = fresh.client()
    post_setup(client)
    assert "Demo installation" not in client.get("/sign-in").text
    clinics.create_clinic(
        unit_of_work(fresh.database, fresh.settings), slug="demo", name="Demo Skin Clinic",
        time_zone="Europe/Amsterdam", demo=True,
        owner={"email": "owner@demo.example", "display_name": "Olivia Owens", "role": "owner",
               "password": DEFAULT_PASSWORD},
    )  # fmt: skip
    page = client.get("/sign-in")
    assert "Demo installation" in page.text and "published" in page.text


def test_a_name_in_another_script_is_kept_with_a_short_name_given(fresh: Fresh) -> None:
    done = post_setup(fresh.client(), clinic_name="診療所 Tokyo", slug="")
    assert done.url.path == "/sign-in"
    assert fresh.clinics() == ["tokyo"]
