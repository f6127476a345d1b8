"""GeoJSON in CalTopo/SARTopo's feature conventions, both ways.

CalTopo's map export (and its import) is a GeoJSON FeatureCollection whose features say
what they are in ``properties.class``: ``Assignment`` (a polygon or line with ``letter``,
the segment, ``number``, ``status`` DRAFT/PREPARED/INPROGRESS/COMPLETED and
``resourceType``), ``Marker`` (a point with ``marker-color`` and ``marker-symbol``),
``Clue`` (a point) and ``Shape`` (a line or polygon with ``stroke``/``fill``); ``Folder``
features have no geometry. Every feature has a ``title`` and a ``description``. wayhome's
own fields that CalTopo has no place for travel as ``wayhome:...`` properties, which CalTopo
keeps or drops without harm, so a wayhome → CalTopo → wayhome trip keeps team and status.

The same property set is the ExtendedData of wayhome's KML (:mod:`.kml`), so every format
maps a feature one way.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from wayhome.errors import DataFileError, InvalidParameterError
from wayhome.geo.coords import geometry_to_crs
from wayhome.io.exchange.features import ASSIGNMENT_STATUSES, MapFeature, MapKind
from wayhome.io.vector import _read_bytes, _read_geojson, write_geojson

__all__ = [
    "caltopo_from_bytes",
    "caltopo_properties",
    "feature_from_caltopo",
    "features_to_caltopo",
    "import_errors",
    "read_caltopo_geojson",
    "write_caltopo_geojson",
]

_CLASS = {
    MapKind.ASSIGNMENT: "Assignment",
    MapKind.CLUE: "Clue",
    MapKind.MARKER: "Marker",
    MapKind.LINE: "Shape",
    MapKind.AREA: "Shape",
}
#: wayhome status → CalTopo status (``aborted`` has no CalTopo word: it travels as
#: ``wayhome:status`` beside COMPLETED).
_TO_CALTOPO_STATUS = {
    "draft": "DRAFT",
    "planned": "PREPARED",
    "in_progress": "INPROGRESS",
    "completed": "COMPLETED",
    "aborted": "COMPLETED",
}
_FROM_CALTOPO_STATUS = {
    "DRAFT": "draft",
    "PREPARED": "planned",
    "INPROGRESS": "in_progress",
    "COMPLETED": "completed",
}
_PREFIX = "wayhome:"
_KNOWN = frozenset(
    {
        "class",
        "title",
        "description",
        "letter",
        "number",
        "status",
        "resourceType",
        "marker-color",
        "marker-symbol",
        "marker-size",
        "stroke",
        "stroke-width",
        "stroke-opacity",
        "fill",
        "fill-opacity",
        "pattern",
    }
)


def caltopo_properties(feature: MapFeature) -> dict[str, Any]:
    """The CalTopo ``properties`` of ``feature`` (``wayhome:`` fields included).

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> p = caltopo_properties(MapFeature(MapKind.MARKER, "IPP", Point(-84.28, 36.54)))
    >>> p["class"], p["title"], p["marker-color"]
    ('Marker', 'IPP', 'FF0000')
    """
    props: dict[str, Any] = {
        "class": _CLASS[feature.kind],
        "title": feature.title,
        "description": feature.description,
    }
    colour = feature.color
    if feature.kind is MapKind.ASSIGNMENT:
        props["letter"] = feature.segment or ""
        props["number"] = feature.number or ""
        props["status"] = _TO_CALTOPO_STATUS[feature.status or "draft"]
        props["resourceType"] = _caltopo_resource(feature.resource_type)
        props["stroke"] = colour or _STATUS_COLOUR[feature.status or "draft"]
        props["stroke-width"] = 2
        props["fill-opacity"] = 0.1
        if feature.status == "aborted":
            props[f"{_PREFIX}status"] = "aborted"
        if feature.team:
            props[f"{_PREFIX}team"] = feature.team
        if feature.resource_type:
            props[f"{_PREFIX}resource"] = feature.resource_type
    elif feature.kind in (MapKind.MARKER, MapKind.CLUE):
        props["marker-color"] = (
            colour or ("#FFFF00" if feature.kind is MapKind.CLUE else "#FF0000")
        )[1:]
        props["marker-symbol"] = "clue" if feature.kind is MapKind.CLUE else "point"
    else:
        props["stroke"] = colour or "#FF0000"
        props["stroke-width"] = 2
        props["stroke-opacity"] = 1
        props["pattern"] = "solid"
        if feature.kind is MapKind.AREA:
            props["fill"] = colour or "#FF0000"
            props["fill-opacity"] = 0.1
    for key, value in feature.extra.items():
        props[f"{_PREFIX}{key}"] = value
    return props


_STATUS_COLOUR = {
    "draft": "#FF0000",
    "planned": "#FF8800",
    "in_progress": "#0000FF",
    "completed": "#008800",
    "aborted": "#888888",
}


def _caltopo_resource(resource: str | None) -> str:
    """CalTopo's ``resourceType`` for a wayhome resource (``dog_air_scent`` → ``DOG``)."""
    if not resource:
        return "GROUND"
    head = resource.split("_", 1)[0].upper()
    return head if head in ("GROUND", "DOG", "OHV", "UAS", "MOUNTED", "WATER", "AIR") else "GROUND"


