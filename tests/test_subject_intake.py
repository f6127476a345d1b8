"""Tests for wayhome.subject.intake: durations and the Subject record."""

from __future__ import annotations

import dataclasses
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wayhome.errors import InvalidIntakeError, UnknownCategoryError
from wayhome.subject import Subject, parse_duration_h, subject_from_intake


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("3h", 3.0),
        ("90min", 1.5),
        ("90m", 1.5),
        ("1h30", 1.5),
        ("1h30m", 1.5),
        ("1h 30min", 1.5),
        ("2d", 48.0),
        ("1.5h", 1.5),
        ("45 minutes", 0.75),
        ("2 hours", 2.0),
        ("1 hr", 1.0),
        ("2", 2.0),
        ("0.5", 0.5),
        ("0", 0.0),
        ("0h", 0.0),
        (" 3H ", 3.0),
        ("1:30", 1.5),
        ("1d 2h", 26.0),
        ("2 days, 3 hours and 30 minutes", 51.5),
        ("30d", 720.0),
        ("720", 720.0),
    ],
)
def test_parse_duration_h(text: str, hours: float) -> None:
    assert parse_duration_h(text) == pytest.approx(hours)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "h",
        "min",
        "-3h",
        "-1",
        "nan",
        "inf",
        "abc",
        "3x",
        "3 weeks",
        "31d",
        "721",
        "720h 1m",
        "1h2h",
        "30m2h",
        "2d5",
        "1.2.3h",
        "1:75",
        "3h ago",
    ],
)
def test_parse_duration_h_refuses_nonsense(text: str) -> None:
    with pytest.raises(InvalidIntakeError) as info:
        parse_duration_h(text)
    msg = str(info.value)
    assert msg.startswith("missing-for:")
    assert "give a duration such as 3h or 90min" in msg


@given(st.integers(0, 700), st.integers(0, 59))
def test_parse_duration_h_hours_and_minutes(h: int, m: int) -> None:
    expected = h + m / 60
    assert parse_duration_h(f"{h}h{m}m") == pytest.approx(expected)
    assert parse_duration_h(f"{h}h{m}") == pytest.approx(expected)
    assert parse_duration_h(f"{h * 60 + m}min") == pytest.approx(expected)


def test_subject_resolves_category_and_keeps_fields() -> None:
    s = Subject(category="Child", age=4, missing_for_h=2.0, name="Sam Example", notes="red coat")
    assert s.category == "child_4_6"
    assert (s.age, s.missing_for_h, s.name, s.notes) == (4, 2.0, "Sam Example", "red coat")
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.age = 5  # type: ignore[misc]


@pytest.mark.parametrize("age", [-1.0, 121.0, math.nan])
def test_subject_refuses_impossible_age(age: float) -> None:
    with pytest.raises(InvalidIntakeError, match=r"^age:"):
        Subject(category="hiker", age=age, missing_for_h=1.0)


@pytest.mark.parametrize("hours", [-0.1, 720.5, math.nan, math.inf])
def test_subject_refuses_impossible_missing_time(hours: float) -> None:
    with pytest.raises(InvalidIntakeError, match=r"^missing-for:"):
        Subject(category="hiker", age=40, missing_for_h=hours)


def test_subject_accepts_zero_and_thirty_days() -> None:
    assert Subject(category="hiker", age=None, missing_for_h=0.0).missing_for_h == 0.0
    assert Subject(category="hiker", age=None, missing_for_h=720.0).missing_for_h == 720.0


def test_subject_refuses_unknown_category() -> None:
    with pytest.raises(UnknownCategoryError):
        Subject(category="wizard", age=30, missing_for_h=1.0)


def test_subject_refuses_age_outside_band() -> None:
    with pytest.raises(InvalidIntakeError, match="child_4_6"):
        Subject(category="child_4_6", age=9, missing_for_h=1.0)


def test_subject_from_intake_parses_text_and_numbers() -> None:
    s = subject_from_intake("child", age=4, missing_for="2h")
    assert (s.category, s.missing_for_h) == ("child_4_6", 2.0)
    s = subject_from_intake("Dementia", age=81, missing_for=5.5, name="Pat Example")
    assert (s.category, s.missing_for_h, s.name) == ("dementia", 5.5, "Pat Example")


def test_subject_from_intake_child_needs_age() -> None:
    with pytest.raises(InvalidIntakeError, match="needs --age"):
        subject_from_intake("child", age=None, missing_for="2h")


def test_subject_from_intake_bad_duration() -> None:
    with pytest.raises(InvalidIntakeError, match="missing-for"):
        subject_from_intake("hiker", age=30, missing_for="yesterday")
