"""The ``agents`` model: Monte Carlo of how lost people actually move.

N simulated subjects start at the IPP and walk the terrain grid for the time missing.
Each keeps a behaviour for a while, then draws a new one from the category's mix
(Hashimoto et al. 2022): random walk, route travel (follow trails, or head for one in
sight), direction travel, staying put, view enhancing (climb), backtracking. Speed comes
from Tobler's function, trails and vegetation (:func:`wayhome.geo.travel.speed_grid`);
water, cliffs and barriers stop them. They rest between walking bouts, rest longer as
they tire, shelter or slow at night, and stay put more the longer they are lost.

How far they walk is calibrated: each agent draws a moving-time budget from a quantile
function fitted, by simulation on level open ground, so that the straight-line distances
at which agents stop match the category's ISRID quartiles (:func:`calibrate_budget`).
The map is where agents are when the time missing ends (or, optionally, where they spent
their time), smoothed over a few tens of metres; agents that walk off the map are the
rest of world.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from wayhome.errors import InvalidParameterError, TerrainRequiredError
from wayhome.geo.grid import GridSpec
from wayhome.geo.layers import LayerKind
from wayhome.geo.terrain import Terrain
from wayhome.geo.travel import FLAT_OFF_TRAIL_KMH, LayerMasks, TravelModel, speed_grid
from wayhome.probability import _agents_kernel as kernel
from wayhome.probability.poa import POA, poa_from_weights
from wayhome.subject import BehaviourMix, Profile, behaviour_mix_for

__all__ = [
    "NOT_SIMULATED",
    "AgentRun",
    "AgentSettings",
    "Movement",
    "Scene",
    "Track",
    "calibrate_budget",
    "check_moving",
    "check_simulated",
    "flat_distances_km",
    "movement_for",
    "poa_agents",
    "poa_agents_converged",
    "poa_from_run",
    "scene_from_terrain",
    "simulate_agents",
    "simulate_tracks",
    "target_quantiles_km",
    "total_variation",
]

#: Categories the walking simulation does not describe, with what to use instead.
NOT_SIMULATED: dict[str, str] = {
    "abduction": "an abducted person is carried away, not walking; use --model rings or terrain",
}

#: Quantile levels the budget is calibrated at (ISRID reports 25/50/75/95 %).
_LEVELS = (0.25, 0.5, 0.75, 0.95)


@dataclass(frozen=True, slots=True)
class Movement:
    """How a simulated subject moves, apart from the behaviour mix.

    Every figure is a wayhome assumption unless its comment names a source; they are
    resolution-independent (given per metre or per second, not per cell).
    """

    behaviour_persist_m: float = 400.0
    """Mean distance walked before the behaviour is re-drawn."""
    heading_noise_per_100m: float = 0.1
    """Heading wander (radians, standard deviation) per 100 m of direction travel."""
    rw_leg_m: float = 100.0
    """Mean straight leg of the random walk before a new random heading."""
    stay_put_dwell_s: float = 900.0
    """How long one stay-put decision lasts."""
    stay_put_tau_h: float = 24.0
    """Time scale on which staying put takes over: p(t) = 1 − (1 − p₀)·exp(−t/τ)."""
    bout_min: float = 45.0
    """Mean walking bout between rests (minutes)."""
    rest_min: float = 10.0
    """Mean rest when fresh (minutes)."""
    fatigue_per_km: float = 0.1
    """Rests lengthen by this fraction per km walked."""
    night_speed: float = 0.3
    """Speed factor at night; 0 means shelter until morning."""
    trail_sight_m: float = 150.0
    """Route travel heads for a trail or road only if one is this close."""

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0):
                raise InvalidParameterError(f"{name}: must be a non-negative number, got {v}")
        for name in ("behaviour_persist_m", "rw_leg_m", "stay_put_tau_h", "bout_min"):
            if getattr(self, name) <= 0:
                raise InvalidParameterError(f"{name}: must be > 0")


def movement_for(category: str) -> Movement:
    """Movement figures for a category: young children tire and stop sooner, and shelter
    at night (wayhome assumptions; LPB notes that young children seek shelter and sleep)."""
    if category in ("child_1_3", "child_4_6"):
        return Movement(
            stay_put_tau_h=6.0, bout_min=20.0, rest_min=10.0, fatigue_per_km=0.3, night_speed=0.0
        )
    if category in ("dementia", "child_7_9"):
        return Movement(stay_put_tau_h=12.0, bout_min=30.0, night_speed=0.2)
    return Movement()


@dataclass(frozen=True, slots=True)
class AgentSettings:
    """Run settings of the simulator."""

    n_agents: int = 100_000
    seed: int = 0
    time_weighted: bool = False
    """Map where agents spent their time, instead of where they are at the end (needs a
    time missing)."""
    smoothing_m: float = 45.0
    """Gaussian smoothing of the agent counts (standard deviation, metres)."""
    night_start_h: float | None = None
    """Hours after last seen when night first falls; it falls again every 24 h (None: no
    night within the run)."""
    night_length_h: float = 12.0
    chunk: int = 1 << 18
    """Agents per batch: memory stays bounded for any number of agents."""

    def __post_init__(self) -> None:
        if not (isinstance(self.n_agents, int) and self.n_agents >= 1):
            raise InvalidParameterError(
                f"agents: must be a positive whole number, got {self.n_agents}"
            )
        if not 0 <= self.seed < 2**63:
            raise InvalidParameterError(f"seed: must be in 0..2^63-1, got {self.seed}")
        if not (math.isfinite(self.smoothing_m) and self.smoothing_m >= 0):
            raise InvalidParameterError(f"smoothing: must be >= 0 m, got {self.smoothing_m}")
        if self.night_start_h is not None and not (
            math.isfinite(self.night_start_h) and self.night_start_h >= 0
        ):
            raise InvalidParameterError(
                f"night: must start at >= 0 h after last seen, got {self.night_start_h}"
            )
        if not (math.isfinite(self.night_length_h) and 0 <= self.night_length_h <= 24):
            raise InvalidParameterError(
                f"night length: must be within 0..24 h, got {self.night_length_h}"
            )
        if self.chunk < 1:
            raise InvalidParameterError(f"chunk: must be >= 1, got {self.chunk}")


@dataclass(frozen=True, slots=True, eq=False)
class Scene:
    """The terrain as the simulator sees it: seconds per metre, trails, directions."""

    grid: GridSpec
    start: tuple[int, int]
    sec_per_m: NDArray[np.float64]
    trail: NDArray[np.uint8]
    to_trail: NDArray[np.int8]
    uphill: NDArray[np.int8]
    flat: bool


def scene_from_terrain(
    grid: GridSpec,
    ipp_xy: tuple[float, float],
    *,
    terrain: Terrain | None,
    masks: LayerMasks | None = None,
    movement: Movement | None = None,
    travel: TravelModel | None = None,
) -> Scene:
    """Precompute what every agent step looks up; ``terrain=None`` is level open ground."""
    movement = movement or Movement()
    start = grid.index(*ipp_xy)
    if not (0 <= start[0] < grid.shape[0] and 0 <= start[1] < grid.shape[1]):
        raise InvalidParameterError(f"ipp: {ipp_xy} is outside the planning grid")
    if terrain is None:
        speed = np.full(grid.shape, FLAT_OFF_TRAIL_KMH, dtype=np.float64)
        if masks is not None:
            speed[masks.impassable] = 0.0
        uphill = np.full(grid.shape, -1, dtype=np.int8)
    else:
        speed = speed_grid(terrain, masks, model=travel).astype(np.float64)
        # climb only onto cells one can stand on
        uphill = _uphill_directions(np.where(speed > 0, terrain.elevation, np.nan))
    with np.errstate(divide="ignore"):
        spm = np.where(speed > 0, 3.6 / speed, np.inf)
    if not np.isfinite(spm[start]):
        raise InvalidParameterError(
            "ipp: the last-seen point is on an impassable cell (water, cliff or barrier); "
            f"move it to the nearest passable cell, e.g. {_nearest_passable(grid, spm, start)}"
        )
    trail = np.zeros(grid.shape, dtype=np.uint8)
    if masks is not None:
        trail[masks.any_of(LayerKind.TRAIL, LayerKind.ROAD)] = 1
    to_trail = _directions_to(trail.astype(bool), grid, movement.trail_sight_m)
    return Scene(grid, start, spm, trail, to_trail, uphill, terrain is None)


def _nearest_passable(grid: GridSpec, spm: NDArray[np.float64], start: tuple[int, int]) -> str:
    from wayhome.geo.coords import lonlat_of

    ok = np.isfinite(spm)
    if not ok.any():
        return "(none on the map)"
    _, (ir, ic) = ndimage.distance_transform_edt(~ok, return_indices=True)
    r, c = int(ir[start]), int(ic[start])
    p = lonlat_of(*grid.xy(r, c), grid.crs)
    return f"{p.lat:.6f},{p.lon:.6f}"


_DIR_OFFSETS = [(0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1), (1, 0), (1, 1)]


def _uphill_directions(elevation: NDArray[np.floating]) -> NDArray[np.int8]:
    """Direction (0..7) of the highest neighbour when at least 1 m higher, else -1."""
    z = np.where(np.isfinite(elevation), elevation, -np.inf).astype(np.float64)
    rows, cols = z.shape
    padded = np.pad(z, 1, constant_values=-np.inf)
    best = z + 1.0
    out = np.full(z.shape, -1, dtype=np.int8)
    for d, (dr, dc) in enumerate(_DIR_OFFSETS):
        nb = padded[1 + dr : rows + 1 + dr, 1 + dc : cols + 1 + dc]
        better = nb > best
        best = np.where(better, nb, best)
        out[better] = d
    return out


def _directions_to(mask: NDArray[np.bool_], grid: GridSpec, sight_m: float) -> NDArray[np.int8]:
    """Direction (0..7) towards the nearest ``mask`` cell within ``sight_m``, else -1."""
    out = np.full(grid.shape, -1, dtype=np.int8)
    if not mask.any():
        return out
    dist, (ir, ic) = ndimage.distance_transform_edt(~mask, return_indices=True)
    rr, cc = np.indices(grid.shape)
    near = (dist > 0) & (dist * grid.resolution <= sight_m)
    ang = np.arctan2(-(ir - rr), ic - cc)  # counter-clockwise from east; rows grow south
    d = (np.round(ang / (math.pi / 4.0)).astype(np.int64)) % 8
    out[near] = d[near].astype(np.int8)
    return out


def _params(
    scene: Scene, profile: Profile, movement: Movement, settings: AgentSettings, t_total_s: float
) -> NDArray[np.float64]:
    res = scene.grid.resolution
    p = np.zeros(kernel.N_PARAMS, dtype=np.float64)
    p[kernel.P_T_TOTAL] = t_total_s
    p[kernel.P_RES] = res
    p[kernel.P_REL_SPEED] = profile.speed_kmh / FLAT_OFF_TRAIL_KMH
    p[kernel.P_SWITCH] = min(1.0, res / movement.behaviour_persist_m)
    # uniform noise with the wanted standard deviation per step (half-width sqrt(3) sd)
    p[kernel.P_NOISE] = math.sqrt(3.0) * movement.heading_noise_per_100m * math.sqrt(res / 100)
    p[kernel.P_SP_DWELL] = movement.stay_put_dwell_s
    p[kernel.P_TAU_SP] = movement.stay_put_tau_h * 3600.0
    p[kernel.P_BOUT] = movement.bout_min * 60.0
    p[kernel.P_REST] = movement.rest_min * 60.0
    # rests lengthen per km walked; the kernel counts moving seconds at the subject's speed
    p[kernel.P_FATIGUE] = movement.fatigue_per_km / 1000.0 * (profile.speed_kmh / 3.6)
    if settings.night_start_h is None:
        p[kernel.P_NIGHT_START] = math.inf
        p[kernel.P_NIGHT_END] = math.inf
    else:
        p[kernel.P_NIGHT_START] = settings.night_start_h * 3600.0
        p[kernel.P_NIGHT_END] = (settings.night_start_h + settings.night_length_h) * 3600.0
    p[kernel.P_NIGHT_FACTOR] = movement.night_speed
    p[kernel.P_RW_TURN] = min(1.0, res / movement.rw_leg_m)
    return p


@dataclass(frozen=True, slots=True, eq=False)
class AgentRun:
    """Raw result of a simulation: agent counts per cell.

    Time-weighted runs count agent-equivalents: the share of the time missing each agent
    spent in the cell, so each agent adds up to 1 over the map, as in a count.
    """

    grid: GridSpec
    counts: NDArray[np.float64]
    n_agents: int
    left_map: int
    steps: int
    time_weighted: bool
    notes: tuple[str, ...] = field(default=())


def _mix_cum(mix: BehaviourMix) -> NDArray[np.float64]:
    c = np.cumsum(np.asarray(mix.as_tuple(), dtype=np.float64))
    c[-1] = 1.0
    return c


def simulate_agents(
    scene: Scene,
    profile: Profile,
    *,
    missing_for_h: float | None,
    mix: BehaviourMix | None = None,
    movement: Movement | None = None,
    settings: AgentSettings | None = None,
    first_agent: int = 0,
    knots: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> AgentRun:
    """Run ``settings.n_agents`` agents (indices from ``first_agent``) and count them.

    Deterministic for a seed whatever the number of threads: each agent's random stream
    depends only on (seed, agent index), and counts are integers.
    """
    settings = settings or AgentSettings()
    movement = movement or movement_for(profile.category)
    mix = mix or behaviour_mix_for(profile.category)
    if missing_for_h is not None and not (math.isfinite(missing_for_h) and missing_for_h > 0):
        raise InvalidParameterError(
            f"missing-for: the agents need a time missing > 0 h, got {missing_for_h}"
        )
    if settings.time_weighted and missing_for_h is None:
        raise InvalidParameterError(
            "missing-for: a time-weighted map needs the time missing (hours since last "
            "seen); give it, or map where the agents are at the end (time_weighted=False)"
        )
    t_total = math.inf if missing_for_h is None else missing_for_h * 3600.0
    ku, kls = knots if knots is not None else calibrate_budget(profile, mix, movement)
    params = _params(scene, profile, movement, settings, t_total)
    mix_cum = _mix_cum(mix)
    rows, cols = scene.grid.shape
    counts = np.zeros(rows * cols, dtype=np.float64)
    blocks = _threads() if settings.time_weighted else 0
    dwell_total = np.zeros(rows * cols if settings.time_weighted else 0, dtype=np.int64)
    left = 0
    steps = 0
    done = 0
    n = settings.n_agents
    while done < n:
        m = min(settings.chunk, n - done)
        out_cell = np.empty(m, dtype=np.int64)
        out_steps = np.empty(m, dtype=np.int64)
        dwell = np.zeros((blocks, rows, cols) if blocks else (0, 0, 0), dtype=np.int64)
        kernel.simulate_block(
            first_agent + done,
            m,
            settings.seed,
            scene.start[0],
            scene.start[1],
            scene.sec_per_m,
            scene.trail,
            scene.to_trail,
            scene.uphill,
            mix_cum,
            params,
            ku,
            kls,
            out_cell,
            out_steps,
            dwell,
        )
        inside = out_cell >= 0
        counts += np.bincount(out_cell[inside], minlength=rows * cols)
        left += int(m - inside.sum())
        steps += int(out_steps.sum())
        if blocks:
            dwell_total += dwell.sum(axis=0).reshape(-1)
        done += m
        if progress is not None:
            progress(done, n)
    if settings.time_weighted:
        # milliseconds -> agent-equivalents (each agent spends t_total on or off the map),
        # so smoothing counts agents whichever way the map is made
        counts = dwell_total.astype(np.float64) / (t_total * 1000.0)
    notes = (f"{n:,} agents, seed {settings.seed}; mix {_mix_text(mix)}",)
    return AgentRun(
        scene.grid, counts.reshape(rows, cols), n, left, steps, settings.time_weighted, notes
    )


def _mix_text(mix: BehaviourMix) -> str:
    names = ("RW", "RT", "DT", "SP", "VE", "BT")
    return " ".join(f"{k} {v:.3g}" for k, v in zip(names, mix.as_tuple(), strict=True) if v > 0)


def _threads() -> int:
    import numba

    return int(numba.get_num_threads())


#: Adaptive smoothing: a cell's bandwidth doubles until its kernel holds this many agents.
_MIN_AGENTS_IN_KERNEL = 10.0
#: ... up to this many doublings of the base bandwidth.
_MAX_DOUBLINGS = 3


def poa_from_run(run: AgentRun, scene: Scene, *, smoothing_m: float) -> POA:
    """Smoothed agent counts as a POA; agents that left the map are the rest of world.

    Adaptive (balloon) kernel smoothing: each cell uses the smallest bandwidth, from
    ``smoothing_m`` doubling up to 8x, whose kernel holds at least ten agents, so the
    crowded core keeps its detail and the sparse tail is not a scatter of single agents.
    Impassable cells get nothing (normalised convolution over passable cells).
    """
    counts = run.counts
    passable = np.isfinite(scene.sec_per_m)
    sigma0 = smoothing_m / run.grid.resolution
    if sigma0 > 0.3 and counts.sum() > 0:
        out = np.zeros_like(counts)
        decided = ~passable
        pas = passable.astype(np.float64)
        for k in range(_MAX_DOUBLINGS + 1):
            sigma = sigma0 * 2**k
            num = ndimage.gaussian_filter(counts, sigma, mode="constant", truncate=3.0)
            den = ndimage.gaussian_filter(pas, sigma, mode="constant", truncate=3.0)
            with np.errstate(invalid="ignore", divide="ignore"):
                dens = np.where(den > 1e-12, num / den, 0.0)
            enough = dens * (2.0 * math.pi * sigma * sigma) >= _MIN_AGENTS_IN_KERNEL
            take = ~decided & (enough | (k == _MAX_DOUBLINGS))
            out[take] = dens[take]
            decided |= take
        counts = out * (counts.sum() / max(float(out.sum()), 1e-300))
    row = run.left_map / run.n_agents
    return poa_from_weights(run.grid, counts, rest_of_world=row, model="agents", notes=run.notes)


def poa_agents(
    grid: GridSpec,
    ipp_xy: tuple[float, float],
    profile: Profile,
    *,
    terrain: Terrain | None,
    masks: LayerMasks | None = None,
    missing_for_h: float | None,
    mix: BehaviourMix | None = None,
    movement: Movement | None = None,
    settings: AgentSettings | None = None,
    allow_flat: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> POA:
    """Agent-simulation POA for ``profile`` last seen at ``ipp_xy`` (grid CRS)."""
    if terrain is None and not allow_flat:
        raise TerrainRequiredError(
            "model: 'agents' needs an elevation model; give --dem FILE, or use --model rings"
        )
    settings = settings or AgentSettings()
    movement = movement or movement_for(profile.category)
    scene = scene_from_terrain(grid, ipp_xy, terrain=terrain, masks=masks, movement=movement)
    run = simulate_agents(
        scene,
        profile,
        missing_for_h=missing_for_h,
        mix=mix,
        movement=movement,
        settings=settings,
        progress=progress,
    )
    return poa_from_run(run, scene, smoothing_m=settings.smoothing_m)


def total_variation(a: POA, b: POA) -> float:
    """Total variation distance between two maps on one grid, rest of world included."""
    return 0.5 * (float(np.abs(a.cells - b.cells).sum()) + abs(a.rest_of_world - b.rest_of_world))


def poa_agents_converged(
    grid: GridSpec,
    ipp_xy: tuple[float, float],
    profile: Profile,
    *,
    terrain: Terrain | None,
    masks: LayerMasks | None = None,
    missing_for_h: float | None,
    mix: BehaviourMix | None = None,
    movement: Movement | None = None,
    settings: AgentSettings | None = None,
    tolerance: float = 0.01,
    n_start: int = 16_384,
    n_max: int = 4_194_304,
    allow_flat: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[POA, list[tuple[int, float]]]:
    """Double the number of agents until the map changes by < ``tolerance`` (total
    variation) between doublings. Returns the map and the (agents, change) history."""
    if terrain is None and not allow_flat:
        raise TerrainRequiredError("model: 'agents' needs an elevation model; give --dem FILE")
    settings = settings or AgentSettings()
    movement = movement or movement_for(profile.category)
    mix = mix or behaviour_mix_for(profile.category)
    scene = scene_from_terrain(grid, ipp_xy, terrain=terrain, masks=masks, movement=movement)
    knots = calibrate_budget(profile, mix, movement)

    def batch(first: int, n: int) -> AgentRun:
        s = AgentSettings(
            n_agents=n,
            seed=settings.seed,
            time_weighted=settings.time_weighted,
            smoothing_m=settings.smoothing_m,
            night_start_h=settings.night_start_h,
            night_length_h=settings.night_length_h,
            chunk=settings.chunk,
        )
        return simulate_agents(
            scene,
            profile,
            missing_for_h=missing_for_h,
            mix=mix,
            movement=movement,
            settings=s,
            first_agent=first,
            knots=knots,
        )

    total = batch(0, n_start)
    current = poa_from_run(total, scene, smoothing_m=settings.smoothing_m)
    history: list[tuple[int, float]] = []
    while total.n_agents < n_max:
        more = batch(total.n_agents, total.n_agents)
        total = AgentRun(
            grid,
            total.counts + more.counts,
            total.n_agents * 2,
            total.left_map + more.left_map,
            total.steps + more.steps,
            total.time_weighted,
            more.notes,
        )
        nxt = poa_from_run(total, scene, smoothing_m=settings.smoothing_m)
        tv = total_variation(current, nxt)
        history.append((total.n_agents, tv))
        current = nxt
        if progress is not None:
            progress(total.n_agents, n_max)
        if tv < tolerance:
            break
    change = f"; map changed {history[-1][1]:.2%} on the last doubling" if history else ""
    notes = (f"{total.n_agents:,} agents{change}", f"mix {_mix_text(mix)}; seed {settings.seed}")
    return POA(current.grid, current.cells, current.rest_of_world, "agents", notes), history


# ------------------------------------------------------------------ calibration
def flat_distances_km(
    profile: Profile,
    mix: BehaviourMix,
    movement: Movement,
    knots: tuple[NDArray[np.float64], NDArray[np.float64]],
    *,
    n: int = 8_000,
    seed: int = 12345,
    resolution_m: float | None = None,
) -> NDArray[np.float64]:
    """Straight-line distances (km) at which agents stop on level open ground, no time
    limit. Agents that walk off the (large) calibration map count at its edge."""
    q95 = profile.quantiles.q95_km or profile.distance.quantile_km(0.95)
    q50 = profile.quantiles.q50_km or profile.distance.quantile_km(0.5)
    q25 = profile.quantiles.q25_km or profile.distance.quantile_km(0.25)
    # Wide enough that the 95 % distance is well inside (agents off the map count as
    # beyond its edge), fine enough to resolve the 25 % distance.
    extent = 2.6 * q95 * 1000.0
    res = resolution_m if resolution_m is not None else max(5.0, min(q25 * 125.0, q50 * 33.0))
    res = max(res, extent / 4001.0)  # bounded memory: at most 4001 x 4001 cells
    grid = GridSpec.centered_on(
        0.0, 0.0, crs="EPSG:32631", resolution=res, extent_m=max(extent, 20 * res)
    )
    scene = scene_from_terrain(grid, (0.0, 0.0), terrain=None, movement=movement)
    params = _params(scene, profile, movement, AgentSettings(n_agents=n), math.inf)
    params[kernel.P_TAU_SP] = math.inf  # distance per moving time: staying put plays no part
    out_cell = np.empty(n, dtype=np.int64)
    out_steps = np.empty(n, dtype=np.int64)
    kernel.simulate_block(
        0,
        n,
        seed,
        scene.start[0],
        scene.start[1],
        scene.sec_per_m,
        scene.trail,
        scene.to_trail,
        scene.uphill,
        _mix_cum(mix),
        params,
        knots[0],
        knots[1],
        out_cell,
        out_steps,
        np.zeros((0, 0, 0), dtype=np.int64),
    )
    cols = grid.shape[1]
    r = np.where(out_cell >= 0, out_cell // cols, 0)
    c = np.where(out_cell >= 0, out_cell % cols, 0)
    d = np.hypot((r - scene.start[0]) * res, (c - scene.start[1]) * res) / 1000.0
    edge = grid.shape[0] * res / 2000.0
    return np.where(out_cell >= 0, d, edge)


def check_simulated(category: str) -> None:
    """Refuse categories the walking simulation does not describe."""
    if category in NOT_SIMULATED:
        raise InvalidParameterError(f"model: 'agents' for {category}: {NOT_SIMULATED[category]}")


def check_moving(mix: BehaviourMix) -> None:
    """Refuse a mix in which nobody walks: the budget cannot be calibrated (and a run
    with no time limit would never spend it).

    Examples
    --------
    >>> check_moving(BehaviourMix(0, 0, 0, 1, 0, 0, source="all stay put"))
    Traceback (most recent call last):
    ...
    wayhome.errors.InvalidParameterError: mix: random walk, route travel and direction \
