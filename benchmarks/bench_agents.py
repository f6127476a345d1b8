"""Benchmark the agent simulator: agent-steps per second, and time to a converged POA.

Usage::

    .venv/bin/python benchmarks/bench_agents.py [--quick] [--repeat N] [--numpy-agents N]

Both parts run on the bundled demo terrain (Cumberland Mountains, USGS 3″) with the demo
layers, on a grid centred on the demo's last-seen point in its UTM zone.

(a) **Throughput.** A long walk: a hiker missing 24 h (night falls after 3 h and lasts
12 h), 10 m cells, 20 km square (2001 x 2001 cells), the full behaviour model (all six
behaviours, switching, rests with fatigue, night, barriers). Agent-steps per second of
the numba kernel (``simulate_agents``) at one thread and at every core, warm (the first
call, which loads or compiles the kernel, is timed separately; so is a compile from an
empty numba cache, in a fresh process); beside it, in the same run and on the same scene,
the NumPy reference (``agents_numpy.simulate_numpy``, the same step vectorised across all
agents), and the distance quantiles of both as a check that they are the same model.
An agent-step is one move from a cell to a neighbouring cell.

(b) **Converged POA.** The demo incident (child 4–6, missing 2 h, 30 m cells, 10 km
square, night falls after 3 h, seed 7): ``poa_agents_converged`` doubles the agents until
the map changes by < 1 % in total variation. Cold = the first call in a fresh process
(scene, calibration, kernel load), with the numba cache warm and with it empty;
warm = later calls in one process (calibration cached). Prints the doubling history.

Prints Markdown: a machine header, then the tables.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numba
import numpy as np
from numba.np.ufunc.parallel import threading_layer
from numpy.typing import NDArray

from agents_numpy import check_distance_quantiles, simulate_numpy
from bench_plan import machine_line, timed
from wayhome.geo.coords import LonLat, to_crs, utm_crs_for
from wayhome.geo.grid import GridSpec
from wayhome.geo.terrain import Terrain, terrain_from_dem
from wayhome.geo.travel import LayerMasks, masks_from_layers
from wayhome.io.demo import read_demo_dem, read_demo_incident, read_demo_layers
from wayhome.plan import MOUNTAINOUS_RELIEF_M, ecoregion_terrain_class
from wayhome.probability.agents import (
    AgentRun,
    AgentSettings,
    Scene,
    calibrate_budget,
    movement_for,
    poa_agents_converged,
    scene_from_terrain,
    simulate_agents,
)
from wayhome.subject import (
    BehaviourMix,
    Profile,
    behaviour_mix_for,
    profile_for,
    subject_from_intake,
)

#: Targets of the issue.
TARGET_STEPS_PER_S = 5e7
TARGET_RATIO = 3.0
TARGET_POA_S = 10.0

NIGHT_START_H = 3.0  # the demo story: "night falls in about three hours"
DEMO_SEED = 7
N_NUMBA = 262_144  # agents of the numba throughput runs (one chunk of simulate_agents)


@dataclass(frozen=True)
class Setup:
    """A demo scene and who walks it."""

    grid: GridSpec
    ipp_xy: tuple[float, float]
    terrain: Terrain
    masks: LayerMasks
    profile: Profile
    missing_for_h: float


def demo_setup(category: str, age: float | None, *, resolution_m: float, extent_km: float) -> Setup:
    """The demo terrain and layers around the demo's last-seen point, as ``plan_search``
    builds them (UTM grid, ISRID profile for the ecoregion and the local relief)."""
    inc = read_demo_incident()
    ipp = LonLat(lon=inc.ipp_lon, lat=inc.ipp_lat)
    crs = utm_crs_for(ipp)
    ipp_xy = to_crs(ipp, crs)
    grid = GridSpec.centered_on(*ipp_xy, crs=crs, resolution=resolution_m, extent_m=extent_km * 1e3)
    terrain = terrain_from_dem(read_demo_dem(), grid)
    masks = masks_from_layers(read_demo_layers(), grid)
    r, c = grid.index(*ipp_xy)
    mountainous = terrain.relief_m(r, c) >= MOUNTAINOUS_RELIEF_M
    terrain_class = ecoregion_terrain_class(inc.ecoregion, mountainous=mountainous)
    profile = profile_for(category, age=age, terrain=terrain_class)
    return Setup(grid, ipp_xy, terrain, masks, profile, 0.0)


def demo_incident() -> Setup:
    """The demo incident as the intake gives it (child 4–6, 2 h), at its 30 m / 10 km."""
    inc = read_demo_incident()
    s = demo_setup(inc.category, inc.age, resolution_m=inc.resolution_m, extent_km=inc.extent_km)
    subject = subject_from_intake(inc.category, age=inc.age, missing_for=inc.missing_for)
    return Setup(s.grid, s.ipp_xy, s.terrain, s.masks, s.profile, subject.missing_for_h)


# ------------------------------------------------------------------ (a) throughput
@dataclass(frozen=True)
class Throughput:
    """One implementation's warm run: agents, steps, median seconds."""

    name: str
    threads: int
    agents: int
    steps: int
    seconds: float

    @property
    def rate(self) -> float:
        """Agent-steps per second."""
        return self.steps / self.seconds


