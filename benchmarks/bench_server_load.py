"""Benchmark the incident server under load: devices posting positions, viewers watching live.

Usage::

    .venv/bin/python benchmarks/bench_server_load.py [--database-url URL] [--devices 300]
        [--seconds 60] [--viewers 20] [--prefill 0 1000000] [--quick]

Everything runs on loopback on this machine, the load generator sharing the cores with
the server. Setup, from Python through the store: a fresh incident, an incident
commander (the viewers' token) and, per device, a checked-in member and a user holding
the searcher role for that member with its own token (a phone reports for its carrier).
``--prefill N`` then bulk-loads N positions into the incident (an hour of the devices'
reports before the run, and the matching ``last_position`` rows): SQLAlchemy core
``executemany`` in chunks on SQLite, ``COPY`` on PostgreSQL (followed by ``VACUUM
ANALYZE``, the state autovacuum reaches on its own).

The server is ``wayhome serve`` in a subprocess on a free port (its log in a temporary
file). The viewers open ``/incidents/{id}/live`` first (``websockets`` client, the
defaults a browser would get); then each device, with its own ``httpx.AsyncClient``
(one HTTP/1.1 keep-alive connection, like a phone), posts one warm-up position at a
random moment of the first second (its first contact: the server looks its token up),
then, from 3 s later, ``--seconds`` positions, one a second on its own phase with ±0.1 s
jitter, each request sent after the previous one was answered. The viewers then get up
to 10 s to drain.

Measured (``time.monotonic``; the warm-up posts are left out of the latencies but not
out of the lost/duplicated count):

- **ingest latency**: the round trip of each ``POST /incidents/{id}/positions``;
- **delivery lag**: a viewer's receive time minus the moment the device started that
  position's request, for every viewer and position;
- **lost**: acknowledged (2xx) positions that some viewer never received, and
  acknowledged positions not in the database afterwards; **duplicated**: a position a
  viewer received twice. Both must be 0;
- CPU seconds per wall second, over the whole load, of the server process, of this load
  generator and of the whole machine (all processes: PostgreSQL's backends, and anything
  else running, show up there), and the generator's own event-loop lag (p99 of a 10 ms
  ticker's oversleep), which says whether the generator kept up. The generator's garbage
  collector is off during the load (its full passes over its own records stalled it for
  ~0.1 s every few seconds, which read as server latency).

Targets (issue #5): p99 ingest < 50 ms, p99 delivery lag < 250 ms, on 2 cores; with 1 M
positions stored neither p99 more than 2× the empty incident's. The exit status is 1
when anything is lost or duplicated, or a request failed.

``--database-url`` is used as given (SQLite file or PostgreSQL database; give a
throwaway one: every run adds an incident, users and positions). By default each run
gets a new SQLite file in a temporary directory. ``--quick``: 20 devices, 3 viewers, 5 s,
for a smoke run.

Prints Markdown: a machine header, then the table.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import math
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from sqlalchemy import Engine, func, insert, select, text
from websockets.asyncio.client import ClientConnection, connect

from bench_plan import machine_line
from wayhome.store import (
    add_member,
    create_incident,
    create_user,
    engine_from_url,
    grant_role,
    issue_token,
    session_factory,
    set_member_status,
    upgrade_database,
)
from wayhome.store.models import LastPosition, Position, utc_now

INGEST_P99_TARGET_MS = 50.0
DELIVERY_P99_TARGET_MS = 250.0
DEGRADATION_LIMIT = 2.0
JITTER_S = 0.1
#: Seconds between a device's warm-up post and its first measured one.
WARMUP_S = 3.0
DRAIN_S = 10.0
PREFILL_SPAN = timedelta(hours=1)
CHUNK = 50_000
#: Centre of the synthetic positions (the demo's Cumberland Mountains).
LAT0, LON0 = 36.58, -84.25


@dataclass(frozen=True)
class Incident:
    """What the setup made: the incident, the commander's token, one (member, token) per device."""

    url: str
    incident_id: int
    commander_token: str
    devices: tuple[tuple[int, str], ...]


@dataclass
class Sent:
    """One position a device sent: when, whether and when it was acknowledged."""

    member_id: int
    sent: float
    warmup: bool
    acked: float | None = None
    status: int | None = None


@dataclass
class Viewer:
    """What one viewer received: the first receive time per position id, and repeats."""

    received: dict[str, float] = field(default_factory=dict)
    duplicates: int = 0


