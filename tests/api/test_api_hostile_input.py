"""Hostile input is refused cleanly, with the one error body and never a stack trace: bodies over
the limit, deep nesting, NUL characters, invalid Unicode, non-standard JSON numbers, huge and
fake uploads. Odd but valid Unicode and SQL-looking text are stored and given back verbatim."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from tests.api.conftest import API, Clinic

from microneedling.api.app import create_app
from microneedling.config import Settings
from microneedling.store import Database

PATIENT = {"given_name": "Ada", "family_name": "Lovelace", "birth_date": "1990-05-17",
           "fitzpatrick": 2}  # fmt: skip


def error_body(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error", "message", "fields"}, body
    assert "Traceback" not in response.text and 'File "' not in response.text
    return body


def raw(clinic: Clinic, path: str, content: bytes, content_type: str = "application/json",
        **headers: str) -> Any:  # fmt: skip
    return clinic.client.post(
        API + path,
        content=content,
        headers={**clinic.headers("owner"), "Content-Type": content_type, **headers},
    )


def test_a_body_over_the_limit_is_refused_with_413_before_it_is_read(clinic: Clinic) -> None:
    response = raw(clinic, "/patients", b"{}", **{"Content-Length": str(2_000_000)})
    assert response.status_code == 413
    assert error_body(response)["error"] == "too_large"


def test_a_body_over_the_limit_without_a_declared_length_is_refused_as_it_streams(
    clinic: Clinic,
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"given_name": "'
        for _ in range(40):
            yield b"a" * 50_000
        yield b'"}'

    response = clinic.client.post(
        f"{API}/patients",
        content=chunks(),
        headers={**clinic.headers("owner"), "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    error_body(response)


def test_deeply_nested_json_is_refused(clinic: Clinic) -> None:
    document = "[" * 5000 + "]" * 5000
    response = raw(clinic, "/clinic/policy-overrides", document.encode())
    assert response.status_code == 422
    assert "nested" in error_body(response)["message"]


@pytest.mark.parametrize(
    "text",
    ['{"given_name": "A\\u0000da"}', '{"given_name": "\\ud800"}', '{"x\\u0000": 1}'],
    ids=["nul", "lone-surrogate", "nul-in-key"],
)
def test_text_that_cannot_be_stored_is_refused(clinic: Clinic, text: str) -> None:
    response = raw(clinic, "/patients", text.encode())
    assert response.status_code == 422
    error_body(response)


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_standard_json_numbers_are_refused(clinic: Clinic, number: str) -> None:
    response = raw(clinic, "/clinic/policy-overrides", f'{{"limit": {number}}}'.encode())
    assert response.status_code == 422
    error_body(response)


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"\xff\xfe\x00garbage", b"", b"[1, 2"],
    ids=["broken", "binary", "empty", "truncated"],
)
def test_a_body_that_is_not_json_answers_422_with_the_error_body(
    clinic: Clinic, content: bytes
) -> None:
    response = raw(clinic, "/patients", content)
    assert response.status_code == 422
    error_body(response)


def test_a_nul_in_the_address_is_refused(clinic: Clinic) -> None:
    assert clinic.get("/patients?q=Ada%00").status_code == 422
    assert clinic.post("/lots/A%00B/recall", json={"reason": "x"}).status_code == 422


def test_a_nul_in_a_form_is_refused(clinic: Clinic) -> None:
    response = clinic.client.post(
        f"{API}/auth/token", data={"username": "owner\x00@x.example", "password": "pw"}
    )
    assert response.status_code == 422
    error_body(response)


def test_invalid_input_names_every_field(clinic: Clinic) -> None:
    response = clinic.post(
        "/patients", json={"given_name": "", "birth_date": "17/05/1990", "fitzpatrick": 9}
    )
    assert response.status_code == 422
    paths = {field["path"] for field in error_body(response)["fields"]}
    assert {"given_name", "family_name", "birth_date", "fitzpatrick"} <= paths


def test_a_nested_field_is_named_by_its_path(clinic: Clinic) -> None:
    patient_id = clinic.world.patient()
    response = clinic.post(
        f"/patients/{patient_id}/intakes",
        json={"zones": ["cheeks"], "medications": [{"code": "topical_retinoid",
                                                    "stopped_on": "yesterday"}]},
    )  # fmt: skip
    assert response.status_code == 422
    assert error_body(response)["fields"][0]["path"] == "medications[0].stopped_on"


@pytest.mark.parametrize("path", ["/patients/0", "/patients/-1", "/patients/99999999999999999999",
                                  "/patients/abc", "/patients/1.5"])  # fmt: skip
def test_an_id_out_of_range_answers_422_not_a_server_error(clinic: Clinic, path: str) -> None:
    response = clinic.get(path)
    assert response.status_code == 422
    error_body(response)


ODD_NAMES = [
    "Zoë Ångström-Ñúñez",
    "\u202eevil\u202c Name",  # right-to-left override
    "🙂 Smiley 👩🏽‍⚕️",  # emoji with a skin tone and a zero-width joiner
    "Zalgo Z\u0351\u0334\u0310a\u0337",  # combining marks
    "李小龍",
    "\u200bzero width",
]


@pytest.mark.parametrize("name", ODD_NAMES)
def test_odd_but_valid_unicode_is_stored_and_given_back_verbatim(clinic: Clinic, name: str) -> None:
    created = clinic.post("/patients", json={**PATIENT, "family_name": name}, role="front_desk")
    assert created.status_code == 201, created.text
    read = clinic.get(f"/patients/{created.json()['id']}", role="front_desk")
    assert read.json()["family_name"] == name


SQL_LOOKING = [
    "Robert'); DROP TABLE patient;--",
    "' OR '1'='1",
    'x"; DELETE FROM audit_entry; --',
    "%_\\",
]


@pytest.mark.parametrize("text", SQL_LOOKING)
def test_sql_looking_text_is_only_text(clinic: Clinic, text: str) -> None:
    created = clinic.post("/patients", json={**PATIENT, "family_name": text}, role="front_desk")
    assert created.status_code == 201
    assert clinic.get(f"/patients/{created.json()['id']}").json()["family_name"] == text
    found = clinic.get("/patients", params={"q": text})
    assert found.status_code == 200
    assert clinic.get("/audit/verify").json()["intact"] is True


def test_a_search_with_wildcards_matches_them_literally_not_everyone(clinic: Clinic) -> None:
    literal = clinic.world.patient(family_name="100%_Real")
    clinic.world.patient(family_name="1000 Other")
    for text in ("100%_", "100%_r"):
        found = clinic.get("/patients", params={"q": text}).json()["items"]
        assert [item["id"] for item in found] == [literal]
    assert clinic.get("/patients", params={"q": "%"}).json()["items"] == []
    assert clinic.get("/patients", params={"q": "_"}).json()["items"] == []


def jpeg(size: tuple[int, int] = (16, 16)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (120, 80, 60)).save(buffer, "JPEG")
    return buffer.getvalue()


def upload(clinic: Clinic, data: bytes, name: str = "face.jpg", kind: str = "image/jpeg",
           **headers: str) -> Any:  # fmt: skip
    patient_id = clinic.world.patient()
    return clinic.post(
        f"/patients/{patient_id}/photos",
        role="clinician",
        data={"view": "front"},
        files={"file": (name, data, kind)},
        headers=headers,
    )


def test_a_photo_upload_is_stored_and_downloaded_by_clinical_staff_only(clinic: Clinic) -> None:
    response = upload(clinic, jpeg())
    assert response.status_code == 201, response.text
    photo = response.json()
    download = clinic.get(f"/photos/{photo['id']}/file", role="clinician")
    assert download.status_code == 200
    assert download.headers["content-type"] == "image/jpeg"
    assert download.headers["cache-control"] == "no-store"
    assert clinic.get(f"/photos/{photo['id']}/file", role="front_desk").status_code == 403


def test_a_file_that_is_not_an_image_is_refused_with_422(clinic: Clinic) -> None:
    response = upload(clinic, b"%PDF-1.4 not a photo", name="scan.jpg")
    assert response.status_code == 422
    assert error_body(response)["fields"][0]["path"] == "photo"


def test_an_upload_declaring_a_huge_length_is_refused_before_it_is_read(clinic: Clinic) -> None:
    boundary = "b0undary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"view\"\r\n\r\nfront\r\n"
            f"--{boundary}--\r\n").encode()  # fmt: skip
    response = raw(
        clinic,
        f"/patients/{clinic.world.patient()}/photos",
        body,
        f"multipart/form-data; boundary={boundary}",
        **{"Content-Length": str(10**12)},
    )
    assert response.status_code == 413
    error_body(response)


def test_a_photo_over_the_photo_limit_is_refused_with_413(clinic: Clinic) -> None:
    big = jpeg() + b"\x00" * 2_100_000  # over the app's 2 MB photo limit, under the body limit
    response = upload(clinic, big)
    assert response.status_code == 413
    error_body(response)


def test_an_unexpected_failure_answers_500_with_the_error_body_and_no_trace(
    database: Database, tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app: FastAPI = create_app(
        Settings(database_url="sqlite:///unused.db", photo_dir=tmp_path), database=database
    )

    @app.get("/boom")
    def boom(name: str) -> None:
        raise RuntimeError(f"secret patient detail: {name}")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom", params={"name": "Ada Lovelace 1990-05-17"})
    assert response.status_code == 500
    body = error_body(response)
    assert body["error"] == "internal"
    assert "Ada" not in response.text and "RuntimeError" not in response.text
    logged = [record for record in caplog.records if "RuntimeError" in record.getMessage()]
    assert logged, "the failure is logged"
    for record in caplog.records:  # the log has the route and the code, not the data
        assert "Ada" not in record.getMessage() and record.exc_info is None


def test_an_unknown_route_and_a_wrong_method_answer_with_the_error_body(clinic: Clinic) -> None:
    assert error_body(clinic.get("/nowhere"))["error"] == "not_found"
    response = clinic.call("DELETE", "/patients")
    assert response.status_code == 405
    assert error_body(response)["error"] == "method_not_allowed"


def test_every_answer_tells_caches_not_to_keep_it(clinic: Clinic) -> None:
    for response in (clinic.get("/patients"), clinic.get("/patients", role=None)):
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-content-type-options"] == "nosniff"


def test_the_openapi_document_lists_the_one_error_body(clinic: Clinic) -> None:
    document = clinic.client.get("/openapi.json").json()
    assert "ErrorOut" in document["components"]["schemas"]
    assert "HTTPValidationError" not in json.dumps(document)
