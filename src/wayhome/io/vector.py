"""Vector layers in and out: GeoJSON, GPX and KML.

:func:`read_layers` turns a file of trails, roads, water or barriers into
:class:`~wayhome.geo.layers.Layers`; :func:`write_geojson` writes RFC 7946 GeoJSON for
maps and other tools. XML is parsed with :mod:`defusedxml`, so entity tricks (the
"billion laughs" bomb, external entities) are refused before any parsing happens.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
import gpxpy
import gpxpy.gpx
import numpy as np
import shapely
from defusedxml import DefusedXmlException
from pyproj import CRS
from pyproj.exceptions import CRSError
from shapely.errors import ShapelyError
from shapely.geometry import (
    GeometryCollection,
    LinearRing,
    LineString,
    MultiLineString,
    MultiPoint,
    MultiPolygon,
    Point,
    Polygon,
    shape,
)
from shapely.geometry.base import BaseGeometry
from shapely.validation import make_valid

from wayhome.errors import DataFileError, InvalidLayerError, InvalidParameterError
from wayhome.geo.layers import Feature, LayerKind, Layers, layer_kind
from wayhome.io.atomic import write_text_atomic

__all__ = ["KIND_PROPERTIES", "SUPPORTED_LAYER_FORMATS", "read_layers", "write_geojson"]

#: File name endings :func:`read_layers` understands.
SUPPORTED_LAYER_FORMATS: tuple[str, ...] = (".geojson", ".json", ".gpx", ".kml")

#: Feature properties that may carry the kind, in order of preference.
KIND_PROPERTIES: tuple[str, ...] = ("kind", "wayhome:kind", "class")

_WGS84 = "EPSG:4326"
_CRS84 = re.compile(r"(?:OGC:(?:1\.3:)?)?CRS:?84$", re.IGNORECASE)
_GEOMETRY_TYPES = frozenset(
    {
        "Point",
        "MultiPoint",
        "LineString",
        "MultiLineString",
        "Polygon",
        "MultiPolygon",
        "GeometryCollection",
    }
)
#: Decimal places kept in written coordinates: 1e-7 degrees is about 1 cm.
_COORD_DECIMALS = 7


@dataclass(frozen=True, slots=True)
class _RawFeature:
    """One feature as a reader found it, before kind and validity are settled."""

    index: int  # 1-based, in file order
    geometry: BaseGeometry | None
    properties: Mapping[str, Any]
    name: str | None


# ---------------------------------------------------------------------------- reading
def read_layers(path: Path | str, *, kind: LayerKind | str | None = None) -> Layers:
    """Read trails, roads, water, barriers, ... from a GeoJSON, GPX or KML file.

    Parameters
    ----------
    path : Path or str
        ``.geojson``/``.json`` (FeatureCollection, Feature or bare geometry; CRS from a
        legacy top-level ``"crs"`` member, else EPSG:4326), ``.gpx`` (tracks and routes
        become lines, waypoints points) or ``.kml`` (Placemarks with Point, LineString,
        Polygon, MultiGeometry or gx:Track; EPSG:4326).
    kind : LayerKind or str, optional
        The kind of every feature. Without it each feature needs a ``kind`` (or
        ``wayhome:kind`` or ``class``) property; in GPX the ``<type>`` element, in KML
        an ExtendedData field, serves as that property.

    Returns
    -------
    Layers
        One :class:`~wayhome.geo.layers.Feature` per feature with a geometry, named
        from its ``name`` (or ``title``) property. Features without a geometry, or with
        an empty one, are skipped; invalid geometries are repaired with ``make_valid``.

    Raises
    ------
    InvalidLayerError
        Missing or empty file, unsupported format, malformed JSON or XML (with line and
        column), XML with entity declarations, a geometry that cannot be read or
        repaired, a feature without a kind, or no features at all. Feature numbers in
        messages count from 1 in file order.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    readers = {
        ".geojson": _read_geojson,
        ".json": _read_geojson,
        ".gpx": _read_gpx,
        ".kml": _read_kml,
    }
    if suffix not in readers:
        extra = "; unzip a .kmz and give its doc.kml" if suffix == ".kmz" else ""
        raise InvalidLayerError(
            f"layers: cannot read '{p.name}': unsupported file type {suffix or '(none)'!r}; "
            f"use one of {', '.join(SUPPORTED_LAYER_FORMATS)}{extra}"
        )
    forced = layer_kind(kind) if isinstance(kind, str) else kind
    data = _read_bytes(p)
    crs, raw = readers[suffix](data, p.name)
    hint = _KIND_HINTS[suffix]
    features = tuple(
        f for f in (_finish_feature(r, forced, p.name, hint, crs) for r in raw) if f is not None
    )
    if not features:
        raise InvalidLayerError(
            f"layers: '{p.name}' holds no features with a geometry; check that it is the "
            f"right file, or leave it out"
        )
    return Layers(features=features, crs=crs)


