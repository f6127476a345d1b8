"""``wayhome serve``: run the incident server (FastAPI on uvicorn).

Plain HTTP by default; ``--tls-cert``/``--tls-key`` serve HTTPS on a LAN without a proxy.
Whatever the server logs passes :class:`RedactSecrets`: the values of query parameters
that look like secrets (``access_token``, a ``password``, a ``code``) never reach the log,
since a browser's live socket carries its token in the URL (``?access_token=``).
"""

from __future__ import annotations

import copy
import gc
import logging
import re
import ssl
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from wayhome.cli.app import app
from wayhome.errors import InvalidParameterError

if TYPE_CHECKING:
    from wayhome.api import WayhomeSettings

__all__ = ["RedactSecrets", "first_admin", "redact_secrets", "run_server", "serve", "tls_files"]

#: A query parameter whose name says its value is a secret, up to the value's end.
_SECRET_PARAM = re.compile(
    r"(?i)([?&;][^=&;#\s\"']*(?:token|password|passwd|secret|code|key)[^=&;#\s\"']*=)"
    r"[^&;#\s\"']*"
)


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
    tls_cert: Annotated[
        Path | None,
        typer.Option(help="PEM certificate (chain) to serve HTTPS; give --tls-key with it."),
    ] = None,
    tls_key: Annotated[
        Path | None, typer.Option(help="PEM private key of --tls-cert (unencrypted).")
    ] = None,
    cors_origin: Annotated[
        list[str] | None,
        typer.Option(
            help="An origin (https://host:port) whose pages may call the API; repeatable. "
            "None (the default): same origin only. WAYHOME_CORS_ORIGINS (a JSON list) also works."
        ),
    ] = None,
    access_log: Annotated[
        bool, typer.Option(help="Log every request (secrets in URLs are redacted).")
    ] = False,
) -> None:
    """Serve the live incident picture; health at /health, API docs at /docs."""
    from wayhome.api import WayhomeSettings, get_settings

    tls = tls_files(tls_cert, tls_key)
    settings = get_settings()
    update: dict[str, Any] = {}
    if database_url is not None:
        update["database_url"] = database_url
    if cors_origin:
        update["cors_origins"] = cors_origin
    if update:
        try:
            settings = WayhomeSettings.model_validate({**settings.model_dump(), **update})
        except ValueError as exc:
            raise InvalidParameterError(f"--cors-origin: {_first_error(exc)}") from None
    run_server(settings, host=host, port=port, tls=tls, access_log=access_log)


def tls_files(cert: Path | None, key: Path | None) -> tuple[Path, Path] | None:
    """The certificate and key to serve HTTPS with, checked; ``None`` for plain HTTP.

    :class:`InvalidParameterError` (exit 2) when only one is given, a file cannot be read,
    or they are not a PEM certificate and its matching key.
    """
    if cert is None and key is None:
        return None
    if cert is None or key is None:
        given, missing = ("--tls-cert", "--tls-key") if key is None else ("--tls-key", "--tls-cert")
        raise InvalidParameterError(
            f"{missing}: {given} was given without it; give both for HTTPS, or neither"
        )
    for flag, path in (("--tls-cert", cert), ("--tls-key", key)):
        try:
            path.read_bytes()
        except OSError as exc:
            raise InvalidParameterError(
                f"{flag}: cannot read {path} ({exc.strerror or exc}); give a readable PEM file"
            ) from None
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key)
    except ssl.SSLError as exc:
        raise InvalidParameterError(
            f"--tls-cert/--tls-key: {cert} and {key} are not a PEM certificate and its "
            f"unencrypted private key ({exc.reason or exc}); check the files"
        ) from None
    return cert, key


def first_admin(settings: WayhomeSettings) -> str | None:
    """Bring the database to the newest schema; on a fresh one, add ``admin``: its password."""
    from wayhome.store import engine_from_url, ensure_admin, session_factory, upgrade_database

    upgrade_database(settings.database_url)
    engine = engine_from_url(settings.database_url)
    try:
        with session_factory(engine)() as session:
            return ensure_admin(session, hash_profile=settings.password_hash_profile)
    finally:
        engine.dispose()


def run_server(
    settings: WayhomeSettings,
    *,
    host: str,
    port: int,
    tls: tuple[Path, Path] | None = None,
    access_log: bool = False,
) -> None:
    """Serve ``settings`` on ``host:port`` until interrupted (Ctrl-C).

    ``tls``: a certificate and key from :func:`tls_files` (HTTPS); ``access_log``: log each
    request, through :class:`RedactSecrets` like everything the server logs.
    """
    import uvicorn

    from wayhome.api import create_app

    password = first_admin(settings)
    if password is not None:
        typer.echo(
            f"wayhome: new server; log in as 'admin' with password {password} "
            "(shown once: write it down)",
            err=True,
        )
    scheme = "https" if tls is not None else "http"
    typer.echo(f"wayhome: serving {scheme}://{host}:{port}/ (API docs at /docs)", err=True)
    app = create_app(settings)
    # Everything loaded so far lives as long as the server: keep it out of the garbage
    # collector's full passes, which otherwise walk it all (~0.2 s, every few seconds
    # under load: the p99 of position posts; docs/benchmarks.md).
    gc.freeze()
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="info" if access_log else "warning",
        access_log=access_log,
        log_config=_log_config(),
        ssl_certfile=str(tls[0]) if tls is not None else None,
        ssl_keyfile=str(tls[1]) if tls is not None else None,
    )


def redact_secrets(text: str) -> str:
    """``text`` with the values of secret-looking query parameters replaced.

    Examples
    --------
    >>> redact_secrets("GET /incidents/1/live?access_token=abc&since=5 HTTP/1.1")
    'GET /incidents/1/live?access_token=[redacted]&since=5 HTTP/1.1'
    >>> redact_secrets("/x?handover_code=lily-1234;password=hunter2")
    '/x?handover_code=[redacted];password=[redacted]'
    """
    return _SECRET_PARAM.sub(r"\1[redacted]", text)


class RedactSecrets(logging.Filter):
    """A logging filter passing every record with secrets in its text redacted.

    The message and its string arguments (uvicorn's access log passes the URL as one)
    go through :func:`redact_secrets`.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact ``record`` in place; always keep it."""
        if isinstance(record.msg, str):
            record.msg = redact_secrets(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redacted(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _redacted(v) for k, v in record.args.items()}
        return True


def _redacted(value: object) -> object:
    return redact_secrets(value) if isinstance(value, str) else value


def _log_config() -> dict[str, Any]:
    """uvicorn's logging set-up with :class:`RedactSecrets` on every handler."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"redact": {"()": RedactSecrets}}
    for handler in config["handlers"].values():
        handler["filters"] = ["redact"]
    return config


def _first_error(exc: ValueError) -> str:
    """The first message of a pydantic validation error (the one a user must fix)."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        found = errors()
        if found:
            return str(found[0].get("msg", exc))
    return str(exc)
