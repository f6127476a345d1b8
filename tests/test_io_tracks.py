"""Writers of simulated paths: GeoJSON and GPX, lon/lat, times, all or nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import gpxpy
import numpy as np
import pytest

from wayhome.errors import DataFileError, InvalidParameterError
from wayhome.geo.coords import LonLat, to_crs
from wayhome.io import atomic
from wayhome.io.tracks import (
    TRACK_FORMATS,
    track_format,
    write_tracks,
    write_tracks_geojson,
    write_tracks_gpx,
)
from wayhome.probability.agents import Track

CRS = "EPSG:32617"
IPP = LonLat(lon=-84.28, lat=36.541667)
START = datetime(2024, 10, 12, 15, 30, tzinfo=UTC)


def _track(agent: int, steps: list[tuple[float, float, float]], *, left: bool = False) -> Track:
    """A track from (dx m, dy m, t s) offsets to the IPP, in the UTM grid CRS."""
    x0, y0 = to_crs(IPP, CRS)
    xy = np.array([[x0 + dx, y0 + dy] for dx, dy, _ in steps], dtype=np.float64)
    t = np.array([s for _, _, s in steps], dtype=np.float64)
    return Track(agent, xy, t, left)


@pytest.fixture
def tracks() -> list[Track]:
    return [
        # walks north, stays put (repeat), walks east
        _track(0, [(0, 0, 0), (0, 30, 40), (0, 30, 900), (30, 30, 960), (60, 30, 1020)]),
        # never moves
        _track(7, [(0, 0, 0)]),
        # walks off the map to the west
        _track(3, [(0, 0, 0), (-30, 0, 50), (-60, 0, 100)], left=True),
    ]


def _read_geojson(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text("utf-8"))
    assert data["type"] == "FeatureCollection"
    features: list[dict[str, Any]] = data["features"]
    return features


def test_geojson_has_a_line_and_an_end_point_per_track(tmp_path: Path, tracks: list[Track]) -> None:
    out = tmp_path / "tracks.geojson"
    write_tracks_geojson(out, tracks, crs=CRS, start_time=START)
    features = _read_geojson(out)
    lines = [f for f in features if f["geometry"]["type"] == "LineString"]
    ends = [f for f in features if f["geometry"]["type"] == "Point"]
    assert [f["properties"]["agent"] for f in lines] == [0, 7, 3]
    assert [f["properties"]["agent"] for f in ends] == [0, 7, 3]
    assert {f["properties"]["kind"] for f in lines} == {"track"}
    assert {f["properties"]["kind"] for f in ends} == {"end"}
    for line, end in zip(lines, ends, strict=True):
        coords = np.asarray(line["geometry"]["coordinates"])
        # RFC 7946: longitude first, near the IPP, not UTM metres or (lat, lon).
        assert np.allclose(coords[0], [IPP.lon, IPP.lat], atol=1e-6)
        assert np.allclose(coords[:, 0], IPP.lon, atol=0.01)
        assert np.allclose(coords[:, 1], IPP.lat, atol=0.01)
        assert end["geometry"]["coordinates"] == line["geometry"]["coordinates"][-1]
        props = line["properties"]
        assert len(props["minutes"]) == len(props["times"]) == len(coords)
        assert props["minutes"] == sorted(props["minutes"])
        assert props["times"] == sorted(props["times"])
        assert props["times"][0] == "2024-10-12T15:30:00Z"
        assert end["properties"]["time"] == props["times"][-1]
    assert [f["properties"]["left_map"] for f in lines] == [False, False, True]


def test_repeated_positions_are_written_once_at_the_arrival_time(
    tmp_path: Path, tracks: list[Track]
) -> None:
    out = tmp_path / "tracks.geojson"
    write_tracks_geojson(out, tracks[:1], crs=CRS)
    (line, end) = _read_geojson(out)
    props = line["properties"]
    assert props["points"] == 4
    assert props["minutes"] == [0.0, round(40 / 60, 2), 16.0, 17.0]
    assert "times" not in props  # no start time given: minutes only
    assert props["end_minutes"] == 17.0
    assert props["walked_km"] == 0.09
    assert props["end_km"] == round(float(np.hypot(60, 30)) / 1000, 3)
    assert end["properties"]["end_km"] == props["end_km"]


def test_a_subject_who_never_moved_gets_a_line_on_the_spot(
    tmp_path: Path, tracks: list[Track]
) -> None:
    out = tmp_path / "tracks.geojson"
    write_tracks_geojson(out, [tracks[1]], crs=CRS)
    line, _ = _read_geojson(out)
    coords = line["geometry"]["coordinates"]
    assert len(coords) == 2 and coords[0] == coords[1]
    assert line["properties"]["points"] == 1
    assert line["properties"]["walked_km"] == 0.0


def test_gpx_has_one_named_track_per_agent_with_times(tmp_path: Path, tracks: list[Track]) -> None:
    out = tmp_path / "tracks.gpx"
    write_tracks_gpx(out, tracks, crs=CRS, start_time=START)
    gpx = gpxpy.parse(out.read_text("utf-8"))
    assert [t.name for t in gpx.tracks] == ["agent 0", "agent 7", "agent 3"]
    first = gpx.tracks[0].segments[0].points
    assert len(first) == 4
    assert (first[0].latitude, first[0].longitude) == pytest.approx((IPP.lat, IPP.lon), abs=1e-6)
    times = [p.time for p in first]
    assert times == [START + timedelta(seconds=s) for s in (0, 40, 960, 1020)]
    assert "walked off the map" in (gpx.tracks[2].description or "")


def test_start_time_in_another_zone_is_written_in_utc(tmp_path: Path, tracks: list[Track]) -> None:
    from datetime import timezone

    local = START.astimezone(timezone(timedelta(hours=-4)))
    out = tmp_path / "tracks.gpx"
    write_tracks_gpx(out, tracks[:1], crs=CRS, start_time=local)
    assert "<time>2024-10-12T15:30:00Z</time>" in out.read_text("utf-8")


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("t.geojson", "geojson"), ("t.JSON", "geojson"), ("t.gpx", "gpx"), ("a/b.GPX", "gpx")],
)
def test_the_suffix_picks_the_format(
    tmp_path: Path, tracks: list[Track], name: str, fmt: str
) -> None:
    assert track_format(name) == fmt
    assert set(TRACK_FORMATS.values()) == {"geojson", "gpx"}
    out = tmp_path / Path(name).name
    write_tracks(out, tracks, crs=CRS, start_time=START)
    text = out.read_text("utf-8")
    assert text.startswith("<?xml") if fmt == "gpx" else text.startswith('{"type"')


@pytest.mark.parametrize("name", ["tracks.txt", "tracks.kml", "tracks"])
def test_an_unknown_suffix_is_refused_naming_out_and_the_valid_ones(
    tmp_path: Path, tracks: list[Track], name: str
) -> None:
    with pytest.raises(InvalidParameterError, match=r"--out.*\.geojson, \.json, \.gpx"):
        write_tracks(tmp_path / name, tracks, crs=CRS, start_time=START)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"start_time": None}, "start_time: GPX"),
        ({"start_time": datetime(2024, 10, 12, 15, 30)}, "no time zone"),
    ],
    ids=["gpx without start time", "naive start time"],
)
def test_gpx_needs_an_aware_start_time(
    tmp_path: Path, tracks: list[Track], kwargs: dict[str, Any], match: str
) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        write_tracks(tmp_path / "t.gpx", tracks, crs=CRS, **kwargs)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        (Track(1, np.array([[np.nan, 0.0]]), np.array([0.0]), False), "not finite"),
        (Track(1, np.zeros((2, 2)), np.zeros(3), False), "k x 2 positions"),
        (Track(1, np.zeros((0, 2)), np.zeros(0), False), "k >= 1"),
    ],
    ids=["nan position", "times do not match", "empty"],
)
@pytest.mark.parametrize("suffix", [".geojson", ".gpx"])
def test_a_bad_track_leaves_the_existing_file_untouched(
    tmp_path: Path, tracks: list[Track], bad: Track, match: str, suffix: str
) -> None:
    out = tmp_path / f"tracks{suffix}"
    out.write_text("an earlier export\n", encoding="utf-8")
    with pytest.raises(InvalidParameterError, match=match):
        write_tracks(out, [*tracks, bad], crs=CRS, start_time=START)
    assert out.read_text("utf-8") == "an earlier export\n"
    assert [p.name for p in tmp_path.iterdir()] == [out.name]


def test_positions_in_the_wrong_crs_are_refused(tmp_path: Path, tracks: list[Track]) -> None:
    with pytest.raises(InvalidParameterError, match="not valid in EPSG:4326"):
        write_tracks_geojson(tmp_path / "t.geojson", tracks, crs="EPSG:4326")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("suffix", [".geojson", ".gpx"])
def test_a_write_that_fails_midway_leaves_nothing(
    tmp_path: Path, tracks: list[Track], suffix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(path: Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic, "_fsync_file", disk_full)
    with pytest.raises(OSError, match="No space left"):
        write_tracks(tmp_path / f"t{suffix}", tracks, crs=CRS, start_time=START)
    assert list(tmp_path.iterdir()) == []


def test_a_missing_directory_is_a_data_file_error(tmp_path: Path, tracks: list[Track]) -> None:
    with pytest.raises(DataFileError, match="does not exist"):
        write_tracks(tmp_path / "nowhere" / "t.geojson", tracks, crs=CRS)
