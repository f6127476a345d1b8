"""Travel speed and cost distance."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wayhome.geo.grid import GridSpec
from wayhome.geo.terrain import Terrain
from wayhome.geo.travel import (
    FLAT_OFF_TRAIL_KMH,
    effort_distance_km,
    speed_grid,
    tobler_speed_kmh,
    travel_time_h,
)


def test_tobler_peak_and_symmetry() -> None:
    s = np.linspace(-1.0, 1.0, 201)
    v = tobler_speed_kmh(s)
    assert float(v.max()) == pytest.approx(6.0)
    assert s[int(v.argmax())] == pytest.approx(-0.05)
    # uphill 0.2 is slower than downhill 0.2
    assert float(tobler_speed_kmh(0.2)) < float(tobler_speed_kmh(-0.2))


def test_flat_effort_distance_is_straight_line() -> None:
    g = GridSpec.centered_on(0.0, 0.0, crs="EPSG:32631", resolution=10.0, extent_m=3_000.0)
    speed = np.full(g.shape, FLAT_OFF_TRAIL_KMH, dtype=np.float32)
    start = (150, 150)
    d = effort_distance_km(travel_time_h(speed, g, start), g, start)
    e = g.distance_from(*g.xy(*start)) / 1000.0
    np.testing.assert_allclose(d, e, atol=1e-6)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_cost_distance_is_monotone_along_paths(seed: int) -> None:
    """Along the least-cost path to any cell, travel time never decreases."""
    rng = np.random.default_rng(seed)
    g = GridSpec.centered_on(0.0, 0.0, crs="EPSG:32631", resolution=30.0, extent_m=1_500.0)
    speed = rng.uniform(0.5, 5.0, g.shape).astype(np.float32)
    speed[rng.random(g.shape) < 0.1] = 0.0
    start = (25, 25)
    speed[start] = 3.0
    t = travel_time_h(speed, g, start)
    assert t[start] == 0.0
    # every finite cell has a neighbour with a strictly smaller time (a predecessor)
    rows, cols = g.shape
    padded = np.pad(t, 1, constant_values=np.inf)
    neigh_min = np.full(g.shape, np.inf)
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            if dr or dc:
                neigh_min = np.minimum(
                    neigh_min, padded[1 + dr : rows + 1 + dr, 1 + dc : cols + 1 + dc]
                )
    finite = np.isfinite(t)
    finite[start] = False
    assert np.all(neigh_min[finite] < t[finite])
    assert np.all(np.isinf(t[speed == 0]))


def test_steep_slope_is_slower_and_cliff_impassable() -> None:
    g = GridSpec.centered_on(0.0, 0.0, crs="EPSG:32631", resolution=10.0, extent_m=200.0)
    flat = Terrain(g, np.zeros(g.shape, dtype=np.float32))
    ramp = Terrain(g, np.tile(np.arange(g.shape[1], dtype=np.float32) * 3.0, (g.shape[0], 1)))
    wall = Terrain(g, np.tile(np.arange(g.shape[1], dtype=np.float32) * 15.0, (g.shape[0], 1)))
    assert float(speed_grid(ramp)[10, 10]) < float(speed_grid(flat)[10, 10])
    assert float(speed_grid(wall)[10, 10]) == 0.0


def test_nodata_cells_are_walked_as_level() -> None:
    g = GridSpec.centered_on(0.0, 0.0, crs="EPSG:32631", resolution=10.0, extent_m=200.0)
    z = np.zeros(g.shape, dtype=np.float32)
    z[5:10, 5:10] = np.nan
    s = speed_grid(Terrain(g, z))
    assert float(s[7, 7]) == pytest.approx(FLAT_OFF_TRAIL_KMH, rel=1e-5)
