"""wayhome.store: operational periods, places and assignments, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from wayhome.errors import ConflictError, InvalidLocationError, InvalidParameterError
from wayhome.store import (
    ASSIGNMENT_STATUSES,
    PLACE_KINDS,
    Pair,
    UnknownRecordError,
    add_member,
    add_place,
    create_assignment,
    create_incident,
    create_period,
    create_team,
    get_assignment,
    get_member,
    get_period,
    get_place,
    get_team,
    list_activity,
    list_assignments,
    list_periods,
    list_places,
    set_assignment_status,
    set_member_status,
)
from wayhome.store.models import Assignment, OperationalPeriod, Place, Team

T0 = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)


def _team(session: Session, incident_id: int, names: tuple[str, str], status: str) -> Team:
    ids = [add_member(session, incident_id=incident_id, name=n).id for n in names]
    for m in ids:
        set_member_status(session, incident_id=incident_id, member_id=m, status=status)
    return create_team(
        session, incident_id=incident_id, name=f"Team {names[0]}", pairs=[Pair(tuple(ids))]
    )


def _statuses(session: Session, incident_id: int, team: Team) -> list[str]:
    session.expire_all()
    return [
        get_member(session, incident_id=incident_id, member_id=tm.member_id).status
        for tm in team.members
    ]


def _log(session: Session, incident_id: int) -> list[str]:
    return [a.text for a in list_activity(session, incident_id)]


# --- Operational periods ------------------------------------------------------------


def test_periods_are_numbered_in_turn_and_may_touch(session: Session) -> None:
    incident = create_incident(session, name="x")
    day = create_period(
        session,
        incident_id=incident.id,
        starts_at=T0,
        ends_at=T0 + timedelta(hours=12),
        objectives=" Search the creek corridor ",
    )
    night = create_period(
        session, incident_id=incident.id, starts_at=day.ends_at, ends_at=T0 + timedelta(hours=24)
    )
    assert (day.number, night.number) == (1, 2)
    assert day.objectives == "Search the creek corridor"
    assert [p.id for p in list_periods(session, incident.id)] == [day.id, night.id]
    assert get_period(session, incident_id=incident.id, period_id=night.id) is night
    assert _log(session, incident.id)[1:] == [
        "operational period 1: 2026-06-01 06:00Z to 2026-06-01 18:00Z; "
        "objectives: Search the creek corridor",
        "operational period 2: 2026-06-01 18:00Z to 2026-06-02 06:00Z",
    ]
    # An explicit number is kept; the next free one follows the highest.
    later = create_period(
        session,
        incident_id=incident.id,
        starts_at=T0 + timedelta(days=2),
        ends_at=T0 + timedelta(days=2, hours=6),
        number=5,
    )
    assert later.number == 5
    after = create_period(
        session,
        incident_id=incident.id,
        starts_at=T0 + timedelta(days=3),
        ends_at=T0 + timedelta(days=3, hours=6),
    )
    assert after.number == 6


def test_overlapping_or_backwards_periods_are_refused_and_nothing_is_stored(
    session: Session,
) -> None:
    incident = create_incident(session, name="x")
    create_period(session, incident_id=incident.id, starts_at=T0, ends_at=T0 + timedelta(hours=12))
    with pytest.raises(ConflictError, match=r"overlaps period 1 .2026-06-01 06:00Z"):
        create_period(
            session,
            incident_id=incident.id,
            starts_at=T0 + timedelta(hours=11),
            ends_at=T0 + timedelta(hours=20),
        )
    with pytest.raises(ConflictError, match="overlaps period 1"):  # wholly inside
        create_period(
            session,
            incident_id=incident.id,
            starts_at=T0 + timedelta(hours=1),
            ends_at=T0 + timedelta(hours=2),
        )
    with pytest.raises(ConflictError, match="number: period 1 exists"):
        create_period(
            session,
            incident_id=incident.id,
            starts_at=T0 + timedelta(days=1),
            ends_at=T0 + timedelta(days=1, hours=1),
            number=1,
        )
    with pytest.raises(InvalidParameterError, match=r"ends_at: .* is not after starts_at"):
        create_period(session, incident_id=incident.id, starts_at=T0, ends_at=T0)
    with pytest.raises(InvalidParameterError, match="starts_at: give a timezone"):
        create_period(
            session,
            incident_id=incident.id,
            starts_at=T0.replace(tzinfo=None),
            ends_at=T0 + timedelta(hours=1),
        )
    with pytest.raises(InvalidParameterError, match="number: 0"):
        create_period(
            session,
            incident_id=incident.id,
            starts_at=T0 + timedelta(days=1),
            ends_at=T0 + timedelta(days=1, hours=1),
            number=0,
        )
    session.rollback()
    assert session.query(OperationalPeriod).count() == 1
    assert len(_log(session, incident.id)) == 2
    # Another incident's periods do not conflict, and are not found through this one.
    other = create_incident(session, name="y")
    theirs = create_period(
        session, incident_id=other.id, starts_at=T0, ends_at=T0 + timedelta(hours=12)
    )
    assert theirs.number == 1
    with pytest.raises(UnknownRecordError, match=f"period {theirs.id}"):
        get_period(session, incident_id=incident.id, period_id=theirs.id)


# --- Places -------------------------------------------------------------------------


def test_places_by_kind(session: Session) -> None:
    incident = create_incident(session, name="x")
    base = add_place(
        session, incident_id=incident.id, kind="staging", name=" Trailhead ", lat=36.5, lon=-84.7
    )
    rv = add_place(
        session, incident_id=incident.id, kind="rendezvous", name="Creek ford", lat=36.6, lon=-84.6
    )
    assert base.name == "Trailhead"
    assert [p.id for p in list_places(session, incident.id)] == [base.id, rv.id]
    assert [p.id for p in list_places(session, incident.id, kind="rendezvous")] == [rv.id]
    assert list_places(session, incident.id, kind="helispot") == []
    assert get_place(session, incident_id=incident.id, place_id=rv.id) is rv
    assert (
        _log(session, incident.id)[-1] == f"rendezvous {rv.id} 'Creek ford' at 36.60000, -84.60000"
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"kind": "parking"}, InvalidParameterError, "kind: 'parking' is not a place kind"),
        ({"name": " "}, InvalidParameterError, "name: give the place a name"),
        ({"lat": 91.0}, InvalidLocationError, "lat: 91.0 is outside -90..90"),
        ({"lat": float("nan")}, InvalidLocationError, "lat: nan"),
        ({"lon": -181.0}, InvalidLocationError, "lon: -181.0 is outside -180..180"),
    ],
)
def test_bad_places_are_refused(
    session: Session, kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    incident = create_incident(session, name="x")
    place: dict[str, Any] = {"kind": "staging", "name": "Base", "lat": 36.5, "lon": -84.7}
    with pytest.raises(error, match=match) as info:
        add_place(session, incident_id=incident.id, **{**place, **kwargs})
    if "kind" in kwargs:
        for kind in PLACE_KINDS:
            assert kind in str(info.value)
    session.rollback()
    assert session.query(Place).count() == 0
    with pytest.raises(InvalidParameterError, match="kind: 'parking'"):
        list_places(session, incident.id, kind="parking")


# --- Assignments --------------------------------------------------------------------


def test_assignment_runs_planned_started_completed(session: Session) -> None:
    incident = create_incident(session, name="x")
    team = _team(session, incident.id, ("Ada", "Ben"), "checked_in")
    period = create_period(
        session, incident_id=incident.id, starts_at=T0, ends_at=T0 + timedelta(hours=12)
    )
    rv = add_place(
        session, incident_id=incident.id, kind="rendezvous", name="Ford", lat=36.6, lon=-84.6
    )
    job = create_assignment(
        session,
        incident_id=incident.id,
        team_id=team.id,
        segment=" A3 ",
        period_id=period.id,
        instructions="Hasty search of the creek",
        rendezvous_id=rv.id,
        turnaround_at=T0 + timedelta(hours=4),
    )
    assert (job.status, job.segment, job.started_at) == ("planned", "A3", None)
    assert _statuses(session, incident.id, team) == ["checked_in", "checked_in"]
    team.overdue_since = T0 + timedelta(hours=5)  # as the overdue watcher would mark it
    session.commit()

    started = set_assignment_status(
        session, incident_id=incident.id, assignment_id=job.id, status="in_progress", now=T0
    )
    assert (started.status, started.started_at) == ("in_progress", T0)
    assert _statuses(session, incident.id, team) == ["assigned", "assigned"]

    done = set_assignment_status(
        session,
        incident_id=incident.id,
        assignment_id=job.id,
        status="completed",
        now=T0 + timedelta(hours=3),
        reported_pod=0.6,
    )
    assert (done.status, done.completed_at, done.reported_pod) == (
        "completed",
        T0 + timedelta(hours=3),
        0.6,
    )
    assert _statuses(session, incident.id, team) == ["checked_in", "checked_in"]
    assert get_team(session, incident_id=incident.id, team_id=team.id).overdue_since is None
    assert _log(session, incident.id)[-7:] == [
        f"assignment {job.id}: team Team Ada to segment A3 in period 1, rendezvous Ford, "
        "turn around at 10:00Z",
        f"assignment {job.id} (team Team Ada, segment A3): planned -> in_progress",
        "Ada: checked_in -> assigned",
        "Ben: checked_in -> assigned",
        f"assignment {job.id} (team Team Ada, segment A3): in_progress -> completed; "
        "reported POD 60%; team no longer overdue",
        "Ada: assigned -> checked_in",
        "Ben: assigned -> checked_in",
    ]
    assert get_assignment(session, incident_id=incident.id, assignment_id=job.id) is done


def test_start_leaves_members_who_are_not_checked_in(session: Session) -> None:
    incident = create_incident(session, name="x")
    team = _team(session, incident.id, ("Ada", "Ben"), "checked_in")
    ben = team.members[1].member_id
    set_member_status(session, incident_id=incident.id, member_id=ben, status="out_of_service")
    job = create_assignment(session, incident_id=incident.id, team_id=team.id, segment="B1")
    set_assignment_status(
        session, incident_id=incident.id, assignment_id=job.id, status="in_progress", now=T0
    )
    assert _statuses(session, incident.id, team) == ["assigned", "out_of_service"]
    set_assignment_status(
        session, incident_id=incident.id, assignment_id=job.id, status="aborted", now=T0
    )
    assert _statuses(session, incident.id, team) == ["checked_in", "out_of_service"]
    assert get_assignment(session, incident_id=incident.id, assignment_id=job.id).status == (
        "aborted"
    )


def test_aborting_a_planned_assignment_keeps_a_team_out_on_another(session: Session) -> None:
    incident = create_incident(session, name="x")
    team = _team(session, incident.id, ("Ada", "Ben"), "checked_in")
    out = create_assignment(session, incident_id=incident.id, team_id=team.id, segment="A1")
    spare = create_assignment(session, incident_id=incident.id, team_id=team.id, segment="A2")
    set_assignment_status(
        session, incident_id=incident.id, assignment_id=out.id, status="in_progress", now=T0
    )
    set_assignment_status(
        session, incident_id=incident.id, assignment_id=spare.id, status="aborted", now=T0
    )
    assert _statuses(session, incident.id, team) == ["assigned", "assigned"]


@pytest.mark.parametrize(
    ("path", "status", "match"),
    [
        ([], "completed", "is planned; it may go to in_progress or aborted, not completed"),
        ([], "planned", "is planned; it may go to in_progress or aborted, not planned"),
        (["in_progress"], "in_progress", "is in_progress; it may go to completed or aborted"),
        (["in_progress", "completed"], "aborted", "is completed; it is finished, not aborted"),
        (["aborted"], "in_progress", "is aborted; it is finished, not in_progress"),
    ],
)
def test_moves_the_status_does_not_allow_are_conflicts(
    session: Session, path: list[str], status: str, match: str
) -> None:
    incident = create_incident(session, name="x")
    team = _team(session, incident.id, ("Ada", "Ben"), "checked_in")
    job = create_assignment(session, incident_id=incident.id, team_id=team.id, segment="A1")
    for step in path:
        set_assignment_status(
            session, incident_id=incident.id, assignment_id=job.id, status=step, now=T0
        )
    before = _log(session, incident.id)
    members = _statuses(session, incident.id, team)
    with pytest.raises(ConflictError, match=f"status: assignment {job.id} {match}"):
        set_assignment_status(
            session, incident_id=incident.id, assignment_id=job.id, status=status, now=T0
        )
    session.rollback()
    assert _log(session, incident.id) == before
    assert _statuses(session, incident.id, team) == members


def test_a_team_works_one_assignment_at_a_time(session: Session) -> None:
    incident = create_incident(session, name="x")
    team = _team(session, incident.id, ("Ada", "Ben"), "checked_in")
    first = create_assignment(session, incident_id=incident.id, team_id=team.id, segment="A1")
    second = create_assignment(session, incident_id=incident.id, team_id=team.id, segment="A2")
    set_assignment_status(
        session, incident_id=incident.id, assignment_id=first.id, status="in_progress", now=T0
    )
    with pytest.raises(ConflictError, match=rf"already on assignment {first.id} .segment A1"):
        set_assignment_status(
            session, incident_id=incident.id, assignment_id=second.id, status="in_progress", now=T0
        )
    session.rollback()
    assert get_assignment(session, incident_id=incident.id, assignment_id=second.id).status == (
        "planned"
    )
    set_assignment_status(
        session, incident_id=incident.id, assignment_id=first.id, status="completed", now=T0
    )
    again = set_assignment_status(
        session, incident_id=incident.id, assignment_id=second.id, status="in_progress", now=T0
    )
    assert again.status == "in_progress"
    assert _statuses(session, incident.id, team) == ["assigned", "assigned"]


def test_bad_status_and_pod_are_refused(session: Session) -> None:
    incident = create_incident(session, name="x")
    team = _team(session, incident.id, ("Ada", "Ben"), "checked_in")
    job = create_assignment(session, incident_id=incident.id, team_id=team.id, segment="A1")

    def move(status: str, pod: float | None = None) -> None:
        set_assignment_status(
            session,
            incident_id=incident.id,
            assignment_id=job.id,
            status=status,
            now=T0,
            reported_pod=pod,
        )

    with pytest.raises(InvalidParameterError, match="status: 'done' is not") as info:
        move("done")
    for status in ASSIGNMENT_STATUSES:
        assert status in str(info.value)
    with pytest.raises(InvalidParameterError, match="reported_pod: given with status"):
        move("in_progress", 0.5)
    move("in_progress")
    for pod in (1.5, -0.1, float("nan")):
        with pytest.raises(InvalidParameterError, match=r"reported_pod: .* is not a probability"):
            move("completed", pod)
    session.rollback()
    assert get_assignment(session, incident_id=incident.id, assignment_id=job.id).status == (
        "in_progress"
    )
    with pytest.raises(UnknownRecordError, match="assignment 999"):
        set_assignment_status(
            session, incident_id=incident.id, assignment_id=999, status="aborted", now=T0
        )


def test_assignment_references_must_belong_to_the_incident(session: Session) -> None:
    incident = create_incident(session, name="x")
    other = create_incident(session, name="y")
    team = _team(session, incident.id, ("Ada", "Ben"), "checked_in")
    theirs = _team(session, other.id, ("Cy", "Di"), "checked_in")
    their_period = create_period(
        session, incident_id=other.id, starts_at=T0, ends_at=T0 + timedelta(hours=1)
    )
    their_place = add_place(
        session, incident_id=other.id, kind="rendezvous", name="Far", lat=1.0, lon=2.0
    )
    heli = add_place(
        session, incident_id=incident.id, kind="helispot", name="LZ", lat=36.0, lon=-84.0
    )

    def plan(**kwargs: Any) -> Assignment:
        return create_assignment(
            session, **{"incident_id": incident.id, "team_id": team.id, "segment": "A1", **kwargs}
        )

    with pytest.raises(UnknownRecordError, match=f"team {theirs.id}"):
        plan(team_id=theirs.id)
    with pytest.raises(UnknownRecordError, match=f"period {their_period.id}"):
        plan(period_id=their_period.id)
    with pytest.raises(UnknownRecordError, match=f"place {their_place.id}"):
        plan(rendezvous_id=their_place.id)
    with pytest.raises(InvalidParameterError, match=r"rendezvous_id: .* is a helispot"):
        plan(rendezvous_id=heli.id)
    with pytest.raises(InvalidParameterError, match="segment: give the plan's segment id"):
        plan(segment="  ")
    with pytest.raises(InvalidParameterError, match="turnaround_at: give a timezone"):
        plan(turnaround_at=datetime(2026, 6, 1, 12))
    session.rollback()
    assert session.query(Assignment).count() == 0
    staging = add_place(
        session, incident_id=incident.id, kind="staging", name="Base", lat=36.0, lon=-84.0
    )
    ok = plan(rendezvous_id=staging.id)
    assert ok.rendezvous_id == staging.id


def test_list_assignments_by_team_and_period(session: Session) -> None:
    incident = create_incident(session, name="x")
    one = _team(session, incident.id, ("Ada", "Ben"), "checked_in")
    two = _team(session, incident.id, ("Cy", "Di"), "checked_in")
    p1 = create_period(
        session, incident_id=incident.id, starts_at=T0, ends_at=T0 + timedelta(hours=12)
    )
    a = create_assignment(
        session, incident_id=incident.id, team_id=one.id, segment="A1", period_id=p1.id
    )
    b = create_assignment(session, incident_id=incident.id, team_id=two.id, segment="A2")
    c = create_assignment(
        session, incident_id=incident.id, team_id=two.id, segment="A3", period_id=p1.id
    )
    ids = [x.id for x in list_assignments(session, incident.id)]
    assert ids == [a.id, b.id, c.id]
    assert [x.id for x in list_assignments(session, incident.id, team_id=two.id)] == [b.id, c.id]
    assert [x.id for x in list_assignments(session, incident.id, period_id=p1.id)] == [a.id, c.id]
    both = list_assignments(session, incident.id, team_id=two.id, period_id=p1.id)
    assert [x.id for x in both] == [c.id]
    with pytest.raises(UnknownRecordError, match="team 999"):
        list_assignments(session, incident.id, team_id=999)
