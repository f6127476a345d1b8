"""Tests for wayhome.io.vector: GeoJSON, GPX and KML layers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from shapely.geometry import LineString, MultiLineString, Point, Polygon

from wayhome.errors import InvalidLayerError, InvalidParameterError, UsageError
from wayhome.geo.layers import LayerKind
from wayhome.io.vector import read_layers, write_geojson

RED_BUTTE = "terrain/red_butte_ut"


def write_json(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def feature(geometry: dict[str, Any] | None, **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": geometry}


LINE_COORDS = [(-118.1, 34.3), (-118.0, 34.31)]
LINE = {"type": "LineString", "coordinates": [list(c) for c in LINE_COORDS]}
POINT = {"type": "Point", "coordinates": [-118.05, 34.305]}


# ---------------------------------------------------------------------------- GeoJSON
def test_geojson_kinds_from_properties(tmp_path: Path) -> None:
    doc = {
        "type": "FeatureCollection",
        "features": [
            feature(LINE, kind="trail", name="Gabrielino Trail"),
            feature(POINT, **{"wayhome:kind": "Creek"}),
            feature(LINE, **{"class": "road"}, title="Upper Big Tujunga Rd"),
            feature(None, kind="trail"),  # unlocated: skipped
        ],
    }
    layers = read_layers(write_json(tmp_path / "l.geojson", doc))
    assert layers.crs == "EPSG:4326"
    assert [f.kind for f in layers.features] == [LayerKind.TRAIL, LayerKind.STREAM, LayerKind.ROAD]
    assert [f.name for f in layers.features] == ["Gabrielino Trail", None, "Upper Big Tujunga Rd"]
    assert layers.features[0].geometry.equals(LineString(LINE_COORDS))


def test_kind_argument_overrides_properties(tmp_path: Path) -> None:
    path = write_json(tmp_path / "l.json", feature(LINE, kind="trail"))
    assert read_layers(path, kind=LayerKind.BARRIER).features[0].kind is LayerKind.BARRIER
    assert read_layers(path, kind="fence").features[0].kind is LayerKind.BARRIER


def test_bare_geometry(tmp_path: Path) -> None:
    layers = read_layers(write_json(tmp_path / "g.geojson", LINE), kind="road")
    assert len(layers.features) == 1
    assert layers.features[0].geometry.geom_type == "LineString"


def test_feature_without_kind_names_feature_and_fix(tmp_path: Path) -> None:
    doc = {
        "type": "FeatureCollection",
        "features": [feature(LINE, kind="trail"), feature(LINE), feature(LINE, name="x")],
    }
    with pytest.raises(InvalidLayerError) as info:
        read_layers(write_json(tmp_path / "x.geojson", doc))
    assert str(info.value) == (
        "layers: feature 2 in 'x.geojson' has no kind; add a 'kind' property "
        "(trail, road, ...) or pass the kind as KIND=PATH"
    )
    assert isinstance(info.value, UsageError)


def test_unknown_kind_value(tmp_path: Path) -> None:
    path = write_json(tmp_path / "x.geojson", feature(LINE, kind="motorway", name="I-210"))
    with pytest.raises(InvalidLayerError, match=r"feature 1 \('I-210'\).*kind='motorway'"):
        read_layers(path)


def test_legacy_crs_member(tmp_path: Path) -> None:
    doc = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::26912"}},
        "features": [feature({"type": "Point", "coordinates": [431_000.0, 4_514_000.0]})],
    }
    layers = read_layers(write_json(tmp_path / "utm.geojson", doc), kind="hazard")
    assert layers.crs == "EPSG:26912"
    assert layers.features[0].geometry.equals(Point(431_000.0, 4_514_000.0))


@pytest.mark.parametrize(
    "member",
    [
        {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        {"type": "name", "properties": {"name": "EPSG:4326"}},
        {"type": "EPSG", "properties": {"code": 4326}},
    ],
)
def test_legacy_crs_wgs84_spellings(tmp_path: Path, member: dict[str, Any]) -> None:
    doc = {"type": "FeatureCollection", "crs": member, "features": [feature(POINT)]}
    assert read_layers(write_json(tmp_path / "a.geojson", doc), kind="trail").crs == "EPSG:4326"


def test_unknown_crs_member(tmp_path: Path) -> None:
    doc = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::999999"}},
        "features": [feature(POINT)],
    }
    with pytest.raises(InvalidLayerError, match="PROJ does not know"):
        read_layers(write_json(tmp_path / "a.geojson", doc), kind="trail")


def test_projected_coordinates_without_crs_member(tmp_path: Path) -> None:
    doc = feature({"type": "Point", "coordinates": [431_000.0, 4_514_000.0]}, kind="trail")
    with pytest.raises(InvalidLayerError, match="outside longitude/latitude range"):
        read_layers(write_json(tmp_path / "a.geojson", doc))


def test_red_butte_files(shared_data: Path) -> None:
    road = read_layers(shared_data / RED_BUTTE / "red_butte_road.geojson", kind="road")
    water = read_layers(shared_data / RED_BUTTE / "red_butte_reservoir.geojson", kind="water")
    rna = read_layers(shared_data / RED_BUTTE / "red_butte_rna.geojson", kind="private")
    assert road.crs == water.crs == rna.crs == "EPSG:26912"
    (f,) = road.features
    assert (f.kind, f.name, f.geometry.geom_type) == (
        LayerKind.ROAD,
        "Red Butte Canyon Road",
        "LineString",
    )
    assert water.features[0].geometry.geom_type == "Polygon"
    assert rna.features[0].geometry.geom_type == "MultiPolygon"
    # the reservoir lies inside the research natural area, in UTM metres
    assert rna.features[0].geometry.contains(water.features[0].geometry.representative_point())
    assert 4e5 < f.geometry.bounds[0] < 5e5
    assert len((road + water + rna).features) == 3


def test_malformed_json_gives_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.geojson"
    path.write_text('{"type": "FeatureCollection",\n "features": [\n  {"type": "Feature",,}]}')
    with pytest.raises(InvalidLayerError, match=r"not valid JSON \(line 3, column 22"):
        read_layers(path)


def test_malformed_geometry_names_feature(tmp_path: Path) -> None:
    doc = {
        "type": "FeatureCollection",
        "features": [
            feature(POINT, kind="trail"),
            feature({"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}, kind="water"),
        ],
    }
    with pytest.raises(
        InvalidLayerError, match=r"feature 2 in 'm\.geojson' has a malformed geometry"
    ):
        read_layers(write_json(tmp_path / "m.geojson", doc))


def test_self_intersecting_polygon_is_repaired(tmp_path: Path) -> None:
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    layers = read_layers(write_json(tmp_path / "b.geojson", feature(bowtie, kind="water")))
    geom = layers.features[0].geometry
    assert geom.is_valid
    assert geom.area == pytest.approx(0.5)


def test_nan_coordinates_rejected(tmp_path: Path) -> None:
    path = tmp_path / "nan.geojson"
    path.write_text('{"type": "Point", "coordinates": [NaN, 34.0]}')
    with pytest.raises(InvalidLayerError, match="not numbers"):
        read_layers(path, kind="trail")


@pytest.mark.parametrize("content", ["", "  \n"])
def test_empty_file(tmp_path: Path, content: str) -> None:
    (tmp_path / "e.geojson").write_text(content)
    with pytest.raises(InvalidLayerError, match=r"'e\.geojson' is empty"):
        read_layers(tmp_path / "e.geojson")


def test_collection_without_features(tmp_path: Path) -> None:
    path = write_json(tmp_path / "n.geojson", {"type": "FeatureCollection", "features": []})
    with pytest.raises(InvalidLayerError, match="holds no features"):
        read_layers(path)


def test_missing_file_and_unknown_extension(tmp_path: Path) -> None:
    with pytest.raises(InvalidLayerError, match="no such file"):
        read_layers(tmp_path / "trails.geojson")
    (tmp_path / "trails.shp").write_bytes(b"\0\0\x27\x0a")
    with pytest.raises(InvalidLayerError, match=r"unsupported file type '\.shp'.*\.gpx, \.kml"):
        read_layers(tmp_path / "trails.shp")


def test_json_that_is_not_geojson(tmp_path: Path) -> None:
    with pytest.raises(InvalidLayerError, match="has type 'Topology'"):
        read_layers(write_json(tmp_path / "t.json", {"type": "Topology"}))
    with pytest.raises(InvalidLayerError, match="holds a JSON list"):
        read_layers(write_json(tmp_path / "l.json", [1, 2]))


# ---------------------------------------------------------------------------- GPX
GPX = """<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">
  <wpt lat="34.30" lon="-118.10"><name>Trailhead</name><type>trail</type></wpt>
  <rte><name>Fire road</name><type>road</type>
    <rtept lat="34.30" lon="-118.10"/><rtept lat="34.32" lon="-118.08"/>
  </rte>
  <trk><name>Team 3 track</name>
    <trkseg>
      <trkpt lat="34.300" lon="-118.100"><ele>1000</ele></trkpt>
      <trkpt lat="34.301" lon="-118.099"><ele>1010</ele></trkpt>
      <trkpt lat="34.303" lon="-118.097"><ele>1020</ele></trkpt>
    </trkseg>
    <trkseg>
      <trkpt lat="34.310" lon="-118.090"/><trkpt lat="34.311" lon="-118.091"/>
    </trkseg>
  </trk>
