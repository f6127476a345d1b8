"""Assignments: a team sent to a segment; each status change is pushed live.

Operations and command move any assignment on; a team leader may move on the
assignments of their own team (start it, complete it with the team's POD, abort it).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from wayhome.access.roles import Permission, Role
from wayhome.api.auth import PlannerDep, ReaderDep, ReporterDep
from wayhome.api.deps import HubDep, NowDep, SessionDep
from wayhome.api.schemas import (
    AssignmentCreate,
    AssignmentPublic,
    AssignmentStatusUpdate,
    OverdueChangePublic,
    OverdueTeamPublic,
)
from wayhome.errors import AccessDeniedError
from wayhome.store import (
    Actor,
    create_assignment,
    get_assignment,
    get_team,
    list_assignments,
    set_assignment_status,
)

__all__ = ["StatusChangerDep", "create", "list_all", "read", "router", "update_status"]

router = APIRouter(prefix="/incidents/{incident_id}/assignments", tags=["assignments"])


def _status_changer(
    incident_id: int, assignment_id: int, session: SessionDep, actor: ReporterDep
) -> Actor:
    """Who may move an assignment on: operations and command, or the team's own leader."""
    if Permission.OPERATE in actor.permissions:
        return actor
    assignment = get_assignment(session, incident_id=incident_id, assignment_id=assignment_id)
    team = get_team(session, incident_id=incident_id, team_id=assignment.team_id)
    members = {tm.member_id for tm in team.members}
    mine = actor.reports_for is not None and members <= actor.reports_for
    if actor.role != Role.TEAM_LEADER or not mine:
        raise AccessDeniedError(
            f"assignment {assignment_id}: as {actor.role} you may not change its status; "
            f"operations or the team leader of team {team.name} may"
        )
    return actor


StatusChangerDep = Annotated[Actor, Depends(_status_changer)]


@router.post("", status_code=status.HTTP_201_CREATED)
def create(
    incident_id: int, body: AssignmentCreate, session: SessionDep, now: NowDep, actor: PlannerDep
) -> AssignmentPublic:
    """Plan an assignment: a team, a segment, and optionally a period, rendezvous, turnaround.

    With the segment's ``area``, a team without leave in a jurisdiction it touches is
    refused (403, naming the jurisdiction, its owner and contact) unless the incident
    commander gives an ``override`` (logged).
    """
    assignment = create_assignment(
        session,
        incident_id=incident_id,
        team_id=body.team_id,
        segment=body.segment,
        period_id=body.period_id,
        instructions=body.instructions,
        rendezvous_id=body.rendezvous_id,
        turnaround_at=body.turnaround_at,
        area=None if body.area is None else body.area.model_dump(),
        override=body.override,
        may_override=Permission.MANAGE in actor.permissions,
        now=now,
        actor=actor.label,
    )
    return AssignmentPublic.model_validate(assignment)


@router.get("")
def list_all(
    incident_id: int,
    session: SessionDep,
    actor: ReaderDep,
    team_id: int | None = None,
    period_id: int | None = None,
) -> list[AssignmentPublic]:
    """The incident's assignments (of one team, of one period), in the order they were made."""
    rows = list_assignments(session, incident_id, team_id=team_id, period_id=period_id)
    return [AssignmentPublic.model_validate(a) for a in rows]


@router.get("/{assignment_id}")
def read(
    incident_id: int, assignment_id: int, session: SessionDep, actor: ReaderDep
) -> AssignmentPublic:
    """One assignment."""
    assignment = get_assignment(session, incident_id=incident_id, assignment_id=assignment_id)
    return AssignmentPublic.model_validate(assignment)


@router.put("/{assignment_id}/status")
def update_status(
    incident_id: int,
    assignment_id: int,
    body: AssignmentStatusUpdate,
    session: SessionDep,
    hub: HubDep,
    now: NowDep,
    actor: StatusChangerDep,
) -> AssignmentPublic:
    """Start, complete (with the team's POD) or abort; a move not allowed now is a 409."""
    before = get_assignment(session, incident_id=incident_id, assignment_id=assignment_id)
    team = get_team(session, incident_id=incident_id, team_id=before.team_id)
    overdue_since = team.overdue_since
    assignment = set_assignment_status(
        session,
        incident_id=incident_id,
        assignment_id=assignment_id,
        status=body.status,
        now=now,
        reported_pod=body.reported_pod,
        actor=actor.label,
    )
    public = AssignmentPublic.model_validate(assignment)
    message = {
        "type": "assignment",
        "event": public.status,
        "assignment": public.model_dump(mode="json"),
    }
    hub.publish(incident_id, message)
    if overdue_since is not None and team.overdue_since is None:
        # Completing clears the team's overdue alert: viewers hear it at once.
        cleared = OverdueTeamPublic(
            id=team.id,
            incident_id=incident_id,
            name=team.name,
            reason=f"assignment {assignment.id} {assignment.status}",
            since=overdue_since,
        )
        change = OverdueChangePublic(event="cleared", team=cleared).model_dump(mode="json")
        hub.publish(incident_id, {"type": "overdue", **change})
    return public
