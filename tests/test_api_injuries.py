"""Injury reports through the HTTP API, on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from apitools import field_team, post, problem


def _team(client: TestClient, incident: int) -> tuple[int, int, int]:
    team, (ada, ben) = field_team(client, incident, ["Ada", "Ben"], status="assigned")
    assert client.get(f"/incidents/{incident}/teams/{team}").json()["capability"] == "full"
    return team, ada, ben


def test_an_injury_takes_the_member_out_and_reduces_the_team(
    client: TestClient, incident: int
) -> None:
    team, ada, ben = _team(client, incident)
    time = datetime(2026, 6, 1, 14, 10, tzinfo=UTC)
    body = {
        "member_id": ben,
        "severity": "serious",
        "treatment": "ankle splinted",
        "time": time.isoformat(),
    }
    report = post(client, f"/incidents/{incident}/injuries", body)
    assert (report["member_id"], report["severity"]) == (ben, "serious")
    assert report["time"].startswith("2026-06-01T14:10:00")
    assert client.get(f"/incidents/{incident}/injuries").json() == [report]
    statuses = {m["id"]: m["status"] for m in client.get(f"/incidents/{incident}/members").json()}
    assert statuses == {ada: "assigned", ben: "out_of_service"}
    assert client.get(f"/incidents/{incident}/teams/{team}").json()["capability"] == "reduced"
    log = [e["text"] for e in client.get(f"/incidents/{incident}/activity").json()]
    assert log[-3:] == [
        "injury: Ben (serious) at 14:10Z; treatment: ankle splinted",
        "team Team 1: capability full -> reduced (Ben injured)",
        "Ben: assigned -> out_of_service",
    ]
    # A second injury in the same team is recorded; the team is already reduced.
    post(client, f"/incidents/{incident}/injuries", {**body, "member_id": ada, "severity": "minor"})
    log = [e["text"] for e in client.get(f"/incidents/{incident}/activity").json()]
    assert len([t for t in log if "capability" in t]) == 1


def test_injury_refusals_are_problems(client: TestClient, incident: int) -> None:
    _, ada, _ = _team(client, incident)
    base = f"/incidents/{incident}/injuries"
    bad = {"member_id": ada, "severity": "grave", "treatment": "none"}
    problem(client.post(base, json=bad), 422)
    problem(client.post(base, json={**bad, "severity": "minor", "member_id": 999}), 404)
    problem(client.post(base, json={**bad, "severity": "minor", "time": "2026-06-01T14:00"}), 422)
    problem(client.get("/incidents/999/injuries"), 404)
    assert client.get(base).json() == []


def test_a_replayed_client_id_is_stored_and_logged_once(
    client: TestClient, incident: int, clock: list[datetime]
) -> None:
    _, ada, ben = _team(client, incident)
    base = f"/incidents/{incident}/injuries"
    body = {
        "member_id": ben,
        "severity": "serious",
        "treatment": "ankle splinted",
        "client_id": str(uuid.uuid4()),
    }
    first = post(client, base, body)
    log = client.get(f"/incidents/{incident}/activity").json()
    clock[0] += timedelta(minutes=7)  # a replay without a time is the same report later on
    again = post(client, base, body, status=200)
    timed = post(client, base, {**body, "time": first["time"]}, status=200)
    assert again == timed == first and first["client_id"] == body["client_id"]
    assert client.get(base).json() == [first]
    assert client.get(f"/incidents/{incident}/activity").json() == log
    # A new id is a new report.
    post(client, base, {**body, "member_id": ada, "client_id": str(uuid.uuid4())})
    assert len(client.get(base).json()) == 2


def test_a_client_id_reused_for_another_report_is_a_conflict(
    client: TestClient, incident: int
) -> None:
    _, ada, ben = _team(client, incident)
    base = f"/incidents/{incident}/injuries"
    body = {
        "member_id": ben,
        "severity": "minor",
        "treatment": "blister",
        "client_id": str(uuid.uuid4()),
    }
    first = post(client, base, {**body, "time": "2026-06-01T14:10:00Z"})
    for change in ({"severity": "critical"}, {"member_id": ada}, {"time": "2026-06-01T14:11:00Z"}):
        detail = problem(client.post(base, json={**body, **change}), 409)["detail"]
        assert detail.startswith(f"client_id: injury report {first['id']} was sent with")
        assert "a new report needs a new id" in detail
    assert client.get(base).json() == [first]