_KIND_HINTS = {
    ".geojson": "add a 'kind' property (trail, road, ...)",
    ".json": "add a 'kind' property (trail, road, ...)",
    ".gpx": "add a <type> element (trail, road, ...)",
    ".kml": "add an ExtendedData field 'kind' (trail, road, ...)",
}


def _read_bytes(
    p: Path,
    *,
    what: str = "layers",
    error: type[DataFileError] = InvalidLayerError,
    kind: str = "a layer file",
    again: str = "export the layer again",
) -> bytes:
    """The whole file; refuse missing, unreadable and empty files (shared by the readers)."""
    if not p.exists():
        raise error(f"{what}: no such file '{p}'; check the path")
    if p.is_dir():
        raise error(f"{what}: '{p}' is a directory; give {kind}")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise error(f"{what}: cannot read '{p}' ({exc.strerror})") from exc
    if not data.strip():
        raise error(f"{what}: '{p.name}' is empty; {again}")
    return data


def _finish_feature(
    raw: _RawFeature, forced: LayerKind | None, source: str, hint: str, crs: str
) -> Feature | None:
    """Settle the kind and repair the geometry of one feature; None when it has none."""
    geom = raw.geometry
    label = f"feature {raw.index}" + (f" ({raw.name!r})" if raw.name else "")
    if geom is None or geom.is_empty:
        return None
    coords = shapely.get_coordinates(geom)
    if not np.isfinite(coords).all():
        raise InvalidLayerError(
            f"layers: {label} in '{source}' has coordinates that are not numbers "
            f"(NaN or infinite); fix or delete it"
        )
    fix = " or add a 'crs' member naming its CRS" if source.lower().endswith("json") else ""
    outside = bool((np.abs(coords[:, 0]) > 180.0).any() or (np.abs(coords[:, 1]) > 90.0).any())
    if crs == _WGS84 and outside:
        raise InvalidLayerError(
            f"layers: {label} in '{source}' has coordinates outside longitude/latitude range, "
            f"so the file is probably in a projected CRS; export it in EPSG:4326{fix}"
        )
    if not geom.is_valid:
        geom = make_valid(geom)
        if not geom.is_valid or geom.is_empty:
            raise InvalidLayerError(
                f"layers: {label} in '{source}' has an invalid geometry that cannot be "
                f"repaired; fix it in a GIS (e.g. QGIS 'Fix geometries')"
            )
    return Feature(kind=forced or _kind_of(raw, label, source, hint), geometry=geom, name=raw.name)


def _kind_of(raw: _RawFeature, label: str, source: str, hint: str) -> LayerKind:
    """The kind from a feature's properties, with a message naming the feature."""
    for key in KIND_PROPERTIES:
        value = raw.properties.get(key)
        if isinstance(value, str) and value.strip():
            try:
                return layer_kind(value)
            except InvalidLayerError as exc:
                valid = ", ".join(k.value for k in LayerKind)
                raise InvalidLayerError(
                    f"layers: {label} in '{source}' has {key}={value!r}, which is not a kind "
                    f"wayhome knows; use one of: {valid}"
                ) from exc
    raise InvalidLayerError(
        f"layers: {label} in '{source}' has no kind; {hint} or pass the kind as KIND=PATH"
    )


def _name_of(properties: Mapping[str, Any]) -> str | None:
    """A feature's display name from ``name`` or ``title``."""
    for key in ("name", "title", "Name"):
        value = properties.get(key)
        if value is not None and str(value).strip():
            return str(value).strip()
    return None


