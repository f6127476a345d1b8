"""The live map out (GeoJSON, KML, KMZ, GPX) and shared maps in, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import LineString, Point, Polygon

from apitools import login_as, member, problem
from exchangetools import Scene, at, by_title, live_scene, make_map_plan, metres_apart
from wayhome.io.exchange import MapFeature, MapKind, map_bytes, read_map

MEDIA = {
    "geojson": "application/geo+json",
    "kml": "application/vnd.google-earth.kml+xml",
    "kmz": "application/vnd.google-earth.kmz",
    "gpx": "application/gpx+xml",
}


@pytest.fixture(scope="module")
def base_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One plan for the module; tests copy it."""
    return make_map_plan(tmp_path_factory.mktemp("plans") / "plan")


@pytest.fixture
def scene(client: TestClient, incident: int, base_plan: Path, tmp_path: Path) -> Scene:
    plan = Path(shutil.copytree(base_plan, tmp_path / "plan"))
    return live_scene(client, incident, plan)


def _download(client: TestClient, path: str, fmt: str, tmp_path: Path, **kw: Any) -> Path:
    response = client.get(path, **kw)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == MEDIA[fmt]
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=") and disposition.endswith(f'.{fmt}"')
    out = tmp_path / f"download.{fmt}"
    out.write_bytes(response.content)
    return out


def _records(client: TestClient, incident: int) -> dict[str, Any]:
    base = f"/incidents/{incident}"
    return {
        what: client.get(f"{base}/{what}").json()
        for what in ("places", "clues", "hazards", "activity")
    }


@pytest.mark.parametrize("fmt", ["geojson", "kml", "kmz", "gpx"])
def test_the_live_map_carries_assignment_status_team_and_records(
    client: TestClient, incident: int, scene: Scene, tmp_path: Path, fmt: str
) -> None:
    path = _download(client, f"/incidents/{incident}/export.{fmt}", fmt, tmp_path)
    features, _ = read_map(path)
    got = by_title(features)
    # Segment S6, given to Team 1 and in progress: the live status and team, not the plan's.
    s6 = got["S6 Team 1"]
    assert (s6.kind, s6.segment, s6.status, s6.team) == (
        MapKind.ASSIGNMENT,
        "S6",
        "in_progress",
        "Team 1",
    )
    assert s6.number == str(scene.assignment)
    assert metres_apart(s6.geometry, scene.segments["S6"]) < 1.0
    # The other 15 segments are drawn unassigned.
    drafts = [f for f in features if f.kind is MapKind.ASSIGNMENT and f.status == "draft"]
    assert sorted(f.segment or "" for f in drafts) == sorted(set(scene.segments) - {"S6"})
    s1 = next(f for f in drafts if f.segment == "S1")
    assert metres_apart(s1.geometry, scene.segments["S1"]) < 1.0
    # Places, the clue, the subject's last-seen point, the cliff: names and positions.
    points = {
        "Trailhead staging": scene.staging,
        "Footbridge": scene.rendezvous,
        "LKP Toby": scene.last_seen,
    }
    for title, lonlat in points.items():
        assert got[title].kind is MapKind.MARKER
        assert metres_apart(got[title].geometry, Point(lonlat)) < 1.0
    clue = got["Clue 1 dog alert"]
    assert clue.kind is MapKind.CLUE
    assert metres_apart(clue.geometry, Point(scene.clue)) < 1.0
    assert "Juno alerts NW" in clue.description
    cliff = got["Falls cliff"]
    # GPX has no areas: an outline comes back as a line (a route) along the same points.
    assert cliff.kind is (MapKind.LINE if fmt == "gpx" else MapKind.AREA)
    drawn = Polygon(cliff.geometry.coords) if fmt == "gpx" else cliff.geometry
    assert metres_apart(drawn, scene.cliff) < 1.0
    # Tracks only when asked for.
    assert not any(t.startswith("Track ") for t in got)
    if fmt != "gpx":
        assert clue.extra["clue_kind"] == "dog_alert"
        assert clue.extra["bearing_deg"] == "300"
        assert cliff.extra["hazard_kind"] == "cliff"
        assert got["Footbridge"].extra["place_kind"] == "rendezvous"


