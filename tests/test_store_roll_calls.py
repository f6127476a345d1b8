"""wayhome.store.roll_calls: PAR roll calls, answers, leaders and escalation (SQLite and PG)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from wayhome.errors import InvalidParameterError
from wayhome.store import (
    Pair,
    UnknownRecordError,
    acknowledge_roll_call,
    add_member,
    create_incident,
    create_team,
    escalate_overdue,
    list_activity,
    set_member_status,
    start_roll_call,
)

T0 = datetime(2026, 6, 1, 14, 0, tzinfo=UTC)
FIVE_MIN = timedelta(minutes=5)


def _field_team(session: Session, incident_id: int, names: list[str]) -> tuple[int, list[int]]:
    """A team of pairs from ``names`` (first is leader), everyone checked in."""
    ids = [add_member(session, incident_id=incident_id, name=n).id for n in names]
    for m in ids:
        set_member_status(session, incident_id=incident_id, member_id=m, status="checked_in")
    pairs = [Pair(tuple(ids[i : i + 2])) for i in range(0, len(ids), 2)]
    team = create_team(
        session, incident_id=incident_id, name="Team 1", pairs=pairs, leader_id=ids[0]
    )
    return team.id, ids


def test_a_silent_member_is_escalated_after_the_timeout(session: Session) -> None:
    incident = create_incident(session, name="Missing child").id
    _, (ada, ben, cora, dev) = _field_team(session, incident, ["Ada", "Ben", "Cora", "Dev"])
    outsider = add_member(session, incident_id=incident, name="Staging only").id  # not checked in
    roll_call = start_roll_call(session, incident_id=incident, now=T0, timeout=FIVE_MIN)
    assert [a.member_id for a in roll_call.answers] == [ada, ben, cora, dev]
    assert outsider not in {a.member_id for a in roll_call.answers}
    for m in (ada, cora):
        acknowledge_roll_call(
            session, incident_id=incident, roll_call_id=roll_call.id, member_id=m, now=T0
        )
    # Ada leads the team and answers for Ben, her pair; Dev stays silent.
    acknowledge_roll_call(
        session,
        incident_id=incident,
        roll_call_id=roll_call.id,
        member_id=ben,
        by_member_id=ada,
        now=T0 + timedelta(minutes=1),
    )
    assert escalate_overdue(session, now=T0 + FIVE_MIN - timedelta(seconds=1)) == []
    escalated = escalate_overdue(session, now=T0 + FIVE_MIN)
    assert [a.member_id for a in escalated] == [dev]
    assert escalate_overdue(session, now=T0 + 2 * FIVE_MIN) == []  # nobody twice
    statuses = {a.member_id: (a.status, a.answered_by) for a in roll_call.answers}
    assert statuses == {
        ada: ("answered", ada),
        ben: ("answered", ada),
        cora: ("answered", cora),
        dev: ("escalated", None),
    }
    texts = [a.text for a in list_activity(session, incident) if a.kind == "roll_call"]
    assert texts == [
        f"roll call {roll_call.id} started for everyone in the field: 4 members, "
        "answers due by 14:05Z",
        f"roll call {roll_call.id}: Ada answered",
        f"roll call {roll_call.id}: Cora answered",
        f"roll call {roll_call.id}: Ben answered (answered by Ada, team leader)",
        f"roll call {roll_call.id}: no answer from Dev 5 min after it was asked; escalated",
    ]


def test_answering_twice_is_idempotent_and_a_late_answer_counts(session: Session) -> None:
    incident = create_incident(session, name="x").id
    _, (ada, ben) = _field_team(session, incident, ["Ada", "Ben"])
    rc = start_roll_call(session, incident_id=incident, now=T0, timeout=FIVE_MIN).id
    first = acknowledge_roll_call(
        session, incident_id=incident, roll_call_id=rc, member_id=ada, now=T0
    )
    again = acknowledge_roll_call(
        session, incident_id=incident, roll_call_id=rc, member_id=ada, now=T0 + FIVE_MIN
    )
    assert (first.recorded, again.recorded) == (True, False)
    answer = next(a for a in again.roll_call.answers if a.member_id == ada)
    assert answer.answered_at == T0  # the first answer stands
    escalate_overdue(session, now=T0 + FIVE_MIN)
    late = acknowledge_roll_call(
        session, incident_id=incident, roll_call_id=rc, member_id=ben, now=T0 + 2 * FIVE_MIN
    )
    ben_answer = next(a for a in late.roll_call.answers if a.member_id == ben)
    assert (ben_answer.status, ben_answer.escalated_at) == ("answered", T0 + FIVE_MIN)
    log = [a.text for a in list_activity(session, incident) if a.kind == "roll_call"]
    assert sum("Ada answered" in t for t in log) == 1
    assert log[-1].endswith("Ben answered (late, after escalation)")


def test_team_roll_call_and_who_may_answer(session: Session) -> None:
    incident = create_incident(session, name="x").id
    team, (ada, ben, cora, dev) = _field_team(session, incident, ["Ada", "Ben", "Cora", "Dev"])
    _, (eli, _fay) = _field_team(session, incident, ["Eli", "Fay"])
    rc = start_roll_call(session, incident_id=incident, team_id=team, now=T0, timeout=FIVE_MIN)
    assert [a.member_id for a in rc.answers] == [ada, ben, cora, dev]

    def answer(member_id: int, by: int) -> None:
        acknowledge_roll_call(
            session,
            incident_id=incident,
            roll_call_id=rc.id,
            member_id=member_id,
            by_member_id=by,
            now=T0,
        )

    with pytest.raises(InvalidParameterError, match="only the member or the team leader"):
        answer(ben, cora)  # not the leader
    with pytest.raises(InvalidParameterError, match="may not answer"):
        answer(cora, ada)  # the leader, but of another pair
    with pytest.raises(UnknownRecordError, match=f"member {eli} was not asked"):
        answer(eli, eli)  # another team


def test_roll_call_refusals(session: Session) -> None:
    incident = create_incident(session, name="x").id
    other = create_incident(session, name="y").id
    add_member(session, incident_id=incident, name="Pending")
    with pytest.raises(InvalidParameterError, match="nobody of everyone in the field"):
        start_roll_call(session, incident_id=incident, now=T0, timeout=FIVE_MIN)
    _, (ada, _) = _field_team(session, incident, ["Ada", "Ben"])
    with pytest.raises(InvalidParameterError, match="timeout"):
        start_roll_call(session, incident_id=incident, now=T0, timeout=timedelta(0))
    with pytest.raises(UnknownRecordError, match="team 999"):
        start_roll_call(session, incident_id=incident, team_id=999, now=T0, timeout=FIVE_MIN)
    rc = start_roll_call(session, incident_id=incident, now=T0, timeout=FIVE_MIN).id
    with pytest.raises(UnknownRecordError, match=f"roll call {rc}: no such roll call"):
        acknowledge_roll_call(session, incident_id=other, roll_call_id=rc, member_id=ada, now=T0)
    with pytest.raises(UnknownRecordError, match="incident 999"):
        escalate_overdue(session, now=T0, incident_id=999)
    with pytest.raises(InvalidParameterError, match="status"):
        set_member_status(session, incident_id=incident, member_id=ada, status="asleep")
