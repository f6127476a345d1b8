"""NumPy reference of the agent simulator's step model, vectorised across all agents.

The benchmark ``bench_agents.py`` measures the numba kernel
(:mod:`wayhome.probability._agents_kernel`) against this module, so this is written the
way a careful NumPy programmer would write the same model, not as a per-agent loop:

* the state of every agent lives in flat arrays (cell, heading, random-walk heading,
  behaviour, clock, moving time, budget, bout left, blocked tries, steps, active flag);
* one loop iteration advances every active agent by one event of the kernel's loop
  (shelter for the night, a rest, a stay-put dwell, a blocked try or a step), with
  masked ufuncs (``where=``), ``np.where`` and index arrays for the rarer branches;
* random numbers are drawn for all agents at once from one ``np.random.Generator``;
* the grid is padded by one ring of NaN cells, so a cell is one flat index, a step is
  one add, and "walked off the map" is one ``isnan``;
* finished agents are dropped from the arrays (compacted) once fewer than half remain.

It does not reproduce the kernel's random streams (it uses another generator), but it
is the same model: :func:`check_distance_quantiles` compares the straight-line
distances at which the two leave their agents.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from wayhome.probability import _agents_kernel as kernel
from wayhome.probability.agents import (
    AgentSettings,
    Movement,
    Scene,
    _mix_cum,
    _params,
    calibrate_budget,
    movement_for,
)
from wayhome.subject import BehaviourMix, Profile, behaviour_mix_for

__all__ = [
    "QuantileCheck",
    "check_distance_quantiles",
    "distance_quantiles_km",
    "simulate_numpy",
]

#: Quantile levels compared between the two implementations.
LEVELS = (0.25, 0.5, 0.75, 0.95)

_TWO_PI = 2.0 * math.pi
_OCTANT = math.pi / 4.0
_RW, _RT, _DT, _SP, _VE, _BT = kernel.RW, kernel.RT, kernel.DT, kernel.SP, kernel.VE, kernel.BT

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
Knots = tuple[FloatArray, FloatArray]


class _BehaviourDraw:
    """Vectorised ``_draw_behaviour``: stay put with probability ``p_sp``, else one of the
    other five behaviours in proportion to the mix."""

    def __init__(self, mix_cum: FloatArray) -> None:
        share = np.diff(np.concatenate([[0.0], mix_cum]))
        self.base_sp = float(share[_SP])
        self.rest = 1.0 - self.base_sp
        self.others = np.array([_RW, _RT, _DT, _VE, _BT], dtype=np.int8)
        self.cum = np.cumsum(share[self.others.astype(np.int64)])

    def __call__(self, p_sp: FloatArray, u: FloatArray) -> NDArray[np.int8]:
        if self.rest <= 0.0:
            return np.full(u.shape, _SP, dtype=np.int8)
        with np.errstate(divide="ignore", invalid="ignore"):
            v = (u - p_sp) / (1.0 - p_sp) * self.rest
        k = np.searchsorted(self.cum, v, side="right")
        out = np.where(k < self.others.size, self.others[np.minimum(k, 4)], np.int8(_DT))
        return np.where(u < p_sp, np.int8(_SP), out).astype(np.int8)

    def p_sp(self, t: FloatArray, tau: float) -> FloatArray:
        """Stay-put share after ``t`` seconds: 1 − (1 − p₀)·exp(−t/τ)."""
        return 1.0 - (1.0 - self.base_sp) * np.exp(-t / tau)


def _dir_of(theta: FloatArray, u: FloatArray | float) -> IntArray:
    """Grid direction of each heading by stochastic rounding between octants.

    Headings are kept unwrapped (a float ``%`` costs more than the rest of this
    function); ``& 7`` is the octant modulo 8, negative headings included.
    """
    f = theta / _OCTANT
    d0 = np.floor(f)
    d = d0 + (u < f - d0)
    return d.astype(np.int64) & 7


@dataclass(frozen=True, slots=True)
class _Grid:
    """The scene on a grid padded with one ring of off-map cells, flattened."""

    rows: int
    cols: int
    spm: FloatArray  # seconds per metre; NaN off the map, inf impassable
    trail: NDArray[np.bool_]
    to_trail: NDArray[np.int8]
    uphill: NDArray[np.int8]
    offset: IntArray  # flat offset of each of the eight directions
    start: int

    @classmethod
    def of(cls, scene: Scene) -> _Grid:
        rows, cols = scene.grid.shape
        width = cols + 2

        def pad(a: NDArray[np.generic], fill: float) -> NDArray[np.generic]:
            out = np.full((rows + 2, width), fill, dtype=a.dtype)
            out[1:-1, 1:-1] = a
            return out.ravel()

        return cls(
            rows,
            cols,
            pad(scene.sec_per_m, math.nan).astype(np.float64),
            pad(scene.trail, 0).astype(bool),
            pad(scene.to_trail, -1).astype(np.int8),
            pad(scene.uphill, -1).astype(np.int8),
            (kernel.DR * width + kernel.DC).astype(np.int64),
            (scene.start[0] + 1) * width + scene.start[1] + 1,
        )

    def unpadded(self, cell: IntArray) -> IntArray:
        """Flat index on the scene's grid of padded flat indices."""
        r, c = np.divmod(cell, self.cols + 2)
        flat: IntArray = (r - 1) * self.cols + (c - 1)
        return flat

    def row_col(self, cell: IntArray) -> tuple[IntArray, IntArray]:
        """Scene-grid (row, col) of padded flat indices."""
        r, c = np.divmod(cell, self.cols + 2)
        return r - 1, c - 1


