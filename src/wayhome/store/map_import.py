"""A shared map (CalTopo GeoJSON, KML, KMZ, GPX) into the incident, all or nothing.

:func:`import_map_features` stores a map someone else drew:

* **clues** (CalTopo ``Clue``, a GPX waypoint typed ``wayhome:clue``) become clues;
* **markers** become places (``markers="places"``, the default) of the kind the marker
  says: wayhome's own ``place_kind``, else a word in its title (*staging*, *rendezvous*
  or *RV*, *command post*, *CP* or *ICP*, *helispot*, *LZ* or *helibase*), else the
  ``place_kind`` given; a marker none of these names is refused. ``markers="clues"``
  makes every marker a clue of kind ``item`` (waypoints a searcher marked on a GPS);
  ``markers="skip"`` leaves them out;
* **areas** become hazard zones only when ``hazard_kind`` is given (a zone's own
  ``hazard_kind``, from a wayhome export, wins);
* assignments, lines, and what wayhome drew from other records (IPP, last-seen points,
  tracks, POA regions) are skipped, each with the reason.

Records already there (the same place, zone or clue) are left as they are, so importing a
file twice stores it once. If any feature is refused nothing is stored, and the error
names every refused feature and the fix.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping, shape
from sqlalchemy.orm import Session

from wayhome.errors import InvalidParameterError
from wayhome.io.exchange.features import RECORD_KEY, MapFeature, MapKind
from wayhome.ops.hazards import HAZARD_KINDS, hazard_polygon
from wayhome.search.clues import BEARING_KINDS, REPORTED_KINDS
from wayhome.store.clues import MAX_CLUE_NOTE
from wayhome.store.hazards import list_hazard_zones
from wayhome.store.incidents import get_incident, log_activity
from wayhome.store.models import Clue, HazardZone, Place
from wayhome.store.places import PLACE_KINDS, list_places

__all__ = ["IMPORT_MARKERS", "MAX_IMPORT_FEATURES", "ImportResult", "import_map_features"]

#: What imported markers become (see the module docstring).
IMPORT_MARKERS = ("places", "clues", "skip")
#: Most features one import may hold.
MAX_IMPORT_FEATURES = 5_000

#: Records wayhome draws from the plan or other tables: exported, never imported.
_DERIVED = {
    "ipp": "the plan's IPP",
    "poa_region": "a POA region (computed from the plan)",
    "subject": "a subject's last-seen point (the subject record holds it)",
    "subject_found": "where a subject was found (the subject record holds it)",
    "track": "a member's GPS track (positions come from the devices)",
    "assignment": "an assignment (made from the plan's segments)",
}
#: Words in a marker's title that say what place it is (checked in this order).
_PLACE_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("command_post", re.compile(r"\b(command post|i?cp)\b", re.IGNORECASE)),
    ("staging", re.compile(r"\bstag(ing|e)\b", re.IGNORECASE)),
    ("rendezvous", re.compile(r"\b(rendezvous|rv|rdv)\b", re.IGNORECASE)),
    ("helispot", re.compile(r"\b(helispot|helibase|helipad|lz)\b", re.IGNORECASE)),
)
#: Namespace of the ids of imported clues (same clue, same incident: same id).
_CLUE_NAMESPACE = uuid.UUID("5b1f3c2e-8a4d-4c1e-9f67-0d2b7e6a9c41")


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import stored (new records only), left as it was, and skipped (with why)."""

    places: tuple[Place, ...]
    clues: tuple[Clue, ...]
    hazard_zones: tuple[HazardZone, ...]
    unchanged: tuple[str, ...]
    skipped: tuple[str, ...]


@dataclass(slots=True)
class _Pending:
    """What an import will store, decided for every feature before anything is written."""

    places: list[Place] = field(default_factory=list)
    clues: list[Clue] = field(default_factory=list)
    zones: list[HazardZone] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    #: What the incident holds already (a feature the same as one of these is unchanged).
    known_places: Sequence[Place] = ()
    known_zones: Sequence[HazardZone] = ()


def _label(i: int, f: MapFeature) -> str:
    return f"{f.kind.value} {i} {f.title!r}"


def _place_kind(f: MapFeature, default: str | None) -> str | None:
    given = f.extra.get("place_kind")
    if given in PLACE_KINDS:
        return given
    for kind, words in _PLACE_WORDS:
        if words.search(f.title):
            return kind
    return default


