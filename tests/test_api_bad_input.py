"""Bad input through the HTTP API: always a 4xx problem, and nothing half stored.

Coordinates off the globe, unknown ids, ids of another incident, bodies too large, broken
or of the wrong type, replayed positions, and tokens missing, wrong, expired or revoked;
on SQLite and on PostgreSQL (the ``client`` fixture: 64 kB body limit, admin's token).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from apitools import check_in, field_team, login_as, member, post, problem
from wayhome.store import revoke_token
from wayhome.store.models import (
    HazardZone,
    Member,
    Place,
    Position,
    Subject,
    Team,
    utc_now,
)

T = "2026-06-01T14:00:00Z"

#: An id no record has (and small enough for every backend).
NOBODY = 987654


def _position(member_id: int, n: int = 1, **change: Any) -> dict[str, Any]:
    """A valid position body with id number ``n``; ``change`` overrides fields."""
    body = {"id": str(uuid.UUID(int=n)), "member_id": member_id, "lat": 36.5, "lon": -84.6}
    return {**body, "time": T, **change}


def _subject(**change: Any) -> dict[str, Any]:
    body = {"name": "Lily", "category": "child", "age": 5, "last_seen_at": T}
    place = {"last_seen_lat": 36.5, "last_seen_lon": -84.6}
    guardian = {"guardian_name": "Rose", "guardian_relation": "mother"}
    return {**body, **place, **guardian, "guardian_id_document": "passport ...7731", **change}


def _rows(client: TestClient, model: type[Any]) -> int:
    """How many rows the server's database holds of ``model``."""
    with client.app.state.sessions() as s:  # type: ignore[attr-defined]
        count: int = s.scalar(select(func.count()).select_from(model)) or 0
    return count


def _polygon(*corners: tuple[float, float]) -> dict[str, Any]:
    ring = [list(c) for c in (*corners, corners[0])]
    return {"type": "Polygon", "coordinates": [ring]}


# --- Coordinates ---------------------------------------------------------------------


def _place(**change: Any) -> dict[str, Any]:
    return {"kind": "staging", "name": "Trailhead", "lat": 36.5, "lon": -84.6, **change}


OFF_THE_GLOBE = [
    ("positions", "lat", 90.0001),
    ("positions", "lat", -91),
    ("positions", "lon", 180.5),
    ("positions", "lon", -360),
    ("places", "lat", 95),
    ("places", "lon", -181),
    ("subjects", "last_seen_lat", -90.5),
    ("subjects", "last_seen_lon", 200),
]


@pytest.mark.parametrize(("resource", "field", "value"), OFF_THE_GLOBE)
def test_coordinates_off_the_globe_are_refused_naming_the_field(
    client: TestClient, incident: int, resource: str, field: str, value: float
) -> None:
    ann = member(client, incident, "Ann")
    valid = {"positions": _position(ann), "places": _place(), "subjects": _subject()}
    body = {**valid[resource], field: value}
    answer = problem(client.post(f"/incidents/{incident}/{resource}", json=body), 422)
    assert answer["detail"].startswith(f"{field}: ")
    model = {"positions": Position, "places": Place, "subjects": Subject}[resource]
    assert _rows(client, model) == 0


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_coordinates_that_are_not_numbers_are_refused(
    client: TestClient, incident: int, literal: str
) -> None:
    # Python's JSON parser reads NaN and Infinity; the range checks must still refuse them.
    ann = member(client, incident, "Ann")
    raw = f'{{"id": "{uuid.UUID(int=1)}", "member_id": {ann}, "lat": {literal}, "lon": 1,'
    raw += f' "time": "{T}"}}'
    headers = {"Content-Type": "application/json"}
    response = client.post(f"/incidents/{incident}/positions", content=raw, headers=headers)
    assert problem(response, 422)["detail"].startswith("lat: ")
    ring = f"[[{literal}, 1], [2, 2], [3, 1], [{literal}, 1]]"
    raw = '{"name": "Cliff", "kind": "cliff", "geometry": {"type": "Polygon", '
    raw += f'"coordinates": [{ring}]}}}}'
    response = client.post(f"/incidents/{incident}/hazards", content=raw, headers=headers)
    assert problem(response, 422)["detail"].startswith("geometry.coordinates: ")
    assert _rows(client, Position) == _rows(client, HazardZone) == 0


