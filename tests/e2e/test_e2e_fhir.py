"""Another system reads our clinic through FHIR R4 exactly as it would any server: ``fhirpy``'s
``SyncFHIRClient`` against the real ``microneedling web`` and ``microneedling serve`` processes
(fresh database, data made through the use cases before they start, a token from
``POST /api/v1/auth/token``). On SQLite and PostgreSQL."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.patient import Patient
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import ForbiddenError, ResourceNotFound
from tests.integration.conftest import PostgresDatabases, SqliteDatabases, databases_for

from microneedling.api.fhir.codes import FITZPATRICK_EXTENSION
from microneedling.services import clinics, patients
from microneedling.store import Database, UnitOfWork

PASSWORD = "quartz mango ferry lighthouse"
PATIENTS = 7


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def databases(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SqliteDatabases | PostgresDatabases]:
    yield from databases_for(request.param, tmp_path_factory, "fhir-e2e")


@dataclass
class Data:
    url: str
    ours: list[int]
    theirs: int


def _clinic(uow: UnitOfWork, slug: str, count: int) -> list[int]:
    owner = clinics.create_clinic(
        uow,
        slug=slug,
        name=f"{slug.title()} Clinic",
        time_zone="Europe/Amsterdam",
        owner={"email": f"owner@{slug}.example", "display_name": "Owner",
               "role": "owner", "password": PASSWORD},
    )  # fmt: skip
    clinics.add_staff_member(
        uow,
        owner,
        {"email": f"desk@{slug}.example", "display_name": "Desk", "role": "front_desk",
         "password": PASSWORD},
    )  # fmt: skip
    return [
        patients.register_patient(
            uow,
            owner,
            {
                "given_name": "Fhira",
                "family_name": f"Pagewell{n}",
                "birth_date": "1985-04-0" + str(n + 1),
                "fitzpatrick": 3,
                "email": f"fhira{n}@example.org",
            },
        )
        for n in range(count)
    ]


@pytest.fixture(scope="module")
def data(databases: SqliteDatabases | PostgresDatabases) -> Data:
    url = databases.migrated_url()
    database = Database(url)
    try:
        uow = UnitOfWork(database)
        ours = _clinic(uow, "fhirhere", PATIENTS)
        theirs = _clinic(uow, "fhirthere", 1)[0]
    finally:
        database.dispose()
    return Data(url, ours, theirs)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module", params=["web", "serve"])
def server(
    request: pytest.FixtureRequest, data: Data, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The real process (``microneedling web`` or ``serve``), its base URL."""
    command = request.param
    folder = tmp_path_factory.mktemp(f"fhir-{command}")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "MICRONEEDLING_DATABASE_URL": data.url,
        "MICRONEEDLING_PHOTO_DIR": str(folder / "photos"),
    }
    extra = ["--no-demo"] if command == "web" else []
    log = folder / f"{command}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("microneedling")), command, "--host",
             "127.0.0.1", "--port", str(port), *extra],
            env=env, cwd=folder, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"{command} exited: {log.read_text(errors='replace')}")
            try:
                httpx.get(base + "/fhir/R4/metadata")
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    pytest.fail(f"{command} did not answer: {log.read_text(errors='replace')}")
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _token(base: str, who: str) -> str:
    answer = httpx.post(
        base + "/api/v1/auth/token",
        data={"username": f"{who}@fhirhere.example", "password": PASSWORD},
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def _client(base: str, who: str = "owner", **kwargs: object) -> SyncFHIRClient:
    return SyncFHIRClient(base + "/fhir/R4", authorization=f"Bearer {_token(base, who)}", **kwargs)  # type: ignore[arg-type]


def test_the_capability_statement_is_served_and_valid(server: str) -> None:
    answer = httpx.get(server + "/fhir/R4/metadata")
    assert answer.headers["content-type"].startswith("application/fhir+json")
    CapabilityStatement.model_validate(answer.json())


def test_a_fhir_client_reads_searches_and_pages_through_the_clinics_patients(
    server: str, data: Data
) -> None:
    client = _client(server, "desk")
    patient = client.reference("Patient", str(data.ours[0])).to_resource()
    Patient.model_validate(patient.serialize())
    assert patient["name"][0]["family"] == "Pagewell0"
    search = client.resources("Patient").search(name="fhira").limit(3)
    first = search.fetch_raw()
    Bundle.model_validate(first.serialize() if hasattr(first, "serialize") else first)
    assert first["total"] == PATIENTS
    everyone = search.fetch_all()
    assert sorted(int(p.id) for p in everyone) == sorted(data.ours)
    assert client.resources("Patient").search(birthdate="1985-04-03").get()["id"] == str(
        data.ours[2]
    )
    lenient = _client(server, "desk", extra_headers={"Prefer": "handling=lenient"})
    assert lenient.resources("Patient").search(name="fhira").count() == PATIENTS


def test_another_clinics_patient_is_an_operation_outcome_not_their_data(
    server: str, data: Data
) -> None:
    client = _client(server, "owner")
    with pytest.raises(ResourceNotFound):
        client.reference("Patient", str(data.theirs)).to_resource()
    assert client.resources("Patient").search(_id=str(data.theirs)).fetch() == []
    answer = httpx.get(
        f"{server}/fhir/R4/Patient/{data.theirs}",
        headers={"Authorization": f"Bearer {_token(server, 'owner')}"},
    )
    assert answer.status_code == 404
    assert answer.json()["resourceType"] == "OperationOutcome"
    assert "Pagewell" not in answer.text


def test_the_front_desk_may_not_read_cartridge_lots_and_nobody_without_a_token(
    server: str,
) -> None:
    with pytest.raises(ForbiddenError, match="front desk"):
        _client(server, "desk").resources("Device").fetch()
    answer = httpx.get(server + "/fhir/R4/Patient")
    assert answer.status_code == 401
    assert answer.json()["resourceType"] == "OperationOutcome"
    unknown = httpx.get(server + "/fhir/R4/Nothing/here/at/all")
    assert unknown.status_code == 404
    assert unknown.json()["resourceType"] == "OperationOutcome"


def test_a_fhir_client_creates_a_patient_and_the_same_one_is_linked_not_doubled(
    server: str, data: Data
) -> None:
    client = _client(server, "desk")
    details = {
        "name": [{"use": "official", "family": "Createdby", "given": ["Client"]}],
        "birthDate": "1979-09-09",
        "telecom": [{"system": "email", "value": "client@example.org"}],
        "extension": [{"url": FITZPATRICK_EXTENSION, "valueInteger": 2}],
    }
    first = client.resource("Patient", **details)
    first.save()
    Patient.model_validate(first.serialize())
    second = client.resource("Patient", **details)
    second.save()
    assert second.id == first.id
    assert client.resources("Patient").search(name="createdby").fetch_raw()["total"] == 1


def test_a_bulk_export_from_the_real_server_holds_the_clinics_patients_only(
    server: str, data: Data
) -> None:
    headers = {"Authorization": f"Bearer {_token(server, 'owner')}"}
    started = httpx.get(
        server + "/fhir/R4/$export",
        params={"_type": "Patient"},
        headers={**headers, "Prefer": "respond-async", "Accept": "application/fhir+json"},
    )
    assert started.status_code == 202, started.text
    location = started.headers["Content-Location"]
    deadline = time.monotonic() + 60
    while (status := httpx.get(location, headers=headers)).status_code == 202:
        assert time.monotonic() < deadline, "the export did not finish"
        time.sleep(0.2)
    assert status.status_code == 200, status.text
    (output,) = status.json()["output"]
    lines = httpx.get(output["url"], headers=headers).text.splitlines()
    ids = {int(Patient.model_validate_json(line).id) for line in lines}  # type: ignore[arg-type]
    assert set(data.ours) <= ids
    assert data.theirs not in ids
    assert httpx.delete(location, headers=headers).status_code == 202
