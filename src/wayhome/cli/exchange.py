"""``wayhome export`` and ``wayhome import``: the plan to and from CalTopo, KML, GPS and GIS.

``export`` writes a plan directory's map (segments as CalTopo assignments with team and
status, the IPP, clues, POA regions) as CalTopo GeoJSON, KML, KMZ or GPX, the POA as a
GeoTIFF, or one GPX per assignment for the teams' GPS units; with ``--incident`` and
``--database-url`` it writes the live incident's map from the incident server's database
(:func:`wayhome.store.exchange.incident_map`: live assignment status and team, clues,
places, hazard zones, last-seen points, optionally tracks). ``import`` reads any of those
(from CalTopo, Google Earth, a GPS) and lists what it holds with positions in the
planner's coordinate style; ``--out`` converts it to another format.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from wayhome.cli.app import app
from wayhome.cli.audit import DatabaseOpt, _session
from wayhome.errors import InvalidParameterError
from wayhome.geo.coords import LOCATION_STYLES, format_location
from wayhome.io.exchange import (
    MAP_FORMATS,
    MapFeature,
    MapKind,
    features_from_plan,
    read_map,
    sweeps_from_plan,
    write_map,
    write_poa_for_gis,
)
from wayhome.io.plan_dir import read_plan_dir

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from wayhome.store.exchange import IncidentMap

__all__ = ["export", "import_"]

_CoordsOpt = Annotated[
    str, typer.Option("--coords", help=f"Coordinate style: {', '.join(LOCATION_STYLES)}.")
]


@app.command()
def export(
    out: Annotated[
        Path,
        typer.Option(
            help="File to write: .geojson (CalTopo), .kml, .kmz, .gpx, or .tif (the POA); "
            "a directory with --per-assignment."
        ),
    ],
    plan: Annotated[
        Path | None, typer.Option("--plan", help="Plan directory to read (plan mode).")
    ] = None,
    incident: Annotated[
        int | None,
        typer.Option(help="Live mode: the incident's id in --database-url's database."),
    ] = None,
    database_url: DatabaseOpt = None,
    tracks: Annotated[
        bool, typer.Option("--tracks", help="Live mode: add each member's GPS track as a line.")
    ] = False,
    per_assignment: Annotated[
        bool,
        typer.Option("--per-assignment", help="One GPX per assignment (for the teams' GPS)."),
    ] = False,
    crs: Annotated[
        str | None,
        typer.Option(help="CRS of a .tif export; default the plan's own (e.g. EPSG:4326)."),
    ] = None,
) -> None:
    """Export the map for CalTopo, Google Earth, GPS units or desktop GIS.

    From a plan directory (--plan), or live from the incident server's database
    (--incident with --database-url): segments with each assignment's live status and
    team, clues, places, hazard zones, last-seen points (and --tracks).
    """
    if incident is not None:
        _export_live(
            out,
            incident,
            database_url,
            plan=plan,
            tracks=tracks,
            crs=crs,
            per_assignment=per_assignment,
        )
        return
    if plan is None:
        raise InvalidParameterError(
            "--plan/--incident: give a plan directory (--plan DIR) or a live incident "
            "(--incident ID with --database-url URL)"
        )
    if tracks:
        raise InvalidParameterError("--tracks: live mode only; give --incident and --database-url")
    console = Console(stderr=True)
    state = read_plan_dir(plan)
    if out.suffix.lower() in (".tif", ".tiff"):
        write_poa_for_gis(out, state.poa, crs=crs)
        console.print(f"POA written to {out} ({crs or state.grid.crs})", highlight=False)
        return
    if crs is not None:
        raise InvalidParameterError("--crs: only a .tif export has a CRS; maps are in WGS 84")
    features = features_from_plan(state)
    sweeps = _sweeps(features, sweeps_from_plan(state))
    name = f"{state.title()}"
    if not per_assignment:
        write_map(out, features, name=name, sweeps=sweeps)
        console.print(f"{len(features)} features written to {out}", highlight=False)
        return
    assigned = [f for f in features if f.kind is MapKind.ASSIGNMENT and f.number]
    if not assigned:
        raise InvalidParameterError(
            f"--per-assignment: '{plan}' has no assignments yet; run 'wayhome assign "
            f"--plan {plan}' first"
        )
    points = [f for f in features if f.kind in (MapKind.MARKER, MapKind.CLUE)]
    out.mkdir(parents=True, exist_ok=True)
    for f in assigned:
        write_map(out / f"{f.number}.gpx", [f, *points], name=f.title, sweeps=sweeps)
    console.print(f"{len(assigned)} GPX files written to {out}/", highlight=False)


def _sweeps(
    features: list[MapFeature], by_segment: dict[str, list[tuple[float, float]]]
) -> dict[str, list[tuple[float, float]]]:
    """Assignment title → sweep path, for the assignments the plan gave out."""
    return {
        f.title: by_segment[f.segment]
        for f in features
        if f.kind is MapKind.ASSIGNMENT and f.number and f.segment in by_segment
    }


def _export_live(
    out: Path,
    incident: int,
    database_url: str | None,
    *,
    plan: Path | None,
    tracks: bool,
    crs: str | None,
    per_assignment: bool,
) -> None:
    """``export --incident``: the live incident's map from the server's database."""
    from wayhome.store.errors import UnknownRecordError

    if database_url is None:
        raise InvalidParameterError(
            "--database-url: give the incident server's database (or WAYHOME_DATABASE_URL) "
            "with --incident, e.g. sqlite:///./wayhome.db"
        )
    if plan is not None:
        raise InvalidParameterError(
            "--plan/--incident: give one; live mode reads the plan linked to the incident"
        )
    if crs is not None or out.suffix.lower() in (".tif", ".tiff"):
        raise InvalidParameterError(
            "--out: the POA GeoTIFF comes from a plan directory; give --plan DIR for a .tif"
        )
    if not per_assignment and out.suffix.lower() not in MAP_FORMATS:
        raise InvalidParameterError(
            f"--out: cannot write '{out.name}': give a file ending in {', '.join(MAP_FORMATS)}"
        )
    console = Console(stderr=True)
    with _session(database_url) as session:
        try:
            drawn = _live_maps(session, incident, tracks=tracks, per_assignment=per_assignment)
        except UnknownRecordError as exc:
            raise InvalidParameterError(
                f"--incident: {exc}; give the id of an incident in this database"
            ) from None
    for warning in drawn.warnings:
        console.print(f"  warning: {warning}", highlight=False)
    if not per_assignment:
        (whole,) = drawn.maps.values()
        write_map(out, whole.features, name=whole.name, sweeps=whole.sweeps)
        console.print(f"{len(whole.features)} features written to {out}", highlight=False)
        return
    if not drawn.maps:
        raise InvalidParameterError(
            f"--per-assignment: incident {incident} has no assignment on the linked plan's "
            "segments yet"
        )
    out.mkdir(parents=True, exist_ok=True)
    for file_name, one in drawn.maps.items():
        write_map(out / file_name, one.features, name=one.name, sweeps=one.sweeps)
    console.print(f"{len(drawn.maps)} GPX files written to {out}/", highlight=False)


@dataclass(frozen=True, slots=True)
class _LiveMaps:
    maps: dict[str, IncidentMap]
    warnings: list[str]


def _live_maps(session: Session, incident: int, *, tracks: bool, per_assignment: bool) -> _LiveMaps:
    """The incident's map (key ``""``), or one map per assignment keyed by file name."""
    from wayhome.errors import ConflictError
    from wayhome.store import list_assignments
    from wayhome.store.exchange import assignment_map, incident_map

    if not per_assignment:
        whole = incident_map(session, incident, tracks=tracks)
        return _LiveMaps({"": whole}, list(whole.warnings))
    maps: dict[str, IncidentMap] = {}
    warnings: list[str] = []
    for a in list_assignments(session, incident):
        try:
            maps[f"assignment-{a.id}.gpx"] = assignment_map(
                session, incident_id=incident, assignment_id=a.id
            )
        except ConflictError as exc:
            warnings.append(f"{exc}; no GPX written for it")
    return _LiveMaps(maps, warnings)


@app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help=f"A {', '.join(MAP_FORMATS)} file.")],
    out: Annotated[
        Path | None, typer.Option(help="Convert: write the features to this file.")
    ] = None,
    coords: _CoordsOpt = "usng",
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
