"""Ensembles of agent simulations, run through Dask: many IPPs, categories, times, mixes.

A :class:`Scenario` is one run of the ``agents`` model (a category, a terrain class, a
time missing, a behaviour mix, a number of agents and a seed), optionally placed on a
real case (IPP and find point) to be scored as :mod:`wayhome.evaluation` scores maps.
:func:`run_scenario` runs one, as a pure function; :func:`run_ensemble` maps it over
many on a Dask cluster: a local one by default, or a remote scheduler when given. A
calibration sweep is the product of cases and :func:`mix_grid`.

Every scenario runs on level open ground: the cases carry no elevation data, and the
behaviour mix and the ISRID distance calibration are what an ensemble is for.
Results are deterministic for a seed, whichever worker or process runs them.
"""

from __future__ import annotations

import itertools
import logging
import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from wayhome.errors import InvalidParameterError
from wayhome.evaluation import BOX_KM, case_category, case_terrain_class, score_map
from wayhome.geo.coords import LonLat, to_crs, utm_crs_for
from wayhome.geo.grid import GridSpec
from wayhome.io.cases import Case
from wayhome.probability.agents import (
    AgentRun,
    AgentSettings,
    Scene,
    check_simulated,
    movement_for,
    poa_from_run,
    scene_from_terrain,
    simulate_agents,
)
from wayhome.subject import BEHAVIOURS, BehaviourMix, profile_for

if TYPE_CHECKING:
    from distributed import Client

__all__ = [
    "ENSEMBLE_RESOLUTION_M",
    "Scenario",
    "ScenarioResult",
    "mix_grid",
    "run_ensemble",
    "run_scenario",
    "scenario_from_case",
]

#: Cell size (m) of ensemble maps: coarser than a plan, as many runs share the machine.
ENSEMBLE_RESOLUTION_M = 50.0

#: Quantile levels of the agents' end distances (ISRID reports 25/50/75/95 %).
_LEVELS = (0.25, 0.5, 0.75, 0.95)
#: Grid CRS when a scenario has no IPP: level ground is the same everywhere.
_LOCAL_CRS = "EPSG:32631"
_LOCAL_ORIGIN = (500_000.0, 0.0)


@dataclass(frozen=True, slots=True)
class Scenario:
    """One agent simulation of an ensemble.

    Parameters
    ----------
    label : str
        Name carried into the result (a case id, ``"hiker/mix 3"``, ...).
    category : str
        ISRID category (anything :func:`~wayhome.subject.profile_for` accepts without an age).
    terrain_class : str
        One of :data:`~wayhome.subject.TERRAIN_CLASSES`; picks the ISRID distance table.
    missing_for_h : float or None
        Hours since last seen; ``None`` lets every agent walk its whole budget (the ISRID
        distances are where subjects were found, whenever that was).
    mix : BehaviourMix or None
        Behaviour mix; ``None`` is the category's packaged mix.
    n_agents, seed : int
        Simulated subjects and the random seed.
    ipp, find : LonLat or None
        A real case's last-seen and find points; with ``find`` the result scores the find.
    resolution_m, box_km : float
        Cell size and box width; agents that leave the box are the rest of world.

    Examples
    --------
    >>> Scenario("h", "hiker", missing_for_h=0.0)
    Traceback (most recent call last):
    ...
    wayhome.errors.InvalidParameterError: missing_for_h: must be > 0 h, or None for no time limit; got 0.0
    """  # noqa: E501

    label: str
    category: str
    terrain_class: str = "temperate_mountainous"
    missing_for_h: float | None = None
    mix: BehaviourMix | None = None
    n_agents: int = 20_000
    seed: int = 0
    ipp: LonLat | None = None
    find: LonLat | None = None
    resolution_m: float = ENSEMBLE_RESOLUTION_M
    box_km: float = BOX_KM

    def __post_init__(self) -> None:
        if not (isinstance(self.label, str) and self.label.strip()):
            raise InvalidParameterError(f"label: give each scenario a name, got {self.label!r}")
        # Unknown category or terrain class: fail here, not in a worker.
        check_simulated(profile_for(self.category, terrain=self.terrain_class).category)
        if self.missing_for_h is not None and not (
            math.isfinite(self.missing_for_h) and self.missing_for_h > 0
        ):
            raise InvalidParameterError(
                f"missing_for_h: must be > 0 h, or None for no time limit; got {self.missing_for_h}"
            )
        if not (isinstance(self.n_agents, int) and self.n_agents >= 1):
            raise InvalidParameterError(
                f"n_agents: must be a positive whole number, got {self.n_agents!r}"
            )
        if not (isinstance(self.seed, int) and 0 <= self.seed < 2**63):
            raise InvalidParameterError(f"seed: must be in 0..2^63-1, got {self.seed!r}")
        if self.find is not None and self.ipp is None:
            raise InvalidParameterError(
                "find: a find point needs the case's ipp too; give ipp=LonLat(...)"
            )
        if not (math.isfinite(self.resolution_m) and self.resolution_m > 0):
            raise InvalidParameterError(
                f"resolution_m: must be > 0 m, got {self.resolution_m}; "
                f"e.g. {ENSEMBLE_RESOLUTION_M:g}"
            )
        if not (math.isfinite(self.box_km) and 1000.0 * self.box_km >= 3 * self.resolution_m):
            raise InvalidParameterError(
                f"box_km: must be at least three cells wide, got {self.box_km}; e.g. {BOX_KM:g}"
            )
        cells = 1000.0 * self.box_km / self.resolution_m
        if cells > 4001:
            raise InvalidParameterError(
                f"box_km: {self.box_km:g} km at {self.resolution_m:g} m is {cells:.0f} cells a "
                "side (at most 4001); use coarser cells or a smaller box"
            )


