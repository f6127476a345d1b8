"""``wayhome clue``: add a clue to the evidence log (or withdraw one) and update the map."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console

from wayhome.cli.app import app
from wayhome.cli.debrief import _print_segments
from wayhome.cli.segment import OutOpt, PlanOpt
from wayhome.errors import InvalidParameterError
from wayhome.geo.coords import parse_location
from wayhome.io.plan_update import add_clue, write_update
from wayhome.search.clues import BEARING_KINDS, REPORTED_KINDS, build_clue

__all__ = ["clue"]

_KINDS = REPORTED_KINDS


@app.command()
def clue(
    plan: PlanOpt,
    kind: Annotated[str | None, typer.Option(help=f"One of {', '.join(_KINDS)}.")] = None,
    at: Annotated[
        str | None, typer.Option(help="Where (LAT,LON, UTM or MGRS); the listener for sound.")
    ] = None,
    confidence: Annotated[float, typer.Option(help="Chance the clue is the subject's.")] = 0.7,
    radius_m: Annotated[float, typer.Option("--radius-m", help="Location uncertainty.")] = 50.0,
    bearing: Annotated[float | None, typer.Option(help="Bearing in degrees (true).")] = None,
    spread: Annotated[float, typer.Option(help="Bearing uncertainty, degrees.")] = 30.0,
    range_m: Annotated[float, typer.Option("--range-m", help="Reach of the clue, m.")] = 500.0,
    note: Annotated[str, typer.Option(help="What was found or heard.")] = "",
    withdraw: Annotated[
        str | None, typer.Option(help="Withdraw the evidence with this id instead.")
    ] = None,
    reason: Annotated[str, typer.Option(help="Why it is withdrawn.")] = "",
    out: OutOpt = None,
) -> None:
    """Apply a clue as a Bayesian update; every update is logged and can be withdrawn."""
    console = Console(stderr=True)
    from wayhome.io.plan_dir import read_plan_dir

    state = read_plan_dir(plan)
    if withdraw is not None:
        if not reason:
            raise InvalidParameterError("--reason: say why the evidence is withdrawn")
        log = state.evidence.withdraw(withdraw, reason=reason)
        dest = write_update(state, log, out or plan)
        console.print(
            f"[bold green]withdrawn[/] {withdraw}; map recomputed → {dest}", highlight=False
        )
        _print_segments(console, dest)
        return
    if kind is None or at is None:
        raise InvalidParameterError("--kind and --at: required (or --withdraw ID --reason ...)")
    where = parse_location(at)
    # The option names are checked here so the message names the option, not the field.
    if kind not in _KINDS:
        raise InvalidParameterError(f"--kind: unknown {kind!r}; use one of {', '.join(_KINDS)}")
    if kind in BEARING_KINDS and bearing is None:
        raise InvalidParameterError(f"--bearing: a {kind} clue needs a bearing in degrees")
    c = build_clue(
        kind,
        at=where,
        time=datetime.now(UTC),
        confidence=confidence,
        radius_m=radius_m,
        bearing_deg=bearing,
        spread_deg=spread,
        range_m=range_m,
        note=note,
    )
    entry, dest = add_clue(state, c, out or plan)
    console.print(f"[bold green]clue {entry.id}[/] ({kind}) applied → {dest}", highlight=False)
    _print_segments(console, dest)
