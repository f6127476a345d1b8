"""Exchange formats: the planner's map to and from CalTopo, Google Earth, GPS units and GIS.

Modules
-------
features
    :class:`MapFeature` (assignment, clue, marker, line, area) and
    :func:`features_from_plan`.
caltopo
    GeoJSON in CalTopo/SARTopo's conventions (``class``, ``title``, ``letter``,
    ``number``, ``status``, ``resourceType``, ``marker-color``, ...).
kml
    KML and KMZ (safe unzip: size, count, ratio and path limits).
gpx
    GPX with Garmin-safe names: assignments as routes, sweeps as tracks, points as
    waypoints.
geotiff
    The POA as a float32 GeoTIFF with CRS, nodata and meaning tags.

:func:`read_map` and :func:`write_map` pick the format from the file name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from wayhome.errors import DataFileError, InvalidParameterError
from wayhome.io.exchange._zip import ZipLimits
from wayhome.io.exchange.caltopo import read_caltopo_geojson, write_caltopo_geojson
from wayhome.io.exchange.features import MapFeature, MapKind, features_from_plan
from wayhome.io.exchange.geotiff import write_poa_for_gis
from wayhome.io.exchange.gpx import garmin_name, read_gpx, write_gpx
from wayhome.io.exchange.kml import read_kml, write_kml, write_kmz

__all__ = [
    "MAP_FORMATS",
    "MapFeature",
    "MapKind",
    "ZipLimits",
    "features_from_plan",
    "garmin_name",
    "read_map",
    "write_map",
    "write_poa_for_gis",
]

#: File endings :func:`read_map` and :func:`write_map` understand.
MAP_FORMATS: tuple[str, ...] = (".geojson", ".json", ".kml", ".kmz", ".gpx")


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
