"""The preview PNG: drawn for any grid, written atomically."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib.figure import Figure
from shapely.geometry import LineString, Point, Polygon

from wayhome.errors import DataFileError, InvalidParameterError
from wayhome.geo.grid import GridSpec
from wayhome.geo.layers import Feature, LayerKind, Layers
from wayhome.io.preview import PREVIEW_SIZE_PX, render_preview
from wayhome.probability.poa import POA, poa_from_weights

X0, Y0 = 500_000.0, 4_000_000.0
CRS = "EPSG:32616"


def _poa(
    *, extent_m: float = 4_000.0, resolution: float = 30.0, rest_of_world: float = 0.03
) -> POA:
    grid = GridSpec.centered_on(X0, Y0, crs=CRS, resolution=resolution, extent_m=extent_m)
    d = grid.distance_from(X0 + 200.0, Y0 - 100.0)
    weights = np.exp(-d / 600.0)
    return poa_from_weights(
        grid, weights, rest_of_world=rest_of_world, model="rings", notes=("synthetic test map",)
    )


def _elevation(poa: POA) -> np.ndarray[Any, np.dtype[np.float64]]:
    xs, ys = poa.grid.centers()
    return (
        600.0 + 120.0 * np.sin(xs[np.newaxis, :] / 700.0) + 80.0 * np.cos(ys[:, np.newaxis] / 500.0)
    )


def _layers() -> Layers:
    def ring(cx: float, cy: float, r: float) -> Polygon:
        return Point(X0 + cx, Y0 + cy).buffer(r)

    features = (
        Feature(
            LayerKind.TRAIL,
            LineString([(X0 - 1500, Y0 - 800), (X0, Y0), (X0 + 900, Y0 + 1500)]),
            "Test Trail",
        ),
        Feature(
            LayerKind.ROAD, LineString([(X0 - 2500, Y0 - 900), (X0 - 1500, Y0 - 800)]), "Road 1"
        ),
        Feature(
            LayerKind.STREAM, LineString([(X0 - 1800, Y0 + 1800), (X0 + 1800, Y0 - 300)]), None
        ),
        Feature(LayerKind.WATER, ring(-700, 900, 150), "Pond"),
        Feature(LayerKind.CLIFF, ring(600, -700, 60), "Cliff polygon"),
        Feature(
            LayerKind.CLIFF, LineString([(X0 + 300, Y0 + 600), (X0 + 900, Y0 + 800)]), "Cliff line"
        ),
        Feature(
            LayerKind.BARRIER, LineString([(X0 - 300, Y0 - 1500), (X0 + 300, Y0 - 1200)]), None
        ),
        Feature(LayerKind.VEGETATION, ring(1200, 1200, 300), "Thicket"),
        Feature(
            LayerKind.PRIVATE,
            Polygon(
                [
                    (X0 - 1900, Y0 + 300),
                    (X0 - 500, Y0 + 300),
                    (X0 - 500, Y0 + 1900),
                    (X0 - 1900, Y0 + 1900),
                ]
            ),
            "Neighbour land (fictional)",
        ),
        Feature(LayerKind.HAZARD, ring(1500, -1200, 500).union(ring(3500, 0, 400)), "Hunting zone"),
        Feature(LayerKind.TRAIL, Point(X0 + 100, Y0 + 100), "a point feature"),
        Feature(LayerKind.ROAD, LineString([(X0 + 9000, Y0), (X0 + 9500, Y0)]), "outside the map"),
    )
    return Layers(features, CRS)


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    assert head[12:16] == b"IHDR"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def _assert_only(directory: Path, *names: str) -> None:
    assert sorted(p.name for p in directory.iterdir()) == sorted(names)


@pytest.mark.parametrize(
    ("with_elevation", "with_layers"),
    [(True, True), (False, False), (True, False), (False, True)],
)
def test_renders_a_png_of_the_expected_size(
    tmp_path: Path, with_elevation: bool, with_layers: bool
) -> None:
    poa = _poa()
    out = tmp_path / "preview.png"
    render_preview(
        out,
        poa=poa,
        elevation=_elevation(poa) if with_elevation else None,
        ipp_xy=(X0 + 200.0, Y0 - 100.0),
        layers=_layers() if with_layers else None,
        title="Test subject, 4, missing 2 h",
        subtitle="model rings" if with_layers else None,
    )
    assert _png_size(out) == PREVIEW_SIZE_PX == (1600, 1400)
    _assert_only(tmp_path, "preview.png")


def test_renders_nodata_and_unreachable_levels(tmp_path: Path) -> None:
    poa = _poa(rest_of_world=0.3)  # 75 % and 95 % cannot be reached inside the map
    elevation = _elevation(poa)
    elevation[:, :40] = np.nan
    out = tmp_path / "p.png"
    render_preview(out, poa=poa, elevation=elevation, ipp_xy=(X0, Y0), title="nodata")
    assert _png_size(out) == PREVIEW_SIZE_PX


def test_renders_all_nodata_and_an_empty_map(tmp_path: Path) -> None:
    grid = _poa().grid
    empty = poa_from_weights(grid, np.zeros(grid.shape), rest_of_world=0.0, model="empty")
    assert empty.rest_of_world == 1.0
    out = tmp_path / "p.png"
    render_preview(
        out, poa=empty, elevation=np.full(grid.shape, np.nan), ipp_xy=(X0, Y0), title="empty"
    )
    assert _png_size(out) == PREVIEW_SIZE_PX


def test_large_and_oblong_grids_are_downsampled(tmp_path: Path) -> None:
    grid = GridSpec(
        crs=CRS,
        transform=GridSpec.centered_on(X0, Y0, crs=CRS, resolution=2.0, extent_m=10.0).transform,
        shape=(2301, 120),
    )
    xs, ys = grid.centers()
    d = np.hypot(xs[np.newaxis, :] - xs.mean(), ys[:, np.newaxis] - ys.mean())
    poa = poa_from_weights(grid, np.exp(-d / 800.0), rest_of_world=0.05, model="big")
    elevation = np.broadcast_to(ys[:, np.newaxis] / 10.0, grid.shape).copy()
    out = tmp_path / "big.png"
    render_preview(out, poa=poa, elevation=elevation, ipp_xy=(xs.mean(), ys.mean()), title="big")
    assert _png_size(out) == PREVIEW_SIZE_PX


def test_elevation_off_the_grid_is_refused_and_nothing_written(tmp_path: Path) -> None:
    poa = _poa()
    out = tmp_path / "p.png"
    with pytest.raises(InvalidParameterError, match="elevation"):
        render_preview(out, poa=poa, elevation=np.zeros((3, 3)), ipp_xy=(X0, Y0), title="x")
    with pytest.raises(InvalidParameterError, match="ipp_xy"):
        render_preview(out, poa=poa, elevation=None, ipp_xy=(X0, float("nan")), title="x")
    _assert_only(tmp_path)


def test_failing_write_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_savefig(self: Figure, fname: Any, **kwargs: Any) -> None:
        Path(fname).write_bytes(b"\x89PNG half a file")
        raise RuntimeError("disk full")

    monkeypatch.setattr(Figure, "savefig", broken_savefig)
    out = tmp_path / "p.png"
    with pytest.raises(RuntimeError, match="disk full"):
        render_preview(out, poa=_poa(), elevation=None, ipp_xy=(X0, Y0), title="x")
    _assert_only(tmp_path)


def test_failing_write_keeps_the_previous_preview(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "p.png"
    render_preview(out, poa=_poa(), elevation=None, ipp_xy=(X0, Y0), title="first")
    before = out.read_bytes()

    def broken_savefig(self: Figure, fname: Any, **kwargs: Any) -> None:
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(Figure, "savefig", broken_savefig)
    with pytest.raises(RuntimeError):
        render_preview(out, poa=_poa(), elevation=None, ipp_xy=(X0, Y0), title="second")
    assert out.read_bytes() == before
    _assert_only(tmp_path, "p.png")


def test_missing_directory_is_a_data_file_error(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="does not exist"):
        render_preview(
            tmp_path / "no" / "p.png", poa=_poa(), elevation=None, ipp_xy=(X0, Y0), title="x"
        )
