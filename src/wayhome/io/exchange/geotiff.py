"""The POA map as a GeoTIFF for desktop GIS (QGIS, ArcGIS Pro, Global Mapper).

A plan's ``poa.tif`` is already a georeferenced float32 GeoTIFF in the plan's UTM zone; the
export adds what a GIS user needs to read it without wayhome: a declared nodata value, and
tags saying what the numbers mean. By default it stays in the plan CRS, where each cell's
value is exactly the probability that the subject is in that cell (a GIS reprojects on the
fly). With ``crs="EPSG:4326"`` it is warped to WGS 84 for tools that want lon/lat: the
probability *density* is resampled (average), multiplied by each output cell's area on
the ellipsoid and rescaled so the cells still sum to ``1 - rest_of_world``.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import rasterio.crs
import rasterio.warp
from pyproj import CRS, Geod
from rasterio.enums import Resampling

from wayhome.errors import InvalidParameterError
from wayhome.geo.grid import GridSpec
from wayhome.io.raster import POA_UNITS, write_raster_geotiff
from wayhome.probability.poa import POA

__all__ = ["GIS_NODATA", "POA_MEANING", "write_poa_for_gis"]

#: The nodata value of exported POA GeoTIFFs (cells outside the plan after warping).
GIS_NODATA = -9999.0

#: The meaning tag written on every exported POA GeoTIFF.
POA_MEANING = (
    "probability of area (POA): the probability that the subject is in this cell; the "
    "cells sum to 1 minus rest_of_world (the probability outside the mapped area)"
)


def write_poa_for_gis(path: Path | str, poa: POA, *, crs: str | None = None) -> None:
    """Write ``poa`` as a float32 GeoTIFF with CRS, nodata and meaning tags, atomically.

    Parameters
    ----------
    path : Path or str
        The ``.tif`` to create or replace.
    poa : POA
        The map (a plan directory's ``poa.tif``).
    crs : str, optional
        Output CRS; default the plan's own (exact values). ``"EPSG:4326"`` (or any other)
        warps the map as described in the module docstring.

    Raises
    ------
    InvalidParameterError
        A CRS PROJ does not know.
    """
    tags = {
        "model": poa.model,
        "rest_of_world": repr(float(poa.rest_of_world)),
        "units": POA_UNITS,
        "meaning": POA_MEANING,
        "source_crs": poa.grid.crs,
    }
    if crs is None or _same_crs(crs, poa.grid.crs):
        tags["resampled"] = "no"
        write_raster_geotiff(
            path, poa.cells.astype(np.float32), poa.grid, nodata=GIS_NODATA, tags=tags
        )
        return
    values, grid = _warp(poa, crs)
    tags["resampled"] = f"density averaged into {crs} cells, rescaled to keep the total"
    write_raster_geotiff(path, values, grid, nodata=GIS_NODATA, tags=tags)


def _same_crs(a: str, b: str) -> bool:
    try:
        return bool(CRS.from_user_input(a) == CRS.from_user_input(b))
    except Exception as exc:
        raise InvalidParameterError(
            f"crs: PROJ does not know {a!r} ({exc}); use an EPSG code"
        ) from None


def _warp(poa: POA, crs: str) -> tuple[np.ndarray, GridSpec]:
    src_crs = rasterio.crs.CRS.from_user_input(poa.grid.crs)
    dst_crs = rasterio.crs.CRS.from_user_input(crs)
    rows, cols = poa.grid.shape
    t = poa.grid.transform
    left, top = t.c, t.f
    right, bottom = left + cols * t.a, top + rows * t.e
    with warnings.catch_warnings():  # rasterio 1.4 multiplies Affines with `*` (affine 3)
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        transform, width, height = rasterio.warp.calculate_default_transform(
            src_crs, dst_crs, cols, rows, left=left, bottom=bottom, right=right, top=top
        )
    density = (poa.cells / abs(t.a * t.e)).astype(np.float64)
    out = np.full((int(height), int(width)), np.nan, dtype=np.float64)
    rasterio.warp.reproject(
        density,
        out,
        src_transform=t,
        src_crs=src_crs,
        dst_transform=transform,
        dst_crs=dst_crs,
        src_nodata=None,
        dst_nodata=np.nan,
        resampling=Resampling.average,
    )
    area = _cell_areas(transform, out.shape, dst_crs)
    cells = out * area
    valid = np.isfinite(cells)
    total = float(cells[valid].sum())
    if total > 0:
        cells[valid] *= float(poa.cells.sum()) / total
    values = np.where(valid, cells, GIS_NODATA).astype(np.float32)
    grid = GridSpec(crs=crs, transform=transform, shape=(out.shape[0], out.shape[1]))
    return values, grid


def _cell_areas(transform: object, shape: tuple[int, ...], crs: rasterio.crs.CRS) -> np.ndarray:
    """Area in m² of each output cell (geodesic for geographic CRSs), shape (rows, 1)."""
    a, e, c, f = transform.a, transform.e, transform.c, transform.f  # type: ignore[attr-defined]
    rows = shape[0]
    if not crs.is_geographic:
        return np.full((rows, 1), abs(a * e))
    geod = Geod(ellps="WGS84")
    out = np.empty((rows, 1))
    for r in range(rows):
        y0, y1 = f + r * e, f + (r + 1) * e
        lons = [c, c + a, c + a, c]
        lats = [y0, y0, y1, y1]
        out[r, 0] = abs(geod.polygon_area_perimeter(lons, lats)[0])
    return out
