"""Tests for wayhome.subject.profiles and the packaged ISRID data."""

from __future__ import annotations

import csv
import dataclasses
import io
import itertools
import math
from importlib import resources

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import wayhome.subject
from wayhome.errors import InvalidParameterError, UnknownCategoryError
from wayhome.subject import (
    TERRAIN_CLASSES,
    DistanceQuantiles,
    Lognormal,
    Profile,
    categories,
    fit_lognormal,
    profile_for,
)

DATA = resources.files("wayhome.subject") / "data"
CSV_FILES = sorted(p.name for p in DATA.iterdir() if p.name.endswith(".csv"))
CELLS = [(c, t) for c in categories() for t in TERRAIN_CLASSES]


def _rows(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((DATA / name).read_text(encoding="utf-8"))))


def _cell(
    q25: float | None, q50: float | None, q75: float | None, q95: float | None
) -> DistanceQuantiles:
    return DistanceQuantiles(q25, q50, q75, q95, n=10, terrain="x", source="s", verification="v")


# ------------------------------------------------------------------ public surface
def test_public_api_is_pinned() -> None:
    assert set(wayhome.subject.__all__) == {
        "BEHAVIOURS",
        "BehaviourMix",
        "behaviour_mix_for",
        "CHILD_BANDS", "MAX_MISSING_H", "TERRAIN_CLASSES", "DistanceQuantiles", "Lognormal",
        "Profile", "Subject", "Tendencies", "categories", "fit_lognormal", "parse_duration_h",
        "profile_for", "resolve_category", "subject_from_intake",
    }  # fmt: skip
    for name in wayhome.subject.__all__:
        assert hasattr(wayhome.subject, name)


# ------------------------------------------------------------------ packaged data
def test_all_expected_data_files_are_packaged() -> None:
    assert set(CSV_FILES) >= {
        "distance_quartiles.csv", "lognorm_params.csv", "dispersion.csv", "track_offsets.csv",
        "mobility.csv", "tendencies.csv", "speeds.csv", "ipp_mass.csv",
    }  # fmt: skip
    assert (DATA / "README.md").is_file()


@pytest.mark.parametrize("name", CSV_FILES)
def test_every_csv_row_cites_a_source(name: str) -> None:
    rows = _rows(name)
    assert rows, name
    for i, row in enumerate(rows, start=2):
        assert (row.get("source") or "").strip(), f"{name} line {i} has no source"


def test_distance_table_drops_flagged_rows_and_corrects_miles() -> None:
    rows = _rows("distance_quartiles.csv")
    assert len(rows) == 83
    assert not {r["verification"] for r in rows} & {"copy_error", "suspect_label"}
    conflict = {(r["subject_category"], r["terrain"]): r for r in rows if
                r["verification"] == "unit_conflict"}  # fmt: skip
    assert set(conflict) == {
        ("child_1_3", "urban"), ("snowmobiler", "temperate_flat"),
        ("snowmobiler", "dry_mountainous"), ("substance_abuse", "temperate"),
    }  # fmt: skip
    for r in conflict.values():
        assert "CORRECTED" in r["notes"]
    r = conflict[("child_1_3", "urban")]
    assert [r[c] for c in ("q25_km", "q50_km", "q75_km", "q95_km")] == ["0.2", "0.5", "0.8", "1.1"]
    assert not any(r["subject_category"] == "mental_illness" and r["terrain"] == "dry_mountainous"
                   for r in rows)  # fmt: skip


@pytest.mark.parametrize("name", ["tendencies.csv", "speeds.csv"])
def test_every_category_has_a_row(name: str) -> None:
    listed = [r["subject_category"] for r in _rows(name)]
    assert sorted(listed) == sorted(categories())


def test_tendency_assumptions_are_labelled() -> None:
    for r in _rows("tendencies.csv"):
        if "Jacobs" not in r["source"]:
            assert "wayhome assumption" in r["source"], r["subject_category"]


