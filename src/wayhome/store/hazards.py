"""Hazard zones and entry alerts: at most one alert per member per zone until they leave it.

Each member's presence in each zone is kept in ``hazard_presence``. A position inside a
zone the member is not (yet) inside raises one alert (and an activity-log line); more
positions inside raise nothing; a position outside clears the state, so walking back in
alerts again. Positions are judged in time order; a position older than the one that
last changed the state is ignored (a late replay does not rewrite the present).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wayhome.errors import InvalidParameterError
from wayhome.ops.hazards import HAZARD_KINDS, hazard_polygon, is_in_hazard
from wayhome.store.errors import UnknownRecordError
from wayhome.store.incidents import get_incident, log_activity
from wayhome.store.models import HazardPresence, HazardZone, Member, Position

__all__ = [
    "HazardAlert",
    "add_hazard_zone",
    "get_hazard_zone",
    "list_hazard_zones",
    "track_hazards",
]


@dataclass(frozen=True, slots=True)
class HazardAlert:
    """A member entered a hazard zone at ``position``."""

    zone: HazardZone
    member: Member
    position: Position


def add_hazard_zone(
    session: Session,
    *,
    incident_id: int,
    name: str,
    kind: str,
    geometry: Mapping[str, Any],
    actor: str = "system",
) -> HazardZone:
    """Draw a hazard zone (a GeoJSON polygon in lon/lat) on the incident and log it."""
    get_incident(session, incident_id)
    if kind not in HAZARD_KINDS:
        raise InvalidParameterError(
            f"kind: {kind!r} is not a hazard kind; use one of {', '.join(HAZARD_KINDS)}"
        )
    hazard_polygon(geometry)  # refuses a bad outline before anything is stored
    zone = HazardZone(incident_id=incident_id, name=name, kind=kind, geometry=json.dumps(geometry))
    session.add(zone)
    session.flush()
    log_activity(
        session,
        incident_id=incident_id,
        actor=actor,
        kind="hazard",
        text=f"hazard zone {zone.id} {name!r} ({kind}) drawn",
    )
    session.commit()
    return zone


def get_hazard_zone(session: Session, *, incident_id: int, zone_id: int) -> HazardZone:
    """The zone ``zone_id`` of this incident; :class:`UnknownRecordError` otherwise."""
    zone = session.get(HazardZone, zone_id)
    if zone is None or zone.incident_id != incident_id:
        raise UnknownRecordError(f"hazard zone {zone_id}: no such zone in incident {incident_id}")
    return zone


def list_hazard_zones(session: Session, incident_id: int) -> Sequence[HazardZone]:
    """The incident's hazard zones, oldest first."""
    get_incident(session, incident_id)
    return _zones(session, incident_id)


def _zones(session: Session, incident_id: int) -> Sequence[HazardZone]:
    query = select(HazardZone).where(HazardZone.incident_id == incident_id)
    return session.scalars(query.order_by(HazardZone.id)).all()


def _move(
    session: Session, zone: HazardZone, position: Position, inside: bool, *, when: datetime
) -> bool:
    """Update the member's presence in ``zone``; whether they just entered it."""
    presence = session.get(HazardPresence, (zone.id, position.member_id), with_for_update=True)
    if presence is None:
        if inside:
            session.add(
                HazardPresence(
                    zone_id=zone.id, member_id=position.member_id, inside=True, changed_at=when
                )
            )
            session.flush()
        return inside
    if when < presence.changed_at or presence.inside == inside:
        return False
    presence.inside = inside
    presence.changed_at = when
    return inside


def track_hazards(
    session: Session, *, incident_id: int, positions: Sequence[Position], commit: bool = True
) -> list[HazardAlert]:
    """Check new ``positions`` against the incident's zones; the alerts raised (logged).

    With ``commit=False`` the caller commits (positions and alerts in one transaction).
    The incident is not looked up again: the positions' writer has done that.
    """
    zones = [(z, hazard_polygon(json.loads(z.geometry))) for z in _zones(session, incident_id)]
    alerts: list[HazardAlert] = []
    if not zones:
        return alerts
    for position in sorted(positions, key=lambda p: (p.time, p.member_id)):
        for zone, polygon in zones:
            inside = is_in_hazard(polygon, lon=position.lon, lat=position.lat)
            if not _move(session, zone, position, inside, when=position.time):
                continue
            member = session.get_one(Member, position.member_id)
            log_activity(
                session,
                incident_id=incident_id,
                actor="system",
                kind="hazard",
                text=f"hazard: {member.name} entered {zone.name} ({zone.kind}) "
                f"at {position.time:%H:%M}Z",
            )
            alerts.append(HazardAlert(zone, member, position))
    if commit:
        session.commit()
    return alerts
