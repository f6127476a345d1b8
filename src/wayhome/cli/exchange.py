"""``wayhome export`` and ``wayhome import``: the plan to and from CalTopo, KML, GPS and GIS.

``export`` writes a plan directory's map (segments as CalTopo assignments with team and
status, the IPP, clues, POA regions) as CalTopo GeoJSON, KML, KMZ or GPX, the POA as a
GeoTIFF, or one GPX per assignment for the teams' GPS units. ``import`` reads any of those
(from CalTopo, Google Earth, a GPS) and lists what it holds with positions in the
planner's coordinate style; ``--out`` converts it to another format.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from wayhome.cli.app import app
from wayhome.cli.segment import PlanOpt
from wayhome.errors import InvalidParameterError
from wayhome.geo.coords import LOCATION_STYLES, format_location
from wayhome.io.exchange import (
    MAP_FORMATS,
    MapFeature,
    MapKind,
    features_from_plan,
    read_map,
    write_map,
    write_poa_for_gis,
)
from wayhome.io.plan_dir import read_plan_dir

__all__ = ["export", "import_"]

CoordsOpt = Annotated[
    str, typer.Option("--coords", help=f"Coordinate style: {', '.join(LOCATION_STYLES)}.")
]


@app.command()
def export(
    plan: PlanOpt,
    out: Annotated[
        Path,
        typer.Option(
            help="File to write: .geojson (CalTopo), .kml, .kmz, .gpx, or .tif (the POA); "
            "a directory with --per-assignment."
        ),
    ],
    per_assignment: Annotated[
        bool,
        typer.Option("--per-assignment", help="One GPX per assignment (for the teams' GPS)."),
    ] = False,
    crs: Annotated[
        str | None,
        typer.Option(help="CRS of a .tif export; default the plan's own (e.g. EPSG:4326)."),
    ] = None,
) -> None:
    """Export the plan's map for CalTopo, Google Earth, GPS units or desktop GIS."""
    console = Console(stderr=True)
    state = read_plan_dir(plan)
    if out.suffix.lower() in (".tif", ".tiff"):
        write_poa_for_gis(out, state.poa, crs=crs)
        console.print(f"POA written to {out} ({crs or state.grid.crs})", highlight=False)
        return
    if crs is not None:
        raise InvalidParameterError("--crs: only a .tif export has a CRS; maps are in WGS 84")
    features = features_from_plan(state)
    name = f"{state.title()}"
    if not per_assignment:
        write_map(out, features, name=name, sweeps=_sweeps(state.team_files))
        console.print(f"{len(features)} features written to {out}", highlight=False)
        return
    assigned = [f for f in features if f.kind is MapKind.ASSIGNMENT and f.number]
    if not assigned:
        raise InvalidParameterError(
            f"--per-assignment: '{plan}' has no assignments yet; run 'wayhome assign "
            f"--plan {plan}' first"
        )
    points = [f for f in features if f.kind in (MapKind.MARKER, MapKind.CLUE)]
    sweeps = _sweeps(state.team_files)
    out.mkdir(parents=True, exist_ok=True)
    for f in assigned:
        write_map(out / f"{f.number}.gpx", [f, *points], name=f.title, sweeps=sweeps)
    console.print(f"{len(assigned)} GPX files written to {out}/", highlight=False)


def _sweeps(team_files: object) -> dict[str, list[tuple[float, float]]]:
    """Assignment title → sweep path, from the team GeoJSON files ``wayhome assign`` wrote."""
    out: dict[str, list[tuple[float, float]]] = {}
    if not isinstance(team_files, dict):
        return out
    for name, text in team_files.items():
        if not name.endswith(".geojson"):
            continue
        doc = json.loads(text)
        props = doc["features"][0]["properties"]
        route = next(
            (g for g in doc["features"] if g["properties"].get("part") == "sweep route"), None
        )
        if route is not None and props.get("segment") and props.get("assignment"):
            title = f"{props['segment']} {props['assignment']}"
            out[title] = [(float(x), float(y)) for x, y, *_ in route["geometry"]["coordinates"]]
    return out


@app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help=f"A {', '.join(MAP_FORMATS)} file.")],
    out: Annotated[
        Path | None, typer.Option(help="Convert: write the features to this file.")
    ] = None,
    coords: CoordsOpt = "usng",
) -> None:
    """Read a CalTopo, KML/KMZ or GPX map and list it (or convert it with --out)."""
    console = Console()
    if coords.lower() not in LOCATION_STYLES:
        raise InvalidParameterError(
            f"--coords: {coords!r} is not a style; use one of {', '.join(LOCATION_STYLES)}"
        )
    features, warnings = read_map(path)
    table = Table(title=f"{path.name}: {len(features)} features")
    for col in ("kind", "title", "segment", "number", "status", "team", "position"):
        table.add_column(col)
    for f in features:
        table.add_row(
            f.kind.value,
            f.title,
            f.segment or "",
            f.number or "",
            f.status or "",
            f.team or "",
            _position(f, coords),
        )
    console.print(table)
    for w in warnings:
        Console(stderr=True).print(f"  warning: {w}", highlight=False)
    if out is not None:
        write_map(out, features, name=path.stem)
        Console(stderr=True).print(f"written to {out}", highlight=False)


def _position(f: MapFeature, style: str) -> str:
    """Where the feature is: the point, or a point inside the outline or on the line."""
    p = f.geometry.representative_point()
    return format_location(p.y, p.x, style)