def throughput(quick: bool, repeat: int, numpy_agents: int) -> tuple[list[Throughput], str, float]:
    """Numba at 1 and all threads, then NumPy, on the hiker scene; the quantile check
    (Markdown) and the first-call seconds."""
    s = demo_setup("hiker", None, resolution_m=10.0, extent_km=20.0)
    movement = movement_for("hiker")
    mix: BehaviourMix = behaviour_mix_for("hiker")
    scene: Scene = scene_from_terrain(
        s.grid, s.ipp_xy, terrain=s.terrain, masks=s.masks, movement=movement
    )
    knots = calibrate_budget(s.profile, mix, movement)
    n_numba = 32_768 if quick else N_NUMBA

    def settings(n: int) -> AgentSettings:
        return AgentSettings(n_agents=n, seed=1, night_start_h=NIGHT_START_H)

    def run_numba(n: int) -> AgentRun:
        return simulate_agents(
            scene,
            s.profile,
            missing_for_h=24.0,
            mix=mix,
            movement=movement,
            settings=settings(n),
            knots=knots,
        )

    _, first_s = timed(lambda: run_numba(64))
    rows: list[Throughput] = []
    all_cores = int(numba.get_num_threads())  # every core unless NUMBA_NUM_THREADS says less
    run: AgentRun | None = None
    for threads in sorted({1, all_cores}):
        numba.set_num_threads(threads)
        times = []
        for _ in range(repeat):
            run, sec = timed(lambda: run_numba(n_numba))
            times.append(sec)
        if run is None:
            raise RuntimeError("no run")
        rows.append(Throughput("numba", threads, n_numba, run.steps, statistics.median(times)))
        print(f"numba {threads} thread(s): {rows[-1].rate:.3g} steps/s", file=sys.stderr)
    numba.set_num_threads(all_cores)
    times = []
    result: tuple[NDArray[np.float64], int, int] | None = None
    for _ in range(repeat):
        result, sec = timed(
            lambda: simulate_numpy(
                scene,
                s.profile,
                missing_for_h=24.0,
                mix=mix,
                movement=movement,
                settings=settings(numpy_agents),
                knots=knots,
            )
        )
        times.append(sec)
    if run is None or result is None:
        raise RuntimeError("no run")
    rows.append(Throughput("numpy", 1, numpy_agents, result[2], statistics.median(times)))
    print(f"numpy: {rows[-1].rate:.3g} steps/s", file=sys.stderr)
    check = check_distance_quantiles(
        scene,
        (run.counts, run.left_map, run.steps, run.n_agents),
        (*result, numpy_agents),
    )
    return rows, check.markdown(), first_s


