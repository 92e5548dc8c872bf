"""The worker's channels and settings, from the ``MICRONEEDLING_*`` settings of
``config.Settings`` (docs/messages.md and docs/deploy.md list them)."""

from __future__ import annotations

from microneedling.config import Settings, settings
from microneedling.services.messages.transports import (
    SmsSettings,
    SmsTransport,
    SmtpSettings,
    SmtpTransport,
    Transport,
)
from microneedling.services.messages.worker import WorkerSettings

#: The messaging settings are part of the installation's settings (``config.Settings``,
#: ``MICRONEEDLING_SMTP_HOST`` …; docs/deploy.md lists them).
MessageSettings = Settings


def message_settings() -> MessageSettings:
    """The messaging settings of this process (read once from the environment)."""
    return settings()


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
