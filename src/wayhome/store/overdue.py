"""Overdue teams: a team in the field that has gone silent, or is past its turnaround time.

A team is *in the field* while it has an assignment in progress or any member with the
ICS-211 status ``assigned``. It is *overdue* when

- no member has been heard from for longer than ``no_contact``: contact is the newest of
  a member's last position, roll-call answer (given by them or for them) and signal
  acknowledgement; the clock starts no earlier than the assignment's start (the team's
  creation without one), so a team sent out is not overdue the moment it leaves; or
- its assignment in progress is past its turnaround time.

:func:`check_overdue` raises the alert once (``Team.overdue_since`` and one activity-log
line) and clears it once the rule no longer holds (contact resumed, assignment finished).
Only aggregate queries are run: one row per team, never a scan of the position tracks
(``last_position`` holds one row per member).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session, lazyload

from wayhome.errors import InvalidParameterError
from wayhome.store.incidents import get_incident, log_activity
from wayhome.store.models import (
    Assignment,
    Incident,
    LastPosition,
    Member,
    RollCallAnswer,
    SignalDelivery,
    Team,
    TeamMember,
)

__all__ = ["OverdueChange", "OverdueTeam", "check_overdue", "list_overdue"]


@dataclass(frozen=True, slots=True)
class OverdueChange:
    """A team became overdue (``raised``) or stopped being overdue (``cleared``).

    ``since`` is when the team became overdue; ``reason`` says why it was raised or cleared.
    """

    team_id: int
    team_name: str
    incident_id: int
    event: Literal["raised", "cleared"]
    reason: str
    since: datetime


@dataclass(frozen=True, slots=True)
class OverdueTeam:
    """A team currently marked overdue, since when, and why (judged at the time asked)."""

    team_id: int
    team_name: str
    incident_id: int
    reason: str
    since: datetime


@dataclass(frozen=True, slots=True)
class _Judgement:
    team: Team
    in_field: bool
    reasons: tuple[str, ...]


def _check_no_contact(no_contact: timedelta) -> None:
    if no_contact <= timedelta(0):
        raise InvalidParameterError("no_contact: give a positive time, e.g. 30 minutes")


def _scope(column: InstrumentedAttribute[int], incident_id: int | None) -> ColumnElement[bool]:
    """One incident, or (the watch) every open incident."""
    if incident_id is not None:
        return column == incident_id
    return column.in_(select(Incident.id).where(Incident.status == "open"))


def _newest_contact(session: Session, team_ids: set[int]) -> dict[int, datetime]:
    """Each team's newest contact from any of its members: one grouped query per source."""
    member = TeamMember.member_id
    sources: tuple[tuple[InstrumentedAttribute[Any], ColumnElement[bool]], ...] = (
        (LastPosition.time, member == LastPosition.member_id),
        # An answer counts for the member and for the leader who gave it for them.
        (
            RollCallAnswer.answered_at,
            (member == RollCallAnswer.member_id) | (member == RollCallAnswer.answered_by),
        ),
        (SignalDelivery.acknowledged_at, member == SignalDelivery.member_id),
    )
    newest: dict[int, datetime] = {}
    for time, joined in sources:
        query = (
            select(TeamMember.team_id, func.max(time))
            .join(time.class_, joined)
            .where(TeamMember.team_id.in_(team_ids), time.is_not(None))
            .group_by(TeamMember.team_id)
        )
        for team_id, when in session.execute(query):
            if when is not None and (team_id not in newest or when > newest[team_id]):
                newest[team_id] = when
    return newest


