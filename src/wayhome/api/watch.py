"""The watch: roll-call events to live viewers, and the periodic escalation of silent members.

:func:`watch_roll_calls` runs for the app's lifetime (started by its lifespan), so a
missing answer is escalated at its due time even when nobody asks the server.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from wayhome.api.hub import LiveHub
from wayhome.api.schemas import RollCallPublic
from wayhome.store import escalate_overdue
from wayhome.store.models import RollCall, utc_now

__all__ = ["escalate_and_publish", "publish_roll_call", "watch_roll_calls"]

_log = logging.getLogger(__name__)


def publish_roll_call(hub: LiveHub, event: str, roll_call: RollCall) -> RollCallPublic:
    """Send ``{"type": "roll_call", "event": ..., "roll_call": {...}}`` to the incident."""
    public = RollCallPublic.model_validate(roll_call)
    message = {"type": "roll_call", "event": event, "roll_call": public.model_dump(mode="json")}
    hub.publish(roll_call.incident_id, message)
    return public


def escalate_and_publish(
    session: Session, hub: LiveHub, *, now: datetime | None = None, incident_id: int | None = None
) -> list[RollCallPublic]:
    """Escalate overdue answers (at ``now``, the clock by default); publish each roll call."""
    when = utc_now() if now is None else now
    escalated = escalate_overdue(session, now=when, incident_id=incident_id)
    roll_calls = {a.roll_call_id: session.get(RollCall, a.roll_call_id) for a in escalated}
    return [publish_roll_call(hub, "escalated", rc) for rc in roll_calls.values() if rc]


async def watch_roll_calls(sessions: sessionmaker[Session], hub: LiveHub, interval: float) -> None:
    """Every ``interval`` seconds, escalate what is overdue; runs until cancelled."""

    def once() -> None:
        with sessions() as session:
            escalate_and_publish(session, hub)

    while True:
        await asyncio.sleep(interval)
        try:
            await run_in_threadpool(once)
        except Exception:  # the watch must outlive a failed round (database restarting, ...)
            _log.exception("roll-call escalation failed; retrying in %s s", interval)
