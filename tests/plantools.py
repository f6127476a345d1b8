"""A small, real plan directory for tests that fold evidence into a plan."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from wayhome.geo.coords import LonLat, to_crs
from wayhome.geo.grid import GridSpec
from wayhome.io.plan_dir import PlanState, write_plan_dir
from wayhome.probability.poa import POA

#: The demo's last-seen point (the picnic area), the centre of the plan.
IPP = LonLat(lon=-84.28, lat=36.541667)
#: Chance the subject is off the map.
REST_OF_WORLD = 0.05


def small_plan(out: Path) -> Path:
    """Write a plan directory to ``out``: 3 km square, 100 m cells, a Gaussian about the IPP.

    Written by :func:`wayhome.io.plan_dir.write_plan_dir`, so it reads back as any plan
    made by ``wayhome plan`` does (no terrain, layers or segments).
    """
    x, y = to_crs(IPP, "EPSG:32616")
    grid = GridSpec.centered_on(x, y, crs="EPSG:32616", resolution=100.0, extent_m=3000.0)
    rows, cols = np.indices(grid.shape, dtype=np.float64)
    mid_r, mid_c = (grid.shape[0] - 1) / 2, (grid.shape[1] - 1) / 2
    weight = np.exp(-((rows - mid_r) ** 2 + (cols - mid_c) ** 2) / (2 * 6.0**2))
    cells = weight / weight.sum() * (1.0 - REST_OF_WORLD)
    poa = POA(grid=grid, cells=cells, rest_of_world=REST_OF_WORLD, model="test")
    summary = {
        "ipp": {"x": x, "y": y},
        "period": 0,
        "subject": {"name": "Test subject", "category": "child_4_6", "age": 5},
    }
    state = PlanState(grid=grid, poa=poa, prior=poa, summary=summary, ipp_xy=(x, y))
    return write_plan_dir(state, out)
