"""Benchmark the debrief: GPS tracks -> coverage -> POD -> Bayesian POA update, on 4 M cells.

Usage::

    .venv/bin/python benchmarks/bench_debrief.py [--repeat N] [--reference-tracks N]

Scene (fixed seed): a 20 km x 20 km grid of 10 m cells (2001 x 2001, 4.0 M cells) in UTM
17N around 36.58 N, 84.25 W, with a prior POA falling off with distance from the centre
and 5 % rest of world. 50 synthetic field tracks of 10,000 points each (500,000 points):
25 correlated random walks (hasty teams: 1–5 m between fixes, the heading drifting) and
25 lawnmower sweeps of 1 km x 1 km blocks (lines 30 m apart, 2 m GPS noise), all inside
the grid, given as longitude/latitude like a GPX file. Sweep width W = 30 m.

Timed (median of ``--repeat`` runs, warm; the first call, which loads the numba kernel
from its cache or compiles it, is reported on its own): ``tracks_to_grid_xy``
(reprojection to the grid CRS), ``coverage_from_tracks`` (rasterising the swaths),
``POD = 1 - exp(-C)`` and ``poa_after_search``. Target (issue): all of it < 1 s.

Reference, in the same run on the same input: a plain per-cell NumPy implementation
(:func:`reference_coverage`: a Python loop over every track point, each stamping the disc
of cells whose centres lie within W/2 into the pass's mask with NumPy slices, the
masks of all passes summed; then the Bayes update written out in NumPy). It is run on
every ``50 / --reference-tracks``-th track and its time scaled to 50 tracks (the
message says so); the two are compared on that subset (swept area and the total
variation distance between the two posteriors).

Prints Markdown: a machine header, then the table.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numba
import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import LineString

from bench_plan import machine_line
from wayhome.geo.coords import LonLat, geometry_to_crs, to_crs
from wayhome.geo.grid import GridSpec
from wayhome.probability.poa import POA, poa_from_weights
from wayhome.search.bayes import poa_after_search
from wayhome.search.coverage import coverage_from_tracks, tracks_to_grid_xy

CRS = "EPSG:32617"
CENTRE = LonLat(lon=-84.25, lat=36.58)
RESOLUTION_M = 10.0
EXTENT_M = 20_000.0
N_TRACKS = 50
N_POINTS = 10_000
SWEEP_WIDTH_M = 30.0
SEED = 11
TARGET_S = 1.0

T = TypeVar("T")


@dataclass(frozen=True)
class Scene:
    """The grid, the prior and the tracks (longitude/latitude and grid metres)."""

    grid: GridSpec
    prior: POA
    lonlat: list[NDArray[np.float64]]
    xy: list[NDArray[np.float64]]


# ---------------------------------------------------------------------------- scene
def random_walk(rng: np.random.Generator, start: NDArray[np.float64]) -> NDArray[np.float64]:
    """A hasty team: fixes 1–5 m apart, heading drifting by a few degrees per fix."""
    steps = rng.uniform(1.0, 5.0, N_POINTS - 1)
    heading = rng.uniform(0.0, 2 * math.pi) + np.cumsum(rng.normal(0.0, 0.08, N_POINTS - 1))
    moves = np.column_stack([steps * np.cos(heading), steps * np.sin(heading)])
    return np.vstack([start, start + np.cumsum(moves, axis=0)])


def lawnmower(rng: np.random.Generator, corner: NDArray[np.float64]) -> NDArray[np.float64]:
    """A grid search of a 1 km block: lines W apart, 2 m GPS noise, N_POINTS fixes."""
    n_lines = 34
    per_line = N_POINTS // n_lines + 1
    xs = np.linspace(0.0, 1000.0, per_line)
    lines = []
    for k in range(n_lines):
        x = xs if k % 2 == 0 else xs[::-1]
        lines.append(np.column_stack([x, np.full(per_line, k * SWEEP_WIDTH_M)]))
    xy = np.vstack(lines)[:N_POINTS] + corner
    return xy + rng.normal(0.0, 2.0, xy.shape)


def make_scene() -> Scene:
    """The grid, a distance-decay prior and 50 tracks, from a fixed seed."""
    cx, cy = to_crs(CENTRE, CRS)
    grid = GridSpec.centered_on(cx, cy, crs=CRS, resolution=RESOLUTION_M, extent_m=EXTENT_M)
    prior = poa_from_weights(
        grid,
        np.exp(-grid.distance_from(cx, cy) / 3000.0),
        rest_of_world=0.05,
        model="distance",
    )
    rng = np.random.default_rng(SEED)
    xy: list[NDArray[np.float64]] = []
    for i in range(N_TRACKS):
        start = np.array([cx, cy]) + rng.uniform(-6000.0, 5000.0, 2)
        xy.append(random_walk(rng, start) if i % 2 == 0 else lawnmower(rng, start))
    lonlat = [_to_lonlat(t) for t in xy]
    return Scene(grid, prior, lonlat, xy)


def _to_lonlat(xy: NDArray[np.float64]) -> NDArray[np.float64]:
    moved = geometry_to_crs(LineString(xy), CRS, "EPSG:4326")
    return np.asarray(shapely.get_coordinates(moved), dtype=np.float64)


# ---------------------------------------------------------------------------- wayhome
def debrief(scene: Scene, tracks: list[NDArray[np.float64]]) -> tuple[POA, dict[str, float]]:
    """The timed pipeline: reproject, rasterise, POD, Bayes. Returns the POA and times."""
    t0 = time.perf_counter()
    xy, _ = tracks_to_grid_xy(tracks, scene.grid)
    t1 = time.perf_counter()
    cov = coverage_from_tracks(scene.grid, xy, sweep_width_m=SWEEP_WIDTH_M)
    t2 = time.perf_counter()
    pod = -np.expm1(-cov)
    after = poa_after_search(scene.prior, pod)
    t3 = time.perf_counter()
    times = {"reproject": t1 - t0, "coverage": t2 - t1, "bayes": t3 - t2, "total": t3 - t0}
    return after, times


# ---------------------------------------------------------------------------- reference
def reference_coverage(grid: GridSpec, tracks_xy: list[NDArray[np.float64]]) -> NDArray[np.float64]:
    """Plain per-cell NumPy: each point of each pass stamps a disc of radius W/2.

    Segments are first densified to at most a quarter cell between points, so the
    discs join into a swath. Within a pass the discs form a union (a boolean mask over
    the pass's bounding box); passes add. A cell counts when its centre is in the swath.
    """
    rows, cols = grid.shape
    res, left, top = grid.resolution, grid.transform.c, grid.transform.f
    r = SWEEP_WIDTH_M / 2.0
    reach = math.ceil(r / res) + 1
    cov = np.zeros(grid.shape, dtype=np.float64)
    for xy in tracks_xy:
        pts = _densify(xy, res / 4.0)
        cols_f = (pts[:, 0] - left) / res - 0.5
        rows_f = (top - pts[:, 1]) / res - 0.5
        r0 = max(0, int(rows_f.min()) - reach)
        r1 = min(rows, int(rows_f.max()) + reach + 2)
        c0 = max(0, int(cols_f.min()) - reach)
        c1 = min(cols, int(cols_f.max()) + reach + 2)
        mask = np.zeros((r1 - r0, c1 - c0), dtype=bool)
        for (x, y), rf, cf in zip(pts, rows_f, cols_f, strict=True):
            ra, rb = max(r0, int(rf) - reach), min(r1, int(rf) + reach + 2)
            ca, cb = max(c0, int(cf) - reach), min(c1, int(cf) + reach + 2)
            yc = top - (np.arange(ra, rb) + 0.5) * res
            xc = left + (np.arange(ca, cb) + 0.5) * res
            disc = (xc[np.newaxis, :] - x) ** 2 + (yc[:, np.newaxis] - y) ** 2 <= r * r
            mask[ra - r0 : rb - r0, ca - c0 : cb - c0] |= disc
        cov[r0:r1, c0:c1] += mask
    return cov


def reference_bayes(prior: POA, cov: NDArray[np.float64]) -> tuple[NDArray[np.float64], float]:
    """POA'_j = POA_j (1 - POD_j) / (1 - Σ POA POD), ROW' = ROW / (same)."""
    pod = 1.0 - np.exp(-cov)
    denom = 1.0 - float((prior.cells * pod).sum())
    return prior.cells * (1.0 - pod) / denom, prior.rest_of_world / denom


def _densify(xy: NDArray[np.float64], step: float) -> NDArray[np.float64]:
    seg = np.diff(xy, axis=0)
    n = np.maximum(1, np.ceil(np.hypot(seg[:, 0], seg[:, 1]) / step).astype(np.int64))
    t = np.concatenate([np.arange(k) / k for k in n])
    idx = np.repeat(np.arange(len(seg)), n)
    return np.vstack([xy[idx] + seg[idx] * t[:, np.newaxis], xy[-1:]])


# ---------------------------------------------------------------------------- report
def timed(fn: Callable[[], T]) -> tuple[T, float]:
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def track_length_m(xy: NDArray[np.float64]) -> float:
    d = np.diff(xy, axis=0)
    return float(np.hypot(d[:, 0], d[:, 1]).sum())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    parser.add_argument(
        "--reference-tracks", type=int, default=10, help="tracks the NumPy reference runs on"
    )
    args = parser.parse_args(argv)
    scene, setup_s = timed(make_scene)
    n_points = sum(len(t) for t in scene.lonlat)
    print(f"scene built in {setup_s:.1f} s ({n_points:,} points)", file=sys.stderr)

    _, first = debrief(scene, scene.lonlat)  # loads (or compiles) the numba kernel
    runs = [debrief(scene, scene.lonlat)[1] for _ in range(args.repeat)]
    fast = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    threads = int(numba.get_num_threads())
    numba.set_num_threads(1)
    runs1 = [debrief(scene, scene.lonlat)[1] for _ in range(args.repeat)]
    numba.set_num_threads(threads)
    one = {k: statistics.median(r[k] for r in runs1) for k in runs1[0]}

    every = max(1, N_TRACKS // args.reference_tracks)
    subset = list(range(0, N_TRACKS, every))
    scale = N_TRACKS / len(subset)
    sub_xy = [scene.xy[i] for i in subset]
    ref_cov, ref_cov_s = timed(lambda: reference_coverage(scene.grid, sub_xy))
    (ref_cells, ref_row), ref_bayes_s = timed(lambda: reference_bayes(scene.prior, ref_cov))
    ours, _ = debrief(scene, [scene.lonlat[i] for i in subset])
    our_cov = coverage_from_tracks(scene.grid, sub_xy, sweep_width_m=SWEEP_WIDTH_M)
    tv = 0.5 * (float(np.abs(ours.cells - ref_cells).sum()) + abs(ours.rest_of_world - ref_row))
    effort = SWEEP_WIDTH_M * sum(track_length_m(t) for t in sub_xy)
    area = scene.grid.cell_area_m2

    grid_txt = f"{scene.grid.shape[0]}×{scene.grid.shape[1]} ({scene.grid.n_cells / 1e6:.1f} M)"
    print(f"Machine: {machine_line()} · numba {numba.__version__} ({threads} threads)\n")
    print(
        f"Debrief on {grid_txt} cells of {RESOLUTION_M:g} m: {N_TRACKS} tracks × "
        f"{N_POINTS:,} points ({n_points:,} points), W = {SWEEP_WIDTH_M:g} m. Seconds, median "
        f"of {args.repeat} warm runs; first call (kernel load) {first['total']:.2f} s.\n"
    )
    print("| implementation | reproject | coverage | POD + Bayes | total |")
    print("|---|---|---|---|---|")
    for name, t in ((f"wayhome, numba {threads} threads", fast), ("wayhome, numba 1 thread", one)):
        print(
            f"| {name} | {t['reproject']:.3f} | {t['coverage']:.3f} | {t['bayes']:.3f} | "
            f"{t['total']:.3f} |"
        )
    ref_total = (ref_cov_s * scale) + ref_bayes_s
    print(
        f"| plain NumPy reference ({len(subset)} tracks, coverage time ×{scale:g}) | – | "
        f"{ref_cov_s * scale:.2f} | {ref_bayes_s:.3f} | {ref_total:.2f} |"
    )
    print(
        f"\nSpeed-up over the reference: {ref_total / fast['total']:.0f}× "
        f"(coverage alone {ref_cov_s * scale / fast['coverage']:.0f}×). "
        f"Target < {TARGET_S:g} s: {'met' if fast['total'] < TARGET_S else 'NOT met'} "
        f"({fast['total']:.3f} s).\n"
    )
    print(
        f"Agreement on the {len(subset)}-track subset: swept area / (W·L) = "
        f"{float(our_cov.sum()) * area / effort:.3f} (wayhome) vs "
        f"{float(ref_cov.sum()) * area / effort:.3f} (reference; below 1 where a track "
        f"re-crosses its own swath); total variation distance between the two posteriors "
        f"{tv:.2e}."
    )
    return 0 if fast["total"] < TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
