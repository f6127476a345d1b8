"""Ensembles of agent runs through Dask: a small one on a real local cluster."""

from __future__ import annotations

import math
import time

import pytest

from wayhome.errors import InvalidParameterError, UnknownCategoryError
from wayhome.geo.coords import LonLat
from wayhome.io.cases import Case
from wayhome.probability.ensemble import (
    Scenario,
    ScenarioResult,
    mix_grid,
    run_ensemble,
    run_scenario,
    scenario_from_case,
)
from wayhome.subject import BehaviourMix, behaviour_mix_for

#: Two mixes: the packaged hiker mix, and half random walk, half direction travel.
MIXES = (behaviour_mix_for("hiker"), BehaviourMix(0.5, 0, 0.5, 0, 0, 0, source="test"))
IPP = LonLat(lon=-110.9, lat=32.2)
FIND = LonLat(lon=-110.91, lat=32.21)


def _ensemble() -> list[Scenario]:
    """2 categories x 2 mixes, 2k agents each; the dementia runs score a find."""
    return [
        Scenario(
            f"{category}/mix {i}",
            category,
            missing_for_h=6.0 if category == "dementia" else None,
            mix=mix,
            n_agents=2_000,
            seed=7,
            ipp=IPP if category == "dementia" else None,
            find=FIND if category == "dementia" else None,
        )
        for category in ("hiker", "dementia")
        for i, mix in enumerate(MIXES)
    ]


def _check_quantiles(r: ScenarioResult) -> None:
    q = (r.q25_km, r.q50_km, r.q75_km, r.q95_km)
    assert 0 <= q[0] <= q[1] <= q[2] <= q[3]
    assert 0 <= r.rest_of_world <= 1
    assert r.steps > 0
    # A quantile beyond the box is infinite exactly when that many agents left it.
    assert math.isinf(r.q95_km) == (r.rest_of_world > 0.05)


@pytest.mark.slow
def test_a_small_ensemble_on_a_local_cluster_matches_direct_runs() -> None:
    scenarios = _ensemble()
    seen: list[tuple[int, int]] = []
    start = time.perf_counter()
    results = run_ensemble(
        scenarios, n_workers=2, processes=True, progress=lambda d, n: seen.append((d, n))
    )
    elapsed = time.perf_counter() - start
    assert [r.label for r in results] == [s.label for s in scenarios]
    assert seen[-1] == (4, 4)
    for s, r in zip(scenarios, results, strict=True):
        _check_quantiles(r)
        # Same numbers in a worker process as here: seeds, not processes, decide.
        assert r == run_scenario(s)
        assert (r.mapscore is not None) == (s.find is not None)
    hiker_walk, hiker_mix = results[1], results[0]
    assert hiker_walk != hiker_mix  # the mix reaches the kernel
    dementia = results[2]
    assert dementia.area_km2 is not None and dementia.area_km2 > 0
    assert dementia.mass is not None and 0 <= dementia.mass <= 1
    assert elapsed < 120


def test_an_unreachable_scheduler_is_a_wayhome_error_quickly() -> None:
    # Port 1 on loopback: nothing listens there, and nothing leaves the machine.
    start = time.perf_counter()
    with pytest.raises(InvalidParameterError, match=r"^scheduler: .*127\.0\.0\.1:1"):
        run_ensemble(_ensemble()[:1], scheduler="tcp://127.0.0.1:1", connect_timeout_s=1.0)
    assert time.perf_counter() - start < 15


@pytest.mark.parametrize("address", ["nonsense://x", "tcp://", ""])
def test_a_malformed_scheduler_address_is_refused_before_connecting(address: str) -> None:
    with pytest.raises(InvalidParameterError, match=r"^scheduler: .*tcp://10\.0\.0\.5:8786"):
        run_ensemble(_ensemble()[:1], scheduler=address)