def feature_from_caltopo(
    props: Mapping[str, Any], geometry: BaseGeometry | None, label: str
) -> MapFeature | None:
    """The :class:`MapFeature` of one CalTopo (or plain GeoJSON/KML) feature.

    ``label`` names it in messages. Folders and features without a geometry give None.
    Without a ``class``, points become markers, lines lines and polygons areas.
    """
    if geometry is None or geometry.is_empty:
        return None
    cls = str(props.get("class") or "").strip()
    gtype = geometry.geom_type
    kind = _kind_of(cls, gtype, label)
    if kind is None:
        return None
    text = {k: ("" if v is None else str(v)) for k, v in props.items()}
    segment = text.get("letter", "").strip() or None
    number = text.get("number", "").strip() or None
    title = text.get("title", "").strip() or text.get("name", "").strip()
    if not title and kind is MapKind.ASSIGNMENT:
        title = " ".join(p for p in (segment, number) if p)
    if not title:
        title = f"{kind.value} {label.split()[-1]}"
    status = None
    if kind is MapKind.ASSIGNMENT:
        status = text.get(f"{_PREFIX}status") or _FROM_CALTOPO_STATUS.get(
            text.get("status", "").upper(), "draft"
        )
        if status not in ASSIGNMENT_STATUSES:
            raise DataFileError(
                f"import: {label} has status {status!r}; use one of "
                f"{', '.join(ASSIGNMENT_STATUSES)}"
            )
    colour = _colour(text.get("marker-color") or text.get("stroke") or text.get("fill"))
    resource = text.get(f"{_PREFIX}resource") or (
        text.get("resourceType", "").lower() or None if kind is MapKind.ASSIGNMENT else None
    )
    extra = {
        k[len(_PREFIX) :]: v
        for k, v in text.items()
        if k.startswith(_PREFIX) and k[len(_PREFIX) :] not in ("status", "team", "resource")
    }
    try:
        return MapFeature(
            kind=kind,
            title=title,
            geometry=geometry,
            description=text.get("description", ""),
            segment=segment if kind is MapKind.ASSIGNMENT else None,
            number=number if kind is MapKind.ASSIGNMENT else None,
            status=status,
            team=text.get(f"{_PREFIX}team") or None,
            resource_type=resource,
            color=colour,
            extra=extra,
        )
    except InvalidParameterError as exc:
        raise DataFileError(f"import: {label}: {exc}") from None


