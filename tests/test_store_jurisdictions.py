"""wayhome.store.jurisdictions: agencies, jurisdictions, grants, trespass (SQLite and PG)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from wayhome.errors import (
    AccessDeniedError,
    ConflictError,
    InvalidLocationError,
    InvalidParameterError,
)
from wayhome.store import (
    GrantRequiredError,
    HazardAlert,
    Pair,
    PositionReport,
    TrespassAlert,
    UnknownRecordError,
    add_agency,
    add_jurisdiction,
    add_member,
    check_grants,
    close_incident,
    create_assignment,
    create_incident,
    create_team,
    get_agency,
    get_grant,
    get_jurisdiction,
    grant_access,
    grant_status,
    incident_jurisdictions,
    list_activity,
    list_agencies,
    list_grants,
    list_jurisdictions,
    record_positions,
    revoke_grant,
    track_jurisdictions,
    valid_grants_for,
)
from wayhome.store.models import Assignment, Incident, JurisdictionPresence, Position

T0 = datetime(2026, 6, 1, 14, 0, tzinfo=UTC)
#: A 0.01° square of club land; (lon, lat) points inside and outside it.
SQUARE: dict[str, Any] = {
    "type": "Polygon",
    "coordinates": [
        [[-84.30, 36.50], [-84.29, 36.50], [-84.29, 36.51], [-84.30, 36.51], [-84.30, 36.50]]
    ],
}
INSIDE = (-84.295, 36.505)
OUTSIDE = (-84.28, 36.52)
#: A segment half on the club's land, half off it; and one wholly off it.
SEGMENT_ACROSS: dict[str, Any] = {
    "type": "Polygon",
    "coordinates": [
        [[-84.295, 36.50], [-84.28, 36.50], [-84.28, 36.51], [-84.295, 36.51], [-84.295, 36.50]]
    ],
}
SEGMENT_OFF: dict[str, Any] = {
    "type": "Polygon",
    "coordinates": [
        [[-84.28, 36.50], [-84.27, 36.50], [-84.27, 36.51], [-84.28, 36.51], [-84.28, 36.50]]
    ],
}


@dataclass(frozen=True)
class World:
    """An incident; a hunting club owning SQUARE; a SAR agency whose team of two searches."""

    incident: int
    club: int
    sar: int
    land: int
    ann: int
    bob: int
    team: int


@pytest.fixture
def world(session: Session) -> World:
    incident = create_incident(session, name="Missing hunter").id
    club = add_agency(
        session, name="Harlan Ridge Hunting Club", kind="private_landowner", contact="+1 555 0100"
    ).id
    sar = add_agency(session, name="Knox County SAR", kind="sar_team").id
    land = add_jurisdiction(
        session, agency_id=club, name="Harlan club land", geometry=SQUARE, contact="J. Harlan"
    ).id
    ann = add_member(session, incident_id=incident, name="Ann", agency_id=sar).id
    bob = add_member(session, incident_id=incident, name="Bob", agency_id=sar).id
    team = create_team(session, incident_id=incident, name="Team 2", pairs=[Pair((ann, bob))]).id
    return World(incident, club, sar, land, ann, bob, team)


def _grant(session: Session, w: World, **kwargs: Any) -> int:
    fields: dict[str, Any] = {
        "incident_id": w.incident,
        "jurisdiction_id": w.land,
        "activities": ["foot"],
        "starts_at": T0,
        "expires_at": T0 + timedelta(hours=2),
        "granted_by": "J. Harlan (club president)",
        "actor": "IC (incident_commander)",
    }
    fields.update(kwargs)
    if not {"agency_id", "team_id", "member_id"} & kwargs.keys():
        fields["team_id"] = w.team
    return grant_access(session, **fields).id


def _at(
    session: Session, w: World, member: int, point: tuple[float, float], minutes: float
) -> list[HazardAlert]:
    """Report one position ``minutes`` after T0; the alerts it raised."""
    lon, lat = point
    report = PositionReport(uuid.uuid4(), member, lat, lon, T0 + timedelta(minutes=minutes))
    [recorded] = record_positions(session, incident_id=w.incident, reports=[report])
    return list(recorded.alerts)


def _log(session: Session, w: World, kind: str) -> list[str]:
    return [a.text for a in list_activity(session, w.incident) if a.kind == kind]


def _assign(session: Session, w: World, **kwargs: Any) -> Assignment:
    """Assign (team 2, segment B2 across the club's land, at T0 unless told otherwise)."""
    fields: dict[str, Any] = {"team_id": w.team, "segment": "B2", "area": SEGMENT_ACROSS, "now": T0}
    return create_assignment(session, incident_id=w.incident, **{**fields, **kwargs})


# ---------------------------------------------------------------------------- agencies
def test_agencies_are_added_listed_and_unique(session: Session) -> None:
    a = add_agency(session, name=" Cumberland Forest ", kind="land_manager", contact="ranger")
    assert (a.name, a.kind, a.contact) == ("Cumberland Forest", "land_manager", "ranger")
    assert get_agency(session, a.id) is a
    assert [x.name for x in list_agencies(session)] == ["Cumberland Forest"]
    with pytest.raises(ConflictError, match="exists"):
        add_agency(session, name="Cumberland Forest")
    with pytest.raises(InvalidParameterError, match="kind: 'army'"):
        add_agency(session, name="B", kind="army")
    with pytest.raises(InvalidParameterError, match="name"):
        add_agency(session, name="  ")
    with pytest.raises(UnknownRecordError, match="agency 99"):
        get_agency(session, 99)


def test_a_member_belongs_to_a_known_agency(session: Session, world: World) -> None:
    with pytest.raises(UnknownRecordError, match="agency_id: no agency 99"):
        add_member(session, incident_id=world.incident, name="Cy", agency_id=99)


# ---------------------------------------------------------------------------- jurisdictions
def test_a_jurisdiction_is_stored_and_listed(session: Session, world: World) -> None:
    land = get_jurisdiction(session, world.land)
    assert (land.agency_id, land.contact, json.loads(land.geometry)) == (
        world.club,
        "J. Harlan",
        SQUARE,
    )
    two_parts = {"type": "MultiPolygon", "coordinates": [SQUARE["coordinates"]]}
    other = add_jurisdiction(session, agency_id=world.sar, name="Base", geometry=two_parts)
    assert [j.id for j in list_jurisdictions(session)] == [world.land, other.id]
    assert [j.id for j in list_jurisdictions(session, agency_id=world.sar)] == [other.id]
    with pytest.raises(UnknownRecordError, match="jurisdiction 99"):
        get_jurisdiction(session, 99)
    with pytest.raises(UnknownRecordError, match="agency 99"):
        add_jurisdiction(session, agency_id=99, name="x", geometry=SQUARE)


@pytest.mark.parametrize(
    ("geometry", "error", "words"),
    [
        ({"type": "LineString", "coordinates": [[0, 0], [1, 1]]}, InvalidParameterError, "type"),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},
            InvalidParameterError,
            "Self-intersection",
        ),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [200, 0], [200, 1], [0, 0]]]},
            InvalidLocationError,
            "swapped",
        ),
        ({"type": "Polygon", "coordinates": "here"}, InvalidParameterError, "coordinates"),
        ({"type": "Polygon", "coordinates": []}, InvalidParameterError, "empty"),
    ],
)
def test_bad_outlines_are_refused(
    session: Session, world: World, geometry: dict[str, Any], error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words):
        add_jurisdiction(session, agency_id=world.club, name="bad", geometry=geometry)
    assert len(list_jurisdictions(session)) == 1


