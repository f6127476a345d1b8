"""The incident's evidence log on disk: one JSON file, replaced whole on every write.

The format is :func:`wayhome.search.evidence.evidence_to_json`'s (versioned, times in
UTC). A missing file is an error here; whether that means "start an empty log" is the
caller's (the CLI's) decision.
"""

from __future__ import annotations

from pathlib import Path

from wayhome.errors import DataFileError
from wayhome.io.atomic import write_text_atomic
from wayhome.search.evidence import EvidenceLog, evidence_from_json, evidence_to_json

__all__ = ["read_evidence", "write_evidence"]


def read_evidence(path: Path | str) -> EvidenceLog:
    """Read an evidence log written by :func:`write_evidence`.

    Parameters
    ----------
    path : Path or str
        The JSON file.

    Raises
    ------
    DataFileError
        The file is missing, unreadable, not UTF-8 or not a valid log; the message names
        the file (and the entry and field, for a bad entry).
    """
    p = Path(path)
    if not p.is_file():
        what = "is a directory" if p.is_dir() else "does not exist"
        raise DataFileError(
            f"evidence: '{p}' {what}; give the path of an evidence log (JSON) or start a new one"
        )
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise DataFileError(
            f"evidence: '{p.name}' is not UTF-8 text; it is not an evidence log"
        ) from None
    except OSError as exc:
        raise DataFileError(f"evidence: cannot read '{p}' ({exc.strerror})") from None
    try:
        return evidence_from_json(text)
    except DataFileError as exc:
        message = str(exc).removeprefix("evidence: ")
        raise DataFileError(f"evidence: '{p.name}': {message}") from None


def write_evidence(path: Path | str, log: EvidenceLog) -> None:
    """Write ``log`` to ``path`` atomically (a reader sees the old file or the new one).

    Parameters
    ----------
    path : Path or str
        The JSON file to create or replace; its directory must exist.
    log : EvidenceLog
        The log, withdrawn entries and their withdrawals included.
    """
    write_text_atomic(path, evidence_to_json(log) + "\n")
