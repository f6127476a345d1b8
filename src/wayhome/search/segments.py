"""Search segments: the search area cut into pieces one team covers in one period.

:func:`segments_from_plan` cuts the area holding most of the probability along natural
boundaries (trails, roads, streams, cliffs, barriers and ridge lines) into segments near
a target size; :func:`segments_from_polygons` takes the planner's own segments instead.
Both return :class:`Segments`: one label per grid cell, so segments tile the search area
with no gaps and no overlaps by construction. :func:`segments_to_features` turns them
into GeoJSON features (longitude/latitude) with area, POA and a terrain summary.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from rasterio.features import rasterize, shapes
from scipy import ndimage
from shapely.geometry import MultiPolygon, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry

from wayhome.errors import InvalidParameterError
from wayhome.geo.coords import geometry_to_crs
from wayhome.geo.grid import GridSpec
from wayhome.geo.layers import LayerKind
from wayhome.geo.terrain import Terrain
from wayhome.geo.travel import LayerMasks, TravelModel
from wayhome.probability.poa import POA
from wayhome.search import _partition as partition

__all__ = [
    "BOUNDARY_KINDS",
    "REMAINDER_ID",
    "SEARCH_AREA_LEVEL",
    "SegmentInfo",
    "Segments",
    "segments_from_plan",
    "segments_from_polygons",
    "segments_to_features",
]

#: Layer kinds whose lines make segment boundaries (besides ridge lines from the terrain).
BOUNDARY_KINDS: tuple[LayerKind, ...] = (
    LayerKind.TRAIL,
    LayerKind.ROAD,
    LayerKind.STREAM,
    LayerKind.CLIFF,
    LayerKind.BARRIER,
)
#: Share of the grid's probability the default search area holds.
SEARCH_AREA_LEVEL = 0.95
#: ID of the segment holding what the planner's polygons leave out of the search area.
REMAINDER_ID = "UNSEG"

#: Merging prefers neighbours that stay below this many targets.
_MERGE_CAP = 1.5


@dataclass(frozen=True, slots=True)
class SegmentInfo:
    """What a planner reads about one segment.

    Parameters
    ----------
    id : str
        The segment's ID.
    area_km2 : float
        Area in square kilometres.
    poa : float
        Probability of area: the sum of its cells' probabilities.
    mean_slope_deg : float or None
        Mean slope in degrees (None without terrain).
    elevation_min_m, elevation_max_m : float or None
        Lowest and highest known elevation (None without terrain or elevation data).
    impassable_share : float or None
        Share of the area steeper than a person on foot can climb
        (:attr:`wayhome.geo.travel.TravelModel.max_slope`, about 45°).
    """

    id: str
    area_km2: float
    poa: float
    mean_slope_deg: float | None = None
    elevation_min_m: float | None = None
    elevation_max_m: float | None = None
    impassable_share: float | None = None

    @property
    def pden_per_km2(self) -> float:
        """Probability density: POA per square kilometre."""
        return self.poa / self.area_km2 if self.area_km2 > 0 else 0.0


@dataclass(frozen=True, slots=True, eq=False)
class Segments:
    """A search area tiled into segments: one segment index per grid cell.

    Parameters
    ----------
    grid : GridSpec
        The planning grid.
    labels : ndarray of int32
        Segment index ``0..n-1`` of every cell in the search area; ``-1`` outside it
        (impassable water, or beyond the area the planner chose).
    ids : tuple of str
        Stable, human IDs, ``ids[i]`` for segment ``i``; unique.
    notes : tuple of str
        What the segmentation decided that a planner should know (overlaps, remainders).

    Examples
    --------
    >>> g = GridSpec.centered_on(0.0, 0.0, crs="EPSG:32631", resolution=10.0, extent_m=30.0)
    >>> s = Segments(g, np.array([[0, 0, 1], [0, 0, 1], [-1, 1, 1]], np.int32), ("A", "B"))
    >>> s.area_m2().tolist()
    [400.0, 400.0]
    """

    grid: GridSpec
    labels: NDArray[np.int32]
    ids: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.labels.shape != self.grid.shape:
            raise InvalidParameterError(
                f"labels: shape {self.labels.shape} does not match the grid {self.grid.shape}"
            )
        if self.labels.dtype != np.int32:
            raise InvalidParameterError(f"labels: must be int32, got {self.labels.dtype}")
        n = len(self.ids)
        if int(self.labels.min(initial=-1)) < -1 or int(self.labels.max(initial=-1)) >= n:
            raise InvalidParameterError(
                f"labels: must be -1 (outside) or a segment index 0..{n - 1}"
            )
        if len(set(self.ids)) != n:
            dup = sorted({i for i in self.ids if self.ids.count(i) > 1})
            raise InvalidParameterError(f"ids: duplicate segment IDs {dup}; give each its own ID")
        counts = self._counts()
        if n and int(counts.min()) == 0:
            empty = self.ids[int(np.argmin(counts))]
            raise InvalidParameterError(
                f"segments: segment {empty!r} has zero area (no cell of the grid); "
                f"remove it or draw it larger than one cell"
            )

    def __len__(self) -> int:
        return len(self.ids)

    def _counts(self) -> NDArray[np.int64]:
        inside = self.labels[self.labels >= 0]
        return np.bincount(inside, minlength=len(self.ids)).astype(np.int64)

    def _sum(self, values: NDArray[np.floating]) -> NDArray[np.float64]:
        inside = self.labels >= 0
        return np.bincount(
            self.labels[inside], weights=values[inside], minlength=len(self.ids)
        ).astype(np.float64)

    @property
    def area_mask(self) -> NDArray[np.bool_]:
        """True for the cells of the search area (every cell some segment holds)."""
        return np.asarray(self.labels >= 0)

    def poa(self, poa: POA) -> NDArray[np.float64]:
        """Probability of area of each segment: the sum of its cells."""
        if poa.grid != self.grid:
            raise InvalidParameterError("poa: must be on the segments' grid")
        return self._sum(poa.cells)

    def area_m2(self) -> NDArray[np.float64]:
        """Area of each segment in square metres."""
        return self._counts().astype(np.float64) * self.grid.cell_area_m2

    def centroids_xy(self) -> NDArray[np.float64]:
        """Centroid of each segment's cells, shape ``(n, 2)``, grid CRS."""
        return partition.centroids(self.grid, self.labels, len(self.ids))

    def polygons(self) -> list[BaseGeometry]:
        """Each segment's outline (Polygon or MultiPolygon), grid CRS, in index order."""
        parts: list[list[BaseGeometry]] = [[] for _ in self.ids]
        for geom, value in shapes(
            self.labels, mask=self.area_mask, transform=self.grid.transform, connectivity=4
        ):
            parts[int(value)].append(shape(geom))
        return [_merge_polygons(p) for p in parts]

    def summary(self, poa: POA, terrain: Terrain | None = None) -> list[SegmentInfo]:
        """Area, POA and terrain summary of each segment, in index order."""
        cell_probs = self.poa(poa)
        areas = self.area_m2() / 1e6
        n = len(self.ids)
        slope_deg: list[float | None] = [None] * n
        lows: list[float | None] = [None] * n
        highs: list[float | None] = [None] * n
        steep: list[float | None] = [None] * n
        if terrain is not None:
            if terrain.grid != self.grid:
                raise InvalidParameterError("terrain: must be on the segments' grid")
            slope = terrain.slope()
            counts = np.maximum(self._counts(), 1).astype(np.float64)
            mean_deg = self._sum(np.degrees(np.arctan(slope.astype(np.float64)))) / counts
            share = self._sum((slope > TravelModel().max_slope).astype(np.float64)) / counts
            lo, hi = _elevation_range(terrain.elevation, self.labels, n)
            slope_deg = [round(float(v), 2) for v in mean_deg]
            steep = [round(float(v), 4) for v in share]
            lows, highs = lo, hi
        return [
            SegmentInfo(
                id=sid,
                area_km2=float(areas[i]),
                poa=float(cell_probs[i]),
                mean_slope_deg=slope_deg[i],
                elevation_min_m=lows[i],
                elevation_max_m=highs[i],
                impassable_share=steep[i],
            )
            for i, sid in enumerate(self.ids)
        ]


