"""``wayhome tak``: bridge one incident to a TAK server until interrupted."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated, Any

import typer

from wayhome.cli.app import app
from wayhome.errors import InvalidParameterError

__all__ = ["read_uid_map", "tak"]


@app.command()
def tak(
    incident: Annotated[int, typer.Option(help="The incident to bridge (its id).")],
    server: Annotated[
        str,
        typer.Option(help="TAK server: tcp://host:8087, udp://host:8087 or tls://host:8089."),
    ],
    database_url: Annotated[
        str | None,
        typer.Option(
            help="SQLAlchemy URL of the incident database (as for wayhome serve); "
            "WAYHOME_DATABASE_URL also works."
        ),
    ] = None,
    cert: Annotated[
        Path | None, typer.Option(help="TLS: the bridge's client certificate (PEM).")
    ] = None,
    key: Annotated[Path | None, typer.Option(help="TLS: the client certificate's key.")] = None,
    ca: Annotated[
        Path | None, typer.Option(help="TLS: the CA certificate of the TAK server (PEM).")
    ] = None,
    uid_map: Annotated[
        Path | None,
        typer.Option(
            help="JSON object: TAK device uid -> member id or member name. Devices not "
            "in it match a member by callsign; others are logged once and ignored."
        ),
    ] = None,
    interval: Annotated[
        float, typer.Option(min=0.5, help="Seconds between looks at the incident.")
    ] = 5.0,
) -> None:
    """Publish positions, assignments, clues, hazards and the last-seen point to TAK;
    take TAK users' positions and markers into the incident."""
    import asyncio

    from wayhome.api import get_settings
    from wayhome.store import engine_from_url, get_incident, session_factory, upgrade_database
    from wayhome.tak import TakBridge, TakServer

    target = TakServer(server, cert=cert, key=key, ca=ca)
    mapping = read_uid_map(uid_map) if uid_map is not None else {}
    url = database_url if database_url is not None else get_settings().database_url
    upgrade_database(url)  # as wayhome serve does: the bridge may start first
    engine = engine_from_url(url)
    sessions = session_factory(engine)
    with sessions() as session:
        get_incident(session, incident)  # a wrong id fails now, not in the loop
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    bridge = TakBridge(
        server=target,
        sessions=sessions,
        incident_id=incident,
        uid_map=mapping,
        interval=interval,
        refresh=max(60.0, interval),
    )
    typer.echo(f"wayhome: bridging incident {incident} to {server} (Ctrl-C stops)", err=True)
    try:
        asyncio.run(bridge.run())
    finally:
        engine.dispose()


def read_uid_map(path: Path) -> dict[str, int | str]:
    """Read a uid map: a JSON object of TAK uid -> member id (int) or member name (str).

    Raises
    ------
    InvalidParameterError
        The file is missing, not JSON, or not an object of uid -> id or name.
    """
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InvalidParameterError(
            f"uid_map: cannot read {path} ({exc}); give a JSON object such as "
            '{"ANDROID-5f2e": 12, "ANDROID-9a01": "Dana Ortiz"}'
        ) from exc
    if not isinstance(data, dict):
        raise InvalidParameterError(f"uid_map: {path} is not a JSON object of uid -> member")
    out: dict[str, int | str] = {}
    for uid, member in data.items():
        if isinstance(member, bool) or not isinstance(member, int | str):
            raise InvalidParameterError(
                f"uid_map: {uid!r} maps to {member!r}; give a member id or a member name"
            )
        out[str(uid)] = member
    return out
