"""Jurisdictions in from GeoJSON or KML; the POA share inside each from a plan's poa.tif.

:func:`read_jurisdictions` reads land outlines (a national forest, a county, a club's
land) through the same guarded readers as the layers (:mod:`wayhome.io.vector`), in
lon/lat, ready for :func:`wayhome.store.jurisdictions.add_jurisdiction`.
:func:`poa_share_by_jurisdiction` tells the planner how much of the probability lies on
each one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shapely.geometry import GeometryCollection, MultiPolygon, Polygon, mapping
from shapely.geometry.base import BaseGeometry
from shapely.validation import make_valid

from wayhome.access.jurisdictions import area_shape, poa_share
from wayhome.errors import InvalidLayerError, UsageError
from wayhome.geo.coords import geometry_to_crs
from wayhome.io.raster import read_poa_geotiff
from wayhome.io.vector import _name_of, _read_bytes, _read_geojson, _read_kml

__all__ = [
    "JURISDICTION_FORMATS",
    "JurisdictionFeature",
    "poa_share_by_jurisdiction",
    "read_jurisdictions",
]

#: File name endings :func:`read_jurisdictions` understands.
JURISDICTION_FORMATS: tuple[str, ...] = (".geojson", ".json", ".kml")

#: Feature properties that may carry the contact for leave, in order of preference.
_CONTACT_PROPERTIES: tuple[str, ...] = ("contact", "phone", "Contact")
_WGS84 = "EPSG:4326"


@dataclass(frozen=True, slots=True)
class JurisdictionFeature:
    """One outline read from a file: its name, contact, and GeoJSON geometry in lon/lat."""

    name: str
    contact: str
    geometry: dict[str, Any]


def read_jurisdictions(path: Path | str) -> list[JurisdictionFeature]:
    """Read jurisdiction outlines from a GeoJSON or KML file.

    Parameters
    ----------
    path : Path or str
        ``.geojson``/``.json`` (a legacy ``crs`` member is honoured; the outlines are
        brought to lon/lat) or ``.kml`` Polygons. Each feature's ``name`` (or
        ``title``) names it, else the file name and feature number; a ``contact`` (or
        ``phone``) property, or KML ExtendedData field, gives who to call about leave.

    Returns
    -------
    list of JurisdictionFeature
        In file order; an invalid outline is repaired (``make_valid``, keeping its area).

    Raises
    ------
    InvalidLayerError
        Missing, empty or malformed file, an unsupported type, a feature that is not a
        polygon, or no outlines at all.
    """
    p = Path(path)
    readers = {".geojson": _read_geojson, ".json": _read_geojson, ".kml": _read_kml}
    suffix = p.suffix.lower()
    reader = readers.get(suffix)
    if reader is None:
        raise InvalidLayerError(
            f"jurisdictions: cannot read '{p.name}': unsupported file type "
            f"{suffix or '(none)'!r}; use one of {', '.join(JURISDICTION_FORMATS)}"
        )
    crs, raw = reader(_read_bytes(p, what="jurisdictions", kind="a GeoJSON or KML file"), p.name)
    out: list[JurisdictionFeature] = []
    for feature in raw:
        if feature.geometry is None or feature.geometry.is_empty:
            continue
        label = f"feature {feature.index}" + (f" ({feature.name!r})" if feature.name else "")
        outline = _polygonal(geometry_to_crs(feature.geometry, crs, _WGS84), label, p.name)
        geometry = json.loads(json.dumps(mapping(outline)))  # tuples to lists
        try:
            area_shape(geometry)
        except UsageError as exc:
            raise InvalidLayerError(f"jurisdictions: {label} in '{p.name}': {exc}") from exc
        contact = next(
            (
                str(feature.properties[k]).strip()
                for k in _CONTACT_PROPERTIES
                if feature.properties.get(k)
            ),
            "",
        )
        name = _name_of(feature.properties) or f"{p.stem} {feature.index}"
        out.append(JurisdictionFeature(name=name, contact=contact, geometry=geometry))
    if not out:
        raise InvalidLayerError(
            f"jurisdictions: '{p.name}' holds no outlines; draw the land as polygons"
        )
    return out


def _polygonal(geom: BaseGeometry, label: str, source: str) -> Polygon | MultiPolygon:
    """The polygonal part of an outline, repaired; refuses points and lines."""
    fixed = geom if geom.is_valid else make_valid(geom)
    parts = fixed.geoms if isinstance(fixed, GeometryCollection | MultiPolygon) else [fixed]
    polygons = [
        q
        for part in parts
        for q in (part.geoms if isinstance(part, MultiPolygon) else [part])
        if isinstance(q, Polygon) and not q.is_empty
    ]
    if not polygons:
        raise InvalidLayerError(
            f"jurisdictions: {label} in '{source}' is a {geom.geom_type}, not land; "
            "draw jurisdictions as polygons"
        )
    return polygons[0] if len(polygons) == 1 else MultiPolygon(polygons)


def poa_share_by_jurisdiction(
    poa_raster_path: Path | str, jurisdictions: Mapping[int, Mapping[str, Any]]
) -> dict[int, float]:
    """The share of a plan's POA inside each jurisdiction.

    Parameters
    ----------
    poa_raster_path : Path or str
        A POA GeoTIFF written by wayhome (a plan directory's ``poa.tif``).
    jurisdictions : mapping of int to GeoJSON geometry
        Jurisdiction id → outline (lon/lat), e.g. ``{j.id: json.loads(j.geometry)}``.

    Returns
    -------
    dict of int to float
        Jurisdiction id → probability inside it (0..1, of the whole POA with its rest of
        world), counting the cells whose centres lie inside, rasterised in the POA's CRS.

    Raises
    ------
    DataFileError
        The POA file cannot be read.
    InvalidParameterError
        An outline that is not a valid (Multi)Polygon in lon/lat.
    """
    outlines = {
        key: area_shape(g, field=f"jurisdictions[{key}]") for key, g in jurisdictions.items()
    }
    return poa_share(read_poa_geotiff(poa_raster_path), outlines)