def _merge_polygons(parts: Sequence[BaseGeometry]) -> BaseGeometry:
    if not parts:
        return Polygon()
    merged = shapely.union_all(list(parts))
    if isinstance(merged, Polygon | MultiPolygon):
        return merged
    polys = [g for g in getattr(merged, "geoms", []) if isinstance(g, Polygon)]
    return MultiPolygon(polys)


def _elevation_range(
    elevation: NDArray[np.float32], labels: NDArray[np.int32], n: int
) -> tuple[list[float | None], list[float | None]]:
    z = elevation.astype(np.float64)
    known = np.isfinite(z)
    index = np.arange(1, n + 1)
    lab = labels + 1
    lo = ndimage.minimum(np.where(known, z, np.inf), labels=lab, index=index)
    hi = ndimage.maximum(np.where(known, z, -np.inf), labels=lab, index=index)
    lows = [round(float(v), 1) if math.isfinite(v) else None for v in np.atleast_1d(lo)]
    highs = [round(float(v), 1) if math.isfinite(v) else None for v in np.atleast_1d(hi)]
    return lows, highs


# ---------------------------------------------------------------------------- from a plan
def segments_from_plan(
    grid: GridSpec,
    *,
    poa: POA,
    terrain: Terrain | None,
    masks: LayerMasks | None,
    target_km2: float,
    min_km2: float | None = None,
    mask: NDArray[np.bool_] | None = None,
    level: float = SEARCH_AREA_LEVEL,
    ipp_xy: tuple[float, float] | None = None,
) -> Segments:
    """Cut the search area into segments along natural boundaries, near a target size.

    Parameters
    ----------
    grid : GridSpec
        The planning grid (that of ``poa``, ``terrain`` and ``masks``).
    poa : POA
        The probability map; it chooses the search area unless ``mask`` is given.
    terrain : Terrain or None
        Elevation: ridge lines become boundaries and split lines lean onto ridges and
        valleys. ``None``: layers and geometry only.
    masks : LayerMasks or None
        Rasterised layers: trails, roads, streams, cliffs and barriers are boundaries;
        water is left out of the search area.
    target_km2 : float
        What one team covers in one period; large pieces are split into about this size.
    min_km2 : float, optional
        Pieces smaller than this merge into the neighbour they share the most border
        with (default a quarter of the target). Isolated pieces stay on their own.
    mask : ndarray of bool, optional
        The search area the planner chose; default the smallest set of cells holding
        ``level`` of the probability inside the grid.
    level : float
        Share of the grid's probability the default search area holds (0.95; 0.99 for
        a wider net).
    ipp_xy : (float, float), optional
        Point the IDs count out from (nearest first, then clockwise from north); default
        the grid's centre, which is the IPP on a planning grid.

    Returns
    -------
    Segments
        IDs ``A01``, ``A02``, ...: ``A01`` holds ``ipp_xy``, the rest follow by distance
        of their centroid from it, then bearing; the same input always gives the same
        segments and IDs.

    Raises
    ------
    InvalidParameterError
        ``target_km2`` not positive (or smaller than four cells), ``min_km2`` negative or
        above the target, inputs on another grid, or an empty search area.
    """
    cell_km2 = grid.cell_area_m2 / 1e6
    _check_plan_inputs(grid, poa, terrain, masks, mask, target_km2, min_km2, level, cell_km2)
    min_value = target_km2 / 4.0 if min_km2 is None else min_km2
    target_cells = target_km2 / cell_km2
    min_cells = min_value / cell_km2

    # 1. Where to search: the planner's mask or the cells holding most of the probability.
    area, area_note = _search_area(grid, poa, masks, mask, level)
    # 2. Natural boundaries: trails, roads, streams, cliffs, barriers and ridge crests.
    boundary = area & _boundaries(grid, terrain, masks)
    # 3. Pieces between the boundaries (boundary-only patches count as pieces too).
    pieces = partition.pieces_between(area, boundary)
    # 4. Split pieces larger than the target, leaning split lines onto ridges and valleys.
    surface = None if terrain is None else partition.terrain_surface(terrain, target_cells)
    pieces = partition.split_large(pieces, surface, target_cells)
    # 5. Boundary cells join the piece they touch most: the area is tiled.
    pieces = partition.grow_into(pieces, area)
    # 6. Slivers merge into the neighbour they share the most border with.
    pieces, isolated = partition.merge_small(pieces, min_cells, _MERGE_CAP * target_cells)
    # 7. Stable IDs: nearest to the IPP first, then clockwise from north.
    ref = ipp_xy if ipp_xy is not None else _grid_centre(grid)
    labels = partition.order_by_position(grid, pieces, ref)
    n = int(labels.max()) + 1
    width = max(2, len(str(n)))
    notes = [area_note]
    if isolated:
        notes.append(
            f"{isolated} isolated patch(es) smaller than {min_value:g} km² kept as segments "
            f"of their own"
        )
    ids = tuple(f"A{i + 1:0{width}d}" for i in range(n))
    return Segments(grid, labels, ids, tuple(notes))


