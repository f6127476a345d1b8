"""Build the demo's invented vector layers from the real demo terrain.

Writes ``src/wayhome/demo/data/layers.geojson``: the trail, the forest road, the creek,
a beaver pond, the cliff band, the neighbour's land and the east-ridge hunting zone of
the demo incident (see ``src/wayhome/demo/data/README.md``). Every feature is derived
from the USGS elevation model that ships with matplotlib, so the layers sit where the
terrain says they could: the trail and road are least-cost paths over slope, the creek
is a steepest-descent flow path, the cliff band follows a contour through the steepest
slope near the picnic area, the hunting zone is the crest of the ridge east of it.

The output is deterministic: run it again and the file does not change::

    .venv/bin/python scripts/make_demo_layers.py

The chosen points are DEM cells ``(row, col)``; row 0 is the northern edge.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import Transformer
from shapely import ops
from shapely.geometry import LineString, MultiPoint, Point, Polygon, mapping
from shapely.geometry.base import BaseGeometry
from skimage.graph import route_through_array
from skimage.measure import find_contours, label

from wayhome.io.atomic import write_text_atomic
from wayhome.io.demo import read_demo_dem
from wayhome.io.raster import RasterData

OUTPUT = Path(__file__).resolve().parents[1] / "src/wayhome/demo/data/layers.geojson"

#: Working CRS for lengths and buffers: UTM zone 16N, which holds the whole demo DEM.
METRIC_CRS = "EPSG:32616"

# ------------------------------------------------------------------ the story's places
#: The picnic area (IPP): a bench on the north-west side of the valley, by the trail.
IPP_CELL = (229, 160)
#: Trailhead car park and staging area, down the valley on the valley floor.
TRAILHEAD_CELL = (238, 151)
#: Where the trail ends: the saddle at the head of the creek's north branch.
TRAIL_END_CELL = (196, 185)
#: Where the forest road leaves the map: down the valley to the west.
ROAD_END_CELL = (262, 92)
#: Source of the creek, high in the north branch above the picnic area.
CREEK_SOURCE_CELL = (199, 184)
#: The creek is followed this far downstream (metres).
CREEK_LENGTH_M = 12_000.0
#: The cliff band is looked for this far from the IPP (metres) ...
CLIFF_RING_M = (900.0, 2_000.0)
#: ... inside this sector of bearings from the IPP (degrees, clockwise from north),
#: which is also where the neighbour's land lies.
CLIFF_SECTOR_DEG = (250.0, 360.0)
#: Length of the cliff band along its contour and its width (metres).
CLIFF_LENGTH_M = 700.0
CLIFF_WIDTH_M = 30.0
#: The neighbour's land: corners as (east, north) kilometres from the IPP.
PRIVATE_CORNERS_KM = ((0.3, 0.8), (0.35, 3.1), (-3.2, 2.9), (-3.4, -0.4), (-1.0, -0.3), (-0.8, 0.8))
#: The hunting zone: ridge-top cells above this elevation (m) in this window east of the IPP.
HUNT_MIN_ELEVATION_M = 800.0
HUNT_WINDOW = ((222, 262), (172, 205))
#: The beaver pond: the flattest valley-floor cells around this cell.
POND_CELL = (217, 173)
POND_MAX_SLOPE_DEG = 7.0
POND_MAX_RISE_M = 6.0
POND_REACH = 3

NAMES = {
    "trail": "Wrenfield Creek Trail",
    "road": "Forest Road 7 (Wrenfield Road)",
    "stream": "Wrenfield Creek",
    "water": "Beaver pond",
    "cliff": "Owl Rock cliff band",
    "private": "Harlan Ridge Hunting Club land (fictional)",
    "hazard": "East Ridge hunting zone (hunting party active)",
}

_NEIGHBOURS = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))


# ------------------------------------------------------------------ terrain helpers
class Terrain:
    """The DEM with cell sizes in metres and conversions between cells and coordinates."""

    def __init__(self, dem: RasterData) -> None:
        self.dem = dem
        self.z = dem.values.astype(np.float64)
        t = dem.transform
        rows, _ = self.z.shape
        mid_lat = t.f + t.e * rows / 2.0
        self.dx_m = t.a * 111_320.0 * math.cos(math.radians(mid_lat))
        self.dy_m = -t.e * 110_574.0
        filled = np.where(np.isnan(self.z), np.nanmax(self.z), self.z)
        gy, gx = np.gradient(filled, self.dy_m, self.dx_m)
        self.slope_deg: NDArray[np.float64] = np.degrees(np.arctan(np.hypot(gx, gy)))
        self.to_metric = Transformer.from_crs(dem.crs, METRIC_CRS, always_xy=True)
        self.to_lonlat = Transformer.from_crs(METRIC_CRS, dem.crs, always_xy=True)

    def lonlat(self, row: float, col: float) -> tuple[float, float]:
        """Lon/lat of the centre of cell (row, col)."""
        lon, lat = self.dem.transform @ (col + 0.5, row + 0.5)
        return (float(lon), float(lat))

    def xy(self, row: float, col: float) -> tuple[float, float]:
        """UTM (x, y) of the centre of cell (row, col)."""
        x, y = self.to_metric.transform(*self.lonlat(row, col))
        return (float(x), float(y))

    def cells_to_line(self, cells: list[tuple[int, int]]) -> LineString:
        """A UTM line through the centres of a chain of cells."""
        return LineString([self.xy(r, c) for r, c in cells])

    def distance_m(self, a: tuple[int, int], b: tuple[int, int]) -> float:
        """Straight-line distance between two cell centres (metres)."""
        return math.hypot((a[0] - b[0]) * self.dy_m, (a[1] - b[1]) * self.dx_m)


def _smooth(line: LineString, *, tolerance_m: float, rounds: int = 2) -> LineString:
    """Simplify a cell-to-cell staircase, then round its corners (Chaikin)."""
    pts = np.asarray(line.simplify(tolerance_m, preserve_topology=False).coords)
    for _ in range(rounds):
        if len(pts) < 3:
            break
        q = 0.75 * pts[:-1] + 0.25 * pts[1:]
        r = 0.25 * pts[:-1] + 0.75 * pts[1:]
        inner = np.empty((2 * len(q), 2))
        inner[0::2], inner[1::2] = q, r
        pts = np.vstack([pts[:1], inner, pts[-1:]])
    return LineString(pts)


def _route(
    terrain: Terrain, cost: NDArray[np.float64], *stops: tuple[int, int]
) -> list[tuple[int, int]]:
    """Least-cost chain of cells through each stop in turn."""
    cells: list[tuple[int, int]] = [stops[0]]
    for a, b in itertools.pairwise(stops):
        path, _ = route_through_array(  # type: ignore[no-untyped-call]
            cost, a, b, fully_connected=True, geometric=True
        )
        cells.extend((int(r), int(c)) for r, c in path[1:])
    return cells


def _filled(z: NDArray[np.float64]) -> NDArray[np.float64]:
    """The DEM with its pits filled (priority flood), each cell a hair above the last.

    Water then always has a way downhill to the edge of the DEM, so a flow path does not
    stall in a pit of the 3″ model or climb out of it into the wrong valley.
    """
    rows, cols = z.shape
    out = np.where(np.isnan(z), -np.inf, z).astype(np.float64)
    done = np.zeros(z.shape, dtype=bool)
    heap: list[tuple[float, int, int]] = []
    for r in range(rows):
        for c in range(cols):
            if r in (0, rows - 1) or c in (0, cols - 1):
                heapq.heappush(heap, (out[r, c], r, c))
                done[r, c] = True
    while heap:
        h, r, c = heapq.heappop(heap)
        for dr, dc in _NEIGHBOURS:
            rr, cc = r + dr, c + dc
            if 0 <= rr < rows and 0 <= cc < cols and not done[rr, cc]:
                done[rr, cc] = True
                out[rr, cc] = max(out[rr, cc], h + 1e-3)
                heapq.heappush(heap, (out[rr, cc], rr, cc))
    return out


def _flow_path(terrain: Terrain, start: tuple[int, int], max_m: float) -> list[tuple[int, int]]:
    """Steepest-descent path from ``start`` over the pit-filled DEM."""
    z = _filled(terrain.z)
    rows, cols = z.shape
    path = [start]
    length = 0.0
    r, c = start
    while length < max_m and 0 < r < rows - 1 and 0 < c < cols - 1:
        best = (r, c)
        best_score = 0.0
        for dr, dc in _NEIGHBOURS:
            rr, cc = r + dr, c + dc
            score = (z[r, c] - z[rr, cc]) / math.hypot(dr * terrain.dy_m, dc * terrain.dx_m)
            if score > best_score:
                best, best_score = (rr, cc), score
        if best == (r, c):
            break
        length += terrain.distance_m((r, c), best)
        r, c = best
        path.append(best)
    return path


def _near(cells: list[tuple[int, int]], shape: tuple[int, int]) -> NDArray[np.bool_]:
    """Mask of the cells of a chain and their 8 neighbours."""
    mask = np.zeros(shape, dtype=bool)
    for r, c in cells:
        mask[max(r - 1, 0) : r + 2, max(c - 1, 0) : c + 2] = True
    return mask


# ------------------------------------------------------------------ the features
def _creek(terrain: Terrain) -> tuple[list[tuple[int, int]], LineString]:
    cells = _flow_path(terrain, CREEK_SOURCE_CELL, CREEK_LENGTH_M)
    return cells, _smooth(terrain.cells_to_line(cells), tolerance_m=40.0)


def _walking_cost(terrain: Terrain, creek: list[tuple[int, int]], steep: float) -> NDArray[Any]:
    """Cost of building a path: grows with slope; the creek bed itself is avoided."""
    cost = 1.0 + (terrain.slope_deg / steep) ** 2
    bed = np.zeros(terrain.z.shape, dtype=bool)
    bed[tuple(np.array(creek).T)] = True
    cost[bed] += 2.0
    cost[np.isnan(terrain.z)] = 1e6
    return cost


def _trail(terrain: Terrain, creek: list[tuple[int, int]]) -> LineString:
    cost = _walking_cost(terrain, creek, steep=8.0)
    cells = _route(terrain, cost, TRAILHEAD_CELL, IPP_CELL, TRAIL_END_CELL)
    return _smooth(terrain.cells_to_line(cells), tolerance_m=30.0)


def _road(terrain: Terrain, creek: list[tuple[int, int]]) -> LineString:
    cost = _walking_cost(terrain, creek, steep=5.0)
    cells = _route(terrain, cost, TRAILHEAD_CELL, ROAD_END_CELL)
    return _smooth(terrain.cells_to_line(cells), tolerance_m=40.0)


def _pond(terrain: Terrain) -> Polygon:
    """The flat valley-floor cells around :data:`POND_CELL`, as a rounded polygon."""
    r0, c0 = POND_CELL
    near = np.zeros(terrain.z.shape, dtype=bool)
    near[r0 - POND_REACH : r0 + POND_REACH + 1, c0 - POND_REACH : c0 + POND_REACH + 1] = True
    flat = (
        near
        & (terrain.slope_deg <= POND_MAX_SLOPE_DEG)
        & (terrain.z <= terrain.z[r0, c0] + POND_MAX_RISE_M)
    )
    if not flat[r0, c0]:
        raise RuntimeError(f"the pond cell {POND_CELL} is not on flat ground")
    labels = label(flat, connectivity=1)  # type: ignore[no-untyped-call]
    rows, cols = np.nonzero(labels == labels[r0, c0])
    pts = MultiPoint([terrain.xy(int(r), int(c)) for r, c in zip(rows, cols, strict=True)])
    hull = pts.convex_hull.buffer(35.0, quad_segs=4)
    return _as_polygon(hull.simplify(5.0))


def _bearing_deg(dx: float, dy: float) -> float:
    return math.degrees(math.atan2(dx, dy)) % 360.0


def _cliff(terrain: Terrain) -> Polygon:
    """A band along the contour through the steepest cell in the ring and sector."""
    z, slope = terrain.z, terrain.slope_deg
    rows, cols = np.indices(z.shape)
    ipp_r, ipp_c = IPP_CELL
    east = (cols - ipp_c) * terrain.dx_m
    north = (ipp_r - rows) * terrain.dy_m
    dist = np.hypot(east, north)
    bearing = np.degrees(np.arctan2(east, north)) % 360.0
    lo, hi = CLIFF_SECTOR_DEG
    candidates = (
        (dist >= CLIFF_RING_M[0]) & (dist <= CLIFF_RING_M[1]) & (bearing >= lo) & (bearing <= hi)
    )
    steep = np.where(candidates, slope, -1.0)
    r, c = (int(i) for i in np.unravel_index(int(np.argmax(steep)), z.shape))
    level = float(z[r, c])
    # Trace the contour at that elevation in a window around the cell and keep the piece
    # through the cell, cut to the band's length on either side of it.
    half = 12
    r0, c0 = max(r - half, 0), max(c - half, 0)
    window = z[r0 : r + half + 1, c0 : c + half + 1]
    here = Point(terrain.xy(r, c))
    best: LineString | None = None
    for contour in find_contours(window, level):  # type: ignore[no-untyped-call]
        line = LineString([terrain.xy(r0 + float(p[0]), c0 + float(p[1])) for p in contour])
        if len(line.coords) >= 2 and (best is None or line.distance(here) < best.distance(here)):
            best = line
    if best is None:  # pragma: no cover - the contour through a cell always exists
        raise RuntimeError("no contour through the steepest cell")
    at = best.project(here)
    piece = ops.substring(best, max(at - CLIFF_LENGTH_M / 2, 0.0), at + CLIFF_LENGTH_M / 2)
    band = _smooth(LineString(piece.coords), tolerance_m=10.0).buffer(
        CLIFF_WIDTH_M / 2, quad_segs=2
    )
    return _as_polygon(band.simplify(3.0))


def _private(terrain: Terrain) -> Polygon:
    x0, y0 = terrain.xy(*IPP_CELL)
    return Polygon([(x0 + e * 1000.0, y0 + n * 1000.0) for e, n in PRIVATE_CORNERS_KM])


def _hunting_zone(terrain: Terrain) -> Polygon:
    """The ridge-top cells above :data:`HUNT_MIN_ELEVATION_M`, as a smoothed outline."""
    (r0, r1), (c0, c1) = HUNT_WINDOW
    high = np.zeros(terrain.z.shape, dtype=bool)
    high[r0:r1, c0:c1] = terrain.z[r0:r1, c0:c1] >= HUNT_MIN_ELEVATION_M
    labels = label(high, connectivity=2)  # type: ignore[no-untyped-call]
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    rows, cols = np.nonzero(labels == int(np.argmax(sizes)))
    cells = [terrain.xy(int(r), int(c)) for r, c in zip(rows, cols, strict=True)]
    blob = ops.unary_union([Point(p).buffer(90.0, quad_segs=4) for p in cells])
    outline = blob.buffer(60.0, quad_segs=4).buffer(-60.0, quad_segs=4)
    return _as_polygon(outline.simplify(40.0))


def _as_polygon(geom: BaseGeometry) -> Polygon:
    """The largest polygon of ``geom`` without holes."""
    if isinstance(geom, Polygon):
        return Polygon(geom.exterior)
    parts = [g for g in getattr(geom, "geoms", ()) if isinstance(g, Polygon)]
    if not parts:
        raise RuntimeError(f"expected a polygon, got {geom.geom_type}")
    return Polygon(max(parts, key=lambda p: p.area).exterior)


# ------------------------------------------------------------------ output
def _feature(terrain: Terrain, kind: str, geom: BaseGeometry) -> dict[str, Any]:
    back = terrain.to_lonlat
    lonlat = shapely.transform(geom, lambda xy: np.column_stack(back.transform(xy[:, 0], xy[:, 1])))
    rounded = _round(mapping(lonlat))
    return {
        "type": "Feature",
        "properties": {"kind": kind, "name": NAMES[kind]},
        "geometry": rounded,
    }


def _round(obj: Any) -> Any:
    """Round every coordinate of a GeoJSON geometry mapping to 6 decimals (~0.1 m)."""
    if isinstance(obj, dict):
        return {k: _round(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_round(v) for v in obj]
    if isinstance(obj, float):
        return round(obj, 6)
    return obj


def demo_points(dem: RasterData) -> dict[str, float]:
    """IPP and staging area of the demo, lon/lat rounded to 6 decimals."""
    terrain = Terrain(dem)
    ipp_lon, ipp_lat = terrain.lonlat(*IPP_CELL)
    st_lon, st_lat = terrain.lonlat(*TRAILHEAD_CELL)
    return {
        "ipp_lat": round(ipp_lat, 6),
        "ipp_lon": round(ipp_lon, 6),
        "staging_lat": round(st_lat, 6),
        "staging_lon": round(st_lon, 6),
    }


def build_layers(dem: RasterData) -> dict[str, Any]:
    """The demo layers as a GeoJSON FeatureCollection (lon/lat, EPSG:4326).

    Parameters
    ----------
    dem : RasterData
        The demo elevation model (:func:`wayhome.io.demo.read_demo_dem`).
    """
    terrain = Terrain(dem)
    creek_cells, creek = _creek(terrain)
    features = [
        _feature(terrain, "trail", _trail(terrain, creek_cells)),
        _feature(terrain, "road", _road(terrain, creek_cells)),
        _feature(terrain, "stream", creek),
        _feature(terrain, "water", _pond(terrain)),
        _feature(terrain, "cliff", _cliff(terrain)),
        _feature(terrain, "private", _private(terrain)),
        _feature(terrain, "hazard", _hunting_zone(terrain)),
    ]
    return {
        "type": "FeatureCollection",
        "name": "wayhome demo layers (invented)",
        "features": features,
    }


def dumps(collection: dict[str, Any]) -> str:
    """GeoJSON text with one feature per line (small, and diffs stay readable)."""
    head = {k: v for k, v in collection.items() if k != "features"}
    body = ",\n".join(json.dumps(f, separators=(",", ":")) for f in collection["features"])
    opening = json.dumps(head)[:-1] + ', "features": [\n'
    return opening + body + "\n]}\n"


def main(argv: list[str] | None = None) -> int:
    """Write the layers (or, with ``--check``, fail when the file is out of date)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    dem = read_demo_dem()
    text = dumps(build_layers(dem))
    if args.check:
        same = args.output.is_file() and args.output.read_text("utf-8") == text
        print("up to date" if same else f"{args.output} is out of date; run without --check")
        return 0 if same else 1
    write_text_atomic(args.output, text)
    print(f"wrote {args.output} ({len(text.encode()) / 1024:.0f} KB)")
    print("points for incident.json:", json.dumps(demo_points(dem)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
