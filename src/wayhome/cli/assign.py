"""``wayhome assign``: give the next period's segments to the teams (optimal allocation)."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from wayhome.cli.app import app
from wayhome.cli.segment import OutOpt, PlanOpt
from wayhome.errors import DataFileError, InvalidParameterError
from wayhome.geo.coords import geometry_to_crs, parse_location, to_crs
from wayhome.io.assignments import team_files
from wayhome.io.plan_dir import read_plan_dir, write_plan_dir
from wayhome.search.allocation import ASSIGNMENT_SOLVERS, assign_teams
from wayhome.search.period import specs_from_json, targets_from_segments, teams_from_specs
from wayhome.search.sweeps import sweep_path, sweep_spacing_m

__all__ = ["assign"]


@app.command()
def assign(
    plan: PlanOpt,
    teams: Annotated[
        Path | None, typer.Option(help="Roster JSON (see the demo's teams.json).")
    ] = None,
    demo_teams: Annotated[
        bool, typer.Option("--demo-teams", help="The demo incident's six pairs.")
    ] = False,
    solver: Annotated[str, typer.Option(help=f"One of {', '.join(ASSIGNMENT_SOLVERS)}.")] = "cpsat",
    hours: Annotated[float | None, typer.Option(help="Cap every team's hours this period.")] = None,
    vegetation: Annotated[str, typer.Option(help="open, medium or dense.")] = "medium",
    night: Annotated[bool, typer.Option("--night", help="Night-time sweep widths.")] = False,
    staging: Annotated[
        str | None, typer.Option(help="Where teams start (LAT,LON); default: the IPP.")
    ] = None,
    frequency: Annotated[
        str, typer.Option(help="Radio channel for the assignment forms.")
    ] = "see ICS 205",
    out: OutOpt = None,
) -> None:
    """Assign teams to segments for the next period and write the per-team files."""
    console = Console(stderr=True)
    state = read_plan_dir(plan)
    if state.segments is None:
        raise InvalidParameterError(
            f"--plan: '{plan}' has no segments yet; run 'wayhome segment --plan {plan}' first"
        )
    if hours is not None and not (math.isfinite(hours) and hours >= 0):
        raise InvalidParameterError(f"--hours: must be a number of hours >= 0, got {hours}")
    roster = _roster(teams, demo_teams)
    period_h, specs = specs_from_json(roster)
    cap = hours if hours is not None else period_h
    if cap is not None:
        specs = [dataclasses.replace(s, hours=min(s.hours, cap)) for s in specs]
    start_xy = state.ipp_xy if staging is None else to_crs(parse_location(staging), state.grid.crs)
    team_list = teams_from_specs(specs, vegetation=vegetation, night=night, position_xy=start_xy)
    targets = targets_from_segments(state.segments, state.poa, layers=state.layers)
    result = assign_teams(team_list, targets, solver=solver)
    # The period being planned follows the last debriefed one, so assigning again
    # re-plans the same period instead of skipping ahead.
    period = int(state.summary.get("debriefed_period", 0)) + 1
    polys = dict(zip(state.segments.ids, state.segments.polygons(), strict=True))
    by_team = {t.id: t for t in team_list}
    members = {s.id: list(s.members) for s in specs}
    rows: list[dict[str, Any]] = []
    files: dict[str, str] = {}
    for a in result.assignments:
        team = by_team[a.team]
        seg = next(t for t in targets if t.id == a.segment)
        number = f"{period}-{a.team}-{a.segment}"
        spacing = sweep_spacing_m(team.sweep_width_m * team.searchers, coverage=1.0)
        route = sweep_path(polys[a.segment], max(spacing, state.grid.resolution))
        route_ll = [_lonlat(x, y, state.grid.crs) for x, y in route[:: max(1, len(route) // 2000)]]
        boundary = geometry_to_crs(polys[a.segment], state.grid.crs, "EPSG:4326")
        ring = _outer_ring(boundary)
        row = {
            "assignment": number,
            "period": period,
            "team": a.team,
            "resource": team.resource,
            "members": members.get(a.team, []),
            "segment": a.segment,
            "segment_area_km2": round(seg.area_m2 / 1e6, 4),
            "segment_poa": round(seg.poa, 4),
            "hazard_or_restricted": seg.hazard,
            "travel_h": round(a.travel_h, 2),
            "search_h": round(a.search_h, 2),
            "expected_pod": round(a.expected_pod, 3),
            "expected_pos": round(a.expected_pos, 4),
            "sweep_spacing_m": round(spacing, 1),
            "objectives": (
                f"Search segment {a.segment} in parallel sweeps {spacing:.0f} m "
                f"apart; expected POD {a.expected_pod:.0%}. Report clues at once."
            ),
            "frequencies": frequency,
        }
        rows.append(row)
        files.update(
            team_files(
                number,
                boundary_lonlat=ring,
                route_lonlat=route_ll,
                properties=row,
            )
        )
    doc = {
        "period": period,
        "solver": result.solver,
        "optimal": result.optimal,
        "pos": round(result.pos, 4),
        "seconds": round(result.seconds, 3),
        "notes": list(result.notes),
        "assignments": rows,
    }
    summary = dict(state.summary)
    summary["period"] = period
    dest = write_plan_dir(
        dataclasses.replace(state, assignments=doc, team_files=files, summary=summary), out or plan
    )
    table = Table(
        title=f"Period {period} assignments ({result.solver}, "
        f"{'optimal' if result.optimal else 'best found'}), "
        f"POS {result.pos:.1%}"
    )
    for col in ("assignment", "team", "resource", "segment", "segment POA", "POD", "travel h"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r["assignment"],
            r["team"],
            r["resource"],
            r["segment"],
            f"{r['segment_poa']:.1%}",
            f"{r['expected_pod']:.0%}",
            f"{r['travel_h']}",
        )
    console.print(table)
    console.print(f"written to {dest}/assignments.json and {dest}/assignments/", highlight=False)
    for note in result.notes:
        console.print(f"  note: {note}", highlight=False)


def _outer_ring(geom: BaseGeometry) -> list[tuple[float, float]]:
    """Outer ring of a polygon, or of the largest part of a multipolygon."""
    parts = [geom] if isinstance(geom, Polygon) else list(getattr(geom, "geoms", ()))
    polys = [g for g in parts if isinstance(g, Polygon)]
    if not polys:
        raise InvalidParameterError("segment: has no polygon outline")
    best = max(polys, key=lambda g: g.area)
    return [(float(x), float(y)) for x, y in best.exterior.coords]


def _lonlat(x: float, y: float, crs: str) -> tuple[float, float]:
    from wayhome.geo.coords import lonlat_of

    p = lonlat_of(float(x), float(y), crs)
    return (round(p.lon, 7), round(p.lat, 7))


def _roster(path: Path | None, demo: bool) -> dict[str, Any]:
    if demo:
        from importlib import resources

        text = (resources.files("wayhome.demo") / "data" / "teams.json").read_text("utf-8")
        return dict(json.loads(text))
    if path is None:
        raise InvalidParameterError("--teams: give a roster JSON file, or --demo-teams")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataFileError(f"--teams: no such file '{path}'") from None
    except (OSError, ValueError) as exc:
        raise DataFileError(f"--teams: '{path}' is not a roster JSON file ({exc})") from None
    if not isinstance(doc, dict):
        raise DataFileError(
            f"--teams: '{path}' must hold a JSON object with a 'teams' list, got "
            f"{type(doc).__name__}; see the demo teams.json"
        )
    return doc