def test_tracks_are_drawn_when_asked(
    client: TestClient, incident: int, scene: Scene, tmp_path: Path
) -> None:
    url = f"/incidents/{incident}/export.geojson?tracks=true"
    features, _ = read_map(_download(client, url, "geojson", tmp_path))
    track = by_title(features)["Track Ada"]
    assert track.kind is MapKind.LINE
    expected = [at(1100 + 50 * i, 1100 + 20 * i) for i in range(5)]
    assert metres_apart(track.geometry, LineString(expected)) < 1.0


def test_a_team_gets_its_assignment_as_gpx(
    client: TestClient, incident: int, scene: Scene, tmp_path: Path
) -> None:
    url = f"/incidents/{incident}/assignments/{scene.assignment}.gpx"
    features, _ = read_map(_download(client, url, "gpx", tmp_path))
    first = next(f for f in features if f.kind is MapKind.ASSIGNMENT)
    meet = next(f for f in features if f.kind is MapKind.MARKER)  # the first waypoint
    assert (first.kind, first.title, first.status, first.team) == (
        MapKind.ASSIGNMENT,
        "S6 Team 1",
        "in_progress",
        "Team 1",
    )
    assert metres_apart(first.geometry, scene.segments["S6"]) < 1.0
    # Its meeting place comes first among the waypoints, saying so.
    assert meet.title == "Footbridge" and meet.description.startswith("Meet here")
    titles = {f.title for f in features}
    assert {"Trailhead staging", "LKP Toby", "Clue 1 dog alert", "Falls cliff"} <= titles
    # Only this assignment's segment: no other segments.
    assert [f.segment for f in features if f.kind is MapKind.ASSIGNMENT] == ["S6"]
    problem(client.get(f"/incidents/{incident}/assignments/999.gpx"), 404)
    answer = problem(client.get(f"/incidents/{incident}/export.shp"), 422)
    assert answer["detail"].startswith("path.fmt: Input should be 'geojson'")


def test_an_assignment_off_the_plan_has_no_gpx(
    client: TestClient, incident: int, scene: Scene
) -> None:
    body = {"team_id": scene.team, "segment": "Z9"}
    off = client.post(f"/incidents/{incident}/assignments", json=body).json()["id"]
    answer = problem(client.get(f"/incidents/{incident}/assignments/{off}.gpx"), 409)
    assert "segment 'Z9' is not in the linked plan" in answer["detail"]


def test_an_incident_without_a_plan_exports_its_records(
    client: TestClient, incident: int, tmp_path: Path
) -> None:
    body = {"kind": "command_post", "name": "ICP", "lon": -84.28, "lat": 36.54}
    assert client.post(f"/incidents/{incident}/places", json=body).status_code == 201
    features, _ = read_map(_download(client, f"/incidents/{incident}/export.kml", "kml", tmp_path))
    assert [(f.kind, f.title) for f in features] == [(MapKind.MARKER, "ICP")]


