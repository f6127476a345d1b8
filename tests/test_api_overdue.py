"""Overdue teams through the HTTP API, the live stream and the watch (SQLite and PG)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from apitools import field_team, login_as, post, problem
from wayhome.api.hub import LiveHub
from wayhome.api.watch import watch_incidents
from wayhome.store import (
    Pair,
    add_member,
    create_incident,
    create_team,
    engine_from_url,
    session_factory,
    set_member_status,
    upgrade_database,
)
from wayhome.store.models import Assignment, utc_now

T0 = datetime(2026, 6, 1, 14, 0, tzinfo=UTC)


def _send_out(client: TestClient, incident: int, team: int, **times: datetime) -> None:
    """An assignment in progress for ``team``, started at T0 (a model row, written directly)."""
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        session.add(
            Assignment(
                incident_id=incident,
                team_id=team,
                segment="B2",
                status="in_progress",
                started_at=times.pop("started_at", T0),
                **times,
            )
        )
        session.commit()


def _position(member: int, at: datetime) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "member_id": member,
        "lat": 36.55,
        "lon": -84.28,
        "time": at.isoformat(),
    }


def test_a_silent_team_is_raised_listed_streamed_and_cleared(
    client: TestClient, incident: int, clock: list[datetime]
) -> None:
    team, (ada, _) = field_team(client, incident, ["Ada", "Ben"], status="assigned")
    _send_out(client, incident, team)
    checks, overdue = f"/incidents/{incident}/overdue-checks", f"/incidents/{incident}/overdue"
    with client.websocket_connect(f"/incidents/{incident}/live") as ws:
        assert ws.receive_json()["type"] == "subscribed"
        assert post(client, checks, {}, status=200) == []
        clock[0] = T0 + timedelta(minutes=34)
        [raised] = post(client, checks, {}, status=200)
        assert post(client, checks, {}, status=200) == []  # raised once
        listed = client.get(overdue).json()
        clock[0] = T0 + timedelta(minutes=40)
        post(client, f"/incidents/{incident}/positions", _position(ada, clock[0]))
        [cleared] = post(client, checks, {}, status=200)
        events = [ws.receive_json() for _ in range(3)]
    assert raised == {
        "event": "raised",
        "team": {
            "id": team,
            "incident_id": incident,
            "name": "Team 1",
            "reason": "no contact for 34 min",
            "since": "2026-06-01T14:34:00Z",
        },
    }
    assert listed == [raised["team"]]
    assert (cleared["event"], cleared["team"]["reason"]) == ("cleared", "back in contact")
    assert cleared["team"]["since"] == raised["team"]["since"]
    assert client.get(overdue).json() == []
    assert [(e["type"], e.get("event")) for e in events] == [
        ("overdue", "raised"),
        ("position", None),
        ("overdue", "cleared"),
    ]
    assert events[0] == {"type": "overdue", **raised}
    log = client.get(f"/incidents/{incident}/activity").json()
    assert [e["text"] for e in log if e["kind"] == "overdue"] == [
        "team Team 1 overdue: no contact for 34 min",
        "team Team 1 back in contact",
    ]


def test_past_turnaround_is_reported_with_the_time(
    client: TestClient, incident: int, clock: list[datetime]
) -> None:
    team, (ada, _) = field_team(client, incident, ["Ada", "Ben"], status="assigned")
    _send_out(client, incident, team, turnaround_at=T0 + timedelta(hours=3))
    clock[0] = T0 + timedelta(hours=3, minutes=1)
    post(client, f"/incidents/{incident}/positions", _position(ada, clock[0]))
    [raised] = post(client, f"/incidents/{incident}/overdue-checks", {}, status=200)
    assert raised["team"]["reason"] == "past turnaround 17:00 UTC"


def test_reading_needs_read_and_checking_needs_operations(
    client: TestClient, incident: int, clock: list[datetime]
) -> None:
    team, (ada, _) = field_team(client, incident, ["Ada", "Ben"], status="assigned")
    _send_out(client, incident, team)
    clock[0] = T0 + timedelta(hours=1)
    viewer = login_as(client, incident, "viewer")
    checks = f"/incidents/{incident}/overdue-checks"
    problem(client.post(checks, headers=viewer), 403)
    searcher = login_as(client, incident, "searcher", member_id=ada)
    problem(client.post(checks, headers=searcher), 403)
    assert client.get(f"/incidents/{incident}/overdue", headers=viewer).json() == []
    post(client, checks, {}, status=200)
    [listed] = client.get(f"/incidents/{incident}/overdue", headers=viewer).json()
    assert listed["reason"] == "no contact for 60 min"
    problem(client.get("/incidents/999/overdue"), 404)
    problem(client.post("/incidents/999/overdue-checks"), 404)


def test_the_watch_raises_an_overdue_team_on_its_own(database_url: str) -> None:
    # Runs the watch loop itself (wall clock, short interval), without a server.
    upgrade_database(database_url)
    engine = engine_from_url(database_url)
    sessions = session_factory(engine)
    with sessions() as session:
        incident = create_incident(session, name="x").id
        ids = [add_member(session, incident_id=incident, name=n).id for n in ("Ada", "Ben")]
        for m in ids:
            set_member_status(session, incident_id=incident, member_id=m, status="assigned")
        team = create_team(session, incident_id=incident, name="Bravo", pairs=[Pair(tuple(ids))])
        started = utc_now() - timedelta(hours=1)
        session.add(
            Assignment(
                incident_id=incident,
                team_id=team.id,
                segment="A1",
                status="in_progress",
                started_at=started,
            )
        )
        session.commit()

    async def first_message() -> dict[str, Any]:
        hub = LiveHub()
        with hub.subscribe(incident) as queue:
            watch = asyncio.create_task(
                watch_incidents(sessions, hub, 0.01, no_contact=timedelta(minutes=30))
            )
            try:
                return await asyncio.wait_for(queue.get(), timeout=10)
            finally:
                watch.cancel()

    try:
        message = asyncio.run(first_message())
    finally:
        engine.dispose()
    assert (message["type"], message["event"]) == ("overdue", "raised")
    assert message["team"]["name"] == "Bravo"
    assert message["team"]["reason"].startswith("no contact for 60 min")


def test_completing_an_overdue_teams_assignment_clears_it_live(
    client: TestClient, incident: int, clock: list[datetime]
) -> None:
    team, _ = field_team(client, incident, ["Ada", "Ben"])
    body = {"team_id": team, "segment": "A1", "turnaround_at": "2026-06-01T15:00:00Z"}
    assignment = post(client, f"/incidents/{incident}/assignments", body)["id"]
    status = f"/incidents/{incident}/assignments/{assignment}/status"
    clock[0] = T0
    assert client.put(status, json={"status": "in_progress"}).status_code == 200
    clock[0] = T0 + timedelta(minutes=61)  # past turnaround
    [raised] = post(client, f"/incidents/{incident}/overdue-checks", {}, status=200)
    assert raised["event"] == "raised"
    with client.websocket_connect(f"/incidents/{incident}/live") as ws:
        assert ws.receive_json()["type"] == "subscribed"
        done = {"status": "completed", "reported_pod": 0.5}
        assert client.put(status, json=done).status_code == 200
        events = [ws.receive_json() for _ in range(2)]
    assert [e["type"] for e in events] == ["assignment", "overdue"]
    assert events[1]["event"] == "cleared" and events[1]["team"]["id"] == team
    assert client.get(f"/incidents/{incident}/overdue").json() == []
