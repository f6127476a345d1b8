"""Invariants of every POA model: sums to 1, non-negative, translation invariant."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wayhome.errors import InvalidParameterError
from wayhome.geo.grid import GridSpec
from wayhome.geo.layers import LayerKind
from wayhome.geo.terrain import Terrain
from wayhome.geo.travel import LayerMasks
from wayhome.probability.consensus import DrawnRegion, poa_consensus, poa_from_regions
from wayhome.probability.poa import POA, area_for_mass_km2, region_thresholds
from wayhome.probability.rings import poa_rings
from wayhome.probability.terrain import poa_terrain
from wayhome.subject import TERRAIN_CLASSES, categories, profile_for

CATEGORIES = categories()


def _grid(
    x0: float = 500_000.0, y0: float = 4_000_000.0, *, res: float = 50.0, extent: float = 8_000.0
) -> GridSpec:
    return GridSpec.centered_on(x0, y0, crs="EPSG:32611", resolution=res, extent_m=extent)


def _hill_terrain(grid: GridSpec, seed: int) -> Terrain:
    rng = np.random.default_rng(seed)
    xs, ys = grid.centers()
    cx, cy = xs.mean(), ys.mean()
    xx, yy = np.meshgrid(xs - cx, ys - cy)
    z = 800.0 + 300.0 * np.exp(-((xx - 1500) ** 2 + (yy + 800) ** 2) / 2e6)
    z += rng.normal(0.0, 3.0, z.shape)
    return Terrain(grid, z.astype(np.float32))


def _assert_contract(poa: POA) -> None:
    assert float(poa.cells.min()) >= 0.0
    assert abs(float(poa.cells.sum()) + poa.rest_of_world - 1.0) < 1e-9
    assert 0.0 <= poa.rest_of_world <= 1.0


@settings(max_examples=25, deadline=None)
@given(
    cat=st.sampled_from(CATEGORIES),
    terrain_class=st.sampled_from(TERRAIN_CLASSES),
    hours=st.one_of(st.none(), st.floats(0.0, 48.0)),
    seed=st.integers(0, 1000),
)
def test_terrain_model_sums_to_one(
    cat: str, terrain_class: str, hours: float | None, seed: int
) -> None:
    grid = _grid()
    prof = profile_for(cat, terrain=terrain_class)
    poa = poa_terrain(
        grid, grid.xy(80, 80), prof, terrain=_hill_terrain(grid, seed), missing_for_h=hours
    )
    _assert_contract(poa)


@settings(max_examples=25, deadline=None)
@given(cat=st.sampled_from(CATEGORIES), res=st.sampled_from([20.0, 50.0, 100.0]))
def test_rings_sums_to_one_and_is_radial(cat: str, res: float) -> None:
    grid = _grid(res=res)
    prof = profile_for(cat)
    ipp = grid.xy(grid.shape[0] // 2, grid.shape[1] // 2)
    poa = poa_rings(grid, ipp, prof.distance)
    _assert_contract(poa)
    # uniform in direction: the map is symmetric under a 90-degree rotation
    np.testing.assert_allclose(poa.cells, np.rot90(poa.cells), rtol=1e-9, atol=1e-15)


@settings(max_examples=15, deadline=None)
@given(dx=st.integers(-200, 200), dy=st.integers(-200, 200), seed=st.integers(0, 50))
def test_terrain_model_is_translation_invariant(dx: int, dy: int, seed: int) -> None:
    """Moving the whole scene (grid, terrain, IPP) by whole metres changes nothing."""
    grid = _grid()
    moved = grid.translated(dx * 50.0, dy * 50.0)
    prof = profile_for("hiker")
    t = _hill_terrain(grid, seed)
    a = poa_terrain(grid, grid.xy(70, 90), prof, terrain=t, missing_for_h=3.0)
    b = poa_terrain(
        moved, moved.xy(70, 90), prof, terrain=Terrain(moved, t.elevation), missing_for_h=3.0
    )
    np.testing.assert_allclose(a.cells, b.cells, rtol=1e-9, atol=1e-15)
    assert a.rest_of_world == pytest.approx(b.rest_of_world, abs=1e-12)


def test_barrier_blocks_probability() -> None:
    grid = _grid(res=50.0, extent=6_000.0)
    n = grid.shape[0]
    wall = np.zeros(grid.shape, dtype=bool)
    wall[:, n // 2 + 5] = True  # a lake shore / cliff line east of the IPP, full height
    masks = LayerMasks(grid, {LayerKind.CLIFF: wall})
    t = Terrain(grid, np.full(grid.shape, 500.0, dtype=np.float32))
    poa = poa_terrain(grid, grid.xy(n // 2, n // 2), profile_for("hiker"), terrain=t, masks=masks)
    assert float(poa.cells[:, n // 2 + 5 :].sum()) == 0.0
    _assert_contract(poa)


def test_time_limit_bounds_the_map() -> None:
    grid = _grid(res=50.0, extent=10_000.0)
    t = Terrain(grid, np.full(grid.shape, 500.0, dtype=np.float32))
    prof = profile_for("child_4_6", terrain="temperate_flat")
    ipp = grid.xy(grid.shape[0] // 2, grid.shape[1] // 2)
    poa = poa_terrain(grid, ipp, prof, terrain=t, missing_for_h=1.0)
    reach_m = prof.speed_kmh * 1.0 * 1000.0
    far = grid.distance_from(*ipp) > reach_m + grid.resolution
    assert float(poa.cells[far].sum()) == 0.0
    assert poa.rest_of_world == 0.0  # the edge is out of reach


def test_missing_zero_hours_puts_everything_at_the_ipp() -> None:
    grid = _grid(res=20.0, extent=2_000.0)
    t = Terrain(grid, np.full(grid.shape, 500.0, dtype=np.float32))
    ipp = grid.xy(50, 50)
    poa = poa_terrain(grid, ipp, profile_for("hiker"), terrain=t, missing_for_h=0.0)
    near = grid.distance_from(*ipp) <= 60.0
    assert float(poa.cells[near].sum()) == pytest.approx(1.0)


def test_trail_attracts_hikers() -> None:
    grid = _grid(res=50.0, extent=6_000.0)
    n = grid.shape[0]
    trail = np.zeros(grid.shape, dtype=bool)
    trail[n // 2 - 20, :] = True
    masks = LayerMasks(grid, {LayerKind.TRAIL: trail})
    t = Terrain(grid, np.full(grid.shape, 500.0, dtype=np.float32))
    ipp = grid.xy(n // 2, n // 2)
    with_trail = poa_terrain(grid, ipp, profile_for("hiker"), terrain=t, masks=masks)
    without = poa_terrain(grid, ipp, profile_for("hiker"), terrain=t)
    row = n // 2 - 20
    assert with_trail.cells[row, 10] > 2.0 * without.cells[row, 10]


def test_consensus_is_weighted_average() -> None:
    grid = _grid(res=100.0)
    prof = profile_for("hiker")
    ipp = grid.xy(40, 40)
    a = poa_rings(grid, ipp, prof.distance)
    b = poa_terrain(grid, ipp, prof, terrain=None, allow_flat=True)
    c = poa_consensus([a, b], [3.0, 1.0])
    np.testing.assert_allclose(c.cells, 0.75 * a.cells + 0.25 * b.cells, atol=1e-12)
    _assert_contract(c)


@settings(max_examples=20, deadline=None)
@given(shares=st.lists(st.floats(0.0, 0.3), min_size=1, max_size=3))
def test_drawn_regions_sum_to_one(shares: list[float]) -> None:
    from shapely.geometry import box

    grid = _grid(res=100.0)
    x, y = grid.xy(40, 40)
    regions = [
        DrawnRegion(box(x - 500 * (i + 1), y - 300, x + 200, y + 900), s)
        for i, s in enumerate(shares)
    ]
    poa = poa_from_regions(grid, regions)
    _assert_contract(poa)
    assert poa.rest_of_world == pytest.approx(1.0 - sum(shares), abs=1e-9)


@pytest.mark.parametrize("kind", ["small box", "point"])
def test_small_drawn_region_keeps_its_share(kind: str) -> None:
    # A region covering no cell centre used to hand its share to the rest of world.
    from shapely.geometry import Point, box

    grid = _grid(res=100.0)
    x, y = grid.xy(40, 40)
    geom = box(x + 5, y + 5, x + 45, y + 45) if kind == "small box" else Point(x + 20, y - 20)
    poa = poa_from_regions(grid, [DrawnRegion(geom, 0.3, "culvert")])
    _assert_contract(poa)
    assert poa.rest_of_world == pytest.approx(0.7, abs=1e-9)
    assert float(poa.cells[39:42, 39:42].sum()) == pytest.approx(0.3, abs=1e-9)


def test_region_off_the_map_stays_in_rest_of_world() -> None:
    from shapely.geometry import box

    grid = _grid(res=100.0)
    x0, y0, _, _ = grid.bounds
    poa = poa_from_regions(grid, [DrawnRegion(box(x0 - 500, y0 - 500, x0 - 10, y0 - 10), 0.4)])
    assert poa.rest_of_world == pytest.approx(1.0)


@pytest.mark.parametrize("lake_m", [0.0, 150.0], ids=["ipp-cell", "whole-ipp-disk"])
def test_impassable_ipp_without_dem_is_refused(lake_m: float) -> None:
    # Without a DEM the IPP point mass used to vanish silently (0/0) when the disk around
    # the IPP was impassable; now both paths refuse an IPP on an impassable cell.
    grid = _grid(res=50.0, extent=4_000.0)
    ipp = grid.xy(40, 40)
    water = grid.distance_from(*ipp) <= max(lake_m, 1.0)
    masks = LayerMasks(grid, {LayerKind.WATER: water})
    prof = profile_for("hiker")
    with pytest.raises(InvalidParameterError, match=r"ipp: .*impassable"):
        poa_terrain(grid, ipp, prof, terrain=None, masks=masks, allow_flat=True)
    flat = Terrain(grid, np.full(grid.shape, 500.0, dtype=np.float32))
    with pytest.raises(InvalidParameterError, match=r"ipp: .*impassable"):
        poa_terrain(grid, ipp, prof, terrain=flat, masks=masks)


def test_region_levels_are_nested() -> None:
    grid = _grid(res=50.0)
    poa = poa_rings(grid, grid.xy(80, 80), profile_for("dementia").distance)
    thr = region_thresholds(poa)
    areas = area_for_mass_km2(poa)
    known = [(k, v) for k, v in thr.items() if v is not None]
    assert all(a[1] >= b[1] for a, b in itertools.pairwise(known))
    ka = [v for v in areas.values() if v is not None]
    assert ka == sorted(ka)
