"""Hazard zones: polygons an operator draws (hostile party, cliff, water, private land).

A zone is a GeoJSON ``Polygon`` in lon/lat (WGS 84). :func:`hazard_polygon` checks it
and builds the shapely polygon; :func:`is_in_hazard` tells whether a position is inside.

Examples
--------
>>> square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
>>> is_in_hazard(hazard_polygon(square), lon=0.5, lat=0.5)
True
>>> is_in_hazard(hazard_polygon(square), lon=2.0, lat=0.5)
False
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import shapely
from shapely.geometry import Point, Polygon

from wayhome.errors import InvalidLocationError, InvalidParameterError

__all__ = ["HAZARD_KINDS", "hazard_polygon", "is_in_hazard"]

#: The kinds of hazard zone an operator can draw.
HAZARD_KINDS = ("hostile_party", "cliff", "water", "private_land")


def _ring(coords: Any, which: str) -> list[tuple[float, float]]:
    try:
        ring = [(float(lon), float(lat)) for lon, lat, *_ in coords]
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(
            f"geometry.coordinates: {which} must be a list of [lon, lat] pairs"
        ) from exc
    if len(ring) < 4 or ring[0] != ring[-1]:
        raise InvalidParameterError(
            f"geometry.coordinates: {which} needs at least 4 positions, the last equal to the first"
        )
    for lon, lat in ring:
        if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
            raise InvalidLocationError(
                f"geometry.coordinates: [{lon}, {lat}] is not [lon, lat] in range "
                "(lon -180..180, lat -90..90; swapped?)"
            )
    return ring


def hazard_polygon(geometry: Mapping[str, Any]) -> Polygon:
    """The shapely polygon of a GeoJSON ``Polygon`` (lon/lat); refuses anything else.

    Raises :class:`~wayhome.errors.InvalidParameterError` for a wrong type, an unclosed
    or too-short ring, or a self-intersecting outline, and
    :class:`~wayhome.errors.InvalidLocationError` for coordinates out of range.
    """
    if geometry.get("type") != "Polygon":
        raise InvalidParameterError(
            f"geometry.type: {geometry.get('type')!r} is not a zone; draw a GeoJSON Polygon"
        )
    rings = geometry.get("coordinates")
    if not isinstance(rings, list) or not rings:
        raise InvalidParameterError("geometry.coordinates: give the outer ring (and any holes)")
    shell = _ring(rings[0], "the outer ring")
    holes = [_ring(r, f"hole {i}") for i, r in enumerate(rings[1:], start=1)]
    polygon = Polygon(shell, holes)
    if not polygon.is_valid or polygon.area == 0:
        raise InvalidParameterError(
            f"geometry: the outline is not a simple polygon ({shapely.is_valid_reason(polygon)}); "
            "redraw it without crossing lines"
        )
    return polygon


def is_in_hazard(zone: Polygon, *, lon: float, lat: float) -> bool:
    """Whether the position (lon, lat) lies inside the zone or on its edge."""
    return bool(zone.intersects(Point(lon, lat)))
