"""Clinics and their staff: creating a clinic with its first owner, adding staff, signing in,
the price list and policy overrides.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field

from microneedling.clinical.pricing import parse_price_list
from microneedling.errors import Conflict, NotFound, PermissionDenied, RuleViolation, UserError
from microneedling.services.access import Actor, Role, Transaction
from microneedling.services.clock import Clock, utc_now
from microneedling.services.inputs import Email, Input, Text, parse
from microneedling.services.passwords import (
    hash_password,
    needs_rehash,
    verify_nothing,
    verify_password,
)
from microneedling.services.token_cache import TOKENS
from microneedling.services.views import staff_view
from microneedling.store import UnitOfWork
from microneedling.store.models import Clinic, StaffUser
from microneedling.store.unit_of_work import translate_conflicts

log = logging.getLogger("microneedling.services")

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class NewStaffMember(Input):
    email: Email
    display_name: Text
    role: Role
    password: str | None = Field(default=None, min_length=8, max_length=1024)


def _time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(
            f"unknown time zone {name!r} (expected an IANA name such as Europe/Amsterdam)",
            field="time_zone",
        ) from None
    return name


def create_clinic(
    uow: UnitOfWork,
    *,
    slug: str,
    name: str,
    time_zone: str,
    owner: NewStaffMember | dict[str, Any],
    price_list: dict[str, Any] | None = None,
    clock: Clock = utc_now,
) -> Actor:
    """A new clinic and its first owner (a system action: there is no one to act for yet)."""
    if not _SLUG.match(slug):
        raise UserError(
            "a clinic's short name has lower-case letters, digits and dashes", field="slug"
        )
    if not name.strip() or len(name) > 200:
        raise UserError("a clinic needs a name of at most 200 characters", field="name")
    _time_zone(time_zone)
    first = parse(NewStaffMember, owner, what="owner")
    if first.role is not Role.OWNER:
        raise UserError("the first staff member of a clinic is its owner", field="owner.role")
    prices = parse_price_list(price_list).model_dump(mode="json") if price_list else None
    now = clock()
    with uow:
        if uow.clinics.by_slug(slug) is not None:
            raise Conflict(f"a clinic called {slug!r} already exists", field="slug")
        if uow.staff.by_email(first.email) is not None:
            raise Conflict("this e-mail address already has an account", field="owner.email")
        clinic = Clinic(
            slug=slug,
            name=name.strip(),
            time_zone=time_zone,
            price_list=prices,
            policy_overrides={},
            created_at=now,
        )
        uow.clinics.add(clinic)
        uow.flush(f"a clinic called {slug!r} already exists")
        user = _staff_row(clinic.id, first, now)
        uow.staff.add(user)
        uow.flush("this e-mail address already has an account")
        with translate_conflicts():
            uow.audit.append(
                at=now,
                clinic_id=clinic.id,
                actor_id=None,
                actor_role="system",
                action="clinic.create",
                entity_type="clinic",
                entity_id=clinic.id,
                details={"owner": user.id, "time_zone": time_zone},
            )
        uow.commit("a clinic with this name or owner e-mail already exists")
        actor = Actor(user.id, clinic.id, Role.OWNER)
    log.info("done action=clinic.create clinic=%s owner=%s", actor.clinic_id, actor.staff_user_id)
    return actor


def _staff_row(clinic_id: int, member: NewStaffMember, now: Any) -> StaffUser:
    return StaffUser(
        clinic_id=clinic_id,
        email=member.email,
        display_name=member.display_name,
        role=str(member.role),
        password_hash=hash_password(member.password) if member.password else None,
        active=True,
        created_at=now,
    )


def add_staff_member(
    uow: UnitOfWork,
    actor: Actor,
    member: NewStaffMember | dict[str, Any],
    *,
    clock: Clock = utc_now,
) -> Actor:
    """An owner adds someone to their clinic; returns the new member as an :class:`Actor`."""
    details = parse(NewStaffMember, member, what="staff member")
    taken = "this e-mail address already has an account"
    with Transaction(uow, actor, "staff.add", clock) as tx:
        if uow.staff.by_email(details.email) is not None:
            raise Conflict(taken, field="email")
        user = _staff_row(actor.clinic_id, details, tx.now)
        uow.staff.add(user)
        tx.flush(taken)
        tx.done(entity=("staff_user", user.id), details={"role": str(details.role)}, conflict=taken)
    return Actor(user.id, actor.clinic_id, details.role)


def sign_in(uow: UnitOfWork, email: str, password: str) -> Actor:
    """The account with this e-mail and password, as an :class:`Actor` (PermissionDenied if not).

    The same message, and the same password work, for an unknown e-mail and a wrong password. A
    hash in an older scheme is upgraded. (The API signs in with ``sign_in.sign_in_for_token``,
    which also counts failures and issues a token.)
    """
    with uow:
        user = uow.staff.by_email(email) if len(email) <= 254 else None
        if user is None or user.password_hash is None:
            verify_nothing(password)
            raise PermissionDenied("wrong e-mail or password")
        if not verify_password(password, user.password_hash) or not user.active:
            raise PermissionDenied("wrong e-mail or password")
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
            uow.commit()
        return Actor(user.id, user.clinic_id, Role(user.role))


def list_staff(uow: UnitOfWork, actor: Actor, *, clock: Clock = utc_now) -> list[dict[str, Any]]:
    """The clinic's staff accounts, active or not."""
    with Transaction(uow, actor, "staff.read", clock, reading=True) as tx:
        found = [staff_view(user) for user in tx.records.staff()]
        tx.done(details={"results": len(found)})
    return found


