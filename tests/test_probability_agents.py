"""The agent simulator: calibration, determinism, the POA contract, bad input."""

from __future__ import annotations

import dataclasses
import itertools

import numba
import numpy as np
import pytest

from wayhome.errors import InvalidParameterError, TerrainRequiredError
from wayhome.geo.grid import GridSpec
from wayhome.geo.layers import LayerKind
from wayhome.geo.terrain import Terrain
from wayhome.geo.travel import LayerMasks
from wayhome.probability import agents as agents_module
from wayhome.probability.agents import (
    AgentSettings,
    Movement,
    calibrate_budget,
    movement_for,
    poa_agents,
    poa_agents_converged,
    poa_from_run,
    scene_from_terrain,
    simulate_agents,
    simulate_tracks,
)
from wayhome.probability.calibration import calibration_markdown, calibration_rows
from wayhome.subject import BehaviourMix, behaviour_mix_for, profile_for


def _hills(grid: GridSpec) -> Terrain:
    xs, ys = grid.centers()
    xx, yy = np.meshgrid(xs - xs.mean(), ys - ys.mean())
    z = 600.0 + 150.0 * np.sin(xx / 700.0) * np.cos(yy / 900.0) + 0.02 * xx
    return Terrain(grid, z.astype(np.float32))


@pytest.fixture(scope="module")
def hills() -> tuple[GridSpec, Terrain, LayerMasks]:
    grid = GridSpec.centered_on(
        500_000.0, 4_000_000.0, crs="EPSG:32616", resolution=30.0, extent_m=8_000.0
    )
    n = grid.shape[0]
    trail = np.zeros(grid.shape, dtype=bool)
    trail[n // 2, :] = True
    lake = np.zeros(grid.shape, dtype=bool)
    lake[n // 2 + 10 : n // 2 + 40, n // 2 - 15 : n // 2 + 15] = True
    return grid, _hills(grid), LayerMasks(grid, {LayerKind.TRAIL: trail, LayerKind.WATER: lake})


@pytest.mark.slow
def test_calibration_matches_isrid_on_level_ground(capsys: pytest.CaptureFixture[str]) -> None:
    """Every category with published quartiles: simulated within 15 % on level ground."""
    rows = calibration_rows(n_agents=20_000, resolution_m=30.0)
    with capsys.disabled():
        print("\n" + calibration_markdown(rows, title="Level ground, 30 m cells, no time limit"))
    assert len(rows) >= 30
    bad = [(r.category, round(r.worst_error, 3)) for r in rows if not r.worst_error <= 0.15]
    assert bad == []


def test_same_seed_same_map_with_one_or_two_threads(
    hills: tuple[GridSpec, Terrain, LayerMasks],
) -> None:
    grid, terrain, masks = hills
    prof = profile_for("hiker")
    ipp = grid.xy(grid.shape[0] // 2, grid.shape[1] // 2)
    settings = AgentSettings(n_agents=20_000, seed=7, night_start_h=2.0)
    if numba.config.NUMBA_NUM_THREADS < 2:  # type: ignore[attr-defined]
        pytest.fail("numba has fewer than 2 threads; this test needs the 2-core machine")
    before = numba.get_num_threads()
    maps = []
    try:
        for threads in (1, 2):
            numba.set_num_threads(threads)
            maps.append(
                poa_agents(
                    grid,
                    ipp,
                    prof,
                    terrain=terrain,
                    masks=masks,
                    missing_for_h=6.0,
                    settings=settings,
                )
            )
            tw = dataclasses.replace(settings, time_weighted=True)
            maps.append(
                poa_agents(
                    grid, ipp, prof, terrain=terrain, masks=masks, missing_for_h=6.0, settings=tw
                )
            )
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(maps[0].cells, maps[2].cells)
    np.testing.assert_array_equal(maps[1].cells, maps[3].cells)
    assert maps[0].rest_of_world == maps[2].rest_of_world
    other_seed = poa_agents(
        grid,
        ipp,
        prof,
        terrain=terrain,
        masks=masks,
        missing_for_h=6.0,
        settings=dataclasses.replace(settings, seed=8),
    )
    assert not np.array_equal(other_seed.cells, maps[0].cells)


def test_chunking_does_not_change_the_result(hills: tuple[GridSpec, Terrain, LayerMasks]) -> None:
    grid, terrain, masks = hills
    prof = profile_for("dementia")
    scene = scene_from_terrain(grid, grid.xy(100, 100), terrain=terrain, masks=masks)
    a = simulate_agents(
        scene, prof, missing_for_h=4.0, settings=AgentSettings(n_agents=5_000, seed=3)
    )
    b = simulate_agents(
        scene, prof, missing_for_h=4.0, settings=AgentSettings(n_agents=5_000, seed=3, chunk=700)
    )
    np.testing.assert_array_equal(a.counts, b.counts)
    assert a.steps == b.steps and a.left_map == b.left_map


def test_poa_contract_and_barriers(hills: tuple[GridSpec, Terrain, LayerMasks]) -> None:
    grid, terrain, masks = hills
    poa = poa_agents(
        grid,
        grid.xy(grid.shape[0] // 2, grid.shape[1] // 2),
        profile_for("hiker"),
        terrain=terrain,
        masks=masks,
        missing_for_h=12.0,
        settings=AgentSettings(n_agents=30_000, seed=1),
    )
    assert poa.model == "agents"
    assert float(poa.cells.min()) >= 0.0
    assert abs(float(poa.cells.sum()) + poa.rest_of_world - 1.0) < 1e-9
    assert float(poa.cells[masks.impassable].sum()) == 0.0
    # hikers find the trail: the trail row holds far more than its share of the area
    n = grid.shape[0]
    band = poa.cells[n // 2 - 1 : n // 2 + 2].sum() / poa.cells.sum()
    assert band > 5 * (3 / n)


def test_time_missing_bounds_the_walk(hills: tuple[GridSpec, Terrain, LayerMasks]) -> None:
    grid, terrain, masks = hills
    prof = profile_for("child_4_6")
    ipp = grid.xy(grid.shape[0] // 2, grid.shape[1] // 2)
    poa = poa_agents(
        grid,
        ipp,
        prof,
        terrain=terrain,
        masks=masks,
        missing_for_h=1.0,
        settings=AgentSettings(n_agents=10_000, seed=2, smoothing_m=0.0),
    )
    reach_m = prof.speed_kmh * 1000.0 * 1.0 / 0.6 + 2 * grid.resolution  # fastest: on a trail
    far = grid.distance_from(*ipp) > reach_m
    assert float(poa.cells[far].sum()) == 0.0


def test_children_shelter_at_night(hills: tuple[GridSpec, Terrain, LayerMasks]) -> None:
    grid, terrain, masks = hills
    prof = profile_for("child_7_9")
    scene = scene_from_terrain(
        grid, grid.xy(130, 130), terrain=terrain, masks=masks, movement=movement_for("child_4_6")
    )
    night = simulate_agents(
        scene,
        prof,
        missing_for_h=10.0,
        movement=movement_for("child_4_6"),
        settings=AgentSettings(n_agents=5_000, seed=4, night_start_h=0.5),
    )
    day = simulate_agents(
        scene,
        prof,
        missing_for_h=10.0,
        movement=movement_for("child_4_6"),
        settings=AgentSettings(n_agents=5_000, seed=4),
    )
    assert night.steps < 0.5 * day.steps


def test_converged_map_meets_its_tolerance(hills: tuple[GridSpec, Terrain, LayerMasks]) -> None:
    grid, terrain, masks = hills
    poa, history = poa_agents_converged(
        grid,
        grid.xy(120, 140),
        profile_for("child_4_6"),
        terrain=terrain,
        masks=masks,
        missing_for_h=2.0,
        tolerance=0.02,
        n_start=4096,
    )
    assert history and history[-1][1] < 0.02
    assert all(n2 == 2 * n1 for (n1, _), (n2, _) in itertools.pairwise(history))
    assert poa.model == "agents"


def test_tracks_walk_cell_to_cell(hills: tuple[GridSpec, Terrain, LayerMasks]) -> None:
    grid, terrain, masks = hills
    scene = scene_from_terrain(grid, grid.xy(100, 100), terrain=terrain, masks=masks)
    tracks = simulate_tracks(scene, profile_for("hiker"), missing_for_h=3.0, n=5, seed=9)
    assert len(tracks) == 5
    for tr in tracks:
        assert tuple(tr.xy[0]) == pytest.approx(grid.xy(100, 100))
        assert np.all(np.diff(tr.t_s) >= 0) and tr.t_s[-1] <= 3 * 3600 + 1e-6
        step = np.abs(np.diff(tr.xy, axis=0)).max(axis=1) if len(tr.xy) > 1 else np.zeros(0)
        assert np.all(step <= grid.resolution + 1e-6)


def test_calibrated_budget_is_increasing() -> None:
    for cat in ("hiker", "child_1_3", "dementia", "vehicle"):
        u, log_s = calibrate_budget(profile_for(cat), behaviour_mix_for(cat), movement_for(cat))
        assert np.all(np.diff(u) > 0) and np.all(np.diff(log_s) >= 0)


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (lambda: AgentSettings(n_agents=0), "agents"),
        (lambda: AgentSettings(n_agents=-5), "agents"),
        (lambda: AgentSettings(seed=-1), "seed"),
        (lambda: AgentSettings(night_start_h=-1.0), "night"),
        (lambda: BehaviourMix(0.5, 0.2, 0.2, 0.0, 0.0, 0.0), "sum"),
    ],
)
def test_bad_settings_are_refused(make: object, needle: str) -> None:
    with pytest.raises(InvalidParameterError, match=needle):
        make()  # type: ignore[operator]


def test_bad_runs_are_refused(hills: tuple[GridSpec, Terrain, LayerMasks]) -> None:
    grid, terrain, masks = hills
    n = grid.shape[0]
    prof = profile_for("hiker")
    with pytest.raises(InvalidParameterError, match="missing-for"):
        poa_agents(grid, grid.xy(10, 10), prof, terrain=terrain, missing_for_h=0.0)
    with pytest.raises(InvalidParameterError, match="missing-for"):
        poa_agents(grid, grid.xy(10, 10), prof, terrain=terrain, missing_for_h=-2.0)
    with pytest.raises(TerrainRequiredError, match="elevation"):
        poa_agents(grid, grid.xy(10, 10), prof, terrain=None, missing_for_h=2.0)
    with pytest.raises(
        InvalidParameterError,
        match=r"impassable.*nearest passable cell, e\.g\. "
        r"-?\d+\.\d+,-?\d+\.\d+",
    ):
        poa_agents(
            grid,
            grid.xy(n // 2 + 20, n // 2),
            prof,
            terrain=terrain,
            masks=masks,
            missing_for_h=2.0,
        )
    with pytest.raises(InvalidParameterError, match="abduction"):
        poa_agents(
            grid, grid.xy(10, 10), profile_for("abduction"), terrain=terrain, missing_for_h=2.0
        )


def _flat_scene(extent_m: float = 6_000.0) -> agents_module.Scene:
    grid = GridSpec.centered_on(
        500_000.0, 4_000_000.0, crs="EPSG:32616", resolution=30.0, extent_m=extent_m
    )
    return scene_from_terrain(grid, grid.xy(*(n // 2 for n in grid.shape)), terrain=None)


def _knots(seconds: float) -> tuple[np.ndarray, np.ndarray]:
    """A moving-time budget of exactly ``seconds`` for every agent."""
    return np.array([0.0, 1.0]), np.log(np.array([seconds, seconds]))


STAY_PUT = BehaviourMix(0, 0, 0, 1, 0, 0, source="test: everyone stays put")
RANDOM_WALK = BehaviourMix(1, 0, 0, 0, 0, 0, source="test: random walk only")


@pytest.mark.parametrize(
    "mix",
    [
        STAY_PUT,
        BehaviourMix(0, 0, 0, 0, 0, 1, source="bt=1"),
        BehaviourMix(0, 0, 0, 0, 1, 0, source="ve=1"),
        BehaviourMix(0, 0, 0, 0.5, 0.3, 0.2, source="no walking share"),
    ],
    ids=["sp", "bt", "ve", "sp-ve-bt"],
)
def test_mix_without_walking_is_refused_not_hung(mix: BehaviourMix) -> None:
    # Calibration used to loop forever: nobody ever spent a moving-time budget.
    prof = profile_for("hiker")
    with pytest.raises(InvalidParameterError, match="mix: random walk, route travel"):
        calibrate_budget(prof, mix, movement_for("hiker"))
    with pytest.raises(InvalidParameterError, match="mix"):
        simulate_agents(_flat_scene(), prof, missing_for_h=None, mix=mix)


@pytest.mark.parametrize("missing_for_h", [None, 2.0])
def test_kernel_loop_is_capped(missing_for_h: float | None) -> None:
    # Stay-put dwells of 0 s never advance the clock: without the step cap this hangs.
    run = simulate_agents(
        _flat_scene(),
        profile_for("hiker"),
        missing_for_h=missing_for_h,
        mix=STAY_PUT,
        movement=Movement(stay_put_dwell_s=0.0),
        settings=AgentSettings(n_agents=2, smoothing_m=0.0),
        knots=_knots(600.0),
    )
    assert run.counts.sum() == 2 and run.steps == 0


def test_time_weighted_counts_are_agents_and_keep_the_time_after_the_walk() -> None:
    # Budgets of 10 min in 3 h: the time after the walk used to be lost (and counts were
    # milliseconds, compared with an agent count by the adaptive smoothing).
    scene = _flat_scene()
    n = 500
    run = simulate_agents(
        scene,
        profile_for("hiker"),
        missing_for_h=3.0,
        mix=RANDOM_WALK,
        settings=AgentSettings(n_agents=n, seed=1, time_weighted=True),
        knots=_knots(600.0),
    )
    assert run.left_map == 0
    assert run.counts.sum() == pytest.approx(n, rel=1e-5)
    assert run.counts[scene.start] < 0.2 * n  # they did walk away from the IPP


def test_time_weighted_map_of_agents_that_never_move_is_the_end_map() -> None:
    scene = _flat_scene()
    maps = []
    for tw in (False, True):
        run = simulate_agents(
            scene,
            profile_for("hiker"),
            missing_for_h=2.0,
            mix=STAY_PUT,
            settings=AgentSettings(n_agents=50, time_weighted=tw),
            knots=_knots(600.0),
        )
        maps.append(poa_from_run(run, scene, smoothing_m=45.0))
    np.testing.assert_allclose(maps[1].cells, maps[0].cells, atol=1e-9)


def test_time_weighted_needs_a_time_missing() -> None:
    with pytest.raises(InvalidParameterError, match="missing-for: a time-weighted map"):
        simulate_agents(
            _flat_scene(),
            profile_for("hiker"),
            missing_for_h=None,
            settings=AgentSettings(n_agents=10, time_weighted=True),
            knots=_knots(600.0),
        )


def test_every_night_falls_not_only_the_first(monkeypatch: pytest.MonkeyPatch) -> None:
    # 20 h of walking in 60 h, sheltering every night (1-13 h, 25-37 h, 49-61 h): no
    # agent may walk at night; before, only the first night was simulated.
    monkeypatch.setattr(agents_module, "calibrate_budget", lambda *a: _knots(20 * 3600.0))
    scene = _flat_scene(extent_m=12_000.0)
    tracks = simulate_tracks(
        scene,
        profile_for("hiker"),
        missing_for_h=60.0,
        n=10,
        seed=5,
        mix=RANDOM_WALK,
        movement=Movement(night_speed=0.0, stay_put_tau_h=1_000.0),
        night_start_h=1.0,
    )
    t = np.concatenate([tr.t_s[1:] for tr in tracks]) / 3600.0
    phase = (t - 1.0) % 24.0
    at_night = (t > 1.0) & (phase > 0.1) & (phase < 12.0)  # 0.1 h: a step begun at dusk
    assert not at_night.any(), np.sort(t[at_night])[:5]
    assert (t > 37.0).sum() > 100  # they walk on the third day