travel have no share (SP 1); give at least one of them (rw, rt, dt) a share above 0
    """
    if mix.random_walk + mix.route_travel + mix.direction_travel <= 0.0:
        raise InvalidParameterError(
            f"mix: random walk, route travel and direction travel have no share "
            f"({_mix_text(mix)}); give at least one of them (rw, rt, dt) a share above 0"
        )


def calibrate_budget(
    profile: Profile, mix: BehaviourMix, movement: Movement
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Moving-time budget quantile function (knots u, ln seconds) for a profile and mix.

    Fitted by simulation on level open ground so that the agents' straight-line
    stopping distances follow the ISRID quartiles: the target quantile function runs
    log-linearly through the published 25/50/75/95 % distances (the fitted lognormal's
    where one is not published) and continues their slope into the tails.
    Deterministic (fixed seed) and cached.
    """
    check_simulated(profile.category)
    check_moving(mix)
    q = profile.quantiles
    target = tuple(
        float(v) if v is not None else profile.distance.quantile_km(lv)
        for lv, v in zip(_LEVELS, (q.q25_km, q.q50_km, q.q75_km, q.q95_km), strict=True)
    )
    return _calibrate(target, mix, movement, profile)


#: Levels of the budget quantile function that calibration adjusts.
_CAL_U = np.array(
    [
        0.02,
        0.05,
        0.1,
        0.15,
        0.2,
        0.25,
        0.3,
        0.35,
        0.4,
        0.45,
        0.5,
        0.55,
        0.6,
        0.65,
        0.7,
        0.75,
        0.8,
        0.85,
        0.9,
        0.95,
        0.98,
    ]
)


