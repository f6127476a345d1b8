"""Assignments through the HTTP API and the live stream, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from apitools import check_in, field_team, login_as, member, post, problem

T0 = datetime(2026, 6, 1, 14, 0, tzinfo=UTC)


def _statuses(client: TestClient, incident: int) -> dict[int, str]:
    return {m["id"]: m["status"] for m in client.get(f"/incidents/{incident}/members").json()}


def _second_team(client: TestClient, incident: int) -> tuple[int, list[int]]:
    ids = [member(client, incident, n) for n in ("Cora", "Dev")]
    for m in ids:
        check_in(client, incident, m)
    body = {"name": "Team 2", "pairs": [{"member_ids": ids}], "leader_id": ids[0]}
    team: int = post(client, f"/incidents/{incident}/teams", body)["id"]
    return team, ids


def _move(
    client: TestClient,
    incident: int,
    assignment: int,
    status: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Any:
    url = f"/incidents/{incident}/assignments/{assignment}/status"
    return client.put(url, json={"status": status, **extra}, headers=headers or {})


def test_assignment_is_planned_started_completed_and_streamed(
    client: TestClient, incident: int, clock: list[datetime]
) -> None:
    team, (ada, ben) = field_team(client, incident, ["Ada", "Ben"])
    other, _ = _second_team(client, incident)
    period = post(
        client,
        f"/incidents/{incident}/periods",
        {"starts_at": "2026-06-01T06:00:00Z", "ends_at": "2026-06-01T18:00:00Z"},
    )
    ford = post(
        client,
        f"/incidents/{incident}/places",
        {"kind": "rendezvous", "name": "Ford", "lat": 36.6, "lon": -84.6},
    )
    base = f"/incidents/{incident}/assignments"
    body = {
        "team_id": team,
        "segment": "A3",
        "period_id": period["id"],
        "instructions": "Hasty search of the creek",
        "rendezvous_id": ford["id"],
        "turnaround_at": "2026-06-01T17:00:00Z",
    }
    job = post(client, base, body)
    assert (job["status"], job["segment"], job["rendezvous_id"]) == ("planned", "A3", ford["id"])
    assert job["turnaround_at"].startswith("2026-06-01T17:00:00")
    spare = post(client, base, {"team_id": other, "segment": "B1"})
    with client.websocket_connect(f"/incidents/{incident}/live") as ws:
        assert ws.receive_json()["type"] == "subscribed"
        started = _move(client, incident, job["id"], "in_progress")
        assert started.status_code == 200, started.text
        assert _statuses(client, incident)[ada] == "assigned"
        clock[0] = T0 + timedelta(hours=2)
        done = _move(client, incident, job["id"], "completed", reported_pod=0.55)
        assert done.status_code == 200, done.text
        events = [ws.receive_json() for _ in range(2)]
    assert [(e["type"], e["event"]) for e in events] == [
        ("assignment", "in_progress"),
        ("assignment", "completed"),
    ]
    assert events[0]["assignment"]["started_at"].startswith("2026-06-01T14:00:00")
    assert events[1]["assignment"] == done.json()
    final = done.json()
    assert (final["status"], final["reported_pod"]) == ("completed", 0.55)
    assert final["completed_at"].startswith("2026-06-01T16:00:00")
    assert client.get(f"{base}/{job['id']}").json() == final
    assert _statuses(client, incident)[ada] == "checked_in"
    assert _statuses(client, incident)[ben] == "checked_in"
    assert [a["id"] for a in client.get(base).json()] == [job["id"], spare["id"]]
    assert [a["id"] for a in client.get(f"{base}?team_id={other}").json()] == [spare["id"]]
    by_period = client.get(f"{base}?period_id={period['id']}").json()
    assert [a["id"] for a in by_period] == [job["id"]]
    log = [e["text"] for e in client.get(f"/incidents/{incident}/activity").json()]
    assert [t for t in log if t.startswith(f"assignment {job['id']}")] == [
        f"assignment {job['id']}: team Team 1 to segment A3 in period 1, rendezvous Ford, "
        "turn around at 17:00Z",
        f"assignment {job['id']} (team Team 1, segment A3): planned -> in_progress",
        f"assignment {job['id']} (team Team 1, segment A3): in_progress -> completed; "
        "reported POD 55%",
    ]


def test_moves_not_allowed_are_409_problems_and_change_nothing(
    client: TestClient, incident: int, clock: list[datetime]
) -> None:
    team, (ada, _) = field_team(client, incident, ["Ada", "Ben"])
    base = f"/incidents/{incident}/assignments"
    first = post(client, base, {"team_id": team, "segment": "A1"})
    second = post(client, base, {"team_id": team, "segment": "A2"})
    early = problem(_move(client, incident, first["id"], "completed"), 409)
    assert early["detail"] == (
        f"status: assignment {first['id']} is planned; it may go to in_progress or aborted, "
        "not completed"
    )
    assert _move(client, incident, first["id"], "in_progress").status_code == 200
    busy = problem(_move(client, incident, second["id"], "in_progress"), 409)
    assert f"already on assignment {first['id']} (segment A1)" in busy["detail"]
    assert client.get(f"{base}/{second['id']}").json()["status"] == "planned"
    assert _move(client, incident, first["id"], "aborted").status_code == 200
    assert _statuses(client, incident)[ada] == "checked_in"
    log_before = client.get(f"/incidents/{incident}/activity").json()
    finished = problem(_move(client, incident, first["id"], "in_progress"), 409)
    assert "is aborted; it is finished" in finished["detail"]
    assert client.get(f"/incidents/{incident}/activity").json() == log_before
    assert _statuses(client, incident)[ada] == "checked_in"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"segment": ""}, "segment"),
        ({"segment": "x" * 51}, "segment"),
        ({"team_id": "one"}, "team_id"),
        ({"turnaround_at": "2026-06-01T17:00:00"}, "turnaround_at"),
        ({"instructions": "x" * 5001}, "instructions"),
    ],
)
def test_bad_assignments_are_422_problems_naming_the_field(
    client: TestClient, incident: int, change: dict[str, Any], field: str
) -> None:
    team, _ = field_team(client, incident, ["Ada", "Ben"])
    base = f"/incidents/{incident}/assignments"
    body = problem(client.post(base, json={"team_id": team, "segment": "A1", **change}), 422)
    assert body["detail"].startswith(f"{field}: ")
    assert client.get(base).json() == []


def test_assignment_references_are_checked_and_nothing_is_stored(
    client: TestClient, incident: int
) -> None:
    team, _ = field_team(client, incident, ["Ada", "Ben"])
    base = f"/incidents/{incident}/assignments"
    heli = post(
        client,
        f"/incidents/{incident}/places",
        {"kind": "helispot", "name": "LZ 1", "lat": 36.5, "lon": -84.5},
    )
    body = {"team_id": team, "segment": "A1", "rendezvous_id": heli["id"]}
    wrong = problem(client.post(base, json=body), 422)
    assert wrong["detail"].startswith(f"rendezvous_id: place {heli['id']} 'LZ 1' is a helispot")
    problem(client.post(base, json={"team_id": 999, "segment": "A1"}), 404)
    problem(client.post(base, json={"team_id": team, "segment": "A1", "period_id": 999}), 404)
    other = post(client, "/incidents", {"name": "Other"})["id"]
    theirs = post(
        client,
        f"/incidents/{other}/places",
        {"kind": "rendezvous", "name": "Far", "lat": 36.5, "lon": -84.5},
    )
    body = {"team_id": team, "segment": "A1", "rendezvous_id": theirs["id"]}
    assert f"place {theirs['id']}" in problem(client.post(base, json=body), 404)["detail"]
    assert client.get(base).json() == []
    problem(client.get(f"{base}/999"), 404)
    problem(client.get(f"{base}?team_id=999"), 404)
    problem(client.get(f"/incidents/{other}/assignments?team_id={team}"), 404)


def test_bad_status_bodies_are_422_problems_naming_the_field(
    client: TestClient, incident: int, clock: list[datetime]
) -> None:
    team, _ = field_team(client, incident, ["Ada", "Ben"])
    job = post(client, f"/incidents/{incident}/assignments", {"team_id": team, "segment": "A1"})
    assert _move(client, incident, job["id"], "in_progress").status_code == 200
    for body, field in [
        ({"status": "done"}, "status"),
        ({"status": "completed", "reported_pod": 1.5}, "reported_pod"),
        ({"status": "completed", "reported_pod": -0.1}, "reported_pod"),
    ]:
        url = f"/incidents/{incident}/assignments/{job['id']}/status"
        detail = problem(client.put(url, json=body), 422)["detail"]
        assert detail.startswith(f"{field}: "), detail
    pod_too_early = problem(_move(client, incident, job["id"], "aborted", reported_pod=0.5), 422)
    assert pod_too_early["detail"].startswith("reported_pod: given with status 'aborted'")
    assert client.get(f"/incidents/{incident}/assignments/{job['id']}").json()["status"] == (
        "in_progress"
    )
    problem(_move(client, incident, 999, "aborted"), 404)


def test_a_team_leader_moves_their_own_teams_assignment_only(
    client: TestClient, incident: int, clock: list[datetime]
) -> None:
    team, (ada, ben) = field_team(client, incident, ["Ada", "Ben"])
    other, (cora, _) = _second_team(client, incident)
    base = f"/incidents/{incident}/assignments"
    mine = post(client, base, {"team_id": team, "segment": "A1"})
    theirs = post(client, base, {"team_id": other, "segment": "B1"})
    leader = login_as(client, incident, "team_leader", ada)
    searcher = login_as(client, incident, "searcher", ben)
    viewer = login_as(client, incident, "viewer")
    planner = login_as(client, incident, "planning")
    operations = login_as(client, incident, "operations")

    # The leader starts and completes their own team's assignment.
    assert _move(client, incident, mine["id"], "in_progress", leader).status_code == 200
    done = _move(client, incident, mine["id"], "completed", leader, reported_pod=0.4)
    assert done.status_code == 200, done.text
    log = client.get(f"/incidents/{incident}/activity").json()
    assert log[-3]["actor"].endswith("(team_leader)")
    # ... but not another team's, and a searcher, a viewer or planning not at all.
    denied = problem(_move(client, incident, theirs["id"], "in_progress", leader), 403)
    assert "operations or the team leader of team Team 2" in denied["detail"]
    for headers in (searcher, viewer, planner):
        problem(_move(client, incident, theirs["id"], "in_progress", headers), 403)
    assert client.get(f"{base}/{theirs['id']}").json()["status"] == "planned"
    assert _statuses(client, incident)[cora] == "checked_in"
    # Operations may move any assignment; only planners and command create them.
    assert _move(client, incident, theirs["id"], "aborted", operations).status_code == 200
    body = {"team_id": team, "segment": "A2"}
    assert client.post(base, json=body, headers=planner).status_code == 201
    problem(client.post(base, json=body, headers=leader), 403)
    problem(client.post(base, json=body, headers=viewer), 403)
    assert client.get(base, headers=viewer).status_code == 200
    assert len(client.get(base).json()) == 3
