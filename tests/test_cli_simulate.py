"""``wayhome simulate``: sample paths as GeoJSON or GPX; exit 2 and nothing written on bad
input. Runs the CLI in-process through :func:`wayhome.cli.main`, as the plan tests do."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import gpxpy
import numpy as np
import pytest

from clitools import flat, invoke

#: The demo DEM's footprint (lon -84.41..-84.08, lat 36.45..36.73).
DEMO_LON = (-84.41, -84.08)
DEMO_LAT = (36.45, 36.73)
#: The demo's last-seen point (lat, lon); the grid is centred on it.
DEMO_IPP = (36.541667, -84.28)
#: A point of the demo area 0.6 km from any trail, road, stream or water (lat, lon).
OFF_TRAIL = (36.547223, -84.286507)


def run_simulate(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    """Run ``wayhome simulate ARGS`` in-process; (exit code, stdout, stderr)."""
    return invoke("simulate", args, monkeypatch, capsys)


def _lines(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text("utf-8"))
    assert data["type"] == "FeatureCollection"
    return [f for f in data["features"] if f["geometry"]["type"] == "LineString"]


# ------------------------------------------------------------------------------ success
def test_demo_writes_geojson_lines_from_the_ipp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "tracks.geojson"
    code, stdout, err = run_simulate(
        ["--demo", "--tracks", "12", "--seed", "7", "--out", str(out)], monkeypatch, capsys
    )
    text = flat(err)
    assert code == 0, text
    assert "Traceback" not in stdout + err
    assert "12 tracks written" in text
    assert re.search(r"median end distance [\d.]+ km", text)
    assert re.search(r"\d+ of 12 walked off the map", text)

    lines = _lines(out)
    assert [f["properties"]["agent"] for f in lines] == list(range(12))
    for feature in lines:
        xy = np.asarray(feature["geometry"]["coordinates"], dtype=np.float64)
        lon, lat = xy[:, 0], xy[:, 1]
        # RFC 7946 order (lon, lat) inside the demo area, not UTM metres or (lat, lon).
        assert DEMO_LON[0] < lon.min() and lon.max() < DEMO_LON[1]
        assert DEMO_LAT[0] < lat.min() and lat.max() < DEMO_LAT[1]
        assert (lat[0], lon[0]) == pytest.approx(DEMO_IPP, abs=1e-5)
        props = feature["properties"]
        assert np.all(np.diff(props["minutes"]) >= 0)
        assert props["times"] == sorted(props["times"])
        # The demo child has been missing 2 h: no track runs past that.
        assert 0 <= props["end_minutes"] <= 120.0 + 1e-6
    assert [p.name for p in tmp_path.iterdir()] == ["tracks.geojson"]


def test_demo_writes_gpx_with_timestamps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "tracks.gpx"
    code, _, err = run_simulate(["--demo", "--tracks", "5", "--out", str(out)], monkeypatch, capsys)
    assert code == 0, flat(err)
    gpx = gpxpy.parse(out.read_text("utf-8"))
    assert [t.name for t in gpx.tracks] == [f"agent {i}" for i in range(5)]
    for track in gpx.tracks:
        points = [p for seg in track.segments for p in seg.points]
        assert points
        times = [p.time for p in points]
        assert all(t is not None for t in times)
        assert times == sorted(times)  # type: ignore[type-var]
        assert (points[0].latitude, points[0].longitude) == pytest.approx(DEMO_IPP, abs=1e-5)


def test_the_same_seed_gives_the_same_tracks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def coords(seed: int, name: str) -> list[Any]:
        out = tmp_path / name
        args = ["--demo", "--tracks", "6", "--seed", str(seed), "--out", str(out)]
        code, _, err = run_simulate(args, monkeypatch, capsys)
        assert code == 0, flat(err)
        return [f["geometry"]["coordinates"] for f in _lines(out)]

    assert coords(3, "a.geojson") == coords(3, "b.geojson")
    assert coords(3, "a.geojson") != coords(4, "c.geojson")


# ------------------------------------------------------------------------------ refusals
BAD_INPUT: list[tuple[str, list[str], str, tuple[str, ...]]] = [
    ("no tracks", ["--demo", "--tracks", "0"], "t.geojson", ("--tracks", "1..1000", "got 0")),
    ("too many tracks", ["--demo", "--tracks", "5000"], "t.geojson", ("--tracks", "1..1000")),
    ("unknown suffix", ["--demo"], "x.txt", ("--out", "x.txt", ".geojson", ".gpx")),
    ("mix does not sum to 1", ["--demo", "--mix", "rw=0.5"], "t.geojson", ("mix", "sum")),
    ("no time missing", ["--demo", "--missing-for", "0h"], "t.geojson", ("--missing-for", "> 0")),
    ("bad nightfall", ["--demo", "--nightfall", "dusk"], "t.gpx", ("--nightfall", "dusk")),
    (
        "no elevation model",
        ["--ipp", "36.54,-84.28", "--category", "hiker", "--missing-for", "2h"],
        "t.geojson",
        ("--dem", "--demo"),
    ),
    (
        "abduction is not walking",
        ["--demo", "--category", "abduction"],
        "t.geojson",
        ("abduct", "--model rings"),
    ),
    ("ipp outside the dem", ["--demo", "--ipp", "10,10"], "t.geojson", ("ipp:", "outside")),
    ("missing intake", ["--category", "hiker"], "t.geojson", ("--ipp", "required", "--demo")),
]


@pytest.mark.parametrize(
    ("args", "name", "expected"), [c[1:] for c in BAD_INPUT], ids=[c[0] for c in BAD_INPUT]
)
def test_bad_input_exits_2_and_writes_nothing(
    args: list[str],
    name: str,
    expected: tuple[str, ...],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / name
    code, stdout, err = run_simulate([*args, "--out", str(out)], monkeypatch, capsys)
    _assert_refused(code, stdout, err, tmp_path, *expected)


def test_ipp_on_water_suggests_the_nearest_passable_cell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Off the demo's trails (a trail over water is a bridge): 0.6 km from any of them.
    lat, lon = OFF_TRAIL
    d = 0.002  # about 200 m each way: several 30 m cells of water around the IPP
    ring = [[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d]]
    pond = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"kind": "water", "name": "test pond"},
                "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
            }
        ],
    }
    layers_dir = tmp_path / "in"
    layers_dir.mkdir()
    (layers_dir / "pond.geojson").write_text(json.dumps(pond), encoding="utf-8")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    args = ["--demo", "--ipp", f"{lat},{lon}", "--layers", str(layers_dir / "pond.geojson")]
    code, stdout, err = run_simulate(
        [*args, "--out", str(out_dir / "t.geojson")], monkeypatch, capsys
    )
    text = _assert_refused(code, stdout, err, out_dir, "ipp:", "impassable", "nearest passable")
    m = re.search(r"e\.g\. (-?[\d.]+),(-?[\d.]+)", text)
    assert m is not None, text
    suggested = (float(m[1]), float(m[2]))
    # Just outside the pond, not somewhere far away.
    assert abs(suggested[0] - lat) < 3 * d and abs(suggested[1] - lon) < 3 * d
    assert abs(suggested[0] - lat) > d * 0.8 or abs(suggested[1] - lon) > d * 0.8


def _assert_refused(code: int, out: str, err: str, directory: Path, *expected: str) -> str:
    """Exit 2, every ``expected`` text in stderr, no traceback, ``directory`` empty."""
    text = flat(err)
    assert code == 2, f"exit {code}; stderr: {text}"
    for fragment in expected:
        assert fragment in text, f"{fragment!r} not in stderr: {text}"
    assert "Traceback" not in out + err
    assert "internal error" not in text
    assert list(directory.iterdir()) == []
    return text
