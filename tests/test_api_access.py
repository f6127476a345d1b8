"""What incident roles may and may not do beyond the route table, through the HTTP API.

The per-route table (every operation × role × own/other incident) is
``test_api_authz_matrix.py``; here are the finer rules: field roles report only for
themself or their team, medical notes, giving and revoking roles, opening incidents,
logins, closing, and the live stream.

The scene: one incident with Team 1 (Ann leading, Bob) and Team 2 (Cal leading, Dee) in
the field, Eve and Fay checked in without a team, a roll call, a signal to everyone, a
place, a period, an assignment for Team 1, a hazard zone and two subjects (one found).
Each role gets a user of its own; the team leader is Ann, the searcher is Bob.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from apitools import PASSWORD, check_in, login_as, member, post, problem

T = "2026-06-01T14:00:00Z"

CODE = "lily-rose-1234"
SUBJECT = {
    "name": "Lily",
    "category": "child",
    "age": 5,
    "last_seen_lat": 36.5,
    "last_seen_lon": -84.6,
    "last_seen_at": T,
    "guardian_name": "Rose Moore",
    "guardian_relation": "mother",
    "guardian_id_document": "driver's licence TN ...0421",
    "handover_code": CODE,
}
ZONE = {
    "name": "Cliff",
    "kind": "cliff",
    "geometry": {
        "type": "Polygon",
        "coordinates": [[[-84.7, 36.4], [-84.5, 36.4], [-84.5, 36.6], [-84.7, 36.4]]],
    },
}
PLACE = {"kind": "staging", "name": "Trailhead", "lat": 36.5, "lon": -84.6}
FOUND = {"lat": 36.51, "lon": -84.61, "condition": "cold, alert"}
HANDOVER = {"guardian_name": "Rose Moore", "guardian_relation": "mother", "code": CODE}
TRANSFER = {"to": "County EMS", "reason": "cold"}


def _position(who: str, n: int) -> dict[str, Any]:
    at = {"lat": 36.5, "lon": -84.6, "time": T}
    return {"id": f"00000000-0000-4000-8000-{n:012d}", "member_id": f"{{{who}}}", **at}


@dataclass(frozen=True)
class Scene:
    """The incident and its records by name (``i`` is the incident)."""

    ids: dict[str, int]

    def fill(self, value: Any) -> Any:
        """``value`` with ``"{name}"`` strings replaced by the record's id."""
        if isinstance(value, dict):
            return {k: self.fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.fill(v) for v in value]
        if isinstance(value, str) and re.fullmatch(r"\{\w+\}", value):
            return self.ids[value[1:-1]]
        if isinstance(value, str):
            return value.format(**self.ids)
        return value


@pytest.fixture
def scene(client: TestClient, incident: int) -> Scene:
    """The incident of the module docstring, built by the fixture's administrator."""
    base = f"/incidents/{incident}"
    ids = {"i": incident}
    for name in ("ann", "bob", "cal", "dee", "eve", "fay"):
        ids[name] = member(client, incident, name.title())
        check_in(client, incident, ids[name])
    for team, (lead, mate) in (("team1", ("ann", "bob")), ("team2", ("cal", "dee"))):
        body = {"name": team, "pairs": [{"member_ids": [ids[lead], ids[mate]]}]}
        ids[team] = post(client, f"{base}/teams", {**body, "leader_id": ids[lead]})["id"]
    ids["roll_call"] = post(client, f"{base}/roll-calls", {})["id"]
    ids["signal"] = post(client, f"{base}/signals", {"code": "hazard"})["id"]
    ids["place"] = post(client, f"{base}/places", PLACE)["id"]
    period = {"starts_at": "2026-06-01T12:00:00Z", "ends_at": "2026-06-01T20:00:00Z"}
    ids["period"] = post(client, f"{base}/periods", period)["id"]
    task = {"team_id": ids["team1"], "segment": "A3", "period_id": ids["period"]}
    ids["assignment"] = post(client, f"{base}/assignments", task)["id"]
    ids["zone"] = post(client, f"{base}/hazards", ZONE)["id"]
    ids["subject"] = post(client, f"{base}/subjects", SUBJECT)["id"]
    ids["found"] = post(client, f"{base}/subjects", {**SUBJECT, "name": "Sam"})["id"]
    found = {"member_id": ids["cal"], **FOUND}
    post(client, f"{base}/subjects/{ids['found']}/found", found, status=200)
    post(client, "/users", {"login": "spare", "name": "Spare"})
    post(client, "/incidents", {"name": "Somebody else's search"})
    return Scene(ids)