def _check_plan_inputs(
    grid: GridSpec,
    poa: POA,
    terrain: Terrain | None,
    masks: LayerMasks | None,
    mask: NDArray[np.bool_] | None,
    target_km2: float,
    min_km2: float | None,
    level: float,
    cell_km2: float,
) -> None:
    if not (math.isfinite(target_km2) and target_km2 > 0):
        raise InvalidParameterError(
            f"target_km2: must be a positive area in km² (what one team covers in one "
            f"period, e.g. 0.5), got {target_km2}"
        )
    if target_km2 < 4 * cell_km2:
        raise InvalidParameterError(
            f"target_km2: {target_km2:g} km² is smaller than four grid cells "
            f"({4 * cell_km2:g} km²); use a larger target or a finer grid"
        )
    if min_km2 is not None and not (math.isfinite(min_km2) and 0 <= min_km2 <= target_km2):
        raise InvalidParameterError(
            f"min_km2: must be between 0 and target_km2 ({target_km2:g}), got {min_km2}"
        )
    if not 0.0 < level <= 1.0:
        raise InvalidParameterError(f"level: must be in (0, 1], got {level}")
    for name, g in (
        ("poa", poa.grid),
        ("terrain", None if terrain is None else terrain.grid),
        ("masks", None if masks is None else masks.grid),
    ):
        if g is not None and g != grid:
            raise InvalidParameterError(f"{name}: must be on the planning grid")
    if mask is not None and (mask.shape != grid.shape or mask.dtype != np.bool_):
        raise InvalidParameterError(
            f"mask: must be a boolean array of the grid's shape {grid.shape}, "
            f"got {mask.dtype} {mask.shape}"
        )