</gpx>
"""


def test_gpx_track_route_waypoint(tmp_path: Path) -> None:
    (tmp_path / "t.gpx").write_text(GPX)
    layers = read_layers(tmp_path / "t.gpx", kind="trail")
    assert layers.crs == "EPSG:4326"
    by_name = {f.name: f.geometry for f in layers.features}
    assert set(by_name) == {"Trailhead", "Fire road", "Team 3 track"}
    track = by_name["Team 3 track"]
    assert isinstance(track, MultiLineString)
    first = track.geoms[0]
    assert list(first.coords) == [(-118.1, 34.3), (-118.099, 34.301), (-118.097, 34.303)]
    assert by_name["Trailhead"].equals(Point(-118.10, 34.30))
    assert by_name["Fire road"].geom_type == "LineString"


def test_gpx_type_element_gives_kind(tmp_path: Path) -> None:
    (tmp_path / "t.gpx").write_text(GPX)
    with pytest.raises(InvalidLayerError, match=r"feature 3 \('Team 3 track'\).*<type>"):
        read_layers(tmp_path / "t.gpx")
    single = GPX.replace("<trk><name>Team 3 track</name>", "<trk><name>T</name><type>trail</type>")
    (tmp_path / "k.gpx").write_text(single)
    kinds = [f.kind for f in read_layers(tmp_path / "k.gpx").features]
    assert kinds == [LayerKind.TRAIL, LayerKind.ROAD, LayerKind.TRAIL]


def test_gpx_malformed(tmp_path: Path) -> None:
    (tmp_path / "bad.gpx").write_text(GPX.replace("</trk>", ""))
    with pytest.raises(InvalidLayerError, match=r"not well-formed XML \(line 17, column"):
        read_layers(tmp_path / "bad.gpx", kind="trail")


def test_kml_named_gpx_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x.gpx").write_text("<kml/>")
    with pytest.raises(InvalidLayerError, match="XML but not GPX"):
        read_layers(tmp_path / "x.gpx")


# ---------------------------------------------------------------------------- KML
KML = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2" xmlns:gx="http://www.google.com/kml/ext/2.2">
<Document><Folder>
  <Placemark><name>Lake</name>
    <ExtendedData><Data name="kind"><value>lake</value></Data></ExtendedData>
    <Polygon><outerBoundaryIs><LinearRing><coordinates>
      0,0,0 4,0,0 4,4,0 0,4,0 0,0,0
    </coordinates></LinearRing></outerBoundaryIs>
    <innerBoundaryIs><LinearRing><coordinates>1,1 2,1 2,2 1,2 1,1</coordinates></LinearRing>
    </innerBoundaryIs></Polygon>
  </Placemark>
  <Placemark><name>Cliff bands</name>
    <ExtendedData><SchemaData><SimpleData name="kind">cliff</SimpleData></SchemaData>
    </ExtendedData>
    <MultiGeometry>
      <LineString><coordinates>10,10 11,11</coordinates></LineString>
      <LineString><coordinates>12,10 13,11</coordinates></LineString>
      <MultiGeometry><LineString><coordinates>14,10 15,11</coordinates></LineString>
      </MultiGeometry>
    </MultiGeometry>
  </Placemark>
  <Placemark><name>Mixed</name>
    <ExtendedData><Data name="kind"><value>hazard</value></Data></ExtendedData>
    <MultiGeometry>
      <Point><coordinates>20,20</coordinates></Point>
      <Polygon><outerBoundaryIs><LinearRing><coordinates>
        21,21 22,21 22,22 21,21</coordinates></LinearRing></outerBoundaryIs></Polygon>
    </MultiGeometry>
  </Placemark>
  <Placemark><name>Phone track</name>
    <ExtendedData><Data name="kind"><value>trail</value></Data></ExtendedData>
    <gx:Track><when>2024-01-01T10:00:00Z</when><gx:coord>30 30 100</gx:coord>
      <gx:coord>30.5 30.5 110</gx:coord></gx:Track>
  </Placemark>
  <Placemark><name>Just a label</name></Placemark>
</Folder></Document></kml>
"""


