"""``wayhome demo``: the whole product end to end, as the README's main command runs it.

The planning loop runs once for the module (``wayhome demo --no-serve`` in a subprocess,
as a user would); the story is then checked in the database it wrote, through the
server's API with one of the printed logins, and played again on PostgreSQL.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from clitools import flat
from wayhome.demo.story import play_story
from wayhome.store import engine_from_url, session_factory, upgrade_database
from wayhome.store.models import ActivityLog, Incident, Member, Position, Subject, TeamMember

#: The story's beats, in the order the activity log must tell them: (kind, words in the line).
STORY = [
    ("incident", "incident opened"),
    ("subject", "subject intake: Toby Marsh"),
    ("plan", "probability map"),
    ("hazard", "(private_land) drawn"),
    ("period", "operational period 1"),
    ("team", "team T6 formed: Kit Alvarez + Lou Marsh"),
    ("assignment", "planned -> in_progress"),
    ("roll_call", "roll call 1 started for everyone in the field: 12 members"),
    ("roll_call", "no answer from Jo Keane"),
    ("roll_call", "Jo Keane answered (late, after escalation)"),
    ("injury", "injury: Dev Patel (minor)"),
    ("clue", "clue C1 (dog_alert)"),
    ("signal", "'return_to_rendezvous'"),
    ("clue", "clue C2 (sound)"),
    ("overdue", "team T5 overdue: past turnaround"),
    ("period", "operational period 2"),
    ("rotation", "rest rotation planned"),
    ("hazard", "entered Harlan Ridge Hunting Club land"),
    ("subject", "FOUND: Toby Marsh"),
    ("signal", "'found'"),
    ("handover_refused", "did not match the intake record"),
    ("subject", "identity verified: name, relation, handover code"),
    ("incident", "incident closed"),
]


@dataclass(frozen=True)
class DemoRun:
    out: Path
    url: str
    stderr: str


def _wayhome() -> list[str]:
    return [sys.executable, "-c", "from wayhome.cli import main; main()"]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """``wayhome demo --no-serve`` once: plans and the played incident in a fresh folder."""
    out = tmp_path_factory.mktemp("demo") / "demo-plan"
    proc = subprocess.run(
        [*_wayhome(), "demo", "--out", str(out), "--no-serve"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=out.parent,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return DemoRun(out=out, url=f"sqlite:///{(out / 'wayhome.db').resolve()}", stderr=proc.stderr)


def _log(url: str) -> list[ActivityLog]:
    engine = engine_from_url(url)
    try:
        with session_factory(engine)() as session:
            return list(session.scalars(select(ActivityLog).order_by(ActivityLog.id)))
    finally:
        engine.dispose()


def _assert_story(log: list[ActivityLog]) -> None:
    at = 0
    for kind, words in STORY:
        found = next(
            (i for i in range(at, len(log)) if log[i].kind == kind and words in log[i].text), None
        )
        assert found is not None, f"after line {at}: no {kind} line with {words!r}"
        at = found + 1
    times = [line.time for line in log]
    assert times == sorted(times), "the log is stamped in story time, never backwards"


def test_the_demo_tells_the_whole_story_in_order(demo_run: DemoRun) -> None:
    _assert_story(_log(demo_run.url))
    for period in ("period-1", "period-2"):
        assert (demo_run.out / period / "assignments.json").is_file()
    text = flat(demo_run.stderr)
    assert "everyone checked out; incident closed" in text
    for role in ("incident_commander", "planning", "operations", "team_leader", "searcher"):
        assert role in text  # a login per role


def test_the_demo_incident_is_consistent(demo_run: DemoRun) -> None:
    engine = engine_from_url(demo_run.url)
    try:
        with session_factory(engine)() as session:
            incident = session.scalars(select(Incident)).one()
            assert incident.status == "closed"
            members = list(session.scalars(select(Member)))
            assert len(members) == 12
            assert {m.status for m in members} == {"checked_out"}
            protected = [m for m in members if m.needs_protection]
            assert [m.name for m in protected] == ["Lou Marsh"]
            guard = session.scalars(
                select(TeamMember).where(TeamMember.protects_id == protected[0].id)
            ).one()
            assert session.get(Member, guard.member_id).name == "Kit Alvarez"  # type: ignore[union-attr]
            subject = session.scalars(select(Subject)).one()
            assert (subject.status, subject.handed_to) == ("handed_over", "Nora Marsh (fictional)")
            positions = session.scalar(select(func.count()).select_from(Position))
            assert positions is not None and positions > 500
    finally:
        engine.dispose()


def _password(stderr: str, login: str) -> str:
    match = re.search(rf"│\s*\w+\s*│\s*{login}\s*│\s*(\w+)\s*│", stderr)
    assert match, f"no login row for {login!r} in the demo's output"
    return match.group(1)


def test_the_printed_logins_open_the_served_incident(demo_run: DemoRun) -> None:
    from wayhome.api import WayhomeSettings, create_app

    settings = WayhomeSettings(database_url=demo_run.url, roll_call_watch_seconds=0)
    with TestClient(create_app(settings)) as client:
        body = {"login": "viewer", "password": _password(demo_run.stderr, "viewer")}
        token = client.post("/auth/token", json=body)
        assert token.status_code == 200, token.text
        client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        [incident] = client.get("/incidents").json()
        assert incident["status"] == "closed"
        activity = client.get(f"/incidents/{incident['id']}/activity").json()
        assert [a["text"] for a in activity] == [line.text for line in _log(demo_run.url)]
        refused = client.post(f"/incidents/{incident['id']}/members", json={"name": "X"})
        assert refused.status_code == 403  # a viewer writes nothing


def test_the_demo_refuses_a_database_that_is_not_empty(demo_run: DemoRun) -> None:
    proc = subprocess.run(
        [*_wayhome(), "demo", "--out", str(demo_run.out), "--skip-planning", "--no-serve",
         "--database-url", demo_run.url],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "--database-url: this database already has users" in flat(proc.stderr)


def test_the_story_plays_on_every_backend(demo_run: DemoRun, database_url: str) -> None:
    upgrade_database(database_url)
    engine = engine_from_url(database_url)
    try:
        with session_factory(engine)() as session:
            result = play_story(session, plan_dir=demo_run.out, passwords={"admin": "a" * 10})
            assert result.positions > 500 and result.hazard_alerts >= 1
            assert [x.login for x in result.logins][:2] == ["admin", "commander"]
            assert result.logins[0].password == "a" * 10
    finally:
        engine.dispose()
    _assert_story(_log(database_url))
