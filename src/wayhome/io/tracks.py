"""Simulated subjects' paths out: GeoJSON and GPX for a planner to look at.

:func:`write_tracks` picks the format from the file name; :func:`write_tracks_geojson`
writes RFC 7946 lines (longitude/latitude) with the minutes since last seen at every
vertex and a point where each path ends; :func:`write_tracks_gpx` writes one ``<trk>``
per simulated subject with clock times, for GPS units and mapping apps. Both write
atomically: a reader sees the whole file or the one that was there before.

Tracks come in the planning grid's CRS (cell centres, seconds since last seen; see
:class:`wayhome.probability.agents.Track`); consecutive repeats of a position (a
subject staying put) are written once, at the time the subject got there.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gpxpy.gpx
import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import MultiPoint

from wayhome.errors import InvalidParameterError
from wayhome.geo.coords import geometry_to_crs
from wayhome.io.atomic import write_text_atomic
from wayhome.io.vector import write_geojson

if TYPE_CHECKING:
    from wayhome.probability.agents import Track

__all__ = [
    "TRACK_FORMATS",
    "track_format",
    "write_tracks",
    "write_tracks_geojson",
    "write_tracks_gpx",
]

#: File name endings :func:`write_tracks` understands, and the format each one means.
TRACK_FORMATS: dict[str, str] = {".geojson": "geojson", ".json": "geojson", ".gpx": "gpx"}

_WGS84 = "EPSG:4326"


def track_format(path: Path | str) -> str:
    """The format (``"geojson"`` or ``"gpx"``) a tracks file is written in, from its suffix.

    Raises
    ------
    InvalidParameterError
        The suffix is none of :data:`TRACK_FORMATS`; the message lists them.

    Examples
    --------
    >>> track_format("out/tracks.GPX"), track_format("tracks.geojson")
    ('gpx', 'geojson')
    """
    p = Path(path)
    fmt = TRACK_FORMATS.get(p.suffix.lower())
    if fmt is None:
        valid = ", ".join(TRACK_FORMATS)
        raise InvalidParameterError(
            f"--out: cannot write tracks to '{p.name}'; give a file ending in {valid} "
            f"(e.g. --out tracks.geojson or --out tracks.gpx)"
        )
    return fmt


def write_tracks(
    path: Path | str,
    tracks: Sequence[Track],
    *,
    crs: str,
    start_time: datetime | None = None,
) -> None:
    """Write ``tracks`` as GeoJSON (``.geojson``, ``.json``) or GPX (``.gpx``), atomically.

    Parameters
    ----------
    path : Path or str
        The file to create or replace; its directory must exist.
    tracks : sequence of Track
        Simulated paths in ``crs``.
    crs : str
        The CRS of the tracks' coordinates (the planning grid's).
    start_time : datetime, optional
        When the subject was last seen (time-zone aware). Required for GPX; in GeoJSON
        it adds clock times beside the minutes.

    Raises
    ------
    InvalidParameterError
        An unknown suffix, GPX without ``start_time``, or a malformed track.
    DataFileError
        The directory does not exist or cannot be written to.
    """
    if track_format(path) == "gpx":
        if start_time is None:
            raise InvalidParameterError(
                "start_time: GPX track points need clock times; give the time last seen"
            )
        write_tracks_gpx(path, tracks, crs=crs, start_time=start_time)
    else:
        write_tracks_geojson(path, tracks, crs=crs, start_time=start_time)


def write_tracks_geojson(
    path: Path | str,
    tracks: Sequence[Track],
    *,
    crs: str,
    start_time: datetime | None = None,
) -> None:
    """Write ``tracks`` as an RFC 7946 FeatureCollection, atomically.

    Each track is a LineString (a subject who never moved gets a two-vertex line on the
    spot) with properties ``agent``, ``kind`` (``"track"``), ``points`` (distinct
    positions), ``minutes`` (since last seen, per vertex), ``end_minutes``,
    ``walked_km``, ``end_km`` (straight line from the start), ``left_map`` and, with
    ``start_time``, ``times`` (ISO 8601 UTC per vertex). It is followed by a Point
    (``kind`` ``"end"``) where the track ends.

    Parameters
    ----------
    path : Path or str
        The file to create or replace; its directory must exist.
    tracks : sequence of Track
        Simulated paths in ``crs``.
    crs : str
        The CRS of the tracks' coordinates.
    start_time : datetime, optional
        When the subject was last seen (time-zone aware).
    """
    t0 = None if start_time is None else _utc(start_time)
    features: list[dict[str, Any]] = []
    for track in tracks:
        xy, t_s = _simplified(track)
        lonlat = _lonlat(xy, crs, track.agent)
        # RFC 7946 lines need two positions: one who never moved gets a line on the spot.
        line = lonlat if len(lonlat) >= 2 else np.vstack([lonlat, lonlat])
        if len(t_s) < 2:
            t_s = np.concatenate([t_s, t_s])
        minutes = np.round(t_s / 60.0, 2)
        summary = _summary(track)
        props: dict[str, Any] = {
            "agent": track.agent,
            "kind": "track",
            "points": len(xy),
            "minutes": minutes.tolist(),
            **summary,
        }
        if t0 is not None:
            props["times"] = [_iso(t0 + timedelta(seconds=round(t))) for t in t_s.tolist()]
        features.append(
            {
                "type": "Feature",
                "properties": props,
                "geometry": {"type": "LineString", "coordinates": line.tolist()},
            }
        )
        end: dict[str, Any] = {"agent": track.agent, "kind": "end", **summary}
        if t0 is not None:
            end["time"] = props["times"][-1]
        features.append(
            {
                "type": "Feature",
                "properties": end,
                "geometry": {"type": "Point", "coordinates": lonlat[-1].tolist()},
            }
        )
    write_geojson(path, features)


def write_tracks_gpx(
    path: Path | str,
    tracks: Sequence[Track],
    *,
    crs: str,
    start_time: datetime,
) -> None:
    """Write ``tracks`` as GPX 1.1, one ``<trk>`` named ``agent N`` each, atomically.

    Parameters
    ----------
    path : Path or str
        The file to create or replace; its directory must exist.
    tracks : sequence of Track
        Simulated paths in ``crs``.
    crs : str
        The CRS of the tracks' coordinates.
    start_time : datetime
        When the subject was last seen (time-zone aware); each point's time is this
        plus its seconds since last seen, to the second.
    """
    t0 = _utc(start_time)
    gpx = gpxpy.gpx.GPX()
    gpx.creator = "wayhome (simulated subjects, not real tracks)"
    for track in tracks:
        xy, t_s = _simplified(track)
        lonlat = _lonlat(xy, crs, track.agent)
        s = _summary(track)
        trk = gpxpy.gpx.GPXTrack(
            name=f"agent {track.agent}",
            description=(
                f"simulated subject: walked {s['walked_km']} km, ended {s['end_km']} km from "
                f"the last-seen point after {s['end_minutes']} min"
                + ("; walked off the map" if track.left_map else "")
            ),
        )
        seg = gpxpy.gpx.GPXTrackSegment()
        for (lon, lat), t in zip(lonlat.tolist(), t_s.tolist(), strict=True):
            seg.points.append(
                gpxpy.gpx.GPXTrackPoint(
                    latitude=round(lat, 7),
                    longitude=round(lon, 7),
                    time=t0 + timedelta(seconds=round(t)),
                )
            )
        trk.segments.append(seg)
        gpx.tracks.append(trk)
    write_text_atomic(path, gpx.to_xml(version="1.1"))


def _simplified(track: Track) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The track's positions without consecutive repeats, each at its first time there."""
    xy = np.asarray(track.xy, dtype=np.float64)
    t_s = np.asarray(track.t_s, dtype=np.float64)
    if xy.ndim != 2 or xy.shape[1] != 2 or len(xy) < 1 or t_s.shape != (len(xy),):
        raise InvalidParameterError(
            f"tracks: agent {track.agent} needs k x 2 positions and k times (k >= 1), "
            f"got {xy.shape} and {t_s.shape}"
        )
    if not (np.isfinite(xy).all() and np.isfinite(t_s).all()):
        raise InvalidParameterError(
            f"tracks: agent {track.agent} has positions or times that are not finite"
        )
    keep = np.ones(len(xy), dtype=bool)
    keep[1:] = np.any(xy[1:] != xy[:-1], axis=1)
    return xy[keep], t_s[keep]


