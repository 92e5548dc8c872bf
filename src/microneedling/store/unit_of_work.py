"""The unit of work: one transaction, its repositories, and the audit log.

::

    with uow:
        records = uow.records(actor.clinic_id)
        ...
        uow.audit.append(...)
        uow.commit()

Leaving the block without :meth:`UnitOfWork.commit` rolls everything back. A commit or flush that
collides with another transaction (a unique key taken, a deadlock, SQLite busy for too long)
raises :class:`~microneedling.errors.Conflict`; nothing of the transaction is kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from microneedling.errors import Conflict
from microneedling.store.audit import AuditLog
from microneedling.store.database import Database
from microneedling.store.files import PhotoFiles
from microneedling.store.repositories import (
    AccessTokens,
    ClinicRecords,
    Clinics,
    SignInFailures,
    StaffAccounts,
)

#: Said when the database refuses a change because another one got there first.
DEFAULT_CONFLICT = "someone else changed this record at the same time; reload it and try again"


@contextmanager
def translate_conflicts(message: str = DEFAULT_CONFLICT) -> Iterator[None]:
    """Turn the database's "you lost a race" errors into :class:`Conflict`."""
    try:
        yield
    except IntegrityError:
        raise Conflict(message) from None
    except OperationalError as error:
        text = str(error.orig).lower()
        if any(sign in text for sign in ("database is locked", "deadlock", "could not serialize")):
            raise Conflict("the database is busy; try again in a moment") from None
        raise


class UnitOfWork:
    """One transaction against ``database``; reusable, one ``with`` block at a time.

    ``read_only`` units do not wait for writers (on SQLite they begin ``DEFERRED`` instead of
    ``IMMEDIATE``); they are for reads that write nothing, not even an audit entry (checking a
    sign-in token).
    """

    def __init__(
        self, database: Database, photos: PhotoFiles | None = None, *, read_only: bool = False
    ) -> None:
        self.database = database
        self.photos = photos
        self.read_only = read_only
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("use the unit of work inside `with uow:`")
        return self._session

    def __enter__(self) -> UnitOfWork:
        if self._session is not None:
            raise RuntimeError("this unit of work is already in a transaction")
        self._session = (
            self.database.read_sessions if self.read_only else self.database.sessions
        )()
        self.clinics = Clinics(self._session)
        self.staff = StaffAccounts(self._session)
        self.audit = AuditLog(self._session, self.database.audit_keys)
        self.tokens = AccessTokens(self._session)
        self.sign_in_failures = SignInFailures(self._session)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        if session is not None:
            try:
                session.rollback()
            finally:
                session.close()

    def records(self, clinic_id: int) -> ClinicRecords:
        """The repositories of one clinic, inside this transaction."""
        return ClinicRecords(self.session, clinic_id)

    def flush(self, conflict: str = DEFAULT_CONFLICT) -> None:
        with translate_conflicts(conflict):
            self.session.flush()

    def commit(self, conflict: str = DEFAULT_CONFLICT) -> None:
        with translate_conflicts(conflict):
            self.session.commit()
