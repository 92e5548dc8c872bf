"""Hostile and odd input: long strings, unusual Unicode, markup, control characters, huge
bodies, ids that are not numbers, files that are not photos. Nothing breaks; markup is shown as
text."""

from __future__ import annotations

import re

import pytest
from tests.web.web_helpers import Clinic, error_summary, new_patient, token


def test_markup_in_a_name_is_shown_as_text_everywhere(clinic: Clinic) -> None:
    patient_id = new_patient(
        clinic, given_name='<script>alert("x")</script>', family_name="<img src=x onerror=alert(1)>"
    )
    client = clinic.signed_in("clinician")
    for path in (
        f"/patients/{patient_id}",
        "/patients?q=%3Cimg",
        f"/patients/{patient_id}/outcomes",
    ):
        text = client.get(path).text
        assert "<script>alert" not in text, path
        assert "<img src=x" not in text, path
        assert "&lt;img src=x onerror=alert(1)&gt;" in text or path.startswith("/patients?"), path


@pytest.mark.parametrize(
    "name",
    ["Zoë Ñúñez", "محمد", "李小龍", "Ólafur 🙂", "e\u0301clair", "\u202eevil"],
)
def test_names_in_any_script_are_kept_and_shown(clinic: Clinic, name: str) -> None:
    client = clinic.signed_in("front_desk")
    response = client.post(
        "/patients/new",
        data={
            "csrf_token": token(client),
            "given_name": name,
            "family_name": "Test",
            "birth_date": "1990-01-01",
            "fitzpatrick": "3",
        },
    )
    assert re.fullmatch(r"/patients/\d+", response.url.path), error_summary(response.text)
    assert name in response.text


def test_a_very_long_name_is_refused_politely(clinic: Clinic) -> None:
    client = clinic.signed_in("front_desk")
    response = client.post(
        "/patients/new",
        data={
            "csrf_token": token(client),
            "given_name": "A" * 10_000,
            "family_name": "Test",
            "birth_date": "1990-01-01",
            "fitzpatrick": "3",
        },
    )
    assert response.status_code == 422
    assert "Given name: is too long: at most 100 characters" in error_summary(response.text)


def test_control_characters_are_refused(clinic: Clinic) -> None:
    client = clinic.signed_in("front_desk")
    response = client.post(
        "/patients/new",
        data={
            "csrf_token": token(client),
            "given_name": "Null\x00Byte",
            "family_name": "Test",
            "birth_date": "1990-01-01",
            "fitzpatrick": "3",
        },
    )
    assert response.status_code == 422
    assert "control characters" in response.text


def test_a_huge_form_is_refused_before_it_is_read(clinic: Clinic) -> None:
    client = clinic.signed_in("front_desk")
    response = client.post(
        "/patients/new", data={"csrf_token": token(client), "given_name": "x" * 2_000_000}
    )
    assert response.status_code == 413


@pytest.mark.parametrize(
    "path", ["/patients/abc", "/patients/-1", "/patients/99999999999999999999", "/plans/1e9"]
)
def test_ids_that_are_not_record_ids_are_not_found(clinic: Clinic, path: str) -> None:
    client = clinic.signed_in("owner")
    response = client.get(path)
    assert response.status_code in (404, 400), path
    assert "Traceback" not in response.text


def test_a_search_with_wildcards_and_markup_finds_nothing_and_breaks_nothing(
    clinic: Clinic,
) -> None:
    new_patient(clinic, given_name="Ada", family_name="Wildcard")
    client = clinic.signed_in("front_desk")
    for query in ("%", "_", "\\", "'; DROP TABLE patient; --", "<b>", "x" * 500):
        response = client.get("/patients", params={"q": query})
        assert response.status_code == 200, query
        assert "<b>" not in response.text.split("</header>")[1] or query != "<b>"
        if query in ("%", "_"):
            assert "Wildcard" not in response.text, query
    assert "Wildcard" in client.get("/patients", params={"q": "Ada"}).text


def test_a_file_that_is_not_a_photo_is_refused_at_the_field(clinic: Clinic) -> None:
    patient_id = new_patient(clinic)
    client = clinic.signed_in("clinician")
    path = f"/patients/{patient_id}/photos"
    response = client.post(
        path,
        data={"csrf_token": token(client, path), "view": "front"},
        files={"photo": ("notes.txt", b"this is not an image", "text/plain")},
    )
    assert response.status_code == 422
    problems = error_summary(response.text)
    assert problems and problems[0].startswith("Photo (JPEG or PNG):"), problems


def test_a_photo_is_stored_and_compared_with_another_of_the_same_view(clinic: Clinic) -> None:
    import io

    from PIL import Image

    def jpeg(colour: str) -> bytes:
        buffer = io.BytesIO()
        Image.new("RGB", (64, 48), colour).save(buffer, "JPEG")
        return buffer.getvalue()

    patient_id = new_patient(clinic)
    client = clinic.signed_in("clinician")
    path = f"/patients/{patient_id}/photos"
    for colour, day in (("red", "2026-10-01"), ("blue", "2026-12-01")):
        response = client.post(
            path,
            data={"csrf_token": token(client, path), "view": "front", "taken_on": day},
            files={"photo": ("face.jpg", jpeg(colour), "image/jpeg")},
        )
        assert response.url.path == path, error_summary(response.text)
    compare = client.get(f"{path}/compare?view=front")
    assert "61 days apart" in compare.text
    images = re.findall(r'src="(/photos/\d+/image)"', compare.text)
    assert len(images) == 2
    image = client.get(images[0])
    assert image.headers["content-type"] == "image/jpeg"
    assert image.headers["cache-control"] == "private, no-store"