# ------------------------------------------------------------------ every category x terrain
@pytest.mark.parametrize(("category", "terrain"), CELLS)
def test_profile_for_every_category_and_terrain(category: str, terrain: str) -> None:
    p = profile_for(category, terrain=terrain)
    assert (p.category, p.terrain) == (category, terrain)
    assert len(p.quantiles.known()) >= 2
    # the fitted lognormal reproduces the ISRID median within 15 %
    assert p.quantiles.q50_km is not None
    assert p.distance.median_km() == pytest.approx(p.quantiles.q50_km, rel=0.15)
    # ... and its quantiles increase
    fitted = [p.distance.quantile_km(pr) for pr in (0.05, 0.25, 0.5, 0.75, 0.95, 0.99)]
    assert all(b > a for a, b in itertools.pairwise(fitted))
    # every fallback cell is explained in the notes
    if p.quantiles.terrain != terrain:
        assert any(f"used '{p.quantiles.terrain}'" in n for n in p.notes), p.notes
    assert 0 < p.ipp_mass < 1 and p.speed_kmh > 0
    assert p.citations() and len(set(p.citations())) == len(p.citations())
    assert p.quantiles.source in p.citations()


@pytest.mark.parametrize(("category", "terrain"), CELLS)
def test_fitted_quartiles_are_near_the_published_ones(category: str, terrain: str) -> None:
    p = profile_for(category, terrain=terrain)
    # ISRID quantiles are rounded to 0.1 km and some cells are not lognormal in shape
    # (horseback rider 0.3/3.2/8.1/19.8): the two-parameter fit anchored at the median
    # follows the upper tail closely and the lower quartile loosely.
    limit = {0.25: 5.0, 0.5: 1.15, 0.75: 3.0, 0.95: 2.0}
    for prob, km in p.quantiles.known():
        ratio = p.distance.quantile_km(prob) / km
        assert 1 / limit[prob] < ratio < limit[prob], (prob, km)
        if max(ratio, 1 / ratio) > 2:
            assert any("lognormal fit departs" in n for n in p.notes)


# ------------------------------------------------------------------ particular cells
def test_hiker_temperate_mountainous_is_the_isrid_cell() -> None:
    p = profile_for("Hiker")
    q = p.quantiles
    assert (q.q25_km, q.q50_km, q.q75_km, q.q95_km, q.n) == (1.1, 3.1, 5.8, 18.3, 568)
    assert (q.terrain, q.verification) == ("temperate_mountainous", "verified")
    assert p.mapscore is not None
    assert (p.mapscore.mu, p.mapscore.sigma) == (0.961967, 1.257948)
    assert p.tendencies.trail_attraction == 5.0 and "Jacobs" in p.tendencies.source
    assert p.tendencies.track_offset_m == (50.0, 100.0, 238.0, 424.0)
    assert p.dispersion_deg == (2.0, 23.0, 64.0, 132.0)
    assert p.ipp_mass == 0.10
    assert p.mobility_h is None
    assert any("mobility" in n for n in p.notes)


def test_child_profile_from_age() -> None:
    p = profile_for("child", age=4, terrain="temperate_flat")
    assert p.category == "child_4_6"
    assert (p.quantiles.q50_km, p.quantiles.n) == (0.6, 90)
    assert p.speed_kmh == 1.5
    assert "wayhome assumption" in p.tendencies.source
    assert p.tendencies.track_offset_m is None
    assert p.mapscore is not None and any("catch-all" in n for n in p.notes)


def test_autism_flat_falls_back_to_pooled_temperate() -> None:
    p = profile_for("autism", terrain="temperate_flat")
    assert p.quantiles.terrain == "temperate"
    assert "no usable temperate_flat distance cell for autism; used 'temperate' (n 20)" in p.notes
    assert p.mapscore is None
    assert p.dispersion_deg == (10.0, 30.0, 78.0, 144.0)
    assert any("all-category angles" in n for n in p.notes)


