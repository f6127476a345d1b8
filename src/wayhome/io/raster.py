"""GeoTIFF in and out: elevation models, POA maps and other grids.

Every raster wayhome reads or writes passes through here, so GDAL's errors and
warnings are turned into :class:`~wayhome.errors.DataFileError` messages that name the
file and the fix, and every write is atomic (see :mod:`wayhome.io.atomic`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from affine import Affine
from numpy.typing import NDArray
from rasterio.crs import CRS
from rasterio.errors import CRSError, NotGeoreferencedWarning, RasterioError

from wayhome.errors import DataFileError, InvalidParameterError, WayhomeError
from wayhome.geo.grid import GridSpec
from wayhome.io.atomic import atomic_path
from wayhome.probability.poa import POA

__all__ = [
    "POA_UNITS",
    "RasterData",
    "read_dem",
    "read_poa_geotiff",
    "write_poa_geotiff",
    "write_raster_geotiff",
]

#: Units tag written on every POA GeoTIFF.
POA_UNITS = "probability per cell"

#: How far the cells of a POA file may sum away from ``1 - rest_of_world`` before the
#: file is refused: float32 storage loses about 1e-7 per cell, an edited file far more.
_POA_SUM_TOLERANCE = 1e-4

#: Side (in cells) from which written GeoTIFFs are tiled, and the tile size.
_TILE = 256

_WRITABLE_DTYPES = frozenset(
    {"uint8", "int8", "uint16", "int16", "uint32", "int32", "int64", "uint64", "float32", "float64"}
)


@dataclass(frozen=True, slots=True, eq=False)
class RasterData:
    """Band 1 of a raster file with its georeferencing.

    Parameters
    ----------
    values : ndarray of float32
        2-D cell values; NaN where the file has no data (nodata value or mask).
    transform : affine.Affine
        Maps (col, row) of a cell corner to (x, y), as stored in the file.
    crs : str
        ``"EPSG:nnnn"`` when the CRS has an EPSG code, else its WKT.
    source : str
        The file name, for messages.
    """

    values: NDArray[np.float32]
    transform: Affine
    crs: str
    source: str

    def __post_init__(self) -> None:
        if self.values.ndim != 2:
            raise InvalidParameterError(f"values: must be 2-D, got {self.values.ndim}-D")
        if self.values.dtype != np.float32:
            raise InvalidParameterError(f"values: must be float32, got {self.values.dtype}")

    @property
    def shape(self) -> tuple[int, int]:
        """``(rows, cols)``."""
        rows, cols = self.values.shape
        return (rows, cols)

    @property
    def nodata_fraction(self) -> float:
        """Share of the cells without data (0 to 1)."""
        if self.values.size == 0:
            return 1.0
        return float(np.count_nonzero(np.isnan(self.values))) / self.values.size


# ---------------------------------------------------------------------------- helpers
def _crs_name(crs: CRS) -> str:
    """``"EPSG:nnnn"`` when the CRS has an EPSG code, else its WKT."""
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg is not None else str(crs.to_wkt())


@contextmanager
def _quiet_gdal() -> Iterator[None]:
    """Silence rasterio warnings that wayhome checks for itself (no georeferencing)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        yield


@contextmanager
def _open_raster(path: Path | str, what: str, hint: str) -> Iterator[Any]:
    """Open a raster for reading; any GDAL failure becomes a :class:`DataFileError`.

    ``what`` names the input in messages (``"dem"``), ``hint`` says what to give instead.
    Errors raised while reading inside the block are translated too.
    """
    p = Path(path)
    if not p.exists():
        raise DataFileError(f"{what}: no such file '{p}'; {hint}")
    if p.is_dir():
        raise DataFileError(f"{what}: '{p}' is a directory; {hint}")
    try:
        with _quiet_gdal(), rasterio.open(p) as ds:
            yield ds
    except RasterioError as exc:
        raise DataFileError(
            f"{what}: '{p.name}' is not a readable raster (GDAL says: {exc}); {hint}"
        ) from exc


