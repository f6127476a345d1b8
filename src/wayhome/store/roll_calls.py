"""Roll call (PAR): ask everyone in the field, or one team, to answer; escalate the silent.

A roll call expects an answer from every member of its scope who is in the field
(checked in or assigned) when it starts. A member answers for themself, or their team
leader answers for them when both are in the same pair (a phone died, a hand is busy).
Answering twice changes nothing. :func:`escalate_overdue` marks every answer still
missing at the roll call's due time as escalated and logs one line per silent member;
a late answer still counts, and the escalation stays on record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, aliased

from wayhome.errors import InvalidParameterError
from wayhome.store.errors import UnknownRecordError
from wayhome.store.incidents import get_incident, log_activity
from wayhome.store.models import Member, RollCall, RollCallAnswer, TeamMember
from wayhome.store.roster import FIELD_STATUSES, get_member, get_team

__all__ = [
    "RecordedAnswer",
    "acknowledge_roll_call",
    "escalate_overdue",
    "get_roll_call",
    "list_roll_calls",
    "start_roll_call",
]


@dataclass(frozen=True, slots=True)
class RecordedAnswer:
    """A roll call after an answer, and whether this call recorded it (``False``: a repeat)."""

    roll_call: RollCall
    recorded: bool


def _clock(time: datetime) -> str:
    return f"{time:%H:%M}Z"


def start_roll_call(
    session: Session,
    *,
    incident_id: int,
    now: datetime,
    timeout: timedelta,
    team_id: int | None = None,
    actor: str = "system",
) -> RollCall:
    """Ask the incident's field members (or one team's) to answer within ``timeout``."""
    get_incident(session, incident_id)
    if timeout <= timedelta(0):
        raise InvalidParameterError("timeout: give a positive time, e.g. 5 minutes")
    query = select(Member).where(
        Member.incident_id == incident_id, Member.status.in_(FIELD_STATUSES)
    )
    scope = "everyone in the field"
    if team_id is not None:
        team = get_team(session, incident_id=incident_id, team_id=team_id)
        query = query.join(TeamMember, TeamMember.member_id == Member.id).where(
            TeamMember.team_id == team_id
        )
        scope = f"team {team.name}"
    expected = session.scalars(query.order_by(Member.id)).all()
    if not expected:
        raise InvalidParameterError(
            f"team_id: nobody of {scope} is checked in; check members in before a roll call"
        )
    roll_call = RollCall(
        incident_id=incident_id, team_id=team_id, started_at=now, due_at=now + timeout, actor=actor
    )
    session.add(roll_call)
    session.flush()
    session.add_all(RollCallAnswer(roll_call_id=roll_call.id, member_id=m.id) for m in expected)
    log_activity(
        session,
        incident_id=incident_id,
        actor=actor,
        kind="roll_call",
        text=f"roll call {roll_call.id} started for {scope}: {len(expected)} members, "
        f"answers due by {_clock(roll_call.due_at)}",
    )
    session.commit()
    session.refresh(roll_call, ["answers"])
    return roll_call


def get_roll_call(session: Session, *, incident_id: int, roll_call_id: int) -> RollCall:
    """The roll call ``roll_call_id`` of this incident; :class:`UnknownRecordError` otherwise."""
    roll_call = session.get(RollCall, roll_call_id)
    if roll_call is None or roll_call.incident_id != incident_id:
        raise UnknownRecordError(
            f"roll call {roll_call_id}: no such roll call in incident {incident_id}"
        )
    return roll_call


def list_roll_calls(session: Session, incident_id: int) -> Sequence[RollCall]:
    """The incident's roll calls, oldest first."""
    get_incident(session, incident_id)
    query = select(RollCall).where(RollCall.incident_id == incident_id).order_by(RollCall.id)
    return session.scalars(query).all()


