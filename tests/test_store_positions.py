"""wayhome.store.positions: idempotent writes and last-known positions."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wayhome.errors import ConflictError, InvalidLocationError, InvalidParameterError
from wayhome.store import (
    PositionReport,
    UnknownRecordError,
    add_member,
    create_incident,
    last_positions,
    record_positions,
)
from wayhome.store.models import LastPosition, Position

T0 = datetime(2026, 6, 1, 14, 0, tzinfo=UTC)


def _report(member_id: int, minutes: int, lat: float = 36.5) -> PositionReport:
    return PositionReport(uuid.uuid4(), member_id, lat, -84.3, T0 + timedelta(minutes=minutes))


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Position)) or 0


def test_replay_returns_the_stored_row_and_creates_nothing(session: Session) -> None:
    incident = create_incident(session, name="x")
    member = add_member(session, incident_id=incident.id, name="A")
    report = _report(member.id, 0)
    first = record_positions(session, incident_id=incident.id, reports=[report])
    again = record_positions(session, incident_id=incident.id, reports=[report, report])
    assert [r.created for r in first] == [True]
    assert [r.created for r in again] == [False, False]
    assert again[0].position.id == report.id
    assert again[0].position.time == T0
    assert _count(session) == 1


def test_last_positions_follow_time_not_arrival(session: Session) -> None:
    incident = create_incident(session, name="x")
    a = add_member(session, incident_id=incident.id, name="A")
    b = add_member(session, incident_id=incident.id, name="B")
    record_positions(session, incident_id=incident.id, reports=[_report(a.id, 5, lat=1.0)])
    # A late replay of an older point must not move A back.
    record_positions(
        session,
        incident_id=incident.id,
        reports=[_report(a.id, 1, lat=2.0), _report(b.id, 3, lat=3.0), _report(b.id, 4, lat=4.0)],
    )
    latest = last_positions(session, incident.id)
    assert [(p.member_id, p.lat) for p in latest] == [(a.id, 1.0), (b.id, 4.0)]


def test_a_bad_member_rejects_the_whole_batch(session: Session) -> None:
    incident = create_incident(session, name="x")
    a = add_member(session, incident_id=incident.id, name="A")
    with pytest.raises(UnknownRecordError):
        record_positions(
            session, incident_id=incident.id, reports=[_report(a.id, 0), _report(a.id + 99, 1)]
        )
    session.rollback()
    assert _count(session) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lat": 36.6}, "lat"),
        ({"lon": -84.2}, "lon"),
        ({"time": T0 + timedelta(seconds=1)}, "time"),
        ({"member_id": "other"}, "member_id"),
        ({"lat": 1.0, "lon": 2.0}, "lat, lon"),
    ],
)
def test_a_replay_with_other_content_is_a_conflict_and_stores_nothing(
    session: Session, change: dict[str, Any], field: str
) -> None:
    incident = create_incident(session, name="x")
    a = add_member(session, incident_id=incident.id, name="A")
    b = add_member(session, incident_id=incident.id, name="B")
    stored = _report(a.id, 0)
    record_positions(session, incident_id=incident.id, reports=[stored])
    if change.get("member_id") == "other":
        change = {"member_id": b.id}
    changed = dataclasses.replace(stored, **change)
    fresh = _report(b.id, 5)
    with pytest.raises(ConflictError, match=rf"positions\[1\]\.{field}: position {stored.id}"):
        record_positions(session, incident_id=incident.id, reports=[fresh, changed])
    session.rollback()
    assert _count(session) == 1  # the new position beside the conflict was not stored
    assert session.get(LastPosition, (incident.id, b.id)) is None
    assert session.get_one(Position, stored.id).lat == 36.5
    # A single report names the field without an index, and says what is stored.
    with pytest.raises(ConflictError, match=rf"^{field}: .* already stored with") as info:
        record_positions(session, incident_id=incident.id, reports=[changed])
    assert "a new position needs a new id" in str(info.value)


def test_an_identical_replay_in_another_time_zone_is_still_a_replay(session: Session) -> None:
    incident = create_incident(session, name="x")
    a = add_member(session, incident_id=incident.id, name="A")
    report = _report(a.id, 0)
    record_positions(session, incident_id=incident.id, reports=[report])
    local = report.time.astimezone(timezone(timedelta(hours=-5)))
    again = record_positions(
        session, incident_id=incident.id, reports=[dataclasses.replace(report, time=local)]
    )
    assert [r.created for r in again] == [False]


def test_one_id_twice_in_a_batch_with_other_content_is_a_conflict(session: Session) -> None:
    incident = create_incident(session, name="x")
    a = add_member(session, incident_id=incident.id, name="A")
    report = _report(a.id, 0)
    twin = dataclasses.replace(report, lat=10.0)
    with pytest.raises(ConflictError, match=r"positions\[1\]\.lat: .* earlier in this batch"):
        record_positions(session, incident_id=incident.id, reports=[report, twin])
    session.rollback()
    assert _count(session) == 0


def test_an_id_stored_in_another_incident_is_a_conflict(session: Session) -> None:
    first = create_incident(session, name="x")
    second = create_incident(session, name="y")
    a = add_member(session, incident_id=first.id, name="A")
    report = _report(a.id, 0)
    record_positions(session, incident_id=first.id, reports=[report])
    with pytest.raises(ConflictError, match=r"^id: .* already stored in another incident"):
        record_positions(session, incident_id=second.id, reports=[report])


@pytest.mark.parametrize(
    ("lat", "lon", "time", "error"),
    [
        (91.0, 0.0, T0, InvalidLocationError),
        (0.0, -180.5, T0, InvalidLocationError),
        (0.0, 0.0, T0.replace(tzinfo=None), InvalidParameterError),
    ],
)
def test_reports_are_validated(
    lat: float, lon: float, time: datetime, error: type[Exception]
) -> None:
    with pytest.raises(error):
        PositionReport(uuid.uuid4(), 1, lat, lon, time)
