"""Agencies, jurisdictions and grants through the HTTP API and the watch (SQLite and PG)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from apitools import check_in, login_as, member, post, problem
from wayhome.api.hub import LiveHub
from wayhome.api.watch import watch_incidents
from wayhome.store import (
    add_agency,
    add_jurisdiction,
    add_member,
    create_incident,
    engine_from_url,
    grant_access,
    session_factory,
    upgrade_database,
)
from wayhome.store.models import utc_now

T0 = datetime(2026, 6, 1, 14, 0, tzinfo=UTC)
SQUARE: dict[str, Any] = {
    "type": "Polygon",
    "coordinates": [
        [[-84.30, 36.50], [-84.29, 36.50], [-84.29, 36.51], [-84.30, 36.51], [-84.30, 36.50]]
    ],
}
INSIDE = (-84.295, 36.505)
ACROSS: dict[str, Any] = {
    "type": "Polygon",
    "coordinates": [
        [[-84.295, 36.50], [-84.28, 36.50], [-84.28, 36.51], [-84.295, 36.51], [-84.295, 36.50]]
    ],
}


def _agency(client: TestClient, name: str, **extra: str) -> int:
    created: int = post(client, "/agencies", {"name": name, **extra})["id"]
    return created


def _land(client: TestClient, agency: int, contact: str = "") -> dict[str, Any]:
    body = {"agency_id": agency, "name": "Club land", "contact": contact, "geometry": SQUARE}
    land: dict[str, Any] = post(client, "/jurisdictions", body)
    return land


def _team(client: TestClient, incident: int, agency: int) -> tuple[int, list[int]]:
    ids = []
    for name in ("Ann", "Bob"):
        body = {"name": name, "agency_id": agency}
        ids.append(post(client, f"/incidents/{incident}/members", body)["id"])
        check_in(client, incident, ids[-1])
    pairs = [{"member_ids": ids}]
    team: int = post(client, f"/incidents/{incident}/teams", {"name": "Team 2", "pairs": pairs})[
        "id"
    ]
    return team, ids


def _grant(client: TestClient, incident: int, land: int, **extra: Any) -> dict[str, Any]:
    body = {
        "jurisdiction_id": land,
        "activities": ["foot"],
        "granted_by": "J. Harlan (president)",
        **extra,
    }
    grant: dict[str, Any] = post(client, f"/incidents/{incident}/grants", body)
    return grant


def _position(member_id: int, at: datetime, point: tuple[float, float] = INSIDE) -> dict[str, Any]:
    lon, lat = point
    return {
        "id": str(uuid.uuid4()),
        "member_id": member_id,
        "lat": lat,
        "lon": lon,
        "time": at.isoformat(),
    }


def test_admins_add_agencies_and_users_list_them(client: TestClient, incident: int) -> None:
    club = post(
        client, "/agencies", {"name": "Harlan Club", "kind": "private_landowner", "contact": "555"}
    )
    assert (club["name"], club["kind"], club["contact"]) == (
        "Harlan Club",
        "private_landowner",
        "555",
    )
    problem(client.post("/agencies", json={"name": "Harlan Club"}), 409)
    problem(client.post("/agencies", json={"name": "X", "kind": "army"}), 422)
    viewer = login_as(client, incident, "viewer")
    problem(client.post("/agencies", json={"name": "Mine"}, headers=viewer), 403)
    listed = client.get("/agencies", headers=viewer)
    assert [a["name"] for a in listed.json()] == ["Harlan Club"]
    problem(client.get("/agencies", headers={"Authorization": "Bearer nope"}), 401)


def test_jurisdictions_are_added_listed_and_bad_outlines_refused(
    client: TestClient, incident: int
) -> None:
    club = _agency(client, "Harlan Club", contact="club office 555")
    sar = _agency(client, "Knox SAR")
    land = _land(client, club)
    assert (land["owner"], land["contact"], land["geometry"]) == (
        "Harlan Club",
        "club office 555",
        SQUARE,
    )
    multi = {"type": "MultiPolygon", "coordinates": [SQUARE["coordinates"]]}
    base = post(client, "/jurisdictions", {"agency_id": sar, "name": "Base", "geometry": multi})
    assert base["geometry"]["type"] == "MultiPolygon"
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    bad = client.post("/jurisdictions", json={"agency_id": club, "name": "x", "geometry": bowtie})
    assert "Self-intersection" in problem(bad, 422)["detail"]
    swapped = {
        "type": "Polygon",
        "coordinates": [[[36.5, -84.3], [36.5, -95], [37, -95], [36.5, -84.3]]],
    }
    problem(
        client.post("/jurisdictions", json={"agency_id": club, "name": "x", "geometry": swapped}),
        422,
    )
    problem(
        client.post("/jurisdictions", json={"agency_id": 99, "name": "x", "geometry": SQUARE}), 404
    )
    viewer = login_as(client, incident, "viewer")
    body = {"agency_id": club, "name": "x", "geometry": SQUARE}
    problem(client.post("/jurisdictions", json=body, headers=viewer), 403)
    assert [j["id"] for j in client.get("/jurisdictions", headers=viewer).json()] == [
        land["id"],
        base["id"],
    ]
    assert [j["id"] for j in client.get(f"/jurisdictions?agency_id={sar}").json()] == [base["id"]]


def test_an_incident_lists_the_jurisdictions_it_touches(client: TestClient, incident: int) -> None:
    land = _land(client, _agency(client, "Harlan Club"))
    url = f"/incidents/{incident}/jurisdictions"
    assert client.get(url).json() == []
    assert [j["id"] for j in client.get(url, params={"bbox": "-84.31,36.5,-84.2,36.6"}).json()] == [
        land["id"]
    ]
    assert client.get(url, params={"bbox": "0,0,1,1"}).json() == []
    place = {"kind": "rendezvous", "name": "Gate", "lat": INSIDE[1], "lon": INSIDE[0]}
    post(client, f"/incidents/{incident}/places", place)
    assert [j["name"] for j in client.get(url).json()] == ["Club land"]
    assert "four numbers" in problem(client.get(url, params={"bbox": "a,b"}), 422)["detail"]
    problem(client.get(url, params={"bbox": "1,2,3"}), 422)
    problem(client.get(url, params={"bbox": "1,0,0,1"}), 422)


def test_members_carry_their_agency(client: TestClient, incident: int) -> None:
    sar = _agency(client, "Knox SAR")
    ann = post(client, f"/incidents/{incident}/members", {"name": "Ann", "agency_id": sar})
    assert ann["agency_id"] == sar
    assert client.get(f"/incidents/{incident}/members").json()[0]["agency_id"] == sar
    problem(client.post(f"/incidents/{incident}/members", json={"name": "C", "agency_id": 99}), 404)


def test_the_commander_records_and_revokes_grants(
    client: TestClient, incident: int, clock: list[datetime]
) -> None:
    club = _agency(client, "Harlan Club")
    land = _land(client, club, contact="J. Harlan 555")["id"]
    team, (ann, _) = _team(client, incident, _agency(client, "Knox SAR"))
    grants = f"/incidents/{incident}/grants"
    ops = login_as(client, incident, "operations")
    body = {
        "jurisdiction_id": land,
        "team_id": team,
        "activities": ["foot", "dogs"],
        "expires_at": "2026-06-01T16:00:00Z",
        "conditions": "stay on the fire roads",
        "granted_by": "J. Harlan (president)",
    }
    problem(client.post(grants, json=body, headers=ops), 403)
    grant = post(client, grants, body)
    assert (grant["status"], grant["starts_at"], grant["activities"]) == (
        "active",
        "2026-06-01T14:00:00Z",
        ["foot", "dogs"],
    )
    later = post(
        client,
        grants,
        {**body, "team_id": None, "member_id": ann, "starts_at": "2026-06-01T15:00:00Z"},
    )
    assert later["status"] == "pending"
    problem(client.post(grants, json={**body, "agency_id": club, "team_id": None}), 422)
    problem(client.post(grants, json={**body, "team_id": 99}), 404)
    problem(client.post(grants, json={**body, "activities": ["swim"]}), 422)
    problem(client.post(grants, json={**body, "expires_at": None}), 422)
    listed = client.get(grants, headers=ops).json()
    assert [(g["id"], g["status"]) for g in listed] == [
        (grant["id"], "active"),
        (later["id"], "pending"),
    ]
    assert client.get(grants, params={"jurisdiction_id": land + 1}).json() == []
    revoke = f"{grants}/{grant['id']}/revoke"
    problem(client.post(revoke, headers=ops), 403)
    with client.websocket_connect(f"/incidents/{incident}/live") as ws:
        assert ws.receive_json()["type"] == "subscribed"
        clock[0] = T0 + timedelta(minutes=10)
        change = post(client, revoke, {}, status=200)
        event = ws.receive_json()
    assert (change["event"], change["grant"]["status"], change["alerts"]) == (
        "revoked",
        "revoked",
        [],
    )
    assert (event["type"], event["event"], event["jurisdiction_name"]) == (
        "grant",
        "revoked",
        "Club land",
    )
    assert change["grant"]["revoked_by"] == "Agency Admin (incident_commander)"
    problem(client.post(revoke), 409)
    problem(client.post(f"{grants}/99/revoke"), 404)
    log = [a["text"] for a in client.get(f"/incidents/{incident}/activity").json()]
    assert f"grant {grant['id']} in Club land revoked at 2026-06-01 14:10Z" in log


def test_assignments_into_a_jurisdiction_need_leave_or_the_commanders_override(
    client: TestClient, incident: int, clock: list[datetime]
) -> None:
    land = _land(client, _agency(client, "Harlan Club"), contact="J. Harlan 555")["id"]
    team, _ = _team(client, incident, _agency(client, "Knox SAR"))
    url = f"/incidents/{incident}/assignments"
    body = {"team_id": team, "segment": "B2", "area": ACROSS}
    refused = problem(client.post(url, json=body), 403)
    assert "Club land, owned by Harlan Club (contact: J. Harlan 555)" in refused["detail"]
    assert "Ann (foot), Bob (foot)" in refused["detail"]
    planner = login_as(client, incident, "planning")
    problem(client.post(url, json=body, headers=planner), 403)
    problem(client.post(url, json={**body, "override": "owner away"}, headers=planner), 403)
    made = post(client, url, {**body, "override": "owner away; child at risk"})
    assert made["grant_override"] == "owner away; child at risk"
    bad = {**body, "area": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]}}
    problem(client.post(url, json=bad), 422)
    _grant(client, incident, land, team_id=team, expires_at="2026-06-01T16:00:00Z")
    assert post(client, url, body, headers=planner)["grant_override"] == ""
    assert post(client, url, {"team_id": team, "segment": "C1"})["grant_override"] == ""


def test_grant_checks_warn_expire_and_alert_live(
    client: TestClient, incident: int, clock: list[datetime]
) -> None:
    land = _land(client, _agency(client, "Harlan Club"))["id"]
    team, (ann, _) = _team(client, incident, _agency(client, "Knox SAR"))
    grant = _grant(client, incident, land, team_id=team, expires_at="2026-06-01T14:40:00Z")
    post(client, f"/incidents/{incident}/positions", _position(ann, T0 + timedelta(minutes=1)))
    checks = f"/incidents/{incident}/grant-checks"
    with client.websocket_connect(f"/incidents/{incident}/live") as ws:
        assert ws.receive_json()["type"] == "subscribed"
        clock[0] = T0 + timedelta(minutes=5)
        assert post(client, checks, {}, status=200) == []
        clock[0] = T0 + timedelta(minutes=15)
        [warned] = post(client, checks, {}, status=200)
        first = ws.receive_json()
        assert post(client, checks, {}, status=200) == []
        clock[0] = T0 + timedelta(minutes=41)
        [expired] = post(client, checks, {}, status=200)
        events = [ws.receive_json() for _ in range(2)]
    assert (warned["event"], warned["grant"]["id"], warned["alerts"]) == (
        "expiring",
        grant["id"],
        [],
    )
    assert (first["type"], first["event"]) == ("grant", "expiring")
    assert (expired["event"], expired["grant"]["status"]) == ("expired", "expired")
    [alert] = expired["alerts"]
    assert (alert["member_id"], alert["kind"], alert["reason"]) == (
        ann,
        "trespass",
        f"grant {grant['id']} expired",
    )
    assert [(e["type"], e["event"]) for e in events] == [
        ("grant", "expired"),
        ("hazard", "entered"),
    ]
    assert events[1]["alert"] == alert
    operations = login_as(client, incident, "operations")
    viewer = login_as(client, incident, "viewer")
    assert post(client, checks, {}, status=200, headers=operations) == []
    problem(client.post(checks, headers=viewer), 403)


def test_the_watch_warns_of_a_grant_about_to_expire(database_url: str) -> None:
    # Runs the watch loop itself (wall clock, short interval), without a server.
    upgrade_database(database_url)
    engine = engine_from_url(database_url)
    sessions = session_factory(engine)
    with sessions() as session:
        incident = create_incident(session, name="x").id
        club = add_agency(session, name="Club").id
        land = add_jurisdiction(session, agency_id=club, name="Club land", geometry=SQUARE).id
        ann = add_member(session, incident_id=incident, name="Ann").id
        grant_access(
            session,
            incident_id=incident,
            jurisdiction_id=land,
            member_id=ann,
            activities=["foot"],
            starts_at=utc_now(),
            expires_at=utc_now() + timedelta(minutes=10),
            granted_by="owner",
        )

    async def first_message() -> dict[str, Any]:
        hub = LiveHub()
        with hub.subscribe(incident) as queue:
            watch = asyncio.create_task(
                watch_incidents(
                    sessions,
                    hub,
                    0.01,
                    no_contact=timedelta(minutes=30),
                    grant_warning=timedelta(minutes=30),
                )
            )
            try:
                return await asyncio.wait_for(queue.get(), timeout=10)
            finally:
                watch.cancel()
                # Let the round in its worker thread finish before the engine goes.
                with contextlib.suppress(asyncio.CancelledError):
                    await watch

    try:
        message = asyncio.run(first_message())
    finally:
        engine.dispose()
    assert (message["type"], message["event"]) == ("grant", "expiring")
    assert message["grant"]["member_id"] == ann


def test_trespass_alerts_reach_the_live_stream_as_hazard_alerts(
    client: TestClient, incident: int, clock: list[datetime]
) -> None:
    _land(client, _agency(client, "Harlan Club", contact="club 555"))
    ann = member(client, incident, "Ann")
    with client.websocket_connect(f"/incidents/{incident}/live") as ws:
        assert ws.receive_json()["type"] == "subscribed"
        post(client, f"/incidents/{incident}/positions", _position(ann, T0))
        events = [ws.receive_json() for _ in range(2)]
    assert [e["type"] for e in events] == ["position", "hazard"]
    alert = events[1]["alert"]
    assert (alert["kind"], alert["zone_name"], alert["owner"], alert["contact"]) == (
        "trespass",
        "Club land",
        "Harlan Club",
        "club 555",
    )
    assert alert["reason"] == "entered without leave"
