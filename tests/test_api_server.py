"""The incident server end to end through its HTTP API, on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from apitools import member as _member
from apitools import post as _post
from apitools import problem as _problem


def _position(member: int, lat: float = 36.55, **extra: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "member_id": member,
        "lat": lat,
        "lon": -84.28,
        "time": "2026-06-01T14:03:00Z",
        **extra,
    }


def test_health_and_openapi(client: TestClient, database_url: str) -> None:
    health = client.get("/health").json()
    assert health["status"] == "ok"
    assert health["database"] == database_url.split(":")[0].split("+")[0]
    spec = client.get("/openapi.json").json()
    assert {"/health", "/incidents", "/incidents/{incident_id}/teams"} <= spec["paths"].keys()
    assert client.get("/docs").status_code == 200


def test_incidents_and_members(client: TestClient, incident: int) -> None:
    assert client.get(f"/incidents/{incident}").json()["name"] == "Missing child"
    assert [i["id"] for i in client.get("/incidents").json()] == [incident]
    _member(client, incident, "Ana")
    _member(client, incident, "Kid", protect=True)
    roster = client.get(f"/incidents/{incident}/members").json()
    assert [(m["name"], m["needs_protection"]) for m in roster] == [("Ana", False), ("Kid", True)]


def test_unknown_incident_is_a_404_problem(client: TestClient) -> None:
    body = _problem(client.get("/incidents/999"), 404)
    assert "incident 999" in body["detail"]
    _problem(client.post("/incidents/999/members", json={"name": "A"}), 404)
    _problem(client.get("/no/such/route"), 404)


def test_team_of_pairs_and_the_activity_log(client: TestClient, incident: int) -> None:
    a, b = _member(client, incident, "Ana"), _member(client, incident, "Ben")
    kid, guard = _member(client, incident, "Kid", True), _member(client, incident, "Dee")
    pairs = [{"member_ids": [a, b]}, {"member_ids": [kid, guard], "protector_id": guard}]
    team = _post(client, f"/incidents/{incident}/teams", {"name": "Team 1", "pairs": pairs})
    assert [(m["member_id"], m["pair"], m["protects_id"]) for m in team["members"]] == [
        (a, 0, None),
        (b, 0, None),
        (kid, 1, None),
        (guard, 1, kid),
    ]
    log = client.get(f"/incidents/{incident}/activity").json()
    assert [entry["kind"] for entry in log][-1] == "team"
    assert "Kid + Dee" in log[-1]["text"]


@pytest.mark.parametrize(
    ("shape", "rule"),
    [("alone", "nobody-goes-alone"), ("unprotected", "protected-member-needs-protector")],
)
def test_pair_rule_violation_is_a_422_problem_naming_the_rule(
    client: TestClient, incident: int, shape: str, rule: str
) -> None:
    kid, adult = _member(client, incident, "Kid", True), _member(client, incident, "Adult")
    pairs = [{"member_ids": [adult]}] if shape == "alone" else [{"member_ids": [kid, adult]}]
    response = client.post(f"/incidents/{incident}/teams", json={"name": "t", "pairs": pairs})
    body = _problem(response, 422)
    assert body["rule"] == rule
    assert body["title"] == "Pairing rule broken"
    log = client.get(f"/incidents/{incident}/activity").json()
    assert "team" not in {entry["kind"] for entry in log}  # nothing partial stored


def test_position_replay_is_idempotent(client: TestClient, incident: int) -> None:
    member = _member(client, incident, "Ana")
    position = _position(member)
    first = _post(client, f"/incidents/{incident}/positions", position, status=201)
    again = _post(client, f"/incidents/{incident}/positions", position, status=200)
    assert first == again
    batch = {"positions": [position, _position(member, lat=36.56)]}
    result = _post(client, f"/incidents/{incident}/positions/batch", batch)
    assert (result["created"], result["replayed"]) == (1, 1)
    result = _post(client, f"/incidents/{incident}/positions/batch", batch)
    assert (result["created"], result["replayed"]) == (0, 2)
    latest = client.get(f"/incidents/{incident}/positions/latest").json()
    assert len(latest) == 1
    assert latest[0]["member_id"] == member


@pytest.mark.parametrize(
    "change",
    [{"lat": 91.0}, {"lon": 181.0}, {"time": "2026-06-01T14:03:00"}, {"id": "not-a-uuid"}],
)
def test_bad_positions_are_422_problems(
    client: TestClient, incident: int, change: dict[str, Any]
) -> None:
    member = _member(client, incident, "Ana")
    body = _problem(
        client.post(f"/incidents/{incident}/positions", json=_position(member, **change)), 422
    )
    assert body["errors"][0]["loc"][-1] == next(iter(change))
    assert client.get(f"/incidents/{incident}/positions/latest").json() == []


def test_a_position_for_an_unknown_member_is_a_404_problem(
    client: TestClient, incident: int
) -> None:
    _problem(client.post(f"/incidents/{incident}/positions", json=_position(12345)), 404)


def test_oversized_body_is_a_413_problem(client: TestClient, incident: int) -> None:
    member = _member(client, incident, "Ana")
    batch = {"positions": [_position(member) for _ in range(1000)]}  # ~150 kB > 64 kB
    body = _problem(client.post(f"/incidents/{incident}/positions/batch", json=batch), 413)
    assert "smaller batches" in body["detail"]


def test_oversized_streamed_body_is_a_413_problem(client: TestClient, incident: int) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(100):
            yield b"x" * 1024
        yield b'"}'

    response = client.post(
        "/incidents", content=chunks(), headers={"content-type": "application/json"}
    )
    _problem(response, 413)


def test_websocket_receives_a_posted_position(client: TestClient, incident: int) -> None:
    member = _member(client, incident, "Ana")
    position = _position(member)
    with client.websocket_connect(f"/incidents/{incident}/live") as ws:
        assert ws.receive_json() == {"type": "subscribed", "incident_id": incident}
        _post(client, f"/incidents/{incident}/positions", position)
        _post(client, f"/incidents/{incident}/positions", position, status=200)  # replay
        _post(client, f"/incidents/{incident}/positions", _position(member, lat=36.6))
        first, second = ws.receive_json(), ws.receive_json()
    assert first["type"] == "position"
    assert first["position"]["id"] == position["id"]
    assert second["position"]["lat"] == 36.6  # the replay was not pushed again


def test_websocket_for_an_unknown_incident_is_closed(client: TestClient) -> None:
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect) as info, client.websocket_connect("/incidents/9/live"):
        pass
    assert info.value.code == 4404