def _boundaries(
    grid: GridSpec, terrain: Terrain | None, masks: LayerMasks | None
) -> NDArray[np.bool_]:
    lines = np.zeros(grid.shape, dtype=np.bool_)
    if masks is not None:
        lines |= masks.any_of(*BOUNDARY_KINDS)
    if terrain is not None:
        lines |= partition.ridge_lines(terrain)
    return lines


def _grid_centre(grid: GridSpec) -> tuple[float, float]:
    left, bottom, right, top = grid.bounds
    return ((left + right) / 2.0, (bottom + top) / 2.0)


def _search_area(
    grid: GridSpec,
    poa: POA,
    masks: LayerMasks | None,
    mask: NDArray[np.bool_] | None,
    level: float,
) -> tuple[NDArray[np.bool_], str]:
    water = masks.get(LayerKind.WATER) if masks is not None else np.zeros(grid.shape, np.bool_)
    cell_km2 = grid.cell_area_m2 / 1e6
    if mask is not None:
        area = mask & ~water
        if not area.any():
            raise InvalidParameterError(
                "mask: selects no cell of the grid outside water; give the area to search"
            )
        return area, f"search area: the given mask ({area.sum() * cell_km2:.2f} km²)"
    if float(poa.cells.sum()) <= 0.0:
        raise InvalidParameterError(
            "poa: holds no probability inside the grid; give a mask of the area to search"
        )
    area = partition.top_mass(poa.cells, level) & ~water
    if not area.any():
        raise InvalidParameterError(
            "poa: all of its probability lies on water; give a mask of the area to search"
        )
    return area, (
        f"search area: the cells holding {level:.0%} of the probability in the grid "
        f"({area.sum() * cell_km2:.2f} km²)"
    )