@dataclass(frozen=True)
class Result:
    """One run's figures (milliseconds, counts, CPU shares)."""

    backend: str
    prefill: int
    prefill_s: float
    devices: int
    viewers: int
    seconds: int
    acked: int
    failed: int
    ingest_ms: tuple[float, float, float]
    delivery_ms: tuple[float, float, float]
    lost_viewers: int
    lost_store: int
    duplicated: int
    server_cpu: float
    bench_cpu: float
    machine_cpu: float
    loop_lag_p99_ms: float

    @property
    def ok(self) -> bool:
        """Nothing lost, nothing doubled, no request failed."""
        return not (self.failed or self.lost_viewers or self.lost_store or self.duplicated)


# ---------------------------------------------------------------------------- setup
def backend_of(url: str) -> str:
    """``sqlite`` or ``postgresql`` (the URL's dialect)."""
    return url.split(":", 1)[0].split("+", 1)[0]


def prepare(url: str, devices: int) -> Incident:
    """A fresh incident with a commander and ``devices`` checked-in searchers, each with a token."""
    upgrade_database(url)
    engine = engine_from_url(url)
    tag = uuid.uuid4().hex[:8]
    now = utc_now()
    try:
        with session_factory(engine)() as s:
            ic = create_user(s, login=f"ic-{tag}", name="Incident Commander", is_admin=True)
            ic_token = issue_token(s, user_id=ic.id, now=now)
            incident = create_incident(s, name=f"Load benchmark {tag}", actor="bench")
            grant_role(s, incident_id=incident.id, user_id=ic.id, role="incident_commander")
            pairs: list[tuple[int, str]] = []
            for i in range(devices):
                m = add_member(s, incident_id=incident.id, name=f"Searcher {i:03d}")
                set_member_status(s, incident_id=incident.id, member_id=m.id, status="checked_in")
                user = create_user(s, login=f"phone-{i:03d}-{tag}", name=f"Phone {i:03d}")
                grant_role(
                    s, incident_id=incident.id, user_id=user.id, role="searcher", member_id=m.id
                )
                pairs.append((m.id, issue_token(s, user_id=user.id, now=now)))
            return Incident(url, incident.id, ic_token, tuple(pairs))
    finally:
        engine.dispose()