# ---------------------------------------------------------------------------- GeoJSON
def _read_geojson(data: bytes, source: str) -> tuple[str, list[_RawFeature]]:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise InvalidLayerError(
            f"layers: '{source}' is not UTF-8 text (byte {exc.start}); is it really GeoJSON?"
        ) from exc
    except json.JSONDecodeError as exc:
        raise InvalidLayerError(
            f"layers: '{source}' is not valid JSON (line {exc.lineno}, column {exc.colno}: "
            f"{exc.msg}); fix the file or export it again"
        ) from exc
    except RecursionError as exc:
        raise InvalidLayerError(f"layers: '{source}' is nested too deeply to read") from exc
    if not isinstance(doc, dict):
        raise InvalidLayerError(
            f"layers: '{source}' holds a JSON {type(doc).__name__}, not a GeoJSON object"
        )
    crs = _geojson_crs(doc.get("crs"), source)
    kind = doc.get("type")
    if kind == "FeatureCollection":
        items = doc.get("features")
        if not isinstance(items, list):
            raise InvalidLayerError(
                f"layers: the FeatureCollection in '{source}' has no 'features' list"
            )
    elif kind == "Feature":
        items = [doc]
    elif kind in _GEOMETRY_TYPES:
        items = [{"type": "Feature", "properties": {}, "geometry": doc}]
    else:
        raise InvalidLayerError(
            f"layers: '{source}' has type {kind!r}; GeoJSON needs a FeatureCollection, "
            f"a Feature or a geometry"
        )
    return crs, [_geojson_feature(i, item, source) for i, item in enumerate(items, start=1)]


