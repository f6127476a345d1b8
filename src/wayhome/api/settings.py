"""Server settings (pydantic-settings), read from ``WAYHOME_*`` variables at the edge."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from wayhome.access.secrets import HashProfile

__all__ = ["WayhomeSettings", "get_settings"]

#: An origin as browsers send it: scheme, host and optional port; no path, no wildcard.
_ORIGIN = re.compile(
    r"https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?|https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?"
)


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
    #: The only directory under which a planner may link an incident's plan directory
    #: (``PUT /incidents/{id}/plan``); default: the server's working directory at start.
    plans_root: Path = Field(default_factory=Path.cwd)
    #: Argon2id cost of password hashes: ``strong`` (RFC 9106; what a server must use) or
    #: ``fast`` (test suites only: cheap to crack).
    password_hash_profile: HashProfile = "strong"
    #: Minutes a login's access token lives (it is renewed at ``POST /auth/refresh``).
    access_token_minutes: Annotated[float, Field(gt=0)] = 15.0
    #: Hours a login's refresh token lives (about a shift); then the user logs in again.
    refresh_token_hours: Annotated[float, Field(gt=0)] = 12.0
    #: Failed logins for one login name within ``login_window_minutes`` before further
    #: attempts get 429 (a success resets the count); counted in the server's memory.
    login_max_failures: Annotated[int, Field(ge=1)] = 5
    #: Failed logins from one client address within the window before it gets 429.
    login_max_failures_per_address: Annotated[int, Field(ge=1)] = 20
    #: The window failed logins are counted over, in minutes.
    login_window_minutes: Annotated[float, Field(gt=0)] = 15.0
    #: Origins other than the server's own whose pages may call the API (CORS), exactly as
    #: the browser sends them (``https://host:port``), as a JSON list; none (the default):
    #: no CORS headers at all, only the web app served by this server may call it.
    cors_origins: list[str] = []

    @field_validator("cors_origins")
    @classmethod
    def _exact_origins(cls, origins: list[str]) -> list[str]:
        for origin in origins:
            if not _ORIGIN.fullmatch(origin):
                raise ValueError(
                    f"cors_origins: {origin!r} is not an origin; give scheme://host[:port] "
                    "with no path, wildcard or trailing slash (e.g. https://ops.example.org)"
                )
        return origins


def get_settings() -> WayhomeSettings:
    """Settings from the environment, built when called (never at import)."""
    return WayhomeSettings()
