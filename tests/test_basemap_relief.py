"""Hillshade (Horn) and contour lines of :mod:`wayhome.basemap.relief`."""

from __future__ import annotations

import math

import numpy as np
import pytest
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from pyproj import Transformer

from wayhome.basemap import (
    CONTOUR_INTERVALS_M,
    INDEX_EVERY,
    contour_interval,
    contours_from_dem,
    hillshade,
)
from wayhome.errors import InvalidParameterError
from wayhome.geo.grid import GridSpec

CRS = "EPSG:32616"


def _grid(n: int, res: float) -> GridSpec:
    return GridSpec(crs=CRS, transform=Affine(res, 0, 740_000, 0, -res, 4_052_000), shape=(n, n))


@pytest.mark.parametrize("gradient", [0.25, 0.5, 1.0, 2.0])
def test_a_plane_facing_the_light_is_lit_by_the_angle_between_them(gradient: float) -> None:
    # Rising towards the south-east: it faces north-west, where the light comes from.
    rows, cols = np.mgrid[0:9, 0:9].astype(np.float64)
    z = gradient * 10.0 * (rows + cols) / math.sqrt(2.0)
    shade = hillshade(z, 10.0, azimuth_deg=315.0, altitude_deg=45.0)
    expected = math.cos(math.radians(45.0) - math.atan(gradient))
    assert shade == pytest.approx(np.full((9, 9), expected), abs=1e-6)
    # Turned away from the light: darker, by the same formula.
    away = hillshade(-z, 10.0)
    assert away == pytest.approx(np.full((9, 9), max(0.0, math.cos(math.radians(45.0) +
                                                                   math.atan(gradient)))),
                                 abs=1e-6)  # fmt: skip


@given(
    arrays(np.float64, st.tuples(st.integers(1, 12), st.integers(1, 12)),
           elements=st.one_of(st.floats(-500, 3000), st.just(math.nan))),
    st.floats(0.5, 100.0),
    st.floats(0.0, 360.0),
    st.floats(0.0, 90.0),
)  # fmt: skip
@settings(max_examples=150, deadline=None)
def test_hillshade_is_between_0_and_1_and_nan_only_without_data(
    z: np.ndarray, res: float, azimuth: float, altitude: float
) -> None:
    shade = hillshade(z, res, azimuth_deg=azimuth, altitude_deg=altitude)
    assert shade.shape == z.shape and shade.dtype == np.float32
    assert np.array_equal(np.isnan(shade), np.isnan(z))
    ok = shade[~np.isnan(shade)]
    assert ((ok >= 0.0) & (ok <= 1.0)).all()


def test_hillshade_refuses_bad_arguments() -> None:
    with pytest.raises(InvalidParameterError, match="cell_size_m"):
        hillshade(np.zeros((2, 2)), 0.0)
    with pytest.raises(InvalidParameterError, match="altitude_deg"):
        hillshade(np.zeros((2, 2)), 1.0, altitude_deg=91.0)
    with pytest.raises(InvalidParameterError, match="elevation"):
        hillshade(np.zeros(4), 1.0)


@given(st.floats(0.0, 4000.0), st.floats(0.0, 20_000.0))
def test_the_interval_draws_at_most_25_levels(low: float, relief: float) -> None:
    interval = contour_interval(np.array([[low, low + relief]]))
    assert interval in CONTOUR_INTERVALS_M
    assert relief / interval <= 25
    smaller = [i for i in CONTOUR_INTERVALS_M if i < interval]
    assert not smaller or relief / smaller[-1] > 25  # the finest that does


def _cone(n: int, res: float, height: float) -> tuple[np.ndarray, GridSpec, tuple[float, float]]:
    """A cone ``height`` m high in the middle of the grid, falling 1 m per metre."""
    grid = _grid(n, res)
    xs, ys = grid.centers()
    cx, cy = float(xs[n // 2]), float(ys[n // 2])
    dist = np.hypot(xs[None, :] - cx, ys[:, None] - cy)
    return (1000.0 + height - dist).astype(np.float32), grid, (cx, cy)


@given(st.sampled_from([10.0, 20.0, 25.0]), st.integers(40, 90), st.sampled_from([None, 10.0]))
@settings(max_examples=12, deadline=None)
def test_contours_of_a_cone_are_circles_at_their_elevation(
    res: float, n: int, interval: float | None
) -> None:
    height = n * res * 0.45
    z, grid, (cx, cy) = _cone(n, res, height)
    lines = contours_from_dem(z, grid, interval_m=interval)
    step = interval or contour_interval(z)
    levels = sorted({c.elevation_m for c in lines})
    lo, hi = float(z.min()), float(z.max())
    # Only levels between the lowest and highest cell; each of them, but those whose line
    # would be under two cells long (round the peak, across a corner).
    inside = [k * step for k in range(math.floor(lo / step) + 1, math.ceil(hi / step))]
    assert set(levels) <= set(inside)
    assert {v for v in inside if lo + 2 * res < v < hi - 2 * res} <= set(levels)
    back = Transformer.from_crs("EPSG:4326", CRS, always_xy=True)
    for c in lines:
        assert c.index == (round(c.elevation_m / step) % INDEX_EVERY == 0)
        lon, lat = np.array(c.coordinates).T
        x, y = back.transform(lon, lat)
        radius = np.hypot(np.asarray(x) - cx, np.asarray(y) - cy)
        # On the circle to within a cell (simplified to half a cell, traced on cell centres).
        assert np.abs(radius - (1000.0 + height - c.elevation_m)) == pytest.approx(0, abs=res)


def test_contours_skip_cells_without_data_and_big_grids_are_averaged_first() -> None:
    z, grid, _ = _cone(60, 10.0, 250.0)
    z[:, :30] = np.nan
    lines = contours_from_dem(z, grid, interval_m=50.0)
    west_edge = grid.transform.c + 30 * 10.0
    back = Transformer.from_crs("EPSG:4326", CRS, always_xy=True)
    for c in lines:
        x, _ = back.transform(*np.array(c.coordinates).T)
        assert np.min(x) >= west_edge - 10.0
    big, big_grid, _ = _cone(2500, 2.0, 2000.0)
    traced = contours_from_dem(big, big_grid, interval_m=500.0)
    lo, hi = float(big.min()), float(big.max())
    assert sorted({c.elevation_m for c in traced}) == [
        k * 500.0 for k in range(math.floor(lo / 500) + 1, math.ceil(hi / 500))
    ]  # strictly between the lowest and highest cell
    assert not contours_from_dem(np.full((5, 5), np.nan), _grid(5, 10.0), interval_m=5.0)
