"""wayhome.store.audit: the hash-chained activity log and its verification (SQLite and PG)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from wayhome.errors import DataFileError
from wayhome.store import (
    UnknownRecordError,
    activity_clock,
    create_incident,
    engine_from_url,
    list_activity,
    log_activity,
    session_factory,
    upgrade_database,
)
from wayhome.store.audit import (
    AuditReport,
    ChainLine,
    append_line,
    export_log,
    export_to_jsonl,
    line_hash,
    records_from_jsonl,
    verify_chain,
    verify_export,
    verify_incident,
)
from wayhome.store.models import ActivityChain, ActivityLog

T0 = datetime(2026, 6, 1, 14, 0, 0, 123456, tzinfo=UTC)


def _incident(session: Session, lines: int = 5, name: str = "Missing child") -> int:
    """An incident whose log has the opening line plus ``lines`` more (committed)."""
    incident = create_incident(session, name=name, actor="IC Ada").id
    for n in range(lines):
        log_activity(session, incident_id=incident, actor="ops", kind="note", text=f"note {n + 2}")
        session.commit()
    return incident


def _line(session: Session, incident: int, seq: int) -> ActivityLog:
    line = session.scalars(
        select(ActivityLog).where(ActivityLog.incident_id == incident, ActivityLog.seq == seq)
    ).one()
    return line


def _edit(session: Session, line_id: int, **values: Any) -> None:
    """Change a stored line behind the store's back, as a database console would."""
    edit = update(ActivityLog).where(ActivityLog.id == line_id).values(**values)
    session.execute(edit, execution_options={"synchronize_session": False})
    session.commit()


def test_an_intact_log_verifies_and_each_line_links_to_the_one_before(session: Session) -> None:
    incident = _incident(session)
    lines = list_activity(session, incident)
    assert [a.seq for a in lines] == [1, 2, 3, 4, 5, 6]
    assert lines[0].prev_hash == ""
    assert [a.prev_hash for a in lines[1:]] == [a.hash for a in lines[:-1]]
    head = session.get(ActivityChain, incident)
    assert head is not None
    assert (head.seq, head.head_hash) == (6, lines[-1].hash)
    assert verify_incident(session, incident) == AuditReport(
        ok=True, checked=6, unchained=0, first_bad_seq=None, first_bad_id=None,
        reason="intact: 6 lines",
    )  # fmt: skip


def test_the_hash_covers_the_stored_time_exactly_on_both_backends(session: Session) -> None:
    # Microseconds and a non-UTC zone: hashed as naive UTC, as stored, so it verifies.
    when = datetime(2026, 6, 1, 9, 30, 0, 654321, tzinfo=timezone(timedelta(hours=-5)))
    incident = create_incident(session, name="x").id
    with activity_clock(lambda: when):
        log_activity(session, incident_id=incident, actor="a", kind="k", text="t")
    session.commit()
    session.expunge_all()
    line = _line(session, incident, 2)
    assert line.time == when
    expected = line_hash(
        line.prev_hash, incident_id=incident, seq=2, time=when, actor="a", kind="k", text="t"
    )
    assert line.hash == expected
    assert verify_incident(session, incident).ok


def _swap_contents(session: Session, a: ActivityLog, b: ActivityLog) -> None:
    fields = ("time", "actor", "kind", "text")
    va, vb = ({f: getattr(x, f) for f in fields} for x in (a, b))
    _edit(session, a.id, **vb)
    _edit(session, b.id, **va)


def _swap_rows(session: Session, a: ActivityLog, b: ActivityLog) -> None:
    fields = ("time", "actor", "kind", "text", "seq", "prev_hash", "hash")
    va, vb = ({f: getattr(x, f) for f in fields} for x in (a, b))
    _edit(session, a.id, **vb)
    _edit(session, b.id, **va)


def _delete(session: Session, *ids: int) -> None:
    session.execute(delete(ActivityLog).where(ActivityLog.id.in_(ids)))
    session.commit()


def _swap_numbers(session: Session, a: ActivityLog, b: ActivityLog) -> None:
    _edit(session, a.id, seq=b.seq)
    _edit(session, b.id, seq=a.seq)


def _move_head(session: Session, lines: dict[int, ActivityLog], back_to: int) -> None:
    head = session.get(ActivityChain, lines[1].incident_id)
    assert head is not None
    head.seq, head.head_hash = back_to, lines[back_to].hash
    session.commit()


def _drop_head(session: Session, lines: dict[int, ActivityLog]) -> None:
    session.execute(delete(ActivityChain).where(ActivityChain.incident_id == lines[1].incident_id))
    session.commit()


