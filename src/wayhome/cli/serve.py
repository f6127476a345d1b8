"""``wayhome serve``: run the incident server (FastAPI on uvicorn)."""

from __future__ import annotations

from typing import Annotated

import typer

from wayhome.cli.app import app

__all__ = ["serve"]


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
    import uvicorn

    from wayhome.api import create_app, get_settings

    settings = get_settings()
    if database_url is not None:
        settings = settings.model_copy(update={"database_url": database_url})
    uvicorn.run(create_app(settings), host=host, port=port)
