"""Injury reports: record the injury, take the member out of service, reduce their team.

A report sets the member's ICS-211 status to ``out_of_service`` (through
:func:`~wayhome.store.roster.set_member_status`, which logs the change) and marks every
team they belong to ``capability = "reduced"``. All of it is one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from wayhome.errors import InvalidParameterError
from wayhome.store.incidents import get_incident, log_activity
from wayhome.store.models import InjuryReport, Team, TeamMember
from wayhome.store.roster import get_member, set_member_status

__all__ = ["INJURY_SEVERITIES", "list_injuries", "report_injury"]

#: How bad an injury is, least first.
INJURY_SEVERITIES = ("minor", "serious", "critical")


def report_injury(
    session: Session,
    *,
    incident_id: int,
    member_id: int,
    severity: str,
    treatment: str,
    time: datetime,
    actor: str = "system",
) -> InjuryReport:
    """Record an injury to ``member_id``; they go out of service and their team is reduced."""
    get_incident(session, incident_id)
    if severity not in INJURY_SEVERITIES:
        raise InvalidParameterError(
            f"severity: {severity!r} is not a severity; use one of {', '.join(INJURY_SEVERITIES)}"
        )
    member = get_member(session, incident_id=incident_id, member_id=member_id)
    report = InjuryReport(
        incident_id=incident_id,
        member_id=member_id,
        severity=severity,
        treatment=treatment,
        time=time,
        actor=actor,
    )
    session.add(report)
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
