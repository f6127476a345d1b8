"""Web-mercator tiles of :mod:`wayhome.basemap.tiles`: placement, ramps, transparency, PNG."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from wayhome.basemap import (
    HEAT_DECADES,
    TILE_SIZE,
    MercatorPyramid,
    blank_png,
    encode_png,
    heat_png,
    heat_rgba,
    shade_png,
    shade_rgba,
    tile_bounds,
    tiles_over,
)
from wayhome.errors import InvalidParameterError
from wayhome.geo.coords import LonLat, to_crs
from wayhome.geo.grid import GridSpec

CRS = "EPSG:32616"
#: A 6 km grid of 10 m cells (three pyramid levels); its north-west corner.
N, RES, WEST, NORTH = 600, 10.0, 740_000.0, 4_052_000.0
GRID = GridSpec(crs=CRS, transform=Affine(RES, 0, WEST, 0, -RES, NORTH), shape=(N, N))


@pytest.fixture(scope="module")
def ramp() -> MercatorPyramid:
    """Values 0..1 rising west to east (levels made as tiles need them)."""
    values = np.tile(np.linspace(0.0, 1.0, N, dtype=np.float32), (N, 1))
    return MercatorPyramid.from_grid(values, GRID)


def _lonlat_bounds() -> tuple[float, float, float, float]:
    from rasterio.warp import transform_bounds

    w, s, e, n = transform_bounds(CRS, "EPSG:4326", *GRID.bounds)
    return (w, s, e, n)


def test_the_pyramid_halves_until_one_tile_and_warps_a_level_when_a_tile_needs_it() -> None:
    values = np.tile(np.linspace(0.0, 1.0, N, dtype=np.float32), (N, 1))
    pyramid = MercatorPyramid.from_grid(values, GRID)
    assert pyramid.n_levels == 3  # 600, 300, 150 cells a side
    assert pyramid.nbytes == values.nbytes  # nothing warped yet
    # Ground size kept: a 10 m cell is 10 / cos(lat) mercator metres, twice that a level up.
    lat = math.radians(36.57)
    assert pyramid.pixel_size(0) == pytest.approx(RES / math.cos(lat), rel=1e-3)
    assert pyramid.pixel_size(2) == pytest.approx(4 * pyramid.pixel_size(0))
    # A tile whose pixels are ~40 m (z12) uses level 1 (~25 m): only levels 0..1 are made.
    (z, x, y), *_ = tiles_over(_lonlat_bounds(), 12)
    pyramid.tile(z, x, y)
    top, transform = pyramid.level(1)
    assert transform.a == pytest.approx(pyramid.pixel_size(1))
    assert pyramid.nbytes == values.nbytes + values.nbytes // 4 + top.nbytes
    shown = top[np.isfinite(top)]
    assert shown.min() >= 0.0 and shown.max() <= 1.0 and shown.mean() == pytest.approx(0.5, 0.05)


def test_a_derived_pyramid_derives_each_level_from_its_averaged_values() -> None:
    seen: list[tuple[tuple[int, ...], float]] = []

    def derive(v: np.ndarray, cell: float) -> np.ndarray:
        seen.append((v.shape, cell))
        return np.full_like(v, cell)

    pyramid = MercatorPyramid.from_grid(np.zeros(GRID.shape), GRID, derive=derive)
    level, _ = pyramid.level(2)
    assert seen == [((150, 150), 40.0)]
    assert set(np.unique(level[np.isfinite(level)])) == {40.0}


@given(st.integers(11, 18), st.data())
@settings(max_examples=40, deadline=None)
def test_tile_values_stay_within_the_source_range(
    ramp: MercatorPyramid, z: int, data: st.DataObject
) -> None:
    tiles = list(tiles_over(_lonlat_bounds(), z))
    tile = ramp.tile(*data.draw(st.sampled_from(tiles)))
    assert tile.shape == (TILE_SIZE, TILE_SIZE) and tile.dtype == np.float32
    shown = tile[np.isfinite(tile)]  # none in a corner of the bounds (UTM is turned)
    assert ((shown >= -1e-6) & (shown <= 1.0 + 1e-6)).all()  # bilinear: no overshoot


@given(st.integers(8, 18), st.integers(-40, 40), st.integers(-40, 40))
@settings(max_examples=60, deadline=None)
def test_a_tile_away_from_the_grid_is_fully_transparent(
    ramp: MercatorPyramid, z: int, dx: int, dy: int
) -> None:
    _z0, x0, y0 = next(iter(tiles_over(_lonlat_bounds(), z)))
    span = len({t[1] for t in tiles_over(_lonlat_bounds(), z)}) + 1
    x, y = x0 + (span + abs(dx)) * (1 if dx >= 0 else -1), y0 + dy
    if not (0 <= x < 2**z and 0 <= y < 2**z):
        return
    assert not ramp.covers(z, x, y)
    tile = ramp.tile(z, x, y)
    assert np.isnan(tile).all()
    assert (shade_rgba(tile)[..., 3] == 0).all()
    assert (heat_rgba(tile, 1.0)[..., 3] == 0).all()


def test_a_tile_puts_a_cell_where_it_is_on_the_earth() -> None:
    # One hot cell; find its pixel in a z17 tile (about 1 m pixels) and compare.
    values = np.zeros(GRID.shape, dtype=np.float32)
    values[420, 170] = 1.0
    pyramid = MercatorPyramid.from_grid(values, GRID)
    x, y = WEST + 170.5 * RES, NORTH - 420.5 * RES
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True).transform(x, y)
    (z, tx, ty), *_ = tiles_over((lon, lat, lon, lat), 17)
    tile = pyramid.tile(z, tx, ty)
    row, col = np.unravel_index(int(np.nanargmax(tile)), tile.shape)
    left, _bottom, right, top = tile_bounds(z, tx, ty)
    px = (right - left) / TILE_SIZE
    mx, my = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True).transform(lon, lat)
    # Within a cell (10 m is about 12.5 mercator metres here) of where it should be.
    assert abs(left + (col + 0.5) * px - mx) < 12.5 and abs(top - (row + 0.5) * px - my) < 12.5
    assert to_crs(LonLat(lon=lon, lat=lat), CRS) == pytest.approx((x, y), abs=1e-3)


@given(arrays(np.float64, (6, 7), elements=st.one_of(st.floats(-0.5, 1.5), st.just(math.nan))))
def test_the_hillshade_ramp_is_opaque_paper_where_there_is_data(shade: np.ndarray) -> None:
    rgba = shade_rgba(shade)
    assert rgba.dtype == np.uint8 and rgba.shape == (6, 7, 4)
    ok = np.isfinite(shade)
    assert (rgba[..., 3] == np.where(ok, 255, 0)).all()
    assert (rgba[~ok] == 0).all()
    grey = rgba[..., 0][ok]
    assert ((grey >= round(0.4 * 243)) & (grey <= 243)).all()
    lighter = np.clip(shade, 0, 1)
    order = np.argsort(lighter[ok], kind="stable")
    assert (np.diff(grey[order].astype(int)) >= 0).all()  # more light, lighter


@given(
    arrays(np.float64, (5, 9), elements=st.one_of(st.floats(0.0, 1e-2), st.just(math.nan))),
    st.floats(1e-6, 1e-2),
)
@settings(max_examples=150)
def test_the_heat_ramp_is_transparent_below_a_thousandth_of_the_peak(
    values: np.ndarray, peak: float
) -> None:
    rgba = heat_rgba(values, peak)
    alpha = rgba[..., 3].astype(int)
    with np.errstate(invalid="ignore"):
        faint = ~(values >= peak * 10**-HEAT_DECADES * (1 + 1e-9))
        strong = values >= peak * 10**-HEAT_DECADES * (1 - 1e-9)
    assert (alpha[faint & ~strong] == 0).all()
    assert ((alpha[strong] >= 76) & (alpha[strong] <= 217)).all()
    # More probable: at least as opaque and at least as dark.
    flat_v, flat_a = values[strong], alpha[strong]
    lum = rgba[..., :3].astype(int).sum(axis=2)[strong]
    order = np.argsort(flat_v, kind="stable")
    assert (np.diff(flat_a[order]) >= 0).all() and (np.diff(lum[order]) <= 0).all()
    assert (heat_rgba(values, 0.0) == 0).all()


def test_png_round_trips_and_the_blank_tile_is_transparent() -> None:
    rgba = np.zeros((TILE_SIZE, TILE_SIZE, 4), dtype=np.uint8)
    rgba[10:20, 30:40] = (200, 100, 50, 180)
    image = np.asarray(Image.open(io.BytesIO(encode_png(rgba))))
    assert np.array_equal(image, rgba)
    blank = Image.open(io.BytesIO(blank_png())).convert("RGBA")
    assert blank.size == (TILE_SIZE, TILE_SIZE) and not np.asarray(blank)[..., 3].any()
    with pytest.raises(InvalidParameterError, match="rgba"):
        encode_png(np.zeros((4, 4, 3), dtype=np.uint8))


@given(arrays(np.float64, (16, 16), elements=st.one_of(st.floats(0.0, 1e-3), st.just(math.nan))))
@settings(max_examples=40)
def test_the_palette_pngs_have_the_colours_of_the_ramps(values: np.ndarray) -> None:
    def decoded(png: bytes) -> np.ndarray:
        image = Image.open(io.BytesIO(png))
        assert image.mode == "P" and image.size == (16, 16)
        return np.asarray(image.convert("RGBA"))

    assert np.array_equal(decoded(heat_png(values, 1e-3)), heat_rgba(values, 1e-3))
    shade = values * 1000.0
    assert np.array_equal(decoded(shade_png(shade)), shade_rgba(shade))


def test_tile_bounds_refuses_a_tile_that_does_not_exist() -> None:
    with pytest.raises(InvalidParameterError, match="tile: 3/8/0"):
        tile_bounds(3, 8, 0)
    assert tile_bounds(0, 0, 0)[2] == pytest.approx(20037508.34, abs=0.01)


def test_a_512_px_tile_is_the_ground_of_the_256_px_tile_at_twice_the_pixels(
    ramp: MercatorPyramid,
) -> None:
    (z, x, y), *_ = tiles_over(_lonlat_bounds(), 14)
    small, large = ramp.tile(z, x, y), ramp.tile(z, x, y, 512)
    assert small.shape == (TILE_SIZE, TILE_SIZE) and large.shape == (512, 512)
    # Each 256 px pixel covers 2 x 2 of the 512 px tile's: their means agree (a smooth ramp).
    halved = large.reshape(256, 2, 256, 2).mean(axis=(1, 3))
    both = np.isfinite(small) & np.isfinite(halved)
    assert both.sum() > 1000
    assert np.allclose(small[both], halved[both], atol=0.02)
    blank = Image.open(io.BytesIO(blank_png(512))).convert("RGBA")
    assert blank.size == (512, 512) and not np.asarray(blank)[..., 3].any()
    for bad in (128, 300):
        with pytest.raises(InvalidParameterError, match="size: a tile is 256 or 512"):
            ramp.tile(z, x, y, bad)
