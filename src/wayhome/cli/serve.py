"""``wayhome serve``: run the incident server (FastAPI on uvicorn)."""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING, Annotated

import typer

from wayhome.cli.app import app

if TYPE_CHECKING:
    from wayhome.api import WayhomeSettings

__all__ = ["first_admin", "run_server", "serve"]


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0 for the LAN).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    database_url: Annotated[
        str | None,
        typer.Option(
            help="SQLAlchemy URL: sqlite:///./wayhome.db (default) or "
            "postgresql+psycopg://user@host/db; WAYHOME_DATABASE_URL also works."
        ),
    ] = None,
) -> None:
    """Serve the live incident picture; health at /health, API docs at /docs."""
    from wayhome.api import get_settings

    settings = get_settings()
    if database_url is not None:
        settings = settings.model_copy(update={"database_url": database_url})
    run_server(settings, host=host, port=port)


def first_admin(settings: WayhomeSettings) -> str | None:
    """Bring the database to the newest schema; on a fresh one, add ``admin``: its password."""
    from wayhome.store import engine_from_url, ensure_admin, session_factory, upgrade_database

    upgrade_database(settings.database_url)
    engine = engine_from_url(settings.database_url)
    try:
        with session_factory(engine)() as session:
            return ensure_admin(session)
    finally:
        engine.dispose()


def run_server(settings: WayhomeSettings, *, host: str, port: int) -> None:
    """Serve ``settings`` on ``host:port`` until interrupted (Ctrl-C)."""
    import uvicorn

    from wayhome.api import create_app

    password = first_admin(settings)
    if password is not None:
        typer.echo(
            f"wayhome: new server; log in as 'admin' with password {password} "
            "(shown once: write it down)",
            err=True,
        )
    typer.echo(f"wayhome: serving http://{host}:{port}/ (API docs at /docs)", err=True)
    app = create_app(settings)
    # Everything loaded so far lives as long as the server: keep it out of the garbage
    # collector's full passes, which otherwise walk it all (~0.2 s, every few seconds
    # under load: the p99 of position posts; docs/benchmarks.md).
    gc.freeze()
    uvicorn.run(app, host=host, port=port, log_level="warning")
