"""``wayhome simulate``: sample paths of simulated subjects as GeoJSON or GPX.

The agents behind ``wayhome plan --model agents``, a few of them traced step by step,
so a planner can see how the model thinks a subject moves on this terrain. The paths
are illustrations of the model, not predictions.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from wayhome.cli.app import app
from wayhome.cli.options import (
    STEP_NAMES,
    AgeOpt,
    CategoryOpt,
    DemoOpt,
    DemOpt,
    EcoregionOpt,
    ExtentOpt,
    IppOpt,
    LayersOpt,
    MissingForOpt,
    MixOpt,
    NameOpt,
    NightfallOpt,
    ResolutionOpt,
    SeedOpt,
    available_memory_bytes,
    resolve_intake,
)
from wayhome.errors import InvalidParameterError, TerrainRequiredError
from wayhome.io.tracks import track_format, write_tracks
from wayhome.plan import plan_ground
from wayhome.probability.agents import (
    check_simulated,
    movement_for,
    scene_from_terrain,
    simulate_tracks,
)
from wayhome.subject import BehaviourMix, parse_duration_h

__all__ = ["MAX_TRACKS", "simulate"]

#: Most tracks one run writes: enough to see the spread, few enough to look at.
MAX_TRACKS = 1000


@app.command()
def simulate(
    ipp: IppOpt = None,
    category: CategoryOpt = None,
    age: AgeOpt = None,
    missing_for: MissingForOpt = None,
    dem: DemOpt = None,
    layers: LayersOpt = None,
    resolution: ResolutionOpt = 30.0,
    extent_km: ExtentOpt = None,
    ecoregion: EcoregionOpt = "temperate",
    name: NameOpt = None,
    demo: DemoOpt = False,
    tracks: Annotated[
        int, typer.Option("--tracks", help=f"Subjects to trace (1..{MAX_TRACKS}).")
    ] = 20,
    seed: SeedOpt = 0,
    mix: MixOpt = None,
    nightfall: NightfallOpt = None,
    out: Annotated[
        Path, typer.Option(help="Tracks file to write: .geojson (or .json) or .gpx.")
    ] = Path("tracks.geojson"),
) -> None:
    """Trace a few simulated subjects and write their paths for a planner to look at."""
    console = Console(stderr=True)
    # Refuse what can be refused before any file is read or anything is computed.
    if not 1 <= tracks <= MAX_TRACKS:
        raise InvalidParameterError(
            f"--tracks: must be 1..{MAX_TRACKS}, got {tracks}; for a map from many agents "
            "use wayhome plan --model agents --agents N"
        )
    track_format(out)
    behaviour = BehaviourMix.from_text(mix) if mix else None
    night_start_h = None if nightfall is None else parse_duration_h(nightfall, field="--nightfall")

    intake = resolve_intake(
        ipp=ipp,
        category=category,
        age=age,
        missing_for=missing_for,
        dem=dem,
        layers=layers,
        resolution=resolution,
        extent_km=extent_km,
        name=name,
        demo=demo,
    )
    point, subject = intake.ipp, intake.subject
    check_simulated(subject.category)
    if subject.missing_for_h <= 0:
        raise InvalidParameterError(
            f"--missing-for: the agents need a time missing > 0 h, got {missing_for!r}; "
            "with 0 h the subject is at the last-seen point"
        )
    if intake.dem is None:
        raise TerrainRequiredError(
            "--dem: simulated subjects walk real terrain; give --dem FILE (or --demo)"
        )
    last_seen = datetime.now(UTC) - timedelta(hours=subject.missing_for_h)

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("Starting", total=None)

        def progress(step: str) -> None:
            bar.update(task, description=STEP_NAMES.get(step, step))

        ground = plan_ground(
            subject,
            point,
            dem=intake.dem,
            layers=intake.layers,
            resolution_m=intake.resolution_m,
            extent_km=intake.extent_km,
            ecoregion=ecoregion,
            memory_limit_bytes=int(available_memory_bytes() * 0.8),
            progress=progress,
        )
        progress("Preparing the terrain for the agents")
        scene = scene_from_terrain(
            ground.grid,
            ground.ipp_xy,
            terrain=ground.terrain,
            masks=ground.masks,
            movement=movement_for(ground.profile.category),
        )
        progress(f"Tracing {tracks} simulated subjects")
        paths = simulate_tracks(
            scene,
            ground.profile,
            missing_for_h=subject.missing_for_h,
            n=tracks,
            seed=seed,
            night_start_h=night_start_h,
            mix=behaviour,
        )
        progress(f"Writing {out.name}")
        write_tracks(out, paths, crs=ground.grid.crs, start_time=last_seen)

    end_km = np.array([np.hypot(*(p.xy[-1] - p.xy[0])) / 1000.0 for p in paths])
    left = sum(p.left_map for p in paths)
    console.print(f"[bold green]{len(paths)} tracks written[/] to {out}", highlight=False)
    console.print(
        f"median end distance {float(np.median(end_km)):.2f} km from the last-seen point · "
        f"{left} of {len(paths)} walked off the map · seed {seed}",
        highlight=False,
    )
    console.print(
        "  note: simulated subjects, an illustration of the agents model, not predictions",
        highlight=False,
    )
