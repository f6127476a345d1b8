"""Plumbing of :func:`wayhome.search.segments.segments_from_plan`: a raster partition.

Each step takes and returns label arrays (``-1`` outside, ``0..n-1`` inside); the public
module strings them together as a recipe. Deterministic: no random numbers anywhere
(k-means starts from the farthest-point sample, ties break on the lower label).
"""

from __future__ import annotations

import heapq
import math

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage
from scipy.spatial import cKDTree
from skimage.morphology import skeletonize
from skimage.segmentation import watershed

from wayhome.geo.grid import GridSpec
from wayhome.geo.terrain import Terrain
from wayhome.probability.terrain import _Z10, local_position_z

#: Ridge crest lines shorter than this are ignored (knolls, noise).
MIN_RIDGE_M = 300.0
#: A piece of a split still larger than this many targets is split again.
RESPLIT = 1.25
#: How far (as a share of a target segment's width) a ridge or valley pulls a split line.
TERRAIN_PULL = 0.3
#: Cell offsets of the 8 neighbours and their vote weights (edge 2, corner 1).
NEIGHBOURS: tuple[tuple[int, int, int], ...] = (
    (-1, 0, 2),
    (1, 0, 2),
    (0, -1, 2),
    (0, 1, 2),
    (-1, -1, 1),
    (-1, 1, 1),
    (1, -1, 1),
    (1, 1, 1),
)
_EIGHT = np.ones((3, 3), dtype=bool)


def centroids(grid: GridSpec, labels: NDArray[np.int32], n: int) -> NDArray[np.float64]:
    """Centroid (x, y) of the cells of each label ``0..n-1``, shape ``(n, 2)``."""
    xs, ys = grid.centers()
    inside = labels >= 0
    lab = labels[inside]
    counts = np.maximum(np.bincount(lab, minlength=n), 1).astype(np.float64)
    gx = np.broadcast_to(xs[np.newaxis, :], grid.shape)[inside]
    gy = np.broadcast_to(ys[:, np.newaxis], grid.shape)[inside]
    cx = np.bincount(lab, weights=gx, minlength=n) / counts
    cy = np.bincount(lab, weights=gy, minlength=n) / counts
    return np.column_stack([cx, cy]).astype(np.float64)


def top_mass(cells: NDArray[np.float64], level: float) -> NDArray[np.bool_]:
    """The smallest set of cells (highest first) holding ``level`` of the cells' total."""
    total = float(cells.sum())
    flat = np.sort(cells, axis=None)[::-1]
    cum = np.cumsum(flat)
    k = int(np.searchsorted(cum, level * total * (1.0 - 1e-12), side="left"))
    threshold = flat[min(k, flat.size - 1)]
    return np.asarray((cells >= threshold) & (cells > 0))


def ridge_lines(terrain: Terrain) -> NDArray[np.bool_]:
    """Crest lines: the skeleton of local high ground (top 10 % within 2 km)."""
    high = local_position_z(terrain) >= _Z10
    if not high.any():
        return high
    crest = np.asarray(skeletonize(high), dtype=np.bool_)  # type: ignore[no-untyped-call]
    lab, n = ndimage.label(crest, structure=_EIGHT)
    if n == 0:
        return crest
    sizes = np.bincount(lab.ravel())
    min_cells = max(5, math.ceil(MIN_RIDGE_M / terrain.grid.resolution))
    keep = sizes >= min_cells
    keep[0] = False
    return np.asarray(keep[lab])


def pieces_between(area: NDArray[np.bool_], boundary: NDArray[np.bool_]) -> NDArray[np.int32]:
    """Label 4-connected free cells; patches of the area with no free cell become pieces."""
    free = area & ~boundary
    pieces, n = ndimage.label(free)
    pieces = pieces.astype(np.int32) - 1
    comps, n_comps = ndimage.label(area, structure=_EIGHT)
    seeded = np.zeros(n_comps + 1, dtype=np.bool_)
    seeded[np.unique(comps[free])] = True
    bare = area & ~seeded[comps]
    if bare.any():
        extra, _ = ndimage.label(bare, structure=_EIGHT)
        pieces[bare] = (extra[bare] - 1 + n).astype(np.int32)
    return pieces


def terrain_surface(terrain: Terrain, target_cells: float) -> NDArray[np.float64]:
    """Ridge-and-valley strength in cells of distance, for the compact watershed."""
    z = np.abs(local_position_z(terrain))
    return np.asarray(np.minimum(z / _Z10, 1.0) * (TERRAIN_PULL * math.sqrt(target_cells)))


