"""Signing in to the portal with a one-time code sent to the patient's e-mail or phone.

- :func:`request_code`: the patient gives their e-mail address or mobile number; if it is the
  address of a patient of the clinic with portal access, a 6-digit code goes to it (an urgent
  message of the outbox). The answer is the same whether or not it is: nobody learns from it
  who is a patient.
- :func:`verify_code`: the code given back. Only a salted hash of each code is kept; it expires
  after :data:`CODE_MINUTES`, works once, and :data:`MAX_TRIES_PER_CODE` wrong tries void it.
- Limits (counted in ``portal_attempt``, by the address's hash, never the address): at most
  :data:`MAX_CODES_PER_ADDRESS` codes an hour per address and :data:`MAX_CODES_PER_CLIENT` per
  computer; at most :data:`MAX_WRONG_PER_ADDRESS` wrong codes per address and
  :data:`MAX_WRONG_PER_ACCOUNT` per account in :data:`WRONG_WINDOW`. Past a limit the answer
  says so plainly, and how long to wait, whether or not the address has an account.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from microneedling.errors import UserError
from microneedling.services.clock import Clock, utc_now
from microneedling.services.portal.actor import PatientActor, PatientTransaction
from microneedling.services.portal.messages import queue_code
from microneedling.store import UnitOfWork
from microneedling.store.models import Clinic, Patient
from microneedling.store.patient_search import digits
from microneedling.store.portal_models import PortalAccount, PortalAttempt, PortalCode

CODE_DIGITS = 6
CODE_MINUTES = 10
MAX_TRIES_PER_CODE = 5
CODE_WINDOW = timedelta(hours=1)
MAX_CODES_PER_ADDRESS = 5
MAX_CODES_PER_CLIENT = 30
WRONG_WINDOW = timedelta(minutes=15)
MAX_WRONG_PER_ADDRESS = 5
MAX_WRONG_PER_ACCOUNT = 10
MAX_ADDRESS_CHARS = 254


class TooManyTries(UserError):
    """A limit on codes was reached: the message says how long to wait."""


@dataclass(frozen=True)
class Address:
    """An e-mail address or a phone number as a patient typed it, normalised."""

    channel: str
    value: str

    @classmethod
    def parse(cls, text: str) -> Address:
        given = (text or "").strip()
        if not given:
            raise UserError("enter your e-mail address or mobile number", field="address")
        if len(given) > MAX_ADDRESS_CHARS:
            raise UserError("that is too long for an e-mail address or phone number",
                            field="address")  # fmt: skip
        if "@" in given:
            local, _, domain = given.rpartition("@")
            if not local or "." not in domain or any(c.isspace() for c in given):
                raise UserError("that does not look like an e-mail address (name@example.org)",
                                field="address")  # fmt: skip
            return cls("email", given.casefold())
        number = digits(given)
        if number is None or len(number) < 6 or len(number) > 20 or any(c.isalpha() for c in given):
            raise UserError("that does not look like an e-mail address or a phone number",
                            field="address")  # fmt: skip
        return cls("sms", number)

    def key(self, clinic_id: int) -> str:
        return hashlib.sha256(f"{clinic_id}:{self.channel}:{self.value}".encode()).hexdigest()


def _code_hash(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()


def clinic_by_slug(uow: UnitOfWork, slug: str) -> Clinic:
    clinic = uow.session.execute(
        select(Clinic).where(Clinic.slug == (slug or "")[:64])
    ).scalar_one_or_none()
    if clinic is None:
        raise UserError("there is no such clinic here; open the link the clinic sent you again",
                        field="clinic")  # fmt: skip
    return clinic


def _account_for(uow: UnitOfWork, clinic_id: int, address: Address) -> tuple[PortalAccount, Patient] | None:  # fmt: skip
    """The open portal account of the clinic's patient with this address (the newest)."""
    if address.channel == "email":
        match = func.lower(Patient.email) == address.value
    else:
        match = Patient.phone_digits == address.value
    found = uow.session.execute(
        select(PortalAccount, Patient)
        .join(Patient, Patient.id == PortalAccount.patient_id)
        .where(PortalAccount.clinic_id == clinic_id, PortalAccount.closed_at.is_(None), match)
        .order_by(PortalAccount.invited_at.desc(), PortalAccount.id.desc())
        .limit(1)
    ).first()
    return None if found is None else (found[0], found[1])


def _count(uow: UnitOfWork, kind: str, since: datetime, **where: object) -> int:
    query = (
        select(func.count())
        .select_from(PortalAttempt)
        .where(PortalAttempt.kind == kind, PortalAttempt.at > since)
    )
    for column, value in where.items():
        query = query.where(getattr(PortalAttempt, column) == value)
    return int(uow.session.execute(query).scalar_one())


def _oldest(uow: UnitOfWork, kind: str, since: datetime, **where: object) -> datetime | None:
    query = select(func.min(PortalAttempt.at)).where(
        PortalAttempt.kind == kind, PortalAttempt.at > since
    )
    for column, value in where.items():
        query = query.where(getattr(PortalAttempt, column) == value)
    found: datetime | None = uow.session.execute(query).scalar_one()
    return found


def _wait(oldest: datetime | None, window: timedelta, now: datetime) -> int:
    if oldest is None:
        return math.ceil(window.total_seconds() / 60)
    return max(1, math.ceil((oldest + window - now).total_seconds() / 60))


def _minutes(count: int) -> str:
    return "1 minute" if count == 1 else f"{count} minutes"


@dataclass(frozen=True)
class CodeRequested:
    """What the sign-in page says next (the same whether or not the address has an account).
    ``demo_code`` is set only for a demo clinic's patient, where no message can arrive."""

    channel: str
    demo_code: str | None = None