def test_hazard_zone_with_swapped_coordinates_is_refused_and_not_drawn(
    client: TestClient, incident: int
) -> None:
    swapped = _polygon((45.1, -120.2), (45.1, -120.0), (45.3, -120.0))  # lat, lon: lat < -90
    body = {"name": "Cliff", "kind": "cliff", "geometry": swapped}
    detail = problem(client.post(f"/incidents/{incident}/hazards", json=body), 422)["detail"]
    assert detail.startswith("geometry.coordinates: ")
    assert "swapped?" in detail
    assert client.get(f"/incidents/{incident}/hazards").json() == []


def test_found_subject_off_the_globe_stays_missing(client: TestClient, incident: int) -> None:
    ann = member(client, incident, "Ann")
    subject = post(client, f"/incidents/{incident}/subjects", _subject())["id"]
    body = {"member_id": ann, "lat": 36.5, "lon": 181, "condition": "cold"}
    response = client.post(f"/incidents/{incident}/subjects/{subject}/found", json=body)
    assert problem(response, 422)["detail"].startswith("lon: ")
    assert client.get(f"/incidents/{incident}/subjects/{subject}").json()["status"] == "missing"


# --- Unknown ids ---------------------------------------------------------------------


@pytest.fixture
def ann(client: TestClient, incident: int) -> int:
    """A checked-in member of ``incident`` with a team mate (Bob), both in "Team 1"."""
    _, (ann, _) = field_team(client, incident, ["Ann", "Bob"])
    return ann


UNKNOWN = [
    ("GET", "/incidents/{nobody}", None, "incident"),
    ("GET", "/incidents/{nobody}/members", None, "incident"),
    ("POST", "/incidents/{nobody}/members", {"name": "Ann"}, "incident"),
    ("PUT", "/incidents/{i}/members/{nobody}/status", {"status": "checked_in"}, "member"),
    ("PATCH", "/incidents/{i}/members/{nobody}", {"contact": "radio 7"}, "member"),
    ("POST", "/incidents/{i}/positions", "position", "member"),
    ("POST", "/incidents/{i}/injuries", "injury", "member"),
    ("GET", "/incidents/{i}/teams/{nobody}", None, "team"),
    ("POST", "/incidents/{i}/roll-calls", {"team_id": NOBODY}, "team"),
    ("GET", "/incidents/{i}/roll-calls/{nobody}", None, "roll call"),
    ("POST", "/incidents/{i}/roll-calls/{nobody}/answers", {"member_id": "ann"}, "roll call"),
    ("POST", "/incidents/{i}/signals", {"code": "two", "member_id": NOBODY}, "member"),
    ("GET", "/incidents/{i}/signals/{nobody}", None, "signal"),
    ("POST", "/incidents/{i}/signals/{nobody}/acks", {"member_id": "ann"}, "signal"),
    ("GET", "/incidents/{i}/hazards/{nobody}", None, "hazard zone"),
    ("GET", "/incidents/{i}/places/{nobody}", None, "place"),
    ("GET", "/incidents/{i}/periods/{nobody}", None, "period"),
    ("GET", "/incidents/{i}/assignments/{nobody}", None, "assignment"),
    ("GET", "/incidents/{i}/subjects/{nobody}", None, "subject"),
    ("DELETE", "/incidents/{i}/roles/{nobody}", None, "role"),
]


