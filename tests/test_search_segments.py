"""Search segments: tiling, sizes, stable IDs, natural boundaries, planner polygons, files."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from affine import Affine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from scipy import ndimage
from shapely.geometry import LineString, Polygon, box

from wayhome.errors import InvalidLayerError, InvalidParameterError
from wayhome.geo.coords import LonLat, geometry_to_crs
from wayhome.geo.grid import GridSpec
from wayhome.geo.layers import Feature, LayerKind, Layers
from wayhome.geo.terrain import Terrain
from wayhome.geo.travel import LayerMasks, masks_from_layers
from wayhome.io.demo import read_demo_dem, read_demo_incident, read_demo_layers
from wayhome.io.segments import read_segments, write_segments_geojson
from wayhome.plan import Plan, plan_search
from wayhome.probability.poa import POA, poa_from_weights
from wayhome.search.segments import (
    REMAINDER_ID,
    Segments,
    segments_from_plan,
    segments_from_polygons,
    segments_to_features,
)
from wayhome.subject import subject_from_intake

RES = 30.0
CRS = "EPSG:32616"


# ---------------------------------------------------------------------------- synthetic scenes
def _grid(rows: int, cols: int) -> GridSpec:
    return GridSpec(CRS, Affine(RES, 0.0, 740_000.0, 0.0, -RES, 4_050_000.0), (rows, cols))


def _scene(
    seed: int, rows: int, cols: int, *, water: bool
) -> tuple[GridSpec, Terrain, LayerMasks, POA]:
    """Random hills, random straight trails/roads/streams, a smooth random POA."""
    rng = np.random.default_rng(seed)
    grid = _grid(rows, cols)
    xs, ys = grid.centers()
    gx, gy = np.meshgrid(xs, ys)
    left, bottom, right, top = grid.bounds
    z = np.full(grid.shape, 400.0)
    for _ in range(int(rng.integers(2, 7))):
        cx, cy = rng.uniform(left, right), rng.uniform(bottom, top)
        sigma, height = rng.uniform(100.0, 500.0), rng.uniform(-80.0, 200.0)
        z += height * np.exp(-((gx - cx) ** 2 + (gy - cy) ** 2) / (2 * sigma**2))
    terrain = Terrain(grid, z.astype(np.float32))
    features: list[Feature] = []
    span = max(right - left, top - bottom)
    for _ in range(int(rng.integers(0, 4))):
        px, py = rng.uniform(left, right), rng.uniform(bottom, top)
        angle = rng.uniform(0.0, np.pi)
        dx, dy = np.cos(angle) * span, np.sin(angle) * span
        kind = (LayerKind.TRAIL, LayerKind.ROAD, LayerKind.STREAM)[int(rng.integers(0, 3))]
        features.append(Feature(kind, LineString([(px - dx, py - dy), (px + dx, py + dy)])))
    if water:
        wx, wy = rng.uniform(left, right), rng.uniform(bottom, top)
        features.append(Feature(LayerKind.WATER, box(wx, wy, wx + 150.0, wy + 120.0)))
    masks = masks_from_layers(Layers(tuple(features), CRS), grid)
    cx, cy = rng.uniform(left, right), rng.uniform(bottom, top)
    spread = rng.uniform(200.0, 700.0)
    noise = ndimage.gaussian_filter(rng.random(grid.shape), 3.0)
    weights = np.exp(-((gx - cx) ** 2 + (gy - cy) ** 2) / (2 * spread**2)) * (0.5 + noise)
    weights[masks.get(LayerKind.WATER)] = 0.0
    poa = poa_from_weights(grid, weights, rest_of_world=0.05, model="test")
    return grid, terrain, masks, poa


def _top_95(cells: NDArray[np.float64]) -> NDArray[np.bool_]:
    order = np.argsort(cells, axis=None)[::-1]
    cum = np.cumsum(cells.ravel()[order])
    k = int(np.searchsorted(cum, 0.95 * cells.sum() * (1 - 1e-12)))
    out = np.zeros(cells.size, dtype=np.bool_)
    out[order[: k + 1]] = True
    return out.reshape(cells.shape) & (cells > 0)


def _neighbour_labels(labels: NDArray[np.int32], fill: int = -2) -> NDArray[np.int32]:
    """(rows, cols, 9) labels of each cell's 3x3 neighbourhood (``fill`` off the grid)."""
    pad = np.pad(labels, 1, constant_values=fill)
    rows, cols = labels.shape
    return np.stack(
        [
            pad[1 + dr : 1 + dr + rows, 1 + dc : 1 + dc + cols]
            for dr in (-1, 0, 1)
            for dc in (-1, 0, 1)
        ],
        axis=2,
    )


