"""The worker's channels and settings, from ``MICRONEEDLING_*`` environment variables
(docs/messages.md lists them).

Kept beside the channels rather than in ``config.py`` for now: ``docs/deploy.md`` must list every
setting of ``config.Settings`` (a test checks it), and that guide is edited separately; moving
these fields there is a plain move once the guide has their rows.
"""

from __future__ import annotations

from functools import cache

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from microneedling.services.messages.transports import (
    SmsSettings,
    SmsTransport,
    SmtpSettings,
    SmtpTransport,
    Transport,
)
from microneedling.services.messages.worker import WorkerSettings


class MessageSettings(BaseSettings):
    """The mail server, the SMS provider, links and the worker (all optional)."""

    model_config = SettingsConfigDict(
        env_prefix="MICRONEEDLING_", extra="ignore", frozen=True, hide_input_in_errors=True
    )

    smtp_host: str | None = Field(
        default=None, description="The mail server e-mails to patients go through; unset: none"
    )
    smtp_port: int = Field(default=587, ge=1, le=65535, description="The mail server's port")
    smtp_security: str = Field(
        default="starttls",
        pattern="^(starttls|tls|none)$",
        description="starttls (port 587), tls (port 465) or none (a relay on this computer only)",
    )
    smtp_username: str | None = Field(default=None, description="The mail server's sign-in name")
    smtp_password: SecretStr | None = Field(
        default=None, description="The mail server's sign-in password"
    )
    mail_from: str = Field(
        default="clinic@localhost", description="The address e-mails to patients come from"
    )
    mail_reply_to: str | None = Field(
        default=None, description="Where patients' replies go (the front desk)"
    )
    sms_api_url: str | None = Field(
        default=None,
        description="A Twilio-compatible Messages API (https://api.twilio.com); unset: no SMS",
    )
    sms_account: str | None = Field(default=None, description="The SMS provider's account id")
    sms_token: SecretStr | None = Field(default=None, description="The SMS provider's token")
    sms_from: str | None = Field(default=None, description="The number SMS come from")
    messages_public_url: str | None = Field(
        default=None,
        description="The address patients reach the clinic's pages at (links, unsubscribing)",
    )
    messages_signing_key: SecretStr | None = Field(
        default=None, min_length=32, description="Signs unsubscribe links (32+ characters)"
    )
    messages_worker_in_web: bool | None = Field(
        default=None,
        description="Send messages from inside `microneedling web` (default: on with SQLite, "
        "off with PostgreSQL, where `microneedling worker` runs instead)",
    )
    messages_worker_interval_seconds: float = Field(
        default=30.0, gt=0, le=3600, description="How often the worker looks for due messages"
    )

    @field_validator(
        "smtp_host", "smtp_username", "smtp_password", "sms_api_url", "sms_account", "sms_token",
        "sms_from", "messages_public_url", "messages_signing_key", "mail_reply_to",
        mode="before",
    )  # fmt: skip
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value


@cache
def message_settings() -> MessageSettings:
    """The messaging settings of this process (read once from the environment)."""
    return MessageSettings()


def transports_from(config: MessageSettings) -> dict[str, Transport]:
    """E-mail when a mail server is set, SMS when a provider is; messages of a channel without
    one wait in the outbox (and say so)."""
    found: dict[str, Transport] = {}
    if config.smtp_host:
        found["email"] = SmtpTransport(
            SmtpSettings(
                host=config.smtp_host,
                port=config.smtp_port,
                security=config.smtp_security,
                username=config.smtp_username,
                password=config.smtp_password.get_secret_value() if config.smtp_password else None,
                sender=config.mail_from,
            )
        )
    if config.sms_api_url and config.sms_account and config.sms_token and config.sms_from:
        found["sms"] = SmsTransport(
            SmsSettings(
                base_url=config.sms_api_url,
                account=config.sms_account,
                token=config.sms_token.get_secret_value(),
                sender=config.sms_from,
            )
        )
    return found


def worker_settings_from(config: MessageSettings) -> WorkerSettings:
    key = config.messages_signing_key
    return WorkerSettings(
        public_url=config.messages_public_url,
        reply_to=config.mail_reply_to,
        signing_key=key.get_secret_value().encode() if key else None,
    )


def worker_in_web(config: MessageSettings, backend: str) -> bool:
    """Whether ``microneedling web`` sends messages itself (SQLite: yes unless turned off)."""
    if config.messages_worker_in_web is not None:
        return config.messages_worker_in_web
    return backend == "sqlite"
