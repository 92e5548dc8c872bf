"""Issue 14, item 7, in the audit log on SQLite and PostgreSQL: a patient or staff member whose
name holds a direction override or right-to-left letters is isolated in each sentence of the
owners' log, its CSV and the API's reading; the words after the name stay where written."""

from __future__ import annotations

import csv
import io

from tests.integration.conftest import World

from microneedling.services import audit, clinics, patients
from microneedling.text_direction import EMBEDDINGS, FSI, PDI

GIVEN, FAMILY = "Eve\u202eeciv", "\u202bמרים"
STAFF = "\u202eDr Override"


def test_hostile_names_are_isolated_in_the_log_its_csv_and_the_api(world: World) -> None:
    clinics.add_staff_member(
        world.uow, world.owner,
        {"email": f"{world.unique('rtl')}@x.example", "display_name": STAFF, "role": "clinician",
         "password": "velvet lantern orbit cascade"}, clock=world.clock,
    )  # fmt: skip
    patient_id = patients.register_patient(
        world.uow, world.owner,
        {"given_name": GIVEN, "family_name": FAMILY, "birth_date": "1990-01-02", "fitzpatrick": 3},
        clock=world.clock,
    )  # fmt: skip
    patients.open_patient_record(world.uow, world.owner, patient_id, clock=world.clock)
    isolated_patient = f"{FSI}Eveeciv מרים{PDI}"
    log = audit.audit_log(world.uow, world.owner, clock=world.clock)["items"]
    sentences = [item["sentence"] for item in log]
    assert f"Owner opened the record of {isolated_patient}" in sentences
    assert f"Owner added {FSI}Dr Override{PDI} as clinician" in sentences
    csv_text = "".join(audit.audit_export(world.uow, world.owner, clock=world.clock))
    api = audit.audit_page(world.uow, world.owner, limit=1000, clock=world.clock)["items"]
    for text in (*sentences, csv_text, *(item["sentence"] for item in api)):
        assert not set(text) & EMBEDDINGS
    cells = [row[4] for row in csv.reader(io.StringIO(csv_text))]
    assert f"Owner opened the record of {isolated_patient}" in cells
