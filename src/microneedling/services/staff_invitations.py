"""Inviting staff by e-mail: an owner names the person and their role; the person sets their own
password through a link that works once, for :data:`INVITATION_DAYS` days.

Nothing an owner sees tells whether the address already has an account, in this clinic or
another: the answer is always "invitation sent", the audit entry is the same, and so is the
message's kind and subject. The message itself differs, and goes only to the address: a new
address gets the link; one that has an account gets "you already have an account" (and its
invitation has no link that could ever be used).

The link's secret is never stored: ``staff_invitation.token_hash`` is its SHA-256. The message
carrying it is written when the invitation is made (``queue_urgent``: it goes at once, past quiet
hours) and kept in the outbox as sent, like every message.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from microneedling.errors import UserError
from microneedling.services.access import Actor, Role, Transaction
from microneedling.services.clock import Clock, utc_now
from microneedling.services.inputs import Email, Input, Text, parse
from microneedling.services.messages.channels import message_settings
from microneedling.services.messages.outbox import queue_urgent
from microneedling.services.passwords import (
    MAX_NEW_PASSWORD_CHARS,
    check_new_password,
    hash_password,
)
from microneedling.services.staff_invitation_messages import (
    SUBJECT,
    account_exists_text,
    invitation_text,
)
from microneedling.services.views import staff_view
from microneedling.store import UnitOfWork
from microneedling.store.models import Clinic, StaffUser
from microneedling.store.staff_invitation_models import StaffInvitation
from microneedling.store.unit_of_work import translate_conflicts

log = logging.getLogger("microneedling.services")

#: How long an invitation's link works.
INVITATION_DAYS = 7
#: The link's path; the secret follows it.
JOIN_PATH = "/join/"
#: The one answer an owner gets, whatever the address.
INVITATION_SENT = "invitation sent"
#: The one answer to a link that cannot be used (unknown, used, expired, withdrawn).
LINK_UNUSABLE = (
    "this invitation link cannot be used: it has been used already, or it has expired. "
    "Ask the clinic's owner to invite you again"
)
#: The most invitations a page lists.
MAX_LISTED = 200
#: A link's secret is 43 URL-safe characters; anything much longer is not one.
MAX_TOKEN_CHARS = 100


class StaffInvitationIn(Input):
    email: Email
    display_name: Text
    role: Role


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def join_link(token: str) -> str:
    """The link in the message, at the address people reach the server by
    (``MICRONEEDLING_MESSAGES_PUBLIC_URL``; a path without it)."""
    base = (message_settings().messages_public_url or "").rstrip("/")
    return f"{base}{JOIN_PATH}{token}"


def invite_staff_member(
    uow: UnitOfWork,
    actor: Actor,
    invitation: StaffInvitationIn | dict[str, Any],
    *,
    clock: Clock = utc_now,
) -> dict[str, Any]:
    """An owner invites someone to their clinic's staff. The answer is the same whether the
    address is new or already has an account: ``{"status": "invitation sent", ...}``."""
    details = parse(StaffInvitationIn, invitation, what="invitation")
    token = secrets.token_urlsafe(32)
    with Transaction(uow, actor, "staff.invite", clock) as tx:
        clinic = tx.records.clinic()
        has_account = uow.staff.by_email(details.email) is not None
        row = StaffInvitation(
            clinic_id=actor.clinic_id,
            email=details.email,
            display_name=details.display_name,
            role=str(details.role),
            token_hash=None if has_account else token_hash(token),
            invited_by=actor.staff_user_id,
            created_at=tx.now,
            expires_at=tx.now + timedelta(days=INVITATION_DAYS),
        )
        session = uow.session
        session.add(row)
        tx.flush("this invitation could not be saved; try again")
        text = (
            account_exists_text(clinic.name, details.display_name)
            if has_account
            else invitation_text(
                clinic.name,
                details.display_name,
                details.role,
                join_link(token),
                INVITATION_DAYS,
            )
        )
        queue_urgent(
            session,
            actor.clinic_id,
            kind="staff_invitation",
            channel="email",
            recipient=details.email,
            subject=SUBJECT.format(clinic=clinic.name),
            text=text,
            now=tx.now,
        )
        tx.done(entity=("staff_invitation", row.id), details={"role": str(details.role)})
        answer = {
            "id": row.id,
            "status": INVITATION_SENT,
            "email": details.email,
            "display_name": details.display_name,
            "role": str(details.role),
            "expires_at": row.expires_at,
        }
    return answer


def _usable(uow: UnitOfWork, token: str, now: Any, *, lock: bool) -> StaffInvitation:
    if not isinstance(token, str) or not 20 <= len(token) <= MAX_TOKEN_CHARS:
        raise UserError(LINK_UNUSABLE, field="token")
    query = select(StaffInvitation).where(StaffInvitation.token_hash == token_hash(token))
    if lock:
        query = query.with_for_update()
    row = uow.session.execute(query).scalar_one_or_none()
    if row is None or row.accepted_at is not None or row.expires_at <= now:
        raise UserError(LINK_UNUSABLE, field="token")
    return row


def read_invitation(uow: UnitOfWork, token: str, *, clock: Clock = utc_now) -> dict[str, Any]:
    """What the link's page shows: the clinic, the person's name and address, the role."""
    now = clock()
    with uow:
        row = _usable(uow, token, now, lock=False)
        clinic = uow.session.get(Clinic, row.clinic_id)
        assert clinic is not None
        return {
            "clinic": clinic.name,
            "email": row.email,
            "display_name": row.display_name,
            "role": row.role,
            "expires_at": row.expires_at,
            "time_zone": clinic.time_zone,
        }


def accept_invitation(
    uow: UnitOfWork, token: str, password: str, *, clock: Clock = utc_now
) -> Actor:
    """The invited person sets their password: their account is made, the link is used up (one
    of two at once wins), and the entry is audited in their name."""
    if not isinstance(password, str) or len(password) > MAX_NEW_PASSWORD_CHARS:
        raise UserError(
            f"a password has at most {MAX_NEW_PASSWORD_CHARS} characters", field="password"
        )
    now = clock()
    with uow:
        row = _usable(uow, token, now, lock=True)
        clinic = uow.session.get(Clinic, row.clinic_id)
        assert clinic is not None
        check_new_password(
            password,
            user_inputs=(row.display_name, row.email, clinic.name, clinic.slug),
            field="password",
        )
        if uow.staff.by_email(row.email) is not None:
            raise UserError(LINK_UNUSABLE, field="token")
        user = StaffUser(
            clinic_id=row.clinic_id,
            email=row.email,
            display_name=row.display_name,
            role=row.role,
            password_hash=hash_password(password),
            active=True,
            created_at=now,
        )
        uow.staff.add(user)
        uow.flush(LINK_UNUSABLE)
        row.accepted_at = now
        row.staff_user_id = user.id
        uow.flush(LINK_UNUSABLE)
        with translate_conflicts():
            uow.audit.append(
                at=now,
                clinic_id=row.clinic_id,
                actor_id=user.id,
                actor_role=row.role,
                action="staff.join",
                entity_type="staff_user",
                entity_id=user.id,
                details={"invitation": row.id, "role": row.role},
            )
        uow.commit(LINK_UNUSABLE)
        actor = Actor(user.id, row.clinic_id, Role(row.role))
    log.info("done action=staff.join clinic=%s staff=%s", actor.clinic_id, actor.staff_user_id)
    return actor


def staff_and_invitations(
    uow: UnitOfWork, actor: Actor, *, clock: Clock = utc_now
) -> dict[str, list[dict[str, Any]]]:
    """The clinic's staff accounts and its invitations not yet used nor expired, newest first
    (one read, one audit entry). An invitation to an address with an account looks the same:
    it stays "sent" until it expires."""
    with Transaction(uow, actor, "staff.read", clock) as tx:
        staff = [staff_view(user) for user in tx.records.staff()]
        rows = uow.session.execute(
            select(StaffInvitation)
            .where(
                StaffInvitation.clinic_id == actor.clinic_id,
                StaffInvitation.accepted_at.is_(None),
                StaffInvitation.expires_at > tx.now,
            )
            .order_by(StaffInvitation.created_at.desc(), StaffInvitation.id.desc())
            .limit(MAX_LISTED)
        ).scalars()
        invitations = [
            {
                "id": row.id,
                "email": row.email,
                "display_name": row.display_name,
                "role": row.role,
                "created_at": row.created_at,
                "expires_at": row.expires_at,
            }
            for row in rows
        ]
        tx.done(details={"results": len(staff), "invitations": len(invitations)})
    return {"staff": staff, "invitations": invitations}