class _Agents:
    """State arrays of a batch of agents (all the same length; ``active`` marks the live)."""

    NAMES = (
        "cell",
        "here",
        "theta",
        "theta_rw",
        "beh",
        "t",
        "moved",
        "budget",
        "bout_left",
        "blocked",
        "steps",
        "active",
    )

    def __init__(
        self,
        n: int,
        g: _Grid,
        p: FloatArray,
        draw: _BehaviourDraw,
        knots: Knots,
        rng: np.random.Generator,
    ) -> None:
        u = rng.random((4, n))
        self.cell: IntArray = np.full(n, g.start, dtype=np.int64)
        self.here: FloatArray = np.full(n, g.spm[g.start])  # seconds per metre here
        self.budget: FloatArray = np.exp(np.interp(u[0], knots[0], knots[1]))
        self.theta: FloatArray = u[1] * _TWO_PI
        self.theta_rw: FloatArray = self.theta.copy()
        self.beh: NDArray[np.int8] = draw(np.full(n, draw.base_sp), u[2])
        self.bout_left: FloatArray = -p[kernel.P_BOUT] * np.log1p(-u[3])
        self.t: FloatArray = np.zeros(n)
        self.moved: FloatArray = np.zeros(n)
        self.blocked: NDArray[np.int8] = np.zeros(n, dtype=np.int8)
        self.steps: IntArray = np.zeros(n, dtype=np.int64)
        self.active: NDArray[np.bool_] = np.ones(n, dtype=bool)

    def compact(self) -> None:
        keep = np.flatnonzero(self.active)
        for name in self.NAMES:
            setattr(self, name, getattr(self, name)[keep])


