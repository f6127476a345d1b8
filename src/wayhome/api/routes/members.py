"""The roster: members of an incident."""

from __future__ import annotations

from fastapi import APIRouter, status

from wayhome.api.auth import ReaderDep, RosterDep
from wayhome.api.deps import SessionDep
from wayhome.api.schemas import MemberCreate, MemberPublic, MemberStatusUpdate
from wayhome.store import add_member, list_members, set_member_status

__all__ = ["create", "list_all", "router", "update_status"]

router = APIRouter(prefix="/incidents/{incident_id}/members", tags=["roster"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create(
    incident_id: int, body: MemberCreate, session: SessionDep, actor: RosterDep
) -> MemberPublic:
    """Put a person on the roster."""
    member = add_member(
        session,
        incident_id=incident_id,
        name=body.name,
        needs_protection=body.needs_protection,
        actor=actor.label,
    )
    return MemberPublic.model_validate(member)


@router.get("")
def list_all(incident_id: int, session: SessionDep, actor: ReaderDep) -> list[MemberPublic]:
    """The roster in the order people were added."""
    return [MemberPublic.model_validate(m) for m in list_members(session, incident_id)]


@router.put("/{member_id}/status")
def update_status(
    incident_id: int,
    member_id: int,
    body: MemberStatusUpdate,
    session: SessionDep,
    actor: RosterDep,
) -> MemberPublic:
    """Check a member in or out (ICS-211 status); the change is logged."""
    member = set_member_status(
        session,
        incident_id=incident_id,
        member_id=member_id,
        status=body.status,
        actor=actor.label,
    )
    return MemberPublic.model_validate(member)
