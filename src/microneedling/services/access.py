"""Who may do what: the one role matrix, and the transaction every use case runs in.

Every use case is written as::

    with Transaction(uow, actor, "chart.create", clock) as tx:
        ... tx.records (this clinic's repositories), tx.now, tx.today ...
        tx.done(patient_id=..., entity=("session_chart", chart.id), details={...})

:class:`Transaction` checks the action against :data:`PERMISSIONS` and the acting account against
the database (active, same clinic, same role), and ``done`` appends the one audit entry and commits.
Leaving the block without ``done`` rolls everything back. Only ids go into log lines. A use case
that only reads passes ``reading=True`` (see :class:`Transaction`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from types import TracebackType
from typing import Any

from microneedling.errors import InternalError, PermissionDenied
from microneedling.services.clock import Clock, local_date, utc_now
from microneedling.store import UnitOfWork
from microneedling.store.models import ROLES
from microneedling.store.repositories import ClinicRecords
from microneedling.store.unit_of_work import DEFAULT_CONFLICT, translate_conflicts

log = logging.getLogger("microneedling.services")


class Role(StrEnum):
    OWNER = "owner"
    CLINICIAN = "clinician"
    FRONT_DESK = "front_desk"


assert tuple(Role) == ROLES

_OWNER = frozenset({Role.OWNER})
_CLINICAL = frozenset({Role.OWNER, Role.CLINICIAN})
_ALL = frozenset(Role)

#: The role matrix: each action (also the audit entry's ``action``) and the roles allowed it.
#: Front desk: patients and their contact details, intakes (recording one screens it),
#: appointments, consents. Clinicians: all of that, plus acknowledging a caution, plans, charting,
#: adverse events, outcomes, photos, devices, lots and recalls. Owners: everything, plus staff,
#: the price list, policy overrides and the audit log.
PERMISSIONS: Mapping[str, frozenset[Role]] = {
    # The clinic: owners only.
    "clinic.configure": _OWNER,
    "clinic.read_settings": _OWNER,
    "staff.add": _OWNER,
    "staff.invite": _OWNER,
    "staff.read": _OWNER,
    "staff.deactivate": _OWNER,
    "staff.change_role": _OWNER,
    "staff.reset_password": _OWNER,
    "staff.read_sessions": _OWNER,
    "staff.end_sessions": _OWNER,
    "audit.read": _OWNER,
    "audit.verify": _OWNER,
    "calendar.configure": _OWNER,
    # Front desk's work (everyone's).
    "patient.register": _ALL,
    "patient.search": _ALL,
    "patient.read": _ALL,
    "patient.update_contact": _ALL,
    "intake.record": _ALL,
    "intake.read": _ALL,
    "consent.sign": _ALL,
    "consent.withdraw": _ALL,
    "consent.read": _ALL,
    "appointment.book": _ALL,
    "appointment.update_status": _ALL,
    "appointment.read": _ALL,
    "account.sign_out": _ALL,
    "account.change_password": _ALL,
    "calendar.read": _ALL,
    "calendar.export": _ALL,
    "series.propose": _ALL,
    "series.book": _ALL,
    "series.move": _ALL,
    "series.cancel": _ALL,
    "maintenance.list": _ALL,
    "compute.screen": _ALL,
    "compute.product_check": _ALL,
    # Clinical work: clinicians and owners.
    "patient.read_record": _CLINICAL,
    "intake.acknowledge_caution": _CLINICAL,
    "plan.create": _CLINICAL,
    "plan.read": _CLINICAL,
    "plan.update_status": _CLINICAL,
    "chart.create": _CLINICAL,
    "chart.amend": _CLINICAL,
    "chart.read": _CLINICAL,
    "chart.list": _CLINICAL,
    "adverse_event.record": _CLINICAL,
    "adverse_event.resolve": _CLINICAL,
    "adverse_event.read": _CLINICAL,
    "outcome.record": _CLINICAL,
    "outcome.read": _CLINICAL,
    "photo.add": _CLINICAL,
    "photo.read": _CLINICAL,
    "photo.list": _CLINICAL,
    "photo.select_for_marketing": _CLINICAL,
    "photo.list_marketing": _CLINICAL,
    "inventory.register_device": _CLINICAL,
    "inventory.receive_lot": _CLINICAL,
    "inventory.read": _CLINICAL,
    "lot.recall": _CLINICAL,
    "compute.plan": _CLINICAL,
    "compute.score": _CLINICAL,
    "calendar.optimise": _CLINICAL,
    # The patient portal, staff's side: inviting patients and reviewing what they send.
    "portal.invite": _ALL,
    "portal.request_read": _ALL,
    "portal.request_handle": _ALL,
    "portal.intake_review": _CLINICAL,
    "portal.intake_confirm": _CLINICAL,
    # The patient portal, staff's side: reactions patients report (web/routes/reaction_reports.py).
    "portal.reaction_review": _ALL,
    "portal.reaction_close": _CLINICAL,
    # Billing: everyone sells, takes payments, issues gift cards and redeems sessions; owners
    # change the billing settings, refund, move packages and see every invoice.
    "billing.configure": _OWNER,
    "billing.read_settings": _ALL,
    "billing.read": _ALL,
    "billing.sell": _ALL,
    "billing.pay": _ALL,
    "billing.redeem": _ALL,
    "billing.gift_card": _ALL,
    "billing.refund": _OWNER,
    "billing.transfer": _OWNER,
    "billing.read_books": _OWNER,
    # The clinic's reports (revenue, utilisation, retention, outcomes, safety): owners.
    "report.read": _OWNER,
    # FHIR bulk export: the whole clinic's records at once (api/fhir/bulk.py): owners.
    "fhir.export": _OWNER,
    # Messages to patients: owners set the wording, timings and quiet hours; everyone records a
    # patient's message preferences (services/messages/clinic_settings.py, patient_preferences.py).
    "messages.configure": _OWNER,
    "messages.read_settings": _OWNER,
    "messages.preferences": _ALL,
    "messages.recall": _ALL,
}

#: Each role as staff call it, alone and as the people who have it.
ROLE_WORDS = {Role.OWNER: "owner", Role.CLINICIAN: "clinician", Role.FRONT_DESK: "front desk"}
_ROLE_PEOPLE = {Role.OWNER: "owners", Role.CLINICIAN: "clinicians", Role.FRONT_DESK: "front desk"}

#: What each action is, in staff's words, after "cannot" (a refusal's message).
ACTION_WORDS: Mapping[str, str] = {
    "clinic.configure": "change the clinic's settings",
    "clinic.read_settings": "see the clinic's settings",
    "staff.add": "add staff members",
    "staff.invite": "invite staff members",
    "staff.read": "see the list of staff",
    "staff.deactivate": "close staff accounts",
    "staff.change_role": "change staff members' roles",
    "staff.reset_password": "reset staff members' passwords",
    "staff.read_sessions": "see staff members' sign-ins",
    "staff.end_sessions": "sign staff members out",
    "audit.read": "read the audit log",
    "audit.verify": "verify the audit log",
    "calendar.configure": "change the clinic calendar",
    "patient.register": "register patients",
    "patient.search": "look up patients",
    "patient.read": "see a patient's details",
    "patient.update_contact": "change a patient's contact details",
    "intake.record": "record intakes",
    "intake.read": "see intakes",
    "consent.sign": "record consents",
    "consent.withdraw": "record a consent's withdrawal",
    "consent.read": "see consents",
    "appointment.book": "book appointments",
    "appointment.update_status": "check in, cancel or mark appointments",
    "appointment.read": "see appointments",
    "account.sign_out": "sign out",
    "account.change_password": "change your password",
    "calendar.read": "see the clinic calendar",
    "calendar.export": "export calendars",
    "series.propose": "propose a series of sessions",
    "series.book": "book a series of sessions",
    "series.move": "move a session of a series",
    "series.cancel": "cancel a session of a series",
    "maintenance.list": "see who is due for maintenance",
    "compute.screen": "screen an intake",
    "compute.product_check": "check products",
    "patient.read_record": "open a patient's full record",
    "intake.acknowledge_caution": "acknowledge a screening's caution",
    "plan.create": "create treatment plans",
    "plan.read": "open treatment plans",
    "plan.update_status": "change a treatment plan's status",
    "chart.create": "chart sessions",
    "chart.amend": "amend session charts",
    "chart.read": "open session charts",
    "chart.list": "list charted sessions",
    "adverse_event.record": "record adverse events",
    "adverse_event.resolve": "record an adverse event's resolution",
    "adverse_event.read": "see adverse events",
    "outcome.record": "record outcomes",
    "outcome.read": "see outcomes",
    "photo.add": "add photos",
    "photo.read": "see photos",
    "photo.list": "see the list of photos",
    "photo.select_for_marketing": "choose photos for marketing",
    "photo.list_marketing": "see the marketing photos",
    "inventory.register_device": "register devices",
    "inventory.receive_lot": "receive cartridge lots",
    "inventory.read": "see the inventory",
    "lot.recall": "recall cartridge lots",
    "compute.plan": "work out treatment plans",
    "compute.score": "score outcome scales",
    "calendar.optimise": "optimise the calendar",
    "portal.invite": "invite patients to the patient portal",
    "portal.request_read": "see consultation requests",
    "portal.request_handle": "deal with consultation requests",
    "portal.intake_review": "review questionnaires sent by patients",
    "portal.intake_confirm": "confirm questionnaires sent by patients",
    "portal.reaction_review": "see reactions reported by patients",
    "portal.reaction_close": "close a reported reaction",
    "billing.configure": "change the clinic's billing settings",
    "billing.read_settings": "see the clinic's billing settings",
    "billing.read": "see packages and invoices",
    "billing.sell": "sell packages",
    "billing.pay": "record payments",
    "billing.redeem": "redeem sessions of packages",
    "billing.gift_card": "issue gift cards",
    "billing.refund": "refund payments",
    "billing.transfer": "move packages between patients",
    "billing.read_books": "see the clinic's invoices",
    "report.read": "see the clinic's reports",
    "fhir.export": "export the clinic's records (FHIR bulk export)",
    "messages.configure": "change the clinic's messages to patients",
    "messages.read_settings": "see the clinic's message settings",
    "messages.preferences": "record a patient's message preferences",
    "messages.recall": "queue recalls and invitations to book",
}
assert set(ACTION_WORDS) == set(PERMISSIONS), "every action needs its words"


class RoleRefused(PermissionDenied):
    """The role matrix refuses ``action`` to ``role``. The message is staff's words ("Your role
    (front desk) cannot open treatment plans; that is for clinicians and owners"); ``action``
    keeps the code (``plan.read``) for programs."""

    def __init__(self, role: Role, action: str) -> None:
        allowed_to = sorted(_roles(action), key=list(Role).index, reverse=True)
        people = " and ".join(_ROLE_PEOPLE[who] for who in allowed_to)
        super().__init__(
            f"Your role ({ROLE_WORDS[role]}) cannot {ACTION_WORDS[action]}; that is for {people}"
        )
        self.role = role
        self.action = action


def action_words(action: str) -> str:
    """An action in staff's words ("open treatment plans"), or the code itself if unknown."""
    return ACTION_WORDS.get(action, action)


