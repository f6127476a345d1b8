"""Incidents and their ICS-214 activity log."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from wayhome.errors import InvalidParameterError
from wayhome.store.errors import UnknownRecordError
from wayhome.store.models import ActivityLog, Incident

__all__ = ["create_incident", "get_incident", "list_activity", "list_incidents", "log_activity"]


def log_activity(session: Session, *, incident_id: int, actor: str, kind: str, text: str) -> None:
    """Add one activity-log line to ``session`` (committed with the change it records)."""
    session.add(ActivityLog(incident_id=incident_id, actor=actor, kind=kind, text=text))


def create_incident(session: Session, *, name: str, actor: str = "system") -> Incident:
    """Open an incident and log it."""
    if not name.strip():
        raise InvalidParameterError(
            "name: give the incident a name, e.g. 'Missing child Big South Fork'"
        )
    incident = Incident(name=name.strip())
    session.add(incident)
    session.flush()
    log_activity(
        session,
        incident_id=incident.id,
        actor=actor,
        kind="incident",
        text=f"incident opened: {incident.name}",
    )
    session.commit()
    return incident


def get_incident(session: Session, incident_id: int) -> Incident:
    """The incident with ``incident_id``; :class:`UnknownRecordError` when there is none."""
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise UnknownRecordError(
            f"incident {incident_id}: no such incident; list them at /incidents"
        )
    return incident


def list_incidents(session: Session) -> Sequence[Incident]:
    """Every incident, oldest first."""
    return session.scalars(select(Incident).order_by(Incident.id)).all()


def list_activity(session: Session, incident_id: int) -> Sequence[ActivityLog]:
    """The incident's activity log in the order it was written."""
    get_incident(session, incident_id)
    query = (
        select(ActivityLog).where(ActivityLog.incident_id == incident_id).order_by(ActivityLog.id)
    )
    return session.scalars(query).all()
