"""The evidence log: every search and clue of an incident, in order, never deleted.

The current map is never edited in place. It is *recomputed* from the prior POA by
:func:`replay`, which applies the log's active entries in time order:

* a :class:`SearchEvidence` (a team's GPS tracks) → coverage ``C`` per cell
  (``coverage_from_tracks``) → ``POD = 1 − exp(−C)`` (exponential detection,
  SEARCH-SCIENCE.md §2.1) → the unsuccessful-search update ``poa_after_search``;
* a :class:`ClueEvidence` → :func:`wayhome.search.clues.likelihood` →
  ``poa_after_likelihood``.

A wrong entry is withdrawn (:meth:`EvidenceLog.withdraw`): it stays in the log with
the reason and time of withdrawal, and the next replay leaves it out. Each update
multiplies the map by a likelihood and renormalises, so the updates commute and the
result does not depend on how entries with equal times are ordered.

:func:`evidence_to_json` and :func:`evidence_from_json` give a stable, versioned JSON
form (``{"version": 1, "entries": [...], "withdrawals": [...]}``, times in ISO 8601
UTC); ``wayhome.io.evidence`` reads and writes it to files.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from wayhome.errors import DataFileError, InvalidParameterError, WayhomeError
from wayhome.geo.coords import LonLat
from wayhome.geo.grid import GridSpec
from wayhome.probability.poa import POA
from wayhome.search.bayes import poa_after_likelihood, poa_after_search
from wayhome.search.clues import (
    BearingClue,
    Clue,
    DirectionalClue,
    NegativeClue,
    PointClue,
    likelihood,
)
from wayhome.search.coverage import coverage_from_tracks, tracks_to_grid_xy

__all__ = [
    "EVIDENCE_VERSION",
    "ClueEvidence",
    "Evidence",
    "EvidenceLog",
    "SearchEvidence",
    "Withdrawal",
    "evidence_from_json",
    "evidence_to_json",
    "replay",
]

#: Version of the JSON form written by :func:`evidence_to_json`.
EVIDENCE_VERSION = 1


def _check_id(value: str) -> None:
    if not (isinstance(value, str) and value.strip()):
        raise InvalidParameterError(f"id: must be non-empty text, got {value!r}")


def _check_time(name: str, value: datetime) -> None:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidParameterError(
            f"{name}: {value!r} has no time zone; give an aware datetime (tzinfo=UTC)"
        )


@dataclass(frozen=True, slots=True)
class SearchEvidence:
    """An unsuccessful search: where a team went and how well it could see.

    Parameters
    ----------
    id : str
        Unique in the log (e.g. ``"T3-P1"``).
    time : datetime
        When the search ended (time-zone aware).
    team : str or None
        Team name, if any.
    resource : str
        What searched (``"ground"``, ``"dog"``, ``"uav"``...); for the record.
    sweep_width_m : float
        Effective sweep width W of the resource in these conditions.
    tracks_lonlat : tuple of tracks
        Each track a tuple of at least two (lon, lat) points.
    note : str
        Free text.
    """

    id: str
    time: datetime
    team: str | None
    resource: str
    sweep_width_m: float
    tracks_lonlat: tuple[tuple[tuple[float, float], ...], ...]
    note: str = ""

    def __post_init__(self) -> None:
        _check_id(self.id)
        _check_time("time", self.time)
        if self.team is not None and not isinstance(self.team, str):
            raise InvalidParameterError(f"team: must be text or None, got {self.team!r}")
        if not (isinstance(self.resource, str) and self.resource.strip()):
            raise InvalidParameterError(
                f"resource: must name what searched (e.g. 'ground'), got {self.resource!r}"
            )
        w = self.sweep_width_m
        if not (isinstance(w, int | float) and math.isfinite(w) and w > 0):
            raise InvalidParameterError(f"sweep_width_m: must be > 0 metres, got {w!r}")
        if not self.tracks_lonlat:
            raise InvalidParameterError("tracks_lonlat: no tracks; give at least one GPS track")
        for i, track in enumerate(self.tracks_lonlat):
            if len(track) < 2:
                raise InvalidParameterError(
                    f"tracks_lonlat: track {i} has {len(track)} point(s); a track needs two"
                )
            for lon, lat in track:
                LonLat(lon=lon, lat=lat)  # raises InvalidLocationError naming the fix
        if not isinstance(self.note, str):
            raise InvalidParameterError(f"note: must be text, got {type(self.note).__name__}")


@dataclass(frozen=True, slots=True)
class ClueEvidence:
    """A clue in the log.

    Parameters
    ----------
    id : str
        Unique in the log.
    clue : PointClue, DirectionalClue, BearingClue or NegativeClue
        The clue; its ``time`` orders it in the log.
    """

    id: str
    clue: PointClue | DirectionalClue | BearingClue | NegativeClue

    def __post_init__(self) -> None:
        _check_id(self.id)
        if not isinstance(self.clue, PointClue | DirectionalClue | BearingClue | NegativeClue):
            raise InvalidParameterError(
                f"clue: {type(self.clue).__name__} is not a clue; give a PointClue, "
                f"DirectionalClue, BearingClue or NegativeClue"
            )

    @property
    def time(self) -> datetime:
        """When the clue was found (the clue's own time)."""
        return self.clue.time


#: One entry of the log.
Evidence = SearchEvidence | ClueEvidence


@dataclass(frozen=True, slots=True)
class Withdrawal:
    """The record that an entry was withdrawn: which, why and when."""

    id: str
    reason: str
    time: datetime

    def __post_init__(self) -> None:
        _check_id(self.id)
        if not (isinstance(self.reason, str) and self.reason.strip()):
            raise InvalidParameterError(
                "reason: say why the entry is withdrawn (e.g. 'item belonged to a searcher')"
            )
        _check_time("time", self.time)


@dataclass(frozen=True, slots=True)
class EvidenceLog:
    """All evidence of an incident, in the order it was logged; nothing is ever deleted.

    Parameters
    ----------
    entries : tuple
        :class:`SearchEvidence` and :class:`ClueEvidence`, ids unique.
    withdrawn : frozenset of str
        Ids of withdrawn entries (still in ``entries``).
    withdrawals : tuple of Withdrawal
        The reason and time of each withdrawal; one per id in ``withdrawn``.

    Examples
    --------
    >>> log = EvidenceLog()
    >>> at = LonLat(lon=-117.0, lat=34.0)
    >>> t = datetime(2024, 5, 1, 15, 0, tzinfo=UTC)
    >>> log = log.add(ClueEvidence("c1", PointClue(kind="item", at=at, time=t,
    ...                                             radius_m=30.0, confidence=0.7)))
    >>> log = log.withdraw("c1", reason="the glove was a searcher's", time=t)
    >>> len(log.entries), log.active(), sorted(log.withdrawn)
    (1, (), ['c1'])
    """

    entries: tuple[SearchEvidence | ClueEvidence, ...] = ()
    withdrawn: frozenset[str] = frozenset()
    withdrawals: tuple[Withdrawal, ...] = field(default=())

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for e in self.entries:
            if not isinstance(e, SearchEvidence | ClueEvidence):
                raise InvalidParameterError(
                    f"entries: {type(e).__name__} is not evidence; give SearchEvidence or "
                    f"ClueEvidence"
                )
            if e.id in seen:
                raise InvalidParameterError(
                    f"id: {e.id!r} is used twice in the evidence log; give each entry its own id"
                )
            seen.add(e.id)
        unknown = sorted(self.withdrawn - seen)
        if unknown:
            raise InvalidParameterError(
                f"withdrawn: {', '.join(map(repr, unknown))} not in the log; "
                f"known ids: {', '.join(map(repr, sorted(seen))) or 'none'}"
            )
        recorded = [w.id for w in self.withdrawals]
        if len(recorded) != len(set(recorded)) or set(recorded) != self.withdrawn:
            raise InvalidParameterError(
                "withdrawals: need exactly one Withdrawal (reason, time) per withdrawn id; "
                "use EvidenceLog.withdraw()"
            )

    def add(self, entry: SearchEvidence | ClueEvidence) -> EvidenceLog:
        """The log with ``entry`` appended.

        Raises
        ------
        InvalidParameterError
            ``entry.id`` is already in the log (withdrawn entries included).
        """
        if any(e.id == entry.id for e in self.entries):
            raise InvalidParameterError(
                f"id: {entry.id!r} is already in the evidence log; give the new entry "
                f"another id (withdrawn ids stay taken)"
            )
        return EvidenceLog((*self.entries, entry), self.withdrawn, self.withdrawals)

    def withdraw(self, id: str, *, reason: str, time: datetime | None = None) -> EvidenceLog:
        """The log with entry ``id`` withdrawn: kept, with ``reason`` and ``time``, but inactive.

        Parameters
        ----------
        id : str
            The entry to withdraw.
        reason : str
            Why (for the record).
        time : datetime, optional
            When; now (UTC) by default.

        Raises
        ------
        InvalidParameterError
            Unknown id (the message lists the known ones) or an id already withdrawn.
        """
        ids = [e.id for e in self.entries]
        if id not in ids:
            raise InvalidParameterError(
                f"id: {id!r} is not in the evidence log; known ids: "
                f"{', '.join(map(repr, ids)) or 'none (the log is empty)'}"
            )
        if id in self.withdrawn:
            raise InvalidParameterError(f"id: {id!r} is already withdrawn")
        record = Withdrawal(id, reason, datetime.now(UTC) if time is None else time)
        return EvidenceLog(self.entries, self.withdrawn | {id}, (*self.withdrawals, record))

    def active(self) -> tuple[SearchEvidence | ClueEvidence, ...]:
        """Entries not withdrawn, in time order (ties keep the order they were logged)."""
        live = [e for e in self.entries if e.id not in self.withdrawn]
        return tuple(sorted(live, key=lambda e: e.time))


# ---------------------------------------------------------------------- replay
def _update_for(entry: SearchEvidence | ClueEvidence, grid: GridSpec) -> Callable[[POA], POA]:
    """The Bayes update of one entry, computed (and checked) before anything is applied."""
    if isinstance(entry, SearchEvidence):
        # Parts of a track off the map add no coverage; a track wholly off it adds none.
        tracks_xy, _ = tracks_to_grid_xy(
            [np.asarray(t, dtype=np.float64) for t in entry.tracks_lonlat], grid
        )
        coverage = coverage_from_tracks(grid, tracks_xy, sweep_width_m=entry.sweep_width_m)
        pod = 1.0 - np.exp(-np.asarray(coverage, dtype=np.float64))
        return lambda poa: poa_after_search(poa, pod)
    try:
        cells, rest = likelihood(entry.clue, grid)
    except WayhomeError as exc:
        raise type(exc)(f"evidence {entry.id!r}: {exc}") from None
    return lambda poa: poa_after_likelihood(poa, cells, rest_of_world=rest)


def replay(prior: POA, log: EvidenceLog) -> POA:
    """The current map: ``prior`` updated by the log's active entries in time order.

    Every entry's likelihood is computed first, so an entry that cannot be applied (a
    clue outside the map, say) raises before any update: all or nothing.

    Parameters
    ----------
    prior : POA
        The map before any search or clue.
    log : EvidenceLog
        The evidence; withdrawn entries are skipped.

    Returns
    -------
    POA
        The posterior map; ``prior`` itself when nothing is active.

    Raises
    ------
    InvalidParameterError
        An entry cannot be applied on ``prior.grid``; the message names the entry.
    """
    updates = [_update_for(e, prior.grid) for e in log.active()]
    poa = prior
    for update in updates:
        poa = update(poa)
    return poa


# ---------------------------------------------------------------------- JSON
def _time_text(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _clue_json(clue: Clue) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": clue.kind, "time": _time_text(clue.time)}
    if isinstance(clue, NegativeClue):
        out["polygon"] = [[lon, lat] for lon, lat in clue.polygon]
        out["pod"] = clue.pod
    else:
        out["at"] = {"lon": clue.at.lon, "lat": clue.at.lat}
        if isinstance(clue, PointClue):
            out["radius_m"] = clue.radius_m
        else:
            out["bearing_deg"] = clue.bearing_deg
            out["spread_deg"] = clue.spread_deg
            if isinstance(clue, DirectionalClue):
                out["range_m"] = clue.range_m
            else:
                out["max_range_m"] = clue.max_range_m
        out["confidence"] = clue.confidence
    out["note"] = clue.note
    return out


def _entry_json(entry: SearchEvidence | ClueEvidence) -> dict[str, Any]:
    if isinstance(entry, ClueEvidence):
        return {"type": "clue", "id": entry.id, "clue": _clue_json(entry.clue)}
    return {
        "type": "search",
        "id": entry.id,
        "time": _time_text(entry.time),
        "team": entry.team,
        "resource": entry.resource,
        "sweep_width_m": entry.sweep_width_m,
        "tracks_lonlat": [[[lon, lat] for lon, lat in track] for track in entry.tracks_lonlat],
        "note": entry.note,
    }


def evidence_to_json(log: EvidenceLog) -> str:
    """The log as stable, versioned JSON (same log → same text).

    Examples
    --------
    >>> print(evidence_to_json(EvidenceLog()))
    {
      "version": 1,
      "entries": [],
      "withdrawals": []
    }
    """
    document = {
        "version": EVIDENCE_VERSION,
        "entries": [_entry_json(e) for e in log.entries],
        "withdrawals": [
            {"id": w.id, "reason": w.reason, "time": _time_text(w.time)} for w in log.withdrawals
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False)


class _Reader:
    """Reads fields of one JSON object, naming the place in every error."""

    def __init__(self, data: object, where: str) -> None:
        if not isinstance(data, Mapping):
            raise DataFileError(f"evidence: {where}: must be a JSON object, got {data!r}")
        self.data = data
        self.where = where

    def fail(self, name: str, problem: str) -> DataFileError:
        return DataFileError(f"evidence: {self.where}: field {name!r} {problem}")

    def get(self, name: str) -> object:
        if name not in self.data:
            raise self.fail(name, "is missing; every entry needs it (see evidence_to_json)")
        return self.data[name]

    def text(self, name: str, *, optional: bool = False) -> str:
        if optional and name not in self.data:
            return ""
        value = self.get(name)
        if not isinstance(value, str):
            raise self.fail(name, f"must be text, got {value!r}")
        return value

    def number(self, name: str) -> float:
        value = self.get(name)
        if isinstance(value, int | float) and _finite_number(value):
            return float(value)
        raise self.fail(name, f"must be a finite number, got {value!r}")

    def time(self, name: str) -> datetime:
        value = self.text(name)
        try:
            t = datetime.fromisoformat(value)
        except ValueError:
            raise self.fail(name, f"is not an ISO 8601 time: {value!r}") from None
        if t.utcoffset() is None:
            raise self.fail(name, f"{value!r} has no time zone; write it in UTC ('...Z')")
        return t.astimezone(UTC)

    def pairs(self, value: object, name: str) -> tuple[tuple[float, float], ...]:
        if not isinstance(value, list):
            raise self.fail(name, f"must be a list of [lon, lat] pairs, got {value!r}")
        out: list[tuple[float, float]] = []
        for p in value:
            if not (isinstance(p, list) and len(p) == 2 and all(_finite_number(v) for v in p)):
                raise self.fail(
                    name, f"has {p!r} where a [lon, lat] pair of finite numbers belongs"
                )
            out.append((float(p[0]), float(p[1])))
        return tuple(out)


def _finite_number(value: object) -> bool:
    """A JSON number that fits a float (``1e400`` reads as infinity; NaN is no number)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an integer too large for a float
        return False


_CLUE_KINDS = ("item", "footprint", "sighting", "dog_alert", "scent_track", "sound", "cleared")


def _clue_from(r: _Reader) -> Clue:
    kind = r.text("kind")
    if kind not in _CLUE_KINDS:
        raise r.fail(
            "kind", f"is {kind!r}, not a clue kind wayhome knows ({', '.join(_CLUE_KINDS)})"
        )
    time = r.time("time")
    note = r.text("note", optional=True)
    if kind == "cleared":
        return NegativeClue(
            polygon=r.pairs(r.get("polygon"), "polygon"), time=time, pod=r.number("pod"), note=note
        )
    at_r = _Reader(r.get("at"), f"{r.where}, field 'at'")
    at = LonLat(lon=at_r.number("lon"), lat=at_r.number("lat"))
    confidence = r.number("confidence")
    if kind in ("item", "footprint", "sighting"):
        return PointClue(
            kind=kind,  # type: ignore[arg-type]  # checked just above
            at=at,
            time=time,
            radius_m=r.number("radius_m"),
            confidence=confidence,
            note=note,
        )
    if kind in ("dog_alert", "scent_track"):
        return DirectionalClue(
            kind=kind,  # type: ignore[arg-type]  # checked just above
            at=at,
            time=time,
            bearing_deg=r.number("bearing_deg"),
            spread_deg=r.number("spread_deg"),
            range_m=r.number("range_m"),
            confidence=confidence,
            note=note,
        )
    if kind == "sound":  # pragma: no branch
        return BearingClue(
            at=at,
            time=time,
            bearing_deg=r.number("bearing_deg"),
            spread_deg=r.number("spread_deg"),
            max_range_m=r.number("max_range_m"),
            confidence=confidence,
            note=note,
        )
    raise r.fail("kind", f"is {kind!r}, not a clue kind")  # unreachable: checked above


def _entry_from(data: object, index: int) -> SearchEvidence | ClueEvidence:
    r = _Reader(data, f"entry {index}")
    kind = r.text("type")
    if kind == "clue":
        entry_id = r.text("id")
        clue = _clue_from(_Reader(r.get("clue"), f"entry {index} ({entry_id!r}), field 'clue'"))
        return ClueEvidence(entry_id, clue)
    if kind == "search":
        tracks = r.get("tracks_lonlat")
        if not isinstance(tracks, list):
            raise r.fail("tracks_lonlat", f"must be a list of tracks, got {tracks!r}")
        team = r.get("team")
        if team is not None and not isinstance(team, str):
            raise r.fail("team", f"must be text or null, got {team!r}")
        return SearchEvidence(
            id=r.text("id"),
            time=r.time("time"),
            team=team,
            resource=r.text("resource"),
            sweep_width_m=r.number("sweep_width_m"),
            tracks_lonlat=tuple(r.pairs(t, "tracks_lonlat") for t in tracks),
            note=r.text("note", optional=True),
        )
    raise r.fail("type", f"is {kind!r}; an entry is a 'search' or a 'clue'")


def evidence_from_json(text: str) -> EvidenceLog:
    """The log written by :func:`evidence_to_json`.

    Raises
    ------
    DataFileError
        Not JSON, an unknown version, or an entry with a missing, mistyped or invalid
        field; the message names the entry's index and the field.

    Examples
    --------
    >>> evidence_from_json('{"version": 1, "entries": [], "withdrawals": []}')
    EvidenceLog(entries=(), withdrawn=frozenset(), withdrawals=())
    >>> evidence_from_json('{"version": 1, "entries": [{"type": "clue"}]}')
    Traceback (most recent call last):
    ...
    wayhome.errors.DataFileError: evidence: entry 0: field 'id' is missing; every entry \
needs it (see evidence_to_json)
    """
    try:
        document = json.loads(text)
    except (json.JSONDecodeError, TypeError) as exc:
        raise DataFileError(
            f"evidence: not valid JSON ({exc}); restore the file from a copy"
        ) from None
    top = _Reader(document, "top level")
    version = top.get("version")
    if version != EVIDENCE_VERSION:
        raise top.fail("version", f"is {version!r}; this wayhome reads version {EVIDENCE_VERSION}")
    raw_entries = top.get("entries")
    if not isinstance(raw_entries, list):
        raise top.fail("entries", f"must be a list, got {raw_entries!r}")
    raw_withdrawals = document.get("withdrawals", [])
    if not isinstance(raw_withdrawals, list):
        raise top.fail("withdrawals", f"must be a list, got {raw_withdrawals!r}")
    entries: list[SearchEvidence | ClueEvidence] = []
    for i, data in enumerate(raw_entries):
        try:
            entries.append(_entry_from(data, i))
        except DataFileError:
            raise
        except WayhomeError as exc:  # a value out of range, a clue kind's own checks
            raise DataFileError(f"evidence: entry {i}: {exc}") from None
    withdrawals: list[Withdrawal] = []
    for i, data in enumerate(raw_withdrawals):
        r = _Reader(data, f"withdrawal {i}")
        try:
            withdrawals.append(Withdrawal(r.text("id"), r.text("reason"), r.time("time")))
        except DataFileError:
            raise
        except WayhomeError as exc:
            raise DataFileError(f"evidence: withdrawal {i}: {exc}") from None
    try:
        return EvidenceLog(tuple(entries), frozenset(w.id for w in withdrawals), tuple(withdrawals))
    except WayhomeError as exc:
        raise DataFileError(f"evidence: {exc}") from None