def _check_name(f: MapFeature, label: str) -> str:
    name = f.title.strip()
    if len(name) > 200:
        raise InvalidParameterError(f"{label}: its title is {len(name)} characters; keep to 200")
    return name


def _add_place(
    session: Session, work: _Pending, incident_id: int, label: str, f: MapFeature, kind: str
) -> None:
    name = _check_name(f, label)
    lon, lat = _lonlat(f)
    for p in (*work.known_places, *work.places):
        if p.kind == kind and p.name == name and _near(p.lat, p.lon, lat, lon):
            work.unchanged.append(f"{label}: the {kind.replace('_', ' ')} is already there")
            return
    work.places.append(Place(incident_id=incident_id, kind=kind, name=name, lat=lat, lon=lon))


def _lonlat(f: MapFeature) -> tuple[float, float]:
    """(lon, lat) of a point feature (clues and markers are points)."""
    (lon, lat), *_ = shapely.get_coordinates(f.geometry).tolist()
    return float(lon), float(lat)


def _near(lat1: float, lon1: float, lat2: float, lon2: float) -> bool:
    """Within about a centimetre (what the exchange formats keep)."""
    return abs(lat1 - lat2) < 2e-7 and abs(lon1 - lon2) < 2e-7


def _clue_time(f: MapFeature, label: str, now: datetime) -> datetime:
    text = f.extra.get("time")
    if not text:
        return now
    try:
        time = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidParameterError(
            f"{label}: time {text!r} is not an ISO 8601 time; fix it or remove it (the import "
            f"time is used)"
        ) from None
    return time if time.tzinfo is not None else time.replace(tzinfo=UTC)


def _clue_bearing(f: MapFeature, kind: str, label: str) -> float | None:
    if kind not in BEARING_KINDS:
        return None
    text = f.extra.get("bearing_deg")
    try:
        bearing = float(text) if text is not None else math.nan
    except ValueError:
        bearing = math.nan
    if not (math.isfinite(bearing) and 0.0 <= bearing < 360.0):
        raise InvalidParameterError(
            f"{label}: a {kind} clue needs its bearing (wayhome:bearing_deg, degrees true in "
            f"[0, 360)); got {text!r}"
        )
    return bearing


def _add_clue(
    session: Session,
    work: _Pending,
    incident_id: int,
    label: str,
    f: MapFeature,
    *,
    kind: str | None,
    now: datetime,
    actor: str,
) -> None:
    kind = kind or f.extra.get("clue_kind") or "item"
    if kind not in REPORTED_KINDS:
        raise InvalidParameterError(
            f"{label}: clue kind {kind!r} is not one of {', '.join(REPORTED_KINDS)}"
        )
    bearing = _clue_bearing(f, kind, label)
    time = _clue_time(f, label, now)
    note = f.description.strip() or f.title.strip()
    if len(note) > MAX_CLUE_NOTE:
        raise InvalidParameterError(
            f"{label}: its description is {len(note)} characters; a clue note keeps "
            f"{MAX_CLUE_NOTE}: shorten it"
        )
    lon, lat = _lonlat(f)
    clue_id = _clue_id(session, incident_id, f, kind, lat, lon, time, note)
    stored = session.get(Clue, clue_id)
    if stored is not None or any(c.id == clue_id for c in work.clues):
        work.unchanged.append(f"{label}: the clue is already there")
        return
    work.clues.append(
        Clue(
            id=clue_id,
            incident_id=incident_id,
            kind=kind,
            lat=lat,
            lon=lon,
            bearing_deg=bearing,
            time=time,
            note=note,
            member_id=None,
            reported_by=actor[:200],
        )
    )


def _clue_id(
    session: Session,
    incident_id: int,
    f: MapFeature,
    kind: str,
    lat: float,
    lon: float,
    time: datetime,
    note: str,
) -> uuid.UUID:
    """The clue's own id when it is a clue of this incident (a re-import), else one made
    from the incident and the content (the same clue imported twice gets the same id)."""
    try:
        own = uuid.UUID(f.extra.get("clue_id", ""))
    except ValueError:
        own = None
    if own is not None:
        stored = session.get(Clue, own)
        if stored is not None and stored.incident_id == incident_id:
            return own
    key = f"{incident_id}|{kind}|{lat:.7f}|{lon:.7f}|{time.astimezone(UTC).isoformat()}|{note}"
    return uuid.uuid5(_CLUE_NAMESPACE, key)