def _headers(client: TestClient, scene: Scene, role: str) -> dict[str, str]:
    """A user with ``role`` in the scene: the team leader is Ann, the searcher Bob."""
    member_id = {"team_leader": scene.ids["ann"], "searcher": scene.ids["bob"]}.get(role)
    return login_as(client, scene.ids["i"], role, member_id)


# --- Field roles report only for themself or their team -------------------------------


@pytest.mark.parametrize(
    ("role", "whom", "refused"),
    [
        ("searcher", "yourself", "ann"),
        ("searcher", "yourself", "cal"),
        ("team_leader", "the members of your team", "cal"),
    ],
)
def test_field_role_reporting_for_someone_else_is_refused_naming_member_id(
    client: TestClient, scene: Scene, role: str, whom: str, refused: str
) -> None:
    headers = _headers(client, scene, role)
    other = scene.ids[refused]
    expected = f"member_id: as {role} you report only for {whom}, not member {other}"
    base = f"/incidents/{scene.ids['i']}"
    for path, body in (
        ("positions", scene.fill(_position(refused, 7))),
        (f"roll-calls/{scene.ids['roll_call']}/answers", {"member_id": other}),
        (f"signals/{scene.ids['signal']}/acks", {"member_id": other}),
        ("injuries", {"member_id": other, "severity": "minor", "treatment": "blister"}),
        (f"subjects/{scene.ids['subject']}/found", {"member_id": other, **FOUND}),
    ):
        response = client.post(f"{base}/{path}", json=body, headers=headers)
        assert problem(response, 403)["detail"] == expected
    assert client.get(f"{base}/positions/latest").json() == []


def test_team_leader_may_not_answer_by_another_leader(client: TestClient, scene: Scene) -> None:
    headers = _headers(client, scene, "team_leader")  # Ann, who leads Team 1
    body = {"member_id": scene.ids["ann"], "by_member_id": scene.ids["cal"]}
    url = f"/incidents/{scene.ids['i']}/roll-calls/{scene.ids['roll_call']}/answers"
    detail = problem(client.post(url, json=body, headers=headers), 403)["detail"]
    assert detail.startswith("member_id: as team_leader")


def test_team_leader_moves_only_their_own_teams_assignment(
    client: TestClient, scene: Scene
) -> None:
    base = f"/incidents/{scene.ids['i']}/assignments"
    theirs = post(client, base, {"team_id": scene.ids["team2"], "segment": "C2"})["id"]
    headers = _headers(client, scene, "team_leader")
    started = {"status": "in_progress"}
    refused = client.put(f"{base}/{theirs}/status", json=started, headers=headers)
    assert "team leader of team team2 may" in problem(refused, 403)["detail"]
    mine = client.put(f"{base}/{scene.ids['assignment']}/status", json=started, headers=headers)
    assert (mine.status_code, mine.json()["status"]) == (200, "in_progress")
    searcher = _headers(client, scene, "searcher")  # Bob, in Team 1 but not its leader
    done = {"status": "completed", "reported_pod": 0.6}
    response = client.put(f"{base}/{scene.ids['assignment']}/status", json=done, headers=searcher)
    problem(response, 403)


