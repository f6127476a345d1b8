"""Walking effort over terrain: Tobler speed, layer modifiers, travel time from the IPP.

The chain is: slope → :func:`tobler_speed_kmh` → :func:`speed_grid` (trails faster,
off-trail and vegetation slower, water and cliffs impassable) → :func:`travel_time_h`
(least-cost travel time from the IPP with scikit-image's ``MCP_Geometric``) →
:func:`effort_distance_km` (travel time expressed as the straight-line distance an
off-trail walker covers on level ground in the same time).

Speeds are *isotropic*: a lost person wanders up and down, so a cell's crossing time is
the mean of its uphill and downhill times (see DESIGN.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from rasterio.features import rasterize
from skimage.graph import MCP_Geometric

from wayhome.errors import InvalidParameterError
from wayhome.geo.coords import geometry_to_crs
from wayhome.geo.grid import GridSpec
from wayhome.geo.layers import Feature, LayerKind, Layers
from wayhome.geo.terrain import Terrain

__all__ = [
    "FLAT_OFF_TRAIL_KMH",
    "LayerMasks",
    "TravelModel",
    "effort_distance_km",
    "layers_to_crs",
    "masks_from_layers",
    "octile_correction",
    "speed_grid",
    "tobler_speed_kmh",
    "travel_time_h",
]


def tobler_speed_kmh(slope: NDArray[np.floating] | float) -> NDArray[np.float64]:
    """Tobler's hiking function W = 6·exp(−3.5·|S + 0.05|) km/h (S = signed slope tangent).

    Tobler, W. (1993). *Three presentations on geographical analysis and modeling*,
    NCGIA Technical Report 93-1.

    Examples
    --------
    >>> round(float(tobler_speed_kmh(-0.05)), 3)   # fastest: gentle downhill
    6.0
    >>> round(float(tobler_speed_kmh(0.0)), 3)
    5.037
    """
    s = np.asarray(slope, dtype=np.float64)
    return np.asarray(6.0 * np.exp(-3.5 * np.abs(s + 0.05)), dtype=np.float64)


def _isotropic_tobler_kmh(slope_mag: NDArray[np.floating]) -> NDArray[np.float64]:
    """Speed whose crossing time is the mean of the uphill and downhill crossing times."""
    up = tobler_speed_kmh(slope_mag)
    down = tobler_speed_kmh(-np.asarray(slope_mag))
    return np.asarray(2.0 / (1.0 / up + 1.0 / down), dtype=np.float64)


#: Off-trail factor 0.6 is Tobler's own (1993: "off path travel ... 3/5").
_OFF_TRAIL = 0.6
#: Level ground, off trail, in km/h: the unit of effort distance.
FLAT_OFF_TRAIL_KMH = float(_isotropic_tobler_kmh(np.array(0.0))) * _OFF_TRAIL


@dataclass(frozen=True, slots=True)
class TravelModel:
    """Multipliers on Tobler speed by ground type. Sources in each field's comment.

    Parameters
    ----------
    off_trail : float
        Open ground off paths: 0.6 (Tobler 1993).
    trail : float
        On a trail: 1.0 (Tobler's function is for paths).
    road : float
        On a road or track: 1.0.
    vegetation : float
        Inside a dense-vegetation polygon: 0.5 (wayhome assumption; Imhof/Soule & Goldman
        report 0.4–0.7 for brush and forest).
    stream : float
        Crossing a stream line: 0.3 (wayhome assumption: wading, banks).
    max_slope : float
        Slopes steeper than this tangent (about 45°) are treated as impassable on foot.
    """

    off_trail: float = _OFF_TRAIL
    trail: float = 1.0
    road: float = 1.0
    vegetation: float = 0.5
    stream: float = 0.3
    max_slope: float = 1.0

    def __post_init__(self) -> None:
        for name in ("off_trail", "trail", "road", "vegetation", "stream", "max_slope"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v > 0):
                raise InvalidParameterError(f"{name}: must be a positive number, got {v}")


@dataclass(frozen=True, slots=True, eq=False)
class LayerMasks:
    """Layers rasterised on a grid: one boolean mask per kind present."""

    grid: GridSpec
    masks: dict[LayerKind, NDArray[np.bool_]]

    def get(self, kind: LayerKind) -> NDArray[np.bool_]:
        """The mask of ``kind`` (all False when the kind is absent)."""
        m = self.masks.get(kind)
        return m if m is not None else np.zeros(self.grid.shape, dtype=np.bool_)

    def any_of(self, *kinds: LayerKind) -> NDArray[np.bool_]:
        """Union of the masks of ``kinds``."""
        out = np.zeros(self.grid.shape, dtype=np.bool_)
        for k in kinds:
            out |= self.get(k)
        return out

    @property
    def impassable(self) -> NDArray[np.bool_]:
        """Cells a person on foot cannot enter: water, cliffs and barriers."""
        return self.any_of(LayerKind.WATER, LayerKind.CLIFF, LayerKind.BARRIER)


def layers_to_crs(layers: Layers, crs: str) -> Layers:
    """The same layers with geometries transformed into ``crs``."""
    if layers.crs == crs:
        return layers
    return Layers(
        tuple(
            Feature(f.kind, geometry_to_crs(f.geometry, layers.crs, crs), f.name)
            for f in layers.features
        ),
        crs,
    )


def masks_from_layers(layers: Layers | None, grid: GridSpec) -> LayerMasks:
    """Rasterise layers (in any CRS) onto ``grid``: every touched cell is marked."""
    masks: dict[LayerKind, NDArray[np.bool_]] = {}
    if layers is None or not layers.features:
        return LayerMasks(grid, masks)
    local = layers_to_crs(layers, grid.crs)
    for kind in LayerKind:
        geoms = [f.geometry for f in local.of_kind(kind) if not f.geometry.is_empty]
        if not geoms:
            continue
        burned = rasterize(
            ((g, 1) for g in geoms),
            out_shape=grid.shape,
            transform=grid.transform,
            fill=0,
            all_touched=True,
            dtype="uint8",
        )
        masks[kind] = burned.astype(np.bool_)
    return LayerMasks(grid, masks)


def speed_grid(
    terrain: Terrain, masks: LayerMasks | None = None, *, model: TravelModel | None = None
) -> NDArray[np.float32]:
    """Walking speed in km/h for every cell; 0 where impassable.

    Cells without elevation are walked as level, open ground.
    """
    model = model or TravelModel()
    slope = terrain.slope()
    speed = _isotropic_tobler_kmh(slope) * model.off_trail
    speed[slope > model.max_slope] = 0.0
    if masks is not None:
        speed[masks.get(LayerKind.VEGETATION)] *= model.vegetation
        stream = masks.get(LayerKind.STREAM)
        speed[stream] *= model.stream
        on_trail = masks.get(LayerKind.TRAIL)
        speed[on_trail] = _isotropic_tobler_kmh(slope[on_trail]) * model.trail
        on_road = masks.get(LayerKind.ROAD)
        speed[on_road] = _isotropic_tobler_kmh(slope[on_road]) * model.road
        speed[masks.impassable & ~(on_trail | on_road)] = 0.0
    return speed.astype(np.float32)


def travel_time_h(
    speed_kmh: NDArray[np.floating],
    grid: GridSpec,
    start: tuple[int, int],
    *,
    max_hours: float | None = None,
) -> NDArray[np.float64]:
    """Least travel time in hours from ``start`` (row, col) to every cell.

    Uses scikit-image's ``MCP_Geometric`` (Dijkstra on the 8-connected grid, diagonal
    steps weighted by √2, crossing cost the mean of the two cells). Impassable cells
    (speed 0) and cells beyond ``max_hours`` are ``inf``.
    """
    rows, cols = grid.shape
    r, c = start
    if not (0 <= r < rows and 0 <= c < cols):
        raise InvalidParameterError(f"start: cell {start} is outside the grid {grid.shape}")
    speed = np.asarray(speed_kmh, dtype=np.float64)
    with np.errstate(divide="ignore"):
        # hours to cross one cell side
        cost = np.where(speed > 0, (grid.resolution / 1000.0) / speed, np.inf)
    # Nobody outruns Tobler's maximum (6 km/h on a path): crop to the reachable window
    # so a short time missing does not pay for the whole grid.
    window = _reachable_window(grid, start, max_hours)
    (r0, r1), (c0, c1) = window
    mcp = MCP_Geometric(cost[r0:r1, c0:c1], fully_connected=True)
    sub, _ = mcp.find_costs([(r - r0, c - c0)])
    times = np.full(grid.shape, np.inf, dtype=np.float64)
    times[r0:r1, c0:c1] = sub
    times[~np.isfinite(cost)] = np.inf
    if max_hours is not None:
        times[times > max_hours] = np.inf
    return times


def _reachable_window(
    grid: GridSpec, start: tuple[int, int], max_hours: float | None
) -> tuple[tuple[int, int], tuple[int, int]]:
    rows, cols = grid.shape
    if max_hours is None or not math.isfinite(max_hours):
        return (0, rows), (0, cols)
    reach = math.ceil(max_hours * 6.0 * 1000.0 / grid.resolution) + 2
    r, c = start
    rows_span = (max(0, r - reach), min(rows, r + reach + 1))
    return rows_span, (max(0, c - reach), min(cols, c + reach + 1))


def octile_correction(grid: GridSpec, start: tuple[int, int]) -> NDArray[np.float64]:
    """Euclidean over octile distance from ``start`` to every cell (≤ 1).

    An 8-connected path overestimates straight-line distance by up to 8.2 % at 22.5°
    off the axes, which turns distance rings into octagons. Multiplying travel time by
    this factor removes the bias exactly on uniform ground and nearly so elsewhere.

    Examples
    --------
    >>> g = GridSpec.centered_on(0.0, 0.0, crs="EPSG:32631", resolution=1.0, extent_m=5.0)
    >>> f = octile_correction(g, (2, 2))
    >>> float(f[2, 4]), round(float(f[0, 4]), 4), round(float(f[1, 4]), 4)
    (1.0, 1.0, 0.9262)
    """
    rows, cols = grid.shape
    dy = np.abs(np.arange(rows, dtype=np.float64) - start[0])[:, None]
    dx = np.abs(np.arange(cols, dtype=np.float64) - start[1])[None, :]
    lo, hi = np.minimum(dx, dy), np.maximum(dx, dy)
    octile = hi + (math.sqrt(2.0) - 1.0) * lo
    euclid = np.hypot(dx, dy)
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.where(octile > 0, euclid / octile, 1.0)
    return f


def effort_distance_km(
    times_h: NDArray[np.floating], grid: GridSpec, start: tuple[int, int]
) -> NDArray[np.float64]:
    """Travel time expressed in km of level, open, off-trail walking (octile-corrected).

    On uniform level ground this equals the straight-line distance from ``start``.
    """
    t = np.asarray(times_h, dtype=np.float64)
    return t * FLAT_OFF_TRAIL_KMH * octile_correction(grid, start)
