"""One operational period: teams from a roster, targets from segments, the debrief report.

Glue between the pieces of :mod:`wayhome.search` that every planning surface (CLI,
server) needs in the same way.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from wayhome.errors import InvalidParameterError
from wayhome.geo.layers import LayerKind, Layers
from wayhome.geo.travel import layers_to_crs
from wayhome.probability.poa import POA
from wayhome.search.allocation import SegmentTarget, Team
from wayhome.search.bayes import segment_pod
from wayhome.search.coverage import coverage_from_tracks, tracks_to_grid_xy
from wayhome.search.detection import sweep_width
from wayhome.search.evidence import EvidenceLog, SearchEvidence
from wayhome.search.segments import Segments

__all__ = [
    "TeamSpec",
    "cumulative_coverage",
    "segment_report",
    "specs_from_json",
    "targets_from_segments",
    "teams_from_specs",
]


@dataclass(frozen=True, slots=True)
class TeamSpec:
    """A team as the roster gives it (before detection figures are looked up)."""

    id: str
    resource: str
    searchers: int
    hours: float
    members: tuple[str, ...] = ()
    protected: bool = False

    def __post_init__(self) -> None:
        if not self.id:
            raise InvalidParameterError("team: every team needs an id")
        if not (math.isfinite(self.hours) and self.hours >= 0):
            raise InvalidParameterError(
                f"hours: team '{self.id}' has {self.hours} h; give the hours available (>= 0)"
            )
        if self.searchers < 1:
            raise InvalidParameterError(f"searchers: team '{self.id}' needs at least 1")


def teams_from_specs(
    specs: Sequence[TeamSpec],
    *,
    vegetation: str = "medium",
    night: bool = False,
    position_xy: tuple[float, float] | None = None,
) -> list[Team]:
    """Teams with their sweep width and speed from the packaged detection tables."""
    teams = []
    for s in specs:
        w = sweep_width(s.resource, vegetation=vegetation, night=night, team_size=s.searchers)
        if w.width_m <= 0:
            raise InvalidParameterError(
                f"resource: {s.resource} has no detection credit "
                f"{'at night' if night else 'here'}; give team '{s.id}' another task"
            )
        teams.append(
            Team(
                id=s.id,
                resource=s.resource,
                searchers=s.searchers,
                hours=s.hours,
                sweep_width_m=w.width_m,
                speed_kmh=w.speed_kmh,
                position_xy=position_xy,
                protected=s.protected,
            )
        )
    return teams


def targets_from_segments(
    segments: Segments, poa: POA, *, layers: Layers | None = None
) -> list[SegmentTarget]:
    """Segments as allocation targets; a segment touching a cliff, water, a hazard zone or
    land without access (private) is marked hazardous (protected teams are not sent)."""
    seg_poa = segments.poa(poa)
    areas = segments.area_m2()
    cents = segments.centroids_xy()
    hazardous = np.zeros(len(segments.ids), dtype=bool)
    if layers is not None:
        local = layers_to_crs(layers, segments.grid.crs)
        risky = local.of_kind(
            LayerKind.CLIFF, LayerKind.WATER, LayerKind.HAZARD, LayerKind.PRIVATE, LayerKind.BARRIER
        )
        for i, poly in enumerate(segments.polygons()):
            hazardous[i] = any(poly.intersects(f.geometry) for f in risky)
    return [
        SegmentTarget(
            id=sid,
            poa=float(seg_poa[i]),
            area_m2=float(areas[i]),
            centroid_xy=(float(cents[i, 0]), float(cents[i, 1])),
            hazard=bool(hazardous[i]),
        )
        for i, sid in enumerate(segments.ids)
    ]


def cumulative_coverage(grid_poa: POA, log: EvidenceLog) -> NDArray[np.float64]:
    """Summed coverage of every active search in the log (POD = 1 − exp(−C))."""
    total = np.zeros(grid_poa.grid.shape, dtype=np.float64)
    for entry in log.active():
        if isinstance(entry, SearchEvidence):
            xy, _ = tracks_to_grid_xy(
                [np.asarray(t, dtype=np.float64) for t in entry.tracks_lonlat], grid_poa.grid
            )
            total += coverage_from_tracks(grid_poa.grid, xy, sweep_width_m=entry.sweep_width_m)
    return total


def segment_report(
    segments: Segments,
    prior: POA,
    before: POA,
    after: POA,
    log: EvidenceLog,
    *,
    last: SearchEvidence | None = None,
) -> dict[str, dict[str, Any]]:
    """Per segment: POA at the start, before and after this update, POD of the last
    search and cumulative POD (against the prior)."""
    n = len(segments.ids)
    cum = 1.0 - np.exp(-cumulative_coverage(prior, log))
    cum_pod = segment_pod(prior, cum, segments.labels, n)
    last_pod: NDArray[np.float64] | None = None
    if last is not None:
        xy, _ = tracks_to_grid_xy(
            [np.asarray(t, dtype=np.float64) for t in last.tracks_lonlat], prior.grid
        )
        c = coverage_from_tracks(prior.grid, xy, sweep_width_m=last.sweep_width_m)
        last_pod = segment_pod(before, 1.0 - np.exp(-c), segments.labels, n)
    p0, p1, p2 = segments.poa(prior), segments.poa(before), segments.poa(after)
    out: dict[str, dict[str, Any]] = {}
    for i, sid in enumerate(segments.ids):
        row: dict[str, Any] = {
            "poa_initial": round(float(p0[i]), 6),
            "poa_before": round(float(p1[i]), 6),
            "poa_now": round(float(p2[i]), 6),
            "pod_cumulative": _round(cum_pod[i]),
        }
        if last_pod is not None:
            row["pod_last"] = _round(last_pod[i])
        out[sid] = row
    return out


def _round(v: float) -> float | None:
    return None if not math.isfinite(float(v)) else round(float(v), 4)


def specs_from_json(data: Mapping[str, Any]) -> tuple[float | None, list[TeamSpec]]:
    """(period hours, team specs) from a roster JSON object (see the demo's teams.json).

    Raises
    ------
    InvalidParameterError
        Naming the field: no ``teams`` list or an empty one, a team that is not an object
        or lacks ``id``, ``resource`` or ``hours``, numbers that are not finite JSON
        numbers, ``protected`` that is not a JSON boolean, ``members`` that is not a
        list of strings.

    Examples
    --------
    >>> specs_from_json({"period_hours": 3, "teams": [
    ...     {"id": "T1", "resource": "ground_grid", "hours": 2.5, "members": ["Ada"]}]})
    (3.0, [TeamSpec(id='T1', resource='ground_grid', searchers=1, hours=2.5, \
members=('Ada',), protected=False)])
    >>> specs_from_json({"teams": []})
    Traceback (most recent call last):
    ...
    wayhome.errors.InvalidParameterError: teams: the roster has no teams; list at least one \
team with id, resource and hours (see the demo teams.json)
    """
    if not isinstance(data, Mapping):
        raise InvalidParameterError(
            f"teams: the roster must be a JSON object with a 'teams' list, got "
            f"{type(data).__name__}; see the demo teams.json"
        )
    teams = data.get("teams")
    if not isinstance(teams, list):
        raise InvalidParameterError(
            f"teams: the roster needs a 'teams' list, got {teams!r}; see the demo teams.json"
        )
    if not teams:
        raise InvalidParameterError(
            "teams: the roster has no teams; list at least one team with id, resource and "
            "hours (see the demo teams.json)"
        )
    hours = data.get("period_hours")
    if hours is not None:
        hours = _number(hours, "period_hours")
    return hours, [_team_spec(t, i) for i, t in enumerate(teams, start=1)]


def _team_spec(t: Any, i: int) -> TeamSpec:
    where = f"teams[{i}]"
    if not isinstance(t, Mapping):
        raise InvalidParameterError(
            f"{where}: must be an object with id, resource and hours, got {t!r}"
        )
    missing = [k for k in ("id", "resource", "hours") if k not in t]
    if missing:
        raise InvalidParameterError(
            f"{where}: missing {', '.join(missing)}; each team needs id, resource and hours "
            f"(see the demo teams.json)"
        )
    where = f"teams[{i}] ('{t['id']}')"
    if not isinstance(t["id"], str | int) or isinstance(t["id"], bool) or str(t["id"]) == "":
        raise InvalidParameterError(f'{where}.id: give a non-empty name such as "T1"')
    if not isinstance(t["resource"], str):
        raise InvalidParameterError(
            f'{where}.resource: must be a string such as "ground_grid", got {t["resource"]!r}'
        )
    searchers = t.get("searchers", 1)
    if isinstance(searchers, bool) or not isinstance(searchers, int):
        raise InvalidParameterError(
            f"{where}.searchers: must be a whole number such as 2, got {searchers!r}"
        )
    protected = t.get("protected", False)
    if not isinstance(protected, bool):
        raise InvalidParameterError(
            f"{where}.protected: must be the JSON boolean true or false (no quotes), "
            f"got {protected!r}"
        )
    members = t.get("members", [])
    if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
        raise InvalidParameterError(
            f'{where}.members: must be a list of names such as ["Ada", "Ben"], got {members!r}'
        )
    return TeamSpec(
        id=str(t["id"]),
        resource=t["resource"],
        searchers=searchers,
        hours=_number(t["hours"], f"{where}.hours"),
        members=tuple(members),
        protected=protected,
    )


def _number(v: Any, field: str) -> float:
    """A finite, non-negative JSON number."""
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(float(v)):
        raise InvalidParameterError(f"{field}: must be a number of hours such as 3, got {v!r}")
    if v < 0:
        raise InvalidParameterError(f"{field}: must be >= 0 hours, got {v!r}")
    return float(v)
