"""Allocation of search effort: water-filling, greedy, CP-SAT and brute force agree.

Divisible effort is checked against Stone's optimality conditions (equal posterior
density among searched segments, none unsearched above it) and uniform optimality;
whole-team assignment is checked against exhaustive enumeration on small instances.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from wayhome.errors import InvalidParameterError
from wayhome.search.allocation import (
    BRUTE_FORCE_MAX,
    AssignmentPlan,
    SegmentTarget,
    Team,
    allocate_effort,
    allocate_effort_greedy,
    assign_teams,
    pos_of_effort,
)


def random_segments(
    rng: np.random.Generator, n: int, *, box_m: float = 8000.0, hazard_share: float = 0.3
) -> list[SegmentTarget]:
    poa = rng.lognormal(0.0, 1.5, n)
    poa /= poa.sum()
    return [
        SegmentTarget(
            f"S{i}",
            float(poa[i]),
            float(rng.uniform(0.2e6, 1.5e6)),
            (float(rng.uniform(0, box_m)), float(rng.uniform(0, box_m))),
            hazard=bool(rng.random() < hazard_share),
        )
        for i in range(n)
    ]


def random_teams(rng: np.random.Generator, n: int, *, box_m: float = 8000.0) -> list[Team]:
    return [
        Team(
            f"T{i}",
            "ground",
            searchers=int(rng.integers(1, 7)),
            hours=float(rng.uniform(0.0, 6.0)),
            sweep_width_m=float(rng.uniform(10.0, 60.0)),
            speed_kmh=float(rng.uniform(1.0, 3.0)),
            position_xy=(
                (float(rng.uniform(0, box_m)), float(rng.uniform(0, box_m)))
                if rng.random() < 0.8
                else None
            ),
            protected=bool(rng.random() < 0.3),
        )
        for i in range(n)
    ]


def segment_pos(plan: AssignmentPlan, segments: list[SegmentTarget]) -> float:
    """The plan's POS recomputed from its assignments, independently of the solver."""
    by_id = {s.id: s for s in segments}
    swept: dict[str, float] = {}
    for a in plan.assignments:
        swept[a.segment] = swept.get(a.segment, 0.0) + a.effort_m2
    return sum(by_id[s].poa * (1 - math.exp(-z / by_id[s].area_m2)) for s, z in swept.items())


# --- whole teams ---------------------------------------------------------------------------


@pytest.mark.parametrize("per_segment", [1, 2])
def test_cpsat_equals_brute_force_on_small_instances(per_segment: int) -> None:
    rng = np.random.default_rng(20240 + per_segment)
    shared = 0
    for _ in range(60):
        segments = random_segments(rng, int(rng.integers(1, 7)))
        teams = random_teams(rng, int(rng.integers(1, 7)))
        brute = assign_teams(teams, segments, solver="brute", max_teams_per_segment=per_segment)
        cpsat = assign_teams(teams, segments, solver="cpsat", max_teams_per_segment=per_segment)
        greedy = assign_teams(teams, segments, solver="greedy", max_teams_per_segment=per_segment)
        assert cpsat.optimal and brute.optimal
        assert cpsat.pos == pytest.approx(brute.pos, abs=1e-8)
        assert greedy.pos <= cpsat.pos + 1e-8
        for plan in (brute, cpsat, greedy):
            assert plan.pos == pytest.approx(segment_pos(plan, segments), abs=1e-12)
            assert sum(a.expected_pos for a in plan.assignments) == pytest.approx(plan.pos)
            used = [a.segment for a in plan.assignments]
            assert max((used.count(s) for s in used), default=0) <= per_segment
            assert len({a.team for a in plan.assignments}) == len(plan.assignments)
        used = [a.segment for a in brute.assignments]
        shared += len(used) != len(set(used))
    if per_segment == 2:
        assert shared > 0  # the instances do exercise shared segments


def test_brute_force_at_its_limit_agrees_with_cpsat() -> None:
    rng = np.random.default_rng(88)
    teams = random_teams(rng, BRUTE_FORCE_MAX, box_m=3000.0)
    segments = random_segments(rng, BRUTE_FORCE_MAX, box_m=3000.0)
    brute = assign_teams(teams, segments, solver="brute")
    cpsat = assign_teams(teams, segments, solver="cpsat")
    assert cpsat.optimal
    assert cpsat.pos == pytest.approx(brute.pos, abs=1e-8)


