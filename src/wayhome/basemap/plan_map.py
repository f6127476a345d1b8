"""The map of one plan directory: what the map server draws, made once per plan version.

:class:`PlanMap` holds one version of a plan directory (read with
:func:`wayhome.io.plan_dir.read_plan_dir`) and makes its products on first use, then
keeps them: the hillshade and POA pyramids (tiles), the contours, the segments, layers
and regions as GeoJSON. :class:`MapCache` keeps the maps of a few plans and reads a plan
again when its :func:`plan_version` changes, which it does whenever ``wayhome debrief``,
``clue`` or any other command rewrites the directory (the rewrite replaces the files, so
their size, modification time or inode change).

The segments and regions are served as the planning command wrote them
(``segments.geojson``, ``regions.geojson``, read with the rest of the plan), since the
plan directory keeps them current; they are made from the rasters only when missing.

Thread-safe: the server renders tiles from several threads; each product is made by one
of them while the others wait for it.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np
from rasterio.warp import transform_bounds
from shapely.geometry import mapping

from wayhome.basemap.relief import contour_interval, contours_from_dem, hillshade
from wayhome.basemap.tiles import (
    MERCATOR,
    TILE_SIZE,
    TILE_SIZES,
    MercatorPyramid,
    blank_png,
    heat_png,
    shade_png,
    tile_bounds,
    tile_exists,
    tiles_over,
)
from wayhome.errors import InvalidParameterError
from wayhome.geo.coords import geometry_to_crs, lonlat_of
from wayhome.geo.terrain import Terrain
from wayhome.geo.travel import layers_to_crs
from wayhome.io.plan_dir import PlanState, read_plan_dir
from wayhome.probability.regions import regions_from_poa
from wayhome.search.period import segment_report
from wayhome.search.segments import segments_to_features

__all__ = [
    "POA_MODELS",
    "MapCache",
    "MapInfo",
    "PlanMap",
    "PlanSummary",
    "PoaModel",
    "plan_version",
]

#: The POA maps a plan has: the current map (after every piece of evidence) and the prior.
POA_MODELS: tuple[str, ...] = ("posterior", "prior")
PoaModel = Literal["posterior", "prior"]

#: The files whose change changes a plan's version (those a map is drawn from).
_VERSIONED = (
    "poa.tif",
    "prior.tif",
    "terrain.tif",
    "layers.geojson",
    "segments.tif",
    "segments.geojson",
    "regions.geojson",
    "summary.json",
    "evidence.json",
)
#: Earth's circumference at the equator in web-mercator metres.
_WORLD_M = 2.0 * math.pi * 6378137.0
#: Tiles are offered until a cell is this many tile pixels wide (overzoom).
_MAX_OVERZOOM_PX = 8.0
#: ... and from the zoom where the plan is at least this many pixels across.
_MIN_PLAN_PX = 16.0
_MAX_ZOOM = 22
#: Encoded tiles kept per plan (about 20 to 60 kB each).
_TILE_LRU = 512

_T = TypeVar("_T")


def plan_version(path: Path | str) -> str:
    """A short fingerprint of a plan directory: changes whenever a plan file is rewritten.

    Made from the directory's inode and each plan file's name, size, modification time
    (nanoseconds) and inode, so it costs a few ``stat`` calls and reads no data.

    Raises
    ------
    InvalidParameterError
        ``path`` is not a directory.
    """
    p = Path(path)
    try:
        st = p.stat()
    except OSError:
        st = None
    if st is None or not p.is_dir():
        raise InvalidParameterError(f"path: {p} is not a plan directory; link the plan again")
    parts: list[object] = [st.st_ino, st.st_dev]
    for name in _VERSIONED:
        try:
            f = (p / name).stat()
        except FileNotFoundError:
            continue
        parts.append((name, f.st_size, f.st_mtime_ns, f.st_ino))
    return hashlib.blake2b(repr(parts).encode(), digest_size=8).hexdigest()


@dataclass(frozen=True, slots=True)
class MapInfo:
    """What a map client needs to set up the map of a plan (``GET .../map``)."""

    bounds: tuple[float, float, float, float]
    center: tuple[float, float]
    crs: str
    cell_size_m: float
    poa_models: tuple[str, ...]
    has_terrain: bool
    has_segments: bool
    has_layers: bool
    contour_interval_m: float | None
    poa_max: float
    poa_max_by_model: dict[str, float]
    min_zoom: int
    max_zoom: int
    version: str


@dataclass(frozen=True, slots=True)
class PlanSummary:
    """The plan linked to an incident, in a few words (``GET .../plan``)."""

    path: str
    title: str
    updated_at: datetime
    has_segments: bool
    has_terrain: bool
    evidence: int


class PlanMap:
    """The map products of one version of a plan directory, each made on first use.

    Parameters
    ----------
    path : Path
        The plan directory.
    state : PlanState
        What it holds (:func:`~wayhome.io.plan_dir.read_plan_dir`).
    version : str
        Its :func:`plan_version` when ``state`` was read.
    updated_at : datetime
        When its newest plan file was written (UTC).
    written : mapping of str to list, optional
        The features of the plan's ``segments.geojson`` and ``regions.geojson`` as read
        with ``state`` (served as written; made from ``state`` when missing).
    """

    def __init__(
        self,
        path: Path,
        state: PlanState,
        version: str,
        updated_at: datetime,
        written: Mapping[str, list[dict[str, Any]]] | None = None,
    ) -> None:
        self.path = path
        self.state = state
        self.version = version
        self.updated_at = updated_at
        self._written = dict(written or {})
        grid = state.grid
        left, bottom, right, top = transform_bounds(
            grid.crs, MERCATOR, *grid.bounds, densify_pts=21
        )
        self._bounds_m = (float(left), float(bottom), float(right), float(top))
        west, south, east, north = transform_bounds(grid.crs, "EPSG:4326", *grid.bounds)
        self._bounds_lonlat = (
            round(west, 6), round(south, 6), round(east, 6), round(north, 6)
        )  # fmt: skip
        self._products: dict[str, object] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._tiles: OrderedDict[tuple[str, int, int, int, int], bytes] = OrderedDict()

    @classmethod
    def read(cls, path: Path | str) -> PlanMap:
        """Read the plan directory at ``path`` (its version taken before and after)."""
        p = Path(path)
        for _ in range(3):
            before = plan_version(p)
            state = read_plan_dir(p)
            written = {name: _features(p / f"{name}.geojson") for name in ("segments", "regions")}
            if plan_version(p) == before:
                break
        # (Rewritten three times while being read: the last read is taken as it is.)
        kept = {k: v for k, v in written.items() if v is not None}
        return cls(p, state, before, _updated_at(p), kept)

    # ------------------------------------------------------------------ the set-up
    def info(self) -> MapInfo:
        """Bounds, centre, zoom range and what the plan has (made once)."""
        return self._product("info", self._make_info)

    def _make_info(self) -> MapInfo:
        st = self.state
        elevation = st.elevation
        has_terrain = elevation is not None and bool(np.isfinite(elevation).any())
        ipp = lonlat_of(*st.ipp_xy, st.grid.crs)
        zmin, zmax = self.zoom_range()
        maxes = {"posterior": _peak(st.poa.cells), "prior": _peak(st.prior.cells)}
        return MapInfo(
            bounds=self._bounds_lonlat,
            center=(round(ipp.lon, 6), round(ipp.lat, 6)),
            crs=st.grid.crs,
            cell_size_m=st.grid.resolution,
            poa_models=POA_MODELS,
            has_terrain=has_terrain,
            has_segments=st.segments is not None,
            has_layers=st.layers is not None and bool(st.layers.features),
            contour_interval_m=(
                contour_interval(elevation) if has_terrain and elevation is not None else None
            ),
            poa_max=maxes["posterior"],
            poa_max_by_model=maxes,
            min_zoom=zmin,
            max_zoom=zmax,
            version=self.version,
        )

    def summary(self) -> PlanSummary:
        """Title, time of the last write, what the plan has and its evidence count."""
        st = self.state
        return PlanSummary(
            path=str(self.path),
            title=st.title(),
            updated_at=self.updated_at,
            has_segments=st.segments is not None,
            has_terrain=st.elevation is not None,
            evidence=len(st.evidence.active()),
        )

    def zoom_range(self) -> tuple[int, int]:
        """Zooms with tiles: from the plan ~16 px wide to a cell 8 tile pixels wide."""
        left, _, right, _ = self._bounds_m
        lat = math.radians((self._bounds_lonlat[1] + self._bounds_lonlat[3]) / 2.0)
        width = max(right - left, 1.0)
        zmin = math.floor(math.log2(_WORLD_M * _MIN_PLAN_PX / (TILE_SIZE * width)))
        # Ground size of a tile pixel at zoom z: _WORLD_M * cos(lat) / (256 * 2**z).
        cell_px = self.state.grid.resolution / _MAX_OVERZOOM_PX
        zmax = math.ceil(math.log2(_WORLD_M * math.cos(lat) / (TILE_SIZE * cell_px)))
        zmax = min(_MAX_ZOOM, zmax)
        return max(0, min(zmin, zmax)), zmax

    def covers(self, z: int, x: int, y: int) -> bool:
        """True when z/x/y is a tile in the zoom range that overlaps the plan."""
        zmin, zmax = self.zoom_range()
        if not (tile_exists(z, x, y) and zmin <= z <= zmax):
            return False
        left, bottom, right, top = tile_bounds(z, x, y)
        bl, bb, br, bt = self._bounds_m
        return left < br and right > bl and bottom < bt and top > bb

    def warm(self, *, screens_px: tuple[int, ...] = (768, 1536), size: int = 512) -> None:
        """Make now what a map client's first screen asks for, so it is not made while the
        client waits (#6: a 4 M-cell plan's set-up takes about a second, its contours
        about three): the set-up, the segments, layers and contours, and the tiles of the
        current POA map and of the hillshade (``size`` px, the web app's) at the zooms that
        fit the plan on screens ``screens_px`` wide. Meant for a background thread when a
        plan is linked or the server starts; each product is made once either way.
        """
        info = self.info()
        self.segments_geojson()
        self.layers_geojson()
        self.contours_geojson()
        zmin, zmax = self.zoom_range()
        left, _, right, _ = self._bounds_m
        width = max(right - left, 1.0)
        zooms = set()
        for px in screens_px:
            # The map's zoom that fits the plan, less one for tiles of 2**k x 256 px.
            fit = math.log2(_WORLD_M * px / (TILE_SIZE * width)) - math.log2(size / TILE_SIZE)
            zooms.add(min(zmax, max(zmin, round(fit))))
        for z in sorted(zooms):
            for _z, x, y in tiles_over(info.bounds, z):
                self.poa_tile("posterior", z, x, y, size)
                if self.state.elevation is not None:
                    self.hillshade_tile(z, x, y, size)

    # ------------------------------------------------------------------ tiles
    def hillshade_tile(self, z: int, x: int, y: int, size: int = TILE_SIZE) -> bytes:
        """PNG of the shaded relief in tile z/x/y, ``size`` pixels square (256 or 512;
        transparent outside the DEM).

        Raises
        ------
        InvalidParameterError
            The plan has no terrain.
        """
        if self.state.elevation is None:
            raise InvalidParameterError(
                "layer: this plan has no terrain.tif, so no hillshade; plan with a DEM"
            )
        return self._tile("hillshade", z, x, y, self.hillshade_pyramid, shade_png, size)

    def poa_tile(self, model: PoaModel, z: int, x: int, y: int, size: int = TILE_SIZE) -> bytes:
        """PNG of the POA heat of ``model`` in tile z/x/y, ``size`` pixels square (256 or
        512; see :mod:`wayhome.basemap.tiles`)."""
        if model not in POA_MODELS:
            raise InvalidParameterError(f"model: must be one of {', '.join(POA_MODELS)}")
        peak = _peak((self.state.poa if model == "posterior" else self.state.prior).cells)

        def colour(values: np.ndarray[Any, Any]) -> bytes:
            return heat_png(values, peak)

        return self._tile(f"poa-{model}", z, x, y, lambda: self.poa_pyramid(model), colour, size)

    def hillshade_pyramid(self) -> MercatorPyramid:
        """The hillshade (Horn, light from the north-west at 45°) in web mercator; each
        level is the shade of the DEM averaged to that level's cells."""

        def make() -> MercatorPyramid:
            st = self.state
            if st.elevation is None:
                raise InvalidParameterError("layer: this plan has no terrain")
            # Each level shades the DEM averaged to its cells: generalised relief.
            return MercatorPyramid.from_grid(st.elevation, st.grid, derive=hillshade)

        return self._product("hillshade", make)

    def poa_pyramid(self, model: PoaModel) -> MercatorPyramid:
        """The POA cells of ``model`` in web mercator."""

        def make() -> MercatorPyramid:
            poa = self.state.poa if model == "posterior" else self.state.prior
            return MercatorPyramid.from_grid(poa.cells, poa.grid)

        return self._product(f"poa-{model}", make)

    def _tile(
        self,
        kind: str,
        z: int,
        x: int,
        y: int,
        pyramid: Callable[[], MercatorPyramid],
        png: Callable[[np.ndarray[Any, Any]], bytes],
        size: int = TILE_SIZE,
    ) -> bytes:
        if size not in TILE_SIZES:
            sizes = " or ".join(str(s) for s in TILE_SIZES)
            raise InvalidParameterError(f"size: a tile is {sizes} pixels square, got {size}")
        key = (kind, z, x, y, size)
        with self._guard:
            hit = self._tiles.get(key)
            if hit is not None:
                self._tiles.move_to_end(key)
                return hit
        if not self.covers(z, x, y):
            return blank_png(size)
        values = pyramid().tile(z, x, y, size)
        encoded = blank_png(size) if not np.isfinite(values).any() else png(values)
        with self._guard:
            self._tiles[key] = encoded
            while len(self._tiles) > _TILE_LRU:
                self._tiles.popitem(last=False)
        return encoded

    # ------------------------------------------------------------------ vectors
    def contours_geojson(self) -> bytes:
        """Contour lines (``elevation_m``, ``index``) as a GeoJSON FeatureCollection."""

        def make() -> bytes:
            st = self.state
            if st.elevation is None or not np.isfinite(st.elevation).any():
                return _collection([])
            lines = contours_from_dem(st.elevation, st.grid)
            return _collection([c.to_feature() for c in lines])

        return self._product("contours", make)

    def segments_geojson(self) -> bytes:
        """Segments with ``id``, ``label``, current ``poa``, ``pod_cumulative``, ``area_km2``.

        As the planning command wrote them in ``segments.geojson``: the POA of the current
        map, the cumulative POD against the prior (:func:`segment_report`, 0 before any
        search) and the terrain summary. When that file is missing or names other
        segments, they are made from the plan's rasters the same way. Empty without
        segments.
        """

        def make() -> bytes:
            st = self.state
            if st.segments is None:
                return _collection([])
            written = self._written.get("segments")
            if not _same_segments(written, st.segments.ids):
                written = self._segment_features()
            features = []
            for f in written or ():
                props = dict(f["properties"])
                props.setdefault("pod_cumulative", 0.0)
                props["label"] = _segment_label(
                    str(props["id"]), float(props["poa"]), props["pod_cumulative"]
                )
                features.append({**f, "properties": props})
            return _collection(features)

        return self._product("segments", make)

    def _segment_features(self) -> list[dict[str, Any]]:
        st = self.state
        if st.segments is None:
            return []
        report = segment_report(st.segments, st.prior, st.poa, st.poa, st.evidence)
        extra = {
            sid: {"poa_initial": row["poa_initial"], "pod_cumulative": row["pod_cumulative"]}
            for sid, row in report.items()
        }
        terrain = None if st.elevation is None else Terrain(st.grid, st.elevation)
        return segments_to_features(st.segments, st.poa, terrain, extra=extra)

    def layers_geojson(self) -> bytes:
        """The incident's layers (trails, streams, roads, barriers, ...) with ``kind``."""

        def make() -> bytes:
            if self.state.layers is None:
                return _collection([])
            wgs = layers_to_crs(self.state.layers, "EPSG:4326")
            return _collection(
                [
                    {
                        "type": "Feature",
                        "geometry": mapping(f.geometry),
                        "properties": {"kind": f.kind.value, "name": f.name},
                    }
                    for f in wgs.features
                ]
            )

        return self._product("layers", make)

    def regions_geojson(self) -> bytes:
        """The 25/50/75/95 % regions of the current map (``level``, ``label``, ``area_km2``),
        as written in ``regions.geojson`` (made from the map when that file is missing)."""

        def make() -> bytes:
            written = self._written.get("regions")
            if written is not None:
                return _collection(written)
            st = self.state
            features = [
                {
                    "type": "Feature",
                    "geometry": mapping(geometry_to_crs(r.geometry, st.grid.crs, "EPSG:4326")),
                    "properties": {
                        "level": r.level,
                        "label": f"{int(r.level * 100)} %",
                        "area_km2": round(r.area_km2, 4),
                        "min_cell_probability": r.threshold,
                        "model": st.poa.model,
                    },
                }
                for r in regions_from_poa(st.poa)
            ]
            return _collection(features)

        return self._product("regions", make)

    # ------------------------------------------------------------------ plumbing
    def _product(self, name: str, make: Callable[[], _T]) -> _T:
        """``make()`` once; later calls (and calls waiting meanwhile) get the same value."""
        with self._guard:
            if name in self._products:
                return self._products[name]  # type: ignore[return-value]
            lock = self._locks.setdefault(name, threading.Lock())
        with lock:
            with self._guard:
                if name in self._products:
                    return self._products[name]  # type: ignore[return-value]
            value = make()
            with self._guard:
                self._products[name] = value
            return value


class MapCache:
    """The maps of the last few plans served, each re-read when its version changes.

    Parameters
    ----------
    max_plans : int
        How many plan maps to keep (least recently used dropped first).
    """

    def __init__(self, *, max_plans: int = 4) -> None:
        if max_plans < 1:
            raise InvalidParameterError(f"max_plans: must be >= 1, got {max_plans}")
        self._max = max_plans
        self._maps: OrderedDict[Path, PlanMap] = OrderedDict()
        self._guard = threading.Lock()
        self._loading: dict[Path, threading.Lock] = {}

    def get(self, path: Path | str) -> PlanMap:
        """The map of the plan directory at ``path`` as it is now.

        Raises
        ------
        InvalidParameterError
            ``path`` is no longer a directory.
        DataFileError
            A plan file cannot be read.
        """
        p = Path(path)
        version = plan_version(p)
        with self._guard:
            found = self._maps.get(p)
            if found is not None and found.version == version:
                self._maps.move_to_end(p)
                return found
            lock = self._loading.setdefault(p, threading.Lock())
        with lock:  # one reader per plan; the others take what it read
            with self._guard:
                found = self._maps.get(p)
                if found is not None and found.version == plan_version(p):
                    return found
            fresh = PlanMap.read(p)
            with self._guard:
                self._maps[p] = fresh
                self._maps.move_to_end(p)
                while len(self._maps) > self._max:
                    self._maps.popitem(last=False)
            return fresh


def _updated_at(p: Path) -> datetime:
    times = []
    for name in _VERSIONED:
        try:
            times.append((p / name).stat().st_mtime)
        except FileNotFoundError:
            continue
    return datetime.fromtimestamp(max(times, default=0.0), tz=UTC).replace(microsecond=0)


def _features(path: Path) -> list[dict[str, Any]] | None:
    """The features of a GeoJSON FeatureCollection the plan wrote; None when unreadable."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list) or not all(
        isinstance(f, dict) and isinstance(f.get("properties"), dict) for f in features
    ):
        return None
    return features


def _same_segments(written: list[dict[str, Any]] | None, ids: tuple[str, ...]) -> bool:
    """True when ``written`` has one feature per segment id, each with a numeric POA."""
    if written is None:
        return False
    props = [f["properties"] for f in written]
    numeric = all(
        isinstance(p.get("poa"), int | float) and not isinstance(p.get("poa"), bool) for p in props
    )
    return numeric and sorted(str(p.get("id")) for p in props) == sorted(ids)


def _peak(cells: np.ndarray[Any, Any]) -> float:
    return float(cells.max(initial=0.0))


def _segment_label(sid: str, poa: float, pod: float | None) -> str:
    text = f"{sid} · POA {poa * 100:.1f} %"
    return text if pod is None else f"{text} · POD {pod * 100:.0f} %"


def _collection(features: list[dict[str, Any]]) -> bytes:
    doc = {"type": "FeatureCollection", "features": features}
    return json.dumps(doc, separators=(",", ":"), allow_nan=False).encode("utf-8")