def _check_georeferenced(ds: Any, what: str, name: str, hint: str) -> str:
    """The CRS name of an open dataset; refuse files without CRS or band."""
    if ds.count < 1:
        raise DataFileError(f"{what}: '{name}' has no raster band; {hint}")
    if ds.crs is None:
        raise DataFileError(
            f"{what}: '{name}' has no coordinate reference system; assign one (for example "
            f"`gdal_edit.py -a_srs EPSG:32611 {name}`) or export it again as a GeoTIFF"
        )
    try:
        return _crs_name(ds.crs)
    except CRSError as exc:
        raise DataFileError(
            f"{what}: '{name}' has a coordinate reference system that PROJ cannot use ({exc}); "
            f"reproject it to a UTM zone, e.g. with gdalwarp -t_srs EPSG:326nn"
        ) from exc


def _check_numeric(dtype: str, what: str, name: str, hint: str) -> None:
    """Refuse complex or otherwise non-real band types."""
    try:
        real = np.dtype(dtype).kind in "iuf"
    except TypeError:  # GDAL types numpy lacks, such as complex_int16
        real = False
    if not real:
        raise DataFileError(f"{what}: '{name}' holds {dtype} values, not real numbers; {hint}")


# ---------------------------------------------------------------------------- reading
def read_dem(path: Path | str) -> RasterData:
    """Read band 1 of an elevation model.

    Parameters
    ----------
    path : Path or str
        A GeoTIFF (or any single-file raster GDAL reads) with a CRS; geographic
        (EPSG:4326) and projected models in any integer or float type are accepted.

    Returns
    -------
    RasterData
        Elevations as float32 with NaN where the file has no data.

    Raises
    ------
    DataFileError
        The file is missing, is not a raster, has no CRS, holds non-numeric values, or
        has no data at all.
    """
    p = Path(path)
    hint = "give a GeoTIFF elevation model"
    with _open_raster(p, "dem", hint) as ds:
        crs = _check_georeferenced(ds, "dem", p.name, hint)
        _check_numeric(ds.dtypes[0], "dem", p.name, hint)
        band = ds.read(1, masked=True)
        transform = ds.transform
    values = np.ma.filled(band.astype(np.float32), np.float32(np.nan))
    values[~np.isfinite(values)] = np.nan
    if not np.isfinite(values).any():
        raise DataFileError(
            f"dem: every cell of '{p.name}' is nodata; check the file's nodata value "
            f"(gdalinfo {p.name}) or give another elevation model"
        )
    return RasterData(values=values, transform=transform, crs=crs, source=p.name)


def read_poa_geotiff(path: Path | str) -> POA:
    """Read a POA map written by :func:`write_poa_geotiff`.

    Parameters
    ----------
    path : Path or str
        A POA GeoTIFF with the ``model`` and ``rest_of_world`` tags.

    Returns
    -------
    POA
        The map; its cells are rescaled by at most float32 rounding so that
        ``cells.sum() + rest_of_world == 1`` holds again in float64.

    Raises
    ------
    DataFileError
        The file is missing, not a raster, lacks the wayhome tags, is not on a north-up
        square grid, or its cells do not sum to ``1 - rest_of_world``.
    """
    p = Path(path)
    hint = "give a POA GeoTIFF written by wayhome"
    with _open_raster(p, "poa", hint) as ds:
        crs = _check_georeferenced(ds, "poa", p.name, hint)
        _check_numeric(ds.dtypes[0], "poa", p.name, hint)
        band = ds.read(1, masked=True)
        tags: dict[str, str] = ds.tags()
        transform = ds.transform
    for key in ("model", "rest_of_world"):
        if key not in tags:
            raise DataFileError(f"poa: '{p.name}' has no '{key}' tag; {hint}")
    try:
        rest_of_world = float(tags["rest_of_world"])
    except ValueError:
        raise DataFileError(
            f"poa: tag rest_of_world of '{p.name}' is {tags['rest_of_world']!r}, not a number; "
            f"{hint}"
        ) from None
    if np.ma.is_masked(band):
        raise DataFileError(f"poa: '{p.name}' has nodata cells; {hint}")
    cells = np.asarray(band, dtype=np.float64)
    notes = tuple(n for n in tags.get("notes", "").split("\n") if n)
    try:
        grid = GridSpec(crs=crs, transform=transform, shape=(cells.shape[0], cells.shape[1]))
        total = float(cells.sum())
        if math.isfinite(total) and abs(total + rest_of_world - 1.0) > _POA_SUM_TOLERANCE:
            raise DataFileError(
                f"poa: the cells of '{p.name}' sum to {total:.6f} but rest_of_world is "
                f"{rest_of_world!r}; together they must make 1. {hint.capitalize()}"
            )
        if total > 0.0:
            cells *= (1.0 - rest_of_world) / total
        return POA(grid, cells, rest_of_world, tags["model"], notes)
    except InvalidParameterError as exc:
        raise DataFileError(f"poa: '{p.name}' is not a valid POA map ({exc}); {hint}") from exc


