"""Who stands watch when: the watch/rest rotation for the night or the next period.

The horizon (a night of 12 h, say) is cut into equal slots; in each slot exactly
``watch_size`` people are on watch. The rules, all hard:

* **pairs** stay together: both on watch or both resting, slot by slot;
* **apart**: two people who must not share a watch slot;
* **duty left**: nobody stands more hours than the fatigue carried from the day allows
  (:attr:`Person.duty_left_h`);
* **stretches**: at most ``max_consecutive_h`` on watch in a row, and after each stretch
  at least the person's ``min_rest_h`` off before the next one;
* a **protected** member (a non-searcher, a minor) stands watch only with their pair.

Among the rotations that keep every rule, the one chosen spreads the watch evenly
(fewest hours for the busiest person first, then the smallest sum of squared hours,
which with a fixed total is the smallest spread) and, where hours cannot be equal,
gives the extra hours to the most rested. It is solved with OR-Tools CP-SAT.

When no rotation exists, :class:`RotationInfeasibleError` says why in plain words:
simple counts are checked first (person-hours needed against person-hours left, pairs
held back by a tired partner, a pair larger than a watch), and when those pass but the
solver proves there is no rotation, each family of rules is relaxed in turn to name the
one that blocks it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from wayhome.errors import InvalidParameterError, UsageError

__all__ = ["Person", "Rotation", "RotationInfeasibleError", "RotationRules", "plan_rotation"]

_EPS = 1e-9  # slack when hours are turned into whole slots
#: Families of rules relaxed one at a time to name what blocks an infeasible rotation.
_FAMILIES = ("pairs", "apart", "max_consecutive", "min_rest", "duty")


class RotationInfeasibleError(UsageError):
    """No rotation keeps every rule; the message names the rule that blocks it and the fix."""


def _check_hours(name: str, value: float, who: str, fix: str, *, positive: bool) -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (positive and value == 0):
        raise InvalidParameterError(f"{name}: {who} has {value!r}; {fix}")


@dataclass(frozen=True, slots=True)
class Person:
    """A member who may stand watch.

    Parameters
    ----------
    id : str
        Roster id, used in :class:`RotationRules` pairs and in the result.
    name : str
        Name for messages ("Jo Keane").
    duty_left_h : float
        Hours they may still work in the horizon: the fatigue carried from the day
        (>= 0; less than one slot means they stand no watch).
    min_rest_h : float
        Hours off after a stretch on watch before the next one (>= 0).
    protected : bool
        Needs protection (a non-searcher, a minor, an injured person): stands watch only
        with their pair, which must include someone not protected.
    """

    id: str
    name: str
    duty_left_h: float
    min_rest_h: float = 4.0
    protected: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id.strip():
            raise InvalidParameterError(
                f"id: a person needs a non-empty roster id, got {self.id!r}"
            )
        if not isinstance(self.name, str) or not self.name.strip():
            raise InvalidParameterError(
                f"name: person {self.id!r} has {self.name!r}; give the name used on the radio"
            )
        who = f"{self.name} ({self.id})"
        _check_hours(
            "duty_left_h", self.duty_left_h, who, "give the hours they may still work (>= 0)",
            positive=False,
        )  # fmt: skip
        _check_hours(
            "min_rest_h", self.min_rest_h, who, "give the hours off between watches (>= 0)",
            positive=False,
        )  # fmt: skip


def _id_pairs(name: str, value: object) -> tuple[tuple[str, str], ...]:
    """``value`` as a tuple of (id, id) with two different non-empty ids."""
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise InvalidParameterError(
            f"{name}: got {value!r}; give a sequence of (id, id) pairs of person ids"
        )
    out: list[tuple[str, str]] = []
    for item in value:
        ok = not isinstance(item, str) and isinstance(item, Sequence) and len(item) == 2
        if not ok or not all(isinstance(i, str) and i for i in item):
            raise InvalidParameterError(f"{name}: {item!r} is not a pair of two person ids")
        a, b = item
        if a == b:
            raise InvalidParameterError(f"{name}: ({a!r}, {b!r}) names the same person twice")
        out.append((a, b))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class RotationRules:
    """The shape of the rotation and the rules every schedule must keep.

    Parameters
    ----------
    slot_h : float
        Length of one watch slot in hours (> 0), e.g. 1.0.
    horizon_h : float
        Hours to plan (> 0, a whole number of slots), e.g. 12 for the night.
    watch_size : int
        People on watch in every slot (>= 1), e.g. 4 for two pairs.
    pairs : tuple of (str, str)
        Person ids who must be on watch together (both or neither, in every slot).
    apart : tuple of (str, str)
        Person ids who must never share a watch slot.
    max_consecutive_h : float
        Longest stretch on watch in a row (>= ``slot_h``; ``math.inf`` for no limit).
        Rest after a stretch is each person's own :attr:`Person.min_rest_h`.
    """

    slot_h: float
    horizon_h: float
    watch_size: int
    pairs: tuple[tuple[str, str], ...] = ()
    apart: tuple[tuple[str, str], ...] = ()
    max_consecutive_h: float = math.inf

    def __post_init__(self) -> None:
        _check_hours(
            "slot_h", self.slot_h, "the rotation", "give the slot length in hours (> 0)",
            positive=True,
        )  # fmt: skip
        _check_hours(
            "horizon_h", self.horizon_h, "the rotation", "give the hours to plan (> 0)",
            positive=True,
        )  # fmt: skip
        slots = round(self.horizon_h / self.slot_h)
        if slots < 1 or abs(slots * self.slot_h - self.horizon_h) > _EPS * self.horizon_h:
            raise InvalidParameterError(
                f"horizon_h: {self.horizon_h:g} h is not a whole number of {self.slot_h:g} h "
                "slots; make horizon_h a multiple of slot_h"
            )
        size = self.watch_size
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise InvalidParameterError(
                f"watch_size: got {size!r}; give the whole number of people on watch (>= 1)"
            )
        longest = self.max_consecutive_h
        if (
            isinstance(longest, bool)
            or not isinstance(longest, int | float)
            or math.isnan(longest)
            or longest < self.slot_h - _EPS
        ):
            raise InvalidParameterError(
                f"max_consecutive_h: got {longest!r}; give at least one slot "
                f"({self.slot_h:g} h), or math.inf for no limit"
            )
        object.__setattr__(self, "pairs", _id_pairs("pairs", self.pairs))
        object.__setattr__(self, "apart", _id_pairs("apart", self.apart))

    @property
    def n_slots(self) -> int:
        """Number of watch slots in the horizon."""
        return round(self.horizon_h / self.slot_h)


@dataclass(frozen=True, slots=True)
class Rotation:
    """A watch/rest schedule.

    Parameters
    ----------
    slots : tuple of tuple of str
        Person ids on watch in each slot, in roster order; slot ``i`` starts
        ``i * slot_h`` hours into the horizon.
    hours : dict of str to float
        Hours on watch per person id (every person, 0.0 for those who rest all night).
    optimal : bool
        The solver proved no rotation spreads the watch better; ``False`` when the time
        limit stopped it first (the rotation still keeps every rule).
    objective : float
        The solver's objective (lower is better): busiest person's slots, then the sum
        of squared slots per person, then slots given to the less rested.
    """

    slots: tuple[tuple[str, ...], ...]
    hours: dict[str, float]
    optimal: bool
    objective: float

    def __post_init__(self) -> None:
        unknown = sorted({i for slot in self.slots for i in slot} - set(self.hours))
        if unknown:
            raise InvalidParameterError(
                f"hours: {unknown} are on watch but have no hours; give hours for every person"
            )


@dataclass(frozen=True, slots=True)
class _Problem:
    """The rules in whole slots and person indices."""

    people: tuple[Person, ...]
    rules: RotationRules
    cap: tuple[int, ...]  # slots of duty left, at most the horizon
    rest: tuple[int, ...]  # slots off after a stretch
    stretch: int  # longest stretch in slots (>= n_slots: no limit)
    pairs: tuple[tuple[int, int], ...]
    apart: tuple[tuple[int, int], ...]
    group: tuple[int, ...]  # people linked by pairs share a group number

    @property
    def n_slots(self) -> int:
        return self.rules.n_slots


def _problem(people: Sequence[Person], rules: RotationRules) -> _Problem:
    roster = tuple(people)
    index: dict[str, int] = {}
    for i, p in enumerate(roster):
        if not isinstance(p, Person):
            raise InvalidParameterError(f"people: item {i} is {p!r}; give Person values")
        if p.id in index:
            raise InvalidParameterError(f"people: id {p.id!r} appears twice; ids must be unique")
        index[p.id] = i

    def indices(name: str, pairs: tuple[tuple[str, str], ...]) -> tuple[tuple[int, int], ...]:
        for pair in pairs:
            for pid in pair:
                if pid not in index:
                    raise InvalidParameterError(
                        f"{name}: {pair!r} names {pid!r}, who is not among the people; "
                        "use Person.id values"
                    )
        return tuple((index[a], index[b]) for a, b in pairs)

    pairs, apart = indices("pairs", rules.pairs), indices("apart", rules.apart)
    parent = list(range(len(roster)))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for a, b in pairs:
        parent[root(a)] = root(b)
    group = tuple(root(i) for i in range(len(roster)))
    for a, b in apart:
        if group[a] == group[b]:
            raise InvalidParameterError(
                f"apart: {roster[a].name} and {roster[b].name} must stay together (pairs) but "
                "must not share a watch (apart), so neither could ever stand watch; drop one "
                "of the two rules"
            )
    for i, p in enumerate(roster):
        mates = [q for j, q in enumerate(roster) if j != i and group[j] == group[i]]
        if p.protected and not any(not q.protected for q in mates):
            raise InvalidParameterError(
                f"pairs: {p.name} ({p.id}) is protected and stands watch only with a "
                f"protector; add a pair (protector id, {p.id!r}) to the rules' pairs"
            )
    n_slots, slot = rules.n_slots, rules.slot_h
    longest = rules.max_consecutive_h
    stretch = n_slots if math.isinf(longest) else min(n_slots, math.floor(longest / slot + _EPS))
    return _Problem(
        people=roster,
        rules=rules,
        cap=tuple(min(n_slots, math.floor(p.duty_left_h / slot + _EPS)) for p in roster),
        rest=tuple(math.ceil(p.min_rest_h / slot - _EPS) for p in roster),
        stretch=stretch,
        pairs=pairs,
        apart=apart,
        group=group,
    )


def _h(slots: float, pb: _Problem) -> str:
    return f"{slots * pb.rules.slot_h:g}"


def _pattern_cap(pb: _Problem, rest: int) -> int:
    """Most slots anyone can stand with the stretch limit and ``rest`` slots off after each."""
    n, k = pb.n_slots, pb.stretch
    if k >= n:
        return n
    period = k + max(rest, 1)  # a stretch limit forces at least one slot off between stretches
    return (n // period) * k + min(n % period, k)


def _check_counts(pb: _Problem) -> None:
    """Necessary conditions that explain the common infeasible cases in plain words."""
    people, rules = pb.people, pb.rules
    members: dict[int, list[int]] = {}
    for i, g in enumerate(pb.group):
        members.setdefault(g, []).append(i)
    reasons: list[str] = []
    usable = [0] * len(people)
    for idx in members.values():
        names = ", ".join(people[i].name for i in idx)
        if len(idx) > rules.watch_size:
            reasons.append(
                f"({names}) must stay together but a watch holds only {rules.watch_size}, "
                "so none of them can stand watch"
            )
            continue
        pattern = _pattern_cap(pb, max(pb.rest[i] for i in idx))
        for i in idx:
            usable[i] = min([pattern, *(pb.cap[j] for j in idx)])
        if pattern < min(pb.cap[i] for i in idx):
            rest_h = max(people[i].min_rest_h for i in idx)
            reasons.append(
                f"with at most {_h(pb.stretch, pb)} h at a stretch and {rest_h:g} h of rest after "
                f"each, ({names}) can stand at most {_h(pattern, pb)} h of the "
                f"{rules.horizon_h:g} h"
            )
    for a, b in pb.pairs:
        if pb.cap[a] != pb.cap[b] and len(members[pb.group[a]]) <= rules.watch_size:
            tired, other = (a, b) if pb.cap[a] < pb.cap[b] else (b, a)
            reasons.append(
                f"pair ({people[a].name}, {people[b].name}) must stay together, but "
                f"{people[tired].name} has {people[tired].duty_left_h:g} h of duty left "
                f"({people[other].name} has {people[other].duty_left_h:g} h)"
            )
    need, have = pb.n_slots * rules.watch_size, sum(usable)
    if have < need:
        why = "; ".join(reasons)
        raise RotationInfeasibleError(
            f"the {rules.horizon_h:g} h rotation needs {_h(need, pb)} person-hours on watch "
            f"({pb.n_slots} slots × {rules.watch_size} on watch × {rules.slot_h:g} h), but only "
            f"{_h(have, pb)} are left" + (f": {why}" if why else "")
            + "; add rested people, lower watch_size or shorten the horizon"
        )  # fmt: skip


_Schedule = list[list[bool]]


def _solve(
    pb: _Problem, *, drop: str | None, optimise: bool, time_limit_s: float
) -> tuple[_Schedule | None, bool, float]:
    """(on[person][slot] or None, proven optimal or infeasible, objective) from CP-SAT.

    ``drop`` names a family of rules left out (to find what blocks an infeasible
    rotation); ``optimise=False`` only looks for any rotation.
    """
    from ortools.sat.python import cp_model  # heavy import, only when a rotation is asked for

    model = cp_model.CpModel()
    n, n_slots, size = len(pb.people), pb.n_slots, pb.rules.watch_size
    x = [[model.new_bool_var(f"x{p}_{s}") for s in range(n_slots)] for p in range(n)]
    for s in range(n_slots):
        model.add(sum(x[p][s] for p in range(n)) == size)
    if drop != "pairs":
        for a, b in pb.pairs:
            for s in range(n_slots):
                model.add(x[a][s] == x[b][s])
    if drop != "apart":
        for a, b in pb.apart:
            for s in range(n_slots):
                model.add_bool_or([~x[a][s], ~x[b][s]])
    if drop != "duty":
        for p in range(n):
            model.add(sum(x[p]) <= pb.cap[p])
    if drop != "max_consecutive" and pb.stretch < n_slots:
        k = pb.stretch  # every window of k + 1 slots has a slot off
        for p in range(n):
            for s in range(n_slots - k):
                model.add(sum(x[p][s : s + k + 1]) <= k)
    if drop != "min_rest":
        for p in range(n):  # a stretch that ends at s (on at s, off at s + 1) rests to s + rest
            for s in range(n_slots - 2):
                for t in range(s + 2, min(s + pb.rest[p] + 1, n_slots)):
                    model.add_bool_or([~x[p][s], x[p][s + 1], ~x[p][t]])
    if optimise:
        loads = [model.new_int_var(0, n_slots, f"load{p}") for p in range(n)]
        squares = [model.new_int_var(0, n_slots * n_slots, f"sq{p}") for p in range(n)]
        for p in range(n):
            model.add(loads[p] == sum(x[p]))
            model.add_multiplication_equality(squares[p], [loads[p], loads[p]])
        busiest = model.new_int_var(0, n_slots, "busiest")
        model.add_max_equality(busiest, loads)
        # Lexicographic by weights: busiest person, then spread, then hours to the tired.
        tiredness = [max(pb.cap) - c for c in pb.cap]
        w_spread = n_slots * size * max(tiredness) + 1
        w_busiest = (n * n_slots * n_slots + 1) * w_spread
        model.minimize(
            w_busiest * busiest
            + w_spread * sum(squares)
            + sum(w * load for w, load in zip(tiredness, loads, strict=True) if w)
        )
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, status == cp_model.INFEASIBLE, 0.0
    on = [[solver.boolean_value(v) for v in row] for row in x]
    return on, status == cp_model.OPTIMAL, solver.objective_value if optimise else 0.0


def _blame(pb: _Problem, family: str) -> str:
    """Plain words for a family of rules that, dropped alone, lets a rotation exist."""
    people = pb.people

    def listed(pairs: tuple[tuple[int, int], ...]) -> str:
        return ", ".join(f"({people[a].name}, {people[b].name})" for a, b in pairs)

    rests = sorted({p.min_rest_h for p in people})
    texts: dict[str, Callable[[], str]] = {
        "pairs": lambda: (
            f"the pairs that must stay together, {listed(pb.pairs)}, cannot fill watches of "
            f"{pb.rules.watch_size}; re-pair people, change watch_size or add people"
        ),
        "apart": lambda: (
            f"the people who must not share a watch, {listed(pb.apart)}, block it; "
            "drop one of those rules or add people"
        ),
        "max_consecutive": lambda: (
            f"the limit of {_h(pb.stretch, pb)} h at a stretch (max_consecutive_h) blocks it; "
            "raise max_consecutive_h or add people"
        ),
        "min_rest": lambda: (
            f"the minimum rest of {'/'.join(f'{r:g}' for r in rests)} h between watches "
            "(min_rest_h) blocks it; shorten min_rest_h or add people"
        ),
        "duty": lambda: (
            "the duty hours left (duty_left_h) block it: someone would have to work past "
            "their hours; add rested people or lower watch_size"
        ),
    }
    return texts[family]()


def _applies(pb: _Problem, family: str) -> bool:
    return {
        "pairs": bool(pb.pairs),
        "apart": bool(pb.apart),
        "max_consecutive": pb.stretch < pb.n_slots,
        "min_rest": any(r > 1 for r in pb.rest),
        "duty": any(c < pb.n_slots for c in pb.cap),
    }[family]


def _explain(pb: _Problem, *, proven: bool, time_limit_s: float) -> RotationInfeasibleError:
    """The error for a rotation the solver did not find, naming the blocking rule."""
    if not proven:
        return RotationInfeasibleError(
            f"time_limit_s: no rotation found within {time_limit_s:g} s, and the solver could "
            "not prove that none exists; give a larger time_limit_s or a shorter horizon"
        )
    culprits = [
        _blame(pb, family)
        for family in _FAMILIES
        if _applies(pb, family)
        and _solve(pb, drop=family, optimise=False, time_limit_s=time_limit_s)[0] is not None
    ]
    if len(culprits) == 1:
        return RotationInfeasibleError(
            f"no rotation keeps every rule: {culprits[0]} (without that rule one exists)"
        )
    if culprits:
        return RotationInfeasibleError(
            "no rotation keeps every rule, but dropping any one of these would allow one: "
            + "; or ".join(culprits)
        )
    return RotationInfeasibleError(
        "no rotation keeps every rule, and dropping any single rule (pairs, apart, "
        "max_consecutive_h, min_rest_h, duty_left_h) is not enough; add people, lower "
        "watch_size or shorten the horizon"
    )


def plan_rotation(
    people: Sequence[Person], rules: RotationRules, *, time_limit_s: float = 5.0
) -> Rotation:
    """Plan who is on watch in each slot so that every rule holds and the watch is shared.

    Parameters
    ----------
    people : sequence of Person
        Everyone who may stand watch, with the duty hours they have left.
    rules : RotationRules
        Slots, horizon, watch size, pairs, apart and the longest stretch.
    time_limit_s : float
        Wall-clock limit for the solver (> 0). If it stops before proving the best
        spread, the rotation returned keeps every rule and has ``optimal=False``.

    Returns
    -------
    Rotation
        Who is on watch in each slot and hours per person.

    Raises
    ------
    RotationInfeasibleError
        No rotation keeps every rule (or none was found in time); the message names the
        rule that blocks it and how to fix it.
    InvalidParameterError
        Unknown or duplicate ids, a protected person without a pair, two people both
        paired and kept apart, a bad time limit.

    Examples
    --------
    Two pairs share a 4 h night, two on watch at a time, at most 2 h in a row:

    >>> people = [Person(i, n, duty_left_h=4.0, min_rest_h=2.0) for i, n in
    ...           [("a", "Ada"), ("b", "Ben"), ("c", "Cora"), ("d", "Dev")]]
    >>> rules = RotationRules(slot_h=1.0, horizon_h=4.0, watch_size=2,
    ...                       pairs=(("a", "b"), ("c", "d")), max_consecutive_h=2.0)
    >>> rotation = plan_rotation(people, rules)
    >>> rotation.hours
    {'a': 2.0, 'b': 2.0, 'c': 2.0, 'd': 2.0}
    >>> all(len(slot) == 2 for slot in rotation.slots), rotation.optimal
    (True, True)
    """
    _check_hours(
        "time_limit_s", time_limit_s, "plan_rotation", "give the solver's limit in seconds (> 0)",
        positive=True,
    )  # fmt: skip
    # Rules in whole slots and indices; unknown ids and unprotected protected members refused.
    pb = _problem(people, rules)
    # Cheap counts first: they explain most impossible nights better than a solver can.
    _check_counts(pb)
    # The schedule itself: every rule hard, the watch spread evenly.
    on, proven, objective = _solve(pb, drop=None, optimise=True, time_limit_s=time_limit_s)
    if on is None:
        raise _explain(pb, proven=proven, time_limit_s=time_limit_s)
    ids = [p.id for p in pb.people]
    return Rotation(
        slots=tuple(
            tuple(pid for pid, row in zip(ids, on, strict=True) if row[s])
            for s in range(pb.n_slots)
        ),
        hours={pid: sum(row) * rules.slot_h for pid, row in zip(ids, on, strict=True)},
        optimal=proven,
        objective=objective,
    )
