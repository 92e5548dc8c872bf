"""Bearer tokens checked a moment ago, so that a burst of requests reads the database once.

Checking a token is one indexed read, but it comes before every API request, and under load it
was a third of the time of a stateless computation (``POST /screen``). A token found good is
remembered, per database, for ``recheck`` (``Settings.token_recheck_seconds``, 5 s by default)
and never beyond its expiry; within that time the same token is answered from memory.

What this changes, and what it does not:

- Signing out and closing an account **in this process** (the API, the web pages and the CLI's
  own process) forget the token or the account's tokens at once: they stop working at the next
  request, as before.
- Done by **another process** (a second server worker, the CLI against the same database), it
  takes effect within ``recheck``.
- Every use case that touches the clinic's records still reads the account in its own
  transaction (:func:`~microneedling.services.access.authorize`): a closed account reads and
  changes nothing, from any process, at once. What a closed account could still do for those few
  seconds is a stateless computation (screening, planning, a product check, a score), which
  reads and stores nothing.

Only tokens found good are kept (an unknown token is never remembered, so random tokens cannot
fill it), at most :data:`MAX_ENTRIES` (the oldest go first). ``recheck`` of zero turns it off.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from microneedling.services.access import Actor

__all__ = ["MAX_ENTRIES", "TOKENS", "TokenCache"]

#: Tokens remembered at once (each a few hundred bytes); beyond it the oldest are forgotten.
MAX_ENTRIES = 10_000
#: The longest a check may stand, whatever the setting says.
_LONGEST = timedelta(minutes=1)


@dataclass(frozen=True)
class _Checked:
    actor: Actor
    expires_at: datetime
    #: Until when the check stands (its time + recheck, at most the expiry).
    until: datetime


class TokenCache:
    """Good tokens by (database, SHA-256 of the token), each until its recheck time."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: dict[tuple[str, str], _Checked] = {}
        self._max_entries = max_entries
        self._lock = threading.Lock()

    def get(self, database: str, token_sha256: str, now: datetime) -> Actor | None:
        """The actor for a token checked less than ``recheck`` ago and not expired, else None."""
        checked = self._entries.get((database, token_sha256))
        if checked is None or now >= checked.until or now < checked.until - _LONGEST:
            return None
        return checked.actor

    def put(
        self,
        database: str,
        token_sha256: str,
        actor: Actor,
        *,
        expires_at: datetime,
        now: datetime,
        recheck: timedelta,
    ) -> None:
        """Remember a token just found good in ``database`` (nothing when ``recheck`` is 0)."""
        if recheck <= timedelta(0):
            return
        until = min(now + min(recheck, _LONGEST), expires_at)
        with self._lock:
            self._entries[(database, token_sha256)] = _Checked(actor, expires_at, until)
            while len(self._entries) > self._max_entries:
                del self._entries[next(iter(self._entries))]

    def forget(self, database: str, token_sha256: str) -> None:
        """Forget one token (it was signed out)."""
        with self._lock:
            self._entries.pop((database, token_sha256), None)

    def forget_account(self, database: str, staff_user_id: int) -> None:
        """Forget every token of one account (it was closed, or its role changed)."""
        with self._lock:
            for key in [
                key
                for key, checked in self._entries.items()
                if key[0] == database and checked.actor.staff_user_id == staff_user_id
            ]:
                del self._entries[key]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


#: The process's cache (the API's token check, sign-out and closing an account use it).
TOKENS = TokenCache()
