"""Who may do what (the role matrix as a table), accounts, and clinics kept apart."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import update
from tests.integration.conftest import World

from microneedling.errors import Conflict, NotFound, PermissionDenied, UserError
from microneedling.services import (
    appointments,
    audit,
    charts,
    clinics,
    consents,
    inventory,
    patients,
    photos,
    plans,
)
from microneedling.services.access import PERMISSIONS, ROLE_WORDS, Actor, Role, authorize
from microneedling.store.models import StaffUser

OWNER, CLINICIAN, DESK = "owner", "clinician", "front_desk"

ALL = {OWNER, CLINICIAN, DESK}
CLINICAL = {OWNER, CLINICIAN}

#: The role matrix, written out: each action and the roles allowed to do it. Front desk: patients,
#: contact details, intakes, appointments, consents; clinicians add clinical work; owners do
#: everything, plus staff, the price list, policy overrides and the audit log.
EXPECTED = {
    "clinic.configure": {OWNER},
    "clinic.read_settings": {OWNER},
    "staff.add": {OWNER},
    "staff.invite": {OWNER},
    "staff.read": {OWNER},
    "staff.deactivate": {OWNER},
    "staff.change_role": {OWNER},
    "staff.reset_password": {OWNER},
    "staff.read_sessions": {OWNER},
    "staff.end_sessions": {OWNER},
    "account.change_password": ALL,
    "audit.read": {OWNER},
    "audit.verify": {OWNER},
    "calendar.configure": {OWNER},
    "patient.register": ALL,
    "patient.search": ALL,
    "patient.read": ALL,
    "patient.update_contact": ALL,
    "intake.record": ALL,
    "intake.read": ALL,
    "consent.sign": ALL,
    "consent.withdraw": ALL,
    "consent.read": ALL,
    "appointment.book": ALL,
    "appointment.update_status": ALL,
    "appointment.read": ALL,
    "account.sign_out": ALL,
    "calendar.read": ALL,
    "calendar.export": ALL,
    "series.propose": ALL,
    "series.book": ALL,
    "series.move": ALL,
    "series.cancel": ALL,
    "maintenance.list": ALL,
    "compute.screen": ALL,
    "compute.product_check": ALL,
    "patient.read_record": CLINICAL,
    "intake.acknowledge_caution": CLINICAL,
    "plan.create": CLINICAL,
    "plan.read": CLINICAL,
    "plan.update_status": CLINICAL,
    "chart.create": CLINICAL,
    "chart.amend": CLINICAL,
    "chart.read": CLINICAL,
    "chart.list": CLINICAL,
    "adverse_event.record": CLINICAL,
    "adverse_event.resolve": CLINICAL,
    "adverse_event.read": CLINICAL,
    "outcome.record": CLINICAL,
    "outcome.read": CLINICAL,
    "photo.add": CLINICAL,
    "photo.read": CLINICAL,
    "photo.list": CLINICAL,
    "photo.select_for_marketing": CLINICAL,
    "photo.list_marketing": CLINICAL,
    "inventory.register_device": CLINICAL,
    "inventory.receive_lot": CLINICAL,
    "inventory.read": CLINICAL,
    "lot.recall": CLINICAL,
    "compute.plan": CLINICAL,
    "compute.score": CLINICAL,
    "calendar.optimise": CLINICAL,
    "billing.configure": {OWNER},
    "billing.read_settings": ALL,
    "billing.read": ALL,
    "billing.sell": ALL,
    "billing.pay": ALL,
    "billing.redeem": ALL,
    "billing.gift_card": ALL,
    "billing.refund": {OWNER},
    "billing.transfer": {OWNER},
    "billing.read_books": {OWNER},
    "report.read": {OWNER},
    "fhir.export": {OWNER},
    "portal.invite": ALL,
    "portal.request_read": ALL,
    "portal.request_handle": ALL,
    "portal.intake_review": CLINICAL,
    "portal.intake_confirm": CLINICAL,
    "portal.reaction_review": ALL,
    "portal.reaction_close": CLINICAL,
    "messages.configure": {OWNER},
    "messages.read_settings": {OWNER},
    "messages.preferences": ALL,
    "messages.recall": ALL,
}


def test_an_owner_may_do_everything_and_front_desk_nothing_an_owner_alone_may() -> None:
    assert all(OWNER in roles for roles in EXPECTED.values())
    assert all(
        roles == {OWNER} or DESK in roles or roles == CLINICAL for roles in EXPECTED.values()
    )


def test_the_role_matrix_is_the_one_written_here() -> None:
    assert {action: {str(r) for r in roles} for action, roles in PERMISSIONS.items()} == EXPECTED


@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_each_role_is_allowed_exactly_the_actions_of_the_matrix(world: World, action: str) -> None:
    for actor in (world.owner, world.clinician, world.front_desk):
        with world.uow:
            if str(actor.role) in EXPECTED[action]:
                authorize(world.uow, actor, action)
            else:
                with pytest.raises(PermissionDenied) as refused:
                    authorize(world.uow, actor, action)
                # Staff's words in the message; the code kept for programs.
                assert getattr(refused.value, "action", None) == action
                assert action not in refused.value.message
                assert refused.value.message.startswith(f"Your role ({ROLE_WORDS[actor.role]})")


def test_a_deactivated_account_can_do_nothing(world: World) -> None:
    with world.uow:
        world.uow.session.execute(
            update(StaffUser)
            .where(StaffUser.id == world.front_desk.staff_user_id)
            .values(active=False)
        )
        world.uow.commit()
    with pytest.raises(PermissionDenied, match="not active"):
        world.patient()


def test_an_actor_claiming_another_role_or_clinic_is_refused(
    world: World, other_world: World
) -> None:
    promoted = Actor(world.front_desk.staff_user_id, world.front_desk.clinic_id, Role.CLINICIAN)
    with pytest.raises(PermissionDenied, match="not active"):
        patients.register_patient(
            world.uow, promoted, {"given_name": "A", "family_name": "B",
                                  "birth_date": "1990-01-01", "fitzpatrick": 2},
        )  # fmt: skip
    elsewhere = Actor(world.owner.staff_user_id, other_world.owner.clinic_id, Role.OWNER)
    with pytest.raises(PermissionDenied):
        patients.find_patients(world.uow, elsewhere, "a")


def test_signing_in_gives_the_actor_and_refuses_a_wrong_password_alike(world: World) -> None:
    member = clinics.add_staff_member(
        world.uow,
        world.owner,
        {"email": "New.Person@Example.com", "display_name": "New", "role": "clinician",
         "password": "correct horse battery"},
        clock=world.clock,
    )  # fmt: skip
    assert clinics.sign_in(world.uow, "new.person@example.com", "correct horse battery") == member
    with pytest.raises(PermissionDenied) as wrong:
        clinics.sign_in(world.uow, "new.person@example.com", "wrong")
    with pytest.raises(PermissionDenied) as unknown:
        clinics.sign_in(world.uow, "nobody@example.com", "wrong")
    assert wrong.value.message == unknown.value.message == "wrong e-mail or password"
    with world.uow:
        stored = world.uow.staff.get(member.staff_user_id)
        assert stored is not None and stored.password_hash is not None
        assert stored.password_hash.startswith("$argon2id$")
        assert "correct horse" not in stored.password_hash


def test_an_e_mail_has_one_account_across_clinics(world: World, other_world: World) -> None:
    taken = {
        "email": f"owner@{world.owner.clinic_id}.example",
        "display_name": "X",
        "role": "clinician",
    }
    clinics.add_staff_member(world.uow, world.owner, taken, clock=world.clock)
    with pytest.raises(Conflict) as caught:
        clinics.add_staff_member(other_world.uow, other_world.owner, taken, clock=world.clock)
    assert caught.value.field == "email"


def test_only_an_owner_adds_staff(world: World) -> None:
    with pytest.raises(PermissionDenied):
        clinics.add_staff_member(
            world.uow, world.clinician, {"email": "x@y.example", "display_name": "X",
                                         "role": "owner"},
        )  # fmt: skip


def test_a_clinic_needs_a_real_time_zone(world: World) -> None:
    with pytest.raises(UserError) as caught:
        clinics.create_clinic(
            world.uow, slug="tz-test", name="TZ", time_zone="Mars/Olympus",
            owner={"email": "tz@x.example", "display_name": "T", "role": "owner"},
        )  # fmt: skip
    assert caught.value.field == "time_zone"


# Clinics kept apart --------------------------------------------------------------------------


def same_message(error: pytest.ExceptionInfo[NotFound], real_id: int) -> str:
    return error.value.message.replace(str(real_id), "N")


def test_another_clinics_patient_is_exactly_like_a_missing_one(
    world: World, other_world: World
) -> None:
    theirs = other_world.patient(given_name="Secret", family_name="Elsewhere")
    missing = 9_999_999
    for attempt in (
        lambda pid: patients.open_patient_record(world.uow, world.clinician, pid),
        lambda pid: world.intake(pid),
        lambda pid: world.consent(pid),
        lambda pid: world.appointment(pid),
        lambda pid: plans.create_plan(world.uow, world.clinician, pid, {"treatments": []}),
    ):
        with pytest.raises(NotFound) as foreign:
            attempt(theirs)
        with pytest.raises(NotFound) as absent:
            attempt(missing)
        assert same_message(foreign, theirs) == same_message(absent, missing)
        assert foreign.value.field == absent.value.field
    assert patients.find_patients(world.uow, world.front_desk, "Secret") == []


def test_another_clinics_session_photo_and_lot_are_out_of_reach(
    world: World, other_world: World
) -> None:
    session = other_world.ready_session()
    other_world.chart(session)
    photo_id = photos.add_photo(
        other_world.uow, other_world.clinician, session.patient_id,
        _tiny_jpeg(), view="front", clock=other_world.clock,
    )  # fmt: skip
    mine = world.ready_session()
    with pytest.raises(NotFound):
        charts.read_chart(world.uow, world.clinician, session.appointment_id)
    with pytest.raises(NotFound):
        charts.chart_session(
            world.uow, world.clinician, session.appointment_id,
            world.entry(mine.device_id, mine.lot_number), clock=world.clock,
        )  # fmt: skip
    with pytest.raises(NotFound):
        appointments.set_appointment_status(
            world.uow, world.front_desk, session.appointment_id, "cancelled"
        )
    with pytest.raises(NotFound):
        photos.read_photo(world.uow, world.clinician, photo_id)
    with pytest.raises(NotFound):
        inventory.recall_cartridge_lot(world.uow, world.owner, session.lot_number, reason="x")
    with pytest.raises(UserError) as caught:
        world.chart(
            type(mine)(mine.patient_id, mine.appointment_id, session.device_id, mine.lot_number)
        )
    assert caught.value.field == "device_id"
    with pytest.raises(NotFound):
        consents.withdraw_consent(world.uow, world.front_desk, 1 + 10**9)


def test_the_audit_log_a_clinic_reads_holds_only_its_own_entries(
    world: World, other_world: World
) -> None:
    other_world.patient()
    world.patient()
    entries = audit.audit_entries(world.uow, world.owner, limit=1000, clock=world.clock)
    assert entries
    assert {entry["actor_id"] for entry in entries} <= {
        None, world.owner.staff_user_id, world.clinician.staff_user_id,
        world.clinician2.staff_user_id, world.front_desk.staff_user_id,
    }  # fmt: skip


def _tiny_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_the_owner_sets_policy_overrides_and_the_change_is_audited(world: World) -> None:
    clinics.set_policy_overrides(world.uow, world.owner, {"minimum_age": 21}, clock=world.clock)
    with world.uow:
        clinic = world.uow.clinics.get(world.owner.clinic_id)
        assert clinic is not None and clinic.policy_overrides == {"minimum_age": 21}
    entries = audit.audit_entries(world.uow, world.owner, clock=world.clock, limit=1000)
    assert entries[-1]["action"] == "clinic.configure"
    details = entries[-1]["details"]
    assert details["changed"] == "policy_overrides" and details["keys"] == ["minimum_age"]
    assert details["set"] == {"minimum_age": 21} and details["reset"] == []
    with pytest.raises(UserError):  # only the values of A.7 (REFERENCE.md), within bounds
        clinics.set_policy_overrides(
            world.uow, world.owner, {"reminder_days": 2}, clock=world.clock
        )
    with pytest.raises(PermissionDenied):
        clinics.set_policy_overrides(world.uow, world.clinician, {}, clock=world.clock)
