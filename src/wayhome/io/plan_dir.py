"""The plan directory: the stable hand-off between planning commands.

Always: ``poa.tif`` (float32 GeoTIFF, cells sum to 1 minus the rest of world, tag
``rest_of_world``), ``regions.geojson`` (25/50/75/95 % regions, WGS 84), ``preview.png``
(the map over hillshade), ``summary.json``. Also: ``prior.tif`` (the map before any
evidence, from which every update is replayed), ``evidence.json`` (the ordered, reversible
evidence log), ``terrain.tif`` (elevation on the plan grid) and ``layers.geojson`` (the
incident's layers) when there were any; after ``wayhome segment`` ``segments.tif`` (segment
index per cell; ids in its tags) and ``segments.geojson``; after ``wayhome assign``
``assignments.json`` and ``assignments/`` (per team GPX, KML and GeoJSON).

A directory is built beside the target and moved in only when every file is written: a
failed command leaves nothing half-written. The files above are owned by the plan: one
that a write did not produce this time (the segments of an earlier map, the terrain of an
earlier DEM plan, last period's team files) is removed once the new files are in place,
so no later command can combine an old file with a new map. Other files (a planner's
notes) stay.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from affine import Affine
from numpy.typing import NDArray
from rasterio.crs import CRS
from rasterio.errors import CRSError
from shapely.geometry import mapping

from wayhome.errors import DataFileError
from wayhome.geo.coords import geometry_to_crs
from wayhome.geo.grid import GridSpec
from wayhome.geo.layers import Layers
from wayhome.geo.terrain import Terrain
from wayhome.geo.travel import layers_to_crs
from wayhome.io.atomic import atomic_directory
from wayhome.io.evidence import read_evidence, write_evidence
from wayhome.io.preview import render_preview
from wayhome.io.raster import read_dem, read_poa_geotiff, write_poa_geotiff, write_raster_geotiff
from wayhome.io.vector import read_layers, write_geojson
from wayhome.plan import Plan
from wayhome.probability.poa import POA
from wayhome.probability.regions import regions_from_poa
from wayhome.search.evidence import EvidenceLog, SearchEvidence
from wayhome.search.period import segment_report
from wayhome.search.segments import Segments, segments_to_features

__all__ = ["PLAN_FILES", "PlanState", "plan_state", "read_plan_dir", "write_plan", "write_plan_dir"]

#: The four files every plan directory has; a stable interface for later commands.
PLAN_FILES = ("poa.tif", "regions.geojson", "preview.png", "summary.json")

#: Every name :func:`write_plan_dir` is responsible for; the ones it does not write are removed.
_OWNED = (
    *PLAN_FILES,
    "prior.tif",
    "evidence.json",
    "terrain.tif",
    "layers.geojson",
    "segments.tif",
    "segments.geojson",
    "assignments.json",
    "assignments",
)


@dataclass(frozen=True, slots=True, eq=False)
class PlanState:
    """What a plan directory holds, in memory."""

    grid: GridSpec
    poa: POA
    prior: POA
    summary: dict[str, Any]
    ipp_xy: tuple[float, float]
    elevation: NDArray[np.float32] | None = None
    layers: Layers | None = None
    segments: Segments | None = None
    segment_props: Mapping[str, Mapping[str, Any]] | None = None
    evidence: EvidenceLog = field(default_factory=EvidenceLog)
    assignments: dict[str, Any] | None = None
    team_files: Mapping[str, str] | None = None
    subtitle: str | None = None

    def title(self) -> str:
        """Map title from the subject in the summary."""
        s = self.summary.get("subject", {})
        who = s.get("name") or _category_label(str(s.get("category", "subject")))
        age = f", {s['age']:g} y" if s.get("age") is not None else ""
        period = self.summary.get("period")
        when = f" · period {period}" if period else ""
        return f"Probability of area: {who}{age}, missing {s.get('missing_for_h', 0):g} h{when}"


def plan_state(plan: Plan) -> PlanState:
    """The state of a fresh plan: no evidence yet, so the prior is the map."""
    q = plan.profile.quantiles
    quartiles = "/".join(
        "?" if v is None else f"{v:g}" for v in (q.q25_km, q.q50_km, q.q75_km, q.q95_km)
    )
    n = "" if q.n is None else f" (n {q.n})"
    subtitle = (
        f"{_category_label(plan.profile.category)} · ISRID "
        f"{q.terrain.replace('_', ' ')}{n}: 25/50/75/95 % found within {quartiles} km "
        f"of the IPP"
    )
    summary = plan.summary()
    summary["period"] = 0
    return PlanState(
        grid=plan.grid,
        poa=plan.poa,
        prior=plan.poa,
        summary=summary,
        ipp_xy=plan.ipp_xy,
        elevation=None if plan.terrain is None else plan.terrain.elevation,
        layers=plan.layers,
        subtitle=subtitle,
    )


def write_plan(plan: Plan, out_dir: Path | str) -> Path:
    """Write a fresh plan directory for ``plan`` into ``out_dir``; returns it."""
    return write_plan_dir(plan_state(plan), out_dir)


def write_plan_dir(state: PlanState, out_dir: Path | str) -> Path:
    """Write every file of ``state`` into ``out_dir`` (created if missing), atomically."""
    out = Path(out_dir)
    regions = [
        _region_feature(r.level, r.area_km2, r.threshold, r.geometry, state)
        for r in regions_from_poa(state.poa)
    ]
    shown_layers = None if state.layers is None else layers_to_crs(state.layers, state.grid.crs)
    seg_shapes = None
    segment_props = state.segment_props
    if state.segments is not None:
        seg_shapes = list(zip(state.segments.ids, state.segments.polygons(), strict=True))
        if segment_props is None and _has_search(state.evidence):
            # Keep the debrief's per-segment report (POA at the start, cumulative POD):
            # it is recomputed from the prior and the log, so no write loses it.
            segment_props = segment_report(
                state.segments, state.prior, state.poa, state.poa, state.evidence
            )
    summary = dict(state.summary)
    summary["rest_of_world"] = round(state.poa.rest_of_world, 6)
    summary["model"] = state.poa.model
    summary["notes"] = list(state.poa.notes)
    summary["evidence"] = {
        "entries": len(state.evidence.entries),
        "active": len(state.evidence.active()),
        "withdrawn": sorted(state.evidence.withdrawn),
    }
    from wayhome.probability.poa import REGION_LEVELS, area_for_mass_km2

    summary["area_km2_for"] = {
        f"{int(k * 100)}%": (None if v is None else round(v, 4))
        for k, v in area_for_mass_km2(state.poa, REGION_LEVELS).items()
    }
    with atomic_directory(out, owned=_OWNED) as tmp:
        write_poa_geotiff(tmp / "poa.tif", state.poa)
        write_poa_geotiff(tmp / "prior.tif", state.prior)
        write_geojson(tmp / "regions.geojson", regions)
        write_evidence(tmp / "evidence.json", state.evidence)
        if state.elevation is not None:
            write_raster_geotiff(
                tmp / "terrain.tif",
                state.elevation.astype(np.float32),
                state.grid,
                nodata=float("nan"),
                tags={"units": "metres above sea level"},
            )
        if state.layers is not None:
            wgs = layers_to_crs(state.layers, "EPSG:4326")
            write_geojson(
                tmp / "layers.geojson",
                [
                    {
                        "type": "Feature",
                        "geometry": mapping(f.geometry),
                        "properties": {"kind": f.kind.value, "name": f.name},
                    }
                    for f in wgs.features
                ],
            )
        if state.segments is not None:
            write_raster_geotiff(
                tmp / "segments.tif",
                state.segments.labels,
                state.grid,
                nodata=-1,
                tags={"ids": json.dumps(list(state.segments.ids))},
            )
            terrain = None if state.elevation is None else Terrain(state.grid, state.elevation)
            features = segments_to_features(state.segments, state.poa, terrain, extra=segment_props)
            write_geojson(tmp / "segments.geojson", features)
            summary["segments"] = [f["properties"] for f in features]
        if state.assignments is not None:
            (tmp / "assignments.json").write_text(
                json.dumps(state.assignments, indent=2) + "\n", encoding="utf-8"
            )
        if state.team_files:
            team_dir = tmp / "assignments"
            team_dir.mkdir()
            for name, text in state.team_files.items():
                (team_dir / name).write_text(text, encoding="utf-8")
        render_preview(
            tmp / "preview.png",
            poa=state.poa,
            elevation=state.elevation,
            ipp_xy=state.ipp_xy,
            layers=shown_layers,
            segments=seg_shapes,
            title=state.title(),
            subtitle=state.subtitle,
        )
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return out


def read_plan_dir(path: Path | str) -> PlanState:
    """Read a plan directory written by :func:`write_plan_dir`.

    Raises
    ------
    DataFileError
        Not a plan directory, or its files disagree (grids, ids).
    """
    p = Path(path)
    if not (p / "poa.tif").is_file() or not (p / "summary.json").is_file():
        raise DataFileError(
            f"plan: '{p}' is not a plan directory (no poa.tif or summary.json); give the --out "
            f"directory of 'wayhome plan'"
        )
    poa = read_poa_geotiff(p / "poa.tif")
    grid = poa.grid
    prior = read_poa_geotiff(p / "prior.tif") if (p / "prior.tif").is_file() else poa
    if prior.grid != grid:
        raise DataFileError(f"plan: prior.tif and poa.tif in '{p}' are on different grids")
    try:
        summary = json.loads((p / "summary.json").read_text(encoding="utf-8"))
        ipp_xy = (float(summary["ipp"]["x"]), float(summary["ipp"]["y"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DataFileError(f"plan: summary.json in '{p}' is unreadable ({exc})") from None
    _check_summary(summary, p)
    elevation = None
    if (p / "terrain.tif").is_file():
        dem = read_dem(p / "terrain.tif")
        _check_grid("terrain.tif", dem.crs, dem.transform, dem.values.shape, grid, p)
        elevation = dem.values
    layers = read_layers(p / "layers.geojson") if (p / "layers.geojson").is_file() else None
    segments = (
        _read_segments_tif(p / "segments.tif", grid) if (p / "segments.tif").is_file() else None
    )
    evidence = (
        read_evidence(p / "evidence.json") if (p / "evidence.json").is_file() else EvidenceLog()
    )
    assignments = None
    if (p / "assignments.json").is_file():
        assignments = _read_assignments(p / "assignments.json")
    return PlanState(
        grid=grid,
        poa=poa,
        prior=prior,
        summary=summary,
        ipp_xy=ipp_xy,
        elevation=elevation,
        layers=layers,
        segments=segments,
        evidence=evidence,
        assignments=assignments,
        team_files=_read_team_files(p / "assignments") if assignments is not None else None,
        subtitle=None,
    )


def _has_search(log: EvidenceLog) -> bool:
    return any(isinstance(e, SearchEvidence) for e in log.active())


def _check_grid(
    name: str, crs: str, transform: Affine, shape: tuple[int, ...], grid: GridSpec, p: Path
) -> None:
    """Refuse a raster that is not on the plan grid (CRS, transform and shape)."""
    try:
        same_crs = crs == grid.crs or CRS.from_user_input(crs) == CRS.from_user_input(grid.crs)
    except CRSError:
        same_crs = False
    same = (
        tuple(shape) == grid.shape
        and same_crs
        and transform.almost_equals(grid.transform, precision=1e-6)
    )
    if not same:
        raise DataFileError(
            f"plan: {name} in '{p}' is not on the grid of poa.tif ({crs}, {shape[1]}x{shape[0]} "
            f"cells at {transform.c:.2f}, {transform.f:.2f} vs {grid.crs}, "
            f"{grid.shape[1]}x{grid.shape[0]} at {grid.transform.c:.2f}, "
            f"{grid.transform.f:.2f}); it belongs to another plan: delete it and run "
            f"the command that writes it again"
        )


def _check_summary(summary: Any, p: Path) -> None:
    """The summary fields later commands compute with must have the right types."""
    where = f"plan: summary.json in '{p}'"
    if not isinstance(summary, dict):
        raise DataFileError(f"{where} is not a JSON object; run 'wayhome plan' again")
    for key in ("period", "debriefed_period"):
        v = summary.get(key, 0)
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise DataFileError(
                f"{where}: field '{key}' must be a whole number >= 0, got {v!r}; fix it "
                f"or run 'wayhome plan' again"
            )
    subject = summary.get("subject", {})
    if not isinstance(subject, dict):
        raise DataFileError(
            f"{where}: field 'subject' must be an object, got {subject!r}; fix it or run "
            f"'wayhome plan' again"
        )
    for key in ("age", "missing_for_h"):
        v = subject.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int | float)):
            raise DataFileError(
                f"{where}: field 'subject.{key}' must be a number or null, got {v!r}; fix it "
                f"or run 'wayhome plan' again"
            )


def _read_assignments(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataFileError(
            f"plan: {path.name} in '{path.parent}' is unreadable ({exc}); delete it and run "
            f"'wayhome assign' again"
        ) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("assignments", []), list):
        raise DataFileError(
            f"plan: {path.name} in '{path.parent}' is not an assignments object (field "
            f"'assignments' must be a list); delete it and run 'wayhome assign' again"
        )
    return doc


def _read_team_files(directory: Path) -> dict[str, str] | None:
    """The per-team files of the last assignment, so a rewrite keeps them."""
    if not directory.is_dir():
        return None
    try:
        return {
            f.name: f.read_text(encoding="utf-8")
            for f in sorted(directory.iterdir())
            if f.is_file()
        }
    except (OSError, ValueError) as exc:
        raise DataFileError(
            f"plan: cannot read the team files in '{directory}' ({exc}); run 'wayhome assign' again"
        ) from None


def _read_segments_tif(path: Path, grid: GridSpec) -> Segments:
    import rasterio

    try:
        with rasterio.open(path) as ds:
            labels = ds.read(1).astype(np.int32)
            ids = json.loads(ds.tags().get("ids", "[]"))
            crs = "" if ds.crs is None else str(ds.crs)
            transform = ds.transform
    except (OSError, ValueError, rasterio.errors.RasterioError) as exc:
        raise DataFileError(f"plan: cannot read '{path.name}' ({exc})") from None
    _check_grid(path.name, crs, transform, labels.shape, grid, path.parent)
    if not isinstance(ids, list) or not ids:
        raise DataFileError(f"plan: '{path}' has no segment ids; run 'wayhome segment' again")
    return Segments(grid=grid, labels=labels, ids=tuple(str(i) for i in ids))


def _region_feature(
    level: float, area_km2: float, threshold: float, geometry: Any, state: PlanState
) -> dict[str, Any]:
    geom = geometry_to_crs(geometry, state.grid.crs, "EPSG:4326")
    return {
        "type": "Feature",
        "geometry": mapping(geom),
        "properties": {
            "level": level,
            "label": f"{int(level * 100)} %",
            "area_km2": round(area_km2, 4),
            "min_cell_probability": threshold,
            "model": state.poa.model,
        },
    }


def _category_label(category: str) -> str:
    """``child_4_6`` → ``child 4–6``; ``mental_illness`` → ``mental illness``."""
    return re.sub(r"(\d+)_(\d+)$", r"\1–\2", category).replace("_", " ")
