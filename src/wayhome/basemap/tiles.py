"""Web-mercator XYZ tiles of a plan raster: a pyramid in EPSG:3857, colour ramps, PNG.

A raster on the plan grid (UTM metres) is halved into a pyramid of 2 x 2 means until it
fits one tile (:class:`MercatorPyramid`); a level is warped into web mercator with
:func:`rasterio.warp.reproject` (bilinear) the first time a tile needs it. A tile
(:meth:`MercatorPyramid.tile`) is then sampled bilinearly from the level just finer than
the tile's pixels: mercator to mercator is a scale and a shift, separable by rows and
columns, so NumPy does it in about a millisecond (a GDAL warp per tile costs 5-20 ms of
set-up and is not thread-safe about warnings). So a tile costs milliseconds at any zoom
of a 4 M-cell plan, and the first screen of a plan needs only its coarse levels. Cells
without data are NaN and come out fully transparent.

Colour ramps (RGBA, 8 bits):

* **hillshade** (:func:`shade_rgba`): the shade 0..1 darkens a light paper tone
  (``#f3f1ea``) to 40 % of it; opaque where the DEM has data.
* **POA heat** (:func:`heat_rgba`): each cell's probability ``p`` is taken relative to
  the map's largest cell ``p_max`` on a log scale over three decades,
  ``t = 1 + log10(p / p_max) / 3``; cells below 1/1000 of the peak (``t < 0``) are
  transparent. ``t`` picks a colour from ColorBrewer's *YlOrRd* (pale yellow, orange,
  dark red: sequential with lightness falling monotonically, so more probable reads
  darker, in colour and in grey) from 15 % to 100 % of the ramp, and an opacity from
  30 % to 85 %, so the relief stays visible under the heat. It is the preview map's ramp
  (:mod:`wayhome.io.preview`).

Tile maths (bounds of z/x/y, tiles over an area) is :mod:`morecantile`'s
``WebMercatorQuad``. Both ramps are 255-entry palettes (plus a transparent entry 0), so
tiles are 8-bit palette PNGs with per-entry transparency, written by Pillow (which
matplotlib, and so the preview, writes PNGs with): a quarter of the bytes of RGBA to
compress, and a third of the size.
"""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Callable, Iterator
from functools import cache

import morecantile
import numpy as np
from affine import Affine
from matplotlib import colormaps
from numpy.typing import NDArray
from PIL import Image
from rasterio.crs import CRS
from rasterio.warp import Resampling, reproject, transform_bounds

from wayhome.errors import InvalidParameterError
from wayhome.geo.grid import GridSpec

__all__ = [
    "HEAT_DECADES",
    "MERCATOR",
    "TILE_SIZE",
    "TILE_SIZES",
    "MercatorPyramid",
    "blank_png",
    "encode_png",
    "heat_index",
    "heat_png",
    "heat_rgba",
    "shade_index",
    "shade_png",
    "shade_rgba",
    "tile_bounds",
    "tile_exists",
    "tiles_over",
]

#: Tile side in pixels (the default; web-mercator zoom levels are counted in 256 px tiles).
TILE_SIZE = 256
#: The tile sides a tile can be asked for in: a 512 px tile of z/x/y covers the same ground
#: as the 256 px one, at twice the pixels (a quarter of the requests for a screen).
TILE_SIZES: tuple[int, ...] = (256, 512)
#: The tiles' CRS.
MERCATOR = "EPSG:3857"
#: Decades of probability below the peak that the heat ramp spans (below: transparent).
HEAT_DECADES = 3.0
_PAPER = np.array([243.0, 241.0, 234.0])
_SHADE_FLOOR = 0.4
_HEAT_RAMP = (0.15, 1.0)
_HEAT_ALPHA = (0.30, 0.85)
_PNG_LEVEL = 4
_EARTH_RADIUS_M = 6378137.0
#: One level warp at a time: rasterio's in-memory datasets silence a warning with
#: ``warnings.catch_warnings``, which is not thread-safe (a warning, or an error under
#: ``-W error``, can escape when two warps overlap).
_WARP_LOCK = threading.Lock()


