"""The clinic's policy overrides through the services (REFERENCE.md A.7): set by an owner,
audited with who and when, applied to the clinic's screenings, plans and product checks, whose
results carry the overrides' hash; another clinic keeps the shipped policy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.integration.conftest import NOW, World

from microneedling.clinical.intake import parse_intake
from microneedling.clinical.planning import parse_plan_request
from microneedling.errors import PermissionDenied, RuleViolation, UserError
from microneedling.services import audit, clinics, computations

YOUNG = {
    "on": "2026-12-07",
    "patient": {"birth_date": "2006-01-01", "fitzpatrick": 2},
    "zones": ["cheeks"],
}
PLAN = {
    "on": "2026-12-01",
    "setting": "professional",
    "fitzpatrick": 3,
    "start": "2026-12-07",
    "treatments": [{"zone": "cheeks", "concern": "fine_lines"}],
}


def test_an_owners_override_applies_to_the_clinics_computations_with_its_hash(
    world: World, other_world: World
) -> None:
    young = parse_intake(YOUNG)
    before = computations.screen_intake(world.clinician, young, uow=world.uow)
    assert before["decision"] == "eligible"
    assert before["knowledge_base"].get("overrides_hash") is None
    view = clinics.set_policy_overrides(
        world.uow,
        world.owner,
        {"minimum_age": 21, "maintenance_interval_months": 12, "make_up_window_hours": 72},
        clock=world.clock,
    )
    digest = view["overrides_hash"]
    assert digest and digest.startswith("sha256:")
    after = computations.screen_intake(world.clinician, young, uow=world.uow)
    assert after["decision"] == "not_eligible"
    assert after["knowledge_base"]["overrides_hash"] == digest
    assert after["knowledge_base"]["hash"] == before["knowledge_base"]["hash"]
    planned = computations.plan_series(world.clinician, parse_plan_request(PLAN), uow=world.uow)
    assert planned["maintenance"]["every_months"] == 12
    assert planned["knowledge_base"]["overrides_hash"] == digest
    checked = computations.product_check(
        world.clinician, "Aqua, Glycerin, CI 77491", 60, make_up=True, uow=world.uow
    )
    assert checked["verdict"] == "blocked"
    assert checked["knowledge_base"]["overrides_hash"] == digest
    # Results computed before keep what they were made with (nothing re-stamps them).
    assert before["knowledge_base"].get("overrides_hash") is None
    # Another clinic keeps the shipped policy.
    elsewhere = computations.screen_intake(other_world.clinician, young, uow=other_world.uow)
    assert elsewhere["decision"] == "eligible"


def test_each_change_is_audited_with_who_and_what(world: World) -> None:
    clinics.set_policy_value(world.uow, world.owner, "sunburn_wait_days", 10, clock=world.clock)
    clinics.reset_policy_values(world.uow, world.owner, ["sunburn_wait_days"], clock=world.clock)
    entries = audit.audit_entries(world.uow, world.owner, clock=world.clock, limit=1000)
    configured = [entry for entry in entries if entry["action"] == "clinic.configure"]
    assert configured[-2]["details"]["set"] == {"sunburn_wait_days": 10}
    assert configured[-1]["details"]["reset"] == ["sunburn_wait_days"]
    assert configured[-1]["details"]["overrides_hash"] is None
    sentences = [item["sentence"] for item in audit.audit_log(world.uow, world.owner)["items"]]
    assert any("sunburn wait set to 10 days" in sentence for sentence in sentences)
    assert any("sunburn wait reset to its default" in sentence for sentence in sentences)


def test_only_an_owner_changes_or_reads_the_policy(world: World) -> None:
    with pytest.raises(PermissionDenied):
        clinics.set_policy_value(world.uow, world.clinician, "minimum_age", 21, clock=world.clock)
    with pytest.raises(PermissionDenied):
        clinics.policy(world.uow, world.front_desk, clock=world.clock)


def test_a_refused_change_leaves_the_stored_overrides_as_they_were(world: World) -> None:
    clinics.set_policy_value(world.uow, world.owner, "minimum_age", 21, clock=world.clock)
    with pytest.raises(UserError) as refused:
        clinics.set_policy_overrides(
            world.uow, world.owner, {"minimum_age": 12, "tanning_wait_days": 99}, clock=world.clock
        )
    assert {field for field, _ in refused.value.fields} == {"minimum_age", "tanning_wait_days"}
    assert clinics.clinic_policy(world.uow, world.owner.clinic_id).values() == {"minimum_age": 21}


def test_old_stored_values_outside_bounds_are_never_applied(world: World) -> None:
    with world.uow:
        row = world.uow.clinics.get(world.owner.clinic_id)
        assert row is not None
        row.policy_overrides = {"minimum_age": 12, "contact": {"phone": "+31 71 123 4567"}}
        world.uow.commit()
    result = computations.screen_intake(world.clinician, parse_intake(YOUNG), uow=world.uow)
    assert result["decision"] == "eligible"
    assert result["knowledge_base"].get("overrides_hash") is None
    view = clinics.policy(world.uow, world.owner, clock=world.clock)
    assert view["refused"][0]["key"] == "minimum_age"
    assert view["contact"] == {"phone": "+31 71 123 4567"}


def test_contact_details_are_kept_apart_from_the_policy(world: World) -> None:
    clinics.set_contact(world.uow, world.owner, {"address": "1 Main St"}, clock=world.clock)
    clinics.set_policy_value(world.uow, world.owner, "minimum_age", 21, clock=world.clock)
    with world.uow:
        row = world.uow.clinics.get(world.owner.clinic_id)
        assert row is not None
        assert row.policy_overrides == {"contact": {"address": "1 Main St"}, "minimum_age": 21}
    with pytest.raises(UserError):
        clinics.set_contact(world.uow, world.owner, {"phone": "call us"}, clock=world.clock)


def test_the_clinics_screening_validity_refuses_charting_on_an_older_screening(
    world: World,
) -> None:
    """A.6/A.7: charting reads the clinic's `screening_valid_days` from its settings."""
    clinics.set_policy_value(world.uow, world.owner, "screening_valid_days", 14, clock=world.clock)
    session = world.ready_session()
    world.clock = lambda: NOW + timedelta(days=30)
    with pytest.raises(RuleViolation, match="more than 14"):
        world.chart(session)
