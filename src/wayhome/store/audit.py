"""The tamper-evident activity log: every line carries the hash of the line before.

Each incident's ICS-214 log is a hash chain. Line ``n`` stores ``seq = n``, the hash of
line ``n - 1`` (``prev_hash``, empty for line 1) and its own hash, SHA-256 over a
canonical JSON array of its fields and ``prev_hash`` (:func:`line_hash`). The incident's
:class:`~wayhome.store.models.ActivityChain` row holds the head: the last line's number
and hash. Editing a line breaks its hash; removing or reordering lines breaks the
numbering or the links; removing the last lines leaves the head pointing past the end.

Appends (:func:`append_line`) update the head row first, so two writers on one incident
queue on its row lock (PostgreSQL) or on the write lock (SQLite) and never fork the
chain. Lines written before the chain existed (``seq`` empty) are counted as unchained,
not as tampering.

The chain detects edits made without recomputing the hashes (a database console, a
restored backup, a careless script). It has no secret key: someone who can write the
database and knows this module can rewrite a whole chain; keep exports
(:func:`export_log`) elsewhere to catch that.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Insert, Update, insert, select, update
from sqlalchemy.orm import Session

from wayhome.errors import DataFileError
from wayhome.store.errors import UnknownRecordError
from wayhome.store.models import ActivityChain, ActivityLog, Incident

__all__ = [
    "AuditReport",
    "ChainLine",
    "append_line",
    "export_log",
    "export_to_jsonl",
    "line_hash",
    "records_from_jsonl",
    "verify_chain",
    "verify_export",
    "verify_incident",
]

#: Names the hash layout; changing what is hashed means a new tag.
_HASH_TAG = "wayhome-activity-v1"
#: The fields of an exported line, in the order they are written.
_RECORD_FIELDS = ("id", "incident_id", "seq", "time", "actor", "kind", "text", "prev_hash", "hash")


def _time_text(time: datetime) -> str:
    """``time`` as stored: naive UTC, ISO 8601 with microseconds (naive input is UTC)."""
    if time.tzinfo is not None:
        time = time.astimezone(UTC).replace(tzinfo=None)
    return time.isoformat(timespec="microseconds")


def line_hash(
    prev_hash: str,
    *,
    incident_id: int,
    seq: int,
    time: datetime,
    actor: str,
    kind: str,
    text: str,
) -> str:
    """SHA-256 (hex) of one activity-log line chained to the line before.

    Parameters
    ----------
    prev_hash : str
        The hash of the line before ("" for line 1).
    incident_id, seq : int
        The incident and the line's number in its chain (1, 2, ...).
    time : datetime
        When the line was written; hashed as naive UTC with microseconds, exactly as the
        database stores it, so the hash survives a round trip on SQLite and PostgreSQL.
    actor, kind, text : str
        Who, what sort of change, and the line itself.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> t = datetime(2026, 6, 1, 14, 0, tzinfo=UTC)
    >>> h = line_hash("", incident_id=1, seq=1, time=t, actor="IC", kind="incident",
    ...               text="incident opened")
    >>> len(h), h == line_hash("", incident_id=1, seq=1, time=t.replace(tzinfo=None),
    ...                        actor="IC", kind="incident", text="incident opened")
    (64, True)
    >>> h == line_hash("", incident_id=1, seq=1, time=t, actor="IC", kind="incident",
    ...                text="incident opened!")
    False
    """
    fields = [_HASH_TAG, prev_hash, incident_id, seq, _time_text(time), actor, kind, text]
    canonical = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _upsert_first(session: Session, incident_id: int) -> Insert:
    """``INSERT`` of a new chain head at line 1 that does nothing if another writer won."""
    values = {"incident_id": incident_id, "seq": 1, "head_hash": ""}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(ActivityChain).values(values).on_conflict_do_nothing()
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(ActivityChain).values(values).on_conflict_do_nothing()
    return insert(ActivityChain).values(values)


def _next_in_chain(session: Session, incident_id: int) -> tuple[int, str]:
    """Take the next line number of the incident's chain; (that number, the head's hash).

    The ``UPDATE`` locks the head row until the caller's transaction ends, so the next
    writer waits and reads the head this one leaves.
    """
    bump: Update = (
        update(ActivityChain)
        .where(ActivityChain.incident_id == incident_id)
        .values(seq=ActivityChain.seq + 1)
        .returning(ActivityChain.seq, ActivityChain.head_hash)
    )
    options = {"synchronize_session": False}
    row = session.execute(bump, execution_options=options).first()
    if row is None:  # the incident's first chained line
        first = _upsert_first(session, incident_id).returning(
            ActivityChain.seq, ActivityChain.head_hash
        )
        row = session.execute(first).first()
        if row is None:  # another writer created it meanwhile: queue behind them
            row = session.execute(bump, execution_options=options).one()
    seq, head_hash = row
    return int(seq), str(head_hash)


def append_line(
    session: Session, *, incident_id: int, time: datetime, actor: str, kind: str, text: str
) -> ActivityLog:
    """Add one chained activity-log line in the caller's transaction (not committed).

    Takes the next number of the incident's chain (waiting for any other writer of the
    same incident to commit), hashes the line onto the head and moves the head to it.

    Parameters
    ----------
    session : Session
        The caller's unit of work; the line is committed (or rolled back) with it.
    incident_id : int
        The incident whose log this is.
    time : datetime
        When it happened (aware).
    actor, kind, text : str
        Who, what sort of change, and the line itself.

    Returns
    -------
    ActivityLog
        The new line, flushed (its ``id`` is set).
    """
    seq, prev_hash = _next_in_chain(session, incident_id)
    digest = line_hash(
        prev_hash, incident_id=incident_id, seq=seq, time=time, actor=actor, kind=kind, text=text
    )
    line = ActivityLog(
        incident_id=incident_id,
        time=time,
        actor=actor,
        kind=kind,
        text=text,
        seq=seq,
        prev_hash=prev_hash,
        hash=digest,
    )
    session.add(line)
    # Executing the move flushes the line first: it gets its id while the head is held.
    session.execute(
        update(ActivityChain)
        .where(ActivityChain.incident_id == incident_id)
        .values(head_hash=digest),
        execution_options={"synchronize_session": False},
    )
    return line


@dataclass(frozen=True, slots=True)
class ChainLine:
    """One activity-log line as the verifier reads it (from the database or an export)."""

    id: int
    incident_id: int
    seq: int | None
    time: datetime
    actor: str
    kind: str
    text: str
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class AuditReport:
    """What verifying an activity log found.

    Attributes
    ----------
    ok : bool
        True when every chained line is intact, in order, and the head matches the end.
    checked : int
        Lines read (chained and unchained).
    unchained : int
        Lines at the start written before the chain existed (not verifiable, not tampering).
    first_bad_seq : int or None
        Number of the first bad line: the one edited, missing or out of place.
    first_bad_id : int or None
        Database id of the stored line where the problem shows (the line after a gap;
        ``None`` when the problem is at the end of the log or in the head).
    reason : str
        In plain words: what is intact, or what is wrong and where.
    """

    ok: bool
    checked: int
    unchained: int
    first_bad_seq: int | None
    first_bad_id: int | None
    reason: str


def _line_hash_of(line: ChainLine, seq: int) -> str:
    return line_hash(
        line.prev_hash,
        incident_id=line.incident_id,
        seq=seq,
        time=line.time,
        actor=line.actor,
        kind=line.kind,
        text=line.text,
    )


def _problem_at(
    lines: Sequence[ChainLine], i: int, expected: int, numbers: set[int]
) -> tuple[int | None, str] | None:
    """The problem with the ``i``-th line, expected to be line ``expected``; None if sound."""
    line = lines[i]
    seq = line.seq
    if seq is None:
        return line.id, (
            f"line {expected} (id {line.id}) has no line number: it was written outside "
            "the chain or its number was removed"
        )
    if seq > expected and expected not in numbers:
        before = (
            f"line {expected - 1} is followed by {seq}"
            if expected > 1
            else f"the chain starts at line {seq}"
        )
        return line.id, f"line {expected} is missing ({before})"
    if seq != expected:
        again = " again" if seq < expected else ""
        return line.id, (
            f"lines are out of order at line {expected}: line {seq} (id {line.id}) "
            f"stands{again} where line {expected} should be"
        )
    if _line_hash_of(line, seq) != line.hash:
        return line.id, (
            f"line {seq} (id {line.id}) was changed after it was written: its hash does not match"
        )
    prev_hash = lines[i - 1].hash if expected > 1 else ""
    if line.prev_hash != prev_hash:
        after = f"follow line {seq - 1}" if seq > 1 else "start the chain"
        what = f"line {seq - 1}'s hash" if seq > 1 else "empty"
        return line.id, (
            f"line {seq} (id {line.id}) does not {after}: its prev_hash is not {what} "
            "(one of them was rewritten)"
        )
    return None


def _head_problem(
    chained: Sequence[ChainLine], head: tuple[int, str] | None
) -> tuple[int | None, int | None, str] | None:
    """What is wrong between the end of a sound chain and its recorded head; None if nothing.

    (first bad line number, id of the stored line where it shows, reason) or ``None``.
    """
    last = chained[-1] if chained else None
    end = last.seq if last is not None and last.seq is not None else 0
    if head is None or head[0] == 0:
        reason = (
            f"the chain's head is missing but the log has {end} chained lines: "
            "the head was removed or reset, so removed last lines would not show"
        )
        return None if last is None else (None, None, reason)
    head_seq, head_hash = head
    if head_seq > end:
        reason = (
            f"the log ends at line {end} but the chain's head says {head_seq} lines: "
            "the last lines were removed"
        )
        return end + 1, None, reason
    if head_seq < end:
        reason = (
            f"the log runs to line {end} but the chain's head says {head_seq} lines: "
            f"lines after {head_seq} were added outside the chain"
        )
        return head_seq + 1, chained[head_seq].id, reason
    if last is not None and last.hash != head_hash:
        reason = (
            f"line {end} (id {last.id}) is not the line the chain's head records: "
            "its hash differs from the head's (the line was rewritten)"
        )
        return end, last.id, reason
    return None


def verify_chain(lines: Sequence[ChainLine], *, head: tuple[int, str] | None) -> AuditReport:
    """Check one incident's log, in the order it was written, against its chain head.

    Parameters
    ----------
    lines : sequence of ChainLine
        Every line of the incident, in id order.
    head : (int, str) or None
        The chain head's line count and hash; ``None`` (or count 0) when it has none.

    Returns
    -------
    AuditReport
        Intact, or the first bad line and why. Lines without a number before the first
        chained line are counted as ``unchained``, not as tampering.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> t, prev, lines = datetime(2026, 6, 1, tzinfo=UTC), "", []
    >>> for n in (1, 2, 3):
    ...     h = line_hash(prev, incident_id=1, seq=n, time=t, actor="IC", kind="k",
    ...                   text=f"step {n}")
    ...     lines.append(ChainLine(n, 1, n, t, "IC", "k", f"step {n}", prev, h))
    ...     prev = h
    >>> verify_chain(lines, head=(3, prev)).reason
    'intact: 3 lines'
    >>> verify_chain([lines[0], lines[2]], head=(3, prev)).reason
    'line 2 is missing (line 1 is followed by 3)'
    """
    unchained = _count_unchained(lines)
    chained = lines[unchained:]
    # Every number in the log, to tell a missing line from a displaced one (lines before
    # the first problem are 1, 2, ... in order, so a number found is further on).
    numbers = {line.seq for line in chained if line.seq is not None}
    for i in range(len(chained)):
        problem = _problem_at(chained, i, i + 1, numbers)
        if problem is not None:
            return AuditReport(False, len(lines), unchained, i + 1, *problem)
    end = _head_problem(chained, head)
    if end is not None:
        return AuditReport(False, len(lines), unchained, *end)
    reason = f"intact: {len(chained)} line{'s' if len(chained) != 1 else ''}"
    if unchained:
        reason += f" ({unchained} earlier written before the chain, unchained)"
    return AuditReport(True, len(lines), unchained, None, None, reason)


def _count_unchained(lines: Sequence[ChainLine]) -> int:
    """How many lines at the start carry no number (written before the chain existed)."""
    count = 0
    while count < len(lines) and lines[count].seq is None:
        count += 1
    return count


def _read_incident(
    session: Session, incident_id: int
) -> tuple[list[ChainLine], tuple[int, str] | None]:
    """The incident's lines in id order and its chain head; unknown incident: an error."""
    if session.get(Incident, incident_id) is None:
        raise UnknownRecordError(f"incident {incident_id}: no such incident; list the incidents")
    # Columns, not entities: what is stored now, whatever the session has cached.
    rows = session.execute(
        select(
            ActivityLog.id,
            ActivityLog.incident_id,
            ActivityLog.seq,
            ActivityLog.time,
            ActivityLog.actor,
            ActivityLog.kind,
            ActivityLog.text,
            ActivityLog.prev_hash,
            ActivityLog.hash,
        )
        .where(ActivityLog.incident_id == incident_id)
        .order_by(ActivityLog.id)
    ).all()
    head_row = session.execute(
        select(ActivityChain.seq, ActivityChain.head_hash).where(
            ActivityChain.incident_id == incident_id
        )
    ).first()
    head = (int(head_row[0]), str(head_row[1])) if head_row is not None else None
    return [ChainLine(*row) for row in rows], head