def test_cpsat_beats_greedy_where_greedy_is_myopic() -> None:
    # Greedy sends the big team to the best segment first; the optimum swaps them.
    teams = [
        Team("big", "ground", 6, 4.0, 30.0, 2.0),
        Team("small", "ground", 1, 4.0, 30.0, 2.0),
    ]
    segments = [
        SegmentTarget("A", 0.40, 0.05e6, (0, 0)),  # small: the small team nearly clears it
        SegmentTarget("B", 0.38, 2.0e6, (0, 0)),
    ]
    greedy = assign_teams(teams, segments, solver="greedy", max_teams_per_segment=1)
    cpsat = assign_teams(teams, segments, solver="cpsat", max_teams_per_segment=1)
    brute = assign_teams(teams, segments, solver="brute", max_teams_per_segment=1)
    assert cpsat.pos == pytest.approx(brute.pos)
    assert greedy.pos < cpsat.pos - 0.01
    assert {(a.team, a.segment) for a in cpsat.assignments} == {("big", "B"), ("small", "A")}


def test_protected_teams_never_get_hazard_segments() -> None:
    rng = np.random.default_rng(7)
    teams = random_teams(rng, 12, box_m=3000.0)
    segments = random_segments(rng, 40, box_m=3000.0, hazard_share=0.6)
    hazard = {s.id for s in segments if s.hazard}
    protected = {t.id for t in teams if t.protected}
    assert protected and hazard
    for solver in ("greedy", "cpsat"):
        plan = assign_teams(teams, segments, solver=solver)
        assert all(not (a.team in protected and a.segment in hazard) for a in plan.assignments)


def test_a_protected_team_with_only_hazards_stays_home() -> None:
    team = Team("kid-pair", "ground", 1, 4.0, 20.0, 2.0, protected=True)
    plan = assign_teams([team], [SegmentTarget("cliff", 0.9, 1e6, (0, 0), hazard=True)])
    assert plan.assignments == ()
    assert plan.pos == 0.0
    assert any("protected" in n for n in plan.notes)


def test_travel_longer_than_hours_gets_no_effort() -> None:
    far = Team("far", "ground", 4, 2.0, 20.0, 2.0, position_xy=(0.0, 0.0), travel_speed_kmh=3.0)
    near = Team("near", "ground", 4, 2.0, 20.0, 2.0, position_xy=(9000.0, 0.0))
    segments = [SegmentTarget("S", 0.5, 1e6, (10_000.0, 0.0))]  # 10 km away: 3.3 h on foot
    for solver in ("brute", "greedy", "cpsat"):
        plan = assign_teams([far, near], segments, solver=solver)
        assert [a.team for a in plan.assignments] == ["near"]
        assert any("'far' unassigned" in n and "longer than its 2 h" in n for n in plan.notes)
        a = plan.assignments[0]
        assert a.travel_h == pytest.approx(1.0 / 3.0)
        assert a.search_h == pytest.approx(2.0 - 1.0 / 3.0)
        assert a.effort_m2 == pytest.approx(4 * 20.0 * 2000.0 * a.search_h)


def test_travel_time_shortens_the_search() -> None:
    team = Team("A", "dog", 1, 3.0, 100.0, 2.0, position_xy=(0.0, 0.0), travel_speed_kmh=4.0)
    plan = assign_teams([team], [SegmentTarget("S", 0.5, 2e6, (3000.0, 4000.0))])
    (a,) = plan.assignments
    assert a.travel_h == pytest.approx(5.0 / 4.0)
    assert a.effort_m2 == pytest.approx(100.0 * 2000.0 * 1.75)
    assert a.expected_pod == pytest.approx(1 - math.exp(-a.effort_m2 / 2e6))
    assert plan.pos == pytest.approx(0.5 * a.expected_pod)


def test_forty_teams_five_hundred_segments_cpsat_is_optimal() -> None:
    rng = np.random.default_rng(3)
    teams = random_teams(rng, 40, box_m=20_000.0)
    segments = random_segments(rng, 500, box_m=20_000.0, hazard_share=0.2)
    greedy = assign_teams(teams, segments, solver="greedy")
    cpsat = assign_teams(teams, segments, solver="cpsat", time_limit_s=20.0)
    assert cpsat.optimal
    assert greedy.pos <= cpsat.pos + 1e-8
    assert cpsat.pos == pytest.approx(segment_pos(cpsat, segments))


