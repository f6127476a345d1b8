"""Injury reports: record the injury, take the member out of service, reduce their team.

A report sets the member's ICS-211 status to ``out_of_service`` (through
:func:`~wayhome.store.roster.set_member_status`, which logs the change) and marks every
team they belong to ``capability = "reduced"``. All of it is one transaction.

A device may give its own ``client_id`` for a report (a phone's offline queue does), so a
report sent twice after a dead spot is stored once: the same id with the same content
comes back as stored (:attr:`ReportedInjury.created` is ``False``, nothing is logged);
the same id with other content is refused as a :class:`~wayhome.errors.ConflictError`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wayhome.errors import InvalidParameterError
from wayhome.store.errors import require_same_replay
from wayhome.store.incidents import get_incident, log_activity
from wayhome.store.models import InjuryReport, Team, TeamMember
from wayhome.store.roster import get_member, set_member_status

__all__ = [
    "INJURY_SEVERITIES",
    "ReportedInjury",
    "list_injuries",
    "record_injury",
    "report_injury",
]

#: How bad an injury is, least first.
INJURY_SEVERITIES = ("minor", "serious", "critical")


@dataclass(frozen=True, slots=True)
class ReportedInjury:
    """A stored injury report and whether this call stored it (``False``: a replay)."""

    report: InjuryReport
    created: bool


def report_injury(
    session: Session,
    *,
    incident_id: int,
    member_id: int,
    severity: str,
    treatment: str,
    time: datetime,
    actor: str = "system",
    client_id: uuid.UUID | None = None,
) -> InjuryReport:
    """Record an injury to ``member_id``; they go out of service and their team is reduced.

    See :func:`record_injury`; this gives the report alone.
    """
    return record_injury(
        session,
        incident_id=incident_id,
        member_id=member_id,
        severity=severity,
        treatment=treatment,
        time=time,
        now=time,
        actor=actor,
        client_id=client_id,
    ).report


def _check_replay(
    stored: InjuryReport, client_id: uuid.UUID, sent: dict[str, object]
) -> ReportedInjury:
    require_same_replay(
        stored,
        sent,
        stored_as=f"client_id: injury report {stored.id} was sent with client id {client_id} and",
        fix="a replay repeats the report exactly, a new report needs a new id",
    )
    return ReportedInjury(stored, created=False)


def record_injury(
    session: Session,
    *,
    incident_id: int,
    member_id: int,
    severity: str,
    treatment: str,
    time: datetime | None,
    now: datetime,
    actor: str = "system",
    client_id: uuid.UUID | None = None,
) -> ReportedInjury:
    """Record an injury to ``member_id``; they go out of service and their team is reduced.

    Parameters
    ----------
    session : Session
        The unit of work (committed before return).
    incident_id, member_id : int
        The incident and the injured member (on its roster).
    severity : str
        One of :data:`INJURY_SEVERITIES`.
    treatment : str
        What happened and what was done.
    time : datetime or None
        When it happened; ``now`` when ``None`` (and then a replay matches any time).
    now : datetime
        The current time.
    actor : str
        Who reported it, for the activity log.
    client_id : uuid.UUID, optional
        The reporting device's id for this report: a replay of it is stored once.

    Returns
    -------
    ReportedInjury
        The report; ``created`` is ``False`` for a replay of ``client_id`` (nothing new is
        stored or logged, no status changes).

    Raises
    ------
    ConflictError
        ``client_id`` was used for a report with other content.
    InvalidParameterError
        An unknown severity.
    UnknownRecordError
        No such incident, or the member is not on its roster.
    """
    get_incident(session, incident_id)
    if severity not in INJURY_SEVERITIES:
        raise InvalidParameterError(
            f"severity: {severity!r} is not a severity; use one of {', '.join(INJURY_SEVERITIES)}"
        )
    sent: dict[str, object] = {"member_id": member_id, "severity": severity, "treatment": treatment}
    if time is not None:
        sent["time"] = time
    for attempt in range(2):
        if client_id is not None:
            stored = session.scalars(
                select(InjuryReport).where(
                    InjuryReport.incident_id == incident_id, InjuryReport.client_id == client_id
                )
            ).one_or_none()
            if stored is not None:
                return _check_replay(stored, client_id, sent)
        try:
            report = _store_report(
                session,
                incident_id=incident_id,
                member_id=member_id,
                severity=severity,
                treatment=treatment,
                time=now if time is None else time,
                actor=actor,
                client_id=client_id,
            )
        except IntegrityError:
            # Another request stored this client id meanwhile: look again, it is a replay now.
            session.rollback()
            if attempt or client_id is None:
                raise
            continue
        return ReportedInjury(report, created=True)
    raise AssertionError("unreachable")  # pragma: no cover


def _store_report(
    session: Session,
    *,
    incident_id: int,
    member_id: int,
    severity: str,
    treatment: str,
    time: datetime,
    actor: str,
    client_id: uuid.UUID | None,
) -> InjuryReport:
    member = get_member(session, incident_id=incident_id, member_id=member_id)
    report = InjuryReport(
        incident_id=incident_id,
        member_id=member_id,
        severity=severity,
        treatment=treatment,
        time=time,
        actor=actor,
        client_id=client_id,
    )
    session.add(report)
    session.flush()
    log_activity(
        session,
        incident_id=incident_id,
        actor=actor,
        kind="injury",
        text=f"injury: {member.name} ({severity}) at {time:%H:%M}Z; treatment: {treatment}",
    )
    teams = session.scalars(
        select(Team)
        .join(TeamMember, TeamMember.team_id == Team.id)
        .where(TeamMember.member_id == member_id)
        .order_by(Team.id)
    ).all()
    for team in teams:
        if team.capability != "reduced":
            log_activity(
                session,
                incident_id=incident_id,
                actor=actor,
                kind="injury",
                text=f"team {team.name}: capability {team.capability} -> reduced "
                f"({member.name} injured)",
            )
            team.capability = "reduced"
    # Commits the report, the team change and the status change together.
    set_member_status(
        session, incident_id=incident_id, member_id=member_id, status="out_of_service", actor=actor
    )
    session.refresh(report)
    return report


def list_injuries(session: Session, incident_id: int) -> Sequence[InjuryReport]:
    """The incident's injury reports, oldest first."""
    get_incident(session, incident_id)
    query = select(InjuryReport).where(InjuryReport.incident_id == incident_id)
    return session.scalars(query.order_by(InjuryReport.id)).all()