@pytest.mark.parametrize("fmt", ["geojson", "kml", "kmz"])
def test_an_export_imports_into_another_incident_and_only_once(
    client: TestClient, incident: int, scene: Scene, tmp_path: Path, fmt: str
) -> None:
    data = client.get(f"/incidents/{incident}/export.{fmt}").content
    other = client.post("/incidents", json={"name": "Exercise"}).json()["id"]
    url = f"/incidents/{other}/import?format={fmt}&hazard_kind=water"
    answer = client.post(url, content=data)
    assert answer.status_code == 200, answer.text
    done = answer.json()
    assert [(p["kind"], p["name"]) for p in done["places"]] == [
        ("staging", "Trailhead staging"),
        ("rendezvous", "Footbridge"),
    ]
    footbridge = Point(done["places"][1]["lon"], done["places"][1]["lat"])
    assert metres_apart(footbridge, Point(scene.rendezvous)) < 1.0
    (clue,) = done["clues"]
    assert (clue["kind"], clue["bearing_deg"], clue["note"]) == (
        "dog_alert",
        300.0,
        "Juno alerts NW",
    )
    assert clue["time"].startswith("2026-06-01T14:05:00")
    assert metres_apart(Point(clue["lon"], clue["lat"]), Point(scene.clue)) < 1.0
    # The zone keeps its own kind (cliff); hazard_kind is only asked-for permission.
    (zone,) = done["hazard_zones"]
    assert (zone["name"], zone["kind"]) == ("Falls cliff", "cliff")
    assert metres_apart(Polygon(zone["geometry"]["coordinates"][0]), scene.cliff) < 1.0
    skipped = " | ".join(done["skipped"])
    assert "'S6 Team 1': an assignment" in skipped
    assert "'LKP Toby': a subject's last-seen point" in skipped
    assert "'IPP': the plan's IPP" in skipped
    log = [e["text"] for e in client.get(f"/incidents/{other}/activity").json()]
    assert any(t.startswith("map imported from 'upload.") for t in log)
    # The same file again: nothing new.
    again = client.post(url, content=data).json()
    assert (again["places"], again["clues"], again["hazard_zones"]) == ([], [], [])
    assert len(again["unchanged"]) == 4
    assert len(client.get(f"/incidents/{other}/places").json()) == 2
    # Into the incident it came from: everything is already there.
    home = client.post(f"/incidents/{incident}/import?format={fmt}&hazard_kind=cliff", content=data)
    assert home.status_code == 200, home.text
    assert len(home.json()["unchanged"]) == 4 and home.json()["clues"] == []


def _gpx(features: list[MapFeature]) -> bytes:
    return map_bytes(features, ".gpx", name="GPS")


def test_gps_waypoints_become_places_by_name_or_clues_when_asked(
    client: TestClient, incident: int
) -> None:
    base = f"/incidents/{incident}"
    data = _gpx(
        [
            MapFeature(MapKind.MARKER, "RV north", Point(-84.28, 36.55)),
            MapFeature(MapKind.MARKER, "LZ 1", Point(-84.27, 36.55)),
            MapFeature(MapKind.CLUE, "Glove", Point(-84.275, 36.545), "red, child size"),
        ]
    )
    headers = {"Content-Type": "application/gpx+xml"}
    done = client.post(f"{base}/import", content=data, headers=headers).json()
    assert [(p["kind"], p["name"]) for p in done["places"]] == [
        ("rendezvous", "RV north"),
        ("helispot", "LZ 1"),
    ]
    assert [(c["kind"], c["note"]) for c in done["clues"]] == [("item", "red, child size")]
    # markers=clues: a searcher's waypoints are clues of kind item.
    marks = _gpx([MapFeature(MapKind.MARKER, "Footprint 2", Point(-84.276, 36.546))])
    done = client.post(f"{base}/import?format=gpx&markers=clues", content=marks).json()
    assert [(c["kind"], c["note"]) for c in done["clues"]] == [("item", "Footprint 2")]


def test_one_refused_feature_stores_nothing(client: TestClient, incident: int) -> None:
    before = _records(client, incident)
    data = _gpx(
        [
            MapFeature(MapKind.MARKER, "Staging lot", Point(-84.28, 36.55)),
            MapFeature(MapKind.MARKER, "Spring", Point(-84.27, 36.55)),
        ]
    )
    url = f"/incidents/{incident}/import?format=gpx"
    answer = problem(client.post(url, content=data), 422)
    assert "marker 2 'Spring': a marker that names no kind of place" in answer["detail"]
    assert "nothing imported" in answer["detail"] and "place_kind" in answer["detail"]
    assert _records(client, incident) == before
    # Saying what such markers are lets the file in.
    done = client.post(url + "&place_kind=staging", content=data).json()
    assert [(p["kind"], p["name"]) for p in done["places"]] == [
        ("staging", "Staging lot"),
        ("staging", "Spring"),
    ]


