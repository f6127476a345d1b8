"""Benchmark a full ``plan_search`` (model terrain) on 4 M cells, step by step.

Usage::

    .venv/bin/python benchmarks/bench_plan.py [--repeat N] [--shared-data DIR]

Cases: the bundled demo terrain (Cumberland Mountains, USGS 3″ resampled to 10 m) on a
20 km x 20 km grid around the demo's last-seen point (2001 x 2001 cells) with the demo
layers, for a 4-year-old missing 2 h (the reachable window crops the travel-time
computation) and a hiker missing 24 h (no cropping: the MCP covers the whole grid); then
the same two subjects on Big Tujunga (SRTM 30 m, UTM 11) over the largest centred square
that fits, when the shared data is present.

For each case: ``Plan.timings_s`` per step, ``write_plan``, the total; inside the model
step, ``speed_grid``, ``travel_time_h``, ``effort_distance_km`` (octile correction) and
``attraction_weights`` timed separately; and, side by side, the plain scikit-image call
``MCP_Geometric(cost, fully_connected=True).find_costs([start])`` on the same cost array.
Every figure is the median of ``--repeat`` runs. Prints Markdown.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray
from skimage.graph import MCP_Geometric

from wayhome.geo.coords import LonLat, lonlat_of
from wayhome.geo.layers import Layers
from wayhome.geo.terrain import ElevationSource
from wayhome.geo.travel import (
    FLAT_OFF_TRAIL_KMH,
    effort_distance_km,
    speed_grid,
    travel_time_h,
)
from wayhome.io.demo import read_demo_dem, read_demo_incident, read_demo_layers
from wayhome.io.plan_dir import write_plan
from wayhome.io.raster import read_dem
from wayhome.plan import Plan, plan_search
from wayhome.probability.terrain import attraction_weights
from wayhome.subject import Subject, subject_from_intake

RESOLUTION_M = 10.0
DEMO_EXTENT_KM = 20.0
TUJUNGA_DEM = Path("terrain") / "big_tujunga_ca" / "bigtujunga_srtm30m_utm11.tif"
DEFAULT_SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

PLAN_STEPS = ("grid", "terrain", "layers", "profile", "model")
MODEL_PARTS = ("speed_grid", "travel_time_h", "effort_distance", "attraction")
COLUMNS = (*PLAN_STEPS, "write_plan", "total", *MODEL_PARTS, "plain_mcp")

T = TypeVar("T")


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    """``fn()`` and its wall-clock time in seconds."""
    t0 = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - t0


@dataclass(frozen=True)
class Case:
    """One benchmark run: where, who, on what."""

    name: str
    ipp: LonLat
    subject: Subject
    dem: ElevationSource
    layers: Layers | None
    extent_km: float


def machine_line() -> str:
    """nproc, CPU model, Python and library versions, date."""
    cpu = platform.processor() or "unknown CPU"
    try:
        with Path("/proc/cpuinfo").open(encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"{dt.date.today().isoformat()} · nproc {nproc} · {cpu} · "
        f"Python {platform.python_version()} · numpy {np.__version__} · "
        f"scikit-image {version('scikit-image')} · {platform.system()} {platform.machine()}"
    )


def model_parts(plan: Plan) -> dict[str, float]:
    """Time the pieces of the terrain model separately, with poa_terrain's arguments."""
    if plan.terrain is None:
        raise RuntimeError("the terrain model ran without terrain")
    grid, terrain, masks = plan.grid, plan.terrain, plan.masks
    start = grid.index(*plan.ipp_xy)
    reach_km = plan.profile.speed_kmh * plan.subject.missing_for_h
    max_h = reach_km / (FLAT_OFF_TRAIL_KMH * 0.92)  # as in poa_terrain
    speed, t_speed = timed(lambda: speed_grid(terrain, masks))
    times, t_travel = timed(lambda: travel_time_h(speed, grid, start, max_hours=max_h))
    _, t_effort = timed(lambda: effort_distance_km(times, grid, start))
    _, t_attr = timed(
        lambda: attraction_weights(grid, plan.profile.tendencies, terrain=terrain, masks=masks)
    )
    # The plain library call on the same (uncropped) cost array.
    cost = cost_array(speed, grid.resolution)
    _, t_plain = timed(lambda: MCP_Geometric(cost, fully_connected=True).find_costs([start]))
    return {
        "speed_grid": t_speed,
        "travel_time_h": t_travel,
        "effort_distance": t_effort,
        "attraction": t_attr,
        "plain_mcp": t_plain,
    }


def cost_array(speed: NDArray[np.float32], resolution_m: float) -> NDArray[np.float64]:
    """Hours to cross one cell side, inf where impassable (as ``travel_time_h`` builds it)."""
    s = speed.astype(np.float64)
    with np.errstate(divide="ignore"):
        return np.where(s > 0, (resolution_m / 1000.0) / s, np.inf)


