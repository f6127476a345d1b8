"""``wayhome debrief``: fold a period's GPS tracks into the map (Bayes) and report PODs."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from wayhome.cli.app import app
from wayhome.cli.segment import OutOpt, PlanOpt
from wayhome.errors import InvalidParameterError
from wayhome.io.gps import read_gps_tracks
from wayhome.io.plan_dir import read_plan_dir
from wayhome.io.plan_update import next_evidence_id, write_update
from wayhome.search.coverage import tracks_to_grid_xy
from wayhome.search.detection import sweep_width
from wayhome.search.evidence import SearchEvidence

__all__ = ["debrief"]


@app.command()
def debrief(
    plan: PlanOpt,
    tracks: Annotated[
        list[Path], typer.Option("--tracks", help="GPS tracks (GPX, KML, GeoJSON); repeat.")
    ],
    resource: Annotated[str, typer.Option(help="Resource type of the team.")] = "ground_grid",
    searchers: Annotated[int, typer.Option(help="Searchers walking each track.")] = 1,
    team: Annotated[str | None, typer.Option(help="Team name for the log.")] = None,
    vegetation: Annotated[str, typer.Option(help="open, medium or dense.")] = "medium",
    night: Annotated[bool, typer.Option("--night", help="Night-time sweep width.")] = False,
    out: OutOpt = None,
) -> None:
    """Apply searched-and-not-found from GPS tracks: segments' POD and the new map."""
    console = Console(stderr=True)
    state = read_plan_dir(plan)
    if not tracks:
        raise InvalidParameterError("--tracks: give at least one GPS track file")
    width = sweep_width(resource, vegetation=vegetation, night=night, team_size=searchers)
    lines: list[tuple[tuple[float, float], ...]] = []
    for path in tracks:
        found, warnings = read_gps_tracks(path)
        for w in warnings:
            console.print(f"  warning: {w}", highlight=False)
        lines += [tuple((float(x), float(y)) for x, y in t.lonlat) for t in found]
    xy, on_map = tracks_to_grid_xy([np.asarray(t, dtype=np.float64) for t in lines], state.grid)
    for w in on_map:
        console.print(f"  warning: {w}", highlight=False)
    if not any(len(t) for t in xy):
        raise InvalidParameterError(
            f"--tracks: no track reaches the map of '{plan}' (all {len(lines)} lie outside "
            f"it); check that these are this incident's tracks in longitude/latitude"
        )
    entry = SearchEvidence(
        id=next_evidence_id(state.evidence, "S"),
        time=datetime.now(UTC),
        team=team,
        resource=resource,
        sweep_width_m=width.width_m * searchers,
        tracks_lonlat=tuple(lines),
        note=f"{len(lines)} track(s) from {', '.join(p.name for p in tracks)}",
    )
    # These tracks belong to the period last assigned; the next assign plans the one after.
    summary = {**state.summary, "debriefed_period": int(state.summary.get("period", 0))}
    state = dataclasses.replace(state, summary=summary)
    dest = write_update(state, state.evidence.add(entry), out or plan, last=entry)
    console.print(
        f"[bold green]debriefed[/] {entry.id}: {len(lines)} track(s), "
        f"W {entry.sweep_width_m:.0f} m → {dest}",
        highlight=False,
    )
    _print_segments(console, dest)


def _print_segments(console: Console, dest: Path) -> None:
    import json

    summary = json.loads((dest / "summary.json").read_text(encoding="utf-8"))
    segs = summary.get("segments")
    if not segs:
        return
    table = Table(title="Segments")
    for col in ("segment", "POA start", "POA now", "POD last", "POD cumulative"):
        table.add_column(col)
    for s in segs:
        table.add_row(
            str(s["id"]),
            _pct(s.get("poa_initial")),
            _pct(s.get("poa_now")),
            _pct(s.get("pod_last")),
            _pct(s.get("pod_cumulative")),
        )
    console.print(table)


def _pct(v: object) -> str:
    return "–" if not isinstance(v, int | float) else f"{v:.1%}"