def test_areas_become_hazard_zones_only_when_asked(client: TestClient, incident: int) -> None:
    square = Polygon([(-84.28, 36.54), (-84.27, 36.54), (-84.27, 36.55), (-84.28, 36.55)])
    bow = Polygon([(-84.28, 36.54), (-84.27, 36.55), (-84.27, 36.54), (-84.28, 36.55)])
    feature: dict[str, Any] = {
        "type": "Feature",
        "geometry": square.__geo_interface__,
        "properties": {"class": "Shape", "title": "Quarry"},
    }
    collection = {"type": "FeatureCollection", "features": [feature]}
    url = f"/incidents/{incident}/import?format=geojson"
    done = client.post(url, content=json.dumps(collection)).json()
    assert done["hazard_zones"] == []
    assert done["skipped"] == [
        "area 1 'Quarry': an area (give hazard_kind to import it as a hazard)"
    ]
    done = client.post(url + "&hazard_kind=private_land", content=json.dumps(collection)).json()
    assert [(z["name"], z["kind"]) for z in done["hazard_zones"]] == [("Quarry", "private_land")]
    # A crossing outline is not a zone: refused, naming it.
    feature["geometry"] = bow.__geo_interface__
    feature["properties"]["title"] = "Bow"
    before = _records(client, incident)
    answer = problem(client.post(url + "&hazard_kind=cliff", content=json.dumps(collection)), 422)
    assert "'Bow': not a hazard zone" in answer["detail"]
    assert _records(client, incident) == before


def _kmz(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


KML = (
    b'<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
    b"<Placemark><name>Staging</name><Point><coordinates>-84.28,36.54</coordinates></Point>"
    b"</Placemark></Document></kml>"
)


@pytest.mark.parametrize(
    ("entries", "says"),
    [
        ({"doc.kml": KML + b" " * 8_000_000}, "zip bomb"),
        ({"doc.kml": KML, "../../evil.kml": KML}, "path-traversal"),
        ({"/etc/evil.kml": KML}, "path-traversal"),
    ],
    ids=["zip-bomb", "dot-dot", "absolute"],
)
def test_an_unsafe_kmz_is_refused_and_nothing_is_stored(
    client: TestClient, incident: int, entries: dict[str, bytes], says: str
) -> None:
    data = _kmz(entries)
    assert len(data) < 60_000  # under the test server's body limit: the reader refuses it
    before = _records(client, incident)
    url = f"/incidents/{incident}/import?format=kmz&place_kind=staging"
    answer = problem(client.post(url, content=data), 422)
    assert says in answer["detail"]
    assert answer["detail"].startswith("kmz: entry")
    assert _records(client, incident) == before
    # The same KML, safely zipped, goes in.
    done = client.post(url, content=_kmz({"doc.kml": KML})).json()
    assert [p["name"] for p in done["places"]] == ["Staging"]


@pytest.mark.parametrize(
    ("query", "content", "status", "says"),
    [
        ("format=geojson", b"{not json", 422, "import:"),
        ("format=gpx", b"<kml/>", 422, "not GPX"),
        ("format=kml", b"", 422, "is empty"),
        ("", b"{}", 422, "format: cannot tell"),
        ("format=kml", b"x" * 70_000, 413, "larger than"),
    ],
)
def test_a_bad_file_is_a_problem_naming_it(
    client: TestClient, incident: int, query: str, content: bytes, status: int, says: str
) -> None:
    before = _records(client, incident)
    answer = problem(client.post(f"/incidents/{incident}/import?{query}", content=content), status)
    assert says in answer["detail"], answer["detail"]
    assert _records(client, incident) == before


def test_a_searcher_exports_but_cannot_import(
    client: TestClient, incident: int, tmp_path: Path
) -> None:
    ben = member(client, incident, "Ben")
    searcher = login_as(client, incident, "searcher", ben)
    data = _gpx([MapFeature(MapKind.MARKER, "Staging", Point(-84.28, 36.54))])
    url = f"/incidents/{incident}/import?format=gpx"
    problem(client.post(url, content=data, headers=searcher), 403)
    assert client.get(f"/incidents/{incident}/places").json() == []
    assert client.get(f"/incidents/{incident}/export.gpx", headers=searcher).status_code == 200
    planner = login_as(client, incident, "planning")
    assert client.post(url, content=data, headers=planner).status_code == 200
    problem(client.get(f"/incidents/{incident}/export.gpx", headers={"Authorization": ""}), 401)