def _lonlat(xy: NDArray[np.float64], crs: str, agent: int) -> NDArray[np.float64]:
    """Positions (grid CRS) as longitude/latitude, checked to be inside their range."""
    moved = geometry_to_crs(MultiPoint(xy), crs, _WGS84)
    out = np.asarray(shapely.get_coordinates(moved), dtype=np.float64)
    ok = np.isfinite(out).all() and (np.abs(out[:, 0]) <= 180).all()
    if not (ok and (np.abs(out[:, 1]) <= 90).all()):
        raise InvalidParameterError(
            f"tracks: agent {agent} has positions that are not valid in {crs}; "
            "give the CRS of the planning grid"
        )
    return out


def _summary(track: Track) -> dict[str, Any]:
    """Where and when the track ends, and how far it went (from the unsimplified path)."""
    xy = np.asarray(track.xy, dtype=np.float64)
    walked = float(np.hypot(*np.diff(xy, axis=0).T).sum()) if len(xy) > 1 else 0.0
    end = float(math.hypot(*(xy[-1] - xy[0])))
    return {
        "end_minutes": round(float(track.t_s[-1]) / 60.0, 2),
        "walked_km": round(walked / 1000.0, 3),
        "end_km": round(end / 1000.0, 3),
        "left_map": bool(track.left_map),
    }


def _utc(when: datetime) -> datetime:
    if when.tzinfo is None or when.utcoffset() is None:
        raise InvalidParameterError(
            f"start_time: {when.isoformat()} has no time zone; give an aware datetime "
            "(e.g. datetime.now(UTC))"
        )
    return when.astimezone(UTC)


def _iso(when: datetime) -> str:
    return when.replace(microsecond=0).isoformat().replace("+00:00", "Z")
