"""Teams built from pairs; a broken pairing rule is a 422 problem naming the rule."""

from __future__ import annotations

from fastapi import APIRouter, status

from wayhome.api.auth import ReaderDep, RosterDep
from wayhome.api.deps import SessionDep
from wayhome.api.schemas import MarchOrderUpdate, TeamCreate, TeamPublic
from wayhome.store import Pair, create_team, get_team, list_teams, set_march_order

__all__ = ["create", "list_all", "read", "router", "update_march"]

router = APIRouter(prefix="/incidents/{incident_id}/teams", tags=["teams"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create(incident_id: int, body: TeamCreate, session: SessionDep, actor: RosterDep) -> TeamPublic:
    """Form a team: nobody goes alone; a protected member goes with a named protector."""
    pairs = [Pair(tuple(p.member_ids), protector_id=p.protector_id) for p in body.pairs]
    team = create_team(
        session,
        incident_id=incident_id,
        name=body.name,
        pairs=pairs,
        leader_id=body.leader_id,
        actor=actor.label,
    )
    return TeamPublic.model_validate(team)


@router.get("")
def list_all(incident_id: int, session: SessionDep, actor: ReaderDep) -> list[TeamPublic]:
    """The incident's teams in the order they were formed."""
    return [TeamPublic.model_validate(t) for t in list_teams(session, incident_id)]


@router.get("/{team_id}")
def read(incident_id: int, team_id: int, session: SessionDep, actor: ReaderDep) -> TeamPublic:
    """One team with its pairs and capability (``reduced`` once a member is injured)."""
    return TeamPublic.model_validate(get_team(session, incident_id=incident_id, team_id=team_id))


@router.put("/{team_id}/march")
def update_march(
    incident_id: int, team_id: int, body: MarchOrderUpdate, session: SessionDep, actor: RosterDep
) -> TeamPublic:
    """Set the movement order: lead, rear, the rest in the middle (never a protected member
    at the lead or the rear: a 422 naming the rule ``protected-member-in-middle``)."""
    team = set_march_order(
        session,
        incident_id=incident_id,
        team_id=team_id,
        lead_id=body.lead_id,
        rear_id=body.rear_id,
        actor=actor.label,
    )
    return TeamPublic.model_validate(team)
