"""``/incidents/{id}/live``: the incident's live stream, and a way in for devices' positions.

The first message is ``{"type": "subscribed", "incident_id": ...}``; then one
``{"type": "position", "position": {...}}`` per new position (and the other live events).

A device may send its positions up the same socket (the field roles' phones keep one
open): ``{"type": "positions", "ref": "q17", "positions": [{id, member_id, lat, lon,
time}, ...]}`` (or ``"type": "position"`` with one ``"position"``). Each message is stored
like ``POST /positions/batch`` — idempotent by id, all or nothing — and answered with
``{"type": "ack", "ref": ..., "created": n, "replayed": m, "ids": [...]}``, or with
``{"type": "error", "ref": ..., "status": 4xx, "title": ..., "detail": ...}``; the socket
stays open either way.
The token comes as ``Authorization: Bearer`` or, from a browser, ``?access_token=``.
The socket is closed with 4401 without a valid token, 4403 without a role in the incident
and 4404 for an unknown incident.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from wayhome.access.roles import Permission
from wayhome.api.deps import HubDep, NowDep, SessionDep
from wayhome.api.hub import LiveHub
from wayhome.api.problems import status_of
from wayhome.api.routes.positions import record_and_publish
from wayhome.api.schemas import PositionBatchCreate
from wayhome.errors import (
    AccessDeniedError,
    ConflictError,
    InvalidParameterError,
    NotAuthenticatedError,
    WayhomeError,
)
from wayhome.store import Actor, UnknownRecordError, get_incident, incident_actor, user_for_token
from wayhome.store.models import AppUser

__all__ = ["live", "router"]

router = APIRouter(tags=["live"])


@router.websocket("/incidents/{incident_id}/live")
async def live(
    websocket: WebSocket, incident_id: int, session: SessionDep, hub: HubDep, now: NowDep
) -> None:
    """Push the incident's new positions to this viewer until it disconnects."""

    def authorise() -> Actor:
        scheme, _, value = websocket.headers.get("authorization", "").partition(" ")
        token = value if scheme.lower() == "bearer" else ""
        token = token or websocket.query_params.get("access_token", "")
        try:
            user: AppUser = user_for_token(session, token, now=now)
            return incident_actor(session, user=user, incident_id=incident_id)
        finally:
            # A viewer stays for hours: give its pooled connection back now (a held one
            # starves the pool after a handful of viewers and, on SQLite, its open read
            # snapshot stops WAL checkpoints).
            session.close()

    try:
        actor = await run_in_threadpool(authorise)
    except (NotAuthenticatedError, AccessDeniedError, UnknownRecordError) as exc:
        code = {NotAuthenticatedError: 4401, AccessDeniedError: 4403}.get(type(exc), 4404)
        await websocket.close(code=code, reason=str(exc)[:120])
        return
    await websocket.accept()
    sending = asyncio.Lock()  # replies and pushed events share the socket

    async def send(message: dict[str, Any]) -> None:
        async with sending:
            await websocket.send_json(message)

    ingest = _Ingest(websocket, incident_id, actor, hub)
    with hub.subscribe(incident_id) as queue:
        await send({"type": "subscribed", "incident_id": incident_id})
        # Read what the device sends (positions) and watch for it leaving.
        gone = asyncio.ensure_future(_receive(websocket, ingest, send))
        try:
            while not gone.done():
                nxt = asyncio.ensure_future(queue.get())
                await asyncio.wait({nxt, gone}, return_when=asyncio.FIRST_COMPLETED)
                if not nxt.done():
                    nxt.cancel()
                    break
                await websocket.send_text(nxt.result().text)
                # Send what queued up meanwhile without waiting again (positions come in bursts).
                while not queue.empty() and not gone.done():
                    await websocket.send_text(queue.get_nowait().text)
        finally:
            gone.cancel()
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect):
                await gone


async def _receive(
    websocket: WebSocket, ingest: _Ingest, send: Callable[[dict[str, Any]], Awaitable[None]]
) -> None:
    """Answer each message the device sends until it disconnects."""
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            text = await websocket.receive_text()
            await send(await run_in_threadpool(ingest.handle, text))


class _Ingest:
    """Positions sent up the socket, stored as ``POST /positions/batch`` stores them."""

    def __init__(self, websocket: WebSocket, incident_id: int, actor: Actor, hub: LiveHub):
        self.sessions: sessionmaker[Session] = websocket.app.state.sessions
        self.max_bytes: int = websocket.app.state.settings.max_body_bytes
        self.incident_id = incident_id
        self.actor = actor
        self.hub = hub

    def handle(self, text: str) -> dict[str, Any]:
        """The answer to one message: an ack, or an error shaped like a problem body."""
        ref: Any = None
        try:
            if len(text.encode()) > self.max_bytes:
                return _error(ref, 413, "Content too large", f"message: larger than "
                              f"{self.max_bytes} bytes; send fewer positions at once")  # fmt: skip
            message = json.loads(text)
            if not isinstance(message, dict):
                raise ValueError("send a JSON object")
            ref = message.get("ref")
            batch = _batch(message)
            self.actor.require(Permission.REPORT)
            with self.sessions() as session:
                if get_incident(session, self.incident_id).status == "closed":
                    raise ConflictError(
                        f"incident {self.incident_id} is closed; it can be read but not changed"
                    )
                result = record_and_publish(
                    session, self.hub, self.incident_id, batch.positions, self.actor
                )
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "message"
            return _error(ref, 422, "Invalid input", f"{where}: {first['msg']}")
        except ValueError as exc:
            if isinstance(exc, WayhomeError):
                status, title = status_of(exc)
                return _error(ref, status, title, str(exc))
            return _error(ref, 422, "Invalid input", f"message: not valid JSON ({exc})")
        except WayhomeError as exc:
            status, title = status_of(exc)
            return _error(ref, status, title, str(exc) if status < 500 else "not stored")
        return {
            "type": "ack",
            "ref": ref,
            "created": result.created,
            "replayed": result.replayed,
            "ids": [str(p.id) for p in result.positions],
        }


def _batch(message: dict[str, Any]) -> PositionBatchCreate:
    kind = message.get("type")
    if kind == "position":
        return PositionBatchCreate.model_validate({"positions": [message.get("position")]})
    if kind == "positions":
        return PositionBatchCreate.model_validate({"positions": message.get("positions")})
    raise InvalidParameterError(
        f"type: {kind!r} is not a message the server takes; send 'position' or 'positions'"
    )


def _error(ref: Any, status: int, title: str, detail: str) -> dict[str, Any]:
    return {"type": "error", "ref": ref, "status": status, "title": title, "detail": detail}
