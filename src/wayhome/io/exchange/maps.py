"""Reading and writing a map file of any exchange format, picked by the file name.

:func:`read_map` and :func:`write_map` take paths; :func:`read_map_bytes` and
:func:`map_bytes` do the same for an upload or a download (the incident server's
``/import`` and ``/export``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from wayhome.errors import DataFileError, InvalidParameterError
from wayhome.io.exchange._zip import ZipLimits
from wayhome.io.exchange.caltopo import (
    caltopo_from_bytes,
    read_caltopo_geojson,
    write_caltopo_geojson,
)
from wayhome.io.exchange.features import MapFeature
from wayhome.io.exchange.gpx import gpx_from_bytes, read_gpx, write_gpx
from wayhome.io.exchange.kml import kml_from_bytes, read_kml, write_kml, write_kmz

__all__ = ["MAP_FORMATS", "MAP_MEDIA_TYPES", "map_bytes", "read_map", "read_map_bytes", "write_map"]

#: File endings :func:`read_map` and :func:`write_map` understand.
MAP_FORMATS: tuple[str, ...] = (".geojson", ".json", ".kml", ".kmz", ".gpx")

#: The registered media type of each map format (GeoJSON: RFC 7946; KML/KMZ: IANA, OGC;
#: GPX: the type GPS software sends).
MAP_MEDIA_TYPES: Mapping[str, str] = {
    ".geojson": "application/geo+json",
    ".json": "application/geo+json",
    ".kml": "application/vnd.google-earth.kml+xml",
    ".kmz": "application/vnd.google-earth.kmz",
    ".gpx": "application/gpx+xml",
}


def read_map(
    path: Path | str, *, limits: ZipLimits | None = None
) -> tuple[list[MapFeature], list[str]]:
    """Read a CalTopo GeoJSON, KML, KMZ or GPX file; ``(features, warnings)``."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in (".geojson", ".json"):
        return read_caltopo_geojson(p)
    if suffix in (".kml", ".kmz"):
        return read_kml(p, limits=limits)
    if suffix == ".gpx":
        return read_gpx(p)
    raise DataFileError(
        f"import: cannot read '{p.name}': unsupported file type {suffix or '(none)'!r}; use "
        f"one of {', '.join(MAP_FORMATS)}"
    )


def read_map_bytes(
    data: bytes, filename: str, *, limits: ZipLimits | None = None
) -> tuple[list[MapFeature], list[str]]:
    """:func:`read_map` of a file's bytes (an upload); the format from ``filename``'s ending.

    Raises
    ------
    DataFileError
        Empty or malformed data, an unsafe KMZ, an ending that is not a map format.
    """
    suffix = Path(filename).suffix.lower()
    if suffix not in MAP_FORMATS:
        raise DataFileError(
            f"import: cannot read '{filename}': unsupported file type {suffix or '(none)'!r}; "
            f"use one of {', '.join(MAP_FORMATS)}"
        )
    if not data.strip():
        raise DataFileError(f"import: '{filename}' is empty; export the map again")
    if suffix in (".geojson", ".json"):
        return caltopo_from_bytes(data, filename)
    if suffix in (".kml", ".kmz"):
        return kml_from_bytes(data, filename, limits=limits)
    return gpx_from_bytes(data, filename)


def map_bytes(
    features: Sequence[MapFeature],
    suffix: str,
    *,
    name: str,
    sweeps: Mapping[str, Sequence[tuple[float, float]]] | None = None,
) -> bytes:
    """The file :func:`write_map` writes for ``suffix`` (``".kmz"``, ...), as bytes.

    Written through a private temporary directory, so a download is byte for byte what
    ``wayhome export`` writes.
    """
    with tempfile.TemporaryDirectory(prefix="wayhome-export-") as tmp:
        path = Path(tmp) / f"map{suffix.lower()}"
        write_map(path, features, name=name, sweeps=sweeps)
        return path.read_bytes()


def write_map(
    path: Path | str,
    features: Sequence[MapFeature],
    *,
    name: str,
    sweeps: Mapping[str, Sequence[tuple[float, float]]] | None = None,
) -> None:
    """Write ``features`` in the format the file name says (CalTopo GeoJSON for .geojson)."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in (".geojson", ".json"):
        write_caltopo_geojson(p, features)
    elif suffix == ".kml":
        write_kml(p, features, name=name)
    elif suffix == ".kmz":
        write_kmz(p, features, name=name)
    elif suffix == ".gpx":
        write_gpx(p, features, name=name, sweeps=sweeps)
    else:
        raise InvalidParameterError(
            f"--out: cannot write '{p.name}': unsupported file type {suffix or '(none)'!r}; "
            f"use one of {', '.join(MAP_FORMATS)} (or .tif for the POA)"
        )