def _isolated(labels: NDArray[np.int32], index: int) -> bool:
    """True when segment ``index`` touches no other segment (8-neighbourhood)."""
    nb = _neighbour_labels(labels)[labels == index]
    return bool(((nb == index) | (nb < 0)).all())


def _assert_tiles(seg: Segments, area: NDArray[np.bool_], poa: POA) -> None:
    # Every in-area cell has exactly one label; labels only inside the area.
    assert np.array_equal(seg.labels >= 0, area)
    assert set(np.unique(seg.labels[area]).tolist()) == set(range(len(seg)))
    # Polygons: no gaps, no overlaps (beyond floating tolerance), each matches its cells.
    polys = seg.polygons()
    cell = seg.grid.cell_area_m2
    expected = float(area.sum()) * cell
    assert sum(p.area for p in polys) == pytest.approx(expected, rel=1e-9)
    assert shapely.union_all(polys).area == pytest.approx(expected, rel=1e-9)
    assert np.allclose([p.area for p in polys], seg.area_m2(), rtol=1e-9)
    # POA is conserved.
    assert float(seg.poa(poa).sum()) == pytest.approx(float(poa.cells[area].sum()), abs=1e-12)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**31 - 1),
    rows=st.integers(24, 56),
    cols=st.integers(24, 56),
    target_km2=st.sampled_from([0.08, 0.15, 0.3]),
    water=st.booleans(),
    planner_mask=st.booleans(),
)
def test_segments_tile_the_search_area(
    seed: int, rows: int, cols: int, target_km2: float, water: bool, planner_mask: bool
) -> None:
    grid, terrain, masks, poa = _scene(seed, rows, cols, water=water)
    mask = None
    if planner_mask:
        d = grid.distance_from(*grid.xy(rows // 2, cols // 2))
        mask = np.asarray(d <= 0.4 * RES * min(rows, cols))
    seg = segments_from_plan(
        grid, poa=poa, terrain=terrain, masks=masks, target_km2=target_km2, mask=mask
    )
    water_cells = masks.get(LayerKind.WATER)
    area = (mask if mask is not None else _top_95(poa.cells)) & ~water_cells
    _assert_tiles(seg, area, poa)

    # Sizes near the target: none above 2.5x; none below the minimum unless isolated.
    km2 = seg.area_m2() / 1e6
    assert km2.max() <= 2.5 * target_km2
    for i in np.flatnonzero(km2 < target_km2 / 4.0):
        assert _isolated(seg.labels, int(i)), (seg.ids[i], km2[i])

    # Stable, unique IDs: the same input gives the same segments and IDs.
    again = segments_from_plan(
        grid, poa=poa, terrain=terrain, masks=masks, target_km2=target_km2, mask=mask
    )
    assert again.ids == seg.ids
    assert len(set(seg.ids)) == len(seg.ids)
    assert np.array_equal(again.labels, seg.labels)


def test_ids_count_out_from_the_ipp() -> None:
    grid = _grid(40, 40)
    poa = poa_from_weights(grid, np.ones(grid.shape), rest_of_world=0.0, model="flat")
    seg = segments_from_plan(
        grid, poa=poa, terrain=None, masks=None, target_km2=0.2, mask=np.ones(grid.shape, bool)
    )
    assert seg.ids[:3] == ("A01", "A02", "A03")
    left, bottom, right, top = grid.bounds
    centre = np.array([(left + right) / 2.0, (bottom + top) / 2.0])
    d = np.hypot(*(seg.centroids_xy() - centre).T)
    assert np.all(np.diff(np.round(d[1:] / RES)) >= 0)
    assert seg.labels[20, 20] == 0  # the segment holding the centre comes first


def test_a_trail_splits_flat_ground() -> None:
    grid = _grid(30, 30)
    left, bottom, right, top = grid.bounds
    x = (left + right) / 2.0
    trail = Feature(LayerKind.TRAIL, LineString([(x, bottom - 10), (x, top + 10)]))
    masks = masks_from_layers(Layers((trail,), CRS), grid)
    poa = poa_from_weights(grid, np.ones(grid.shape), rest_of_world=0.0, model="flat")
    seg = segments_from_plan(
        grid, poa=poa, terrain=None, masks=masks, target_km2=0.5, mask=np.ones(grid.shape, bool)
    )
    # 0.81 km² in two halves of about 0.4 km², cut along the trail.
    assert len(seg) == 2
    cols_of = [set(np.nonzero(seg.labels == i)[1].tolist()) for i in range(2)]
    assert max(min(c) for c in cols_of) >= 13 and min(max(c) for c in cols_of) <= 16


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"target_km2": 0.0}, "target_km2"),
        ({"target_km2": -1.0}, "target_km2"),
        ({"target_km2": float("nan")}, "target_km2"),
        ({"target_km2": 0.001}, "target_km2"),
        ({"target_km2": 0.5, "min_km2": 0.6}, "min_km2"),
        ({"target_km2": 0.5, "mask": np.ones((3, 3), bool)}, "mask"),
        ({"target_km2": 0.5, "mask": np.zeros((30, 30), bool)}, "mask"),
        ({"target_km2": 0.5, "level": 1.5}, "level"),
    ],
)
def test_plan_segments_refuse_bad_parameters(kwargs: dict[str, Any], field: str) -> None:
    grid = _grid(30, 30)
    poa = poa_from_weights(grid, np.ones(grid.shape), rest_of_world=0.0, model="flat")
    with pytest.raises(InvalidParameterError, match=r"^" + re.escape(field + ":")):
        segments_from_plan(grid, poa=poa, terrain=None, masks=None, **kwargs)


