"""What TAK users report, into the incident: their positions and the markers they drop.

* **Positions (PLI)**: a friendly atom (``a-f-...``, e.g. ``a-f-G-U-C``) that is not a
  hand-placed point (``how="h-g-i-g-o"``) is the position of the device ``uid``. The
  device is matched to a member by the configured map (``uid`` -> member id or member
  name), else by its callsign equal to a member's name (case and spaces ignored). It is
  stored with :func:`~wayhome.store.record_positions` under an id derived from the
  incident, ``uid`` and the event time (:func:`position_id`): a TAK server replaying its
  cache, or the same event heard twice, stores nothing new.
* **Markers**: a spot-map marker (``b-m-p-s-m``) becomes a clue
  (:func:`~wayhome.store.clues.record_clue`; kind ``item``, or the first word of the
  remarks when it names a clue kind without a bearing: ``footprint``, ``sighting``), its
  id derived from the incident and the marker's uid. The device that dropped it (``<link
  relation="p-p">``) is the finder when it maps to a member. A marker moved or edited
  later keeps its first report (logged). A waypoint or checkpoint (``b-m-p-w``,
  ``b-m-p-c``) becomes a ``rendezvous`` place, once per name and point.
* **Unknown devices** (no map entry, no member of that name) are logged once per uid and
  ignored: nothing is stored for someone who is not on the roster (check them in, or add
  the uid to the map, and their next report is taken).
* Everything else (chat, pings, our own ``wayhome-`` events, other types) is ignored.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from wayhome.errors import WayhomeError
from wayhome.search.clues import BEARING_KINDS
from wayhome.store import (
    PositionReport,
    add_place,
    list_members,
    list_places,
    record_positions,
)
from wayhome.store.clues import CLUE_KINDS, MAX_CLUE_NOTE, record_clue
from wayhome.tak.cot import CotEvent
from wayhome.tak.picture import OWN_UID_PREFIX

__all__ = ["Ingested", "TakIngest", "clue_id", "position_id"]

_log = logging.getLogger(__name__)

#: Namespace of the ids derived from TAK uids (uuid5).
_NAMESPACE = uuid.UUID("6f1f8f55-3a0b-4a43-9d2e-6a7b8f0c9e21")
_PLACE_TYPES = ("b-m-p-w", "b-m-p-c")
_HAND_PLACED = "h-g-i-g-o"


def position_id(incident_id: int, event: CotEvent) -> uuid.UUID:
    """The position id of a PLI event: the same for the same incident, device and time."""
    return uuid.uuid5(_NAMESPACE, f"pli:{incident_id}:{event.uid}:{event.time.isoformat()}")


def clue_id(incident_id: int, marker_uid: str) -> uuid.UUID:
    """The clue id of a TAK marker: one clue per marker uid and incident."""
    return uuid.uuid5(_NAMESPACE, f"clue:{incident_id}:{marker_uid}")


@dataclass(frozen=True, slots=True)
class Ingested:
    """What one event did: ``kind`` is position, clue, place or ignored; ``created`` is
    ``False`` for a replay or an ignored event."""

    kind: str
    created: bool
    reason: str = ""


class TakIngest:
    """Takes CoT events from TAK into one incident (see the module for the rules).

    Parameters
    ----------
    incident_id : int
        The incident reports go into.
    uid_map : mapping of str to int or str
        TAK device uid -> member id, or member name; others match by callsign.
    actor : str
        Prefix of the activity-log actor (``"TAK <callsign>"``).
    """

    def __init__(
        self,
        *,
        incident_id: int,
        uid_map: Mapping[str, int | str] | None = None,
        actor: str = "TAK",
    ) -> None:
        self.incident_id = incident_id
        self.uid_map = dict(uid_map or {})
        self.actor = actor
        self._unknown: set[str] = set()
        self._warned: set[str] = set()

    def ingest(self, session: Session, event: CotEvent) -> Ingested:
        """Store what ``event`` reports (one unit of work, committed); never raises for a
        report the store refuses: that is logged and the event ignored."""
        if event.uid.startswith(OWN_UID_PREFIX):
            return Ingested("ignored", False, "our own event")
        try:
            if event.type.startswith("a-f-") and event.how != _HAND_PLACED:
                return self._position(session, event)
            if event.type == "b-m-p-s-m":
                return self._clue(session, event)
            if event.type.startswith(_PLACE_TYPES):
                return self._place(session, event)
        except WayhomeError as exc:
            session.rollback()
            self._warn_once(
                f"{event.uid}:{type(exc).__name__}", "TAK %s %s: %s", event.type, event.uid, exc
            )
            return Ingested("ignored", False, str(exc))
        return Ingested("ignored", False, f"type {event.type} is not taken")

    def member_of(self, session: Session, uid: str, callsign: str) -> int | None:
        """The member id of device ``uid`` (by the map, else by callsign), or ``None``."""
        members = list_members(session, self.incident_id)
        mapped = self.uid_map.get(uid)
        if isinstance(mapped, int) and not isinstance(mapped, bool):
            return mapped if any(m.id == mapped for m in members) else None
        wanted = _key(mapped if isinstance(mapped, str) else callsign)
        if not wanted:
            return None
        matches = [m.id for m in members if _key(m.name) == wanted]
        return matches[0] if len(matches) == 1 else None

    def _position(self, session: Session, event: CotEvent) -> Ingested:
        member_id = self.member_of(session, event.uid, event.callsign)
        if member_id is None:
            if event.uid not in self._unknown:
                self._unknown.add(event.uid)
                _log.warning(
                    "TAK device %s (callsign %r) is not on the roster of incident %s: its "
                    "positions are ignored; map its uid to a member or check in a member "
                    "of that name",
                    event.uid,
                    event.callsign,
                    self.incident_id,
                )
            return Ingested("ignored", False, "unknown device")
        report = PositionReport(
            id=position_id(self.incident_id, event),
            member_id=member_id,
            lat=event.lat,
            lon=event.lon,
            time=event.time,
        )
        (recorded,) = record_positions(session, incident_id=self.incident_id, reports=[report])
        return Ingested("position", recorded.created)

    def _clue(self, session: Session, event: CotEvent) -> Ingested:
        words = event.remarks.split(maxsplit=1)
        first = words[0].strip(":,.").lower() if words else ""
        kind = first if first in CLUE_KINDS and first not in BEARING_KINDS else "item"
        note = " - ".join(x for x in (event.callsign, event.remarks) if x)[:MAX_CLUE_NOTE]
        finder = None
        if event.creator_uid:
            finder = self.member_of(session, event.creator_uid, "")
        recorded = record_clue(
            session,
            incident_id=self.incident_id,
            clue_id=clue_id(self.incident_id, event.uid),
            kind=kind,
            lat=event.lat,
            lon=event.lon,
            bearing_deg=None,
            time=event.time,
            note=note,
            member_id=finder,
            actor=f"{self.actor} {event.callsign or event.uid}"[:200],
        )
        return Ingested("clue", recorded.created)

    def _place(self, session: Session, event: CotEvent) -> Ingested:
        name = (event.callsign or event.uid).strip()[:200]
        for place in list_places(session, self.incident_id, kind="rendezvous"):
            if place.name == name and (place.lat, place.lon) == (event.lat, event.lon):
                return Ingested("place", False)
        add_place(
            session,
            incident_id=self.incident_id,
            kind="rendezvous",
            name=name,
            lat=event.lat,
            lon=event.lon,
            actor=f"{self.actor} {event.callsign or event.uid}"[:200],
        )
        return Ingested("place", True)

    def _warn_once(self, key: str, message: str, *args: object) -> None:
        if key not in self._warned:
            self._warned.add(key)
            _log.warning(message, *args)


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()
