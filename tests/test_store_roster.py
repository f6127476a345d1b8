"""wayhome.store: incidents, roster, teams and the pairing rules, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from wayhome.errors import InvalidParameterError
from wayhome.store import (
    RESOURCE_TYPES,
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
    list_teams,
    set_march_order,
    team_members,
    update_member_profile,
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


# --- Member profiles and march order -------------------------------------------------


def test_member_profile_on_add_and_update_keeps_medical_notes_out_of_the_log(
    session: Session,
) -> None:
    incident = create_incident(session, name="x")
    dog = add_member(
        session,
        incident_id=incident.id,
        name="Ada",
        qualifications="K9 area search",
        resource_type="dog",
        medical_notes="bee sting allergy; epipen in left pocket",
        contact="+1 555 0100",
    )
    assert (dog.resource_type, dog.qualifications, dog.contact) == (
        "dog",
        "K9 area search",
        "+1 555 0100",
    )
    plain = add_member(session, incident_id=incident.id, name="Ben")
    assert (plain.resource_type, plain.medical_notes, plain.contact) == ("ground", "", "")
    updated = update_member_profile(
        session,
        incident_id=incident.id,
        member_id=plain.id,
        qualifications="WFR",
        resource_type="medical",
        medical_notes="asthma",
        contact="Medic 1",
    )
    assert (updated.qualifications, updated.resource_type, updated.medical_notes) == (
        "WFR",
        "medical",
        "asthma",
    )
    # None leaves a field alone; a repeat changes nothing and logs nothing.
    update_member_profile(session, incident_id=incident.id, member_id=plain.id, contact="Medic 1")
    same = update_member_profile(session, incident_id=incident.id, member_id=plain.id)
    assert (same.contact, same.medical_notes) == ("Medic 1", "asthma")
    log = [a.text for a in list_activity(session, incident.id)]
    assert log[1:] == [
        "member added: Ada (dog)",
        "member added: Ben",
        "Ben: profile updated (qualifications 'WFR', resource type ground -> medical, "
        "medical notes, contact)",
    ]
    assert not any("asthma" in t or "bee sting" in t or "555" in t for t in log)


def test_bad_profiles_are_refused_and_nothing_is_stored(session: Session) -> None:
    incident = create_incident(session, name="x")
    with pytest.raises(InvalidParameterError, match="resource_type: 'horse'") as info:
        add_member(session, incident_id=incident.id, name="Ada", resource_type="horse")
    for kind in RESOURCE_TYPES:
        assert kind in str(info.value)
    session.rollback()
    assert list_members(session, incident.id) == []
    ben = add_member(session, incident_id=incident.id, name="Ben")
    with pytest.raises(InvalidParameterError, match="contact: 201 characters"):
        update_member_profile(
            session, incident_id=incident.id, member_id=ben.id, contact="x" * 201, medical_notes="y"
        )
    with pytest.raises(InvalidParameterError, match="resource_type: 'horse'"):
        update_member_profile(
            session, incident_id=incident.id, member_id=ben.id, resource_type="horse"
        )
    session.rollback()
    assert (ben.contact, ben.medical_notes, ben.resource_type) == ("", "", "ground")
    with pytest.raises(UnknownRecordError, match="member 999"):
        update_member_profile(session, incident_id=incident.id, member_id=999, contact="x")


def _protected_team(session: Session) -> tuple[int, Team, dict[str, int]]:
    incident = create_incident(session, name="x")
    ids = {
        n: add_member(session, incident_id=incident.id, name=n, needs_protection=n == "Kid").id
        for n in ("Ana", "Ben", "Kid", "Dee")
    }
    team = create_team(
        session,
        incident_id=incident.id,
        name="Team 1",
        pairs=[
            Pair((ids["Ana"], ids["Ben"])),
            Pair((ids["Kid"], ids["Dee"]), protector_id=ids["Dee"]),
        ],
    )
    return incident.id, team, ids


def test_march_order_puts_lead_and_rear_and_the_rest_in_the_middle(session: Session) -> None:
    incident_id, team, ids = _protected_team(session)
    assert [tm.march for tm in team.members] == [None, None, None, None]
    marched = set_march_order(
        session, incident_id=incident_id, team_id=team.id, lead_id=ids["Ben"], rear_id=ids["Dee"]
    )
    order = {tm.member_id: tm.march for tm in team_members(session, marched.id)}
    assert order == {
        ids["Ana"]: "middle",
        ids["Ben"]: "lead",
        ids["Kid"]: "middle",
        ids["Dee"]: "rear",
    }
    assert list_activity(session, incident_id)[-1].text == (
        "team Team 1 march order: lead Ben, middle Ana, Kid, rear Dee"
    )
    # A new order replaces the old one.
    set_march_order(
        session, incident_id=incident_id, team_id=team.id, lead_id=ids["Dee"], rear_id=ids["Ana"]
    )
    order = {tm.member_id: tm.march for tm in team_members(session, team.id)}
    assert order == {
        ids["Ana"]: "rear",
        ids["Ben"]: "middle",
        ids["Kid"]: "middle",
        ids["Dee"]: "lead",
    }
    assert [t.id for t in list_teams(session, incident_id)] == [team.id]


@pytest.mark.parametrize("where", ["lead_id", "rear_id"])
def test_a_protected_member_may_not_lead_or_walk_at_the_rear(session: Session, where: str) -> None:
    incident_id, team, ids = _protected_team(session)
    lead, rear = (ids["Kid"], ids["Ben"]) if where == "lead_id" else (ids["Ana"], ids["Kid"])
    with pytest.raises(PairRuleError, match=rf"{where}: Kid .* needs protection") as info:
        set_march_order(
            session, incident_id=incident_id, team_id=team.id, lead_id=lead, rear_id=rear
        )
    assert info.value.rule == "protected-member-in-middle"
    session.rollback()
    assert [tm.march for tm in team_members(session, team.id)] == [None, None, None, None]
    assert "march order" not in list_activity(session, incident_id)[-1].text


def test_in_a_pair_the_protected_member_walks_behind_the_protector(session: Session) -> None:
    incident = create_incident(session, name="x")
    kit = add_member(session, incident_id=incident.id, name="Kit")
    lou = add_member(session, incident_id=incident.id, name="Lou", needs_protection=True)
    pair = Pair((kit.id, lou.id), protector_id=kit.id)
    team = create_team(session, incident_id=incident.id, name="T6", pairs=[pair])
    with pytest.raises(PairRuleError, match=r"lead_id: Lou .* behind their protector"):
        set_march_order(
            session, incident_id=incident.id, team_id=team.id, lead_id=lou.id, rear_id=kit.id
        )
    session.rollback()
    set_march_order(
        session, incident_id=incident.id, team_id=team.id, lead_id=kit.id, rear_id=lou.id
    )
    order = {tm.member_id: tm.march for tm in team_members(session, team.id)}
    assert order == {kit.id: "lead", lou.id: "rear"}


def test_march_order_needs_two_different_members_of_the_team(session: Session) -> None:
    incident_id, team, ids = _protected_team(session)
    stranger = add_member(session, incident_id=incident_id, name="Eve").id
    with pytest.raises(InvalidParameterError, match=r"rear_id: .* lead and rear are two different"):
        set_march_order(
            session,
            incident_id=incident_id,
            team_id=team.id,
            lead_id=ids["Ana"],
            rear_id=ids["Ana"],
        )
    with pytest.raises(InvalidParameterError, match=f"lead_id: member {stranger} is not in team"):
        set_march_order(
            session, incident_id=incident_id, team_id=team.id, lead_id=stranger, rear_id=ids["Ana"]
        )
    with pytest.raises(UnknownRecordError, match="team 999"):
        set_march_order(
            session, incident_id=incident_id, team_id=999, lead_id=ids["Ana"], rear_id=ids["Ben"]
        )
    session.rollback()
    assert [tm.march for tm in team_members(session, team.id)] == [None, None, None, None]
