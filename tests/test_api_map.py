"""The map server: linking a plan, the map set-up, tiles and GeoJSON, caching by plan version.

Plans are real plan directories written by the library (:mod:`maptools`); every test
runs on SQLite and PostgreSQL (the ``client`` fixture).
"""

from __future__ import annotations

import dataclasses
import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from apitools import login_as, problem
from maptools import make_plan
from wayhome.basemap import INDEX_EVERY, tiles_over
from wayhome.io.plan_dir import read_plan_dir, write_plan_dir
from wayhome.probability.poa import poa_from_weights


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A plans root with ``full`` (terrain, segments, a search) and ``bare`` (neither)."""
    root = tmp_path_factory.mktemp("plans")
    make_plan(root / "full", n=60)
    make_plan(root / "bare", n=80, terrain=False, segments=False, search=False)
    return root


@pytest.fixture
def root(plans: Path, tmp_path: Path) -> Path:
    """A copy of the plans for one test (it may rewrite them), as the server's plans_root."""
    return Path(shutil.copytree(plans, tmp_path / "plans"))


@pytest.fixture
def served(client: TestClient, root: Path) -> TestClient:
    """``client`` with its server's plans_root set to ``root``."""
    state = client.app.state  # type: ignore[attr-defined]
    state.settings = state.settings.model_copy(update={"plans_root": root})
    return client


@pytest.fixture
def linked(served: TestClient, incident: int) -> Iterator[str]:
    """The incident with ``full`` linked; the base URL of its routes."""
    response = served.put(f"/incidents/{incident}/plan", json={"path": "full"})
    assert response.status_code == 200, response.text
    yield f"/incidents/{incident}"


