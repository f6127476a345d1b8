"""Scoring maps against finds."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from wayhome.evaluation import score_case, score_map, summarise
from wayhome.geo.grid import GridSpec
from wayhome.io.cases import read_cases
from wayhome.probability.poa import poa_from_weights


def _toy() -> tuple[GridSpec, np.ndarray]:
    g = GridSpec.centered_on(0.0, 0.0, crs="EPSG:32631", resolution=100.0, extent_m=200.0)
    w = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])
    return g, w


def test_score_map_counts_higher_cells_and_ties_half() -> None:
    g, w = _toy()
    poa = poa_from_weights(g, w, rest_of_world=0.0, model="toy")
    area, mass, log_d, r, inside = score_map(poa, g.xy(1, 1))  # value 5: 4 cells higher
    assert inside
    assert area == pytest.approx(4.5 * 0.01)
    assert mass == pytest.approx((6 + 7 + 8 + 9 + 0.5 * 5) / 45.0)
    assert log_d == pytest.approx(math.log((5 / 45.0) / 0.01))
    assert r == pytest.approx((0.5 - 4.5 / 9) / 0.5)
    best = score_map(poa, g.xy(2, 2))
    assert best[0] < area and best[3] > r


def test_find_outside_the_box_scores_worst() -> None:
    g, w = _toy()
    poa = poa_from_weights(g, w, rest_of_world=0.2, model="toy")
    area, _, _, r, inside = score_map(poa, (5_000.0, 0.0))
    assert not inside and r == -1.0 and area == pytest.approx(0.09)


def test_real_cases_score(shared_data: Path) -> None:
    cases = [c for c in read_cases(shared_data / "cases/cases.csv") if c.split == "test"][:3]
    scores = [s for c in cases for s in score_case(c, ["rings", "terrain"])]
    assert len(scores) == 6
    for s in scores:
        # a closer find must never cost more area than the whole box
        assert 0.0 <= s.area_km2 <= 625.1 and -1.0 <= s.mapscore <= 1.0
        assert 0.0 <= s.mass <= 1.0
        # straight-line rings: area before find is about a disk of the find distance
        if s.model == "rings" and s.inside:
            assert s.area_km2 == pytest.approx(math.pi * s.distance_km**2, rel=0.15)
    summ = summarise(scores, "test")
    assert {x.model for x in summ} == {"rings", "terrain"}
