"""Distance-from-IPP densities shared by the distance-based models.

A distance model gives the probability that the subject is found at distance ``d`` from
the IPP (a lognormal fitted to the ISRID quartiles). Spread evenly over the circle of
radius ``d``, its density per unit area is ``pdf(d) / (2πd)``; these helpers turn that
into cell weights.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

__all__ = ["DistanceModel", "area_density_per_km2", "lognormal_area_peak_km"]


class DistanceModel(Protocol):
    """A distribution of straight-line distance (km) from the IPP."""

    @property
    def mu(self) -> float: ...
    @property
    def sigma(self) -> float: ...
    def pdf(self, d_km: NDArray[np.float64]) -> NDArray[np.float64]: ...
    def cdf(self, d_km: NDArray[np.float64]) -> NDArray[np.float64]: ...
    def sf(self, d_km: NDArray[np.float64]) -> NDArray[np.float64]: ...


def lognormal_area_peak_km(mu: float, sigma: float) -> float:
    """Distance at which a lognormal's density *per unit area* peaks: exp(μ − 2σ²).

    Closer to the IPP the per-area density of a lognormal falls towards 0, a known
    artefact (a lognormal has no mass at d = 0); ``flat_top`` models hold it constant
    inside this radius.

    Examples
    --------
    >>> round(lognormal_area_peak_km(0.0, 0.5), 4)
    0.6065
    """
    return math.exp(mu - 2.0 * sigma * sigma)


def area_density_per_km2(
    model: DistanceModel,
    d_km: NDArray[np.floating],
    *,
    flat_top: bool,
    cell_km: float,
) -> NDArray[np.float64]:
    """Probability density per km² at distance ``d_km`` (inf or NaN → 0).

    Parameters
    ----------
    model : DistanceModel
        The distance distribution.
    d_km : ndarray
        Distance (straight-line or effort) of each cell from the IPP, km.
    flat_top : bool
        Hold the density constant inside its peak radius instead of letting it fall to 0.
    cell_km : float
        Cell size; the IPP cell's density is the mean over a disk of the cell's area.
    """
    d = np.asarray(d_km, dtype=np.float64)
    finite = np.isfinite(d)
    # A disk with the area of one cell: its mean density stands in for d -> 0.
    r_cell = cell_km / math.sqrt(math.pi)
    dd = np.where(finite, np.maximum(d, r_cell * 2.0 / 3.0), 1.0)
    if flat_top:
        dd = np.maximum(dd, lognormal_area_peak_km(model.mu, model.sigma))
    dens = np.asarray(model.pdf(dd), dtype=np.float64) / (2.0 * math.pi * dd)
    near = finite & (d < r_cell)
    if np.any(near) and not flat_top:
        # mean density over the central disk: cdf(r)/(π r²)
        inner = float(np.asarray(model.cdf(np.array([r_cell])))[0]) / (math.pi * r_cell**2)
        dens = np.where(near, inner, dens)
    dens[~finite] = 0.0
    return dens
