"""Resampling elevation models onto the planning grid."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from affine import Affine

from wayhome.errors import OutsideTerrainError
from wayhome.geo.coords import LonLat, to_crs, utm_crs_for
from wayhome.geo.grid import GridSpec
from wayhome.geo.terrain import dem_bounds_lonlat, slope_tan, terrain_from_dem
from wayhome.io.raster import RasterData, read_dem


def _plane_dem(crs: str = "EPSG:32611") -> RasterData:
    rows, cols = 200, 200
    z = np.tile(np.arange(cols, dtype=np.float32) * 2.0, (rows, 1))  # 2 m per 30 m cell
    return RasterData(z, Affine(30.0, 0.0, 400_000.0, 0.0, -30.0, 3_800_000.0), crs, "plane")


def test_resampled_plane_keeps_its_slope() -> None:
    dem = _plane_dem()
    grid = GridSpec.centered_on(
        403_000.0, 3_797_000.0, crs="EPSG:32611", resolution=10.0, extent_m=2_000.0
    )
    t = terrain_from_dem(dem, grid)
    assert t.nodata_fraction == 0.0
    s = t.slope()[5:-5, 5:-5]
    np.testing.assert_allclose(s, 2.0 / 30.0, rtol=1e-3)


def test_grid_off_the_dem_is_refused() -> None:
    grid = GridSpec.centered_on(
        900_000.0, 3_000_000.0, crs="EPSG:32611", resolution=30.0, extent_m=1_000.0
    )
    with pytest.raises(OutsideTerrainError, match="does not overlap"):
        terrain_from_dem(_plane_dem(), grid)


def test_enclosed_holes_are_filled_but_outside_stays_unknown() -> None:
    dem = _plane_dem()
    z = dem.values.copy()
    z[100:104, 100:104] = np.nan  # a small void inside
    holed = RasterData(z, dem.transform, dem.crs, "holed")
    grid = GridSpec.centered_on(
        403_000.0, 3_797_000.0, crs="EPSG:32611", resolution=30.0, extent_m=9_000.0
    )  # wider than the DEM: unknown margins
    t = terrain_from_dem(holed, grid)
    assert t.filled_cells > 0
    r, c = grid.index(403_000.0 + 15.0, 3_800_000.0 - 3_015.0)
    assert np.isfinite(t.elevation[r, c])
    assert np.isnan(t.elevation[0, 0])


def test_large_holes_stay_unknown_without_an_interpolated_rim() -> None:
    # DESIGN: holes <= 10 cells are filled; larger ones are walked as level ground as a
    # whole. Before the fix, a 10-cell rim of every large hole was interpolated.
    dem = _plane_dem()
    z = dem.values.copy()
    z[60:100, 60:100] = np.nan  # 40 x 40 cells: 20 deep from its edge
    z[150:154, 150:154] = np.nan  # 4 x 4 cells: filled
    holed = RasterData(z, dem.transform, dem.crs, "holed")
    grid = GridSpec.centered_on(
        403_000.0, 3_797_000.0, crs="EPSG:32611", resolution=30.0, extent_m=5_900.0
    )
    t = terrain_from_dem(holed, grid)

    def cell(dem_row: int, dem_col: int) -> tuple[int, int]:
        return grid.index(400_000.0 + 30.0 * dem_col + 15.0, 3_800_000.0 - 30.0 * dem_row - 15.0)

    assert np.isnan(t.elevation[cell(80, 80)])  # the middle
    assert np.isnan(t.elevation[cell(63, 80)])  # 3 cells in from the edge: no rim
    assert np.isnan(t.elevation[cell(80, 96)])
    assert np.isfinite(t.elevation[cell(152, 152)])  # the small hole is filled
    assert 0 < t.filled_cells <= 6 * 6


def test_slope_of_nan_is_zero_not_a_wall() -> None:
    z = np.full((10, 10), 1000.0, dtype=np.float32)
    z[:, 5:] = np.nan
    s = slope_tan(z, 10.0)
    assert np.all(np.isfinite(s)) and float(s.max()) == 0.0


def test_real_dem_with_nodata(shared_data: Path) -> None:
    dem = read_dem(shared_data / "terrain/red_butte_ut/red_butte_dem.tif")
    w, s, e, n = dem_bounds_lonlat(dem)
    centre = LonLat(lon=(w + e) / 2, lat=(s + n) / 2)
    crs = utm_crs_for(centre)
    grid = GridSpec.centered_on(*to_crs(centre, crs), crs=crs, resolution=30.0, extent_m=6_000.0)
    t = terrain_from_dem(dem, grid)
    assert 0.2 < t.nodata_fraction < 0.8  # the DEM is masked to the natural area
    known = t.elevation[np.isfinite(t.elevation)]
    assert float(known.min()) > 1500.0 and float(known.max()) < 2600.0
    r, c = np.argwhere(np.isfinite(t.elevation))[0]
    assert t.relief_m(int(r), int(c)) > 100.0
