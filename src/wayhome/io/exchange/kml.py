"""KML and KMZ (Google Earth, CalTopo, ATAK) in and out.

Written: one ``<Placemark>`` per feature, styled by its colour, with the feature's CalTopo
properties (:func:`~wayhome.io.exchange.caltopo.caltopo_properties`) as ExtendedData, so
the class, segment, number, status and team come back on import. Read: Placemarks through
the guarded XML reader of :mod:`wayhome.io.vector` (entity declarations refused), plain KML
from other tools included (points become markers, lines lines, polygons areas). A KMZ is
opened with :func:`~wayhome.io.exchange._zip.read_zip_member` (size, count, ratio and path
checks) and its ``doc.kml`` read the same way.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from xml.etree import ElementTree as ET  # writing only; reading XML goes through defusedxml

from shapely.geometry import LineString, MultiLineString, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from wayhome.errors import DataFileError, InvalidParameterError
from wayhome.io.atomic import write_bytes_atomic, write_text_atomic
from wayhome.io.exchange._zip import ZipLimits, read_zip_member
from wayhome.io.exchange.caltopo import caltopo_properties, feature_from_caltopo, import_errors
from wayhome.io.exchange.features import MapFeature
from wayhome.io.vector import _read_bytes, _read_kml

__all__ = ["kml_document", "kml_from_bytes", "kmz_document", "read_kml", "write_kml", "write_kmz"]

_NS = "http://www.opengis.net/kml/2.2"


def _el(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    el = ET.SubElement(parent, f"{{{_NS}}}{tag}")
    if text is not None:
        el.text = text
    return el


def kml_document(features: Sequence[MapFeature], *, name: str) -> str:
    """KML text for ``features`` in one ``<Document>`` called ``name``.

    Coordinates are written to 7 decimals (about 1 cm).
    """
    ET.register_namespace("", _NS)
    root = ET.Element(f"{{{_NS}}}kml")
    doc = _el(root, "Document")
    _el(doc, "name", name)
    for f in features:
        pm = _el(doc, "Placemark")
        _el(pm, "name", f.title)
        if f.description:
            _el(pm, "description", f.description)
        if f.color:
            _style(pm, f.color)
        ext = _el(pm, "ExtendedData")
        for key, value in caltopo_properties(f).items():
            if key == "title":
                continue  # the Placemark's <name>
            data = _el(ext, "Data")
            data.set("name", key)
            _el(data, "value", str(value))
        _geometry(pm, f.geometry)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _style(pm: ET.Element, colour: str) -> None:
    """Line, fill and icon colour; KML writes colours as aabbggrr."""
    rr, gg, bb = colour[1:3], colour[3:5], colour[5:7]
    style = _el(pm, "Style")
    _el(_el(style, "IconStyle"), "color", f"ff{bb}{gg}{rr}".lower())
    line = _el(style, "LineStyle")
    _el(line, "color", f"ff{bb}{gg}{rr}".lower())
    _el(line, "width", "2")
    _el(_el(style, "PolyStyle"), "color", f"33{bb}{gg}{rr}".lower())


def _coords(xy: Iterable[Sequence[float]]) -> str:
    return " ".join(f"{float(p[0]):.7f},{float(p[1]):.7f}" for p in xy)


def _geometry(parent: ET.Element, geom: BaseGeometry) -> None:
    if isinstance(geom, Point):
        _el(_el(parent, "Point"), "coordinates", _coords(geom.coords))
    elif isinstance(geom, LineString):
        line = _el(parent, "LineString")
        _el(line, "tessellate", "1")
        _el(line, "coordinates", _coords(geom.coords))
    elif isinstance(geom, Polygon):
        poly = _el(parent, "Polygon")
        _el(poly, "tessellate", "1")
        outer = _el(_el(poly, "outerBoundaryIs"), "LinearRing")
        _el(outer, "coordinates", _coords(geom.exterior.coords))
        for hole in geom.interiors:
            inner = _el(_el(poly, "innerBoundaryIs"), "LinearRing")
            _el(inner, "coordinates", _coords(hole.coords))
    elif isinstance(geom, MultiLineString | MultiPolygon):
        multi = _el(parent, "MultiGeometry")
        for part in geom.geoms:
            _geometry(multi, part)
    else:  # pragma: no cover - MapFeature allows no other geometry
        raise InvalidParameterError(f"geometry: KML export cannot write a {geom.geom_type}")


def write_kml(path: Path | str, features: Sequence[MapFeature], *, name: str) -> None:
    """Write ``features`` as a KML file, atomically."""
    write_text_atomic(path, kml_document(features, name=name))


def kmz_document(features: Sequence[MapFeature], *, name: str) -> bytes:
    """A KMZ (a zip holding ``doc.kml``) of ``features``, as bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("doc.kml", kml_document(features, name=name))
    return buffer.getvalue()


def write_kmz(path: Path | str, features: Sequence[MapFeature], *, name: str) -> None:
    """Write ``features`` as a KMZ (a zip holding ``doc.kml``), atomically."""
    write_bytes_atomic(path, kmz_document(features, name=name))


def read_kml(
    path: Path | str, *, limits: ZipLimits | None = None
) -> tuple[list[MapFeature], list[str]]:
    """Read the Placemarks of a ``.kml`` or ``.kmz`` file as map features.

    Parameters
    ----------
    path : Path or str
        A KML file, or a KMZ whose ``doc.kml`` (or first ``.kml``) is read.
    limits : ZipLimits, optional
        For a KMZ: entry count, inflated size and compression ratio allowed.

    Returns
    -------
    features : list of MapFeature
    warnings : list of str
        Placemarks skipped (no geometry, or one a SAR map cannot hold).

    Raises
    ------
    DataFileError
        Missing, empty or malformed file; XML entities; an unsafe KMZ (zip bomb, path
        traversal, too many entries), naming the problem.
    """
    p = Path(path)
    data = _read_bytes(p, what="import", kind="a KML or KMZ file", again="export the map again")
    return kml_from_bytes(data, p.name, limits=limits)


def kml_from_bytes(
    data: bytes, source: str, *, limits: ZipLimits | None = None
) -> tuple[list[MapFeature], list[str]]:
    """:func:`read_kml` of a file's bytes (an upload); ``source`` is its file name.

    The bytes are a KMZ when ``source`` ends in ``.kmz`` or they start as a zip does.
    """
    if source.lower().endswith(".kmz") or data[:2] == b"PK":
        member, data = read_zip_member(data, source, pick=".kml", limits=limits)
        source = f"{source}:{member}"
    with import_errors():
        _, raw = _read_kml(data, source)
    out: list[MapFeature] = []
    skipped: list[str] = []
    for item in raw:
        label = f"placemark {item.index}" + (f" ({item.name!r})" if item.name else "")
        props = dict(item.properties)
        props.setdefault("title", item.name or "")
        feature = feature_from_caltopo(props, item.geometry, f"{label} in '{source}'")
        if feature is None:
            skipped.append(label)
        else:
            out.append(feature)
    if not out and not skipped:
        raise DataFileError(f"import: '{source}' holds no placemarks; is it the right file?")
    warnings = [f"'{source}': skipped {', '.join(skipped)} (no map geometry)"] if skipped else []
    return out, warnings
