"""Tests for wayhome.search.detection and ``data/sweep_widths.csv``."""

from __future__ import annotations

import csv
import io
import math
from importlib import resources

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wayhome.errors import InvalidParameterError
from wayhome.search.detection import (
    FATIGUE_FLOOR,
    RESOURCE_TYPES,
    TEAM_GAIN,
    VEGETATION,
    SweepWidth,
    _mean_fatigue,
    coverage,
    cumulative_pod,
    effort_m2,
    fatigue_factor,
    pod_exponential,
    pod_for_effort,
    pod_inverse_cube,
    sweep_width,
)

KINDS = ("measured", "derived", "assumption")
coverages = st.floats(min_value=0.0, max_value=50.0, allow_nan=False)
probabilities = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
positive = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False)


def _rows() -> list[dict[str, str]]:
    path = resources.files("wayhome.search") / "data" / "sweep_widths.csv"
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


# --- the packaged table ------------------------------------------------------------------


def test_every_row_has_a_source_a_kind_and_cites_its_speed() -> None:
    for row in _rows():
        label = f"{row['resource']}/{row['vegetation']}/{row['light']}"
        assert row["source"].startswith("width: "), label
        assert "speed: " in row["source"], label
        kind = row["notes"].split(":", 1)[0]
        assert kind in KINDS, label
        # Only measured widths may cite a figure without the "wayhome assumption" label.
        labelled = row["source"].startswith("width: wayhome assumption")
        assert labelled == (kind != "measured"), label
        if kind == "derived":
            assert "derived from" in row["source"], label


def test_every_resource_vegetation_light_exists_once() -> None:
    keys = [(r["resource"], r["vegetation"], r["light"]) for r in _rows()]
    expected = {(r, v, lt) for r in RESOURCE_TYPES for v in VEGETATION for lt in ("day", "night")}
    assert len(keys) == len(set(keys)) == len(expected)
    assert set(keys) == expected


@pytest.mark.parametrize("resource", RESOURCE_TYPES)
@pytest.mark.parametrize("vegetation", VEGETATION)
@pytest.mark.parametrize("night", [False, True])
def test_every_lookup_is_cited_and_valid(resource: str, vegetation: str, night: bool) -> None:
    w = sweep_width(resource, vegetation=vegetation, night=night)
    assert (w.resource, w.vegetation, w.night) == (resource, vegetation, night)
    assert w.width_m >= 0.0 and w.speed_kmh > 0.0
    assert w.source.strip()


def test_measured_figures_are_the_published_ones() -> None:
    assert sweep_width("ground_grid").width_m == 64.0
    assert sweep_width("ground_grid", night=True).width_m == 22.0
    assert sweep_width("dog_air_scent").width_m == 95.0
    assert sweep_width("ground_grid", vegetation="dense").width_m == 17.0  # USCG 2004 low end


@pytest.mark.parametrize("resource", ["ground_hasty", "ground_grid"])
@pytest.mark.parametrize("vegetation", VEGETATION)
def test_night_is_narrower_than_day_for_ground_searchers(resource: str, vegetation: str) -> None:
    day = sweep_width(resource, vegetation=vegetation)
    night = sweep_width(resource, vegetation=vegetation, night=True)
    assert night.width_m < day.width_m
    assert night.speed_kmh <= day.speed_kmh


@pytest.mark.parametrize("resource", RESOURCE_TYPES)
@pytest.mark.parametrize("night", [False, True])
def test_widths_do_not_grow_with_denser_vegetation(resource: str, night: bool) -> None:
    widths = [sweep_width(resource, vegetation=v, night=night).width_m for v in VEGETATION]
    assert widths == sorted(widths, reverse=True)


@pytest.mark.parametrize("vegetation", VEGETATION)
def test_thermal_beats_daylight_camera_at_night(vegetation: str) -> None:
    thermal = sweep_width("drone_thermal", vegetation=vegetation, night=True)
    rgb = sweep_width("drone_rgb", vegetation=vegetation, night=True)
    assert thermal.width_m > rgb.width_m


def test_hasty_sound_ranges_are_not_counted_as_sweep_width() -> None:
    for vegetation in VEGETATION:
        for night in (False, True):
            hasty = sweep_width("ground_hasty", vegetation=vegetation, night=night)
            grid = sweep_width("ground_grid", vegetation=vegetation, night=night)
            assert hasty.width_m == grid.width_m < 300.0


# --- lookup errors and team size --------------------------------------------------------


def test_unknown_resource_message_lists_known_ones() -> None:
    with pytest.raises(InvalidParameterError) as info:
        sweep_width("foo")
    message = str(info.value)
    assert message.startswith("resource: unknown 'foo'; known: ground_hasty, ground_grid")
    assert all(r in message for r in RESOURCE_TYPES)


