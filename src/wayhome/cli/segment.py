"""``wayhome segment``: cut a plan's search area into segments (or import drawn ones)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from wayhome.cli.app import app
from wayhome.geo.terrain import Terrain
from wayhome.geo.travel import masks_from_layers
from wayhome.io.plan_dir import read_plan_dir, write_plan_dir
from wayhome.io.segments import read_segments
from wayhome.search.segments import segments_from_plan, segments_from_polygons

__all__ = ["OutOpt", "PlanOpt", "segment"]

PlanOpt = Annotated[Path, typer.Option("--plan", help="Plan directory to read.")]
OutOpt = Annotated[Path | None, typer.Option(help="Directory to write (default: --plan).")]


@app.command()
def segment(
    plan: PlanOpt,
    target_km2: Annotated[
        float, typer.Option("--target-km2", help="Segment size a team covers in one period.")
    ] = 0.5,
    drawn: Annotated[
        Path | None,
        typer.Option("--segments", help="Planner-drawn segments (GeoJSON/KML/GPX polygons)."),
    ] = None,
    out: OutOpt = None,
) -> None:
    """Cut the search area into segments along trails, streams and ridges."""
    console = Console(stderr=True)
    state = read_plan_dir(plan)
    masks = masks_from_layers(state.layers, state.grid) if state.layers is not None else None
    if drawn is not None:
        segs = segments_from_polygons(
            state.grid, read_segments(drawn, state.grid), poa=state.poa, masks=masks
        )
    else:
        terrain = None if state.elevation is None else Terrain(state.grid, state.elevation)
        segs = segments_from_plan(
            state.grid,
            poa=state.poa,
            terrain=terrain,
            masks=masks,
            target_km2=target_km2,
            ipp_xy=state.ipp_xy,
        )
    # New segments make the assignments (made on the old ones) stale: they are dropped.
    new = dataclasses.replace(
        state, segments=segs, segment_props=None, assignments=None, team_files=None
    )
    dest = write_plan_dir(new, out or plan)
    seg_poa = segs.poa(state.poa)
    console.print(
        f"[bold green]{len(segs.ids)} segments[/] written to {dest}/segments.geojson; "
        f"they hold {seg_poa.sum():.0%} of the probability",
        highlight=False,
    )
    for note in segs.notes:
        console.print(f"  note: {note}", highlight=False)
