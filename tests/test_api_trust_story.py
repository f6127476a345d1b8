"""Trust across agencies, end to end through the API (SQLite and PG).

Two agencies: a national forest that owns the tract where the child may be, and a county
SAR team. The SAR team is refused an assignment on the tract, gets the owner's leave until
a time, is assigned, walks in without an alert; the leave expires and the next position
raises a trespass alert on the live stream; renewed leave that the owner withdraws alerts
at once; the incident commander may still send a team without leave, and it is logged.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

from fastapi.testclient import TestClient
from shapely.geometry import box, mapping, shape
from sqlalchemy import select

from apitools import check_in, login_as, post, problem
from wayhome.store.models import AppUser

T0 = datetime(2026, 6, 1, 14, 0, tzinfo=UTC)


def _tract() -> dict[str, Any]:
    """The demo map's fictional private tract, here the forest's land."""
    text = (resources.files("wayhome.demo") / "data" / "layers.geojson").read_text("utf-8")
    [feature] = [f for f in json.loads(text)["features"] if f["properties"]["kind"] == "private"]
    geometry: dict[str, Any] = feature["geometry"]
    return geometry


def _position(member: int, lon: float, lat: float, at: datetime) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "member_id": member,
        "lat": lat,
        "lon": lon,
        "time": at.isoformat(),
    }


def _set_agency(client: TestClient, login: str, agency: int) -> None:
    # No route sets a user's agency yet: written in the store, as an administrator would.
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        user = session.scalars(select(AppUser).where(AppUser.login == login)).one()
        user.agency_id = agency
        session.commit()


def test_leave_to_work_another_agencys_land_from_refusal_to_revocation(
    client: TestClient, incident: int, clock: list[datetime]
) -> None:
    clock[0] = T0
    # Two agencies, the forest's tract, and their people.
    forest = post(
        client,
        "/agencies",
        {"name": "Cumberland National Forest", "kind": "land_manager", "contact": "+1 555 0142"},
    )["id"]
    sar = post(client, "/agencies", {"name": "Knox County SAR", "kind": "sar_team"})["id"]
    tract = _tract()
    body = {"agency_id": forest, "name": "Wrenfield tract", "contact": "Ranger Vance, +1 555 0143"}
    land = post(client, "/jurisdictions", {**body, "geometry": tract})["id"]
    ids = []
    for name in ("Ann", "Ben"):
        ids.append(
            post(client, f"/incidents/{incident}/members", {"name": name, "agency_id": sar})["id"]
        )
        check_in(client, incident, ids[-1])
    ann, ben = ids
    team = post(
        client,
        f"/incidents/{incident}/teams",
        {"name": "Knox 1", "pairs": [{"member_ids": ids}], "leader_id": ann},
    )["id"]
    leader = login_as(client, incident, "team_leader", ann, login="knox.lead", name="Ann Knox")
    ranger = login_as(client, incident, "viewer", login="ranger", name="Ranger Vance")
    _set_agency(client, "knox.lead", sar)
    _set_agency(client, "ranger", forest)
    assert [
        j["owner"]
        for j in client.get(
            f"/incidents/{incident}/jurisdictions",
            params={"bbox": "-84.32,36.52,-84.25,36.57"},
            headers=ranger,
        ).json()
    ] == ["Cumberland National Forest"]

    # The segment reaches onto the tract: refused, naming the tract, its owner and contact.
    outline = shape(tract)
    inside = outline.representative_point()
    _, south, east, north = outline.bounds
    segment = mapping(box(east - 0.005, south, east + 0.005, north))
    assignments = f"/incidents/{incident}/assignments"
    assign = {"team_id": team, "segment": "C4", "area": segment}
    refused = problem(client.post(assignments, json=assign), 403)["detail"]
    assert "Wrenfield tract, owned by Cumberland National Forest" in refused
    assert "Ranger Vance, +1 555 0143" in refused
    assert "Ann (foot), Ben (foot)" in refused

    # The owner gives leave until 16:00; the team is assigned.
    grants = f"/incidents/{incident}/grants"
    leave = {
        "jurisdiction_id": land,
        "team_id": team,
        "activities": ["foot"],
        "expires_at": "2026-06-01T16:00:00Z",
        "conditions": "stay off the logging roads",
        "granted_by": "Ranger Vance, by phone",
    }
    first = post(client, grants, leave)
    assert first["status"] == "active"
    assert post(client, assignments, assign)["segment"] == "C4"

    positions = f"/incidents/{incident}/positions"
    with client.websocket_connect(f"/incidents/{incident}/live", headers=ranger) as live:
        assert live.receive_json()["type"] == "subscribed"
        # They walk in: positions, no alert.
        for minutes in (10, 20):
            for who in (ann, ben):
                at = T0 + timedelta(minutes=minutes)
                post(client, positions, _position(who, inside.x, inside.y, at), headers=leader)
        quiet = [live.receive_json() for _ in range(4)]
        assert [e["type"] for e in quiet] == ["position"] * 4

        # The leave expires; Ann's next position on the tract raises a trespass alert.
        clock[0] = T0 + timedelta(hours=2, minutes=1)
        post(client, positions, _position(ann, inside.x, inside.y, clock[0]), headers=leader)
        position, alert = live.receive_json(), live.receive_json()
        assert position["type"] == "position"
        assert (alert["type"], alert["event"]) == ("hazard", "entered")
        trespass = alert["alert"]
        assert (trespass["kind"], trespass["member_name"], trespass["zone_name"]) == (
            "trespass",
            "Ann",
            "Wrenfield tract",
        )
        assert (trespass["owner"], trespass["reason"]) == (
            "Cumberland National Forest",
            "entered without leave",
        )

        # Leave renewed until the incident closes; then the owner withdraws it: both
        # members, inside by their last positions, are alerted at once.
        renewed = post(client, grants, {**leave, "expires_at": None, "until_incident_closes": True})
        clock[0] = T0 + timedelta(hours=2, minutes=5)
        post(client, positions, _position(ann, inside.x, inside.y, clock[0]), headers=leader)
        assert live.receive_json()["type"] == "position"  # with leave again: no alert
        clock[0] = T0 + timedelta(hours=2, minutes=10)
        revoked = post(client, f"{grants}/{renewed['id']}/revoke", {}, status=200)
        events = [live.receive_json() for _ in range(3)]
    assert [(e["type"], e["event"]) for e in events] == [
        ("grant", "revoked"),
        ("hazard", "entered"),
        ("hazard", "entered"),
    ]
    assert sorted(e["alert"]["member_name"] for e in events[1:]) == ["Ann", "Ben"]
    assert {a["reason"] for a in revoked["alerts"]} == {f"grant {renewed['id']} revoked"}
    listed = client.get(grants, headers=ranger).json()
    assert [(g["id"], g["status"]) for g in listed] == [
        (first["id"], "expired"),
        (renewed["id"], "revoked"),
    ]

    # Without leave, only the incident commander may send a team, and it is logged.
    again = {**assign, "segment": "C5"}
    problem(client.post(assignments, json=again), 403)
    reason = "child's cries heard on the tract; ranger unreachable"
    overridden = post(client, assignments, {**again, "override": reason})
    assert overridden["grant_override"] == reason
    log = [a["text"] for a in client.get(f"/incidents/{incident}/activity").json()]
    assert (
        f"override by Agency Admin (incident_commander): {reason}; assignment "
        f"{overridden['id']} without leave in Wrenfield tract (Cumberland National Forest): "
        "Ann, Ben"
    ) in log
    assert sum(t.startswith("trespass: Ann in Wrenfield tract") for t in log) == 2
    assert sum(t.startswith("trespass: Ben in Wrenfield tract") for t in log) == 1