def test_an_empty_ensemble_starts_no_cluster() -> None:
    assert run_ensemble([], scheduler="tcp://127.0.0.1:1") == []


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"n_workers": 0}, "n_workers"),
        ({"threads_per_worker": 0}, "threads_per_worker"),
        ({"connect_timeout_s": 0.0}, "connect_timeout_s"),
        ({"scheduler": "tcp://127.0.0.1:1", "n_workers": 2}, "n_workers"),
    ],
)
def test_ensemble_options_are_checked_before_any_cluster(
    kwargs: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidParameterError, match=f"^{field}: "):
        run_ensemble(_ensemble()[:1], **kwargs)  # type: ignore[arg-type]


def test_a_scenario_is_deterministic_and_its_quantiles_ordered() -> None:
    s = _ensemble()[2]
    a, b = run_scenario(s), run_scenario(s)
    assert a == b
    _check_quantiles(a)
    other_seed = run_scenario(Scenario(s.label, s.category, n_agents=2_000, seed=8))
    assert other_seed != run_scenario(Scenario(s.label, s.category, n_agents=2_000, seed=7))


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [
        ({"label": " "}, InvalidParameterError, "label"),
        ({"category": "wizard"}, UnknownCategoryError, ""),
        ({"category": "abduction"}, InvalidParameterError, "model"),
        ({"terrain_class": "moon"}, InvalidParameterError, "terrain"),
        ({"missing_for_h": -1.0}, InvalidParameterError, "missing_for_h"),
        ({"missing_for_h": math.nan}, InvalidParameterError, "missing_for_h"),
        ({"n_agents": 0}, InvalidParameterError, "n_agents"),
        ({"seed": -1}, InvalidParameterError, "seed"),
        ({"find": FIND}, InvalidParameterError, "find"),
        ({"resolution_m": 0.0}, InvalidParameterError, "resolution_m"),
        ({"box_km": 0.1}, InvalidParameterError, "box_km"),
        ({"box_km": 500.0}, InvalidParameterError, "box_km"),
    ],
)
def test_scenario_validation_names_the_field(
    kwargs: dict[str, object], error: type[Exception], field: str
) -> None:
    args: dict[str, object] = {"label": "s", "category": "hiker", **kwargs}
    with pytest.raises(error, match=f"^{field}" if field else None):
        Scenario(**args)  # type: ignore[arg-type]


def test_scenario_from_case_uses_evaluation_choices() -> None:
    case = Case(
        "t-1", "dev", "child", 5.0, 32.2, -110.9, 32.21, -110.91, 1.5,
        "dry", "flat", None, "ok", "yes",
    )  # fmt: skip
    s = scenario_from_case(case, n_agents=1_000)
    assert (s.label, s.category, s.terrain_class) == ("t-1", "child_4_6", "dry_flat")
    assert s.ipp == LonLat(lon=-110.9, lat=32.2)
    assert s.find == LonLat(lon=-110.91, lat=32.21)
    assert s.missing_for_h is None


def test_mix_grid_covers_the_simplex() -> None:
    mixes = mix_grid(0.25)
    assert len(mixes) == 15
    assert len(set(m.as_tuple() for m in mixes)) == 15
    for m in mixes:
        assert math.isclose(sum(m.as_tuple()), 1.0)
        assert m.as_tuple()[3:] == (0.0, 0.0, 0.0)
    all_six = mix_grid(0.5, behaviours=("rw", "rt", "dt", "sp", "ve", "bt"))
    assert len(all_six) == 21  # C(7, 5)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"step": 0.3}, "step"),
        ({"step": 0.0}, "step"),
        ({"step": math.inf}, "step"),
        ({"behaviours": ()}, "behaviours"),
        ({"behaviours": ("rw", "random_walk")}, "behaviours"),
        ({"behaviours": ("zz",)}, "behaviours"),
    ],
)
def test_mix_grid_rejects_bad_arguments(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidParameterError, match=f"^{field}: "):
        mix_grid(**kwargs)  # type: ignore[arg-type]