@dataclass(frozen=True, slots=True)
class ScenarioResult:
    """What one scenario gave.

    Distances are straight lines (km, cell centre to cell centre) from the IPP to where
    the agents are at the end; an agent off the box counts as ``math.inf``, so a
    quantile beyond the box is ``inf``. The find scores are those of
    :func:`wayhome.evaluation.score_map` (``None`` without a find point). Equality
    ignores ``seconds``, so results of one scenario compare equal wherever it ran.
    """

    label: str
    q25_km: float
    q50_km: float
    q75_km: float
    q95_km: float
    rest_of_world: float
    """Share of the agents that left the box."""
    steps: int
    """Kernel steps of all the agents together (the work done)."""
    seconds: float = field(compare=False)
    """Wall-clock time of the run in its worker (calibration included)."""
    area_km2: float | None = None
    mass: float | None = None
    log_density: float | None = None
    mapscore: float | None = None


def scenario_from_case(
    case: Case,
    *,
    mix: BehaviourMix | None = None,
    n_agents: int = 20_000,
    seed: int = 0,
    label: str | None = None,
) -> Scenario:
    """A scenario scoring a real case, with the category and table evaluation picks.

    No time limit: the cases carry no time missing, and the ISRID distances the agents
    are calibrated to are distances at the find, whenever that was.
    """
    category, _ = case_category(case)
    return Scenario(
        label=label if label is not None else case.case_id,
        category=category,
        terrain_class=case_terrain_class(case, category),
        missing_for_h=None,
        mix=mix,
        n_agents=n_agents,
        seed=seed,
        ipp=LonLat(lon=case.ipp_lon, lat=case.ipp_lat),
        find=LonLat(lon=case.find_lon, lat=case.find_lat),
    )


@contextmanager
def _one_numba_thread() -> Iterator[None]:
    """Run numba kernels on this thread only (the setting is per thread): the cluster's
    workers are the parallelism, and they should not oversubscribe the cores."""
    import numba

    before = int(numba.get_num_threads())
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(before)


def run_scenario(s: Scenario) -> ScenarioResult:
    """Run one scenario on level ground and summarise it (pure; runs in a worker).

    Parameters
    ----------
    s : Scenario

    Returns
    -------
    ScenarioResult
        Deterministic for the scenario (``seconds`` apart) on any machine and thread count.
    """
    start = time.perf_counter()
    profile = profile_for(s.category, terrain=s.terrain_class)
    movement = movement_for(profile.category)
    if s.ipp is None:
        crs, ipp_xy = _LOCAL_CRS, _LOCAL_ORIGIN
    else:
        crs = utm_crs_for(s.ipp)
        ipp_xy = to_crs(s.ipp, crs)
    grid = GridSpec.centered_on(
        *ipp_xy, crs=crs, resolution=s.resolution_m, extent_m=1000.0 * s.box_km
    )
    scene = scene_from_terrain(grid, ipp_xy, terrain=None, movement=movement)
    # Smoothing of two cells, as the evaluation smooths its agents maps.
    settings = AgentSettings(n_agents=s.n_agents, seed=s.seed, smoothing_m=2 * s.resolution_m)
    with _one_numba_thread():
        run = simulate_agents(
            scene,
            profile,
            missing_for_h=s.missing_for_h,
            mix=s.mix,
            movement=movement,
            settings=settings,
        )
    q25, q50, q75, q95 = _end_distance_quantiles_km(run, scene)
    scores: tuple[float | None, ...] = (None, None, None, None)
    if s.find is not None:
        poa = poa_from_run(run, scene, smoothing_m=settings.smoothing_m)
        area, mass, log_d, mapscore, _ = score_map(poa, to_crs(s.find, crs))
        scores = (area, mass, log_d, mapscore)
    return ScenarioResult(
        s.label,
        q25,
        q50,
        q75,
        q95,
        run.left_map / run.n_agents,
        run.steps,
        time.perf_counter() - start,
        *scores,
    )


