"""The browser-test harness: Debian's chromium, the demo played once, a live ``wayhome serve``.

Shared by the browser tests (``tests/web``) and the page-load benchmark
(``benchmarks/bench_web_load.py``). The chromium flags live here and nowhere else in code;
``DEVELOPERS.md`` documents them. Playwright's own browser downloads are never used: the
tests drive the system's ``/usr/bin/chromium`` (Debian package ``chromium``).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "OFFLINE_RESOLVER",
    "Api",
    "DemoRun",
    "LiveIncident",
    "ServerProcess",
    "free_port",
    "in_ci",
    "launch_chromium",
    "plan_bounds",
    "prepare_live_incident",
    "run_demo",
    "start_server",
]

#: Debian's chromium (``apt-get install chromium``); never Playwright's downloaded builds.
CHROMIUM = Path("/usr/bin/chromium")
#: Launch flags (DEVELOPERS.md, "Running the browser tests"): no sandbox (CI runs as root),
#: no GPU (headless machines), and none of chromium's own calls home.
CHROMIUM_ARGS: tuple[str, ...] = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
#: Added by the tests only: every host name but loopback fails to resolve, so a request
#: that would leave the origin fails fast (it is still seen, and failed, by the origin guard).
OFFLINE_RESOLVER = "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"


def in_ci() -> bool:
    """Whether this is CI (``CI=true``): missing tools fail there instead of skipping."""
    return os.environ.get("CI", "").strip().lower() == "true"


def launch_chromium(playwright: Playwright, *, offline_resolver: bool = True) -> Browser:
    """Debian's headless chromium with the documented flags."""
    args = [*CHROMIUM_ARGS, OFFLINE_RESOLVER] if offline_resolver else list(CHROMIUM_ARGS)
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=args)


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wayhome() -> list[str]:
    return [sys.executable, "-c", "import sys; from wayhome.cli import main; sys.exit(main())"]


# --- The demo, played once ------------------------------------------------------------


@dataclass(frozen=True)
class DemoRun:
    """What ``wayhome demo --no-serve --out OUT`` left: plans, database and the logins."""

    out: Path
    database_url: str
    #: login -> password, as printed in the demo's table of logins.
    passwords: Mapping[str, str]

    @property
    def plan_dir(self) -> Path:
        """The newest plan (period 2: debriefed, clues folded in, segments, assignments)."""
        return self.out / "period-2"


def _printed_passwords(stderr: str) -> dict[str, str]:
    """login -> password from the demo's rich table (rows ``│ role │ login │ password │``)."""
    rows = re.findall(r"│\s*([\w-]+)\s*│\s*([\w.@-]+)\s*│\s*(\w+)\s*│", stderr)
    return {login: password for _role, login, password in rows}


def run_demo(out: Path, *, timeout: float = 900) -> DemoRun:
    """Run ``wayhome demo --no-serve --out OUT`` (a subprocess, as a user would)."""
    env = {**os.environ, "COLUMNS": "200"}  # one table row per line, never wrapped
    proc = subprocess.run(
        [*_wayhome(), "demo", "--out", str(out), "--no-serve"],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=out.parent,
        env=env,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"wayhome demo failed ({proc.returncode}): {proc.stderr[-3000:]}")
    passwords = _printed_passwords(proc.stderr)
    if "commander" not in passwords:
        raise RuntimeError(f"no commander login in the demo's output: {proc.stderr[-2000:]}")
    url = f"sqlite:///{(out / 'wayhome.db').resolve()}"
    return DemoRun(out=out, database_url=url, passwords=passwords)


# --- An open incident for the live tests ---------------------------------------------


@dataclass(frozen=True)
class LiveIncident:
    """An open incident on the demo's plan, with checked-in pairs and two test logins.

    The demo incident itself ends closed (every write is refused), so the live tests
    (roll call, positions, clues) run on this one.
    """

    incident_id: int
    #: The demo incident (closed; its plan linked for the command-post view), if played.
    demo_incident_id: int | None
    commander: tuple[str, str]
    searcher: tuple[str, str]
    #: The searcher's member id on the roster.
    searcher_member_id: int
    member_ids: tuple[int, ...]
    #: A point inside the plan's map, (lat, lon).
    inside: tuple[float, float]
    #: The plan's bounds in WGS 84: (west, south, east, north).
    bounds: tuple[float, float, float, float]
    name: str = "Browser test: Wrenfield Creek live"


#: Test-only logins of the live incident (the demo's own passwords are random each run).
LIVE_COMMANDER = ("post", "browser-test-post")
LIVE_SEARCHER = ("field", "browser-test-field")


def plan_bounds(plan_dir: Path) -> tuple[float, float, float, float]:
    """(west, south, east, north) of a plan's ``poa.tif`` in WGS 84."""
    import rasterio
    from rasterio.warp import transform_bounds

    with rasterio.open(plan_dir / "poa.tif") as src:
        west, south, east, north = transform_bounds(src.crs, "EPSG:4326", *src.bounds)
    return float(west), float(south), float(east), float(north)


