"""Who searches where next period: allocation of search effort that maximises POS.

Detection is exponential (random search, Koopman): a segment of area ``A`` swept over
an area ``z`` (searchers × sweep width × distance walked) is found with probability
``POD = 1 − exp(−z/A)``, and the period's probability of success is
``POS = Σ POAᵢ · PODᵢ`` (SEARCH-SCIENCE §2.1). Two versions of the planning problem:

* **Divisible effort** (:func:`allocate_effort`): split a total swept area ``Z`` over the
  segments. The objective is concave and separable, so the optimum is Stone's
  water-filling — every searched segment ends with the same posterior density, the
  unsearched ones already below it — and the textbook greedy (give each small increment
  to the segment with the largest marginal gain ``POAᵢ/Aᵢ · e^(−zᵢ/Aᵢ)``) reaches it and
  is uniformly optimal (Koopman; Charnes & Cooper 1958; Stone 1975 ch. II).
* **Whole teams** (:func:`assign_teams`): each team searches one segment or none, with its
  own searchers, sweep width, speed, hours and travel time from where it stands. This is
  a combinatorial problem; it is solved exactly with OR-Tools CP-SAT (or by brute force on
  small instances), or approximately by greedy marginal gain.

Sweep widths come from the caller: a :class:`Team` carries its own ``sweep_width_m`` and
``speed_kmh`` for the terrain it will search.
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from wayhome.errors import InvalidParameterError

__all__ = [
    "ASSIGNMENT_SOLVERS",
    "BRUTE_FORCE_MAX",
    "Assignment",
    "AssignmentPlan",
    "SegmentTarget",
    "Team",
    "allocate_effort",
    "allocate_effort_greedy",
    "assign_teams",
    "pos_of_effort",
]

#: Valid values of ``assign_teams(solver=...)``.
ASSIGNMENT_SOLVERS = ("brute", "cpsat", "greedy")
#: ``solver="brute"`` is refused beyond this many teams or segments.
BRUTE_FORCE_MAX = 8

_OBJECTIVE_SCALE = 1e9  # CP-SAT objective units per unit of POS (coefficients are integers)
_DEFAULT_INCREMENTS = 10_000  # allocate_effort_greedy's default step is total / this
_MAX_INCREMENTS = 10_000_000
_BRUTE_CHUNK = 1 << 21  # full assignments scored per block


def _check_positive(name: str, value: float, owner: str, fix: str) -> None:
    if not (math.isfinite(value) and value > 0):
        raise InvalidParameterError(f"{name}: {owner} has {value!r}; {fix}")


def _check_xy(name: str, xy: tuple[float, float], owner: str) -> None:
    if len(xy) != 2 or not all(math.isfinite(v) for v in xy):
        raise InvalidParameterError(
            f"{name}: {owner} has {xy!r}; give (x, y) in metres in the segments' projected CRS"
        )


@dataclass(frozen=True, slots=True)
class Team:
    """A team that searches as one unit for the period.

    A pair that must stay together is one team: :func:`assign_teams` never splits a team.

    Parameters
    ----------
    id : str
        Team name as on the assignment form.
    resource : str
        Resource type ("ground", "dog", "hasty", ...); informational, the numbers below
        carry the physics.
    searchers : int
        Searchers sweeping (>= 1); a protected member who does not search is not counted.
    hours : float
        Hours available this period, travel to the segment included (>= 0).
    sweep_width_m : float
        Effective sweep width of one searcher for this resource in the terrain (m, > 0).
    speed_kmh : float
        Searching speed (km/h, > 0).
    position_xy : tuple of float, optional
        Where the team stands now, in metres in the segments' projected CRS; ``None``
        means no travel time (the team is dropped at its segment).
    travel_speed_kmh : float
        Straight-line speed to a segment's centroid (km/h, > 0).
    protected : bool
        The team includes a protected member (a non-searcher such as a minor or an
        observer): it is only sent to segments without a hazard.
    """

    id: str
    resource: str
    searchers: int
    hours: float
    sweep_width_m: float
    speed_kmh: float
    position_xy: tuple[float, float] | None = None
    travel_speed_kmh: float = 3.0
    protected: bool = False

    def __post_init__(self) -> None:
        if not self.id:
            raise InvalidParameterError("id: a team needs a non-empty id (its call sign)")
        who = f"team {self.id!r}"
        if isinstance(self.searchers, bool) or not isinstance(self.searchers, int):
            raise InvalidParameterError(
                f"searchers: {who} has {self.searchers!r}; give a whole number of searchers"
            )
        if self.searchers < 1:
            raise InvalidParameterError(
                f"searchers: {who} has {self.searchers}; a team needs at least 1 searcher"
            )
        if not (math.isfinite(self.hours) and self.hours >= 0):
            raise InvalidParameterError(
                f"hours: {who} has {self.hours:g} h; give the hours available this period (>= 0)"
            )
        _check_positive("sweep_width_m", self.sweep_width_m, who, "give the sweep width in m (> 0)")
        _check_positive("speed_kmh", self.speed_kmh, who, "give the searching speed in km/h (> 0)")
        _check_positive(
            "travel_speed_kmh", self.travel_speed_kmh, who, "give the travel speed in km/h (> 0)"
        )
        if self.position_xy is not None:
            _check_xy("position_xy", self.position_xy, who)

    @property
    def sweep_rate_m2_per_h(self) -> float:
        """Area swept per hour of searching: searchers × sweep width × speed (m²/h)."""
        return self.searchers * self.sweep_width_m * self.speed_kmh * 1000.0


@dataclass(frozen=True, slots=True)
class SegmentTarget:
    """A segment as the allocator sees it: its POA, area, centroid and hazard flag.

    Parameters
    ----------
    id : str
        Segment name.
    poa : float
        Probability the subject is in the segment now (0..1).
    area_m2 : float
        Searchable area (m², > 0).
    centroid_xy : tuple of float
        Where teams travel to, in metres in the projected CRS of the teams' positions.
    hazard : bool
        The segment holds a hazard (cliff, water, ...): protected teams are not sent.
    """

    id: str
    poa: float
    area_m2: float
    centroid_xy: tuple[float, float]
    hazard: bool = False

    def __post_init__(self) -> None:
        if not self.id:
            raise InvalidParameterError("id: a segment needs a non-empty id")
        who = f"segment {self.id!r}"
        if not (math.isfinite(self.poa) and 0.0 <= self.poa <= 1.0):
            raise InvalidParameterError(f"poa: {who} has {self.poa!r}; give a probability in 0..1")
        _check_positive("area_m2", self.area_m2, who, "give the searchable area in m² (> 0)")
        _check_xy("centroid_xy", self.centroid_xy, who)


@dataclass(frozen=True, slots=True)
class Assignment:
    """One team sent to one segment for the period.

    ``expected_pod`` is the segment's POD from every team sent there;
    ``expected_pos`` is this team's share of the segment's POS, in proportion to its
    effort, so the shares add up to :attr:`AssignmentPlan.pos`.
    """

    team: str
    segment: str
    travel_h: float
    search_h: float
    effort_m2: float
    expected_pod: float
    expected_pos: float

    def __post_init__(self) -> None:
        for name in ("travel_h", "search_h", "effort_m2", "expected_pos"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise InvalidParameterError(
                    f"{name}: assignment of {self.team!r} has {value!r}; give a value >= 0"
                )
        if not 0.0 <= self.expected_pod <= 1.0:
            raise InvalidParameterError(
                f"expected_pod: assignment of {self.team!r} has {self.expected_pod!r}; "
                "give a probability in 0..1"
            )


@dataclass(frozen=True, slots=True)
class AssignmentPlan:
    """The teams' assignments for the period and the POS they buy.

    ``optimal`` is true when the solver proved the plan optimal for the model of
    :func:`assign_teams` (see its Notes); ``notes`` explain unassigned teams and, for
    an unproven plan, how far from the optimum it can be.
    """

    assignments: tuple[Assignment, ...]
    pos: float
    solver: str
    optimal: bool
    seconds: float
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.solver not in ASSIGNMENT_SOLVERS:
            raise InvalidParameterError(
                f"solver: {self.solver!r} is not one of {', '.join(map(repr, ASSIGNMENT_SOLVERS))}"
            )
        if not (math.isfinite(self.pos) and self.pos >= 0):
            raise InvalidParameterError(f"pos: {self.pos!r}; the plan's POS must be >= 0")
        if not (math.isfinite(self.seconds) and self.seconds >= 0):
            raise InvalidParameterError(f"seconds: {self.seconds!r}; give a duration >= 0")


# --- divisible effort ----------------------------------------------------------------------


def _segment_arrays(
    poa: ArrayLike, area_m2: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    p = np.asarray(poa, dtype=np.float64)
    a = np.asarray(area_m2, dtype=np.float64)
    if p.ndim != 1:
        raise InvalidParameterError(
            f"poa: expected one value per segment (a 1-D array), got shape {p.shape}"
        )
    if a.shape != p.shape:
        raise InvalidParameterError(
            f"area_m2: shape {a.shape} does not match poa {p.shape}; give one area per segment"
        )
    bad = np.flatnonzero(~(np.isfinite(p) & (p >= 0)))
    if bad.size:
        i = int(bad[0])
        raise InvalidParameterError(f"poa: segment {i} has {float(p[i])!r}; give a POA >= 0")
    bad = np.flatnonzero(~(np.isfinite(a) & (a > 0)))
    if bad.size:
        i = int(bad[0])
        raise InvalidParameterError(
            f"area_m2: segment {i} has {float(a[i])!r} m²; every segment needs a positive area"
        )
    return p, a


def _segment_pos(
    poa: NDArray[np.float64], area: NDArray[np.float64], effort: NDArray[np.float64]
) -> NDArray[np.float64]:
    """POAᵢ · (1 − exp(−zᵢ/Aᵢ)), elementwise (broadcasts)."""
    return poa * -np.expm1(-effort / area)


def _water_fill(
    p: NDArray[np.float64], a: NDArray[np.float64], total: float
) -> NDArray[np.float64]:
    """Exact optimum: zᵢ = Aᵢ · max(0, ln(dᵢ/λ)), dᵢ = POAᵢ/Aᵢ, λ so that Σ zᵢ = total."""
    z = np.zeros_like(p)
    if total == 0:
        return z
    idx = np.flatnonzero(p > 0)
    ln_density = np.log(p[idx]) - np.log(a[idx])  # in logs: a tiny POA must not underflow
    order = np.argsort(-ln_density, kind="stable")
    idx = idx[order]
    ln_d = ln_density[order]
    area = a[idx]
    # λ if exactly the k densest segments are searched: Σ_{j≤k} A_j (ln d_j − ln λ) = total.
    ln_lam = (np.cumsum(area * ln_d) - total) / np.cumsum(area)
    # Those k are consistent while λ stays below the k-th density: a prefix of k = 1, 2, ...
    valid = np.flatnonzero(ln_lam < ln_d)
    k = int(valid[-1]) + 1 if valid.size else 1
    z[idx[:k]] = area[:k] * np.maximum(ln_d[:k] - ln_lam[k - 1], 0.0)
    return z


def _greedy_increments(
    p: NDArray[np.float64], a: NDArray[np.float64], total: float, step: float
) -> NDArray[np.float64]:
    """Textbook greedy: each increment to the segment whose POS it raises most."""
    n_full, rest = divmod(total, step)
    increments = [step] * int(n_full) + ([rest] if rest > 0 else [])
    z = [0.0] * p.size
    undetected = p.tolist()  # POAᵢ · e^(−zᵢ/Aᵢ)
    areas = a.tolist()
    keep = (-np.expm1(-step / a)).tolist()  # share of the undetected POA one step finds
    heap = [(-undetected[i] * keep[i], i) for i in range(p.size) if undetected[i] > 0]
    heapq.heapify(heap)
    for delta in increments:
        if not heap:
            break
        i = heap[0][1]
        z[i] += delta
        undetected[i] *= math.exp(-delta / areas[i])
        heapq.heapreplace(heap, (-undetected[i] * keep[i], i))
    return np.asarray(z, dtype=np.float64)


def allocate_effort(
    poa: ArrayLike, area_m2: ArrayLike, total_effort_m2: float, *, step_m2: float | None = None
) -> NDArray[np.float64]:
    """Split a divisible search effort over segments to maximise the period's POS.

    Maximises ``Σ POAᵢ · (1 − exp(−zᵢ/Aᵢ))`` subject to ``Σ zᵢ = Z``, ``zᵢ >= 0``, where
    ``zᵢ`` is the area swept in segment ``i`` (searchers × sweep width × distance).

    Parameters
    ----------
    poa : array_like
        POA of each segment (>= 0; need not sum to 1, the rest of the world is left out).
    area_m2 : array_like
        Area of each segment (m², > 0).
    total_effort_m2 : float
        Swept area available, ``Z`` (m², >= 0).
    step_m2 : float, optional
        ``None`` (default): the exact optimum in closed form (Stone's water-filling:
        sort by density ``dᵢ = POAᵢ/Aᵢ``; ``zᵢ = Aᵢ · max(0, ln(dᵢ/λ))`` with ``λ`` the
        common posterior density that spends ``Z``). A step: the textbook greedy, which
        gives each increment of ``step_m2`` to the segment it raises most; it agrees
        with the exact optimum to within one step per segment.

    Returns
    -------
    numpy.ndarray
        Swept area per segment (m²), summing to ``total_effort_m2``.

    Raises
    ------
    InvalidParameterError
        Shapes differ, a POA is negative, an area is not positive, the effort is
        negative, or every POA is 0 while there is effort to spend.

    Examples
    --------
    >>> z = allocate_effort([0.5, 0.3, 0.2], [1e6, 1e6, 2e6], 1e6)
    >>> [round(v) for v in z], round(float(z.sum()))
    ([755413, 244587, 0], 1000000)
    >>> round(pos_of_effort([0.5, 0.3, 0.2], [1e6, 1e6, 2e6], z), 4)
    0.3302
    """
    p, a = _segment_arrays(poa, area_m2)
    if not (math.isfinite(total_effort_m2) and total_effort_m2 >= 0):
        raise InvalidParameterError(
            f"total_effort_m2: {total_effort_m2!r}; give the swept area available in m² (>= 0)"
        )
    if total_effort_m2 > 0 and not np.any(p > 0):
        raise InvalidParameterError(
            "poa: every segment has POA 0, so no allocation gains anything; "
            "give the current POA of the segments"
        )
    if step_m2 is None:
        return _water_fill(p, a, float(total_effort_m2))
    if not (math.isfinite(step_m2) and step_m2 > 0):
        raise InvalidParameterError(f"step_m2: {step_m2!r}; give an increment in m² (> 0)")
    n_steps = math.ceil(total_effort_m2 / step_m2)
    if n_steps > _MAX_INCREMENTS:
        raise InvalidParameterError(
            f"step_m2: {step_m2:g} m² would take {n_steps:,} increments (limit "
            f"{_MAX_INCREMENTS:,}); give a step >= {total_effort_m2 / _MAX_INCREMENTS:g} m² "
            "or step_m2=None for the exact optimum"
        )
    return _greedy_increments(p, a, float(total_effort_m2), float(step_m2))


def allocate_effort_greedy(
    poa: ArrayLike, area_m2: ArrayLike, total_effort_m2: float, *, step_m2: float | None = None
) -> NDArray[np.float64]:
    """Greedy allocation in small increments (the textbook method), for comparison.

    Same problem as :func:`allocate_effort`; ``step_m2`` defaults to
    ``total_effort_m2 / 10_000``. Because the objective is concave the greedy is optimal
    for the discretised problem and uniformly optimal: stopping early gives the optimum
    for the effort spent so far.

    Examples
    --------
    >>> z = allocate_effort_greedy([0.5, 0.3, 0.2], [1e6, 1e6, 2e6], 1e6, step_m2=1e3)
    >>> [int(v) for v in z]
    [755000, 245000, 0]
    """
    step = total_effort_m2 / _DEFAULT_INCREMENTS if step_m2 is None else step_m2
    if step_m2 is None and not step > 0:  # no effort: any positive step gives zeros
        step = 1.0
    return allocate_effort(poa, area_m2, total_effort_m2, step_m2=step)


def pos_of_effort(poa: ArrayLike, area_m2: ArrayLike, effort_m2: ArrayLike) -> float:
    """POS of an allocation: ``Σ POAᵢ · (1 − exp(−zᵢ/Aᵢ))`` (exponential detection).

    Examples
    --------
    >>> round(pos_of_effort([0.6, 0.4], [1e6, 1e6], [1e6, 0.0]), 4)
    0.3793
    """
    p, a = _segment_arrays(poa, area_m2)
    z = np.asarray(effort_m2, dtype=np.float64)
    if z.shape != p.shape:
        raise InvalidParameterError(
            f"effort_m2: shape {z.shape} does not match poa {p.shape}; give one effort per segment"
        )
    if not np.all(np.isfinite(z) & (z >= 0)):
        raise InvalidParameterError("effort_m2: every swept area must be finite and >= 0")
    return float(np.sum(_segment_pos(p, a, z)))


# --- whole teams ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Problem:
    """The team × segment tables every solver works from."""

    teams: tuple[Team, ...]
    segments: tuple[SegmentTarget, ...]
    poa: NDArray[np.float64]  # (S,)
    area: NDArray[np.float64]  # (S,)
    travel_h: NDArray[np.float64]  # (T, S)
    search_h: NDArray[np.float64]  # (T, S)
    effort: NDArray[np.float64]  # (T, S) swept area if the team goes there
    allowed: NDArray[np.bool_]  # (T, S) not (protected and hazard)
    useful: NDArray[np.bool_]  # (T, S) allowed and the team would find something
    gain: NDArray[np.float64]  # (T, S) POS of the team alone in the segment


def _problem(teams: Sequence[Team], segments: Sequence[SegmentTarget]) -> _Problem:
    for kind, ids in (("teams", [t.id for t in teams]), ("segments", [s.id for s in segments])):
        seen: set[str] = set()
        for i in ids:
            if i in seen:
                raise InvalidParameterError(f"{kind}: id {i!r} appears twice; give unique ids")
            seen.add(i)
    n_t, n_s = len(teams), len(segments)
    poa = np.array([s.poa for s in segments], dtype=np.float64).reshape(n_s)
    area = np.array([s.area_m2 for s in segments], dtype=np.float64).reshape(n_s)
    hazard = np.array([s.hazard for s in segments], dtype=bool).reshape(n_s)
    cxy = np.array([s.centroid_xy for s in segments], dtype=np.float64).reshape(n_s, 2)
    pxy = np.array(
        [t.position_xy if t.position_xy is not None else (np.nan, np.nan) for t in teams],
        dtype=np.float64,
    ).reshape(n_t, 2)
    speed = np.array([t.travel_speed_kmh for t in teams], dtype=np.float64)
    distance_km = np.hypot(pxy[:, None, 0] - cxy[None, :, 0], pxy[:, None, 1] - cxy[None, :, 1])
    travel_h = np.nan_to_num(distance_km / 1000.0 / speed[:, None], nan=0.0)
    hours = np.array([t.hours for t in teams], dtype=np.float64)
    search_h = np.maximum(hours[:, None] - travel_h, 0.0)
    rate = np.array([t.sweep_rate_m2_per_h for t in teams], dtype=np.float64)
    effort = rate[:, None] * search_h
    protected = np.array([t.protected for t in teams], dtype=bool)
    allowed = ~(protected[:, None] & hazard[None, :])
    gain = np.where(allowed, _segment_pos(poa, area, effort), 0.0)
    return _Problem(
        tuple(teams), tuple(segments), poa, area, travel_h, search_h, effort, allowed,
        allowed & (gain > 0), gain,
    )  # fmt: skip


_Choice = list[tuple[int, int]]  # (team index, segment index) pairs


def _solve_greedy(pr: _Problem, per_segment: int) -> _Choice:
    """Repeatedly send the free team whose move raises POS most to a segment with room."""
    n_t, n_s = pr.effort.shape
    if n_t == 0 or n_s == 0:
        return []
    marginal = np.where(pr.useful, pr.gain, -np.inf)
    effort_in = np.zeros(n_s)
    count = np.zeros(n_s, dtype=np.int64)
    free = np.ones(n_t, dtype=bool)
    chosen: _Choice = []
    for _ in range(n_t):
        t, s = divmod(int(np.argmax(marginal)), n_s)
        if not marginal[t, s] > 0:
            break
        chosen.append((t, s))
        free[t] = False
        marginal[t, :] = -np.inf
        effort_in[s] += pr.effort[t, s]
        count[s] += 1
        if count[s] >= per_segment:
            marginal[:, s] = -np.inf
            continue
        undetected = pr.poa[s] * math.exp(-effort_in[s] / pr.area[s])
        col = undetected * -np.expm1(-pr.effort[:, s] / pr.area[s])
        marginal[:, s] = np.where(pr.useful[:, s] & free, col, -np.inf)
    return chosen


def _every_assignment(
    pr: _Problem, teams: range, per_segment: int
) -> tuple[NDArray[np.int64], NDArray[np.float64], list[NDArray[np.int64]]]:
    """Every assignment of ``teams`` (each to a useful segment or none) within capacity.

    Returns the picks (segment per team, ``n_segments`` for none), ``exp(−swept/A)`` per
    segment, and per ``j = 1..K`` the bitmask of segments holding at least ``j`` teams.
    """
    n_s = pr.poa.size
    picks = np.zeros((1, 0), dtype=np.int64)
    swept = np.zeros((1, n_s))
    count = np.zeros((1, n_s), dtype=np.int64)
    for t in teams:
        options = np.append(np.flatnonzero(pr.useful[t]), n_s)
        add = np.zeros((options.size, n_s + 1))
        add[np.arange(options.size), options] = np.append(pr.effort[t], 0.0)[options]
        one = np.zeros((options.size, n_s + 1), dtype=np.int64)
        one[np.arange(options.size), options] = 1
        m = picks.shape[0]
        picks = np.concatenate(
            (np.repeat(picks, options.size, axis=0), np.tile(options, m)[:, None]), axis=1
        )
        swept = (swept[:, None, :] + add[None, :, :n_s]).reshape(-1, n_s)
        count = (count[:, None, :] + one[None, :, :n_s]).reshape(-1, n_s)
        within = (count <= per_segment).all(axis=1)
        picks, swept, count = picks[within], swept[within], count[within]
    bits = np.left_shift(1, np.arange(n_s, dtype=np.int64))
    masks = [(count >= j).astype(np.int64) @ bits for j in range(1, per_segment + 1)]
    return picks, np.exp(-swept / pr.area), masks


def _solve_brute(pr: _Problem, per_segment: int) -> _Choice:
    """Every assignment of every team to a useful segment or none; the best POS wins.

    Meet in the middle, still exhaustive: the teams are split in two halves, each half's
    assignments listed, and every pair of them (every full assignment) scored at once,
    since ``POS = Σ POAₛ − Σₛ POAₛ·e^(−aₛ/Aₛ)·e^(−bₛ/Aₛ)`` is a matrix product of the
    halves' terms; a pair exceeds capacity where a segment holds ``>= j`` teams of one
    half and ``>= K + 1 − j`` of the other.
    """
    n_t = len(pr.teams)
    k = per_segment
    picks_a, undetected_a, masks_a = _every_assignment(pr, range(n_t // 2), k)
    picks_b, undetected_b, masks_b = _every_assignment(pr, range(n_t // 2, n_t), k)
    undetected_a = undetected_a * pr.poa
    best, best_a, best_b = np.inf, 0, 0
    block = max(1, _BRUTE_CHUNK // max(len(picks_b), 1))
    for start in range(0, len(picks_a), block):
        rows = slice(start, start + block)
        left = undetected_a[rows] @ undetected_b.T  # POA left undetected, (block, |B|)
        for j in range(1, k + 1):
            clash = (masks_a[j - 1][rows, None] & masks_b[k - j][None, :]) != 0
            left[clash] = np.inf
        i, jb = np.unravel_index(int(np.argmin(left)), left.shape)
        if left[i, jb] < best:
            best, best_a, best_b = float(left[i, jb]), start + int(i), int(jb)
    chosen = np.concatenate((picks_a[best_a], picks_b[best_b]))
    return [(t, int(s)) for t, s in enumerate(chosen.tolist()) if s < pr.poa.size]


def _candidates(pr: _Problem) -> tuple[list[NDArray[np.intp]], NDArray[np.float64]]:
    """Per team, the segments worth modelling (its ``n`` best alone), and a threshold.

    ``n`` is the number of teams that can find anything. Exact: if a team sits in a
    segment outside its ``n`` best, the other teams fill at most ``n − 1`` segments, so
    one of its ``n`` best is empty, and moving there gains its POS alone there, which is
    >= its POS alone where it was >= its marginal POS where it was (a segment's POS is
    concave in effort). The threshold is that guaranteed gain elsewhere (the ``n``-th best
    POS alone; 0 for a team with fewer than ``n`` useful segments): a team whose marginal
    POS in a shared segment is not above it loses nothing by moving out.
    """
    n_useful = int(pr.useful.any(axis=1).sum())
    segments: list[NDArray[np.intp]] = []
    threshold = np.zeros(len(pr.teams))
    for t in range(len(pr.teams)):
        segs = np.flatnonzero(pr.useful[t])
        if segs.size >= n_useful > 0:
            segs = np.sort(segs[np.argpartition(-pr.gain[t, segs], n_useful - 1)[:n_useful]])
            threshold[t] = pr.gain[t, segs].min()
        segments.append(segs)
    return segments, threshold


def _solve_cpsat(
    pr: _Problem, per_segment: int, time_limit_s: float, hint: _Choice
) -> tuple[_Choice, bool, list[str]]:
    """Set packing over configurations: a team alone, or two teams, in a segment."""
    from ortools.sat.python import cp_model  # heavy import, only when CP-SAT is asked for

    model = cp_model.CpModel()
    configs: list[tuple[tuple[int, ...], int, cp_model.IntVar]] = []  # (teams, segment, var)
    by_team: dict[int, list[cp_model.IntVar]] = {}
    by_segment: dict[int, list[cp_model.IntVar]] = {}
    objective: list[cp_model.LinearExprT] = []
    teams_in: dict[int, list[int]] = {}
    for t, s in hint:
        teams_in.setdefault(s, []).append(t)
    hinted = {(tuple(sorted(ts)), s) for s, ts in teams_in.items()}  # the greedy's configurations

    def add_config(ts: tuple[int, ...], s: int, pos: float) -> None:
        var = model.new_bool_var(f"c_{'_'.join(map(str, ts))}_s{s}")
        configs.append((ts, s, var))
        for t in ts:
            by_team.setdefault(t, []).append(var)
        by_segment.setdefault(s, []).append(var)
        objective.append(round(pos * _OBJECTIVE_SCALE) * var)
        model.add_hint(var, (ts, s) in hinted)

    candidates, threshold = _candidates(pr)
    at: dict[int, list[int]] = {}
    for t, segs in enumerate(candidates):
        for s in segs.tolist():
            add_config((t,), s, float(pr.gain[t, s]))
            at.setdefault(s, []).append(t)
    if per_segment >= 2:
        for s, ts in at.items():
            for i, t in enumerate(ts):
                for u in ts[i + 1 :]:
                    both = pr.poa[s] * -math.expm1(
                        -(pr.effort[t, s] + pr.effort[u, s]) / pr.area[s]
                    )
                    # A pair where either member would do as well elsewhere is not needed.
                    if both - pr.gain[u, s] > threshold[t] and both - pr.gain[t, s] > threshold[u]:
                        add_config((t, u), s, both)
    for group in (*by_team.values(), *by_segment.values()):
        model.add_at_most_one(group)
    model.maximize(sum(objective))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    # Probing in presolve took most of the time on 40 × 500 instances and found nothing.
    solver.parameters.cp_model_probing_level = 0
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return hint, False, [
            f"cpsat: no solution within {time_limit_s:g} s ({solver.status_name(status)}); "
            "this is the greedy plan"
        ]  # fmt: skip
    chosen = [(t, s) for ts, s, var in configs if solver.boolean_value(var) for t in ts]
    if status == cp_model.OPTIMAL:
        return chosen, True, []
    bound = solver.best_objective_bound / _OBJECTIVE_SCALE
    return chosen, False, [
        f"cpsat: time limit {time_limit_s:g} s reached; the optimum POS is at most {bound:.6f}"
    ]  # fmt: skip


def _unassigned_note(pr: _Problem, t: int) -> str:
    team = pr.teams[t]
    if not pr.allowed[t].any():
        return f"team {team.id!r} unassigned: protected, and every segment has a hazard"
    if not (pr.allowed[t] & (pr.effort[t] > 0)).any():
        return (
            f"team {team.id!r} unassigned: travel at {team.travel_speed_kmh:g} km/h to every "
            f"segment it may search takes longer than its {team.hours:g} h"
        )
    if not pr.useful[t].any():
        return f"team {team.id!r} unassigned: every segment it can reach has POA 0"
    return f"team {team.id!r} unassigned: no segment with room where it adds POS"


def _swept(pr: _Problem, chosen: _Choice) -> NDArray[np.float64]:
    swept = np.zeros(pr.poa.size)
    for t, s in chosen:
        swept[s] += pr.effort[t, s]
    return swept


def _plan(
    pr: _Problem, chosen: _Choice, solver: str, optimal: bool, t0: float, notes: list[str]
) -> AssignmentPlan:
    swept = _swept(pr, chosen)
    seg_pos = _segment_pos(pr.poa, pr.area, swept)
    assignments = tuple(
        Assignment(
            team=pr.teams[t].id,
            segment=pr.segments[s].id,
            travel_h=float(pr.travel_h[t, s]),
            search_h=float(pr.search_h[t, s]),
            effort_m2=float(pr.effort[t, s]),
            expected_pod=float(-math.expm1(-swept[s] / pr.area[s])),
            expected_pos=float(seg_pos[s] * pr.effort[t, s] / swept[s]),
        )
        for t, s in sorted(chosen)
    )
    assigned = {t for t, _ in chosen}
    notes += [_unassigned_note(pr, t) for t in range(len(pr.teams)) if t not in assigned]
    return AssignmentPlan(
        assignments=assignments,
        pos=float(seg_pos.sum()),
        solver=solver,
        optimal=optimal,
        seconds=time.perf_counter() - t0,
        notes=tuple(notes),
    )


def assign_teams(
    teams: Sequence[Team],
    segments: Sequence[SegmentTarget],
    *,
    solver: str = "cpsat",
    time_limit_s: float = 5.0,
    max_teams_per_segment: int = 2,
) -> AssignmentPlan:
    """Send whole teams to segments for the next period to maximise POS.

    Parameters
    ----------
    teams : sequence of Team
        Teams available this period (unique ids).
    segments : sequence of SegmentTarget
        Segments with their current POA (unique ids).
    solver : {"cpsat", "greedy", "brute"}
        ``"cpsat"``: OR-Tools CP-SAT, exact (see Notes) for 1 or 2 teams per segment.
        ``"greedy"``: repeatedly make the single move (a free team to a segment with
        room) that raises POS most; fast, not always optimal.
        ``"brute"``: every assignment, for checking; at most 8 teams and 8 segments.
    time_limit_s : float
        CP-SAT's time limit (s); at the limit the best plan found is returned with
        ``optimal=False`` and the proven bound in ``notes``.
    max_teams_per_segment : int
        How many teams may share a segment (>= 1).

    Returns
    -------
    AssignmentPlan

    Raises
    ------
    InvalidParameterError
        An unknown solver, duplicate ids, a non-positive time limit or capacity, more than
        2 teams per segment with CP-SAT, or too large an instance for brute force.

    Notes
    -----
    The model: a team searches at most one segment; a segment takes at most
    ``max_teams_per_segment`` teams; a protected team never goes to a hazard segment.
    Team ``t`` in segment ``s`` sweeps ``Eₜₛ = searchers · W · speed · max(0, hours −
    travel)``, travel being the straight line from ``position_xy`` to the centroid at
    ``travel_speed_kmh``. Maximise ``Σₛ POAₛ · (1 − exp(−Σ_{t in s} Eₜₛ / Aₛ))``.

    CP-SAT formulation, a set packing over configurations (which is exact: the nonlinear
    objective is precomputed per configuration): a boolean per configuration "team ``t``
    alone in ``s``" (value ``POAₛ(1 − e^(−Eₜₛ/Aₛ))``) and, when ``K = 2``, "teams ``t`` and
    ``u`` together in ``s``" (value ``POAₛ(1 − e^(−(Eₜₛ+Eᵤₛ)/Aₛ))``); at most one
    configuration per team and per segment; maximise the sum of values. Configurations
    that cannot improve on an optimum are left out, with proof (``_candidates``): a team
    only considers its ``n`` best segments alone (``n`` = teams that can find anything),
    and a pair only if each member gains more there than in its ``n``-th best segment.
    Values are integers (POS × 1e9), so ``optimal=True`` means optimal for the model to
    within 1e-9 of POS per segment searched; ``"brute"`` enumerates the same model.

    Examples
    --------
    >>> teams = [Team("A", "ground", 4, 4.0, 20.0, 2.0), Team("B", "ground", 2, 4.0, 20.0, 2.0)]
    >>> segs = [SegmentTarget("S1", 0.4, 1e6, (0, 0)), SegmentTarget("S2", 0.2, 5e5, (0, 0))]
    >>> plan = assign_teams(teams, segs, solver="brute")
    >>> [(a.team, a.segment) for a in plan.assignments], round(plan.pos, 4), plan.optimal
    ([('A', 'S1'), ('B', 'S2')], 0.2836, True)
    """
    t0 = time.perf_counter()
    if solver not in ASSIGNMENT_SOLVERS:
        raise InvalidParameterError(
            f"solver: {solver!r} is not one of {', '.join(map(repr, ASSIGNMENT_SOLVERS))}"
        )
    if not (math.isfinite(time_limit_s) and time_limit_s > 0):
        raise InvalidParameterError(f"time_limit_s: {time_limit_s!r}; give seconds (> 0)")
    k = max_teams_per_segment
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise InvalidParameterError(
            f"max_teams_per_segment: {k!r}; give a whole number of teams (>= 1)"
        )
    if solver == "cpsat" and k > 2:
        raise InvalidParameterError(
            f"max_teams_per_segment: CP-SAT here is exact for 1 or 2 teams per segment, got "
            f"{k}; use 1 or 2, or solver='greedy' (or 'brute' on a small instance)"
        )
    if solver == "brute" and max(len(teams), len(segments)) > BRUTE_FORCE_MAX:
        raise InvalidParameterError(
            f"solver: 'brute' tries every assignment and is limited to {BRUTE_FORCE_MAX} "
            f"teams and {BRUTE_FORCE_MAX} segments, got {len(teams)} × {len(segments)}; "
            "use solver='cpsat'"
        )
    pr = _problem(teams, segments)
    if solver == "brute":
        return _plan(pr, _solve_brute(pr, k), solver, True, t0, [])
    greedy = _solve_greedy(pr, k)
    if solver == "greedy":
        return _plan(pr, greedy, solver, False, t0, [])
    chosen, optimal, notes = _solve_cpsat(pr, k, time_limit_s, greedy)
    if not optimal:  # an unproven plan is never worse than the greedy one
        pos = [_segment_pos(pr.poa, pr.area, _swept(pr, c)).sum() for c in (chosen, greedy)]
        if pos[1] > pos[0]:
            chosen = greedy
            notes.append("cpsat: its best plan was below the greedy one; this is the greedy plan")
    return _plan(pr, chosen, solver, optimal, t0, notes)