def test_incident_jurisdictions_by_bbox_points_and_grants(session: Session, world: World) -> None:
    assert incident_jurisdictions(session, incident_id=world.incident) == []
    near = incident_jurisdictions(
        session, incident_id=world.incident, bbox=(-84.31, 36.5, -84.2, 36.6)
    )
    assert [j.id for j in near] == [world.land]
    assert incident_jurisdictions(session, incident_id=world.incident, bbox=(0, 0, 1, 1)) == []
    _at(session, world, world.ann, INSIDE, 0)
    assert [j.id for j in incident_jurisdictions(session, incident_id=world.incident)] == [
        world.land
    ]
    with pytest.raises(InvalidParameterError, match="bbox"):
        incident_jurisdictions(session, incident_id=world.incident, bbox=(1, 0, 0, 1))
    with pytest.raises(InvalidParameterError, match="four numbers"):
        incident_jurisdictions(session, incident_id=world.incident, bbox=(1, 0, 0))


# ---------------------------------------------------------------------------- grants
def test_a_grant_is_recorded_logged_and_listed(session: Session, world: World) -> None:
    gid = _grant(session, world, activities=["foot", "dogs", "foot"], conditions=" no fires ")
    grant = get_grant(session, incident_id=world.incident, grant_id=gid)
    assert (grant.activities, grant.conditions, grant.team_id) == (
        "foot,dogs",
        "no fires",
        world.team,
    )
    assert [g.id for g in list_grants(session, world.incident)] == [gid]
    assert list_grants(session, world.incident, jurisdiction_id=world.land + 1) == []
    assert _log(session, world, "access") == [
        f"grant {gid}: Harlan Ridge Hunting Club gives team Team 2 leave in Harlan club land "
        "for foot, dogs from 2026-06-01 14:00Z until 2026-06-01 16:00Z "
        "(given by J. Harlan (club president)); conditions: no fires"
    ]
    with pytest.raises(UnknownRecordError, match="grant 99"):
        get_grant(session, incident_id=world.incident, grant_id=99)


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"team_id": None}, r"exactly one of agency_id, team_id or member_id \(got 0\)"),
        ({"member_id": "ann"}, r"exactly one .* \(got 2\)"),
        ({"team_id": None, "agency_id": "club"}, "owns Harlan club land; its members need no"),
        ({"activities": ["swim"]}, "activities: 'swim'"),
        ({"activities": []}, "at least one"),
        ({"expires_at": None}, "expires_at: give when the leave ends"),
        ({"until_incident_closes": True}, "not both"),
        ({"expires_at": T0}, "not after starts_at"),
        ({"starts_at": datetime(2026, 6, 1, 14)}, "starts_at: give a timezone"),
        ({"granted_by": " "}, "granted_by"),
    ],
)
def test_bad_grants_are_refused(
    session: Session, world: World, fields: dict[str, Any], words: str
) -> None:
    named = {"ann": world.ann, "club": world.club}
    values: dict[str, Any] = {
        "incident_id": world.incident,
        "jurisdiction_id": world.land,
        "team_id": world.team,
        "activities": ["foot"],
        "starts_at": T0,
        "expires_at": T0 + timedelta(hours=2),
        "granted_by": "J. Harlan",
    }
    values.update({k: named.get(v, v) if isinstance(v, str) else v for k, v in fields.items()})
    with pytest.raises(InvalidParameterError, match=words):
        grant_access(session, **values)
    assert list_grants(session, world.incident) == []