# ---------------------------------------------------------------------------- planner-drawn
def segments_from_polygons(
    grid: GridSpec,
    polygons: Sequence[tuple[str, BaseGeometry]],
    *,
    poa: POA | None = None,
    level: float = SEARCH_AREA_LEVEL,
    masks: LayerMasks | None = None,
) -> Segments:
    """Segments from the planner's polygons (grid CRS), in the order given.

    A cell belongs to the polygon that holds its centre. Where polygons overlap, the
    earlier one keeps the shared cells and a note says so. With ``poa``, the cells of the
    search area (those holding ``level`` of the grid's probability) that no polygon holds
    become one more segment, :data:`REMAINDER_ID`, and a note says how much it holds;
    as in :func:`segments_from_plan`, water in ``masks`` is not part of that remainder
    (nobody searches a lake on foot). The drawn polygons keep every cell they hold.

    Raises
    ------
    InvalidParameterError
        No polygons, an empty or duplicate ID, a polygon with zero area (a line, a point,
        or a ring with fewer than three distinct corners), one that holds no cell centre
        of the grid, or one entirely covered by earlier polygons.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> g = GridSpec.centered_on(5.0, 5.0, crs="EPSG:32631", resolution=1.0, extent_m=10.0)
    >>> g.bounds
    (-0.5, -0.5, 10.5, 10.5)
    >>> west, east = box(-0.5, -0.5, 4.5, 10.5), box(3.5, -0.5, 10.5, 10.5)
    >>> s = segments_from_polygons(g, [("B1", west), ("B2", east)])
    >>> s.ids, s.area_m2().tolist()
    (('B1', 'B2'), [55.0, 66.0])
    >>> s.notes[0][:46]
    "segments 'B1' and 'B2' overlap by 0.000011 km²"
    """
    if not polygons:
        raise InvalidParameterError(
            "polygons: no segments given; draw at least one, or use segments_from_plan"
        )
    labels = np.full(grid.shape, -1, dtype=np.int32)
    ids: list[str] = []
    notes: list[str] = []
    cell_km2 = grid.cell_area_m2 / 1e6
    for index, (raw_id, geom) in enumerate(polygons):
        sid = str(raw_id).strip()
        if not sid:
            raise InvalidParameterError(
                f"polygons: segment {index + 1} has an empty ID; give every segment a name"
            )
        if sid in ids:
            raise InvalidParameterError(
                f"polygons: the ID {sid!r} is used by more than one segment; "
                f"give each segment its own ID"
            )
        if geom.is_empty or not geom.area > 0:
            raise InvalidParameterError(
                f"segments: segment {sid!r} has zero area; draw it as a closed polygon "
                f"with at least three distinct corners"
            )
        cells = _cells_of(grid, geom)
        if not cells.any():
            raise InvalidParameterError(
                f"segments: segment {sid!r} holds no cell of the planning grid (it lies "
                f"outside the grid or is smaller than one {grid.resolution:g} m cell); "
                f"redraw it or remove it"
            )
        taken = labels[cells]
        owners, counts = np.unique(taken[taken >= 0], return_counts=True)
        for owner, count in zip(owners.tolist(), counts.tolist(), strict=True):
            notes.append(
                f"segments {ids[owner]!r} and {sid!r} overlap by {count * cell_km2:.6f} km² "
                f"({count / cells.sum():.0%} of {sid!r}); the shared cells belong to "
                f"{ids[owner]!r}, drawn first"
            )
        free = cells & (labels < 0)
        if not free.any():
            earlier = ", ".join(repr(ids[o]) for o in owners.tolist())
            raise InvalidParameterError(
                f"segments: segment {sid!r} lies entirely inside earlier segments "
                f"({earlier}), so it has zero area of its own; remove or redraw it"
            )
        labels[free] = len(ids)
        ids.append(sid)
    if poa is not None:
        if poa.grid != grid:
            raise InvalidParameterError("poa: must be on the planning grid")
        if not 0.0 < level <= 1.0:
            raise InvalidParameterError(f"level: must be in (0, 1], got {level}")
        if masks is not None and masks.grid != grid:
            raise InvalidParameterError("masks: must be on the planning grid")
        water = masks.get(LayerKind.WATER) if masks is not None else np.zeros(grid.shape, np.bool_)
        rest = (
            partition.top_mass(poa.cells, level) & (labels < 0) & ~water
            if poa.cells.sum() > 0
            else None
        )
        if rest is not None and rest.any():
            if REMAINDER_ID in ids:
                raise InvalidParameterError(
                    f"polygons: the ID {REMAINDER_ID!r} is reserved for the area no segment "
                    f"covers; rename that segment"
                )
            labels[rest] = len(ids)
            ids.append(REMAINDER_ID)
            notes.append(
                f"{REMAINDER_ID}: {rest.sum() * cell_km2:.2f} km² of the {level:.0%} "
                f"probability area (POA {poa.cells[rest].sum():.3f}) lies outside the drawn "
                f"segments"
            )
    return Segments(grid, labels, tuple(ids), tuple(notes))