# ------------------------------------------------------------------ (b) converged POA
def poa_once(s: Setup) -> tuple[float, list[tuple[int, float]]]:
    """Seconds of one ``poa_agents_converged`` on the demo incident, and its history."""
    (_, history), sec = timed(
        lambda: poa_agents_converged(
            s.grid,
            s.ipp_xy,
            s.profile,
            terrain=s.terrain,
            masks=s.masks,
            missing_for_h=s.missing_for_h,
            settings=AgentSettings(seed=DEMO_SEED, night_start_h=NIGHT_START_H),
        )
    )
    return sec, history


def child_poa() -> dict[str, Any]:
    """In a fresh process: set-up, the first (cold) call and a second (warm) one."""
    s, setup_s = timed(demo_incident)
    first_s, history = poa_once(s)
    second_s, _ = poa_once(s)
    return {"setup_s": setup_s, "first_s": first_s, "second_s": second_s, "history": history}


def child_compile() -> dict[str, Any]:
    """In a fresh process: the first ``simulate_agents`` call (kernel load or compile)."""
    grid = GridSpec.centered_on(0.0, 0.0, crs="EPSG:32631", resolution=10.0, extent_m=200.0)
    profile = profile_for("hiker")
    scene = scene_from_terrain(grid, (0.0, 0.0), terrain=None)
    knots = (np.array([0.0, 1.0]), np.log(np.array([100.0, 200.0])))
    _, sec = timed(
        lambda: simulate_agents(
            scene, profile, missing_for_h=1.0, settings=AgentSettings(n_agents=8), knots=knots
        )
    )
    return {"first_s": sec}


def in_fresh_process(mode: str, *, empty_cache: bool) -> dict[str, Any]:
    """Run this script's ``--child MODE`` in a new interpreter; its JSON answer, with
    ``process_s`` the wall time of the whole process (imports included)."""
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="wayhome-numba-cache-") as cache:
        if empty_cache:
            env["NUMBA_CACHE_DIR"] = cache
        t0 = time.perf_counter()
        out = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--child", mode],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        process_s = time.perf_counter() - t0
    answer: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    answer["process_s"] = process_s
    return answer


# ------------------------------------------------------------------ report
def _met(ok: bool) -> str:
    return "**met**" if ok else "**MISSED**"


