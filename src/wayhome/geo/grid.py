"""The planning grid: a north-up raster in a metric CRS (:class:`GridSpec`).

Every map wayhome computes (elevation, travel time, POA) lives on one ``GridSpec``:
an affine transform, a shape and a CRS. Cells are square and measured in metres, so
areas and distances are plain arithmetic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from affine import Affine
from numpy.typing import NDArray

from wayhome.errors import GridTooLargeError, InvalidParameterError

__all__ = ["BYTES_PER_CELL_PLAN", "GridSpec", "check_grid_memory"]

#: Peak working memory of a full plan per grid cell, in bytes: about a dozen float64
#: and float32 rasters (elevation, slope, cost, travel time, the MCP's own buffers,
#: weights, POA and the preview). Measured on the 4 M-cell benchmark (see docs/benchmarks.md).
BYTES_PER_CELL_PLAN = 160


@dataclass(frozen=True, slots=True)
class GridSpec:
    """A north-up grid of square cells in a projected, metric CRS.

    Parameters
    ----------
    crs : str
        The CRS as an authority string such as ``"EPSG:32611"`` (or WKT).
    transform : affine.Affine
        Maps (col, row) of a cell corner to (x, y); must be north-up with square cells.
    shape : tuple of int
        ``(rows, cols)``.

    Examples
    --------
    >>> g = GridSpec.centered_on(500_000.0, 4_000_000.0, crs="EPSG:32611",
    ...                          resolution=10.0, extent_m=1_000.0)
    >>> g.shape
    (101, 101)
    >>> g.index(500_000.0, 4_000_000.0)
    (50, 50)
    >>> g.cell_area_m2
    100.0
    """

    crs: str
    transform: Affine
    shape: tuple[int, int]

    def __post_init__(self) -> None:
        rows, cols = self.shape
        if rows < 1 or cols < 1:
            raise InvalidParameterError(f"shape: must be at least 1x1, got {self.shape}")
        t = self.transform
        if t.b != 0 or t.d != 0:
            raise InvalidParameterError("transform: must be north-up (no rotation)")
        if t.a <= 0 or t.e >= 0:
            raise InvalidParameterError("transform: cell width must be > 0 and height < 0")
        if not math.isclose(t.a, -t.e, rel_tol=1e-6):
            raise InvalidParameterError(
                f"transform: cells must be square, got {t.a} x {-t.e}; resample first"
            )

    # ------------------------------------------------------------------ constructors
    @classmethod
    def centered_on(
        cls, x: float, y: float, *, crs: str, resolution: float, extent_m: float
    ) -> GridSpec:
        """A square grid about ``extent_m`` wide whose centre cell contains (x, y).

        The cell count per side is odd, so (x, y) is the centre of the middle cell.
        """
        if not resolution > 0:
            raise InvalidParameterError(f"resolution: must be > 0 m, got {resolution}")
        if not extent_m >= resolution:
            raise InvalidParameterError(
                f"extent: must be at least one cell ({resolution} m), got {extent_m} m"
            )
        half = math.floor(extent_m / resolution / 2.0)
        n = 2 * half + 1
        left = x - (half + 0.5) * resolution
        top = y + (half + 0.5) * resolution
        return cls(
            crs=crs, transform=Affine(resolution, 0.0, left, 0.0, -resolution, top), shape=(n, n)
        )

    # ------------------------------------------------------------------ properties
    @property
    def resolution(self) -> float:
        """Cell size in metres."""
        return float(self.transform.a)

    @property
    def cell_area_m2(self) -> float:
        """Area of one cell in square metres."""
        return self.resolution * self.resolution

    @property
    def n_cells(self) -> int:
        """Number of cells."""
        return self.shape[0] * self.shape[1]

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(left, bottom, right, top)`` in CRS units."""
        rows, cols = self.shape
        left, top = self.transform.c, self.transform.f
        return (left, top - rows * self.resolution, left + cols * self.resolution, top)

    # ------------------------------------------------------------------ coordinates
    def centers(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """x of each column centre and y of each row centre (1-D arrays)."""
        rows, cols = self.shape
        left, top, r = self.transform.c, self.transform.f, self.resolution
        xs = left + (np.arange(cols, dtype=np.float64) + 0.5) * r
        ys = top - (np.arange(rows, dtype=np.float64) + 0.5) * r
        return xs, ys

    def xy(self, row: int, col: int) -> tuple[float, float]:
        """Centre of cell (row, col)."""
        r = self.resolution
        return (self.transform.c + (col + 0.5) * r, self.transform.f - (row + 0.5) * r)

    def index(self, x: float, y: float) -> tuple[int, int]:
        """(row, col) of the cell containing (x, y); may lie outside the grid."""
        r = self.resolution
        col = math.floor((x - self.transform.c) / r)
        row = math.floor((self.transform.f - y) / r)
        return (row, col)

    def contains(self, x: float, y: float) -> bool:
        """True when (x, y) falls inside the grid."""
        row, col = self.index(x, y)
        return 0 <= row < self.shape[0] and 0 <= col < self.shape[1]

    def distance_from(self, x: float, y: float) -> NDArray[np.float64]:
        """Straight-line distance in metres from (x, y) to every cell centre."""
        xs, ys = self.centers()
        return np.hypot(xs[np.newaxis, :] - x, ys[:, np.newaxis] - y)

    def translated(self, dx: float, dy: float) -> GridSpec:
        """The same grid moved by (dx, dy) metres."""
        return GridSpec(
            crs=self.crs, transform=Affine.translation(dx, dy) @ self.transform, shape=self.shape
        )


def check_grid_memory(
    shape: tuple[int, int], *, limit_bytes: int, bytes_per_cell: int = BYTES_PER_CELL_PLAN
) -> None:
    """Refuse a grid whose working set would exceed ``limit_bytes``.

    Raises
    ------
    GridTooLargeError
        With the estimated memory and a resolution that would fit.

    Examples
    --------
    >>> check_grid_memory((100, 100), limit_bytes=10**9)
    >>> try:
    ...     check_grid_memory((100_000, 100_000), limit_bytes=10**9)
    ... except GridTooLargeError as e:
    ...     print(str(e)[:60])
    resolution: a 100000 x 100000 grid (10,000,000,000 cells) ne
    """
    cells = shape[0] * shape[1]
    need = cells * bytes_per_cell
    if need > limit_bytes:
        factor = math.sqrt(need / limit_bytes)
        raise GridTooLargeError(
            f"resolution: a {shape[0]} x {shape[1]} grid ({cells:,} cells) needs about "
            f"{need / 2**30:.1f} GiB of memory, more than the {limit_bytes / 2**30:.1f} GiB "
            f"allowed; use a coarser --resolution (at least {factor:.1f}x the current one) "
            f"or a smaller --extent-km"
        )
