"""The demo incident's packaged data: real DEM, invented layers, the story's points."""

from __future__ import annotations

import importlib.util
import json
import math
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import Point, box
from shapely.geometry.base import BaseGeometry

from wayhome.geo.layers import LayerKind, Layers
from wayhome.io.demo import DemoIncident, read_demo_dem, read_demo_incident, read_demo_layers
from wayhome.io.raster import RasterData

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "make_demo_layers.py"
DATA = resources.files("wayhome.demo") / "data"

#: Pine Mountain's crest, a straight ridge trending north-east (lon, lat at each end).
PINE_MOUNTAIN_CREST = ((-84.213333, 36.625), (-84.138333, 36.669167))


@pytest.fixture(scope="module")
def dem() -> RasterData:
    return read_demo_dem()


@pytest.fixture(scope="module")
def layers() -> Layers:
    return read_demo_layers()


@pytest.fixture(scope="module")
def incident() -> DemoIncident:
    return read_demo_incident()


@pytest.fixture(scope="module")
def script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_demo_layers", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _bounds(dem: RasterData) -> tuple[float, float, float, float]:
    rows, cols = dem.shape
    left, top = dem.transform.c, dem.transform.f
    return (left, top + rows * dem.transform.e, left + cols * dem.transform.a, top)


def _value_at(dem: RasterData, lon: float, lat: float) -> float:
    col, row = ~dem.transform @ (lon, lat)
    return float(dem.values[math.floor(row), math.floor(col)])


# ---------------------------------------------------------------------------- the DEM
def test_dem_shape_crs_and_georeferencing(dem: RasterData) -> None:
    assert dem.shape == (344, 403)
    assert dem.values.dtype == np.float32
    assert dem.crs == "EPSG:4326"
    t = dem.transform
    assert t.b == 0 and t.d == 0
    assert t.a == pytest.approx(1 / 1200) and t.e == pytest.approx(-1 / 1200)
    left, bottom, right, top = _bounds(dem)
    assert (left, right) == pytest.approx((-84.41375, -84.0779167))
    assert (bottom, top) == pytest.approx((36.44625, 36.7329167))
    assert "USGS" in dem.source
    assert np.isfinite(dem.values).all()
    assert 200 < float(np.nanmin(dem.values)) < float(np.nanmax(dem.values)) < 1100


def _ridge_profile(dem: RasterData, offset_km: float) -> float:
    """Mean elevation along the crest line moved ``offset_km`` to its north-west."""
    (lon0, lat0), (lon1, lat1) = PINE_MOUNTAIN_CREST
    kx, ky = 111.32 * math.cos(math.radians(36.6)), 111.0
    east, north = (lon1 - lon0) * kx, (lat1 - lat0) * ky
    length = math.hypot(east, north)
    px, py = -north / length, east / length
    samples = [
        _value_at(
            dem,
            lon0 + f * (lon1 - lon0) + px * offset_km / kx,
            lat0 + f * (lat1 - lat0) + py * offset_km / ky,
        )
        for f in np.linspace(0.0, 1.0, 60)
    ]
    return float(np.mean(samples))


def test_dem_row_zero_is_north(dem: RasterData) -> None:
    # Pine Mountain runs NE-SW: along its mapped crest the DEM is a ridge, higher than
    # lines 1 km either side. With the rows flipped the crest would be a valley floor.
    (lon0, lat0), (lon1, lat1) = PINE_MOUNTAIN_CREST
    bearing = math.degrees(math.atan2((lon1 - lon0) * math.cos(math.radians(36.6)), lat1 - lat0))
    assert 30 < bearing < 70
    crest = _ridge_profile(dem, 0.0)
    assert crest > _ridge_profile(dem, 1.0) + 50
    assert crest > _ridge_profile(dem, -1.0) + 150
    assert dem.transform.f == pytest.approx(36.7329167)


# ---------------------------------------------------------------------------- the incident
def test_incident_fields(incident: DemoIncident) -> None:
    assert incident.category == "child_4_6"
    assert incident.age == 4
    assert incident.missing_for == "2h"
    assert incident.ecoregion == "temperate"
    assert incident.resolution_m == 30.0
    assert 5 <= incident.extent_km <= 20
    assert "fictional" in incident.subject_name
    assert incident.notes


