"""Operational periods and named places through the HTTP API, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from apitools import login_as, post, problem

DAY = {
    "starts_at": "2026-06-01T06:00:00Z",
    "ends_at": "2026-06-01T18:00:00Z",
    "objectives": "Hasty search of trails and creeks",
}
NIGHT = {"starts_at": "2026-06-01T18:00:00Z", "ends_at": "2026-06-02T06:00:00Z"}


def test_periods_are_numbered_listed_and_logged(client: TestClient, incident: int) -> None:
    base = f"/incidents/{incident}/periods"
    day = post(client, base, DAY)
    night = post(client, base, NIGHT)
    assert (day["number"], night["number"]) == (1, 2)
    assert day["objectives"] == DAY["objectives"]
    assert day["ends_at"].startswith("2026-06-01T18:00:00")
    assert client.get(base).json() == [day, night]
    assert client.get(f"{base}/{night['id']}").json() == night
    log = [e["text"] for e in client.get(f"/incidents/{incident}/activity").json()]
    assert log[-1] == "operational period 2: 2026-06-01 18:00Z to 2026-06-02 06:00Z"
    # Times in another zone are read as the instant they name.
    later = post(
        client,
        base,
        {"starts_at": "2026-06-02T08:00:00+02:00", "ends_at": "2026-06-02T12:00:00+02:00"},
    )
    stored = client.get(f"{base}/{later['id']}").json()
    assert stored["starts_at"].startswith("2026-06-02T06:00:00")
    assert datetime.fromisoformat(later["starts_at"]) == datetime.fromisoformat(stored["starts_at"])


def test_an_overlapping_period_is_a_409_problem_naming_the_other(
    client: TestClient, incident: int
) -> None:
    base = f"/incidents/{incident}/periods"
    post(client, base, DAY)
    late = {"starts_at": "2026-06-01T17:00:00Z", "ends_at": "2026-06-01T20:00:00Z"}
    body = problem(client.post(base, json=late), 409)
    assert "overlaps period 1 (2026-06-01 06:00Z to 2026-06-01 18:00Z)" in body["detail"]
    taken = problem(client.post(base, json={**NIGHT, "number": 1}), 409)
    assert taken["detail"].startswith("number: period 1 exists")
    assert len(client.get(base).json()) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ends_at": "2026-06-01T05:00:00Z"}, "ends_at"),
        ({"starts_at": "2026-06-01T06:00:00"}, "starts_at"),
        ({"ends_at": "tomorrow"}, "ends_at"),
        ({"number": 0}, "number"),
        ({"objectives": "x" * 5001}, "objectives"),
    ],
)
def test_bad_periods_are_422_problems_naming_the_field(
    client: TestClient, incident: int, change: dict[str, Any], field: str
) -> None:
    base = f"/incidents/{incident}/periods"
    body = problem(client.post(base, json={**DAY, **change}), 422)
    assert body["detail"].startswith(f"{field}: ")
    assert client.get(base).json() == []


def test_periods_are_for_planners_and_readable_by_viewers(
    client: TestClient, incident: int
) -> None:
    base = f"/incidents/{incident}/periods"
    planner = login_as(client, incident, "planning")
    viewer = login_as(client, incident, "viewer")
    assert client.post(base, json=DAY, headers=planner).status_code == 201
    problem(client.post(base, json=NIGHT, headers=viewer), 403)
    assert [p["number"] for p in client.get(base, headers=viewer).json()] == [1]
    problem(client.get(f"{base}/999"), 404)
    problem(client.get("/incidents/999/periods"), 404)


def test_places_by_kind(client: TestClient, incident: int) -> None:
    base = f"/incidents/{incident}/places"
    staging = post(
        client, base, {"kind": "staging", "name": "Trailhead", "lat": 36.5, "lon": -84.7}
    )
    ford = post(client, base, {"kind": "rendezvous", "name": "Ford", "lat": 36.6, "lon": -84.6})
    assert (ford["kind"], ford["name"], ford["lat"], ford["lon"]) == (
        "rendezvous",
        "Ford",
        36.6,
        -84.6,
    )
    assert client.get(base).json() == [staging, ford]
    assert client.get(f"{base}?kind=rendezvous").json() == [ford]
    assert client.get(f"{base}?kind=helispot").json() == []
    assert client.get(f"{base}/{staging['id']}").json() == staging
    log = [e["text"] for e in client.get(f"/incidents/{incident}/activity").json()]
    assert log[-1] == f"rendezvous {ford['id']} 'Ford' at 36.60000, -84.60000"
    problem(client.get(f"{base}/999"), 404)
    other = post(client, "/incidents", {"name": "Other"})["id"]
    problem(client.get(f"/incidents/{other}/places/{ford['id']}"), 404)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "parking"}, "kind"),
        ({"name": ""}, "name"),
        ({"lat": 91}, "lat"),
        ({"lon": -181}, "lon"),
        ({"lat": "north"}, "lat"),
    ],
)
def test_bad_places_are_422_problems_naming_the_field(
    client: TestClient, incident: int, change: dict[str, Any], field: str
) -> None:
    base = f"/incidents/{incident}/places"
    good = {"kind": "staging", "name": "Base", "lat": 36.5, "lon": -84.7}
    body = problem(client.post(base, json={**good, **change}), 422)
    assert body["detail"].startswith(f"{field}: ")
    assert client.get(base).json() == []


def test_a_bad_kind_filter_is_a_422_problem(client: TestClient, incident: int) -> None:
    body = problem(client.get(f"/incidents/{incident}/places?kind=parking"), 422)
    assert body["detail"].startswith("query.kind: ")


def test_places_are_marked_by_planning_and_operations(client: TestClient, incident: int) -> None:
    base = f"/incidents/{incident}/places"
    place = {"kind": "command_post", "name": "ICP", "lat": 36.5, "lon": -84.7}
    operations = login_as(client, incident, "operations")
    viewer = login_as(client, incident, "viewer")
    planner = login_as(client, incident, "planning")
    assert client.post(base, json=place, headers=operations).status_code == 201
    problem(client.post(base, json=place, headers=viewer), 403)
    assert client.post(base, json=place, headers=planner).status_code == 201
    assert len(client.get(base, headers=viewer).json()) == 2
