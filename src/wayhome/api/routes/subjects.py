"""The subject (lost person): intake, the find, reunification; each change is pushed live.

Intake answers the handover code once (``SubjectCreated.handover_code``); nothing reads it
back. A handover with details that do not match the intake record is refused with 403
naming the fields, and logged; after five refusals only a transfer remains.
"""

from __future__ import annotations

from fastapi import APIRouter, status

from wayhome.api.auth import PlannerDep, ReaderDep, ReporterDep, ReunifierDep
from wayhome.api.deps import HubDep, NowDep, SessionDep
from wayhome.api.hub import LiveHub
from wayhome.api.schemas import (
    FoundCreate,
    HandoverCreate,
    SubjectCreate,
    SubjectCreated,
    SubjectPublic,
    TransferCreate,
)
from wayhome.store import (
    create_subject,
    get_subject,
    hand_over,
    list_subjects,
    report_found,
    transfer_subject,
)
from wayhome.store.models import Subject

__all__ = ["create", "found", "handover", "list_all", "read", "router", "transfer"]

router = APIRouter(prefix="/incidents/{incident_id}/subjects", tags=["subjects"])


def _publish(hub: LiveHub, event: str, subject: Subject) -> SubjectPublic:
    """Send ``{"type": "subject", "event": ..., "subject": {...}}`` to the incident."""
    public = SubjectPublic.model_validate(subject)
    message = {"type": "subject", "event": event, "subject": public.model_dump(mode="json")}
    hub.publish(subject.incident_id, message)
    return public


@router.post("", status_code=status.HTTP_201_CREATED)
def create(
    incident_id: int, body: SubjectCreate, session: SessionDep, hub: HubDep, actor: PlannerDep
) -> SubjectCreated:
    """Record the lost person and their guardian; the answer holds the handover code, once."""
    subject, code = create_subject(
        session,
        incident_id=incident_id,
        name=body.name,
        category=body.category,
        age=body.age,
        last_seen_lat=body.last_seen_lat,
        last_seen_lon=body.last_seen_lon,
        last_seen_at=body.last_seen_at,
        guardian_name=body.guardian_name,
        guardian_relation=body.guardian_relation,
        description=body.description,
        handover_code=body.handover_code,
        actor=actor.label,
    )
    public = _publish(hub, "created", subject)
    return SubjectCreated(**public.model_dump(), handover_code=code)


@router.get("")
def list_all(incident_id: int, session: SessionDep, actor: ReaderDep) -> list[SubjectPublic]:
    """The incident's subjects in the order of intake."""
    return [SubjectPublic.model_validate(s) for s in list_subjects(session, incident_id)]


@router.get("/{subject_id}")
def read(incident_id: int, subject_id: int, session: SessionDep, actor: ReaderDep) -> SubjectPublic:
    """One subject (never the handover code)."""
    subject = get_subject(session, incident_id=incident_id, subject_id=subject_id)
    return SubjectPublic.model_validate(subject)


@router.post("/{subject_id}/found")
def found(
    incident_id: int,
    subject_id: int,
    body: FoundCreate,
    session: SessionDep,
    hub: HubDep,
    now: NowDep,
    actor: ReporterDep,
) -> SubjectPublic:
    """The subject is found: by whom, where, when and in what condition."""
    actor.require_reports_for(body.member_id)
    subject = report_found(
        session,
        incident_id=incident_id,
        subject_id=subject_id,
        member_id=body.member_id,
        lat=body.lat,
        lon=body.lon,
        condition=body.condition,
        time=body.time or now,
        actor=actor.label,
    )
    return _publish(hub, "found", subject)


@router.post("/{subject_id}/handover")
def handover(
    incident_id: int,
    subject_id: int,
    body: HandoverCreate,
    session: SessionDep,
    hub: HubDep,
    now: NowDep,
    actor: ReunifierDep,
) -> SubjectPublic:
    """Hand the found subject to the guardian once name, relation and code match intake."""
    subject = hand_over(
        session,
        incident_id=incident_id,
        subject_id=subject_id,
        guardian_name=body.guardian_name,
        guardian_relation=body.guardian_relation,
        code=body.code,
        now=now,
        actor=actor.label,
    )
    return _publish(hub, "handed_over", subject)


@router.post("/{subject_id}/transfer")
def transfer(
    incident_id: int,
    subject_id: int,
    body: TransferCreate,
    session: SessionDep,
    hub: HubDep,
    now: NowDep,
    actor: ReunifierDep,
) -> SubjectPublic:
    """Transfer the found subject to EMS, a hospital or law enforcement."""
    subject = transfer_subject(
        session,
        incident_id=incident_id,
        subject_id=subject_id,
        to=body.to,
        reason=body.reason,
        now=now,
        actor=actor.label,
    )
    return _publish(hub, "transferred", subject)