def test_incident_points_lie_on_the_dem(dem: RasterData, incident: DemoIncident) -> None:
    left, bottom, right, top = _bounds(dem)
    half_deg_lat = incident.extent_km / 2 / 111.0
    half_deg_lon = half_deg_lat / math.cos(math.radians(incident.ipp_lat))
    for lon, lat in (
        (incident.ipp_lon, incident.ipp_lat),
        (incident.staging_lon, incident.staging_lat),
    ):
        assert left < lon < right and bottom < lat < top
        assert math.isfinite(_value_at(dem, lon, lat))
    # The whole planning area lies on the DEM.
    assert left < incident.ipp_lon - half_deg_lon and incident.ipp_lon + half_deg_lon < right
    assert bottom < incident.ipp_lat - half_deg_lat and incident.ipp_lat + half_deg_lat < top


def test_incident_points_are_the_scripts(
    dem: RasterData, incident: DemoIncident, script: ModuleType
) -> None:
    points = script.demo_points(dem)
    assert points == {
        "ipp_lat": incident.ipp_lat,
        "ipp_lon": incident.ipp_lon,
        "staging_lat": incident.staging_lat,
        "staging_lon": incident.staging_lon,
    }


# ---------------------------------------------------------------------------- the layers
def test_layer_features_are_valid_and_on_the_dem(dem: RasterData, layers: Layers) -> None:
    assert layers.crs == "EPSG:4326"
    area = box(*_bounds(dem))
    kinds = {f.kind for f in layers.features}
    assert kinds == {
        LayerKind.TRAIL,
        LayerKind.ROAD,
        LayerKind.STREAM,
        LayerKind.WATER,
        LayerKind.CLIFF,
        LayerKind.PRIVATE,
        LayerKind.HAZARD,
    }
    for f in layers.features:
        assert isinstance(f.kind, LayerKind)
        assert f.name
        assert f.geometry.is_valid and not f.geometry.is_empty
        assert area.contains(f.geometry), f.name


_TO_UTM = Transformer.from_crs("EPSG:4326", "EPSG:32616", always_xy=True)


def _metric(geom: BaseGeometry) -> BaseGeometry:
    """A lon/lat geometry in UTM zone 16N metres."""
    return shapely.transform(
        geom, lambda xy: np.column_stack(_TO_UTM.transform(xy[:, 0], xy[:, 1]))
    )


def test_layers_tell_the_story(layers: Layers, incident: DemoIncident) -> None:
    ipp = _metric(Point(incident.ipp_lon, incident.ipp_lat))
    (private,) = layers.of_kind(LayerKind.PRIVATE)
    (hazard,) = layers.of_kind(LayerKind.HAZARD)
    (trail,) = layers.of_kind(LayerKind.TRAIL)
    (cliff,) = layers.of_kind(LayerKind.CLIFF)
    (road,) = layers.of_kind(LayerKind.ROAD)
    assert private.name == "Harlan Ridge Hunting Club land (fictional)"
    land = _metric(private.geometry)
    assert not land.contains(ipp)
    assert 500 < land.distance(ipp) < 3000
    assert land.contains(_metric(cliff.geometry))  # the rock shelters are on the club's land
    ridge = _metric(hazard.geometry)
    assert not ridge.contains(ipp)
    assert ridge.centroid.x > ipp.bounds[0]  # the east ridge
    assert _metric(trail.geometry).distance(ipp) < 50  # the picnic area is by the trail
    assert 2_000 < _metric(trail.geometry).length < 8_000
    staging = _metric(Point(incident.staging_lon, incident.staging_lat))
    assert _metric(road.geometry).distance(staging) < 50
    assert 900 < _metric(cliff.geometry).centroid.distance(ipp) < 2_000


def test_layers_file_is_what_the_script_builds(dem: RasterData, script: ModuleType) -> None:
    built = script.build_layers(dem)
    text = (DATA / "layers.geojson").read_text("utf-8")
    assert len(text.encode()) < 200_000
    stored = json.loads(text)
    assert _close(built, stored), "layers.geojson is stale: run scripts/make_demo_layers.py"
    # The script's own serialisation round-trips.
    assert json.loads(script.dumps(built)) == json.loads(json.dumps(built))


def _close(a: Any, b: Any) -> bool:
    """Equal JSON, numbers within 2e-6 (the 6-decimal rounding on another platform)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float | int) and isinstance(b, float | int):
        return abs(a - b) <= 2e-6
    return bool(a == b)


def test_readme_credits_the_dem() -> None:
    readme = (DATA / "README.md").read_text("utf-8")
    assert "USGS, via matplotlib sample data" in " ".join(readme.split())
    assert "invented" in readme
