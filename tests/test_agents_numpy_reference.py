"""The NumPy reference of the agent simulator (``benchmarks/agents_numpy.py``) stays the
same model as the numba kernel, so the benchmark compares like with like."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from wayhome.geo.grid import GridSpec
from wayhome.geo.layers import LayerKind
from wayhome.geo.terrain import Terrain
from wayhome.geo.travel import LayerMasks
from wayhome.probability.agents import (
    AgentSettings,
    Movement,
    Scene,
    scene_from_terrain,
    simulate_agents,
)
from wayhome.subject import BehaviourMix, profile_for

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from agents_numpy import check_distance_quantiles, simulate_numpy

N_AGENTS = 5_000
#: Every behaviour present, so every branch of the step runs.
MIX = BehaviourMix(0.2, 0.25, 0.25, 0.1, 0.1, 0.1, source="test: all six behaviours")
#: Moving-time budget from 5 minutes to an hour, log-linear in u.
KNOTS = (np.array([0.0, 1.0]), np.log(np.array([300.0, 3600.0])))


def _grid() -> GridSpec:
    return GridSpec.centered_on(0.0, 0.0, crs="EPSG:32631", resolution=10.0, extent_m=4_000.0)


def _flat() -> Scene:
    return scene_from_terrain(_grid(), (0.0, 0.0), terrain=None)


def _hill_trail_wall() -> Scene:
    """A low hill north of the start, a trail east-west south of it, a wall to the east."""
    grid = _grid()
    rows, cols = grid.shape
    r0, c0 = rows // 2, cols // 2
    rr, cc = np.indices(grid.shape)
    elevation = 300.0 + 40.0 * np.exp(-((rr - (r0 - 40)) ** 2 + (cc - c0) ** 2) / (2 * 25.0**2))
    trail = np.zeros(grid.shape, dtype=bool)
    trail[r0 + 8, :] = True
    wall = np.zeros(grid.shape, dtype=bool)
    wall[r0 - 60 : r0 + 60, c0 + 25] = True
    masks = LayerMasks(grid, {LayerKind.TRAIL: trail, LayerKind.BARRIER: wall})
    terrain = Terrain(grid, elevation.astype(np.float32))
    return scene_from_terrain(grid, (0.0, 0.0), terrain=terrain, masks=masks)


@pytest.mark.parametrize("make_scene", [_flat, _hill_trail_wall], ids=["flat", "hill-trail-wall"])
def test_numpy_reference_matches_numba(make_scene: Callable[[], Scene]) -> None:
    scene = make_scene()
    profile = profile_for("hiker")
    settings = AgentSettings(n_agents=N_AGENTS, seed=3, night_start_h=1.0, night_length_h=0.5)
    movement = Movement()
    run = simulate_agents(
        scene,
        profile,
        missing_for_h=2.0,
        mix=MIX,
        movement=movement,
        settings=settings,
        knots=KNOTS,
    )
    counts, left, steps = simulate_numpy(
        scene,
        profile,
        missing_for_h=2.0,
        mix=MIX,
        movement=movement,
        settings=settings,
        knots=KNOTS,
    )
    assert counts.sum() + left == N_AGENTS
    check = check_distance_quantiles(
        scene,
        (run.counts, run.left_map, run.steps, run.n_agents),
        (counts, left, steps, N_AGENTS),
        tolerance=0.15,
    )
    median_gap = float(check.relative_gap[check.levels.index(0.5)])
    assert median_gap <= 0.15, check.markdown()
    assert math.isclose(check.numpy_steps_per_agent, check.numba_steps_per_agent, rel_tol=0.15), (
        check.markdown()
    )