def prefill(incident: Incident, n: int) -> float:
    """Store ``n`` positions of the devices over the hour before now; seconds taken."""
    if n <= 0:
        return 0.0
    t0 = time.perf_counter()
    members = [m for m, _ in incident.devices]
    per_member = math.ceil(n / len(members))
    step = PREFILL_SPAN / per_member
    start = utc_now() - PREFILL_SPAN - timedelta(seconds=5)
    rng = np.random.default_rng(5)
    newest: dict[int, tuple[uuid.UUID, datetime]] = {}

    def rows() -> Iterator[tuple[uuid.UUID, int, float, float, datetime]]:
        lats = LAT0 + rng.normal(0.0, 0.02, n)
        lons = LON0 + rng.normal(0.0, 0.02, n)
        for j in range(n):
            member = members[j % len(members)]
            when = start + step * (j // len(members))
            pid = uuid.uuid4()
            newest[member] = (pid, when)
            yield pid, member, float(lats[j]), float(lons[j]), when

    engine = engine_from_url(incident.url)
    try:
        if backend_of(incident.url) == "postgresql":
            _copy_positions(engine, incident.incident_id, rows())
        else:
            _insert_positions(engine, incident.incident_id, rows())
        with engine.begin() as conn:
            conn.execute(
                insert(LastPosition),
                [
                    {
                        "incident_id": incident.incident_id,
                        "member_id": m,
                        "position_id": pid,
                        "time": when,
                    }
                    for m, (pid, when) in newest.items()
                ],
            )
        if backend_of(incident.url) == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE position"))
                conn.execute(text("VACUUM ANALYZE last_position"))
        else:
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    return time.perf_counter() - t0


def _insert_positions(
    engine: Engine,
    incident_id: int,
    rows: Iterator[tuple[uuid.UUID, int, float, float, datetime]],
) -> None:
    """SQLite: core ``executemany`` in chunks of ``CHUNK`` rows."""
    chunk: list[dict[str, Any]] = []

    def flush() -> None:
        with engine.begin() as conn:
            conn.execute(insert(Position), chunk)
        chunk.clear()

    for pid, member, lat, lon, when in rows:
        chunk.append(
            {
                "id": pid,
                "incident_id": incident_id,
                "member_id": member,
                "lat": lat,
                "lon": lon,
                "time": when,
                "received_at": when,
            }
        )
        if len(chunk) >= CHUNK:
            flush()
    if chunk:
        flush()


def _copy_positions(
    engine: Engine,
    incident_id: int,
    rows: Iterator[tuple[uuid.UUID, int, float, float, datetime]],
) -> None:
    """PostgreSQL: one ``COPY`` through psycopg (naive UTC, as ``UTCDateTime`` stores it)."""
    raw = engine.raw_connection()
    try:
        pg: Any = raw.driver_connection
        columns = "id, incident_id, member_id, lat, lon, time, received_at"
        with pg.cursor() as cur, cur.copy(f"COPY position ({columns}) FROM STDIN") as copy:
            for pid, member, lat, lon, when in rows:
                naive = when.replace(tzinfo=None)
                copy.write_row((pid, incident_id, member, lat, lon, naive, naive))
        raw.commit()
    finally:
        raw.close()


# ---------------------------------------------------------------------------- server
def free_port() -> int:
    """A TCP port on loopback nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def running_server(url: str, log: Path) -> Iterator[tuple[str, int]]:
    """``wayhome serve`` on a free loopback port until the block exits: (base URL, pid)."""
    port = free_port()
    command = [
        sys.executable,
        "-c",
        "import sys; from wayhome.cli import main; sys.exit(main())",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--database-url",
        url,
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60.0
        while True:
            if proc.poll() is not None:
                tail = log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"the server exited with {proc.returncode}:\n{tail}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/health", timeout=1.0).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not answer /health within 60 s")
            time.sleep(0.1)
        yield base, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux ``/proc``)."""
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds all processes of the machine have used so far (all cores, not idle)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------------------- load
async def device(
    client: httpx.AsyncClient,
    path: str,
    member_id: int,
    first: float,
    seconds: int,
    sent: dict[str, Sent],
    rng: random.Random,
) -> None:
    """Post a warm-up position at ``first``, then from ``WARMUP_S`` later ``seconds``
    positions, one a second with jitter; one request at a time."""
    lat, lon = LAT0 + rng.gauss(0.0, 0.02), LON0 + rng.gauss(0.0, 0.02)
    for k in range(seconds + 1):
        at = first if k == 0 else first + WARMUP_S + k - 1 + rng.uniform(-JITTER_S, JITTER_S)
        delay = at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        lat, lon = lat + rng.gauss(0.0, 1e-5), lon + rng.gauss(0.0, 1e-5)
        pid = str(uuid.uuid4())
        body = {
            "id": pid,
            "member_id": member_id,
            "lat": lat,
            "lon": lon,
            "time": datetime.now(UTC).isoformat(),
        }
        record = sent[pid] = Sent(member_id, time.monotonic(), warmup=k == 0)
        try:
            response = await client.post(path, json=body)
        except httpx.HTTPError:
            continue
        record.status = response.status_code
        if response.is_success:
            record.acked = time.monotonic()


async def watch(ws: ClientConnection, viewer: Viewer) -> None:
    """Record the first receive time of every position pushed to ``ws`` until it closes."""
    with contextlib.suppress(Exception):
        async for raw in ws:
            now = time.monotonic()
            message = json.loads(raw)
            if message.get("type") != "position":
                continue
            pid = message["position"]["id"]
            if pid in viewer.received:
                viewer.duplicates += 1
            else:
                viewer.received[pid] = now


async def ticker(lags: list[float], stop: asyncio.Event) -> None:
    """The generator's event-loop lag: how late a 10 ms sleep wakes up."""
    while not stop.is_set():
        t0 = time.monotonic()
        await asyncio.sleep(0.01)
        lags.append(time.monotonic() - t0 - 0.01)


async def run_load(
    base: str, incident: Incident, *, seconds: int, viewers: int, seed: int
) -> tuple[dict[str, Sent], list[Viewer], list[float]]:
    """Viewers connect, devices post for ``seconds``, viewers drain; what was sent and seen."""
    rng = random.Random(seed)
    ws_uri = base.replace("http", "ws", 1) + f"/incidents/{incident.incident_id}/live"
    auth = {"Authorization": f"Bearer {incident.commander_token}"}
    sockets = [await connect(ws_uri, additional_headers=auth) for _ in range(viewers)]
    for ws in sockets:
        hello = json.loads(await ws.recv())
        if hello.get("type") != "subscribed":
            raise RuntimeError(f"viewer: expected 'subscribed', got {hello}")
    seen = [Viewer() for _ in sockets]
    watchers = [asyncio.create_task(watch(ws, v)) for ws, v in zip(sockets, seen, strict=True)]
    clients = [
        httpx.AsyncClient(
            base_url=base,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30.0,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            trust_env=False,
        )
        for _, token in incident.devices
    ]
    sent: dict[str, Sent] = {}
    lags: list[float] = []
    stop = asyncio.Event()
    tick = asyncio.create_task(ticker(lags, stop))
    path = f"/incidents/{incident.incident_id}/positions"
    start = time.monotonic() + 0.5
    try:
        await asyncio.gather(
            *(
                device(c, path, member, start + rng.random(), seconds, sent, rng)
                for c, (member, _) in zip(clients, incident.devices, strict=True)
            )
        )
        acked = {pid for pid, s in sent.items() if s.acked is not None}
        deadline = time.monotonic() + DRAIN_S
        while time.monotonic() < deadline and any(acked - v.received.keys() for v in seen):
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await tick
        for ws in sockets:
            await ws.close()
        await asyncio.gather(*watchers)
        await asyncio.gather(*(c.aclose() for c in clients))
    return sent, seen, lags


def stored_count(url: str, ids: Sequence[str]) -> int:
    """How many of ``ids`` are in the position table."""
    engine = engine_from_url(url)
    found = 0
    try:
        with engine.connect() as conn:
            for i in range(0, len(ids), 5000):
                chunk = [uuid.UUID(x) for x in ids[i : i + 5000]]
                query = select(func.count()).select_from(Position).where(Position.id.in_(chunk))
                found += conn.execute(query).scalar_one()
    finally:
        engine.dispose()
    return found


def percentiles(values: Sequence[float]) -> tuple[float, float, float]:
    """p50, p99 and max of ``values`` (seconds) in milliseconds; NaN when empty."""
    if not values:
        return (math.nan, math.nan, math.nan)
    arr = np.asarray(values) * 1e3
    return (float(np.percentile(arr, 50)), float(np.percentile(arr, 99)), float(arr.max()))


def run_once(
    url: str, *, devices: int, seconds: int, viewers: int, prefill_n: int, seed: int
) -> Result:
    """Set up, prefill, serve, load and check one configuration."""
    incident = prepare(url, devices)
    prefill_s = prefill(incident, prefill_n)
    log_dir = tempfile.TemporaryDirectory(prefix="wayhome-bench-")
    with log_dir as tmp, running_server(url, Path(tmp) / "server.log") as (base, pid):
        cpu0, bench0, busy0 = cpu_seconds(pid), time.process_time(), machine_busy_seconds()
        wall0 = time.monotonic()
        # The generator's records grow to ~0.4 M objects: its own full garbage collections
        # would stall it for ~0.1 s every few seconds and show up as server latency.
        gc.disable()
        try:
            sent, seen, lags = asyncio.run(
                run_load(base, incident, seconds=seconds, viewers=viewers, seed=seed)
            )
        finally:
            gc.enable()
        wall = time.monotonic() - wall0
        server_cpu = (cpu_seconds(pid) - cpu0) / wall
        bench_cpu = (time.process_time() - bench0) / wall
        machine_cpu = (machine_busy_seconds() - busy0) / wall
    acked = {pid: s for pid, s in sent.items() if s.acked is not None}
    timed = {pid: s for pid, s in acked.items() if not s.warmup}
    ingest = [s.acked - s.sent for s in timed.values() if s.acked is not None]
    delivery = [t - timed[pid].sent for v in seen for pid, t in v.received.items() if pid in timed]
    lost = sum(any(pid not in v.received for v in seen) for pid in acked)
    return Result(
        backend=backend_of(url),
        prefill=prefill_n,
        prefill_s=prefill_s,
        devices=devices,
        viewers=viewers,
        seconds=seconds,
        acked=len(acked),
        failed=len(sent) - len(acked),
        ingest_ms=percentiles(ingest),
        delivery_ms=percentiles(delivery),
        lost_viewers=lost,
        lost_store=len(acked) - stored_count(url, list(acked)),
        duplicated=sum(v.duplicates for v in seen),
        server_cpu=server_cpu,
        bench_cpu=bench_cpu,
        machine_cpu=machine_cpu,
        loop_lag_p99_ms=percentiles(lags)[1],
    )


# ---------------------------------------------------------------------------- report
def row(r: Result) -> str:
    """One Markdown table row."""
    i50, i99, imax = r.ingest_ms
    d50, d99, dmax = r.delivery_ms
    return (
        f"| {r.backend} | {r.prefill:,} | {r.devices} × {r.seconds} s, {r.viewers} viewers | "
        f"{r.acked:,} | {r.failed} | {i50:.1f} | {i99:.1f} | {imax:.0f} | "
        f"{d50:.1f} | {d99:.1f} | {dmax:.0f} | {r.lost_viewers} | {r.lost_store} | "
        f"{r.duplicated} | {r.server_cpu:.2f} | {r.bench_cpu:.2f} | {r.machine_cpu:.2f} | "
        f"{r.loop_lag_p99_ms:.1f} |"
    )


def verdicts(results: Sequence[Result]) -> list[str]:
    """Targets met or missed, and the degradation with a prefill against without."""
    lines = []
    for r in results:
        met = r.ingest_ms[1] < INGEST_P99_TARGET_MS and r.delivery_ms[1] < DELIVERY_P99_TARGET_MS
        lines.append(
            f"- {r.backend}, prefill {r.prefill:,}: p99 targets "
            f"({INGEST_P99_TARGET_MS:.0f} ms ingest, {DELIVERY_P99_TARGET_MS:.0f} ms delivery) "
            f"{'met' if met else 'MISSED'}; lost/duplicated/failed "
            f"{'none' if r.ok else 'FOUND'}"
        )
    empty = [r for r in results if r.prefill == 0]
    for r in results:
        if r.prefill == 0 or not empty:
            continue
        base = empty[0]
        ingest = r.ingest_ms[1] / base.ingest_ms[1]
        delivery = r.delivery_ms[1] / base.delivery_ms[1]
        worst = max(ingest, delivery)
        lines.append(
            f"- {r.backend}, prefill {r.prefill:,} vs empty: p99 ingest ×{ingest:.2f}, "
            f"p99 delivery ×{delivery:.2f} (limit ×{DEGRADATION_LIMIT:g}: "
            f"{'met' if worst <= DEGRADATION_LIMIT else 'MISSED'})"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database-url", help="SQLite or PostgreSQL URL (default: a temp file)")
    parser.add_argument("--devices", type=int, default=300, help="devices posting (300)")
    parser.add_argument("--seconds", type=int, default=60, help="positions per device (60)")
    parser.add_argument("--viewers", type=int, default=20, help="WebSocket viewers (20)")
    parser.add_argument(
        "--prefill",
        type=int,
        nargs="+",
        default=[0],
        help="positions stored before the run; several values run one after another",
    )
    parser.add_argument("--quick", action="store_true", help="20 devices, 3 viewers, 5 s")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if args.quick:
        args.devices, args.viewers, args.seconds = 20, 3, 5
    if args.devices < 1 or args.viewers < 1 or args.seconds < 1 or min(args.prefill) < 0:
        parser.error("--devices, --viewers, --seconds must be at least 1, --prefill at least 0")
    results = []
    with tempfile.TemporaryDirectory(prefix="wayhome-bench-db-") as tmp:
        for n in args.prefill:
            url = args.database_url or f"sqlite:///{Path(tmp) / f'load-{n}.db'}"
            print(f"running {backend_of(url)} with {n:,} stored positions ...", file=sys.stderr)
            results.append(
                run_once(
                    url,
                    devices=args.devices,
                    seconds=args.seconds,
                    viewers=args.viewers,
                    prefill_n=n,
                    seed=args.seed,
                )
            )
            if n:
                print(f"  prefill took {results[-1].prefill_s:.1f} s", file=sys.stderr)
    print(
        f"Machine: {machine_line()} · fastapi {version('fastapi')} · "
        f"uvicorn {version('uvicorn')} · SQLAlchemy {version('sqlalchemy')} · "
        f"httpx {version('httpx')} · websockets {version('websockets')}\n"
    )
    print(
        "| backend | stored before | load | acked | failed | ingest p50 ms | p99 | max | "
        "delivery p50 ms | p99 | max | lost (viewers) | lost (store) | duplicated | "
        "server CPU | bench CPU | machine CPU | bench loop lag p99 ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(row(r))
    print()
    print("\n".join(verdicts(results)))
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
