"""Clinics and their staff: creating a clinic with its first owner (the first-run setup, ``clinic
create``), adding staff (the demo loader's accounts; owners invite, services/staff_invitations.py),
changing roles, closing accounts, signing in, the price list and policy overrides.

Every password chosen here goes through the password policy (:func:`passwords.check_new_password`)
with the person's name, e-mail and clinic as words an attacker would try first. Only the demo
loader passes ``demo=True``: the demo's accounts share a published password, and the demo clinics
keep their short names (:data:`DEMO_SLUGS`) to themselves, so that an installation holding them can
always be told apart (:func:`installation`: every page then says so).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field

from microneedling.clinical.pricing import parse_price_list
from microneedling.errors import Conflict, NotFound, PermissionDenied, RuleViolation, UserError
from microneedling.knowledge import shipped_knowledge_base
from microneedling.knowledge.overrides import (
    KEYS,
    NOT_POLICY_KEYS,
    SETTING,
    PolicyOverrides,
    apply_overrides,
    defaults,
    overrides_hash,
    parse_overrides,
    read_stored,
)
from microneedling.services.access import Actor, Role, Transaction
from microneedling.services.clock import Clock, utc_now
from microneedling.services.inputs import Email, Input, Phone, Text, parse
from microneedling.services.passwords import (
    MAX_NEW_PASSWORD_CHARS,
    check_new_password,
    hash_password,
    needs_rehash,
    verify_nothing,
    verify_password,
)
from microneedling.services.token_cache import TOKENS
from microneedling.services.views import staff_view
from microneedling.services.web_sessions import end_sessions_of
from microneedling.store import UnitOfWork
from microneedling.store.models import Clinic, StaffUser
from microneedling.store.unit_of_work import translate_conflicts

log = logging.getLogger("microneedling.services")

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")

#: The demo clinics' short names (``services/demo_clinic.py``): only the demo loader creates them,
#: and a database holding one is a demo installation.
DEMO_SLUGS = ("demo", "second")

#: The one answer for an e-mail address that already has an account, in this clinic or another:
#: an owner learns nothing about other clinics' staff from it.
EMAIL_TAKEN = (
    "this e-mail address cannot be given a new account; use another address for them "
    "(each person signs in with an address of their own)"
)


class NewStaffMember(Input):
    email: Email
    display_name: Text
    role: Role
    password: str | None = Field(default=None, max_length=MAX_NEW_PASSWORD_CHARS)


def check_password_of(
    member: NewStaffMember, *clinic_words: str, field: str = "password", demo: bool = False
) -> None:
    """Hold a new member's password to the policy (a member without one cannot sign in yet)."""
    if member.password is None:
        return
    if demo:
        if not member.password:
            raise UserError("a password cannot be empty", field=field)
        return
    check_new_password(
        member.password,
        user_inputs=(member.display_name, member.email, *clinic_words),
        field=field,
    )


def installation(uow: UnitOfWork) -> dict[str, bool]:
    """``clinics``: whether the database holds any clinic (none: the first-run setup is open);
    ``demo``: whether it holds the demo clinics, whose accounts have a published password."""
    with uow:
        return {"clinics": uow.clinics.exist(), "demo": uow.clinics.exist(DEMO_SLUGS)}


