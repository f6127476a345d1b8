"""The probability-of-area map (:class:`POA`) that every model returns.

A POA is a grid of cell probabilities plus an explicit *rest of world* (ROW) share:
the probability that the subject is outside the mapped area. Cells are non-negative
and ``cells.sum() + rest_of_world == 1``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from wayhome.errors import InvalidParameterError
from wayhome.geo.grid import GridSpec

__all__ = [
    "POA",
    "REGION_LEVELS",
    "area_for_mass_km2",
    "poa_from_weights",
    "region_masks",
    "region_thresholds",
]

#: The probability levels of the regions a plan draws (25/50/75/95 %).
REGION_LEVELS: tuple[float, ...] = (0.25, 0.5, 0.75, 0.95)

_TOLERANCE = 1e-6


@dataclass(frozen=True, slots=True, eq=False)
class POA:
    """A probability-of-area map.

    Parameters
    ----------
    grid : GridSpec
        Where the cells are.
    cells : ndarray of float64
        Probability of each cell, shape ``grid.shape``; non-negative.
    rest_of_world : float
        Probability that the subject is outside the grid; ``cells.sum() + rest_of_world == 1``.
    model : str
        Name of the model that made the map (``"rings"``, ``"terrain"``, ...).
    notes : tuple of str
        What the model assumed or fell back on, in words a planner can read.
    """

    grid: GridSpec
    cells: NDArray[np.float64]
    rest_of_world: float
    model: str
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.cells.shape != self.grid.shape:
            raise InvalidParameterError(
                f"cells: shape {self.cells.shape} does not match the grid {self.grid.shape}"
            )
        if not 0.0 <= self.rest_of_world <= 1.0:
            raise InvalidParameterError(
                f"rest_of_world: must be in [0, 1], got {self.rest_of_world}"
            )
        if not np.all(np.isfinite(self.cells)) or float(self.cells.min(initial=0.0)) < 0.0:
            raise InvalidParameterError("cells: must be finite and non-negative")
        total = float(self.cells.sum()) + self.rest_of_world
        if abs(total - 1.0) > _TOLERANCE:
            raise InvalidParameterError(
                f"cells: cells plus rest of world must sum to 1, got {total:.9f}"
            )

    @property
    def in_area(self) -> float:
        """Probability inside the mapped area (``1 - rest_of_world``)."""
        return 1.0 - self.rest_of_world

    def density_per_km2(self) -> NDArray[np.float64]:
        """Probability density of each cell, per square kilometre."""
        return self.cells / (self.grid.cell_area_m2 / 1e6)


def poa_from_weights(
    grid: GridSpec,
    weights: NDArray[np.floating],
    *,
    rest_of_world: float,
    model: str,
    notes: tuple[str, ...] = (),
    point_mass: tuple[tuple[int, int], float] | None = None,
) -> POA:
    """Normalise non-negative cell weights into a POA with the given rest-of-world share.

    Parameters
    ----------
    grid : GridSpec
        The grid of ``weights``.
    weights : ndarray
        Relative, non-negative weights; NaN counts as 0 (no data, unreachable).
    rest_of_world : float
        Share of the probability outside the grid.
    model : str
        Model name.
    notes : tuple of str
        Planner-readable notes.
    point_mass : ((row, col), mass), optional
        Extra probability put on one cell (the IPP) before the weights share the rest.

    Examples
    --------
    >>> g = GridSpec.centered_on(0.0, 0.0, crs="EPSG:32631", resolution=1.0, extent_m=3.0)
    >>> p = poa_from_weights(g, np.ones(g.shape), rest_of_world=0.1, model="flat")
    >>> round(float(p.cells.sum()), 6), round(float(p.cells[0, 0]), 6)
    (0.9, 0.1)
    """
    w = np.nan_to_num(np.asarray(weights, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    if w.shape != grid.shape:
        raise InvalidParameterError(f"weights: shape {w.shape} does not match {grid.shape}")
    if float(w.min(initial=0.0)) < 0.0:
        raise InvalidParameterError("weights: must be non-negative")
    if not 0.0 <= rest_of_world <= 1.0:
        raise InvalidParameterError(f"rest_of_world: must be in [0, 1], got {rest_of_world}")
    in_area = 1.0 - rest_of_world
    mass_at_point = 0.0
    if point_mass is not None:
        _, mass_at_point = point_mass
        mass_at_point = min(max(mass_at_point, 0.0), in_area)
    total = float(w.sum())
    if total <= 0.0:
        # Nothing reachable in the area: everything the area holds sits at the point mass,
        # or, with no point mass, the whole probability is outside.
        w = np.zeros(grid.shape, dtype=np.float64)
        if point_mass is None:
            return POA(grid, w, 1.0, model, notes)
        w[point_mass[0]] = in_area
        return POA(grid, w, rest_of_world, model, notes)
    cells = (w / total) * (in_area - mass_at_point)  # divide first: no overflow for tiny totals
    if point_mass is not None:
        cells[point_mass[0]] += mass_at_point
    # Remove float drift so the contract holds to the last bit we can.
    drift = (float(cells.sum()) + rest_of_world) - 1.0
    rest = min(max(rest_of_world - drift, 0.0), 1.0)
    return POA(grid, cells, rest, model, notes)


def _region_cell_counts(
    poa: POA, levels: tuple[float, ...]
) -> tuple[NDArray[np.intp], NDArray[np.float64], dict[float, int | None]]:
    """The cells in decreasing probability (stable order, flat indices), their values,
    and how many of the first of them each level's region takes (``None``: unreachable).

    The single source of every region: its threshold, its area and its mask.
    """
    order = np.argsort(-poa.cells, axis=None, kind="stable")
    flat = poa.cells.reshape(-1)[order]
    cum = np.cumsum(flat)
    counts: dict[float, int | None] = {}
    for level in levels:
        if not 0.0 < level < 1.0:
            raise InvalidParameterError(f"levels: each must be in (0, 1), got {level}")
        if cum[-1] < level - _TOLERANCE:
            counts[level] = None
            continue
        k = int(np.searchsorted(cum, level - _TOLERANCE, side="left"))
        counts[level] = min(k, flat.size - 1) + 1
    return order, flat, counts


def region_thresholds(
    poa: POA, levels: tuple[float, ...] = REGION_LEVELS
) -> dict[float, float | None]:
    """Probability of the last (smallest) cell in the region of each level of the *total*
    probability.

    The region for level ``L`` is the smallest set of cells (highest first) whose
    probability adds up to ``L``. When the mapped area holds less than ``L`` (the rest of
    the world holds the remainder) the level cannot be reached and maps to ``None``.
    The value is exact (not rounded): round it only to show it. Cells tied with it may
    lie outside the region; :func:`region_masks` gives the region itself.

    Examples
    --------
    >>> g = GridSpec.centered_on(0.0, 0.0, crs="EPSG:32631", resolution=1.0, extent_m=2.0)
    >>> p = poa_from_weights(g, np.array([[4., 3., 2.], [1., 0., 0.], [0., 0., 0.]]),
    ...                      rest_of_world=0.0, model="test")
    >>> {k: round(v, 9) for k, v in region_thresholds(p, (0.4, 0.7, 0.95)).items()}
    {0.4: 0.4, 0.7: 0.3, 0.95: 0.1}
    """
    _, flat, counts = _region_cell_counts(poa, levels)
    return {lv: None if k is None else float(flat[k - 1]) for lv, k in counts.items()}


def region_masks(
    poa: POA, levels: tuple[float, ...] = REGION_LEVELS
) -> dict[float, NDArray[np.bool_] | None]:
    """The cells of the smallest region holding each level of the total probability.

    Exactly the cells :func:`area_for_mass_km2` counts: the highest cells first, ties
    broken by their order in the grid (row by row), so a uniform map still gets a
    region of the right size. ``None`` where the mapped area holds less than the level.

    Examples
    --------
    >>> g = GridSpec.centered_on(0.0, 0.0, crs="EPSG:32631", resolution=1.0, extent_m=2.0)
    >>> p = poa_from_weights(g, np.ones(g.shape), rest_of_world=0.0, model="flat")
    >>> region_masks(p, (0.5,))[0.5].astype(int).tolist()  # 5 of 9 equal cells hold >= 50 %
    [[1, 1, 1], [1, 1, 0], [0, 0, 0]]
    """
    order, _, counts = _region_cell_counts(poa, levels)
    out: dict[float, NDArray[np.bool_] | None] = {}
    for level, k in counts.items():
        if k is None:
            out[level] = None
            continue
        mask = np.zeros(poa.cells.size, dtype=bool)
        mask[order[:k]] = True
        out[level] = mask.reshape(poa.cells.shape)
    return out


def area_for_mass_km2(
    poa: POA, levels: tuple[float, ...] = REGION_LEVELS
) -> dict[float, float | None]:
    """Area in km² of the smallest region holding each level of the total probability.

    ``None`` where the mapped area holds less than the level. The area of exactly the
    cells of :func:`region_masks`.
    """
    _, _, counts = _region_cell_counts(poa, levels)
    cell_km2 = poa.grid.cell_area_m2 / 1e6
    return {lv: None if k is None else k * cell_km2 for lv, k in counts.items()}