def test_unknown_grantees_and_closed_incidents_are_refused(session: Session, world: World) -> None:
    with pytest.raises(UnknownRecordError, match="team 99"):
        _grant(session, world, team_id=99)
    with pytest.raises(UnknownRecordError, match="member 99"):
        _grant(session, world, member_id=99)
    with pytest.raises(UnknownRecordError, match="jurisdiction 99"):
        _grant(session, world, jurisdiction_id=99)
    close_incident(session, incident_id=world.incident, now=T0)
    with pytest.raises(ConflictError, match="closed"):
        _grant(session, world)


def test_a_grant_covers_the_member_their_team_or_their_agency(
    session: Session, world: World
) -> None:
    def valid(member: int, activity: str = "foot", minutes: float = 30) -> list[int]:
        grants = valid_grants_for(
            session,
            incident_id=world.incident,
            member_id=member,
            jurisdiction_id=world.land,
            activity=activity,
            now=T0 + timedelta(minutes=minutes),
        )
        return [g.id for g in grants]

    cy = add_member(session, incident_id=world.incident, name="Cy", agency_id=world.sar).id
    dee = add_member(session, incident_id=world.incident, name="Dee").id
    to_ann = _grant(session, world, member_id=world.ann)
    to_team = _grant(session, world, team_id=world.team, activities=["vehicle"])
    to_sar = _grant(session, world, agency_id=world.sar, starts_at=T0 + timedelta(hours=1))
    assert valid(world.ann) == [to_ann]
    assert valid(world.bob) == []  # the team's grant is for vehicles only
    assert valid(world.bob, "vehicle") == [to_team]
    assert valid(cy) == []  # the agency's grant has not started
    assert valid(cy, minutes=60) == [to_sar]
    assert valid(dee, minutes=60) == []  # no agency
    assert valid(world.ann, minutes=120) == []  # every one has expired
    with pytest.raises(InvalidParameterError, match="activity: 'swim'"):
        valid(world.ann, "swim")