def _forge(session: Session, lines: dict[int, ActivityLog], seq: int) -> None:
    """Rewrite line ``seq`` and recompute its own hash (but not the next line's link)."""
    line = lines[seq]
    digest = line_hash(
        line.prev_hash, incident_id=line.incident_id, seq=seq, time=line.time,
        actor=line.actor, kind=line.kind, text="forged",
    )  # fmt: skip
    _edit(session, line.id, text="forged", hash=digest)


Tamper = Callable[[Session, dict[int, ActivityLog]], None]

# (what was done, how, first bad line, stored line where it shows (seq) or None, reason)
TAMPERING: list[tuple[str, Tamper, int | None, int | None, str]] = [
    (
        "text edited",
        lambda s, ln: _edit(s, ln[3].id, text="note 3 (never happened)"),
        3, 3, "line 3 (id {3}) was changed after it was written: its hash does not match",
    ),
    (
        "time edited",
        lambda s, ln: _edit(s, ln[4].id, time=ln[4].time + timedelta(microseconds=1)),
        4, 4, "line 4 (id {4}) was changed after it was written: its hash does not match",
    ),
    (
        "middle line deleted",
        lambda s, ln: _delete(s, ln[3].id),
        3, 4, "line 3 is missing (line 2 is followed by 4)",
    ),
    (
        "first line deleted",
        lambda s, ln: _delete(s, ln[1].id),
        1, 2, "line 1 is missing (the chain starts at line 2)",
    ),
    (
        "last lines deleted",
        lambda s, ln: _delete(s, ln[5].id, ln[6].id),
        5, None,
        "the log ends at line 4 but the chain's head says 6 lines: the last lines were removed",
    ),
    (
        "two lines' contents swapped",
        lambda s, ln: _swap_contents(s, ln[2], ln[3]),
        2, 2, "line 2 (id {2}) was changed after it was written: its hash does not match",
    ),
    (
        "two lines' numbers swapped",
        lambda s, ln: _swap_numbers(s, ln[2], ln[3]),
        2, 2,
        "lines are out of order at line 2: line 3 (id {2}) stands where line 2 should be",
    ),
    (
        "two whole lines swapped (reordered)",
        lambda s, ln: _swap_rows(s, ln[4], ln[5]),
        4, 4,
        "lines are out of order at line 4: line 5 (id {4}) stands where line 4 should be",
    ),
    (
        "prev_hash changed",
        lambda s, ln: _edit(s, ln[5].id, prev_hash=ln[3].hash),
        5, 5, "line 5 (id {5}) was changed after it was written: its hash does not match",
    ),
    (
        "line rewritten with a fresh hash",
        lambda s, ln: _forge(s, ln, 3),
        4, 4,
        "line 4 (id {4}) does not follow line 3: its prev_hash is not line 3's hash "
        "(one of them was rewritten)",
    ),
    (
        "number removed from a line",
        lambda s, ln: _edit(s, ln[4].id, seq=None),
        4, 4,
        "line 4 (id {4}) has no line number: it was written outside the chain or its "
        "number was removed",
    ),
    (
        "line duplicated",
        lambda s, ln: _edit(s, ln[4].id, seq=3),
        4, 4,
        "lines are out of order at line 4: line 3 (id {4}) stands again where line 4 should be",
    ),
    (
        "chain head moved back",
        lambda s, ln: _move_head(s, ln, back_to=5),
        6, 6,
        "the log runs to line 6 but the chain's head says 5 lines: lines after 5 were added "
        "outside the chain",
    ),
    (
        "chain head removed",
        _drop_head,
        None, None,
        "the chain's head is missing but the log has 6 chained lines: the head was removed "
        "or reset, so removed last lines would not show",
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("how", "first_bad", "shows_at", "reason"),
    [t[1:] for t in TAMPERING],
    ids=[t[0] for t in TAMPERING],
)
def test_tampering_names_the_first_bad_line(
    session: Session, how: Tamper, first_bad: int | None, shows_at: int | None, reason: str
) -> None:
    incident = _incident(session)
    other = _incident(session, name="Other")  # untouched: still verifies
    lines = {a.seq: a for a in list_activity(session, incident) if a.seq is not None}
    ids = {seq: a.id for seq, a in lines.items()}
    session.expunge_all()  # tampering goes behind the session's back
    how(session, lines)
    report = verify_incident(session, incident)
    assert not report.ok
    assert report.reason == reason.format(*[ids.get(n) for n in range(7)])
    assert report.first_bad_seq == first_bad
    assert report.first_bad_id == (ids[shows_at] if shows_at is not None else None)
    assert verify_incident(session, other).ok


_SAFE_TEXT = st.characters(exclude_characters="\x00", exclude_categories=["Cs"])
FIELD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "text": st.text(_SAFE_TEXT, max_size=30),
    "actor": st.text(_SAFE_TEXT, max_size=30),
    "kind": st.text(_SAFE_TEXT, max_size=20),
    "time": st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    "seq": st.one_of(st.none(), st.integers(-3, 12)),
    "prev_hash": st.text("0123456789abcdef", max_size=64),
    "hash": st.text("0123456789abcdef", max_size=64),
    "incident_id": st.just("other"),
}


