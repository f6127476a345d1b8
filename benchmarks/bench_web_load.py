"""Benchmark the command-post page's first paint: 20 teams and a 4 M-cell POA, on loopback.

Usage::

    .venv/bin/python benchmarks/bench_web_load.py [--runs N] [--work DIR]

Set-up (not timed): a 4 M-cell plan (``wayhome plan --demo --resolution 10 --extent-km 20
--category hiker --missing-for 24h``, 2001 x 2001 cells, then ``wayhome segment
--target-km2 2``), an open incident with 40 members checked in as 20 teams of pairs, each
with a short track of positions, the plan linked; ``wayhome serve`` on a free loopback port;
one sign-in whose stored session (``localStorage``) every run starts from.

Each run opens the page in a fresh browser context (empty HTTP cache, the stored session)
in Debian's headless chromium (the flags of ``tests/web/harness.py``) and reads, in
milliseconds of ``performance.now()`` (the browser's performance API: from the navigation's
start, the document's time origin):

* **first contentful paint**: ``performance.getEntriesByName('first-contentful-paint')``
  (the page shell: top bar, panels' headings);
* **ready**: the moment ``window.__wayhome.ready`` turns true (the app has the POA layer's
  tiles for the view and the segments);
* **first meaningful paint** (the figure of issue #6): the end of the first MapLibre frame
  (its ``render`` event) drawn with the POA heat and the segments in it: at that frame
  ``__wayhome.ready`` is true, at least one POA tile has arrived, ``map.isSourceLoaded``
  is true for both the ``poa`` and the ``segments`` sources (every POA tile of the view
  loaded, the segments tiled) and ``querySourceFeatures('segments')`` is not empty. Hooked
  by an init script, so the app cannot report it for itself;
* **all visible tiles loaded**: the first poll after that at which
  ``map.areTilesLoaded()`` (every source: relief and contours too).

If the page asks for the incident, it is chosen at once (and the run says so). Prints
Markdown: median, min and max over ``--runs``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

# The browser harness (chromium flags, server start) lives with the browser tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from web.harness import (
    CHROMIUM,
    launch_chromium,
    plan_bounds,
    start_server,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

TEAMS = 20
POSITIONS_PER_MEMBER = 12
LOGIN = ("bench", "bench-web-load")
PLAN_ARGS = (
    "--demo", "--resolution", "10", "--extent-km", "20", "--category", "hiker",
    "--missing-for", "24h",
)  # fmt: skip
METRICS = ("first_contentful_paint", "wayhome_ready", "first_meaningful_paint", "tiles_loaded")


def _wayhome(*args: str, cwd: Path) -> None:
    subprocess.run(
        [sys.executable, "-c", "import sys; from wayhome.cli import main; sys.exit(main())", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def build_plan(work: Path) -> Path:
    """The 4 M-cell plan with segments in ``work/plan4m`` (kept between runs of the script)."""
    plan = work / "plan4m"
    if not (plan / "segments.geojson").is_file():
        print("building the 4 M-cell plan (about a minute)...", file=sys.stderr)
        _wayhome("plan", *PLAN_ARGS, "--out", str(plan), cwd=work)
        _wayhome("segment", "--plan", str(plan), "--target-km2", "2", cwd=work)
    return plan


def build_incident(database_url: str, plan: Path) -> int:
    """An open incident: 20 pairs checked in with tracks, the plan linked, the bench login."""
    from wayhome.store import (
        Pair,
        PositionReport,
        add_member,
        create_incident,
        create_team,
        create_user,
        engine_from_url,
        grant_role,
        link_plan,
        record_positions,
        session_factory,
        set_member_status,
        upgrade_database,
    )

    upgrade_database(database_url)
    west, south, east, north = plan_bounds(plan)
    now = datetime.now(UTC)
    engine = engine_from_url(database_url)
    try:
        with session_factory(engine)() as s:
            iid = create_incident(s, name="Benchmark: 20 teams, 4 M cells").id
            user = create_user(s, login=LOGIN[0], name="Bench Commander", password=LOGIN[1])
            grant_role(s, incident_id=iid, user_id=user.id, role="incident_commander")
            reports = []
            for t in range(TEAMS):
                pair = []
                for k in range(2):
                    m = add_member(s, incident_id=iid, name=f"Searcher {t + 1}{'ab'[k]}")
                    set_member_status(s, incident_id=iid, member_id=m.id, status="checked_in")
                    pair.append(m.id)
                    lat0 = south + (north - south) * (0.2 + 0.6 * t / TEAMS)
                    lon0 = west + (east - west) * (0.3 + 0.02 * k)
                    for i in range(POSITIONS_PER_MEMBER):
                        reports.append(
                            PositionReport(
                                id=uuid.uuid4(),
                                member_id=m.id,
                                lat=lat0 + 0.0005 * i,
                                lon=lon0 + 0.0007 * i,
                                time=now - timedelta(minutes=2 * (POSITIONS_PER_MEMBER - i)),
                            )
                        )
                create_team(s, incident_id=iid, name=f"T{t + 1}", pairs=[Pair((pair[0], pair[1]))])
            record_positions(s, incident_id=iid, reports=reports)
            link_plan(s, incident_id=iid, path=plan, actor="benchmark")
            return iid
    finally:
        engine.dispose()


@dataclass(frozen=True)
class Run:
    """One page load: milliseconds from the navigation's start."""

    first_contentful_paint: float
    wayhome_ready: float
    first_meaningful_paint: float
    tiles_loaded: float
    chose_incident: bool
    #: Every request: (path, start, end) in ms from the navigation's start.
    requests: tuple[tuple[str, float, float], ...] = ()


