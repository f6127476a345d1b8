"""Folding new evidence into a plan directory: replay, segment report, atomic write.

``wayhome debrief`` (searched and not found), ``wayhome clue`` and the incident server
(a planner applying a clue reported from the field) all update a plan directory the same
way: add an entry to the evidence log, replay the whole log from the prior
(:func:`wayhome.search.evidence.replay`), recompute the per-segment report and write the
directory again through :func:`wayhome.io.plan_dir.write_plan_dir`, which builds it
beside the target and moves it in only when every file is written. A clue that cannot be
applied (one outside the map, say) raises before anything is written.

Evidence ids are a letter and a number, the first number not yet used in the log
(``S1``, ``S2`` for searches, ``C1``, ``C2`` for clues); withdrawn ids stay taken.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from wayhome.io.plan_dir import PlanState, write_plan_dir
from wayhome.search.clues import Clue
from wayhome.search.evidence import ClueEvidence, EvidenceLog, SearchEvidence, replay
from wayhome.search.period import segment_report

__all__ = ["add_clue", "next_evidence_id", "write_update"]


def write_update(
    state: PlanState, log: EvidenceLog, out: Path | str, *, last: SearchEvidence | None = None
) -> Path:
    """Replay ``log`` from the prior, report per segment, write the plan directory.

    Parameters
    ----------
    state : PlanState
        The plan as read (its ``poa`` is the map before this update).
    log : EvidenceLog
        The whole evidence log after the update.
    out : Path or str
        The plan directory to write (the one read, or another).
    last : SearchEvidence, optional
        The search just debriefed, for the segments' "POD last" column.

    Returns
    -------
    Path
        ``out``.
    """
    before = state.poa
    after = replay(state.prior, log)
    props = None
    if state.segments is not None:
        props = segment_report(state.segments, state.prior, before, after, log, last=last)
    summary = dict(state.summary)
    summary["period"] = int(summary.get("period", 0))
    new = dataclasses.replace(state, poa=after, evidence=log, segment_props=props, summary=summary)
    return write_plan_dir(new, out)


def next_evidence_id(log: EvidenceLog, prefix: str) -> str:
    """The first id ``prefix1``, ``prefix2``, ... not yet used in ``log`` (withdrawn included).

    Examples
    --------
    >>> next_evidence_id(EvidenceLog(), "C")
    'C1'
    """
    used = {e.id for e in log.entries}
    n = 1
    while f"{prefix}{n}" in used:
        n += 1
    return f"{prefix}{n}"


def add_clue(state: PlanState, clue: Clue, out: Path | str) -> tuple[ClueEvidence, Path]:
    """Add ``clue`` to the evidence of the plan ``state`` and write the new map to ``out``.

    Parameters
    ----------
    state : PlanState
        The plan as read (:func:`wayhome.io.plan_dir.read_plan_dir`).
    clue : Clue
        The clue (:func:`wayhome.search.clues.build_clue` builds one from a report).
    out : Path or str
        Where to write the updated plan (usually the directory read).

    Returns
    -------
    entry : ClueEvidence
        The new log entry; its ``id`` is the next free ``C`` number.
    dest : Path
        The directory written.

    Raises
    ------
    InvalidParameterError
        The clue cannot be applied on the plan's map (outside it); nothing is written.
    """
    entry = ClueEvidence(id=next_evidence_id(state.evidence, "C"), clue=clue)
    return entry, write_update(state, state.evidence.add(entry), out)
