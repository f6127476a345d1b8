"""Operational periods: numbered, non-overlapping stretches of the search with objectives."""

from __future__ import annotations

from fastapi import APIRouter, status

from wayhome.api.auth import PlannerDep, ReaderDep
from wayhome.api.deps import SessionDep
from wayhome.api.schemas import PeriodCreate, PeriodPublic
from wayhome.store import create_period, get_period, list_periods

__all__ = ["create", "list_all", "read", "router"]

router = APIRouter(prefix="/incidents/{incident_id}/periods", tags=["periods"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create(
    incident_id: int, body: PeriodCreate, session: SessionDep, actor: PlannerDep
) -> PeriodPublic:
    """Add an operational period; one overlapping another is a 409 naming it."""
    period = create_period(
        session,
        incident_id=incident_id,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        objectives=body.objectives,
        number=body.number,
        actor=actor.label,
    )
    return PeriodPublic.model_validate(period)


@router.get("")
def list_all(incident_id: int, session: SessionDep, actor: ReaderDep) -> list[PeriodPublic]:
    """The incident's operational periods in time order."""
    return [PeriodPublic.model_validate(p) for p in list_periods(session, incident_id)]


@router.get("/{period_id}")
def read(incident_id: int, period_id: int, session: SessionDep, actor: ReaderDep) -> PeriodPublic:
    """One operational period."""
    period = get_period(session, incident_id=incident_id, period_id=period_id)
    return PeriodPublic.model_validate(period)
