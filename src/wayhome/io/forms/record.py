"""What the ICS forms print, gathered once from the incident store and the linked plan.

:func:`forms_record` reads the incident through the store's service functions (no SQL
here) and the plan directory through :func:`wayhome.io.plan_dir.read_plan_dir`, and
returns plain frozen values; the form modules only draw them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from wayhome.errors import InvalidParameterError, WayhomeError
from wayhome.io.forms.comms_plan import CommsMedicalPlan
from wayhome.io.plan_dir import PlanState

__all__ = [
    "COMMS_PLAN_FILES",
    "AssignmentInfo",
    "FormsRecord",
    "HazardInfo",
    "InjuryInfo",
    "LogLine",
    "MemberInfo",
    "PeriodInfo",
    "PlaceInfo",
    "SubjectInfo",
    "TeamInfo",
    "forms_record",
]


@dataclass(frozen=True, slots=True)
class PeriodInfo:
    """An operational period: number, times and objectives."""

    number: int
    starts_at: datetime
    ends_at: datetime
    objectives: str


@dataclass(frozen=True, slots=True)
class MemberInfo:
    """A person on the roster as the check-in list and assignment lists show them."""

    id: int
    name: str
    status: str
    qualifications: str
    resource_type: str
    contact: str
    medical_notes: str
    agency: str
    needs_protection: bool
    checked_in_at: datetime | None
    team: str = ""
    leader: bool = False
    march: str | None = None


@dataclass(frozen=True, slots=True)
class TeamInfo:
    """A field team with its members in pair order."""

    id: int
    name: str
    capability: str
    members: tuple[MemberInfo, ...]

    @property
    def leader(self) -> MemberInfo | None:
        """The team leader (the first member when none is marked)."""
        return next(
            (m for m in self.members if m.leader), self.members[0] if self.members else None
        )


@dataclass(frozen=True, slots=True)
class PlaceInfo:
    """A named point: staging, command post, rendezvous, helispot."""

    kind: str
    name: str
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class HazardInfo:
    """A hazard zone (GeoJSON polygon in lon/lat)."""

    name: str
    kind: str
    geometry: BaseGeometry


@dataclass(frozen=True, slots=True)
class InjuryInfo:
    """An injury to a member."""

    member: str
    severity: str
    treatment: str
    time: datetime


@dataclass(frozen=True, slots=True)
class LogLine:
    """One ICS-214 line."""

    time: datetime
    actor: str
    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class SubjectInfo:
    """The lost person, as the briefing needs them."""

    name: str
    category: str
    age: float | None
    description: str
    last_seen_lat: float
    last_seen_lon: float
    last_seen_at: datetime
    status: str
    found_at: datetime | None
    condition: str


@dataclass(frozen=True, slots=True)
class AssignmentInfo:
    """A team's task in the period, with the plan's figures for its segment."""

    id: int
    team: TeamInfo
    segment: str
    status: str
    instructions: str
    rendezvous: PlaceInfo | None
    turnaround_at: datetime | None
    reported_pod: float | None
    #: From the plan's ``assignments.json`` (``None`` when the plan has no such task).
    expected_pod: float | None = None
    resource: str = ""
    sweep_spacing_m: float | None = None
    segment_area_km2: float | None = None
    segment_poa: float | None = None
    travel_h: float | None = None
    search_h: float | None = None
    frequencies: str = ""
    plan_id: str = ""


@dataclass(frozen=True, slots=True, eq=False)
class FormsRecord:
    """Everything the forms of one operational period print."""

    incident_id: int
    incident_name: str
    incident_created_at: datetime
    incident_status: str
    period: PeriodInfo
    periods: tuple[PeriodInfo, ...]
    prepared_at: datetime
    #: ICS position -> name of who holds it (``incident_commander``, ``planning``, ...).
    staff: Mapping[str, str]
    members: tuple[MemberInfo, ...]
    teams: tuple[TeamInfo, ...]
    assignments: tuple[AssignmentInfo, ...]
    places: tuple[PlaceInfo, ...]
    hazards: tuple[HazardInfo, ...]
    injuries: tuple[InjuryInfo, ...]
    subjects: tuple[SubjectInfo, ...]
    #: The activity log lines of this period (the first period also takes earlier lines,
    #: the last one later lines), in order.
    log: tuple[LogLine, ...]
    comms: CommsMedicalPlan = field(default_factory=CommsMedicalPlan)
    plan: PlanState | None = None
    plan_dir: Path | None = None
    #: Why there is no plan (shown on the maps' place), empty when there is one.
    plan_note: str = ""

    def place(self, kind: str) -> PlaceInfo | None:
        """The first place of ``kind``."""
        return next((p for p in self.places if p.kind == kind), None)

    def segment_geometries(self) -> dict[str, BaseGeometry]:
        """Segment id -> polygon in the plan grid's CRS (empty without segments)."""
        if self.plan is None or self.plan.segments is None:
            return {}
        return dict(zip(self.plan.segments.ids, self.plan.segments.polygons(), strict=True))


