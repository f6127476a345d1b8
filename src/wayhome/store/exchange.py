"""The live incident as a shared map for CalTopo, Google Earth and GPS units.

:func:`incident_map` draws the incident as :class:`~wayhome.io.exchange.MapFeature`\\ s:
the linked plan's segments as assignments carrying the *live* status and team from the
assignment table, the clues reported to the server, the named places (staging,
rendezvous, command post, helispot) and each subject's last-seen point as markers, hazard
zones as areas, and (optionally) each member's GPS track as a line; from the plan also
the IPP, clues folded in outside the server, and the 50 % and 95 % POA regions.
:func:`assignment_map` is one team's GPS file: its segment, its meeting place first, the
other places, clues and last-seen points, and the hazard zones. Every feature says in
``extra["record"]`` which record it was drawn from, so an import
(:mod:`wayhome.store.map_import`) knows what it holds.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from shapely.geometry import LineString, Point, shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from wayhome.errors import ConflictError, WayhomeError
from wayhome.io.exchange.features import RECORD_KEY, MapFeature, MapKind
from wayhome.store.assignments import get_assignment, list_assignments
from wayhome.store.clues import list_clues
from wayhome.store.hazards import list_hazard_zones
from wayhome.store.incidents import get_incident
from wayhome.store.models import Assignment, Member, Place, Team, TeamMember
from wayhome.store.periods import list_periods
from wayhome.store.places import list_places
from wayhome.store.plans import plan_dir_of
from wayhome.store.positions import MAX_TRACK_POINTS, last_positions, member_track
from wayhome.store.subjects import list_subjects

__all__ = ["IncidentMap", "assignment_map", "incident_map"]

_PLACE_COLOURS = {
    "staging": "#00AA00",
    "rendezvous": "#FF8800",
    "command_post": "#0000FF",
    "helispot": "#8800FF",
}
_HAZARD_COLOUR = "#CC0000"
_SUBJECT_COLOUR = "#FF00FF"
_TRACK_COLOUR = "#0088FF"


@dataclass(frozen=True, slots=True)
class IncidentMap:
    """A map of the incident, ready for :func:`wayhome.io.exchange.write_map`.

    ``sweeps`` maps an assignment's title to the sweep path (lon, lat) to walk, for GPX;
    ``warnings`` says what could not be drawn and why.
    """

    name: str
    features: tuple[MapFeature, ...]
    sweeps: Mapping[str, Sequence[tuple[float, float]]] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Plan:
    features: list[MapFeature]
    sweeps: dict[str, list[tuple[float, float]]]
    segment_ids: tuple[str, ...]


def _read_plan(session: Session, incident_id: int) -> _Plan:
    """The linked plan's map; ConflictError when none is linked or it cannot be read."""
    from wayhome.io.exchange import features_from_plan, sweeps_from_plan
    from wayhome.io.plan_dir import read_plan_dir

    path = plan_dir_of(session, incident_id)
    try:
        state = read_plan_dir(path)
    except WayhomeError as exc:
        raise ConflictError(
            f"incident {incident_id}'s plan {path} cannot be read ({exc}); link it again"
        ) from exc
    ids = () if state.segments is None else tuple(state.segments.ids)
    return _Plan(features_from_plan(state), sweeps_from_plan(state), ids)


def _assignment_features(
    session: Session, incident_id: int, plan: _Plan
) -> tuple[dict[int, MapFeature], list[str]]:
    """Assignment id → its feature (the plan's segment with the live fields); warnings."""
    outlines = {f.segment: f for f in plan.features if f.kind is MapKind.ASSIGNMENT}
    teams = {t.id: t for t in session.scalars(select(Team).where(Team.incident_id == incident_id))}
    periods = {p.id: p.number for p in list_periods(session, incident_id)}
    out: dict[int, MapFeature] = {}
    warnings: list[str] = []
    for a in list_assignments(session, incident_id):
        outline = outlines.get(a.segment)
        if outline is None:
            warnings.append(
                f"assignment {a.id}: segment {a.segment!r} is not in the linked plan's "
                f"segments; left off the map"
            )
            continue
        team = teams[a.team_id]
        extra = {
            **outline.extra,
            RECORD_KEY: "assignment",
            "assignment_id": str(a.id),
            **_optional(
                period=periods.get(a.period_id) if a.period_id is not None else None,
                turnaround_at=a.turnaround_at,
                started_at=a.started_at,
                completed_at=a.completed_at,
                reported_pod=a.reported_pod,
            ),
        }
        out[a.id] = replace(
            outline,
            title=f"{a.segment} {team.name}",
            description=a.instructions or outline.description,
            number=str(a.id),
            status=a.status,
            team=team.name,
            resource_type=_team_resource(session, team.id),
            extra=extra,
        )
    return out, warnings


