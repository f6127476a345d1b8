"""Benchmark search-effort allocation: whole teams (greedy, CP-SAT, brute) and divisible effort.

Usage::

    .venv/bin/python benchmarks/bench_allocation.py [--instances N] [--repeat N]

(a) **Whole teams, 40 teams × 500 segments** (targets: greedy < 100 ms, CP-SAT < 5 s).
Random instances with fixed seeds: POA lognormal (σ = 1.5) normalised to 0.9 (the rest of
the world keeps 0.1), areas uniform 0.2–1.5 km², centroids and team positions uniform in
a 20 km box, 15 % hazard segments, 20 % protected teams, 2–6 searchers, 2–8 h, sweep width
10–40 m, 1–3 km/h searching, 3 km/h travel. For each instance and each
``max_teams_per_segment`` (1, 2): ``assign_teams`` greedy (median of ``--repeat``), CP-SAT
(5 s limit; warm: the ortools import is timed separately), the solver status, and both
POS; beside them, in the same run, a plain Python loop doing the same greedy (every
team × segment pair scanned each round) as a reference for speed and for the answer.

(b) **Divisible effort, 500 segments**: the same first instance's segments and the total
swept area of its 40 teams. ``allocate_effort`` (exact water-filling),
``allocate_effort_greedy`` (heap, 2,000 increments), a plain per-segment Python loop and a
NumPy ``argmax``-per-increment loop doing the same greedy; max difference from the exact
allocation, in steps, and the POS of each.

(c) **Brute force vs CP-SAT** on 10 small instances (4 teams × 6 segments, same
distributions in a 6 km box) and one 8 × 8 (the largest ``solver="brute"`` accepts), for
1 and 2 teams per segment: POS equal?

Prints Markdown: a machine header, then the tables.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from importlib.metadata import version
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from bench_plan import machine_line, timed
from wayhome.search.allocation import (
    BRUTE_FORCE_MAX,
    SegmentTarget,
    Team,
    allocate_effort,
    allocate_effort_greedy,
    assign_teams,
    pos_of_effort,
)

N_TEAMS, N_SEGMENTS, BOX_M = 40, 500, 20_000.0
SMALL_TEAMS, SMALL_SEGMENTS, SMALL_BOX_M = 4, 6, 6_000.0
GREEDY_TARGET_S, CPSAT_TARGET_S = 0.1, 5.0
EFFORT_STEPS = 2000

T = TypeVar("T")


def instance(
    seed: int, n_teams: int, n_segments: int, box_m: float
) -> tuple[list[Team], list[SegmentTarget]]:
    """A random incident: teams and segments as described in the module docstring."""
    rng = np.random.default_rng(seed)
    poa = rng.lognormal(0.0, 1.5, n_segments)
    poa *= 0.9 / poa.sum()
    segments = [
        SegmentTarget(
            f"S{i}",
            float(poa[i]),
            float(rng.uniform(0.2e6, 1.5e6)),
            (float(rng.uniform(0, box_m)), float(rng.uniform(0, box_m))),
            hazard=bool(rng.random() < 0.15),
        )
        for i in range(n_segments)
    ]
    teams = [
        Team(
            f"T{i}",
            "ground",
            searchers=int(rng.integers(2, 7)),
            hours=float(rng.uniform(2.0, 8.0)),
            sweep_width_m=float(rng.uniform(10.0, 40.0)),
            speed_kmh=float(rng.uniform(1.0, 3.0)),
            position_xy=(float(rng.uniform(0, box_m)), float(rng.uniform(0, box_m))),
            protected=bool(rng.random() < 0.2),
        )
        for i in range(n_teams)
    ]
    return teams, segments


# --- plain references ----------------------------------------------------------------------


def greedy_teams_plain(
    teams: list[Team], segments: list[SegmentTarget], per_segment: int
) -> tuple[list[tuple[str, str]], float]:
    """The greedy of ``assign_teams(solver="greedy")`` in plain Python loops; (pairs, POS)."""
    effort: list[list[float]] = []
    for team in teams:
        row = []
        for seg in segments:
            travel_h = 0.0
            if team.position_xy is not None:
                dx = team.position_xy[0] - seg.centroid_xy[0]
                dy = team.position_xy[1] - seg.centroid_xy[1]
                travel_h = math.hypot(dx, dy) / 1000.0 / team.travel_speed_kmh
            ok = not (team.protected and seg.hazard)
            search_h = max(team.hours - travel_h, 0.0)
            row.append(team.sweep_rate_m2_per_h * search_h if ok else 0.0)
        effort.append(row)
    swept = [0.0] * len(segments)
    count = [0] * len(segments)
    free = set(range(len(teams)))
    chosen: list[tuple[str, str]] = []
    while free:
        best, best_t, best_s = 0.0, -1, -1
        for t in sorted(free):
            for j, s in enumerate(segments):
                if count[j] >= per_segment or effort[t][j] <= 0:
                    continue
                undetected = s.poa * math.exp(-swept[j] / s.area_m2)
                gain = undetected * -math.expm1(-effort[t][j] / s.area_m2)
                if gain > best:
                    best, best_t, best_s = gain, t, j
        if best_t < 0:
            break
        free.discard(best_t)
        swept[best_s] += effort[best_t][best_s]
        count[best_s] += 1
        chosen.append((teams[best_t].id, segments[best_s].id))
    pos = sum(s.poa * -math.expm1(-z / s.area_m2) for s, z in zip(segments, swept, strict=True))
    return chosen, pos


def greedy_effort_python(
    poa: list[float], area: list[float], total: float, step: float
) -> list[float]:
    """Greedy increments, scanning every segment for each increment (no heap)."""
    z = [0.0] * len(poa)
    n_full, rest = divmod(total, step)
    for delta in [step] * int(n_full) + ([rest] if rest > 0 else []):
        best, best_i = -1.0, 0
        for i in range(len(poa)):
            gain = poa[i] * math.exp(-z[i] / area[i]) * -math.expm1(-step / area[i])
            if gain > best:
                best, best_i = gain, i
        z[best_i] += delta
    return z


def greedy_effort_numpy(
    poa: NDArray[np.float64], area: NDArray[np.float64], total: float, step: float
) -> NDArray[np.float64]:
    """Greedy increments with one NumPy ``argmax`` over all segments per increment."""
    z = np.zeros_like(poa)
    keep = -np.expm1(-step / area)
    undetected = poa.copy()
    n_full, rest = divmod(total, step)
    for delta in [step] * int(n_full) + ([rest] if rest > 0 else []):
        i = int(np.argmax(undetected * keep))
        z[i] += delta
        undetected[i] *= math.exp(-delta / area[i])
    return z


# --- the three parts -----------------------------------------------------------------------


def median_time(fn: Callable[[], T], repeat: int) -> tuple[T, float]:
    """``fn()`` run ``repeat`` times: its last result and the median seconds."""
    runs = [timed(fn) for _ in range(repeat)]
    return runs[-1][0], statistics.median(t for _, t in runs)


def whole_teams(n_instances: int, repeat: int) -> tuple[list[str], list[str]]:
    """Part (a): rows of the table and the targets missed."""
    rows, missed = [], []
    for seed in range(1, n_instances + 1):
        teams, segments = instance(seed, N_TEAMS, N_SEGMENTS, BOX_M)
        for k in (1, 2):
            solve = partial(assign_teams, teams, segments, max_teams_per_segment=k)
            greedy, t_greedy = median_time(partial(solve, solver="greedy"), repeat)
            cpsat, t_cpsat = timed(partial(solve, solver="cpsat", time_limit_s=CPSAT_TARGET_S))
            (plain_pairs, plain_pos), t_plain = timed(
                partial(greedy_teams_plain, teams, segments, k)
            )
            same = sorted(plain_pairs) == sorted((a.team, a.segment) for a in greedy.assignments)
            status = "optimal" if cpsat.optimal else "feasible (time limit)"
            rows.append(
                f"| {seed} | {k} | {t_greedy * 1e3:.1f} | {greedy.pos:.5f} | {t_cpsat:.2f} | "
                f"{status} | {cpsat.pos:.5f} | {100 * (cpsat.pos - greedy.pos) / cpsat.pos:+.2f} | "
                f"{len(cpsat.assignments)} | {t_plain * 1e3:.0f} | "
                f"{'same' if same and abs(plain_pos - greedy.pos) < 1e-12 else 'DIFFERENT'} |"
            )
            if t_greedy > GREEDY_TARGET_S:
                missed.append(f"greedy {t_greedy * 1e3:.0f} ms on instance {seed}, K={k}")
            if t_cpsat > CPSAT_TARGET_S + 0.5 or not cpsat.optimal:
                missed.append(f"CP-SAT {t_cpsat:.2f} s ({status}) on instance {seed}, K={k}")
            print(f"instance {seed} K={k}: CP-SAT {t_cpsat:.2f} s {status}", file=sys.stderr)
    return rows, missed


def divisible(repeat: int) -> list[str]:
    """Part (b): water-filling vs greedy increments vs plain loops, on instance 1."""
    teams, segments = instance(1, N_TEAMS, N_SEGMENTS, BOX_M)
    poa = np.array([s.poa for s in segments])
    area = np.array([s.area_m2 for s in segments])
    total = sum(t.sweep_rate_m2_per_h * t.hours for t in teams)
    step = total / EFFORT_STEPS

    exact, t_exact = median_time(partial(allocate_effort, poa, area, total), repeat)
    heap, t_heap = median_time(
        partial(allocate_effort_greedy, poa, area, total, step_m2=step), repeat
    )
    plain, t_plain = median_time(
        partial(greedy_effort_python, poa.tolist(), area.tolist(), total, step), max(repeat // 5, 1)
    )
    argmax, t_argmax = median_time(
        partial(greedy_effort_numpy, poa, area, total, step), max(repeat // 5, 1)
    )
    results = [
        ("`allocate_effort` (water-filling, exact)", exact, t_exact),
        ("`allocate_effort_greedy` (heap)", heap, t_heap),
        ("plain Python loop over segments", np.asarray(plain), t_plain),
        ("NumPy argmax per increment", argmax, t_argmax),
    ]
    rows = [
        f"Total effort {total / 1e6:.1f} km² swept (the 40 teams' hours, no travel) over "
        f"{N_SEGMENTS} segments; greedy step = total / {EFFORT_STEPS} = {step:,.0f} m².",
        "",
        "| method | ms | segments searched | max abs diff from exact (steps) | POS |",
        "|---|---|---|---|---|",
    ]
    for name, z, t in results:
        rows.append(
            f"| {name} | {t * 1e3:.2f} | {int((z > 0).sum())} | "
            f"{np.abs(z - exact).max() / step:.3f} | {pos_of_effort(poa, area, z):.6f} |"
        )
    return rows


def brute_vs_cpsat() -> tuple[list[str], int]:
    """Part (c): 10 small instances and one of the largest brute force takes, K = 1, 2.

    Returns the table rows and the number of POS mismatches.
    """
    rows, mismatches = [], 0
    cases = [(seed, SMALL_TEAMS, SMALL_SEGMENTS) for seed in range(100, 110)]
    cases.append((200, BRUTE_FORCE_MAX, BRUTE_FORCE_MAX))
    for seed, n_teams, n_segments in cases:
        teams, segments = instance(seed, n_teams, n_segments, SMALL_BOX_M)
        for k in (1, 2):
            solve = partial(assign_teams, teams, segments, max_teams_per_segment=k)
            brute, t_brute = timed(partial(solve, solver="brute"))
            cpsat, t_cpsat = timed(partial(solve, solver="cpsat"))
            greedy = solve(solver="greedy")
            equal = abs(brute.pos - cpsat.pos) <= 1e-9
            mismatches += not equal
            shared = len({a.segment for a in brute.assignments}) < len(brute.assignments)
            rows.append(
                f"| {seed} | {n_teams} × {n_segments} | {k} | {brute.pos:.6f} | "
                f"{cpsat.pos:.6f} | {greedy.pos:.6f} | "
                f"{'yes' if equal else 'NO'} | {'yes' if shared else ''} | "
                f"{t_brute * 1e3:.1f} | {t_cpsat * 1e3:.1f} |"
            )
    return rows, mismatches


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--instances", type=int, default=3, help="40 × 500 instances")
    parser.add_argument("--repeat", type=int, default=20, help="runs of the fast methods")
    args = parser.parse_args(argv)
    if args.instances < 1 or args.repeat < 1:
        parser.error("--instances and --repeat must be at least 1")
    t0 = time.perf_counter()
    from ortools.sat.python import cp_model  # noqa: F401  (time the import apart)

    t_import = time.perf_counter() - t0
    rows_a, missed = whole_teams(args.instances, args.repeat)
    rows_b = divisible(args.repeat)
    rows_c, mismatches = brute_vs_cpsat()
    print(f"Machine: {machine_line()} · ortools {version('ortools')}")
    print()
    print(
        f"## (a) Whole teams: {N_TEAMS} teams × {N_SEGMENTS} segments "
        f"(targets: greedy < {GREEDY_TARGET_S * 1e3:.0f} ms, CP-SAT < {CPSAT_TARGET_S:g} s)"
    )
    print()
    print(
        f"Greedy: median of {args.repeat} runs. CP-SAT: one warm run, 5 s limit (the ortools "
        f"import, {t_import:.2f} s, is done before). "
        "K = max teams per segment. Gap = (CP-SAT − greedy) / CP-SAT. "
        "`plain` = the same greedy in plain Python loops."
    )
    print()
    print(
        "| instance | K | greedy ms | greedy POS | CP-SAT s | CP-SAT status | CP-SAT POS | "
        "gap % | teams sent | plain ms | plain vs greedy |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows_a))
    print()
    print("## (b) Divisible effort")
    print()
    print("\n".join(rows_b))
    print()
    print(
        f"## (c) Brute force vs CP-SAT: 10 instances of {SMALL_TEAMS} teams × "
        f"{SMALL_SEGMENTS} segments and one of {BRUTE_FORCE_MAX} × {BRUTE_FORCE_MAX} (the "
        f"largest brute force takes), K = 1, 2: {22 - mismatches}/22 equal POS"
    )
    print()
    print(
        "| seed | teams × segments | K | brute POS | CP-SAT POS | greedy POS | equal | "
        "shared segment | brute ms | CP-SAT ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows_c))
    if missed:
        print("\nTargets missed: " + "; ".join(missed))
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