def _geojson_feature(index: int, item: Any, source: str) -> _RawFeature:
    if not isinstance(item, dict) or item.get("type") != "Feature":
        raise InvalidLayerError(
            f"layers: feature {index} in '{source}' is not a GeoJSON Feature object"
        )
    props = item.get("properties") or {}
    if not isinstance(props, dict):
        raise InvalidLayerError(
            f"layers: feature {index} in '{source}' has 'properties' that are not an object"
        )
    name = _name_of(props)
    geometry = item.get("geometry")
    if geometry is None:
        return _RawFeature(index, None, props, name)
    try:
        geom = shape(geometry)
    except (ShapelyError, ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        label = f"feature {index}" + (f" ({name!r})" if name else "")
        raise InvalidLayerError(
            f"layers: {label} in '{source}' has a malformed geometry ({type(exc).__name__}: "
            f"{exc}); fix or delete it"
        ) from exc
    return _RawFeature(index, geom, props, name)


def _geojson_crs(member: Any, source: str) -> str:
    """The CRS named by a legacy (2008) GeoJSON ``crs`` member; EPSG:4326 without one."""
    if member is None:
        return _WGS84
    props = member.get("properties") if isinstance(member, dict) else None
    if not isinstance(props, dict):
        raise InvalidLayerError(f"layers: the 'crs' member of '{source}' is malformed")
    if member.get("type") == "EPSG" and "code" in props:
        text = f"EPSG:{props['code']}"
    elif member.get("type") == "name" and isinstance(props.get("name"), str):
        text = props["name"]
    else:
        raise InvalidLayerError(
            f"layers: the 'crs' member of '{source}' is not a named CRS; give "
            f'{{"type": "name", "properties": {{"name": "EPSG:nnnn"}}}} or export in EPSG:4326'
        )
    if _CRS84.search(text.replace("::", ":")):
        return _WGS84
    try:
        crs = CRS.from_user_input(text)
    except CRSError as exc:
        raise InvalidLayerError(
            f"layers: '{source}' names the CRS {text!r}, which PROJ does not know; "
            f"export the layer in EPSG:4326"
        ) from exc
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg is not None else str(crs.to_wkt())


# ---------------------------------------------------------------------------- XML (GPX, KML)
def _parse_xml(
    data: bytes,
    source: str,
    *,
    what: str = "layers",
    error: type[DataFileError] = InvalidLayerError,
    hint: str = "export the file again",
) -> Element:
    """Parse XML safely: no DTD entities, no external references.

    ``what`` starts the message (the option or kind of file) and ``error`` is the class
    raised, so every reader of XML shares one guarded parser.
    """
    try:
        root: Element = SafeET.fromstring(data)
    except DefusedXmlException as exc:
        raise error(
            f"{what}: '{source}' declares XML entities or external references, which "
            f"wayhome refuses (they can hide an XML bomb or read local files); {hint} "
            f"({type(exc).__name__})"
        ) from None
    except ParseError as exc:
        line, col = getattr(exc, "position", (0, 0))
        raise error(
            f"{what}: '{source}' is not well-formed XML (line {line}, column {col}: "
            f"{str(exc).split(':')[0]}); fix the file or {hint}"
        ) from None
    return root


def _local(tag: str) -> str:
    """An element tag without its namespace."""
    return tag.rsplit("}", 1)[-1]


def _read_gpx(data: bytes, source: str) -> tuple[str, list[_RawFeature]]:
    root = _parse_xml(data, source)  # safety check and line/column errors first
    if _local(root.tag) != "gpx":
        raise InvalidLayerError(f"layers: '{source}' is XML but not GPX (root <{root.tag}>)")
    try:
        gpx = gpxpy.parse(data.decode("utf-8-sig"))
    except (gpxpy.gpx.GPXException, ValueError) as exc:
        raise InvalidLayerError(f"layers: '{source}' is not a readable GPX file ({exc})") from exc
    raw: list[_RawFeature] = []

    def add(geom: BaseGeometry | None, name: str | None, gpx_type: str | None) -> None:
        props = {"name": name, "kind": gpx_type}
        clean = name.strip() if name and name.strip() else None
        raw.append(_RawFeature(len(raw) + 1, geom, props, clean))

    # In file order: the GPX schema puts waypoints, then routes, then tracks.
    for wpt in gpx.waypoints:
        add(Point(wpt.longitude, wpt.latitude), wpt.name, wpt.type)
    for route in gpx.routes:
        pts = [(pt.longitude, pt.latitude) for pt in route.points]
        add(LineString(pts) if len(pts) >= 2 else None, route.name, route.type)
    for track in gpx.tracks:
        lines = [
            [(pt.longitude, pt.latitude) for pt in seg.points]
            for seg in track.segments
            if len(seg.points) >= 2
        ]
        geom: BaseGeometry | None = None
        if len(lines) == 1:
            geom = LineString(lines[0])
        elif lines:
            geom = MultiLineString(lines)
        add(geom, track.name, track.type)
    return _WGS84, raw


def _read_kml(data: bytes, source: str) -> tuple[str, list[_RawFeature]]:
    root = _parse_xml(data, source)
    if _local(root.tag) != "kml":
        raise InvalidLayerError(f"layers: '{source}' is XML but not KML (root <{root.tag}>)")
    raw: list[_RawFeature] = []
    for index, placemark in enumerate(_descendants(root, "Placemark"), start=1):
        name_el = _child(placemark, "name")
        name = name_el.text.strip() if name_el is not None and name_el.text else None
        props: dict[str, Any] = {"name": name, **_extended_data(placemark)}
        label = f"feature {index}" + (f" ({name!r})" if name else "")
        geoms = [g for child in placemark if (g := _kml_geometry(child, label, source)) is not None]
        raw.append(_RawFeature(index, _collect(geoms) if geoms else None, props, name or None))
    return _WGS84, raw


def _descendants(el: Element, local: str) -> Iterator[Element]:
    return (e for e in el.iter() if _local(e.tag) == local)


def _child(el: Element, local: str) -> Element | None:
    return next((c for c in el if _local(c.tag) == local), None)


def _extended_data(placemark: Element) -> dict[str, str]:
    """``<Data name=..><value>`` and ``<SimpleData name=..>`` fields of a Placemark."""
    out: dict[str, str] = {}
    ext = _child(placemark, "ExtendedData")
    if ext is None:
        return out
    for el in ext.iter():
        key = el.get("name")
        if key is None:
            continue
        if _local(el.tag) == "Data":
            value = _child(el, "value")
            if value is not None and value.text:
                out[key] = value.text.strip()
        elif _local(el.tag) == "SimpleData" and el.text:
            out[key] = el.text.strip()
    return out


def _kml_coords(el: Element | None, label: str, source: str) -> list[tuple[float, float]]:
    """``lon,lat[,alt]`` tuples of a ``<coordinates>`` element (altitude dropped)."""
    if el is None or not el.text:
        return []
    out: list[tuple[float, float]] = []
    for token in el.text.split():
        parts = token.split(",")
        try:
            out.append((float(parts[0]), float(parts[1])))
        except (ValueError, IndexError):
            raise InvalidLayerError(
                f"layers: {label} in '{source}' has the coordinate {token!r}; KML needs "
                f"'lon,lat[,alt]' separated by spaces"
            ) from None
    return out


def _kml_geometry(el: Element, label: str, source: str) -> BaseGeometry | None:
    """A shapely geometry for one KML geometry element; None for anything else."""
    tag = _local(el.tag)
    try:
        if tag == "Point":
            pts = _kml_coords(_child(el, "coordinates"), label, source)
            return Point(pts[0]) if pts else None
        if tag == "LineString":
            pts = _kml_coords(_child(el, "coordinates"), label, source)
            return LineString(pts) if len(pts) >= 2 else None
        if tag == "LinearRing":
            pts = _kml_coords(_child(el, "coordinates"), label, source)
            return LinearRing(pts) if pts else None
        if tag == "Polygon":
            return _kml_polygon(el, label, source)
        if tag == "Track":  # gx:Track from phone GPS apps: <gx:coord>lon lat alt</gx:coord>
            pts = [_gx_coord(c) for c in _descendants(el, "coord")]
            return LineString(pts) if len(pts) >= 2 else None
        if tag in ("MultiGeometry", "MultiTrack"):
            parts_ = [g for c in el if (g := _kml_geometry(c, label, source)) is not None]
            return _collect(parts_) if parts_ else None
    except (ShapelyError, ValueError, IndexError) as exc:
        raise InvalidLayerError(
            f"layers: {label} in '{source}' has a malformed <{tag}> ({exc}); fix or delete it"
        ) from exc
    return None


def _gx_coord(el: Element) -> tuple[float, float]:
    """``lon lat [alt]`` of a ``<gx:coord>`` (altitude dropped)."""
    parts = (el.text or "").split()
    return (float(parts[0]), float(parts[1]))


def _kml_polygon(el: Element, label: str, source: str) -> Polygon | None:
    outer_el = _child(el, "outerBoundaryIs")
    ring = _child(outer_el, "LinearRing") if outer_el is not None else None
    shell = _kml_coords(_child(ring, "coordinates") if ring is not None else None, label, source)
    if not shell:
        return None
    holes = []
    for inner in (c for c in el if _local(c.tag) == "innerBoundaryIs"):
        ring = _child(inner, "LinearRing")
        if ring is not None:
            holes.append(_kml_coords(_child(ring, "coordinates"), label, source))
    return Polygon(shell, holes)


def _collect(geoms: Sequence[BaseGeometry]) -> BaseGeometry:
    """One geometry for several: the matching Multi* type, else a GeometryCollection."""
    flat: list[BaseGeometry] = []
    for g in geoms:
        flat.extend(g.geoms if isinstance(g, GeometryCollection) else [g])
    if len(flat) == 1:
        return flat[0]
    types = {g.geom_type for g in flat}
    if types <= {"Point", "MultiPoint"}:
        return MultiPoint([p for g in flat for p in getattr(g, "geoms", [g])])
    if types <= {"LineString", "LinearRing", "MultiLineString"}:
        return MultiLineString(
            [LineString(ln.coords) for g in flat for ln in getattr(g, "geoms", [g])]
        )
    if types <= {"Polygon", "MultiPolygon"}:
        return MultiPolygon([p for g in flat for p in getattr(g, "geoms", [g])])
    return GeometryCollection(flat)


# ---------------------------------------------------------------------------- writing
def write_geojson(path: Path | str, features: Sequence[dict[str, Any]] | dict[str, Any]) -> None:
    """Write features as an RFC 7946 GeoJSON FeatureCollection, atomically.

    Parameters
    ----------
    path : Path or str
        The file to create or replace; its directory must exist.
    features : sequence of dict, or dict
        GeoJSON Feature dicts (bare geometry dicts are wrapped as Features), or one
        Feature or FeatureCollection dict. Geometries may also be shapely objects (or
        anything with ``__geo_interface__``); numpy scalars are written as numbers.
        Coordinates must be longitude/latitude (EPSG:4326); they are rounded to 7
        decimals (about 1 cm).

    Raises
    ------
    InvalidParameterError
        A feature that is not GeoJSON, coordinates outside longitude/latitude range
        (a projected CRS, most likely), or values JSON cannot hold (NaN, objects).
    """
    items = _feature_list(features)
    collection = {
        "type": "FeatureCollection",
        "features": [_rfc7946_feature(i, f) for i, f in enumerate(items, start=1)],
    }
    try:
        text = json.dumps(
            collection,
            separators=(",", ":"),
            ensure_ascii=False,
            allow_nan=False,
            default=_json_default,
        )
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(f"features: cannot be written as JSON ({exc})") from exc
    write_text_atomic(path, text + "\n")


def _feature_list(features: Sequence[dict[str, Any]] | dict[str, Any]) -> list[Any]:
    if isinstance(features, dict):
        if features.get("type") == "FeatureCollection":
            found = features.get("features")
            if not isinstance(found, list):
                raise InvalidParameterError("features: the FeatureCollection has no list")
            return found
        return [features]
    return list(features)


def _rfc7946_feature(index: int, item: Any) -> dict[str, Any]:
    """A Feature dict with lon/lat coordinates rounded; geometries wrapped as Features."""
    if hasattr(item, "__geo_interface__"):
        item = {"type": "Feature", "properties": {}, "geometry": item}
    if not isinstance(item, dict):
        raise InvalidParameterError(
            f"features: item {index} is a {type(item).__name__}, not a GeoJSON dict"
        )
    if item.get("type") in _GEOMETRY_TYPES:
        item = {"type": "Feature", "properties": {}, "geometry": item}
    if item.get("type") != "Feature":
        raise InvalidParameterError(
            f"features: item {index} has type {item.get('type')!r}; give a Feature or geometry"
        )
    geometry = item.get("geometry")
    if hasattr(geometry, "__geo_interface__"):
        geometry = geometry.__geo_interface__
    if geometry is not None:
        geometry = _rounded_geometry(index, geometry)
    out = {k: v for k, v in item.items() if k not in ("geometry", "crs")}
    out["properties"] = item.get("properties")
    out["geometry"] = geometry
    return out


def _rounded_geometry(index: int, geometry: Any) -> dict[str, Any]:
    """The geometry dict with coordinates rounded, checked to be longitude/latitude."""
    if not isinstance(geometry, dict) or geometry.get("type") not in _GEOMETRY_TYPES:
        raise InvalidParameterError(f"features: item {index} has a geometry that is not GeoJSON")
    out = dict(geometry)
    if geometry["type"] == "GeometryCollection":
        out["geometries"] = [_rounded_geometry(index, g) for g in geometry.get("geometries", [])]
        return out
    out["coordinates"] = _round_coords(index, geometry.get("coordinates"))
    return out


def _round_coords(index: int, coords: Any) -> Any:
    """Round nested coordinate arrays; positions must be finite lon/lat."""
    if isinstance(coords, np.ndarray):
        coords = coords.tolist()
    if isinstance(coords, (list, tuple)) and coords and not isinstance(coords[0], (list, tuple)):
        try:
            lon, lat, *rest = (float(c) for c in coords)
        except (TypeError, ValueError) as exc:
            raise InvalidParameterError(
                f"features: item {index} has the position {coords!r}, not numbers"
            ) from exc
        if not (math.isfinite(lon) and math.isfinite(lat)) or abs(lon) > 180 or abs(lat) > 90:
            raise InvalidParameterError(
                f"features: item {index} has the position ({lon}, {lat}), outside "
                f"longitude/latitude range; reproject to EPSG:4326 first (RFC 7946)"
            )
        return [round(lon, _COORD_DECIMALS), round(lat, _COORD_DECIMALS), *rest]
    if isinstance(coords, (list, tuple)):
        return [_round_coords(index, c) for c in coords]
    raise InvalidParameterError(f"features: item {index} has malformed coordinates {coords!r}")


def _json_default(obj: Any) -> Any:
    """JSON for numpy scalars and arrays and for geometries in properties."""
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if hasattr(obj, "__geo_interface__"):
        return obj.__geo_interface__
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")
