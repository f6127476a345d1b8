"""Tests for wayhome.search.coverage: coverage rasters from searchers' tracks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from wayhome.errors import InvalidParameterError
from wayhome.geo.coords import LonLat, lonlat_of, to_crs
from wayhome.geo.grid import GridSpec
from wayhome.io.gps import GpsTrack
from wayhome.search.coverage import coverage_from_tracks, tracks_to_grid_xy

CRS = "EPSG:32617"
CENTRE = to_crs(LonLat(lon=-84.25, lat=36.58), CRS)
GRID = GridSpec.centered_on(*CENTRE, crs=CRS, resolution=10.0, extent_m=3000.0)


def line(
    angle_deg: float, length: float, offset: tuple[float, float] = (0.0, 0.0)
) -> NDArray[np.float64]:
    """A straight track of ``length`` m through the grid centre (plus ``offset``)."""
    a = math.radians(angle_deg)
    u = np.array([math.cos(a), math.sin(a)])
    mid = np.array(CENTRE) + np.array(offset)
    return np.array([mid - u * length / 2, mid + u * length / 2])


def effort(cov: NDArray[np.float64]) -> float:
    return float(cov.sum()) * GRID.cell_area_m2


# ---------------------------------------------------------------------------- effort
@settings(max_examples=40, deadline=None)
@given(
    angle=st.floats(0.0, 180.0),
    dx=st.floats(-10.0, 10.0),
    dy=st.floats(-10.0, 10.0),
    width=st.sampled_from([10.0, 30.0, 64.0, 95.0]),
)
def test_straight_track_conserves_effort(angle: float, dx: float, dy: float, width: float) -> None:
    length = 1200.0
    cov = coverage_from_tracks(GRID, [line(angle, length, (dx, dy))], sweep_width_m=width)
    assert effort(cov) == pytest.approx(width * length, rel=0.01)
    assert float(cov.max()) <= 1.0 + 1e-12
    assert float(cov.min()) >= 0.0


def test_bent_track_conserves_effort_up_to_the_bend() -> None:
    # An L-shaped pass: 2 x 600 m at right angles. The round join adds the quarter disc
    # on the outside of the bend and the overlap on the inside takes away a square.
    w = 30.0
    c = np.array(CENTRE)
    xy = np.array([c + np.array([-600.0, 0.0]), c, c + np.array([0.0, 600.0])])
    cov = coverage_from_tracks(GRID, [xy], sweep_width_m=w)
    expected = w * 1200.0 + math.pi * (w / 2) ** 2 / 4 - (w / 2) ** 2
    assert effort(cov) == pytest.approx(expected, rel=0.01)


def test_axis_aligned_pass_gives_exact_fractions() -> None:
    # Along the centre row of cells with W = 30 m: the row and its two neighbours are
    # swept whole; with W = 25 m the neighbours are swept in 7.5/10 of their area.
    x0, y0 = GRID.xy(150, 100)
    xy = np.array([[x0 - 5.0, y0], [x0 + 495.0, y0]])  # starts and ends on cell edges
    for w, side in ((30.0, 1.0), (25.0, 0.75)):
        cov = coverage_from_tracks(GRID, [xy], sweep_width_m=w)
        np.testing.assert_allclose(cov[149:152, 100:150], [[side] * 50, [1.0] * 50, [side] * 50])
        assert cov[148, 100] == 0.0 and cov[150, 99] == 0.0 and cov[150, 150] == 0.0


# ---------------------------------------------------------------------------- overlap
def test_overlap_within_one_pass_counts_once_separate_passes_add() -> None:
    out, back = line(0.0, 800.0), line(0.0, 800.0, (0.0, 5.0))[::-1]
    there_and_back = np.concatenate([out, back])  # one pass, second leg 5 m inside the swath
    zigzag = coverage_from_tracks(GRID, [there_and_back], sweep_width_m=30.0)
    one = coverage_from_tracks(GRID, [out], sweep_width_m=30.0)
    two = coverage_from_tracks(GRID, [out, out], sweep_width_m=30.0)
    assert float(zigzag.max()) == pytest.approx(1.0)
    np.testing.assert_allclose(two, 2.0 * one)
    # the union of the two legs: a 35 m wide swath (plus the turn), not 2 x 30 m
    assert effort(zigzag) == pytest.approx(35.0 * 800.0, rel=0.02)
    assert effort(two) == pytest.approx(2 * 30.0 * 800.0, rel=0.01)


def test_per_track_sweep_widths() -> None:
    a, b = line(0.0, 500.0), line(90.0, 500.0)
    cov = coverage_from_tracks(GRID, [a, b], sweep_width_m=[30.0, 90.0])
    sep = coverage_from_tracks(GRID, [a], sweep_width_m=30.0)
    sep += coverage_from_tracks(GRID, [b], sweep_width_m=90.0)
    np.testing.assert_allclose(cov, sep)


# ---------------------------------------------------------------------------- degenerate
def test_zero_length_tracks_cover_nothing() -> None:
    p = np.array([CENTRE])
    tracks = [p, np.repeat(p, 5, axis=0), np.empty((0, 2))]
    cov = coverage_from_tracks(GRID, tracks, sweep_width_m=30.0)
    assert float(cov.sum()) == 0.0
    assert float(coverage_from_tracks(GRID, [], sweep_width_m=30.0).sum()) == 0.0
    assert tracks_to_grid_xy([], GRID) == ([], [])
    xy, warnings = tracks_to_grid_xy([lonlat_line(p)], GRID)
    np.testing.assert_allclose(xy[0], p, atol=1e-6)
    assert warnings == []


def test_repeated_points_do_not_change_coverage() -> None:
    xy = line(30.0, 600.0)
    stutter = np.repeat(np.array([xy[0], (xy[0] + xy[1]) / 2, xy[1]]), 3, axis=0)
    a = coverage_from_tracks(GRID, [xy], sweep_width_m=30.0)
    b = coverage_from_tracks(GRID, [stutter], sweep_width_m=30.0)
    np.testing.assert_allclose(a, b, atol=1e-12)


def test_tracks_leaving_the_grid_are_clipped() -> None:
    # 3 km long through a 3 km grid at 45 degrees: only the diagonal inside counts.
    xy = line(45.0, 6000.0)
    cov = coverage_from_tracks(GRID, [xy], sweep_width_m=30.0)
    inside = 3010.0 * math.sqrt(2.0)
    assert effort(cov) == pytest.approx(30.0 * inside, rel=0.02)
    far = np.array([[0.0, 0.0], [1.0e9, 1.0e9]])  # a GPS glitch far away: instant
    assert float(coverage_from_tracks(GRID, [far], sweep_width_m=30.0).sum()) == 0.0


@pytest.mark.parametrize(
    ("tracks", "width", "match"),
    [
        ([np.zeros((3, 3))], 30.0, r"tracks_xy: track 1 has shape \(3, 3\)"),
        ([np.array([[0.0, 0.0], [np.nan, 1.0]])], 30.0, r"point 2 of track 1 is not a number"),
        ([np.zeros((2, 2))], 0.0, r"sweep_width_m: must be a positive number"),
        ([np.zeros((2, 2))], [30.0, 30.0], r"sweep_width_m: 2 widths for 1 tracks"),
        ([np.zeros((2, 2))], [math.inf], r"sweep_width_m: .* got inf for track 1"),
    ],
)
def test_bad_arguments(
    tracks: list[NDArray[np.float64]], width: float | list[float], match: str
) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        coverage_from_tracks(GRID, tracks, sweep_width_m=width)


# ---------------------------------------------------------------------------- reprojection
def lonlat_line(xy: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.array([[p.lon, p.lat] for p in (lonlat_of(x, y, CRS) for x, y in xy)])


def test_tracks_to_grid_xy_round_trips_and_warns_with_counts() -> None:
    inside = line(0.0, 1000.0)
    half_out = np.array(np.array(CENTRE) + np.array([[0.0, 0.0], [3000.0, 0.0], [3000.0, 10.0]]))
    outside = np.array(CENTRE) + np.array([[5000.0, 5000.0], [5100.0, 5000.0]])
    tracks: list[GpsTrack | NDArray[np.float64]] = [
        GpsTrack("Team 1", lonlat_line(inside), None, "t.gpx"),
        GpsTrack("Team 2", lonlat_line(half_out), None, "t.gpx"),
        lonlat_line(outside),
    ]
    xy, warnings = tracks_to_grid_xy(tracks, GRID)
    assert len(xy) == 3
    np.testing.assert_allclose(xy[0], inside, atol=1e-6)
    assert xy[1].shape == (3, 2) and xy[2].shape == (0, 2)
    assert warnings == [
        "track 2 ('Team 2'): 2 of 3 points lie outside the grid; only the part inside counts",
        "track 3: lies wholly outside the grid; it adds no coverage",
    ]
    cov = coverage_from_tracks(GRID, xy, sweep_width_m=30.0)
    assert effort(cov) == pytest.approx(30.0 * (1000.0 + 1505.0), rel=0.02)


def test_tracks_to_grid_xy_drops_invalid_points() -> None:
    ll = lonlat_line(line(0.0, 100.0))
    bad = np.vstack([ll[:1], [[np.nan, 36.0]], [[10.0, 95.0]], ll[1:]])
    xy, warnings = tracks_to_grid_xy([bad], GRID)
    assert xy[0].shape == (2, 2)
    assert warnings == [
        "track 1: 2 of 4 points are not valid longitude/latitude positions and were dropped"
    ]
    with pytest.raises(InvalidParameterError, match=r"tracks: track 1 has shape \(4,\)"):
        tracks_to_grid_xy([np.zeros(4)], GRID)
