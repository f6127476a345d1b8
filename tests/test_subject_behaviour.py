"""Tests for wayhome.subject.behaviour and ``data/behaviour_mixes.csv``."""

from __future__ import annotations

import csv
import dataclasses
import io
import math
from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wayhome.errors import (
    DataFileError,
    InvalidIntakeError,
    InvalidParameterError,
    UnknownCategoryError,
)
from wayhome.subject import BEHAVIOURS, BehaviourMix, behaviour_mix_for, categories
from wayhome.subject.behaviour import _mixes

#: Hashimoto et al. 2022 weighted best hiker profile, as published (sums to 1.001).
HASHIMOTO_HIKER = (0.062, 0.367, 0.560, 0.005, 0.007, 0.0)
TABLE = "behaviour_mixes.csv"


def _rows() -> list[dict[str, str]]:
    text = (resources.files("wayhome.subject") / "data" / TABLE).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def test_behaviours_are_the_dataclass_fields_in_order() -> None:
    names = tuple(f.name for f in dataclasses.fields(BehaviourMix))
    assert names == (*BEHAVIOURS, "source")


@pytest.mark.parametrize("category", categories())
def test_every_category_has_a_cited_mix_that_sums_to_one(category: str) -> None:
    mix = behaviour_mix_for(category)
    assert math.isclose(math.fsum(mix.as_tuple()), 1.0, abs_tol=1e-9)
    assert all(0.0 <= s <= 1.0 for s in mix.as_tuple())
    assert mix.source.strip()
    assert mix.stay_put <= 0.15  # time-growing stay-put is modelled separately


def test_table_has_exactly_one_row_per_category_with_notes() -> None:
    rows = _rows()
    names = [r["subject_category"] for r in rows]
    assert sorted(names) == sorted(categories())
    assert all(r["notes"].strip() for r in rows)


def test_only_the_hiker_row_is_published_and_the_rest_say_so() -> None:
    for row in _rows():
        if row["subject_category"] == "hiker":
            assert "Hashimoto" in row["source"] and "1.001" in row["source"]
        else:
            assert row["source"].startswith("wayhome assumption"), row["subject_category"]


def test_hiker_is_hashimoto_normalised() -> None:
    mix = behaviour_mix_for("hiker")
    published_total = math.fsum(HASHIMOTO_HIKER)
    assert published_total == pytest.approx(1.001)
    expected = tuple(s / published_total for s in HASHIMOTO_HIKER)
    assert mix.as_tuple() == pytest.approx(expected, abs=1e-6)
    assert mix.as_tuple() == pytest.approx(HASHIMOTO_HIKER, abs=1e-3)


def test_lpb_shapes_of_the_assumed_mixes() -> None:
    for child in ("child_1_3", "child_4_6"):
        mix = behaviour_mix_for(child)
        assert mix.random_walk == max(mix.as_tuple())
        assert mix.view_enhancing == 0.0
    dementia = behaviour_mix_for("dementia")
    assert dementia.backtrack == 0.0 and dementia.direction_travel == max(dementia.as_tuple())
    despondent = behaviour_mix_for("despondent")
    assert despondent.view_enhancing == max(despondent.as_tuple())
    for machine in ("vehicle", "vehicle_4wd", "atv", "snowmobiler", "mountain_biker"):
        mix = behaviour_mix_for(machine)
        assert mix.route_travel == max(mix.as_tuple())


def test_lookup_resolves_aliases() -> None:
    assert behaviour_mix_for("Alzheimer's") == behaviour_mix_for("dementia")
    assert behaviour_mix_for("4x4") == behaviour_mix_for("vehicle_4wd")
    assert behaviour_mix_for("Child 4-6") == behaviour_mix_for("child_4_6")


def test_lookup_rejects_unknown_or_ambiguous_categories() -> None:
    with pytest.raises(UnknownCategoryError, match="category"):
        behaviour_mix_for("astronaut")
    with pytest.raises(InvalidIntakeError, match="age"):
        behaviour_mix_for("child")