def test_kml_polygon_multigeometry_track(tmp_path: Path) -> None:
    (tmp_path / "m.kml").write_text(KML)
    layers = read_layers(tmp_path / "m.kml")
    assert layers.crs == "EPSG:4326"
    assert [(f.name, f.kind) for f in layers.features] == [
        ("Lake", LayerKind.WATER),
        ("Cliff bands", LayerKind.CLIFF),
        ("Mixed", LayerKind.HAZARD),
        ("Phone track", LayerKind.TRAIL),
    ]
    lake, cliffs, mixed, track = (f.geometry for f in layers.features)
    assert lake.equals(
        Polygon([(0, 0), (4, 0), (4, 4), (0, 4)], [[(1, 1), (2, 1), (2, 2), (1, 2)]])
    )
    assert lake.area == pytest.approx(15.0)
    assert isinstance(cliffs, MultiLineString)
    assert len(list(cliffs.geoms)) == 3
    assert mixed.geom_type == "GeometryCollection"
    assert track.equals(LineString([(30, 30), (30.5, 30.5)]))


def test_kml_without_kind(tmp_path: Path) -> None:
    (tmp_path / "m.kml").write_text(KML.replace('<Data name="kind"><value>lake</value></Data>', ""))
    with pytest.raises(InvalidLayerError, match=r"feature 1 \('Lake'\) in 'm.kml' has no kind"):
        read_layers(tmp_path / "m.kml")