def test_median_only_cell_is_skipped_and_reported() -> None:
    p = profile_for("hiker", terrain="urban")
    assert p.quantiles.terrain == "temperate_mountainous"  # the cell with the most n
    assert any("urban' cell gives only q50 2.6 km (n 8)" in n for n in p.notes)


def test_dry_fallback_order_prefers_pooled_dry_then_sibling() -> None:
    assert profile_for("child_4_6", terrain="dry_flat").quantiles.terrain == "dry"
    p = profile_for("child_10_12", terrain="dry_flat")  # dry_flat has q75 only
    assert p.quantiles.terrain == "dry_mountainous"
    assert any("q75 3.2 km (n 7)" in n for n in p.notes)
    assert profile_for("hunter", terrain="dry_flat").quantiles.terrain == "dry_flat"


def test_temperate_fallback_to_sibling_then_all() -> None:
    assert profile_for("gatherer", terrain="temperate_flat").quantiles.terrain == (
        "temperate_mountainous"
    )
    assert profile_for("vehicle", terrain="temperate_flat").quantiles.terrain == "all"


def test_mapscore_dry_children_use_the_dry_fit() -> None:
    p = profile_for("child_7_9", terrain="dry_mountainous")
    assert p.mapscore is not None and p.mapscore.mu == pytest.approx(0.077083)
    assert profile_for("hunter").mapscore is None


def test_verification_problems_are_noted() -> None:
    p = profile_for("dementia", terrain="temperate_flat")
    assert any("disagree" in n and "0.97" in n for n in p.notes)
    p = profile_for("child_1_3", terrain="urban")
    assert p.quantiles.q50_km == 0.5
    assert any("unconverted miles" in n for n in p.notes)


def test_mobility_where_published() -> None:
    assert profile_for("despondent").mobility_h == (0.0, 2.0, 5.0, 20.0)
    assert profile_for("snowboarder").mobility_h == (6.0, 7.0, 13.0, 24.0)


def test_terrain_spelling_is_forgiving_but_unknown_is_refused() -> None:
    assert profile_for("hiker", terrain="Temperate-Flat").terrain == "temperate_flat"
    with pytest.raises(InvalidParameterError) as info:
        profile_for("hiker", terrain="jungle")
    assert str(info.value).startswith("terrain: unknown 'jungle'")
    for t in TERRAIN_CLASSES:
        assert t in str(info.value)


def test_profile_for_unknown_category() -> None:
    with pytest.raises(UnknownCategoryError, match="valid: "):
        profile_for("wizard")


def test_profile_is_frozen_and_validated() -> None:
    p = profile_for("hiker")
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.speed_kmh = 9.0  # type: ignore[misc]
    with pytest.raises(InvalidParameterError, match="speed_kmh"):
        dataclasses.replace(p, speed_kmh=0.0)
    with pytest.raises(InvalidParameterError, match="ipp_mass"):
        dataclasses.replace(p, ipp_mass=1.0)
    with pytest.raises(InvalidParameterError, match="terrain"):
        dataclasses.replace(p, terrain="temperate")
    with pytest.raises(InvalidParameterError, match="dispersion_deg"):
        dataclasses.replace(p, dispersion_deg=(10.0, 5.0, 20.0, 30.0))
    assert isinstance(p, Profile)


# ------------------------------------------------------------------ fit_lognormal
def test_fit_needs_two_quantiles() -> None:
    with pytest.raises(InvalidParameterError, match="at least two known quantiles"):
        fit_lognormal(_cell(None, 2.6, None, None))


def test_fit_without_median_is_plain_least_squares() -> None:
    d = fit_lognormal(_cell(1.0, None, 4.0, None))
    assert d.median_km() == pytest.approx(2.0)
    assert d.quantile_km(0.75) == pytest.approx(4.0)


