"""wayhome.io.jurisdictions: outlines from GeoJSON and KML; POA share on the demo plan."""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pyproj import Transformer
from shapely import contains_xy
from shapely.geometry import box, mapping, shape

from wayhome.cli import main
from wayhome.errors import InvalidLayerError, InvalidParameterError
from wayhome.io.jurisdictions import poa_share_by_jurisdiction, read_jurisdictions
from wayhome.io.raster import read_poa_geotiff

SQUARE: dict[str, Any] = {
    "type": "Polygon",
    "coordinates": [
        [[-84.3, 36.5], [-84.29, 36.5], [-84.29, 36.51], [-84.3, 36.51], [-84.3, 36.5]]
    ],
}


def _club_land() -> dict[str, Any]:
    """The demo's fictional hunting club land (kind ``private``)."""
    text = (resources.files("wayhome.demo") / "data" / "layers.geojson").read_text("utf-8")
    [feature] = [f for f in json.loads(text)["features"] if f["properties"]["kind"] == "private"]
    geometry: dict[str, Any] = feature["geometry"]
    return geometry


@pytest.fixture(scope="module")
def demo_poa(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """poa.tif of a quick rings plan (60 m cells) of the demo."""
    out = tmp_path_factory.mktemp("plan") / "plan"
    args = ["plan", "--demo", "--model", "rings", "--ipp", "36.541667,-84.28"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sys, "argv", ["wayhome", *args, "--resolution", "60", "--out", str(out)])
        try:
            main()
        except SystemExit as exc:
            assert exc.code in (0, None)
    return out / "poa.tif"


# ---------------------------------------------------------------------------- reading
def test_geojson_features_keep_name_contact_and_outline(tmp_path: Path) -> None:
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "Club", "contact": "J. H"},
                "geometry": SQUARE,
            },
            {"type": "Feature", "properties": {}, "geometry": None},
            {"type": "Feature", "properties": {"phone": "555"}, "geometry": SQUARE},
        ],
    }
    path = tmp_path / "land.geojson"
    path.write_text(json.dumps(doc))
    first, second = read_jurisdictions(path)
    assert (first.name, first.contact) == ("Club", "J. H")
    assert shape(first.geometry).equals(shape(SQUARE))
    assert (second.name, second.contact) == ("land 3", "555")


def test_a_projected_geojson_is_brought_to_lon_lat(tmp_path: Path) -> None:
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32616", always_xy=True)
    ring = [to_utm.transform(x, y) for x, y in SQUARE["coordinates"][0]]
    doc = {
        "type": "Feature",
        "crs": {"type": "name", "properties": {"name": "EPSG:32616"}},
        "properties": {"name": "Club"},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    path = tmp_path / "utm.geojson"
    path.write_text(json.dumps(doc))
    [land] = read_jurisdictions(path)
    assert shape(land.geometry).symmetric_difference(shape(SQUARE)).area < 1e-12


def test_kml_polygons_are_read_with_extended_data(tmp_path: Path) -> None:
    coords = " ".join(f"{x},{y},0" for x, y in SQUARE["coordinates"][0])
    kml = f"""<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document>
<Placemark><name>Forest</name>
<ExtendedData><Data name="contact"><value>Ranger desk</value></Data></ExtendedData>
<MultiGeometry>
<Polygon><outerBoundaryIs><LinearRing><coordinates>{coords}</coordinates></LinearRing>
</outerBoundaryIs></Polygon>
<Point><coordinates>-84.2,36.5</coordinates></Point>
</MultiGeometry></Placemark>
</Document></kml>"""
    path = tmp_path / "forest.kml"
    path.write_text(kml)
    [forest] = read_jurisdictions(path)
    assert (forest.name, forest.contact, forest.geometry["type"]) == (
        "Forest",
        "Ranger desk",
        "Polygon",
    )


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        (
            "roads.geojson",
            json.dumps({"type": "LineString", "coordinates": [[0, 0], [1, 1]]}),
            "not land",
        ),
        ("empty.geojson", "", "empty"),
        ("land.gpx", "<gpx/>", "unsupported file type '.gpx'"),
        ("none.geojson", json.dumps({"type": "FeatureCollection", "features": []}), "no outlines"),
        ("bad.geojson", "{", "not valid JSON"),
    ],
)
def test_bad_files_are_refused(tmp_path: Path, name: str, text: str, words: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InvalidLayerError, match=words):
        read_jurisdictions(path)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidLayerError, match="jurisdictions: no such file"):
        read_jurisdictions(tmp_path / "nope.geojson")


# ---------------------------------------------------------------------------- POA share
def test_poa_share_on_the_demo_plan(demo_poa: Path) -> None:
    poa = read_poa_geotiff(demo_poa)
    club = _club_land()
    everything = mapping(box(-85, 36, -83, 37))
    far = mapping(box(10, 10, 11, 11))
    shares = poa_share_by_jurisdiction(demo_poa, {1: club, 2: everything, 3: far})
    # The whole map holds everything but the rest of the world; far away holds nothing.
    assert shares[2] == pytest.approx(1.0 - poa.rest_of_world, abs=1e-9)
    assert shares[3] == 0.0
    # The club's land: the cells whose centres lie inside it, counted independently.
    rows, cols = poa.grid.shape
    t = poa.grid.transform
    cc, rr = np.meshgrid(np.arange(cols) + 0.5, np.arange(rows) + 0.5)
    x, y = t.c + cc * t.a, t.f + rr * t.e
    lon, lat = Transformer.from_crs(poa.grid.crs, "EPSG:4326", always_xy=True).transform(x, y)
    expected = float(poa.cells[contains_xy(shape(club), lon, lat)].sum())
    assert 0.01 < shares[1] < 0.99
    assert shares[1] == pytest.approx(expected, abs=1e-3)


def test_poa_share_refuses_a_bad_outline(demo_poa: Path) -> None:
    line = {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}
    with pytest.raises(InvalidParameterError, match=r"jurisdictions\[7\]\.type"):
        poa_share_by_jurisdiction(demo_poa, {7: line})