def prepare_live_incident(database_url: str, plan_dir: Path, *, members: int = 4) -> LiveIncident:
    """Add the live incident to a database (before the server starts), plan ``plan_dir`` linked.

    ``members`` checked-in members in pairs (one team per pair); the first is the
    searcher's member. When the database holds the played demo incident, the plan is
    linked to it too (if the story left it without one).
    """
    from sqlalchemy import select

    from wayhome.store import (
        Pair,
        add_member,
        create_incident,
        create_team,
        create_user,
        engine_from_url,
        grant_role,
        link_plan,
        session_factory,
        set_member_status,
    )
    from wayhome.store.models import Incident

    actor = "browser tests"
    engine = engine_from_url(database_url)
    try:
        with session_factory(engine)() as s:
            demo_incident = s.scalars(select(Incident).order_by(Incident.id)).first()
            demo_id = None if demo_incident is None else demo_incident.id
            if demo_incident is not None and demo_incident.plan_dir is None:
                link_plan(s, incident_id=demo_incident.id, path=plan_dir, actor=actor)
            incident = create_incident(s, name=LiveIncident.name, actor=actor)
            iid = incident.id
            ids: list[int] = []
            for i in range(members):
                name = "Ada Field" if i == 0 else f"Searcher {i + 1}"
                m = add_member(s, incident_id=iid, name=name, actor=actor)
                set_member_status(
                    s, incident_id=iid, member_id=m.id, status="checked_in", actor=actor
                )
                ids.append(m.id)
            for t in range(0, members - 1, 2):
                create_team(
                    s,
                    incident_id=iid,
                    name=f"T{t // 2 + 1}",
                    pairs=[Pair((ids[t], ids[t + 1]))],
                    leader_id=ids[t],
                    actor=actor,
                )
            login, password = LIVE_COMMANDER
            ic = create_user(s, login=login, name="Command Post", password=password)
            grant_role(s, incident_id=iid, user_id=ic.id, role="incident_commander", actor=actor)
            login, password = LIVE_SEARCHER
            field_user = create_user(s, login=login, name="Ada Field", password=password)
            grant_role(
                s,
                incident_id=iid,
                user_id=field_user.id,
                role="searcher",
                member_id=ids[0],
                actor=actor,
            )
            link_plan(s, incident_id=iid, path=plan_dir, actor=actor)
    finally:
        engine.dispose()
    west, south, east, north = plan_bounds(plan_dir)
    inside = (south + (north - south) * 0.5, west + (east - west) * 0.5)
    return LiveIncident(
        incident_id=iid,
        demo_incident_id=demo_id,
        commander=LIVE_COMMANDER,
        searcher=LIVE_SEARCHER,
        searcher_member_id=ids[0],
        member_ids=tuple(ids),
        inside=inside,
        bounds=(west, south, east, north),
    )


# --- The server ----------------------------------------------------------------------


@dataclass
class ServerProcess:
    """A running ``wayhome serve`` subprocess on loopback."""

    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:PORT``: the only origin the pages may talk to."""
        return f"http://127.0.0.1:{self.port}"

    def tail(self, chars: int = 3000) -> str:
        """The end of the server's log."""
        return self.log.read_text("utf-8", errors="replace")[-chars:]

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 10 s) and reap it."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc.wait()


def start_server(
    database_url: str, *, cwd: Path, log: Path, env: Mapping[str, str] | None = None
) -> ServerProcess:
    """Start ``wayhome serve`` on a free port (working directory ``cwd``: the plans root)."""
    port = free_port()
    command = [
        *_wayhome(),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--database-url",
        database_url,
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env={**os.environ, **(env or {})},
        )
    server = ServerProcess(proc=proc, port=port, log=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {server.tail()}")
        try:
            if Api(server.origin).request("GET", "/health")[0] == 200:
                return server
        except OSError:
            pass
        time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"server did not answer /health in 60 s: {server.tail()}")


@dataclass
class Api:
    """A tiny HTTP client of the server's API (stdlib only), for checks behind the pages."""

    origin: str
    token: str | None = None
    _cache: dict[str, Any] = field(default_factory=dict)

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        form: Mapping[str, str] | None = None,
    ) -> tuple[int, Any]:
        """``(status, parsed JSON or text)``."""
        parts = urllib.parse.urlsplit(self.origin)
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
        headers: dict[str, str] = {}
        data: bytes | None = None
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            raw = response.read()
            ctype = response.getheader("Content-Type", "")
            parsed: Any = (
                json.loads(raw) if "json" in ctype and raw else raw.decode(errors="replace")
            )
            return response.status, parsed
        finally:
            conn.close()

    def login(self, login: str, password: str) -> Api:
        """A client holding a token for ``login`` (JSON body, or the OAuth2 form)."""
        status, body = self.request("POST", "/auth/token", {"login": login, "password": password})
        if status == 422:
            status, body = self.request(
                "POST", "/auth/token", form={"username": login, "password": password}
            )
        if status != 200:
            raise RuntimeError(f"login {login!r}: {status} {body}")
        return Api(self.origin, token=str(body["access_token"]))

    def get(self, path: str) -> Any:
        """GET ``path``; its JSON (an error unless 200)."""
        status, body = self.request("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path}: {status} {body}")
        return body
