"""Settings, from environment variables with the ``MICRONEEDLING_`` prefix.

``MICRONEEDLING_DATABASE_URL`` chooses the database: SQLite by default (a file under ``./var/``),
PostgreSQL when it points at one (``postgresql://user@host/db``). Paths are relative to the
working directory the command runs in.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the records layer needs to know about where things live."""

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


@cache
def settings() -> Settings:
    """The settings of this process (read once from the environment)."""
    return Settings()
