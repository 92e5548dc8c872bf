"""The owner's clinic-policy form (REFERENCE.md A.7): one typed field per value with its unit and
default, bounds checked on the server with every problem named in one pass, reset to default per
value, each change audited; old free-form values are shown as not applied."""

from __future__ import annotations

from tests.web.web_helpers import Clinic, as_data, error_summary, form_fields, token

from microneedling.services import clinics


def _policy_fields(client: object) -> list[tuple[str, str]]:
    page = client.get("/admin/policy").text  # type: ignore[attr-defined]
    return form_fields(page, "/admin/policy")


def test_the_form_shows_each_value_with_its_unit_default_and_bounds(clinic: Clinic) -> None:
    client = clinic.signed_in("owner")
    page = client.get("/admin/policy").text
    assert "Minimum age (years)" in page
    assert "Default 18 years; from 18 to 25." in page
    assert "Make-up window (h)" in page and "Default 48 h; from 24 to 168." in page
    assert "Maintenance interval (months)" in page
    assert 'name="minimum_age"' in page and 'min="18" max="25"' in page
    assert "Overrides (JSON)" not in page


def test_every_problem_is_named_in_one_pass_and_nothing_is_saved(clinic: Clinic) -> None:
    client = clinic.signed_in("owner")
    data = as_data(
        _policy_fields(client),
        minimum_age="12",
        sunburn_wait_days="thirty",
        make_up_window_hours="169",
        **{"zone_areas_cm2.cheeks": "4", "device_profiles.0.name": "Pen"},
    )
    data["csrf_token"] = [token(client, "/admin/policy")]
    response = client.post("/admin/policy", data=data)
    assert response.status_code == 422
    problems = error_summary(response.text)
    assert "Minimum age (years): Enter a whole number from 18 to 25" in problems
    assert "Sunburn wait (days): Enter a whole number, like 12" in problems
    assert "Make-up window (h): Enter a whole number from 24 to 168" in problems
    assert any(
        item.startswith("Area of cheeks (cm²): Enter a whole number from 5") for item in problems
    )
    assert any(item.startswith("Device 1: lowest setting (mm): is required") for item in problems)
    assert 'value="thirty"' in response.text
    assert clinics.clinic_policy(clinic.uow(), clinic.owner.clinic_id).values() == {}


def test_a_value_saved_is_in_force_audited_and_reset_restores_the_default(clinic: Clinic) -> None:
    client = clinic.signed_in("owner")
    data = as_data(_policy_fields(client), minimum_age="21", retinoid_exfoliant_wait_days="14")
    data["csrf_token"] = [token(client, "/admin/policy")]
    saved = client.post("/admin/policy", data=data)
    assert saved.url.path == "/admin/policy"
    assert 'value="21"' in saved.text and "Reset to default" in saved.text
    assert clinics.clinic_policy(clinic.uow(), clinic.owner.clinic_id).values() == {
        "minimum_age": 21,
        "retinoid_exfoliant_wait_days": 14,
    }
    audit = client.get("/admin/audit?action=clinic.configure").text
    assert "changed the clinic&#39;s policy overrides: minimum age set to 21 years" in audit
    reset = client.post(
        "/admin/policy",
        data={"csrf_token": token(client, "/admin/policy"), "reset": "minimum_age"},
    )
    assert reset.url.path == "/admin/policy"
    assert clinics.clinic_policy(clinic.uow(), clinic.owner.clinic_id).values() == {
        "retinoid_exfoliant_wait_days": 14,
    }
    audit = client.get("/admin/audit?action=clinic.configure").text
    assert "minimum age reset to its default" in audit
    emptied = as_data(_policy_fields(client), retinoid_exfoliant_wait_days="")
    emptied["csrf_token"] = [token(client, "/admin/policy")]
    client.post("/admin/policy", data=emptied)
    assert clinics.clinic_policy(clinic.uow(), clinic.owner.clinic_id).values() == {}


