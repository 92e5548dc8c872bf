"""Changing your own password, and an owner resetting a staff member's.

- :func:`change_password`: the current password, then a new one the policy accepts
  (:func:`passwords.check_new_password`, with the person's own name, e-mail and clinic as the
  words guessed first). Every other session of the account ends, and every API token but the one
  the change came with: whoever else knew the old password is signed out everywhere at once.
- :func:`reset_password`: an owner gives a staff member of their clinic a one-time password,
  shown once to the owner and never stored (only its hash). The account's sessions and tokens
  end, and until its holder has chosen a password of their own, the account can do nothing else
  (``password_must_change``: :func:`access.authorize` refuses every other action).

Both are audited (never a password). A wrong current password counts as a failed sign-in of the
account's e-mail (the same lockout as signing in), so the form cannot be used to guess.
"""

from __future__ import annotations

import logging
import secrets

from microneedling.errors import NotFound, UserError
from microneedling.services import sign_in
from microneedling.services.access import Actor, Transaction
from microneedling.services.clock import Clock, utc_now
from microneedling.services.passwords import (
    MAX_PASSWORD_CHARS,
    check_new_password,
    hash_password,
)
from microneedling.services.web_sessions import end_sessions_of
from microneedling.store import UnitOfWork
from microneedling.store.models import StaffUser

log = logging.getLogger("microneedling.services")

#: Words of a one-time password (four lists' worth of entropy: 8 random groups of 4).
ONE_TIME_GROUPS = 4
ONE_TIME_GROUP_CHARS = 5
_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l: read aloud or copied by hand


def one_time_password() -> str:
    """A random password to be read once and typed once (about 100 bits)."""
    return "-".join(
        "".join(secrets.choice(_ALPHABET) for _ in range(ONE_TIME_GROUP_CHARS))
        for _ in range(ONE_TIME_GROUPS)
    )


def _own_words(user: StaffUser, uow: UnitOfWork) -> list[str]:
    clinic = uow.clinics.get(user.clinic_id)
    words = [user.display_name, user.email]
    if clinic is not None:
        words += [clinic.name, clinic.slug]
    return words


def change_password(
    uow: UnitOfWork,
    actor: Actor,
    current: str,
    new: str,
    *,
    client: str,
    keep_session: int | None = None,
    keep_token_sha256: str | None = None,
    policy: sign_in.SignInPolicy | None = None,
    clock: Clock = utc_now,
) -> int:
    """Change the signed-in staff member's own password; how many other sign-ins ended.

    Raises :class:`UserError` on ``current_password`` (wrong) or ``new_password`` (the policy's
    advice, or the same as the current one), :class:`sign_in.TooManySignIns` while the account's
    e-mail is locked out.
    """
    if not isinstance(current, str) or not current:
        raise UserError("Type your current password.", field="current_password")
    if len(current) > MAX_PASSWORD_CHARS:  # longer than any password this software takes
        raise UserError("This is not your current password.", field="current_password")
    if not isinstance(new, str) or not new:
        raise UserError("Type a new password.", field="new_password")
    with Transaction(uow, actor, "account.change_password", clock) as tx:
        user = uow.staff.get(actor.staff_user_id)
        if user is None:
            raise NotFound("this account no longer exists", field="account")
        email = user.email
        words = _own_words(user, uow)
        known = user.password_hash
    # The current password is checked under the sign-in lockout (outside the transaction above:
    # a wrong one is counted and audited in a transaction of its own).
    sign_in.check_password_of(
        uow,
        email,
        current,
        known,
        client=client,
        policy=policy or sign_in.SignInPolicy(),
        clock=clock,
    )
    if new == current:
        raise UserError(
            "The new password is the same as the current one: choose another.",
            field="new_password",
        )
    check_new_password(new, user_inputs=words, field="new_password")
    new_hash = hash_password(new)
    with Transaction(uow, actor, "account.change_password", clock) as tx:
        user = uow.staff.get(actor.staff_user_id)
        if user is None or user.password_hash != known:
            raise UserError(
                "The password was changed meanwhile: sign in again.", field="current_password"
            )
        user.password_hash = new_hash
        user.password_must_change = False
        ended = end_sessions_of(
            uow,
            user.id,
            "password",
            tx.now,
            keep_session=keep_session,
            tokens_too=True,
            keep_token_sha256=keep_token_sha256,
        )
        tx.done(entity=("staff_user", user.id), details={"other_sign_ins_ended": ended})
    log.info("password changed clinic=%s actor=%s", actor.clinic_id, actor.staff_user_id)
    return ended


def reset_password(
    uow: UnitOfWork, actor: Actor, staff_user_id: int, *, clock: Clock = utc_now
) -> str:
    """An owner resets a staff member's password: the one-time password (shown once, never
    stored), to be changed at the next sign-in. The member's sessions and tokens end."""
    password = one_time_password()
    password_hash = hash_password(password)
    with Transaction(uow, actor, "staff.reset_password", clock) as tx:
        user = uow.staff.get(staff_user_id) if 0 < staff_user_id <= 2**31 - 1 else None
        if user is None or user.clinic_id != actor.clinic_id:
            raise NotFound("there is no such staff member in this clinic", field="staff_user_id")
        if user.id == actor.staff_user_id:
            raise UserError(
                "To change your own password, use 'Your account' (you need your current one).",
                field="staff_user_id",
            )
        user.password_hash = password_hash
        user.password_must_change = True
        ended = end_sessions_of(uow, user.id, "password", tx.now, tokens_too=True)
        tx.done(entity=("staff_user", user.id), details={"sign_ins_ended": ended})
    log.info("password reset clinic=%s staff=%s", actor.clinic_id, staff_user_id)
    return password