def _kind_of(cls: str, gtype: str, label: str) -> MapKind | None:
    lines = ("LineString", "MultiLineString")
    areas = ("Polygon", "MultiPolygon")
    if cls in ("Folder", "OperationalPeriod"):
        return None
    if cls == "Assignment":
        return MapKind.ASSIGNMENT
    if cls == "Clue" and gtype == "Point":
        return MapKind.CLUE
    if gtype == "Point":
        return MapKind.MARKER
    if gtype in lines:
        return MapKind.LINE
    if gtype in areas:
        return MapKind.AREA
    if gtype == "MultiPoint":
        raise DataFileError(
            f"import: {label} is a MultiPoint; split it into single markers and import again"
        )
    return None  # GeometryCollection and friends: nothing a SAR map draws


def _colour(text: str | None) -> str | None:
    """``#RRGGBB`` from CalTopo's ``FF0000`` or ``#FF0000``; None if it is not a colour."""
    if not text:
        return None
    body = text.strip().lstrip("#")
    if len(body) == 6 and all(c in "0123456789abcdefABCDEF" for c in body):
        return f"#{body.upper()}"
    return None


def features_to_caltopo(features: Sequence[MapFeature]) -> dict[str, Any]:
    """A CalTopo-importable FeatureCollection (dict) of ``features``."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": mapping(f.geometry),
                "properties": caltopo_properties(f),
            }
            for f in features
        ],
    }


def write_caltopo_geojson(path: Path | str, features: Sequence[MapFeature]) -> None:
    """Write ``features`` as CalTopo GeoJSON (coordinates to 1e-7°, about 1 cm), atomically."""
    write_geojson(path, features_to_caltopo(features))


def _two_dimensional(data: bytes) -> bytes:
    """The file with positions cut to (lon, lat): CalTopo writes [lon, lat, elevation, time].

    Unreadable JSON is returned as it is, for the reader to report with line and column.
    """
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return data

    def trim(value: Any) -> Any:
        if isinstance(value, list) and value and all(isinstance(v, int | float) for v in value):
            return value[:2]
        if isinstance(value, list):
            return [trim(v) for v in value]
        if isinstance(value, dict):
            return {
                k: trim(v) if k in ("coordinates", "geometry", "geometries", "features") else v
                for k, v in value.items()
            }
        return value

    return json.dumps(trim(doc)).encode("utf-8")


@contextmanager
def import_errors() -> Iterator[None]:
    """Say ``import:`` (not ``layers:``) in errors of the shared GeoJSON/KML readers."""
    try:
        yield
    except DataFileError as exc:
        text = str(exc)
        if not text.startswith("layers: "):
            raise
        raise DataFileError(f"import: {text.removeprefix('layers: ')}") from exc


def read_caltopo_geojson(path: Path | str) -> tuple[list[MapFeature], list[str]]:
    """Read a CalTopo (or any) GeoJSON export into map features.

    Returns
    -------
    features : list of MapFeature
        In file order; a legacy ``crs`` member is honoured (the features are brought to
        WGS 84).
    warnings : list of str
        Features skipped (folders, no geometry, geometry collections), naming them.

    Raises
    ------
    DataFileError
        Missing, empty or malformed file, or a feature wayhome cannot hold (with its
        number counted from 1 and its title).
    """
    p = Path(path)
    data = _read_bytes(p, what="import", kind="a GeoJSON file", again="export the map again")
    return caltopo_from_bytes(data, p.name)


def caltopo_from_bytes(data: bytes, source: str) -> tuple[list[MapFeature], list[str]]:
    """:func:`read_caltopo_geojson` of a file's bytes (an upload); ``source`` names it."""
    with import_errors():
        crs, raw = _read_geojson(_two_dimensional(data), source)
    out: list[MapFeature] = []
    skipped: list[str] = []
    for item in raw:
        label = f"feature {item.index}" + (f" ({item.name!r})" if item.name else "")
        geom = None if item.geometry is None else geometry_to_crs(item.geometry, crs, "EPSG:4326")
        feature = feature_from_caltopo(item.properties, geom, f"{label} in '{source}'")
        if feature is None:
            skipped.append(label)
        else:
            out.append(feature)
    warnings = [f"'{source}': skipped {', '.join(skipped)} (folders or no map geometry)"]
    return out, warnings if skipped else []