def test_grant_status_follows_time_revocation_and_close(session: Session, world: World) -> None:
    gid = _grant(session, world, starts_at=T0 + timedelta(hours=1))
    grant = get_grant(session, incident_id=world.incident, grant_id=gid)
    incident = session.get_one(Incident, world.incident)
    states = [
        grant_status(grant, incident=incident, now=T0 + timedelta(minutes=m)) for m in (0, 60, 180)
    ]
    assert states == ["pending", "active", "expired"]
    revoke_grant(session, incident_id=world.incident, grant_id=gid, now=T0 + timedelta(hours=1))
    assert grant_status(grant, incident=incident, now=T0 + timedelta(hours=1)) == "revoked"
    assert grant_status(grant, incident=incident, now=T0) == "pending"
    lasting = _grant(session, world, expires_at=None, until_incident_closes=True)
    close_incident(session, incident_id=world.incident, now=T0 + timedelta(hours=9))
    g = get_grant(session, incident_id=world.incident, grant_id=lasting)
    assert grant_status(g, incident=incident, now=T0 + timedelta(hours=9)) == "ended"


# ---------------------------------------------------------------------------- assignments
def test_an_assignment_without_leave_is_refused_naming_owner_and_members(
    session: Session, world: World
) -> None:
    with pytest.raises(GrantRequiredError) as refused:
        _assign(session, world)
    message = str(refused.value)
    assert "Harlan club land, owned by Harlan Ridge Hunting Club (contact: J. Harlan)" in message
    assert "no valid grant for Ann (foot), Bob (foot)" in message
    assert (refused.value.jurisdiction_ids, refused.value.member_ids) == (
        (world.land,),
        (world.ann, world.bob),
    )
    assert isinstance(refused.value, AccessDeniedError)
    # Off the club's land, or with no area given, nothing is checked.
    off = _assign(session, world, segment="C1", area=SEGMENT_OFF)
    plain = _assign(session, world, area=None)
    assert (off.grant_override, plain.grant_override) == ("", "")


def test_leave_for_every_member_lets_the_assignment_through(session: Session, world: World) -> None:
    _grant(session, world, member_id=world.ann)
    with pytest.raises(GrantRequiredError, match=r"no valid grant for Bob \(foot\)"):
        _assign(session, world)
    _grant(session, world, member_id=world.bob)
    made = _assign(session, world, now=T0 + timedelta(minutes=5))
    assert made.grant_override == ""
    # After the grants expire the same assignment is refused again.
    with pytest.raises(GrantRequiredError):
        _assign(session, world, segment="B3", now=T0 + timedelta(hours=3))


def test_owners_members_need_no_grant_and_dog_teams_need_dogs(
    session: Session, world: World
) -> None:
    keeper = add_member(session, incident_id=world.incident, name="Keeper", agency_id=world.club)
    handler = add_member(
        session, incident_id=world.incident, name="Rex handler", resource_type="dog"
    )
    pair = [Pair((keeper.id, handler.id))]
    team = create_team(session, incident_id=world.incident, name="K9", pairs=pair).id
    _grant(session, world, team_id=team, activities=["foot"])
    with pytest.raises(GrantRequiredError, match=r"no valid grant for Rex handler \(dogs\);"):
        _assign(session, world, team_id=team)
    _grant(session, world, member_id=handler.id, activities=["dogs"])
    made = _assign(session, world, team_id=team)
    assert made.segment == "B2"


