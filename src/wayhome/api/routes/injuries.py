"""Injury reports: the member goes out of service and their team's capability is reduced."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from wayhome.api.auth import ReaderDep, ReporterDep
from wayhome.api.deps import NowDep, SessionDep
from wayhome.api.schemas import InjuryCreate, InjuryPublic
from wayhome.store import list_injuries, record_injury

__all__ = ["create", "list_all", "router"]

router = APIRouter(prefix="/incidents/{incident_id}/injuries", tags=["injuries"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create(
    incident_id: int,
    body: InjuryCreate,
    session: SessionDep,
    now: NowDep,
    response: Response,
    actor: ReporterDep,
) -> InjuryPublic:
    """Report an injury (severity, treatment, time): out of service, team reduced, logged.

    With a ``client_id``, a replay of the same report answers 200 with the stored one
    (nothing logged or changed again); the same id with another report is refused (409).
    """
    actor.require_reports_for(body.member_id)
    reported = record_injury(
        session,
        incident_id=incident_id,
        member_id=body.member_id,
        severity=body.severity,
        treatment=body.treatment,
        time=body.time,
        now=now,
        actor=actor.label,
        client_id=body.client_id,
    )
    if not reported.created:
        response.status_code = status.HTTP_200_OK
    return InjuryPublic.model_validate(reported.report)


@router.get("")
def list_all(incident_id: int, session: SessionDep, actor: ReaderDep) -> list[InjuryPublic]:
    """The incident's injury reports, oldest first."""
    return [InjuryPublic.model_validate(r) for r in list_injuries(session, incident_id)]
