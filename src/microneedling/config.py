"""Settings, from environment variables with the ``MICRONEEDLING_`` prefix.

``MICRONEEDLING_DATABASE_URL`` chooses the database: SQLite by default (a file under ``./var/``),
PostgreSQL when it points at one (``postgresql://user@host/db``). Paths are relative to the
working directory the command runs in.
"""

from __future__ import annotations

import ipaddress
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where the records live, their limits, and how signing in to the API behaves."""

    # hide_input_in_errors: a bad setting's error never quotes what was typed (keys, passwords).
    model_config = SettingsConfigDict(
        env_prefix="MICRONEEDLING_", extra="ignore", frozen=True, hide_input_in_errors=True
    )

    database_url: str = Field(
        default="sqlite:///./var/microneedling.db",
        description="SQLAlchemy URL; sqlite:///PATH or postgresql://USER@HOST:PORT/DB",
    )
    photo_dir: Path = Field(default=Path("./var/photos"), description="Where photo files go")
    photo_max_bytes: int = Field(default=25_000_000, ge=1, description="Largest photo file")
    photo_max_pixels: int = Field(default=50_000_000, ge=1, description="Largest photo, in pixels")
    sqlite_busy_timeout_ms: int = Field(
        default=10_000, ge=0, description="How long a SQLite writer waits for another to finish"
    )
    token_lifetime_minutes: int = Field(
        default=480, ge=1, le=7 * 24 * 60, description="How long a sign-in (bearer token) lasts"
    )
    token_recheck_seconds: int = Field(
        default=5,
        ge=0,
        le=60,
        description="How long the API trusts a bearer token it found good before reading it "
        "again (0: every request); see services/token_cache.py",
    )
    sign_in_max_failures: int = Field(
        default=5, ge=1, description="Failed sign-ins for one e-mail before it is locked"
    )
    sign_in_max_failures_per_client: int = Field(
        default=20, ge=1, description="Failed sign-ins from one address before it is locked"
    )
    sign_in_window_minutes: int = Field(
        default=15, ge=1, description="The window in which failed sign-ins are counted"
    )
    sign_in_lockout_minutes: int = Field(
        default=15, ge=1, description="How long a locked e-mail or address waits"
    )
    api_max_body_bytes: int = Field(
        default=1_000_000, ge=1_000, description="Largest JSON or form request body"
    )
    api_record_read_threads: int | None = Field(
        default=None,
        ge=1,
        le=16,
        description="Threads that open patients' records at once (unset: 1 on SQLite, 4 on "
        "PostgreSQL); with api_worker_threads at most 16, the database pool's connections; see "
        "api/lanes.py",
    )
    api_worker_threads: int = Field(
        default=8,
        ge=1,
        le=16,
        description="Threads for the server's synchronous routes (at most the database pool's "
        "16 connections); see api/app.py",
    )

    hsts_seconds: int = Field(
        default=0,
        ge=0,
        le=2 * 365 * 24 * 3600,
        description="Behind HTTPS only: tell browsers to use HTTPS for this long "
        "(Strict-Transport-Security); 0 sends no such header",
    )

    audit_key: SecretStr | None = Field(
        default=None,
        description="The key that authenticates every new audit entry (HMAC-SHA256), kept "
        "outside the database; at least 32 characters. Unset: entries are "
        "hash-chained but not authenticated (docs/audit.md)",
    )
    audit_keys_retired: SecretStr | None = Field(
        default=None,
        description="Earlier audit keys, separated by commas: entries written under them still "
        "verify after the key is changed (docs/audit.md)",
    )

    trusted_proxies: str = Field(
        default="",
        description="The reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are "
        "believed (addresses or networks, separated by commas, e.g. 127.0.0.1,10.0.0.0/8). "
        "Empty: no one's; the client address is the connection's (docs/deploy.md)",
    )

    # Messages to patients (docs/messages.md): the mail server, the SMS provider, links, worker.
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
    sms_token: SecretStr | None = Field(
        default=None,
        description="The SMS provider's auth token (also checks its webhooks' signatures)",
    )
    sms_from: str | None = Field(default=None, description="The number SMS come from")
    messages_public_url: str | None = Field(
        default=None,
        description="The address patients reach the clinic's pages at (links, unsubscribing, "
        "the SMS provider's webhooks)",
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
    def _blank_message_setting_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("trusted_proxies", mode="after")
    @classmethod
    def _proxies_are_addresses(cls, value: str) -> str:
        return ",".join(trusted_proxy_list(value))

    @field_validator("audit_key", "audit_keys_retired", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _audit_keys_long_enough(self) -> Settings:
        if self.audit_key is not None:
            check_audit_key(self.audit_key.get_secret_value(), "MICRONEEDLING_AUDIT_KEY")
        for key in retired_audit_keys(self.audit_keys_retired):
            check_audit_key(key, "MICRONEEDLING_AUDIT_KEYS_RETIRED")
        return self

    @model_validator(mode="after")
    def _threads_within_the_pool(self) -> Settings:
        lane = self.api_record_read_threads
        if lane is not None and self.api_worker_threads + lane > POOL_CONNECTIONS:
            raise ValueError(
                f"api_worker_threads ({self.api_worker_threads}) and api_record_read_threads "
                f"({lane}) together may be at most {POOL_CONNECTIONS}, the database pool's "
                "connections"
            )
        return self


#: The shortest audit key taken (``secrets.token_urlsafe(32)`` gives 43 characters).
AUDIT_KEY_MIN_CHARS = 32


def check_audit_key(key: str, setting: str) -> None:
    """ValueError unless ``key`` is long enough and holds no spaces or commas."""
    if len(key) < AUDIT_KEY_MIN_CHARS:
        raise ValueError(
            f"{setting}: an audit key is at least {AUDIT_KEY_MIN_CHARS} characters (make one "
            "with: python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    if any(char.isspace() or char == "," for char in key):
        raise ValueError(f"{setting}: an audit key holds no spaces or commas")


def retired_audit_keys(value: SecretStr | None) -> list[str]:
    """The retired audit keys of the setting, in the order given."""
    if value is None:
        return []
    return [key.strip() for key in value.get_secret_value().split(",") if key.strip()]


#: The most connections the database pool opens (store/database.py keeps POOL_SIZE of them open).
POOL_CONNECTIONS = 16


@cache
def settings() -> Settings:
    """The settings of this process (read once from the environment)."""
    return Settings()


def trusted_proxy_list(value: str) -> list[str]:
    """The addresses and networks of ``MICRONEEDLING_TRUSTED_PROXIES``, checked (ValueError
    naming the first that is neither; ``*``, trusting anyone, is refused)."""
    proxies = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        try:
            if "/" in item:
                proxies.append(str(ipaddress.ip_network(item, strict=False)))
            else:
                proxies.append(str(ipaddress.ip_address(item)))
        except ValueError:
            shown = item[:60].encode("unicode_escape").decode("ascii")
            raise ValueError(
                f"MICRONEEDLING_TRUSTED_PROXIES: {shown!r} is not an address or network "
                "(e.g. 127.0.0.1 or 10.0.0.0/8; separate several with commas)"
            ) from None
    return proxies


def forwarded_options(config: Settings) -> dict[str, Any]:
    """uvicorn's options for forwarded headers: believed only from the trusted proxies (uvicorn
    would otherwise believe 127.0.0.1's, so anyone could name any address through a local
    program)."""
    if not config.trusted_proxies:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": config.trusted_proxies}