def test_plan_segments_refuse_a_poa_on_another_grid() -> None:
    other = _grid(20, 20)
    poa = poa_from_weights(other, np.ones(other.shape), rest_of_world=0.0, model="flat")
    with pytest.raises(InvalidParameterError, match=r"^poa: must be on the planning grid"):
        segments_from_plan(_grid(30, 30), poa=poa, terrain=None, masks=None, target_km2=0.5)


# ---------------------------------------------------------------------------- the demo
@pytest.fixture(scope="module")
def demo_plan() -> Plan:
    inc = read_demo_incident()
    subject = subject_from_intake(inc.category, age=inc.age, missing_for=inc.missing_for)
    return plan_search(
        subject,
        LonLat(lon=inc.ipp_lon, lat=inc.ipp_lat),
        dem=read_demo_dem(),
        layers=read_demo_layers(),
        resolution_m=inc.resolution_m,
        extent_km=inc.extent_km,
    )


@pytest.fixture(scope="module")
def demo_segments(demo_plan: Plan) -> Segments:
    p = demo_plan
    return segments_from_plan(
        p.grid, poa=p.poa, terrain=p.terrain, masks=p.masks, target_km2=0.5, ipp_xy=p.ipp_xy
    )


def test_demo_segments_follow_trails(demo_plan: Plan, demo_segments: Segments) -> None:
    seg = demo_segments
    assert demo_plan.masks is not None
    water = demo_plan.masks.get(LayerKind.WATER)
    _assert_tiles(seg, _top_95(demo_plan.poa.cells) & ~water, demo_plan.poa)
    km2 = seg.area_m2() / 1e6
    assert 5 <= len(seg) <= 20
    assert km2.max() <= 1.25
    # A trail rarely runs through the middle of a segment: most trail cells lie on a
    # segment boundary (their 3x3 neighbourhood holds another label or the outside).
    trails = demo_plan.masks.any_of(LayerKind.TRAIL, LayerKind.ROAD) & (seg.labels >= 0)
    nb = _neighbour_labels(seg.labels)[trails]
    interior = (nb == seg.labels[trails][:, None]).all(axis=1)
    assert trails.sum() > 50
    assert interior.mean() < 0.25
    # The segment holding the IPP is A01.
    r, c = demo_plan.grid.index(*demo_plan.ipp_xy)
    assert seg.ids[seg.labels[r, c]] == "A01"


