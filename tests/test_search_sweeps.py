"""Parallel sweep paths cover their segment."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import affinity
from shapely.geometry import LineString, Polygon, box

from wayhome.errors import InvalidParameterError
from wayhome.search.sweeps import sweep_path, sweep_spacing_m


@settings(max_examples=30, deadline=None)
@given(
    w=st.floats(150.0, 1200.0),
    h=st.floats(150.0, 900.0),
    angle=st.floats(0.0, 180.0),
    spacing=st.floats(20.0, 80.0),
)
def test_sweep_covers_the_segment(w: float, h: float, angle: float, spacing: float) -> None:
    seg = affinity.rotate(box(0.0, 0.0, w, h), angle, origin="centroid")
    path = sweep_path(seg, spacing, step_m=5.0)
    swath = LineString(path).buffer(spacing / 2.0 + 1.0)
    assert swath.intersection(seg).area / seg.area > 0.97
    # the path stays inside the segment (up to the densification step)
    assert LineString(path).difference(seg.buffer(1.0)).length < 1e-6


def test_concave_segment_is_covered() -> None:
    seg = Polygon(
        [(0, 0), (600, 0), (600, 600), (400, 600), (400, 200), (200, 200), (200, 600), (0, 600)]
    )
    path = sweep_path(seg, 40.0)
    swath = LineString(path).buffer(21.0)
    assert swath.intersection(seg).area / seg.area > 0.95


def test_bad_sweeps_refused() -> None:
    with pytest.raises(InvalidParameterError, match="spacing"):
        sweep_path(box(0, 0, 10, 10), 0.0)
    with pytest.raises(InvalidParameterError, match="zero area"):
        sweep_path(Polygon(), 10.0)
    with pytest.raises(InvalidParameterError, match="sweep width"):
        sweep_spacing_m(-1.0)
