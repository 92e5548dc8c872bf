"""Accounts (issue 14, item 1): the first-run setup, the password policy wherever a password is
chosen, an owner changing roles and closing accounts (audited), a clinic that always keeps an
owner, and one answer for an e-mail taken here or in another clinic. On SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.integration.conftest import NOW, World

from microneedling.errors import Conflict, PermissionDenied, RuleViolation, UserError
from microneedling.services import audit, clinics
from microneedling.services.access import Role
from microneedling.services.clock import fixed_clock
from microneedling.services.demo_clinic import DEFAULT_PASSWORD, DEMO_SLUG, SECOND_SLUG
from microneedling.store import Database, PhotoFiles, UnitOfWork
from microneedling.store.models import Clinic, StaffUser

STRONG = "velvet lantern orbit cascade"


def sentences(page: dict[str, Any]) -> list[str]:
    return [item["sentence"] for item in page["items"]]


def owner(email: str = "ada@sunrise.example", password: str | None = STRONG) -> dict[str, Any]:
    return {"email": email, "display_name": "Ada Lovelace", "role": "owner", "password": password}


def uow_of(database: Database, tmp_path: Path) -> UnitOfWork:
    return UnitOfWork(database, PhotoFiles(tmp_path / "photos"))


def set_up(uow: UnitOfWork, slug: str = "sunrise", **kwargs: Any) -> Any:
    return clinics.create_clinic(
        uow, slug=slug, name="Sunrise Skin", time_zone="Europe/Amsterdam",
        owner=kwargs.pop("owner", owner()), clock=fixed_clock(NOW), first_run=True, **kwargs,
    )  # fmt: skip


# The first-run setup ---------------------------------------------------------------------------


def test_an_empty_database_is_open_for_setup_once(fresh_database: Database, tmp_path: Path) -> None:
    uow = uow_of(fresh_database, tmp_path)
    assert clinics.installation(uow) == {"clinics": False, "demo": False}
    first = set_up(uow)
    assert first.role is Role.OWNER
    assert clinics.installation(uow) == {"clinics": True, "demo": False}
    with pytest.raises(Conflict) as refused:
        set_up(uow, slug="another", owner=owner("eve@elsewhere.example"))
    assert refused.value.message == clinics.SET_UP_ALREADY
    with uow:
        assert [clinic.slug for clinic in uow.session.query(Clinic)] == ["sunrise"]


def test_two_setups_at_once_make_one_clinic(fresh_database: Database, tmp_path: Path) -> None:
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(index: int) -> None:
        uow = uow_of(fresh_database, tmp_path)
        barrier.wait()
        try:
            set_up(uow, slug=f"clinic-{index}", owner=owner(f"owner{index}@race.example"))
            outcomes.append("made")
        except Conflict:
            outcomes.append("refused")

    threads = [threading.Thread(target=attempt, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["made", "refused"]
    with uow_of(fresh_database, tmp_path) as uow:
        assert uow.session.query(Clinic).count() == 1


def test_the_setup_is_audited_as_the_system_creating_the_clinic(
    fresh_database: Database, tmp_path: Path
) -> None:
    uow = uow_of(fresh_database, tmp_path)
    first = set_up(uow)
    page = audit.audit_log(uow, first, clock=fixed_clock(NOW + timedelta(minutes=1)))
    assert [item["sentence"] for item in page["items"]][-1] == (
        "The system created the clinic with Ada Lovelace as its owner"
    )


@pytest.mark.parametrize(
    ("field", "changes", "says"),
    [
        ("slug", {"slug": "Sunrise Skin!"}, "lower-case letters, digits and dashes"),
        ("slug", {"slug": "x" * 64}, "lower-case letters"),
        ("slug", {"slug": DEMO_SLUG}, "kept for the demo clinics"),
        ("slug", {"slug": SECOND_SLUG}, "kept for the demo clinics"),
        ("name", {"name": "   "}, "needs a name"),
        ("name", {"name": "N" * 201}, "at most 200"),
        ("time_zone", {"time_zone": "Mars/Olympus"}, "unknown time zone"),
        ("time_zone", {"time_zone": "E" * 500}, "unknown time zone"),
        ("owner.password", {"owner": owner(password="short")}, "at least 12 characters"),
        ("owner.password", {"owner": owner(password="Password1234")}, "too easy to guess"),
        ("owner.password", {"owner": owner(password="Ada Lovelace Sunrise")}, "your name"),
        ("email", {"owner": owner(email="not an address")}, ""),
    ],
)
def test_a_clinic_with_a_malformed_field_is_refused_naming_the_field(
    fresh_database: Database, tmp_path: Path, field: str, changes: dict[str, Any], says: str
) -> None:
    uow = uow_of(fresh_database, tmp_path)
    values: dict[str, Any] = {
        "slug": "sunrise", "name": "Sunrise Skin", "time_zone": "Europe/Amsterdam",
        "owner": owner(), **changes,
    }  # fmt: skip
    with pytest.raises(UserError) as refused:
        clinics.create_clinic(uow, clock=fixed_clock(NOW), first_run=True, **values)
    assert refused.value.field == field or any(f == field for f, _ in refused.value.fields)
    assert says in str(refused.value)
    assert clinics.installation(uow)["clinics"] is False


def test_the_demo_is_told_apart_even_after_a_real_clinic_joins_it(
    fresh_database: Database, tmp_path: Path
) -> None:
    uow = uow_of(fresh_database, tmp_path)
    clinics.create_clinic(
        uow, slug=DEMO_SLUG, name="Demo Skin Clinic", time_zone="Europe/Amsterdam",
        owner={"email": "owner@demo.example", "display_name": "Olivia Owens", "role": "owner",
               "password": DEFAULT_PASSWORD},
        clock=fixed_clock(NOW), demo=True,
    )  # fmt: skip
    assert clinics.installation(uow) == {"clinics": True, "demo": True}
    clinics.create_clinic(
        uow, slug="real", name="Real Clinic", time_zone="Europe/Amsterdam",
        owner=owner(), clock=fixed_clock(NOW),
    )  # fmt: skip
    assert clinics.installation(uow) == {"clinics": True, "demo": True}


def test_the_demo_password_is_refused_for_a_real_clinic(
    fresh_database: Database, tmp_path: Path
) -> None:
    with pytest.raises(UserError) as refused:
        set_up(uow_of(fresh_database, tmp_path), owner=owner(password=DEFAULT_PASSWORD))
    assert refused.value.field == "owner.password"


# Adding staff ----------------------------------------------------------------------------------


def member(email: str, password: str | None = STRONG, role: str = "clinician") -> dict[str, Any]:
    return {"email": email, "display_name": "Nadia Newcomer", "role": role, "password": password}


@pytest.mark.parametrize(
    ("password", "says"),
    [
        ("elevenchars", "at least 12 characters"),
        ("qwertyuiop123", "too easy to guess"),
        ("Nadia Newcomer 1", "your name"),
        ("x" * 129, "at most 128 characters"),
        ("", "give them a password"),
    ],
)
def test_a_new_member_gets_a_password_the_policy_accepts(
    world: World, password: str, says: str
) -> None:
    with pytest.raises(UserError) as refused:
        clinics.add_staff_member(
            world.uow, world.owner, member(world.unique("n") + "@x.example", password),
            clock=world.clock,
        )  # fmt: skip
    assert refused.value.field == "password" and says in refused.value.message


def test_a_long_passphrase_of_sixty_four_characters_and_more_is_accepted(world: World) -> None:
    long = "velvet lantern orbit cascade meadow quartz ember violin harbor fig"
    assert len(long) > 64
    added = clinics.add_staff_member(
        world.uow, world.owner, member(world.unique("l") + "@x.example", long), clock=world.clock
    )
    assert clinics.sign_in(world.uow, added_email(world, added.staff_user_id), long)


def added_email(world: World, staff_user_id: int) -> str:
    with world.uow as uow:
        user = uow.session.get(StaffUser, staff_user_id)
        assert user is not None
        return user.email


def test_an_e_mail_taken_here_or_in_another_clinic_gets_the_same_answer(
    world: World, other_world: World
) -> None:
    here = world.unique("here") + "@x.example"
    elsewhere = world.unique("elsewhere") + "@x.example"
    clinics.add_staff_member(world.uow, world.owner, member(here), clock=world.clock)
    clinics.add_staff_member(
        other_world.uow, other_world.owner, member(elsewhere), clock=world.clock
    )
    answers = []
    for email in (here, elsewhere):
        with pytest.raises(Conflict) as refused:
            clinics.add_staff_member(world.uow, world.owner, member(email), clock=world.clock)
        answers.append((type(refused.value), refused.value.field, refused.value.message))
    assert answers[0] == answers[1]
    assert "another clinic" not in answers[0][2] and "already" not in answers[0][2]


# Roles and closing accounts --------------------------------------------------------------------


def test_an_owner_changes_a_role_and_the_log_says_so(world: World) -> None:
    changed = clinics.change_role(
        world.uow, world.owner, world.clinician.staff_user_id, "owner", clock=world.clock
    )
    assert changed["role"] == "owner"
    page = audit.audit_log(world.uow, world.owner, clock=world.clock)
    assert "Owner made clinician owner (was clinician)" in sentences(page)
    clinics.change_role(
        world.uow, world.owner, world.clinician.staff_user_id, "front_desk", clock=world.clock
    )
    page = audit.audit_log(world.uow, world.owner, clock=world.clock)
    assert "Owner made clinician front desk (was owner)" in sentences(page)


@pytest.mark.parametrize("role", ["admin", "", "OWNER ", "root", "x" * 1000])
def test_an_unknown_role_is_refused_with_the_choices(world: World, role: str) -> None:
    with pytest.raises(UserError) as refused:
        clinics.change_role(
            world.uow, world.owner, world.clinician.staff_user_id, role, clock=world.clock
        )
    assert refused.value.field == "role" and "owner, clinician, front_desk" in refused.value.message


def test_only_an_owner_changes_roles(world: World) -> None:
    for actor in (world.clinician, world.front_desk):
        with pytest.raises(PermissionDenied):
            clinics.change_role(
                world.uow, actor, world.clinician2.staff_user_id, "owner", clock=world.clock
            )


def test_an_owner_cannot_change_their_own_role_nor_close_their_own_account(world: World) -> None:
    with pytest.raises(RuleViolation, match="your own role"):
        clinics.change_role(
            world.uow, world.owner, world.owner.staff_user_id, "clinician", clock=world.clock
        )
    with pytest.raises(RuleViolation, match="your own account"):
        clinics.deactivate_staff_member(
            world.uow, world.owner, world.owner.staff_user_id, clock=world.clock
        )


def test_another_clinics_member_is_not_found(world: World, other_world: World) -> None:
    from microneedling.errors import NotFound

    with pytest.raises(NotFound):
        clinics.change_role(
            world.uow, world.owner, other_world.clinician.staff_user_id, "owner", clock=world.clock
        )
    with pytest.raises(NotFound):
        clinics.deactivate_staff_member(
            world.uow, world.owner, other_world.clinician.staff_user_id, clock=world.clock
        )


def test_a_closed_account_has_no_role_to_change(world: World) -> None:
    clinics.deactivate_staff_member(
        world.uow, world.owner, world.clinician2.staff_user_id, clock=world.clock
    )
    with pytest.raises(RuleViolation, match="closed"):
        clinics.change_role(
            world.uow, world.owner, world.clinician2.staff_user_id, "owner", clock=world.clock
        )


@pytest.mark.parametrize("how", ["demote", "close"])
def test_two_owners_removing_each_other_at_once_leave_the_clinic_an_owner(
    world: World, how: str
) -> None:
    second = clinics.change_role(
        world.uow, world.owner, world.clinician.staff_user_id, "owner", clock=world.clock
    )
    first_actor = world.owner
    second_actor = type(world.owner)(second["id"], world.owner.clinic_id, Role.OWNER)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def remove(actor: Any, target: int) -> None:
        uow = UnitOfWork(world.database, world.uow.photos)
        barrier.wait()
        try:
            if how == "demote":
                clinics.change_role(uow, actor, target, "clinician", clock=world.clock)
            else:
                clinics.deactivate_staff_member(uow, actor, target, clock=world.clock)
            outcomes.append("done")
        except (RuleViolation, PermissionDenied, Conflict):
            outcomes.append("refused")

    threads = [
        threading.Thread(target=remove, args=(first_actor, second_actor.staff_user_id)),
        threading.Thread(target=remove, args=(second_actor, first_actor.staff_user_id)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["done", "refused"]
    with world.uow as uow:
        assert uow.records(world.owner.clinic_id).active_owners() == 1


def test_closing_an_account_is_audited_and_stops_its_sign_in(world: World) -> None:
    email = world.unique("leaver") + "@x.example"
    leaver = clinics.add_staff_member(world.uow, world.owner, member(email), clock=world.clock)
    assert clinics.sign_in(world.uow, email, STRONG).staff_user_id == leaver.staff_user_id
    clinics.deactivate_staff_member(world.uow, world.owner, leaver.staff_user_id, clock=world.clock)
    with pytest.raises(PermissionDenied):
        clinics.sign_in(world.uow, email, STRONG)
    page = audit.audit_log(world.uow, world.owner, clock=world.clock)
    assert "Owner closed the account of Nadia Newcomer" in sentences(page)
