"""``wayhome plan``: intake to a plan directory (poa.tif, regions, preview, summary)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

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
    parse_weights,
    resolve_intake,
)
from wayhome.geo.coords import LonLat, utm_crs_for
from wayhome.io.plan_dir import PLAN_FILES, write_plan
from wayhome.plan import MODELS, plan_search
from wayhome.probability.agents import AgentSettings
from wayhome.probability.consensus import DrawnRegion
from wayhome.subject import BehaviourMix, parse_duration_h

__all__ = ["plan"]


@app.command()
def plan(
    ipp: IppOpt = None,
    category: CategoryOpt = None,
    age: AgeOpt = None,
    missing_for: MissingForOpt = None,
    dem: DemOpt = None,
    layers: LayersOpt = None,
    regions: Annotated[
        Path | None,
        typer.Option(
            help="Planner-drawn regions (GeoJSON polygons with a 'share' 0..1) for consensus."
        ),
    ] = None,
    model: Annotated[str, typer.Option(help=f"One of: {', '.join(MODELS)}.")] = "terrain",
    weights: Annotated[
        str | None, typer.Option(help="Consensus weights, e.g. terrain=2,rings=1,regions=1.")
    ] = None,
    resolution: ResolutionOpt = 30.0,
    extent_km: ExtentOpt = None,
    ecoregion: EcoregionOpt = "temperate",
    name: NameOpt = None,
    out: Annotated[Path, typer.Option(help="Plan directory to write.")] = Path("plan"),
    demo: DemoOpt = False,
    agents: Annotated[
        int | None,
        typer.Option(help="Agents to simulate (model agents); default: until the map converges."),
    ] = None,
    seed: SeedOpt = 0,
    nightfall: NightfallOpt = None,
    mix: MixOpt = None,
    max_memory_gb: Annotated[
        float | None,
        typer.Option(
            "--max-memory-gb", help="Refuse grids needing more (default: memory available)."
        ),
    ] = None,
) -> None:
    """Build the first probability map for a lost person and write the plan directory."""
    console = Console(stderr=True)
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
    drawn = _read_regions(regions, point) if regions is not None else ()
    limit = int((max_memory_gb * 2**30) if max_memory_gb else available_memory_bytes() * 0.8)

    agent_settings = AgentSettings(
        n_agents=agents if agents is not None else AgentSettings().n_agents,
        seed=seed,
        night_start_h=None
        if nightfall is None
        else parse_duration_h(nightfall, field="--nightfall"),
    )
    behaviour = BehaviourMix.from_text(mix) if mix else None

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("Starting", total=None)

        def progress(step: str) -> None:
            bar.update(task, description=STEP_NAMES.get(step, step), total=None)

        def agent_progress(done: int, total: int) -> None:
            bar.update(
                task, description=f"Simulating agents ({done:,})", completed=done, total=total
            )

        result = plan_search(
            subject,
            point,
            model=model,
            dem=intake.dem,
            layers=intake.layers,
            resolution_m=intake.resolution_m,
            extent_km=intake.extent_km,
            ecoregion=ecoregion,
            drawn_regions=drawn,
            consensus_weights=parse_weights(weights),
            agents=agent_settings,
            converge_agents=agents is None,
            mix=behaviour,
            memory_limit_bytes=limit,
            progress=progress,
            agent_progress=agent_progress,
        )
        progress("write")
        write_plan(result, out)
    s = result.summary()
    areas = ", ".join(
        f"{k}: {'n/a (beyond the map)' if v is None else f'{v:.2f} km²'}"
        for k, v in s["area_km2_for"].items()
    )
    console.print(f"[bold green]plan written[/] to {out}/ ({', '.join(PLAN_FILES)})")
    console.print(
        f"model {s['model']} · rest of world {s['rest_of_world']:.1%} · area holding {areas}",
        highlight=False,
    )
    for note in s["notes"] + s["profile"]["notes"]:
        console.print(f"  note: {note}", highlight=False)


def _read_regions(path: Path, ipp: LonLat) -> tuple[DrawnRegion, ...]:
    from wayhome.geo.coords import geometry_to_crs
    from wayhome.io.regions import read_region_shares

    crs = utm_crs_for(ipp)
    shares = read_region_shares(path)
    return tuple(
        DrawnRegion(geometry_to_crs(g, src, crs), share, nm) for g, src, share, nm in shares
    )