def _png(response: Any) -> np.ndarray[Any, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.size == (256, 256)
    return np.asarray(image.convert("RGBA"))


def _tiles(client: TestClient, base: str, zoom: int) -> list[tuple[int, int, int]]:
    info = client.get(f"{base}/map").json()
    return list(tiles_over(tuple(info["bounds"]), zoom))


# ------------------------------------------------------------------ linking the plan
def test_without_a_plan_every_map_route_is_a_409_problem(served: TestClient, incident: int) -> None:
    base = f"/incidents/{incident}"
    for path in ("/plan", "/map", "/map/tiles/poa/12/0/0.png", "/map/segments.geojson"):
        body = problem(served.get(base + path), 409)
        assert f"incident {incident} has no plan linked" in body["detail"]
        assert f"PUT /incidents/{incident}/plan" in body["detail"]


def test_a_planner_links_a_plan_and_it_is_logged(
    served: TestClient, incident: int, root: Path
) -> None:
    response = served.put(f"/incidents/{incident}/plan", json={"path": "full"})
    assert response.status_code == 200, response.text
    plan = response.json()
    assert plan["path"] == str((root / "full").resolve())
    assert plan["title"].startswith("Probability of area: Toby, 4 y")
    assert (plan["has_segments"], plan["has_terrain"], plan["evidence"]) == (True, True, 1)
    assert served.get(f"/incidents/{incident}/plan").json() == plan
    log = served.get(f"/incidents/{incident}/activity").json()
    assert any(a["kind"] == "plan" and "plan linked" in a["text"] for a in log)
    # An absolute path under the root links as well.
    bare = served.put(f"/incidents/{incident}/plan", json={"path": str(root / "bare")})
    assert bare.status_code == 200, bare.text
    assert (bare.json()["has_terrain"], bare.json()["evidence"]) == (False, 0)


@pytest.mark.parametrize(
    "given",
    ["/etc", "../", "full/../../elsewhere", "nul\x00byte", "no-such-plan", "full/summary.json"],
)
def test_a_path_outside_plans_root_or_not_a_plan_is_a_422_problem(
    served: TestClient, incident: int, given: str
) -> None:
    body = problem(served.put(f"/incidents/{incident}/plan", json={"path": given}), 422)
    assert body["detail"].startswith("path: ")
    assert problem(served.get(f"/incidents/{incident}/plan"), 409)


def test_a_symlink_out_of_plans_root_is_refused(
    served: TestClient, incident: int, root: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    make_plan(outside, n=24, segments=False)
    (root / "link").symlink_to(outside)
    body = problem(served.put(f"/incidents/{incident}/plan", json={"path": "link"}), 422)
    assert "not under the server's plans_root" in body["detail"]


def test_viewers_read_the_map_and_only_planners_link(served: TestClient, linked: str) -> None:
    incident = int(linked.rsplit("/", 1)[1])
    viewer = login_as(served, incident, "viewer")
    assert served.get(f"{linked}/map", headers=viewer).status_code == 200
    assert served.get(f"{linked}/map/regions.geojson", headers=viewer).status_code == 200
    problem(served.put(f"{linked}/plan", json={"path": "bare"}, headers=viewer), 403)
    planner = login_as(served, incident, "planning")
    assert served.put(f"{linked}/plan", json={"path": "bare"}, headers=planner).status_code == 200
    served.headers.pop("Authorization")
    problem(served.get(f"{linked}/map"), 401)


# ------------------------------------------------------------------ the map set-up
def test_the_map_set_up_describes_the_plan(served: TestClient, linked: str) -> None:
    info = served.get(f"{linked}/map").json()
    west, south, east, north = info["bounds"]
    lon, lat = info["center"]
    assert west < lon < east and south < lat < north
    assert info["crs"] == "EPSG:32616" and info["cell_size_m"] == 50.0
    assert info["poa_models"] == ["posterior", "prior"]
    assert (info["has_terrain"], info["has_segments"], info["has_layers"]) == (True, True, True)
    assert info["contour_interval_m"] in (10.0, 20.0)
    assert 0 < info["poa_max"] < 1
    assert info["poa_max"] == info["poa_max_by_model"]["posterior"]
    assert 0 <= info["min_zoom"] < info["max_zoom"] <= 22
    assert len(info["version"]) == 16


# ------------------------------------------------------------------ tiles
def test_tiles_are_pngs_with_etags_and_revalidate(served: TestClient, linked: str) -> None:
    tiles = _tiles(served, linked, 13)
    version = served.get(f"{linked}/map").json()["version"]
    opaque = 0
    for z, x, y in tiles:
        shade = _png(served.get(f"{linked}/map/tiles/hillshade/{z}/{x}/{y}.png"))
        opaque += int((shade[..., 3] == 255).sum())
        for model in ("posterior", "prior"):
            heat = _png(served.get(f"{linked}/map/tiles/poa/{z}/{x}/{y}.png?model={model}"))
            assert set(np.unique(heat[..., 3])) <= {0} | set(range(76, 218))
    assert opaque > 150 * 150  # a 3 km DEM is about 200 pixels across at z13 (15 m pixels)
    z, x, y = tiles[0]
    url = f"{linked}/map/tiles/poa/{z}/{x}/{y}.png"
    first = served.get(url)
    etag = first.headers["etag"]
    assert version in etag
    assert first.headers["cache-control"] == "private, max-age=0, must-revalidate"
    again = served.get(url, headers={"If-None-Match": etag})
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
    pinned = served.get(f"{url}?v={version}")
    assert pinned.headers["cache-control"].startswith("private, max-age=31536000")
    assert pinned.content == first.content
    # The prior is another answer: another ETag.
    prior = served.get(f"{url}?model=prior", headers={"If-None-Match": etag})
    assert prior.status_code == 200 and prior.headers["etag"] != etag


def test_tiles_outside_the_plan_or_its_zooms_are_404_problems(
    served: TestClient, linked: str
) -> None:
    info = served.get(f"{linked}/map").json()
    (z, x, y), *_ = _tiles(served, linked, info["max_zoom"])
    assert served.get(f"{linked}/map/tiles/poa/{z}/{x}/{y}.png").status_code == 200
    for bad in (
        (z, x + 50, y),  # beside the plan
        (z + 1, 2 * x, 2 * y),  # past the highest zoom
        (0, 0, 0),  # below the lowest
        (z, 2**z, y),  # no such tile
        (z, -1, y),
    ):
        for kind in ("poa", "hillshade"):
            path = f"{linked}/map/tiles/{kind}/{bad[0]}/{bad[1]}/{bad[2]}.png"
            body = problem(served.get(path), 404)
            assert body["detail"].startswith("tile: ") and "GET /incidents/" in body["detail"]


def test_an_unknown_poa_model_is_a_422_problem(served: TestClient, linked: str) -> None:
    (z, x, y), *_ = _tiles(served, linked, 13)
    problem(served.get(f"{linked}/map/tiles/poa/{z}/{x}/{y}.png?model=guess"), 422)


def test_a_plan_without_terrain_has_no_hillshade_and_no_contours(
    served: TestClient, incident: int
) -> None:
    base = f"/incidents/{incident}"
    assert served.put(f"{base}/plan", json={"path": "bare"}).status_code == 200
    info = served.get(f"{base}/map").json()
    assert (info["has_terrain"], info["has_segments"], info["contour_interval_m"]) == (
        False, False, None,
    )  # fmt: skip
    (z, x, y), *_ = _tiles(served, base, 13)
    body = problem(served.get(f"{base}/map/tiles/hillshade/{z}/{x}/{y}.png"), 404)
    assert "no terrain.tif" in body["detail"]
    _png(served.get(f"{base}/map/tiles/poa/{z}/{x}/{y}.png"))
    for name in ("contours", "segments"):
        doc = served.get(f"{base}/map/{name}.geojson").json()
        assert doc == {"type": "FeatureCollection", "features": []}


# ------------------------------------------------------------------ GeoJSON
def _geojson(client: TestClient, url: str) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/geo+json"
    assert "etag" in response.headers and response.headers["cache-control"].startswith("private")
    doc: dict[str, Any] = response.json()
    assert doc["type"] == "FeatureCollection"
    return doc


def test_contours_segments_layers_and_regions(served: TestClient, linked: str, root: Path) -> None:
    info = served.get(f"{linked}/map").json()
    interval = info["contour_interval_m"]
    west, south, east, north = info["bounds"]
    contours = _geojson(served, f"{linked}/map/contours.geojson")["features"]
    assert len(contours) >= 5
    for c in contours:
        level = c["properties"]["elevation_m"]
        assert level % interval == 0
        assert c["properties"]["index"] == (level % (INDEX_EVERY * interval) == 0)
        assert c["geometry"]["type"] == "LineString"
        for lon, lat in c["geometry"]["coordinates"]:
            assert west - 1e-3 <= lon <= east + 1e-3 and south - 1e-3 <= lat <= north + 1e-3
    assert any(c["properties"]["index"] for c in contours)

    segments = _geojson(served, f"{linked}/map/segments.geojson")["features"]
    assert len(segments) == 9  # 60 cells in blocks of 20
    props = [s["properties"] for s in segments]
    for p in props:
        assert {"id", "label", "poa", "pod_cumulative", "area_km2"} <= p.keys()
        assert p["label"].startswith(p["id"] + " · POA ")
    assert sum(p["area_km2"] for p in props) == pytest.approx(9.0)
    most = max(props, key=lambda p: p["pod_cumulative"])
    assert most["pod_cumulative"] > 0 and most["poa"] < most["poa_initial"]  # searched: lower

    layers = _geojson(served, f"{linked}/map/layers.geojson")["features"]
    assert sorted(f["properties"]["kind"] for f in layers) == ["stream", "trail"]
    regions = _geojson(served, f"{linked}/map/regions.geojson")["features"]
    assert [r["properties"]["label"] for r in regions] == ["25 %", "50 %", "75 %"]  # 5 % outside
    written = json.loads((root / "full" / "regions.geojson").read_text("utf-8"))["features"]
    for served_region, file_region in zip(regions, written, strict=True):
        a, b = served_region["properties"], file_region["properties"]
        assert a.pop("min_cell_probability") == pytest.approx(b.pop("min_cell_probability"))
        assert a == b  # as `wayhome plan` wrote them (the cells come back as float32)


def test_a_rewritten_plan_gets_a_new_version_and_new_answers(
    served: TestClient, linked: str, root: Path
) -> None:
    before = served.get(f"{linked}/map").json()
    segments_url = f"{linked}/map/segments.geojson"
    old = served.get(segments_url)
    # As `wayhome clue` does: a new map written over the directory.
    state = read_plan_dir(root / "full")
    rows, cols = np.mgrid[0 : state.grid.shape[0], 0 : state.grid.shape[1]]
    moved = poa_from_weights(
        state.grid, np.exp(-((cols - 50.0) ** 2 + (rows - 50.0) ** 2) / 50.0), rest_of_world=0.05,
        model="rings",
    )  # fmt: skip
    write_plan_dir(dataclasses.replace(state, poa=moved), root / "full")
    after = served.get(f"{linked}/map").json()
    assert after["version"] != before["version"]
    assert after["poa_max"] != before["poa_max"]
    new = served.get(segments_url, headers={"If-None-Match": old.headers["etag"]})
    assert new.status_code == 200 and new.headers["etag"] != old.headers["etag"]
    poa = {f["properties"]["id"]: f["properties"]["poa"] for f in new.json()["features"]}
    assert max(poa, key=lambda k: poa[k]) == "S9"  # the south-east corner now
    assert json.loads(old.content) != new.json()


def test_a_plan_directory_that_is_gone_is_a_409_problem(
    served: TestClient, linked: str, root: Path
) -> None:
    shutil.rmtree(root / "full")
    body = problem(served.get(f"{linked}/map"), 409)
    assert "is gone: link the plan again" in body["detail"]


def test_tiles_come_512_px_square_with_size_512_and_other_sizes_are_422(
    served: TestClient, linked: str
) -> None:
    (z, x, y), *_ = _tiles(served, linked, 13)
    version = served.get(f"{linked}/map").json()["version"]
    for kind in ("poa", "hillshade"):
        url = f"{linked}/map/tiles/{kind}/{z}/{x}/{y}.png"
        small, large = served.get(url), served.get(f"{url}?size=512&v={version}")
        assert large.status_code == 200, large.text
        assert Image.open(io.BytesIO(large.content)).size == (512, 512)
        # Another answer than the 256 px tile's: its own ETag, kept for good when pinned.
        assert large.headers["etag"] != small.headers["etag"]
        assert large.headers["cache-control"].startswith("private, max-age=31536000")
        again = served.get(f"{url}?size=512", headers={"If-None-Match": large.headers["etag"]})
        assert again.status_code == 304
        body = problem(served.get(f"{url}?size=300"), 422)
        assert "size: a tile is 256 or 512 pixels square, got 300" in body["detail"]


def test_a_plan_is_drawn_ahead_when_linked_and_when_the_server_starts(
    served: TestClient, linked: str
) -> None:
    import threading

    from wayhome.api.routes.map import warm_linked_plans
    from wayhome.basemap import MapCache

    app: Any = served.app
    for thread in threading.enumerate():
        if thread.name == "wayhome-map-warm":
            thread.join(timeout=60)
    path = Path(served.get(f"{linked}/plan").json()["path"])
    drawn = app.state.map_cache.get(path)
    assert "contours" in drawn._products and any(k[4] == 512 for k in drawn._tiles)
    # A server starting: the plans of open incidents are drawn ahead.
    app.state.map_cache = MapCache()
    started = warm_linked_plans(app)
    assert started is not None
    started.join(timeout=60)
    assert "contours" in app.state.map_cache.get(path)._products
    # ... and not those of closed ones.
    assert served.post(f"{linked}/close").status_code == 200
    assert warm_linked_plans(app) is None
