"""The incident picture as CoT items: what the bridge publishes to TAK.

One call, :func:`picture_items`, reads the store and returns frozen values: each member's
last position (:class:`~wayhome.tak.cot.Pli`, callsign the member's name and team), each
open assignment's segment polygon from the linked plan directory's ``segments.geojson``
and each hazard zone (:class:`~wayhome.tak.cot.Shape`), each clue and each missing
subject's last-seen point (:class:`~wayhome.tak.cot.Marker`). Every uid starts with
:data:`OWN_UID_PREFIX` and the incident id, so the bridge never ingests its own events and
two incidents never collide. Equal values mean nothing changed: the bridge resends only
what changed (and everything now and then, before TAK marks it stale).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from wayhome.errors import ConflictError
from wayhome.store import (
    last_positions,
    list_assignments,
    list_hazard_zones,
    list_members,
    list_subjects,
    list_teams,
    plan_dir_of,
)
from wayhome.store.clues import list_clues
from wayhome.tak.cot import Marker, Pli, Shape

__all__ = ["OWN_UID_PREFIX", "picture_items"]

_log = logging.getLogger(__name__)

#: Every uid wayhome publishes starts with this; events with it are never ingested.
OWN_UID_PREFIX = "wayhome-"

#: Assignments in these states are drawn; completed and aborted ones are not.
_OPEN_ASSIGNMENTS = ("planned", "in_progress")
_BLUE, _BLUE_FILL = -16776961, 0x300000FF
_RED, _RED_FILL = -65536, 0x40FF0000
_YELLOW = -256
#: segments.geojson files larger than this are not read (a plan's are a few hundred kB).
_MAX_SEGMENTS_BYTES = 50 * 1024 * 1024


def picture_items(session: Session, incident_id: int) -> list[Pli | Shape | Marker]:
    """Everything of the incident that TAK users should see, as CoT items (see the module).

    Raises
    ------
    UnknownRecordError
        No such incident.
    """
    prefix = f"{OWN_UID_PREFIX}{incident_id}-"
    items: list[Pli | Shape | Marker] = []
    items += _positions(session, incident_id, prefix)
    items += _assignments(session, incident_id, prefix)
    items += _hazards(session, incident_id, prefix)
    items += _clues(session, incident_id, prefix)
    items += _subjects(session, incident_id, prefix)
    return items


def _positions(session: Session, incident_id: int, prefix: str) -> Iterator[Pli]:
    members = {m.id: m for m in list_members(session, incident_id)}
    team_of: dict[int, tuple[str, bool]] = {}
    for team in list_teams(session, incident_id):
        for place in team.members:
            team_of[place.member_id] = (team.name, place.leader)
    for position in last_positions(session, incident_id):
        member = members.get(position.member_id)
        if member is None:
            continue
        team_name, leader = team_of.get(member.id, ("", False))
        yield Pli(
            uid=f"{prefix}member-{member.id}",
            callsign=f"{member.name} ({team_name})" if team_name else member.name,
            lat=position.lat,
            lon=position.lon,
            time=position.time,
            remarks=f"{team_name}: {member.name}" if team_name else member.name,
            role="Team Lead" if leader else "Team Member",
        )


def _assignments(session: Session, incident_id: int, prefix: str) -> Iterator[Shape]:
    assignments = [
        a for a in list_assignments(session, incident_id) if a.status in _OPEN_ASSIGNMENTS
    ]
    if not assignments:
        return
    try:
        plan_dir = plan_dir_of(session, incident_id)
    except ConflictError as exc:
        _log.info("TAK: assignments not drawn: %s", exc)
        return
    segments = _segment_rings(plan_dir / "segments.geojson")
    teams = {t.id: t.name for t in list_teams(session, incident_id)}
    for assignment in assignments:
        rings = segments.get(assignment.segment)
        if not rings:
            _log.info(
                "TAK: assignment %s: segment %r is not in %s/segments.geojson",
                assignment.id,
                assignment.segment,
                plan_dir,
            )
            continue
        team = teams.get(assignment.team_id, f"team {assignment.team_id}")
        remarks = f"{assignment.status}; {assignment.instructions}".strip("; ")
        for index, ring in enumerate(rings):
            suffix = f"-{index + 1}" if len(rings) > 1 else ""
            yield Shape(
                uid=f"{prefix}assignment-{assignment.id}{suffix}",
                callsign=f"{assignment.segment}: {team}",
                ring=ring,
                remarks=remarks,
                stroke=_BLUE,
                fill=_BLUE_FILL,
            )


def _segment_rings(path: Path) -> dict[str, list[tuple[tuple[float, float], ...]]]:
    """Segment id -> outer rings as ``(lat, lon)``; an unreadable file gives none (logged)."""
    try:
        if path.stat().st_size > _MAX_SEGMENTS_BYTES:
            _log.warning("TAK: %s is too large to draw", path)
            return {}
        data: Any = json.loads(path.read_bytes())
        features = data["features"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        _log.warning("TAK: segments not drawn: %s: %s", path, exc)
        return {}
    out: dict[str, list[tuple[tuple[float, float], ...]]] = {}
    for feature in features if isinstance(features, list) else []:
        try:
            segment_id = str(feature["properties"]["id"])
            rings = list(_outer_rings(feature["geometry"]))
        except (KeyError, TypeError, ValueError, IndexError):
            continue
        if rings:
            out[segment_id] = rings
    return out


def _outer_rings(geometry: Any) -> Iterator[tuple[tuple[float, float], ...]]:
    """The outer ring of a GeoJSON Polygon, or of each part of a MultiPolygon (lat, lon)."""
    kind = geometry["type"]
    polygons = [geometry["coordinates"]] if kind == "Polygon" else []
    if kind == "MultiPolygon":
        polygons = list(geometry["coordinates"])
    for polygon in polygons:
        ring = tuple((float(p[1]), float(p[0])) for p in polygon[0])
        if len(ring) >= 3:
            yield ring


def _hazards(session: Session, incident_id: int, prefix: str) -> Iterator[Shape]:
    for zone in list_hazard_zones(session, incident_id):
        try:
            rings = list(_outer_rings(json.loads(zone.geometry)))
        except (KeyError, TypeError, ValueError, IndexError):
            continue
        for index, ring in enumerate(rings):
            suffix = f"-{index + 1}" if len(rings) > 1 else ""
            yield Shape(
                uid=f"{prefix}hazard-{zone.id}{suffix}",
                callsign=f"Hazard: {zone.name}",
                ring=ring,
                remarks=zone.kind.replace("_", " "),
                stroke=_RED,
                fill=_RED_FILL,
            )


def _clues(session: Session, incident_id: int, prefix: str) -> Iterator[Marker]:
    for clue in list_clues(session, incident_id):
        note = f"{clue.kind}: {clue.note}".strip(": ")
        yield Marker(
            uid=f"{prefix}clue-{clue.id}",
            callsign=f"Clue: {clue.kind.replace('_', ' ')}",
            lat=clue.lat,
            lon=clue.lon,
            remarks=f"{note} (reported by {clue.reported_by})",
            color=_YELLOW,
        )


def _subjects(session: Session, incident_id: int, prefix: str) -> Iterator[Marker]:
    for subject in list_subjects(session, incident_id):
        if subject.status != "missing":
            continue
        seen = f"last seen {subject.last_seen_at:%Y-%m-%d %H:%MZ}"
        yield Marker(
            uid=f"{prefix}subject-{subject.id}",
            callsign=f"LKP: {subject.name}",
            lat=subject.last_seen_lat,
            lon=subject.last_seen_lon,
            remarks=f"{seen}; {subject.description}" if subject.description else seen,
            color=_RED,
        )
