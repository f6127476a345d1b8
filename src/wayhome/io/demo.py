"""The demo incident's data: real terrain, invented layers and story.

The demo needs no download and nothing outside the installed packages:

* the terrain is the USGS 3-arc-second elevation model of the Cumberland Mountains
  (Tennessee/Kentucky) that ships with matplotlib as ``jacksboro_fault_dem.npz``;
* the trails, roads, creek, cliff band, land parcels and hazard zone in
  ``wayhome/demo/data/layers.geojson`` are invented (built from the terrain by
  ``scripts/make_demo_layers.py``), as is every name in them;
* the incident (a 4-year-old boy missing from a picnic area) is in
  ``wayhome/demo/data/incident.json``.

Orientation of the npz
----------------------
The npz stores ``ymin = 36.7329`` and ``ymax = 36.4462``: the keys are swapped, and the
*first* row is the northern edge (latitude 36.7329). Read that way, the long straight
ridge of Pine Mountain runs north-east to south-west and ends against the
north-north-west trending Jacksboro fault, as it does on every geological map of the
area; flipping the rows would turn the Appalachian strike into north-west, which no
ridge in the region follows. The extents are cell *edges*: 403 columns x 3″ span
``xmax - xmin`` exactly, and 344 rows span ``|ymax - ymin|``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from affine import Affine

from wayhome.errors import DataFileError
from wayhome.geo.layers import Layers
from wayhome.io.raster import RasterData

if TYPE_CHECKING:
    from numpy.lib.npyio import NpzFile

__all__ = [
    "DEMO_DEM_NAME",
    "DemoIncident",
    "read_demo_dem",
    "read_demo_incident",
    "read_demo_layers",
]

#: The matplotlib sample file that holds the demo terrain.
DEMO_DEM_NAME = "jacksboro_fault_dem.npz"

#: Values at or below this are treated as nodata (int16 fill values such as -32768).
_NODATA_BELOW = -10_000.0

_DATA_PACKAGE = "wayhome.demo"


@dataclass(frozen=True, slots=True)
class DemoIncident:
    """The demo's lost-person report and where things are.

    Parameters
    ----------
    title : str
        Incident name.
    subject_name : str
        The (fictional) missing person.
    category : str
        Lost-person category key (``"child_4_6"``).
    age : int
        Age in years.
    missing_for : str
        Time since last seen, as typed at intake (``"2h"``).
    ipp_lat, ipp_lon : float
        Initial planning point (last seen at the picnic area), WGS 84 degrees.
    ecoregion : str
        Ecoregion key for the lost-person statistics (``"temperate"``).
    resolution_m : float
        Planning-grid cell size in metres.
    extent_km : float
        Side of the square planning area in kilometres.
    staging_lat, staging_lon : float
        Staging area (trailhead car park), WGS 84 degrees.
    notes : tuple of str
        The story as a planner hears it.
    """

    title: str
    subject_name: str
    category: str
    age: int
    missing_for: str
    ipp_lat: float
    ipp_lon: float
    ecoregion: str
    resolution_m: float
    extent_km: float
    staging_lat: float
    staging_lon: float
    notes: tuple[str, ...] = ()


def read_demo_dem() -> RasterData:
    """The demo elevation model: USGS 3″ DEM of the Cumberland Mountains (via matplotlib).

    Returns
    -------
    RasterData
        344 x 403 float32 elevations in metres on an EPSG:4326 grid (north-up, row 0 at
        latitude 36.7329), NaN where the file has no data.

    Raises
    ------
    DataFileError
        When matplotlib's sample data is missing or not the expected file.
    """
    from matplotlib import cbook

    try:
        with cast("NpzFile", cbook.get_sample_data(DEMO_DEM_NAME)) as npz:
            elevation = np.asarray(npz["elevation"])
            dx, dy = float(npz["dx"]), float(npz["dy"])
            xmin, xmax = float(npz["xmin"]), float(npz["xmax"])
            lat_a, lat_b = float(npz["ymin"]), float(npz["ymax"])
    except (OSError, KeyError, ValueError) as exc:
        raise DataFileError(
            f"demo dem: matplotlib's sample file {DEMO_DEM_NAME} cannot be read ({exc}); "
            f"reinstall matplotlib (pip install --force-reinstall matplotlib)"
        ) from exc
    if elevation.ndim != 2 or dx <= 0 or dy <= 0:
        raise DataFileError(f"demo dem: {DEMO_DEM_NAME} is not the expected 2-D grid")
    rows, cols = elevation.shape
    if not (
        np.isclose(xmax - xmin, cols * dx, rtol=1e-6)
        and np.isclose(abs(lat_a - lat_b), rows * dy, rtol=1e-6)
    ):
        raise DataFileError(
            f"demo dem: the extents of {DEMO_DEM_NAME} do not match its {rows} x {cols} cells"
        )
    # Row 0 is the northern edge (see the module docstring): the top is the larger latitude.
    top = max(lat_a, lat_b)
    values = elevation.astype(np.float32)
    values[~np.isfinite(values) | (values <= _NODATA_BELOW)] = np.nan
    return RasterData(
        values=values,
        transform=Affine(dx, 0.0, xmin, 0.0, -dy, top),
        crs="EPSG:4326",
        source=f"{DEMO_DEM_NAME} (USGS, via matplotlib sample data)",
    )


def read_demo_layers() -> Layers:
    """The demo's invented vector layers (trail, road, creek, cliff, parcels, hazards).

    Returns
    -------
    Layers
        Features in EPSG:4326 (lon/lat), each with a kind and a fictional name.
    """
    from wayhome.io.vector import read_layers

    with resources.as_file(resources.files(_DATA_PACKAGE) / "data" / "layers.geojson") as path:
        return read_layers(path)


def read_demo_incident() -> DemoIncident:
    """The demo incident: a 4-year-old boy missing for two hours from a picnic area.

    Returns
    -------
    DemoIncident
        The intake and the points of the story.

    Raises
    ------
    DataFileError
        When the packaged ``incident.json`` is missing a field (a broken install).
    """
    text = (resources.files(_DATA_PACKAGE) / "data" / "incident.json").read_text("utf-8")
    raw: dict[str, Any] = json.loads(text)
    try:
        return DemoIncident(
            title=str(raw["title"]),
            subject_name=str(raw["subject_name"]),
            category=str(raw["category"]),
            age=int(raw["age"]),
            missing_for=str(raw["missing_for"]),
            ipp_lat=float(raw["ipp_lat"]),
            ipp_lon=float(raw["ipp_lon"]),
            ecoregion=str(raw["ecoregion"]),
            resolution_m=float(raw["resolution_m"]),
            extent_km=float(raw["extent_km"]),
            staging_lat=float(raw["staging_lat"]),
            staging_lon=float(raw["staging_lon"]),
            notes=tuple(str(n) for n in raw.get("notes", ())),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise DataFileError(
            f"demo incident: the packaged incident.json is incomplete ({exc}); reinstall wayhome"
        ) from exc