def _fill(body: Any, ann: int) -> Any:
    """Named bodies, and ``"ann"`` replaced by Ann's member id."""
    if body == "position":
        return _position(NOBODY)
    if body == "injury":
        return {"member_id": NOBODY, "severity": "minor", "treatment": "blister"}
    if isinstance(body, dict):
        return {k: ann if v == "ann" else v for k, v in body.items()}
    return body


@pytest.mark.parametrize(("method", "path", "body", "kind"), UNKNOWN)
def test_unknown_id_is_a_404_naming_the_record_and_changes_nothing(
    client: TestClient, incident: int, ann: int, method: str, path: str, body: Any, kind: str
) -> None:
    log = client.get(f"/incidents/{incident}/activity").json()
    url = path.format(i=incident, nobody=NOBODY)
    response = client.request(method, url, json=_fill(body, ann))
    detail = problem(response, 404)["detail"]
    assert detail.startswith(f"{kind} {NOBODY}: "), detail
    assert client.get(f"/incidents/{incident}/activity").json() == log
    assert _rows(client, Position) == 0


@pytest.mark.parametrize("huge", [2**31, 2**63, 10**30])
def test_id_past_what_the_database_holds_is_a_4xx_not_a_crash(
    client: TestClient, incident: int, ann: int, huge: int
) -> None:
    for response in (
        client.get(f"/incidents/{huge}"),
        client.get(f"/incidents/{incident}/teams/{huge}"),
        client.post(f"/incidents/{incident}/positions", json=_position(huge)),
        client.post(f"/incidents/{incident}/roll-calls", json={"team_id": huge}),
    ):
        # 404 where the database can compare it (SQLite: 64 bits), 422 where it cannot.
        if response.status_code == 404:
            assert str(huge) in problem(response, 404)["detail"]
        else:
            assert "out of range" in problem(response, 422)["detail"]
    assert _rows(client, Position) == 0


# --- Bodies too large, broken, or of the wrong type ------------------------------------


def test_body_over_the_limit_is_a_413_and_stores_nothing(
    client: TestClient, incident: int, ann: int
) -> None:
    batch = {"positions": [_position(ann, n) for n in range(1, 700)]}  # ~90 kB
    response = client.post(f"/incidents/{incident}/positions/batch", json=batch)
    assert "larger than 65536 bytes" in problem(response, 413)["detail"]
    assert _rows(client, Position) == 0


def test_streamed_body_over_the_limit_is_a_413_too(client: TestClient, incident: int) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(80):
            yield b"x" * 1024
        yield b'"}'

    # No Content-Length: the limit is counted while the body arrives.
    headers = {"Content-Type": "application/json"}
    response = client.post(f"/incidents/{incident}/members", content=chunks(), headers=headers)
    assert "content-length" not in response.request.headers
    assert "larger than 65536 bytes" in problem(response, 413)["detail"]
    assert _rows(client, Member) == 0


WRONG_TYPES = [
    ("positions", {"lat": "north"}, "lat"),
    ("positions", {"lon": [1, 2]}, "lon"),
    ("positions", {"member_id": "Ann"}, "member_id"),
    ("positions", {"id": "not-a-uuid"}, "id"),
    ("positions", {"time": "yesterday"}, "time"),
    ("positions", {"time": "2026-06-01T14:00:00"}, "time"),  # no zone
    ("positions", {"time": "0001-01-01T00:00:00+14:00"}, "time"),  # no UTC time
    ("positions", {"time": "9999-12-31T23:00:00-14:00"}, "time"),
    ("members", {"name": 42}, "name"),
    ("members", {"name": "Ann", "needs_protection": "perhaps"}, "needs_protection"),
    ("members", {"name": "Ann", "resource_type": "jetpack"}, "resource_type"),
    ("teams", {"name": "T", "pairs": "Ann and Bob"}, "pairs"),
    ("teams", {"name": "T", "pairs": [{"member_ids": ["Ann", "Bob"]}]}, "pairs.0.member_ids.0"),
    ("roll-calls", {"timeout_seconds": "soon"}, "timeout_seconds"),
    ("roll-calls", {"timeout_seconds": 1.5}, "timeout_seconds"),
    ("injuries", {"severity": "ouch"}, "severity"),
    ("periods", {"starts_at": T, "ends_at": "0001-01-01T00:00:00+14:00"}, "ends_at"),
    ("places", {"kind": "staging", "name": "T", "lat": "36.5N", "lon": 1}, "lat"),
]


