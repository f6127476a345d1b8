"""plan_search: the whole pipeline on the bundled demo terrain."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from wayhome.errors import InvalidParameterError, OutsideTerrainError
from wayhome.geo.coords import LonLat
from wayhome.io.demo import read_demo_dem, read_demo_incident, read_demo_layers
from wayhome.io.plan_dir import PLAN_FILES, write_plan
from wayhome.io.raster import read_poa_geotiff
from wayhome.plan import ecoregion_terrain_class, plan_search
from wayhome.subject import subject_from_intake


@pytest.fixture(scope="module")
def demo_plan():  # type: ignore[no-untyped-def]
    inc = read_demo_incident()
    subject = subject_from_intake(inc.category, age=inc.age, missing_for=inc.missing_for)
    return plan_search(
        subject,
        LonLat(lon=inc.ipp_lon, lat=inc.ipp_lat),
        dem=read_demo_dem(),
        layers=read_demo_layers(),
        resolution_m=inc.resolution_m,
        extent_km=inc.extent_km,
    )


def test_demo_plan_is_terrain_aware(demo_plan) -> None:  # type: ignore[no-untyped-def]
    poa = demo_plan.poa
    assert poa.model == "terrain"
    assert abs(float(poa.cells.sum()) + poa.rest_of_world - 1.0) < 1e-9
    # not radial: the map must differ from a pure function of distance
    d = demo_plan.grid.distance_from(*demo_plan.ipp_xy)
    ring = (d > 900) & (d < 1100)
    vals = poa.cells[ring]
    assert float(vals.max()) > 5.0 * float(np.median(vals)) + 1e-18
    assert demo_plan.profile.category == "child_4_6"
    assert demo_plan.profile.terrain in ("temperate_mountainous", "temperate_flat")
    assert set(demo_plan.timings_s) >= {"grid", "terrain", "layers", "profile", "model"}


def test_demo_plan_writes_the_plan_directory(demo_plan, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = write_plan(demo_plan, tmp_path / "plan")
    names = {p.name for p in out.iterdir()}
    assert (
        set(PLAN_FILES) | {"prior.tif", "evidence.json", "terrain.tif", "layers.geojson"} == names
    )
    poa = read_poa_geotiff(out / "poa.tif")
    assert abs(float(poa.cells.sum()) + poa.rest_of_world - 1.0) < 1e-6
    summary = json.loads((out / "summary.json").read_text())
    assert summary["model"] == "terrain"
    areas = summary["area_km2_for"]
    assert areas["25%"] <= areas["50%"] <= areas["75%"] <= areas["95%"]
    regions = json.loads((out / "regions.geojson").read_text())
    assert [f["properties"]["level"] for f in regions["features"]] == [0.25, 0.5, 0.75, 0.95]
    lon, lat = regions["features"][0]["geometry"]["coordinates"][0][0][0]
    assert -85 < lon < -84 and 36 < lat < 37
    assert (out / "preview.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_rings_without_dem_and_terrain_refused_without_dem() -> None:
    s = subject_from_intake("hiker", age=None, missing_for="4h")
    p = plan_search(s, LonLat(lon=-110.0, lat=32.0), model="rings", resolution_m=100.0)
    assert p.terrain is None and p.poa.model == "rings"
    with pytest.raises(InvalidParameterError, match="--dem"):
        plan_search(s, LonLat(lon=-110.0, lat=32.0), model="terrain")


def test_swapped_ipp_is_explained() -> None:
    inc = read_demo_incident()
    s = subject_from_intake("hiker", age=None, missing_for="1h")
    with pytest.raises(OutsideTerrainError, match="swapped"):
        plan_search(s, LonLat(lon=inc.ipp_lat, lat=inc.ipp_lon), dem=read_demo_dem())


def test_ecoregion_classes() -> None:
    assert ecoregion_terrain_class("dry", mountainous=False) == "dry_flat"
    with pytest.raises(InvalidParameterError, match="ecoregion"):
        ecoregion_terrain_class("tropical", mountainous=True)