def _end_distance_quantiles_km(run: AgentRun, scene: Scene) -> tuple[float, float, float, float]:
    """Quantiles (inverted CDF: an actual agent's distance) of the end distances, with
    the agents off the box at infinity."""
    res = run.grid.resolution
    rr, cc = np.indices(run.grid.shape)
    dist = np.hypot((rr - scene.start[0]) * res, (cc - scene.start[1]) * res).ravel() / 1000.0
    counts = run.counts.ravel()
    occupied = counts > 0
    order = np.argsort(dist[occupied], kind="stable")
    d = np.append(dist[occupied][order], math.inf)
    cum = np.cumsum(np.append(counts[occupied][order], float(run.left_map)))
    idx = np.searchsorted(cum, np.asarray(_LEVELS) * run.n_agents, side="left")
    q = d[np.minimum(idx, d.size - 1)]
    return float(q[0]), float(q[1]), float(q[2]), float(q[3])


def run_ensemble(
    scenarios: Sequence[Scenario],
    *,
    scheduler: str | None = None,
    n_workers: int | None = None,
    threads_per_worker: int = 1,
    processes: bool = True,
    connect_timeout_s: float = 30.0,
    progress: Callable[[int, int], None] | None = None,
) -> list[ScenarioResult]:
    """Run scenarios on a Dask cluster; results in the order of ``scenarios``.

    Parameters
    ----------
    scenarios : sequence of Scenario
    scheduler : str, optional
        Address of a running Dask scheduler (``"tcp://10.0.0.5:8786"``). ``None`` starts
        a local cluster on this machine (loopback only, no dashboard) and closes it after.
    n_workers, threads_per_worker, processes
        Local cluster only: workers (``None``: one per ``threads_per_worker`` cores),
        threads each, and whether workers are processes (the default: numba and numpy
        release the GIL, but separate processes also keep the calibration caches apart).
    connect_timeout_s : float
        How long to try reaching ``scheduler``.
    progress : callable, optional
        Called with (scenarios done, total) as they finish.

    Returns
    -------
    list of ScenarioResult

    Raises
    ------
    InvalidParameterError
        The scheduler cannot be reached (or its address is malformed), or a local-cluster
        option is given with a remote scheduler, or an option is out of range.
    """
    if n_workers is not None and not (isinstance(n_workers, int) and n_workers >= 1):
        raise InvalidParameterError(f"n_workers: must be >= 1 or None, got {n_workers}")
    if not (isinstance(threads_per_worker, int) and threads_per_worker >= 1):
        raise InvalidParameterError(f"threads_per_worker: must be >= 1, got {threads_per_worker}")
    if not (math.isfinite(connect_timeout_s) and connect_timeout_s > 0):
        raise InvalidParameterError(f"connect_timeout_s: must be > 0 s, got {connect_timeout_s}")
    if scheduler is not None and n_workers is not None:
        raise InvalidParameterError(
            "n_workers: only for the local cluster; a remote scheduler's workers are set where "
            "they are started (drop n_workers, or drop scheduler to run locally)"
        )
    if not scenarios:
        return []
    from distributed import Client, LocalCluster

    if scheduler is None:
        with (
            LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=n_workers,
                threads_per_worker=threads_per_worker,
                processes=processes,
                host="127.0.0.1",
                dashboard_address=None,
                silence_logs=logging.ERROR,
            ) as cluster,
            Client(cluster, set_as_default=False) as client,  # type: ignore[no-untyped-call]
        ):
            return _map(client, scenarios, progress)
    _check_address(scheduler)
    try:
        client = Client(  # type: ignore[no-untyped-call]
            scheduler, timeout=connect_timeout_s, set_as_default=False
        )
    except OSError as exc:  # TimeoutError is an OSError
        raise InvalidParameterError(
            f"scheduler: cannot reach a Dask scheduler at {scheduler!r} ({exc}); start one "
            "there (dask scheduler), check the address and port, or give no scheduler to "
            "run on a local cluster"
        ) from exc
    with client:
        return _map(client, scenarios, progress)


