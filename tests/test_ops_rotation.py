"""The watch/rest rotation: every rule kept, the watch shared, impossible nights explained."""

from __future__ import annotations

import itertools
import json
import math
import time
from collections.abc import Sequence
from importlib import resources

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wayhome.errors import InvalidParameterError, UsageError
from wayhome.ops.rotation import (
    Person,
    Rotation,
    RotationInfeasibleError,
    RotationRules,
    plan_rotation,
)


def violations(
    slots: Sequence[Sequence[str]], people: Sequence[Person], rules: RotationRules
) -> list[str]:
    """Every rule a schedule breaks, checked from the rules' own words (not the model)."""
    by_id = {p.id: p for p in people}
    out: list[str] = []
    if len(slots) != rules.n_slots:
        out.append(f"{len(slots)} slots, expected {rules.n_slots}")
    for s, slot in enumerate(slots):
        if len(slot) != rules.watch_size or len(set(slot)) != len(slot):
            out.append(f"slot {s}: {slot} is not {rules.watch_size} different people")
        if not set(slot) <= set(by_id):
            out.append(f"slot {s}: unknown ids in {slot}")
        for a, b in rules.pairs:
            if (a in slot) != (b in slot):
                out.append(f"slot {s}: pair ({a}, {b}) split")
        for a, b in rules.apart:
            if a in slot and b in slot:
                out.append(f"slot {s}: {a} and {b} share the watch")
        for pid in slot:
            if by_id[pid].protected and not any(pid in pair for pair in rules.pairs):
                out.append(f"slot {s}: protected {pid} on watch without a pair")
    for p in people:
        on = [p.id in slot for slot in slots]
        if sum(on) * rules.slot_h > p.duty_left_h + 1e-9:
            out.append(f"{p.id}: {sum(on)} slots with {p.duty_left_h} h of duty left")
        runs = [(k, len(list(g))) for k, g in itertools.groupby(on)]
        for i, (is_on, length) in enumerate(runs):
            if is_on and length * rules.slot_h > rules.max_consecutive_h + 1e-9:
                out.append(f"{p.id}: {length} slots in a row")
            between = 0 < i < len(runs) - 1  # a rest with a watch on both sides
            if not is_on and between and length * rules.slot_h < p.min_rest_h - 1e-9:
                out.append(f"{p.id}: rest of {length} slots < {p.min_rest_h} h")
    return out


def assert_keeps_every_rule(
    rotation: Rotation, people: Sequence[Person], rules: RotationRules
) -> None:
    assert violations(rotation.slots, people, rules) == []
    expected = {p.id: sum(p.id in s for s in rotation.slots) * rules.slot_h for p in people}
    assert rotation.hours == expected


def _demo_people() -> tuple[list[Person], tuple[tuple[str, str], ...]]:
    """The demo's twelve members in six pairs (the dog stands no watch); tired ones: 2 h."""
    text = (resources.files("wayhome.demo") / "data" / "teams.json").read_text("utf-8")
    people: list[Person] = []
    pairs: list[tuple[str, str]] = []
    for team in json.loads(text)["teams"]:
        ids = []
        for member in team["members"]:
            if "dog" in member:
                continue
            name = member.split(" (")[0]
            pid = name.split()[0].lower()
            tired = "tired" in member
            protected = "protected" in member and "protector" not in member
            people.append(Person(pid, name, duty_left_h=2.0 if tired else 6.0, protected=protected))
            ids.append(pid)
        assert len(ids) == 2
        pairs.append((ids[0], ids[1]))
    return people, tuple(pairs)


DEMO_PEOPLE, DEMO_PAIRS = _demo_people()
DEMO_RULES = RotationRules(
    slot_h=1.0,
    horizon_h=12.0,
    watch_size=4,
    pairs=DEMO_PAIRS,
    apart=(("ada", "cora"),),  # the two grid leaders are never on watch together
    max_consecutive_h=3.0,
)


def test_the_demo_roster_is_as_described() -> None:
    assert len(DEMO_PEOPLE) == 12 and len(DEMO_PAIRS) == 6
    assert [p.id for p in DEMO_PEOPLE if p.duty_left_h < 6] == ["ivo", "jo"]
    assert [p.id for p in DEMO_PEOPLE if p.protected] == ["lou"]


