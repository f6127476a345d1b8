"""One router per resource; :func:`wayhome.api.app.create_app` includes them all."""

from __future__ import annotations

from wayhome.api.routes import (
    access,
    activity,
    assignments,
    clues,
    credentials,
    exchange,
    forms,
    hazards,
    health,
    incidents,
    injuries,
    jurisdictions,
    live,
    map,
    members,
    overdue,
    periods,
    places,
    positions,
    roll_calls,
    rotation,
    signals,
    subjects,
    teams,
)

__all__ = ["ROUTERS"]

ROUTERS = (
    health.router,
    access.router,
    incidents.router,
    members.router,
    teams.router,
    places.router,
    periods.router,
    exchange.router,  # before assignments: /assignments/{id}.gpx must match first
    assignments.router,
    positions.router,
    hazards.router,
    injuries.router,
    clues.router,
    map.router,
    roll_calls.router,
    overdue.router,
    rotation.router,
    signals.router,
    subjects.router,
    jurisdictions.router,
    credentials.router,
    activity.router,
    forms.router,
    live.router,
)