@dataclass(frozen=True)
class Actor:
    """The staff member a use case acts for."""

    staff_user_id: int
    clinic_id: int
    role: Role


#: What an account whose password was reset by an owner may do before choosing its own.
ALLOWED_BEFORE_PASSWORD_CHANGE = frozenset({"account.change_password", "account.sign_out"})


class PasswordMustChange(PermissionDenied):
    """The account's password was reset by an owner: nothing else until it is changed."""

    def __init__(self) -> None:
        super().__init__(
            "choose a new password first: this account's password was reset by an owner, and "
            "the one-time password must be changed before anything else"
        )


def allowed(role: Role, action: str) -> bool:
    """Whether ``role`` may do ``action`` (for showing or hiding things in a UI)."""
    return role in _roles(action)


def _roles(action: str) -> frozenset[Role]:
    try:
        return PERMISSIONS[action]
    except KeyError:
        raise InternalError(f"no permission rule for action {action!r}") from None


def check_role(actor: Actor, action: str) -> None:
    """Refuse unless ``actor``'s role allows ``action`` (the role matrix alone, no database)."""
    roles = _roles(action)
    if actor.role not in roles:
        log.info(
            "denied action=%s clinic=%s actor=%s role=%s",
            action,
            actor.clinic_id,
            actor.staff_user_id,
            actor.role,
        )
        raise RoleRefused(actor.role, action)


