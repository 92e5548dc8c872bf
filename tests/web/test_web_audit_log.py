"""Admin → Audit log: sentences with people's names, newest first, paged, filtered, exported as
CSV (spreadsheet-safe); bad filters get a clear message; reading and exporting are audited."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

from tests.web.web_helpers import Clinic, new_patient, token

from microneedling.services import audit, outcomes, patients, plans


def _rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.sub(r"<[^>]+>", " ", row) for row in body.split("<tr>")[1:]]


def test_the_log_reads_as_sentences_with_names_not_ids_or_codes(clinic: Clinic) -> None:
    patient_id = new_patient(clinic, given_name="Sara", family_name="Smits")
    patients.open_patient_record(clinic.uow(), clinic.clinician, patient_id, clock=clinic.clock)
    page = clinic.signed_in("owner").get("/admin/audit")
    assert page.status_code == 200
    text = page.text
    assert "Dr Cleo Clinician opened the record of Sara Smits" in text
    assert "Dana Desk registered Sara Smits" in text
    assert "Olga Owner added Dana Desk as front desk" in text
    shown = " ".join(_rows(text))
    assert "patient.read_record" not in shown and "read_record" not in shown
    assert "staff_user:" not in shown and "None" not in shown
    assert "clinician " + str(clinic.clinician.staff_user_id) not in shown.lower()


def test_the_newest_entry_comes_first_and_times_are_on_the_clinics_clock(clinic: Clinic) -> None:
    clinic.clock.now += timedelta(days=3, hours=5)  # 16:00 in Amsterdam on Fri 4 Dec 2026
    new_patient(clinic, given_name="Nina", family_name="Newest", screened=False, consent=False)
    client = clinic.signed_in("owner")
    rows = _rows(client.get("/admin/audit").text)
    found = next(row for row in rows if "registered Nina Newest" in row)
    assert "Fri 4 Dec 2026 16:00" in found
    # Only what the owner's signing in read (at the same moment) is newer.
    assert all("Fri 4 Dec 2026 16:00" in row for row in rows[: rows.index(found)])
    numbers = [int(row.split()[-1]) for row in rows]
    assert numbers == sorted(numbers, reverse=True)


def test_older_and_newer_links_page_through_the_log(clinic: Clinic) -> None:
    for index in range(55):
        patients.register_patient(
            clinic.uow(),
            clinic.front_desk,
            {"given_name": "Pager", "family_name": f"Person{index:02d}",
             "birth_date": "1980-01-01", "fitzpatrick": 3},
            clock=clinic.clock,
        )  # fmt: skip
    client = clinic.signed_in("owner")
    first = client.get("/admin/audit?patient=pager").text
    assert "55 entries match the filters" in first
    assert len(_rows(first)) == 50
    assert "Person54" in first and "Person04" not in first
    older = re.search(r'href="/admin/audit\?([^"]*before=\d+)">Older', first)
    assert older is not None
    second = client.get("/admin/audit?" + older.group(1).replace("&amp;", "&")).text
    assert "patient=pager" in older.group(1)
    assert "Person04" in _rows(second)[0] and "Person00" in _rows(second)[-1]
    assert len(_rows(second)) == 5
    assert "Older" not in second
    newer = re.search(r'href="/admin/audit\?([^"]*after=\d+)">', second)
    assert newer is not None
    back = client.get("/admin/audit?" + newer.group(1).replace("&amp;", "&")).text
    assert _rows(back) == _rows(first)


def test_filters_by_part_of_a_patients_name_person_action_and_dates(clinic: Clinic) -> None:
    smits = new_patient(clinic, given_name="Sara", family_name="Filterova")
    other = new_patient(clinic, given_name="Bob", family_name="Elsewhere")
    patients.open_patient_record(clinic.uow(), clinic.clinician, smits, clock=clinic.clock)
    patients.open_patient_record(clinic.uow(), clinic.clinician, other, clock=clinic.clock)
    client = clinic.signed_in("owner")
    by_name = client.get("/admin/audit?patient=filterov").text
    assert "Filterova" in by_name and "Elsewhere" not in by_name
    assert 'value="filterov"' in by_name  # kept in the form
    person = clinic.clinician.staff_user_id
    by_person = client.get(f"/admin/audit?person={person}&action=patient.read_record").text
    rows = _rows(by_person)
    assert rows and all("Dr Cleo Clinician opened the record of" in row for row in rows)
    assert f'<option value="{person}" selected>' in by_person
    assert '<option value="patient.read_record" selected>Opened a patient' in by_person
    none = client.get("/admin/audit?from=2026-12-02&to=2026-12-31&patient=filterova").text
    assert "No entries match the filters" in none
    today = client.get("/admin/audit?from=2026-12-01&to=2026-12-01&patient=filterova").text
    assert "Filterova" in today
    assert 'value="2026-12-01"' in today


def test_bad_filters_give_a_clear_message_on_the_page_not_a_fault(clinic: Clinic) -> None:
    client = clinic.signed_in("owner")
    cases = {
        "from=2026-02-30": "expected a date such as 2026-12-08",
        "from=2026-12-09&to=2026-12-01": "is before the first day",
        "action=drop.tables": "choose an action from the list",
        "person=abc": "choose a member of staff from the list",
        "person=999999": "choose a member of staff from the list",
        "before=99999999999999999999999": "expected the number of an entry of the log",
        "before=-3": "expected the number of an entry of the log",
        "before=999999999": "has no entry 999999999",
        "patient=a": "",  # a short name is fine (few patients here)
    }
    for query, message in cases.items():
        page = client.get(f"/admin/audit?{query}")
        if not message:
            assert page.status_code == 200, query
            continue
        assert page.status_code == 422, query
        assert message in page.text, query
        assert "error-summary" in page.text
    kept = client.get("/admin/audit?from=2026-12-09&to=2026-12-01&patient=zed").text
    assert 'value="2026-12-09"' in kept and 'value="zed"' in kept


def test_the_log_downloads_as_csv_with_the_same_filters_and_safe_cells(clinic: Clinic) -> None:
    patient_id = new_patient(clinic, given_name="=HYPERLINK(1)", family_name="Csvson")
    patients.open_patient_record(clinic.uow(), clinic.clinician, patient_id, clock=clinic.clock)
    client = clinic.signed_in("owner")
    page = client.get("/admin/audit?patient=csvson&action=patient.read_record").text
    link = re.search(r'href="(/admin/audit\.csv\?[^"]+)"[^>]*>Download as CSV', page)
    assert link is not None
    address = link.group(1).replace("&amp;", "&")
    assert "patient=csvson" in address and "action=patient.read_record" in address
    response = client.get(address)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == (
        'attachment; filename="audit-log-2026-12-01.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["when", "who", "action", "patient", "sentence", "entry", "hash"]
    assert len(rows) == 2
    when, who, action, patient, sentence, entry, digest = rows[1]
    assert when == "2026-12-01T11:00:00+01:00"
    assert (who, action) == ("Dr Cleo Clinician", "Opened a patient's record")
    assert patient == "'=HYPERLINK(1) Csvson"
    assert sentence == "Dr Cleo Clinician opened the record of =HYPERLINK(1) Csvson"
    assert entry.isdigit() and re.fullmatch(r"[0-9a-f]{64}", digest)


def test_a_formula_in_any_cell_is_defused() -> None:
    for dangerous in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert audit.safe_cell(dangerous) == "'" + dangerous
    assert audit.safe_cell("Sara Smits") == "Sara Smits"


def test_reading_and_exporting_the_log_are_audited_and_for_owners_only(clinic: Clinic) -> None:
    client = clinic.signed_in("owner")
    client.get("/admin/audit")
    client.get("/admin/audit.csv")
    page = client.get("/admin/audit?action=audit.read").text
    assert "Olga Owner downloaded the audit log as CSV" in page
    assert "Olga Owner read the audit log" in page
    for role in ("clinician", "front_desk"):
        other = clinic.signed_in(role)
        assert other.get("/admin/audit").status_code == 403
        assert other.get("/admin/audit.csv").status_code == 403


def test_verifying_the_chain_still_works_from_the_log_page(clinic: Clinic) -> None:
    client = clinic.signed_in("owner")
    page = client.post("/admin/audit/verify", data={"csrf_token": token(client, "/admin/audit")})
    assert page.status_code == 200
    assert "The clinic's audit chain is intact" in page.text
    assert "Download as CSV" in page.text


# No raw internals on the staff pages ---------------------------------------------------------


def _visible(html_text: str) -> str:
    main = html_text.split("<main", 1)[1]
    main = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", main, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


def test_outcome_scales_are_named_not_shown_as_upper_case_codes(clinic: Clinic) -> None:
    patient_id = new_patient(clinic)
    outcomes.record_outcome(
        clinic.uow(), clinic.clinician, patient_id, scale="gais", inputs={"grade": 2},
        assessed_on=date(2026, 11, 20), clock=clinic.clock,
    )  # fmt: skip
    client = clinic.signed_in("clinician")
    for path in (f"/patients/{patient_id}/outcomes", f"/patients/{patient_id}"):
        page = client.get(path).text
        assert "Global Aesthetic Improvement Scale" in _visible(page), path
        assert ">GAIS<" not in page, path  # (the scale choices say "GAIS: Global …", as named)


def test_a_plan_is_called_by_its_day_not_its_number(clinic: Clinic) -> None:
    patient_id = new_patient(clinic)
    plan_id = plans.create_plan(
        clinic.uow(), clinic.clinician, patient_id,
        {"treatments": [{"zone": "cheeks", "concern": "acne_scars", "subtype": "rolling"}]},
        clock=clinic.clock,
    )  # fmt: skip
    client = clinic.signed_in("clinician")
    text = _visible(client.get(f"/plans/{plan_id}").text)
    assert "Treatment plan of Tue 1 Dec 2026" in text
    assert f"Treatment plan {plan_id}" not in text and "on screening " not in text
    record = _visible(client.get(f"/patients/{patient_id}").text)
    assert f"Plan {plan_id}" not in record and "Plan of Tue 1 Dec 2026" in record
