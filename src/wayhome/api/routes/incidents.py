"""Incidents: open (agency administrators, who become incident commander), list, read, close."""

from __future__ import annotations

from fastapi import APIRouter, status

from wayhome.access.roles import Role
from wayhome.api.auth import AdminDep, CommanderDep, ReaderDep, UserDep
from wayhome.api.deps import NowDep, SessionDep
from wayhome.api.schemas import IncidentCreate, IncidentPublic
from wayhome.store import (
    close_incident,
    create_incident,
    get_incident,
    grant_role,
    list_incidents,
    user_incident_ids,
)

__all__ = ["close", "create", "list_all", "read", "router"]

router = APIRouter(prefix="/incidents", tags=["incidents"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create(body: IncidentCreate, session: SessionDep, user: AdminDep) -> IncidentPublic:
    """Open an incident; whoever opens it is its incident commander."""
    incident = create_incident(session, name=body.name, actor=user.name)
    grant_role(
        session,
        incident_id=incident.id,
        user_id=user.id,
        role=Role.INCIDENT_COMMANDER,
        actor=user.name,
    )
    return IncidentPublic.model_validate(incident)


@router.get("")
def list_all(session: SessionDep, user: UserDep) -> list[IncidentPublic]:
    """The incidents you have a role in, oldest first."""
    mine = user_incident_ids(session, user.id)
    return [IncidentPublic.model_validate(i) for i in list_incidents(session) if i.id in mine]


@router.get("/{incident_id}")
def read(incident_id: int, session: SessionDep, actor: ReaderDep) -> IncidentPublic:
    """One incident."""
    return IncidentPublic.model_validate(get_incident(session, incident_id))


@router.post("/{incident_id}/close")
def close(
    incident_id: int, session: SessionDep, now: NowDep, actor: CommanderDep
) -> IncidentPublic:
    """Close the incident: everyone checked out, every subject handed over or transferred."""
    incident = close_incident(session, incident_id=incident_id, now=now, actor=actor.label)
    return IncidentPublic.model_validate(incident)