@pytest.mark.parametrize(("resource", "change", "field"), WRONG_TYPES)
def test_wrong_type_is_a_422_naming_the_field_and_stores_nothing(
    client: TestClient, incident: int, ann: int, resource: str, change: Any, field: str
) -> None:
    base = {
        "positions": _position(ann),
        "injuries": {"member_id": ann, "severity": "minor", "treatment": "blister"},
    }
    log = client.get(f"/incidents/{incident}/activity").json()
    body = {**base.get(resource, {}), **change}
    answer = problem(client.post(f"/incidents/{incident}/{resource}", json=body), 422)
    assert answer["detail"].startswith(f"{field}: "), answer["detail"]
    assert client.get(f"/incidents/{incident}/activity").json() == log
    assert _rows(client, Position) == 0


@pytest.mark.parametrize(
    ("content", "status", "detail"),
    [
        (b'{"name": "Ann"', 422, "body: not valid JSON"),
        (b'["Ann"]', 422, "body: Input should be a valid dictionary"),
        (b'"Ann"', 422, "body: Input should be a valid dictionary"),
        (b"", 422, "body: Field required"),
        (b"\xff\xfe\x00", 400, "There was an error parsing the body"),  # not even UTF-8
    ],
)
def test_body_that_is_not_a_json_object_is_a_4xx(
    client: TestClient, incident: int, content: bytes, status: int, detail: str
) -> None:
    headers = {"Content-Type": "application/json"}
    response = client.post(f"/incidents/{incident}/members", content=content, headers=headers)
    assert problem(response, status)["detail"].startswith(detail)
    assert _rows(client, Member) == 0


def test_path_id_that_is_not_a_number_is_a_422(client: TestClient, incident: int) -> None:
    assert "incident_id" in problem(client.get("/incidents/first"), 422)["detail"]
    detail = problem(client.get(f"/incidents/{incident}/teams/1.5"), 422)["detail"]
    assert "team_id" in detail
    problem(client.get(f"/incidents/{incident}/no-such-thing"), 404)
    problem(client.delete(f"/incidents/{incident}"), 405)


# --- Replays ---------------------------------------------------------------------------


def test_replayed_position_answers_200_with_the_stored_row(
    client: TestClient, incident: int, ann: int
) -> None:
    body = _position(ann)
    first = client.post(f"/incidents/{incident}/positions", json=body)
    assert first.status_code == 201, first.text
    again = client.post(f"/incidents/{incident}/positions", json=body)
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    batch = post(client, f"/incidents/{incident}/positions/batch", {"positions": [body, body]})
    assert (batch["created"], batch["replayed"]) == (0, 2)
    assert _rows(client, Position) == 1
    # The same id with other content is not a replay: 409, the stored row unchanged.
    moved = client.post(f"/incidents/{incident}/positions", json={**body, "lat": 36.6})
    assert problem(moved, 409)["detail"].startswith("lat: ")
    [latest] = client.get(f"/incidents/{incident}/positions/latest").json()
    assert (latest["lat"], _rows(client, Position)) == (36.5, 1)


# --- Nothing half stored ---------------------------------------------------------------


