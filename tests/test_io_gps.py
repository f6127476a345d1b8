"""Tests for wayhome.io.gps: field GPS tracks from GPX, KML and GeoJSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from wayhome.errors import DataFileError, UsageError
from wayhome.io.assignments import team_files
from wayhome.io.gps import GpsTrack, read_gps_tracks

GPX_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">\n'
)


def gpx(body: str) -> str:
    return GPX_HEAD + body + "</gpx>\n"


def trkpt(lat: float, lon: float, time: str | None = None) -> str:
    t = f"<time>{time}</time>" if time else ""
    return f'<trkpt lat="{lat}" lon="{lon}">{t}</trkpt>'


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


GOOD_GPX = gpx(
    "<rte><name>Route A</name>"
    '<rtept lat="36.50" lon="-84.20"/><rtept lat="36.51" lon="-84.20"/></rte>'
    "<trk><name>Team 1</name><trkseg>"
    + trkpt(36.50, -84.25, "2024-05-01T10:00:00Z")
    + trkpt(36.501, -84.25, "2024-05-01T10:01:00Z")
    + trkpt(36.502, -84.251, "2024-05-01T12:02:00+02:00")
    + "</trkseg><trkseg>"
    + trkpt(36.51, -84.26)
    + trkpt(36.511, -84.26)
    + "</trkseg></trk>"
)


# ---------------------------------------------------------------------------- good files
def test_gpx_segments_kept_separate_and_routes_skipped(tmp_path: Path) -> None:
    tracks, warnings = read_gps_tracks(write(tmp_path / "t.gpx", GOOD_GPX))
    # A route is planned, not walked: it must not count as searched ground.
    assert len(warnings) == 1 and "'Route A'" in warnings[0] and "planned" in warnings[0]
    assert [t.name for t in tracks] == ["Team 1 (segment 1)", "Team 1 (segment 2)"]
    assert all(t.source == "t.gpx" for t in tracks)
    seg1 = tracks[0]
    np.testing.assert_allclose(seg1.lonlat[0], [-84.25, 36.50])
    assert seg1.times is not None
    # the +02:00 stamp is 10:02 UTC
    assert seg1.times.tolist()[2].isoformat() == "2024-05-01T10:02:00"
    assert tracks[1].times is None


def test_gpx_with_only_routes_is_refused(tmp_path: Path) -> None:
    only_route = gpx(
        '<rte><name>bdry</name><rtept lat="36.50" lon="-84.20"/><rtept lat="36.51" lon="-84.20"/>'
        "</rte>"
    )
    with pytest.raises(DataFileError, match=r"no track .*routes are planned"):
        read_gps_tracks(write(tmp_path / "r.gpx", only_route))


def test_assignment_gpx_counts_only_the_sweep_not_the_boundary(tmp_path: Path) -> None:
    files = team_files(
        "1-T1-A",
        boundary_lonlat=[(-84.2, 36.5), (-84.19, 36.5), (-84.19, 36.51), (-84.2, 36.5)],
        route_lonlat=[(-84.2, 36.5), (-84.19, 36.505)],
        properties={},
    )
    name = next(n for n in files if n.endswith(".gpx"))
    tracks, warnings = read_gps_tracks(write(tmp_path / name, files[name]))
    assert len(tracks) == 1 and tracks[0].n_points == 2
    assert any("route(s) skipped" in w for w in warnings)


def test_kml_linestring_and_gx_track_with_times(tmp_path: Path) -> None:
    kml = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2" xmlns:gx="http://www.google.com/kml/ext/2.2">
<Document>
 <Placemark><name>Dog team</name><LineString><coordinates>
   -84.25,36.50,300 -84.24,36.50,310 -84.24,36.51
 </coordinates></LineString></Placemark>
 <Placemark><name>Phone</name><gx:Track>
   <when>2024-05-01T10:00:00Z</when><when>2024-05-01T10:00:30Z</when>
   <gx:coord>-84.25 36.50 300</gx:coord><gx:coord>-84.251 36.501 301</gx:coord>
 </gx:Track></Placemark>
 <Placemark><name>IPP</name><Point><coordinates>-84.25,36.5</coordinates></Point></Placemark>
</Document></kml>"""
    tracks, warnings = read_gps_tracks(write(tmp_path / "t.kml", kml))
    assert [t.name for t in tracks] == ["Dog team", "Phone"]
    assert tracks[0].n_points == 3 and tracks[0].times is None
    assert tracks[1].times is not None
    assert str(tracks[1].times[1]) == "2024-05-01T10:00:30"
    assert warnings == ()