# --- Medical notes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        ("incident_commander", {"ann", "bob", "cal"}),
        ("operations", {"ann", "bob", "cal"}),
        ("planning", set()),
        ("team_leader", {"ann", "bob"}),
        ("searcher", {"bob"}),
        ("viewer", set()),
    ],
)
def test_medical_notes_are_shown_only_to_those_who_need_them(
    client: TestClient, scene: Scene, role: str, sees: set[str]
) -> None:
    base = f"/incidents/{scene.ids['i']}/members"
    for name in ("ann", "bob", "cal"):
        body = {"medical_notes": f"{name}: asthma"}
        assert client.patch(f"{base}/{scene.ids[name]}", json=body).status_code == 200
    members = client.get(base, headers=_headers(client, scene, role)).json()
    shown = {m["medical_notes"].split(":")[0] for m in members if m["medical_notes"]}
    assert shown == sees


# --- Roles, incidents, logins ----------------------------------------------------------


def test_commander_gives_and_revokes_roles_and_revoked_user_is_refused_at_once(
    client: TestClient, scene: Scene
) -> None:
    i = scene.ids["i"]
    commander = _headers(client, scene, "incident_commander")
    operations = _headers(client, scene, "operations")
    post(client, "/users", {"login": "ann.lee", "name": "Ann Lee", "password": PASSWORD})
    body = {"login": "ann.lee", "role": "viewer"}
    role = client.post(f"/incidents/{i}/roles", json=body, headers=commander)
    assert role.status_code == 201, role.text
    token = post(client, "/auth/token", {"login": "ann.lee", "password": PASSWORD}, status=200)
    viewer = {"Authorization": f"Bearer {token['access_token']}"}
    assert client.get(f"/incidents/{i}/members", headers=viewer).status_code == 200
    # Operations may not give or take roles.
    promote = {"login": "ann.lee", "role": "operations"}
    problem(client.post(f"/incidents/{i}/roles", json=promote, headers=operations), 403)
    gone = client.delete(f"/incidents/{i}/roles/{role.json()['id']}", headers=operations)
    problem(gone, 403)
    # The commander revokes: the very next request is refused, and the log says so.
    response = client.delete(f"/incidents/{i}/roles/{role.json()['id']}", headers=commander)
    assert response.status_code == 204, response.text
    detail = problem(client.get(f"/incidents/{i}/members", headers=viewer), 403)["detail"]
    assert "you have no role in this incident" in detail
    assert client.get("/incidents", headers=viewer).json() == []
    assert client.get("/auth/me", headers=viewer).json()["roles"] == []
    log = [e["text"] for e in client.get(f"/incidents/{i}/activity").json()]
    assert log[-2:] == [
        "Ann Lee (ann.lee) is now viewer",
        "Ann Lee (ann.lee) no longer has a role (viewer)",
    ]


def test_only_an_administrator_opens_incidents_and_adds_users(
    client: TestClient, scene: Scene
) -> None:
    commander = _headers(client, scene, "incident_commander")
    for path, body in (("/incidents", {"name": "A"}), ("/users", {"login": "x", "name": "X"})):
        detail = problem(client.post(path, json=body, headers=commander), 403)["detail"]
        assert detail == "only an agency administrator may do this"
    opened = post(client, "/incidents", {"name": "Another"})
    post(client, "/users", {"login": "x", "name": "X"})
    # The administrator commands what they open; the scene's commander sees none of it.
    assert opened["id"] in [i["id"] for i in client.get("/incidents").json()]
    assert [i["id"] for i in client.get("/incidents", headers=commander).json()] == [scene.ids["i"]]


