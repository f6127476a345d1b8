"""Probability regions as polygons: the 25/50/75/95 % areas a planner draws on the map."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rasterio.features import shapes
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry

from wayhome.probability.poa import (
    POA,
    REGION_LEVELS,
    area_for_mass_km2,
    region_masks,
    region_thresholds,
)

__all__ = ["ProbabilityRegion", "regions_from_poa"]


@dataclass(frozen=True, slots=True)
class ProbabilityRegion:
    """The smallest area holding ``level`` of the probability (grid CRS).

    ``threshold`` is the probability of the region's smallest cell, unrounded.
    """

    level: float
    geometry: BaseGeometry
    area_km2: float
    threshold: float


def regions_from_poa(
    poa: POA, levels: tuple[float, ...] = REGION_LEVELS
) -> tuple[ProbabilityRegion, ...]:
    """Polygons of the highest-probability cells holding each level of the probability.

    Levels the mapped area cannot reach (the rest of world holds too much) are left out.
    """
    thresholds = region_thresholds(poa, levels)
    areas = area_for_mass_km2(poa, levels)
    masks = region_masks(poa, levels)
    out: list[ProbabilityRegion] = []
    for level in levels:
        thr = thresholds[level]
        area = areas[level]
        cells = masks[level]
        if thr is None or area is None or cells is None:
            continue
        # The polygon is exactly the cells the area counts (ties cut in grid order).
        mask = cells.astype(np.uint8)
        polys = [
            shape(geom)
            for geom, value in shapes(mask, mask=cells, transform=poa.grid.transform)
            if value == 1
        ]
        geom = MultiPolygon([p for p in polys if isinstance(p, Polygon)])
        out.append(ProbabilityRegion(level, geom, area, thr))
    return tuple(out)
