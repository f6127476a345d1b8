"""Numba kernel of the coverage raster (private; see :mod:`wayhome.search.coverage`).

:func:`stamp_passes` walks every segment of every pass and stamps the fraction of each
nearby cell that the pass's swath covers. Within one pass a cell keeps the *largest*
fraction any segment gives it (``stamp_id``/``stamp_val`` remember which pass stamped a
cell last and with what), so re-crossing a cell in the same pass adds nothing; passes add.

The grid is split into bands of rows, one per thread; each thread walks all segments but
writes only its own rows, so no two threads touch the same cell and the result does not
depend on the thread count.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit, prange
from numpy.typing import NDArray


@njit(cache=True, nogil=True)
def _clip_to_box(
    x0: float,
    y0: float,
    dx: float,
    dy: float,
    xmin: float,
    xmax: float,
    ymin: float,
    ymax: float,
) -> tuple[float, float]:
    """Liang–Barsky: the parameter range [ta, tb] of P0 + t·(dx, dy) inside the box."""
    ta, tb = 0.0, 1.0
    for p, q in ((-dx, x0 - xmin), (dx, xmax - x0), (-dy, y0 - ymin), (dy, ymax - y0)):
        if p == 0.0:
            if q < 0.0:
                return 1.0, 0.0
        else:
            r = q / p
            if p < 0.0:
                ta = max(ta, r)
            else:
                tb = min(tb, r)
    return ta, tb


@njit(cache=True, nogil=True, inline="always")
def _cell_cdf(s: float, wide: float, narrow: float) -> float:
    """Fraction of a cell on the near side of a line ``s`` metres past its centre.

    The cell's area, projected on the line's normal, is the convolution of two boxes
    ``wide`` and ``narrow`` metres long (``a·max(|cos|, |sin|)`` and ``a·min(...)`` for a
    cell of side ``a``), so this is a piecewise-quadratic CDF: exact for any angle.
    """
    h = 0.5 * (wide + narrow)
    if s <= -h:
        return 0.0
    if s >= h:
        return 1.0
    k = 0.5 * (wide - narrow)
    if s < -k:
        return (s + h) * (s + h) / (2.0 * wide * narrow)
    if s > k:
        return 1.0 - (h - s) * (h - s) / (2.0 * wide * narrow)
    return 0.5 + s / wide


@njit(cache=True, nogil=True)
def _stamp_band(
    xy: NDArray[Any],
    starts: NDArray[Any],
    widths: NDArray[Any],
    left: float,
    top: float,
    res: float,
    rows: int,
    cols: int,
    row_lo: int,
    row_hi: int,
    cov: NDArray[Any],
    stamp_id: NDArray[Any],
    stamp_val: NDArray[Any],
) -> None:
    """Stamp every pass into the rows ``row_lo <= r < row_hi`` of ``cov`` (flat)."""
    n_passes = starts.size - 1
    for t in range(n_passes):
        i0 = starts[t]
        i1 = starts[t + 1]
        if i1 - i0 < 2:
            continue
        width = widths[t]
        half_w = 0.5 * width
        reach = half_w + 0.5 * math.sqrt(2.0) * res  # no cell centre farther gets anything
        piece_len = 2.0 * max(reach, res)
        xmin = left - reach
        xmax = left + cols * res + reach
        ymax = top - row_lo * res + reach
        ymin = top - row_hi * res - reach
        for s in range(i0, i1 - 1):
            y0 = xy[s, 1]
            y1 = xy[s + 1, 1]
            if (y0 < ymin and y1 < ymin) or (y0 > ymax and y1 > ymax):
                continue  # not in this band: the common case, so test it first
            x0 = xy[s, 0]
            dx = xy[s + 1, 0] - x0
            dy = y1 - y0
            length = math.sqrt(dx * dx + dy * dy)
            if length == 0.0:
                continue
            ta, tb = _clip_to_box(x0, y0, dx, dy, xmin, xmax, ymin, ymax)
            if ta > tb:
                continue
            ux = dx / length
            uy = dy / length
            # The cell's projection on the normal (and on the track): boxes wide x narrow.
            wide = res * max(abs(ux), abs(uy))
            narrow = res * min(abs(ux), abs(uy))  # 0 along the axes: linear CDF
            # The swath is flat (not rounded) beyond the first and last point of a pass.
            flat0 = s == i0
            flat1 = s == i1 - 2
            reach_seg = half_w + 0.5 * (wide + narrow)
            n_pieces = max(1, math.ceil((tb - ta) * length / piece_len))
            for k in range(n_pieces):
                pa = ta + (tb - ta) * k / n_pieces
                pb = ta + (tb - ta) * (k + 1) / n_pieces
                ax = x0 + pa * dx
                bx = x0 + pb * dx
                ay = y0 + pa * dy
                by = y0 + pb * dy
                c_lo = max(0, math.ceil((min(ax, bx) - reach - left) / res - 0.5))
                c_hi = min(cols - 1, math.floor((max(ax, bx) + reach - left) / res - 0.5))
                r_lo = max(row_lo, math.ceil((top - max(ay, by) - reach) / res - 0.5))
                r_hi = min(row_hi - 1, math.floor((top - min(ay, by) + reach) / res - 0.5))
                for r in range(r_lo, r_hi + 1):
                    py = top - (r + 0.5) * res - y0
                    base = r * cols
                    for c in range(c_lo, c_hi + 1):
                        idx = base + c
                        if stamp_id[idx] == t and stamp_val[idx] >= 1.0:
                            continue  # already wholly swept by this pass
                        px = left + (c + 0.5) * res - x0
                        along = px * ux + py * uy
                        if along < 0.0 and not flat0:
                            d = math.sqrt(px * px + py * py)  # round join at P0
                        elif along > length and not flat1:
                            ex = px - dx
                            ey = py - dy
                            d = math.sqrt(ex * ex + ey * ey)  # round join at P1
                        else:
                            d = abs(px * uy - py * ux)
                        if d >= reach_seg:
                            continue
                        v = _cell_cdf(half_w - d, wide, narrow) - _cell_cdf(
                            -half_w - d, wide, narrow
                        )
                        if flat0 or flat1:  # the share of the cell between the flat ends
                            end = _cell_cdf(length - along, wide, narrow) if flat1 else 1.0
                            if flat0:
                                end -= _cell_cdf(-along, wide, narrow)
                            v *= end
                        if v <= 0.0:
                            continue
                        if stamp_id[idx] != t:
                            stamp_id[idx] = t
                            stamp_val[idx] = v
                            cov[idx] += v
                        elif v > stamp_val[idx]:
                            cov[idx] += v - stamp_val[idx]
                            stamp_val[idx] = v


@njit(cache=True, parallel=True)
def stamp_passes(
    xy: NDArray[Any],
    starts: NDArray[Any],
    widths: NDArray[Any],
    left: float,
    top: float,
    res: float,
    rows: int,
    cols: int,
    n_bands: int,
) -> NDArray[Any]:
    """Coverage of every cell (flat, float64) from the passes ``xy[starts[t]:starts[t+1]]``.

    ``widths[t]`` is the sweep width of pass ``t`` in metres; ``xy`` is in grid metres
    with no consecutive repeated points.
    """
    n = rows * cols
    cov = np.zeros(n, dtype=np.float64)
    stamp_id = np.full(n, -1, dtype=np.int32)
    stamp_val = np.zeros(n, dtype=np.float64)
    band = (rows + n_bands - 1) // n_bands
    for b in prange(n_bands):
        row_lo = b * band
        row_hi = min(rows, row_lo + band)
        if row_lo < row_hi:
            _stamp_band(
                xy, starts, widths, left, top, res, rows, cols, row_lo, row_hi,
                cov, stamp_id, stamp_val,
            )  # fmt: skip
    return cov
