"""Agencies, their jurisdictions, leave to operate there (grants) and trespass alerts.

An agency owns or manages jurisdictions (GeoJSON polygons in lon/lat). During an incident
the owner gives another agency, a team or a member leave to operate in one of them for
some activities (:data:`~wayhome.access.jurisdictions.ACTIVITIES`), from a time until a
time or until the incident closes, on conditions; the incident commander records it
(:func:`grant_access`) and may revoke it at once (:func:`revoke_grant`).

A grant covers a member when it names the member, a team they are in, or their agency;
it is valid at a time when it has started, has not expired or been revoked, and the
incident is open. A member of the owning agency needs no grant. A member needs leave for
``dogs`` when they are a dog team, else for ``foot``.

Leave is checked when a team is assigned to an area (:func:`check_team_leave`, called by
:func:`~wayhome.store.assignments.create_assignment`) and on every new position
(:func:`track_jurisdictions`): a member inside a jurisdiction without leave raises one
trespass alert, like a hazard-zone entry (kind ``trespass``). The state is kept in
``jurisdiction_presence`` (``inside``: inside without leave, alerted); walking out, or a
grant arriving, clears it. When a grant expires (:func:`check_grants`, run by the watch)
or is revoked, the members it covered who are inside by their last position are alerted
at once. Every change to grants writes an activity-log line in the same commit.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPoint, MultiPolygon, Polygon, box
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from wayhome.access.jurisdictions import ACTIVITIES, activity_for, area_shape, check_activities
from wayhome.errors import AccessDeniedError, ConflictError, InvalidParameterError
from wayhome.store.errors import GrantRequiredError, UnknownRecordError
from wayhome.store.hazards import HazardAlert
from wayhome.store.incidents import get_incident, log_activity
from wayhome.store.models import (
    AccessGrant,
    Agency,
    HazardZone,
    Incident,
    Jurisdiction,
    JurisdictionPresence,
    LastPosition,
    Member,
    Place,
    Position,
    Subject,
    Team,
    TeamMember,
)
from wayhome.store.roster import get_member, get_team

__all__ = [
    "AGENCY_KINDS",
    "GRANT_STATUSES",
    "GrantChange",
    "LeaveGap",
    "TrespassAlert",
    "add_agency",
    "add_jurisdiction",
    "check_grants",
    "check_team_leave",
    "get_agency",
    "get_grant",
    "get_jurisdiction",
    "grant_access",
    "grant_status",
    "incident_jurisdictions",
    "list_agencies",
    "list_grants",
    "list_jurisdictions",
    "revoke_grant",
    "track_jurisdictions",
    "valid_grants_for",
]

#: Kinds of agency: who they are to a search.
AGENCY_KINDS = (
    "sar_team",
    "law_enforcement",
    "land_manager",
    "tribal_nation",
    "private_landowner",
    "other",
)

#: What :func:`grant_status` tells: not started, valid, past its expiry, revoked, or ended
#: with the incident.
GRANT_STATUSES = ("pending", "active", "expired", "revoked", "ended")

#: The longest name and contact the store keeps.
_NAME_LENGTH = 200


@dataclass(frozen=True, slots=True)
class TrespassAlert(HazardAlert):
    """A member inside a jurisdiction without leave, by their ``position``.

    ``zone`` is a stand-in never stored (kind ``trespass``, the jurisdiction's id and name),
    so the alert travels the hazard-alert path unchanged. ``reason`` says why now:
    ``"entered without leave"``, ``"grant 3 expired"``, ``"grant 3 revoked"``.
    """

    jurisdiction: Jurisdiction
    agency: Agency
    reason: str


@dataclass(frozen=True, slots=True)
class GrantChange:
    """A grant that is about to expire, has expired or was revoked, and the trespass
    alerts it raised (members inside whose leave just ended)."""

    event: str
    grant: AccessGrant
    jurisdiction: Jurisdiction
    alerts: tuple[TrespassAlert, ...] = ()


@dataclass(frozen=True, slots=True)
class LeaveGap:
    """Members of a team without valid leave in a jurisdiction an area touches."""

    jurisdiction: Jurisdiction
    agency: Agency
    members: tuple[Member, ...]


# ---------------------------------------------------------------------------- helpers
def _aware(name: str, time: datetime) -> None:
    if time.tzinfo is None or time.utcoffset() is None:
        raise InvalidParameterError(f"{name}: give a timezone (e.g. 2026-06-01T18:00:00Z)")


def _stamp(time: datetime) -> str:
    return f"{time.astimezone(UTC):%Y-%m-%d %H:%M}Z"


def _clock(time: datetime) -> str:
    return f"{time.astimezone(UTC):%H:%M}Z"


def _text(name: str, value: str, *, required: bool = True) -> str:
    value = value.strip()
    if required and not value:
        raise InvalidParameterError(f"{name}: give one (1-{_NAME_LENGTH} characters)")
    if len(value) > _NAME_LENGTH:
        raise InvalidParameterError(f"{name}: at most {_NAME_LENGTH} characters")
    return value


def _contact(jurisdiction: Jurisdiction, agency: Agency) -> str:
    return jurisdiction.contact or agency.contact or "no contact on file"


@lru_cache(maxsize=256)
def _prepared(geometry: str) -> Polygon | MultiPolygon:
    """The prepared outline of a stored geometry (JSON text); built once per outline.

    The prepared index is warmed with one query here, so threads sharing it only read it.
    """
    outline = area_shape(json.loads(geometry))
    shapely.prepare(outline)
    shapely.intersects_xy(outline, 0.0, 0.0)
    return outline


def _outlines(session: Session) -> list[tuple[Jurisdiction, Polygon | MultiPolygon]]:
    """Every jurisdiction with its prepared outline, oldest first."""
    rows = session.scalars(select(Jurisdiction).order_by(Jurisdiction.id)).all()
    return [(j, _prepared(j.geometry)) for j in rows]


def _agencies(session: Session, ids: Iterable[int]) -> dict[int, Agency]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {a.id: a for a in session.scalars(select(Agency).where(Agency.id.in_(wanted)))}


def _activities(grant: AccessGrant) -> tuple[str, ...]:
    return tuple(a for a in grant.activities.split(",") if a)


def _is_valid(grant: AccessGrant, incident: Incident, when: datetime) -> bool:
    return (
        incident.status != "closed"
        and grant.starts_at <= when
        and (grant.expires_at is None or when < grant.expires_at)
        and (grant.revoked_at is None or when < grant.revoked_at)
    )


def _covers(grant: AccessGrant, member: Member, team_ids: Collection[int]) -> bool:
    if grant.member_id is not None:
        return grant.member_id == member.id
    if grant.team_id is not None:
        return grant.team_id in team_ids
    return grant.agency_id is not None and grant.agency_id == member.agency_id


@dataclass(frozen=True, slots=True)
class _Leave:
    """An incident's grants in some jurisdictions and the members' teams: judges leave
    for many positions without more queries."""

    incident: Incident
    grants: Mapping[int, Sequence[AccessGrant]]
    teams: Mapping[int, frozenset[int]]

    def valid(
        self, member: Member, jurisdiction_id: int, activity: str, when: datetime
    ) -> list[AccessGrant]:
        teams = self.teams.get(member.id, frozenset())
        return [
            g
            for g in self.grants.get(jurisdiction_id, ())
            if activity in _activities(g)
            and _covers(g, member, teams)
            and _is_valid(g, self.incident, when)
        ]

    def holds(self, member: Member, jurisdiction: Jurisdiction, when: datetime) -> bool:
        """Whether ``member`` may be in ``jurisdiction`` at ``when`` (owner or grant)."""
        if member.agency_id is not None and member.agency_id == jurisdiction.agency_id:
            return True
        activity = activity_for(member.resource_type)
        return bool(self.valid(member, jurisdiction.id, activity, when))


def _leave(
    session: Session,
    incident_id: int,
    member_ids: Collection[int],
    jurisdiction_ids: Collection[int],
) -> _Leave:
    incident = get_incident(session, incident_id)
    grants: dict[int, list[AccessGrant]] = defaultdict(list)
    if jurisdiction_ids:
        query = select(AccessGrant).where(
            AccessGrant.incident_id == incident_id,
            AccessGrant.jurisdiction_id.in_(set(jurisdiction_ids)),
        )
        for grant in session.scalars(query.order_by(AccessGrant.id)):
            grants[grant.jurisdiction_id].append(grant)
    teams: dict[int, set[int]] = defaultdict(set)
    if member_ids:
        rows = session.execute(
            select(TeamMember.member_id, TeamMember.team_id).where(
                TeamMember.member_id.in_(set(member_ids))
            )
        )
        for member_id, team_id in rows:
            teams[member_id].add(team_id)
    return _Leave(incident, grants, {m: frozenset(t) for m, t in teams.items()})


def _trespass(
    session: Session,
    *,
    jurisdiction: Jurisdiction,
    agency: Agency,
    member: Member,
    position: Position,
    reason: str,
) -> TrespassAlert:
    """Log a trespass and make its alert."""
    log_activity(
        session,
        incident_id=member.incident_id,
        actor="system",
        kind="trespass",
        text=f"trespass: {member.name} in {jurisdiction.name} (owner {agency.name}, contact "
        f"{_contact(jurisdiction, agency)}) without leave: {reason}, "
        f"position at {_clock(position.time)}",
    )
    zone = HazardZone(
        id=jurisdiction.id,
        incident_id=member.incident_id,
        name=jurisdiction.name,
        kind="trespass",
        geometry=jurisdiction.geometry,
    )
    return TrespassAlert(zone, member, position, jurisdiction, agency, reason)


# ---------------------------------------------------------------------------- agencies
def add_agency(session: Session, *, name: str, kind: str = "other", contact: str = "") -> Agency:
    """Add an agency (a SAR team, a county, a national forest, a landowner, ...).

    Agencies belong to the install, not to one incident, so no incident log records this.
    """
    name = _text("name", name)
    if kind not in AGENCY_KINDS:
        raise InvalidParameterError(
            f"kind: {kind!r} is not an agency kind; use one of {', '.join(AGENCY_KINDS)}"
        )
    contact = _text("contact", contact, required=False)
    taken = session.scalar(select(Agency).where(Agency.name == name))
    if taken is not None:
        raise ConflictError(f"name: agency {name!r} exists (id {taken.id}); use it")
    agency = Agency(name=name, kind=kind, contact=contact)
    session.add(agency)
    session.commit()
    return agency


def get_agency(session: Session, agency_id: int) -> Agency:
    """The agency ``agency_id``; :class:`UnknownRecordError` when there is none."""
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise UnknownRecordError(f"agency {agency_id}: no such agency; add it first")
    return agency


def list_agencies(session: Session) -> Sequence[Agency]:
    """Every agency, in the order they were added."""
    return session.scalars(select(Agency).order_by(Agency.id)).all()


# ---------------------------------------------------------------------------- jurisdictions
def add_jurisdiction(
    session: Session,
    *,
    agency_id: int,
    name: str,
    geometry: Mapping[str, Any],
    contact: str = "",
) -> Jurisdiction:
    """Add land that ``agency_id`` owns or manages: a GeoJSON (Multi)Polygon in lon/lat.

    ``contact`` is who to call about leave there (the agency's contact when empty). The
    outline must be valid (no crossing lines) and in lon/lat range; read one from a file
    with :func:`wayhome.io.jurisdictions.read_jurisdictions`.
    """
    agency = get_agency(session, agency_id)
    name = _text("name", name)
    contact = _text("contact", contact, required=False)
    area_shape(geometry)
    jurisdiction = Jurisdiction(
        agency_id=agency.id, name=name, contact=contact, geometry=json.dumps(geometry)
    )
    session.add(jurisdiction)
    session.commit()
    return jurisdiction


def get_jurisdiction(session: Session, jurisdiction_id: int) -> Jurisdiction:
    """The jurisdiction ``jurisdiction_id``; :class:`UnknownRecordError` when there is none."""
    jurisdiction = session.get(Jurisdiction, jurisdiction_id)
    if jurisdiction is None:
        raise UnknownRecordError(
            f"jurisdiction {jurisdiction_id}: no such jurisdiction; add it first"
        )
    return jurisdiction


def list_jurisdictions(session: Session, *, agency_id: int | None = None) -> Sequence[Jurisdiction]:
    """Every jurisdiction (of one agency), in the order they were added."""
    query = select(Jurisdiction)
    if agency_id is not None:
        get_agency(session, agency_id)
        query = query.where(Jurisdiction.agency_id == agency_id)
    return session.scalars(query.order_by(Jurisdiction.id)).all()


def _bbox(bbox: Sequence[float]) -> Polygon:
    if len(bbox) != 4 or not all(math.isfinite(v) for v in bbox):
        raise InvalidParameterError(
            "bbox: give four numbers: min lon, min lat, max lon, max lat (e.g. "
            "-84.32,36.52,-84.25,36.57)"
        )
    west, south, east, north = bbox
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise InvalidParameterError(
            f"bbox: {west},{south},{east},{north} is not min lon, min lat, max lon, max lat "
            "in range with min < max (lat and lon swapped?)"
        )
    return box(west, south, east, north)


def incident_jurisdictions(
    session: Session, *, incident_id: int, bbox: Sequence[float] | None = None
) -> list[Jurisdiction]:
    """The jurisdictions the incident's search touches, oldest first.

    With ``bbox`` (min lon, min lat, max lon, max lat): those intersecting it. Without:
    those holding a point the incident knows (a subject's last-seen point, a place, a
    member's last position) or named by one of its grants.
    """
    get_incident(session, incident_id)
    outlines = _outlines(session)
    if bbox is not None:
        area = _bbox(bbox)
        return [j for j, outline in outlines if outline.intersects(area)]
    seen = select(Subject.last_seen_lon, Subject.last_seen_lat).where(
        Subject.incident_id == incident_id
    )
    places = select(Place.lon, Place.lat).where(Place.incident_id == incident_id)
    last = (
        select(Position.lon, Position.lat)
        .join(LastPosition, LastPosition.position_id == Position.id)
        .where(LastPosition.incident_id == incident_id)
    )
    points = [(lon, lat) for query in (seen, places, last) for lon, lat in session.execute(query)]
    granted = set(
        session.scalars(
            select(AccessGrant.jurisdiction_id).where(AccessGrant.incident_id == incident_id)
        )
    )
    here = MultiPoint(points) if points else None
    return [
        j
        for j, outline in outlines
        if j.id in granted or (here is not None and outline.intersects(here))
    ]


# ---------------------------------------------------------------------------- grants
def _grantee(
    session: Session,
    *,
    incident_id: int,
    jurisdiction: Jurisdiction,
    agency_id: int | None,
    team_id: int | None,
    member_id: int | None,
) -> str:
    """Check the grantee (exactly one); how the log names them."""
    given = [v for v in (agency_id, team_id, member_id) if v is not None]
    if len(given) != 1:
        raise InvalidParameterError(
            f"grantee: give exactly one of agency_id, team_id or member_id (got {len(given)})"
        )
    if agency_id is not None:
        agency = get_agency(session, agency_id)
        if agency.id == jurisdiction.agency_id:
            raise InvalidParameterError(
                f"agency_id: {agency.name} owns {jurisdiction.name}; its members need no grant"
            )
        return f"agency {agency.name}"
    if team_id is not None:
        return f"team {get_team(session, incident_id=incident_id, team_id=team_id).name}"
    return get_member(session, incident_id=incident_id, member_id=given[0]).name


def _check_period(
    starts_at: datetime, expires_at: datetime | None, until_incident_closes: bool
) -> None:
    _aware("starts_at", starts_at)
    if expires_at is not None and until_incident_closes:
        raise InvalidParameterError(
            "expires_at: give a time or until_incident_closes=true, not both"
        )
    if expires_at is None and not until_incident_closes:
        raise InvalidParameterError(
            "expires_at: give when the leave ends, or until_incident_closes=true"
        )
    if expires_at is not None:
        _aware("expires_at", expires_at)
        if expires_at <= starts_at:
            raise InvalidParameterError(
                f"expires_at: {_stamp(expires_at)} is not after starts_at {_stamp(starts_at)}"
            )


def grant_access(
    session: Session,
    *,
    incident_id: int,
    jurisdiction_id: int,
    activities: Iterable[str],
    starts_at: datetime,
    granted_by: str,
    agency_id: int | None = None,
    team_id: int | None = None,
    member_id: int | None = None,
    expires_at: datetime | None = None,
    until_incident_closes: bool = False,
    conditions: str = "",
    actor: str = "system",
) -> AccessGrant:
    """Record leave the owner of a jurisdiction gave for this incident; logged.

    The grantee is exactly one of ``agency_id``, ``team_id`` or ``member_id`` (not the
    owner itself); the leave lasts from ``starts_at`` until ``expires_at``, or until the
    incident closes (``until_incident_closes=True``): exactly one of the two.
    ``granted_by`` is who gave it for the owner, as they said it.
    """
    incident = get_incident(session, incident_id)
    if incident.status == "closed":
        raise ConflictError(f"incident {incident_id} is closed; it takes no more grants")
    jurisdiction = get_jurisdiction(session, jurisdiction_id)
    owner = get_agency(session, jurisdiction.agency_id)
    who = _grantee(
        session,
        incident_id=incident_id,
        jurisdiction=jurisdiction,
        agency_id=agency_id,
        team_id=team_id,
        member_id=member_id,
    )
    allowed = check_activities(activities)
    _check_period(starts_at, expires_at, until_incident_closes)
    granted_by = _text("granted_by", granted_by)
    grant = AccessGrant(
        incident_id=incident_id,
        jurisdiction_id=jurisdiction.id,
        agency_id=agency_id,
        team_id=team_id,
        member_id=member_id,
        activities=",".join(allowed),
        starts_at=starts_at,
        expires_at=expires_at,
        until_incident_closes=until_incident_closes,
        conditions=conditions.strip(),
        granted_by=granted_by,
    )
    session.add(grant)
    session.flush()
    until = "the incident closes" if expires_at is None else _stamp(expires_at)
    text = (
        f"grant {grant.id}: {owner.name} gives {who} leave in {jurisdiction.name} for "
        f"{', '.join(allowed)} from {_stamp(starts_at)} until {until} (given by {granted_by})"
    )
    if grant.conditions:
        text += f"; conditions: {grant.conditions}"
    log_activity(session, incident_id=incident_id, actor=actor, kind="access", text=text)
    session.commit()
    return grant


def get_grant(session: Session, *, incident_id: int, grant_id: int) -> AccessGrant:
    """The grant ``grant_id`` of this incident; :class:`UnknownRecordError` otherwise."""
    grant = session.get(AccessGrant, grant_id)
    if grant is None or grant.incident_id != incident_id:
        raise UnknownRecordError(f"grant {grant_id}: no such grant in incident {incident_id}")
    return grant


def list_grants(
    session: Session, incident_id: int, *, jurisdiction_id: int | None = None
) -> Sequence[AccessGrant]:
    """The incident's grants (in one jurisdiction), in the order they were recorded."""
    get_incident(session, incident_id)
    query = select(AccessGrant).where(AccessGrant.incident_id == incident_id)
    if jurisdiction_id is not None:
        query = query.where(AccessGrant.jurisdiction_id == jurisdiction_id)
    return session.scalars(query.order_by(AccessGrant.id)).all()


def grant_status(grant: AccessGrant, *, incident: Incident, now: datetime) -> str:
    """One of :data:`GRANT_STATUSES` for ``grant`` at ``now``."""
    if grant.revoked_at is not None and grant.revoked_at <= now:
        return "revoked"
    if incident.status == "closed":
        return "ended"
    if grant.expires_at is not None and grant.expires_at <= now:
        return "expired"
    return "active" if grant.starts_at <= now else "pending"


def valid_grants_for(
    session: Session,
    *,
    incident_id: int,
    member_id: int,
    jurisdiction_id: int,
    activity: str,
    now: datetime,
) -> list[AccessGrant]:
    """The grants giving ``member_id`` leave for ``activity`` in the jurisdiction at ``now``.

    A grant covers the member when it names them, a team they are in, or their agency;
    it is valid when started, not expired, not revoked, and the incident is open. (A
    member of the owning agency needs none: the list may be empty for them.)
    """
    if activity not in ACTIVITIES:
        raise InvalidParameterError(
            f"activity: {activity!r} is not an activity; use one of {', '.join(ACTIVITIES)}"
        )
    _aware("now", now)
    member = get_member(session, incident_id=incident_id, member_id=member_id)
    get_jurisdiction(session, jurisdiction_id)
    leave = _leave(session, incident_id, [member.id], [jurisdiction_id])
    return leave.valid(member, jurisdiction_id, activity, now)


def _gap_text(gap: LeaveGap) -> str:
    names = ", ".join(f"{m.name} ({activity_for(m.resource_type)})" for m in gap.members)
    return (
        f"{gap.jurisdiction.name}, owned by {gap.agency.name} (contact: "
        f"{_contact(gap.jurisdiction, gap.agency)}): no valid grant for {names}"
    )


def check_team_leave(
    session: Session,
    *,
    incident_id: int,
    team: Team,
    area: Mapping[str, Any],
    now: datetime,
    override: str = "",
    may_override: bool = False,
) -> list[LeaveGap]:
    """Whether every member of ``team`` may work in ``area`` (GeoJSON, lon/lat) at ``now``.

    Each jurisdiction the area intersects needs, for each member, a valid grant for the
    member's activity (``dogs`` for a dog team, else ``foot``), unless their agency owns
    it. Returns the gaps an ``override`` (its reason) lets through; ``[]`` when none.

    Raises
    ------
    GrantRequiredError
        Gaps and no override; the message names each jurisdiction, its owner and
        contact, and the members without leave.
    AccessDeniedError
        Gaps and an override from someone who may not override (``may_override``: only
        the incident commander may).
    """
    _aware("now", now)
    outline = area_shape(area, field="area")
    touched = [(j, o) for j, o in _outlines(session) if o.intersects(outline)]
    if not touched:
        return []
    member_ids = [tm.member_id for tm in team.members]
    members = session.scalars(select(Member).where(Member.id.in_(member_ids)).order_by(Member.id))
    roster = list(members)
    leave = _leave(session, incident_id, member_ids, [j.id for j, _ in touched])
    agencies = _agencies(session, (j.agency_id for j, _ in touched))
    gaps = [
        LeaveGap(j, agencies[j.agency_id], tuple(m for m in roster if not leave.holds(m, j, now)))
        for j, _ in touched
    ]
    gaps = [g for g in gaps if g.members]
    if not gaps:
        return []
    found = "; and ".join(_gap_text(g) for g in gaps)
    if not override.strip():
        raise GrantRequiredError(
            f"area: team {team.name} may not work there: {found}; record the owner's grant "
            "first, or the incident commander may assign with an override (its reason)",
            jurisdiction_ids=tuple(g.jurisdiction.id for g in gaps),
            member_ids=tuple(sorted({m.id for g in gaps for m in g.members})),
        )
    if not may_override:
        raise AccessDeniedError(
            f"override: only the incident commander may assign without leave ({found}); "
            "ask them, or record the owner's grant first"
        )
    return gaps


# ---------------------------------------------------------------------------- trespass
def track_jurisdictions(
    session: Session,
    *,
    incident_id: int,
    positions: Sequence[Position],
    now: datetime | None = None,
) -> list[TrespassAlert]:
    """Check new ``positions`` for members inside a jurisdiction without leave; the alerts.

    Leave is judged at each position's time (not later than ``now`` when given). One
    alert per stay without leave; positions are judged in time order and one older than
    the last change is ignored. The caller commits (positions and alerts in one
    transaction). The jurisdictions are read once and their outlines prepared once.
    """
    if not positions:
        return []
    outlines = _outlines(session)
    if not outlines:
        return []
    ordered = sorted(positions, key=lambda p: (p.time, p.member_id))
    lons = np.fromiter((p.lon for p in ordered), dtype=np.float64, count=len(ordered))
    lats = np.fromiter((p.lat for p in ordered), dtype=np.float64, count=len(ordered))
    inside = {j.id: shapely.intersects_xy(o, lons, lats) for j, o in outlines}
    member_ids = {p.member_id for p in ordered}
    states = {
        (s.jurisdiction_id, s.member_id): s
        for s in session.scalars(
            select(JurisdictionPresence)
            .where(JurisdictionPresence.member_id.in_(member_ids))
            .with_for_update()
        )
    }
    held = {key[0] for key, s in states.items() if s.inside}
    relevant = [j for j, _ in outlines if inside[j.id].any() or j.id in held]
    if not relevant:
        return []
    members = {m.id: m for m in session.scalars(select(Member).where(Member.id.in_(member_ids)))}
    leave = _leave(session, incident_id, member_ids, [j.id for j in relevant])
    agencies = _agencies(session, (j.agency_id for j in relevant))
    alerts: list[TrespassAlert] = []
    for index, position in enumerate(ordered):
        member = members[position.member_id]
        when = position.time if now is None else min(position.time, now)
        for j in relevant:
            here = bool(inside[j.id][index])
            state = states.get((j.id, member.id))
            if state is None and not here:
                continue
            trespassing = here and not leave.holds(member, j, when)
            if state is None:
                state = JurisdictionPresence(
                    jurisdiction_id=j.id,
                    member_id=member.id,
                    inside=False,
                    changed_at=position.time,
                )
                session.add(state)
                states[(j.id, member.id)] = state
            elif position.time < state.changed_at or state.inside == trespassing:
                continue
            state.inside = trespassing
            state.changed_at = position.time
            if trespassing:
                alerts.append(
                    _trespass(
                        session,
                        jurisdiction=j,
                        agency=agencies[j.agency_id],
                        member=member,
                        position=position,
                        reason="entered without leave",
                    )
                )
    session.flush()
    return alerts


def _covered_members(session: Session, grant: AccessGrant) -> list[Member]:
    """The incident's members ``grant`` covers, by id."""
    query = select(Member).where(Member.incident_id == grant.incident_id)
    if grant.member_id is not None:
        query = query.where(Member.id == grant.member_id)
    elif grant.team_id is not None:
        team = select(TeamMember.member_id).where(TeamMember.team_id == grant.team_id)
        query = query.where(Member.id.in_(team))
    else:
        query = query.where(Member.agency_id == grant.agency_id)
    return list(session.scalars(query.order_by(Member.id)))


def _leave_ended(
    session: Session, grant: AccessGrant, *, now: datetime, reason: str
) -> tuple[Jurisdiction, tuple[TrespassAlert, ...]]:
    """Alert for the members ``grant`` covered who are inside by their last position and
    hold no other leave at ``now``."""
    jurisdiction = get_jurisdiction(session, grant.jurisdiction_id)
    members = {m.id: m for m in _covered_members(session, grant)}
    if not members:
        return jurisdiction, ()
    outline = _prepared(jurisdiction.geometry)
    last = session.scalars(
        select(Position)
        .join(LastPosition, LastPosition.position_id == Position.id)
        .where(
            LastPosition.incident_id == grant.incident_id,
            LastPosition.member_id.in_(list(members)),
        )
        .order_by(Position.member_id)
    ).all()
    inside = [p for p in last if shapely.intersects_xy(outline, p.lon, p.lat)]
    if not inside:
        return jurisdiction, ()
    agency = get_agency(session, jurisdiction.agency_id)
    leave = _leave(session, grant.incident_id, [p.member_id for p in inside], [jurisdiction.id])
    alerts: list[TrespassAlert] = []
    for position in inside:
        member = members[position.member_id]
        if leave.holds(member, jurisdiction, now):
            continue
        key = (jurisdiction.id, member.id)
        state = session.get(JurisdictionPresence, key, with_for_update=True)
        if state is not None and state.inside:
            continue  # already alerted for this stay
        if state is None:
            state = JurisdictionPresence(
                jurisdiction_id=jurisdiction.id, member_id=member.id, changed_at=position.time
            )
            session.add(state)
        state.inside = True
        state.changed_at = max(state.changed_at, position.time)
        alerts.append(
            _trespass(
                session,
                jurisdiction=jurisdiction,
                agency=agency,
                member=member,
                position=position,
                reason=reason,
            )
        )
    return jurisdiction, tuple(alerts)


def revoke_grant(
    session: Session, *, incident_id: int, grant_id: int, now: datetime, actor: str = "system"
) -> GrantChange:
    """Revoke a grant at ``now`` (the owner withdrew leave); logged.

    Members it covered who are inside the jurisdiction (by their last position) and hold
    no other leave raise a trespass alert at once. Revoking twice is a
    :class:`~wayhome.errors.ConflictError`.
    """
    _aware("now", now)
    grant = get_grant(session, incident_id=incident_id, grant_id=grant_id)
    if grant.revoked_at is not None:
        raise ConflictError(
            f"grant {grant_id}: already revoked at {_stamp(grant.revoked_at)} by {grant.revoked_by}"
        )
    grant.revoked_at = now
    grant.revoked_by = actor
    jurisdiction = get_jurisdiction(session, grant.jurisdiction_id)
    log_activity(
        session,
        incident_id=incident_id,
        actor=actor,
        kind="access",
        text=f"grant {grant.id} in {jurisdiction.name} revoked at {_stamp(now)}",
    )
    session.flush()
    _, alerts = _leave_ended(session, grant, now=now, reason=f"grant {grant.id} revoked")
    session.commit()
    return GrantChange("revoked", grant, jurisdiction, alerts)


def check_grants(
    session: Session, *, now: datetime, warn_before: timedelta, incident_id: int | None = None
) -> list[GrantChange]:
    """Warn of grants expiring within ``warn_before`` and end those past expiry; logged.

    Each grant is warned of once (``warned_at``) and reported expired once
    (``expired_alerted_at``); on expiry the members it covered who are inside the
    jurisdiction and hold no other leave raise a trespass alert. Only open incidents (or
    ``incident_id``) are checked; grants lasting until the incident closes never expire.
    """
    _aware("now", now)
    if warn_before < timedelta(0):
        raise InvalidParameterError(f"warn_before: {warn_before} is negative; give 0 or more")
    query = (
        select(AccessGrant)
        .join(Incident, Incident.id == AccessGrant.incident_id)
        .where(
            Incident.status == "open",
            AccessGrant.revoked_at.is_(None),
            AccessGrant.expires_at.is_not(None),
            AccessGrant.expired_alerted_at.is_(None),
            AccessGrant.expires_at <= now + warn_before,
            or_(AccessGrant.warned_at.is_(None), AccessGrant.expires_at <= now),
        )
    )
    if incident_id is not None:
        get_incident(session, incident_id)
        query = query.where(AccessGrant.incident_id == incident_id)
    grants = session.scalars(
        query.order_by(AccessGrant.expires_at, AccessGrant.id).with_for_update(of=AccessGrant)
    ).all()
    changes: list[GrantChange] = []
    for grant in grants:
        expires_at = grant.expires_at
        if expires_at is None:  # not selected; for the type checker
            continue
        if expires_at <= now:
            grant.expired_alerted_at = now
            event, text = "expired", f"expired at {_stamp(expires_at)}"
        else:
            grant.warned_at = now
            minutes = math.ceil((expires_at - now).total_seconds() / 60)
            event, text = "expiring", f"expires at {_stamp(expires_at)} (in {minutes} min)"
        jurisdiction = get_jurisdiction(session, grant.jurisdiction_id)
        log_activity(
            session,
            incident_id=grant.incident_id,
            actor="system",
            kind="access",
            text=f"grant {grant.id} in {jurisdiction.name} {text}",
        )
        alerts: tuple[TrespassAlert, ...] = ()
        if event == "expired":
            session.flush()
            _, alerts = _leave_ended(session, grant, now=now, reason=f"grant {grant.id} expired")
        changes.append(GrantChange(event, grant, jurisdiction, alerts))
    session.commit()
    return changes
