"""The card-provider interface: how a clinic's payment provider (its terminal's or an online
one's) would take a card payment before it is recorded. No vendor code: an adapter for a
provider implements :class:`PaymentProvider`; the tests use a local fake, never the network.

``record_payment(…, method="card", provider=adapter)`` calls ``adapter.charge`` after every
check passed and before the payment row is written, inside the transaction: a charge the
provider declines (:class:`ChargeDeclined`) records nothing and says why, beside the amount; the
provider's reference is kept as the payment's reference. A charge that succeeds but whose
payment row then fails to commit would need refunding at the provider: an adapter should make
``charge`` idempotent on ``reference`` (the invoice's number and the amount), as providers'
idempotency keys allow.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol


class ChargeDeclined(Exception):
    """The provider refused the charge; ``reason`` is its words for staff."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PaymentProvider(Protocol):
    """A card provider: take ``amount`` in ``currency``; return the provider's reference."""

    def charge(self, amount: Decimal, currency: str, reference: str) -> str: ...