def test_only_the_incident_commander_overrides_and_it_is_logged(
    session: Session, world: World
) -> None:
    with pytest.raises(AccessDeniedError, match="override: only the incident commander"):
        _assign(session, world, override="owner unreachable", actor="Pat (planning)")
    made = _assign(
        session, world, override=" owner unreachable, child at risk ", may_override=True, actor="IC"
    )
    assert made.grant_override == "owner unreachable, child at risk"
    assert _log(session, world, "access") == [
        f"override by IC: owner unreachable, child at risk; assignment {made.id} without leave "
        "in Harlan club land (Harlan Ridge Hunting Club): Ann, Bob"
    ]
    with pytest.raises(InvalidParameterError, match=r"area\.type"):
        _assign(session, world, area={"type": "Point", "coordinates": [0, 0]})


# ---------------------------------------------------------------------------- trespass
def test_entering_without_leave_alerts_once_per_stay(session: Session, world: World) -> None:
    counts = [
        len(_at(session, world, world.ann, p, i))
        for i, p in enumerate([OUTSIDE, INSIDE, INSIDE, OUTSIDE, INSIDE])
    ]
    assert counts == [0, 1, 0, 0, 1]
    [alert] = _at(session, world, world.bob, INSIDE, 10)
    assert isinstance(alert, TrespassAlert)
    assert (alert.zone.kind, alert.zone.id, alert.zone.name) == (
        "trespass",
        world.land,
        "Harlan club land",
    )
    assert (alert.agency.name, alert.member.name, alert.reason) == (
        "Harlan Ridge Hunting Club",
        "Bob",
        "entered without leave",
    )
    assert _log(session, world, "trespass")[0] == (
        "trespass: Ann in Harlan club land (owner Harlan Ridge Hunting Club, contact J. Harlan) "
        "without leave: entered without leave, position at 14:01Z"
    )


def test_a_grant_until_a_time_then_the_next_position_alerts(session: Session, world: World) -> None:
    _grant(session, world, expires_at=T0 + timedelta(minutes=30))
    assert [len(_at(session, world, world.ann, INSIDE, m)) for m in (1, 10, 29)] == [0, 0, 0]
    [alert] = _at(session, world, world.ann, INSIDE, 31)
    assert alert.position.time == T0 + timedelta(minutes=31)
    assert _at(session, world, world.ann, INSIDE, 32) == []
    # A late replay from before the change does not rewrite the present.
    assert _at(session, world, world.ann, OUTSIDE, 20) == []
    state = session.get_one(JurisdictionPresence, (world.land, world.ann))
    assert (state.inside, state.changed_at) == (True, T0 + timedelta(minutes=31))


def test_the_owners_member_walks_in_freely(session: Session, world: World) -> None:
    keeper = add_member(session, incident_id=world.incident, name="K", agency_id=world.club).id
    assert _at(session, world, keeper, INSIDE, 1) == []


def test_a_batch_is_judged_in_time_order(session: Session, world: World) -> None:
    reports = [
        PositionReport(uuid.uuid4(), world.ann, lat, lon, T0 + timedelta(minutes=m))
        for m, (lon, lat) in [(3, INSIDE), (1, INSIDE), (2, OUTSIDE)]
    ]
    recorded = record_positions(session, incident_id=world.incident, reports=reports)
    alerted = sorted(r.position.time for r in recorded for _ in r.alerts)
    assert alerted == [T0 + timedelta(minutes=1), T0 + timedelta(minutes=3)]


def test_track_jurisdictions_without_jurisdictions_or_positions(session: Session) -> None:
    incident = create_incident(session, name="x").id
    ann = add_member(session, incident_id=incident, name="Ann").id
    position = Position(
        id=uuid.uuid4(), incident_id=incident, member_id=ann, lat=36.5, lon=-84.3, time=T0
    )
    assert track_jurisdictions(session, incident_id=incident, positions=[position]) == []
    assert track_jurisdictions(session, incident_id=incident, positions=[]) == []