def deactivate_staff_member(
    uow: UnitOfWork, actor: Actor, staff_user_id: int, *, clock: Clock = utc_now
) -> dict[str, Any]:
    """Close an account: it can no longer sign in, and its tokens stop working at once.

    The records it made keep its name. An owner cannot close their own account (another owner
    can), so a clinic always keeps an active owner.
    """
    with Transaction(uow, actor, "staff.deactivate", clock) as tx:
        user = tx.records.get(StaffUser, staff_user_id, for_update=True)
        if user is None:
            raise NotFound(f"no staff member {staff_user_id} in this clinic", field="staff_id")
        if user.id == actor.staff_user_id:
            raise RuleViolation(
                "you cannot close your own account; another owner can", field="staff_id"
            )
        user.active = False
        view = staff_view(user)
        tx.done(entity=("staff_user", user.id), details={"active": False})
    TOKENS.forget_account(uow.database.describe(), staff_user_id)
    return view


def clinic_settings(uow: UnitOfWork, actor: Actor, *, clock: Clock = utc_now) -> dict[str, Any]:
    """The clinic's price list (None until one is set) and policy overrides."""
    with Transaction(uow, actor, "clinic.read_settings", clock, reading=True) as tx:
        clinic = tx.records.clinic()
        view = {"price_list": clinic.price_list, "policy_overrides": clinic.policy_overrides}
        tx.done(entity=("clinic", clinic.id))
    return view


def set_price_list(
    uow: UnitOfWork, actor: Actor, price_list: dict[str, Any], *, clock: Clock = utc_now
) -> None:
    """Replace the clinic's price list (used for quotes in plans)."""
    prices = parse_price_list(price_list).model_dump(mode="json")
    with Transaction(uow, actor, "clinic.configure", clock) as tx:
        clinic = tx.records.clinic()
        clinic.price_list = prices
        tx.done(entity=("clinic", clinic.id), details={"changed": "price_list"})


def set_policy_overrides(
    uow: UnitOfWork, actor: Actor, overrides: dict[str, Any], *, clock: Clock = utc_now
) -> None:
    """Store the clinic's policy overrides (data, audited; never edits to the shipped files)."""
    if not isinstance(overrides, dict):
        raise UserError("policy overrides are an object of named settings", field="overrides")
    with Transaction(uow, actor, "clinic.configure", clock) as tx:
        clinic = tx.records.clinic()
        clinic.policy_overrides = overrides
        tx.done(
            entity=("clinic", clinic.id),
            details={"changed": "policy_overrides", "keys": sorted(overrides)},
        )


def local_operator(uow: UnitOfWork, email: str) -> Actor:
    """The staff member a command-line user acts as (``--as EMAIL``).

    Whoever runs the command line can read the database anyway, so no password is asked; every
    action is still checked against the member's role and audited under their name.
    """
    with uow:
        user = uow.staff.by_email(email)
        if user is None or not user.active:
            raise PermissionDenied(f"no active staff member {email!r}", field="as")
        return Actor(user.id, user.clinic_id, Role(user.role))
