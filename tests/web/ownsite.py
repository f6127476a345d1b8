"""A server of a test module's own: a fresh database (SQLite or PostgreSQL) set up before it starts.

For browser tests that need server state the shared site must not carry (a loaded trust
list, a team leader's login). The pages of such a server are guarded the same way as the
shared site's: :class:`OriginGuard` records every request and names those that left the
origin.
"""

from __future__ import annotations

import contextlib
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from web.harness import LiveIncident, ServerProcess, prepare_live_incident, start_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Request

#: Default wait for page elements (ms), as the shared fixtures use.
TIMEOUT_MS = 15_000


@dataclass(frozen=True)
class OwnSite:
    """A running server on a database of its own, with the live incident in it."""

    server: ServerProcess
    live: LiveIncident
    backend: str

    @property
    def origin(self) -> str:
        return self.server.origin

    @property
    def tag(self) -> str:
        """Suffix for artefact names: empty on SQLite, ``-postgresql`` otherwise."""
        return "" if self.backend == "sqlite" else f"-{self.backend}"


@contextlib.contextmanager
def database(backend: str, tmp: Path, postgres_base: str | None) -> Iterator[str]:
    """A fresh, migrated database URL: a SQLite file in ``tmp`` or a PostgreSQL schema."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from wayhome.store import upgrade_database

    if backend == "sqlite":
        url = f"sqlite:///{tmp / 'own.db'}"
        upgrade_database(url)
        yield url
        return
    assert postgres_base is not None
    schema = f"own_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        pg = make_url(postgres_base).update_query_dict({"options": f"-csearch_path={schema}"})
        rendered = pg.render_as_string(hide_password=False)
        upgrade_database(rendered)
        yield rendered
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


@contextlib.contextmanager
def own_site(
    database_url: str,
    *,
    backend: str,
    plan_dir: Path,
    cwd: Path,
    setup: Callable[[Session, LiveIncident], None],
) -> Iterator[OwnSite]:
    """The live incident in ``database_url``, then ``setup`` (a store session), then serve it."""
    from wayhome.store import engine_from_url, session_factory

    live = prepare_live_incident(database_url, plan_dir)
    engine = engine_from_url(database_url)
    try:
        with session_factory(engine)() as session:
            setup(session, live)
    finally:
        engine.dispose()
    server = start_server(database_url, cwd=cwd, log=cwd / f"own-server-{backend}.log")
    try:
        yield OwnSite(server=server, live=live, backend=backend)
    finally:
        server.stop()


@dataclass
class OriginGuard:
    """Opens contexts on one origin and records requests; ``foreign`` lists those off it."""

    browser: Browser
    origin: str
    opened: list[BrowserContext] = field(default_factory=list)
    sent: list[tuple[str, str]] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)

    def _on_request(self, request: Request) -> None:
        self.sent.append((request.method, request.url))
        parts = urllib.parse.urlsplit(request.url)
        if parts.scheme in ("data", "blob", "about"):
            return
        if parts.netloc != urllib.parse.urlsplit(self.origin).netloc:
            self.foreign.append(f"{request.method} {request.url}")

    def new(self, **options: Any) -> BrowserContext:
        context = self.browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        context.on("request", self._on_request)
        self.opened.append(context)
        return context

    def close(self) -> None:
        for context in self.opened:
            with contextlib.suppress(Exception):
                context.close()
