"""Injury reports: the member goes out of service and their team's capability is reduced."""

from __future__ import annotations

from fastapi import APIRouter, status

from wayhome.api.deps import NowDep, SessionDep
from wayhome.api.schemas import InjuryCreate, InjuryPublic
from wayhome.store import list_injuries, report_injury

__all__ = ["create", "list_all", "router"]

router = APIRouter(prefix="/incidents/{incident_id}/injuries", tags=["injuries"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create(incident_id: int, body: InjuryCreate, session: SessionDep, now: NowDep) -> InjuryPublic:
    """Report an injury (severity, treatment, time): out of service, team reduced, logged."""
    report = report_injury(
        session,
        incident_id=incident_id,
        member_id=body.member_id,
        severity=body.severity,
        treatment=body.treatment,
        time=body.time or now,
    )
    return InjuryPublic.model_validate(report)


@router.get("")
def list_all(incident_id: int, session: SessionDep) -> list[InjuryPublic]:
    """The incident's injury reports, oldest first."""
    return [InjuryPublic.model_validate(r) for r in list_injuries(session, incident_id)]