@cache
def _tms() -> morecantile.TileMatrixSet:
    return morecantile.tms.get("WebMercatorQuad")


@cache
def _mercator() -> CRS:
    return CRS.from_user_input(MERCATOR)


def tile_exists(z: int, x: int, y: int) -> bool:
    """True when z/x/y names a tile of the web-mercator pyramid (z 0..30).

    Examples
    --------
    >>> tile_exists(2, 3, 3), tile_exists(2, 4, 0), tile_exists(-1, 0, 0)
    (True, False, False)
    """
    return 0 <= z <= 30 and 0 <= x < 2**z and 0 <= y < 2**z


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """``(left, bottom, right, top)`` of tile z/x/y in EPSG:3857 metres.

    Examples
    --------
    >>> [round(v) for v in tile_bounds(1, 0, 0)]
    [-20037508, 0, 0, 20037508]
    """
    if not tile_exists(z, x, y):
        raise InvalidParameterError(f"tile: {z}/{x}/{y} is not a web-mercator tile")
    b = _tms().xy_bounds(morecantile.Tile(x, y, z))
    return (float(b.left), float(b.bottom), float(b.right), float(b.top))


def tiles_over(
    bounds_lonlat: tuple[float, float, float, float], z: int
) -> Iterator[tuple[int, int, int]]:
    """The z/x/y of every tile at zoom ``z`` over ``(west, south, east, north)``."""
    for t in _tms().tiles(*bounds_lonlat, [z]):
        yield (t.z, t.x, t.y)


