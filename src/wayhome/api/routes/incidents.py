"""Incidents: open, list, read."""

from __future__ import annotations

from fastapi import APIRouter, status

from wayhome.api.deps import SessionDep
from wayhome.api.schemas import IncidentCreate, IncidentPublic
from wayhome.store import create_incident, get_incident, list_incidents

__all__ = ["create", "list_all", "read", "router"]

router = APIRouter(prefix="/incidents", tags=["incidents"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create(body: IncidentCreate, session: SessionDep) -> IncidentPublic:
    """Open an incident."""
    return IncidentPublic.model_validate(create_incident(session, name=body.name))


@router.get("")
def list_all(session: SessionDep) -> list[IncidentPublic]:
    """Every incident, oldest first."""
    return [IncidentPublic.model_validate(i) for i in list_incidents(session)]


@router.get("/{incident_id}")
def read(incident_id: int, session: SessionDep) -> IncidentPublic:
    """One incident."""
    return IncidentPublic.model_validate(get_incident(session, incident_id))