def test_the_demo_night_solves_fast_and_keeps_every_rule() -> None:
    start = time.perf_counter()
    rotation = plan_rotation(DEMO_PEOPLE, DEMO_RULES)
    elapsed = time.perf_counter() - start
    assert elapsed < 5.0
    assert rotation.optimal
    assert_keeps_every_rule(rotation, DEMO_PEOPLE, DEMO_RULES)
    # The tired pair works its 2 h; the rest share the other 44 person-hours within a slot.
    assert rotation.hours["ivo"] == rotation.hours["jo"] == 2.0
    rested = [h for pid, h in rotation.hours.items() if pid not in ("ivo", "jo")]
    assert sum(rested) == 44.0
    assert max(rested) - min(rested) <= DEMO_RULES.slot_h


def test_pairs_stay_together_and_apart_never_share() -> None:
    rotation = plan_rotation(DEMO_PEOPLE, DEMO_RULES)
    for slot in rotation.slots:
        for a, b in DEMO_PAIRS:
            assert (a in slot) == (b in slot)
        assert not {"ada", "cora"} <= set(slot)


def test_hours_and_rest_are_respected() -> None:
    rotation = plan_rotation(DEMO_PEOPLE, DEMO_RULES)
    for p in DEMO_PEOPLE:
        on = [p.id in slot for slot in rotation.slots]
        assert sum(on) <= p.duty_left_h
        ends = [s for s in range(len(on) - 1) if on[s] and not on[s + 1]]
        for s in ends:  # after every stretch, min_rest_h off (or the night ends first)
            assert not any(on[s + 1 : s + 1 + math.ceil(p.min_rest_h)])


def test_evenness_within_one_slot_when_possible() -> None:
    people = [Person(c, c.upper(), duty_left_h=8.0, min_rest_h=1.0) for c in "abcde"]
    rules = RotationRules(slot_h=0.5, horizon_h=6.0, watch_size=2, max_consecutive_h=2.0)
    rotation = plan_rotation(people, rules)
    assert_keeps_every_rule(rotation, people, rules)
    assert max(rotation.hours.values()) - min(rotation.hours.values()) <= rules.slot_h
    assert sum(rotation.hours.values()) == 12 * 2 * 0.5


def test_the_extra_hours_go_to_the_most_rested() -> None:
    people = [
        Person("a", "Ada", duty_left_h=2.0, min_rest_h=0.0),
        Person("b", "Ben", duty_left_h=3.0, min_rest_h=0.0),
        Person("c", "Cora", duty_left_h=9.0, min_rest_h=0.0),
    ]
    rules = RotationRules(slot_h=1.0, horizon_h=4.0, watch_size=1)
    rotation = plan_rotation(people, rules)
    assert rotation.hours == {"a": 1.0, "b": 1.0, "c": 2.0}


# --- Impossible nights, in plain words -------------------------------------------------


def _p(pid: str, duty: float, rest: float = 0.0, **kw: bool) -> Person:
    return Person(pid, pid.capitalize(), duty_left_h=duty, min_rest_h=rest, **kw)


def test_too_few_person_hours() -> None:
    people = [_p("ada", 4.0), _p("ben", 4.0), _p("cora", 4.0)]
    rules = RotationRules(slot_h=1.0, horizon_h=12.0, watch_size=2)
    with pytest.raises(RotationInfeasibleError) as info:
        plan_rotation(people, rules)
    assert "the 12 h rotation needs 24 person-hours on watch" in str(info.value)
    assert "but only 12 are left" in str(info.value)


def test_a_pair_held_back_by_a_tired_partner() -> None:
    people = [_p("ivo", 6.0), _p("jo", 0.0), _p("ada", 6.0), _p("ben", 6.0)]
    rules = RotationRules(
        slot_h=1.0, horizon_h=6.0, watch_size=2, pairs=(("ivo", "jo"), ("ada", "ben"))
    )
    plan = RotationRules(slot_h=1.0, horizon_h=12.0, watch_size=2, pairs=rules.pairs)
    with pytest.raises(RotationInfeasibleError) as info:
        plan_rotation(people, plan)
    message = str(info.value)
    assert "needs 24 person-hours on watch" in message and "only 12 are left" in message
    assert "pair (Ivo, Jo) must stay together, but Jo has 0 h of duty left" in message
    # Six hours: Ada and Ben cover the night alone; the tired pair rests.
    rotation = plan_rotation(people, rules)
    assert rotation.hours == {"ivo": 0.0, "jo": 0.0, "ada": 6.0, "ben": 6.0}