def test_unknown_vegetation_message_lists_known_ones() -> None:
    with pytest.raises(InvalidParameterError, match="vegetation: unknown 'jungle'; known: open"):
        sweep_width("ground_grid", vegetation="jungle")


def test_resource_names_are_normalised() -> None:
    assert sweep_width(" Ground Grid ") == sweep_width("ground_grid")
    assert sweep_width("dog-air-scent") == sweep_width("dog_air_scent")


@pytest.mark.parametrize("bad", [0, -1])
def test_team_size_below_one_is_refused(bad: int) -> None:
    with pytest.raises(InvalidParameterError, match="team_size"):
        sweep_width("ground_grid", team_size=bad)


def test_team_width_is_per_searcher_with_koester_gain() -> None:
    one = sweep_width("ground_grid")
    for n in (2, 3, 5):
        member = sweep_width("ground_grid", team_size=n)
        assert member.width_m * n == pytest.approx(one.width_m * TEAM_GAIN)
        assert "team of" in member.source
    dog = sweep_width("dog_air_scent", team_size=2)
    assert dog.width_m * 2 == pytest.approx(sweep_width("dog_air_scent").width_m)


def test_sweep_width_validates() -> None:
    with pytest.raises(InvalidParameterError, match="width_m"):
        SweepWidth("x", "open", False, -1.0, 1.0, "s")
    with pytest.raises(InvalidParameterError, match="speed_kmh"):
        SweepWidth("x", "open", False, 1.0, 0.0, "s")
    with pytest.raises(InvalidParameterError, match="source"):
        SweepWidth("x", "open", False, 1.0, 1.0, " ")


# --- coverage and POD -------------------------------------------------------------------


@given(c=coverages)
def test_pods_are_probabilities(c: float) -> None:
    for pod in (pod_exponential(c), pod_inverse_cube(c)):
        assert 0.0 <= pod <= 1.0


