"""The channels at the edge: e-mail over SMTP and SMS through a Twilio-compatible HTTP API.

Each transport has one method, ``send(envelope) -> provider id``, and says how it failed with
:class:`TemporaryFailure` (try again later; ``retry_after`` seconds when the provider said) or
:class:`PermanentFailure` (no point trying again: a refused address). Error texts carry the
provider's words, never the message body. The SMS adapter is the only provider-specific code.
"""

from __future__ import annotations

import base64
import json
import smtplib
import socket
import ssl
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr
from typing import Protocol

SMTP_POLICY = SMTP.clone(max_line_length=998)


class TemporaryFailure(Exception):
    """The message may go if tried again later."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class PermanentFailure(Exception):
    """The message will not go however often it is tried."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Envelope:
    """One message as a transport sends it."""

    message_id: int
    recipient: str
    recipient_name: str
    subject: str
    text: str
    html: str | None = None
    sender_name: str = ""
    reply_to: str | None = None
    unsubscribe: str | None = None
    attachments: tuple[Attachment, ...] = field(default=())


class Transport(Protocol):
    def send(self, envelope: Envelope) -> str: ...


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int = 587
    #: ``starttls`` (upgrade a plain connection), ``tls`` (TLS from the start, port 465) or
    #: ``none`` (a local relay only).
    security: str = "starttls"
    username: str | None = None
    password: str | None = None
    sender: str = "clinic@localhost"
    timeout: float = 30.0


class SmtpTransport:
    """E-mail over SMTP: plain text and HTML, the clinic's name, its reply address, a
    ``List-Unsubscribe`` header, attachments (the ``.ics``). The ``Message-ID`` is made from
    the outbox row, so a message sent twice after a crash is recognisably the same one."""

    def __init__(self, settings: SmtpSettings) -> None:
        if settings.security not in ("starttls", "tls", "none"):
            raise ValueError("SMTP security must be starttls, tls or none")
        self.settings = settings
        self._client: smtplib.SMTP | None = None
        self._lock = threading.Lock()

    def build(self, envelope: Envelope) -> EmailMessage:
        # Headers may run to 998 characters (RFC 5322): a long link is kept whole, not encoded.
        message = EmailMessage(policy=SMTP_POLICY)
        message["From"] = formataddr((envelope.sender_name, self.settings.sender))
        message["To"] = formataddr((envelope.recipient_name, envelope.recipient))
        message["Subject"] = envelope.subject
        domain = self.settings.sender.rpartition("@")[2] or "localhost"
        message["Message-ID"] = f"<outbox-{envelope.message_id}@{domain}>"
        if envelope.reply_to:
            message["Reply-To"] = envelope.reply_to
        if envelope.unsubscribe:
            message["List-Unsubscribe"] = f"<{envelope.unsubscribe}>"
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message.set_content(envelope.text)
        if envelope.html:
            message.add_alternative(envelope.html, subtype="html")
        for item in envelope.attachments:
            main, _, sub = item.content_type.partition("/")
            message.add_attachment(item.data, maintype=main, subtype=sub, filename=item.filename)
        return message

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        if settings.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host,
                settings.port,
                timeout=settings.timeout,
                context=ssl.create_default_context(),
            )
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        try:
            # smtplib writes a message and its closing dot separately: without TCP_NODELAY,
            # Nagle's algorithm and the server's delayed ACK add about 40 ms to every message.
            if client.sock is not None:
                client.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if settings.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if settings.username:
                client.login(settings.username, settings.password or "")
        except BaseException:
            _quietly_close(client)
            raise
        return client

    def _connection(self) -> smtplib.SMTP:
        """The kept connection if the server still answers on it (NOOP), else a new one."""
        if self._client is not None:
            try:
                if self._client.noop()[0] == 250:
                    return self._client
            except (OSError, smtplib.SMTPException):
                pass
            self.close()
        self._client = self._connect()
        return self._client

    def close(self) -> None:
        """Say goodbye to the mail server (the next message opens a new connection)."""
        client, self._client = self._client, None
        if client is not None:
            _quietly_close(client)

    def send(self, envelope: Envelope) -> str:
        """Send over the kept connection (checked with NOOP first; one connection for a whole
        batch rather than one per message)."""
        message = self.build(envelope)
        with self._lock:
            try:
                refused = self._connection().send_message(message)
            except smtplib.SMTPRecipientsRefused as error:
                raise PermanentFailure(
                    f"the mail server refused the address: {_codes(error)}"
                ) from None
            except smtplib.SMTPAuthenticationError as error:
                self.close()
                raise TemporaryFailure(
                    f"the mail server refused the sign-in ({error.smtp_code})"
                ) from None
            except smtplib.SMTPResponseException as error:
                reason = f"the mail server answered {error.smtp_code}"
                if 500 <= error.smtp_code < 600:
                    raise PermanentFailure(reason) from None
                self.close()
                raise TemporaryFailure(reason) from None
            except (OSError, smtplib.SMTPException) as error:
                self.close()
                raise TemporaryFailure(
                    f"could not reach the mail server: {type(error).__name__}"
                ) from None
        if refused:
            raise PermanentFailure("the mail server refused the address")
        return str(message["Message-ID"])


def _quietly_close(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (OSError, smtplib.SMTPException):
        client.close()


def _codes(error: smtplib.SMTPRecipientsRefused) -> str:
    return ", ".join(str(code) for code, _ in error.recipients.values())


@dataclass(frozen=True, slots=True)
class SmsSettings:
    """A Twilio-compatible Messages API: ``POST {base_url}/2010-04-01/Accounts/{account}/
    Messages.json`` with ``To``, ``From``, ``Body``, HTTP basic authentication."""

    base_url: str
    account: str
    token: str
    sender: str
    timeout: float = 15.0


class SmsTransport:
    """SMS through a Twilio-compatible HTTP API (the only provider-specific code)."""

    def __init__(self, settings: SmsSettings) -> None:
        self.settings = settings

    def send(self, envelope: Envelope) -> str:
        settings = self.settings
        url = (
            f"{settings.base_url.rstrip('/')}/2010-04-01/Accounts/"
            f"{urllib.parse.quote(settings.account, safe='')}/Messages.json"
        )
        form = urllib.parse.urlencode(
            {"To": envelope.recipient, "From": settings.sender, "Body": envelope.text}
        ).encode()
        credentials = base64.b64encode(f"{settings.account}:{settings.token}".encode()).decode()
        request = urllib.request.Request(
            url,
            data=form,
            method="POST",
            headers={
                "Authorization": f"Basic {credentials}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=settings.timeout) as response:
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            status = error.code
            retry_after = _retry_after(error.headers.get("Retry-After"))
            error.close()
            if status == 429 or status >= 500:
                raise TemporaryFailure(f"the SMS provider answered {status}", retry_after) from None
            raise PermanentFailure(f"the SMS provider refused the message ({status})") from None
        except TimeoutError:
            raise TemporaryFailure("the SMS provider did not answer in time") from None
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise TemporaryFailure(
                f"could not reach the SMS provider: {type(error).__name__}"
            ) from None
        sid = answer.get("sid") if isinstance(answer, dict) else None
        if not isinstance(sid, str) or not sid:
            raise TemporaryFailure("the SMS provider's answer had no message id")
        return sid[:200]


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if 0 <= seconds <= 86_400 else None
