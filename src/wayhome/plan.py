"""``plan_search``: from intake to a probability map, as a planner's checklist.

The pipeline every planning surface (CLI, server) calls; it does no I/O. Readers of
files live in :mod:`wayhome.io`, writers of the plan directory in
:mod:`wayhome.io.plan_dir`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from wayhome.errors import InvalidParameterError, OutsideTerrainError
from wayhome.geo.coords import LonLat, to_crs, utm_crs_for
from wayhome.geo.grid import GridSpec, check_grid_memory
from wayhome.geo.layers import Layers
from wayhome.geo.terrain import ElevationSource, Terrain, dem_bounds_lonlat, terrain_from_dem
from wayhome.geo.travel import LayerMasks, masks_from_layers
from wayhome.probability.agents import AgentSettings, poa_agents, poa_agents_converged
from wayhome.probability.consensus import DrawnRegion, poa_consensus, poa_from_regions
from wayhome.probability.poa import POA, REGION_LEVELS, area_for_mass_km2
from wayhome.probability.rings import poa_rings
from wayhome.probability.terrain import poa_terrain
from wayhome.subject import BehaviourMix, Profile, Subject, profile_for

__all__ = [
    "MODELS",
    "MOUNTAINOUS_RELIEF_M",
    "Ground",
    "Plan",
    "Progress",
    "ecoregion_terrain_class",
    "plan_ground",
    "plan_search",
]

#: Models ``plan_search`` can run.
MODELS: tuple[str, ...] = ("terrain", "agents", "rings", "consensus")
#: Relief (m, 5th–95th percentile within 3 km) above which terrain counts as mountainous.
#: wayhome's threshold; LPB distinguishes the classes without a published cut-off.
MOUNTAINOUS_RELIEF_M = 300.0

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True, eq=False)
class Ground:
    """Where and who: the planning grid, the ground on it and the lost-person profile."""

    subject: Subject
    ipp: LonLat
    ipp_xy: tuple[float, float]
    grid: GridSpec
    terrain: Terrain | None
    layers: Layers | None
    masks: LayerMasks | None
    profile: Profile
    timings_s: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, eq=False)
class Plan:
    """Everything a plan produced; the plan directory is written from this."""

    subject: Subject
    ipp: LonLat
    ipp_xy: tuple[float, float]
    grid: GridSpec
    terrain: Terrain | None
    layers: Layers | None
    masks: LayerMasks | None
    profile: Profile
    poa: POA
    timings_s: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The content of ``summary.json``: plain JSON types only."""
        areas = area_for_mass_km2(self.poa, REGION_LEVELS)
        return {
            "model": self.poa.model,
            "rest_of_world": round(self.poa.rest_of_world, 6),
            "area_km2_for": {
                f"{int(k * 100)}%": (None if v is None else round(v, 4)) for k, v in areas.items()
            },
            "subject": {
                "category": self.subject.category,
                "age": self.subject.age,
                "missing_for_h": self.subject.missing_for_h,
                "name": self.subject.name,
            },
            "ipp": {
                "lat": round(self.ipp.lat, 7),
                "lon": round(self.ipp.lon, 7),
                "x": round(self.ipp_xy[0], 2),
                "y": round(self.ipp_xy[1], 2),
            },
            "grid": {
                "crs": self.grid.crs,
                "resolution_m": self.grid.resolution,
                "shape": list(self.grid.shape),
                "bounds": [round(b, 2) for b in self.grid.bounds],
            },
            "profile": {
                "terrain_class": self.profile.terrain,
                "distance_quartiles_km": [
                    self.profile.quantiles.q25_km,
                    self.profile.quantiles.q50_km,
                    self.profile.quantiles.q75_km,
                    self.profile.quantiles.q95_km,
                ],
                "n": self.profile.quantiles.n,
                "lognormal": {
                    "mu": round(self.profile.distance.mu, 5),
                    "sigma": round(self.profile.distance.sigma, 5),
                },
                "ipp_mass": self.profile.ipp_mass,
                "speed_kmh": self.profile.speed_kmh,
                "citations": list(self.profile.citations()),
                "notes": list(self.profile.notes),
            },
            "notes": list(self.poa.notes),
            "elevation": None
            if self.terrain is None
            else {
                "nodata_fraction": round(self.terrain.nodata_fraction, 4),
                "filled_cells": self.terrain.filled_cells,
            },
            "timings_s": {k: round(v, 3) for k, v in self.timings_s.items()},
        }