def authorize(uow: UnitOfWork, actor: Actor, action: str) -> None:
    """Refuse unless ``actor``'s role allows ``action`` and the account is active as claimed."""
    check_role(actor, action)
    user = uow.staff.standing(actor.staff_user_id)
    if (
        user is None
        or not user.active
        or user.clinic_id != actor.clinic_id
        or user.role != actor.role
    ):
        raise PermissionDenied("this account is not active in this clinic; sign in again")
    if user.password_must_change and action not in ALLOWED_BEFORE_PASSWORD_CHANGE:
        raise PasswordMustChange()


class Transaction:
    """One use case: permission check, the clinic's records, one audit entry, one commit.

    A use case that only reads (``reading=True``) reads in a transaction that waits for no
    writer (on SQLite, ``BEGIN DEFERRED`` rather than ``IMMEDIATE``: readers no longer queue
    behind one another), and ``done`` then appends its audit entry in a short write transaction
    of its own. What was read is given back only once that entry is committed, so every read
    that is shown is audited; a read whose entry cannot be written fails as a whole.
    """

    def __init__(
        self,
        uow: UnitOfWork,
        actor: Actor,
        action: str,
        clock: Clock = utc_now,
        *,
        reading: bool = False,
    ) -> None:
        self.uow = uow
        self.actor = actor
        self.action = action
        self.reading = reading
        self.now: datetime = clock()
        if self.now.tzinfo is None:
            raise InternalError("the clock must give aware datetimes")
        self._today: date | None = None
        self._audit: tuple[int | None, str | None, int | None] | None = None
        self._work = UnitOfWork(uow.database, uow.photos, read_only=True) if reading else uow

    def __enter__(self) -> Transaction:
        self._work.__enter__()
        try:
            # The transaction begins here (on SQLite, waiting for the writer before it): a
            # database still busy after the wait is a Conflict, like a lost race.
            with translate_conflicts():
                authorize(self._work, self.actor, self.action)
        except BaseException:
            self._work.__exit__(None, None, None)
            raise
        self.records: ClinicRecords = self._work.records(self.actor.clinic_id)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._work.__exit__(kind, error, traceback)
        if kind is None and self._audit is not None:
            patient_id, entity_type, entity_id = self._audit
            log.info(
                "done action=%s clinic=%s actor=%s patient=%s entity=%s:%s",
                self.action,
                self.actor.clinic_id,
                self.actor.staff_user_id,
                patient_id,
                entity_type,
                entity_id,
            )

    @property
    def today(self) -> date:
        """The date on the clinic's wall clock."""
        if self._today is None:
            self._today = local_date(self.now, self.records.clinic().time_zone)
        return self._today

    def flush(self, conflict: str = DEFAULT_CONFLICT) -> None:
        self._work.flush(conflict)

    def done(
        self,
        *,
        patient_id: int | None = None,
        entity: tuple[str, int] | None = None,
        details: Mapping[str, Any] | None = None,
        conflict: str = DEFAULT_CONFLICT,
    ) -> None:
        """Append the audit entry and commit. ``details`` must not identify the patient."""
        if self._audit is not None:
            raise InternalError("a use case appends exactly one audit entry")
        entity_type, entity_id = entity if entity is not None else (None, None)
        if self.reading:
            # The reading is over: end its transaction (what was loaded stays loaded), then
            # append the entry in a write transaction of its own.
            self._work.commit(conflict)
            with self.uow:
                self._append(self.uow, patient_id, entity_type, entity_id, details, conflict)
        else:
            self.uow.flush(conflict)
            self._append(self.uow, patient_id, entity_type, entity_id, details, conflict)
        self._audit = (patient_id, entity_type, entity_id)

    def _append(
        self,
        uow: UnitOfWork,
        patient_id: int | None,
        entity_type: str | None,
        entity_id: int | None,
        details: Mapping[str, Any] | None,
        conflict: str,
    ) -> None:
        with translate_conflicts(conflict):
            uow.audit.append(
                at=self.now,
                clinic_id=self.actor.clinic_id,
                actor_id=self.actor.staff_user_id,
                actor_role=str(self.actor.role),
                action=self.action,
                patient_id=patient_id,
                entity_type=entity_type,
                entity_id=entity_id,
                details=details,
            )
        uow.commit(conflict)