class MercatorPyramid:
    """A raster's pyramid in web mercator; each level is made the first time a tile needs it.

    Level 0 has the grid's cells, each next level cells twice as wide (2 x 2 means of the
    level below, NaN ignored), up to the level that fits one tile. A level is warped into
    web mercator (bilinear, the cells' ground size kept) only when a tile is cut from it,
    so the first tiles of a plan, at the zooms that show all of it, cost a fraction of
    warping the full grid.

    Parameters
    ----------
    values : ndarray
        The raster on ``grid``; NaN where there is no data.
    grid : GridSpec
        Where its cells are.
    derive : callable, optional
        ``derive(values_k, cell_size_k)`` gives what level ``k`` shows from the averaged
        values of that level and its cell size (the hillshade of the averaged DEM, so
        the relief is generalised, not its shade blurred); default: the values.
    """

    def __init__(
        self,
        values: NDArray[np.floating],
        grid: GridSpec,
        *,
        derive: Callable[[NDArray[np.float32], float], NDArray[np.floating]] | None = None,
    ) -> None:
        if values.shape != grid.shape:
            raise InvalidParameterError(
                f"values: shape {values.shape} does not match the grid {grid.shape}"
            )
        self.grid = grid
        self._derive = derive
        self._sources: dict[int, NDArray[np.float32]] = {0: np.asarray(values, dtype=np.float32)}
        self._levels: dict[int, tuple[NDArray[np.float32], Affine]] = {}
        self._lock = threading.Lock()
        self._crs = CRS.from_user_input(grid.crs)
        left, bottom, right, top = transform_bounds(
            self._crs, _mercator(), *grid.bounds, densify_pts=21
        )
        self.bounds = (float(left), float(bottom), float(right), float(top))
        # Mercator stretches lengths by 1/cos(latitude): keep the cells' ground size.
        lat = math.atan(math.sinh((bottom + top) / 2.0 / _EARTH_RADIUS_M))
        self._stretch = 1.0 / math.cos(lat)
        n = 1
        while max(math.ceil(side / 2 ** (n - 1)) for side in grid.shape) > TILE_SIZE:
            n += 1
        self.n_levels = n

    @classmethod
    def from_grid(
        cls,
        values: NDArray[np.floating],
        grid: GridSpec,
        *,
        derive: Callable[[NDArray[np.float32], float], NDArray[np.floating]] | None = None,
    ) -> MercatorPyramid:
        """The pyramid of ``values`` on ``grid`` (see the class)."""
        return cls(values, grid, derive=derive)

    def pixel_size(self, k: int) -> float:
        """Size of a level-``k`` pixel in EPSG:3857 metres."""
        return math.ldexp(self.grid.resolution * self._stretch, k)

    def level(self, k: int) -> tuple[NDArray[np.float32], Affine]:
        """Level ``k`` in web mercator and its transform (made on first use)."""
        made = self._levels.get(k)
        if made is not None:
            return made
        with self._lock, _WARP_LOCK:
            made = self._levels.get(k)
            if made is None:
                made = self._levels[k] = self._warp(k)
            return made

    def _source(self, k: int) -> NDArray[np.float32]:
        if k not in self._sources:
            self._sources[k] = _halve(self._source(k - 1))
        return self._sources[k]

    def _warp(self, k: int) -> tuple[NDArray[np.float32], Affine]:
        src = self._source(k)
        cell = math.ldexp(self.grid.resolution, k)
        if self._derive is not None:
            src = np.asarray(self._derive(src, cell), dtype=np.float32)
        left, bottom, right, top = self.bounds
        pixel = self.pixel_size(k)
        width = max(1, math.ceil((right - left) / pixel))
        height = max(1, math.ceil((top - bottom) / pixel))
        transform = Affine(pixel, 0.0, left, 0.0, -pixel, top)
        out = np.full((height, width), np.nan, dtype=np.float32)
        reproject(
            np.ascontiguousarray(src),
            out,
            src_transform=self.grid.transform @ Affine.scale(2.0**k),
            src_crs=self._crs,
            dst_transform=transform,
            dst_crs=_mercator(),
            src_nodata=np.nan,
            dst_nodata=np.nan,
            resampling=Resampling.bilinear,
        )
        return out, transform

    @property
    def nbytes(self) -> int:
        """Memory held by the levels made so far."""
        return sum(a.nbytes for a in self._sources.values()) + sum(
            a.nbytes for a, _ in self._levels.values()
        )

    def covers(self, z: int, x: int, y: int) -> bool:
        """True when tile z/x/y overlaps the raster's bounds."""
        if not tile_exists(z, x, y):
            return False
        left, bottom, right, top = tile_bounds(z, x, y)
        bl, bb, br, bt = self.bounds
        return left < br and right > bl and bottom < bt and top > bb

    def tile(self, z: int, x: int, y: int, size: int = TILE_SIZE) -> NDArray[np.float32]:
        """The raster resampled into tile z/x/y (``size`` x ``size`` pixels, one of
        :data:`TILE_SIZES`; NaN where there is no data)."""
        _check_size(size)
        left, bottom, right, top = tile_bounds(z, x, y)
        pixel = (right - left) / size
        out = np.full((size, size), np.nan, dtype=np.float32)
        if not self.covers(z, x, y):
            return out
        # The coarsest level still at least as fine as the tile's pixels.
        k = 0
        while k + 1 < self.n_levels and self.pixel_size(k + 1) <= pixel * 1.0001:
            k += 1
        level, t = self.level(k)
        return _resample(level, t, (left, bottom, right, top), size)


def _check_size(size: int) -> None:
    if size not in TILE_SIZES:
        sizes = " or ".join(str(s) for s in TILE_SIZES)
        raise InvalidParameterError(f"size: a tile is {sizes} pixels square, got {size}")


