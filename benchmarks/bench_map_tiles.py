"""Benchmark the map server's products on a 4 M-cell plan: tiles, contours, GeoJSON.

Usage::

    .venv/bin/python benchmarks/bench_map_tiles.py [--cells 2000] [--tiles 40] [--keep DIR]

Scene (fixed seed): a plan directory written by :func:`wayhome.io.plan_dir.write_plan_dir`
on a 10 km x 10 km grid of 5 m cells (2000 x 2000, 4.0 M cells) in UTM 16N near the demo's
last-seen point: a fractal DEM (1/f² spectrum, about 600 m of relief), a POA peaked on it,
100 square segments of 1 km², a trail and a stream, one search in the evidence log
replayed into the posterior.

Timed, through :class:`wayhome.basemap.MapCache` as the server uses it (the library call
the route makes, without HTTP):

* **read**: the plan directory read and its version taken (``MapCache.get``, cold);
* **hillshade / POA pyramid (cold)**: the first tile of a plan version, which computes the
  hillshade (Horn) or takes the POA and warps it into a web-mercator pyramid;
* **tile (warm)**: the median and 95th percentile of single tiles once the pyramid level
  is there (bilinear sample of the level, palette index, PNG), over ``--tiles`` tiles at
  each zoom of a first screen (the plan filling about 1280 x 800 px) and at the highest
  zoom; the server's tile cache is bypassed (every tile is new to it);
* **cached tile**: a tile asked again (the server's LRU of encoded tiles);
* **contours / segments / regions / layers**: the GeoJSON, cold (made) and warm (kept);
* **first screen, cold**: a fresh cache, one thread: read, ``/map``, every hillshade and
  POA tile of the first screen, and the segments: what a page needs to draw (the issue
  wants first meaningful paint < 2 s on a 4 M-cell POA).

Prints Markdown: a machine header, then the table (seconds or milliseconds as labelled).
"""

from __future__ import annotations

import argparse
import math
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import numpy as np
from affine import Affine
from numpy.typing import NDArray
from shapely.geometry import LineString

from bench_plan import machine_line
from wayhome.basemap import MapCache, PlanMap, tiles_over
from wayhome.basemap.tiles import heat_png, shade_png
from wayhome.geo.coords import lonlat_of
from wayhome.geo.grid import GridSpec
from wayhome.geo.layers import Feature, LayerKind, Layers
from wayhome.io.plan_dir import PlanState, write_plan_dir
from wayhome.probability.poa import poa_from_weights
from wayhome.search.evidence import EvidenceLog, SearchEvidence, replay
from wayhome.search.segments import Segments

CRS = "EPSG:32616"
ORIGIN = (735_000.0, 4_055_000.0)
RESOLUTION_M = 5.0
SCREEN_PX = (1280, 800)
T = TypeVar("T")


def fractal_dem(n: int, rng: np.random.Generator) -> NDArray[np.float32]:
    """A 1/f² (Brownian) surface scaled to about 600 m of relief, 300-900 m."""
    kx = np.fft.rfftfreq(n)[None, :]
    ky = np.fft.fftfreq(n)[:, None]
    k = np.hypot(kx, ky)
    k[0, 0] = 1.0
    spectrum = (rng.standard_normal(k.shape) + 1j * rng.standard_normal(k.shape)) / k**2
    spectrum[0, 0] = 0.0
    z = np.fft.irfft2(spectrum, s=(n, n))
    z = (z - z.min()) / (z.max() - z.min())
    dem: NDArray[np.float32] = (300.0 + 600.0 * z).astype(np.float32)
    return dem


