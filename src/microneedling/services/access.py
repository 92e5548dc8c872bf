"""Who may do what: the one role matrix, and the transaction every use case runs in.

Every use case is written as::

    with Transaction(uow, actor, "chart.create", clock) as tx:
        ... tx.records (this clinic's repositories), tx.now, tx.today ...
        tx.done(patient_id=..., entity=("session_chart", chart.id), details={...})

:class:`Transaction` checks the action against :data:`PERMISSIONS` and the acting account against
the database (active, same clinic, same role), and ``done`` appends the one audit entry and commits.
Leaving the block without ``done`` rolls everything back. Only ids go into log lines.
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

_ALL = frozenset(Role)
_CLINICAL = frozenset({Role.OWNER, Role.CLINICIAN})

#: The role matrix: each action (also the audit entry's ``action``) and the roles allowed it.
PERMISSIONS: Mapping[str, frozenset[Role]] = {
    "clinic.configure": frozenset({Role.OWNER}),
    "staff.add": frozenset({Role.OWNER}),
    "patient.register": _ALL,
    "patient.search": _ALL,
    "patient.read_record": _CLINICAL,
    "intake.record": _ALL,
    "intake.acknowledge_caution": frozenset({Role.CLINICIAN}),
    "plan.create": frozenset({Role.CLINICIAN}),
    "plan.update_status": _ALL,
    "consent.sign": _ALL,
    "consent.withdraw": _ALL,
    "appointment.book": _ALL,
    "appointment.update_status": _ALL,
    "chart.create": frozenset({Role.CLINICIAN}),
    "chart.amend": frozenset({Role.CLINICIAN}),
    "chart.read": _CLINICAL,
    "adverse_event.record": _CLINICAL,
    "adverse_event.resolve": _CLINICAL,
    "outcome.record": frozenset({Role.CLINICIAN}),
    "photo.add": _CLINICAL,
    "photo.read": _CLINICAL,
    "photo.select_for_marketing": _CLINICAL,
    "photo.list_marketing": _CLINICAL,
    "inventory.register_device": _CLINICAL,
    "inventory.receive_lot": _CLINICAL,
    "lot.recall": _CLINICAL,
    "audit.read": frozenset({Role.OWNER}),
}

_ROLE_NAMES = {Role.OWNER: "an owner", Role.CLINICIAN: "a clinician", Role.FRONT_DESK: "front desk"}


@dataclass(frozen=True)
class Actor:
    """The staff member a use case acts for."""

    staff_user_id: int
    clinic_id: int
    role: Role


def allowed(role: Role, action: str) -> bool:
    """Whether ``role`` may do ``action`` (for showing or hiding things in a UI)."""
    return role in _roles(action)


def _roles(action: str) -> frozenset[Role]:
    try:
        return PERMISSIONS[action]
    except KeyError:
        raise InternalError(f"no permission rule for action {action!r}") from None


def authorize(uow: UnitOfWork, actor: Actor, action: str) -> None:
    """Refuse unless ``actor``'s role allows ``action`` and the account is active as claimed."""
    roles = _roles(action)
    if actor.role not in roles:
        who = " or ".join(sorted(_ROLE_NAMES[role] for role in roles))
        log.info(
            "denied action=%s clinic=%s actor=%s role=%s",
            action,
            actor.clinic_id,
            actor.staff_user_id,
            actor.role,
        )
        raise PermissionDenied(
            f"{_ROLE_NAMES[actor.role]} may not do {action!r}; it needs {who}", field="role"
        )
    user = uow.staff.get(actor.staff_user_id)
    if (
        user is None
        or not user.active
        or user.clinic_id != actor.clinic_id
        or user.role != actor.role
    ):
        raise PermissionDenied("this account is not active in this clinic; sign in again")


class Transaction:
    """One use case: permission check, the clinic's records, one audit entry, one commit."""

    def __init__(self, uow: UnitOfWork, actor: Actor, action: str, clock: Clock = utc_now) -> None:
        self.uow = uow
        self.actor = actor
        self.action = action
        self.now: datetime = clock()
        if self.now.tzinfo is None:
            raise InternalError("the clock must give aware datetimes")
        self._today: date | None = None
        self._audit: tuple[int | None, str | None, int | None] | None = None

    def __enter__(self) -> Transaction:
        self.uow.__enter__()
        try:
            authorize(self.uow, self.actor, self.action)
        except BaseException:
            self.uow.__exit__(None, None, None)
            raise
        self.records: ClinicRecords = self.uow.records(self.actor.clinic_id)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.uow.__exit__(kind, error, traceback)
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
        self.uow.flush(conflict)

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
        self.uow.flush(conflict)
        entity_type, entity_id = entity if entity is not None else (None, None)
        with translate_conflicts(conflict):
            self.uow.audit.append(
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
        self.uow.commit(conflict)
        self._audit = (patient_id, entity_type, entity_id)
