"""Who may do what in billing, and the transaction its use cases run in.

Billing's actions are a role matrix of their own (:data:`BILLING_PERMISSIONS`): the front desk
sells, takes payments, issues gift cards and redeems sessions; only owners refund, change the
billing settings and see every invoice of the clinic. :class:`BillingTransaction` is the project's
:class:`~microneedling.services.access.Transaction` (one audit entry, one commit) with this matrix
checked instead of the general one.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from microneedling.errors import PermissionDenied
from microneedling.services.access import (
    _ROLE_PEOPLE,
    ALLOWED_BEFORE_PASSWORD_CHANGE,
    ROLE_WORDS,
    Actor,
    PasswordMustChange,
    Role,
    Transaction,
    log,
)
from microneedling.store import UnitOfWork
from microneedling.store.unit_of_work import translate_conflicts

_OWNER = frozenset({Role.OWNER})
_ALL = frozenset(Role)

#: Billing's role matrix: each action (also the audit entry's ``action``) and the roles allowed.
BILLING_PERMISSIONS: Mapping[str, frozenset[Role]] = {
    "billing.configure": _OWNER,
    "billing.read_settings": _ALL,
    "billing.read": _ALL,
    "billing.sell": _ALL,
    "billing.pay": _ALL,
    "billing.redeem": _ALL,
    "billing.gift_card": _ALL,
    "billing.refund": _OWNER,
    "billing.transfer": _OWNER,
    "billing.read_books": _OWNER,
}

#: What each action is, in staff's words, after "cannot".
BILLING_ACTION_WORDS: Mapping[str, str] = {
    "billing.configure": "change the clinic's billing settings",
    "billing.read_settings": "see the clinic's billing settings",
    "billing.read": "see packages and invoices",
    "billing.sell": "sell packages",
    "billing.pay": "record payments",
    "billing.redeem": "redeem sessions of packages",
    "billing.gift_card": "issue gift cards",
    "billing.refund": "refund payments",
    "billing.transfer": "move packages between patients",
    "billing.read_books": "see the clinic's invoices",
}
assert set(BILLING_ACTION_WORDS) == set(BILLING_PERMISSIONS)


class BillingRoleRefused(PermissionDenied):
    def __init__(self, role: Role, action: str) -> None:
        allowed_to = sorted(BILLING_PERMISSIONS[action], key=list(Role).index, reverse=True)
        people = " and ".join(_ROLE_PEOPLE[who] for who in allowed_to)
        super().__init__(
            f"Your role ({ROLE_WORDS[role]}) cannot {BILLING_ACTION_WORDS[action]}; "
            f"that is for {people}"
        )
        self.role = role
        self.action = action


def billing_allowed(role: Role, action: str) -> bool:
    """Whether ``role`` may do billing ``action`` (for showing or hiding things in a UI)."""
    return role in BILLING_PERMISSIONS[action]


def authorize_billing(uow: UnitOfWork, actor: Actor, action: str) -> None:
    """Refuse unless the billing matrix allows ``action`` and the account is active as claimed
    (the same account checks as :func:`microneedling.services.access.authorize`)."""
    if actor.role not in BILLING_PERMISSIONS[action]:
        log.info(
            "denied action=%s clinic=%s actor=%s role=%s",
            action,
            actor.clinic_id,
            actor.staff_user_id,
            actor.role,
        )
        raise BillingRoleRefused(actor.role, action)
    user = uow.staff.standing(actor.staff_user_id)
    if (
        user is None
        or not user.active
        or user.clinic_id != actor.clinic_id
        or user.role != actor.role
    ):
        raise PermissionDenied("this account is not active in this clinic; sign in again")
    if user.password_must_change and action not in ALLOWED_BEFORE_PASSWORD_CHANGE:
        raise PasswordMustChange()


class BillingTransaction(Transaction):
    """A billing use case: :class:`Transaction` with the billing role matrix."""

    def __enter__(self) -> BillingTransaction:
        if self.action not in BILLING_PERMISSIONS:
            raise KeyError(self.action)
        self._work.__enter__()
        try:
            with translate_conflicts():
                authorize_billing(self._work, self.actor, self.action)
        except BaseException:
            self._work.__exit__(None, None, None)
            raise
        self.records = self._work.records(self.actor.clinic_id)
        return self


def session_of(tx: Transaction) -> Session:
    """The database session a transaction reads and writes with (a reading transaction's own)."""
    return tx._work.session


#: Billing's actions as the audit log says them: (name for lists and filters, sentence with
#: ``{who}`` and ``{patient}``), for ``services/audit_wording.py``'s one table.
BILLING_WORDING: Mapping[str, tuple[str, str]] = {
    "billing.configure": ("Changed the billing settings", "{who} changed the billing settings"),
    "billing.read_settings": (
        "Looked at the billing settings",
        "{who} looked at the billing settings",
    ),
    "billing.read": (
        "Looked at packages and invoices",
        "{who} looked at packages and invoices of {patient}",
    ),
    "billing.read_books": ("Looked at the clinic's invoices", "{who} looked at the invoices"),
    "billing.sell": ("Sold a package", "{who} sold a package to {patient}"),
    "billing.pay": ("Recorded a payment", "{who} recorded a payment of {patient}"),
    "billing.redeem": (
        "Redeemed a session of a package",
        "{who} redeemed a session of {patient}'s package",
    ),
    "billing.gift_card": ("Issued a gift card", "{who} issued a gift card"),
    "billing.refund": ("Refunded a payment", "{who} refunded {patient} (a credit note)"),
    "billing.transfer": (
        "Moved a package to another patient",
        "{who} moved a package to {patient}",
    ),
}
assert set(BILLING_WORDING) == set(BILLING_PERMISSIONS)
