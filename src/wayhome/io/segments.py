"""Search segments in and out: planner-drawn polygons from GeoJSON, KML or GPX; GeoJSON out.

:func:`read_segments` returns ``(id, polygon)`` pairs in the planning grid's CRS, ready
for :func:`wayhome.search.segments.segments_from_polygons`; :func:`write_segments_geojson`
writes the features of :func:`wayhome.search.segments.segments_to_features` atomically.
GPX cannot hold polygons, so a closed track or route (it ends within one grid cell of
where it starts) is read as the segment it encloses; GPX waypoints are skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import (
    GeometryCollection,
    LinearRing,
    LineString,
    MultiLineString,
    MultiPolygon,
    Polygon,
)
from shapely.geometry.base import BaseGeometry
from shapely.validation import make_valid

from wayhome.errors import InvalidLayerError
from wayhome.geo.coords import geometry_to_crs
from wayhome.geo.grid import GridSpec
from wayhome.io.vector import (
    _name_of,
    _RawFeature,
    _read_bytes,
    _read_geojson,
    _read_gpx,
    _read_kml,
    write_geojson,
)

__all__ = ["SEGMENT_FORMATS", "read_segments", "write_segments_geojson"]

#: File name endings :func:`read_segments` understands.
SEGMENT_FORMATS: tuple[str, ...] = (".geojson", ".json", ".kml", ".gpx")

#: Feature properties that may carry a segment's ID, in order of preference.
_ID_PROPERTIES: tuple[str, ...] = ("id", "ID", "segment", "Segment")
_WGS84 = "EPSG:4326"


def read_segments(path: Path | str, grid: GridSpec) -> list[tuple[str, BaseGeometry]]:
    """Read planner-drawn segments as ``(id, polygon)`` pairs in the grid's CRS.

    Parameters
    ----------
    path : Path or str
        ``.geojson``/``.json`` or ``.kml`` polygons, or ``.gpx`` closed tracks/routes.
        Each needs an ID: an ``id`` (or ``segment``) property, else its ``name``.
    grid : GridSpec
        The planning grid; geometries are transformed into its CRS.

    Returns
    -------
    list of (str, BaseGeometry)
        In file order. Invalid polygons are repaired with ``make_valid`` (keeping the
        polygonal part, which may be empty: ``segments_from_polygons`` then refuses the
        segment as having zero area, naming it).

    Raises
    ------
    InvalidLayerError
        Missing, empty or malformed file, unsupported type, a feature without an ID, a
        line that is not closed, a point in a GeoJSON or KML file, coordinates that are
        not numbers or not longitude/latitude, or no segments at all.
    """
    p = Path(path)
    readers = {
        ".geojson": _read_geojson,
        ".json": _read_geojson,
        ".kml": _read_kml,
        ".gpx": _read_gpx,
    }
    suffix = p.suffix.lower()
    reader = readers.get(suffix)
    if reader is None:
        raise InvalidLayerError(
            f"segments: cannot read '{p.name}': unsupported file type {suffix or '(none)'!r}; "
            f"use one of {', '.join(SEGMENT_FORMATS)}"
        )
    crs, raw = reader(_read_bytes(p), p.name)
    out: list[tuple[str, BaseGeometry]] = []
    for feature in raw:
        geom = feature.geometry
        if geom is None or geom.is_empty:
            continue
        label = f"feature {feature.index}" + (f" ({feature.name!r})" if feature.name else "")
        if suffix == ".gpx" and geom.geom_type == "Point":
            continue  # waypoints: labels and landmarks, not segments
        _check_coordinates(geom, crs, label, p.name)
        local = geometry_to_crs(geom, crs, grid.crs)
        polygon = _as_polygon(local, grid.resolution, label, p.name)
        out.append((_segment_id(feature, label, p.name), polygon))
    if not out:
        raise InvalidLayerError(
            f"segments: '{p.name}' holds no segment polygons; draw the segments as "
            f"polygons (or closed tracks in GPX)"
        )
    return out


def write_segments_geojson(path: Path | str, features: Sequence[dict[str, Any]]) -> None:
    """Write segment features (``segments_to_features``) as GeoJSON, atomically.

    Parameters
    ----------
    path : Path or str
        The file to create or replace; its directory must exist.
    features : sequence of dict
        GeoJSON Feature dicts in longitude/latitude.
    """
    write_geojson(path, features)


def _segment_id(feature: _RawFeature, label: str, source: str) -> str:
    for key in _ID_PROPERTIES:
        value = feature.properties.get(key)
        if value is not None and str(value).strip():
            return str(value).strip()
    name = _name_of(feature.properties)
    if name is not None:
        return name
    raise InvalidLayerError(
        f"segments: {label} in '{source}' has no ID; give it an 'id' or 'name' property "
        f"(a <name> in KML or GPX)"
    )


def _check_coordinates(geom: BaseGeometry, crs: str, label: str, source: str) -> None:
    coords = shapely.get_coordinates(geom)
    if not np.isfinite(coords).all():
        raise InvalidLayerError(
            f"segments: {label} in '{source}' has coordinates that are not numbers "
            f"(NaN or infinite); fix or delete it"
        )
    outside = bool((np.abs(coords[:, 0]) > 180.0).any() or (np.abs(coords[:, 1]) > 90.0).any())
    if crs == _WGS84 and outside:
        raise InvalidLayerError(
            f"segments: {label} in '{source}' has coordinates outside longitude/latitude "
            f"range, so the file is probably in a projected CRS; export it in EPSG:4326"
        )


def _as_polygon(geom: BaseGeometry, tolerance_m: float, label: str, source: str) -> BaseGeometry:
    """The polygon a feature draws: polygons as they are, closed lines as their inside."""
    if isinstance(geom, Polygon | MultiPolygon):
        return _valid_polygonal(geom)
    if isinstance(geom, LineString | LinearRing):
        return _valid_polygonal(_ring_polygon(_closed_ring(geom, tolerance_m, label, source)))
    if isinstance(geom, MultiLineString):
        rings = [_closed_ring(line, tolerance_m, label, source) for line in geom.geoms]
        return _valid_polygonal(shapely.union_all([_ring_polygon(r) for r in rings]))
    if isinstance(geom, GeometryCollection):
        parts = [_as_polygon(g, tolerance_m, label, source) for g in geom.geoms]
        return _valid_polygonal(shapely.union_all(parts))
    raise InvalidLayerError(
        f"segments: {label} in '{source}' is a {geom.geom_type}; segments must be polygons "
        f"(or closed lines)"
    )


def _closed_ring(
    line: LineString | LinearRing, tolerance_m: float, label: str, source: str
) -> list[tuple[float, float]]:
    pts = [(float(x), float(y)) for x, y, *_ in line.coords]
    gap = float(np.hypot(pts[0][0] - pts[-1][0], pts[0][1] - pts[-1][1]))
    if gap > tolerance_m:
        raise InvalidLayerError(
            f"segments: {label} in '{source}' is a line that is not closed (it ends "
            f"{gap:.0f} m from its start); close it or draw the segment as a polygon"
        )
    if pts[0] != pts[-1]:
        pts.append(pts[0])
    return pts


def _ring_polygon(ring: list[tuple[float, float]]) -> Polygon:
    """The polygon a closed ring encloses; empty when it has under three corners."""
    return Polygon(ring) if len(ring) >= 4 else Polygon()


def _valid_polygonal(geom: BaseGeometry) -> BaseGeometry:
    """The polygonal part of a repaired geometry; empty when nothing has area."""
    fixed = geom if geom.is_valid else make_valid(geom)
    if isinstance(fixed, Polygon | MultiPolygon):
        return fixed
    polys = [
        p
        for g in getattr(fixed, "geoms", [fixed])
        for p in (g.geoms if isinstance(g, MultiPolygon) else [g])
        if isinstance(p, Polygon) and not p.is_empty
    ]
    if not polys:
        return Polygon()
    return polys[0] if len(polys) == 1 else MultiPolygon(polys)
