"""Settings of the web application, from ``MICRONEEDLING_WEB_*`` environment variables.

The records' settings (database, photo folder) are the package's :class:`~microneedling.config.
Settings`; these are the web pages' own: how sessions are signed and how long they last. Failed
sign-ins follow the records' settings (``MICRONEEDLING_SIGN_IN_*``), the same policy as the API.
"""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class WebSettings(BaseSettings):
    """How the web pages sign people in and keep them signed in."""

    model_config = SettingsConfigDict(env_prefix="MICRONEEDLING_WEB_", extra="ignore", frozen=True)

    secret_key: SecretStr | None = Field(
        default=None,
        description=(
            "Signs the cookies of browsers not signed in (the sign-in form's CSRF token) and "
            "one-off notices (at least 32 characters; the same on every server). Unset: a random "
            "key per process, so a sign-in form opened before a restart must be opened again"
        ),
    )
    session_idle_minutes: int = Field(
        default=30, ge=1, le=24 * 60, description="Signed out after this long without a request"
    )
    session_max_hours: int = Field(
        default=12, ge=1, le=7 * 24, description="Signed out this long after signing in, whatever"
    )
    cookie_secure: bool = Field(
        default=False, description="Send the session cookie over HTTPS only (set behind HTTPS)"
    )
    max_form_bytes: int = Field(
        default=1_000_000, ge=10_000, description="Largest form (other than a photo upload)"
    )
