"""The incident's activity log (ICS-214)."""

from __future__ import annotations

from fastapi import APIRouter

from wayhome.api.auth import ReaderDep
from wayhome.api.deps import SessionDep
from wayhome.api.schemas import ActivityPublic
from wayhome.store import list_activity

__all__ = ["list_all", "router"]

router = APIRouter(prefix="/incidents/{incident_id}/activity", tags=["activity log"])


@router.get("")
def list_all(incident_id: int, session: SessionDep, actor: ReaderDep) -> list[ActivityPublic]:
    """Every state change of the incident, in order."""
    return [ActivityPublic.model_validate(a) for a in list_activity(session, incident_id)]