def test_the_table_is_cached_and_complete() -> None:
    assert _mixes() is _mixes()
    assert set(_mixes()) == set(categories())


def test_sum_error_names_the_total_and_every_share() -> None:
    with pytest.raises(InvalidParameterError) as info:
        BehaviourMix(0.5, 0.47, 0.0, 0.0, 0.0, 0.0)
    message = str(info.value)
    assert message.startswith("mix: behaviour shares sum to 0.97; they must sum to 1 (")
    assert all(f"{name}=" in message for name in BEHAVIOURS)


@pytest.mark.parametrize("bad", [-0.1, 1.5, math.nan, math.inf])
def test_each_share_must_be_finite_in_unit_interval(bad: float) -> None:
    with pytest.raises(InvalidParameterError, match="view_enhancing"):
        BehaviourMix(0.5, 0.5, 0.0, 0.0, bad, 0.0)


def test_mix_is_frozen() -> None:
    mix = behaviour_mix_for("hiker")
    with pytest.raises(dataclasses.FrozenInstanceError):
        mix.random_walk = 1.0  # type: ignore[misc]


@pytest.mark.parametrize("category", categories())
def test_text_round_trips(category: str) -> None:
    mix = behaviour_mix_for(category)
    again = BehaviourMix.from_text(mix.as_text(), source=mix.source)
    assert again == mix


def test_from_text_short_and_long_names_and_missing_zero() -> None:
    mix = BehaviourMix.from_text("rw=0.06, RT=0.37, direction-travel=0.56 ,sp=0.005,ve=0.005")
    assert mix.as_tuple() == (0.06, 0.37, 0.56, 0.005, 0.005, 0.0)
    assert mix.source == "given by the planner"
    assert BehaviourMix.from_text("stay_put=1").stay_put == 1.0


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("rw=0.5,rt=0.47", "sum to 0.97"),
        ("zz=1", r"unknown behaviour 'zz'.*valid names: rw \(random_walk\)"),
        ("rw=-0.5,rt=1.5", "random_walk"),
        ("rw=0.5,rt", "not name=share"),
        ("rw=half,rt=0.5", "random_walk: share 'half' is not a number"),
        ("rw=0.5,random_walk=0.5", "given twice"),
        ("", "names no behaviour"),
        ("rw=nan,rt=1", "random_walk"),
    ],
)
def test_from_text_rejects_bad_input(text: str, match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        BehaviourMix.from_text(text)


def test_bad_input_is_a_value_error_for_callers_that_do_not_know_wayhome() -> None:
    with pytest.raises(ValueError, match="zz"):
        BehaviourMix.from_text("zz=1")


def test_a_broken_table_row_is_a_data_file_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import wayhome.subject.behaviour as behaviour

    row = dict.fromkeys(BEHAVIOURS, "0.5") | {"subject_category": "hiker", "source": "s"}
    monkeypatch.setattr(behaviour, "_read_csv", lambda name: (row,))
    behaviour._mixes.cache_clear()
    try:
        with pytest.raises(DataFileError, match=r"behaviour_mixes.csv line 2 \(hiker\)"):
            behaviour._mixes()
    finally:
        behaviour._mixes.cache_clear()


@given(st.lists(st.floats(min_value=1e-6, max_value=1.0), min_size=6, max_size=6))
def test_any_normalised_positive_mix_constructs(weights: list[float]) -> None:
    total = math.fsum(weights)
    s0, s1, s2, s3, s4, s5 = (w / total for w in weights)
    mix = BehaviourMix(s0, s1, s2, s3, s4, s5, source="hypothesis")
    assert math.isclose(math.fsum(mix.as_tuple()), 1.0, abs_tol=1e-9)
    assert BehaviourMix.from_text(mix.as_text(), source="hypothesis") == mix