def _simulate_chunk(
    n: int,
    g: _Grid,
    p: FloatArray,
    draw: _BehaviourDraw,
    knots: Knots,
    rng: np.random.Generator,
    dwell: FloatArray | None,
) -> tuple[IntArray, int, int]:
    """Run ``n`` agents to the end; final scene-grid cells of those on the map, the
    number that left it, and the steps walked."""
    t_total = min(float(p[kernel.P_T_TOTAL]), 8.0 * float(p[kernel.P_TAU_SP]))
    p_switch = float(p[kernel.P_SWITCH])
    noise = float(p[kernel.P_NOISE])
    sp_dwell = float(p[kernel.P_SP_DWELL])
    tau = float(p[kernel.P_TAU_SP])
    bout_mean = float(p[kernel.P_BOUT])
    rest_mean = float(p[kernel.P_REST])
    fatigue = float(p[kernel.P_FATIGUE])
    night_start = float(p[kernel.P_NIGHT_START])
    night_end = float(p[kernel.P_NIGHT_END])
    night_factor = float(p[kernel.P_NIGHT_FACTOR])
    rw_turn = float(p[kernel.P_RW_TURN])
    step_s = kernel.STEP * (float(p[kernel.P_RES]) / float(p[kernel.P_REL_SPEED]))
    has_night = math.isfinite(night_start)

    a = _Agents(n, g, p, draw, knots, rng)
    finals: list[IntArray] = []
    left = 0
    steps = 0
    n_active = n

    def finish(i: IntArray, *, on_map: bool) -> None:
        nonlocal left, steps, n_active
        a.active[i] = False
        steps += int(a.steps[i].sum())
        n_active -= i.size
        if on_map:
            finals.append(g.unpadded(a.cell[i]))
        else:
            left += i.size

    def add_dwell(i: IntArray, seconds: FloatArray) -> None:
        if dwell is not None:
            np.add.at(dwell, g.unpadded(a.cell[i]), np.trunc(seconds))

    while n_active > 0:
        if n_active < 0.5 * a.cell.size:
            a.compact()
        m = a.cell.size
        # Out of time, or the moving-time budget spent: the agent stops where it is.
        done = np.flatnonzero(a.active & ((a.t >= t_total) | (a.moved >= a.budget)))
        if done.size:
            finish(done, on_map=True)
            if n_active == 0:
                break
        go = a.active.copy()
        # Night: shelter until morning, or walk slower.
        slow: FloatArray | float = 1.0
        if has_night:
            night = go & (a.t >= night_start) & (a.t < night_end)
            if night_factor <= 0.0:
                i = np.flatnonzero(night)
                if i.size:
                    add_dwell(i, min(night_end, t_total) - a.t[i])
                    a.t[i] = night_end
                    go[i] = False
            else:
                slow = np.where(night, 1.0 / night_factor, 1.0)
        # Rest after each walking bout; rests lengthen with the time walked (fatigue).
        i = np.flatnonzero(go & (a.bout_left <= 0.0))
        if i.size:
            u2 = rng.random((2, i.size))
            rest = -rest_mean * (1.0 + fatigue * a.moved[i]) * np.log1p(-u2[0])
            rest = np.minimum(rest, t_total - a.t[i])
            add_dwell(i, rest)
            a.t[i] += rest
            a.bout_left[i] = -bout_mean * np.log1p(-u2[1])
            go[i] = False
        u = rng.random((3, m))  # behaviour switch, heading noise, stochastic rounding
        # Change behaviour every so often; staying put grows more likely with time.
        i = np.flatnonzero(go & (u[0] < p_switch))
        if i.size:
            a.beh[i] = draw(draw.p_sp(a.t[i], tau), rng.random(i.size))
        beh = a.beh
        # Route travel: on a trail, towards one in sight, or on a heading like direction travel.
        rt = np.flatnonzero(go & (beh == _RT))
        rt_cell = a.cell[rt]
        on_trail = g.trail[rt_cell]
        target = g.to_trail[rt_cell]
        noisy = go & (beh == _DT)
        noisy[rt[~on_trail & (target < 0)]] = True
        np.add(a.theta, (2.0 * u[1] - 1.0) * noise, out=a.theta, where=noisy)
        # Random walk: a new random heading every so often.
        i = np.flatnonzero(go & (beh == _RW))
        if i.size:
            turn = i[rng.random(i.size) < rw_turn]
            a.theta_rw[turn] = rng.random(turn.size) * _TWO_PI
        heading = np.where(beh == _RW, a.theta_rw, a.theta)
        # Backtrack: head for the last-seen point; once there, stay put.
        i = np.flatnonzero(go & (beh == _BT))
        if i.size:
            r, c = g.row_col(a.cell[i])
            dr0 = (g.start // (g.cols + 2) - 1) - r
            dc0 = (g.start % (g.cols + 2) - 1) - c
            home = (dr0 == 0) & (dc0 == 0)
            beh[i[home]] = _SP
            heading[i] = np.arctan2(-dr0, dc0)
        d = _dir_of(heading, u[2])
        # Route travel on a trail: the trail neighbour closest to the heading (ties by coin).
        i = rt[on_trail]
        if i.size:
            hd = _dir_of(a.theta[i], 0.5)
            best = np.full(i.size, -1, dtype=np.int64)
            best_gap = np.full(i.size, 10, dtype=np.int64)
            ci = a.cell[i]
            coin = rng.random((8, i.size)) < 0.5
            for k in range(8):
                ok = g.trail[ci + g.offset[k]]
                gap = np.abs(k - hd) % 8
                gap = np.minimum(gap, 8 - gap)
                better = ok & ((gap < best_gap) | ((gap == best_gap) & coin[k]))
                best[better] = k
                best_gap[better] = gap[better]
            found = best >= 0
            d[i[found]] = best[found]
            a.theta[i[found]] = best[found] * _OCTANT
        # Route travel near a trail: head for it.
        near = ~on_trail & (target >= 0)
        i = rt[near]
        d[i] = target[near]
        a.theta[i] = target[near] * _OCTANT
        # View enhancing: climb; on a local high point, stay and look.
        i = np.flatnonzero(go & (beh == _VE))
        if i.size:
            up = g.uphill[a.cell[i]].astype(np.int64)
            d[i] = up
            beh[i[up < 0]] = _SP
        # Stay put: one dwell, then decide again.
        sp = go & (beh == _SP)
        i = np.flatnonzero(sp)
        if i.size:
            stay = np.minimum(sp_dwell, t_total - a.t[i])
            add_dwell(i, stay)
            a.t[i] += stay
            a.beh[i] = draw(draw.p_sp(a.t[i], tau), rng.random(i.size))
        # Step: off the map ends the agent (rest of world); a barrier turns it away.
        mv = go & ~sp
        nxt = a.cell + g.offset[d]
        there = g.spm[nxt]
        cost = 0.5 * (a.here + there) * step_s[d] * slow
        off = np.flatnonzero(mv & np.isnan(there))
        if off.size:
            finish(off, on_map=False)
        blocked = np.flatnonzero(mv & np.isinf(cost))
        ok = mv & np.isfinite(cost)
        if dwell is not None:
            i = np.flatnonzero(ok)
            add_dwell(i, cost[i])
        np.add(a.t, cost, out=a.t, where=ok)
        np.add(a.moved, cost, out=a.moved, where=ok)
        np.subtract(a.bout_left, cost, out=a.bout_left, where=ok)
        np.copyto(a.cell, nxt, where=ok)
        np.copyto(a.here, there, where=ok)
        a.steps += ok
        np.copyto(a.blocked, 0, where=ok)
        if blocked.size:
            # turn away and walk on by direction travel; after eight tries, pause a minute
            a.theta[blocked] += math.pi * (0.5 + rng.random(blocked.size))
            a.theta_rw[blocked] = a.theta[blocked]
            a.beh[blocked] = _DT
            a.blocked[blocked] += 1
            tired = blocked[a.blocked[blocked] >= 8]
            a.blocked[tired] = 0
            a.t[tired] += np.minimum(60.0, t_total - a.t[tired])
    cells = np.concatenate(finals) if finals else np.zeros(0, dtype=np.int64)
    return cells, left, steps


def simulate_numpy(
    scene: Scene,
    profile: Profile,
    *,
    missing_for_h: float | None,
    mix: BehaviourMix | None = None,
    movement: Movement | None = None,
    settings: AgentSettings | None = None,
    knots: Knots | None = None,
) -> tuple[FloatArray, int, int]:
    """Run ``settings.n_agents`` agents with NumPy; (counts per cell, left the map, steps).

    The same model and parameters as :func:`wayhome.probability.agents.simulate_agents`
    (``counts`` is seconds spent per cell when ``settings.time_weighted``), with NumPy's
    generator seeded by ``settings.seed`` instead of the kernel's per-agent streams.
    """
    settings = settings or AgentSettings()
    movement = movement or movement_for(profile.category)
    mix = mix or behaviour_mix_for(profile.category)
    t_total = math.inf if missing_for_h is None else missing_for_h * 3600.0
    knots = knots if knots is not None else calibrate_budget(profile, mix, movement)
    p = _params(scene, profile, movement, settings, t_total)
    g = _Grid.of(scene)
    draw = _BehaviourDraw(_mix_cum(mix))
    rng = np.random.default_rng(settings.seed)
    n_cells = g.rows * g.cols
    dwell = np.zeros(n_cells) if settings.time_weighted else None
    counts = np.zeros(n_cells)
    left = 0
    steps = 0
    done = 0
    while done < settings.n_agents:
        m = min(settings.chunk, settings.n_agents - done)
        cells, chunk_left, chunk_steps = _simulate_chunk(m, g, p, draw, knots, rng, dwell)
        counts += np.bincount(cells, minlength=n_cells)
        left += chunk_left
        steps += chunk_steps
        done += m
    if dwell is not None:
        counts = dwell
    return counts.reshape(g.rows, g.cols), left, steps


# ------------------------------------------------------------------ the check
def distance_quantiles_km(
    counts: FloatArray, left_map: int, scene: Scene, levels: tuple[float, ...] = LEVELS
) -> FloatArray:
    """Quantiles of the straight-line distance (km) from the last-seen point at which
    agents end, from their counts per cell; agents off the map count as infinitely far.

    Examples
    --------
    >>> from wayhome.geo.grid import GridSpec
    >>> from wayhome.probability.agents import scene_from_terrain
    >>> grid = GridSpec.centered_on(0.0, 0.0, crs="EPSG:32631", resolution=100.0, extent_m=500)
    >>> scene = scene_from_terrain(grid, (0.0, 0.0), terrain=None)
    >>> counts = np.zeros(grid.shape)
    >>> counts[2, 2], counts[2, 4] = 3, 1
    >>> [float(q) for q in distance_quantiles_km(counts, 0, scene, (0.5, 0.95))]
    [0.0, 0.2]
    """
    rows, cols = counts.shape
    r0, c0 = scene.start
    rr, cc = np.indices((rows, cols))
    d = (np.hypot(rr - r0, cc - c0) * scene.grid.resolution / 1000.0).ravel()
    order = np.argsort(d, kind="stable")
    cum = np.cumsum(counts.ravel()[order])
    total = cum[-1] + left_map
    out = np.empty(len(levels))
    for k, q in enumerate(levels):
        j = int(np.searchsorted(cum, q * total, side="left"))
        out[k] = d[order[j]] if j < cum.size else math.inf
    return out


@dataclass(frozen=True, slots=True)
class QuantileCheck:
    """Distance quantiles (km) of the numba kernel and the NumPy reference."""

    levels: tuple[float, ...]
    numba_km: FloatArray
    numpy_km: FloatArray
    numba_steps_per_agent: float
    numpy_steps_per_agent: float
    tolerance: float

    @property
    def relative_gap(self) -> FloatArray:
        """|numpy − numba| / numba at each level."""
        return np.asarray(np.abs(self.numpy_km - self.numba_km) / self.numba_km)

    @property
    def ok(self) -> bool:
        """Every quantile agrees within ``tolerance``."""
        return bool(np.all(self.relative_gap <= self.tolerance))

    def markdown(self) -> str:
        """The comparison as a Markdown table."""
        lines = [
            "| quantile | numba (km) | numpy (km) | gap |",
            "|---|---|---|---|",
        ]
        for lv, a, b, gap in zip(
            self.levels, self.numba_km, self.numpy_km, self.relative_gap, strict=True
        ):
            lines.append(f"| {lv:.0%} | {a:.3f} | {b:.3f} | {gap:.1%} |")
        lines.append(
            f"| steps/agent | {self.numba_steps_per_agent:.1f} | "
            f"{self.numpy_steps_per_agent:.1f} | "
            f"{abs(self.numpy_steps_per_agent / self.numba_steps_per_agent - 1):.1%} |"
        )
        verdict = "agree" if self.ok else "DISAGREE"
        lines.append(f"\nnumba and numpy {verdict} within {self.tolerance:.0%} at every quantile.")
        return "\n".join(lines)


def check_distance_quantiles(
    scene: Scene,
    numba_run: tuple[FloatArray, int, int, int],
    numpy_run: tuple[FloatArray, int, int, int],
    *,
    tolerance: float = 0.10,
) -> QuantileCheck:
    """Compare where the two implementations leave their agents on the same scene.

    Each run is (counts, left the map, steps, agents), from end-position runs
    (``time_weighted=False``).
    """
    a_counts, a_left, a_steps, a_n = numba_run
    b_counts, b_left, b_steps, b_n = numpy_run
    return QuantileCheck(
        LEVELS,
        distance_quantiles_km(a_counts, a_left, scene),
        distance_quantiles_km(b_counts, b_left, scene),
        a_steps / a_n,
        b_steps / b_n,
        tolerance,
    )
