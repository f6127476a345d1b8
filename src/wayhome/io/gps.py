"""Field GPS tracks in: what the search teams actually walked, from GPX, KML or GeoJSON.

:func:`read_gps_tracks` turns a file a team's GPS unit or phone exported into
:class:`GpsTrack` objects (longitude/latitude and, when the file has them, times) for the
debrief: :mod:`wayhome.search.coverage` turns them into coverage, :mod:`wayhome.search.bayes`
into a new POA. XML is parsed with :mod:`defusedxml` first, so entity tricks (the
"billion laughs" bomb, external entities that would read local files) are refused before
any other parser sees the file.

Problems a planner can live with (timestamps out of order, a track of a single point,
features that are not lines) become warnings; a file that cannot be trusted (malformed,
empty, entities, coordinates that are not longitude/latitude) is refused with a
:class:`~wayhome.errors.DataFileError` naming the file and the fix.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import gpxpy
import gpxpy.gpx
import numpy as np
from numpy.typing import NDArray

from wayhome.errors import DataFileError, InvalidParameterError
from wayhome.io.vector import _parse_xml as _parse_xml_safely
from wayhome.io.vector import _read_bytes as _read_bytes_checked

__all__ = ["GPS_TRACK_FORMATS", "GpsTrack", "read_gps_tracks"]

#: File name endings :func:`read_gps_tracks` understands.
GPS_TRACK_FORMATS: tuple[str, ...] = (".gpx", ".kml", ".geojson", ".json")

_NAT = np.datetime64("NaT", "s")


@dataclass(frozen=True, slots=True, eq=False)
class GpsTrack:
    """One continuous GPS track (one GPX ``<trkseg>``, KML line or GeoJSON line part).

    Parameters
    ----------
    name : str or None
        The track's name in the file; for a track of several segments or parts,
        ``"name (segment 2)"`` and so on.
    lonlat : ndarray of float64, shape (k, 2)
        Longitude and latitude (WGS 84, degrees) of each point, in path order.
    times : ndarray of datetime64[s] or None
        UTC time of each point (``NaT`` where a point has none, or where its stamp was
        out of order); ``None`` when the track has no times at all.
    source : str
        The file name the track came from.

    Examples
    --------
    >>> t = GpsTrack("Team 1", np.array([[-84.25, 36.58], [-84.24, 36.58]]), None, "t.gpx")
    >>> t.n_points
    2
    """

    name: str | None
    lonlat: NDArray[np.float64]
    times: NDArray[np.datetime64] | None
    source: str

    def __post_init__(self) -> None:
        if self.lonlat.ndim != 2 or self.lonlat.shape[1] != 2:
            raise InvalidParameterError(
                f"lonlat: must have shape (k, 2) (longitude, latitude), got {self.lonlat.shape}"
            )
        if self.times is not None and self.times.shape != (self.lonlat.shape[0],):
            raise InvalidParameterError(
                f"times: {self.times.shape[0]} times for {self.lonlat.shape[0]} points; "
                f"give one time (or NaT) per point"
            )

    @property
    def n_points(self) -> int:
        """Number of points."""
        return int(self.lonlat.shape[0])


@dataclass(frozen=True, slots=True)
class _RawTrack:
    """A track as a reader found it: names, positions and optional time stamps."""

    name: str | None
    points: list[tuple[float, float]]
    times: list[datetime | None] | None
    label: str  # how messages name it: the quoted name, else where it is in the file


# ---------------------------------------------------------------------------- public
def read_gps_tracks(path: Path | str) -> tuple[tuple[GpsTrack, ...], tuple[str, ...]]:
    """Read the tracks searchers walked from a GPX, KML or GeoJSON file.

    Parameters
    ----------
    path : Path or str
        ``.gpx`` (tracks; each ``<trkseg>`` becomes its own track; ``<rte>`` routes are
        planned, not walked, and are skipped with a warning), ``.kml``
        (Placemarks with LineString, gx:Track with ``<when>`` times, MultiGeometry,
        gx:MultiTrack; each line its own track) or ``.geojson``/``.json`` (LineString and
        MultiLineString features, each part its own track; times from a ``times`` or
        ``coordTimes`` property of ISO 8601 strings). Coordinates must be WGS 84
        longitude/latitude.

    Returns
    -------
    tracks : tuple of GpsTrack
        In file order, each with at least two points.
    warnings : tuple of str
        What was dropped or skipped, naming the track: time stamps out of order (set to
        ``NaT``; the path keeps the file's point order), tracks of fewer than two
        points, features that are not lines, unreadable times.

    Raises
    ------
    DataFileError
        Missing, empty or unsupported file; malformed XML or JSON (with line and
        column); XML declaring entities (an entity bomb) or external references;
        coordinates that are not numbers or outside longitude/latitude range (the
        message names the track and the point, counting from 1); no track at all.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    readers = {".gpx": _read_gpx, ".kml": _read_kml, ".geojson": _read_geojson}
    readers[".json"] = _read_geojson
    if suffix not in readers:
        extra = "; unzip a .kmz and give its doc.kml" if suffix == ".kmz" else ""
        raise DataFileError(
            f"gps tracks: cannot read '{p.name}': unsupported file type {suffix or '(none)'!r}; "
            f"use one of {', '.join(GPS_TRACK_FORMATS)}{extra}"
        )
    raw, warnings = readers[suffix](_read_bytes(p), p.name)
    tracks: list[GpsTrack] = []
    short = 0
    for item in raw:
        if len(item.points) < 2:
            short += 1
            continue
        track, warning = _finish_track(item, p.name)
        tracks.append(track)
        if warning:
            warnings.append(warning)
    if short:
        warnings.append(
            f"'{p.name}': {short} track(s) with fewer than two points skipped (no path to count)"
        )
    if not tracks:
        routes = " (GPX <rte> routes are planned, not walked, and do not count)"
        raise DataFileError(
            f"gps tracks: '{p.name}' holds no track with two or more points"
            f"{routes if suffix == '.gpx' else ''}; export the team's track (not only "
            f"waypoints or routes) from the GPS and try again"
        )
    return tuple(tracks), tuple(warnings)


# ---------------------------------------------------------------------------- shared
def _read_bytes(p: Path) -> bytes:
    """The whole file (the shared reader), with GPS-track wording."""
    return _read_bytes_checked(
        p,
        what="gps tracks",
        error=DataFileError,
        kind="a GPX, KML or GeoJSON file",
        again="export the track from the GPS again",
    )


def _finish_track(raw: _RawTrack, source: str) -> tuple[GpsTrack, str | None]:
    """Check the coordinates, turn times into datetime64 and drop out-of-order stamps."""
    label = raw.label
    lonlat = np.asarray(raw.points, dtype=np.float64).reshape(-1, 2)
    bad = ~np.isfinite(lonlat).all(axis=1)
    bad |= (np.abs(lonlat[:, 0]) > 180.0) | (np.abs(lonlat[:, 1]) > 90.0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        lon, lat = lonlat[i]
        raise DataFileError(
            f"gps tracks: point {i + 1} of track {label} in '{source}' is at longitude {lon}, "
            f"latitude {lat}, which is not a WGS 84 position (longitude -180..180, latitude "
            f"-90..90); export the track in longitude/latitude (EPSG:4326) or delete the point"
        )
    if raw.times is None or all(t is None for t in raw.times):
        return GpsTrack(raw.name, lonlat, None, source), None
    times = np.array([_NAT if t is None else _utc64(t) for t in raw.times], dtype="datetime64[s]")
    dropped = _drop_out_of_order(times)
    warning = None
    if dropped:
        warning = (
            f"'{source}': track {label} has {dropped} time stamp(s) earlier than a point "
            f"before them; those stamps were dropped (the path keeps its point order)"
        )
    return GpsTrack(raw.name, lonlat, times, source), warning


def _utc64(t: datetime) -> np.datetime64:
    """A datetime as UTC datetime64[s]; naive times are taken as UTC (as GPX specifies)."""
    if t.tzinfo is not None and t.utcoffset() is not None:
        t = t.astimezone(UTC).replace(tzinfo=None)
    else:
        t = t.replace(tzinfo=None)
    return np.datetime64(t, "s")


def _drop_out_of_order(times: NDArray[np.datetime64]) -> int:
    """Set to NaT, in place, every stamp earlier than the latest valid stamp before it.

    Returns the number of stamps dropped. Equal stamps are in order.

    Examples
    --------
    >>> t = np.array(["2024-01-01T10:00", "2024-01-01T09:00", "NaT", "2024-01-01T11:00"],
    ...              dtype="datetime64[s]")
    >>> _drop_out_of_order(t), bool(np.isnat(t[1]))
    (1, True)
    """
    valid = ~np.isnat(times)
    if not valid.any():
        return 0
    ints = times.astype(np.int64)
    filled = np.where(valid, ints, np.iinfo(np.int64).min)
    latest_before = np.maximum.accumulate(np.concatenate(([np.iinfo(np.int64).min], filled[:-1])))
    late = valid & (ints < latest_before)
    times[late] = _NAT
    return int(late.sum())


def _parse_time(text: str | None) -> datetime | None:
    """An ISO 8601 time (``Z`` or an offset allowed); None when it cannot be read."""
    if not text or not text.strip():
        return None
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        return None


def _label(name: str | None, where: str) -> str:
    """How messages name a track: its quoted name, else where it is in the file."""
    return repr(name) if name else where


def _part_where(where: str, index: int, count: int, word: str) -> str:
    """``where`` alone for a one-part track, else ``"where (part 2)"``."""
    return where if count <= 1 else f"{where} ({word} {index})"


def _part_name(name: str | None, index: int, count: int, word: str) -> str | None:
    """``name`` alone for a one-part track, else ``"name (segment 2)"``."""
    return name if count <= 1 else _part_where(name or "unnamed track", index, count, word)


# ---------------------------------------------------------------------------- XML (GPX, KML)
def _parse_xml(data: bytes, source: str) -> Element:
    """Parse XML safely (the shared guarded parser), with GPS-track wording."""
    return _parse_xml_safely(
        data,
        source,
        what="gps tracks",
        error=DataFileError,
        hint="export the track from the GPS again",
    )


def _local(tag: str) -> str:
    """An element tag without its namespace."""
    return tag.rsplit("}", 1)[-1]


def _read_gpx(data: bytes, source: str) -> tuple[list[_RawTrack], list[str]]:
    root = _parse_xml(data, source)  # entity check and line/column errors first
    if _local(root.tag) != "gpx":
        raise DataFileError(
            f"gps tracks: '{source}' is XML but not GPX (root <{_local(root.tag)}>); "
            f"give the .gpx the GPS exported"
        )
    try:
        gpx = gpxpy.parse(data.decode("utf-8-sig"))
    except (gpxpy.gpx.GPXException, ValueError) as exc:
        raise DataFileError(
            f"gps tracks: '{source}' is not a readable GPX file ({exc}); export it again"
        ) from None
    raw: list[_RawTrack] = []
    warnings: list[str] = []
    if gpx.routes:
        # A route is a plan (where to go), not a record of where anyone walked; wayhome's
        # own assignment GPX stores the segment boundary as one.
        names = ", ".join(_label(r.name, f"route {i}") for i, r in enumerate(gpx.routes, start=1))
        warnings.append(
            f"'{source}': {len(gpx.routes)} route(s) skipped ({names}): a GPX <rte> is a "
            f"planned route, not a walked track; only <trk> tracks count as searched"
        )
    for t, track in enumerate(gpx.tracks, start=1):
        segments = track.segments
        for i, seg in enumerate(segments, start=1):
            pts = [(pt.longitude, pt.latitude) for pt in seg.points]
            name = _part_name(track.name, i, len(segments), "segment")
            label = _label(name, _part_where(f"track {t}", i, len(segments), "segment"))
            raw.append(_RawTrack(name, pts, [pt.time for pt in seg.points], label))
    return raw, warnings


def _read_kml(data: bytes, source: str) -> tuple[list[_RawTrack], list[str]]:
    root = _parse_xml(data, source)
    if _local(root.tag) != "kml":
        raise DataFileError(
            f"gps tracks: '{source}' is XML but not KML (root <{_local(root.tag)}>); "
            f"give the .kml the app exported"
        )
    raw: list[_RawTrack] = []
    warnings: list[str] = []
    for index, placemark in enumerate(_descendants(root, "Placemark"), start=1):
        name_el = _child(placemark, "name")
        name = name_el.text.strip() if name_el is not None and name_el.text else None
        label = _label(name, f"placemark {index}")
        parts = [
            part
            for el in placemark.iter()
            if (part := _kml_line(el, label, source, warnings)) is not None
        ]
        for i, (pts, times) in enumerate(parts, start=1):
            part_name = _part_name(name, i, len(parts), "part")
            part_label = _label(part_name, _part_where(f"placemark {index}", i, len(parts), "part"))
            raw.append(_RawTrack(part_name, pts, times, part_label))
    return raw, warnings


def _descendants(el: Element, local: str) -> Iterator[Element]:
    return (e for e in el.iter() if _local(e.tag) == local)


def _child(el: Element, local: str) -> Element | None:
    return next((c for c in el if _local(c.tag) == local), None)


def _kml_line(
    el: Element, label: str, source: str, warnings: list[str]
) -> tuple[list[tuple[float, float]], list[datetime | None] | None] | None:
    """Points (and times) of a LineString or gx:Track element; None for anything else."""
    tag = _local(el.tag)
    if tag == "LineString":
        coords = _child(el, "coordinates")
        tokens = (coords.text or "").split() if coords is not None else []
        return [_kml_position(t, ",", label, source, i) for i, t in enumerate(tokens)], None
    if tag == "Track":  # gx:Track: <when> and <gx:coord>lon lat alt</gx:coord> in step
        texts = [(c.text or "").strip() for c in _descendants(el, "coord")]
        pts = [_kml_position(t, None, label, source, i) for i, t in enumerate(texts)]
        whens = [_parse_time(w.text) for w in _descendants(el, "when")]
        if not whens:
            return pts, None
        if len(whens) != len(pts):
            warnings.append(
                f"'{source}': track {label} has {len(whens)} <when> for {len(pts)} <gx:coord>; "
                f"its times were ignored"
            )
            return pts, None
        return pts, whens
    return None


def _kml_position(
    text: str, sep: str | None, label: str, source: str, i: int
) -> tuple[float, float]:
    """``(lon, lat)`` from ``lon,lat[,alt]`` (LineString) or ``lon lat [alt]`` (gx:coord)."""
    parts = text.split(sep)
    try:
        return (float(parts[0]), float(parts[1]))
    except (ValueError, IndexError):
        form = "lon,lat[,alt]" if sep else "lon lat [alt]"
        raise DataFileError(
            f"gps tracks: point {i + 1} of track {label} in '{source}' is {text!r}, "
            f"not '{form}'; fix or delete the point"
        ) from None


# ---------------------------------------------------------------------------- GeoJSON
def _read_geojson(data: bytes, source: str) -> tuple[list[_RawTrack], list[str]]:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise DataFileError(
            f"gps tracks: '{source}' is not UTF-8 text (byte {exc.start}); is it really GeoJSON?"
        ) from None
    except json.JSONDecodeError as exc:
        raise DataFileError(
            f"gps tracks: '{source}' is not valid JSON (line {exc.lineno}, column {exc.colno}: "
            f"{exc.msg}); fix the file or export it again"
        ) from None
    except RecursionError:
        raise DataFileError(f"gps tracks: '{source}' is nested too deeply to read") from None
    features = _geojson_features(doc, source)
    raw: list[_RawTrack] = []
    skipped = 0
    warnings: list[str] = []
    for index, item in enumerate(features, start=1):
        props = item.get("properties") if isinstance(item, dict) else None
        props = props if isinstance(props, dict) else {}
        geometry = item.get("geometry") if isinstance(item, dict) else None
        if not isinstance(geometry, dict):
            skipped += 1
            continue
        kind = geometry.get("type")
        if kind not in ("LineString", "MultiLineString"):
            skipped += 1
            continue
        name_value = props.get("name") or props.get("title")
        name = str(name_value).strip() if name_value is not None else None
        label = _label(name, f"feature {index}")
        coords = geometry.get("coordinates")
        lines = [coords] if kind == "LineString" else coords
        if not isinstance(lines, list):
            raise DataFileError(
                f"gps tracks: track {label} in '{source}' has a {kind} without a "
                f"coordinates list; fix or delete it"
            )
        times = props.get("times", props.get("coordTimes"))
        per_line = times if kind == "MultiLineString" else [times]
        if not isinstance(per_line, list) or len(per_line) != len(lines):
            per_line = [None] * len(lines)
        for i, line in enumerate(lines, start=1):
            part_name = _part_name(name, i, len(lines), "part")
            part_label = _label(part_name, _part_where(f"feature {index}", i, len(lines), "part"))
            pts = _geojson_points(line, part_label, source)
            stamps = _geojson_times(per_line[i - 1], len(pts), part_label, source, warnings)
            raw.append(_RawTrack(part_name, pts, stamps, part_label))
    if skipped:
        warnings.append(f"'{source}': {skipped} feature(s) that are not lines skipped")
    return raw, warnings


def _geojson_features(doc: Any, source: str) -> list[Any]:
    """The features of a FeatureCollection, Feature or bare geometry; refuse other CRSs."""
    if not isinstance(doc, dict):
        raise DataFileError(
            f"gps tracks: '{source}' holds a JSON {type(doc).__name__}, not a GeoJSON object"
        )
    crs = doc.get("crs")
    if crs is not None:
        name = str(crs.get("properties", {}).get("name", "")) if isinstance(crs, dict) else ""
        if not (name.upper().endswith("CRS84") or name.upper().endswith("4326")):
            raise DataFileError(
                f"gps tracks: '{source}' names a CRS other than longitude/latitude "
                f"({name or crs!r}); export the tracks in EPSG:4326"
            )
    kind = doc.get("type")
    if kind == "FeatureCollection":
        items = doc.get("features")
        if not isinstance(items, list):
            raise DataFileError(
                f"gps tracks: the FeatureCollection in '{source}' has no 'features' list"
            )
        return items
    if kind == "Feature":
        return [doc]
    if isinstance(kind, str) and "coordinates" in doc:
        return [{"type": "Feature", "properties": {}, "geometry": doc}]
    raise DataFileError(
        f"gps tracks: '{source}' has type {kind!r}; GeoJSON tracks need a FeatureCollection, "
        f"a Feature or a LineString"
    )


def _geojson_points(line: Any, label: str, source: str) -> list[tuple[float, float]]:
    if not isinstance(line, list):
        raise DataFileError(
            f"gps tracks: track {label} in '{source}' has coordinates that are not a list"
        )
    out: list[tuple[float, float]] = []
    for i, pos in enumerate(line):
        try:
            out.append((float(pos[0]), float(pos[1])))
        except (TypeError, ValueError, IndexError, KeyError):
            raise DataFileError(
                f"gps tracks: point {i + 1} of track {label} in '{source}' is {pos!r}, not "
                f"[lon, lat]; fix or delete the point"
            ) from None
    return out


def _geojson_times(
    stamps: Any, n: int, label: str, source: str, warnings: list[str]
) -> list[datetime | None] | None:
    """Times from a list of ISO 8601 strings, one per point; None (with a warning) if not."""
    if stamps is None:
        return None
    if not isinstance(stamps, list) or len(stamps) != n:
        count = len(stamps) if isinstance(stamps, list) else "no list of"
        warnings.append(
            f"'{source}': track {label} has {count} times for {n} points; its times were ignored"
        )
        return None
    out = [_parse_time(s) if isinstance(s, str) else None for s in stamps]
    unreadable = sum(1 for s, t in zip(stamps, out, strict=True) if s is not None and t is None)
    if unreadable:
        warnings.append(
            f"'{source}': track {label} has {unreadable} time(s) that are not ISO 8601; "
            f"those points have no time"
        )
    return out
