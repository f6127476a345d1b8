"""The watch: roll-call and overdue-team events to live viewers, checked periodically.

:func:`watch_incidents` runs for the app's lifetime (started by its lifespan): every
round it escalates the roll-call answers now due and raises or clears overdue teams, so
both happen on time even when nobody asks the server.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from wayhome.api.hub import LiveHub
from wayhome.api.schemas import OverdueChangePublic, OverdueTeamPublic, RollCallPublic
from wayhome.store import OverdueChange, check_overdue, escalate_overdue
from wayhome.store.models import RollCall, utc_now

__all__ = [
    "check_overdue_and_publish",
    "escalate_and_publish",
    "publish_roll_call",
    "watch_incidents",
]

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


def _change_public(change: OverdueChange) -> OverdueChangePublic:
    """The API view of an overdue change."""
    team = OverdueTeamPublic(
        id=change.team_id,
        incident_id=change.incident_id,
        name=change.team_name,
        reason=change.reason,
        since=change.since,
    )
    return OverdueChangePublic(event=change.event, team=team)


def check_overdue_and_publish(
    session: Session,
    hub: LiveHub,
    *,
    no_contact: timedelta,
    now: datetime | None = None,
    incident_id: int | None = None,
) -> list[OverdueChangePublic]:
    """Raise and clear overdue teams (at ``now``, the clock by default); publish each change
    as ``{"type": "overdue", "event": "raised" | "cleared", "team": {...}}``."""
    when = utc_now() if now is None else now
    changes = check_overdue(session, now=when, no_contact=no_contact, incident_id=incident_id)
    out = [_change_public(c) for c in changes]
    for change, public in zip(changes, out, strict=True):
        message = {"type": "overdue", **public.model_dump(mode="json")}
        hub.publish(change.incident_id, message)
    return out


async def watch_incidents(
    sessions: sessionmaker[Session], hub: LiveHub, interval: float, *, no_contact: timedelta
) -> None:
    """Every ``interval`` seconds, escalate silent roll-call answers and check for overdue
    teams; runs until cancelled. A failed round is logged and the next one tried."""

    def escalate() -> None:
        with sessions() as session:
            escalate_and_publish(session, hub)

    def overdue() -> None:
        with sessions() as session:
            check_overdue_and_publish(session, hub, no_contact=no_contact)

    while True:
        await asyncio.sleep(interval)
        for name, job in (("roll-call escalation", escalate), ("overdue check", overdue)):
            try:
                await run_in_threadpool(job)
            except Exception:  # the watch must outlive a failed round (database restarting, ...)
                _log.exception("%s failed; retrying in %s s", name, interval)