def make_plan(out: Path, n: int) -> Path:
    """Write the benchmark's plan directory (see the module docstring)."""
    rng = np.random.default_rng(6)
    grid = GridSpec(
        crs=CRS,
        transform=Affine(RESOLUTION_M, 0.0, ORIGIN[0], 0.0, -RESOLUTION_M, ORIGIN[1]),
        shape=(n, n),
    )
    rows, cols = np.mgrid[0:n, 0:n].astype(np.float64)
    ring = np.hypot(cols - 0.5 * n, rows - 0.5 * n) * RESOLUTION_M / 1000.0  # km
    weights = np.exp(-((np.log(ring + 0.05) + 0.2) ** 2) / 1.2) / (ring + 0.05)
    prior = poa_from_weights(grid, weights, rest_of_world=0.05, model="rings")
    side = max(1, n // 10)
    labels = ((rows // side) * math.ceil(n / side) + cols // side).astype(np.int32)
    segments = Segments(grid, labels, tuple(f"S{i + 1}" for i in range(int(labels.max()) + 1)))
    tracks = []
    for i in range(5):
        y = ORIGIN[1] - (0.3 + 0.1 * i) * n * RESOLUTION_M
        a, b = (
            lonlat_of(ORIGIN[0] + 0.3 * n * RESOLUTION_M, y, CRS),
            lonlat_of(ORIGIN[0] + 0.7 * n * RESOLUTION_M, y, CRS),
        )
        tracks.append(((a.lon, a.lat), (b.lon, b.lat)))
    log = EvidenceLog(
        entries=(
            SearchEvidence(
                id="T1-P1", time=datetime(2026, 6, 1, 16, tzinfo=UTC), team="T1",
                resource="ground_grid", sweep_width_m=30.0, tracks_lonlat=tuple(tracks),
            ),
        )
    )  # fmt: skip
    w, e = ORIGIN[0] + 100.0, ORIGIN[0] + n * RESOLUTION_M - 100.0
    s, nn = ORIGIN[1] - n * RESOLUTION_M + 100.0, ORIGIN[1] - 100.0
    layers = Layers(
        (
            Feature(kind=LayerKind.TRAIL, geometry=LineString([(w, s), (e, nn)]), name="Trail"),
            Feature(kind=LayerKind.STREAM, geometry=LineString([(w, nn), (e, s)]), name="Creek"),
        ),
        CRS,
    )
    ipp = (ORIGIN[0] + 0.5 * n * RESOLUTION_M, ORIGIN[1] - 0.5 * n * RESOLUTION_M)
    state = PlanState(
        grid=grid, poa=replay(prior, log), prior=prior,
        summary={"subject": {"category": "hiker", "missing_for_h": 24.0},
                 "ipp": {"x": ipp[0], "y": ipp[1]}, "period": 1},
        ipp_xy=ipp, elevation=fractal_dem(n, rng), layers=layers, segments=segments,
        evidence=log,
    )  # fmt: skip
    return write_plan_dir(state, out)


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    """(result, seconds)."""
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def screen_zoom(m: PlanMap) -> int:
    """The zoom at which the whole plan fits the screen."""
    west, south, east, north = m.info().bounds
    lat = math.radians((south + north) / 2)
    width_m = (east - west) / 360.0 * 40_075_016.7 * math.cos(lat)
    for z in range(22, -1, -1):
        pixel = 40_075_016.7 * math.cos(lat) / (256 * 2**z)
        if width_m / pixel <= SCREEN_PX[0] * 0.9:
            return z
    return 0


def screen_tiles(m: PlanMap, z: int) -> list[tuple[int, int, int]]:
    """The tiles over the plan at zoom ``z`` that it covers."""
    return [t for t in tiles_over(m.info().bounds, z) if m.covers(*t)]


def tile_times(m: PlanMap, kind: str, tiles: list[tuple[int, int, int]]) -> tuple[float, float]:
    """Median and p95 in ms of rendering each tile from scratch (no tile cache)."""
    times = []
    # The pyramid level these tiles need is made by the first (a cold cost, timed apart).
    (m.hillshade_pyramid() if kind == "hillshade" else m.poa_pyramid("posterior")).tile(*tiles[0])
    for t in tiles:
        if kind == "hillshade":
            pyramid = m.hillshade_pyramid()
            start = time.perf_counter()
            values = pyramid.tile(*t)
            shade_png(values)
        else:
            pyramid = m.poa_pyramid("posterior")
            peak = float(m.state.poa.cells.max())
            start = time.perf_counter()
            values = pyramid.tile(*t)
            heat_png(values, peak)
        times.append((time.perf_counter() - start) * 1000.0)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(0.95 * len(times)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", type=int, default=2000, help="cells per side (default 2000)")
    parser.add_argument("--tiles", type=int, default=40, help="tiles timed per zoom")
    parser.add_argument("--keep", type=Path, default=None, help="write the plan here and keep it")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-map-"))
    plan_dir = args.keep or work / "plan"
    try:
        _, made = timed(lambda: make_plan(plan_dir, args.cells))
        rows: list[tuple[str, str]] = []

        # First screen, cold: what a page does on a fresh server.
        cache = MapCache()
        start = time.perf_counter()
        m = cache.get(plan_dir)
        m.info()
        z0 = screen_zoom(m)
        first = screen_tiles(m, z0)
        for t in first:
            m.hillshade_tile(*t)
            m.poa_tile("posterior", *t)
        m.segments_geojson()
        first_screen = time.perf_counter() - start

        # The pieces, each on a fresh cache.
        m, read = timed(lambda: MapCache().get(plan_dir))
        _, info = timed(m.info)
        t0 = first[0]
        _, hs_cold = timed(lambda: m.hillshade_tile(*t0))
        _, poa_cold = timed(lambda: m.poa_tile("posterior", *t0))
        _, cached = timed(lambda: m.poa_tile("posterior", *t0))
        rows += [
            ("plan written (setup, not served)", f"{made:.2f} s"),
            ("read plan + version (cold `MapCache.get`)", f"{read:.2f} s"),
            ("`/map` set-up", f"{info * 1000:.1f} ms"),
            ("hillshade: first tile (Horn + pyramid, cold)", f"{hs_cold:.2f} s"),
            ("POA: first tile (pyramid, cold)", f"{poa_cold:.2f} s"),
            ("tile asked again (server LRU)", f"{cached * 1000:.2f} ms"),
        ]
        zmin, zmax = m.zoom_range()
        for z in (z0, z0 + 1, z0 + 2, zmax):
            tiles = screen_tiles(m, z)
            step = max(1, len(tiles) // args.tiles)
            sample = tiles[::step][: args.tiles]
            for kind in ("hillshade", "POA"):
                med, p95 = tile_times(m, kind.lower(), sample)
                rows.append(
                    (f"{kind} tile, warm, z{z} ({len(sample)} tiles)",
                     f"median {med:.1f} ms · p95 {p95:.1f} ms")
                )  # fmt: skip
        for name, fn in (
            ("contours", m.contours_geojson),
            ("segments", m.segments_geojson),
            ("regions", m.regions_geojson),
            ("layers", m.layers_geojson),
        ):
            body, cold = timed(fn)
            _, warm = timed(fn)
            rows.append(
                (f"{name}.geojson cold / warm ({len(body) / 1e6:.2f} MB)",
                 f"{cold:.2f} s / {warm * 1e6:.0f} µs")
            )  # fmt: skip
        rows.append(
            (f"**first screen, cold** (read, `/map`, {len(first)} hillshade + {len(first)} "
             f"POA tiles at z{z0}, segments; 1 thread)", f"**{first_screen:.2f} s**")
        )  # fmt: skip
        print(f"Machine: {machine_line()}\n")
        n = args.cells
        print(
            f"Plan: {n} × {n} cells of {RESOLUTION_M:g} m ({n * n / 1e6:.1f} M cells), zoom "
            f"range {zmin}–{zmax}, first screen z{z0} ({SCREEN_PX[0]} × {SCREEN_PX[1]} px).\n"
        )
        print("| step | time |\n|---|---|")
        for label, value in rows:
            print(f"| {label} | {value} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