def ecoregion_terrain_class(ecoregion: str, *, mountainous: bool) -> str:
    """ISRID terrain class from an eco-region and relief.

    Examples
    --------
    >>> ecoregion_terrain_class("temperate", mountainous=True)
    'temperate_mountainous'
    >>> ecoregion_terrain_class("urban", mountainous=True)
    'urban'
    """
    eco = ecoregion.strip().lower()
    if eco == "urban":
        return "urban"
    if eco not in ("temperate", "dry"):
        raise InvalidParameterError(
            f"ecoregion: unknown {ecoregion!r}; use temperate, dry or urban"
        )
    return f"{eco}_{'mountainous' if mountainous else 'flat'}"


@contextmanager
def _step(timings: dict[str, float], name: str, progress: Progress | None) -> Iterator[None]:
    if progress is not None:
        progress(name)
    t0 = time.perf_counter()
    yield
    timings[name] = timings.get(name, 0.0) + time.perf_counter() - t0


def plan_ground(
    subject: Subject,
    ipp: LonLat,
    *,
    dem: ElevationSource | None = None,
    layers: Layers | None = None,
    resolution_m: float = 30.0,
    extent_km: float | None = None,
    ecoregion: str = "temperate",
    memory_limit_bytes: int = 8 * 2**30,
    progress: Progress | None = None,
) -> Ground:
    """The first three steps of a plan: grid, ground (terrain and layers), profile.

    Every model, and the trajectory export, starts from this. Parameters as in
    :func:`plan_search`.
    """
    if not resolution_m > 0:
        raise InvalidParameterError(f"resolution: must be > 0 m, got {resolution_m}")
    timings: dict[str, float] = {}

    # 1. Where: the last-seen point on a local UTM grid, inside the DEM.
    with _step(timings, "grid", progress):
        if dem is not None:
            _check_ipp_in_dem(ipp, dem)
        crs = utm_crs_for(ipp)
        ipp_xy = to_crs(ipp, crs)
        provisional = profile_for(
            subject.category,
            age=subject.age,
            terrain=ecoregion_terrain_class(ecoregion, mountainous=True),
        )
        if extent_km is None:
            q95 = provisional.quantiles.q95_km or provisional.distance.quantile_km(0.95)
            extent_km = min(40.0, max(4.0, 2.0 * q95 * 1.1))
        if not 0 < extent_km <= 400:
            raise InvalidParameterError(f"extent: must be in (0, 400] km, got {extent_km}")
        grid = GridSpec.centered_on(
            *ipp_xy, crs=crs, resolution=resolution_m, extent_m=extent_km * 1000.0
        )
        check_grid_memory(grid.shape, limit_bytes=memory_limit_bytes)

    # 2. Ground: elevation resampled onto the grid, layers burned in.
    terrain = None
    with _step(timings, "terrain", progress):
        if dem is not None:
            terrain = terrain_from_dem(dem, grid)
            if _ipp_nodata(terrain, ipp_xy):
                raise OutsideTerrainError(
                    "ipp: the last-seen point falls on a no-data cell of the elevation model; "
                    "check the coordinates or give a DEM that covers it"
                )
    with _step(timings, "layers", progress):
        masks = masks_from_layers(layers, grid) if layers is not None else None

    # 3. Who: the lost-person profile for this terrain.
    with _step(timings, "profile", progress):
        mountainous = True
        if terrain is not None:
            r, c = grid.index(*ipp_xy)
            mountainous = terrain.relief_m(r, c) >= MOUNTAINOUS_RELIEF_M
        profile = profile_for(
            subject.category,
            age=subject.age,
            terrain=ecoregion_terrain_class(ecoregion, mountainous=mountainous),
        )

    return Ground(subject, ipp, ipp_xy, grid, terrain, layers, masks, profile, timings)


