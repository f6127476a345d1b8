"""wayhome.store.positions: idempotent writes and last-known positions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wayhome.errors import InvalidLocationError, InvalidParameterError
from wayhome.store import (
    PositionReport,
    UnknownRecordError,
    add_member,
    create_incident,
    last_positions,
    record_positions,
)
from wayhome.store.models import Position

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