def test_geojson_lines_with_coord_times(tmp_path: Path) -> None:
    doc: dict[str, Any] = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "name": "Team 2",
                    "coordTimes": ["2024-05-01T10:00:00Z", "2024-05-01T10:00:10Z"],
                },
                "geometry": {"type": "LineString", "coordinates": [[-84.2, 36.5], [-84.2, 36.6]]},
            },
            {
                "type": "Feature",
                "properties": {},
                "geometry": {
                    "type": "MultiLineString",
                    "coordinates": [[[-84.2, 36.5], [-84.3, 36.5]], [[-84.0, 36.0], [-84.1, 36.1]]],
                },
            },
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "Point", "coordinates": [0, 0]},
            },
        ],
    }
    path = tmp_path / "t.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    tracks, warnings = read_gps_tracks(path)
    assert [t.name for t in tracks] == [
        "Team 2",
        "unnamed track (part 1)",
        "unnamed track (part 2)",
    ]
    assert tracks[0].times is not None and tracks[1].times is None
    assert warnings == ("'t.geojson': 1 feature(s) that are not lines skipped",)


def test_single_point_tracks_are_skipped_with_a_warning(tmp_path: Path) -> None:
    body = "<trk><name>A</name><trkseg>" + trkpt(36.5, -84.2) + "</trkseg>"
    body += "<trkseg>" + trkpt(36.5, -84.2) + trkpt(36.6, -84.2) + "</trkseg></trk>"
    tracks, warnings = read_gps_tracks(write(tmp_path / "t.gpx", gpx(body)))
    assert [t.name for t in tracks] == ["A (segment 2)"]
    assert warnings == (
        "'t.gpx': 1 track(s) with fewer than two points skipped (no path to count)",
    )


# ---------------------------------------------------------------------------- timestamps
def test_out_of_order_timestamps_warn_and_keep_path_order(tmp_path: Path) -> None:
    body = (
        "<trk><name>Team 3</name><trkseg>"
        + trkpt(36.50, -84.2, "2024-05-01T10:00:00Z")
        + trkpt(36.51, -84.2, "2024-05-01T10:05:00Z")
        + trkpt(36.52, -84.2, "2024-05-01T09:00:00Z")  # clock jump back: dropped
        + trkpt(36.53, -84.2, "2024-05-01T10:04:00Z")  # still before 10:05: dropped
        + trkpt(36.54, -84.2, "2024-05-01T10:06:00Z")
        + "</trkseg></trk>"
    )
    tracks, warnings = read_gps_tracks(write(tmp_path / "t.gpx", gpx(body)))
    (track,) = tracks
    np.testing.assert_allclose(track.lonlat[:, 1], [36.50, 36.51, 36.52, 36.53, 36.54])
    assert track.times is not None
    assert np.isnat(track.times).tolist() == [False, False, True, True, False]
    assert len(warnings) == 1
    assert "'Team 3'" in warnings[0] and "2 time stamp(s)" in warnings[0]


# ---------------------------------------------------------------------------- bad files
@pytest.mark.parametrize(
    ("name", "text", "match"),
    [
        ("empty.gpx", "", r"'empty.gpx' is empty"),
        ("blank.kml", "  \n", r"'blank.kml' is empty"),
        ("bad.gpx", GPX_HEAD + "<trk><trkseg>", r"'bad.gpx' is not well-formed XML \(line \d+"),
        ("none.gpx", gpx(""), r"'none.gpx' holds no track"),
        ("waypoints.gpx", gpx('<wpt lat="1" lon="2"/>'), r"holds no track"),
        ("html.gpx", "<html><body/></html>", r"is XML but not GPX \(root <html>\)"),
        ("plain.kml", "<kml/>", r"holds no track"),
        ("bad.geojson", '{"type": "FeatureCollection", "features": [', r"not valid JSON \(line 1"),
        ("list.json", "[1, 2]", r"holds a JSON list"),
        ("t.kmz", "PK", r"unsupported file type '.kmz'; .*unzip"),
    ],
)
def test_bad_files_name_the_file_and_fix(tmp_path: Path, name: str, text: str, match: str) -> None:
    with pytest.raises(DataFileError, match=match) as info:
        read_gps_tracks(write(tmp_path / name, text))
    assert isinstance(info.value, UsageError)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="no such file"):
        read_gps_tracks(tmp_path / "nope.gpx")


def test_billion_laughs_is_refused(tmp_path: Path) -> None:
    lol = "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    text = (
        '<?xml version="1.0"?>\n<!DOCTYPE gpx [<!ENTITY lol0 "lol">' + lol + "]>\n"
        '<gpx version="1.1" creator="x"><trk><name>&lol9;</name><trkseg>'
        + trkpt(1, 2)
        + trkpt(1, 3)
        + "</trkseg></trk></gpx>"
    )
    with pytest.raises(DataFileError, match=r"'bomb.gpx' declares XML entities") as info:
        read_gps_tracks(write(tmp_path / "bomb.gpx", text))
    assert "lollol" not in str(info.value)