@pytest.fixture
def chained(session: Session) -> tuple[Session, int, int]:
    """A session with an incident of six chained lines and a second, empty-ish incident."""
    return session, _incident(session), _incident(session, lines=0, name="Other")


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seq=st.integers(1, 6), field=st.sampled_from(sorted(FIELD_VALUES)), data=st.data())
def test_any_single_field_edit_of_any_line_is_detected(
    chained: tuple[Session, int, int], seq: int, field: str, data: st.DataObject
) -> None:
    session, incident, other = chained
    line = _line(session, incident, seq)
    old = getattr(line, field)
    new = data.draw(FIELD_VALUES[field], label=field)
    new = other if new == "other" else new
    assume(new != old)
    line_id = line.id
    session.expunge_all()
    _edit(session, line_id, **{field: new})
    try:
        report = verify_incident(session, incident)
        assert not report.ok
        assert report.first_bad_seq == seq, report.reason
    finally:
        _edit(session, line_id, **{field: old})
    assert verify_incident(session, incident).ok


def test_lines_written_before_the_chain_are_unchained_not_tampering(session: Session) -> None:
    incident = create_incident(session, name="x").id
    # As a log written before revision 0007: no number, no hash, no chain head.
    session.execute(delete(ActivityChain))
    session.execute(delete(ActivityLog))
    session.add_all(
        ActivityLog(incident_id=incident, time=T0, actor="IC", kind="note", text=f"old {n}")
        for n in range(3)
    )
    session.commit()
    assert verify_incident(session, incident).reason == "intact: 0 lines (3 earlier written "\
        "before the chain, unchained)"  # fmt: skip
    log_activity(session, incident_id=incident, actor="IC", kind="note", text="new")
    session.commit()
    report = verify_incident(session, incident)
    assert (report.ok, report.checked, report.unchained) == (True, 4, 3)
    assert [a.seq for a in list_activity(session, incident)] == [None, None, None, 1]


def test_two_incidents_keep_separate_chains(session: Session) -> None:
    a = create_incident(session, name="a").id
    b = create_incident(session, name="b").id
    for n in range(3):
        for incident in (a, b):
            log_activity(session, incident_id=incident, actor="x", kind="k", text=str(n))
        session.commit()
    assert [x.seq for x in list_activity(session, a)] == [1, 2, 3, 4]
    assert [x.seq for x in list_activity(session, b)] == [1, 2, 3, 4]
    assert verify_incident(session, a).ok and verify_incident(session, b).ok


def test_a_rolled_back_line_leaves_no_gap(session: Session) -> None:
    incident = create_incident(session, name="x").id
    line = append_line(session, incident_id=incident, time=T0, actor="a", kind="k", text="gone")
    assert line.id is not None and line.seq == 2
    session.rollback()
    log_activity(session, incident_id=incident, actor="a", kind="k", text="kept")
    session.commit()
    assert [(x.seq, x.text) for x in list_activity(session, incident)][1:] == [(2, "kept")]
    assert verify_incident(session, incident).ok


def test_verifying_an_unknown_incident_is_an_error(session: Session) -> None:
    with pytest.raises(UnknownRecordError, match="incident 99"):
        verify_incident(session, 99)
    with pytest.raises(UnknownRecordError, match="incident 99"):
        export_log(session, 99)


