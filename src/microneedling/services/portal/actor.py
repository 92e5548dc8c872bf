"""The patient as the actor of a use case, and the transaction a portal use case runs in.

Every portal use case is written as::

    with PatientTransaction(uow, actor, "portal.intake_submit", clock) as tx:
        patient = tx.patient()          # this patient's own record, nothing else
        ... tx.records (this clinic's repositories), tx.session, tx.now, tx.today ...
        tx.done(entity=("portal_intake", row.id), details={...})

:class:`PatientTransaction` checks the action against :data:`PATIENT_ACTIONS` (a list of its own:
no staff action is ever open to a patient, and no portal action to staff, since the staff
:data:`~microneedling.services.access.PERMISSIONS` do not name them) and the portal account
against the database (open, same clinic, same patient); ``done`` appends the one audit entry with
``actor_role`` ``patient`` and ``actor_id`` the portal account's id, about the patient
(``patient_id``), and commits. Leaving the block without ``done`` rolls everything back.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from types import TracebackType
from typing import Any

from sqlalchemy.orm import Session

from microneedling.errors import InternalError, PermissionDenied
from microneedling.services.clock import Clock, local_date, utc_now
from microneedling.store import UnitOfWork
from microneedling.store.models import Patient
from microneedling.store.portal_models import PortalAccount
from microneedling.store.repositories import ClinicRecords
from microneedling.store.unit_of_work import DEFAULT_CONFLICT, translate_conflicts

log = logging.getLogger("microneedling.services")

#: The audit entries' ``actor_role`` for what a patient did in the portal.
PATIENT_ROLE = "patient"

#: What a patient may do in the portal (each also an audit entry's ``action``), in their words.
#: Another part of the portal adds its own actions here with :func:`register_actions`.
PATIENT_ACTIONS: dict[str, str] = {
    "portal.sign_in": "sign in",
    "portal.sign_out": "sign out",
    "portal.home": "see your home page",
    "portal.intake_read": "see your questionnaire",
    "portal.intake_save": "save your questionnaire",
    "portal.intake_submit": "send your questionnaire",
}


def register_actions(actions: Mapping[str, str]) -> None:
    """Add portal actions (``portal.*`` codes with their words); a staff action is refused."""
    for action, wording in actions.items():
        if not action.startswith("portal."):
            raise InternalError(f"a patient's action is a portal.* code, not {action!r}")
        PATIENT_ACTIONS[action] = wording


@dataclass(frozen=True)
class PatientActor:
    """The signed-in patient a portal use case acts for."""

    account_id: int
    patient_id: int
    clinic_id: int

    @property
    def role(self) -> str:
        return PATIENT_ROLE


class PatientRefused(PermissionDenied):
    """The portal account is closed, or is not this patient's in this clinic."""

    def __init__(self) -> None:
        super().__init__("this sign-in is no longer valid; please sign in again")


def authorize_patient(session: Session, actor: PatientActor, action: str) -> PortalAccount:
    """Refuse unless ``action`` is a patient's and the account is open as claimed."""
    if action not in PATIENT_ACTIONS:
        raise InternalError(f"no portal action {action!r}")
    account = session.get(PortalAccount, actor.account_id)
    if (
        account is None
        or account.closed_at is not None
        or account.clinic_id != actor.clinic_id
        or account.patient_id != actor.patient_id
    ):
        log.info("denied action=%s clinic=%s portal_account=%s", action, actor.clinic_id,
                 actor.account_id)  # fmt: skip
        raise PatientRefused()
    return account


class PatientTransaction:
    """One portal use case: the account's check, this patient's records, one audit entry, one
    commit (see the module docstring)."""

    def __init__(
        self, uow: UnitOfWork, actor: PatientActor, action: str, clock: Clock = utc_now
    ) -> None:
        self.uow = uow
        self.actor = actor
        self.action = action
        self.now: datetime = clock()
        if self.now.tzinfo is None:
            raise InternalError("the clock must give aware datetimes")
        self._today: date | None = None
        self._audited = False

    def __enter__(self) -> PatientTransaction:
        self.uow.__enter__()
        try:
            with translate_conflicts():
                self.account = authorize_patient(self.uow.session, self.actor, self.action)
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
        if kind is None and self._audited:
            log.info("done action=%s clinic=%s portal_account=%s", self.action,
                     self.actor.clinic_id, self.actor.account_id)  # fmt: skip

    @property
    def session(self) -> Session:
        return self.uow.session

    def patient(self) -> Patient:
        """The signed-in patient's own record (the only patient a portal use case reads)."""
        patient = self.session.get(Patient, self.actor.patient_id)
        if patient is None or patient.clinic_id != self.actor.clinic_id:
            raise PatientRefused()
        return patient

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
        entity: tuple[str, int] | None = None,
        details: Mapping[str, Any] | None = None,
        conflict: str = DEFAULT_CONFLICT,
    ) -> None:
        """Append the audit entry (the patient as actor, about themselves) and commit.
        ``details`` must not identify the patient."""
        if self._audited:
            raise InternalError("a use case appends exactly one audit entry")
        entity_type, entity_id = entity if entity is not None else (None, None)
        self.uow.flush(conflict)
        with translate_conflicts(conflict):
            self.uow.audit.append(
                at=self.now,
                clinic_id=self.actor.clinic_id,
                actor_id=self.actor.account_id,
                actor_role=PATIENT_ROLE,
                action=self.action,
                patient_id=self.actor.patient_id,
                entity_type=entity_type,
                entity_id=entity_id,
                details=details,
            )
        self.uow.commit(conflict)
        self._audited = True