def plan_search(
    subject: Subject,
    ipp: LonLat,
    *,
    model: str = "terrain",
    dem: ElevationSource | None = None,
    layers: Layers | None = None,
    resolution_m: float = 30.0,
    extent_km: float | None = None,
    ecoregion: str = "temperate",
    drawn_regions: Sequence[DrawnRegion] = (),
    consensus_weights: dict[str, float] | None = None,
    agents: AgentSettings | None = None,
    converge_agents: bool = True,
    mix: BehaviourMix | None = None,
    memory_limit_bytes: int = 8 * 2**30,
    progress: Progress | None = None,
    agent_progress: Callable[[int, int], None] | None = None,
) -> Plan:
    """Build the first probability map for a lost person.

    Parameters
    ----------
    subject : Subject
        The intake: category, age, time missing.
    ipp : LonLat
        Initial planning point (last seen / point last known).
    model : {"terrain", "rings", "consensus"}
        ``terrain`` needs ``dem``; ``consensus`` averages terrain (when a DEM is given),
        rings and any ``drawn_regions`` with ``consensus_weights``.
    dem : ElevationSource, optional
        Elevation model in any CRS (``wayhome.io.read_dem``).
    layers : Layers, optional
        Trails, roads, streams, water, cliffs, barriers, private land, hazards.
    resolution_m : float
        Cell size of the planning grid.
    extent_km : float, optional
        Width of the square planning area; default covers the category's 95 % distance
        twice over (at least 4 km, at most 40 km).
    ecoregion : {"temperate", "dry", "urban"}
        Picks the ISRID table; flat or mountainous comes from the DEM's relief.
    drawn_regions : sequence of DrawnRegion
        Planner regions (grid CRS) for the consensus.
    consensus_weights : dict, optional
        Weight per input of the consensus: keys ``terrain``, ``rings``, ``regions``.
    agents : AgentSettings, optional
        Agent-simulation settings (number, seed, nightfall, ...) for ``agents``.
    converge_agents : bool
        Double the number of agents until the map changes by < 1 % (total variation)
        instead of running exactly ``agents.n_agents``.
    mix : BehaviourMix, optional
        Behaviour mix for the agents instead of the category's.
    memory_limit_bytes : int
        Refuse grids whose working set would exceed this.
    progress : callable, optional
        Called with each step's name as it starts (for progress bars).
    agent_progress : callable, optional
        Called with (agents done, agents planned) while the agents run.
    """
    if model not in MODELS:
        raise InvalidParameterError(f"model: unknown {model!r}; use one of {', '.join(MODELS)}")
    if model in ("terrain", "agents") and dem is None:
        raise InvalidParameterError(
            f"model: {model!r} needs an elevation model; give --dem FILE (or --demo), "
            "or use --model rings for the statistical map on a level grid"
        )
    ground = plan_ground(
        subject,
        ipp,
        dem=dem,
        layers=layers,
        resolution_m=resolution_m,
        extent_km=extent_km,
        ecoregion=ecoregion,
        memory_limit_bytes=memory_limit_bytes,
        progress=progress,
    )
    timings = dict(ground.timings_s)
    # 4. Where they are likely to be: the requested model.
    with _step(timings, "model", progress):
        opts = _ModelOptions(
            tuple(drawn_regions),
            dict(consensus_weights or {}),
            agents,
            converge_agents,
            mix,
            agent_progress,
        )
        poa = _run_model(model, ground, opts)
    return Plan(
        subject=subject,
        ipp=ipp,
        ipp_xy=ground.ipp_xy,
        grid=ground.grid,
        terrain=ground.terrain,
        layers=layers,
        masks=ground.masks,
        profile=ground.profile,
        poa=poa,
        timings_s=timings,
    )


