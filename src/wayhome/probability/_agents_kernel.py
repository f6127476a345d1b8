"""Numba kernels of the agent simulator (private; see :mod:`wayhome.probability.agents`).

Each agent owns a SplitMix64 random stream seeded from (seed, agent index), so results
do not depend on how agents are spread over threads. Agents move on the 8-connected grid;
headings are continuous and turned into grid steps by stochastic rounding, so direction
travel follows any bearing, not only the eight grid directions.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit, prange
from numpy.typing import NDArray

# Direction d (0..7) counter-clockwise from east; rows grow southwards.
DR = np.array([0, -1, -1, -1, 0, 1, 1, 1], dtype=np.int64)
DC = np.array([1, 1, 0, -1, -1, -1, 0, 1], dtype=np.int64)
STEP = np.array([1.0, math.sqrt(2.0)] * 4, dtype=np.float64)

# Behaviour codes, in the order of wayhome.subject.BEHAVIOURS.
RW, RT, DT, SP, VE, BT = 0, 1, 2, 3, 4, 5

# Indices into the params vector.
P_T_TOTAL, P_RES, P_REL_SPEED, P_SWITCH, P_NOISE, P_SP_DWELL, P_TAU_SP = 0, 1, 2, 3, 4, 5, 6
P_BOUT, P_REST, P_FATIGUE, P_NIGHT_START, P_NIGHT_END, P_NIGHT_FACTOR, P_RW_TURN = (
    7,
    8,
    9,
    10,
    11,
    12,
    13,
)
N_PARAMS = 14

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_TWO_PI = 2.0 * math.pi
_OCTANT = math.pi / 4.0
_DAY_S = 86_400.0
#: Hard cap on loop iterations per agent: no parameters can make a run hang.
MAX_LOOPS = 10_000_000


@njit(inline="always")
def _mix64(z: np.uint64) -> np.uint64:
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@njit(inline="always")
def _next(state: NDArray[Any]) -> float:
    """Next uniform in [0, 1) from a one-element uint64 state (SplitMix64)."""
    state[0] += _GOLDEN
    return float(_mix64(state[0]) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(inline="always")
def _dir_of(theta: float, u: float) -> int:
    """Grid direction for heading ``theta`` by stochastic rounding between octants."""
    f = theta / _OCTANT
    d0 = math.floor(f)
    d = d0 + 1 if u < f - d0 else d0
    return int(d) % 8


@njit(inline="always")
def _draw_behaviour(mix_cum: NDArray[Any], p_sp: float, u: float) -> int:
    """Draw a behaviour with the stay-put share raised to ``p_sp`` (others scaled down)."""
    base_sp = mix_cum[SP] - mix_cum[SP - 1]
    if u < p_sp:
        return SP
    # rescale u into the remaining behaviours' share
    rest = 1.0 - base_sp
    if rest <= 0.0:
        return SP
    v = (u - p_sp) / (1.0 - p_sp) * rest
    acc = 0.0
    for b in range(6):
        if b == SP:
            continue
        lo = mix_cum[b - 1] if b > 0 else 0.0
        acc += mix_cum[b] - lo
        if v < acc:
            return b
    return DT


@njit(inline="always")
def _budget(u: float, knots_u: NDArray[Any], knots_log_s: NDArray[Any]) -> float:
    """Moving-time budget (s) from the piecewise log-linear quantile function."""
    n = knots_u.shape[0]
    for k in range(1, n):
        if u <= knots_u[k]:
            w = (u - knots_u[k - 1]) / (knots_u[k] - knots_u[k - 1])
            return math.exp(knots_log_s[k - 1] + w * (knots_log_s[k] - knots_log_s[k - 1]))
    return math.exp(knots_log_s[n - 1])


@njit(nogil=True, cache=True)
def _run_agent(
    agent: int,
    seed: int,
    r0: int,
    c0: int,
    spm: NDArray[Any],
    trail: NDArray[Any],
    to_trail: NDArray[Any],
    uphill: NDArray[Any],
    mix_cum: NDArray[Any],
    params: NDArray[Any],
    knots_u: NDArray[Any],
    knots_log_s: NDArray[Any],
    dwell: NDArray[Any],
    track: NDArray[Any],
) -> tuple[int, int, int]:
    """Simulate one agent; returns (row, col, steps); row -1 when it left the grid.

    ``dwell`` (rows x cols int64, or 0 x 0) receives milliseconds spent per cell, up to
    the time missing (the time after the walk ends is spent in the last cell);
    ``track`` (k x 3 float64, or 0 x 3) receives (row, col, t) after each move.
    Night falls every 24 h from ``P_NIGHT_START`` and lasts ``P_NIGHT_END - P_NIGHT_START``.
    """
    rows, cols = spm.shape
    state = np.empty(1, dtype=np.uint64)
    state[0] = _mix64(np.uint64(seed) * _GOLDEN ^ _mix64(np.uint64(agent) + _GOLDEN))
    # Staying put takes over with time; after 8 time constants (p > 0.9996) the agent
    # has stopped for good, which also ends runs with no time limit.
    time_missing = params[P_T_TOTAL]
    t_total = min(time_missing, 8.0 * params[P_TAU_SP])
    res = params[P_RES]
    inv_speed = 1.0 / params[P_REL_SPEED]
    p_switch = params[P_SWITCH]
    noise = params[P_NOISE]
    sp_dwell = params[P_SP_DWELL]
    tau_sp = params[P_TAU_SP]
    bout_mean = params[P_BOUT]
    rest_mean = params[P_REST]
    fatigue = params[P_FATIGUE]
    # the current (or next) night, [night_start, night_end); moved on a day at a time
    night_start = params[P_NIGHT_START]
    night_end = params[P_NIGHT_END]
    night_factor = params[P_NIGHT_FACTOR]
    rw_turn = params[P_RW_TURN]
    base_sp = mix_cum[SP] - mix_cum[SP - 1]
    track_cap = track.shape[0]
    record_dwell = dwell.shape[0] > 0

    budget = _budget(_next(state), knots_u, knots_log_s)
    theta = _next(state) * _TWO_PI  # heading of direction and route travel
    theta_rw = theta  # heading of the current random-walk leg
    beh = _draw_behaviour(mix_cum, base_sp, _next(state))
    bout_left = -bout_mean * math.log(1.0 - _next(state))
    r, c = r0, c0
    t = 0.0
    moved = 0.0
    steps = 0
    blocked = 0
    loops = 0
    while t < t_total and moved < budget and loops < MAX_LOOPS:
        loops += 1
        # Night (every night, not only the first): shelter until morning, or walk slower.
        slow = 1.0
        if t >= night_start:
            while t >= night_end:  # past this night: the next falls a day later
                night_start += _DAY_S
                night_end += _DAY_S
        if night_start <= t:
            if night_factor <= 0.0:
                if record_dwell:
                    dwell[r, c] += np.int64((min(night_end, t_total) - t) * 1000.0)
                t = night_end
                continue
            slow = 1.0 / night_factor
        # Rest after each walking bout; rests lengthen with the distance walked (fatigue).
        if bout_left <= 0.0:
            rest = -rest_mean * (1.0 + fatigue * moved) * math.log(1.0 - _next(state))
            rest = min(rest, t_total - t)
            if record_dwell:
                dwell[r, c] += np.int64(rest * 1000.0)
            t += rest
            bout_left = -bout_mean * math.log(1.0 - _next(state))
            continue
        # Change behaviour every so often; staying put grows more likely with time.
        if _next(state) < p_switch:
            p_sp = 1.0 - (1.0 - base_sp) * math.exp(-t / tau_sp)
            beh = _draw_behaviour(mix_cum, p_sp, _next(state))
        d = -1
        if beh == RW:
            if _next(state) < rw_turn:
                theta_rw = _next(state) * _TWO_PI
            d = _dir_of(theta_rw, _next(state))
        elif beh == DT:
            theta = (theta + (2.0 * _next(state) - 1.0) * noise) % _TWO_PI
            d = _dir_of(theta, _next(state))
        elif beh == RT:
            if trail[r, c]:
                # follow the trail: the trail neighbour closest to the heading (ties at
                # random); if the only trail cells lie behind, the trail ends or bends
                # back here, and the walker turns along it.
                best = -1
                best_gap = 10
                ties = 0
                hd = _dir_of(theta, 0.5)
                for k in range(8):
                    nr = r + DR[k]
                    nc = c + DC[k]
                    if 0 <= nr < rows and 0 <= nc < cols and trail[nr, nc]:
                        gap = abs(k - hd) % 8
                        gap = min(gap, 8 - gap)
                        if gap < best_gap:
                            best_gap = gap
                            best = k
                            ties = 1
                        elif gap == best_gap:
                            ties += 1
                            if _next(state) * ties < 1.0:
                                best = k
                if best >= 0:
                    d = best
                    theta = best * _OCTANT
                else:
                    d = _dir_of(theta, _next(state))
            elif to_trail[r, c] >= 0:
                d = int(to_trail[r, c])
                theta = d * _OCTANT
            else:
                theta = (theta + (2.0 * _next(state) - 1.0) * noise) % _TWO_PI
                d = _dir_of(theta, _next(state))
        elif beh == VE:
            d = int(uphill[r, c])
            if d < 0:
                beh = SP  # on a local high point: stay and look
        elif beh == BT:
            dr0 = r0 - r
            dc0 = c0 - c
            if dr0 == 0 and dc0 == 0:
                beh = SP
            else:
                # head home without forgetting the heading of direction travel
                d = _dir_of(math.atan2(-dr0, dc0) % _TWO_PI, _next(state))
        if beh == SP:
            stay = min(sp_dwell, t_total - t)
            if record_dwell:
                dwell[r, c] += np.int64(stay * 1000.0)
            t += stay
            # one stay-put decision lasts one dwell; then decide again
            p_sp = 1.0 - (1.0 - base_sp) * math.exp(-t / tau_sp)
            beh = _draw_behaviour(mix_cum, p_sp, _next(state))
            continue
        nr = r + DR[d]
        nc = c + DC[d]
        if nr < 0 or nr >= rows or nc < 0 or nc >= cols:
            return -1, -1, steps  # walked off the map: rest of world
        cost = 0.5 * (spm[r, c] + spm[nr, nc]) * STEP[d] * res * inv_speed * slow
        if not cost < math.inf:
            # Barrier: whatever the behaviour, turn away and walk on by direction travel;
            # after eight refusals in a row, pause a minute.
            theta = (theta + math.pi * (0.5 + _next(state))) % _TWO_PI
            theta_rw = theta
            beh = DT
            blocked += 1
            if blocked >= 8:
                blocked = 0
                pause = min(60.0, t_total - t)
                if record_dwell:
                    dwell[r, c] += np.int64(pause * 1000.0)
                t += pause
            continue
        blocked = 0
        if t + cost > t_total:
            # Time runs out mid-step: the agent is in the next cell with the share of the
            # step it has walked (unbiased), and the clock stops at the time missing.
            part = (t_total - t) / cost
            if record_dwell:
                dwell[r, c] += np.int64((t_total - t) * 1000.0)
            if _next(state) >= part:
                t = t_total
                break
            cost = t_total - t
        elif record_dwell:
            dwell[r, c] += np.int64(cost * 1000.0)
        t += cost
        moved += cost
        bout_left -= cost
        r, c = nr, nc
        if steps < track_cap:
            track[steps, 0] = r
            track[steps, 1] = c
            track[steps, 2] = t
        steps += 1
    if record_dwell and t < time_missing < math.inf:
        # The walk is over (budget spent, or stopped for good): the rest of the time
        # missing is spent where the agent stands.
        dwell[r, c] += np.int64((time_missing - t) * 1000.0)
    return r, c, steps


@njit(parallel=True, nogil=True, cache=True)
def simulate_block(
    first: int,
    n: int,
    seed: int,
    r0: int,
    c0: int,
    spm: NDArray[Any],
    trail: NDArray[Any],
    to_trail: NDArray[Any],
    uphill: NDArray[Any],
    mix_cum: NDArray[Any],
    params: NDArray[Any],
    knots_u: NDArray[Any],
    knots_log_s: NDArray[Any],
    out_cell: NDArray[Any],
    out_steps: NDArray[Any],
    dwell: NDArray[Any],
) -> None:
    """Simulate agents ``first .. first + n - 1``; final flat cell (or -1) and steps each.

    ``dwell`` is (blocks, rows, cols) int64 — one integer histogram per block, so the
    block sum is exact and independent of the thread count — or (0, 0, 0).
    """
    cols = spm.shape[1]
    blocks = dwell.shape[0]
    no_track = np.zeros((0, 3), dtype=np.float64)
    no_dwell = np.zeros((0, 0), dtype=np.int64)
    nb = blocks if blocks > 0 else 64
    per = (n + nb - 1) // nb
    for b in prange(nb):
        lo = b * per
        hi = min(n, lo + per)
        hist = dwell[b] if blocks > 0 else no_dwell
        for i in range(lo, hi):
            r, c, s = _run_agent(
                first + i,
                seed,
                r0,
                c0,
                spm,
                trail,
                to_trail,
                uphill,
                mix_cum,
                params,
                knots_u,
                knots_log_s,
                hist,
                no_track,
            )
            out_cell[i] = -1 if r < 0 else r * cols + c
            out_steps[i] = s


@njit(nogil=True, cache=True)
def trace_agent(
    agent: int,
    seed: int,
    r0: int,
    c0: int,
    spm: NDArray[Any],
    trail: NDArray[Any],
    to_trail: NDArray[Any],
    uphill: NDArray[Any],
    mix_cum: NDArray[Any],
    params: NDArray[Any],
    knots_u: NDArray[Any],
    knots_log_s: NDArray[Any],
    track: NDArray[Any],
) -> tuple[int, int, int]:
    """One agent with its track recorded into ``track`` (k x 3: row, col, t)."""
    no_dwell = np.zeros((0, 0), dtype=np.int64)
    return _run_agent(
        agent,
        seed,
        r0,
        c0,
        spm,
        trail,
        to_trail,
        uphill,
        mix_cum,
        params,
        knots_u,
        knots_log_s,
        no_dwell,
        track,
    )