def test_demo_summary_and_features(
    demo_plan: Plan, demo_segments: Segments, tmp_path: Path
) -> None:
    seg, p = demo_segments, demo_plan
    infos = seg.summary(p.poa, p.terrain)
    assert [i.id for i in infos] == list(seg.ids)
    for info in infos:
        assert info.mean_slope_deg is not None and 0.0 <= info.mean_slope_deg < 60.0
        assert info.elevation_min_m is not None and info.elevation_max_m is not None
        assert info.elevation_min_m <= info.elevation_max_m
        assert info.impassable_share is not None and 0.0 <= info.impassable_share <= 1.0
        assert info.pden_per_km2 == pytest.approx(info.poa / info.area_km2)
    feats = segments_to_features(seg, p.poa, p.terrain, extra={"A01": {"pod": 0.4}})
    assert feats[0]["properties"]["id"] == "A01"
    assert feats[0]["properties"]["pod"] == 0.4
    assert set(feats[1]["properties"]) >= {"id", "area_km2", "poa", "pden", "mean_slope_deg"}
    lon, lat = np.asarray(shapely.get_coordinates(shapely.geometry.shape(feats[0]["geometry"]))).T
    assert np.all((lon > -85) & (lon < -84)) and np.all((lat > 36) & (lat < 37))
    with pytest.raises(InvalidParameterError, match=r"^extra: no segment"):
        segments_to_features(seg, p.poa, extra={"Z9": {}})

    # Written, read back and rebuilt as planner polygons: the same cells, the same IDs.
    out = tmp_path / "segments.geojson"
    write_segments_geojson(out, feats)
    assert json.loads(out.read_text())["features"][0]["properties"]["id"] == "A01"
    back = segments_from_polygons(p.grid, read_segments(out, p.grid))
    assert back.ids == seg.ids
    assert np.array_equal(back.labels, seg.labels)
    assert back.notes == ()


# ---------------------------------------------------------------------------- planner polygons
def _square(grid: GridSpec, r0: int, c0: int, r1: int, c1: int) -> Polygon:
    """Cells r0..r1-1, c0..c1-1 as a polygon."""
    left, _, _, top = grid.bounds
    return box(left + c0 * RES, top - r1 * RES, left + c1 * RES, top - r0 * RES)


def test_planner_polygons_tile_with_a_remainder() -> None:
    grid = _grid(20, 20)
    poa = poa_from_weights(grid, np.ones(grid.shape), rest_of_world=0.0, model="flat")
    seg = segments_from_polygons(
        grid, [("N", _square(grid, 0, 0, 10, 20)), ("SW", _square(grid, 10, 0, 20, 10))], poa=poa
    )
    assert seg.ids == ("N", "SW", REMAINDER_ID)
    assert seg.area_m2().tolist() == [200 * 900.0, 100 * 900.0, 100 * 900.0]
    assert any(n.startswith(f"{REMAINDER_ID}:") for n in seg.notes)
    assert float(seg.poa(poa).sum()) == pytest.approx(1.0)
    # Without a POA, cells outside every polygon stay outside.
    plain = segments_from_polygons(grid, [("N", _square(grid, 0, 0, 10, 20))])
    assert plain.ids == ("N",) and int((plain.labels < 0).sum()) == 200