# ---------------------------------------------------------------------------- writing
def _writable(values: NDArray[Any]) -> NDArray[Any]:
    """``values`` in a type GeoTIFF stores (bool → uint8, float16 → float32)."""
    arr = np.asarray(values)
    if arr.dtype == np.bool_:
        return arr.astype(np.uint8)
    if arr.dtype == np.float16:
        return arr.astype(np.float32)
    if arr.dtype.name not in _WRITABLE_DTYPES:
        raise InvalidParameterError(
            f"values: a GeoTIFF cannot hold {arr.dtype} values; convert to float32 or an "
            f"integer type"
        )
    return arr


def write_raster_geotiff(
    path: Path | str,
    values: NDArray[Any],
    grid: GridSpec,
    *,
    nodata: float | None = None,
    tags: dict[str, str] | None = None,
) -> None:
    """Write one band on ``grid`` as a compressed GeoTIFF, atomically.

    Parameters
    ----------
    path : Path or str
        The file to create or replace; its directory must exist.
    values : ndarray
        Shape ``grid.shape``; kept in its own type (bool as uint8, float16 as float32).
    grid : GridSpec
        CRS and transform of the file.
    nodata : float, optional
        The nodata value to record (NaN allowed for float bands).
    tags : dict of str to str, optional
        Metadata written in the default domain.

    Raises
    ------
    InvalidParameterError
        ``values`` does not match the grid or has a type GeoTIFF cannot hold.
    DataFileError
        The directory does not exist or GDAL cannot write the file.
    """
    arr = _writable(values)
    if arr.shape != grid.shape:
        raise InvalidParameterError(
            f"values: shape {arr.shape} does not match the grid {grid.shape}"
        )
    rows, cols = grid.shape
    profile: dict[str, Any] = {
        "driver": "GTiff",
        "height": rows,
        "width": cols,
        "count": 1,
        "dtype": arr.dtype.name,
        "transform": grid.transform,
        "nodata": nodata,
        "compress": "deflate",
        "predictor": 3 if arr.dtype.kind == "f" else 2,
        "BIGTIFF": "IF_SAFER",
    }
    if rows >= _TILE and cols >= _TILE:
        profile.update(tiled=True, blockxsize=_TILE, blockysize=_TILE)
    try:
        profile["crs"] = CRS.from_user_input(grid.crs)
    except CRSError as exc:
        raise InvalidParameterError(
            f"grid: PROJ does not know the CRS {grid.crs!r} ({exc}); use an EPSG code"
        ) from exc
    target = Path(path)
    try:
        with atomic_path(target) as tmp, _quiet_gdal(), rasterio.open(tmp, "w", **profile) as ds:
            ds.write(arr, 1)
            if tags:
                ds.update_tags(**tags)
    except WayhomeError:
        raise
    except (RasterioError, OSError) as exc:
        raise DataFileError(
            f"output: could not write '{target}' (GDAL says: {exc}); check the disk space "
            f"and that the directory is writable"
        ) from exc


def write_poa_geotiff(path: Path | str, poa: POA) -> None:
    """Write a POA map as a float32 GeoTIFF that :func:`read_poa_geotiff` reads back.

    Parameters
    ----------
    path : Path or str
        The file to create or replace; its directory must exist.
    poa : POA
        The map. Tags record ``model``, ``rest_of_world`` (exact ``repr``), ``units``
        and ``notes`` (one per line).
    """
    tags = {
        "model": poa.model,
        "rest_of_world": repr(float(poa.rest_of_world)),
        "units": POA_UNITS,
        "notes": "\n".join(n.replace("\n", " ") for n in poa.notes),
    }
    write_raster_geotiff(path, poa.cells.astype(np.float32), poa.grid, tags=tags)
