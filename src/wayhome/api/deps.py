"""Dependencies shared by the routes (``Annotated``, as in the FastAPI template)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session
from starlette.requests import HTTPConnection

from wayhome.api.hub import LiveHub
from wayhome.api.settings import WayhomeSettings
from wayhome.store.models import utc_now

__all__ = [
    "HubDep",
    "NowDep",
    "SessionDep",
    "SettingsDep",
    "get_hub",
    "get_now",
    "get_session",
    "get_settings_dep",
]


def get_session(connection: HTTPConnection) -> Iterator[Session]:
    """One session per request (HTTP or WebSocket), closed afterwards."""
    with connection.app.state.sessions() as session:
        yield session


def get_hub(connection: HTTPConnection) -> LiveHub:
    """The app's live hub."""
    hub: LiveHub = connection.app.state.hub
    return hub


def get_settings_dep(connection: HTTPConnection) -> WayhomeSettings:
    """The settings the app was built with."""
    settings: WayhomeSettings = connection.app.state.settings
    return settings


def get_now() -> datetime:
    """The server's clock (UTC); tests override this dependency to move time."""
    return utc_now()


SessionDep = Annotated[Session, Depends(get_session)]
HubDep = Annotated[LiveHub, Depends(get_hub)]
SettingsDep = Annotated[WayhomeSettings, Depends(get_settings_dep)]
NowDep = Annotated[datetime, Depends(get_now)]