def test_the_remainder_of_drawn_segments_leaves_out_water() -> None:
    grid = _grid(20, 20)
    poa = poa_from_weights(grid, np.ones(grid.shape), rest_of_world=0.0, model="flat")
    water = np.zeros(grid.shape, dtype=np.bool_)
    water[10:20, 15:20] = True  # a lake in the undrawn south-east
    water[0:2, 0:2] = True  # a pond inside a drawn segment
    masks = LayerMasks(grid, {LayerKind.WATER: water})
    drawn = [("N", _square(grid, 0, 0, 10, 20)), ("SW", _square(grid, 10, 0, 20, 10))]
    seg = segments_from_polygons(grid, drawn, poa=poa, level=1.0, masks=masks)
    rest = seg.labels == seg.ids.index(REMAINDER_ID)
    assert rest.sum() == 100 - 50  # the SE quarter without its lake
    assert not (rest & water).any()
    assert seg.labels[0, 0] == 0  # drawn segments keep every cell they hold


def test_overlapping_polygons_the_earlier_wins_with_a_note() -> None:
    grid = _grid(10, 10)
    seg = segments_from_polygons(
        grid, [("A", _square(grid, 0, 0, 10, 6)), ("B", _square(grid, 0, 4, 10, 10))]
    )
    assert seg.area_m2().tolist() == [60 * 900.0, 40 * 900.0]
    assert np.all(seg.labels[:, 4:6] == 0)
    assert len(seg.notes) == 1 and "'A' and 'B' overlap" in seg.notes[0]
    assert "belong to 'A'" in seg.notes[0]


@pytest.mark.parametrize(
    ("polygons", "message"),
    [
        ([("B3", Polygon([(740_000, 4_049_900), (740_100, 4_049_800), (740_200, 4_049_700)]))],
         "segment 'B3' has zero area"),
        ([("B3", LineString([(740_000, 4_049_900), (740_200, 4_049_700)]))],
         "segment 'B3' has zero area"),
        ([("B3", Polygon())], "segment 'B3' has zero area"),
        ([("far", box(0, 0, 100, 100))], "segment 'far' holds no cell"),
        ([("A", box(740_000, 4_049_700, 740_300, 4_050_000)),
          ("A", box(740_000, 4_049_400, 740_300, 4_049_700))], "the ID 'A' is used"),
        ([(" ", box(740_000, 4_049_700, 740_300, 4_050_000))], "segment 1 has an empty"),
        ([("A", box(740_000, 4_049_700, 740_300, 4_050_000)),
          ("B", box(740_030, 4_049_730, 740_200, 4_049_900))], "segment 'B' lies entirely"),
        ([], "no segments given"),
    ],
)  # fmt: skip
def test_bad_planner_polygons_are_refused(polygons: list[Any], message: str) -> None:
    with pytest.raises(
        InvalidParameterError, match=r"^(segments|polygons): .*" + re.escape(message)
    ):
        segments_from_polygons(_grid(20, 20), polygons)


def test_segments_validate_their_labels() -> None:
    grid = _grid(2, 2)
    with pytest.raises(InvalidParameterError, match="zero area"):
        Segments(grid, np.zeros((2, 2), np.int32), ("A", "B"))
    with pytest.raises(InvalidParameterError, match=r"^ids: duplicate"):
        Segments(grid, np.array([[0, 0], [1, 1]], np.int32), ("A", "A"))
    with pytest.raises(InvalidParameterError, match=r"^labels: must be int32"):
        Segments(grid, np.zeros((2, 2), np.int64), ("A",))


# ---------------------------------------------------------------------------- reading files
def _lonlat_ring(grid: GridSpec, poly: Polygon) -> list[list[float]]:
    ll = geometry_to_crs(poly, grid.crs, "EPSG:4326")
    assert isinstance(ll, Polygon)
    return [list(c) for c in ll.exterior.coords]