def test_a_pair_larger_than_a_watch() -> None:
    people = [_p("ada", 4.0), _p("ben", 4.0), _p("cora", 1.0)]
    rules = RotationRules(slot_h=1.0, horizon_h=2.0, watch_size=1, pairs=(("ada", "ben"),))
    with pytest.raises(RotationInfeasibleError, match="a watch holds only 1"):
        plan_rotation(people, rules)


def test_stretch_and_rest_limit_what_anyone_can_stand() -> None:
    people = [_p("ada", 12.0, rest=4.0), _p("ben", 12.0, rest=4.0)]
    rules = RotationRules(slot_h=1.0, horizon_h=12.0, watch_size=1, max_consecutive_h=2.0)
    with pytest.raises(RotationInfeasibleError) as info:
        plan_rotation(people, rules)
    assert "with at most 2 h at a stretch and 4 h of rest after each" in str(info.value)


def test_together_and_apart_at_once() -> None:
    people = [_p("ada", 4.0), _p("ben", 4.0)]
    rules = RotationRules(
        slot_h=1.0, horizon_h=2.0, watch_size=2, pairs=(("ada", "ben"),), apart=(("ada", "ben"),)
    )
    with pytest.raises(InvalidParameterError, match=r"^apart: Ada and Ben must stay together"):
        plan_rotation(people, rules)


@pytest.mark.parametrize(
    ("people", "rules", "phrases"),
    [
        pytest.param(
            [_p("ada", 4.0), _p("ben", 4.0), _p("cora", 4.0), _p("dev", 4.0)],
            RotationRules(
                slot_h=1.0, horizon_h=4.0, watch_size=3, pairs=(("ada", "ben"), ("cora", "dev"))
            ),
            ["the pairs that must stay together, (Ada, Ben), (Cora, Dev), cannot fill watches"],
            id="pairs",
        ),
        pytest.param(
            [_p("ada", 4.0), _p("ben", 4.0)],
            RotationRules(slot_h=1.0, horizon_h=4.0, watch_size=2, apart=(("ada", "ben"),)),
            ["the people who must not share a watch, (Ada, Ben), block it"],
            id="apart",
        ),
        pytest.param(
            [_p("ada", 5.0, rest=1.0), _p("ben", 3.0, rest=2.0)],
            RotationRules(slot_h=1.0, horizon_h=5.0, watch_size=1, max_consecutive_h=1.0),
            ["dropping any one of these", "1 h at a stretch", "minimum rest of 1/2 h"],
            id="stretch-or-rest",
        ),
        pytest.param(
            [_p("a", 1.0, 1.0), _p("b", 1.0, 1.0), _p("c", 0.0), _p("d", 2.0), _p("e", 2.0)],
            RotationRules(
                slot_h=1.0, horizon_h=2.0, watch_size=3, pairs=(("a", "b"),), apart=(("e", "d"),)
            ),
            ["the duty hours left (duty_left_h) block it", "(without that rule one exists)"],
            id="duty",
        ),
        pytest.param(
            [_p("a", 4.0, 1.0), _p("b", 3.0), _p("c", 4.0, 3.0)],
            RotationRules(
                slot_h=1.0,
                horizon_h=4.0,
                watch_size=2,
                pairs=(("a", "b"),),
                apart=(("c", "b"),),
                max_consecutive_h=2.0,
            ),
            ["dropping any single rule", "is not enough"],
            id="no-single-rule",
        ),
    ],
)
def test_the_solver_names_the_blocking_rule(
    people: list[Person], rules: RotationRules, phrases: list[str]
) -> None:
    with pytest.raises(RotationInfeasibleError) as info:
        plan_rotation(people, rules)
    assert str(info.value).startswith("no rotation keeps every rule")
    for phrase in phrases:
        assert phrase in str(info.value)
    assert isinstance(info.value, UsageError) and isinstance(info.value, ValueError)


# --- Validation --------------------------------------------------------------------------


_RULES = {"slot_h": 1.0, "horizon_h": 2.0, "watch_size": 1}


