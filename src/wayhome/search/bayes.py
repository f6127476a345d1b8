"""Bayesian update of the POA after searching, and the POD of each segment.

After an unsuccessful search the subject is less likely to be where searchers looked
and, by renormalising, more likely everywhere else, the rest of the world (ROW)
included (Koopman; Stone 1975; SEARCH-SCIENCE §2.1)::

    POA'_j = POA_j (1 - POD_j) / (1 - Σ_i POA_i POD_i)        ROW' = ROW / (1 - Σ POA_i POD_i)

:func:`poa_after_search` applies that per cell; :func:`poa_after_likelihood` is the
general form for clues (a likelihood per cell and one for the rest of the world);
:func:`segment_pod` reports a segment's POD as planners quote it, weighted by where the
probability was.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from wayhome.errors import InvalidParameterError
from wayhome.probability.poa import POA

__all__ = ["poa_after_likelihood", "poa_after_search", "segment_pod"]


def poa_after_search(poa: POA, pod: NDArray[np.float64], *, model: str | None = None) -> POA:
    """The POA after a search that did not find the subject.

    Parameters
    ----------
    poa : POA
        The map before the search.
    pod : ndarray of float64, shape ``poa.grid.shape``
        Probability of detection of each cell (cumulative over the passes of this
        search, e.g. ``1 - exp(-coverage)``); 0 where nobody searched.
    model : str, optional
        Name of the new map's model; the old one's by default.

    Returns
    -------
    POA
        ``cells * (1 - pod) / (1 - Σ cells·pod)``, the rest of world divided by the same
        factor. A note records the probability the search removed.

    Raises
    ------
    InvalidParameterError
        ``pod`` of the wrong shape, not finite or outside [0, 1]; or a search that was
        certain to find the subject wherever it could be (POD 1 on every cell holding
        probability and no rest of world), which a miss contradicts.

    Examples
    --------
    >>> from wayhome.geo.grid import GridSpec
    >>> from wayhome.probability.poa import poa_from_weights
    >>> g = GridSpec.centered_on(0.0, 0.0, crs="EPSG:32631", resolution=1.0, extent_m=1.0)
    >>> p = poa_from_weights(g, np.ones(g.shape), rest_of_world=0.5, model="flat")
    >>> q = poa_after_search(p, np.full(g.shape, 0.5))
    >>> round(float(q.cells.sum()), 6), round(q.rest_of_world, 6)
    (0.333333, 0.666667)
    """
    pod = _checked(pod, poa, "pod")
    if float(pod.min(initial=0.0)) < 0.0 or float(pod.max(initial=0.0)) > 1.0:
        raise InvalidParameterError(
            "pod: must be in [0, 1] in every cell; compute it as 1 - exp(-coverage)"
        )
    cells = poa.cells * (1.0 - pod)
    remaining = float(cells.sum()) + poa.rest_of_world  # = 1 - Σ POA·POD, without drift
    if remaining <= 0.0:
        raise InvalidParameterError(
            "pod: the search had POD 1 wherever the subject could be and no rest of world, "
            "so not finding the subject contradicts the map; lower the POD or give the map "
            "a rest-of-world share"
        )
    removed = 1.0 - remaining
    note = f"unsuccessful search: removed {removed:.1%} of the probability, then renormalised"
    return _normalised(poa, cells, poa.rest_of_world, remaining, model, note)


def poa_after_likelihood(
    poa: POA,
    likelihood: NDArray[np.float64],
    *,
    rest_of_world: float,
    model: str | None = None,
) -> POA:
    """Bayes' rule with a likelihood per cell and one for the rest of the world.

    Parameters
    ----------
    poa : POA
        The prior map.
    likelihood : ndarray of float64, shape ``poa.grid.shape``
        How likely the evidence (a clue, a search result) is if the subject is in each
        cell; only ratios matter. Non-negative and finite.
    rest_of_world : float
        The likelihood of the evidence if the subject is outside the grid, on the same
        scale.
    model : str, optional
        Name of the new map's model; the old one's by default.

    Returns
    -------
    POA
        ``cells * likelihood`` and ``ROW * rest_of_world``, renormalised to 1.

    Raises
    ------
    InvalidParameterError
        A likelihood of the wrong shape, negative or not finite; or evidence that rules
        out everywhere (zero posterior in every cell and outside).

    Examples
    --------
    >>> from wayhome.geo.grid import GridSpec
    >>> from wayhome.probability.poa import poa_from_weights
    >>> g = GridSpec.centered_on(0.0, 0.0, crs="EPSG:32631", resolution=1.0, extent_m=1.0)
    >>> p = poa_from_weights(g, np.ones(g.shape), rest_of_world=0.5, model="flat")
    >>> q = poa_after_likelihood(p, np.full(g.shape, 3.0), rest_of_world=1.0)
    >>> round(float(q.cells.sum()), 6), round(q.rest_of_world, 6)
    (0.75, 0.25)
    """
    lik = _checked(likelihood, poa, "likelihood")
    if float(lik.min(initial=0.0)) < 0.0:
        raise InvalidParameterError("likelihood: must be non-negative in every cell")
    if not (np.isfinite(rest_of_world) and rest_of_world >= 0.0):
        raise InvalidParameterError(
            f"rest_of_world: the likelihood outside the grid must be a non-negative number, "
            f"got {rest_of_world}"
        )
    cells = poa.cells * lik
    row = poa.rest_of_world * float(rest_of_world)
    total = float(cells.sum()) + row
    if not total > 0.0:
        raise InvalidParameterError(
            "likelihood: the clue rules out everywhere (zero in every cell that holds "
            "probability, and outside the grid); check the clue's likelihood map, or give "
            "rest_of_world a likelihood above 0"
        )
    note = "clue: Bayes update with a likelihood per cell"
    return _normalised(poa, cells, row, total, model, note)


def segment_pod(
    poa_before: POA, pod: NDArray[np.float64], labels: NDArray[np.int32], n: int
) -> NDArray[np.float64]:
    """POD of each segment: the POA-weighted mean of its cells' POD.

    ``POD_s = Σ_{cells in s} POA·POD / Σ_{cells in s} POA``, so that
    ``POA_s · POD_s`` is the probability the search of segment ``s`` would have found
    the subject (the POS). Pass the cumulative cell POD and the POA before the first
    search for the cumulative POD of each segment.

    Parameters
    ----------
    poa_before : POA
        The map the search was planned on.
    pod : ndarray of float64, shape ``grid.shape``
        POD of each cell.
    labels : ndarray of int32, shape ``grid.shape``
        Segment of each cell, ``0 .. n-1``; negative for cells in no segment.
    n : int
        Number of segments.

    Returns
    -------
    ndarray of float64, shape (n,)
        POD of each segment. A segment holding no probability gets the plain mean POD of
        its cells; a segment with no cells, NaN.

    Raises
    ------
    InvalidParameterError
        Arrays of the wrong shape, labels of ``n`` or more, or ``n < 1``.

    Examples
    --------
    >>> from wayhome.geo.grid import GridSpec
    >>> from wayhome.probability.poa import poa_from_weights
    >>> from affine import Affine
    >>> g = GridSpec("EPSG:32631", Affine(1.0, 0.0, 0.0, 0.0, -1.0, 1.0), (1, 4))
    >>> p = poa_from_weights(g, np.array([[3.0, 1.0, 1.0, 0.0]]), rest_of_world=0.0, model="t")
    >>> labels = np.array([[0, 0, 1, -1]], dtype=np.int32)
    >>> segment_pod(p, np.array([[0.5, 0.9, 0.2, 1.0]]), labels, 2).round(3).tolist()
    [0.6, 0.2]
    """
    pod = _checked(pod, poa_before, "pod")
    lab = np.asarray(labels)
    if lab.shape != poa_before.grid.shape or not np.issubdtype(lab.dtype, np.integer):
        raise InvalidParameterError(
            f"labels: must be integers of shape {poa_before.grid.shape}, got "
            f"{lab.dtype} {lab.shape}"
        )
    if n < 1:
        raise InvalidParameterError(f"n: must be at least 1 segment, got {n}")
    if int(lab.max(initial=-1)) >= n:
        raise InvalidParameterError(
            f"labels: segment {int(lab.max())} found, but n is {n}; labels run 0..n-1"
        )
    inside = lab >= 0
    seg = lab[inside]
    w = poa_before.cells[inside]
    p = pod[inside]
    mass = np.bincount(seg, weights=w, minlength=n)
    found = np.bincount(seg, weights=w * p, minlength=n)
    count = np.bincount(seg, minlength=n).astype(np.float64)
    plain = np.bincount(seg, weights=p, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(mass > 0.0, found / mass, plain / count)
    return np.asarray(out, dtype=np.float64)


# ---------------------------------------------------------------------------- helpers
def _checked(values: NDArray[np.float64], poa: POA, name: str) -> NDArray[np.float64]:
    """``values`` as float64 of the grid's shape, all finite."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.shape != poa.grid.shape:
        raise InvalidParameterError(
            f"{name}: shape {arr.shape} does not match the grid {poa.grid.shape}"
        )
    if not np.isfinite(arr).all():
        raise InvalidParameterError(f"{name}: must be a finite number in every cell (no NaN)")
    return arr


def _normalised(
    poa: POA,
    cells: NDArray[np.float64],
    rest: float,
    total: float,
    model: str | None,
    note: str,
) -> POA:
    """A POA of ``cells`` and ``rest`` divided by their ``total``."""
    cells *= 1.0 / total
    return POA(
        poa.grid,
        cells,
        min(max(rest / total, 0.0), 1.0),
        model if model is not None else poa.model,
        (*poa.notes, note),
    )
