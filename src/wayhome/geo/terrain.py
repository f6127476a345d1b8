"""Elevation on the planning grid: resampling, hole filling, slope and relief.

:func:`terrain_from_dem` resamples any elevation model (any CRS, any resolution) onto a
:class:`~wayhome.geo.grid.GridSpec`; :class:`Terrain` holds the result and derives slope
and local relief. Cells without elevation data stay NaN after small holes are filled;
travel treats them as level ground (see :mod:`wayhome.geo.travel`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from affine import Affine
from numpy.typing import NDArray
from rasterio.crs import CRS
from rasterio.errors import NotGeoreferencedWarning
from rasterio.fill import fillnodata
from rasterio.warp import Resampling, reproject, transform_bounds

from wayhome.errors import OutsideTerrainError
from wayhome.geo.grid import GridSpec

__all__ = [
    "ElevationSource",
    "Terrain",
    "dem_bounds_lonlat",
    "slope_tan",
    "terrain_from_dem",
]

#: Holes whose deepest cell is at most this many cells from their edge are filled.
_FILL_MAX_CELLS = 10.0


class ElevationSource(Protocol):
    """What :func:`terrain_from_dem` needs of a raster (``wayhome.io.raster.RasterData``)."""

    @property
    def values(self) -> NDArray[np.float32]: ...
    @property
    def transform(self) -> Affine: ...
    @property
    def crs(self) -> str: ...
    @property
    def source(self) -> str: ...


@dataclass(frozen=True, slots=True, eq=False)
class Terrain:
    """Elevation in metres on a grid; NaN where no data is known.

    Parameters
    ----------
    grid : GridSpec
        The planning grid.
    elevation : ndarray of float32
        Metres above sea level, shape ``grid.shape``.
    filled_cells : int
        How many no-data cells were filled by interpolation.
    """

    grid: GridSpec
    elevation: NDArray[np.float32]
    filled_cells: int = 0

    @property
    def nodata(self) -> NDArray[np.bool_]:
        """True where elevation is unknown."""
        return ~np.isfinite(self.elevation)

    @property
    def nodata_fraction(self) -> float:
        """Share of cells without elevation."""
        return float(self.nodata.mean())

    def slope(self) -> NDArray[np.float32]:
        """Slope magnitude as a tangent (rise over run); 0 where unknown."""
        return slope_tan(self.elevation, self.grid.resolution)

    def relief_m(self, row: int, col: int, *, radius_m: float = 3_000.0) -> float:
        """Elevation range (95th minus 5th percentile) within ``radius_m`` of a cell.

        Used to tell mountainous from flat terrain for the ISRID tables.
        """
        r = max(1, int(radius_m / self.grid.resolution))
        r0, r1 = max(0, row - r), min(self.grid.shape[0], row + r + 1)
        c0, c1 = max(0, col - r), min(self.grid.shape[1], col + r + 1)
        window = self.elevation[r0:r1, c0:c1]
        known = window[np.isfinite(window)]
        if known.size < 2:
            return 0.0
        lo, hi = np.percentile(known, [5.0, 95.0])
        return float(hi - lo)


def slope_tan(elevation: NDArray[np.floating], resolution: float) -> NDArray[np.float32]:
    """Slope magnitude (tangent) by central differences; 0 where it cannot be computed.

    Examples
    --------
    >>> z = np.tile(np.arange(5, dtype=np.float32) * 3.0, (5, 1))   # 3 m rise per 10 m cell
    >>> float(slope_tan(z, 10.0)[2, 2])
    0.30000001192092896
    """
    z = np.asarray(elevation, dtype=np.float32)
    if min(z.shape) < 2:
        return np.zeros(z.shape, dtype=np.float32)
    gy, gx = np.gradient(z, np.float32(resolution))
    s: NDArray[np.float32] = np.hypot(gx, gy).astype(np.float32)
    # Unknown cells and the edge cells next to them (NaN differences) count as level.
    s[~np.isfinite(s)] = 0.0
    return s


def dem_bounds_lonlat(dem: ElevationSource) -> tuple[float, float, float, float]:
    """(west, south, east, north) of a DEM in degrees."""
    rows, cols = dem.values.shape
    t = dem.transform
    xs = [t.c, t.c + cols * t.a + rows * t.b]
    ys = [t.f, t.f + cols * t.d + rows * t.e]
    w, s, e, n = transform_bounds(
        CRS.from_user_input(dem.crs), CRS.from_epsg(4326), min(xs), min(ys), max(xs), max(ys)
    )
    return (float(w), float(s), float(e), float(n))


def terrain_from_dem(
    dem: ElevationSource, grid: GridSpec, *, resampling: str = "bilinear"
) -> Terrain:
    """Resample an elevation model onto the planning grid.

    Bilinear resampling by default (cubic is available); enclosed holes whose deepest cell
    is at most ten cells from known data are filled by inverse-distance interpolation
    (GDAL FillNodata); larger unknown areas stay NaN as a whole.

    Raises
    ------
    OutsideTerrainError
        When the grid and the DEM do not overlap at all.
    """
    out = np.full(grid.shape, np.nan, dtype=np.float32)
    src = np.asarray(dem.values, dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        reproject(
            source=src,
            destination=out,
            src_transform=dem.transform,
            src_crs=CRS.from_user_input(dem.crs),
            src_nodata=np.nan,
            dst_transform=grid.transform,
            dst_crs=CRS.from_user_input(grid.crs),
            dst_nodata=np.nan,
            resampling=Resampling[resampling],
        )
    known = np.isfinite(out)
    if not known.any():
        raise OutsideTerrainError(
            f"dem: the planning area does not overlap the elevation model {dem.source!r}; "
            f"check the last-seen point or give a DEM that covers it"
        )
    filled = 0
    if not known.all():
        # Only enclosed holes no deeper than _FILL_MAX_CELLS (from their edge) are filled;
        # larger holes stay unknown as a whole (walked as level ground), with no
        # interpolated rim, and the area outside the DEM's footprint is never filled.
        holes = _small_enclosed_holes(known, _FILL_MAX_CELLS)
        if holes.any():
            candidate = fillnodata(
                out.copy(),
                mask=known.astype(np.uint8),
                max_search_distance=_FILL_MAX_CELLS + 1.0,
                smoothing_iterations=0,
            )
            newly = holes & np.isfinite(candidate)
            out[newly] = candidate[newly]
            filled = int(newly.sum())
    return Terrain(grid=grid, elevation=out, filled_cells=filled)


def _small_enclosed_holes(known: NDArray[np.bool_], max_cells: float) -> NDArray[np.bool_]:
    """Unknown cells of holes that do not touch the grid's border (through other unknown
    cells) and whose deepest cell is at most ``max_cells`` from known data."""
    from scipy import ndimage  # local: keeps import of geo.terrain light

    labels, n = ndimage.label(~known)
    if n == 0:
        return np.zeros_like(known)
    border = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    depth = ndimage.distance_transform_edt(~known)
    ids = np.arange(1, n + 1)
    deepest = np.asarray(ndimage.maximum(depth, labels=labels, index=ids), dtype=np.float64)
    small = ids[(deepest <= max_cells) & ~np.isin(ids, border)]
    return np.isin(labels, small)
