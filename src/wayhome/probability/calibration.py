"""How well the agents reproduce the ISRID distance statistics: the calibration table.

On level open ground the agents' stopping distances must match each category's ISRID
quartiles (that is what :func:`~wayhome.probability.agents.calibrate_budget` fits); on
real terrain they need not — slopes, cliffs and water shorten and bend the walks — and
the table shows by how much.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from wayhome.probability.agents import (
    NOT_SIMULATED,
    AgentSettings,
    Scene,
    calibrate_budget,
    flat_distances_km,
    movement_for,
    simulate_agents,
)
from wayhome.subject import behaviour_mix_for, categories, profile_for

__all__ = ["CalibrationRow", "calibration_markdown", "calibration_rows"]

_LEVELS = (0.25, 0.5, 0.75, 0.95)


@dataclass(frozen=True, slots=True)
class CalibrationRow:
    """Published and simulated distance quartiles (km) of one category."""

    category: str
    terrain: str
    n_published: int | None
    published: tuple[float | None, ...]
    simulated: tuple[float, ...]
    left_map: float

    @property
    def worst_error(self) -> float:
        """Largest relative error over the published quartiles."""
        errs = [
            abs(s / p - 1.0)
            for p, s in zip(self.published, self.simulated, strict=True)
            if p is not None
        ]
        return max(errs) if errs else math.nan


def calibration_rows(
    *,
    cats: Sequence[str] | None = None,
    terrain_class: str = "temperate_mountainous",
    scene: Scene | None = None,
    n_agents: int = 20_000,
    resolution_m: float = 30.0,
    seed: int = 2024,
) -> list[CalibrationRow]:
    """Simulated vs published quartiles, on level ground or on ``scene`` (no time limit).

    On a scene, distances are measured from its start cell; agents that walk off the map
    are counted at the distance of the map's nearest edge (so upper quartiles are lower
    bounds) and their share is reported.
    """
    rows: list[CalibrationRow] = []
    for cat in cats or categories():
        if cat in NOT_SIMULATED:
            continue
        prof = profile_for(cat, terrain=terrain_class)
        mix = behaviour_mix_for(cat)
        mv = movement_for(cat)
        knots = calibrate_budget(prof, mix, mv)
        q = prof.quantiles
        if scene is None:
            d = flat_distances_km(
                prof, mix, mv, knots, n=n_agents, seed=seed, resolution_m=resolution_m
            )
            sim = np.quantile(d, _LEVELS)
            left = 0.0
        else:
            run = simulate_agents(
                scene,
                prof,
                missing_for_h=None,
                mix=mix,
                movement=mv,
                settings=AgentSettings(n_agents=n_agents, seed=seed),
                knots=knots,
            )
            sim, left = _scene_quantiles(run.counts, run.left_map, scene)
        rows.append(
            CalibrationRow(
                cat,
                q.terrain,
                q.n,
                (q.q25_km, q.q50_km, q.q75_km, q.q95_km),
                tuple(float(x) for x in sim),
                left,
            )
        )
    return rows


def _scene_quantiles(
    counts: NDArray[np.float64], left: int, scene: Scene
) -> tuple[NDArray[np.float64], float]:
    g = scene.grid
    d = g.distance_from(*g.xy(*scene.start)).ravel() / 1000.0
    w = counts.ravel().astype(np.float64)
    rows, cols = g.shape
    r0, c0 = scene.start
    edge = min(r0, c0, rows - 1 - r0, cols - 1 - c0) * g.resolution / 1000.0
    d = np.append(d, edge)
    w = np.append(w, float(left))
    order = np.argsort(d, kind="stable")
    cum = np.cumsum(w[order]) / w.sum()
    sim = np.array([d[order][np.searchsorted(cum, lv)] for lv in _LEVELS])
    return sim, left / w.sum()


def calibration_markdown(rows: Sequence[CalibrationRow], *, title: str) -> str:
    """The table as Markdown, with the worst error per category."""
    out = [
        f"### {title}",
        "",
        "| category | ISRID cell | n | published 25/50/75/95 km | simulated 25/50/75/95 km "
        "| worst error | left map |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        pub = "/".join("–" if p is None else f"{p:g}" for p in r.published)
        sim = "/".join(f"{s:.2f}" for s in r.simulated)
        out.append(
            f"| {r.category} | {r.terrain} | {r.n_published or ''} | {pub} | {sim} | "
            f"{r.worst_error:.0%} | {r.left_map:.1%} |"
        )
    return "\n".join(out) + "\n"
