"""The roster: members of an incident, with their profile.

Medical notes are confidential: :func:`member_public` shows them only to roles that run
the roster or the field (command, operations), to the member themself and to their team
leader; everyone else gets an empty string.
"""

from __future__ import annotations

from fastapi import APIRouter, status

from wayhome.access.roles import Permission
from wayhome.api.auth import ReaderDep, RosterDep
from wayhome.api.deps import SessionDep
from wayhome.api.schemas import (
    MemberCreate,
    MemberProfileUpdate,
    MemberPublic,
    MemberStatusUpdate,
)
from wayhome.store import (
    Actor,
    add_member,
    list_members,
    set_member_status,
    update_member_profile,
)
from wayhome.store.models import Member

__all__ = [
    "create",
    "list_all",
    "may_read_medical_notes",
    "member_public",
    "router",
    "update_profile",
    "update_status",
]

router = APIRouter(prefix="/incidents/{incident_id}/members", tags=["roster"])

#: Roles holding one of these read every member's medical notes.
_MEDICAL_READERS = frozenset({Permission.ROSTER, Permission.OPERATE})


def may_read_medical_notes(actor: Actor, member_id: int) -> bool:
    """Whether ``actor`` may read ``member_id``'s medical notes.

    Command and operations may; so may the member themself and the field role who
    reports for them (their team leader). Planning and viewers may not.
    """
    if actor.permissions & _MEDICAL_READERS or actor.member_id == member_id:
        return True
    return actor.reports_for is not None and member_id in actor.reports_for


def member_public(member: Member, actor: Actor) -> MemberPublic:
    """``member`` as ``actor`` may see it: medical notes blanked unless they may read them."""
    public = MemberPublic.model_validate(member)
    if not may_read_medical_notes(actor, member.id):
        public.medical_notes = ""
    return public


@router.post("", status_code=status.HTTP_201_CREATED)
def create(
    incident_id: int, body: MemberCreate, session: SessionDep, actor: RosterDep
) -> MemberPublic:
    """Put a person on the roster, with their profile if known."""
    member = add_member(
        session,
        incident_id=incident_id,
        name=body.name,
        needs_protection=body.needs_protection,
        qualifications=body.qualifications,
        resource_type=body.resource_type,
        medical_notes=body.medical_notes,
        contact=body.contact,
        agency_id=body.agency_id,
        actor=actor.label,
    )
    return member_public(member, actor)


@router.get("")
def list_all(incident_id: int, session: SessionDep, actor: ReaderDep) -> list[MemberPublic]:
    """The roster in the order people were added (medical notes only for those who may)."""
    return [member_public(m, actor) for m in list_members(session, incident_id)]


@router.patch("/{member_id}")
def update_profile(
    incident_id: int,
    member_id: int,
    body: MemberProfileUpdate,
    session: SessionDep,
    actor: RosterDep,
) -> MemberPublic:
    """Change a member's profile; fields left out stay as they are. Logged (not the notes)."""
    member = update_member_profile(
        session,
        incident_id=incident_id,
        member_id=member_id,
        qualifications=body.qualifications,
        resource_type=body.resource_type,
        medical_notes=body.medical_notes,
        contact=body.contact,
        actor=actor.label,
    )
    return member_public(member, actor)


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
    return member_public(member, actor)
