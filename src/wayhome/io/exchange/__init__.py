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
maps
    Any of the map formats by file name: :func:`read_map`, :func:`write_map`, and
    :func:`read_map_bytes`, :func:`map_bytes` for uploads and downloads.

The package re-exports what callers need; :func:`read_map` and :func:`write_map` pick
the format from the file name.
"""

from __future__ import annotations

from wayhome.io.exchange._zip import ZipLimits
from wayhome.io.exchange.features import (
    MapFeature,
    MapKind,
    features_from_plan,
    sweeps_from_plan,
)
from wayhome.io.exchange.geotiff import write_poa_for_gis
from wayhome.io.exchange.gpx import garmin_name
from wayhome.io.exchange.maps import (
    MAP_FORMATS,
    MAP_MEDIA_TYPES,
    map_bytes,
    read_map,
    read_map_bytes,
    write_map,
)

__all__ = [
    "MAP_FORMATS",
    "MAP_MEDIA_TYPES",
    "MapFeature",
    "MapKind",
    "ZipLimits",
    "features_from_plan",
    "garmin_name",
    "map_bytes",
    "read_map",
    "read_map_bytes",
    "sweeps_from_plan",
    "write_map",
    "write_poa_for_gis",
]
