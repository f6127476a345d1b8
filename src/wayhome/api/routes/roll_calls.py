"""Roll calls (PAR): start one, answer it, escalate the silent; each change is pushed live."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, status

from wayhome.api.auth import OperatorDep, ReaderDep, ReporterDep
from wayhome.api.deps import HubDep, NowDep, SessionDep
from wayhome.api.schemas import RollCallAnswerCreate, RollCallCreate, RollCallPublic
from wayhome.api.watch import escalate_and_publish, publish_roll_call
from wayhome.store import acknowledge_roll_call, get_roll_call, list_roll_calls, start_roll_call

__all__ = ["answer", "create", "escalate", "list_all", "read", "router"]

router = APIRouter(prefix="/incidents/{incident_id}/roll-calls", tags=["roll calls"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create(
    incident_id: int,
    body: RollCallCreate,
    session: SessionDep,
    hub: HubDep,
    now: NowDep,
    actor: OperatorDep,
) -> RollCallPublic:
    """Ask the field members of the incident (or of one team) to answer before the timeout."""
    roll_call = start_roll_call(
        session,
        incident_id=incident_id,
        team_id=body.team_id,
        now=now,
        timeout=timedelta(seconds=body.timeout_seconds),
        actor=actor.label,
    )
    return publish_roll_call(hub, "started", roll_call)


@router.get("")
def list_all(incident_id: int, session: SessionDep, actor: ReaderDep) -> list[RollCallPublic]:
    """The incident's roll calls, oldest first."""
    return [RollCallPublic.model_validate(r) for r in list_roll_calls(session, incident_id)]


@router.get("/{roll_call_id}")
def read(
    incident_id: int, roll_call_id: int, session: SessionDep, actor: ReaderDep
) -> RollCallPublic:
    """One roll call with every expected member's answer."""
    roll_call = get_roll_call(session, incident_id=incident_id, roll_call_id=roll_call_id)
    return RollCallPublic.model_validate(roll_call)


@router.post("/{roll_call_id}/answers")
def answer(
    incident_id: int,
    roll_call_id: int,
    body: RollCallAnswerCreate,
    session: SessionDep,
    hub: HubDep,
    now: NowDep,
    actor: ReporterDep,
) -> RollCallPublic:
    """A member is accounted for (by themself or their pair's leader); repeats change nothing."""
    actor.require_reports_for(body.member_id)
    if body.by_member_id is not None:
        actor.require_reports_for(body.by_member_id)
    result = acknowledge_roll_call(
        session,
        incident_id=incident_id,
        roll_call_id=roll_call_id,
        member_id=body.member_id,
        by_member_id=body.by_member_id,
        now=now,
        actor=actor.label,
    )
    if not result.recorded:
        return RollCallPublic.model_validate(result.roll_call)
    return publish_roll_call(hub, "answered", result.roll_call)


@router.post("/escalations")
def escalate(
    incident_id: int, session: SessionDep, hub: HubDep, now: NowDep, actor: OperatorDep
) -> list[RollCallPublic]:
    """Escalate the answers now overdue (the server also does this on its own); the changed."""
    return escalate_and_publish(session, hub, now=now, incident_id=incident_id)
