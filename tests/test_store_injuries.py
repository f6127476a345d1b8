"""wayhome.store.injuries: injury reports, out of service, reduced teams (SQLite and PG)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wayhome.errors import InvalidParameterError
from wayhome.store import (
    INJURY_SEVERITIES,
    Pair,
    UnknownRecordError,
    add_member,
    create_incident,
    create_team,
    get_member,
    get_team,
    list_activity,
    list_injuries,
    report_injury,
    set_member_status,
)
from wayhome.store.models import InjuryReport

T0 = datetime(2026, 6, 1, 14, 10, tzinfo=UTC)


def _assigned(session: Session, incident_id: int, *names: str) -> list[int]:
    ids = [add_member(session, incident_id=incident_id, name=n).id for n in names]
    for m in ids:
        set_member_status(session, incident_id=incident_id, member_id=m, status="assigned")
    return ids


def _log(session: Session, incident_id: int) -> list[str]:
    return [a.text for a in list_activity(session, incident_id)]


def test_an_injury_takes_the_member_out_and_reduces_each_of_their_teams(
    session: Session,
) -> None:
    incident = create_incident(session, name="x").id
    ada, ben, cora = _assigned(session, incident, "Ada", "Ben", "Cora")
    # Ben is in two teams (a day team and a night team).
    day = create_team(session, incident_id=incident, name="Day", pairs=[Pair((ada, ben))]).id
    night = create_team(session, incident_id=incident, name="Night", pairs=[Pair((ben, cora))]).id
    before = len(_log(session, incident))
    report = report_injury(
        session,
        incident_id=incident,
        member_id=ben,
        severity="serious",
        treatment="ankle splinted",
        time=T0,
        actor="medic",
    )
    assert (report.member_id, report.severity, report.treatment, report.time, report.actor) == (
        ben,
        "serious",
        "ankle splinted",
        T0,
        "medic",
    )
    assert get_member(session, incident_id=incident, member_id=ben).status == "out_of_service"
    assert get_member(session, incident_id=incident, member_id=ada).status == "assigned"
    for team in (day, night):
        assert get_team(session, incident_id=incident, team_id=team).capability == "reduced"
    assert _log(session, incident)[before:] == [
        "injury: Ben (serious) at 14:10Z; treatment: ankle splinted",
        "team Day: capability full -> reduced (Ben injured)",
        "team Night: capability full -> reduced (Ben injured)",
        "Ben: assigned -> out_of_service",
    ]
    assert {a.actor for a in list_activity(session, incident)[before:]} == {"medic"}


def test_a_second_injury_in_a_reduced_team_logs_no_second_capability_change(
    session: Session,
) -> None:
    incident = create_incident(session, name="x").id
    ada, ben = _assigned(session, incident, "Ada", "Ben")
    create_team(session, incident_id=incident, name="Day", pairs=[Pair((ada, ben))])
    first = report_injury(
        session, incident_id=incident, member_id=ben, severity="minor", treatment="plaster", time=T0
    )
    later = T0 + timedelta(minutes=30)
    second = report_injury(
        session,
        incident_id=incident,
        member_id=ada,
        severity="critical",
        treatment="CPR",
        time=later,
    )
    assert [r.id for r in list_injuries(session, incident)] == [first.id, second.id]
    log = _log(session, incident)
    assert [t for t in log if "capability" in t] == [
        "team Day: capability full -> reduced (Ben injured)"
    ]
    assert log[-2:] == [
        "injury: Ada (critical) at 14:40Z; treatment: CPR",
        "Ada: assigned -> out_of_service",
    ]


def test_a_member_in_no_team_is_taken_out_of_service(session: Session) -> None:
    incident = create_incident(session, name="x").id
    [eve] = _assigned(session, incident, "Eve")
    report_injury(
        session, incident_id=incident, member_id=eve, severity="minor", treatment="none", time=T0
    )
    assert get_member(session, incident_id=incident, member_id=eve).status == "out_of_service"
    assert not [t for t in _log(session, incident) if "capability" in t]


def test_injury_refusals_store_nothing(session: Session) -> None:
    incident = create_incident(session, name="x").id
    ada, ben = _assigned(session, incident, "Ada", "Ben")
    team = create_team(session, incident_id=incident, name="Day", pairs=[Pair((ada, ben))]).id
    before = _log(session, incident)
    with pytest.raises(InvalidParameterError, match="severity: 'grave' is not a severity") as info:
        report_injury(
            session, incident_id=incident, member_id=ada, severity="grave", treatment="-", time=T0
        )
    assert ", ".join(INJURY_SEVERITIES) in str(info.value)
    other = create_incident(session, name="y").id
    with pytest.raises(UnknownRecordError, match=f"member {ada}: not on the roster of incident"):
        report_injury(
            session, incident_id=other, member_id=ada, severity="minor", treatment="-", time=T0
        )
    with pytest.raises(UnknownRecordError, match="incident 999"):
        report_injury(
            session, incident_id=999, member_id=ada, severity="minor", treatment="-", time=T0
        )
    with pytest.raises(UnknownRecordError, match="incident 999"):
        list_injuries(session, 999)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(InjuryReport)) == 0
    assert get_member(session, incident_id=incident, member_id=ada).status == "assigned"
    assert get_team(session, incident_id=incident, team_id=team).capability == "full"
    assert _log(session, incident) == before