def report(
    rows: list[Throughput],
    check_md: str,
    first_s: float,
    compile_cold: dict[str, Any],
    compile_warm: dict[str, Any],
    poa_warm_cache: dict[str, Any],
    poa_empty_cache: dict[str, Any],
    poa_warm_s: float,
    repeat: int,
    load: float,
) -> str:
    numpy_row = next(r for r in rows if r.name == "numpy")
    best = max((r for r in rows if r.name == "numba"), key=lambda r: r.rate)
    layer = str(threading_layer())  # type: ignore[no-untyped-call]
    lines = [
        f"Machine: {machine_line()} · numba {numba.__version__} ({layer} threading layer)",
        "",
        f"Load average (1 min) when the benchmark started: {load:.2f} — other processes on "
        "these cores slow every figure.",
        "",
        "### (a) Throughput: hiker, 24 h, 10 m cells, 20 km square, night after 3 h",
        "",
        f"Warm runs, median of {repeat}; an agent-step is one move to a neighbouring cell.",
        "",
        "| implementation | threads | agents | agent-steps | seconds | agent-steps/s | vs NumPy |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        label = "numba kernel" if r.name == "numba" else "NumPy, vectorised over agents"
        lines.append(
            f"| {label} | {r.threads} | {r.agents:,} | {r.steps:,} | {r.seconds:.2f} | "
            f"{r.rate / 1e6:.1f} M | {r.rate / numpy_row.rate:.1f}× |"
        )
    lines += [
        "",
        f"Numba first call in this process (kernel loaded from the cache): {first_s:.2f} s. "
        f"In a fresh process: {compile_warm['first_s']:.2f} s with the cache warm, "
        f"{compile_cold['first_s']:.2f} s compiling from an empty cache.",
        "",
        "Same model? Distance from the last-seen point at the end, numba "
        f"({best.agents:,} agents) against NumPy ({numpy_row.agents:,}):",
        "",
        check_md,
        "",
        "### (b) Converged POA: demo incident (child 4–6, 2 h, 30 m, 10 km, night after 3 h, "
        f"seed {DEMO_SEED})",
        "",
        "| run | numba cache | poa_agents_converged (s) | whole process (s) |",
        "|---|---|---|---|",
        f"| cold: first call in a fresh process, calibration included | warm | "
        f"{poa_warm_cache['first_s']:.2f} | {poa_warm_cache['process_s']:.2f} |",
        f"| cold: first call in a fresh process, calibration included | empty (compiles) | "
        f"{poa_empty_cache['first_s']:.2f} | {poa_empty_cache['process_s']:.2f} |",
        f"| warm: later call, calibration cached (median of {repeat}) | — | {poa_warm_s:.2f} | — |",
        "",
        "Doubling history (agents after doubling: total-variation change of the map):",
        "",
    ]
    history = poa_warm_cache["history"]
    lines += [f"- {int(n):,}: {tv:.2%}" for n, tv in history]
    cold_worst = max(float(poa_warm_cache["first_s"]), float(poa_empty_cache["first_s"]))
    lines += [
        "",
        "Targets:",
        f"- ≥ 5·10⁷ agent-steps/s on all cores: {best.rate / 1e6:.1f} M "
        f"({best.threads} threads) {_met(best.rate >= TARGET_STEPS_PER_S)}",
        f"- ≥ 3× the vectorised NumPy reference: {best.rate / numpy_row.rate:.1f}× "
        f"{_met(best.rate >= TARGET_RATIO * numpy_row.rate)}",
        f"- converged POA of the demo incident in < 10 s: cold {cold_worst:.2f} s, "
        f"warm {poa_warm_s:.2f} s {_met(cold_worst < TARGET_POA_S)}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer agents, one repeat")
    parser.add_argument("--repeat", type=int, default=3, help="warm runs per figure (median)")
    parser.add_argument(
        "--numpy-agents",
        type=int,
        default=None,
        help="agents of the NumPy reference (default: as many as numba, 262,144)",
    )
    parser.add_argument("--child", choices=("poa", "compile"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child == "poa":
        print(json.dumps(child_poa()))
        return 0
    if args.child == "compile":
        print(json.dumps(child_compile()))
        return 0
    repeat = 1 if args.quick else args.repeat
    numpy_agents = args.numpy_agents or (8_000 if args.quick else N_NUMBA)
    if repeat < 1 or numpy_agents < 1:
        parser.error("--repeat and --numpy-agents must be at least 1")
    load = os.getloadavg()[0]
    print(f"Machine: {machine_line()}; load {load:.2f}", file=sys.stderr)
    # Fresh processes first, so the cold figures do not share this process's page cache
    # warm-up beyond what any second run of wayhome would have.
    compile_cold = in_fresh_process("compile", empty_cache=True)
    compile_warm = in_fresh_process("compile", empty_cache=False)
    poa_empty = in_fresh_process("poa", empty_cache=True)
    poa_warm_cache = in_fresh_process("poa", empty_cache=False)
    print(f"cold POA: {poa_warm_cache['first_s']:.2f} s", file=sys.stderr)
    rows, check_md, first_s = throughput(args.quick, repeat, numpy_agents)
    s = demo_incident()
    poa_once(s)  # calibration and kernel in memory
    poa_warm_s = statistics.median(poa_once(s)[0] for _ in range(repeat))
    print(
        report(
            rows,
            check_md,
            first_s,
            compile_cold,
            compile_warm,
            poa_warm_cache,
            poa_empty,
            poa_warm_s,
            repeat,
            load,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