@pytest.mark.parametrize("suffix", [".gpx", ".kml"])
def test_external_entity_is_refused_and_never_read(tmp_path: Path, suffix: str) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-MARKER", encoding="utf-8")
    root = "gpx" if suffix == ".gpx" else "kml"
    for target in ("file:///etc/passwd", secret.as_uri()):
        text = (
            f'<?xml version="1.0"?>\n<!DOCTYPE {root} [<!ENTITY xxe SYSTEM "{target}">]>\n'
            f"<{root}><trk><name>&xxe;</name><trkseg>{trkpt(1, 2)}{trkpt(1, 3)}</trkseg></trk>"
            f"</{root}>"
        )
        with pytest.raises(DataFileError, match="external references") as info:
            read_gps_tracks(write(tmp_path / f"xxe{suffix}", text))
        message = str(info.value) + repr(info.value.__cause__) + repr(info.value.__context__)
        assert "TOP-SECRET-MARKER" not in message
        assert "root:" not in message


# ---------------------------------------------------------------------------- coordinates
def test_gpx_latitude_out_of_range_names_the_point(tmp_path: Path) -> None:
    body = "<trk><name>Team 4</name><trkseg>" + trkpt(36.5, -84.2) + trkpt(96.5, -84.2)
    body += "</trkseg></trk>"
    with pytest.raises(DataFileError) as info:
        read_gps_tracks(write(tmp_path / "t.gpx", gpx(body)))
    assert str(info.value).startswith(
        "gps tracks: point 2 of track 'Team 4' in 't.gpx' is at longitude -84.2, latitude 96.5"
    )


def test_gpx_coordinate_that_is_not_a_number(tmp_path: Path) -> None:
    body = '<trk><trkseg><trkpt lat="abc" lon="1"/><trkpt lat="1" lon="1"/></trkseg></trk>'
    with pytest.raises(DataFileError, match=r"'t\.gpx' is not a readable GPX file"):
        read_gps_tracks(write(tmp_path / "t.gpx", gpx(body)))


def test_projected_geojson_names_the_point(tmp_path: Path) -> None:
    doc = {"type": "LineString", "coordinates": [[-84.2, 36.5], [762345.0, 4051234.0]]}
    path = tmp_path / "utm.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(DataFileError, match=r"point 2 of track feature 1 .*EPSG:4326"):
        read_gps_tracks(path)


def test_kml_coordinate_that_is_not_a_number(tmp_path: Path) -> None:
    kml = (
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><name>X</name><LineString>'
        "<coordinates>1,2 north,3</coordinates></LineString></Placemark></kml>"
    )
    with pytest.raises(DataFileError, match=r"point 2 of track 'X' .* 'north,3'"):
        read_gps_tracks(write(tmp_path / "t.kml", kml))


def test_track_validates_its_arrays() -> None:
    with pytest.raises(UsageError, match="lonlat"):
        GpsTrack("x", np.zeros((3, 3)), None, "f.gpx")
    with pytest.raises(UsageError, match="times: 1 times for 2 points"):
        GpsTrack("x", np.zeros((2, 2)), np.array(["2024-01-01"], dtype="datetime64[s]"), "f")


def test_times_that_do_not_fit_are_ignored_with_a_warning(tmp_path: Path) -> None:
    doc = {
        "type": "Feature",
        "properties": {"name": "T", "times": ["2024-05-01T10:00:00Z"]},
        "geometry": {"type": "LineString", "coordinates": [[-84.2, 36.5], [-84.2, 36.6]]},
    }
    path = tmp_path / "t.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    (track,), warnings = read_gps_tracks(path)
    assert track.times is None
    assert warnings == ("'t.json': track 'T' has 1 times for 2 points; its times were ignored",)
    kml = (
        '<kml xmlns="http://www.opengis.net/kml/2.2" xmlns:gx="http://www.google.com/kml/ext/2.2">'
        "<Placemark><gx:Track><when>2024-05-01T10:00:00Z</when><when>not a time</when>"
        "<when>2024-05-01T10:00:01Z</when>"
        "<gx:coord>1 2</gx:coord><gx:coord>1 3</gx:coord></gx:Track></Placemark></kml>"
    )
    (track,), warnings = read_gps_tracks(write(tmp_path / "t.kml", kml))
    assert track.times is None
    assert warnings == (
        "'t.kml': track placemark 1 has 3 <when> for 2 <gx:coord>; its times were ignored",
    )
