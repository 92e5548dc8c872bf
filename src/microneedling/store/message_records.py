"""The messaging queries: one clinic's outbox and preferences (:class:`MessageRecords`, like
:class:`~.repositories.ClinicRecords`).

The worker's queries across clinics (claiming due messages) live with the worker in
``services/messages``; they use the indexes of :mod:`.message_models`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from microneedling.store.message_models import MessagePreference, OutboxMessage


class MessageRecords:
    """One clinic's messages and messaging preferences."""

    def __init__(self, session: Session, clinic_id: int) -> None:
        self._session = session
        self.clinic_id = clinic_id

    def add(self, row: OutboxMessage | MessagePreference) -> None:
        row.clinic_id = self.clinic_id
        self._session.add(row)

    def preference(self, patient_id: int) -> MessagePreference | None:
        """The patient's newest recorded choice, or None (the defaults apply)."""
        return self._session.execute(
            select(MessagePreference)
            .where(
                MessagePreference.clinic_id == self.clinic_id,
                MessagePreference.patient_id == patient_id,
            )
            .order_by(MessagePreference.id.desc())
            .limit(1)
        ).scalar_one_or_none()

    def preference_history(self, patient_id: int) -> list[MessagePreference]:
        return list(
            self._session.execute(
                select(MessagePreference)
                .where(
                    MessagePreference.clinic_id == self.clinic_id,
                    MessagePreference.patient_id == patient_id,
                )
                .order_by(MessagePreference.id)
            ).scalars()
        )

    def queued_for_appointments(self, appointment_ids: Iterable[int]) -> list[OutboxMessage]:
        """The messages of these appointments still waiting to go (locked for update)."""
        ids = list(appointment_ids)
        if not ids:
            return []
        return list(
            self._session.execute(
                select(OutboxMessage)
                .where(
                    OutboxMessage.clinic_id == self.clinic_id,
                    OutboxMessage.appointment_id.in_(ids),
                    OutboxMessage.status == "queued",
                )
                .order_by(OutboxMessage.id)
                .with_for_update()
            ).scalars()
        )

    def withdraw(self, rows: Sequence[OutboxMessage], now: datetime, why: str) -> None:
        for row in rows:
            row.status, row.status_changed_at, row.last_error = "withdrawn", now, why

    def withdraw_queued_of_patient(
        self,
        patient_id: int,
        now: datetime,
        why: str,
        *,
        categories: Sequence[str] | None = None,
        channel: str | None = None,
    ) -> int:
        """Withdraw the patient's queued messages of these categories, by this channel (an
        opt-out); how many."""
        conditions = [
            OutboxMessage.clinic_id == self.clinic_id,
            OutboxMessage.patient_id == patient_id,
            OutboxMessage.status == "queued",
        ]
        if categories is not None:
            conditions.append(OutboxMessage.category.in_(list(categories)))
        if channel is not None:
            conditions.append(OutboxMessage.channel == channel)
        result = self._session.execute(
            update(OutboxMessage)
            .where(*conditions)
            .values(status="withdrawn", status_changed_at=now, last_error=why)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def of_patient(self, patient_id: int, limit: int = 500) -> list[OutboxMessage]:
        return list(
            self._session.execute(
                select(OutboxMessage)
                .where(
                    OutboxMessage.clinic_id == self.clinic_id,
                    OutboxMessage.patient_id == patient_id,
                )
                .order_by(OutboxMessage.send_after, OutboxMessage.id)
                .limit(limit)
            ).scalars()
        )

    def listed(
        self,
        *,
        status: str | None = None,
        patient_id: int | None = None,
        limit: int = 200,
        offset: int = 0,
    ) -> list[OutboxMessage]:
        query = select(OutboxMessage).where(OutboxMessage.clinic_id == self.clinic_id)
        if status is not None:
            query = query.where(OutboxMessage.status == status)
        if patient_id is not None:
            query = query.where(OutboxMessage.patient_id == patient_id)
        query = query.order_by(OutboxMessage.id.desc()).limit(limit).offset(offset)
        return list(self._session.execute(query).scalars())
