"""Crash safety: ``kill -9`` the server in the middle of a load, restart it on the same
database, and every position it acknowledged is there; on SQLite and on PostgreSQL.

The server runs as a real ``wayhome serve`` subprocess on a free loopback port; devices
are threads posting positions over keep-alive HTTP connections, recording each id that
got a 2xx. The stored positions are read back through the store, not the API (which
shows only the latest per member).
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

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
from wayhome.store.models import Position, utc_now

pytestmark = pytest.mark.slow

DEVICES = 6
#: Acknowledged positions to wait for before the kill (or ``KILL_AFTER_S``, whichever first).
KILL_AT_ACKS = 150
KILL_AFTER_S = 3.0

Server = subprocess.Popen[bytes]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _get(port: int, path: str, token: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[[str], tuple[Server, int]]]:
    """Start ``wayhome serve`` on a database URL: (process, port), once it answers /health.

    Every server started is killed and reaped afterwards, whatever the test did.
    """
    started: list[Server] = []

    def start(url: str) -> tuple[Server, int]:
        port = _free_port()
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
        log = tmp_path / f"server-{len(started)}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        started.append(proc)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"server exited with {proc.returncode}: {log.read_text()[-2000:]}")
            try:
                if _get(port, "/health", "")[0] == 200:
                    return proc, port
            except OSError:
                pass
            time.sleep(0.05)
        pytest.fail(f"server did not answer /health in 60 s: {log.read_text()[-2000:]}")

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def _prepare(url: str) -> tuple[int, str, list[int]]:
    """An incident with a commander (their token) and checked-in members."""
    upgrade_database(url)
    engine = engine_from_url(url)
    try:
        with session_factory(engine)() as s:
            ic = create_user(s, login="ic", name="Incident Commander", is_admin=True)
            token = issue_token(s, user_id=ic.id, now=utc_now())
            incident = create_incident(s, name="Crash test").id
            grant_role(s, incident_id=incident, user_id=ic.id, role="incident_commander")
            members = []
            for i in range(DEVICES):
                m = add_member(s, incident_id=incident, name=f"Searcher {i}").id
                set_member_status(s, incident_id=incident, member_id=m, status="checked_in")
                members.append(m)
            return incident, token, members
    finally:
        engine.dispose()


def _device(
    port: int, path: str, token: str, member: int, acked: list[str], stop: threading.Event
) -> None:
    """Post positions for ``member`` over one keep-alive connection until the server dies."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    try:
        while not stop.is_set():
            pid = str(uuid.uuid4())
            body = {
                "id": pid,
                "member_id": member,
                "lat": 36.58,
                "lon": -84.25,
                "time": datetime.now(UTC).isoformat(),
            }
            conn.request("POST", path, body=json.dumps(body), headers=headers)
            response = conn.getresponse()
            response.read()
            if 200 <= response.status < 300:
                acked.append(pid)  # list.append is atomic: safe from several threads
    except (OSError, http.client.HTTPException):
        pass  # the server was killed
    finally:
        conn.close()


def _stored(url: str, incident: int) -> tuple[set[str], dict[int, datetime]]:
    """Ids of the incident's stored positions, and each member's newest time."""
    engine = engine_from_url(url)
    try:
        with session_factory(engine)() as s:
            ids = {
                str(i)
                for i in s.scalars(select(Position.id).where(Position.incident_id == incident))
            }
            query = (
                select(Position.member_id, func.max(Position.time))
                .where(Position.incident_id == incident)
                .group_by(Position.member_id)
            )
            return ids, {member: when for member, when in s.execute(query)}
    finally:
        engine.dispose()


def test_every_acknowledged_position_survives_kill_9(
    database_url: str, serve: Callable[[str], tuple[Server, int]]
) -> None:
    incident, token, members = _prepare(database_url)
    server, port = serve(database_url)
    path = f"/incidents/{incident}/positions"
    acked: list[str] = []
    stop = threading.Event()
    devices = [
        threading.Thread(target=_device, args=(port, path, token, m, acked, stop), daemon=True)
        for m in members
    ]
    for device in devices:
        device.start()
    deadline = time.monotonic() + KILL_AFTER_S
    while len(acked) < KILL_AT_ACKS and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(server.pid, signal.SIGKILL)  # mid-load: the devices are still posting
    server.wait()
    stop.set()
    for device in devices:
        device.join(timeout=15)
    assert not any(d.is_alive() for d in devices)
    assert server.returncode == -signal.SIGKILL
    assert len(acked) >= 20, "too few positions acknowledged before the kill to mean much"
    assert len(set(acked)) == len(acked)

    _, port = serve(database_url)  # the same database, after the crash
    stored, newest = _stored(database_url, incident)
    missing = set(acked) - stored
    assert not missing, f"{len(missing)} of {len(acked)} acknowledged positions lost"
    # The restarted server answers, and its picture of the last positions is consistent
    # with the tracks: each member's latest is their newest stored position.
    status, body = _get(port, f"{path}/latest", token)
    assert status == 200
    latest = {p["member_id"]: datetime.fromisoformat(p["time"]) for p in json.loads(body)}
    assert latest == newest