def _cells_of(grid: GridSpec, geom: BaseGeometry) -> NDArray[np.bool_]:
    burned = rasterize(
        [(geom, 1)],
        out_shape=grid.shape,
        transform=grid.transform,
        fill=0,
        all_touched=False,
        dtype="uint8",
    )
    return np.asarray(burned, dtype=np.bool_)


# ---------------------------------------------------------------------------- GeoJSON
def segments_to_features(
    segments: Segments,
    poa: POA,
    terrain: Terrain | None = None,
    *,
    extra: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """GeoJSON Feature dicts of the segments, longitude/latitude (RFC 7946).

    Properties: ``id``, ``area_km2``, ``poa``, ``pden`` (POA per km²), ``mean_slope_deg``,
    ``elevation_min_m``, ``elevation_max_m``, ``impassable_share`` (null without
    terrain), then any ``extra`` properties given per segment ID (POD, team, ...).

    Raises
    ------
    InvalidParameterError
        ``extra`` names a segment ID that does not exist.
    """
    extra = extra or {}
    unknown = sorted(set(extra) - set(segments.ids))
    if unknown:
        raise InvalidParameterError(
            f"extra: no segment with ID(s) {unknown}; use the IDs of the segments"
        )
    infos = segments.summary(poa, terrain)
    features: list[dict[str, Any]] = []
    for info, geom in zip(infos, segments.polygons(), strict=True):
        props: dict[str, Any] = {
            "id": info.id,
            "area_km2": round(info.area_km2, 4),
            "poa": round(info.poa, 6),
            "pden": round(info.pden_per_km2, 6),
            "mean_slope_deg": info.mean_slope_deg,
            "elevation_min_m": info.elevation_min_m,
            "elevation_max_m": info.elevation_max_m,
            "impassable_share": info.impassable_share,
        }
        props.update(extra.get(info.id, {}))
        lonlat = geometry_to_crs(geom, segments.grid.crs, "EPSG:4326")
        features.append({"type": "Feature", "geometry": mapping(lonlat), "properties": props})
    return features
