"""``wayhome plan``: the plan directory on success; exit 2, a clear message and nothing
written on bad input.

Most cases run the CLI in-process through :func:`wayhome.cli.main` (the console entry
point, so the error-to-exit-code mapping is exercised); two run the installed
``wayhome`` script end to end.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from pyproj import Transformer

from clitools import flat, invoke
from wayhome.io.raster import read_poa_geotiff

PLAN_FILES = {"poa.tif", "regions.geojson", "preview.png", "summary.json"}
#: What a fresh plan adds for later commands (terrain and layers only when given).
PLAN_EXTRAS = {"prior.tif", "evidence.json"}
OPTIONAL = {"terrain.tif", "layers.geojson"}
LEVELS = [0.25, 0.5, 0.75, 0.95]
#: The demo DEM's footprint (lon -84.41..-84.08, lat 36.45..36.73), with a margin.
DEMO_LON = (-84.45, -84.05)
DEMO_LAT = (36.42, 36.76)
#: The demo's last-seen point.
DEMO_IPP = (36.541667, -84.28)


def run_plan(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    """Run ``wayhome plan ARGS`` in-process; (exit code, stdout, stderr)."""
    return invoke("plan", args, monkeypatch, capsys)


def assert_refused(code: int, out: str, err: str, out_dir: Path, *expected: str) -> str:
    """Exit 2, every ``expected`` text in stderr, no traceback, no plan directory."""
    text = flat(err)
    assert code == 2, f"exit {code}; stderr: {text}"
    for fragment in expected:
        assert fragment in text, f"{fragment!r} not in stderr: {text}"
    assert "Traceback" not in out + err
    assert "internal error" not in text
    assert not out_dir.exists(), f"{out_dir} was written: {sorted(out_dir.iterdir())}"
    assert [p.name for p in out_dir.parent.iterdir() if p.name.startswith(".")] == []
    return text


def assert_plan_dir(out_dir: Path) -> dict[str, Any]:
    """The four plan files, consistent with each other; returns summary.json."""
    names = {p.name for p in out_dir.iterdir()}
    assert PLAN_FILES | PLAN_EXTRAS <= names <= PLAN_FILES | PLAN_EXTRAS | OPTIONAL
    summary: dict[str, Any] = json.loads((out_dir / "summary.json").read_text("utf-8"))
    assert {"model", "rest_of_world", "area_km2_for"} <= set(summary)
    row = summary["rest_of_world"]
    assert 0.0 <= row < 1.0

    # poa.tif: float32 cells + rest of world make 1, as stored (before any rescaling).
    with rasterio.open(out_dir / "poa.tif") as ds:
        raw = ds.read(1).astype(np.float64)
        tags = ds.tags()
    assert tags["model"] == summary["model"]
    assert math.isclose(float(tags["rest_of_world"]), row, abs_tol=1e-6)
    assert (raw >= 0).all()
    assert math.isclose(float(raw.sum()) + float(tags["rest_of_world"]), 1.0, abs_tol=1e-5)
    poa = read_poa_geotiff(out_dir / "poa.tif")
    assert math.isclose(float(poa.cells.sum()) + poa.rest_of_world, 1.0, abs_tol=1e-9)
    assert poa.model == summary["model"]

    areas = summary["area_km2_for"]
    assert list(areas) == ["25%", "50%", "75%", "95%"]
    known = [a for a in areas.values() if a is not None]
    assert known == sorted(known)
    assert all(a > 0 for a in known)

    assert (out_dir / "preview.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return summary


def _regions(out_dir: Path) -> list[dict[str, Any]]:
    data = json.loads((out_dir / "regions.geojson").read_text("utf-8"))
    assert data["type"] == "FeatureCollection"
    features: list[dict[str, Any]] = data["features"]
    return features


def _coords(geometry: dict[str, Any]) -> np.ndarray[Any, np.dtype[np.float64]]:
    assert geometry["type"] in ("Polygon", "MultiPolygon")
    polys = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    points = [pt for poly in polys for ring in poly for pt in ring]
    return np.asarray(points, dtype=np.float64)


# ------------------------------------------------------------------------------ success
def test_demo_writes_the_four_plan_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "plan"
    code, out, err = run_plan(["--demo", "--out", str(out_dir)], monkeypatch, capsys)
    assert code == 0, flat(err)
    assert "Traceback" not in out + err
    summary = assert_plan_dir(out_dir)
    assert summary["model"] == "terrain"
    assert summary["subject"]["category"] == "child_4_6"
    assert all(v is not None for v in summary["area_km2_for"].values())

    features = _regions(out_dir)
    assert [f["properties"]["level"] for f in features] == LEVELS
    for feature in features:
        xy = _coords(feature["geometry"])
        lon, lat = xy[:, 0], xy[:, 1]
        # RFC 7946 order (lon, lat), near the demo area, not UTM metres or (lat, lon).
        assert DEMO_LON[0] < lon.min() and lon.max() < DEMO_LON[1]
        assert DEMO_LAT[0] < lat.min() and lat.max() < DEMO_LAT[1]
    # Regions nest: each level's area grows with the level.
    areas = [f["properties"]["area_km2"] for f in features]
    assert areas == sorted(areas)
    # The 25 % region surrounds the last-seen point (the 10 % point mass sits there).
    xy = _coords(features[0]["geometry"])
    assert xy[:, 1].min() <= DEMO_IPP[0] <= xy[:, 1].max()
    assert xy[:, 0].min() <= DEMO_IPP[1] <= xy[:, 0].max()


def test_rings_needs_no_dem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "plan"
    args = ["--ipp", "36.54,-84.28", "--category", "hiker", "--missing-for", "3h"]
    code, _, err = run_plan([*args, "--model", "rings", "--out", str(out_dir)], monkeypatch, capsys)
    assert code == 0, flat(err)
    summary = assert_plan_dir(out_dir)
    assert summary["model"] == "rings"
    assert summary["elevation"] is None


def _finite_cell_lonlat(dem: Path) -> tuple[float, float]:
    """(lat, lon) of a cell with elevation data, as close to the DEM's centre as possible."""
    with rasterio.open(dem) as ds:
        band = ds.read(1, masked=True)
        known = ~np.ma.getmaskarray(band) & np.isfinite(band.filled(np.nan))
        rows, cols = np.nonzero(known)
        centre = np.array(known.shape) / 2.0
        i = int(np.argmin((rows - centre[0]) ** 2 + (cols - centre[1]) ** 2))
        x, y = ds.xy(int(rows[i]), int(cols[i]))
        to_lonlat = Transformer.from_crs(ds.crs, "EPSG:4326", always_xy=True)
    lon, lat = to_lonlat.transform(x, y)
    return float(lat), float(lon)


