"""Probability regions: the polygon holds its level and is exactly the area reported."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from wayhome.geo.grid import GridSpec
from wayhome.probability.poa import (
    REGION_LEVELS,
    area_for_mass_km2,
    poa_from_weights,
    region_masks,
    region_thresholds,
)
from wayhome.probability.regions import regions_from_poa


def _grid(extent_m: float) -> GridSpec:
    return GridSpec.centered_on(
        500_000.0, 4_000_000.0, crs="EPSG:32611", resolution=100.0, extent_m=extent_m
    )


def _weights(kind: str, shape: tuple[int, int]) -> NDArray[np.float64]:
    rng = np.random.default_rng(4)
    if kind == "uniform":
        return np.ones(shape)
    if kind == "ties":  # a peak and plateaus of equal cells, the way smoothed maps look
        w = np.minimum(rng.integers(1, 4, shape).astype(np.float64), 2.0)
        w[0, :] += 1.0
        return w
    return np.asarray(rng.random(shape), dtype=np.float64)


@pytest.mark.parametrize("kind", ["uniform", "ties", "random"])
@pytest.mark.parametrize("extent_m", [700.0, 1_100.0, 2_300.0])
def test_region_polygon_holds_its_level_and_matches_its_area(kind: str, extent_m: float) -> None:
    # A uniform map used to give empty polygons (threshold rounded up past every cell),
    # and ties gave polygons larger than the area reported.
    grid = _grid(extent_m)
    poa = poa_from_weights(grid, _weights(kind, grid.shape), rest_of_world=0.0, model="test")
    regions = regions_from_poa(poa)
    masks = region_masks(poa)
    areas = area_for_mass_km2(poa)
    assert [r.level for r in regions] == list(REGION_LEVELS)
    for r in regions:
        mask = masks[r.level]
        assert mask is not None
        assert r.geometry.area / 1e6 == pytest.approx(r.area_km2, rel=1e-9)
        assert r.area_km2 == pytest.approx(areas[r.level])
        assert float(poa.cells[mask].sum()) >= r.level - 1e-6
        # smallest: without its last cell the region falls short of the level
        assert float(poa.cells[mask].sum()) - r.threshold < r.level
        assert float(poa.cells[mask].min()) == r.threshold


def test_thresholds_are_not_rounded() -> None:
    grid = _grid(300.0)
    w = np.array([[3.0, 1.0, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]])
    poa = poa_from_weights(grid, w, rest_of_world=0.0, model="test")
    assert region_thresholds(poa, (0.25,))[0.25] == float(poa.cells[0, 0])  # 3/11, exactly
    (region,) = regions_from_poa(poa, (0.25,))
    assert region.threshold == float(poa.cells[0, 0])


def test_unreachable_levels_are_left_out() -> None:
    grid = _grid(500.0)
    poa = poa_from_weights(grid, np.ones(grid.shape), rest_of_world=0.6, model="test")
    assert [r.level for r in regions_from_poa(poa)] == [0.25]
    assert region_masks(poa)[0.5] is None