def test_device_profiles_and_approved_products_are_rows_checked_on_the_server(
    clinic: Clinic,
) -> None:
    client = clinic.signed_in("owner")
    data = as_data(
        _policy_fields(client),
        **{
            "device_profiles.0.name": "Fine pen",
            "device_profiles.0.lowest_mm": "2.0",
            "device_profiles.0.highest_mm": "1.0",
            "device_profiles.0.step_mm": "0.1",
            "approved_products.0.name": "TXA serum",
            "approved_products.0.ingredients": "Aqua, Tranexamic Acid",
            "approved_products.0.from_hours": "0",
        },
    )
    data["csrf_token"] = [token(client, "/admin/policy")]
    bad = client.post("/admin/policy", data=data)
    assert bad.status_code == 422
    problems = " | ".join(error_summary(bad.text))
    assert "the lowest setting must be below the highest setting" in problems
    assert "not sterile cannot be approved for the first 24 h" in problems
    data["device_profiles.0.lowest_mm"] = ["0.2"]
    data["approved_products.0.sterile"] = ["on"]
    good = client.post("/admin/policy", data=data)
    assert good.url.path == "/admin/policy", error_summary(good.text)
    values = clinics.clinic_policy(clinic.uow(), clinic.owner.clinic_id).values()
    assert values["device_profiles"] == [
        {"name": "Fine pen", "lowest_mm": 0.2, "highest_mm": 1.0, "step_mm": 0.1}
    ]
    product = values["approved_products"][0]
    assert product["sterile"] is True and product["approved_by"] and product["approved_on"]
    assert "Approved by" in good.text
    clinics.reset_policy_values(clinic.uow(), clinic.owner, [], clock=clinic.clock)


def test_old_free_form_values_are_shown_as_not_applied_and_saving_removes_them(
    clinic: Clinic,
) -> None:
    with clinic.uow() as uow:
        row = uow.clinics.get(clinic.owner.clinic_id)
        assert row is not None
        row.policy_overrides = {
            "minimum_age": 12,
            "reminder_days": 2,
            "contact": {"phone": "+31 71 123 4567"},
        }
        uow.commit()
    client = clinic.signed_in("owner")
    page = client.get("/admin/policy").text
    assert "Stored values that are not applied" in page
    assert "minimum_age" in page and "enter a whole number of years from 18 to 25" in page
    assert "reminder_days" in page
    assert clinics.clinic_policy(clinic.uow(), clinic.owner.clinic_id).values() == {}
    data = as_data(_policy_fields(client))
    data["csrf_token"] = [token(client, "/admin/policy")]
    saved = client.post("/admin/policy", data=data)
    assert "Stored values that are not applied" not in saved.text
    with clinic.uow() as uow:
        row = uow.clinics.get(clinic.owner.clinic_id)
        assert row is not None and row.policy_overrides == {"contact": {"phone": "+31 71 123 4567"}}


def test_contact_details_have_their_own_form(clinic: Clinic) -> None:
    client = clinic.signed_in("owner")
    bad = client.post(
        "/admin/policy/contact",
        data={"csrf_token": token(client, "/admin/policy"), "contact.phone": "call us"},
    )
    assert bad.status_code == 422
    assert any(item.startswith("Phone on handouts:") for item in error_summary(bad.text))
    good = client.post(
        "/admin/policy/contact",
        data={
            "csrf_token": token(client, "/admin/policy"),
            "contact.address": "1 Main St, Leiden",
            "contact.phone": "+31 71 123 4567",
        },
    )
    assert good.url.path == "/admin/policy"
    assert 'value="1 Main St, Leiden"' in good.text


def test_only_owners_see_or_change_the_policy(clinic: Clinic) -> None:
    client = clinic.signed_in("clinician")
    assert client.get("/admin/policy").status_code == 403
    response = client.post("/admin/policy", data={"csrf_token": token(client), "minimum_age": "21"})
    assert response.status_code == 403


def test_hostile_or_oversized_posts_are_refused_in_plain_words(clinic: Clinic) -> None:
    client = clinic.signed_in("owner")
    data = as_data(
        _policy_fields(client),
        device_rows="999999999",
        product_rows="-3",
        minimum_age="9" * 5000,
        sunburn_wait_days="1e3",
        **{
            "device_profiles.0.name": "x" * 500,
            "device_profiles.0.lowest_mm": "NaN",
            "device_profiles.0.highest_mm": "Infinity",
            "device_profiles.0.step_mm": "0.1\x00",
            "zone_areas_cm2.cheeks": "<script>alert(1)</script>",
        },
    )
    data["csrf_token"] = [token(client, "/admin/policy")]
    response = client.post("/admin/policy", data=data)
    assert response.status_code == 422
    problems = error_summary(response.text)
    assert any(item.startswith("Minimum age (years):") for item in problems)
    assert any(item.startswith("Device 1: name: is too long") for item in problems), problems
    assert "<script>alert(1)</script>" not in response.text
    assert clinics.clinic_policy(clinic.uow(), clinic.owner.clinic_id).values() == {}
    unknown = client.post(
        "/admin/policy",
        data={"csrf_token": token(client, "/admin/policy"), "reset": "reminder_days"},
    )
    assert unknown.status_code == 422
    assert "is not a value a clinic can change" in unknown.text
