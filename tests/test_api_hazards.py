"""Hazard zones and entry alerts through the HTTP API, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import shape

from apitools import check_in, member, post, problem
from wayhome.ops.hazards import hazard_polygon, is_in_hazard

T0 = datetime(2026, 6, 1, 14, 0, tzinfo=UTC)
#: West of the zone, on the demo map.
OUTSIDE = (-84.2800, 36.5200)


@pytest.fixture(scope="module")
def east_ridge() -> dict[str, Any]:
    """The demo's East Ridge hunting zone (kind ``hazard`` there) as a hazard-zone body."""
    text = (resources.files("wayhome.demo") / "data" / "layers.geojson").read_text("utf-8")
    [feature] = [
        f for f in json.loads(text)["features"] if f["properties"]["name"].startswith("East Ridge")
    ]
    assert feature["properties"]["kind"] == "hazard"
    return {
        "name": "East Ridge hunting zone",
        "kind": "hostile_party",
        "geometry": feature["geometry"],
    }


def _inside_points(geometry: dict[str, Any]) -> list[tuple[float, float]]:
    polygon = shape(geometry)
    a = polygon.representative_point()
    b = polygon.centroid if polygon.contains(polygon.centroid) else a
    points = [(a.x, a.y), (b.x, b.y), (a.x + 0.0001, a.y)]
    assert all(polygon.contains(shape({"type": "Point", "coordinates": p})) for p in points)
    return points


def _walk(client: TestClient, incident: int, who: int, points: list[tuple[float, float]]) -> None:
    for i, (lon, lat) in enumerate(points):
        body = {
            "id": str(uuid.uuid4()),
            "member_id": who,
            "lat": lat,
            "lon": lon,
            "time": (T0 + timedelta(minutes=i)).isoformat(),
        }
        post(client, f"/incidents/{incident}/positions", body)


def test_walking_into_the_east_ridge_zone_alerts_once_per_entry(
    client: TestClient, incident: int, east_ridge: dict[str, Any]
) -> None:
    zone = post(client, f"/incidents/{incident}/hazards", east_ridge)
    assert zone["kind"] == "hostile_party"
    assert client.get(f"/incidents/{incident}/hazards/{zone['id']}").json() == zone
    ada = member(client, incident, "Ada")
    check_in(client, incident, ada)
    inside = _inside_points(east_ridge["geometry"])
    walk = [OUTSIDE, inside[0], inside[1], inside[2], OUTSIDE, inside[0]]
    with client.websocket_connect(f"/incidents/{incident}/live") as ws:
        assert ws.receive_json()["type"] == "subscribed"
        _walk(client, incident, ada, walk)
        events = [ws.receive_json() for _ in range(len(walk) + 2)]
    alerts = [e["alert"] for e in events if e["type"] == "hazard"]
    assert [(a["zone_id"], a["member_name"], a["kind"]) for a in alerts] == [
        (zone["id"], "Ada", "hostile_party")
    ] * 2
    assert [a["time"][11:16] for a in alerts] == ["14:01", "14:05"]
    log = [e["text"] for e in client.get(f"/incidents/{incident}/activity").json()]
    assert [t for t in log if t.startswith("hazard:")] == [
        "hazard: Ada entered East Ridge hunting zone (hostile_party) at 14:01Z",
        "hazard: Ada entered East Ridge hunting zone (hostile_party) at 14:05Z",
    ]


def test_a_replayed_position_raises_no_second_alert(
    client: TestClient, incident: int, east_ridge: dict[str, Any]
) -> None:
    post(client, f"/incidents/{incident}/hazards", east_ridge)
    ada = member(client, incident, "Ada")
    (lon, lat) = _inside_points(east_ridge["geometry"])[0]
    body = {"id": str(uuid.uuid4()), "member_id": ada, "lat": lat, "lon": lon}
    body["time"] = T0.isoformat()
    post(client, f"/incidents/{incident}/positions", body)
    post(client, f"/incidents/{incident}/positions", body, status=200)
    log = [e["text"] for e in client.get(f"/incidents/{incident}/activity").json()]
    assert len([t for t in log if t.startswith("hazard:")]) == 1


@pytest.mark.parametrize(
    ("geometry", "words"),
    [
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1]]]}, "at least 4"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}, "at least 4"),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},
            "not a simple polygon",
        ),
        ({"type": "Polygon", "coordinates": [[[0, 0], [0, 95], [1, 95], [0, 0]]]}, "in range"),
        ({"type": "Point", "coordinates": [0, 0]}, "Polygon"),
        ({"type": "Polygon", "coordinates": []}, "coordinates"),
    ],
)
def test_bad_polygons_are_422_problems(
    client: TestClient, incident: int, geometry: dict[str, Any], words: str
) -> None:
    body = {"name": "Bad", "kind": "cliff", "geometry": geometry}
    response = client.post(f"/incidents/{incident}/hazards", json=body)
    assert words in problem(response, 422)["detail"]
    assert client.get(f"/incidents/{incident}/hazards").json() == []


def test_unknown_kind_and_zone_are_problems(
    client: TestClient, incident: int, east_ridge: dict[str, Any]
) -> None:
    problem(client.post(f"/incidents/{incident}/hazards", json={**east_ridge, "kind": "bear"}), 422)
    problem(client.get(f"/incidents/{incident}/hazards/999"), 404)
    problem(client.post("/incidents/999/hazards", json=east_ridge), 404)


def test_a_point_on_the_edge_counts_as_inside() -> None:
    square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
    assert is_in_hazard(hazard_polygon(square), lon=1.0, lat=0.5)


def test_a_batch_is_judged_in_time_order(
    client: TestClient, incident: int, east_ridge: dict[str, Any]
) -> None:
    post(client, f"/incidents/{incident}/hazards", east_ridge)
    ada = member(client, incident, "Ada")
    inside = _inside_points(east_ridge["geometry"])
    walk = [inside[0], OUTSIDE, inside[1], inside[2]]
    bodies = [
        {
            "id": str(uuid.uuid4()),
            "member_id": ada,
            "lat": lat,
            "lon": lon,
            "time": (T0 + timedelta(minutes=i)).isoformat(),
        }
        for i, (lon, lat) in enumerate(walk)
    ]
    post(client, f"/incidents/{incident}/positions/batch", {"positions": bodies[::-1]})
    log = [e["text"] for e in client.get(f"/incidents/{incident}/activity").json()]
    assert [t[-6:] for t in log if t.startswith("hazard:")] == ["14:00Z", "14:02Z"]
