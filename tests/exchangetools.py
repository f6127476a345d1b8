"""A live incident with a map on it, for the exchange (export/import) tests of API and CLI.

:func:`live_scene` links a :func:`maptools.make_plan` plan (16 square segments S1-S16
near the demo's IPP) to the incident and, through the API, gives Team 1 segment S6 (in
progress, meeting at the rendezvous point), marks a staging area and a rendezvous point,
reports a dog alert, draws a cliff, takes in the subject and sends Ada's positions.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient
from pyproj import Geod
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from apitools import field_team, post
from maptools import CRS, ORIGIN, make_plan
from wayhome.geo.coords import lonlat_of
from wayhome.io.exchange import MapFeature, MapKind, features_from_plan
from wayhome.io.plan_dir import read_plan_dir
from wayhome.store import link_plan

_GEOD = Geod(ellps="WGS84")
T = "2026-06-01T14:05:00Z"


def at(dx: float, dy: float) -> tuple[float, float]:
    """(lon, lat) of the point ``dx`` m east and ``dy`` m south of the plan's corner."""
    p = lonlat_of(ORIGIN[0] + dx, ORIGIN[1] - dy, CRS)
    return p.lon, p.lat


@dataclass(frozen=True)
class Scene:
    """What :func:`live_scene` made (ids and the expected geometry)."""

    plan: Path
    team: int
    assignment: int
    staging: tuple[float, float]
    rendezvous: tuple[float, float]
    rendezvous_id: int
    clue: tuple[float, float]
    cliff: Polygon
    last_seen: tuple[float, float]
    segments: dict[str, BaseGeometry]


def link(client: TestClient, incident: int, plan: Path) -> None:
    """Link ``plan`` to the incident through the store (as the clue tests do)."""
    with client.app.state.sessions() as s:  # type: ignore[attr-defined]
        link_plan(s, incident_id=incident, path=plan, actor="test")


def make_map_plan(out: Path) -> Path:
    """The small plan of the scene: 16 segments of 1 km², no terrain, no searches yet."""
    return make_plan(out, n=80, resolution=50.0, terrain=False, search=False)


def live_scene(client: TestClient, incident: int, plan: Path) -> Scene:
    """Build the scene described in the module docstring on ``incident``."""
    link(client, incident, plan)
    base = f"/incidents/{incident}"
    team, (ada, _) = field_team(client, incident, ["Ada", "Ben"])
    staging, rendezvous = at(300, 300), at(1900, 1100)
    post(client, f"{base}/places", _place("staging", "Trailhead staging", staging))
    rv = post(client, f"{base}/places", _place("rendezvous", "Footbridge", rendezvous))["id"]
    body = {"team_id": team, "segment": "S6", "rendezvous_id": rv, "instructions": "Grid 40 m"}
    assignment = post(client, f"{base}/assignments", body)["id"]
    started = client.put(f"{base}/assignments/{assignment}/status", json={"status": "in_progress"})
    assert started.status_code == 200, started.text
    clue = at(1500, 1500)
    post(
        client,
        f"{base}/clues",
        {
            "id": str(uuid.UUID(int=7)),
            "kind": "dog_alert",
            "lon": clue[0],
            "lat": clue[1],
            "bearing_deg": 300.0,
            "time": T,
            "note": "Juno alerts NW",
        },
    )
    cliff = Polygon([at(2500, 2500), at(3000, 2500), at(3000, 2800), at(2500, 2800)])
    geometry = {"type": "Polygon", "coordinates": [[list(p) for p in cliff.exterior.coords]]}
    post(client, f"{base}/hazards", {"name": "Falls cliff", "kind": "cliff", "geometry": geometry})
    last_seen = at(1800, 1600)
    post(
        client,
        f"{base}/subjects",
        {
            "name": "Toby",
            "category": "child_4_6",
            "age": 4,
            "last_seen_lon": last_seen[0],
            "last_seen_lat": last_seen[1],
            "last_seen_at": "2026-06-01T12:00:00Z",
            "guardian_name": "Mia",
            "guardian_relation": "mother",
            "guardian_id_document": "licence 0421",
            "handover_code": "maple-42",
        },
    )
    track = [at(1100 + 50 * i, 1100 + 20 * i) for i in range(5)]
    positions = [
        {
            "id": str(uuid.UUID(int=100 + i)),
            "member_id": ada,
            "lon": lon,
            "lat": lat,
            "time": f"2026-06-01T14:{10 + i:02d}:00Z",
        }
        for i, (lon, lat) in enumerate(track)
    ]
    post(client, f"{base}/positions/batch", {"positions": positions})
    outlines = features_from_plan(read_plan_dir(plan))
    segments = {f.segment or "": f.geometry for f in outlines if f.kind is MapKind.ASSIGNMENT}
    return Scene(plan, team, assignment, staging, rendezvous, rv, clue, cliff, last_seen, segments)


def _place(kind: str, name: str, lonlat: tuple[float, float]) -> dict[str, object]:
    return {"kind": kind, "name": name, "lon": lonlat[0], "lat": lonlat[1]}


def outline(g: BaseGeometry) -> list[tuple[float, float]]:
    """The exterior of a polygon, or the points of a line or point."""
    if isinstance(g, Polygon):
        return [(x, y) for x, y, *_ in g.exterior.coords]
    return [(x, y) for x, y, *_ in g.coords]


def metres_apart(a: BaseGeometry, b: BaseGeometry) -> float:
    """The largest distance (m) between matching vertices of two outlines."""
    xa, xb = np.asarray(outline(a)), np.asarray(outline(b))
    assert xa.shape == xb.shape, (xa.shape, xb.shape)
    return float(np.max(_GEOD.inv(xa[:, 0], xa[:, 1], xb[:, 0], xb[:, 1])[2]))


def by_title(features: list[MapFeature]) -> dict[str, MapFeature]:
    """Features by title (titles are unique in the scene's map)."""
    out = {f.title: f for f in features}
    assert len(out) == len(features), [f.title for f in features]
    return out