def test_revoking_alerts_members_inside_at_once(session: Session, world: World) -> None:
    gid = _grant(session, world, until_incident_closes=True, expires_at=None)
    assert _at(session, world, world.ann, INSIDE, 1) == []
    assert _at(session, world, world.bob, OUTSIDE, 1) == []
    change = revoke_grant(
        session, incident_id=world.incident, grant_id=gid, now=T0 + timedelta(minutes=5), actor="IC"
    )
    assert change.event == "revoked"
    assert [(a.member.name, a.reason) for a in change.alerts] == [("Ann", f"grant {gid} revoked")]
    assert _at(session, world, world.ann, INSIDE, 6) == []  # already alerted for this stay
    assert _log(session, world, "access")[-1] == (
        f"grant {gid} in Harlan club land revoked at 2026-06-01 14:05Z"
    )
    with pytest.raises(ConflictError, match="already revoked"):
        revoke_grant(session, incident_id=world.incident, grant_id=gid, now=T0, actor="IC")


def test_revoking_one_of_two_grants_raises_nothing(session: Session, world: World) -> None:
    first = _grant(session, world)
    _grant(session, world, agency_id=world.sar)
    _at(session, world, world.ann, INSIDE, 1)
    change = revoke_grant(session, incident_id=world.incident, grant_id=first, now=T0)
    assert change.alerts == ()


def test_check_grants_warns_once_then_expires_once(session: Session, world: World) -> None:
    gid = _grant(session, world, expires_at=T0 + timedelta(minutes=60))
    _grant(session, world, member_id=world.bob, expires_at=None, until_incident_closes=True)
    _at(session, world, world.ann, INSIDE, 1)
    _at(session, world, world.bob, INSIDE, 1)

    def check(minutes: float) -> list[tuple[str, int, list[str]]]:
        changes = check_grants(
            session, now=T0 + timedelta(minutes=minutes), warn_before=timedelta(minutes=30)
        )
        return [(c.event, c.grant.id, [a.member.name for a in c.alerts]) for c in changes]

    assert check(20) == []
    assert check(31) == [("expiring", gid, [])]
    assert check(40) == []
    # Bob holds his own grant until the incident closes: only Ann is alerted.
    assert check(61) == [("expired", gid, ["Ann"])]
    assert check(90) == []
    assert _log(session, world, "access")[-2:] == [
        f"grant {gid} in Harlan club land expires at 2026-06-01 15:00Z (in 29 min)",
        f"grant {gid} in Harlan club land expired at 2026-06-01 15:00Z",
    ]
    assert _at(session, world, world.ann, INSIDE, 62) == []  # already alerted
    with pytest.raises(InvalidParameterError, match="warn_before"):
        check_grants(session, now=T0, warn_before=timedelta(minutes=-1))


def test_a_grant_found_already_expired_is_reported_expired_only(
    session: Session, world: World
) -> None:
    gid = _grant(session, world)
    other = create_incident(session, name="other").id
    changes = check_grants(
        session, now=T0 + timedelta(hours=5), warn_before=timedelta(0), incident_id=other
    )
    assert changes == []
    changes = check_grants(session, now=T0 + timedelta(hours=5), warn_before=timedelta(0))
    assert [(c.event, c.grant.id) for c in changes] == [("expired", gid)]
    grant = get_grant(session, incident_id=world.incident, grant_id=gid)
    assert (grant.warned_at, grant.expired_alerted_at) == (None, T0 + timedelta(hours=5))


def test_grants_of_a_closed_incident_are_not_checked(session: Session, world: World) -> None:
    _grant(session, world)
    close_incident(session, incident_id=world.incident, now=T0)
    assert check_grants(session, now=T0 + timedelta(hours=5), warn_before=timedelta(0)) == []
    rows = session.scalars(select(JurisdictionPresence)).all()
    assert rows == []