def run_once(case: Case, out_dir: Path) -> tuple[dict[str, float], Plan]:
    """One full plan, the plan directory written, and the model's pieces."""
    plan, t_plan = timed(
        lambda: plan_search(
            case.subject,
            case.ipp,
            model="terrain",
            dem=case.dem,
            layers=case.layers,
            resolution_m=RESOLUTION_M,
            extent_km=case.extent_km,
            memory_limit_bytes=64 * 2**30,
        )
    )
    _, t_write = timed(lambda: write_plan(plan, out_dir))
    row = {step: plan.timings_s.get(step, 0.0) for step in PLAN_STEPS}
    row["write_plan"] = t_write
    row["total"] = t_plan + t_write
    row.update(model_parts(plan))
    return row, plan


def tujunga_case(dem_path: Path, subject: Subject, label: str) -> Case:
    """Big Tujunga: the largest square centred on the DEM that fits, at 10 m."""
    dem = read_dem(dem_path)
    rows, cols = dem.shape
    t = dem.transform
    side_m = min(rows * abs(t.e), cols * t.a)
    cx, cy = t.c + cols * t.a / 2.0, t.f + rows * t.e / 2.0
    # GridSpec.centered_on spans (2*floor(E/2r)+1) cells: keep one cell of margin each side.
    extent_km = (side_m - 2.0 * RESOLUTION_M) / 1000.0
    return Case(f"Big Tujunga {label}", lonlat_of(cx, cy, dem.crs), subject, dem, None, extent_km)


def build_cases(shared_data: Path) -> list[Case]:
    inc = read_demo_incident()
    ipp = LonLat(lon=inc.ipp_lon, lat=inc.ipp_lat)
    child = subject_from_intake(inc.category, age=inc.age, missing_for=inc.missing_for)
    hiker = subject_from_intake("hiker", age=None, missing_for="24h")
    dem, layers = read_demo_dem(), read_demo_layers()
    cases = [
        Case("demo child_4_6 2 h", ipp, child, dem, layers, DEMO_EXTENT_KM),
        Case("demo hiker 24 h", ipp, hiker, dem, layers, DEMO_EXTENT_KM),
    ]
    tujunga = shared_data / TUJUNGA_DEM
    if tujunga.is_file():
        cases += [
            tujunga_case(tujunga, child, "child_4_6 2 h"),
            tujunga_case(tujunga, hiker, "hiker 24 h"),
        ]
    else:
        print(f"skipping Big Tujunga: {tujunga} not found", file=sys.stderr)
    return cases


def _fmt(v: float) -> str:
    return f"{v:.2f}"


def markdown(results: list[tuple[Case, Plan, dict[str, float]]], repeat: int) -> str:
    head = ["case", "cells", *COLUMNS]
    lines = [
        f"Machine: {machine_line()}",
        "",
        f"Seconds, median of {repeat} run(s). `total` = plan_search + write_plan; "
        "`speed_grid` .. `attraction` are the parts of `model`, timed separately; "
        "`plain_mcp` is `MCP_Geometric(cost, fully_connected=True).find_costs([start])` "
        "on the full, uncropped grid.",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for case, plan, med in results:
        r, c = plan.grid.shape
        cells = f"{r}×{c} ({r * c / 1e6:.1f} M)"
        lines.append("| " + " | ".join([case.name, cells, *(_fmt(med[k]) for k in COLUMNS)]) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=3, help="runs per case (median)")
    parser.add_argument(
        "--shared-data", type=Path, default=DEFAULT_SHARED_DATA, help="shared sample data"
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    print(f"Machine: {machine_line()}", file=sys.stderr)
    results: list[tuple[Case, Plan, dict[str, float]]] = []
    with tempfile.TemporaryDirectory(prefix="wayhome-bench-") as tmp:
        for case in build_cases(args.shared_data):
            runs: list[dict[str, float]] = []
            plan: Plan | None = None
            for i in range(args.repeat):
                row, plan = run_once(case, Path(tmp) / f"plan-{len(results)}-{i}")
                runs.append(row)
                print(
                    f"{case.name} run {i + 1}/{args.repeat}: total {row['total']:.2f} s, "
                    f"model {row['model']:.2f} s",
                    file=sys.stderr,
                    flush=True,
                )
            if plan is None:
                raise RuntimeError("no run")
            med = {k: statistics.median(r[k] for r in runs) for k in COLUMNS}
            results.append((case, plan, med))
            del plan
    print(markdown(results, args.repeat))
    if sys.platform != "win32":
        import resource

        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
        print(
            f"\nPeak resident memory of this benchmark process: {peak_kib / 2**20:.2f} GiB "
            "(it keeps every case's Plan and runs the uncropped MCP beside it, so this is "
            "an upper bound, not one plan's working set)"
        )
    slow = [c.name for c, p, m in results if p.grid.n_cells >= 4e6 and m["total"] > 10.0]
    if slow:
        print(f"\nOver the 10 s target on 4 M cells: {', '.join(slow)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