def _check_address(scheduler: str) -> None:
    """Refuse a malformed address before a client is made (a half-made one lingers)."""
    from distributed.comm.addressing import parse_address
    from distributed.comm.registry import get_backend

    try:
        scheme, location = parse_address(scheduler)
        get_backend(scheme)
    except ValueError as exc:
        raise InvalidParameterError(
            f"scheduler: {scheduler!r} is not a Dask address ({exc}); write e.g. "
            "'tcp://10.0.0.5:8786', or give no scheduler to run on a local cluster"
        ) from None
    if not location.strip():
        raise InvalidParameterError(
            f"scheduler: {scheduler!r} has no host; write e.g. 'tcp://10.0.0.5:8786'"
        )


def _map(
    client: Client,
    scenarios: Sequence[Scenario],
    progress: Callable[[int, int], None] | None,
) -> list[ScenarioResult]:
    from distributed import as_completed

    futures = client.map(run_scenario, list(scenarios), pure=False)
    if progress is not None:
        finished = as_completed(futures, loop=client.loop)  # type: ignore[no-untyped-call]
        for done, _ in enumerate(finished, start=1):
            progress(done, len(futures))
    results: list[ScenarioResult] = client.gather(futures)  # type: ignore[no-untyped-call]
    return results


def mix_grid(
    step: float = 0.25, *, behaviours: Sequence[str] = BEHAVIOURS[:3]
) -> list[BehaviourMix]:
    """Every behaviour mix whose shares of ``behaviours`` are multiples of ``step``.

    The other behaviours get share 0. For a calibration sweep: run each mix on many
    cases (:func:`scenario_from_case`) and keep the one that scores best.

    Parameters
    ----------
    step : float
        Grid spacing on the simplex; ``1 / step`` must be a whole number.
    behaviours : sequence of str
        Names from :data:`~wayhome.subject.BEHAVIOURS`; by default the three moving
        strategies that dominate Hashimoto et al.'s fits (random walk, route travel,
        direction travel).

    Returns
    -------
    list of BehaviourMix
        In lexicographic order of the shares; C(n + k − 1, k − 1) mixes for ``n = 1/step``
        and ``k`` behaviours.

    Examples
    --------
    >>> mixes = mix_grid(0.5)
    >>> len(mixes), len(mix_grid(0.25)), len(mix_grid(0.25, behaviours=("rw", "dt")))
    (6, 15, 5)
    >>> mixes[1].as_text()
    'rw=0,rt=0.5,dt=0.5,sp=0,ve=0,bt=0'
    """
    n = round(1.0 / step) if math.isfinite(step) and 0 < step <= 1 else 0
    if n < 1 or abs(n * step - 1.0) > 1e-9:
        raise InvalidParameterError(
            f"step: 1/step must be a whole number, got step={step}; e.g. 0.25 or 0.1"
        )
    names = [_long_name(b) for b in behaviours]
    if not names or len(set(names)) != len(names):
        raise InvalidParameterError(
            f"behaviours: give one or more distinct names, got {list(behaviours)}"
        )
    out = []
    for parts in itertools.product(range(n + 1), repeat=len(names) - 1):
        if sum(parts) > n:
            continue
        shares = dict.fromkeys(BEHAVIOURS, 0.0)
        for name, k in zip(names, (*parts, n - sum(parts)), strict=True):
            shares[name] = k / n
        rw, rt, dt, sp, ve, bt = (shares[b] for b in BEHAVIOURS)
        out.append(BehaviourMix(rw, rt, dt, sp, ve, bt, source=f"wayhome mix_grid, step {step:g}"))
    return out


def _long_name(name: str) -> str:
    """A behaviour's long name from its long or short (``rw``) name."""
    try:
        mix = BehaviourMix.from_text(f"{name}=1")  # knows the short and long names
    except InvalidParameterError:
        raise InvalidParameterError(
            f"behaviours: unknown behaviour {name!r}; give names from {', '.join(BEHAVIOURS)}"
        ) from None
    return next(b for b, v in zip(BEHAVIOURS, mix.as_tuple(), strict=True) if v == 1.0)
