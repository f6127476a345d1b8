"""File input and output: the only part of wayhome that opens files.

Algorithms elsewhere take arrays, :class:`~wayhome.geo.grid.GridSpec` and geometries;
this package reads elevation models, vector layers and case files into those, and
writes results atomically (a reader never sees half a file).

Modules
-------
atomic
    Temporary-file-then-rename writers for files and whole output directories.
raster
    GeoTIFF: elevation models in, POA maps and other grids out (and back in).
vector
    GeoJSON, GPX and KML layers in; GeoJSON out.
cases
    The lost-person case CSV used to evaluate POA maps.
"""

from __future__ import annotations

from wayhome.io.atomic import (
    atomic_directory,
    atomic_path,
    write_bytes_atomic,
    write_text_atomic,
)
from wayhome.io.cases import Case, read_cases
from wayhome.io.raster import (
    RasterData,
    read_dem,
    read_poa_geotiff,
    write_poa_geotiff,
    write_raster_geotiff,
)
from wayhome.io.vector import read_layers, write_geojson

__all__ = [
    "Case",
    "RasterData",
    "atomic_directory",
    "atomic_path",
    "read_cases",
    "read_dem",
    "read_layers",
    "read_poa_geotiff",
    "write_bytes_atomic",
    "write_geojson",
    "write_poa_geotiff",
    "write_raster_geotiff",
    "write_text_atomic",
]
