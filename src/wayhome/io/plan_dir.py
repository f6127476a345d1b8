"""The plan directory: the stable hand-off between planning commands.

``poa.tif`` (float32 GeoTIFF, cells sum to 1 minus the rest of world),
``regions.geojson`` (25/50/75/95 % regions, WGS 84), ``preview.png`` (the map over
hillshade) and ``summary.json``. The directory is built beside the target and moved in
only when every file is written: a failed plan leaves nothing half-written.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from shapely.geometry import mapping

from wayhome.geo.coords import geometry_to_crs
from wayhome.geo.travel import layers_to_crs
from wayhome.io.atomic import atomic_directory
from wayhome.io.preview import render_preview
from wayhome.io.raster import write_poa_geotiff
from wayhome.io.vector import write_geojson
from wayhome.plan import Plan
from wayhome.probability.regions import regions_from_poa

__all__ = ["PLAN_FILES", "write_plan"]

#: File names of a plan directory; a stable interface for later commands and scripts.
PLAN_FILES = ("poa.tif", "regions.geojson", "preview.png", "summary.json")


def write_plan(plan: Plan, out_dir: Path | str, *, title: str | None = None) -> Path:
    """Write the four plan files into ``out_dir`` (created if missing); returns it."""
    out = Path(out_dir)
    regions = regions_from_poa(plan.poa)
    features: list[dict[str, Any]] = []
    for region in regions:
        # RFC 7946: GeoJSON is in WGS 84 longitude/latitude.
        geom = geometry_to_crs(region.geometry, plan.grid.crs, "EPSG:4326")
        features.append(
            {
                "type": "Feature",
                "geometry": mapping(geom),
                "properties": {
                    "level": region.level,
                    "label": f"{int(region.level * 100)} %",
                    "area_km2": round(region.area_km2, 4),
                    "min_cell_probability": region.threshold,
                    "model": plan.poa.model,
                },
            }
        )
    summary = plan.summary()
    q = plan.profile.quantiles
    quartiles = "/".join(
        "?" if v is None else f"{v:g}" for v in (q.q25_km, q.q50_km, q.q75_km, q.q95_km)
    )
    n = "" if q.n is None else f" (n {q.n})"
    subtitle = (
        f"{_category_label(plan.profile.category)} · ISRID {q.terrain.replace('_', ' ')}{n}: "
        f"25/50/75/95 % found within {quartiles} km of the IPP"
    )
    shown_layers = None if plan.layers is None else layers_to_crs(plan.layers, plan.grid.crs)
    with atomic_directory(out) as tmp:
        write_poa_geotiff(tmp / "poa.tif", plan.poa)
        write_geojson(tmp / "regions.geojson", features)
        render_preview(
            tmp / "preview.png",
            poa=plan.poa,
            elevation=None if plan.terrain is None else plan.terrain.elevation,
            ipp_xy=plan.ipp_xy,
            layers=shown_layers,
            title=title or _default_title(plan),
            subtitle=subtitle,
        )
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return out


def _default_title(plan: Plan) -> str:
    s = plan.subject
    who = s.name or _category_label(s.category)
    age = f", {s.age:g} y" if s.age is not None else ""
    return f"Probability of area: {who}{age}, missing {s.missing_for_h:g} h"


def _category_label(category: str) -> str:
    """``child_4_6`` → ``child 4–6``; ``mental_illness`` → ``mental illness``."""
    return re.sub(r"(\d+)_(\d+)$", r"\1–\2", category).replace("_", " ")