#: Demo clinics show the code on the page (their patients' addresses are not real).
DEMO_CLINICS = frozenset({"demo", "second"})


def request_code(
    uow: UnitOfWork, clinic_slug: str, address_text: str, *, client: str, clock: Clock = utc_now
) -> CodeRequested:
    """Send a sign-in code to ``address_text`` if it is a patient's with portal access."""
    now = clock()
    address = Address.parse(address_text)
    client_key = hashlib.sha256((client or "unknown").encode()).hexdigest()
    with uow:
        clinic = clinic_by_slug(uow, clinic_slug)
        key = address.key(clinic.id)
        since = now - CODE_WINDOW
        if _count(uow, "code_sent", since, address_sha256=key) >= MAX_CODES_PER_ADDRESS:
            wait = _wait(_oldest(uow, "code_sent", since, address_sha256=key), CODE_WINDOW, now)
            raise TooManyTries(
                f"too many codes were asked for this address in the last hour; wait "
                f"{_minutes(wait)}, then ask again (or use the last code you received)",
                field="address",
            )
        if _count(uow, "code_sent", since, client=client_key) >= MAX_CODES_PER_CLIENT:
            raise TooManyTries("too many codes were asked from this connection; wait an hour",
                               field="address")  # fmt: skip
        found = _account_for(uow, clinic.id, address)
        uow.session.add(PortalAttempt(at=now, kind="code_sent", address_sha256=key,
                                      account_id=found[0].id if found else None,
                                      client=client_key))  # fmt: skip
        demo_code = None
        if found is not None:
            account, patient = found
            code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
            salt = secrets.token_hex(8)
            # A new code replaces any earlier one still open.
            for earlier in uow.session.execute(
                select(PortalCode).where(
                    PortalCode.account_id == account.id,
                    PortalCode.used_at.is_(None),
                    PortalCode.expires_at > now,
                )
            ).scalars():
                earlier.expires_at = now
            uow.session.add(
                PortalCode(
                    clinic_id=clinic.id,
                    account_id=account.id,
                    channel=address.channel,
                    salt=salt,
                    code_sha256=_code_hash(salt, code),
                    created_at=now,
                    expires_at=now + timedelta(minutes=CODE_MINUTES),
                    attempts=0,
                )
            )
            recipient = patient.email if address.channel == "email" else patient.phone
            assert recipient is not None
            queue_code(uow.session, clinic, patient, address.channel, recipient, code,
                       CODE_MINUTES, now)  # fmt: skip
            if clinic.slug in DEMO_CLINICS:
                demo_code = code
        uow.commit()
    return CodeRequested(address.channel, demo_code)


def verify_code(
    uow: UnitOfWork,
    clinic_slug: str,
    address_text: str,
    code_text: str,
    *,
    client: str,
    clock: Clock = utc_now,
) -> PatientActor:
    """The patient whose code this is (the code is used up), or a clear refusal."""
    now = clock()
    address = Address.parse(address_text)
    code = "".join(ch for ch in (code_text or "") if not ch.isspace())[:20]
    if not code:
        raise UserError("enter the code we sent you", field="code")
    if not code.isdigit() or len(code) != CODE_DIGITS:
        raise UserError(f"the code is {CODE_DIGITS} digits, like 123456", field="code")
    client_key = hashlib.sha256((client or "unknown").encode()).hexdigest()
    with uow:
        clinic = clinic_by_slug(uow, clinic_slug)
        key = address.key(clinic.id)
        since = now - WRONG_WINDOW
        found = _account_for(uow, clinic.id, address)
        too_many = _count(uow, "code_wrong", since, address_sha256=key) >= MAX_WRONG_PER_ADDRESS
        if found is not None and not too_many:
            too_many = (
                _count(uow, "code_wrong", since, account_id=found[0].id) >= MAX_WRONG_PER_ACCOUNT
            )
        if too_many:
            oldest = _oldest(uow, "code_wrong", since, address_sha256=key)
            raise TooManyTries(
                f"too many wrong codes. For your safety, wait {_minutes(_wait(oldest, WRONG_WINDOW, now))}, "
                "then ask for a new code",
                field="code",
            )
        live = None
        if found is not None:
            live = uow.session.execute(
                select(PortalCode)
                .where(
                    PortalCode.account_id == found[0].id,
                    PortalCode.used_at.is_(None),
                    PortalCode.expires_at > now,
                    PortalCode.attempts < MAX_TRIES_PER_CODE,
                )
                .order_by(PortalCode.created_at.desc(), PortalCode.id.desc())
                .limit(1)
            ).scalar_one_or_none()
        right = live is not None and hmac.compare_digest(
            live.code_sha256, _code_hash(live.salt, code)
        )
        if not right or found is None or live is None:
            if live is not None:
                live.attempts += 1
            uow.session.add(PortalAttempt(at=now, kind="code_wrong", address_sha256=key,
                                          account_id=found[0].id if found else None,
                                          client=client_key))  # fmt: skip
            uow.commit()
            raise UserError(
                "that code is not right, or it has expired or was already used. Check the "
                "latest message from the clinic, or ask for a new code",
                field="code",
            )
        account, patient = found
        live.used_at = now
        if account.activated_at is None:
            account.activated_at = now
        uow.commit()
        actor = PatientActor(account.id, patient.id, clinic.id)
    with PatientTransaction(uow, actor, "portal.sign_in", lambda: now) as tx:
        tx.done(entity=("portal_account", actor.account_id), details={"channel": address.channel})
    return actor


def sign_out(uow: UnitOfWork, actor: PatientActor, *, clock: Clock = utc_now) -> None:
    """Audit the patient's signing out (the session is ended by the caller)."""
    with PatientTransaction(uow, actor, "portal.sign_out", clock) as tx:
        tx.done(entity=("portal_account", actor.account_id))
