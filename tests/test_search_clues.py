"""Clue likelihoods: ranges, false clues, what each family raises and lowers, refusals."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import i0e, i1e

from wayhome.errors import InvalidParameterError
from wayhome.geo.coords import LonLat, lonlat_of, to_crs
from wayhome.geo.grid import GridSpec
from wayhome.probability.poa import POA, poa_from_weights
from wayhome.search.bayes import poa_after_likelihood
from wayhome.search.clues import (
    BearingClue,
    Clue,
    DirectionalClue,
    NegativeClue,
    PointClue,
    likelihood,
    von_mises_kappa,
)

CRS = "EPSG:32611"
CENTRE = LonLat(lon=-117.0, lat=34.0)
T0 = datetime(2024, 5, 1, 15, 0, tzinfo=UTC)
RES = 10.0


def _grid() -> GridSpec:
    x, y = to_crs(CENTRE, CRS)
    return GridSpec.centered_on(x, y, crs=CRS, resolution=RES, extent_m=400.0)


def _prior(grid: GridSpec) -> POA:
    return poa_from_weights(grid, np.ones(grid.shape), rest_of_world=0.1, model="flat")


def _offset(dx: float, dy: float) -> LonLat:
    """The point dx metres east and dy metres north (grid) of the centre."""
    x, y = to_crs(CENTRE, CRS)
    return lonlat_of(x + dx, y + dy, CRS)


def _corner_polygon(grid: GridSpec, rows: slice, cols: slice) -> tuple[tuple[float, float], ...]:
    """Lon/lat outline of a block of whole cells."""
    left, _, _, top = grid.bounds
    x0, x1 = left + cols.start * RES, left + cols.stop * RES
    y0, y1 = top - rows.stop * RES, top - rows.start * RES
    corners = [lonlat_of(x, y, CRS) for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))]
    return tuple((p.lon, p.lat) for p in corners)


def _item(confidence: float) -> PointClue:
    return PointClue(
        kind="item", at=_offset(40, -30), time=T0, radius_m=25.0, confidence=confidence
    )


def _dog(confidence: float) -> DirectionalClue:
    return DirectionalClue(
        kind="dog_alert",
        at=_offset(-50, 0),
        time=T0,
        bearing_deg=45.0,
        spread_deg=20.0,
        range_m=120.0,
        confidence=confidence,
    )


def _call(confidence: float) -> BearingClue:
    """A call heard by a listener at the centre, from the east, carrying 150 m."""
    return BearingClue(
        at=CENTRE,
        time=T0,
        bearing_deg=90.0,
        spread_deg=15.0,
        max_range_m=150.0,
        confidence=confidence,
    )


def _clues(confidence: float) -> list[Clue]:
    return [_item(confidence), _dog(confidence), _call(confidence)]


GRID = _grid()
CLUE_IDS = ["point", "directional", "sound"]


@pytest.mark.parametrize("clue", _clues(0.8), ids=CLUE_IDS)
def test_likelihoods_are_in_unit_interval(clue: Clue) -> None:
    cells, row = likelihood(clue, GRID)
    assert cells.shape == GRID.shape
    assert cells.dtype == np.float64
    assert np.all(np.isfinite(cells))
    assert float(cells.min()) >= 1.0 - 0.8 - 1e-12
    assert float(cells.max()) <= 1.0
    assert math.isclose(float(cells.max()), 1.0, abs_tol=0.05)  # the clue's own best cells
    assert 0.0 <= row <= 1.0


@pytest.mark.parametrize("index", range(3), ids=CLUE_IDS)
@given(confidence=st.floats(min_value=1e-12, max_value=1.0))
@settings(max_examples=25, deadline=None)
def test_a_false_clue_changes_nothing_in_the_limit(index: int, confidence: float) -> None:
    # L = c·L_true + (1 − c): within c of 1 everywhere, and in [0, 1].
    cells, row = likelihood(_clues(confidence)[index], GRID)
    assert float(np.abs(cells - 1.0).max()) <= confidence + 1e-12
    assert abs(row - 1.0) <= confidence + 1e-12
    assert float(cells.min()) >= 0.0
    assert float(cells.max()) <= 1.0


@pytest.mark.parametrize(
    "polygon",
    [
        ((-179.0, 0.0), (-170.0, 0.0), (-175.0, 10.0)),  # projects to infinity in UTM 11
        ((100.0, 0.0), (110.0, 0.0), (105.0, 10.0)),  # finite but far away
    ],
    ids=["projects-to-inf", "far-away"],
)
def test_a_cleared_polygon_far_from_the_map_is_outside_the_map(
    polygon: tuple[tuple[float, float], ...],
) -> None:
    clue = NegativeClue(polygon=polygon, time=T0, pod=0.7)
    with pytest.raises(InvalidParameterError, match="outside the map"):
        likelihood(clue, GRID)


def test_negative_clue_likelihood_is_one_minus_pod_inside() -> None:
    clue = NegativeClue(
        polygon=_corner_polygon(GRID, slice(5, 15), slice(10, 20)), time=T0, pod=0.7
    )
    cells, row = likelihood(clue, GRID)
    inside = np.zeros(GRID.shape, dtype=bool)
    inside[5:15, 10:20] = True
    np.testing.assert_allclose(cells[inside], 0.3, atol=1e-6)
    np.testing.assert_allclose(cells[~inside], 1.0, atol=1e-6)
    assert row == 1.0


def test_negative_clue_on_part_of_a_cell_scales_by_the_area() -> None:
    x, y = GRID.xy(20, 20)
    half = tuple(
        (p.lon, p.lat)
        for p in (
            lonlat_of(x - 5, y - 5, CRS),
            lonlat_of(x, y - 5, CRS),
            lonlat_of(x, y + 5, CRS),
            lonlat_of(x - 5, y + 5, CRS),
        )
    )
    cells, _ = likelihood(NegativeClue(polygon=half, time=T0, pod=1.0), GRID)
    assert cells[20, 20] == pytest.approx(0.5, abs=1e-6)
    assert float(np.delete(cells.ravel(), 20 * 41 + 20).min()) == pytest.approx(1.0, abs=1e-6)


@given(pod=st.floats(min_value=0.0, max_value=0.99), rows=st.integers(1, 40))
@settings(max_examples=30, deadline=None)
def test_negative_clue_update_is_the_search_theory_formula(pod: float, rows: int) -> None:
    grid = GRID
    weights = np.add.outer(np.arange(41.0), np.arange(41.0)) + 1.0
    prior = poa_from_weights(grid, weights, rest_of_world=0.05, model="ramp")
    clue = NegativeClue(
        polygon=_corner_polygon(grid, slice(0, rows), slice(3, 30)), time=T0, pod=pod
    )
    cells, row = likelihood(clue, grid)
    post = poa_after_likelihood(prior, cells, rest_of_world=row)
    inside = np.zeros(grid.shape, dtype=bool)
    inside[:rows, 3:30] = True
    searched = float(prior.cells[inside].sum())
    scale = 1.0 / (1.0 - pod * searched)
    # POA'ᵢ = POAᵢ(1 − POD)/(1 − POD·ΣPOA_in) inside, POAᵢ/(1 − POD·ΣPOA_in) outside.
    np.testing.assert_allclose(
        post.cells[inside], prior.cells[inside] * (1 - pod) * scale, rtol=1e-6, atol=1e-15
    )
    np.testing.assert_allclose(post.cells[~inside], prior.cells[~inside] * scale, rtol=1e-6)
    assert post.rest_of_world == pytest.approx(prior.rest_of_world * scale, rel=1e-6)


def test_point_clue_raises_cells_near_it_relative_to_far_cells() -> None:
    prior = _prior(GRID)
    clue = _item(0.9)
    cells, row = likelihood(clue, GRID)
    post = poa_after_likelihood(prior, cells, rest_of_world=row)
    near = GRID.index(*to_crs(clue.at, CRS))
    far = (0, 40)
    assert post.cells[near] > prior.cells[near]
    assert post.cells[far] < prior.cells[far]
    ratio_before = prior.cells[near] / prior.cells[far]
    ratio_after = post.cells[near] / post.cells[far]
    assert ratio_after > 5 * ratio_before
    assert post.cells.sum() + post.rest_of_world == pytest.approx(1.0, abs=1e-12)


def test_point_clue_smaller_than_a_cell_still_lands_on_its_cell() -> None:
    x, y = GRID.xy(7, 9)
    at = lonlat_of(x + 4.9, y + 4.9, CRS)  # near a corner of cell (7, 9)
    cells, _ = likelihood(
        PointClue(kind="footprint", at=at, time=T0, radius_m=0.5, confidence=1.0), GRID
    )
    assert tuple(int(i) for i in np.unravel_index(int(np.argmax(cells)), GRID.shape)) in {
        (6, 9),
        (7, 9),
        (6, 10),
        (7, 10),
    }
    assert float(cells.max()) == 1.0  # as strong as a clue at a cell centre


def test_sound_wedge_raises_nothing_behind_the_listener() -> None:
    prior = _prior(GRID)
    clue = _call(0.95)
    cells, row = likelihood(clue, GRID)
    post = poa_after_likelihood(prior, cells, rest_of_world=row)
    xs, _ = GRID.centers()
    x0, _ = to_crs(CENTRE, CRS)
    behind = np.broadcast_to(xs < x0 - RES, GRID.shape)  # west of a listener facing east
    assert np.all(post.cells[behind] <= prior.cells[behind] * (1 + 1e-12))
    ahead = GRID.index(x0 + 100.0, to_crs(CENTRE, CRS)[1])
    assert post.cells[ahead] > 3 * prior.cells[ahead]
    beyond = GRID.index(x0 + 190.0, to_crs(CENTRE, CRS)[1])  # past the 150 m it carries
    assert post.cells[beyond] < prior.cells[beyond]


def test_directional_wedge_points_along_the_bearing() -> None:
    clue = _dog(1.0)
    cells, _ = likelihood(clue, GRID)
    x, y = to_crs(clue.at, CRS)
    d = 70.0 / math.sqrt(2.0)
    along = cells[GRID.index(x + d, y + d)]  # 45°: north-east
    across = cells[GRID.index(x + d, y - d)]  # 135°: south-east
    assert along > 0.5
    assert across < 0.05


def test_bearings_are_true_bearings_not_grid_bearings() -> None:
    # At 45°N, 3° east of zone 11's central meridian, grid north is ~2° off true north.
    at = LonLat(lon=-114.0, lat=45.0)
    x, y = to_crs(at, CRS)
    grid = GridSpec.centered_on(x, y, crs=CRS, resolution=10.0, extent_m=2_400.0)
    clue = DirectionalClue(
        kind="scent_track",
        at=at,
        time=T0,
        bearing_deg=0.0,
        spread_deg=1.0,
        range_m=100_000.0,
        confidence=1.0,
    )
    cells, _ = likelihood(clue, grid)
    true_north = grid.index(*to_crs(LonLat(lon=-114.0, lat=45.009), CRS))
    grid_north = grid.index(x, y + 1_000.0)
    assert true_north != grid_north
    assert cells[true_north] > 0.8
    assert cells[grid_north] < 0.3


def test_von_mises_kappa_matches_the_wrapped_normal_spread() -> None:
    for spread in (1.0, 10.0, 45.0, 120.0):
        kappa = von_mises_kappa(spread)
        assert float(i1e(kappa) / i0e(kappa)) == pytest.approx(
            math.exp(-(math.radians(spread) ** 2) / 2), rel=1e-9
        )


@pytest.mark.parametrize(
    "clue",
    [
        PointClue(kind="item", at=_offset(5_000, 0), time=T0, radius_m=20.0, confidence=0.9),
        DirectionalClue(
            kind="dog_alert",
            at=_offset(0, -900),
            time=T0,
            bearing_deg=0.0,
            spread_deg=20.0,
            range_m=2_000.0,
            confidence=0.5,
        ),
        BearingClue(at=_offset(-300, 0), time=T0, bearing_deg=90.0, spread_deg=10.0, confidence=1),
        NegativeClue(polygon=((-116.0, 34.0), (-115.99, 34.0), (-115.99, 34.01)), time=T0, pod=0.8),
    ],
    ids=["point", "directional", "sound", "cleared"],
)
def test_a_clue_outside_the_map_is_refused(clue: Clue) -> None:
    with pytest.raises(InvalidParameterError, match=r"^clue: .* outside the map"):
        likelihood(clue, GRID)


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (
            lambda: PointClue(kind="item", at=CENTRE, time=T0, radius_m=1, confidence=0),
            "confidence",
        ),
        (lambda: PointClue(kind="boot", at=CENTRE, time=T0, radius_m=1, confidence=1), "kind"),  # type: ignore[arg-type]
        (
            lambda: PointClue(
                kind="item", at=CENTRE, time=datetime(2024, 5, 1), radius_m=1, confidence=1
            ),
            "time",
        ),
        (lambda: PointClue(kind="item", at=CENTRE, time=T0, radius_m=-3, confidence=1), "radius_m"),
        (
            lambda: BearingClue(at=CENTRE, time=T0, bearing_deg=360, spread_deg=5, confidence=1),
            "bearing_deg",
        ),
        (
            lambda: BearingClue(at=CENTRE, time=T0, bearing_deg=10, spread_deg=0, confidence=1),
            "spread_deg",
        ),
        (
            lambda: NegativeClue(
                polygon=((0.0, 0.0), (1.0, 1.0), (1.0, 0.0), (0.0, 1.0)), time=T0, pod=0.5
            ),
            "polygon",
        ),
        (lambda: NegativeClue(polygon=((0, 0), (1, 0), (1, 1)), time=T0, pod=1.5), "pod"),
    ],
)
def test_bad_clues_name_the_field(make: Callable[[], object], field: str) -> None:
    with pytest.raises(InvalidParameterError, match=rf"^{field}: "):
        make()
