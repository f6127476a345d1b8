"""GPX for GPS units: assignments as routes and tracks, clues and markers as waypoints.

Garmin handhelds and chartplotters cut names short (older units: waypoints 10 characters,
routes 15, saved tracks 20; the oldest 6) and some show only upper-case ASCII, renaming
duplicates with a trailing number. :func:`garmin_name` makes names every unit keeps: ASCII,
upper case, within the limit, unique in the file. The full title goes in ``<cmt>`` (which
units show as the comment) and the description in ``<desc>``; :func:`read_gpx` restores
the title from ``<cmt>``, so a wayhome → GPS file → wayhome trip keeps names.

Each assignment becomes a route (its segment boundary, for *navigate to*) and, when a sweep
path is given, a track (the path to walk); the assignment's fields travel in ``<type>``
(``wayhome:assignment``) and the route's ``<desc>``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import gpxpy
import gpxpy.gpx
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from wayhome.errors import DataFileError, InvalidParameterError
from wayhome.io.atomic import write_text_atomic
from wayhome.io.exchange.features import MapFeature, MapKind
from wayhome.io.vector import _local, _parse_xml, _read_bytes

__all__ = [
    "GARMIN_NAME_LIMITS",
    "garmin_name",
    "gpx_document",
    "gpx_from_bytes",
    "read_gpx",
    "write_gpx",
]

#: Longest names older Garmin units keep, per GPX element.
GARMIN_NAME_LIMITS: Mapping[str, int] = {"wpt": 10, "rte": 15, "trk": 20}

_TYPE_PREFIX = "wayhome:"


def garmin_name(text: str, *, limit: int = 10, taken: set[str] | None = None) -> str:
    """A name a Garmin unit keeps: ASCII upper case, at most ``limit`` characters, unique.

    Accents are folded (``É`` → ``E``), other characters dropped, runs of spaces joined.
    With ``taken``, a name already used gets a number (``A02 2``) and is added to it.

    Examples
    --------
    >>> garmin_name("Clue C1: child's shoe")
    'CLUE C1 CH'
    >>> used = {"IPP"}
    >>> garmin_name("ipp", taken=used), sorted(used)
    ('IPP 2', ['IPP', 'IPP 2'])
    """
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    clean = re.sub(r"[^A-Z0-9 .\-]", "", folded.upper().replace("_", " ").replace(":", " "))
    base = re.sub(r"\s+", " ", clean).strip()[:limit].strip() or "WPT"
    if taken is None:
        return base
    name, n = base, 1
    while name in taken:
        n += 1
        suffix = f" {n}"
        name = base[: limit - len(suffix)].rstrip() + suffix
    taken.add(name)
    return name


def gpx_document(
    features: Sequence[MapFeature],
    *,
    name: str,
    sweeps: Mapping[str, Sequence[tuple[float, float]]] | None = None,
) -> str:
    """GPX text: assignments and lines as routes, sweep paths as tracks, points as waypoints.

    Parameters
    ----------
    features : sequence of MapFeature
    name : str
        The file's ``<metadata><name>``.
    sweeps : mapping of str to sequence of (lon, lat), optional
        Assignment title → the sweep path to walk, written as a track.
    """
    gpx = gpxpy.gpx.GPX()
    gpx.name = name
    taken: dict[str, set[str]] = {k: set() for k in GARMIN_NAME_LIMITS}
    for f in features:
        kind_type = f"{_TYPE_PREFIX}{f.kind.value}"
        if isinstance(f.geometry, Point):
            wpt = gpxpy.gpx.GPXWaypoint(
                latitude=f.geometry.y,
                longitude=f.geometry.x,
                name=_short(f.title, "wpt", taken),
                comment=f.title,
                description=f.description or None,
                type=kind_type,
            )
            gpx.waypoints.append(wpt)
            continue
        for i, line in enumerate(_lines(f.geometry), start=1):
            title = f.title if i == 1 else f"{f.title} ({i})"
            rte = gpxpy.gpx.GPXRoute(name=_short(title, "rte", taken), description=_desc(f))
            rte.comment = title
            rte.type = kind_type
            rte.points = [gpxpy.gpx.GPXRoutePoint(latitude=y, longitude=x) for x, y in line]
            gpx.routes.append(rte)
        sweep = (sweeps or {}).get(f.title)
        if sweep:
            title = f"{f.title} sweep"
            trk = gpxpy.gpx.GPXTrack(name=_short(title, "trk", taken), description=_desc(f))
            trk.comment = title
            trk.type = f"{_TYPE_PREFIX}sweep"  # type: ignore[assignment]
            seg = gpxpy.gpx.GPXTrackSegment()
            seg.points = [gpxpy.gpx.GPXTrackPoint(latitude=y, longitude=x) for x, y in sweep]
            trk.segments.append(seg)
            gpx.tracks.append(trk)
    return str(gpx.to_xml(version="1.1"))


def _short(title: str, element: str, taken: dict[str, set[str]]) -> str:
    return garmin_name(title, limit=GARMIN_NAME_LIMITS[element], taken=taken[element])


def _desc(f: MapFeature) -> str | None:
    """Description with an assignment's team, status and segment, for the unit's screen."""
    parts = [f.description] if f.description else []
    if f.kind is MapKind.ASSIGNMENT:
        fields = (
            ("segment", f.segment),
            ("number", f.number),
            ("team", f.team),
            ("status", f.status),
            ("resource", f.resource_type),
        )
        parts.append("; ".join(f"{k}={v}" for k, v in fields if v))
    return "\n".join(parts) or None


def _lines(geom: BaseGeometry) -> list[list[tuple[float, float]]]:
    """Each outline or line of ``geom`` as a list of (lon, lat)."""
    if isinstance(geom, Polygon):
        return [[(x, y) for x, y, *_ in geom.exterior.coords]]
    if isinstance(geom, LineString):
        return [[(x, y) for x, y, *_ in geom.coords]]
    if isinstance(geom, MultiPolygon | MultiLineString):
        return [line for part in geom.geoms for line in _lines(part)]
    return []  # pragma: no cover


def write_gpx(
    path: Path | str,
    features: Sequence[MapFeature],
    *,
    name: str,
    sweeps: Mapping[str, Sequence[tuple[float, float]]] | None = None,
) -> None:
    """Write :func:`gpx_document` to ``path``, atomically."""
    write_text_atomic(path, gpx_document(features, name=name, sweeps=sweeps))


def read_gpx(path: Path | str) -> tuple[list[MapFeature], list[str]]:
    """Read waypoints, routes and tracks of a GPX file as map features.

    Waypoints become markers (clues when their ``<type>`` says so), routes and tracks
    lines (assignments when ``<type>`` says so: a closed route is the segment outline).
    The title is the ``<cmt>`` when the ``<name>`` is its Garmin short form, else the name.

    Raises
    ------
    DataFileError
        Missing, empty, malformed or entity-laden file, or one that is not GPX.
    """
    p = Path(path)
    data = _read_bytes(p, what="import", kind="a GPX file", again="export it from the GPS again")
    return gpx_from_bytes(data, p.name)


def gpx_from_bytes(data: bytes, source: str) -> tuple[list[MapFeature], list[str]]:
    """:func:`read_gpx` of a file's bytes (an upload); ``source`` names it in messages."""
    root = _parse_xml(data, source, what="import", error=DataFileError)
    if _local(root.tag) != "gpx":
        raise DataFileError(f"import: '{source}' is XML but not GPX (root <{_local(root.tag)}>)")
    try:
        gpx = gpxpy.parse(data.decode("utf-8-sig"))
    except (gpxpy.gpx.GPXException, ValueError) as exc:
        raise DataFileError(f"import: '{source}' is not a readable GPX file ({exc})") from None
    try:
        return _features(gpx, source)
    except InvalidParameterError as exc:  # a point out of range, ...: name the file
        raise DataFileError(f"import: '{source}': {exc}") from None


