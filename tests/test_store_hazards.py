"""wayhome.store.hazards: zones and one alert per entry, judged in time order (SQLite and PG)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wayhome.errors import InvalidLocationError, InvalidParameterError
from wayhome.store import (
    PositionReport,
    UnknownRecordError,
    add_hazard_zone,
    add_member,
    create_incident,
    get_hazard_zone,
    list_activity,
    list_hazard_zones,
    record_positions,
    track_hazards,
)
from wayhome.store.models import HazardPresence, HazardZone, Position

T0 = datetime(2026, 6, 1, 14, 0, tzinfo=UTC)
#: A 0.01° square; (lon, lat) points inside and outside it.
SQUARE: dict[str, Any] = {
    "type": "Polygon",
    "coordinates": [
        [[-84.30, 36.50], [-84.29, 36.50], [-84.29, 36.51], [-84.30, 36.51], [-84.30, 36.50]]
    ],
}
INSIDE = (-84.295, 36.505)
OUTSIDE = (-84.28, 36.52)


def _walk(
    session: Session, incident_id: int, member_id: int, points: list[tuple[float, float]]
) -> list[int]:
    """Report ``points`` one minute apart, each alone; how many alerts each raised."""
    counts = []
    for i, (lon, lat) in enumerate(points):
        report = PositionReport(uuid.uuid4(), member_id, lat, lon, T0 + timedelta(minutes=i))
        [recorded] = record_positions(session, incident_id=incident_id, reports=[report])
        counts.append(len(recorded.alerts))
    return counts


def _hazard_log(session: Session, incident_id: int) -> list[str]:
    return [a.text for a in list_activity(session, incident_id) if a.kind == "hazard"]


def test_a_zone_is_drawn_logged_and_read_back(session: Session) -> None:
    incident = create_incident(session, name="x").id
    zone = add_hazard_zone(
        session, incident_id=incident, name="Gorge", kind="cliff", geometry=SQUARE, actor="plans"
    )
    assert json.loads(zone.geometry) == SQUARE
    assert get_hazard_zone(session, incident_id=incident, zone_id=zone.id).name == "Gorge"
    assert [z.id for z in list_hazard_zones(session, incident)] == [zone.id]
    [line] = [a for a in list_activity(session, incident) if a.kind == "hazard"]
    assert (line.actor, line.text) == ("plans", f"hazard zone {zone.id} 'Gorge' (cliff) drawn")


def test_one_alert_per_entry_and_walking_back_in_alerts_again(session: Session) -> None:
    incident = create_incident(session, name="x").id
    zone = add_hazard_zone(
        session, incident_id=incident, name="Gorge", kind="cliff", geometry=SQUARE
    )
    ada = add_member(session, incident_id=incident, name="Ada").id
    counts = _walk(session, incident, ada, [OUTSIDE, INSIDE, INSIDE, OUTSIDE, INSIDE])
    assert counts == [0, 1, 0, 0, 1]
    assert _hazard_log(session, incident)[1:] == [
        "hazard: Ada entered Gorge (cliff) at 14:01Z",
        "hazard: Ada entered Gorge (cliff) at 14:04Z",
    ]
    presence = session.get_one(HazardPresence, (zone.id, ada))
    assert (presence.inside, presence.changed_at) == (True, T0 + timedelta(minutes=4))


def test_members_and_zones_are_tracked_apart(session: Session) -> None:
    incident = create_incident(session, name="x").id
    add_hazard_zone(session, incident_id=incident, name="Gorge", kind="cliff", geometry=SQUARE)
    add_hazard_zone(session, incident_id=incident, name="Pond", kind="water", geometry=SQUARE)
    ada = add_member(session, incident_id=incident, name="Ada").id
    ben = add_member(session, incident_id=incident, name="Ben").id
    assert _walk(session, incident, ada, [INSIDE]) == [2]  # both zones
    assert _walk(session, incident, ben, [INSIDE, INSIDE]) == [2, 0]  # Ben on his own account
    assert _hazard_log(session, incident)[2:] == [
        "hazard: Ada entered Gorge (cliff) at 14:00Z",
        "hazard: Ada entered Pond (water) at 14:00Z",
        "hazard: Ben entered Gorge (cliff) at 14:00Z",
        "hazard: Ben entered Pond (water) at 14:00Z",
    ]


def test_a_late_older_position_does_not_rewrite_the_present(session: Session) -> None:
    incident = create_incident(session, name="x").id
    add_hazard_zone(session, incident_id=incident, name="Gorge", kind="cliff", geometry=SQUARE)
    ada = add_member(session, incident_id=incident, name="Ada").id
    assert _walk(session, incident, ada, [OUTSIDE, INSIDE]) == [0, 1]
    # A queued point from before the entry, outside, arrives late: Ada is still inside...
    late = PositionReport(uuid.uuid4(), ada, OUTSIDE[1], OUTSIDE[0], T0 + timedelta(seconds=30))
    [recorded] = record_positions(session, incident_id=incident, reports=[late])
    assert recorded.alerts == ()
    # ... so the next point inside raises nothing.
    again = PositionReport(uuid.uuid4(), ada, INSIDE[1], INSIDE[0], T0 + timedelta(minutes=5))
    [recorded] = record_positions(session, incident_id=incident, reports=[again])
    assert recorded.alerts == ()
    assert len(_hazard_log(session, incident)) == 2  # the zone and one entry


def test_track_hazards_judges_a_batch_in_time_order_and_commits(session: Session) -> None:
    incident = create_incident(session, name="x").id
    add_hazard_zone(session, incident_id=incident, name="Gorge", kind="cliff", geometry=SQUARE)
    ada = add_member(session, incident_id=incident, name="Ada").id
    walk = [INSIDE, OUTSIDE, INSIDE]
    positions = [
        Position(
            id=uuid.uuid4(),
            incident_id=incident,
            member_id=ada,
            lon=lon,
            lat=lat,
            time=T0 + timedelta(minutes=i),
        )
        for i, (lon, lat) in enumerate(walk)
    ]
    session.add_all(positions)
    session.flush()
    alerts = track_hazards(session, incident_id=incident, positions=positions[::-1])
    assert [a.position.time for a in alerts] == [T0, T0 + timedelta(minutes=2)]
    assert {(a.zone.name, a.member.name) for a in alerts} == {("Gorge", "Ada")}
    session.rollback()  # nothing left to roll back: track_hazards committed
    assert len(_hazard_log(session, incident)) == 3


def test_no_zones_no_alerts(session: Session) -> None:
    incident = create_incident(session, name="x").id
    ada = add_member(session, incident_id=incident, name="Ada").id
    assert _walk(session, incident, ada, [INSIDE]) == [0]
    assert session.scalar(select(func.count()).select_from(HazardPresence)) == 0


@pytest.mark.parametrize(
    ("kind", "geometry", "error", "words"),
    [
        ("bear", SQUARE, InvalidParameterError, "kind: 'bear' is not a hazard kind"),
        ("cliff", {"type": "Point", "coordinates": [0, 0]}, InvalidParameterError, "Polygon"),
        (
            "cliff",
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1]]]},
            InvalidParameterError,
            "at least 4",
        ),
        (
            "cliff",
            {"type": "Polygon", "coordinates": [[[0, 0], [0, 95], [1, 95], [0, 0]]]},
            InvalidLocationError,
            "in range",
        ),
    ],
)
def test_a_bad_zone_is_refused_and_nothing_is_stored(
    session: Session,
    kind: str,
    geometry: dict[str, Any],
    error: type[Exception],
    words: str,
) -> None:
    incident = create_incident(session, name="x").id
    with pytest.raises(error, match=words):
        add_hazard_zone(session, incident_id=incident, name="Bad", kind=kind, geometry=geometry)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(HazardZone)) == 0
    assert _hazard_log(session, incident) == []


def test_unknown_zone_and_incident_are_refused(session: Session) -> None:
    incident = create_incident(session, name="x").id
    other = create_incident(session, name="y").id
    zone = add_hazard_zone(session, incident_id=incident, name="G", kind="cliff", geometry=SQUARE)
    with pytest.raises(UnknownRecordError, match=f"hazard zone {zone.id}: no such zone"):
        get_hazard_zone(session, incident_id=other, zone_id=zone.id)
    with pytest.raises(UnknownRecordError, match="incident 999"):
        add_hazard_zone(session, incident_id=999, name="G", kind="cliff", geometry=SQUARE)
    with pytest.raises(UnknownRecordError, match="incident 999"):
        list_hazard_zones(session, 999)
