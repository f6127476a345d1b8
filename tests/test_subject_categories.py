"""Tests for wayhome.subject.categories: the category list and resolve_category."""

from __future__ import annotations

import itertools

import pytest

from wayhome.errors import InvalidIntakeError, UnknownCategoryError
from wayhome.subject import CHILD_BANDS, TERRAIN_CLASSES, categories, resolve_category
from wayhome.subject.categories import _read_csv


def test_terrain_classes_are_the_isrid_cells() -> None:
    assert TERRAIN_CLASSES == (
        "temperate_mountainous",
        "temperate_flat",
        "dry_mountainous",
        "dry_flat",
        "urban",
    )


def test_categories_are_sorted_with_children_in_age_order() -> None:
    cats = categories()
    children = [c for c in cats if c.startswith("child_")]
    assert children == ["child_1_3", "child_4_6", "child_7_9", "child_10_12", "child_13_15"]
    others = [c for c in cats if not c.startswith("child_")]
    assert others == sorted(others)
    assert len(set(cats)) == len(cats)


@pytest.mark.parametrize(
    "name",
    ["hiker", "hunter", "dementia", "despondent", "autism", "intellectual_disability",
     "mental_illness", "gatherer", "angler", "camper", "climber", "skier_nordic", "vehicle",
     "vehicle_4wd", "mountain_biker", "aircraft", "extreme_sport", "snowmobiler"],
)  # fmt: skip
def test_expected_categories_present(name: str) -> None:
    assert name in categories()


def test_categories_have_fittable_cells_only() -> None:
    # caver has a median only (n 7): in the table, not offered as a category
    rows = _read_csv("distance_quartiles.csv")
    assert any(r["subject_category"] == "caver" for r in rows)
    assert "caver" not in categories()
    for cat in categories():
        counts = [
            sum(bool(r[c]) for c in ("q25_km", "q50_km", "q75_km", "q95_km"))
            for r in rows
            if r["subject_category"] == cat
        ]
        assert max(counts) >= 2, cat


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Hiker", "hiker"),
        ("  HUNTER ", "hunter"),
        ("hikers", "hiker"),
        ("Child 4-6", "child_4_6"),
        ("child-10-12", "child_10_12"),
        ("youth", "child_13_15"),
        ("Teen", "child_13_15"),
        ("ASD", "autism"),
        ("autistic", "autism"),
        ("Alzheimer's", "dementia"),
        ("alzheimers", "dementia"),
        ("4WD", "vehicle_4wd"),
        ("four-wheel drive", "vehicle_4wd"),
        ("Skier Nordic", "skier_nordic"),
        ("cross-country skier", "skier_nordic"),
        ("mental illness", "mental_illness"),
        ("Intellectual Disability", "intellectual_disability"),
        ("MTB", "mountain_biker"),
    ],
)
def test_resolve_category_aliases_and_spelling(typed: str, expected: str) -> None:
    assert resolve_category(typed) == expected


@pytest.mark.parametrize(
    ("age", "band"),
    [
        (0.5, "child_1_3"),
        (1, "child_1_3"),
        (3.9, "child_1_3"),
        (4, "child_4_6"),
        (6.99, "child_4_6"),
        (7, "child_7_9"),
        (9.5, "child_7_9"),
        (10, "child_10_12"),
        (12, "child_10_12"),
        (13, "child_13_15"),
        (15.9, "child_13_15"),
    ],
)
def test_child_with_age_picks_the_isrid_band(age: float, band: str) -> None:
    assert resolve_category("child", age=age) == band
    assert resolve_category("Kid", age=age) == band
    # the explicit band accepts its own ages
    assert resolve_category(band, age=age) == band


def test_child_bands_cover_1_to_15_without_gaps() -> None:
    edges = sorted(CHILD_BANDS.values())
    assert edges[0][0] == 1 and edges[-1][1] == 15
    assert all(b[0] == a[1] + 1 for a, b in itertools.pairwise(edges))


def test_child_without_age_asks_for_age() -> None:
    with pytest.raises(InvalidIntakeError, match=r"^age: category 'child' needs --age"):
        resolve_category("child")


def test_child_older_than_15_is_refused() -> None:
    with pytest.raises(InvalidIntakeError, match=r"age: 16 .*adult category"):
        resolve_category("child", age=16)


def test_age_outside_explicit_band_names_both() -> None:
    with pytest.raises(InvalidIntakeError) as info:
        resolve_category("child_4_6", age=8)
    msg = str(info.value)
    assert msg.startswith("age:")
    assert "child_4_6" in msg and "8" in msg and "child_7_9" in msg


def test_age_outside_teen_alias_band() -> None:
    with pytest.raises(InvalidIntakeError, match="child_13_15"):
        resolve_category("teen", age=17)


def test_adult_category_accepts_any_age() -> None:
    assert resolve_category("hiker", age=8) == "hiker"


@pytest.mark.parametrize("age", [-1.0, 121.0, float("nan"), float("inf")])
def test_impossible_age_is_refused(age: float) -> None:
    with pytest.raises(InvalidIntakeError, match=r"^age:"):
        resolve_category("hiker", age=age)


def test_unknown_category_lists_valid_ones_and_a_close_match() -> None:
    with pytest.raises(UnknownCategoryError) as info:
        resolve_category("hikr")
    msg = str(info.value)
    assert msg.startswith("category: unknown 'hikr'")
    assert "did you mean 'hiker'" in msg
    for cat in categories():
        assert cat in msg


def test_unknown_category_without_close_match() -> None:
    with pytest.raises(UnknownCategoryError) as info:
        resolve_category("zzzzqq")
    assert "did you mean" not in str(info.value)
    assert "valid: " in str(info.value)


def test_unknown_category_is_also_key_and_value_error() -> None:
    with pytest.raises(KeyError):
        resolve_category("nobody")
    with pytest.raises(ValueError, match="category:"):
        resolve_category("nobody")


def test_category_with_median_only_explains_why() -> None:
    with pytest.raises(UnknownCategoryError, match=r"'caver' has too few ISRID distance"):
        resolve_category("Caver")
