"""GridSpec geometry and the memory guard."""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine
from hypothesis import given
from hypothesis import strategies as st

from wayhome.errors import GridTooLargeError, InvalidParameterError
from wayhome.geo.grid import GridSpec, check_grid_memory


@given(res=st.sampled_from([1.0, 5.0, 10.0, 30.0]), extent=st.floats(50.0, 5_000.0))
def test_centered_grid_puts_point_in_middle_cell(res: float, extent: float) -> None:
    g = GridSpec.centered_on(1000.0, 2000.0, crs="EPSG:32611", resolution=res, extent_m=extent)
    rows, cols = g.shape
    assert rows == cols and rows % 2 == 1
    assert g.index(1000.0, 2000.0) == (rows // 2, cols // 2)
    assert g.xy(rows // 2, cols // 2) == pytest.approx((1000.0, 2000.0))


def test_centers_bounds_and_distance() -> None:
    g = GridSpec.centered_on(0.0, 0.0, crs="EPSG:32631", resolution=10.0, extent_m=100.0)
    xs, ys = g.centers()
    left, bottom, right, top = g.bounds
    assert xs[0] == pytest.approx(left + 5.0) and ys[0] == pytest.approx(top - 5.0)
    assert right - left == pytest.approx(110.0) and top - bottom == pytest.approx(110.0)
    d = g.distance_from(0.0, 0.0)
    assert d[5, 5] == 0.0 and d[5, 6] == pytest.approx(10.0)
    assert g.contains(0.0, 0.0) and not g.contains(1000.0, 0.0)
    assert np.all(d >= 0)


@pytest.mark.parametrize(
    ("transform", "shape", "match"),
    [
        (Affine(10.0, 0.0, 0.0, 0.0, -10.0, 0.0), (0, 5), "shape"),
        (Affine(10.0, 1.0, 0.0, 0.0, -10.0, 0.0), (5, 5), "north-up"),
        (Affine(10.0, 0.0, 0.0, 0.0, 10.0, 0.0), (5, 5), "height"),
        (Affine(10.0, 0.0, 0.0, 0.0, -20.0, 0.0), (5, 5), "square"),
    ],
)
def test_bad_grids_are_refused(transform: Affine, shape: tuple[int, int], match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        GridSpec("EPSG:32611", transform, shape)


def test_memory_guard_gives_estimate() -> None:
    check_grid_memory((2001, 2001), limit_bytes=2 * 2**30)
    with pytest.raises(GridTooLargeError, match=r"GiB of memory.*--resolution"):
        check_grid_memory((80_001, 80_001), limit_bytes=2 * 2**30)
