"""The offline base map, drawn by the server from the incident's own plan directory.

No online tiles: the relief comes from the plan's ``terrain.tif`` (hillshade by Horn's
method, contour lines), the heat from its POA maps (``poa.tif``, ``prior.tif``), the
vectors from its segments, layers and regions. :mod:`~wayhome.basemap.relief` works on
the plan grid, :mod:`~wayhome.basemap.tiles` cuts web-mercator XYZ tiles,
:mod:`~wayhome.basemap.plan_map` keeps what one plan version needs, made once.
"""

from __future__ import annotations

from wayhome.basemap.plan_map import (
    POA_MODELS,
    MapCache,
    MapInfo,
    PlanMap,
    PlanSummary,
    PoaModel,
    plan_version,
)
from wayhome.basemap.relief import (
    CONTOUR_INTERVALS_M,
    INDEX_EVERY,
    Contour,
    contour_interval,
    contours_from_dem,
    hillshade,
)
from wayhome.basemap.tiles import (
    HEAT_DECADES,
    MERCATOR,
    TILE_SIZE,
    MercatorPyramid,
    blank_png,
    encode_png,
    heat_index,
    heat_png,
    heat_rgba,
    shade_index,
    shade_png,
    shade_rgba,
    tile_bounds,
    tile_exists,
    tiles_over,
)

__all__ = [
    "CONTOUR_INTERVALS_M",
    "HEAT_DECADES",
    "INDEX_EVERY",
    "MERCATOR",
    "POA_MODELS",
    "TILE_SIZE",
    "Contour",
    "MapCache",
    "MapInfo",
    "MercatorPyramid",
    "PlanMap",
    "PlanSummary",
    "PoaModel",
    "blank_png",
    "contour_interval",
    "contours_from_dem",
    "encode_png",
    "heat_index",
    "heat_png",
    "heat_rgba",
    "hillshade",
    "plan_version",
    "shade_index",
    "shade_png",
    "shade_rgba",
    "tile_bounds",
    "tile_exists",
    "tiles_over",
]
