"""Round trips through CalTopo GeoJSON, KML, KMZ and GPX; unsafe KMZ refused; POA GeoTIFF."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Geod
from shapely.geometry import LineString, Point, Polygon

from wayhome.errors import DataFileError
from wayhome.geo.grid import GridSpec
from wayhome.io.exchange import MapFeature, MapKind, ZipLimits, read_map, write_map
from wayhome.io.exchange.geotiff import GIS_NODATA, POA_MEANING, write_poa_for_gis
from wayhome.io.exchange.gpx import garmin_name
from wayhome.io.raster import read_poa_geotiff
from wayhome.probability.poa import POA

_GEOD = Geod(ellps="WGS84")
FORMATS = (".geojson", ".kml", ".kmz", ".gpx")


def _max_metres(a: object, b: object) -> float:
    xa = np.asarray(a)
    xb = np.asarray(b)
    assert xa.shape == xb.shape
    return float(np.max(_GEOD.inv(xa[:, 0], xa[:, 1], xb[:, 0], xb[:, 1])[2]))


def _coords(f: MapFeature) -> list[tuple[float, float]]:
    g = f.geometry
    if isinstance(g, Polygon):
        return [(x, y) for x, y, *_ in g.exterior.coords]
    return [(x, y) for x, y, *_ in g.coords]


def _sample() -> list[MapFeature]:
    square = Polygon([(-84.28, 36.54), (-84.27, 36.54), (-84.27, 36.55), (-84.28, 36.55)])
    return [
        MapFeature(
            MapKind.ASSIGNMENT,
            "A02 2-T1-A02",
            square,
            "Sweep 80 m apart",
            segment="A02",
            number="2-T1-A02",
            status="in_progress",
            team="T1",
            resource_type="ground_grid",
        ),
        MapFeature(MapKind.ASSIGNMENT, "A05", square.buffer(-0.001), segment="A05", status="draft"),
        MapFeature(MapKind.MARKER, "IPP", Point(-84.28, 36.541667), color="#FF0000"),
        MapFeature(MapKind.CLUE, "C1 child's shoe", Point(-84.279, 36.55), "blue, size 9"),
        MapFeature(MapKind.LINE, "Creek trail", LineString([(-84.29, 36.53), (-84.27, 36.56)])),
    ]


@pytest.mark.parametrize("suffix", FORMATS)
def test_round_trip_keeps_names_geometry_and_assignment_fields(tmp_path: Path, suffix: str) -> None:
    features = _sample()
    path = tmp_path / f"map{suffix}"
    write_map(path, features, name="Demo")
    back, warnings = read_map(path)
    assert warnings == []
    by_title = {f.title: f for f in back}
    assert set(by_title) == {f.title for f in features}
    for f in features:
        g = by_title[f.title]
        assert _max_metres(_coords(f), _coords(g)) < 1.0
        assert g.kind is f.kind
        if f.kind is MapKind.ASSIGNMENT:
            assert (g.segment, g.number, g.status, g.team) == (
                f.segment,
                f.number,
                f.status,
                f.team,
            )
        if suffix != ".gpx":
            assert g.description == f.description


def test_caltopo_conventions_on_export(tmp_path: Path) -> None:
    import json

    path = tmp_path / "caltopo.json"
    write_map(path, _sample(), name="Demo")
    props = [f["properties"] for f in json.loads(path.read_text())["features"]]
    assert props[0]["class"] == "Assignment" and props[0]["letter"] == "A02"
    assert props[0]["number"] == "2-T1-A02" and props[0]["status"] == "INPROGRESS"
    assert props[0]["resourceType"] == "GROUND" and props[1]["status"] == "DRAFT"
    assert props[2] == {**props[2], "class": "Marker", "title": "IPP", "marker-color": "FF0000"}
    assert props[3]["class"] == "Clue" and props[4]["class"] == "Shape"


def test_caltopo_export_without_wayhome_fields_imports(tmp_path: Path) -> None:
    import json

    doc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": None, "properties": {"class": "Folder", "title": "F"}},
            {
                "type": "Feature",
                "properties": {
                    "class": "Assignment",
                    "letter": "AB",
                    "number": "104",
                    "status": "COMPLETED",
                    "resourceType": "DOG",
                },
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[-120, 39, 0, 0], [-120.01, 39, 0, 0]],
                },
            },
        ],
    }
    path = tmp_path / "export.json"
    path.write_text(json.dumps(doc))
    features, warnings = read_map(path)
    (a,) = features
    assert (a.title, a.status, a.resource_type) == ("AB 104", "completed", "dog")
    assert "feature 1" in warnings[0]


_TITLE = (
    st.text(
        alphabet=st.characters(codec="utf-8", categories=("L", "N", "Zs", "Pd")),
        min_size=1,
        max_size=40,
    )
    .map(str.strip)
    .filter(bool)
)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    title=_TITLE,
    lon=st.floats(-179.0, 179.0),
    lat=st.floats(-85.0, 85.0),
    suffix=st.sampled_from(FORMATS),
)
def test_points_and_names_survive_every_format(
    tmp_path: Path, title: str, lon: float, lat: float, suffix: str
) -> None:
    path = tmp_path / f"p{suffix}"
    line = LineString([(lon, lat), (lon + 0.01, lat + 0.01)])
    write_map(
        path,
        [MapFeature(MapKind.MARKER, title, Point(lon, lat)), MapFeature(MapKind.LINE, title, line)],
        name="t",
    )
    back, _ = read_map(path)
    assert [f.title for f in back] == [title, title]
    assert _max_metres([(lon, lat)], _coords(back[0])) < 1.0
    assert _max_metres(_coords(back[1]), list(line.coords)) < 1.0


def test_garmin_names_are_short_ascii_and_unique() -> None:
    taken: set[str] = set()
    names = [garmin_name("Équipe Nord: clue", limit=10, taken=taken) for _ in range(3)]
    assert names == ["EQUIPE NOR", "EQUIPE N 2", "EQUIPE N 3"]
    assert all(n.isascii() and len(n) <= 10 for n in names)


def _kmz(entries: dict[str, bytes], *, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buffer.getvalue()


_KML = b'<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><name>P</name><Point><coordinates>1,2</coordinates></Point></Placemark></kml>'


@pytest.mark.parametrize(
    ("entries", "needle"),
    [
        ({"doc.kml": _KML, "../../evil.kml": b"x"}, r"entry '../../evil.kml' .*path-traversal"),
        ({"/etc/passwd": b"x", "doc.kml": _KML}, r"entry '/etc/passwd' .*outside the archive"),
        ({"doc.kml": _KML + b" " * 5_000_000}, r"entry 'doc.kml' .*zip bomb"),
    ],
)
def test_unsafe_kmz_is_refused(tmp_path: Path, entries: dict[str, bytes], needle: str) -> None:
    path = tmp_path / "bad.kmz"
    path.write_bytes(_kmz(entries))
    with pytest.raises(DataFileError, match=needle):
        read_map(path)


def test_kmz_limits_on_entries_and_total_size(tmp_path: Path) -> None:
    path = tmp_path / "many.kmz"
    path.write_bytes(_kmz({f"f{i}.png": b"x" for i in range(20)} | {"doc.kml": _KML}))
    with pytest.raises(DataFileError, match=r"holds 21 entries, more than the limit of 10"):
        read_map(path, limits=ZipLimits(max_entries=10))
    with pytest.raises(DataFileError, match=r"would inflate to \d+ bytes, more than the limit"):
        read_map(path, limits=ZipLimits(max_total_bytes=50))
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(DataFileError, match="not a zip archive"):
        read_map(path)


def _poa() -> POA:
    grid = GridSpec(
        crs="EPSG:32616", transform=Affine(30, 0, 740_000, 0, -30, 4_050_000), shape=(40, 50)
    )
    cells = np.random.default_rng(1).random(grid.shape)
    cells *= 0.9 / cells.sum()
    return POA(grid, cells, 0.1, "test", ())


def test_poa_geotiff_in_plan_crs_is_exact_and_tagged(tmp_path: Path) -> None:
    poa = _poa()
    path = tmp_path / "poa.tif"
    write_poa_for_gis(path, poa)
    with rasterio.open(path) as ds:
        assert ds.dtypes[0] == "float32" and ds.nodata == GIS_NODATA
        assert ds.crs.to_epsg() == 32616 and ds.tags()["meaning"] == POA_MEANING
    back = read_poa_geotiff(path)  # wayhome reads its own export
    assert back.grid == poa.grid
    np.testing.assert_allclose(back.cells, poa.cells, rtol=1e-6)


def test_poa_geotiff_in_wgs84_keeps_the_total_and_the_place(tmp_path: Path) -> None:
    poa = _poa()
    path = tmp_path / "poa4326.tif"
    write_poa_for_gis(path, poa, crs="EPSG:4326")
    with rasterio.open(path) as ds:
        values = ds.read(1)
        assert ds.crs.to_epsg() == 4326 and ds.nodata == GIS_NODATA
        valid = values != GIS_NODATA
        assert values[valid].sum() == pytest.approx(0.9, rel=1e-5)
        rows, cols = np.nonzero(valid)
        lon, lat = ds.xy(rows, cols)
    w = values[valid] / values[valid].sum()
    from wayhome.geo.coords import lonlat_of

    ys, xs = np.mgrid[0:40, 0:50]
    cx = float((poa.cells * (740_000 + 30 * (xs + 0.5))).sum() / poa.cells.sum())
    cy = float((poa.cells * (4_050_000 - 30 * (ys + 0.5))).sum() / poa.cells.sum())
    centre = lonlat_of(cx, cy, "EPSG:32616")
    moved = _max_metres(
        [(centre.lon, centre.lat)], [(float(np.dot(w, lon)), float(np.dot(w, lat)))]
    )
    assert moved < 30.0  # within one source cell
