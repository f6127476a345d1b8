"""Jurisdictions and leave to operate in them: outlines, activities, POA share.

A jurisdiction is land an agency owns or manages (a national forest, a county, a tribal
nation, a hunting club's land), drawn as a GeoJSON ``Polygon`` or ``MultiPolygon`` in
lon/lat (WGS 84). Its owner gives other agencies, teams or members leave to operate there
for some activities (:data:`ACTIVITIES`); the grants themselves are stored by
:mod:`wayhome.store.jurisdictions`. These are the pure parts: checking an outline,
naming the activity a member's kind of resource needs, and the share of a POA map that
lies inside each jurisdiction.

Examples
--------
>>> square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
>>> area_shape(square).area
1.0
>>> activity_for("dog"), activity_for("ground")
('dogs', 'foot')
>>> check_activities(["foot", "dogs", "foot"])
('foot', 'dogs')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, cast

import numpy as np
import shapely
from rasterio.features import rasterize
from shapely.errors import ShapelyError
from shapely.geometry import MultiPolygon, Polygon, box, shape
from shapely.geometry.base import BaseGeometry

from wayhome.errors import InvalidLocationError, InvalidParameterError
from wayhome.geo.coords import geometry_to_crs
from wayhome.probability.poa import POA

__all__ = ["ACTIVITIES", "activity_for", "area_shape", "check_activities", "poa_share"]

#: What a grant may allow: searching on foot, driving, flying (crewed or drone), camping
#: and working search dogs.
ACTIVITIES = ("foot", "vehicle", "aircraft", "drone", "camp", "dogs")

_AREA_TYPES = ("Polygon", "MultiPolygon")
_WGS84 = "EPSG:4326"


def area_shape(geometry: Mapping[str, Any], *, field: str = "geometry") -> Polygon | MultiPolygon:
    """The shapely (multi)polygon of a GeoJSON ``Polygon`` or ``MultiPolygon`` in lon/lat.

    Parameters
    ----------
    geometry : mapping
        A GeoJSON geometry object.
    field : str
        How messages name the geometry (``"geometry"``, ``"area"``).

    Raises
    ------
    InvalidParameterError
        Another geometry type, malformed coordinates, a self-intersecting outline or one
        without area.
    InvalidLocationError
        Coordinates outside lon -180..180, lat -90..90 (lat and lon swapped, or a
        projected CRS).
    """
    kind = geometry.get("type")
    if kind not in _AREA_TYPES:
        raise InvalidParameterError(
            f"{field}.type: {kind!r} is not an area; give a GeoJSON Polygon or MultiPolygon "
            "in lon/lat"
        )
    try:
        outline = shape(dict(geometry))
    except (ShapelyError, ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise InvalidParameterError(
            f"{field}.coordinates: not GeoJSON {kind} coordinates ({type(exc).__name__}); "
            "give rings of [lon, lat] positions, each ring closed"
        ) from exc
    coords = shapely.get_coordinates(outline)
    if outline.is_empty or not np.isfinite(coords).all():
        raise InvalidParameterError(
            f"{field}.coordinates: the outline is empty or not numbers; draw the area again"
        )
    bad = (np.abs(coords[:, 0]) > 180.0) | (np.abs(coords[:, 1]) > 90.0)
    if bad.any():
        lon, lat = coords[np.argmax(bad)]
        raise InvalidLocationError(
            f"{field}.coordinates: [{lon}, {lat}] is not [lon, lat] in range "
            "(lon -180..180, lat -90..90; swapped, or a projected CRS?)"
        )
    if not outline.is_valid or outline.area == 0:
        reason = shapely.is_valid_reason(outline) if not outline.is_valid else "no area"
        raise InvalidParameterError(
            f"{field}: the outline is not a simple {kind} ({reason}); "
            "redraw it without crossing lines (or fix it in a GIS)"
        )
    return cast(Polygon | MultiPolygon, outline)  # by its GeoJSON type


def activity_for(resource_type: str) -> str:
    """The activity a member of this kind of resource needs leave for.

    A dog team needs leave for ``dogs``; everyone else (on the ground) for ``foot``.
    """
    return "dogs" if resource_type == "dog" else "foot"


def check_activities(activities: Iterable[str]) -> tuple[str, ...]:
    """``activities`` without repeats, in the order given; refuses unknown or none."""
    out: list[str] = []
    for activity in activities:
        if activity not in ACTIVITIES:
            raise InvalidParameterError(
                f"activities: {activity!r} is not an activity; use some of {', '.join(ACTIVITIES)}"
            )
        if activity not in out:
            out.append(activity)
    if not out:
        raise InvalidParameterError(
            f"activities: give at least one of {', '.join(ACTIVITIES)} (e.g. ['foot'])"
        )
    return tuple(out)


def poa_share(poa: POA, areas: Mapping[int, BaseGeometry]) -> dict[int, float]:
    """The probability of each area: the sum of the POA cells whose centres lie inside.

    Parameters
    ----------
    poa : POA
        The map; its cells and rest of world sum to 1.
    areas : mapping of int to shapely geometry
        Jurisdiction id → outline in lon/lat.

    Returns
    -------
    dict of int to float
        Jurisdiction id → share of the whole POA (0..1, of the map plus rest of world)
        inside it; 0 for an area off the map. Overlapping areas each count the cells they
        share.
    """
    grid = poa.grid
    rows, cols = grid.shape
    t = grid.transform
    bounds = box(t.c, t.f + t.e * rows, t.c + t.a * cols, t.f)
    out: dict[int, float] = {}
    for key, area in areas.items():
        local = geometry_to_crs(area, _WGS84, grid.crs)
        if not local.intersects(bounds):
            out[key] = 0.0
            continue
        mask = rasterize(
            [(local, 1)], out_shape=grid.shape, transform=t, fill=0, dtype="uint8"
        ).astype(bool)
        out[key] = float(poa.cells[mask].sum())
    return out
