"""The link in a staff invitation, read from the outbox as the mail worker would send it."""

from __future__ import annotations

import re

from sqlalchemy import select

from microneedling.store import Database
from microneedling.store.message_models import OutboxMessage


def invitation_link(database: Database, address: str) -> str:
    """The ``/join/…`` path in the newest message queued to ``address``."""
    with database.engine.connect() as connection:
        text = connection.execute(
            select(OutboxMessage.body_text)
            .where(OutboxMessage.recipient == address)
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        ).scalar_one()
    found = re.search(r"/join/[A-Za-z0-9_-]+", text or "")
    assert found is not None, text
    return found.group(0)
