"""Dependencies shared by the routes (``Annotated``, as in the FastAPI template)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
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


async def get_session(connection: HTTPConnection) -> AsyncIterator[Session]:
    """One session per request (HTTP or WebSocket), closed afterwards.

    Async: opening a session does no I/O, so it costs no trip to the thread pool; closing
    one that still holds a connection (a read without commit) is done in the pool.
    """
    session: Session = connection.app.state.sessions()
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()


async def get_hub(connection: HTTPConnection) -> LiveHub:
    """The app's live hub (async, like the two below: no trip to the thread pool)."""
    hub: LiveHub = connection.app.state.hub
    return hub


async def get_settings_dep(connection: HTTPConnection) -> WayhomeSettings:
    """The settings the app was built with."""
    settings: WayhomeSettings = connection.app.state.settings
    return settings


async def get_now() -> datetime:
    """The server's clock (UTC); tests override this dependency to move time."""
    return utc_now()


SessionDep = Annotated[Session, Depends(get_session)]
HubDep = Annotated[LiveHub, Depends(get_hub)]
SettingsDep = Annotated[WayhomeSettings, Depends(get_settings_dep)]
NowDep = Annotated[datetime, Depends(get_now)]