def _features(gpx: gpxpy.gpx.GPX, source: str) -> tuple[list[MapFeature], list[str]]:
    out: list[MapFeature] = []
    warnings: list[str] = []
    for wpt in gpx.waypoints:
        kind = MapKind.CLUE if wpt.type == f"{_TYPE_PREFIX}clue" else MapKind.MARKER
        title = _title(wpt.name, wpt.comment, "wpt")
        out.append(
            MapFeature(kind, title, Point(wpt.longitude, wpt.latitude), wpt.description or "")
        )
    paths: list[tuple[str | None, str | None, str | None, str | None, list[Any], str]] = [
        (r.name, r.comment, r.description, r.type, r.points, "rte") for r in gpx.routes
    ]
    for t in gpx.tracks:
        pts = [pt for seg in t.segments for pt in seg.points]
        paths.append((t.name, t.comment, t.description, t.type, pts, "trk"))
    for name, comment, desc, gtype, points, element in paths:
        xy = [(pt.longitude, pt.latitude) for pt in points]
        title = _title(name, comment, element)
        if len(xy) < 2:
            warnings.append(f"'{source}': {title!r} has fewer than two points; skipped")
            continue
        fields = _fields(desc)
        if gtype == f"{_TYPE_PREFIX}assignment":
            closed = len(xy) >= 4 and xy[0] == xy[-1]
            geom: BaseGeometry = Polygon(xy) if closed else LineString(xy)
            out.append(
                MapFeature(
                    MapKind.ASSIGNMENT,
                    title,
                    geom,
                    fields.pop("", ""),
                    segment=fields.get("segment"),
                    number=fields.get("number"),
                    team=fields.get("team"),
                    status=fields.get("status"),
                    resource_type=fields.get("resource"),
                )
            )
        else:
            out.append(MapFeature(MapKind.LINE, title, LineString(xy), fields.pop("", "")))
    return out, warnings


def _title(name: str | None, comment: str | None, element: str) -> str:
    """The full title: the comment when the name is its Garmin short form (maybe numbered)."""
    short = (name or "").strip()
    full = (comment or "").strip()
    stem = re.sub(r" \d+$", "", short)
    if full and stem and garmin_name(full, limit=GARMIN_NAME_LIMITS[element]).startswith(stem):
        return full
    return short or full or element.upper()


def _fields(desc: str | None) -> dict[str, str]:
    """Description text (key ``""``) and ``k=v; k=v`` fields from the last line."""
    lines = (desc or "").split("\n")
    last = lines[-1]
    pairs = [part.split("=", 1) for part in last.split("; ")] if "=" in last else []
    if pairs and all(len(pair) == 2 for pair in pairs):
        out = {k.strip(): v.strip() for k, v in pairs}
        out[""] = "\n".join(lines[:-1])
        return out
    return {"": desc or ""}
