"""One router per resource; :func:`wayhome.api.app.create_app` includes them all."""

from __future__ import annotations

from wayhome.api.routes import (
    access,
    activity,
    hazards,
    health,
    incidents,
    injuries,
    live,
    members,
    positions,
    roll_calls,
    signals,
    teams,
)

__all__ = ["ROUTERS"]

ROUTERS = (
    health.router,
    access.router,
    incidents.router,
    members.router,
    teams.router,
    positions.router,
    hazards.router,
    injuries.router,
    roll_calls.router,
    signals.router,
    activity.router,
    live.router,
)
