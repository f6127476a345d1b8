"""The ``rings`` model: the distance rings planners draw by hand today.

A lognormal in straight-line distance, fitted to the category's ISRID quartiles and
spread uniformly in direction. No terrain, no point mass at the IPP, no time limit:
this is the baseline every other model must beat.
"""

from __future__ import annotations

from wayhome.geo.grid import GridSpec
from wayhome.probability.distance import DistanceModel, area_density_per_km2
from wayhome.probability.poa import POA, poa_from_weights

__all__ = ["poa_rings"]


def poa_rings(grid: GridSpec, ipp_xy: tuple[float, float], distance: DistanceModel) -> POA:
    """Distance-ring POA around ``ipp_xy`` (grid CRS, metres).

    The rest of world is the probability the lognormal puts outside the grid.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> import numpy as np
    >>> from scipy import stats
    >>> @dataclass
    ... class LN:
    ...     mu: float = 0.0
    ...     sigma: float = 1.0
    ...     def pdf(self, d): return stats.lognorm.pdf(d, self.sigma, scale=np.exp(self.mu))
    ...     def cdf(self, d): return stats.lognorm.cdf(d, self.sigma, scale=np.exp(self.mu))
    ...     def sf(self, d): return stats.lognorm.sf(d, self.sigma, scale=np.exp(self.mu))
    >>> g = GridSpec.centered_on(0.0, 0.0, crs="EPSG:32631", resolution=50.0, extent_m=20_000.0)
    >>> p = poa_rings(g, (0.0, 0.0), LN())
    >>> 0.0 < p.rest_of_world < 0.06   # P(d > 10 km) for median 1 km, sigma 1
    True
    """
    dist_km = grid.distance_from(*ipp_xy) / 1000.0
    cell_km2 = grid.cell_area_m2 / 1e6
    mass = (
        area_density_per_km2(distance, dist_km, flat_top=False, cell_km=grid.resolution / 1000.0)
        * cell_km2
    )
    in_area = min(float(mass.sum()), 1.0)
    notes = ("lognormal in straight-line distance, uniform in direction (ISRID quartiles)",)
    return poa_from_weights(grid, mass, rest_of_world=1.0 - in_area, model="rings", notes=notes)
