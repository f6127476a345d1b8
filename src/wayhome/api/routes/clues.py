"""Clues: reported from the field (idempotent by the device's id), applied to the plan.

Every new or applied clue is pushed live as ``{"type": "clue", "event": "reported" |
"applied", "clue": {...}}``.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from wayhome.api.auth import PlannerDep, ReaderDep, ReporterDep
from wayhome.api.deps import HubDep, NowDep, SessionDep
from wayhome.api.hub import LiveHub
from wayhome.api.schemas import ClueApply, ClueCreate, CluePublic
from wayhome.store import apply_clue, list_clues, record_clue
from wayhome.store.models import Clue

__all__ = ["apply", "create", "list_all", "router"]

router = APIRouter(prefix="/incidents/{incident_id}/clues", tags=["clues"])


def _publish(hub: LiveHub, event: str, clue: Clue) -> CluePublic:
    public = CluePublic.model_validate(clue)
    message = {"type": "clue", "event": event, "clue": public.model_dump(mode="json")}
    hub.publish(clue.incident_id, message)
    return public


@router.post("", status_code=status.HTTP_201_CREATED)
def create(
    incident_id: int,
    body: ClueCreate,
    session: SessionDep,
    hub: HubDep,
    response: Response,
    actor: ReporterDep,
) -> CluePublic:
    """Report a clue; a replay of the same id and content answers 200 with the stored clue."""
    if body.member_id is not None:
        actor.require_reports_for(body.member_id)
    recorded = record_clue(
        session,
        incident_id=incident_id,
        clue_id=body.id,
        kind=body.kind,
        lat=body.lat,
        lon=body.lon,
        bearing_deg=body.bearing_deg,
        time=body.time,
        note=body.note,
        member_id=body.member_id,
        actor=actor.label,
    )
    if not recorded.created:
        response.status_code = status.HTTP_200_OK
        return CluePublic.model_validate(recorded.clue)
    return _publish(hub, "reported", recorded.clue)


@router.get("")
def list_all(incident_id: int, session: SessionDep, actor: ReaderDep) -> list[CluePublic]:
    """The incident's clues, in the order they were found."""
    return [CluePublic.model_validate(c) for c in list_clues(session, incident_id)]


@router.post("/{clue_id}/apply")
def apply(
    incident_id: int,
    clue_id: uuid.UUID,
    session: SessionDep,
    hub: HubDep,
    now: NowDep,
    actor: PlannerDep,
    body: ClueApply | None = None,
) -> CluePublic:
    """Fold the clue into the incident's linked plan (a Bayesian update); once only."""
    params = body or ClueApply()
    clue = apply_clue(
        session,
        incident_id=incident_id,
        clue_id=clue_id,
        actor=actor.label,
        confidence=params.confidence,
        radius_m=params.radius_m,
        spread_deg=params.spread_deg,
        range_m=params.range_m,
        now=now,
    )
    return _publish(hub, "applied", clue)