def test_cpsat_out_of_time_is_flagged_and_never_below_greedy() -> None:
    rng = np.random.default_rng(4)
    teams = random_teams(rng, 40, box_m=20_000.0)
    segments = random_segments(rng, 500, box_m=20_000.0)
    greedy = assign_teams(teams, segments, solver="greedy")
    rushed = assign_teams(teams, segments, solver="cpsat", time_limit_s=1e-4)
    assert not rushed.optimal
    assert any(n.startswith("cpsat:") for n in rushed.notes)
    assert rushed.pos >= greedy.pos


def test_empty_inputs_give_an_empty_plan() -> None:
    assert assign_teams([], []).assignments == ()
    plan = assign_teams([Team("A", "ground", 2, 4.0, 20.0, 2.0)], [], solver="greedy")
    assert plan.assignments == () and plan.pos == 0.0


# --- bad input -----------------------------------------------------------------------------


def test_negative_hours_are_refused() -> None:
    with pytest.raises(InvalidParameterError, match=r"hours: team 'T3' has -2 h; give the hours"):
        Team("T3", "ground", 4, -2.0, 20.0, 2.0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"searchers": 0}, "searchers: team 'A' has 0"),
        ({"searchers": 2.5}, "searchers: .* whole number"),
        ({"sweep_width_m": 0.0}, "sweep_width_m: team 'A'"),
        ({"speed_kmh": float("nan")}, "speed_kmh: team 'A'"),
        ({"travel_speed_kmh": -1.0}, "travel_speed_kmh: team 'A'"),
        ({"position_xy": (0.0, float("inf"))}, "position_xy: team 'A'"),
        ({"hours": float("inf")}, "hours: team 'A'"),
    ],
)
def test_bad_team_fields_are_refused(kwargs: dict[str, object], match: str) -> None:
    fields: dict[str, object] = {
        "id": "A",
        "resource": "ground",
        "searchers": 2,
        "hours": 4.0,
        "sweep_width_m": 20.0,
        "speed_kmh": 2.0,
    }
    fields.update(kwargs)
    with pytest.raises(InvalidParameterError, match=match):
        Team(**fields)  # type: ignore[arg-type]


def test_bad_segments_are_refused() -> None:
    with pytest.raises(InvalidParameterError, match=r"area_m2: segment 'S' has 0\.0"):
        SegmentTarget("S", 0.2, 0.0, (0, 0))
    with pytest.raises(InvalidParameterError, match=r"poa: segment 'S' has 1\.5"):
        SegmentTarget("S", 1.5, 1e6, (0, 0))


def test_zero_area_is_refused_by_allocate_effort() -> None:
    with pytest.raises(InvalidParameterError, match=r"area_m2: segment 1 has 0\.0 m²"):
        allocate_effort([0.5, 0.5], [1e6, 0.0], 1e6)
    with pytest.raises(InvalidParameterError, match="total_effort_m2: -1"):
        allocate_effort([0.5, 0.5], [1e6, 1e6], -1.0)
    with pytest.raises(InvalidParameterError, match="poa: every segment has POA 0"):
        allocate_effort([0.0, 0.0], [1e6, 1e6], 1e6)
    with pytest.raises(InvalidParameterError, match="area_m2: shape"):
        allocate_effort([0.5, 0.5], [1e6], 1e6)
    with pytest.raises(InvalidParameterError, match=r"step_m2: .* increments"):
        allocate_effort([0.5, 0.5], [1e6, 1e6], 1e9, step_m2=1.0)


def test_unknown_solver_lists_the_valid_ones() -> None:
    valid = "solver: 'milp' is not one of 'brute', 'cpsat', 'greedy'"
    with pytest.raises(InvalidParameterError, match=valid):
        assign_teams([], [], solver="milp")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"solver": "cpsat", "max_teams_per_segment": 3}, "exact for 1 or 2 teams"),
        ({"max_teams_per_segment": 0}, "max_teams_per_segment: 0"),
        ({"time_limit_s": 0.0}, "time_limit_s: 0.0"),
    ],
)
def test_bad_solver_options_are_refused(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        assign_teams([], [], **kwargs)  # type: ignore[arg-type]


def test_brute_force_refuses_large_instances_and_duplicates_are_refused() -> None:
    rng = np.random.default_rng(0)
    teams = random_teams(rng, BRUTE_FORCE_MAX + 1)
    with pytest.raises(InvalidParameterError, match="limited to 8 teams and 8 segments"):
        assign_teams(teams, random_segments(rng, 3), solver="brute")
    twice = [Team("A", "ground", 2, 4.0, 20.0, 2.0)] * 2
    with pytest.raises(InvalidParameterError, match="teams: id 'A' appears twice"):
        assign_teams(twice, random_segments(rng, 3))


# --- divisible effort ----------------------------------------------------------------------


def posterior_density(
    poa: NDArray[np.float64], area: NDArray[np.float64], z: NDArray[np.float64]
) -> NDArray[np.float64]:
    return poa * np.exp(-z / area) / area


segment_data = st.integers(1, 40).flatmap(
    lambda n: st.tuples(
        st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n),
        st.lists(st.floats(1e4, 5e6), min_size=n, max_size=n),
    )
)