@given(a=coverages, b=coverages)
def test_pods_are_monotone_in_coverage(a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    assert pod_exponential(lo) <= pod_exponential(hi)
    assert pod_inverse_cube(lo) <= pod_inverse_cube(hi)


@given(c=coverages)
def test_exponential_is_the_conservative_curve(c: float) -> None:
    assert pod_exponential(c) <= pod_inverse_cube(c) + 1e-12


def test_pod_reference_values() -> None:
    assert pod_exponential(1.0) == pytest.approx(1 - math.exp(-1))
    assert pod_inverse_cube(1.0) == pytest.approx(math.erf(math.sqrt(math.pi) / 2))
    got = pod_exponential(np.array([0.0, 1.0, 2.0, 3.0]))
    assert isinstance(got, np.ndarray)
    assert np.round(got, 2).tolist() == [0.0, 0.63, 0.86, 0.95]


@given(w=positive, length=positive, area=positive, k=st.floats(0.01, 100.0))
def test_coverage_is_linear_in_length_and_width(
    w: float, length: float, area: float, k: float
) -> None:
    base = coverage(w, length, area)
    assert coverage(w, k * length, area) == pytest.approx(k * base, rel=1e-9)
    assert coverage(k * w, length, area) == pytest.approx(k * base, rel=1e-9)
    assert coverage(w, length, area) == pytest.approx(w * length / area, rel=1e-12)


def test_coverage_broadcasts_arrays() -> None:
    got = coverage(np.array([10.0, 20.0]), 100.0, np.array([1000.0, 4000.0]))
    assert isinstance(got, np.ndarray)
    assert got.tolist() == [1.0, 0.5]


@pytest.mark.parametrize("area", [0.0, -5.0, math.nan])
def test_zero_area_is_refused(area: float) -> None:
    with pytest.raises(InvalidParameterError, match="area: segment"):
        coverage(10.0, 10.0, area)
    with pytest.raises(InvalidParameterError, match="area: segment"):
        pod_for_effort(100.0, area)


def test_zero_area_in_an_array_names_the_segment() -> None:
    with pytest.raises(InvalidParameterError, match=r"segment at index 1 has zero area"):
        coverage(10.0, 10.0, np.array([5.0, 0.0]))


@pytest.mark.parametrize("bad", [-0.1, math.nan, math.inf])
def test_bad_coverage_is_refused(bad: float) -> None:
    with pytest.raises(InvalidParameterError, match="coverage"):
        pod_exponential(bad)
    with pytest.raises(InvalidParameterError, match="coverage"):
        pod_inverse_cube(bad)


def test_negative_width_length_effort_are_refused() -> None:
    with pytest.raises(InvalidParameterError, match="width_m"):
        coverage(-1.0, 10.0, 10.0)
    with pytest.raises(InvalidParameterError, match="length_m"):
        coverage(1.0, -10.0, 10.0)
    with pytest.raises(InvalidParameterError, match="effort_m2"):
        pod_for_effort(-1.0, 10.0)


# --- cumulative POD ---------------------------------------------------------------------


@given(pods=st.lists(probabilities, max_size=8))
def test_cumulative_pod_bounds(pods: list[float]) -> None:
    total = cumulative_pod(pods)
    assert 0.0 <= total <= 1.0
    assert total >= max(pods, default=0.0) - 1e-12


@given(pods=st.lists(probabilities, max_size=8), data=st.data())
def test_cumulative_pod_is_order_independent(pods: list[float], data: st.DataObject) -> None:
    shuffled = data.draw(st.permutations(pods))
    assert cumulative_pod(shuffled) == pytest.approx(cumulative_pod(pods), abs=1e-12)


@given(cs=st.lists(coverages, max_size=8))
def test_cumulative_exponential_passes_equal_summed_coverage(cs: list[float]) -> None:
    combined = cumulative_pod(pod_exponential(c) for c in cs)
    assert combined == pytest.approx(pod_exponential(math.fsum(cs)), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("bad", [-0.01, 1.01, 63.0, math.nan])
def test_cumulative_pod_refuses_non_probabilities(bad: float) -> None:
    with pytest.raises(InvalidParameterError, match="position 1"):
        cumulative_pod([0.5, bad])


def test_cumulative_pod_with_a_certain_search() -> None:
    assert cumulative_pod([0.2, 1.0, 0.3]) == 1.0


# --- fatigue and effort -----------------------------------------------------------------


@given(h=st.floats(0.0, 200.0))
def test_fatigue_factor_is_in_floor_to_one(h: float) -> None:
    assert 0.0 < FATIGUE_FLOOR <= fatigue_factor(h) <= 1.0


@given(a=st.floats(0.0, 200.0), b=st.floats(0.0, 200.0))
def test_fatigue_factor_is_non_increasing(a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    assert fatigue_factor(hi) <= fatigue_factor(lo)


def test_fatigue_anchor_points() -> None:
    assert fatigue_factor(0.0) == fatigue_factor(4.0) == 1.0
    assert fatigue_factor(8.0) == pytest.approx(0.9)
    assert fatigue_factor(1000.0) == FATIGUE_FLOOR


@pytest.mark.parametrize("hours", [0.5, 4.0, 6.0, 12.0, 30.0, 72.0])
def test_mean_fatigue_is_the_average_of_the_factor(hours: float) -> None:
    t = np.linspace(0.0, hours, 200_001)
    numeric = float(np.mean([fatigue_factor(float(x)) for x in t[::100]]))
    assert _mean_fatigue(hours) == pytest.approx(numeric, abs=2e-3)


@pytest.mark.parametrize("bad", [-1.0, -1e-9, math.nan])
def test_negative_hours_are_refused(bad: float) -> None:
    with pytest.raises(InvalidParameterError, match="hours"):
        fatigue_factor(bad)
    with pytest.raises(InvalidParameterError, match="hours"):
        effort_m2(sweep_width("ground_grid"), searchers=1, hours=bad)


def test_searchers_below_one_are_refused() -> None:
    with pytest.raises(InvalidParameterError, match="searchers"):
        effort_m2(sweep_width("ground_grid"), searchers=0, hours=1.0)


@given(hours=st.floats(0.0, 48.0), searchers=st.integers(1, 50))
def test_effort_is_width_speed_hours_searchers(hours: float, searchers: int) -> None:
    w = sweep_width("ground_grid", vegetation="open")
    plain = effort_m2(w, searchers=searchers, hours=hours, fatigue=False)
    assert plain == pytest.approx(w.width_m * w.speed_kmh * 1000.0 * hours * searchers)
    tired = effort_m2(w, searchers=searchers, hours=hours)
    assert FATIGUE_FLOOR * plain - 1e-9 <= tired <= plain + 1e-9


def test_pod_for_effort_matches_coverage() -> None:
    w = sweep_width("ground_grid")
    effort = effort_m2(w, searchers=2, hours=3.0)
    area = 500_000.0
    assert pod_for_effort(effort, area) == pytest.approx(pod_exponential(effort / area))
    assert pod_for_effort(0.0, area) == 0.0


def test_no_credit_width_gives_zero_pod() -> None:
    rgb_night = sweep_width("drone_rgb", night=True)
    assert rgb_night.width_m == 0.0
    assert pod_for_effort(effort_m2(rgb_night, searchers=1, hours=2.0), 1e6) == 0.0