def test_batch_with_one_bad_position_stores_none(
    client: TestClient, incident: int, ann: int
) -> None:
    good = [_position(ann, n) for n in range(1, 5)]
    for bad, status, field in (
        (_position(ann, 9, lat=95), 422, "positions.4.lat"),
        (_position(NOBODY, 9), 404, f"member {NOBODY}"),
        (_position(ann, 9, time="2026-06-01T14:00:00"), 422, "positions.4.time"),
    ):
        batch = {"positions": [*good, bad]}
        response = client.post(f"/incidents/{incident}/positions/batch", json=batch)
        assert problem(response, status)["detail"].startswith(field)
    assert _rows(client, Position) == 0
    assert client.get(f"/incidents/{incident}/positions/latest").json() == []


def test_team_with_a_broken_pair_stores_no_team_and_no_log_line(
    client: TestClient, incident: int
) -> None:
    ids = [member(client, incident, n) for n in ("Ann", "Bob", "Cal")]
    kid = member(client, incident, "Kid", protect=True)
    for m in ids:
        check_in(client, incident, m)
    log = client.get(f"/incidents/{incident}/activity").json()
    # The first pair is fine each time; a later one breaks a rule.
    for pairs, rule in [
        ([ids[2]], "nobody-goes-alone"),
        ([ids[2], kid], "protected-member-needs-protector"),
        ([ids[2], ids[0]], "nobody-goes-alone"),  # Ann in two pairs
    ]:
        body = {"name": "Team 1", "pairs": [{"member_ids": ids[:2]}, {"member_ids": pairs}]}
        answer = problem(client.post(f"/incidents/{incident}/teams", json=body), 422)
        assert (answer["rule"], answer["detail"][:9]) == (rule, "pairs[1]:")
    body = {"name": "T", "pairs": [{"member_ids": ids[:2]}, {"member_ids": [ids[2], NOBODY]}]}
    response = client.post(f"/incidents/{incident}/teams", json=body)
    assert problem(response, 404)["detail"].startswith(f"member {NOBODY}: ")
    assert _rows(client, Team) == 0
    assert client.get(f"/incidents/{incident}/teams").json() == []
    assert client.get(f"/incidents/{incident}/activity").json() == log


# --- Another incident's records --------------------------------------------------------


def test_user_with_a_role_only_in_one_incident_is_refused_the_other(
    client: TestClient, incident: int, ann: int
) -> None:
    other = post(client, "/incidents", {"name": "Overdue hiker"})["id"]
    headers = login_as(client, incident, "operations")
    assert client.get(f"/incidents/{incident}/members", headers=headers).status_code == 200
    for method, path, body in (
        ("GET", f"/incidents/{other}", None),
        ("GET", f"/incidents/{other}/members", None),
        ("POST", f"/incidents/{other}/members", {"name": "Zed"}),
        ("POST", f"/incidents/{other}/roll-calls", {}),
        ("GET", f"/incidents/{NOBODY}", None),  # unknown: 403 too, ids cannot be probed
    ):
        response = client.request(method, path, json=body, headers=headers)
        assert "you have no role in this incident" in problem(response, 403)["detail"]
    listed = client.get("/incidents", headers=headers).json()
    assert [i["id"] for i in listed] == [incident]
    assert client.get(f"/incidents/{other}/members").json() == []  # nothing was added


