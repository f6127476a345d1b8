"""``/incidents/{id}/live``: a WebSocket stream of the incident's new positions.

The first message is ``{"type": "subscribed", "incident_id": ...}``; then one
``{"type": "position", "position": {...}}`` per new position. An unknown incident closes
the socket with code 4404.
"""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from wayhome.api.deps import HubDep, SessionDep
from wayhome.store import UnknownRecordError, get_incident

__all__ = ["live", "router"]

router = APIRouter(tags=["live"])


@router.websocket("/incidents/{incident_id}/live")
async def live(websocket: WebSocket, incident_id: int, session: SessionDep, hub: HubDep) -> None:
    """Push the incident's new positions to this viewer until it disconnects."""
    try:
        await run_in_threadpool(get_incident, session, incident_id)
    except UnknownRecordError as exc:
        await websocket.close(code=4404, reason=str(exc)[:120])
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
                await websocket.send_json(nxt.result())
        finally:
            gone.cancel()
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect):
                await gone


async def _until_disconnect(websocket: WebSocket) -> None:
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            await websocket.receive_text()