def test_incident_list_and_me_show_only_the_users_roles(client: TestClient, scene: Scene) -> None:
    i = scene.ids["i"]
    other = post(client, "/incidents", {"name": "Overdue hiker"})["id"]
    post(client, "/incidents", {"name": "Third"})
    bob = scene.ids["bob"]
    headers = login_as(client, i, "searcher", bob, login="bob.b")
    post(client, f"/incidents/{other}/roles", {"login": "bob.b", "role": "viewer"})
    listed = client.get("/incidents", headers=headers).json()
    assert [x["id"] for x in listed] == [i, other]
    me = client.get("/auth/me", headers=headers).json()
    assert me["user"]["login"] == "bob.b"
    assert not me["user"]["is_admin"]
    grants = [(r["incident_id"], r["role"], r["member_id"]) for r in me["roles"]]
    assert grants == [(i, "searcher", bob), (other, "viewer", None)]


def test_wrong_password_and_unknown_login_get_the_same_401(
    client: TestClient, scene: Scene
) -> None:
    post(client, "/users", {"login": "ann.lee", "name": "Ann Lee", "password": PASSWORD})
    del client.headers["Authorization"]
    wrong = client.post("/auth/token", json={"login": "ann.lee", "password": "not-her-password"})
    unknown = client.post("/auth/token", json={"login": "nobody", "password": PASSWORD})
    token_only = client.post("/auth/token", json={"login": "spare", "password": PASSWORD})
    details = {problem(r, 401)["detail"] for r in (wrong, unknown, token_only)}
    assert details == {"login or password is wrong; check both and try again"}
    assert {r.headers["www-authenticate"] for r in (wrong, unknown, token_only)} == {"Bearer"}
    right = client.post("/auth/token", json={"login": "ANN.LEE ", "password": PASSWORD})
    assert right.status_code == 200, right.text


# --- Closing, and the live stream ------------------------------------------------------


def test_only_the_commander_closes_and_a_closed_incident_is_read_only(
    client: TestClient, scene: Scene
) -> None:
    i = scene.ids["i"]
    base = f"/incidents/{i}"
    viewer = _headers(client, scene, "viewer")
    for headers in (
        _headers(client, scene, "operations"),
        _headers(client, scene, "planning"),
        viewer,
    ):
        problem(client.post(f"{base}/close", headers=headers), 403)
    commander = _headers(client, scene, "incident_commander")
    problem(client.post(f"{base}/close", headers=commander), 409)  # people still out
    for name in ("ann", "bob", "cal", "dee", "eve", "fay"):
        body = {"status": "checked_out"}
        assert client.put(f"{base}/members/{scene.ids[name]}/status", json=body).status_code == 200
    subject, found = (
        f"{base}/subjects/{scene.ids['subject']}",
        f"{base}/subjects/{scene.ids['found']}",
    )
    post(client, f"{subject}/found", {"member_id": scene.ids["bob"], **FOUND}, 200)
    post(client, f"{subject}/handover", HANDOVER, 200)
    post(client, f"{found}/transfer", TRANSFER, 200)
    closed = client.post(f"{base}/close", headers=commander)
    assert (closed.status_code, closed.json()["status"]) == (200, "closed"), closed.text
    assert client.get(f"{base}/members", headers=viewer).status_code == 200
    refused = client.post(f"{base}/members", json={"name": "Late"}, headers=commander)
    assert "closed" in problem(refused, 409)["detail"]
    problem(client.post(f"{base}/members", json={"name": "Late"}, headers=viewer), 403)


def test_live_stream_needs_a_role_in_the_incident(client: TestClient, scene: Scene) -> None:
    i = scene.ids["i"]
    other = post(client, "/incidents", {"name": "Overdue hiker"})["id"]
    token = _headers(client, scene, "viewer")["Authorization"].removeprefix("Bearer ")
    del client.headers["Authorization"]  # the browser way: the token in the query
    with client.websocket_connect(f"/incidents/{i}/live?access_token={token}") as ws:
        assert ws.receive_json() == {"type": "subscribed", "incident_id": i}
    for url, code in (
        (f"/incidents/{other}/live?access_token={token}", 4403),
        (f"/incidents/{i}/live?access_token=not-a-token", 4401),
        (f"/incidents/{i}/live", 4401),
    ):
        with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect(url) as ws:
            ws.receive_json()
        assert closed.value.code == code