def _optional(**values: object) -> dict[str, str]:
    """The values that are set, as text (times in ISO 8601)."""
    out: dict[str, str] = {}
    for key, value in values.items():
        if isinstance(value, datetime):
            out[key] = value.astimezone(UTC).isoformat()
        elif value is not None:
            out[key] = f"{value:g}" if isinstance(value, float) else str(value)
    return out


def _team_resource(session: Session, team_id: int) -> str | None:
    """The resource most of the team's members are (``ground``, ``dog``, ...)."""
    query = (
        select(Member.resource_type)
        .join(TeamMember, TeamMember.member_id == Member.id)
        .where(TeamMember.team_id == team_id)
    )
    kinds = Counter(k for k in session.scalars(query) if k)
    return kinds.most_common(1)[0][0] if kinds else None


def _latest_per_segment(by_id: Mapping[int, MapFeature]) -> list[MapFeature]:
    """One feature per segment: its newest assignment, earlier ones noted in ``extra``."""
    newest: dict[str, int] = {}
    earlier: dict[str, list[str]] = {}
    for a_id in sorted(by_id):
        f = by_id[a_id]
        seg = f.segment or ""
        if seg in newest:
            old = by_id[newest[seg]]
            earlier.setdefault(seg, []).append(f"#{old.number} {old.team} {old.status}")
        newest[seg] = a_id
    out = []
    for seg, a_id in newest.items():
        f = by_id[a_id]
        if seg in earlier:
            f = replace(f, extra={**f.extra, "earlier": "; ".join(earlier[seg])})
        out.append(f)
    return out


def _place_feature(p: Place, *, role: str = "") -> MapFeature:
    words = p.kind.replace("_", " ")
    return MapFeature(
        MapKind.MARKER,
        p.name,
        Point(p.lon, p.lat),
        f"{role}{words}" if role else words.capitalize(),
        color=_PLACE_COLOURS.get(p.kind),
        extra={RECORD_KEY: "place", "place_kind": p.kind, "place_id": str(p.id)},
    )


def _clue_features(session: Session, incident_id: int) -> list[MapFeature]:
    names = {
        m.id: m.name
        for m in session.scalars(select(Member).where(Member.incident_id == incident_id))
    }
    out = []
    for i, c in enumerate(list_clues(session, incident_id), start=1):
        words = c.kind.replace("_", " ")
        extra = {
            RECORD_KEY: "clue",
            "clue_id": str(c.id),
            "clue_kind": c.kind,
            "time": c.time.astimezone(UTC).isoformat(),
            "reported_by": c.reported_by,
            **_optional(
                bearing_deg=c.bearing_deg,
                evidence_id=c.evidence_id,
                found_by=names.get(c.member_id) if c.member_id is not None else None,
            ),
        }
        title = f"{c.evidence_id} {words}" if c.evidence_id else f"Clue {i} {words}"
        out.append(MapFeature(MapKind.CLUE, title, Point(c.lon, c.lat), c.note, extra=extra))
    return out


def _subject_features(session: Session, incident_id: int) -> list[MapFeature]:
    out = []
    for s in list_subjects(session, incident_id):
        seen = s.last_seen_at.astimezone(UTC)
        out.append(
            MapFeature(
                MapKind.MARKER,
                f"LKP {s.name}",
                Point(s.last_seen_lon, s.last_seen_lat),
                f"{s.name} last seen {seen:%Y-%m-%d %H:%M}Z"
                + (f": {s.description}" if s.description else ""),
                color=_SUBJECT_COLOUR,
                extra={
                    RECORD_KEY: "subject",
                    "subject_status": s.status,
                    "last_seen_at": seen.isoformat(),
                },
            )
        )
        if s.found_lat is not None and s.found_lon is not None:
            out.append(
                MapFeature(
                    MapKind.MARKER,
                    f"Found {s.name}",
                    Point(s.found_lon, s.found_lat),
                    s.condition,
                    color=_SUBJECT_COLOUR,
                    extra={RECORD_KEY: "subject_found", **_optional(found_at=s.found_at)},
                )
            )
    return out


def _hazard_features(session: Session, incident_id: int) -> list[MapFeature]:
    return [
        MapFeature(
            MapKind.AREA,
            z.name,
            shape(json.loads(z.geometry)),
            f"Hazard: {z.kind.replace('_', ' ')}",
            color=_HAZARD_COLOUR,
            extra={RECORD_KEY: "hazard", "hazard_kind": z.kind, "hazard_id": str(z.id)},
        )
        for z in list_hazard_zones(session, incident_id)
    ]