def test_read_segments_from_geojson_kml_and_gpx(tmp_path: Path) -> None:
    grid = _grid(20, 20)
    north, south = _square(grid, 0, 0, 10, 20), _square(grid, 10, 0, 20, 20)
    gj = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"id": "N1", "name": "north"},
             "geometry": {"type": "Polygon", "coordinates": [_lonlat_ring(grid, north)]}},
            {"type": "Feature", "properties": {"name": "S1"},
             "geometry": {"type": "Polygon", "coordinates": [_lonlat_ring(grid, south)]}},
        ],
    }  # fmt: skip
    (tmp_path / "s.geojson").write_text(json.dumps(gj))
    ring = " ".join(f"{x},{y}" for x, y in _lonlat_ring(grid, north))
    (tmp_path / "s.kml").write_text(
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>K1</name>'
        f"<Polygon><outerBoundaryIs><LinearRing><coordinates>{ring}</coordinates>"
        "</LinearRing></outerBoundaryIs></Polygon></Placemark></Document></kml>"
    )
    pts = "".join(f'<trkpt lat="{y}" lon="{x}"/>' for x, y in _lonlat_ring(grid, south))
    (tmp_path / "s.gpx").write_text(
        '<gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1">'
        '<wpt lat="36.5" lon="-84.3"><name>CP</name></wpt>'
        f"<trk><name>G1</name><trkseg>{pts}</trkseg></trk></gpx>"
    )
    got = read_segments(tmp_path / "s.geojson", grid)
    assert [i for i, _ in got] == ["N1", "S1"]
    assert got[0][1].symmetric_difference(north).area < 1.0
    seg = segments_from_polygons(grid, got)
    assert seg.area_m2().tolist() == [200 * 900.0, 200 * 900.0]
    (kid, kml_poly), = read_segments(tmp_path / "s.kml", grid)  # fmt: skip
    assert kid == "K1" and kml_poly.symmetric_difference(north).area < 1.0
    (gid, gpx_poly), = read_segments(tmp_path / "s.gpx", grid)  # fmt: skip
    assert gid == "G1" and gpx_poly.symmetric_difference(south).area < 1.0


def _geojson(tmp_path: Path, features: list[dict[str, Any]]) -> Path:
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def test_read_segments_refuses_what_is_not_a_segment(tmp_path: Path) -> None:
    grid = _grid(20, 20)
    ring = _lonlat_ring(grid, _square(grid, 0, 0, 10, 10))
    poly = {"type": "Polygon", "coordinates": [ring]}
    with pytest.raises(InvalidLayerError, match=r"^segments: feature 1 in 'bad.geojson' has no ID"):
        read_segments(
            _geojson(tmp_path, [{"type": "Feature", "properties": {}, "geometry": poly}]), grid
        )
    point = {"type": "Point", "coordinates": ring[0]}
    with pytest.raises(InvalidLayerError, match="is a Point; segments must be polygons"):
        read_segments(
            _geojson(tmp_path, [{"type": "Feature", "properties": {"id": "P"}, "geometry": point}]),
            grid,
        )
    line = {"type": "LineString", "coordinates": ring[:3]}
    with pytest.raises(InvalidLayerError, match="is a line that is not closed"):
        read_segments(
            _geojson(tmp_path, [{"type": "Feature", "properties": {"id": "L"}, "geometry": line}]),
            grid,
        )
    with pytest.raises(InvalidLayerError, match=r"unsupported file type '\.shp'"):
        read_segments(tmp_path / "x.shp", grid)
    # A polygon with zero area reads (repaired to nothing) and is refused by ID.
    flat = {"type": "Polygon", "coordinates": [[ring[0], ring[1], ring[0], ring[0]]]}
    got = read_segments(
        _geojson(tmp_path, [{"type": "Feature", "properties": {"id": "B3"}, "geometry": flat}]),
        grid,
    )
    with pytest.raises(InvalidParameterError, match=r"^segments: segment 'B3' has zero area"):
        segments_from_polygons(grid, got)
