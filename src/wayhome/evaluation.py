"""Scoring probability maps against real lost-person cases (IPP and find point).

For each case and model: the map on a 25 km × 25 km box around the IPP (MapScore's
convention), then where the find falls in it. Metrics, with ties counted half:

* ``area_km2``: area searched before the find when cells are searched in descending
  probability (lower is better);
* ``mass``: probability searched before the find (lower is better);
* ``log_density``: natural log of the probability per km² at the find (higher is better);
* ``mapscore``: the Rossmo/Koester score R = (0.5 − r)/0.5 with r the share of the box
  with higher probability than the find cell (Sava et al. 2016; 1 is perfect).

The cases carry no elevation data, so models that need terrain run on level ground:
only the statistical part of each model is judged (the table says so).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from wayhome.errors import InvalidParameterError
from wayhome.geo.coords import LonLat, to_crs, utm_crs_for
from wayhome.geo.grid import GridSpec
from wayhome.io.cases import Case
from wayhome.probability.agents import NOT_SIMULATED, AgentSettings, poa_agents
from wayhome.probability.consensus import poa_consensus
from wayhome.probability.poa import POA
from wayhome.probability.rings import poa_rings
from wayhome.probability.terrain import poa_terrain
from wayhome.subject import Profile, profile_for, resolve_category

__all__ = [
    "BOX_KM",
    "EVAL_AGENTS",
    "EVAL_MODELS",
    "EVAL_RESOLUTION_M",
    "CaseScore",
    "ModelFn",
    "Summary",
    "case_category",
    "case_terrain_class",
    "score_case",
    "score_map",
    "summarise",
]

#: Box width (km) and cell size (m) of the evaluation maps. MapScore: 25 km, 5 m cells.
BOX_KM = 25.0
EVAL_RESOLUTION_M = 25.0

#: How case categories without an ISRID distance table map onto one (decided a priori).
_CATEGORY_FALLBACK = {
    "child": ("child_7_9", "age band unknown: assumed 7-9 (the middle band)"),
    "youth": ("child_13_15", "youth: ISRID child 13-15"),
    "motorcycle": ("atv", "motorcycle: no ISRID table; used ATV"),
    "unknown": ("hiker", "category unknown: used hiker (the most common)"),
}


_LEVEL = {m: "no DEM: level ground" for m in ("terrain", "consensus", "agents")}


@dataclass(frozen=True, slots=True)
class CaseScore:
    """One case scored by one model."""

    case_id: str
    split: str
    category: str
    use_for_eval: str
    model: str
    distance_km: float
    area_km2: float
    mass: float
    log_density: float
    mapscore: float
    inside: bool
    note: str


def case_category(case: Case) -> tuple[str, str]:
    """(ISRID category, note) for a case's category; a child's age picks the band."""
    raw = case.subject_category
    if raw == "child" and case.age is not None:
        return resolve_category(raw, age=case.age), ""
    if raw in _CATEGORY_FALLBACK:
        return _CATEGORY_FALLBACK[raw]
    return resolve_category(raw), ""


def case_terrain_class(case: Case, category: str) -> str:
    """ISRID terrain class from the case's eco-region and terrain columns.

    With no flat/mountainous label, the class with more ISRID cases for the category.
    """
    eco = (case.eco_region or case.eco_region_inferred or "temperate").strip().lower()
    eco = eco if eco in ("dry", "temperate", "urban") else "temperate"
    if eco == "urban":
        return "urban"
    label = (case.terrain or "").strip().lower()
    if label.startswith("flat"):
        return f"{eco}_flat"
    if label.startswith("mountain"):
        return f"{eco}_mountainous"
    mtn = profile_for(category, terrain=f"{eco}_mountainous")
    flat = profile_for(category, terrain=f"{eco}_flat")
    return mtn.terrain if (mtn.quantiles.n or 0) >= (flat.quantiles.n or 0) else flat.terrain


def score_map(poa: POA, find_xy: tuple[float, float]) -> tuple[float, float, float, float, bool]:
    """(area_km2, mass, log_density, mapscore, inside) of a find on a map."""
    cells = poa.cells
    n = cells.size
    cell_km2 = poa.grid.cell_area_m2 / 1e6
    if not poa.grid.contains(*find_xy):
        # Outside the box: the whole box is searched first; MapScore's ROW convention.
        log_d = math.log(max(poa.rest_of_world, 1e-300) / (BOX_KM * BOX_KM * 100.0))
        return n * cell_km2, float(cells.sum()), log_d, -1.0, False
    r, c = poa.grid.index(*find_xy)
    p = float(cells[r, c])
    higher = cells > p
    n_higher = int(higher.sum())
    n_equal = int((cells == p).sum())
    area = (n_higher + 0.5 * n_equal) * cell_km2
    mass = float(cells[higher].sum()) + 0.5 * n_equal * p
    log_d = math.log(p / cell_km2) if p > 0 else -math.inf
    frac = (n_higher + 0.5 * n_equal) / n
    return area, mass, log_d, (0.5 - frac) / 0.5, True


ModelFn = Callable[[GridSpec, tuple[float, float], Profile], POA]


def _terrain(grid: GridSpec, ipp: tuple[float, float], prof: Profile) -> POA:
    return poa_terrain(grid, ipp, prof, terrain=None, allow_flat=True)


def _consensus(grid: GridSpec, ipp: tuple[float, float], prof: Profile) -> POA:
    return poa_consensus(
        [_terrain(grid, ipp, prof), poa_rings(grid, ipp, prof.distance)], [1.0, 1.0]
    )


def _agents(grid: GridSpec, ipp: tuple[float, float], prof: Profile) -> POA:
    # No time since last seen in the cases: agents walk their whole calibrated budget.
    settings = AgentSettings(n_agents=EVAL_AGENTS, seed=1, smoothing_m=2 * EVAL_RESOLUTION_M)
    return poa_agents(
        grid, ipp, prof, terrain=None, allow_flat=True, missing_for_h=None, settings=settings
    )


#: Agents per case in the evaluation.
EVAL_AGENTS = 20_000

#: Models the evaluation runs; all without elevation data (none exists for the cases).
EVAL_MODELS: dict[str, ModelFn] = {
    "rings": lambda g, ipp, prof: poa_rings(g, ipp, prof.distance),
    "terrain": _terrain,
    "consensus": _consensus,
    "agents": _agents,
}


def score_case(case: Case, models: Sequence[str]) -> list[CaseScore]:
    """Score one case with each model in ``models``."""
    unknown = [m for m in models if m not in EVAL_MODELS]
    if unknown:
        raise InvalidParameterError(
            f"model: unknown {unknown}; evaluate supports {', '.join(EVAL_MODELS)}"
        )
    category, note = case_category(case)
    terrain_class = case_terrain_class(case, category)
    prof = profile_for(category, terrain=terrain_class)
    ipp = LonLat(lon=case.ipp_lon, lat=case.ipp_lat)
    crs = utm_crs_for(ipp)
    ipp_xy = to_crs(ipp, crs)
    find_xy = to_crs(LonLat(lon=case.find_lon, lat=case.find_lat), crs)
    grid = GridSpec.centered_on(
        *ipp_xy, crs=crs, resolution=EVAL_RESOLUTION_M, extent_m=BOX_KM * 1000.0
    )
    out = []
    for m in models:
        if m == "agents" and prof.category in NOT_SIMULATED:
            continue  # not a walking subject: the table has no agents row for it
        poa = EVAL_MODELS[m](grid, ipp_xy, prof)
        area, mass, log_d, ms, inside = score_map(poa, find_xy)
        out.append(
            CaseScore(
                case.case_id,
                case.split,
                case.subject_category,
                case.use_for_eval,
                m,
                case.straight_line_km,
                area,
                mass,
                log_d,
                ms,
                inside,
                "; ".join(x for x in (note, f"table {prof.terrain}", _LEVEL.get(m, "")) if x),
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class Summary:
    """Aggregates of one model over a group of cases."""

    group: str
    model: str
    n: int
    median_area_km2: float
    mean_area_km2: float
    median_mass: float
    mean_log_density: float
    mean_mapscore: float


def summarise(scores: Iterable[CaseScore], group: str) -> list[Summary]:
    """Medians and means per model over ``scores``."""
    by_model: dict[str, list[CaseScore]] = {}
    for s in scores:
        by_model.setdefault(s.model, []).append(s)
    out = []
    for model, rows in by_model.items():
        finite_logs = [r.log_density for r in rows if math.isfinite(r.log_density)]
        out.append(
            Summary(
                group,
                model,
                len(rows),
                statistics.median(r.area_km2 for r in rows),
                statistics.fmean(r.area_km2 for r in rows),
                statistics.median(r.mass for r in rows),
                statistics.fmean(finite_logs) if finite_logs else -math.inf,
                statistics.fmean(r.mapscore for r in rows),
            )
        )
    return out
