"""The watch: roll-call, overdue-team and grant events to live viewers, checked periodically.

:func:`watch_incidents` runs for the app's lifetime (started by its lifespan): every
round it escalates the roll-call answers now due, raises or clears overdue teams, and
warns of grants of leave about to expire and ends those past expiry (with a trespass
alert for anyone still inside), so all happen on time even when nobody asks the server.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from wayhome.api.hub import LiveHub
from wayhome.api.routes.hazards import hazard_alert_public, publish_alerts
from wayhome.api.schemas import (
    GrantChangePublic,
    GrantPublic,
    OverdueChangePublic,
    OverdueTeamPublic,
    RollCallPublic,
)
from wayhome.store import (
    GrantChange,
    OverdueChange,
    check_grants,
    check_overdue,
    escalate_overdue,
    grant_status,
)
from wayhome.store.models import AccessGrant, Incident, RollCall, utc_now

__all__ = [
    "check_grants_and_publish",
    "check_overdue_and_publish",
    "escalate_and_publish",
    "grant_public",
    "publish_grant_change",
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


def grant_public(session: Session, grant: AccessGrant, *, now: datetime) -> GrantPublic:
    """The API view of a grant, with its status at ``now``."""
    incident = session.get_one(Incident, grant.incident_id)
    computed = {
        "activities": [a for a in grant.activities.split(",") if a],
        "status": grant_status(grant, incident=incident, now=now),
    }
    fields = {
        n: computed[n] if n in computed else getattr(grant, n) for n in GrantPublic.model_fields
    }
    return GrantPublic.model_validate(fields)


def publish_grant_change(
    session: Session, hub: LiveHub, change: GrantChange, *, now: datetime
) -> GrantChangePublic:
    """Send ``{"type": "grant", "event": "expiring" | "expired" | "revoked", "grant": {...},
    "jurisdiction_name": ..., "alerts": [...]}``, then each trespass alert it raised as a
    hazard alert (kind ``trespass``)."""
    public = GrantChangePublic.model_validate(
        {
            "event": change.event,
            "grant": grant_public(session, change.grant, now=now),
            "jurisdiction_name": change.jurisdiction.name,
            "alerts": [hazard_alert_public(a) for a in change.alerts],
        }
    )
    hub.publish(change.grant.incident_id, {"type": "grant", **public.model_dump(mode="json")})
    publish_alerts(hub, change.alerts)
    return public


def check_grants_and_publish(
    session: Session,
    hub: LiveHub,
    *,
    warn_before: timedelta,
    now: datetime | None = None,
    incident_id: int | None = None,
) -> list[GrantChangePublic]:
    """Warn of grants expiring within ``warn_before`` and end those past expiry (at ``now``,
    the clock by default); publish each change and its trespass alerts."""
    when = utc_now() if now is None else now
    changes = check_grants(session, now=when, warn_before=warn_before, incident_id=incident_id)
    return [publish_grant_change(session, hub, c, now=when) for c in changes]


async def _run_to_end(job: Callable[[], None]) -> None:
    """Run ``job`` in the thread pool; cancelled meanwhile, wait for it to end first (it holds
    a database session, which must be back before the app disposes of the engine)."""
    running = asyncio.ensure_future(run_in_threadpool(job))
    try:
        await asyncio.shield(running)
    except asyncio.CancelledError:
        await asyncio.wait({running})
        failure = None if running.cancelled() else running.exception()
        if failure is not None:
            _log.warning("the last round failed as the watch stopped", exc_info=failure)
        raise


async def watch_incidents(
    sessions: sessionmaker[Session],
    hub: LiveHub,
    interval: float,
    *,
    no_contact: timedelta,
    grant_warning: timedelta = timedelta(minutes=30),
) -> None:
    """Every ``interval`` seconds, escalate silent roll-call answers, check for overdue
    teams and check grants of leave (warning ``grant_warning`` before expiry); runs until
    cancelled. A failed round is logged and the next one tried."""

    def escalate() -> None:
        with sessions() as session:
            escalate_and_publish(session, hub)

    def overdue() -> None:
        with sessions() as session:
            check_overdue_and_publish(session, hub, no_contact=no_contact)

    def grants() -> None:
        with sessions() as session:
            check_grants_and_publish(session, hub, warn_before=grant_warning)

    jobs = (
        ("roll-call escalation", escalate),
        ("overdue check", overdue),
        ("grant check", grants),
    )
    while True:
        await asyncio.sleep(interval)
        for name, job in jobs:
            try:
                await _run_to_end(job)
            except Exception:  # the watch must outlive a failed round (database restarting, ...)
                _log.exception("%s failed; retrying in %s s", name, interval)
