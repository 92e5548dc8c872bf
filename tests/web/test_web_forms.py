"""Forms keep what was typed when validation fails, say what to fix beside each field and in a
summary, and do the right thing when the input is good."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.web.web_helpers import (
    TODAY,
    Clinic,
    appointment_now,
    chart_form,
    error_summary,
    new_patient,
    token,
)

from microneedling.services import outcomes, plans


def test_registering_with_mistakes_keeps_what_was_typed_and_names_each_problem(
    clinic: Clinic,
) -> None:
    client = clinic.signed_in("front_desk")
    response = client.post(
        "/patients/new",
        data={
            "csrf_token": token(client, "/patients/new"),
            "given_name": "Zoë",
            "family_name": "",
            "birth_date": "1990-02-30",
            "fitzpatrick": "9",
            "email": "zoe@",
            "phone": "0612345678",
        },
    )
    assert response.status_code == 422
    problems = error_summary(response.text)
    assert "Family name: is required" in problems
    assert "Date of birth: 1990-02-30 is not a real date" in problems
    assert any(p.startswith("Fitzpatrick skin type:") for p in problems)
    assert 'value="Zoë"' in response.text
    assert 'value="0612345678"' in response.text
    assert 'aria-invalid="true"' in response.text
    assert 'href="#f-family_name"' in response.text


def test_an_email_the_use_case_refuses_is_shown_at_its_field(clinic: Clinic) -> None:
    client = clinic.signed_in("front_desk")
    response = client.post(
        "/patients/new",
        data={
            "csrf_token": token(client),
            "given_name": "Zoë",
            "family_name": "Test",
            "birth_date": "1990-02-03",
            "fitzpatrick": "2",
            "email": "zoe@nowhere",
        },
    )
    assert response.status_code == 422
    assert any(
        p.startswith("E-mail address: Enter an e-mail") for p in error_summary(response.text)
    )


def test_a_good_registration_opens_the_patients_record(clinic: Clinic) -> None:
    client = clinic.signed_in("front_desk")
    response = client.post(
        "/patients/new",
        data={
            "csrf_token": token(client),
            "given_name": "Grace",
            "family_name": "Hopper",
            "birth_date": "1986-12-09",
            "fitzpatrick": "2",
            "sex": "female",
        },
    )
    assert re.fullmatch(r"/patients/\d+", response.url.path)
    assert "Registered Grace Hopper." in response.text
    assert "not screened yet" in response.text


def test_a_retinoid_stopped_three_days_ago_defers_by_four_days(clinic: Clinic) -> None:
    patient_id = new_patient(clinic, screened=False)
    client = clinic.signed_in("front_desk")
    stopped = TODAY - timedelta(days=3)
    response = client.post(
        f"/patients/{patient_id}/intakes/new",
        data={
            "csrf_token": token(client),
            "on": TODAY.isoformat(),
            "zones": ["cheeks", "forehead"],
            "finding": ["topical_retinoid"],
            "topical_retinoid.stopped_on": stopped.isoformat(),
        },
    )
    assert re.fullmatch(r"/intakes/\d+", response.url.path)
    text = response.text
    assert "Deferred until" in text
    assert '<strong id="earliest-date">2026-12-05</strong> (4 days from today)' in text
    assert "Topical retinoid" in text and "Sources: A1" in text


def test_an_intake_without_zones_says_to_tick_one_and_keeps_the_answers(clinic: Clinic) -> None:
    patient_id = new_patient(clinic, screened=False)
    client = clinic.signed_in("front_desk")
    response = client.post(
        f"/patients/{patient_id}/intakes/new",
        data={
            "csrf_token": token(client),
            "on": TODAY.isoformat(),
            "finding": ["acne_active"],
            "acne_active.zones": ["chin"],
        },
    )
    assert response.status_code == 422
    assert "Zones to treat: tick at least one zone to treat" in error_summary(response.text)
    assert re.search(r'value="acne_active" id="[^"]+" checked', response.text)
    assert re.search(r'name="acne_active.zones" value="chin" checked', response.text)


def test_an_intake_date_after_today_is_refused_at_its_field(clinic: Clinic) -> None:
    patient_id = new_patient(clinic, screened=False)
    client = clinic.signed_in("front_desk")
    response = client.post(
        f"/patients/{patient_id}/intakes/new",
        data={
            "csrf_token": token(client),
            "on": (TODAY + timedelta(days=1)).isoformat(),
            "zones": ["cheeks"],
        },
    )
    assert response.status_code == 422
    assert any(
        p.startswith("Assessment date: is after today") for p in error_summary(response.text)
    )


def test_a_caution_is_acknowledged_with_a_note_by_a_clinician(clinic: Clinic) -> None:
    patient_id = new_patient(clinic, screened=False)
    desk = clinic.signed_in("front_desk")
    result = desk.post(
        f"/patients/{patient_id}/intakes/new",
        data={
            "csrf_token": token(desk),
            "on": TODAY.isoformat(),
            "zones": ["cheeks"],
            "finding": ["herpes_labialis_history"],
        },
    )
    assert "Caution" in result.text
    assert "Acknowledge the caution" not in result.text  # front desk may not
    clinician = clinic.signed_in("clinician")
    path = result.url.path
    empty = clinician.post(path + "/acknowledge", data={"csrf_token": token(clinician, path)})
    assert "Your note: is required" in error_summary(empty.text)
    done = clinician.post(
        path + "/acknowledge",
        data={"csrf_token": token(clinician, path), "note": "Aciclovir prescribed."},
    )
    assert "Acknowledged" in done.text
    assert "Aciclovir prescribed." in done.text


def test_the_plan_builder_creates_a_priced_plan(clinic: Clinic) -> None:
    from microneedling.services import intakes

    patient_id = new_patient(clinic)
    # Policy 2: a plan treats only screened zones; screen the forehead too.
    intakes.record_intake(
        clinic.uow(), clinic.front_desk, patient_id, {"zones": ["cheeks", "forehead"]},
        clock=clinic.clock,
    )  # fmt: skip
    client = clinic.signed_in("clinician")
    path = f"/patients/{patient_id}/plans/new"
    data = {
        "csrf_token": token(client, path),
        "treat": ["cheeks", "forehead"],
        "concern.cheeks": "acne_scars",
        "subtype.cheeks": "rolling",
        "concern.forehead": "fine_lines",
        "setting": "professional",
    }
    preview = client.post(
        f"/patients/{patient_id}/plans/preview",
        data={**data, "fitzpatrick": "2"},
        headers={"HX-Request": "true"},
    )
    assert "1–1.5 mm" in preview.text  # the depth range drawn on the map
    assert 'id="map-cheeks"' in preview.text
    created = client.post(path, data=data)
    assert re.fullmatch(r"/plans/\d+", created.url.path)
    text = created.text
    assert "Quote" in text and "EUR" in text
    assert "Before each session" in text and "What to expect" in text
    plan_id = int(created.url.path.split("/")[-1])
    stored = plans.read_plan(clinic.uow(), clinic.clinician, plan_id)
    assert [z["zone"] for s in stored["plan"]["series"] for z in s["zones"]] == [
        "forehead",
        "cheeks",
    ] or {z["zone"] for s in stored["plan"]["series"] for z in s["zones"]} == {"forehead", "cheeks"}
    assert client.get(f"/plans/{plan_id}/handout.pdf").content.startswith(b"%PDF")


def test_a_zone_without_a_concern_is_named_and_the_choice_kept(clinic: Clinic) -> None:
    patient_id = new_patient(clinic)
    client = clinic.signed_in("clinician")
    path = f"/patients/{patient_id}/plans/new"
    response = client.post(
        path,
        data={
            "csrf_token": token(client, path),
            "treat": ["cheeks", "nose"],
            "concern.cheeks": "texture",
            "setting": "professional",
        },
    )
    assert response.status_code == 422
    assert "Concern for nose: choose what to treat on the nose" in error_summary(response.text)
    assert re.search(r'value="texture"[^>]*selected', response.text)


def test_charting_with_an_expired_lot_is_refused_and_keeps_the_chart(clinic: Clinic) -> None:
    patient_id = new_patient(clinic)
    appointment_id = appointment_now(clinic, patient_id)
    client = clinic.signed_in("clinician")
    path = f"/appointments/{appointment_id}/chart"
    page = client.get(path)
    response = client.post(
        path,
        data=chart_form(clinic, page.text, cartridge_lot=clinic.expired_lot, notes="went well"),
    )
    assert response.status_code == 422
    assert "Cartridge lot number: lot OLD-1 expired on 2026-11-01" in error_summary(response.text)
    assert 'value="OLD-1"' in response.text
    assert "went well" in response.text
    signed = client.post(path, data=chart_form(clinic, page.text))
    assert signed.url.path == f"/appointments/{appointment_id}"
    assert "signed and locked" in signed.text


def test_a_chart_is_amended_with_a_reason_and_the_history_shows_it(clinic: Clinic) -> None:
    patient_id = new_patient(clinic)
    appointment_id = appointment_now(clinic, patient_id)
    client = clinic.signed_in("clinician")
    path = f"/appointments/{appointment_id}/chart"
    client.post(path, data=chart_form(clinic, client.get(path).text))
    amend = f"/appointments/{appointment_id}/amend"
    form = chart_form(clinic, client.get(amend).text, **{"zone.0.depth_mm": "1.25"})
    no_reason = client.post(amend, data={**form, "expected_version": "1"})
    assert "Why the chart is amended: is required" in error_summary(no_reason.text)
    done = client.post(amend, data={**form, "expected_version": "1", "reason": "typed 1.0"})
    assert done.url.path == f"/appointments/{appointment_id}"
    assert "current version 2" in done.text
    assert "typed 1.0" in done.text
    assert "Cheeks 1.0 mm × 2 passes → Cheeks 1.25 mm × 2 passes" in done.text


def test_the_live_score_gives_the_total_and_band(clinic: Clinic) -> None:
    client = clinic.signed_in("clinician")
    headers = {"HX-Request": "true", "X-CSRF-Token": token(client)}
    partial = client.post("/outcomes/score", data={"scale": "vss"}, headers=headers)
    assert "0 of 4 answered" in partial.text
    done = client.post(
        "/outcomes/score",
        data={
            "scale": "vss",
            "input.vascularity": "2",
            "input.pigmentation": "1",
            "input.pliability": "3",
            "input.height": "1",
        },
        headers=headers,
    )
    assert '<strong id="live-total">7</strong>' in done.text
    gais = client.post(
        "/outcomes/score", data={"scale": "gais", "input.grade": "2"}, headers=headers
    )
    assert "Much improved" in gais.text


def test_recording_an_outcome_draws_the_progress_chart(clinic: Clinic) -> None:
    patient_id = new_patient(clinic)
    outcomes.record_outcome(
        clinic.uow(),
        clinic.clinician,
        patient_id,
        scale="gais",
        inputs={"grade": 3},
        assessed_on=TODAY - timedelta(days=60),
        clock=clinic.clock,
    )
    client = clinic.signed_in("clinician")
    path = f"/patients/{patient_id}/outcomes"
    response = client.post(
        path,
        data={
            "csrf_token": token(client, path),
            "scale": "gais",
            "input.grade": "1",
            "assessed_on": TODAY.isoformat(),
        },
    )
    assert response.url.path == path
    chart = response.text[response.text.find('<svg class="chart"') :]
    assert chart.count('<circle class="point"') == 2
    assert "3 on 2026-10-02, 1 on 2026-12-01" in response.text


def test_a_price_list_mistake_is_shown_at_its_field(clinic: Clinic) -> None:
    client = clinic.signed_in("owner")
    page = client.get("/admin/prices").text
    fields = dict(re.findall(r'name="([a-z_.]+)" value="([^"]*)"', page))
    selects = dict(
        re.findall(
            r'name="(zone_sizes\.[a-z_]+)"[^>]*>.*?<option value="(\w+)" selected', page, re.S
        )
    )
    data = {**fields, **selects, "csrf_token": token(client), "per_session.small": "ten euros"}
    response = client.post("/admin/prices", data=data)
    assert response.status_code == 422
    assert "A small area, per session: Enter a number such as 1.25" in error_summary(response.text)
    assert 'value="ten euros"' in response.text


def test_the_next_session_is_copied_forward_from_the_last_one_but_not_its_lot(
    clinic: Clinic,
) -> None:
    patient_id = new_patient(clinic)
    first = appointment_now(clinic, patient_id)
    client = clinic.signed_in("clinician")
    path = f"/appointments/{first}/chart"
    client.post(
        path,
        data=chart_form(
            clinic,
            client.get(path).text,
            **{"zone.0.depth_mm": "1.25", "product.0.product": "HA glide",
               "product.0.purpose": "glide", "anaesthetic": "Lidocaine 4% cream"},
        ),
    )  # fmt: skip
    second = appointment_now(clinic, patient_id)
    page = client.get(f"/appointments/{second}/chart").text
    assert "Copied forward from the session of 2026-12-01" in page
    assert 'value="1.25"' in page
    assert 'value="HA glide"' in page
    assert 'value="Lidocaine 4% cream"' in page
    assert re.search(r'id="f-cartridge_lot" name="cartridge_lot" value=""', page)