# --- Concurrent writers ------------------------------------------------------------------


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on a fresh database, one per thread."""
    upgrade_database(database_url)
    engine = engine_from_url(database_url)
    yield session_factory(engine)
    engine.dispose()


def test_concurrent_appends_never_fork_the_chain(sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        incident = create_incident(s, name="busy").id
    writers, per_writer = 3, 12
    start = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(name: str) -> None:
        try:
            with sessions() as s:
                start.wait()
                for n in range(per_writer):
                    log_activity(s, incident_id=incident, actor=name, kind="k", text=str(n))
                    time.sleep(0.002)  # hold the head: the others must queue, not fork
                    s.commit()
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(f"w{i}",)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    with sessions() as s:
        lines = list_activity(s, incident)
        report = verify_incident(s, incident)
    total = 1 + writers * per_writer
    assert [x.seq for x in lines] == list(range(1, total + 1))
    assert report == AuditReport(True, total, 0, None, None, f"intact: {total} lines")


# --- Exports -----------------------------------------------------------------------------


def test_an_export_round_trips_and_verifies_on_its_own(session: Session) -> None:
    incident = _incident(session, lines=2)
    records = export_log(session, incident)
    head = records[-1]
    assert head == {"head": {"seq": 3, "hash": records[-2]["hash"]}}
    assert set(records[0]) == {
        "id", "incident_id", "seq", "time", "actor", "kind", "text", "prev_hash", "hash",
    }  # fmt: skip
    text = export_to_jsonl(records)
    assert text.count("\n") == 4 and text.endswith("\n")
    assert records_from_jsonl(text) == records
    assert verify_export(records_from_jsonl(text)).reason == "intact: 3 lines"


@pytest.mark.parametrize(
    ("change", "first_bad", "reason"),
    [
        (lambda r: r[1].update(text="edited"), 2, "line 2 (id {}) was changed after it was "
         "written: its hash does not match"),
        (lambda r: r.pop(1), 2, "line 2 is missing (line 1 is followed by 3)"),
        (lambda r: r.insert(0, r.pop(1)), 1, "lines are out of order at line 1: line 2 (id {}) "
         "stands where line 1 should be"),
        (lambda r: r.pop(-2), 3, "the log ends at line 2 but the chain's head says 3 lines: "
         "the last lines were removed"),
        (lambda r: r.pop(-1), None, "the export does not end with the chain's head record: "
         "it was cut short or its last records were removed"),
        (lambda r: r.insert(1, r[-1]), None, "record 2 is a chain head but not the last "
         "record: the export was edited or joined from several"),
    ],
    ids=["edited", "line removed", "reordered", "last line removed", "head removed",
         "head moved"],
)  # fmt: skip
def test_a_tampered_export_names_the_first_bad_line(
    session: Session, change: Callable[[list[dict[str, Any]]], object], first_bad: int | None,
    reason: str,
) -> None:  # fmt: skip
    incident = _incident(session, lines=2)
    records = export_log(session, incident)
    line_two = records[1]["id"]
    change(records)
    report = verify_export(records)
    assert not report.ok
    assert report.first_bad_seq == first_bad
    assert report.reason == reason.format(line_two)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"id": 1}\nnot json\n', "line 2 is not JSON"),
        ("[1, 2]\n", "line 1 is not a JSON object"),
    ],
)
def test_unreadable_jsonl_is_a_data_file_error(text: str, message: str) -> None:
    with pytest.raises(DataFileError, match=message):
        records_from_jsonl(text)


def test_malformed_records_are_data_file_errors() -> None:
    ok = {
        "id": 1, "incident_id": 1, "seq": 1, "time": "2026-06-01T14:00:00.000000",
        "actor": "a", "kind": "k", "text": "t", "prev_hash": "", "hash": "",
    }  # fmt: skip
    head = {"head": {"seq": 1, "hash": ""}}
    with pytest.raises(DataFileError, match="record 1 lacks hash"):
        verify_export([{k: v for k, v in ok.items() if k != "hash"}, head])
    with pytest.raises(DataFileError, match="record 1 has a seq, time of the wrong type"):
        verify_export([{**ok, "seq": "1", "time": "yesterday"}, head])
    with pytest.raises(DataFileError, match="head record must be"):
        verify_export([ok, {"head": {"seq": "1", "hash": ""}}])


def test_verify_chain_on_lines_in_memory() -> None:
    prev, lines = "", []
    for n in (1, 2):
        h = line_hash(prev, incident_id=7, seq=n, time=T0, actor="a", kind="k", text=str(n))
        lines.append(ChainLine(10 + n, 7, n, T0, "a", "k", str(n), prev, h))
        prev = h
    assert verify_chain(lines, head=(2, prev)).ok
    assert verify_chain([], head=None).reason == "intact: 0 lines"
    wrong_incident = [lines[0], ChainLine(12, 8, 2, T0, "a", "k", "2", lines[0].hash, prev)]
    assert verify_chain(wrong_incident, head=(2, prev)).first_bad_id == 12
    assert verify_chain(lines, head=(2, "0" * 64)).reason == (
        "line 2 (id 12) is not the line the chain's head records: its hash differs from the "
        "head's (the line was rewritten)"
    )