def _check_answerer(session: Session, *, incident_id: int, member_id: int, by: int) -> Member:
    """The member answering; a leader may answer for a member of their own pair."""
    answerer = get_member(session, incident_id=incident_id, member_id=by)
    if by == member_id:
        return answerer
    leader, buddy = aliased(TeamMember), aliased(TeamMember)
    shared = session.execute(
        select(leader.id)
        .join(buddy, (buddy.team_id == leader.team_id) & (buddy.pair == leader.pair))
        .where(leader.member_id == by, leader.leader.is_(True), buddy.member_id == member_id)
    ).first()
    if shared is None:
        raise InvalidParameterError(
            f"by_member_id: member {by} may not answer for member {member_id}; "
            "only the member or the team leader of their pair answers"
        )
    return answerer


def acknowledge_roll_call(
    session: Session,
    *,
    incident_id: int,
    roll_call_id: int,
    member_id: int,
    now: datetime,
    by_member_id: int | None = None,
    actor: str | None = None,
) -> RecordedAnswer:
    """Record ``member_id``'s answer (given by ``by_member_id``, themself by default).

    A second answer for the same member is not recorded again. ``actor`` names who sent
    it for the log (the logged-in user); by default the answering member.
    """
    roll_call = get_roll_call(session, incident_id=incident_id, roll_call_id=roll_call_id)
    answer = next((a for a in roll_call.answers if a.member_id == member_id), None)
    if answer is None:
        raise UnknownRecordError(
            f"member_id: member {member_id} was not asked in roll call {roll_call_id}"
        )
    by = member_id if by_member_id is None else by_member_id
    answerer = _check_answerer(session, incident_id=incident_id, member_id=member_id, by=by)
    changed = session.execute(
        update(RollCallAnswer)
        .where(RollCallAnswer.id == answer.id, RollCallAnswer.status != "answered")
        .values(status="answered", answered_at=now, answered_by=by)
    )
    if not changed.rowcount:  # type: ignore[attr-defined]
        session.commit()  # nothing was written: a repeated answer
        return RecordedAnswer(roll_call, recorded=False)
    member = get_member(session, incident_id=incident_id, member_id=member_id)
    late = " (late, after escalation)" if answer.escalated_at is not None else ""
    via = "" if by == member_id else f" (answered by {answerer.name}, team leader)"
    log_activity(
        session,
        incident_id=incident_id,
        actor=actor or answerer.name,
        kind="roll_call",
        text=f"roll call {roll_call_id}: {member.name} answered{via}{late}",
    )
    session.commit()
    return RecordedAnswer(roll_call, recorded=True)


def escalate_overdue(
    session: Session, *, now: datetime, incident_id: int | None = None
) -> list[RollCallAnswer]:
    """Escalate every answer still missing at its roll call's due time; the newly escalated.

    Each silent member gets one activity-log line; running this again escalates nobody twice.
    """
    query = (
        select(RollCallAnswer, RollCall, Member)
        .join(RollCall, RollCall.id == RollCallAnswer.roll_call_id)
        .join(Member, Member.id == RollCallAnswer.member_id)
        .where(RollCallAnswer.status == "pending", RollCall.due_at <= now)
        .order_by(RollCall.id, RollCallAnswer.member_id)
    )
    if incident_id is not None:
        get_incident(session, incident_id)
        query = query.where(RollCall.incident_id == incident_id)
    escalated: list[RollCallAnswer] = []
    for answer, roll_call, member in session.execute(query).all():
        changed = session.execute(
            update(RollCallAnswer)
            .where(RollCallAnswer.id == answer.id, RollCallAnswer.status == "pending")
            .values(status="escalated", escalated_at=now)
        )
        if not changed.rowcount:  # type: ignore[attr-defined]
            continue  # answered or escalated meanwhile
        minutes = (roll_call.due_at - roll_call.started_at).total_seconds() / 60
        log_activity(
            session,
            incident_id=roll_call.incident_id,
            actor="system",
            kind="roll_call",
            text=f"roll call {roll_call.id}: no answer from {member.name} "
            f"{minutes:g} min after it was asked; escalated",
        )
        escalated.append(answer)
    session.commit()
    return escalated
