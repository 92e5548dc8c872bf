"""Who may do what in billing, and the transaction its use cases run in.

Billing's actions (``billing.*``) are rows of the project's one role matrix
(:data:`microneedling.services.access.PERMISSIONS`) with their words in
:data:`~microneedling.services.access.ACTION_WORDS` and their audit wording in
``services/audit_wording.WORDING``: the front desk sells, takes payments, issues gift cards and
redeems sessions; only owners refund, change the billing settings, move packages and see every
invoice of the clinic. :class:`BillingTransaction` is the project's
:class:`~microneedling.services.access.Transaction` (one audit entry, one commit), kept under
this name for billing's use cases.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from microneedling.services.access import PERMISSIONS, Role, RoleRefused, Transaction

#: Billing's rows of the role matrix.
BILLING_PERMISSIONS: Mapping[str, frozenset[Role]] = {
    action: roles for action, roles in PERMISSIONS.items() if action.startswith("billing.")
}

#: A billing action refused to a role (the role matrix's own refusal).
BillingRoleRefused = RoleRefused


def billing_allowed(role: Role, action: str) -> bool:
    """Whether ``role`` may do billing ``action`` (for showing or hiding things in a UI)."""
    return role in BILLING_PERMISSIONS[action]


class BillingTransaction(Transaction):
    """A billing use case: :class:`Transaction`, refusing an action that is not billing's."""

    def __enter__(self) -> BillingTransaction:
        if self.action not in BILLING_PERMISSIONS:
            raise KeyError(self.action)
        super().__enter__()
        return self


def session_of(tx: Transaction) -> Session:
    """The database session a transaction reads and writes with (a reading transaction's own)."""
    return tx._work.session
