"""``wayhome audit verify`` and ``wayhome audit export`` (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from clitools import flat, invoke
from wayhome.store import (
    create_incident,
    engine_from_url,
    list_activity,
    log_activity,
    session_factory,
    upgrade_database,
)
from wayhome.store.models import ActivityLog


@pytest.fixture
def db(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Session]]:
    """A database with two incidents of four chained lines each; its URL and a session."""
    monkeypatch.delenv("WAYHOME_DATABASE_URL", raising=False)
    upgrade_database(database_url)
    engine = engine_from_url(database_url)
    with session_factory(engine)() as session:
        for name in ("Missing child", "Overdue hiker"):
            incident = create_incident(session, name=name, actor="IC").id
            for n in range(3):
                log_activity(session, incident_id=incident, actor="ops", kind="k", text=str(n))
            session.commit()
        yield database_url, session
    engine.dispose()


def _audit(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    monkeypatch.setenv("COLUMNS", "400")  # the table's rows on one line each
    code, out, err = invoke("audit", args, monkeypatch, capsys)
    return code, flat(out), flat(err)


def test_verify_passes_on_intact_logs_of_every_incident(
    db: tuple[str, Session], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url, _ = db
    code, out, err = _audit(["verify", "--database-url", url], monkeypatch, capsys)
    assert (code, err) == (0, "")
    assert "1 Missing child" in out and "2 Overdue hiker" in out
    assert out.count("ok: intact: 4 lines") == 2


def test_verify_exits_1_naming_the_first_bad_line(
    db: tuple[str, Session], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url, session = db
    [_, second, *_] = list_activity(session, 2)
    session.execute(update(ActivityLog).where(ActivityLog.id == second.id).values(text="edited"))
    session.commit()
    code, out, err = _audit(["verify", "--database-url", url], monkeypatch, capsys)
    bad = f"line 2 (id {second.id}) was changed after it was written: its hash does not match"
    assert code == 1
    assert "TAMPERED" in out and bad in out and "ok: intact: 4 lines" in out
    assert err == f"error: activity log tampered with in 2 Overdue hiker: {bad}"
    code, out, _ = _audit(["verify", "--database-url", url, "--incident", "1"], monkeypatch, capsys)
    assert code == 0 and "Overdue hiker" not in out


def test_export_then_verify_the_file_and_find_edits_in_it(
    db: tuple[str, Session],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, _ = db
    out_file = tmp_path / "log.jsonl"
    monkeypatch.setenv("WAYHOME_DATABASE_URL", url)  # the option's environment variable
    code, _, err = _audit(
        ["export", "--incident", "1", "--out", str(out_file)], monkeypatch, capsys
    )
    assert code == 0 and "wrote 4 activity-log lines of incident 1" in err
    records = [json.loads(line) for line in out_file.read_text("utf-8").splitlines()]
    assert [r.get("seq") for r in records[:-1]] == [1, 2, 3, 4]
    assert records[-1] == {"head": {"seq": 4, "hash": records[-2]["hash"]}}
    monkeypatch.delenv("WAYHOME_DATABASE_URL")
    code, out, _ = _audit(["verify", "--file", str(out_file)], monkeypatch, capsys)
    assert code == 0 and "│ log.jsonl │ 4 │ ok: intact: 4 lines │" in out

    records[2]["actor"] = "someone else"
    out_file.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    code, out, err = _audit(["verify", "--file", str(out_file)], monkeypatch, capsys)
    assert code == 1
    assert f"line 3 (id {records[2]['id']}) was changed after it was written" in err

    out_file.write_text("".join(json.dumps(r) + "\n" for r in records[:-2]), "utf-8")
    code, _, err = _audit(["verify", "--file", str(out_file)], monkeypatch, capsys)
    assert code == 1 and "does not end with the chain's head record" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["verify", "--database-url", "{url}", "--incident", "9"], "--incident: no incident 9"),
        (["export", "--database-url", "{url}", "--incident", "9", "--out", "{out}"],
         "--incident: no incident 9"),
        (["verify"], "--database-url/--file: give one"),
        (["verify", "--database-url", "{url}", "--file", "{out}"], "not both"),
        (["verify", "--file", "{missing}"], "--file: cannot read"),
        (["verify", "--file", "{garbage}"], "log: line 1 is not JSON"),
        (["verify", "--file", "{garbage}", "--incident", "1"], "--incident: only with"),
        (["export", "--incident", "1", "--out", "{out}"], "--database-url: required"),
        (["verify", "--database-url", "nonsense://"], "--database-url: cannot read"),
    ],
)  # fmt: skip
def test_usage_errors_exit_2_and_write_nothing(
    db: tuple[str, Session],
    tmp_path: Path,
    args: list[str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, _ = db
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_text("this is not an export\n", "utf-8")
    paths = {
        "url": url,
        "out": str(tmp_path / "out.jsonl"),
        "missing": str(tmp_path / "missing.jsonl"),
        "garbage": str(garbage),
    }
    code, _, err = _audit([a.format(**paths) for a in args], monkeypatch, capsys)
    assert code == 2, err
    assert err.startswith("error: ") and message in err
    assert not (tmp_path / "out.jsonl").exists()
