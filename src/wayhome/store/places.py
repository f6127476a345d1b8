"""Named points of an incident: staging areas, rendezvous points, command posts, helispots."""

from __future__ import annotations

import math
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from wayhome.errors import InvalidLocationError, InvalidParameterError
from wayhome.store.errors import UnknownRecordError
from wayhome.store.incidents import get_incident, log_activity
from wayhome.store.models import Place

__all__ = ["PLACE_KINDS", "add_place", "get_place", "list_places"]

#: Kinds of named places; teams meet at a ``rendezvous`` or a ``staging`` area.
PLACE_KINDS = ("staging", "rendezvous", "command_post", "helispot")


def _check_kind(kind: str) -> None:
    if kind not in PLACE_KINDS:
        raise InvalidParameterError(
            f"kind: {kind!r} is not a place kind; use one of {', '.join(PLACE_KINDS)}"
        )


def add_place(
    session: Session,
    *,
    incident_id: int,
    kind: str,
    name: str,
    lat: float,
    lon: float,
    actor: str = "system",
) -> Place:
    """Mark a named place (WGS 84 degrees) on the incident and log it."""
    get_incident(session, incident_id)
    _check_kind(kind)
    if not name.strip() or len(name.strip()) > 200:
        raise InvalidParameterError(
            "name: give the place a name of 1-200 characters, e.g. 'Trailhead lot'"
        )
    if not (math.isfinite(lat) and -90 <= lat <= 90):
        raise InvalidLocationError(
            f"lat: {lat} is outside -90..90; give degrees north (are lat and lon swapped?)"
        )
    if not (math.isfinite(lon) and -180 <= lon <= 180):
        raise InvalidLocationError(f"lon: {lon} is outside -180..180; give degrees east")
    place = Place(incident_id=incident_id, kind=kind, name=name.strip(), lat=lat, lon=lon)
    session.add(place)
    session.flush()
    log_activity(
        session,
        incident_id=incident_id,
        actor=actor,
        kind="place",
        text=f"{kind.replace('_', ' ')} {place.id} {place.name!r} at {lat:.5f}, {lon:.5f}",
    )
    session.commit()
    return place


def list_places(session: Session, incident_id: int, kind: str | None = None) -> Sequence[Place]:
    """The incident's places (only those of ``kind`` when given) in the order they were added."""
    get_incident(session, incident_id)
    query = select(Place).where(Place.incident_id == incident_id)
    if kind is not None:
        _check_kind(kind)
        query = query.where(Place.kind == kind)
    return session.scalars(query.order_by(Place.id)).all()


def get_place(session: Session, *, incident_id: int, place_id: int) -> Place:
    """The place ``place_id`` of this incident; :class:`UnknownRecordError` otherwise."""
    place = session.get(Place, place_id)
    if place is None or place.incident_id != incident_id:
        raise UnknownRecordError(f"place {place_id}: no such place in incident {incident_id}")
    return place