#: Init script: the end of the first map frame drawn with the POA heat and the segments.
PAINT = r"""(() => {
  const hook = () => {
    const w = window.__wayhome;
    const m = w && w.map;
    if (!m || typeof m.on !== "function") { setTimeout(hook, 5); return; }
    let poaTile = false;
    m.on("sourcedata", (e) => { if (e.sourceId === "poa" && e.tile) poaTile = true; });
    const drawn = () => {
      const w2 = window.__wayhome;
      if (!(w2 && w2.ready && poaTile && m.getSource("poa") && m.getSource("segments"))) return;
      if (!(m.isSourceLoaded("poa") && m.isSourceLoaded("segments"))) return;
      if (m.querySourceFeatures("segments").length === 0) return;
      window.__wayhome_fmp = performance.now();
      m.off("render", drawn);
    };
    m.on("render", drawn);
  };
  hook();
})();"""
FMP = "() => window.__wayhome_fmp || false"
READY = "() => !!(window.__wayhome && window.__wayhome.ready === true) && performance.now()"
TILES = (
    "() => !!(window.__wayhome && window.__wayhome.map && window.__wayhome.map.areTilesLoaded())"
    " && performance.now()"
)


def _sign_in(browser: Browser, origin: str, incident_id: int) -> Any:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.goto(f"{origin}/")
    form = page.get_by_test_id("login-form")
    form.get_by_test_id("login-username").fill(LOGIN[0])
    form.get_by_test_id("login-password").fill(LOGIN[1])
    form.get_by_test_id("login-submit").click()
    _choose(page, incident_id)
    page.wait_for_function(READY, timeout=60_000)
    state = context.storage_state()
    context.close()
    return state


def _choose(page: Page, incident_id: int) -> bool:
    """Choose the incident if the page asks; whether it asked."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    select = page.get_by_test_id("incident-select")
    try:
        page.wait_for_function(
            "(id) => (window.__wayhome && window.__wayhome.ready) || "
            "[...document.querySelectorAll('[data-testid=incident-select] option')]"
            ".some(o => o.value === String(id))",
            arg=incident_id,
            timeout=30_000,
            polling="raf",
        )
    except PlaywrightTimeout:  # no selector at all: the page chose by itself
        return False
    if select.count() and select.input_value() != str(incident_id):
        select.select_option(value=str(incident_id))
        return True
    return False


def measure(browser: Browser, origin: str, incident_id: int, state: Any) -> Run:
    """One cold-cache page load of the command post, with the stored session."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, storage_state=state)
    context.add_init_script(PAINT)
    try:
        page = context.new_page()
        page.goto(f"{origin}/")
        chose = _choose(page, incident_id)
        ready = float(page.wait_for_function(READY, timeout=60_000, polling="raf").json_value())
        fmp = float(page.wait_for_function(FMP, timeout=60_000, polling="raf").json_value())
        tiles = float(page.wait_for_function(TILES, timeout=60_000, polling="raf").json_value())
        fcp = page.evaluate(
            "() => { const e = performance.getEntriesByName('first-contentful-paint')[0];"
            " return e ? e.startTime : null; }"
        )
        if fcp is None:
            raise RuntimeError("the browser recorded no first-contentful-paint")
        slow = page.evaluate(
            r"""() => performance.getEntriesByType('resource').map(e => [
                new URL(e.name).pathname.replace(/\/\d+\/\d+\/\d+\.png$/, '/{z}/{x}/{y}'),
                e.startTime, e.responseEnd])"""
        )
        return Run(float(fcp), ready, fmp, tiles, chose, tuple((str(n), a, b) for n, a, b in slow))
    finally:
        context.close()