#: A comms/medical plan in the plan directory under one of these names is used when none
#: is given (see :mod:`wayhome.io.forms.comms_plan`).
COMMS_PLAN_FILES = ("comms-plan.json", "comms-plan.yaml", "comms-plan.yml")

_CHECK_IN = re.compile(r"^(?P<name>.+): pending -> checked_in$")


def _period_info(p: Any) -> PeriodInfo:
    return PeriodInfo(
        number=p.number, starts_at=p.starts_at, ends_at=p.ends_at, objectives=p.objectives
    )


def _plan_tasks(plan: PlanState | None, period: int) -> dict[tuple[str, str], Mapping[str, Any]]:
    """(team, segment) -> the plan's assignment, when the plan is for ``period``."""
    doc = None if plan is None else plan.assignments
    if not doc or int(doc.get("period", -1)) != period:
        return {}
    return {(str(a["team"]), str(a["segment"])): a for a in doc.get("assignments", [])}


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


def forms_record(
    session: Session,
    *,
    incident_id: int,
    period: int,
    comms: CommsMedicalPlan | None = None,
    plan_dir: Path | str | None = None,
    now: datetime | None = None,
) -> FormsRecord:
    """Gather the forms' data for operational period number ``period`` of the incident.

    Parameters
    ----------
    session : Session
        A session on the incident database.
    incident_id : int
        The incident.
    period : int
        The operational period's number (1, 2, ...).
    comms : CommsMedicalPlan, optional
        Radio channels and the medical plan; by default ``comms-plan.json`` (or
        ``.yaml``) in the plan directory, else blank "not recorded" blocks.
    plan_dir : Path or str, optional
        The plan directory for the maps and expected POD; by default the incident's
        linked plan (``Incident.plan_dir``); none linked: the forms say so.
    now : datetime, optional
        The preparation time printed on the forms (default: now).

    Raises
    ------
    UnknownRecordError
        No such incident.
    InvalidParameterError
        No operational period ``period`` (the message lists those there are).
    """
    from wayhome.io.plan_dir import read_plan_dir
    from wayhome.store import (
        get_incident,
        list_activity,
        list_assignments,
        list_hazard_zones,
        list_injuries,
        list_members,
        list_periods,
        list_places,
        list_subjects,
        list_teams,
    )
    from wayhome.store.jurisdictions import list_agencies
    from wayhome.store.users import get_user, list_roles

    incident = get_incident(session, incident_id)
    rows = list(list_periods(session, incident_id))
    numbers = [p.number for p in rows]
    if period not in numbers:
        have = ", ".join(str(n) for n in sorted(numbers)) or "none yet"
        raise InvalidParameterError(
            f"period: incident {incident_id} has no operational period {period} "
            f"(periods: {have}); give one of them"
        )
    rows.sort(key=lambda p: p.number)
    i = [p.number for p in rows].index(period)
    current = rows[i]

    # The plan: the one given, else the linked one; its absence is printed, not raised.
    plan: PlanState | None = None
    note = ""
    where = Path(plan_dir) if plan_dir is not None else None
    if where is None and incident.plan_dir:
        where = Path(incident.plan_dir)
    if where is None:
        note = f"no plan linked to incident {incident_id} (a planner links one)"
    else:
        try:
            plan = read_plan_dir(where)
        except WayhomeError as exc:
            note = f"plan {where} could not be read: {exc}"

    if comms is None and plan is not None and where is not None:
        # A comms/medical plan kept beside the plan serves the API and the CLI alike.
        from wayhome.io.forms.comms_plan import read_comms_plan

        for name in COMMS_PLAN_FILES:
            if (where / name).is_file():
                comms = read_comms_plan(where / name)
                break

    agencies = {a.id: a.name for a in list_agencies(session)}
    checked_in: dict[str, datetime] = {}
    activity = list(list_activity(session, incident_id))
    for line in activity:
        m = _CHECK_IN.match(line.text)
        if line.kind == "check_in" and m and m["name"] not in checked_in:
            checked_in[m["name"]] = line.time
    team_rows = list(list_teams(session, incident_id))
    member_rows = list(list_members(session, incident_id))
    placement: dict[int, tuple[str, bool, str | None]] = {}
    for team in team_rows:
        for tm in team.members:
            placement[tm.member_id] = (team.name, tm.leader, tm.march)

    def member_info(m: Any) -> MemberInfo:
        team, leader, march = placement.get(m.id, ("", False, None))
        return MemberInfo(
            id=m.id,
            name=m.name,
            status=m.status,
            qualifications=m.qualifications,
            resource_type=m.resource_type,
            contact=m.contact,
            medical_notes=m.medical_notes,
            agency=agencies.get(m.agency_id, "") if m.agency_id is not None else "",
            needs_protection=m.needs_protection,
            checked_in_at=checked_in.get(m.name),
            team=team,
            leader=leader,
            march=march,
        )

    members = tuple(member_info(m) for m in member_rows)
    by_id = {m.id: m for m in members}
    teams = tuple(
        TeamInfo(
            id=t.id,
            name=t.name,
            capability=t.capability,
            members=tuple(by_id[tm.member_id] for tm in t.members if tm.member_id in by_id),
        )
        for t in team_rows
    )
    team_by_id = {t.id: t for t in teams}
    places_rows = list(list_places(session, incident_id))
    place_by_id = {
        p.id: PlaceInfo(kind=p.kind, name=p.name, lat=p.lat, lon=p.lon) for p in places_rows
    }
    tasks = _plan_tasks(plan, period)
    assignments = []
    for a in list_assignments(session, incident_id, period_id=current.id):
        team_info = team_by_id[a.team_id]
        task = tasks.get((team_info.name, a.segment), {})
        assignments.append(
            AssignmentInfo(
                id=a.id,
                team=team_info,
                segment=a.segment,
                status=a.status,
                instructions=a.instructions,
                rendezvous=place_by_id.get(a.rendezvous_id) if a.rendezvous_id else None,
                turnaround_at=a.turnaround_at,
                reported_pod=a.reported_pod,
                expected_pod=_opt_float(task.get("expected_pod")),
                resource=str(task.get("resource", "")),
                sweep_spacing_m=_opt_float(task.get("sweep_spacing_m")),
                segment_area_km2=_opt_float(task.get("segment_area_km2")),
                segment_poa=_opt_float(task.get("segment_poa")),
                travel_h=_opt_float(task.get("travel_h")),
                search_h=_opt_float(task.get("search_h")),
                frequencies=str(task.get("frequencies", "")),
                plan_id=str(task.get("assignment", "")),
            )
        )

    # The period's log lines: [start of this period, start of the next).
    lo = None if i == 0 else current.starts_at
    hi = None if i == len(rows) - 1 else rows[i + 1].starts_at
    log = tuple(
        LogLine(time=line.time, actor=line.actor, kind=line.kind, text=line.text)
        for line in activity
        if (lo is None or line.time >= lo) and (hi is None or line.time < hi)
    )

    staff: dict[str, str] = {}
    for role in list_roles(session, incident_id):
        if role.role not in staff:
            staff[role.role] = get_user(session, role.user_id).name
    hazards = tuple(
        HazardInfo(name=z.name, kind=z.kind, geometry=shape(json.loads(z.geometry)))
        for z in list_hazard_zones(session, incident_id)
    )
    injuries = tuple(
        InjuryInfo(
            member=by_id[j.member_id].name if j.member_id in by_id else f"member {j.member_id}",
            severity=j.severity,
            treatment=j.treatment,
            time=j.time,
        )
        for j in list_injuries(session, incident_id)
    )
    subjects = tuple(
        SubjectInfo(
            name=s.name,
            category=s.category,
            age=s.age,
            description=s.description,
            last_seen_lat=s.last_seen_lat,
            last_seen_lon=s.last_seen_lon,
            last_seen_at=s.last_seen_at,
            status=s.status,
            found_at=s.found_at,
            condition=s.condition,
        )
        for s in list_subjects(session, incident_id)
    )
    return FormsRecord(
        incident_id=incident_id,
        incident_name=incident.name,
        # The log's first line is when the incident was opened (in story time, too).
        incident_created_at=activity[0].time if activity else incident.created_at,
        incident_status=incident.status,
        period=_period_info(current),
        periods=tuple(_period_info(p) for p in rows),
        prepared_at=now or datetime.now(UTC),
        staff=staff,
        members=members,
        teams=teams,
        assignments=tuple(assignments),
        places=tuple(place_by_id.values()),
        hazards=hazards,
        injuries=injuries,
        subjects=subjects,
        log=log,
        comms=comms or CommsMedicalPlan(),
        plan=plan,
        plan_dir=where if plan is not None else None,
        plan_note=note,
    )
