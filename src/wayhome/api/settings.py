"""Server settings (pydantic-settings), read from ``WAYHOME_*`` variables at the edge."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["WayhomeSettings", "get_settings"]


class WayhomeSettings(BaseSettings):
    """What the server needs to start; ``WAYHOME_DATABASE_URL`` etc. override the defaults."""

    model_config = SettingsConfigDict(env_prefix="WAYHOME_", extra="ignore")

    #: SQLite (embedded, WAL) by default; ``postgresql+psycopg://...`` for a central server.
    database_url: str = "sqlite:///./wayhome.db"
    #: Largest request body accepted; larger ones get 413.
    max_body_bytes: int = 1024 * 1024
    #: Most positions in one batch.
    max_batch: int = 1000
    #: Seconds between two rounds of the watch: roll-call escalation and overdue teams
    #: (0 turns the watch off).
    roll_call_watch_seconds: float = 10.0
    #: Minutes without contact from any member before a team in the field is overdue.
    overdue_minutes: Annotated[float, Field(gt=0)] = 30.0
    #: Minutes before a grant of leave expires that the watch warns (once).
    grant_warning_minutes: Annotated[float, Field(ge=0)] = 30.0
    #: Seconds a token's holder and their role in an incident are remembered (0: looked up
    #: on every request). Changes made through this server act at once regardless; this
    #: bounds how late one made by another process is seen (``wayhome.api.auth.AuthCache``).
    auth_cache_seconds: Annotated[float, Field(ge=0)] = 30.0
    #: The federation's public key files (``.pub``) pinned to accept trust lists for member
    #: credentials (``PUT /trust-list``), as a JSON list; none: no trust list is accepted.
    federation_keys: list[Path] = []


def get_settings() -> WayhomeSettings:
    """Settings from the environment, built when called (never at import)."""
    return WayhomeSettings()