@pytest.mark.parametrize(
    ("cls", "kwargs", "field"),
    [
        (Person, {"id": "", "name": "Ada", "duty_left_h": 1.0}, "id"),
        (Person, {"id": "a", "name": " ", "duty_left_h": 1.0}, "name"),
        (Person, {"id": "a", "name": "Ada", "duty_left_h": -1.0}, "duty_left_h"),
        (
            Person,
            {"id": "a", "name": "Ada", "duty_left_h": 1.0, "min_rest_h": math.nan},
            "min_rest_h",
        ),
        (RotationRules, {**_RULES, "slot_h": 0.0}, "slot_h"),
        (RotationRules, {**_RULES, "horizon_h": 2.5}, "horizon_h"),
        (RotationRules, {**_RULES, "watch_size": 0}, "watch_size"),
        (RotationRules, {**_RULES, "pairs": (("a", "a"),)}, "pairs"),
        (RotationRules, {**_RULES, "apart": (("a",),)}, "apart"),
        (RotationRules, {**_RULES, "max_consecutive_h": 0.5}, "max_consecutive_h"),
    ],
)
def test_bad_values_name_their_field(cls: type, kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidParameterError, match=f"^{field}: "):
        cls(**kwargs)


def test_unknown_ids_duplicates_and_unprotected_members_are_refused() -> None:
    rules = RotationRules(slot_h=1.0, horizon_h=2.0, watch_size=1, pairs=(("a", "zed"),))
    with pytest.raises(InvalidParameterError, match=r"^pairs: .*'zed', who is not among"):
        plan_rotation([_p("a", 2.0)], rules)
    plain = RotationRules(slot_h=1.0, horizon_h=2.0, watch_size=1)
    with pytest.raises(InvalidParameterError, match=r"^people: id 'a' appears twice"):
        plan_rotation([_p("a", 2.0), _p("a", 2.0)], plain)
    with pytest.raises(InvalidParameterError, match=r"^pairs: Lou .* is protected"):
        plan_rotation([_p("ada", 2.0), _p("lou", 2.0, protected=True)], plain)
    with pytest.raises(InvalidParameterError, match=r"^time_limit_s: "):
        plan_rotation([_p("ada", 2.0)], plain, time_limit_s=0.0)


# --- Any returned schedule keeps every rule; infeasible only when none exists ---------


@st.composite
def instances(draw: st.DrawFn) -> tuple[list[Person], RotationRules]:
    n = draw(st.integers(2, 5))
    n_slots = draw(st.integers(1, 4))
    slot_h = draw(st.sampled_from([0.5, 1.0]))
    ids = [f"p{i}" for i in range(n)]
    people = [
        Person(
            pid,
            pid.upper(),
            duty_left_h=draw(st.integers(0, n_slots)) * slot_h,
            min_rest_h=draw(st.sampled_from([0.0, 0.5, 1.0, 1.5, 2.0])),
        )
        for pid in ids
    ]
    shuffled = draw(st.permutations(ids))
    n_pairs = draw(st.integers(0, n // 2))
    pairs = tuple((shuffled[2 * i], shuffled[2 * i + 1]) for i in range(n_pairs))
    paired = {frozenset(pair) for pair in pairs}  # paired and apart at once is refused
    candidates = [(a, b) for a, b in itertools.combinations(ids, 2) if {a, b} not in paired]
    some = st.lists(st.sampled_from(candidates), max_size=2, unique=True) if candidates else None
    apart = tuple(draw(some)) if some is not None else ()
    rules = RotationRules(
        slot_h=slot_h,
        horizon_h=n_slots * slot_h,
        watch_size=draw(st.integers(1, min(n, 3))),
        pairs=pairs,
        apart=apart,
        max_consecutive_h=draw(st.integers(1, n_slots)) * slot_h,
    )
    return people, rules


def _some_schedule_exists(people: list[Person], rules: RotationRules) -> bool:
    watches = list(itertools.combinations([p.id for p in people], rules.watch_size))
    return any(
        not violations(slots, people, rules)
        for slots in itertools.product(watches, repeat=rules.n_slots)
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_any_returned_schedule_keeps_every_rule(
    instance: tuple[list[Person], RotationRules],
) -> None:
    people, rules = instance
    try:
        rotation = plan_rotation(people, rules, time_limit_s=2.0)
    except RotationInfeasibleError as exc:
        assert "time_limit_s" not in str(exc)
        assert not _some_schedule_exists(people, rules)  # brute force agrees: none exists
    else:
        assert_keeps_every_rule(rotation, people, rules)
