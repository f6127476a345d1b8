"""wayhome.store: incidents, roster, teams and the pairing rules, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from wayhome.errors import InvalidParameterError
from wayhome.store import (
    Pair,
    PairRuleError,
    UnknownRecordError,
    add_member,
    check_pairs,
    create_incident,
    create_team,
    get_incident,
    list_activity,
    list_members,
    team_members,
)
from wayhome.store.models import Team


def test_incident_member_team_and_log(session: Session) -> None:
    incident = create_incident(session, name="Missing child")
    ids = [add_member(session, incident_id=incident.id, name=n).id for n in ("Ana", "Ben")]
    kid = add_member(session, incident_id=incident.id, name="Cal", needs_protection=True)
    guard = add_member(session, incident_id=incident.id, name="Dee")
    team = create_team(
        session,
        incident_id=incident.id,
        name="Team 1",
        pairs=[Pair((ids[0], ids[1])), Pair((kid.id, guard.id), protector_id=guard.id)],
    )
    rows = team_members(session, team.id)
    assert [(r.member_id, r.pair) for r in rows] == [
        (ids[0], 0),
        (ids[1], 0),
        (kid.id, 1),
        (guard.id, 1),
    ]
    assert {r.member_id: r.protects_id for r in rows}[guard.id] == kid.id
    assert [m.name for m in list_members(session, incident.id)] == ["Ana", "Ben", "Cal", "Dee"]
    log = list_activity(session, incident.id)
    assert [a.kind for a in log] == ["incident", "roster", "roster", "roster", "roster", "team"]
    assert "Cal (needs protection)" in log[3].text


def test_a_broken_rule_stores_nothing(session: Session) -> None:
    incident = create_incident(session, name="x")
    kid = add_member(session, incident_id=incident.id, name="Kid", needs_protection=True)
    adult = add_member(session, incident_id=incident.id, name="Adult")
    with pytest.raises(PairRuleError) as info:
        create_team(session, incident_id=incident.id, name="t", pairs=[Pair((kid.id, adult.id))])
    assert info.value.rule == "protected-member-needs-protector"
    session.rollback()
    assert session.query(Team).count() == 0


def test_unknown_records(session: Session) -> None:
    with pytest.raises(UnknownRecordError, match="incident 99"):
        get_incident(session, 99)
    incident = create_incident(session, name="x")
    other = create_incident(session, name="y")
    stranger = add_member(session, incident_id=other.id, name="Z")
    mine = add_member(session, incident_id=incident.id, name="A")
    with pytest.raises(UnknownRecordError, match=f"member {stranger.id}"):
        create_team(
            session, incident_id=incident.id, name="t", pairs=[Pair((mine.id, stranger.id))]
        )


@pytest.mark.parametrize(
    ("pairs", "protected", "rule"),
    [
        ([], set(), "nobody-goes-alone"),
        ([Pair((1,))], set(), "nobody-goes-alone"),
        ([Pair((1, 1))], set(), "nobody-goes-alone"),
        ([Pair((1, 2)), Pair((2, 3))], set(), "nobody-goes-alone"),
        ([Pair((1, 2))], {1}, "protected-member-needs-protector"),
        ([Pair((1, 2), protector_id=1)], {1}, "protected-member-needs-protector"),
        ([Pair((1, 2), protector_id=3)], {1}, "protected-member-needs-protector"),
        ([Pair((1, 2), protector_id=2)], {1, 2}, "protected-member-needs-protector"),
    ],
)
def test_check_pairs_names_the_rule(pairs: list[Pair], protected: set[int], rule: str) -> None:
    with pytest.raises(PairRuleError) as info:
        check_pairs(pairs, protected=protected)
    assert info.value.rule == rule


def test_check_pairs_accepts_trios_and_refuses_crowds() -> None:
    check_pairs([Pair((1, 2, 3), protector_id=2)], protected={3})
    with pytest.raises(InvalidParameterError, match="3 at most"):
        check_pairs([Pair((1, 2, 3, 4))], protected=set())
