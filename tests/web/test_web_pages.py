"""Every page renders for the roles that may see it, with labels on its fields, the security
headers, and HTMX served from this site with its licence."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from tests.web.web_helpers import Clinic, appointment_now, chart_form, new_patient, token

from microneedling.services import charts, outcomes, plans


class _Fields(HTMLParser):
    """Form fields and the ids labels point at."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str | None]] = []
        self.labelled: set[str] = set()
        self.wrapped_depth = 0
        self.wrapped: set[int] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "label":
            self.wrapped_depth += 1
            if values.get("for"):
                self.labelled.add(str(values["for"]))
        if tag in ("input", "select", "textarea") and values.get("type") not in (
            "hidden",
            "submit",
        ):
            name = str(values.get("name"))
            if self.wrapped_depth or values.get("aria-label"):
                self.labelled.add(f"wrapped:{name}:{len(self.fields)}")
                self.fields.append((name, f"wrapped:{name}:{len(self.fields)}"))
            else:
                self.fields.append((name, values.get("id")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.wrapped_depth -= 1


def _unlabelled(html: str) -> list[str]:
    parser = _Fields()
    parser.feed(html)
    return [name for name, ident in parser.fields if ident not in parser.labelled]


def _seeded(clinic: Clinic) -> dict[str, int]:
    patient_id = new_patient(clinic)
    plan_id = plans.create_plan(
        clinic.uow(),
        clinic.clinician,
        patient_id,
        {"treatments": [{"zone": "cheeks", "concern": "texture"}]},
        clock=clinic.clock,
    )
    appointment_id = appointment_now(clinic, patient_id)
    entry = chart_form(clinic, 'name="csrf_token" value="x"')
    charts.chart_session(
        clinic.uow(),
        clinic.clinician,
        appointment_id,
        {
            "device_id": int(entry["device_id"]),
            "cartridge_lot": entry["cartridge_lot"],
            "needle_count": 12,
            "zones": [{"zone": "cheeks", "depth_mm": 1.0, "passes": 2}],
            "clinical_endpoint": "uniform erythema",
            "duration_minutes": 30,
        },
        clock=clinic.clock,
    )
    outcomes.record_outcome(
        clinic.uow(), clinic.clinician, patient_id, scale="posas",
        inputs={f"{part}.{item}": 3 for part, items in (
            ("observer", ("vascularity", "pigmentation", "thickness", "relief", "pliability",
                          "surface_area", "overall")),
            ("patient", ("pain", "itching", "colour", "stiffness", "thickness", "irregularity",
                         "overall")),
        ) for item in items},
        clock=clinic.clock,
    )  # fmt: skip
    return {"patient": patient_id, "plan": plan_id, "appointment": appointment_id}


def test_every_page_renders_for_an_owner_with_every_field_labelled(clinic: Clinic) -> None:
    ids = _seeded(clinic)
    p, plan, a = ids["patient"], ids["plan"], ids["appointment"]
    client = clinic.signed_in("owner")
    pages = [
        "/",
        "/?day=2026-12-02",
        "/patients",
        "/patients/new",
        f"/patients/{p}",
        f"/patients/{p}/intakes/new",
        f"/patients/{p}/consents/new",
        f"/patients/{p}/appointments/new",
        f"/patients/{p}/adverse-events/new",
        f"/patients/{p}/plans/new",
        f"/plans/{plan}",
        f"/plans/{plan}/book",
        f"/appointments/{a}",
        f"/appointments/{a}/amend",
        f"/patients/{p}/outcomes",
        f"/patients/{p}/outcomes?scale=mmasi",
        f"/patients/{p}/photos",
        f"/patients/{p}/photos/compare",
        "/inventory",
        "/admin/staff",
        "/admin/prices",
        "/admin/policy",
        "/admin/calendar",
        "/admin/audit",
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.text.count("<h1") == 1, path
        assert _unlabelled(response.text) == [], path
        assert 'lang="en"' in response.text


def test_the_plan_shows_its_handout_and_predicted_collagen(clinic: Clinic) -> None:
    ids = _seeded(clinic)
    client = clinic.signed_in("clinician")
    handout = client.get(f"/plans/{ids['plan']}/handout.html")
    assert "Your microneedling care plan" in handout.text
    figure = client.get(f"/plans/{ids['plan']}/collagen.svg")
    assert figure.headers["content-type"] == "image/svg+xml"
    assert figure.content.lstrip().startswith(b"<?xml")


def test_responses_carry_the_security_headers(clinic: Clinic) -> None:
    client = clinic.signed_in("clinician")
    response = client.get("/patients")
    headers = response.headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "no-store"


def test_pages_load_nothing_from_other_sites_and_no_inline_script(clinic: Clinic) -> None:
    client = clinic.signed_in("owner")
    for path in ("/", "/patients", "/admin/audit", "/inventory"):
        html = client.get(path).text
        assert not re.search(r'(src|href)="(https?:)?//', html), path
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
        assert " style=" not in html, path
        assert " onclick=" not in html, path


def test_htmx_is_served_from_this_site_with_its_version_and_licence(clinic: Clinic) -> None:
    client = clinic.client()
    script = client.get("/static/vendor/htmx/htmx.min.js")
    assert script.status_code == 200
    assert "htmx" in script.text[:200]
    assert "Zero-Clause BSD" in client.get("/static/vendor/htmx/LICENSE").text
    assert "2.0" in client.get("/static/vendor/htmx/VERSION").text


def test_the_front_desk_record_shows_intakes_consents_and_appointments(clinic: Clinic) -> None:
    ids = _seeded(clinic)
    client = clinic.signed_in("front_desk")
    text = client.get(f"/patients/{ids['patient']}").text
    assert "Intake" in text and "Consent" in text and "Session" in text
    assert "Plan " not in text.split("<h2>Record</h2>")[1]


def test_check_in_from_today(clinic: Clinic) -> None:
    patient_id = new_patient(clinic)
    appointment_id = appointment_now(clinic, patient_id)
    client = clinic.signed_in("front_desk")
    response = client.post(
        f"/appointments/{appointment_id}/status",
        data={"csrf_token": token(client), "status": "checked_in", "back": "/"},
    )
    assert response.url.path == "/"
    assert "Appointment checked in." in response.text


def test_the_inventory_lists_usable_and_recent_lots_and_counts_the_older_ones(
    clinic: Clinic,
) -> None:
    from microneedling.services import inventory

    inventory.receive_cartridge_lot(
        clinic.uow(), clinic.clinician,
        {"manufacturer": "Acme", "product": "12-pin", "lot_number": "ANCIENT-1",
         "expires_on": "2025-01-31", "received_on": "2024-01-05", "quantity_received": 5},
        clock=clinic.clock,
    )  # fmt: skip
    page = clinic.signed_in("clinician").get("/inventory")
    assert page.status_code == 200
    assert clinic.good_lot in page.text and clinic.expired_lot in page.text  # OLD-1: a month ago
    assert "ANCIENT-1" not in page.text
    assert "1 older lot (expired or recalled more than 90 days ago) not listed" in page.text


def test_today_lists_lots_near_expiry_and_lately_expired_not_long_expired_ones(
    clinic: Clinic,
) -> None:
    from microneedling.services import inventory

    inventory.receive_cartridge_lot(
        clinic.uow(), clinic.clinician,
        {"manufacturer": "Acme", "product": "12-pin", "lot_number": "LONG-GONE-1",
         "expires_on": "2025-03-31", "received_on": "2024-01-05", "quantity_received": 5},
        clock=clinic.clock,
    )  # fmt: skip
    today = clinic.signed_in("clinician").get("/")
    assert today.status_code == 200
    assert clinic.expired_lot in today.text  # expired a month ago: still worth a look
    assert "LONG-GONE-1" not in today.text
