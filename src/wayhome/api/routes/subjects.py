"""The subject (lost person): intake, the find, reunification; each change is pushed live.

Intake answers the handover code once (``SubjectCreated.handover_code``); nothing reads it
back. The guardian's identity document recorded at intake is shown only to those who may
hand over (command, operations); everyone else, and the live stream, gets it blank. A
handover with details that do not match the intake record is refused with 403 naming the
fields, and logged; after five refusals the code is no longer tried. Instead of the code
the incident commander may hand over on their override (a reason and the ID document they
checked), logged with who, when and why; anyone else giving an override gets a 403.
"""

from __future__ import annotations

from fastapi import APIRouter, status

from wayhome.access.roles import Permission
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
from wayhome.errors import AccessDeniedError
from wayhome.store import (
    Actor,
    create_subject,
    get_subject,
    hand_over,
    list_subjects,
    report_found,
    transfer_subject,
)
from wayhome.store.models import Subject

__all__ = [
    "create",
    "found",
    "handover",
    "list_all",
    "may_read_id_documents",
    "read",
    "router",
    "subject_public",
    "transfer",
]

router = APIRouter(prefix="/incidents/{incident_id}/subjects", tags=["subjects"])


def may_read_id_documents(actor: Actor | None) -> bool:
    """Whether ``actor`` may read the guardian's ID document: those who may hand over.

    ``None`` (the live stream, which every role of the incident reads) may not.
    """
    held = actor.permissions if actor is not None else frozenset()
    return Permission.REUNIFY in held or Permission.MANAGE in held


def subject_public(subject: Subject, actor: Actor | None) -> SubjectPublic:
    """``subject`` as ``actor`` may see it: the guardian's ID document blanked unless they may."""
    public = SubjectPublic.model_validate(subject)
    if not may_read_id_documents(actor):
        public.guardian_id_document = ""
    return public


def _publish(hub: LiveHub, event: str, subject: Subject, actor: Actor) -> SubjectPublic:
    """Send ``{"type": "subject", "event": ..., "subject": {...}}`` to the incident.

    The stream gets the subject as any role may see it; the answer is ``actor``'s view.
    """
    shared = subject_public(subject, None)
    message = {"type": "subject", "event": event, "subject": shared.model_dump(mode="json")}
    hub.publish(subject.incident_id, message)
    return subject_public(subject, actor)


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
        guardian_id_document=body.guardian_id_document,
        description=body.description,
        handover_code=body.handover_code,
        actor=actor.label,
    )
    public = _publish(hub, "created", subject, actor)
    return SubjectCreated(**public.model_dump(), handover_code=code)


@router.get("")
def list_all(incident_id: int, session: SessionDep, actor: ReaderDep) -> list[SubjectPublic]:
    """The incident's subjects in the order of intake."""
    return [subject_public(s, actor) for s in list_subjects(session, incident_id)]


@router.get("/{subject_id}")
def read(incident_id: int, subject_id: int, session: SessionDep, actor: ReaderDep) -> SubjectPublic:
    """One subject (never the handover code)."""
    subject = get_subject(session, incident_id=incident_id, subject_id=subject_id)
    return subject_public(subject, actor)


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
    return _publish(hub, "found", subject, actor)


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
    """Hand the found subject to the guardian: name and relation, then code or override.

    Only the incident commander may override (403 for anyone else).
    """
    if body.override is not None and Permission.MANAGE not in actor.permissions:
        raise AccessDeniedError(
            f"override: as {actor.role} you may not hand over without the code; only the "
            "incident commander may. Give the guardian's code, or ask the commander"
        )
    subject = hand_over(
        session,
        incident_id=incident_id,
        subject_id=subject_id,
        guardian_name=body.guardian_name,
        guardian_relation=body.guardian_relation,
        code=body.code,
        now=now,
        override=body.override,
        id_document_checked=body.id_document_checked,
        actor=actor.label,
    )
    return _publish(hub, "handed_over", subject, actor)


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
    return _publish(hub, "transferred", subject, actor)
