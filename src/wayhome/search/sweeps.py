"""Sweep patterns: the path a team walks to cover a segment (parallel sweeps).

Used to brief teams (a route for GPS units) and to make the synthetic tracks of the
demo's first period. A sweep runs parallel lines ``spacing_m`` apart along the segment's
long axis, joined end to end (boustrophedon), clipped to the segment.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import LineString, MultiLineString, Polygon
from shapely.geometry.base import BaseGeometry

from wayhome.errors import InvalidParameterError

__all__ = ["sweep_path", "sweep_spacing_m"]


def sweep_spacing_m(sweep_width_m: float, *, coverage: float = 1.0) -> float:
    """Track spacing that gives ``coverage`` (C = W / spacing for parallel sweeps).

    Examples
    --------
    >>> sweep_spacing_m(60.0, coverage=1.5)
    40.0
    """
    if not (math.isfinite(sweep_width_m) and sweep_width_m > 0):
        raise InvalidParameterError(f"sweep width: must be > 0 m, got {sweep_width_m}")
    if not (math.isfinite(coverage) and coverage > 0):
        raise InvalidParameterError(f"coverage: must be > 0, got {coverage}")
    return sweep_width_m / coverage


def sweep_path(
    segment: BaseGeometry, spacing_m: float, *, step_m: float = 5.0
) -> NDArray[np.float64]:
    """Points (x, y) of a parallel-sweep path covering ``segment`` (a metric CRS).

    Lines run along the long side of the segment's minimum rotated rectangle, offset by
    half a spacing from its edge, clipped to the segment and joined alternately, then
    densified every ``step_m`` (as a GPS would log them).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> p = sweep_path(box(0, 0, 100, 40), 20.0, step_m=10.0)
    >>> p[0].tolist(), bool(len(p) > 20)
    ([0.0, 10.0], True)
    """
    if not (math.isfinite(spacing_m) and spacing_m > 0):
        raise InvalidParameterError(f"spacing: must be > 0 m, got {spacing_m}")
    if segment.is_empty or segment.area <= 0:
        raise InvalidParameterError("segment: has zero area; nothing to sweep")
    rect = segment.minimum_rotated_rectangle
    if not isinstance(rect, Polygon):
        raise InvalidParameterError("segment: too thin to sweep")
    corners = np.asarray(rect.exterior.coords)[:4]
    e1 = corners[1] - corners[0]
    e2 = corners[3] - corners[0]
    if np.hypot(*e1) < np.hypot(*e2):
        e1, e2 = e2, e1
    along = e1 / np.hypot(*e1)
    across = e2 / np.hypot(*e2)
    width = float(np.hypot(*e2))
    n = max(1, math.ceil(width / spacing_m - 1e-9))
    offsets = (np.arange(n) + 0.5) * (width / n)
    pad = along * spacing_m
    points: list[NDArray[np.float64]] = []
    for i, off in enumerate(offsets):
        a = corners[0] + across * off - pad
        b = corners[0] + across * off + e1 + pad
        inside = LineString([a, b]).intersection(segment)
        parts = _line_parts(inside)
        if not parts:
            continue
        coords = [np.asarray(p.coords) for p in parts]
        # order the pieces along the line, then alternate the direction of travel
        coords.sort(key=lambda c: float(np.dot(c[0] - a, along)))
        if i % 2:
            coords = [c[::-1] for c in coords[::-1]]
        points.extend(coords)
    if not points:
        raise InvalidParameterError("segment: no sweep line fits inside it; use a smaller spacing")
    path = LineString(np.vstack(points))
    dense = shapely.segmentize(path, max_segment_length=step_m)
    return np.asarray(dense.coords, dtype=np.float64)


def _line_parts(geom: BaseGeometry) -> list[LineString]:
    if isinstance(geom, LineString):
        return [] if geom.is_empty or geom.length == 0 else [geom]
    if isinstance(geom, MultiLineString):
        return [g for g in geom.geoms if g.length > 0]
    if hasattr(geom, "geoms"):
        return [g for g in geom.geoms if isinstance(g, LineString) and g.length > 0]
    return []