def test_dem_with_nodata_holes_still_plans(
    shared_data: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dem = shared_data / "terrain" / "red_butte_ut" / "red_butte_dem.tif"
    with rasterio.open(dem) as ds:
        assert np.ma.getmaskarray(ds.read(1, masked=True)).any(), "the sample has no holes"
    lat, lon = _finite_cell_lonlat(dem)
    out_dir = tmp_path / "plan"
    args = ["--dem", str(dem), "--ipp", f"{lat:.6f},{lon:.6f}", "--category", "hiker"]
    code, out, err = run_plan(
        [*args, "--missing-for", "2h", "--extent-km", "6", "--out", str(out_dir)],
        monkeypatch,
        capsys,
    )
    assert code == 0, flat(err)
    assert "Traceback" not in out + err
    summary = assert_plan_dir(out_dir)
    assert summary["model"] == "terrain"
    assert summary["elevation"]["nodata_fraction"] > 0.0


def test_existing_out_dir_keeps_unrelated_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "plan"
    out_dir.mkdir()
    (out_dir / "notes.txt").write_text("team 3 briefed\n", encoding="utf-8")
    code, _, err = run_plan(["--demo", "--out", str(out_dir)], monkeypatch, capsys)
    assert code == 0, flat(err)
    names = {p.name for p in out_dir.iterdir()}
    assert PLAN_FILES | PLAN_EXTRAS | {"notes.txt"} <= names
    assert (out_dir / "notes.txt").read_text("utf-8") == "team 3 briefed\n"


def _snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(directory)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def test_failed_plan_leaves_an_existing_out_dir_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "plan"
    out_dir.mkdir()
    (out_dir / "notes.txt").write_text("team 3 briefed\n", encoding="utf-8")
    (out_dir / "summary.json").write_text('{"model": "an earlier plan"}\n', encoding="utf-8")
    before = _snapshot(out_dir)
    code, _, err = run_plan(
        ["--demo", "--ipp", "10,10", "--out", str(out_dir)], monkeypatch, capsys
    )
    assert code == 2
    assert "ipp" in flat(err)
    assert _snapshot(out_dir) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan"]


# ------------------------------------------------------------------------------ refusals
BAD_INPUT: list[tuple[str, list[str], tuple[str, ...]]] = [
    ("ipp outside the dem", ["--demo", "--ipp", "10,10"], ("ipp:", "outside the elevation model")),
    (
        "lat lon swapped",
        ["--demo", "--ipp", "-84.28,36.541667"],
        ("ipp:", "swapped", "--ipp 36.541667,-84.28"),
    ),
    ("latitude out of range", ["--demo", "--ipp", "95,10"], ("latitude", "-90..90")),
    (
        "unknown category",
        ["--demo", "--category", "wizard"],
        ("category", "'wizard'", "hiker", "dementia", "child_4_6"),
    ),
    ("negative time missing", ["--demo", "--missing-for", "-3h"], ("missing-for", "negative")),
    ("absurd time missing", ["--demo", "--missing-for", "900d"], ("missing-for", "30 days")),
    (
        "grid too large for memory",
        ["--demo", "--resolution", "0.5", "--extent-km", "40"],
        ("resolution", "GiB", "--resolution"),
    ),
    (
        "terrain model without a dem",
        ["--ipp", "36.54,-84.28", "--category", "hiker", "--missing-for", "2h"],
        ("model", "terrain", "--dem", "--model rings"),
    ),
    (
        "missing required options",
        ["--category", "hiker"],
        ("--ipp", "--missing-for", "required", "--demo"),
    ),
    ("agents: zero agents", ["--demo", "--model", "agents", "--agents", "0"], ("agents", "0")),
    ("agents: negative agents", ["--demo", "--model", "agents", "--agents", "-5"], ("agents",)),
    (
        "agents: mix does not sum to 1",
        ["--demo", "--model", "agents", "--mix", "rw=0.5,dt=0.3"],
        ("mix", "sum", "0.8"),
    ),
    (
        "agents: no time missing",
        ["--demo", "--model", "agents", "--missing-for", "0h"],
        ("missing-for", "> 0"),
    ),
    (
        "agents: bad nightfall",
        ["--demo", "--model", "agents", "--nightfall", "dusk"],
        ("--nightfall", "dusk"),
    ),
    (
        "agents: abduction is not walking",
        ["--demo", "--model", "agents", "--category", "abduction"],
        ("abduction", "--model rings"),
    ),
]


@pytest.mark.parametrize(
    ("args", "expected"), [c[1:] for c in BAD_INPUT], ids=[c[0] for c in BAD_INPUT]
)
def test_bad_input_exits_2_and_writes_nothing(
    args: list[str],
    expected: tuple[str, ...],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out_dir = tmp_path / "plan"
    code, out, err = run_plan([*args, "--out", str(out_dir)], monkeypatch, capsys)
    assert_refused(code, out, err, out_dir, *expected)


def test_grid_too_large_gives_the_memory_estimate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "plan"
    args = ["--demo", "--resolution", "0.5", "--extent-km", "40", "--out", str(out_dir)]
    code, out, err = run_plan(args, monkeypatch, capsys)
    text = assert_refused(code, out, err, out_dir, "resolution")
    m = re.search(r"about ([\d,.]+) GiB", text)
    assert m is not None, text
    # 80001 x 80001 cells: hundreds of GiB whatever the per-cell figure.
    assert float(m[1].replace(",", "")) > 100.0


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("corrupt.tif", np.random.default_rng(7).bytes(4096)),
        ("notes.txt", b"elevation: about 1800 m near the reservoir\n" * 20),
        ("empty.tif", b""),
    ],
    ids=["random bytes as tif", "text file", "empty file"],
)
def test_unreadable_dem_exits_2_and_writes_nothing(
    name: str,
    content: bytes,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dem = tmp_path / name
    dem.write_bytes(content)
    out_dir = tmp_path / "plan"
    args = ["--dem", str(dem), "--ipp", "36.54,-84.28", "--category", "hiker"]
    code, out, err = run_plan(
        [*args, "--missing-for", "2h", "--out", str(out_dir)], monkeypatch, capsys
    )
    assert_refused(code, out, err, out_dir, "dem:", name)


def test_missing_dem_file_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "plan"
    args = ["--dem", str(tmp_path / "nowhere.tif"), "--ipp", "36.54,-84.28"]
    code, out, err = run_plan(
        [*args, "--category", "hiker", "--missing-for", "2h", "--out", str(out_dir)],
        monkeypatch,
        capsys,
    )
    assert_refused(code, out, err, out_dir, "dem:", "nowhere.tif")


# ------------------------------------------------------------------------------ end to end
def _wayhome_script() -> Path:
    script = Path(sys.executable).parent / ("wayhome.exe" if os.name == "nt" else "wayhome")
    if not script.exists():
        pytest.skip(f"the wayhome console script is not installed beside {sys.executable}")
    return script


def test_installed_script_writes_the_demo_plan(tmp_path: Path) -> None:
    out_dir = tmp_path / "plan"
    proc = subprocess.run(
        [str(_wayhome_script()), "plan", "--demo", "--out", str(out_dir)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert_plan_dir(out_dir)
    assert "plan written" in flat(proc.stderr)


def test_installed_script_refuses_a_swapped_ipp(tmp_path: Path) -> None:
    out_dir = tmp_path / "plan"
    proc = subprocess.run(
        [
            str(_wayhome_script()),
            "plan",
            "--demo",
            "--ipp",
            "-84.28,36.541667",
            "--out",
            str(out_dir),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=tmp_path,
    )
    assert_refused(proc.returncode, proc.stdout, proc.stderr, out_dir, "ipp:", "swapped")


def test_agents_model_with_fixed_count_and_seed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    maps = []
    for name in ("a", "b"):
        out_dir = tmp_path / name
        code, _, err = run_plan(
            [
                "--demo",
                "--model",
                "agents",
                "--agents",
                "20000",
                "--seed",
                "7",
                "--out",
                str(out_dir),
            ],
            monkeypatch,
            capsys,
        )
        assert code == 0, err
        poa = read_poa_geotiff(out_dir / "poa.tif")
        assert poa.model == "agents"
        maps.append(poa.cells)
    np.testing.assert_array_equal(maps[0], maps[1])
