"""What the SMS provider tells us: inbound texts (STOP, START, HELP) and delivery reports, each a
form POST signed the Twilio way.

The signature (``X-Twilio-Signature``) is base64 HMAC-SHA1, under the account's auth token, of
the full address the provider posted to followed by every form field's name and value, sorted by
name. A request without it, or with one that does not match, is refused before anything is read
or changed (:func:`signature_ok`).

- :func:`inbound_reply`: ``STOP`` and its synonyms stop every SMS to the patients with that number,
  ``START`` restarts them (:func:`.preferences.sms_keyword`); ``HELP`` (and ``INFO``) is answered
  with what these messages are and how to stop them; anything else changes nothing.
- :func:`delivery_report`: ``delivered`` is recorded on the message's outbox row;
  ``undelivered`` and ``failed`` make it failed (shown to staff), with the provider's error code.
  Other statuses (``queued``, ``sent``…) are recorded as the latest report only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import update

from microneedling.services.messages.preferences import sms_keyword
from microneedling.store import UnitOfWork
from microneedling.store.message_models import OutboxMessage

#: What the provider says, and what we take from it: longer or odder values are refused.
MAX_FIELDS = 60
MAX_VALUE_CHARS = 1_600
HELP_WORDS = frozenset({"HELP", "INFO"})
#: The reply to HELP (no clinic is named: a number may be a patient's of more than one clinic).
HELP_REPLY = (
    "These texts are appointment messages from your clinic. Reply STOP to stop them, START to "
    "get them again. For anything else, call the clinic."
)
DELIVERY_STATUSES = frozenset(
    {"accepted", "queued", "sending", "sent", "delivered", "undelivered", "failed", "read"}
)
_SID = re.compile(r"^[A-Za-z0-9]{2,64}$")
_ERROR_CODE = re.compile(r"^\d{1,10}$")


def twilio_signature(token: str, url: str, fields: Iterable[tuple[str, str]]) -> str:
    """The signature a Twilio-compatible provider sends for a form POST to ``url``."""
    payload = url + "".join(f"{name}{value}" for name, value in sorted(fields))
    digest = hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signature_ok(
    token: str | None, url: str, fields: list[tuple[str, str]], given: str | None
) -> bool:
    """Whether ``given`` is the provider's signature of this request (no token set: never)."""
    if not token or not given or len(given) > 200:
        return False
    expected = twilio_signature(token, url, fields)
    return hmac.compare_digest(expected.encode(), given.strip().encode())


def inbound_reply(uow: UnitOfWork, sender: str, body: str, *, now: datetime) -> str | None:
    """Act on an inbound SMS; the text to answer with (HELP), or None."""
    word = " ".join((body or "").strip().upper().split())[:20]
    if word in HELP_WORDS:
        return HELP_REPLY
    sms_keyword(uow, sender, body, now=now)
    return None


def delivery_report(
    uow: UnitOfWork, sid: str, status: str, error_code: str | None, *, now: datetime
) -> int:
    """Record a delivery report on the SMS it is about; how many rows it changed (0 or 1)."""
    status = status.strip().lower()
    if not _SID.match(sid or "") or status not in DELIVERY_STATUSES:
        return 0
    code = error_code.strip() if error_code else None
    if code is not None and not _ERROR_CODE.match(code):
        code = None
    values: dict[str, object] = {"delivery_status": status, "delivery_changed_at": now}
    if status in ("undelivered", "failed"):
        values.update(
            status="failed",
            status_changed_at=now,
            last_error=(
                f"the SMS provider could not deliver it ({status}"
                + (f", error {code})" if code else ")")
            ),
        )
    with uow:
        result = uow.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.provider_id == sid,
                OutboxMessage.channel == "sms",
                OutboxMessage.status.in_(["sent", "failed"]),
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        uow.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