@dataclass(frozen=True, slots=True, eq=False)
class _ModelOptions:
    drawn_regions: tuple[DrawnRegion, ...]
    weights: dict[str, float]
    agents: AgentSettings | None
    converge_agents: bool
    mix: BehaviourMix | None
    agent_progress: Callable[[int, int], None] | None


def _terrain_map(sc: Ground) -> POA:
    return poa_terrain(
        sc.grid,
        sc.ipp_xy,
        sc.profile,
        terrain=sc.terrain,
        masks=sc.masks,
        missing_for_h=sc.subject.missing_for_h,
    )


def _agents_map(sc: Ground, opts: _ModelOptions) -> POA:
    if sc.subject.missing_for_h <= 0:
        raise InvalidParameterError(
            "missing-for: the agents model needs a time missing > 0; with 0 h the subject "
            "is at the last-seen point (use --model terrain)"
        )
    settings = opts.agents or AgentSettings()
    run = poa_agents_converged if opts.converge_agents else _poa_agents_fixed
    return run(
        sc.grid,
        sc.ipp_xy,
        sc.profile,
        terrain=sc.terrain,
        masks=sc.masks,
        missing_for_h=sc.subject.missing_for_h,
        mix=opts.mix,
        settings=settings,
        progress=opts.agent_progress,
    )[0]


def _poa_agents_fixed(
    grid: GridSpec, ipp_xy: tuple[float, float], profile: Profile, **kwargs: Any
) -> tuple[POA, list[tuple[int, float]]]:
    return poa_agents(grid, ipp_xy, profile, **kwargs), []


def _run_model(model: str, sc: Ground, opts: _ModelOptions) -> POA:
    if model == "rings":
        return poa_rings(sc.grid, sc.ipp_xy, sc.profile.distance)
    if model == "terrain":
        return _terrain_map(sc)
    if model == "agents":
        return _agents_map(sc, opts)
    weights = opts.weights
    unknown = set(weights) - {"terrain", "rings", "regions", "agents"}
    if unknown:
        raise InvalidParameterError(
            f"weights: unknown input(s) {sorted(unknown)}; use terrain, rings, regions, agents"
        )
    maps: list[POA] = []
    w: list[float] = []
    if sc.terrain is not None:
        maps.append(_terrain_map(sc))
        w.append(weights.get("terrain", 2.0))
        if weights.get("agents", 0.0) > 0:
            maps.append(_agents_map(sc, opts))
            w.append(weights["agents"])
    maps.append(poa_rings(sc.grid, sc.ipp_xy, sc.profile.distance))
    w.append(weights.get("rings", 1.0))
    if opts.drawn_regions:
        maps.append(poa_from_regions(sc.grid, opts.drawn_regions))
        w.append(weights.get("regions", 1.0))
    return poa_consensus(maps, w)


def _ipp_nodata(terrain: Terrain, ipp_xy: tuple[float, float]) -> bool:
    r, c = terrain.grid.index(*ipp_xy)
    return bool(terrain.nodata[r, c])


def _check_ipp_in_dem(ipp: LonLat, dem: ElevationSource) -> None:
    w, s, e, n = dem_bounds_lonlat(dem)
    if w <= ipp.lon <= e and s <= ipp.lat <= n:
        return
    hint = ""
    sw = ipp.swapped()
    if sw is not None and w <= sw.lon <= e and s <= sw.lat <= n:
        hint = f"; latitude and longitude look swapped: try --ipp {sw.lat},{sw.lon}"
    raise OutsideTerrainError(
        f"ipp: {ipp.lat:.5f},{ipp.lon:.5f} is outside the elevation model {dem.source!r} "
        f"(lat {s:.4f}..{n:.4f}, lon {w:.4f}..{e:.4f}){hint}"
    )