def verify_incident(session: Session, incident_id: int) -> AuditReport:
    """Verify the stored activity log of one incident (:func:`verify_chain`).

    Raises
    ------
    UnknownRecordError
        When there is no incident ``incident_id``.
    """
    lines, head = _read_incident(session, incident_id)
    return verify_chain(lines, head=head)


def export_log(session: Session, incident_id: int) -> list[dict[str, Any]]:
    """The incident's activity log as JSON-ready records, ending with the chain head.

    Each line is ``{"id", "incident_id", "seq", "time", "actor", "kind", "text",
    "prev_hash", "hash"}`` (``time`` exactly as hashed: naive UTC with microseconds);
    the last record is ``{"head": {"seq": ..., "hash": ...}}`` (0 and "" before the
    first chained line). :func:`verify_export` checks such a list on its own.

    Raises
    ------
    UnknownRecordError
        When there is no incident ``incident_id``.
    """
    lines, head = _read_incident(session, incident_id)
    records: list[dict[str, Any]] = [
        {
            "id": line.id,
            "incident_id": line.incident_id,
            "seq": line.seq,
            "time": _time_text(line.time),
            "actor": line.actor,
            "kind": line.kind,
            "text": line.text,
            "prev_hash": line.prev_hash,
            "hash": line.hash,
        }
        for line in lines
    ]
    seq, head_hash = head if head is not None else (0, "")
    records.append({"head": {"seq": seq, "hash": head_hash}})
    return records