def test_kml_bad_coordinates(tmp_path: Path) -> None:
    (tmp_path / "b.kml").write_text(
        "<kml><Placemark><name>P</name><Point><coordinates>abc,1</coordinates></Point>"
        "</Placemark></kml>"
    )
    with pytest.raises(InvalidLayerError, match=r"feature 1 \('P'\).*'abc,1'"):
        read_layers(tmp_path / "b.kml", kind="trail")


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<{root}><Placemark><name>&lol9;</name><Point><coordinates>0,0</coordinates></Point>
</Placemark></{root}>
"""


@pytest.mark.parametrize(("suffix", "root"), [(".kml", "kml"), (".gpx", "gpx")])
def test_xml_bomb_rejected(tmp_path: Path, suffix: str, root: str) -> None:
    path = tmp_path / f"bomb{suffix}"
    path.write_text(BILLION_LAUGHS.replace("{root}", root))
    with pytest.raises(InvalidLayerError, match="declares XML entities"):
        read_layers(path, kind="trail")


def test_external_entity_rejected(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("s3cret")
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY x SYSTEM "file://{tmp_path}/secret.txt">]>'
        "<kml><Placemark><name>&x;</name><Point><coordinates>0,0</coordinates></Point>"
        "</Placemark></kml>"
    )
    (tmp_path / "x.kml").write_text(xxe)
    with pytest.raises(InvalidLayerError, match="declares XML entities") as info:
        read_layers(tmp_path / "x.kml", kind="trail")
    assert "s3cret" not in str(info.value)


# ---------------------------------------------------------------------------- write_geojson
def test_write_geojson_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "out.geojson"
    write_geojson(
        path,
        [
            feature(LINE, kind="trail", name="A", length_m=np.float64(1234.5)),
            {"type": "Feature", "properties": {"kind": "water"}, "geometry": Point(1.0, 2.0)},
            POINT,
        ],
    )
    text = path.read_text(encoding="utf-8")
    assert ", " not in text  # compact
    assert text.endswith("\n")
    doc = json.loads(text)
    assert doc["type"] == "FeatureCollection"
    assert "crs" not in doc
    assert len(doc["features"]) == 3
    assert doc["features"][0]["properties"]["length_m"] == 1234.5
    assert doc["features"][2]["properties"] == {}
    layers = read_layers(path, kind="trail")
    assert layers.features[0].geometry.equals(LineString(LINE_COORDS))
    assert layers.features[1].geometry.equals(Point(1.0, 2.0))


def test_write_geojson_rounds_to_7_decimals(tmp_path: Path) -> None:
    geom = {"type": "Point", "coordinates": [-118.123456789123, 34.987654321987, 1234.5]}
    write_geojson(tmp_path / "p.geojson", feature(geom))
    doc = json.loads((tmp_path / "p.geojson").read_text())
    assert doc["features"][0]["geometry"]["coordinates"] == [-118.1234568, 34.9876543, 1234.5]


def test_write_geojson_accepts_a_collection(tmp_path: Path) -> None:
    write_geojson(
        tmp_path / "c.geojson", {"type": "FeatureCollection", "features": [feature(POINT)]}
    )
    assert len(json.loads((tmp_path / "c.geojson").read_text())["features"]) == 1


def test_write_geojson_refuses_projected_coordinates(tmp_path: Path) -> None:
    utm = feature({"type": "Point", "coordinates": [431_000.0, 4_514_000.0]})
    with pytest.raises(InvalidParameterError, match="reproject to EPSG:4326"):
        write_geojson(tmp_path / "u.geojson", [utm])
    assert list(tmp_path.iterdir()) == []


def test_write_geojson_refuses_nan_properties(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterError, match="cannot be written as JSON"):
        write_geojson(tmp_path / "n.geojson", [feature(POINT, pod=float("nan"))])
    assert list(tmp_path.iterdir()) == []