def split_large(
    pieces: NDArray[np.int32], surface: NDArray[np.float64] | None, target_cells: float
) -> NDArray[np.int32]:
    """Split pieces above ``target_cells`` into ``ceil(size / target)`` parts, recursively."""
    out = np.full(pieces.shape, -1, dtype=np.int32)
    next_label = 0
    stack: list[tuple[NDArray[np.bool_], tuple[slice, ...], int]] = []
    for i, slc in enumerate(ndimage.find_objects(pieces + 1)):
        if slc is not None:
            stack.append((np.asarray(pieces[slc] == i), slc, 0))
    while stack:
        region, slc, depth = stack.pop(0)
        cells = int(region.sum())
        if cells > target_cells and depth < 4:
            k = min(math.ceil(cells / target_cells), cells)
            parts = _split_region(region, None if surface is None else surface[slc], k)
            if parts is not None:
                resplit = RESPLIT * target_cells
                for j in range(1, int(parts.max()) + 1):
                    part = parts == j
                    if part.sum() > resplit:
                        stack.append((part, slc, depth + 1))
                    else:
                        out[slc][part] = next_label
                        next_label += 1
                continue
        out[slc][region] = next_label
        next_label += 1
    return out


def _split_region(
    region: NDArray[np.bool_], surface: NDArray[np.float64] | None, k: int
) -> NDArray[np.int32] | None:
    """Split a connected region into ``k`` parts: k-means seeds, compact watershed."""
    rows, cols = np.nonzero(region)
    pts = np.column_stack([rows, cols]).astype(np.float64)
    centres = _kmeans(pts, k)
    _, nearest = cKDTree(pts).query(centres)
    seeds = np.unique(np.asarray(nearest, dtype=np.int64))
    if seeds.size < 2:
        return None
    markers = np.zeros(region.shape, dtype=np.int32)
    markers[rows[seeds], cols[seeds]] = np.arange(1, seeds.size + 1, dtype=np.int32)
    image = np.zeros(region.shape) if surface is None else surface
    parts = watershed(image, markers, mask=region, compactness=1.0)  # type: ignore[no-untyped-call]
    return np.asarray(parts, dtype=np.int32)


def _kmeans(pts: NDArray[np.float64], k: int, *, iterations: int = 30) -> NDArray[np.float64]:
    """Deterministic k-means: farthest-point start, Lloyd steps on a regular sample."""
    step = max(1, math.ceil(len(pts) / max(20_000, 30 * k)))
    sample = pts[::step]
    first = int(np.argmin(((sample - sample.mean(axis=0)) ** 2).sum(axis=1)))
    chosen = [first]
    dist = ((sample - sample[first]) ** 2).sum(axis=1)
    for _ in range(1, k):
        nxt = int(np.argmax(dist))
        chosen.append(nxt)
        dist = np.minimum(dist, ((sample - sample[nxt]) ** 2).sum(axis=1))
    centres = sample[chosen].copy()
    for _ in range(iterations):
        _, nearest = cKDTree(centres).query(sample)
        nearest = np.asarray(nearest, dtype=np.int64)
        counts = np.bincount(nearest, minlength=k).astype(np.float64)
        sums = np.stack(
            [np.bincount(nearest, weights=sample[:, a], minlength=k) for a in (0, 1)], axis=1
        )
        moved = np.where(counts[:, None] > 0, sums / np.maximum(counts, 1.0)[:, None], centres)
        if np.allclose(moved, centres):
            break
        centres = moved
    return centres


def grow_into(pieces: NDArray[np.int32], area: NDArray[np.bool_]) -> NDArray[np.int32]:
    """Give every unlabelled area cell the label its neighbours hold most (edges count 2)."""
    lab = pieces.copy()
    weights = np.array([w for _, _, w in NEIGHBOURS], dtype=np.int64)
    big = np.int64(int(lab.max(initial=0)) + 2)
    while True:
        rows, cols = np.nonzero(area & (lab < 0))
        if rows.size == 0:
            return lab
        padded = np.pad(lab, 1, constant_values=-1)
        neigh = np.stack([padded[rows + 1 + dr, cols + 1 + dc] for dr, dc, _ in NEIGHBOURS], 1)
        same = neigh[:, :, np.newaxis] == neigh[:, np.newaxis, :]
        score = (same * weights[np.newaxis, np.newaxis, :]).sum(axis=2).astype(np.int64)
        key = np.where(neigh >= 0, score * big - neigh, np.int64(-1))
        best = neigh[np.arange(rows.size), np.argmax(key, axis=1)]
        has = best >= 0
        if not has.any():  # cannot happen: every patch of the area holds a piece
            raise AssertionError("segments: unreachable cells in the search area")
        lab[rows[has], cols[has]] = best[has]


