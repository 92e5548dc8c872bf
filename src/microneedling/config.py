"""Settings, from environment variables with the ``MICRONEEDLING_`` prefix.

``MICRONEEDLING_DATABASE_URL`` chooses the database: SQLite by default (a file under ``./var/``),
PostgreSQL when it points at one (``postgresql://user@host/db``). Paths are relative to the
working directory the command runs in.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where the records live, their limits, and how signing in to the API behaves."""

    model_config = SettingsConfigDict(env_prefix="MICRONEEDLING_", extra="ignore", frozen=True)

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


#: The most connections the database pool opens (store/database.py keeps POOL_SIZE of them open).
POOL_CONNECTIONS = 16


@cache
def settings() -> Settings:
    """The settings of this process (read once from the environment)."""
    return Settings()
