"""The incident server end to end through its HTTP API, on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from apitools import login_as
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


def test_a_replay_with_other_content_is_a_409_problem_and_the_batch_stores_nothing(
    client: TestClient, incident: int
) -> None:
    member = _member(client, incident, "Ana")
    position = _position(member)
    _post(client, f"/incidents/{incident}/positions", position)
    moved = {**position, "lat": 36.9}
    body = _problem(client.post(f"/incidents/{incident}/positions", json=moved), 409)
    assert body["detail"].startswith(f"lat: position {position['id']} is already stored")
    fresh = _position(member, lat=36.7, time="2026-06-01T14:09:00Z")
    batch = {"positions": [fresh, {**position, "time": "2026-06-01T14:04:00Z"}]}
    response = client.post(f"/incidents/{incident}/positions/batch", json=batch)
    assert _problem(response, 409)["detail"].startswith("positions[1].time: position")
    latest = client.get(f"/incidents/{incident}/positions/latest").json()
    assert [p["id"] for p in latest] == [position["id"]]  # the fresh position was not stored
    # The identical replay is still accepted as a replay.
    _post(client, f"/incidents/{incident}/positions", position, status=200)


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


# --- Member profiles (medical notes are confidential) and the march order ---------------


def test_member_profile_and_who_reads_the_medical_notes(client: TestClient, incident: int) -> None:
    base = f"/incidents/{incident}/members"
    profile = {
        "qualifications": "K9 area search",
        "resource_type": "dog",
        "medical_notes": "bee sting allergy",
        "contact": "radio SAR-12",
    }
    ada = _post(client, base, {"name": "Ada", **profile})
    assert {k: ada[k] for k in profile} == profile  # the commander reads everything
    ben = _member(client, incident, "Ben")
    cora = _member(client, incident, "Cora")
    team = {"name": "Team 1", "pairs": [{"member_ids": [ada["id"], ben]}], "leader_id": ben}
    _post(client, f"/incidents/{incident}/teams", team)
    patched = client.patch(f"{base}/{cora}", json={"medical_notes": "asthma", "contact": "555"})
    assert patched.status_code == 200, patched.text
    assert (patched.json()["medical_notes"], patched.json()["resource_type"]) == (
        "asthma",
        "ground",
    )

    def notes(headers: dict[str, str]) -> dict[int, str]:
        roster = client.get(base, headers=headers).json()
        return {m["id"]: m["medical_notes"] for m in roster}

    everyone = {ada["id"]: "bee sting allergy", ben: "", cora: "asthma"}
    hidden = {ada["id"]: "", ben: "", cora: ""}
    assert notes(login_as(client, incident, "operations")) == everyone
    assert notes(login_as(client, incident, "viewer")) == hidden
    assert notes(login_as(client, incident, "planning")) == hidden
    assert notes(login_as(client, incident, "team_leader", ben)) == {
        **hidden,
        ada["id"]: "bee sting allergy",
    }
    assert notes(login_as(client, incident, "searcher", cora)) == {**hidden, cora: "asthma"}
    viewer_view = client.get(base, headers=login_as(client, incident, "viewer", login="v2")).json()
    assert viewer_view[0]["contact"] == "radio SAR-12"  # only the notes are confidential
    log = [e["text"] for e in client.get(f"/incidents/{incident}/activity").json()]
    assert "Cora: profile updated (medical notes, contact)" in log
    assert not any("allergy" in t or "asthma" in t for t in log)


def test_bad_profiles_are_422_problems_and_viewers_may_not_change_them(
    client: TestClient, incident: int
) -> None:
    base = f"/incidents/{incident}/members"
    bad = _problem(client.post(base, json={"name": "Ada", "resource_type": "horse"}), 422)
    assert bad["detail"].startswith("resource_type: ")
    assert client.get(base).json() == []
    ada = _member(client, incident, "Ada")
    too_long = _problem(client.patch(f"{base}/{ada}", json={"contact": "x" * 201}), 422)
    assert too_long["detail"].startswith("contact: ")
    viewer = login_as(client, incident, "viewer")
    _problem(client.patch(f"{base}/{ada}", json={"medical_notes": "x"}, headers=viewer), 403)
    _problem(client.patch(f"{base}/999", json={"contact": "x"}), 404)
    [stored] = client.get(base).json()
    assert (stored["contact"], stored["medical_notes"]) == ("", "")


def test_march_order_and_the_list_of_teams(client: TestClient, incident: int) -> None:
    a, b = _member(client, incident, "Ana"), _member(client, incident, "Ben")
    kid, guard = _member(client, incident, "Kid", True), _member(client, incident, "Dee")
    pairs = [{"member_ids": [a, b]}, {"member_ids": [kid, guard], "protector_id": guard}]
    team = _post(client, f"/incidents/{incident}/teams", {"name": "Team 1", "pairs": pairs})
    assert [m["march"] for m in team["members"]] == [None, None, None, None]
    url = f"/incidents/{incident}/teams/{team['id']}/march"
    response = client.put(url, json={"lead_id": b, "rear_id": guard})
    assert response.status_code == 200, response.text
    march = {m["member_id"]: m["march"] for m in response.json()["members"]}
    assert march == {a: "middle", b: "lead", kid: "middle", guard: "rear"}
    assert client.get(f"/incidents/{incident}/teams").json() == [response.json()]
    # The vulnerable walk in the middle; a refusal changes nothing.
    body = _problem(client.put(url, json={"lead_id": kid, "rear_id": a}), 422)
    assert body["rule"] == "protected-member-in-middle"
    assert body["detail"].startswith("lead_id: Kid")
    same = _problem(client.put(url, json={"lead_id": a, "rear_id": a}), 422)
    assert same["detail"].startswith("rear_id: ")
    _problem(client.put(url, json={"lead_id": a}), 422)
    _problem(
        client.put(f"/incidents/{incident}/teams/999/march", json={"lead_id": a, "rear_id": b}), 404
    )
    stored = client.get(f"/incidents/{incident}/teams/{team['id']}").json()
    assert {m["member_id"]: m["march"] for m in stored["members"]} == march


def test_api_docs_are_served_without_a_cdn(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "/docs/static/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower() and "https://" not in page.text
    script = client.get("/docs/static/swagger-ui-bundle.js")
    assert script.status_code == 200 and len(script.content) > 100_000
    assert client.get("/redoc").status_code == 404


def test_a_members_track_pages_oldest_first_and_latest_says_how_long_ago(
    client: TestClient, incident: int, clock: list[Any]
) -> None:
    ana, ben = _member(client, incident, "Ana"), _member(client, incident, "Ben")
    times = [f"2026-06-01T14:0{m}:00Z" for m in (5, 1, 3, 2, 4)]  # arrive out of order
    batch = [_position(ana, lat=36.5 + i / 100, time=t) for i, t in enumerate(times)]
    _post(client, f"/incidents/{incident}/positions/batch", {"positions": batch})
    _post(client, f"/incidents/{incident}/positions", _position(ben))
    track = f"/incidents/{incident}/positions/track"
    first = client.get(track, params={"member_id": ana, "limit": 3}).json()
    assert [p["time"] for p in first] == [f"2026-06-01T14:0{m}:00Z" for m in (1, 2, 3)]
    rest = client.get(track, params={"member_id": ana, "since": first[-1]["time"]}).json()
    assert [p["time"][14:16] for p in rest] == ["03", "04", "05"]
    assert {p["member_id"] for p in first + rest} == {ana}
    _problem(client.get(track, params={"member_id": 999}), 404)
    _problem(client.get(track, params={"member_id": ana, "limit": 0}), 422)
    edge: dict[str, str | int] = {"member_id": ana, "since": "0001-01-01T00:00:00+14:00"}
    assert "since" in _problem(client.get(track, params=edge), 422)["detail"]
    clock[0] = clock[0].replace(minute=10)  # 14:10
    latest = {
        p["member_id"]: p for p in client.get(f"/incidents/{incident}/positions/latest").json()
    }
    assert latest[ana]["seconds_since_contact"] == 300.0  # newest fix 14:05
    assert latest[ben]["seconds_since_contact"] == 420.0  # 14:03