def test_fit_is_anchored_at_the_median() -> None:
    d = fit_lognormal(_cell(3.2, 9.7, 10.5, 13.0))  # angler dry: unanchored misses by 33 %
    assert d.median_km() == pytest.approx(9.7)


def test_fit_clips_sigma() -> None:
    assert fit_lognormal(_cell(1.0, 1.0, 1.0, 1.0)).sigma == 0.05


def test_fit_recovers_an_exact_lognormal() -> None:
    true = Lognormal(mu=0.4, sigma=1.3, source="t")
    q = _cell(*(true.quantile_km(p) for p in (0.25, 0.5, 0.75, 0.95)))
    d = fit_lognormal(q)
    assert d.mu == pytest.approx(0.4)
    assert d.sigma == pytest.approx(1.3)


@pytest.mark.parametrize(
    "qs", [(2.0, 1.0, 3.0, 4.0), (0.0, 1.0, 2.0, 3.0), (-1.0, 1.0, 2.0, 3.0), (1, math.nan, 2, 3)]
)
def test_distance_quantiles_validation(qs: tuple[float, float, float, float]) -> None:
    with pytest.raises(InvalidParameterError, match="quantiles"):
        _cell(*qs)


# ------------------------------------------------------------------ Lognormal
@pytest.mark.parametrize(("mu", "sigma"), [(0.0, 0.0), (0.0, -1.0), (math.nan, 1.0)])
def test_lognormal_validation(mu: float, sigma: float) -> None:
    with pytest.raises(InvalidParameterError):
        Lognormal(mu=mu, sigma=sigma, source="t")


@pytest.mark.parametrize("p", [0.0, 1.0, -0.1, 1.5])
def test_quantile_outside_open_interval(p: float) -> None:
    with pytest.raises(InvalidParameterError, match="p: "):
        Lognormal(mu=0.0, sigma=1.0, source="t").quantile_km(p)


def test_lognormal_edges_and_vectorisation() -> None:
    d = Lognormal(mu=0.5, sigma=0.8, source="t")
    assert d.cdf(0.0) == 0.0 and d.cdf(-3.0) == 0.0 and d.pdf(0.0) == 0.0 and d.sf(-1.0) == 1.0
    assert math.isnan(d.cdf(math.nan))
    xs = np.array([-1.0, 0.0, 0.3, 1.0, 5.0, 50.0])
    for f in (d.cdf, d.sf, d.pdf):
        out = f(xs)
        assert isinstance(out, np.ndarray) and out.shape == xs.shape
        assert out.tolist() == [f(float(x)) for x in xs]
    assert np.allclose(d.cdf(xs) + d.sf(xs), 1.0)
    # density integrates to the cdf
    grid = np.linspace(1e-6, 10.0, 200_001)
    assert np.trapezoid(d.pdf(grid), grid) == pytest.approx(d.cdf(10.0), abs=1e-4)


mus = st.floats(-3.0, 3.0)
sigmas = st.floats(0.05, 3.0)


@given(mus, sigmas, st.lists(st.floats(-10.0, 1e4), min_size=2, max_size=20))
def test_cdf_is_monotone_and_in_unit_interval(mu: float, sigma: float, ds: list[float]) -> None:
    d = Lognormal(mu=mu, sigma=sigma, source="t")
    xs = np.sort(np.array(ds))
    c = d.cdf(xs)
    assert np.all((c >= 0.0) & (c <= 1.0))
    assert np.all(np.diff(c) >= 0.0)


@given(mus, sigmas, st.floats(-3.5, 3.5))
def test_quantile_inverts_cdf(mu: float, sigma: float, z: float) -> None:
    d = Lognormal(mu=mu, sigma=sigma, source="t")
    x = math.exp(mu + sigma * z)  # a distance within 3.5 sigma of the median
    assert d.quantile_km(d.cdf(x)) == pytest.approx(x, rel=1e-6)