def _machine() -> str:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    from importlib.metadata import version

    chromium = subprocess.run(
        [str(CHROMIUM), "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return (
        f"{dt.date.today()}, {platform.machine()}, {cpus} cores, Python "
        f"{platform.python_version()}, {chromium or 'chromium'}, playwright {version('playwright')}"
    )


def markdown(runs: list[Run], teams: int, cells: int, segments: int) -> str:
    lines = [
        f"Command-post page load, {teams} teams ({2 * teams} members with tracks), "
        f"{cells:,} POA cells, {segments} segments; {len(runs)} cold-cache loads on loopback; "
        f"{_machine()}.",
        "",
        "| from navigation start | median (ms) | min (ms) | max (ms) |",
        "| --- | ---: | ---: | ---: |",
    ]
    names = {
        "first_contentful_paint": "first contentful paint",
        "wayhome_ready": "`__wayhome.ready` (POA layer + segments loaded)",
        "first_meaningful_paint": "**first meaningful paint** (first frame with POA + segments)",
        "tiles_loaded": "all visible tiles loaded",
    }
    for metric in METRICS:
        values = [getattr(r, metric) for r in runs]
        lines.append(
            f"| {names[metric]} | {statistics.median(values):.0f} | {min(values):.0f} | "
            f"{max(values):.0f} |"
        )
    spans: dict[str, list[tuple[float, float]]] = {}
    for r in runs:
        per_run: dict[str, tuple[float, float]] = {}
        for path, start, end in r.requests:
            a, b = per_run.get(path, (start, end))
            per_run[path] = (min(a, start), max(b, end))
        for path, first_last in per_run.items():
            spans.setdefault(path, []).append(first_last)
    slowest = sorted(spans.items(), key=lambda kv: -statistics.median(b for _a, b in kv[1]))
    lines += [
        "",
        "Requests that finish last (tiles pooled per layer; median over runs, ms from navigation):",
        "",
        "| request | first starts | last ends | requests per load |",
        "| --- | ---: | ---: | ---: |",
    ]
    for path, span in slowest[:8]:
        count = sum(1 for r in runs for p, _s, _e in r.requests if p == path) / len(runs)
        lines.append(
            f"| `{path}` | {statistics.median(a for a, _b in span):.0f} | "
            f"{statistics.median(b for _a, b in span):.0f} | {count:.0f} |"
        )
    if any(r.chose_incident for r in runs):
        lines += ["", "The page asked for the incident; it was chosen at once (included)."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="page loads (median of them)")
    parser.add_argument("--work", type=Path, help="folder kept between runs (plan cached)")
    args = parser.parse_args()
    if not CHROMIUM.is_file():
        sys.exit(f"{CHROMIUM} not found: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    work = args.work or Path(tempfile.mkdtemp(prefix="wayhome-bench-web-"))
    work.mkdir(parents=True, exist_ok=True)
    plan = build_plan(work)
    db = work / "bench.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{db}"
    incident_id = build_incident(url, plan)
    summary = json.loads((plan / "summary.json").read_text("utf-8"))
    rows, cols = summary["grid"]["shape"]
    segments = len(summary.get("segments", []))
    server = start_server(url, cwd=work, log=work / "server.log")
    try:
        with sync_playwright() as p:
            browser = launch_chromium(p)
            try:
                state = _sign_in(browser, server.origin, incident_id)
                runs = [
                    measure(browser, server.origin, incident_id, state) for _ in range(args.runs)
                ]
            finally:
                browser.close()
    finally:
        server.stop()
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print(markdown(runs, TEAMS, rows * cols, segments))


if __name__ == "__main__":
    main()