@settings(max_examples=60, deadline=None)
@given(data=segment_data, total=st.floats(1e3, 5e7))
def test_water_filling_meets_stones_conditions(
    data: tuple[list[float], list[float]], total: float
) -> None:
    poa, area = np.array(data[0]), np.array(data[1])
    if not (poa > 0).any():
        poa[0] = 0.5
    z = allocate_effort(poa, area, total)
    assert z.sum() == pytest.approx(total, rel=1e-9)
    assert (z >= 0).all()
    density = posterior_density(poa, area, z)
    searched = z > 1e-9 * total
    level = density[searched]
    assert level.max() == pytest.approx(level.min(), rel=1e-6)  # equal posterior density
    assert (density[~searched] <= level.max() * (1 + 1e-6)).all()  # none left above it


@settings(max_examples=40, deadline=None)
@given(data=segment_data, totals=st.lists(st.floats(0.0, 3e7), min_size=2, max_size=5))
def test_water_filling_is_uniformly_optimal(
    data: tuple[list[float], list[float]], totals: list[float]
) -> None:
    poa, area = np.array(data[0]), np.array(data[1])
    if not (poa > 0).any():
        poa[0] = 0.5
    allocations = [allocate_effort(poa, area, t) for t in sorted(totals)]
    for smaller, larger in itertools.pairwise(allocations):
        assert (smaller <= larger + 1e-6 * max(larger.max(), 1.0)).all()  # monotone in effort


@pytest.mark.parametrize("seed", range(8))
def test_greedy_increments_match_water_filling_within_a_step(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 80))
    poa = rng.lognormal(0.0, 1.5, n) * (rng.random(n) > 0.1)
    poa[0] += 0.1
    area = rng.uniform(2e5, 1.5e6, n)
    total = float(rng.uniform(1e5, 3e7))
    step = total / 2000
    exact = allocate_effort(poa, area, total)
    greedy = allocate_effort_greedy(poa, area, total, step_m2=step)
    assert greedy.sum() == pytest.approx(total)
    assert np.abs(exact - greedy).max() <= step * (1 + 1e-9)
    assert pos_of_effort(poa, area, exact) >= pos_of_effort(poa, area, greedy) - 1e-12
    assert pos_of_effort(poa, area, exact) >= pos_of_effort(poa, area, area / area.sum() * total)


def test_water_filling_closed_form_and_default_step() -> None:
    # Two equal-area segments: z₁ − z₂ = A·ln(p₁/p₂) once both are searched.
    z = allocate_effort([0.6, 0.3], [1e6, 1e6], 2e6)
    assert z[0] - z[1] == pytest.approx(1e6 * math.log(2.0))
    assert z.sum() == pytest.approx(2e6)
    # Little effort goes only to the densest segment.
    assert allocate_effort([0.6, 0.3], [1e6, 1e6], 1e5) == pytest.approx([1e5, 0.0])
    assert allocate_effort([0.6, 0.3], [1e6, 1e6], 0.0).tolist() == [0.0, 0.0]
    assert allocate_effort_greedy([0.6, 0.3], [1e6, 1e6], 0.0).tolist() == [0.0, 0.0]
    greedy = allocate_effort_greedy([0.6, 0.3], [1e6, 1e6], 2e6)
    assert np.abs(greedy - z).max() <= 2e6 / 10_000


def test_pos_of_effort() -> None:
    assert pos_of_effort([0.5, 0.5], [1e6, 2e6], [1e6, 2e6]) == pytest.approx(1 - math.exp(-1))
    with pytest.raises(InvalidParameterError, match="effort_m2: shape"):
        pos_of_effort([0.5], [1e6], [1.0, 2.0])
    with pytest.raises(InvalidParameterError, match="effort_m2: every swept area"):
        pos_of_effort([0.5], [1e6], [-1.0])