def _adjacency(lab: NDArray[np.int32]) -> dict[int, dict[int, int]]:
    """Shared border between labels: edge contacts count 2, corner contacts 1."""
    adj: dict[int, dict[int, int]] = {}
    pairs = (
        (lab[:, :-1], lab[:, 1:], 2),
        (lab[:-1, :], lab[1:, :], 2),
        (lab[:-1, :-1], lab[1:, 1:], 1),
        (lab[:-1, 1:], lab[1:, :-1], 1),
    )
    span = int(lab.max(initial=-1)) + 1
    for a, b, w in pairs:
        ok = (a >= 0) & (b >= 0) & (a != b)
        lo = np.minimum(a[ok], b[ok]).astype(np.int64)
        hi = np.maximum(a[ok], b[ok]).astype(np.int64)
        keys, counts = np.unique(lo * span + hi, return_counts=True)
        for key, count in zip(keys.tolist(), counts.tolist(), strict=True):
            x, y = divmod(key, span)
            adj.setdefault(x, {})[y] = adj.get(x, {}).get(y, 0) + w * count
            adj.setdefault(y, {})[x] = adj.get(y, {}).get(x, 0) + w * count
    return adj


def merge_small(
    lab: NDArray[np.int32], min_cells: float, cap_cells: float
) -> tuple[NDArray[np.int32], int]:
    """Merge pieces below ``min_cells``, smallest first; returns labels and isolated count."""
    n = int(lab.max()) + 1
    size = np.bincount(lab[lab >= 0], minlength=n).astype(np.int64)
    adj = _adjacency(lab)
    parent = np.arange(n, dtype=np.int64)
    heap = [(int(size[i]), i) for i in range(n) if size[i] < min_cells]
    heapq.heapify(heap)
    isolated = 0
    while heap:
        s, a = heapq.heappop(heap)
        if parent[a] != a or s != size[a]:
            continue
        nbrs = adj.get(a, {})
        if not nbrs:
            isolated += 1
            continue
        b = min(
            nbrs,
            key=lambda m: (size[a] + size[m] > cap_cells, -nbrs[m], int(size[m]), m),
        )
        parent[a] = b
        size[b] += size[a]
        for m, w in nbrs.items():
            adj[m].pop(a, None)
            if m != b:
                adj[b][m] = adj[b].get(m, 0) + w
                adj[m][b] = adj[m].get(b, 0) + w
        del adj[a]
        if size[b] < min_cells:
            heapq.heappush(heap, (int(size[b]), b))
    for i in range(n):  # resolve chains of merges
        root = i
        while parent[root] != root:
            root = int(parent[root])
        parent[i] = root
    out = np.where(lab >= 0, parent[np.maximum(lab, 0)], -1)
    return out.astype(np.int32), isolated


def order_by_position(
    grid: GridSpec, lab: NDArray[np.int32], ref: tuple[float, float]
) -> NDArray[np.int32]:
    """Labels 0..n-1: the piece holding ``ref`` first, then by centroid distance from
    ``ref`` (in whole cells), then by bearing clockwise from north."""
    used = np.unique(lab[lab >= 0])
    dense = np.full(int(lab.max()) + 1, -1, dtype=np.int64)
    dense[used] = np.arange(used.size)
    compact = np.where(lab >= 0, dense[np.maximum(lab, 0)], -1).astype(np.int32)
    cxy = centroids(grid, compact, used.size)
    dx, dy = cxy[:, 0] - ref[0], cxy[:, 1] - ref[1]
    ring = np.round(np.hypot(dx, dy) / grid.resolution)
    r, c = grid.index(*ref)
    if 0 <= r < grid.shape[0] and 0 <= c < grid.shape[1] and compact[r, c] >= 0:
        ring[compact[r, c]] = -1.0
    bearing = np.round(np.degrees(np.arctan2(dx, dy)) % 360.0, 6)
    order = np.lexsort((np.arange(used.size), bearing, ring))
    rank = np.empty(used.size, dtype=np.int32)
    rank[order] = np.arange(used.size, dtype=np.int32)
    return np.where(compact >= 0, rank[np.maximum(compact, 0)], -1).astype(np.int32)
