"""Assignments: a team sent to search one segment, from planned to completed or aborted.

The status moves ``planned`` → ``in_progress`` → ``completed``, and ``planned`` or
``in_progress`` → ``aborted``; nothing else. Starting an assignment sets the team's
checked-in members to ``assigned``; completing or aborting it sets them back to
``checked_in`` (unless they are out on another assignment still in progress). A team
works one assignment at a time. Completing clears the team's overdue mark. Every change
writes an activity-log line in the same commit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wayhome.errors import ConflictError, InvalidParameterError
from wayhome.store.errors import UnknownRecordError
from wayhome.store.incidents import get_incident, log_activity
from wayhome.store.jurisdictions import LeaveGap, check_team_leave
from wayhome.store.models import Assignment, Member, Place, Team, TeamMember, utc_now
from wayhome.store.periods import get_period
from wayhome.store.places import get_place
from wayhome.store.roster import get_team

__all__ = [
    "ASSIGNMENT_STATUSES",
    "create_assignment",
    "get_assignment",
    "list_assignments",
    "set_assignment_status",
]

#: An assignment's statuses, in the order it usually goes through them.
ASSIGNMENT_STATUSES = ("planned", "in_progress", "completed", "aborted")

#: Where each status may go next.
_NEXT: dict[str, tuple[str, ...]] = {
    "planned": ("in_progress", "aborted"),
    "in_progress": ("completed", "aborted"),
    "completed": (),
    "aborted": (),
}

#: Kinds of place where a team may be told to meet.
_MEETING_KINDS = ("rendezvous", "staging")

#: The longest segment id the store keeps.
_SEGMENT_LENGTH = 50


def _aware(name: str, time: datetime) -> None:
    if time.tzinfo is None or time.utcoffset() is None:
        raise InvalidParameterError(f"{name}: give a timezone (e.g. 2026-06-01T18:00:00Z)")


def _clock(time: datetime) -> str:
    return f"{time.astimezone(UTC):%H:%M}Z"


def _meeting_place(session: Session, *, incident_id: int, place_id: int) -> Place:
    place = get_place(session, incident_id=incident_id, place_id=place_id)
    if place.kind not in _MEETING_KINDS:
        raise InvalidParameterError(
            f"rendezvous_id: place {place_id} {place.name!r} is a {place.kind}; "
            f"give a place of kind {' or '.join(_MEETING_KINDS)}"
        )
    return place


def create_assignment(
    session: Session,
    *,
    incident_id: int,
    team_id: int,
    segment: str,
    period_id: int | None = None,
    instructions: str = "",
    rendezvous_id: int | None = None,
    turnaround_at: datetime | None = None,
    area: Mapping[str, Any] | None = None,
    override: str = "",
    may_override: bool = False,
    now: datetime | None = None,
    actor: str = "system",
) -> Assignment:
    """Plan an assignment: ``team_id`` searches ``segment``; logged, status ``planned``.

    The team, the period and the rendezvous point must belong to the incident; the
    rendezvous point is a place of kind ``rendezvous`` or ``staging``.

    With ``area`` (the segment's GeoJSON outline, lon/lat), every member of the team must
    hold leave at ``now`` (the clock by default) in each jurisdiction the area touches
    (:func:`~wayhome.store.jurisdictions.check_team_leave`), else
    :class:`~wayhome.store.errors.GrantRequiredError`; an ``override`` (its reason) from
    an actor who ``may_override`` (the incident commander) assigns anyway and is logged.
    """
    get_incident(session, incident_id)
    segment = segment.strip()
    if not segment or len(segment) > _SEGMENT_LENGTH:
        raise InvalidParameterError(
            f"segment: give the plan's segment id (1-{_SEGMENT_LENGTH} characters), e.g. 'A3'"
        )
    if turnaround_at is not None:
        _aware("turnaround_at", turnaround_at)
    team = get_team(session, incident_id=incident_id, team_id=team_id)
    period = None
    if period_id is not None:
        period = get_period(session, incident_id=incident_id, period_id=period_id)
    place = None
    if rendezvous_id is not None:
        place = _meeting_place(session, incident_id=incident_id, place_id=rendezvous_id)
    gaps: list[LeaveGap] = []
    if area is not None:
        gaps = check_team_leave(
            session,
            incident_id=incident_id,
            team=team,
            area=area,
            now=utc_now() if now is None else now,
            override=override,
            may_override=may_override,
        )
    assignment = Assignment(
        incident_id=incident_id,
        period_id=period_id,
        team_id=team_id,
        segment=segment,
        status="planned",
        instructions=instructions.strip(),
        rendezvous_id=rendezvous_id,
        turnaround_at=turnaround_at,
        grant_override=override.strip() if gaps else "",
    )
    session.add(assignment)
    session.flush()
    text = f"assignment {assignment.id}: team {team.name} to segment {segment}"
    if period is not None:
        text += f" in period {period.number}"
    if place is not None:
        text += f", rendezvous {place.name}"
    if turnaround_at is not None:
        text += f", turn around at {_clock(turnaround_at)}"
    log_activity(session, incident_id=incident_id, actor=actor, kind="assignment", text=text)
    if gaps:
        without = "; ".join(
            f"{g.jurisdiction.name} ({g.agency.name}): {', '.join(m.name for m in g.members)}"
            for g in gaps
        )
        log_activity(
            session,
            incident_id=incident_id,
            actor=actor,
            kind="access",
            text=f"override by {actor}: {assignment.grant_override}; assignment {assignment.id} "
            f"without leave in {without}",
        )
    session.commit()
    return assignment


def _check_pod(status: str, reported_pod: float | None) -> None:
    if reported_pod is None:
        return
    if status != "completed":
        raise InvalidParameterError(
            f"reported_pod: given with status {status!r}; report it when completing "
            "(status 'completed')"
        )
    if not (math.isfinite(reported_pod) and 0 <= reported_pod <= 1):
        raise InvalidParameterError(
            f"reported_pod: {reported_pod} is not a probability; give 0..1 (0.6 for 60 %)"
        )


def set_assignment_status(
    session: Session,
    *,
    incident_id: int,
    assignment_id: int,
    status: str,
    now: datetime,
    reported_pod: float | None = None,
    actor: str = "system",
) -> Assignment:
    """Move an assignment on (start, complete, abort); members' statuses follow; logged.

    Raises :class:`~wayhome.errors.ConflictError` for a move the current status does not
    allow (the message names both and the allowed moves) and for starting while the team
    has another assignment in progress. ``reported_pod`` (0..1) is the team's own
    estimate, given on completion.
    """
    if status not in ASSIGNMENT_STATUSES:
        raise InvalidParameterError(
            f"status: {status!r} is not an assignment status; "
            f"use one of {', '.join(ASSIGNMENT_STATUSES)}"
        )
    _check_pod(status, reported_pod)
    _aware("now", now)
    assignment = get_assignment(session, incident_id=incident_id, assignment_id=assignment_id)
    current = assignment.status
    allowed = _NEXT[current]
    if status not in allowed:
        where = f"it may go to {' or '.join(allowed)}" if allowed else "it is finished"
        raise ConflictError(
            f"status: assignment {assignment_id} is {current}; {where}, not {status}"
        )
    team = get_team(session, incident_id=incident_id, team_id=assignment.team_id)
    if status == "in_progress":
        _check_team_free(session, team, assignment)
        assignment.started_at = now
    text = f"assignment {assignment_id} (team {team.name}, segment {assignment.segment}): "
    text += f"{current} -> {status}"
    if status == "completed":
        assignment.completed_at = now
        assignment.reported_pod = reported_pod
        if reported_pod is not None:
            text += f"; reported POD {reported_pod:.0%}"
        if team.overdue_since is not None:
            text += "; team no longer overdue"
        team.overdue_since = None
    assignment.status = status
    log_activity(session, incident_id=incident_id, actor=actor, kind="assignment", text=text)
    _move_members(session, team=team, assignment=assignment, actor=actor)
    session.commit()
    return assignment


def _check_team_free(session: Session, team: Team, assignment: Assignment) -> None:
    # Lock the team's row (PostgreSQL) so two starts for one team cannot both pass.
    session.execute(select(Team.id).where(Team.id == team.id).with_for_update())
    busy = session.scalar(
        select(Assignment).where(
            Assignment.team_id == team.id,
            Assignment.status == "in_progress",
            Assignment.id != assignment.id,
        )
    )
    if busy is not None:
        raise ConflictError(
            f"status: team {team.name} is already on assignment {busy.id} (segment "
            f"{busy.segment}), in progress; complete or abort it first"
        )


def _move_members(session: Session, *, team: Team, assignment: Assignment, actor: str) -> None:
    """Checked-in members go out when it starts and come back when it ends."""
    ids = [tm.member_id for tm in team.members]
    if assignment.status == "in_progress":
        old, new, keep = "checked_in", "assigned", set[int]()
    else:
        # Someone also on another assignment still in progress stays assigned.
        old, new = "assigned", "checked_in"
        elsewhere = (
            select(TeamMember.member_id)
            .join(Assignment, Assignment.team_id == TeamMember.team_id)
            .where(
                TeamMember.member_id.in_(ids),
                Assignment.status == "in_progress",
                Assignment.id != assignment.id,
            )
        )
        keep = set(session.scalars(elsewhere))
    query = select(Member).where(Member.id.in_(ids), Member.status == old).order_by(Member.id)
    for member in session.scalars(query):
        if member.id in keep:
            continue
        log_activity(
            session,
            incident_id=assignment.incident_id,
            actor=actor,
            kind="check_in",
            text=f"{member.name}: {old} -> {new}",
        )
        member.status = new


def list_assignments(
    session: Session,
    incident_id: int,
    team_id: int | None = None,
    period_id: int | None = None,
) -> Sequence[Assignment]:
    """The incident's assignments (of one team, of one period) in the order they were made."""
    get_incident(session, incident_id)
    query = select(Assignment).where(Assignment.incident_id == incident_id)
    if team_id is not None:
        get_team(session, incident_id=incident_id, team_id=team_id)
        query = query.where(Assignment.team_id == team_id)
    if period_id is not None:
        get_period(session, incident_id=incident_id, period_id=period_id)
        query = query.where(Assignment.period_id == period_id)
    return session.scalars(query.order_by(Assignment.id)).all()


def get_assignment(session: Session, *, incident_id: int, assignment_id: int) -> Assignment:
    """The assignment ``assignment_id`` of this incident; :class:`UnknownRecordError` otherwise."""
    assignment = session.get(Assignment, assignment_id)
    if assignment is None or assignment.incident_id != incident_id:
        raise UnknownRecordError(
            f"assignment {assignment_id}: no such assignment in incident {incident_id}"
        )
    return assignment