def _resample(
    level: NDArray[np.float32],
    t: Affine,
    bounds: tuple[float, float, float, float],
    size: int = TILE_SIZE,
) -> NDArray[np.float32]:
    """Bilinear samples of ``level`` (transform ``t``) at the pixel centres of a tile.

    Both are north-up grids in the same CRS, so the sample positions are separable:
    a column of the tile maps to one fractional column of the level, a row to a row.
    Neighbours without data drop out and the others' weights are renormalised (as GDAL's
    bilinear warp does with nodata); a pixel with no neighbour with data is NaN.
    """
    left, bottom, right, top = bounds
    rows, cols = level.shape
    centres = np.arange(size, dtype=np.float64) + 0.5
    u = (left + centres * (right - left) / size - t.c) / t.a - 0.5
    v = (top - centres * (top - bottom) / size - t.f) / t.e - 0.5
    out = np.full((size, size), np.nan, dtype=np.float32)
    inside_u = (u > -1.0) & (u < cols)
    inside_v = (v > -1.0) & (v < rows)
    if not (inside_u.any() and inside_v.any()):
        return out
    u, v = u[inside_u], v[inside_v]
    c0, r0 = np.floor(u).astype(np.intp), np.floor(v).astype(np.intp)
    fu, fv = u - c0, v - r0
    total = np.zeros((v.size, u.size))
    weight = np.zeros((v.size, u.size))
    for dr, wr in ((0, 1.0 - fv), (1, fv)):
        rr = r0 + dr
        row_ok = (rr >= 0) & (rr < rows)
        band = level[np.clip(rr, 0, rows - 1)]
        for dc, wc in ((0, 1.0 - fu), (1, fu)):
            cc = c0 + dc
            col_ok = (cc >= 0) & (cc < cols)
            vals = band[:, np.clip(cc, 0, cols - 1)]
            w = np.outer(wr * row_ok, wc * col_ok)
            w[~np.isfinite(vals)] = 0.0
            total += w * np.nan_to_num(vals)
            weight += w
    with np.errstate(invalid="ignore", divide="ignore"):
        sampled = np.where(weight > 1e-9, total / weight, np.nan)
    out[np.ix_(inside_v, inside_u)] = sampled
    return out


def _halve(a: NDArray[np.float32]) -> NDArray[np.float32]:
    """Mean of each 2 x 2 block, ignoring NaN (odd sides padded with NaN)."""
    rows, cols = a.shape
    p = np.pad(a, ((0, rows % 2), (0, cols % 2)), constant_values=np.nan)
    blocks = p.reshape(p.shape[0] // 2, 2, p.shape[1] // 2, 2)
    ok = np.isfinite(blocks)
    total = np.where(ok, blocks, 0.0).sum(axis=(1, 3), dtype=np.float64)
    count = ok.sum(axis=(1, 3))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan).astype(np.float32)


def shade_index(shade: NDArray[np.floating]) -> NDArray[np.uint8]:
    """Palette index of each shade (0..1): 0 transparent (NaN), 1..255 dark to light."""
    s = np.asarray(shade, dtype=np.float32)
    ok = np.isfinite(s)
    idx = 1.0 + np.rint(np.clip(np.where(ok, s, 0.0), 0.0, 1.0) * 254.0)
    out: NDArray[np.uint8] = np.where(ok, idx, 0.0).astype(np.uint8)
    return out


@cache
def _shade_palette() -> NDArray[np.uint8]:
    """RGBA of each shade index: paper tone darkened to 40 % at index 1; 0 transparent."""
    light = _SHADE_FLOOR + (1.0 - _SHADE_FLOOR) * np.arange(255) / 254.0
    pal = np.zeros((256, 4), dtype=np.uint8)
    pal[1:, :3] = np.rint(light[:, None] * _PAPER).astype(np.uint8)
    pal[1:, 3] = 255
    return pal


def shade_rgba(shade: NDArray[np.floating]) -> NDArray[np.uint8]:
    """RGBA of a hillshade (0..1): paper tone darkened by the shade; NaN transparent.

    Examples
    --------
    >>> shade_rgba(np.array([[1.0, np.nan]])).tolist()
    [[[243, 241, 234, 255], [0, 0, 0, 0]]]
    """
    rgba: NDArray[np.uint8] = _shade_palette()[shade_index(shade)]
    return rgba