def slug_from_name(name: str) -> str:
    """A short name made from the clinic's name: "Zon & Huid Kliniek" → "zon-huid-kliniek"."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:63].strip("-")
    return slug if slug not in DEMO_SLUGS else f"{slug}-clinic"


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
    first_run: bool = False,
    demo: bool = False,
) -> Actor:
    """A new clinic and its first owner (a system action: there is no one to act for yet).

    ``first_run``: the first-run setup, which only a database without any clinic accepts (two
    setups at once: one wins, the other is refused). ``demo``: the demo loader only.
    """
    if not isinstance(slug, str) or not _SLUG.match(slug):
        raise UserError(
            "a clinic's short name has 1 to 63 lower-case letters, digits and dashes, "
            "starting with a letter or digit (for example sunrise-skin)",
            field="slug",
        )
    if (slug in DEMO_SLUGS) != demo:
        raise UserError(
            f"the short name {slug!r} is kept for the demo clinics; choose another", field="slug"
        )
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise UserError("a clinic needs a name of at most 200 characters", field="name")
    if not isinstance(time_zone, str) or len(time_zone) > 64:
        raise UserError(
            "unknown time zone (expected a name such as Europe/Amsterdam)", field="time_zone"
        )
    _time_zone(time_zone)
    first = parse(NewStaffMember, owner, what="owner")
    if first.role is not Role.OWNER:
        raise UserError("the first staff member of a clinic is its owner", field="owner.role")
    check_password_of(first, name, slug, field="owner.password", demo=demo)
    prices = parse_price_list(price_list).model_dump(mode="json") if price_list else None
    now = clock()
    with uow:
        if first_run and uow.clinics.exist():
            raise Conflict(SET_UP_ALREADY)
        if uow.clinics.by_slug(slug) is not None:
            raise Conflict(f"a clinic called {slug!r} already exists", field="slug")
        if uow.staff.by_email(first.email) is not None:
            raise Conflict(EMAIL_TAKEN, field="owner.email")
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
        # Appending took the audit chain's lock: a setup that raced this one has committed its
        # clinic by now (or waits for this one), so a second clinic here means it won.
        if first_run and uow.clinics.exist(other_than=clinic.id):
            raise Conflict(SET_UP_ALREADY)
        uow.commit("a clinic with this name or owner e-mail already exists")
        actor = Actor(user.id, clinic.id, Role.OWNER)
    log.info("done action=clinic.create clinic=%s owner=%s", actor.clinic_id, actor.staff_user_id)
    return actor


#: The answer to a first-run setup once a clinic exists.
SET_UP_ALREADY = "this installation is already set up: sign in, or ask its owner for an account"


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
    demo: bool = False,
) -> Actor:
    """An account made at once, with its password (the demo loader, tests, imports); returns
    the new member as an :class:`Actor`. Owners add staff by invitation instead
    (:mod:`microneedling.services.staff_invitations`: the pages, the API and ``staff add``),
    which tells them nothing of whether an address already has an account.

    One account per e-mail address across the installation. An address that already has one,
    here or in another clinic, gets one answer (:data:`EMAIL_TAKEN`), after the same work as a
    new account (the password is checked and hashed first).
    """
    details = parse(NewStaffMember, member, what="staff member")
    if details.password is not None and not details.password and not demo:
        raise UserError("give them a password, or none to set one later", field="password")
    with Transaction(uow, actor, "staff.add", clock) as tx:
        clinic = tx.records.clinic()
        check_password_of(details, clinic.name, clinic.slug, demo=demo)
        user = _staff_row(actor.clinic_id, details, tx.now)
        if uow.staff.by_email(details.email) is not None:
            raise Conflict(EMAIL_TAKEN, field="email")
        uow.staff.add(user)
        tx.flush(EMAIL_TAKEN)
        tx.done(
            entity=("staff_user", user.id),
            details={"role": str(details.role)},
            conflict=EMAIL_TAKEN,
        )
    return Actor(user.id, actor.clinic_id, details.role)


def _member(tx: Transaction, staff_user_id: int) -> StaffUser:
    user = tx.records.get(StaffUser, staff_user_id, for_update=True)
    if user is None:
        raise NotFound(f"no staff member {staff_user_id} in this clinic", field="staff_id")
    return user


def _keep_an_owner(owners: list[int], user: StaffUser) -> None:
    """Refuse a change that would leave the clinic without an active owner (``owners``: the
    active owners, locked before the member's row, so two such changes take turns)."""
    if user.id in owners and not set(owners) - {user.id}:
        raise RuleViolation(
            f"{user.display_name} is the clinic's only owner: make someone else an owner first",
            field="staff_id",
        )


def change_role(
    uow: UnitOfWork,
    actor: Actor,
    staff_user_id: int,
    role: Role | str,
    *,
    clock: Clock = utc_now,
) -> dict[str, Any]:
    """An owner gives a staff member another role (their sign-ins carry the new role at once).

    An owner cannot change their own role (another owner can), and a clinic keeps an owner.
    """
    try:
        new_role = Role(role)
    except ValueError:
        choices = ", ".join(str(choice) for choice in Role)
        raise UserError(f"a role is one of {choices}", field="role") from None
    with Transaction(uow, actor, "staff.change_role", clock) as tx:
        owners = tx.records.lock_active_owners()
        user = _member(tx, staff_user_id)
        if user.id == actor.staff_user_id:
            raise RuleViolation(
                "you cannot change your own role; another owner can", field="staff_id"
            )
        if not user.active:
            raise RuleViolation(
                f"{user.display_name}'s account is closed: it has no role to change",
                field="staff_id",
            )
        before = user.role
        if before != str(new_role):
            _keep_an_owner(owners, user)
            user.role = str(new_role)
        view = staff_view(user)
        tx.done(entity=("staff_user", user.id), details={"role": str(new_role), "from": before})
    TOKENS.forget_account(uow.database.describe(), staff_user_id)
    return view


def staff_id_by_email(uow: UnitOfWork, actor: Actor, email: str) -> int:
    """The id of the staff member of the actor's clinic with this e-mail (the command line names
    people by address); another clinic's member is reported like a missing one."""
    with uow:
        user = uow.staff.by_email(email.strip().lower()) if len(email) <= 254 else None
        if user is None or user.clinic_id != actor.clinic_id:
            raise NotFound(f"no staff member {email!r} in this clinic", field="email")
        return user.id


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
        owners = tx.records.lock_active_owners()
        user = _member(tx, staff_user_id)
        if user.id == actor.staff_user_id:
            raise RuleViolation(
                "you cannot close your own account; another owner can", field="staff_id"
            )
        _keep_an_owner(owners, user)
        user.active = False
        # Ended now, not at their next request: the owner's list of sign-ins says so at once.
        ended = end_sessions_of(uow, user.id, "account", tx.now, tokens_too=True)
        view = staff_view(user)
        tx.done(entity=("staff_user", user.id), details={"active": False, "sign_ins_ended": ended})
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


def _policy_view(stored: object) -> dict[str, Any]:
    """The clinic's policy values (A.7): each value's label, unit, bounds, shipped default and
    override; the values stored but refused; the hash of the overrides in force."""
    kb = shipped_knowledge_base()
    found = read_stored(stored, kb)
    shipped = defaults(kb)
    given = found.overrides.values()
    values = []
    for key in KEYS:
        setting = SETTING.get(key)
        values.append(
            {
                "key": key,
                "label": setting.label if setting else STRUCTURED_LABELS[key],
                "unit": setting.unit if setting else None,
                "min": setting.min if setting else None,
                "max": setting.max if setting else None,
                "applies_to": setting.applies_to if setting else None,
                "default": shipped[key],
                "override": given.get(key),
                "in_force": given.get(key, shipped[key]),
            }
        )
    applied = apply_overrides(kb, found.overrides)
    return {
        "values": values,
        "overrides": given,
        "not_applied": list(getattr(applied, "not_applied", ())),
        "overrides_hash": found.hash,
        "refused": [item.to_dict() for item in found.refused],
        "contact": _stored_contact(stored),
    }


def _stored_contact(stored: object) -> dict[str, str]:
    contact = stored.get("contact") if isinstance(stored, dict) else None
    if not isinstance(contact, dict):
        return {}
    return {
        key: value[:300]
        for key in ("address", "phone")
        if isinstance(value := contact.get(key), str) and value.strip()
    }


#: Labels of the structured A.7 values.
STRUCTURED_LABELS = {
    "zone_areas_cm2": "Zone areas (cm²)",
    "passes": "Passes per concern group",
    "device_profiles": "Device profiles",
    "approved_products": "Approved products",
}


def policy(uow: UnitOfWork, actor: Actor, *, clock: Clock = utc_now) -> dict[str, Any]:
    """The clinic's policy values as :func:`_policy_view` gives them (an owner's read, audited)."""
    with Transaction(uow, actor, "clinic.read_settings", clock, reading=True) as tx:
        clinic = tx.records.clinic()
        view = _policy_view(clinic.policy_overrides)
        tx.done(entity=("clinic", clinic.id), details={"read": "policy"})
    return view


def clinic_policy(uow: UnitOfWork, clinic_id: int) -> PolicyOverrides:
    """The overrides in force for a clinic, for the computations (not audited: no one reads the
    settings, a screening or plan applies them). Stored values that are not valid never apply."""
    with uow:
        clinic = uow.clinics.get(clinic_id)
        stored = clinic.policy_overrides if clinic is not None else None
    return read_stored(stored, shipped_knowledge_base()).overrides


class ClinicContact(Input):
    """The address and phone number printed on the clinic's handouts (both optional)."""

    address: str | None = Field(default=None, max_length=300)
    phone: Phone | None = None


_UNCHANGED: Any = object()


def _store_policy(
    uow: UnitOfWork,
    actor: Actor,
    change: Any,
    clock: Clock,
    contact: Any = _UNCHANGED,
) -> dict[str, Any]:
    """Replace the clinic's policy overrides by ``change(current valid overrides)``, audited with
    what was set and what was reset. Values stored before that were not valid are dropped; the
    clinic's contact details (not policy) are kept."""
    kb = shipped_knowledge_base()
    with Transaction(uow, actor, "clinic.configure", clock) as tx:
        clinic = tx.records.clinic()
        stored = clinic.policy_overrides if isinstance(clinic.policy_overrides, dict) else {}
        before = read_stored(stored, kb)
        new = parse_overrides(change(before.overrides.values()), kb)
        old_values, new_values = before.overrides.values(), new.values()
        kept = {key: value for key, value in stored.items() if key in NOT_POLICY_KEYS}
        if contact is not _UNCHANGED:
            kept.pop("contact", None)
            if contact:
                kept["contact"] = contact
        clinic.policy_overrides = {**kept, **new_values}
        set_keys = sorted(key for key in new_values if old_values.get(key) != new_values[key])
        reset_keys = sorted(key for key in old_values if key not in new_values)
        contact_changed = contact is not _UNCHANGED and stored.get("contact") != kept.get("contact")
        tx.done(
            entity=("clinic", clinic.id),
            details={
                "changed": "contact"
                if contact_changed and not (set_keys or reset_keys)
                else "policy_overrides",
                "keys": sorted(set(set_keys) | set(reset_keys)),
                "set": {key: _audited(key, new_values[key]) for key in set_keys},
                "reset": reset_keys,
                "dropped": [item.key for item in before.refused],
                "overrides_hash": overrides_hash(new),
            },
        )
        view = _policy_view(clinic.policy_overrides)
    return view


def _audited(key: str, value: Any) -> Any:
    """What the audit entry keeps of a value: numbers as they are, lists and tables by size."""
    if isinstance(value, list):
        return {"count": len(value)}
    if isinstance(value, dict):
        return {"count": len(value)}
    return value


def set_policy_overrides(
    uow: UnitOfWork, actor: Actor, overrides: dict[str, Any], *, clock: Clock = utc_now
) -> dict[str, Any]:
    """Replace the clinic's policy overrides (A.7) with ``overrides``: only A.7's values, each
    within its bounds (a UserError lists every problem); a value left out is reset to its
    default. Returns the policy as :func:`policy` shows it."""
    if not isinstance(overrides, dict):
        raise UserError("policy overrides are an object of named values", field="overrides")
    # The clinic's contact details share the column; they are not policy (kept when not given).
    given = {key: value for key, value in overrides.items() if key not in NOT_POLICY_KEYS}
    contact = _contact(overrides["contact"]) if "contact" in overrides else _UNCHANGED
    return _store_policy(uow, actor, lambda _current: given, clock, contact)


def _contact(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    parsed = parse(ClinicContact, value, what="contact")
    return {
        key: " ".join(text.split())
        for key, text in (("address", parsed.address), ("phone", parsed.phone))
        if text and text.strip()
    }


def set_contact(
    uow: UnitOfWork, actor: Actor, contact: dict[str, Any] | None, *, clock: Clock = utc_now
) -> dict[str, Any]:
    """Set the address and phone printed on the clinic's handouts (None: remove them)."""
    return _store_policy(uow, actor, lambda current: current, clock, _contact(contact))


def set_policy_value(
    uow: UnitOfWork, actor: Actor, key: str, value: Any, *, clock: Clock = utc_now
) -> dict[str, Any]:
    """Override one A.7 value (the others stay as they are)."""
    _known(key)
    return _store_policy(uow, actor, lambda current: {**current, key: value}, clock)


def reset_policy_values(
    uow: UnitOfWork, actor: Actor, keys: list[str], *, clock: Clock = utc_now
) -> dict[str, Any]:
    """Remove the overrides of ``keys`` (each restores its shipped default); no keys: all."""
    for key in keys:
        _known(key)
    chosen = set(keys) if keys else set(KEYS)
    return _store_policy(
        uow,
        actor,
        lambda current: {key: value for key, value in current.items() if key not in chosen},
        clock,
    )


def _known(key: object) -> None:
    if key not in KEYS:
        shown = key if isinstance(key, str) and len(key) <= 40 and key.isprintable() else "this"
        raise UserError(
            f"{shown!r} is not a value a clinic can change; one of: {', '.join(KEYS)}", field="key"
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
