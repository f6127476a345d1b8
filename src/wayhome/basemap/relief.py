"""Relief from an elevation grid: hillshade (Horn's method) and contour lines.

Both take the plan's elevation array and its :class:`~wayhome.geo.grid.GridSpec` (square
cells in metres, north up), so slopes are true slopes. Contours come back in WGS 84
(RFC 7946 longitude/latitude), simplified to about half a cell, ready for GeoJSON.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.ndimage import distance_transform_edt
from shapely.geometry import LineString
from skimage.measure import find_contours

from wayhome.errors import InvalidParameterError
from wayhome.geo.coords import geometry_to_crs
from wayhome.geo.grid import GridSpec

__all__ = [
    "CONTOUR_INTERVALS_M",
    "INDEX_EVERY",
    "Contour",
    "contour_interval",
    "contours_from_dem",
    "hillshade",
]

#: The intervals a contour interval is chosen from (metres), as on printed maps.
CONTOUR_INTERVALS_M: tuple[float, ...] = (
    1.0, 2.0, 5.0, 10.0, 20.0, 25.0, 50.0, 100.0, 200.0, 250.0, 500.0, 1000.0,
)  # fmt: skip
#: Every this many intervals a contour is an index contour (drawn bolder, labelled).
INDEX_EVERY = 5
#: About this many contour levels span the relief at the chosen interval (at most).
_TARGET_LEVELS = 25
#: Contours are traced on a grid at most this many cells on a side (block-averaged).
_MAX_CONTOUR_SIDE = 1200


@dataclass(frozen=True, slots=True)
class Contour:
    """One contour line in WGS 84.

    Parameters
    ----------
    elevation_m : float
        Its elevation.
    index : bool
        An index contour (a multiple of ``INDEX_EVERY`` intervals).
    coordinates : tuple of (lon, lat)
        The vertices, longitude first (RFC 7946), rounded to 1e-6 degrees.
    """

    elevation_m: float
    index: bool
    coordinates: tuple[tuple[float, float], ...]

    def to_feature(self) -> dict[str, Any]:
        """A GeoJSON LineString Feature with ``elevation_m`` and ``index``."""
        return {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [list(c) for c in self.coordinates]},
            "properties": {"elevation_m": self.elevation_m, "index": self.index},
        }


def hillshade(
    elevation: NDArray[np.floating],
    cell_size_m: float,
    *,
    azimuth_deg: float = 315.0,
    altitude_deg: float = 45.0,
    z_factor: float = 1.0,
) -> NDArray[np.float32]:
    """Illumination of each cell, 0 (in shadow) to 1 (facing the sun), by Horn's method.

    Horn (1981): the slope and aspect of a cell come from its eight neighbours, the
    nearer four weighted twice; the light comes from ``azimuth_deg`` (clockwise from
    north) at ``altitude_deg`` above the horizon. Cells without data (NaN) stay NaN;
    their neighbours see them as the nearest cell with data, and past the grid's border
    the slope goes on (odd reflection), so a map has no flat or dark frame.

    Parameters
    ----------
    elevation : ndarray
        Elevation in metres, north up; NaN where there is none.
    cell_size_m : float
        Cell size in metres (square cells).
    azimuth_deg, altitude_deg : float
        Where the light comes from.
    z_factor : float
        Vertical exaggeration.

    Returns
    -------
    ndarray of float32
        The shade, same shape as ``elevation``.

    Examples
    --------
    >>> flat = np.zeros((3, 3))
    >>> round(float(hillshade(flat, 10.0)[1, 1]), 4)  # sin(45°)
    0.7071
    >>> east_up = np.tile(np.arange(3.0) * 10.0, (3, 1))  # faces west, toward the light
    >>> bool(hillshade(east_up, 10.0)[1, 1] > hillshade(-east_up, 10.0)[1, 1])
    True
    """
    if not (math.isfinite(cell_size_m) and cell_size_m > 0):
        raise InvalidParameterError(f"cell_size_m: must be > 0, got {cell_size_m}")
    if not 0.0 <= altitude_deg <= 90.0:
        raise InvalidParameterError(f"altitude_deg: must be 0..90, got {altitude_deg}")
    z = np.asarray(elevation, dtype=np.float64)
    if z.ndim != 2:
        raise InvalidParameterError(f"elevation: must be 2-D, got {z.ndim}-D")
    missing = ~np.isfinite(z)
    if missing.all():
        return np.full(z.shape, np.nan, dtype=np.float32)
    if missing.any():
        # Each missing cell takes the value of the nearest cell with data.
        _, (ri, ci) = distance_transform_edt(missing, return_indices=True)
        z = z[ri, ci]
    p = np.pad(z * z_factor, 1, mode="reflect", reflect_type="odd")
    a, b, c = p[:-2, :-2], p[:-2, 1:-1], p[:-2, 2:]
    d, f = p[1:-1, :-2], p[1:-1, 2:]
    g, h, i = p[2:, :-2], p[2:, 1:-1], p[2:, 2:]
    # x grows east; rows grow south, so dz_dy is the fall towards the north.
    dz_dx = ((c + 2.0 * f + i) - (a + 2.0 * d + g)) / (8.0 * cell_size_m)
    dz_dy = ((g + 2.0 * h + i) - (a + 2.0 * b + c)) / (8.0 * cell_size_m)
    slope = np.arctan(np.hypot(dz_dx, dz_dy))
    aspect = np.arctan2(dz_dy, -dz_dx)
    zenith = math.radians(90.0 - altitude_deg)
    sun = math.radians((450.0 - azimuth_deg) % 360.0)  # compass to maths angle
    shade = math.cos(zenith) * np.cos(slope) + math.sin(zenith) * np.sin(slope) * np.cos(
        sun - aspect
    )
    out = np.clip(shade, 0.0, 1.0).astype(np.float32)
    out[missing] = np.nan
    return out


def contour_interval(elevation: NDArray[np.floating]) -> float:
    """A map interval for the relief: the smallest of :data:`CONTOUR_INTERVALS_M` that
    draws at most about 25 levels between the lowest and highest cell.

    Examples
    --------
    >>> contour_interval(np.array([[300.0, 1400.0]]))
    50.0
    >>> contour_interval(np.array([[10.0, 12.0]]))
    1.0
    """
    finite = np.asarray(elevation, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        raise InvalidParameterError("elevation: no cell has data; give a DEM with elevations")
    relief = float(finite.max() - finite.min())
    for interval in CONTOUR_INTERVALS_M:
        if relief / interval <= _TARGET_LEVELS:
            return interval
    return CONTOUR_INTERVALS_M[-1] * math.ceil(relief / _TARGET_LEVELS / CONTOUR_INTERVALS_M[-1])


def contours_from_dem(
    elevation: NDArray[np.floating],
    grid: GridSpec,
    *,
    interval_m: float | None = None,
    simplify_cells: float = 0.5,
) -> list[Contour]:
    """Contour lines of ``elevation`` (on ``grid``) in WGS 84, lowest level first.

    A grid larger than 1200 cells on a side is block-averaged first (contours for a map
    screen need no more). Lines are simplified (Douglas-Peucker) to ``simplify_cells``
    of the traced grid's cell size; lines shorter than two cells are dropped.

    Parameters
    ----------
    elevation : ndarray
        Elevation in metres on ``grid``; NaN where there is none (no line crosses it).
    grid : GridSpec
        Where the cells are.
    interval_m : float, optional
        Between levels; default :func:`contour_interval`. Levels are multiples of it;
        every :data:`INDEX_EVERY`-th multiple is an index contour.
    simplify_cells : float
        Simplification tolerance in cells (0: none).
    """
    z = np.asarray(elevation, dtype=np.float64)
    if z.shape != grid.shape:
        raise InvalidParameterError(
            f"elevation: shape {z.shape} does not match the grid {grid.shape}"
        )
    interval = contour_interval(z) if interval_m is None else float(interval_m)
    if not (math.isfinite(interval) and interval > 0):
        raise InvalidParameterError(f"interval_m: must be > 0, got {interval_m}")
    step = max(1, math.ceil(max(z.shape) / _MAX_CONTOUR_SIDE))
    if step > 1:
        z = _block_mean(z, step)
    res = grid.resolution * step
    left, top = grid.transform.c, grid.transform.f
    valid = np.isfinite(z)
    if not valid.any():
        return []
    lo, hi = float(z[valid].min()), float(z[valid].max())
    first, last = math.ceil(lo / interval), math.floor(hi / interval)
    filled = np.where(valid, z, lo)
    out: list[Contour] = []
    for k in range(first, last + 1):
        level = k * interval
        traced = find_contours(  # type: ignore[no-untyped-call]
            filled, level, mask=valid if not valid.all() else None
        )
        for rc in traced:
            if len(rc) < 2:
                continue
            xy = np.column_stack([left + (rc[:, 1] + 0.5) * res, top - (rc[:, 0] + 0.5) * res])
            line = LineString(xy)
            if line.length < 2.0 * res:
                continue
            if simplify_cells > 0:
                line = shapely.simplify(line, simplify_cells * res, preserve_topology=False)
            lonlat = geometry_to_crs(line, grid.crs, "EPSG:4326")
            coords = np.round(shapely.get_coordinates(lonlat), 6)
            out.append(
                Contour(
                    elevation_m=round(level, 3),
                    index=k % INDEX_EVERY == 0,
                    coordinates=tuple((float(x), float(y)) for x, y in coords),
                )
            )
    return out


def _block_mean(z: NDArray[np.float64], step: int) -> NDArray[np.float64]:
    """Mean of each ``step`` x ``step`` block, ignoring NaN (NaN where a block has none)."""
    rows, cols = z.shape
    pr, pc = -rows % step, -cols % step
    padded = np.pad(z, ((0, pr), (0, pc)), constant_values=np.nan)
    blocks = padded.reshape(padded.shape[0] // step, step, padded.shape[1] // step, step)
    ok = np.isfinite(blocks)
    total = np.where(ok, blocks, 0.0).sum(axis=(1, 3))
    count = ok.sum(axis=(1, 3))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)