def target_quantiles_km(
    target_km: tuple[float, ...], u: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Distance quantile function through the four ISRID quantiles, log-linear in u.

    Examples
    --------
    >>> q = target_quantiles_km((1.0, 2.0, 4.0, 10.0), np.array([0.25, 0.375, 0.95]))
    >>> [round(float(x), 3) for x in q]
    [1.0, 1.414, 10.0]
    """
    lv = np.asarray(_LEVELS)
    lq = np.log(np.maximum(np.asarray(target_km, dtype=np.float64), 1e-3))
    lq = np.maximum.accumulate(lq)
    out = np.interp(u, lv, lq)
    lo = u < lv[0]
    hi = u > lv[-1]
    slope_lo = (lq[1] - lq[0]) / (lv[1] - lv[0])
    slope_hi = (lq[3] - lq[2]) / (lv[3] - lv[2])
    out[lo] = lq[0] - slope_lo * (lv[0] - u[lo])
    out[hi] = lq[3] + slope_hi * (u[hi] - lv[-1])
    return np.asarray(np.exp(out), dtype=np.float64)


@lru_cache(maxsize=256)
def _calibrate(
    target_km: tuple[float, ...],
    mix: BehaviourMix,
    movement: Movement,
    profile: Any,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    tq = target_quantiles_km(target_km, _CAL_U)
    lv = np.asarray(_LEVELS)
    goal = np.asarray(target_km, dtype=np.float64)
    walk_kms = profile.speed_kmh / 3600.0  # km per second of walking on level ground
    budget = tq / walk_kms / 0.8  # start as if displacement were 80 % of the path
    for _ in range(16):
        d = flat_distances_km(profile, mix, movement, _knots(budget), n=16_000)
        sim = np.quantile(d, lv)
        ratio = goal / np.maximum(sim, 1e-6)
        if np.all(np.abs(ratio - 1.0) < 0.02):
            break
        # Correct the whole quantile function smoothly, aiming at the four ISRID levels.
        log_fix = np.interp(_CAL_U, lv, np.log(np.clip(ratio, 0.25, 4.0)))
        budget = budget * np.exp(log_fix)
        # Keep it non-decreasing by lowering a knot to the one above (raising knots would
        # let the least efficient walkers drag every level up).
        budget = np.minimum.accumulate(budget[::-1])[::-1]
    return _knots(budget)


def _knots(budget_s: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Quantile-function knots (u, ln s) from budgets at the calibration levels."""
    b = np.maximum(np.asarray(budget_s, dtype=np.float64), 1.0)
    lo = b[0] * (b[0] / b[1]) ** 0.5
    hi = b[-1] * (b[-1] / b[-2]) ** 0.5
    u = np.concatenate([[0.0], _CAL_U, [1.0]])
    log_s = np.log(np.concatenate([[max(lo, 1.0)], b, [hi]]))
    return u, np.maximum.accumulate(log_s)


# ------------------------------------------------------------------ trajectories
@dataclass(frozen=True, slots=True, eq=False)
class Track:
    """One simulated subject's path: cell centres (grid CRS) and seconds since last seen."""

    agent: int
    xy: NDArray[np.float64]
    t_s: NDArray[np.float64]
    left_map: bool


def simulate_tracks(
    scene: Scene,
    profile: Profile,
    *,
    missing_for_h: float,
    n: int = 20,
    seed: int = 0,
    mix: BehaviourMix | None = None,
    movement: Movement | None = None,
    night_start_h: float | None = None,
    max_points: int = 100_000,
) -> list[Track]:
    """Paths of agents ``0 .. n-1`` (the same agents as in :func:`simulate_agents` with
    this seed), for a planner to look at."""
    if not (isinstance(n, int) and n >= 1):
        raise InvalidParameterError(f"tracks: must be a positive whole number, got {n}")
    movement = movement or movement_for(profile.category)
    mix = mix or behaviour_mix_for(profile.category)
    if not (math.isfinite(missing_for_h) and missing_for_h > 0):
        raise InvalidParameterError(
            f"missing-for: the agents need a time missing > 0 h, got {missing_for_h}"
        )
    knots = calibrate_budget(profile, mix, movement)
    params = _params(
        scene,
        profile,
        movement,
        AgentSettings(n_agents=n, seed=seed, night_start_h=night_start_h),
        missing_for_h * 3600.0,
    )
    mix_cum = _mix_cum(mix)
    xs, ys = scene.grid.centers()
    out: list[Track] = []
    for agent in range(n):
        buf = np.zeros((max_points, 3), dtype=np.float64)
        r, _, steps = kernel.trace_agent(
            agent,
            seed,
            scene.start[0],
            scene.start[1],
            scene.sec_per_m,
            scene.trail,
            scene.to_trail,
            scene.uphill,
            mix_cum,
            params,
            knots[0],
            knots[1],
            buf,
        )
        k = min(steps, max_points)
        rows = np.concatenate([[scene.start[0]], buf[:k, 0]]).astype(np.int64)
        cols = np.concatenate([[scene.start[1]], buf[:k, 1]]).astype(np.int64)
        t = np.concatenate([[0.0], buf[:k, 2]])
        xy = np.column_stack([xs[cols], ys[rows]])
        out.append(Track(agent, xy, t, r < 0))
    return out
