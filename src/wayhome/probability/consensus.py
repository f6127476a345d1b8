"""The ``consensus`` model: planners' weighted combination of maps (Mattson consensus).

Each input is a complete opinion of where the subject is, rest of world included: a
model's POA, or a planner's hand-drawn regions with a share each. The consensus is
their weighted average, so it sums to 1 whenever its inputs do (Mattson 1976/1980).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from rasterio.features import rasterize
from shapely.geometry.base import BaseGeometry

from wayhome.errors import InvalidParameterError
from wayhome.geo.grid import GridSpec
from wayhome.probability.poa import POA, poa_from_weights

__all__ = ["DrawnRegion", "poa_consensus", "poa_from_regions"]


@dataclass(frozen=True, slots=True)
class DrawnRegion:
    """A planner's region (grid CRS) and the share of probability they give it."""

    geometry: BaseGeometry
    share: float
    name: str | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.share) and 0.0 <= self.share <= 1.0):
            label = f" {self.name!r}" if self.name else ""
            raise InvalidParameterError(
                f"share: region{label} has share {self.share}; give a fraction in 0..1"
            )


def poa_from_regions(grid: GridSpec, regions: Sequence[DrawnRegion]) -> POA:
    """A planner's map: each region's share spread evenly over its cells.

    Where regions overlap, each cell takes its share from each region that covers it.
    Whatever the shares leave (1 − Σ shares), and the share of any region lying
    outside the grid, goes to the rest of world.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> g = GridSpec.centered_on(0.0, 0.0, crs="EPSG:32631", resolution=10.0, extent_m=100.0)
    >>> p = poa_from_regions(g, [DrawnRegion(box(-50, -50, 0, 0), 0.6, "creek")])
    >>> round(float(p.cells.sum()), 6), round(p.rest_of_world, 6)
    (0.6, 0.4)
    """
    total_share = sum(r.share for r in regions)
    if total_share > 1.0 + 1e-9:
        raise InvalidParameterError(
            f"share: the regions' shares add up to {total_share:.3f}; they must not exceed 1"
        )
    cells = np.zeros(grid.shape, dtype=np.float64)
    for r in regions:
        if r.share == 0.0 or r.geometry.is_empty:
            continue
        mask = _region_mask(grid, r.geometry)
        if not mask.any():
            continue  # the region is off the map: its share stays in the rest of world
        inside = (
            min(1.0, r.geometry.intersection(_grid_box(grid)).area / r.geometry.area)
            if r.geometry.area > 0
            else 1.0
        )
        cells[mask] += r.share * inside / float(mask.sum())
    in_area = float(cells.sum())
    names = ", ".join(r.name for r in regions if r.name) or "unnamed"
    return poa_from_weights(
        grid,
        cells,
        rest_of_world=max(0.0, 1.0 - in_area),
        model="regions",
        notes=(f"planner regions: {names}",),
    )


def _region_mask(grid: GridSpec, geometry: BaseGeometry) -> NDArray[np.bool_]:
    """Cells whose centre the region covers; for a region smaller than a cell (no centre
    inside) the cells it touches, so a small drawn region never loses its share."""
    mask = _rasterize(grid, geometry, all_touched=False)
    if mask.any():
        return mask
    on_map = geometry.intersection(_grid_box(grid))
    if on_map.is_empty:
        return mask
    mask = _rasterize(grid, on_map, all_touched=True)
    if not mask.any():  # degenerate (a point, say): the cell holding it
        x, y = on_map.representative_point().coords[0]
        row, col = grid.index(x, y)
        rows, cols = grid.shape
        mask[min(max(row, 0), rows - 1), min(max(col, 0), cols - 1)] = True
    return mask


def _rasterize(grid: GridSpec, geometry: BaseGeometry, *, all_touched: bool) -> NDArray[np.bool_]:
    out = rasterize(
        [(geometry, 1)],
        out_shape=grid.shape,
        transform=grid.transform,
        fill=0,
        all_touched=all_touched,
        dtype="uint8",
    )
    return np.asarray(out, dtype=bool)


def _grid_box(grid: GridSpec) -> BaseGeometry:
    from shapely.geometry import box

    return box(*grid.bounds)


def poa_consensus(maps: Sequence[POA], weights: Sequence[float]) -> POA:
    """Weighted average of complete maps (Mattson consensus).

    Raises
    ------
    InvalidParameterError
        When the maps are on different grids, or a weight is negative or all are 0.
    """
    if not maps:
        raise InvalidParameterError("maps: give at least one map to combine")
    if len(maps) != len(weights):
        raise InvalidParameterError("weights: give one weight per map")
    if any(not (math.isfinite(w) and w >= 0) for w in weights) or sum(weights) <= 0:
        raise InvalidParameterError(
            f"weights: must be non-negative with a positive sum, got {list(weights)}"
        )
    grid = maps[0].grid
    if any(m.grid != grid for m in maps):
        raise InvalidParameterError("maps: all maps must be on the same planning grid")
    total = float(sum(weights))
    cells = sum((w / total) * m.cells for m, w in zip(maps, weights, strict=True))
    row = sum((w / total) * m.rest_of_world for m, w in zip(maps, weights, strict=True))
    parts = ", ".join(f"{m.model} {w / total:.0%}" for m, w in zip(maps, weights, strict=True))
    return poa_from_weights(
        grid,
        np.asarray(cells),
        rest_of_world=float(row),
        model="consensus",
        notes=(f"weighted average: {parts}",),
    )