def shade_png(shade: NDArray[np.floating]) -> bytes:
    """PNG (8-bit palette with transparency) of a hillshade tile; the colours of
    :func:`shade_rgba`."""
    return _palette_png(shade_index(shade), _shade_palette())


@cache
def _heat_palette() -> NDArray[np.uint8]:
    """RGBA of each heat index: 0 transparent, 1..255 the ramp from faint to the peak."""
    t = np.linspace(0.0, 1.0, 255)
    lo, hi = _HEAT_RAMP
    rgba = np.asarray(colormaps["YlOrRd"](lo + (hi - lo) * t))
    alo, ahi = _HEAT_ALPHA
    rgba[:, 3] = alo + (ahi - alo) * t
    pal = np.zeros((256, 4), dtype=np.uint8)
    pal[1:] = np.rint(rgba * 255.0).astype(np.uint8)
    return pal


def heat_index(values: NDArray[np.floating], vmax: float) -> NDArray[np.uint8]:
    """Palette index of each probability (see the module): 0 transparent, 1..255 the ramp."""
    v = np.asarray(values, dtype=np.float64)
    if not (math.isfinite(vmax) and vmax > 0):
        return np.zeros(v.shape, dtype=np.uint8)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = 1.0 + np.log10(v / vmax) / HEAT_DECADES
    shown = np.isfinite(t) & (t >= 0.0)
    idx = 1.0 + np.rint(np.clip(np.where(shown, t, 0.0), 0.0, 1.0) * 254.0)
    out: NDArray[np.uint8] = np.where(shown, idx, 0.0).astype(np.uint8)
    return out


def heat_rgba(values: NDArray[np.floating], vmax: float) -> NDArray[np.uint8]:
    """RGBA of probabilities ``values`` scaled by the map's peak ``vmax`` (see the module).

    Cells below ``vmax / 1000``, NaN cells and every cell when ``vmax`` is 0 are
    transparent.

    Examples
    --------
    >>> px = heat_rgba(np.array([[1.0, 0.5, 1e-4]]), 1.0)
    >>> bool(px[0, 0, 3] > px[0, 1, 3] > 0), int(px[0, 2, 3])
    (True, 0)
    """
    rgba: NDArray[np.uint8] = _heat_palette()[heat_index(values, vmax)]
    return rgba


def heat_png(values: NDArray[np.floating], vmax: float) -> bytes:
    """PNG (8-bit palette with transparency) of a POA tile; the colours of :func:`heat_rgba`."""
    return _palette_png(heat_index(values, vmax), _heat_palette())


def _palette_png(index: NDArray[np.uint8], palette: NDArray[np.uint8]) -> bytes:
    """An 8-bit palette PNG: a quarter of the bytes of RGBA to compress, and smaller."""
    rows, cols = index.shape
    image = Image.frombytes("P", (cols, rows), np.ascontiguousarray(index).tobytes())
    image.putpalette(palette[:, :3].tobytes(), rawmode="RGB")
    buf = io.BytesIO()
    image.save(buf, format="png", transparency=palette[:, 3].tobytes(), compress_level=_PNG_LEVEL)
    return buf.getvalue()


def encode_png(rgba: NDArray[np.uint8]) -> bytes:
    """PNG bytes of an RGBA image (rows top to bottom)."""
    if rgba.ndim != 3 or rgba.shape[2] != 4 or rgba.dtype != np.uint8:
        raise InvalidParameterError(f"rgba: must be (rows, cols, 4) uint8, got {rgba.shape}")
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgba)).save(buf, format="png", compress_level=_PNG_LEVEL)
    return buf.getvalue()


@cache
def blank_png(size: int = TILE_SIZE) -> bytes:
    """A fully transparent ``size`` x ``size`` PNG (for tiles with nothing to show)."""
    _check_size(size)
    return _palette_png(np.zeros((size, size), dtype=np.uint8), _heat_palette())