def _add_zones(
    session: Session,
    work: _Pending,
    incident_id: int,
    label: str,
    f: MapFeature,
    default_kind: str,
) -> None:
    kind = f.extra.get("hazard_kind") or default_kind
    if kind not in HAZARD_KINDS:
        raise InvalidParameterError(
            f"{label}: hazard kind {kind!r} is not one of {', '.join(HAZARD_KINDS)}"
        )
    name = _check_name(f, label)
    geom = f.geometry
    parts = list(geom.geoms) if isinstance(geom, MultiPolygon) else [geom]
    for i, part in enumerate(parts, start=1):
        part_name = name if len(parts) == 1 else f"{name[:194]} ({i})"
        outline = mapping(part)
        geometry = {
            "type": "Polygon",
            "coordinates": json.loads(json.dumps(outline["coordinates"])),
        }
        try:
            polygon = hazard_polygon(geometry)
        except InvalidParameterError as exc:
            raise InvalidParameterError(f"{label}: not a hazard zone: {exc}") from None
        if any(
            z.name == part_name and z.kind == kind and _same_outline(z.geometry, polygon)
            for z in (*work.known_zones, *work.zones)
        ):
            work.unchanged.append(f"{label}: the hazard zone {part_name!r} is already there")
            continue
        zone = HazardZone(
            incident_id=incident_id, name=part_name, kind=kind, geometry=json.dumps(geometry)
        )
        work.zones.append(zone)


def _same_outline(text: str, polygon: Polygon) -> bool:
    return bool(shape(json.loads(text)).equals_exact(polygon, 2e-7))


def _decide(
    session: Session,
    work: _Pending,
    incident_id: int,
    i: int,
    f: MapFeature,
    options: Mapping[str, Any],
) -> None:
    """Put feature ``i`` in ``work`` (to store, unchanged or skipped) or raise why not."""
    label = _label(i, f)
    record = f.extra.get(RECORD_KEY, "")
    if record in _DERIVED:
        work.skipped.append(f"{label}: {_DERIVED[record]}")
    elif f.kind is MapKind.ASSIGNMENT:
        work.skipped.append(f"{label}: {_DERIVED['assignment']}")
    elif f.kind is MapKind.LINE:
        work.skipped.append(f"{label}: lines are not stored")
    elif f.kind is MapKind.AREA:
        if options["hazard_kind"] is None:
            work.skipped.append(f"{label}: an area (give hazard_kind to import it as a hazard)")
        else:
            _add_zones(session, work, incident_id, label, f, options["hazard_kind"])
    elif f.kind is MapKind.CLUE or options["markers"] == "clues":
        kind = "item" if f.kind is MapKind.MARKER else None
        _add_clue(
            session, work, incident_id, label, f, kind=kind, now=options["now"],
            actor=options["actor"],
        )  # fmt: skip
    elif options["markers"] == "skip":
        work.skipped.append(f"{label}: a marker (markers=skip)")
    else:
        kind = _place_kind(f, options["place_kind"])
        if kind is None:
            raise InvalidParameterError(
                f"{label}: a marker that names no kind of place; put staging, rendezvous, "
                f"command post or helispot in its title, or give place_kind (or "
                f"markers=clues / markers=skip)"
            )
        _add_place(session, work, incident_id, label, f, kind)


