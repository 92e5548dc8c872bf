"""What a staff invitation says (plain text; an e-mail). Two messages with one subject: a new
address gets the link to set a password; an address that already has an account is told so,
and nothing else. Names are isolated (:func:`~microneedling.text_direction.isolated_where_needed`)
so that a name holding right-to-left or override characters cannot reorder the sentence around
it in a reader's mail program.
"""

from __future__ import annotations

from microneedling.services.access import ROLE_WORDS, Role
from microneedling.text_direction import isolated_where_needed

#: The subject of both messages: the outbox shows nothing that tells them apart.
SUBJECT = "{clinic}: an invitation to join the staff"


def invitation_text(clinic: str, name: str, role: Role, link: str, days: int) -> str:
    return (
        f"Dear {isolated_where_needed(name)},\n\n"
        f"{isolated_where_needed(clinic)} invites you to its staff, as "
        f"{ROLE_WORDS[role]}.\n\n"
        f"To accept, choose your password at this link (it works once, for {days} days):\n\n"
        f"    {link}\n\n"
        "Then sign in with this e-mail address and that password. If you did not expect this "
        "invitation, ignore this message: nothing happens without the link.\n\n"
        f"{isolated_where_needed(clinic)}"
    )


def account_exists_text(clinic: str, name: str) -> str:
    return (
        f"Dear {isolated_where_needed(name)},\n\n"
        f"{isolated_where_needed(clinic)} tried to invite you to its staff, but you already "
        "have an account with this e-mail address, and an address can have only one.\n\n"
        "If you want to join this clinic too, reply to the person who invited you and give "
        "them another e-mail address of yours to invite. If you have forgotten your password, "
        "ask an owner of your clinic to reset it.\n\n"
        "If you did not expect this message, you can ignore it: nothing has changed."
    )
