"""Incidents (opened, closed) and their ICS-214 activity log."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from wayhome.errors import ConflictError, InvalidParameterError
from wayhome.store.audit import append_line
from wayhome.store.errors import UnknownRecordError
from wayhome.store.models import ActivityLog, Incident, Member, Subject, utc_now

__all__ = [
    "activity_clock",
    "close_incident",
    "create_incident",
    "get_incident",
    "list_activity",
    "list_incidents",
    "log_activity",
]

#: Member statuses that let an incident close: checked out, or never checked in.
_CLOSABLE_MEMBER_STATUSES = frozenset({"checked_out", "pending"})
#: Subject statuses that let an incident close: in someone's care.
_CLOSABLE_SUBJECT_STATUSES = frozenset({"handed_over", "transferred"})


_clock: ContextVar[Callable[[], datetime]] = ContextVar("activity_clock", default=utc_now)


@contextmanager
def activity_clock(clock: Callable[[], datetime]) -> Iterator[None]:
    """Stamp activity-log lines written inside the block with ``clock()`` (not the wall clock).

    For replaying a recorded or scripted incident (the demo) so its log reads in story time.
    """
    token = _clock.set(clock)
    try:
        yield
    finally:
        _clock.reset(token)


def log_activity(session: Session, *, incident_id: int, actor: str, kind: str, text: str) -> None:
    """Add one activity-log line to ``session`` (committed with the change it records).

    The line is hash-chained onto the incident's log (:func:`wayhome.store.audit.append_line`):
    another writer of the same incident waits until this transaction ends.
    """
    time = _clock.get()()
    append_line(session, incident_id=incident_id, time=time, actor=actor, kind=kind, text=text)


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


def close_incident(
    session: Session, *, incident_id: int, now: datetime, actor: str = "system"
) -> Incident:
    """Close the incident once everyone is out of the field and every subject is in care.

    Refused (:class:`ConflictError`, naming who holds it open) while a member is checked in,
    assigned or out of service, or a subject is missing or found but not yet handed over or
    transferred. An incident with no subject closes on the first rule alone (search
    suspended). A closed incident can be read but not changed.
    """
    incident = get_incident(session, incident_id)
    if incident.status == "closed":
        when = f" at {incident.closed_at:%Y-%m-%d %H:%M}Z" if incident.closed_at else ""
        raise ConflictError(f"incident {incident_id} is already closed{when}")
    if now.tzinfo is None:
        raise InvalidParameterError("now: give a timezone, e.g. 2026-06-01T14:03:00Z")
    members = session.scalars(
        select(Member).where(Member.incident_id == incident_id).order_by(Member.id)
    ).all()
    subjects = session.scalars(
        select(Subject).where(Subject.incident_id == incident_id).order_by(Subject.id)
    ).all()
    in_field = [m for m in members if m.status not in _CLOSABLE_MEMBER_STATUSES]
    not_in_care = [s for s in subjects if s.status not in _CLOSABLE_SUBJECT_STATUSES]
    problems: list[str] = []
    if in_field:
        listed = _first_ten([f"{m.name} ({m.status})" for m in in_field])
        problems.append(
            f"{len(in_field)} member{'s' if len(in_field) != 1 else ''} not checked out: "
            f"{listed}; check them out first"
        )
    if not_in_care:
        listed = _first_ten([f"{s.name} ({s.status})" for s in not_in_care])
        problems.append(
            f"subject not handed over or transferred: {listed}; "
            "hand them over to their guardian or transfer them first"
        )
    if problems:
        raise ConflictError(f"incident {incident_id} cannot close: " + "; and ".join(problems))
    incident.status = "closed"
    incident.closed_at = now
    outcome = (
        ", ".join(f"{s.name} {s.status.replace('_', ' ')} to {s.handed_to}" for s in subjects)
        if subjects
        else "search suspended, no subject recorded"
    )
    out = sum(m.status == "checked_out" for m in members)
    log_activity(
        session,
        incident_id=incident_id,
        actor=actor,
        kind="incident",
        text=f"incident closed: {incident.name}; {outcome}; "
        f"roster: {out} checked out, {len(members) - out} never checked in",
    )
    session.commit()
    return incident


def _first_ten(names: list[str]) -> str:
    shown = ", ".join(names[:10])
    return shown if len(names) <= 10 else f"{shown} and {len(names) - 10} more"