def export_to_jsonl(records: Sequence[dict[str, Any]]) -> str:
    """JSON Lines text of exported records: one compact object per line, UTF-8 as is."""
    return "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in records)


def records_from_jsonl(text: str) -> list[dict[str, Any]]:
    """Read JSON Lines text back into records (blank lines skipped).

    Raises
    ------
    DataFileError
        When a line is not a JSON object; the message gives its line number.
    """
    records: list[dict[str, Any]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise DataFileError(
                f"log: line {number} is not JSON ({exc.msg}); give a file written by "
                "`wayhome audit export`"
            ) from None
        if not isinstance(record, dict):
            raise DataFileError(
                f"log: line {number} is not a JSON object; give a file written by "
                "`wayhome audit export`"
            )
        records.append(record)
    return records


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _line_from_record(number: int, record: dict[str, Any]) -> ChainLine:
    """One exported line back as a :class:`ChainLine`; malformed: :class:`DataFileError`."""
    missing = [f for f in _RECORD_FIELDS if f not in record]
    if missing:
        raise DataFileError(
            f"log: record {number} lacks {', '.join(missing)}; give a file written by "
            "`wayhome audit export`"
        )
    ints = ("id", "incident_id")
    texts = ("time", "actor", "kind", "text", "prev_hash", "hash")
    wrong = [f for f in ints if not _is_int(record[f])]
    wrong += [f for f in texts if not isinstance(record[f], str)]
    if record["seq"] is not None and not _is_int(record["seq"]):
        wrong.append("seq")
    time = None
    try:
        time = datetime.fromisoformat(str(record["time"]))
    except ValueError:
        wrong.append("time")
    if wrong or time is None:
        raise DataFileError(
            f"log: record {number} has a {', '.join(wrong)} of the wrong type; ids and seq "
            "are integers, time is ISO 8601, the rest are strings"
        )
    return ChainLine(
        id=record["id"],
        incident_id=record["incident_id"],
        seq=record["seq"],
        time=time,
        actor=record["actor"],
        kind=record["kind"],
        text=record["text"],
        prev_hash=record["prev_hash"],
        hash=record["hash"],
    )


def _head_from_record(record: dict[str, Any]) -> tuple[int, str] | None:
    """The ``(seq, hash)`` of a head record; ``None`` when ``record`` is not one."""
    head = record.get("head")
    if not isinstance(head, dict):
        return None
    seq, digest = head.get("seq"), head.get("hash")
    if not isinstance(seq, int) or isinstance(seq, bool) or not isinstance(digest, str):
        raise DataFileError(
            'log: the head record must be {"head": {"seq": <integer>, "hash": <string>}}'
        )
    return seq, digest


def verify_export(records: Sequence[dict[str, Any]]) -> AuditReport:
    """Verify an exported log (:func:`export_log`, read back with :func:`records_from_jsonl`).

    A head record that is missing or not last means the export was cut short or edited.

    Raises
    ------
    DataFileError
        When a record is not a line or head as :func:`export_log` writes them.
    """
    head = _head_from_record(records[-1]) if records else None
    body = records[:-1] if head is not None else records
    lines: list[ChainLine] = []
    for number, record in enumerate(body, start=1):
        if _head_from_record(record) is not None:
            return AuditReport(
                False, len(lines), 0, None, None,
                f"record {number} is a chain head but not the last record: "
                "the export was edited or joined from several",
            )  # fmt: skip
        lines.append(_line_from_record(number, record))
    if head is None:
        return AuditReport(
            False, len(lines), _count_unchained(lines), None, None,
            "the export does not end with the chain's head record: "
            "it was cut short or its last records were removed",
        )  # fmt: skip
    return verify_chain(lines, head=head)
