"""The audit key: authenticating audit entries with a key the database never holds.

The secret configured in ``MICRONEEDLING_AUDIT_KEY`` is never used as it is: an HMAC key is
derived from it (HMAC-SHA256 of a fixed label under the secret), and so is its id, 16 hex
characters stored beside each entry's HMAC. The id says which key to check an entry with, and
reveals nothing of the key. Entries written under an earlier key verify as long as that key is
listed in ``MICRONEEDLING_AUDIT_KEYS_RETIRED`` (docs/audit.md: key handling and rotation).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field

from microneedling.config import Settings, retired_audit_keys

_KEY_LABEL = b"microneedling audit entries v1"
_ID_LABEL = b"microneedling audit key id v1"


@dataclass(frozen=True)
class AuditKey:
    """One key: its id, and the HMAC key derived from the secret (never shown)."""

    key_id: str
    mac_key: bytes = field(repr=False)

    @classmethod
    def from_secret(cls, secret: str) -> AuditKey:
        raw = secret.encode()
        return cls(
            key_id=hmac.new(raw, _ID_LABEL, hashlib.sha256).hexdigest()[:16],
            mac_key=hmac.new(raw, _KEY_LABEL, hashlib.sha256).digest(),
        )

    def mac(self, message: bytes) -> str:
        return hmac.new(self.mac_key, message, hashlib.sha256).hexdigest()


class AuditKeys:
    """The key new entries are authenticated with (None: none configured) and the retired ones
    older entries are checked with."""

    def __init__(self, current: AuditKey | None, retired: Iterable[AuditKey] = ()) -> None:
        self.current = current
        self._by_id = {key.key_id: key for key in retired}
        if current is not None:
            self._by_id[current.key_id] = current

    @classmethod
    def from_secrets(cls, current: str | None, retired: Iterable[str] = ()) -> AuditKeys:
        return cls(
            AuditKey.from_secret(current) if current else None,
            [AuditKey.from_secret(secret) for secret in retired],
        )

    @property
    def configured(self) -> bool:
        """Whether new entries are authenticated."""
        return self.current is not None

    @property
    def any(self) -> bool:
        """Whether any key (current or retired) can check entries."""
        return bool(self._by_id)

    def sign(self, message: bytes) -> tuple[str | None, str | None]:
        """(key id, HMAC) of ``message`` under the current key; (None, None) without one."""
        if self.current is None:
            return None, None
        return self.current.key_id, self.current.mac(message)

    def check(self, key_id: str, message: bytes, mac: str) -> bool | None:
        """Whether ``mac`` authenticates ``message`` under key ``key_id``; None when that key
        is not known here (neither the current key nor a retired one)."""
        key = self._by_id.get(key_id)
        if key is None:
            return None
        return hmac.compare_digest(key.mac(message), mac)


#: No key at all: entries are hash-chained, not authenticated (a demo, a developer's machine).
NO_KEYS = AuditKeys(None)


def keys_from_settings(config: Settings) -> AuditKeys:
    """The keys of ``MICRONEEDLING_AUDIT_KEY`` and ``MICRONEEDLING_AUDIT_KEYS_RETIRED``."""
    current = config.audit_key.get_secret_value() if config.audit_key is not None else None
    return AuditKeys.from_secrets(current, retired_audit_keys(config.audit_keys_retired))
