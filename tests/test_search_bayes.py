"""Tests for wayhome.search.bayes: the POA after searching, and segment POD."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.typing import NDArray

from wayhome.errors import InvalidParameterError
from wayhome.geo.grid import GridSpec
from wayhome.probability.poa import POA, poa_from_weights
from wayhome.search.bayes import poa_after_likelihood, poa_after_search, segment_pod

GRID = GridSpec.centered_on(0.0, 0.0, crs="EPSG:32631", resolution=10.0, extent_m=40.0)  # 5x5
SHAPE = GRID.shape

# (weights far below 1e-300 overflow poa_from_weights' normalisation: not this module's)
weights_st = arrays(np.float64, SHAPE, elements=st.just(0.0) | st.floats(1e-6, 100.0))
pod_st = arrays(np.float64, SHAPE, elements=st.floats(0.0, 1.0))
row_st = st.floats(0.0, 0.9)


def make_poa(weights: NDArray[np.float64], row: float) -> POA:
    return poa_from_weights(GRID, weights, rest_of_world=row, model="test")


# ---------------------------------------------------------------------------- properties
@settings(max_examples=200, deadline=None)
@given(weights=weights_st, pod=pod_st, row=row_st)
def test_unsuccessful_search_moves_mass_never_creates_it(
    weights: NDArray[np.float64], pod: NDArray[np.float64], row: float
) -> None:
    before = make_poa(weights, row)
    found = float((before.cells * pod).sum())
    if 1.0 - found < 1e-9:  # a certain find: refused, tested below
        return
    after = poa_after_search(before, pod)
    assert float(after.cells.sum()) + after.rest_of_world == pytest.approx(1.0, abs=1e-9)
    factor = 1.0 / (1.0 - found)
    held = before.cells > 0.0
    ratio = after.cells[held] / before.cells[held]
    # no cell grows by more than the renormalisation, and each grows by exactly
    # (1 - pod) times it: the more a cell was searched, the less it keeps
    assert (ratio <= factor * (1.0 + 1e-9)).all()
    np.testing.assert_allclose(ratio, (1.0 - pod[held]) * factor, rtol=1e-9)
    assert after.rest_of_world == pytest.approx(before.rest_of_world * factor, rel=1e-9)
    order = np.argsort(pod[held], kind="stable")
    assert (np.diff(ratio[order]) <= 1e-9 * factor).all()
    assert ((after.cells == 0.0) | held).all()  # nothing appears where there was nothing


@settings(max_examples=100, deadline=None)
@given(weights=weights_st, row=row_st)
def test_pod_zero_is_the_identity(weights: NDArray[np.float64], row: float) -> None:
    before = make_poa(weights, row)
    after = poa_after_search(before, np.zeros(SHAPE))
    np.testing.assert_allclose(after.cells, before.cells, rtol=1e-12, atol=1e-300)
    assert after.rest_of_world == pytest.approx(before.rest_of_world, rel=1e-12, abs=1e-300)


@settings(max_examples=100, deadline=None)
@given(weights=weights_st, lik=pod_st, lik_row=st.floats(0.0, 1.0), row=row_st)
def test_likelihood_update_is_bayes(
    weights: NDArray[np.float64], lik: NDArray[np.float64], lik_row: float, row: float
) -> None:
    before = make_poa(weights, row)
    total = float((before.cells * lik).sum()) + before.rest_of_world * lik_row
    if total < 1e-12:
        return
    after = poa_after_likelihood(before, lik * 7.0, rest_of_world=lik_row * 7.0)  # scale-free
    np.testing.assert_allclose(after.cells, before.cells * lik / total, rtol=1e-9, atol=1e-15)
    # an unsuccessful search with POD 1 - lik is the likelihood lik, 1 outside the grid
    if float((before.cells * lik).sum()) + before.rest_of_world > 1e-9:
        a = poa_after_search(before, 1.0 - lik)
        b = poa_after_likelihood(before, lik, rest_of_world=1.0)
        np.testing.assert_allclose(a.cells, b.cells, rtol=1e-9, atol=1e-15)


# ---------------------------------------------------------------------------- examples
def test_pod_one_zeroes_the_cell() -> None:
    before = make_poa(np.ones(SHAPE), 0.2)
    pod = np.zeros(SHAPE)
    pod[2, 2] = 1.0
    after = poa_after_search(before, pod)
    assert after.cells[2, 2] == 0.0
    assert after.cells[0, 0] == pytest.approx(0.8 / 25 / (1 - 0.8 / 25))


def test_uniform_pod_over_one_segment_matches_the_segment_formula() -> None:
    # Segment = left 2 columns (10 cells) holding 40 % of the map, POD 0.6 there:
    # POA'_seg = 0.4 (1 - 0.6) / (1 - 0.4 * 0.6) and everything else / (1 - 0.24).
    weights = np.ones(SHAPE)
    weights[:, :2] = 40.0 / 10.0
    weights[:, 2:] = 40.0 / 15.0
    before = make_poa(weights, 0.2)
    seg = np.zeros(SHAPE, dtype=bool)
    seg[:, :2] = True
    assert float(before.cells[seg].sum()) == pytest.approx(0.4)
    pod = np.where(seg, 0.6, 0.0)
    after = poa_after_search(before, pod)
    denom = 1.0 - 0.4 * 0.6
    assert float(after.cells[seg].sum()) == pytest.approx(0.4 * 0.4 / denom)
    assert float(after.cells[~seg].sum()) == pytest.approx(0.4 / denom)
    assert after.rest_of_world == pytest.approx(0.2 / denom)
    labels = np.where(seg, 0, 1).astype(np.int32)
    np.testing.assert_allclose(segment_pod(before, pod, labels, 2), [0.6, 0.0])
    assert after.model == "test" and after.notes[-1].startswith(
        "unsuccessful search: removed 24.0%"
    )


def test_segment_pod_weights_by_probability() -> None:
    weights = np.zeros(SHAPE)
    weights[0, 0], weights[0, 1] = 3.0, 1.0
    before = make_poa(weights, 0.0)
    pod = np.zeros(SHAPE)
    pod[0, 0], pod[0, 1], pod[4, 4] = 1.0, 0.0, 0.5
    labels = np.full(SHAPE, -1, dtype=np.int32)
    labels[0, :2] = 0
    labels[4, 3:] = 1  # holds no probability: plain mean of its cells' POD
    out = segment_pod(before, pod, labels, 3)
    assert out[0] == pytest.approx(0.75) and out[1] == pytest.approx(0.25)
    assert np.isnan(out[2])  # no cells


def test_certain_find_is_refused() -> None:
    before = make_poa(np.ones(SHAPE), 0.0)
    with pytest.raises(InvalidParameterError, match="pod: the search had POD 1 wherever"):
        poa_after_search(before, np.ones(SHAPE))
    # with rest of world, the same search moves everything outside
    after = poa_after_search(make_poa(np.ones(SHAPE), 0.1), np.ones(SHAPE))
    assert after.rest_of_world == 1.0 and float(after.cells.sum()) == 0.0


def test_likelihood_that_rules_out_everywhere_is_refused() -> None:
    before = make_poa(np.ones(SHAPE), 0.1)
    with pytest.raises(InvalidParameterError, match="likelihood: the clue rules out everywhere"):
        poa_after_likelihood(before, np.zeros(SHAPE), rest_of_world=0.0)
    after = poa_after_likelihood(before, np.zeros(SHAPE), rest_of_world=0.5)
    assert after.rest_of_world == 1.0


@pytest.mark.parametrize(
    ("pod", "match"),
    [
        (np.zeros((2, 2)), r"pod: shape \(2, 2\) does not match the grid \(5, 5\)"),
        (np.full(SHAPE, np.nan), r"pod: must be a finite number"),
        (np.full(SHAPE, 1.5), r"pod: must be in \[0, 1\]"),
        (np.full(SHAPE, -0.1), r"pod: must be in \[0, 1\]"),
    ],
)
def test_bad_pod(pod: NDArray[np.float64], match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        poa_after_search(make_poa(np.ones(SHAPE), 0.1), pod)


def test_bad_likelihood_and_labels() -> None:
    before = make_poa(np.ones(SHAPE), 0.1)
    with pytest.raises(InvalidParameterError, match="likelihood: must be non-negative"):
        poa_after_likelihood(before, np.full(SHAPE, -1.0), rest_of_world=1.0)
    with pytest.raises(InvalidParameterError, match="rest_of_world: the likelihood outside"):
        poa_after_likelihood(before, np.ones(SHAPE), rest_of_world=float("nan"))
    labels = np.full(SHAPE, 2, dtype=np.int32)
    with pytest.raises(InvalidParameterError, match="labels: segment 2 found, but n is 2"):
        segment_pod(before, np.zeros(SHAPE), labels, 2)
    with pytest.raises(InvalidParameterError, match="n: must be at least 1"):
        segment_pod(before, np.zeros(SHAPE), labels, 0)
    with pytest.raises(InvalidParameterError, match="labels: must be integers"):
        segment_pod(before, np.zeros(SHAPE), labels.astype(np.float64), 3)