def import_map_features(
    session: Session,
    *,
    incident_id: int,
    features: Sequence[MapFeature],
    source: str,
    markers: str = "places",
    place_kind: str | None = None,
    hazard_kind: str | None = None,
    now: datetime,
    actor: str = "system",
) -> ImportResult:
    """Store the places, clues and (when asked) hazard zones of a shared map, all or nothing.

    Parameters
    ----------
    session : Session
        The unit of work (committed before return when something is stored).
    incident_id : int
        The incident.
    features : sequence of MapFeature
        What :func:`wayhome.io.exchange.read_map` read.
    source : str
        The file's name, for the activity log.
    markers : str
        One of :data:`IMPORT_MARKERS`: markers become ``places`` (default), ``clues``
        (kind ``item``) or are skipped.
    place_kind : str, optional
        The place kind of a marker that names none (one of ``PLACE_KINDS``); without
        it such a marker is refused.
    hazard_kind : str, optional
        Import areas as hazard zones of this kind (unless a zone says its own); without
        it areas are skipped.
    now : datetime
        The time of a clue whose file gives none.
    actor : str
        Who imports, for the activity log.

    Returns
    -------
    ImportResult

    Raises
    ------
    InvalidParameterError
        A bad option, too many features, or any feature refused (a marker naming no
        place kind, a clue without its bearing, an outline that is not a simple
        polygon, ...): every refused feature is named; nothing is stored.
    UnknownRecordError
        No such incident.
    """
    get_incident(session, incident_id)
    if markers not in IMPORT_MARKERS:
        raise InvalidParameterError(
            f"markers: {markers!r} is not one of {', '.join(IMPORT_MARKERS)}"
        )
    if place_kind is not None and place_kind not in PLACE_KINDS:
        raise InvalidParameterError(
            f"place_kind: {place_kind!r} is not one of {', '.join(PLACE_KINDS)}"
        )
    if hazard_kind is not None and hazard_kind not in HAZARD_KINDS:
        raise InvalidParameterError(
            f"hazard_kind: {hazard_kind!r} is not one of {', '.join(HAZARD_KINDS)}"
        )
    if len(features) > MAX_IMPORT_FEATURES:
        raise InvalidParameterError(
            f"import: '{source}' holds {len(features)} features, more than "
            f"{MAX_IMPORT_FEATURES}; split the map"
        )
    if now.tzinfo is None:
        raise InvalidParameterError("now: give a timezone, e.g. 2026-06-01T14:00:00Z")
    options = {
        "markers": markers,
        "place_kind": place_kind,
        "hazard_kind": hazard_kind,
        "now": now,
        "actor": actor,
    }
    work = _Pending(
        known_places=list_places(session, incident_id),
        known_zones=list_hazard_zones(session, incident_id),
    )
    for i, f in enumerate(features, start=1):
        try:
            _decide(session, work, incident_id, i, f, options)
        except InvalidParameterError as exc:
            work.refused.append(str(exc))
    if work.refused:
        shown = "; ".join(work.refused[:10])
        more = f" (and {len(work.refused) - 10} more)" if len(work.refused) > 10 else ""
        raise InvalidParameterError(
            f"import: {len(work.refused)} of {len(features)} features in '{source}' refused, "
            f"nothing imported: {shown}{more}"
        )
    _store(session, work, incident_id, source, actor)
    return ImportResult(
        places=tuple(work.places),
        clues=tuple(work.clues),
        hazard_zones=tuple(work.zones),
        unchanged=tuple(work.unchanged),
        skipped=tuple(work.skipped),
    )


def _store(session: Session, work: _Pending, incident_id: int, source: str, actor: str) -> None:
    """Add everything decided, one activity line each and one for the import; one commit."""
    if not (work.places or work.clues or work.zones):
        return
    session.add_all([*work.places, *work.clues, *work.zones])
    session.flush()
    for p in work.places:
        text = f"{p.kind.replace('_', ' ')} {p.id} {p.name!r} at {p.lat:.5f}, {p.lon:.5f}"
        log_activity(session, incident_id=incident_id, actor=actor, kind="place", text=text)
    for c in work.clues:
        bearing = "" if c.bearing_deg is None else f", bearing {c.bearing_deg:g}°"
        text = f"clue reported ({c.kind}) at {c.lat:.5f}, {c.lon:.5f}{bearing}" + (
            f": {c.note}" if c.note else ""
        )
        log_activity(session, incident_id=incident_id, actor=actor, kind="clue", text=text)
    for z in work.zones:
        text = f"hazard zone {z.id} {z.name!r} ({z.kind}) drawn"
        log_activity(session, incident_id=incident_id, actor=actor, kind="hazard", text=text)
    log_activity(
        session,
        incident_id=incident_id,
        actor=actor,
        kind="import",
        text=f"map imported from {source!r}: {len(work.places)} places, {len(work.clues)} "
        f"clues, {len(work.zones)} hazard zones ({len(work.unchanged)} already there, "
        f"{len(work.skipped)} skipped)",
    )
    try:
        session.commit()
    except BaseException:
        session.rollback()
        raise
