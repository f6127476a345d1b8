"""The ``terrain`` model: ISRID distance statistics over walking effort, not map distance.

Recipe (each step one call):

1. travel time from the IPP over Tobler speeds, trails, water and cliffs;
2. express it as *effort distance* (km of level off-trail walking);
3. evaluate the category's distance distribution at the effort distance, held flat
   inside its peak radius instead of vanishing at the IPP;
4. cut off what the subject cannot have reached in the time missing;
5. weight by the category's attraction to trails, drainages and high ground;
6. add the point mass at the IPP (about 1 in 10 are found within 50 m);
7. give the rest of world the chance of having walked past the nearest map edge.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from wayhome.errors import InvalidParameterError, TerrainRequiredError
from wayhome.geo.grid import GridSpec
from wayhome.geo.layers import LayerKind
from wayhome.geo.terrain import Terrain
from wayhome.geo.travel import (
    FLAT_OFF_TRAIL_KMH,
    LayerMasks,
    TravelModel,
    effort_distance_km,
    speed_grid,
    travel_time_h,
)
from wayhome.probability.distance import DistanceModel, area_density_per_km2
from wayhome.probability.poa import POA, poa_from_weights

__all__ = [
    "IPP_RADIUS_M",
    "SubjectModel",
    "attraction_weights",
    "local_position_z",
    "poa_terrain",
]

#: Radius of the point mass at the IPP: "found within 50 m" (Cawi, MapScore note).
IPP_RADIUS_M = 50.0
#: Window for local elevation position (Jacobs 2015 used 2 km).
_TPI_WINDOW_M = 2_000.0
#: z-score of the top/bottom 10 % of a normal distribution.
_Z10 = 1.2816
_IPP_IMPASSABLE = (
    "ipp: the last-seen point is on an impassable cell (water, cliff or barrier); "
    "move it to the nearest passable ground"
)


class _Tendencies(Protocol):
    @property
    def trail_attraction(self) -> float: ...
    @property
    def drainage_attraction(self) -> float: ...
    @property
    def high_ground_attraction(self) -> float: ...
    @property
    def track_offset_m(self) -> tuple[float, float, float, float] | None: ...


class SubjectModel(Protocol):
    """What the terrain model needs of a lost-person profile (``wayhome.subject.Profile``)."""

    @property
    def category(self) -> str: ...
    @property
    def distance(self) -> DistanceModel: ...
    @property
    def ipp_mass(self) -> float: ...
    @property
    def speed_kmh(self) -> float: ...
    @property
    def tendencies(self) -> _Tendencies: ...


def poa_terrain(
    grid: GridSpec,
    ipp_xy: tuple[float, float],
    profile: SubjectModel,
    *,
    terrain: Terrain | None,
    masks: LayerMasks | None = None,
    missing_for_h: float | None = None,
    travel: TravelModel | None = None,
    allow_flat: bool = False,
    flat_top: bool = True,
    distance: DistanceModel | None = None,
) -> POA:
    """Terrain-aware POA for ``profile`` last seen at ``ipp_xy`` (grid CRS).

    Parameters
    ----------
    grid : GridSpec
        Planning grid (``terrain.grid`` when terrain is given).
    ipp_xy : (float, float)
        Last-seen point in grid coordinates.
    profile : SubjectModel
        Lost-person profile: distance distribution, IPP mass, speed, tendencies.
    terrain : Terrain or None
        Elevation on ``grid``. ``None`` only with ``allow_flat=True``: level ground.
    masks : LayerMasks, optional
        Rasterised trails, roads, streams, water, cliffs, barriers.
    missing_for_h : float, optional
        Hours since last seen; cells the subject could not reach in that time get 0.
    travel : TravelModel, optional
        Speed multipliers by ground type.
    allow_flat : bool
        Run without terrain on level ground (used by evaluation where no DEM exists).
    flat_top : bool
        Hold the distance density flat inside its peak radius (no hole at the IPP).
    distance : DistanceModel, optional
        Use this distance distribution instead of ``profile.distance``.
    """
    if terrain is None and not allow_flat:
        raise TerrainRequiredError(
            "model: 'terrain' needs an elevation model; give --dem FILE, or use --model rings"
        )
    if terrain is not None and terrain.grid != grid:
        raise InvalidParameterError("terrain: must be on the planning grid")
    if missing_for_h is not None and not (missing_for_h >= 0 and math.isfinite(missing_for_h)):
        raise InvalidParameterError(f"missing_for_h: must be >= 0 hours, got {missing_for_h}")
    dist_model = distance if distance is not None else profile.distance
    start = grid.index(*ipp_xy)
    if not (0 <= start[0] < grid.shape[0] and 0 <= start[1] < grid.shape[1]):
        raise InvalidParameterError(f"ipp: {ipp_xy} is outside the planning grid")
    notes: list[str] = []

    # 1-2. Effort distance from the IPP (straight-line distance on level ground).
    reach_km = None if missing_for_h is None else profile.speed_kmh * missing_for_h
    if terrain is None:
        if masks is not None and bool(masks.impassable[start]):
            raise InvalidParameterError(_IPP_IMPASSABLE)
        effort = grid.distance_from(*grid.xy(*start)) / 1000.0
        notes.append("no elevation model: level ground assumed (statistical part only)")
        if masks is not None and masks.impassable.any():
            effort = np.where(masks.impassable, np.inf, effort)
    else:
        speed = speed_grid(terrain, masks, model=travel)
        if speed[start] <= 0:
            raise InvalidParameterError(_IPP_IMPASSABLE)
        # Travel time is in Tobler hours; effort km = hours x level off-trail speed x the
        # octile factor (>= 0.92), so this bound keeps every cell within reach.
        max_h = None if reach_km is None else reach_km / (FLAT_OFF_TRAIL_KMH * 0.92)
        times = travel_time_h(speed, grid, start, max_hours=max_h)
        effort = effort_distance_km(times, grid, start)
        if terrain.nodata_fraction > 0:
            notes.append(
                f"{terrain.nodata_fraction:.0%} of the area has no elevation data: "
                "walked as level ground"
            )

    # 3. Distance density at the effort distance.
    cell_km = grid.resolution / 1000.0
    dens = area_density_per_km2(dist_model, effort, flat_top=flat_top, cell_km=cell_km)

    # 4. Time limit: condition the distance distribution on d <= reach.
    if reach_km is not None:
        dens = np.where(effort <= max(reach_km, cell_km / 2.0), dens, 0.0)
        notes.append(
            f"limited to {reach_km:.1f} km of level-ground walking "
            f"({missing_for_h:g} h at {profile.speed_kmh:g} km/h)"
        )

    # 5. Behaviour: trails, drainages, high ground.
    dens = dens * attraction_weights(grid, profile.tendencies, terrain=terrain, masks=masks)

    # 7. Rest of world: chance of being further (in effort) than the nearest exit.
    row = _rest_of_world(effort, dist_model, reach_km)
    # 6. Point mass at the IPP, spread over the cells within 50 m.
    ipp_mass = float(profile.ipp_mass)
    disk = grid.distance_from(*grid.xy(*start)) <= max(IPP_RADIUS_M, grid.resolution / 2.0)
    disk &= np.isfinite(effort)
    total = float(dens.sum())
    if total <= 0.0:
        weights = disk.astype(np.float64)
        row, ipp_mass = 0.0, 1.0
    else:
        weights = (1.0 - ipp_mass) * (1.0 - row) * dens / total
        weights += ipp_mass * disk / float(disk.sum())
    row_share = (1.0 - ipp_mass) * row
    notes.append(f"{ipp_mass:.0%} point mass within {IPP_RADIUS_M:g} m of the IPP")
    return poa_from_weights(
        grid, weights, rest_of_world=row_share, model="terrain", notes=tuple(notes)
    )


def _rest_of_world(
    effort: NDArray[np.float64], model: DistanceModel, reach_km: float | None
) -> float:
    """P(effort distance beyond the nearest way off the map | within reach)."""
    border = np.concatenate([effort[0], effort[-1], effort[:, 0], effort[:, -1]])
    border = border[np.isfinite(border)]
    if border.size == 0:
        return 0.0
    d_exit = float(border.min())
    sf_exit = float(np.asarray(model.sf(np.array([d_exit])))[0])
    if reach_km is None:
        return sf_exit
    if d_exit >= reach_km:
        return 0.0
    sf_reach = float(np.asarray(model.sf(np.array([reach_km])))[0])
    denom = 1.0 - sf_reach
    return 0.0 if denom <= 0 else max(0.0, (sf_exit - sf_reach) / denom)


def attraction_weights(
    grid: GridSpec,
    tendencies: _Tendencies,
    *,
    terrain: Terrain | None,
    masks: LayerMasks | None,
) -> NDArray[np.float64]:
    """Multiplier on probability density from the category's behaviour tendencies.

    Near trails and roads (within the category's track offset, halving at its median),
    near streams and in the bottom 10 % of local elevation (drainages), and in the top
    10 % (high ground, Jacobs 2015's 2 km window). 1 where no tendency applies.
    """
    w = np.ones(grid.shape, dtype=np.float64)
    offset = tendencies.track_offset_m[1] if tendencies.track_offset_m else 100.0
    offset = max(offset, grid.resolution / 2.0)
    if masks is not None:
        linear = masks.any_of(LayerKind.TRAIL, LayerKind.ROAD)
        if linear.any() and tendencies.trail_attraction != 1.0:
            w *= _near(linear, grid, offset, tendencies.trail_attraction)
        streams = masks.get(LayerKind.STREAM)
        if streams.any() and tendencies.drainage_attraction != 1.0:
            w *= _near(streams, grid, offset, tendencies.drainage_attraction)
    if terrain is not None and (
        tendencies.drainage_attraction != 1.0 or tendencies.high_ground_attraction != 1.0
    ):
        z = local_position_z(terrain)
        w[z <= -_Z10] *= tendencies.drainage_attraction
        w[z >= _Z10] *= tendencies.high_ground_attraction
    return w


def _near(
    mask: NDArray[np.bool_], grid: GridSpec, offset_m: float, factor: float
) -> NDArray[np.float64]:
    dist_m = ndimage.distance_transform_edt(~mask) * grid.resolution
    return np.asarray(1.0 + (factor - 1.0) * np.exp(-math.log(2.0) * dist_m / offset_m))


def local_position_z(terrain: Terrain) -> NDArray[np.float64]:
    """Elevation relative to the surrounding 2 km window, as a z-score.

    Top 10 % (z ≥ 1.28) is local high ground, bottom 10 % drainages; unknown cells 0.
    """
    z = terrain.elevation.astype(np.float64)
    known = np.isfinite(z)
    zf = np.where(known, z, 0.0)
    size = max(3, int(_TPI_WINDOW_M / terrain.grid.resolution) | 1)
    k = ndimage.uniform_filter(known.astype(np.float64), size, mode="nearest")
    m1 = ndimage.uniform_filter(zf, size, mode="nearest")
    m2 = ndimage.uniform_filter(zf * zf, size, mode="nearest")
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = m1 / k
        var = np.maximum(m2 / k - mean * mean, 0.0)
        out = np.where(var > 1.0, (zf - mean) / np.sqrt(var), 0.0)
    out[~known] = 0.0
    return np.asarray(out, dtype=np.float64)