def _track_features(session: Session, incident_id: int, points: int) -> list[MapFeature]:
    out = []
    for last in last_positions(session, incident_id):
        member = session.get_one(Member, last.member_id)
        track = member_track(session, incident_id=incident_id, member_id=member.id, limit=points)
        if len(track) < 2:
            continue
        out.append(
            MapFeature(
                MapKind.LINE,
                f"Track {member.name}",
                LineString([(p.lon, p.lat) for p in track]),
                f"{len(track)} positions",
                color=_TRACK_COLOUR,
                extra={
                    RECORD_KEY: "track",
                    "member_id": str(member.id),
                    **_optional(start=track[0].time, end=track[-1].time),
                },
            )
        )
    return out


def incident_map(
    session: Session,
    incident_id: int,
    *,
    tracks: bool = False,
    track_points: int = MAX_TRACK_POINTS,
) -> IncidentMap:
    """The live incident as a shared map (see the module docstring for what it holds).

    Parameters
    ----------
    session : Session
        Read only.
    incident_id : int
        The incident.
    tracks : bool
        Add each member's GPS track as a line (their first ``track_points`` positions).
    track_points : int
        At most this many positions per track.

    Returns
    -------
    IncidentMap
        Without a readable linked plan there are no segments: the assignments are left
        off and a warning says why; the records of the incident are drawn all the same.

    Raises
    ------
    UnknownRecordError
        No such incident.
    """
    incident = get_incident(session, incident_id)
    warnings: list[str] = []
    try:
        plan: _Plan | None = _read_plan(session, incident_id)
    except ConflictError as exc:  # no plan (yet, or gone): the record is drawn all the same
        plan = None
        warnings.append(f"{exc}; segments and assignments are left off the map")
    features: list[MapFeature] = []
    sweeps: dict[str, list[tuple[float, float]]] = {}
    clues = _clue_features(session, incident_id)
    if plan is not None:
        by_id, missing = _assignment_features(session, incident_id, plan)
        warnings += missing
        live = {f.segment: f for f in _latest_per_segment(by_id)}
        applied = {f.extra.get("evidence_id") for f in clues} - {None}
        for f in plan.features:
            if f.kind is MapKind.ASSIGNMENT and f.segment in live:
                f = live[f.segment]
            if f.kind is MapKind.CLUE and f.extra.get("evidence_id") in applied:
                continue  # the server's own record of it is drawn below
            features.append(f)
            if f.kind is MapKind.ASSIGNMENT and f.segment in plan.sweeps:
                sweeps[f.title] = plan.sweeps[f.segment]
    features += _subject_features(session, incident_id)
    features += [_place_feature(p) for p in list_places(session, incident_id)]
    features += clues
    features += _hazard_features(session, incident_id)
    if tracks:
        features += _track_features(session, incident_id, track_points)
    return IncidentMap(
        name=f"{incident.name} (incident {incident_id})",
        features=tuple(features),
        sweeps=sweeps,
        warnings=tuple(warnings),
    )


def assignment_map(session: Session, *, incident_id: int, assignment_id: int) -> IncidentMap:
    """One team's GPS file: the assignment's segment (and sweep path), its meeting place
    first, the other places, the subjects' last-seen points, clues and hazard zones.

    Raises
    ------
    UnknownRecordError
        No such incident or assignment.
    ConflictError
        No plan is linked, or the assignment's segment is not one of its segments.
    """
    assignment: Assignment = get_assignment(
        session, incident_id=incident_id, assignment_id=assignment_id
    )
    plan = _read_plan(session, incident_id)
    by_id, _ = _assignment_features(session, incident_id, plan)
    feature = by_id.get(assignment_id)
    if feature is None:
        known = ", ".join(plan.segment_ids[:20]) or "none"
        raise ConflictError(
            f"assignment {assignment_id}: segment {assignment.segment!r} is not in the linked "
            f"plan's segments ({known}); link the plan that holds it"
        )
    places = list(list_places(session, incident_id))
    meet = [p for p in places if p.id == assignment.rendezvous_id]
    others = [p for p in places if p.id != assignment.rendezvous_id]
    features = [
        feature,
        *(_place_feature(p, role="Meet here: ") for p in meet),
        *(_place_feature(p) for p in others),
        *_subject_features(session, incident_id),
        *_clue_features(session, incident_id),
        *_hazard_features(session, incident_id),
    ]
    sweep = plan.sweeps.get(assignment.segment)
    return IncidentMap(
        name=feature.title,
        features=tuple(features),
        sweeps={feature.title: sweep} if sweep else {},
    )