def test_ids_of_another_incident_are_unknown_here(client: TestClient, incident: int) -> None:
    other = post(client, "/incidents", {"name": "Overdue hiker"})["id"]
    team, (zed, _) = field_team(client, other, ["Zed", "Yan"])
    roll_call = post(client, f"/incidents/{other}/roll-calls", {})["id"]
    signal = post(client, f"/incidents/{other}/signals", {"code": "two"})["id"]
    ring = _polygon((-84.7, 36.4), (-84.5, 36.4), (-84.5, 36.6))
    zone = {"name": "Cliff", "kind": "cliff", "geometry": ring}
    zone = post(client, f"/incidents/{other}/hazards", zone)
    place = post(client, f"/incidents/{other}/places", _place())["id"]
    subject = post(client, f"/incidents/{other}/subjects", _subject())["id"]
    role = client.get(f"/incidents/{other}/roles").json()[0]["id"]
    _, (ann, _) = field_team(client, incident, ["Ann", "Bob"])
    log = client.get(f"/incidents/{incident}/activity").json()
    here = f"/incidents/{incident}"
    for method, path, body, kind in (
        ("PUT", f"{here}/members/{zed}/status", {"status": "checked_out"}, "member"),
        ("GET", f"{here}/teams/{team}", None, "team"),
        ("GET", f"{here}/roll-calls/{roll_call}", None, "roll call"),
        ("POST", f"{here}/roll-calls/{roll_call}/answers", {"member_id": zed}, "roll call"),
        ("GET", f"{here}/signals/{signal}", None, "signal"),
        ("GET", f"{here}/hazards/{zone['id']}", None, "hazard zone"),
        ("GET", f"{here}/places/{place}", None, "place"),
        ("GET", f"{here}/subjects/{subject}", None, "subject"),
        ("DELETE", f"{here}/roles/{role}", None, "role"),
        ("POST", f"{here}/positions", _position(zed), "member"),
        ("POST", f"{here}/roll-calls", {"team_id": team}, "team"),
        ("POST", f"{here}/teams", {"name": "T", "pairs": [{"member_ids": [ann, zed]}]}, "member"),
    ):
        response = client.request(method, path, json=body)
        detail = problem(response, 404)["detail"]
        assert detail.startswith(kind) and f"incident {incident}" in detail, detail
    assert client.get(f"/incidents/{incident}/activity").json() == log
    assert _rows(client, Position) == 0
    # The other incident's records are untouched: Zed still checked in, the role still there.
    statuses = {m["id"]: m["status"] for m in client.get(f"/incidents/{other}/members").json()}
    assert statuses[zed] == "checked_in"
    assert role in [r["id"] for r in client.get(f"/incidents/{other}/roles").json()]


# --- Tokens ----------------------------------------------------------------------------


def _refused(response: Any) -> str:
    """Check a 401 problem that asks for a bearer token; its detail."""
    assert response.headers.get("www-authenticate") == "Bearer"
    detail: str = problem(response, 401)["detail"]
    return detail


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Bearer not-a-token", "Basic YWRtaW46YWRtaW4=", "Token abc"],
)
def test_missing_or_invalid_token_is_a_401_asking_for_bearer(
    client: TestClient, incident: int, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    del client.headers["Authorization"]
    for method, path in (
        ("GET", f"/incidents/{incident}"),
        ("GET", "/incidents"),
        ("GET", "/auth/me"),
        ("POST", f"/incidents/{incident}/members"),
        ("POST", "/users"),
    ):
        body = {"name": "Ann"} if method == "POST" else None
        detail = _refused(client.request(method, path, json=body, headers=headers))
        assert "token" in detail.lower()
    assert _rows(client, Member) == 0


def test_revoked_token_is_a_401_at_once(client: TestClient, incident: int) -> None:
    headers = login_as(client, incident, "operations")
    assert client.get(f"/incidents/{incident}", headers=headers).status_code == 200
    with client.app.state.sessions() as s:  # type: ignore[attr-defined]
        revoke_token(s, headers["Authorization"].removeprefix("Bearer "), now=utc_now())
    detail = _refused(client.get(f"/incidents/{incident}", headers=headers))
    assert detail == "token: unknown or revoked; log in again at /auth/token"
    response = client.post(f"/incidents/{incident}/members", json={"name": "Z"}, headers=headers)
    _refused(response)
    assert _rows(client, Member) == 0


def test_expired_token_is_a_401(client: TestClient, incident: int, clock: list[datetime]) -> None:
    headers = login_as(client, incident, "viewer")
    clock[0] = utc_now() + timedelta(days=8)
    detail = _refused(client.get(f"/incidents/{incident}", headers=headers))
    assert detail.startswith("token: expired")
