"""wayhome.store.overdue: silent teams and teams past turnaround, raised and cleared once."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from wayhome.errors import InvalidParameterError
from wayhome.store import (
    OverdueChange,
    Pair,
    PositionReport,
    UnknownRecordError,
    acknowledge_roll_call,
    acknowledge_signal,
    add_member,
    check_overdue,
    create_incident,
    create_team,
    list_activity,
    list_overdue,
    record_positions,
    send_signal,
    set_member_status,
    start_roll_call,
)
from wayhome.store.models import Assignment, Incident, Team

T0 = datetime(2026, 6, 1, 14, 0, tzinfo=UTC)
LIMIT = timedelta(minutes=30)


def _minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def _team(
    session: Session, incident_id: int, name: str, status: str = "checked_in"
) -> tuple[Team, list[int]]:
    """Team ``name`` of two members (the first leads), formed at T0; members set to ``status``."""
    ids = [add_member(session, incident_id=incident_id, name=f"{name} {i}").id for i in (1, 2)]
    for m in ids:
        set_member_status(session, incident_id=incident_id, member_id=m, status=status)
    team = create_team(
        session, incident_id=incident_id, name=name, pairs=[Pair(tuple(ids))], leader_id=ids[0]
    )
    team.created_at = T0  # formed on the test's clock, not the wall clock
    session.commit()
    return team, ids


def _send_out(
    session: Session, team: Team, *, started: datetime = T0, turnaround: datetime | None = None
) -> Assignment:
    """An assignment in progress for ``team`` (a model row: no dependence on its service)."""
    assignment = Assignment(
        incident_id=team.incident_id,
        team_id=team.id,
        segment="A1",
        status="in_progress",
        started_at=started,
        turnaround_at=turnaround,
    )
    session.add(assignment)
    session.commit()
    return assignment


def _position(session: Session, incident_id: int, member_id: int, at: datetime) -> None:
    report = PositionReport(uuid.uuid4(), member_id, 36.5, -84.3, at)
    record_positions(session, incident_id=incident_id, reports=[report])


def _check(session: Session, at: datetime, incident_id: int | None = None) -> list[OverdueChange]:
    return check_overdue(session, now=at, no_contact=LIMIT, incident_id=incident_id)


def _overdue_log(session: Session, incident_id: int) -> list[str]:
    return [a.text for a in list_activity(session, incident_id) if a.kind == "overdue"]


def test_a_silent_team_is_raised_once_and_cleared_when_heard_from(session: Session) -> None:
    incident = create_incident(session, name="x").id
    bravo, (leader, _) = _team(session, incident, "Bravo")
    _send_out(session, bravo)
    assert _check(session, _minutes(30)) == []  # exactly the limit: not yet
    [raised] = _check(session, _minutes(34))
    assert raised == OverdueChange(
        bravo.id, "Bravo", incident, "raised", "no contact for 34 min", _minutes(34)
    )
    assert session.get_one(Team, bravo.id).overdue_since == _minutes(34)
    assert _check(session, _minutes(40)) == []  # raised once
    [listed] = list_overdue(session, incident, now=_minutes(40), no_contact=LIMIT)
    assert (listed.team_name, listed.reason, listed.since) == (
        "Bravo",
        "no contact for 40 min",
        _minutes(34),
    )
    _position(session, incident, leader, _minutes(41))
    [stale] = list_overdue(session, incident, now=_minutes(42), no_contact=LIMIT)
    assert stale.reason == "back in contact; cleared at the next check"
    [cleared] = _check(session, _minutes(42))
    assert (cleared.event, cleared.reason, cleared.since) == (
        "cleared",
        "back in contact",
        _minutes(34),
    )
    assert session.get_one(Team, bravo.id).overdue_since is None
    assert _check(session, _minutes(43)) == []
    assert list_overdue(session, incident, now=_minutes(43), no_contact=LIMIT) == []
    assert _overdue_log(session, incident) == [
        "team Bravo overdue: no contact for 34 min",
        "team Bravo back in contact",
    ]
    assert {a.actor for a in list_activity(session, incident) if a.kind == "overdue"} == {"system"}


def test_contact_is_the_newest_position_answer_or_acknowledgement(session: Session) -> None:
    incident = create_incident(session, name="x").id
    alpha, (_, a_buddy) = _team(session, incident, "Alpha", "assigned")
    bravo, (b_lead, b_buddy) = _team(session, incident, "Bravo", "assigned")
    charlie, (c_lead, _) = _team(session, incident, "Charlie", "assigned")
    _team(session, incident, "Delta", "assigned")  # never heard from: counts from T0
    # Alpha: a position at 14:10. Bravo: its leader answers a roll call for his buddy at 14:20.
    _position(session, incident, a_buddy, _minutes(10))
    roll_call = start_roll_call(session, incident_id=incident, now=_minutes(19), timeout=LIMIT)
    acknowledge_roll_call(
        session,
        incident_id=incident,
        roll_call_id=roll_call.id,
        member_id=b_buddy,
        by_member_id=b_lead,
        now=_minutes(20),
    )
    # Charlie acknowledges a signal at 14:25; an old position of theirs is older.
    _position(session, incident, c_lead, _minutes(1))
    signal = send_signal(session, incident_id=incident, code="hazard", now=_minutes(24))
    acknowledge_signal(
        session, incident_id=incident, signal_id=signal.id, member_id=c_lead, now=_minutes(25)
    )
    silent = {c.team_name: c.reason for c in _check(session, _minutes(45))}
    assert silent == {"Alpha": "no contact for 35 min", "Delta": "no contact for 45 min"}
    silent = {c.team_name: c.reason for c in _check(session, _minutes(55.5))}
    assert silent == {"Bravo": "no contact for 35 min", "Charlie": "no contact for 30 min"}
    assert {alpha.id, bravo.id, charlie.id} <= {
        t.team_id for t in list_overdue(session, incident, now=_minutes(56), no_contact=LIMIT)
    }


def test_the_clock_starts_when_the_team_is_sent_out(session: Session) -> None:
    incident = create_incident(session, name="x").id
    bravo, (leader, _) = _team(session, incident, "Bravo")
    _position(session, incident, leader, T0)  # heard at staging, long before
    _send_out(session, bravo, started=_minutes(60))
    assert _check(session, _minutes(89)) == []
    [raised] = _check(session, _minutes(91))
    assert raised.reason == "no contact for 31 min"


def test_past_turnaround_is_overdue_until_the_assignment_ends(session: Session) -> None:
    incident = create_incident(session, name="x").id
    bravo, (leader, buddy) = _team(session, incident, "Bravo", "assigned")
    turnaround = datetime(2026, 6, 1, 17, 0, tzinfo=UTC)
    assignment = _send_out(session, bravo, turnaround=turnaround)
    _position(session, incident, leader, turnaround - timedelta(minutes=1))
    assert _check(session, turnaround) == []  # at the turnaround time: not past it
    [raised] = _check(session, turnaround + timedelta(minutes=1))
    assert raised.reason == "past turnaround 17:00 UTC"
    # Still walking back, and silent too: still overdue (nothing new is raised).
    assert _check(session, turnaround + timedelta(minutes=45)) == []
    [listed] = list_overdue(
        session, incident, now=turnaround + timedelta(minutes=45), no_contact=LIMIT
    )
    assert listed.reason == "no contact for 46 min; past turnaround 17:00 UTC"
    # Back at base: the assignment is completed and the members checked in.
    assignment.status = "completed"
    for m in (leader, buddy):
        set_member_status(session, incident_id=incident, member_id=m, status="checked_in")
    [cleared] = _check(session, turnaround + timedelta(minutes=50))
    assert (cleared.event, cleared.reason) == ("cleared", "out of the field")
    assert _overdue_log(session, incident) == [
        "team Bravo overdue: past turnaround 17:00 UTC",
        "team Bravo out of the field",
    ]


def test_both_reasons_at_once_are_named_together(session: Session) -> None:
    incident = create_incident(session, name="x").id
    bravo, _ = _team(session, incident, "Bravo")
    _send_out(session, bravo, turnaround=_minutes(20))
    [raised] = _check(session, _minutes(31))
    assert raised.reason == "no contact for 31 min; past turnaround 14:20 UTC"


def test_teams_not_in_the_field_are_never_overdue(session: Session) -> None:
    incident = create_incident(session, name="x").id
    staging, _ = _team(session, incident, "Staging")  # checked in, nothing in progress
    done, _ = _team(session, incident, "Done")
    planned = _send_out(session, staging)
    planned.status = "planned"
    finished = _send_out(session, done, turnaround=_minutes(5))
    finished.status = "completed"
    session.commit()
    assert _check(session, _minutes(600)) == []
    assert _overdue_log(session, incident) == []


def test_one_incident_or_every_open_one(session: Session) -> None:
    first = create_incident(session, name="x").id
    second = create_incident(session, name="y").id
    closed = create_incident(session, name="z").id
    for incident in (first, second, closed):
        _team(session, incident, f"Team {incident}", "assigned")
    session.get_one(Incident, closed).status = "closed"
    session.commit()
    assert [c.incident_id for c in _check(session, _minutes(31), incident_id=second)] == [second]
    assert [c.incident_id for c in _check(session, _minutes(32))] == [first]  # not closed


@pytest.fixture
def statements(session: Session) -> Iterator[list[str]]:
    """The SQL statements run on the session's engine during the test."""
    seen: list[str] = []
    engine = session.get_bind()

    def record(*args: Any) -> None:
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def test_the_check_reads_aggregates_not_the_tracks(session: Session, statements: list[str]) -> None:
    incident = create_incident(session, name="x").id
    teams = [_team(session, incident, f"T{i}", "assigned") for i in range(6)]
    for team, (lead, _) in teams:
        _send_out(session, team, turnaround=_minutes(120))
        for minute in range(5):
            _position(session, incident, lead, _minutes(minute))
    statements.clear()
    changes = _check(session, _minutes(36), incident_id=incident)
    assert len(changes) == 6
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert not [s for s in reads if re.search(r"\bposition\b", s)]  # only last_position
    # A fixed number of reads whatever the number of teams: the incident, three to find
    # the teams, the teams, three contact sources.
    assert len(reads) <= 8


def test_refusals(session: Session) -> None:
    with pytest.raises(InvalidParameterError, match="no_contact: give a positive time"):
        check_overdue(session, now=T0, no_contact=timedelta(0))
    with pytest.raises(UnknownRecordError, match="incident 999"):
        check_overdue(session, now=T0, no_contact=LIMIT, incident_id=999)
    with pytest.raises(UnknownRecordError, match="incident 999"):
        list_overdue(session, 999, now=T0, no_contact=LIMIT)
