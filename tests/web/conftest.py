"""Browser-test fixtures: one live server on the played demo, Debian's chromium, guarded contexts.

``site`` runs ``wayhome demo --no-serve`` once per session (into a temporary folder), adds an
open incident for the live tests (``harness.prepare_live_incident``) and starts
``wayhome serve`` on it. ``browser`` is Debian's headless chromium (skipped with a reason
on a machine without ``/usr/bin/chromium``; a failure in CI). ``contexts`` opens browser
contexts whose every request is recorded: a request that leaves the server's origin fails
the test, and a failing test leaves a screenshot of each of its pages in the artefacts
folder (``test-artifacts/web``, or ``$WAYHOME_TEST_ARTIFACTS``).
"""

from __future__ import annotations

import contextlib
import os
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from web.harness import (
    CHROMIUM,
    Api,
    DemoRun,
    LiveIncident,
    ServerProcess,
    in_ci,
    launch_chromium,
    prepare_live_incident,
    run_demo,
    start_server,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Request, WebSocket

#: Default wait for page elements (ms): generous for a loaded CI machine.
TIMEOUT_MS = 15_000
REPO = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every browser test is slow (a real server and chromium)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.slow)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the item (the ``contexts`` teardown screenshots failures)."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@dataclass(frozen=True)
class Site:
    """The served demo: the server, the demo run and the live incident."""

    server: ServerProcess
    demo: DemoRun
    live: LiveIncident
    #: The server's database: ``sqlite`` (the demo's) or ``postgresql``.
    backend: str = "sqlite"

    @property
    def tag(self) -> str:
        """Suffix for artefact names: empty on SQLite, ``-postgresql`` otherwise."""
        return "" if self.backend == "sqlite" else f"-{self.backend}"

    @property
    def origin(self) -> str:
        return self.server.origin

    def api(self, login: str, password: str) -> Api:
        """An API client logged in as ``login``."""
        return Api(self.origin).login(login, password)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go (git-ignored; look at them after a run)."""
    path = Path(os.environ.get("WAYHOME_TEST_ARTIFACTS", REPO / "test-artifacts")) / "web"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """``wayhome demo --no-serve`` once, the live incident added, then ``wayhome serve`` on it."""
    root = tmp_path_factory.mktemp("web-site")
    demo = run_demo(root / "demo-plan")
    live = prepare_live_incident(demo.database_url, demo.plan_dir)
    server = start_server(demo.database_url, cwd=root, log=root / "server.log")
    try:
        yield Site(server=server, demo=demo, live=live)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def web_app(site: Site) -> Site:
    """The site, once the built web app answers at ``/`` and ``/field/``."""
    api = Api(site.origin)
    for path in ("/", "/field/"):
        status, body = api.request("GET", path)
        if status != 200:
            pytest.fail(
                f"GET {path}: {status} {str(body)[:300]} — the web app is not served; "
                "build it with `make setup` (npm --prefix web ci && npm --prefix web run build)"
            )
    return site


@pytest.fixture(
    scope="session",
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)],
)
def live_site(
    request: pytest.FixtureRequest, web_app: Site, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """The live incident served from SQLite (the demo's database) or from PostgreSQL.

    PostgreSQL: a new schema in the session's test database (``postgres_database``) with
    only the live incident, served by a second ``wayhome serve`` (same plans root).
    """
    if request.param == "sqlite":
        yield web_app
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from wayhome.store import upgrade_database

    base: str = request.getfixturevalue("postgres_database")
    schema = f"web_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        database_url = url.render_as_string(hide_password=False)
        upgrade_database(database_url)
        live = prepare_live_incident(database_url, web_app.demo.plan_dir)
        log = tmp_path_factory.mktemp("web-site-pg") / "server.log"
        server = start_server(database_url, cwd=web_app.demo.out.parent, log=log)
        try:
            yield Site(server=server, demo=web_app.demo, live=live, backend="postgresql")
        finally:
            server.stop()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    """Playwright's driver (the Python package from the dev extra)."""
    if not CHROMIUM.is_file():
        message = f"{CHROMIUM} not found: `apt-get install chromium` (.ci/run installs it)"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        message = "playwright not installed: `make setup` installs the dev extra"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's headless chromium, launched with the flags in DEVELOPERS.md."""
    browser = launch_chromium(playwright)
    try:
        yield browser
    finally:
        browser.close()


@dataclass
class Sent:
    """One request a page made."""

    method: str
    url: str
    post_data: str | None

    @property
    def path(self) -> str:
        return urllib.parse.urlsplit(self.url).path


@dataclass
class Contexts:
    """Opens guarded browser contexts on one origin; records what their pages send."""

    browser: Browser
    origin: str
    opened: list[BrowserContext] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)

    def _allowed(self, url: str) -> bool:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme in ("data", "blob", "about", "chrome-extension"):
            return True
        mine = urllib.parse.urlsplit(self.origin)
        return parts.scheme in ("http", "ws") and parts.netloc == mine.netloc

    def _on_request(self, request: Request) -> None:
        self.sent.append(Sent(request.method, request.url, request.post_data))
        if not self._allowed(request.url):
            self.foreign.append(f"{request.method} {request.url}")

    def _on_websocket(self, ws: WebSocket) -> None:
        self.sent.append(Sent("WEBSOCKET", ws.url, None))
        if not self._allowed(ws.url):
            self.foreign.append(f"WEBSOCKET {ws.url}")

    def _on_page(self, page: Page) -> None:
        page.set_default_timeout(TIMEOUT_MS)
        page.on("websocket", self._on_websocket)

    def new(self, **options: Any) -> BrowserContext:
        """A new context (``options`` as for ``browser.new_context``), guarded."""
        context = self.browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        context.on("request", self._on_request)
        context.on("page", self._on_page)
        self.opened.append(context)
        return context

    def new_page(self, **options: Any) -> Page:
        """A page in a new guarded context."""
        return self.new(**options).new_page()

    def posts(self, path_part: str) -> list[Sent]:
        """Requests other than GET/HEAD whose path contains ``path_part``."""
        return [
            s
            for s in self.sent
            if s.method not in ("GET", "HEAD", "WEBSOCKET") and path_part in s.path
        ]


@pytest.fixture
def contexts(
    browser: Browser, web_app: Site, artifacts: Path, request: pytest.FixtureRequest
) -> Iterator[Contexts]:
    """Guarded contexts on the served site; closed after the test, failures screenshotted.

    The site is ``live_site`` for the tests that use it, else ``web_app``. Fails the test
    when any page sent a request off the server's origin.
    """
    served: Site = (
        request.getfixturevalue("live_site") if "live_site" in request.fixturenames else web_app
    )
    guard = Contexts(browser=browser, origin=served.origin)
    yield guard
    call = getattr(request.node, "report_call", None)
    if call is not None and call.failed:
        for i, context in enumerate(guard.opened):
            for j, page in enumerate(context.pages):
                name = f"FAILED-{request.node.name}-{i}-{j}.png".replace("/", "_")
                with contextlib.suppress(Exception):  # a broken page must not hide the failure
                    page.screenshot(path=str(artifacts / name), full_page=True)
    for context in guard.opened:
        context.close()
    assert not guard.foreign, f"requests left the origin {served.origin}: {guard.foreign}"


@pytest.fixture
def shot(artifacts: Path) -> Callable[[Page, str], Path]:
    """Save a full-page screenshot as ``<artefacts>/<name>.png``."""

    def take(page: Page, name: str) -> Path:
        path = artifacts / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