def _minutes(span: timedelta) -> int:
    return int(span.total_seconds() // 60)


def _judge(
    session: Session, *, now: datetime, no_contact: timedelta, incident_id: int | None
) -> list[_Judgement]:
    """Every team in the field or marked overdue, with the overdue rules that hold now."""
    # Assignments in progress: when they started and when the team must turn around.
    working = {
        team_id: (started, turnaround)
        for team_id, started, turnaround in session.execute(
            select(
                Assignment.team_id,
                func.max(Assignment.started_at),
                func.min(Assignment.turnaround_at),
            )
            .where(Assignment.status == "in_progress", _scope(Assignment.incident_id, incident_id))
            .group_by(Assignment.team_id)
        )
    }
    assigned = set(
        session.scalars(
            select(TeamMember.team_id)
            .join(Member, Member.id == TeamMember.member_id)
            .where(Member.status == "assigned", _scope(Member.incident_id, incident_id))
            .distinct()
        )
    )
    marked = set(
        session.scalars(
            select(Team.id).where(
                Team.overdue_since.is_not(None), _scope(Team.incident_id, incident_id)
            )
        )
    )
    candidates = working.keys() | assigned | marked
    if not candidates:
        return []
    # Fresh rows: the overdue mark may have been changed by another session (an assignment).
    teams = session.scalars(
        select(Team)
        .where(Team.id.in_(candidates))
        .order_by(Team.id)
        .options(lazyload(Team.members))  # the members are not needed here
        .execution_options(populate_existing=True)
    ).all()
    contact = _newest_contact(session, working.keys() | assigned)
    judged: list[_Judgement] = []
    for team in teams:
        in_field = team.id in working or team.id in assigned
        reasons: list[str] = []
        if in_field:
            started, turnaround = working.get(team.id, (None, None))
            # The clock starts when the team was sent out (or formed), not before.
            heard = started or team.created_at
            if team.id in contact:
                heard = max(heard, contact[team.id])
            silent = now - heard
            if silent > no_contact:
                reasons.append(f"no contact for {_minutes(silent)} min")
            if turnaround is not None and now > turnaround:
                reasons.append(f"past turnaround {turnaround.astimezone(UTC):%H:%M} UTC")
        judged.append(_Judgement(team, in_field, tuple(reasons)))
    return judged


def _cleared_reason(judgement: _Judgement) -> str:
    return "back in contact" if judgement.in_field else "out of the field"


def check_overdue(
    session: Session,
    *,
    now: datetime,
    no_contact: timedelta,
    incident_id: int | None = None,
) -> list[OverdueChange]:
    """Raise and clear overdue alerts at ``now``; the changes, by team.

    Every open incident is checked when ``incident_id`` is ``None``. A team is raised once
    (``overdue_since = now`` and ``team <name> overdue: <reason>`` in the log) and cleared
    once (``team <name> back in contact``); running this again changes nothing.
    """
    _check_no_contact(no_contact)
    if incident_id is not None:
        get_incident(session, incident_id)
    changes: list[OverdueChange] = []
    for judgement in _judge(session, now=now, no_contact=no_contact, incident_id=incident_id):
        team = judgement.team
        since = team.overdue_since
        if judgement.reasons and since is None:
            event: Literal["raised", "cleared"] = "raised"
            reason = "; ".join(judgement.reasons)
            # Conditional on the old state, so two watchers never raise one team twice.
            guard = Team.overdue_since.is_(None)
            since, text = now, f"team {team.name} overdue: {reason}"
            value: datetime | None = now
        elif not judgement.reasons and since is not None:
            event, reason = "cleared", _cleared_reason(judgement)
            guard = Team.overdue_since.is_not(None)
            text = f"team {team.name} {reason}"
            value = None
        else:
            continue
        changed = session.execute(
            update(Team).where(Team.id == team.id, guard).values(overdue_since=value)
        )
        if not changed.rowcount:  # type: ignore[attr-defined]
            continue  # another watcher got there first
        log_activity(
            session, incident_id=team.incident_id, actor="system", kind="overdue", text=text
        )
        changes.append(OverdueChange(team.id, team.name, team.incident_id, event, reason, since))
    session.commit()
    return changes


def list_overdue(
    session: Session, incident_id: int, *, now: datetime, no_contact: timedelta
) -> list[OverdueTeam]:
    """The incident's teams marked overdue, each with why at ``now``; changes nothing.

    A team whose rule stopped holding since the last :func:`check_overdue` is still
    listed (its reason says it will be cleared at the next check).
    """
    _check_no_contact(no_contact)
    get_incident(session, incident_id)
    out: list[OverdueTeam] = []
    for judgement in _judge(session, now=now, no_contact=no_contact, incident_id=incident_id):
        team = judgement.team
        if team.overdue_since is None:
            continue
        reason = "; ".join(judgement.reasons)
        if not reason:
            reason = f"{_cleared_reason(judgement)}; cleared at the next check"
        out.append(OverdueTeam(team.id, team.name, team.incident_id, reason, team.overdue_since))
    return out
