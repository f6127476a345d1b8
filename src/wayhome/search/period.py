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
    """(period hours, team specs) from a roster JSON object (see the demo's teams.json)."""
    try:
        hours = data.get("period_hours")
        specs = [
            TeamSpec(
                id=str(t["id"]),
                resource=str(t["resource"]),
                searchers=int(t.get("searchers", 1)),
                hours=float(t["hours"]),
                members=tuple(str(m) for m in t.get("members", ())),
                protected=bool(t.get("protected", False)),
            )
            for t in data["teams"]
        ]
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidParameterError(
            f"teams: each team needs id, resource and hours ({exc}); see the demo teams.json"
        ) from None
    return (None if hours is None else float(hours)), specs
