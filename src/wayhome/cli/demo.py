"""``wayhome demo``: the demo incident from intake to handover, then served.

The planning loop runs first (plan → segments → period-1 assignments → debrief of the
teams' tracks → two clues → period-2 assignments, all in ``--out``); then the story is
played into an embedded SQLite database (``--out``/wayhome.db, made afresh) and the
server keeps serving it, with a login for each role printed. ``--no-serve`` stops after
the story (for tests and scripted runs).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from wayhome.cli.app import app
from wayhome.errors import InvalidParameterError

__all__ = ["demo", "run_planning_loop"]

#: Each resource type's teams are debriefed with their own sweep widths.
_RESOURCES = ("ground_grid", "ground_hasty", "dog_air_scent")


def _run(args: list[str]) -> None:
    """Run one ``wayhome`` command in this process (its errors propagate)."""
    from typer.main import get_command

    get_command(app).main(args=args, prog_name="wayhome", standalone_mode=False)


def run_planning_loop(out: Path, console: Console) -> None:
    """The demo's two planning periods into ``out`` (``period-1/``, ``period-2/``).

    The teams' briefed sweep routes stand in for their GPS tracks at the debrief.
    """
    p1, p2 = out / "period-1", out / "period-2"
    console.print("[bold]1/3 planning[/]: probability map, segments, period-1 assignments")
    _run(["plan", "--demo", "--out", str(out)])
    _run(["segment", "--plan", str(out), "--target-km2", "0.5", "--out", str(p1)])
    _run(["assign", "--plan", str(p1), "--demo-teams", "--out", str(p1)])
    console.print("[bold]2/3 debrief[/]: tracks and clues into the map, period-2 assignments")
    work = out / "period-2.tmp"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(p1, work)
    assignments = json.loads((p1 / "assignments.json").read_text("utf-8"))["assignments"]
    for resource in _RESOURCES:
        tracks = [
            str(p1 / "assignments" / f"{a['assignment']}.geojson")
            for a in assignments
            if a["resource"] == resource
        ]
        if not tracks:
            continue
        args = ["debrief", "--plan", str(work), "--resource", resource, "--searchers", "2"]
        for track in tracks:
            args += ["--tracks", track]
        _run([*args, "--team", f"{resource} teams"])
    _run(
        ["clue", "--plan", str(work), "--kind", "dog_alert", "--at", "36.5470,-84.2800",
         "--bearing", "345", "--spread", "35", "--range-m", "800", "--confidence", "0.6",
         "--note", "Juno alerts above the creek, scent cone to the NNW"]
    )  # fmt: skip
    _run(
        ["clue", "--plan", str(work), "--kind", "sound", "--at", "36.5500,-84.2790",
         "--bearing", "315", "--spread", "25", "--range-m", "450", "--confidence", "0.5",
         "--note", "T3 hears what may be a child's call to the NW"]
    )  # fmt: skip
    _run(["assign", "--plan", str(work), "--demo-teams", "--hours", "3"])
    shutil.rmtree(p2, ignore_errors=True)
    work.rename(p2)


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Where the demo's plans and database go.")] = Path(
        "demo-plan"
    ),
    database_url: Annotated[
        str | None,
        typer.Option(help="An empty database to play into; default: a fresh OUT/wayhome.db."),
    ] = None,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Keep serving the incident afterwards.")
    ] = True,
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    skip_planning: Annotated[
        bool, typer.Option("--skip-planning", help="Reuse the plans already in OUT.")
    ] = False,
) -> None:
    """Play the demo incident (a lost 4-year-old) from intake to handover, then serve it."""
    from wayhome.api import get_settings
    from wayhome.cli.serve import run_server
    from wayhome.demo.story import play_story
    from wayhome.store import count_users, engine_from_url, session_factory, upgrade_database

    console = Console(stderr=True)
    if skip_planning:
        if not (out / "period-2" / "assignments.json").is_file():
            raise InvalidParameterError(
                f"--skip-planning: no demo plans in {out}; run without --skip-planning once"
            )
    else:
        run_planning_loop(out, console)
    url = database_url
    if url is None:
        db = out / "wayhome.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{db.resolve()}"
    upgrade_database(url)
    engine = engine_from_url(url)
    try:
        with session_factory(engine)() as session:
            if count_users(session):
                raise InvalidParameterError(
                    "--database-url: this database already has users; give an empty one "
                    "(the demo makes its own logins)"
                )
            console.print("[bold]3/3 the incident[/]: played into the incident server's database")
            result = play_story(
                session, plan_dir=out, progress=lambda line: console.print(f"  · {line}")
            )
    finally:
        engine.dispose()
    table = Table(title="Logins (demo only; passwords are new each run)")
    for column in ("role", "login", "password", "name"):
        table.add_column(column)
    for login in result.logins:
        table.add_row(login.role, login.login, login.password, login.name)
    console.print(table)
    console.print(
        f"incident {result.incident_id}: {result.positions} positions, "
        f"{result.hazard_alerts} hazard-zone entries; the activity log tells the story: "
        f"GET /incidents/{result.incident_id}/activity"
    )
    typer.echo(f"demo: plans in {out}, incident {result.incident_id} in {url}")
    if serve:
        settings = get_settings().model_copy(update={"database_url": url})
        if not out.resolve().is_relative_to(settings.plans_root.resolve()):
            # A planner may link the demo's plans again (PUT /incidents/{id}/plan).
            settings = settings.model_copy(update={"plans_root": out.resolve()})
        console.print(f"[bold]serving[/] http://{host}:{port}/docs — Ctrl-C to stop")
        run_server(settings, host=host, port=port)
