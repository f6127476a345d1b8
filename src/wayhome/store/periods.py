"""Operational periods (ICS): numbered stretches of the search with their objectives.

Periods of one incident are numbered 1, 2, ... (the next free number unless one is
given) and never overlap: a period may start exactly when the one before ends.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wayhome.errors import ConflictError, InvalidParameterError
from wayhome.store.errors import UnknownRecordError
from wayhome.store.incidents import get_incident, log_activity
from wayhome.store.models import OperationalPeriod

__all__ = ["create_period", "get_period", "list_periods"]


def _stamp(time: datetime) -> str:
    return f"{time.astimezone(UTC):%Y-%m-%d %H:%M}Z"


def _aware(name: str, time: datetime) -> None:
    if time.tzinfo is None or time.utcoffset() is None:
        raise InvalidParameterError(f"{name}: give a timezone (e.g. 2026-06-01T18:00:00Z)")


def create_period(
    session: Session,
    *,
    incident_id: int,
    starts_at: datetime,
    ends_at: datetime,
    objectives: str = "",
    number: int | None = None,
    actor: str = "system",
) -> OperationalPeriod:
    """Add an operational period to the incident and log it; nothing is stored on refusal.

    ``number`` defaults to the next free number. A period that overlaps another of the
    incident, or takes a number already used, is a :class:`~wayhome.errors.ConflictError`
    naming the other period.
    """
    get_incident(session, incident_id)
    _aware("starts_at", starts_at)
    _aware("ends_at", ends_at)
    if ends_at <= starts_at:
        raise InvalidParameterError(
            f"ends_at: {_stamp(ends_at)} is not after starts_at {_stamp(starts_at)}; "
            "a period ends after it starts"
        )
    if number is not None and number < 1:
        raise InvalidParameterError(f"number: {number}; periods are numbered from 1")
    mine = select(OperationalPeriod).where(OperationalPeriod.incident_id == incident_id)
    if number is None:
        last = session.scalar(
            select(func.max(OperationalPeriod.number)).where(
                OperationalPeriod.incident_id == incident_id
            )
        )
        number = (last or 0) + 1
    else:
        taken = session.scalar(mine.where(OperationalPeriod.number == number))
        if taken is not None:
            raise ConflictError(
                f"number: period {number} exists ({_stamp(taken.starts_at)} to "
                f"{_stamp(taken.ends_at)}); leave number out to take the next free one"
            )
    overlap = session.scalars(
        mine.where(OperationalPeriod.starts_at < ends_at, OperationalPeriod.ends_at > starts_at)
        .order_by(OperationalPeriod.starts_at)
        .limit(1)
    ).first()
    if overlap is not None:
        raise ConflictError(
            f"starts_at/ends_at: overlaps period {overlap.number} ({_stamp(overlap.starts_at)} "
            f"to {_stamp(overlap.ends_at)}); periods of an incident must not overlap"
        )
    period = OperationalPeriod(
        incident_id=incident_id,
        number=number,
        starts_at=starts_at,
        ends_at=ends_at,
        objectives=objectives.strip(),
    )
    session.add(period)
    session.flush()
    goal = f"; objectives: {period.objectives}" if period.objectives else ""
    log_activity(
        session,
        incident_id=incident_id,
        actor=actor,
        kind="period",
        text=f"operational period {number}: {_stamp(starts_at)} to {_stamp(ends_at)}{goal}",
    )
    session.commit()
    return period


def list_periods(session: Session, incident_id: int) -> Sequence[OperationalPeriod]:
    """The incident's operational periods in time order."""
    get_incident(session, incident_id)
    query = select(OperationalPeriod).where(OperationalPeriod.incident_id == incident_id)
    return session.scalars(query.order_by(OperationalPeriod.starts_at)).all()


def get_period(session: Session, *, incident_id: int, period_id: int) -> OperationalPeriod:
    """The period ``period_id`` of this incident; :class:`UnknownRecordError` otherwise."""
    period = session.get(OperationalPeriod, period_id)
    if period is None or period.incident_id != incident_id:
        raise UnknownRecordError(
            f"period {period_id}: no such operational period in incident {incident_id}"
        )
    return period
