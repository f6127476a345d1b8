"""``/incidents/{id}/live``: a WebSocket stream of the incident's new positions.

The first message is ``{"type": "subscribed", "incident_id": ...}``; then one
``{"type": "position", "position": {...}}`` per new position (and the other live events).
The token comes as ``Authorization: Bearer`` or, from a browser, ``?access_token=``.
The socket is closed with 4401 without a valid token, 4403 without a role in the incident
and 4404 for an unknown incident.
"""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from wayhome.api.deps import HubDep, NowDep, SessionDep
from wayhome.errors import AccessDeniedError, NotAuthenticatedError
from wayhome.store import UnknownRecordError, incident_actor, user_for_token
from wayhome.store.models import AppUser

__all__ = ["live", "router"]

router = APIRouter(tags=["live"])


@router.websocket("/incidents/{incident_id}/live")
async def live(
    websocket: WebSocket, incident_id: int, session: SessionDep, hub: HubDep, now: NowDep
) -> None:
    """Push the incident's new positions to this viewer until it disconnects."""

    def authorise() -> None:
        scheme, _, value = websocket.headers.get("authorization", "").partition(" ")
        token = value if scheme.lower() == "bearer" else ""
        token = token or websocket.query_params.get("access_token", "")
        try:
            user: AppUser = user_for_token(session, token, now=now)
            incident_actor(session, user=user, incident_id=incident_id)
        finally:
            # A viewer stays for hours: give its pooled connection back now (a held one
            # starves the pool after a handful of viewers and, on SQLite, its open read
            # snapshot stops WAL checkpoints).
            session.close()

    try:
        await run_in_threadpool(authorise)
    except (NotAuthenticatedError, AccessDeniedError, UnknownRecordError) as exc:
        code = {NotAuthenticatedError: 4401, AccessDeniedError: 4403}.get(type(exc), 4404)
        await websocket.close(code=code, reason=str(exc)[:120])
        return
    await websocket.accept()
    with hub.subscribe(incident_id) as queue:
        await websocket.send_json({"type": "subscribed", "incident_id": incident_id})
        # Watch for the viewer leaving while waiting for positions.
        gone = asyncio.ensure_future(_until_disconnect(websocket))
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


async def _until_disconnect(websocket: WebSocket) -> None:
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            await websocket.receive_text()
