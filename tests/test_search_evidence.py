"""The evidence log: replay from the prior, withdrawal, JSON on disk."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wayhome.errors import DataFileError, InvalidParameterError
from wayhome.geo.coords import LonLat, lonlat_of, to_crs
from wayhome.geo.grid import GridSpec
from wayhome.io.evidence import read_evidence, write_evidence
from wayhome.probability.poa import POA, poa_from_weights
from wayhome.search.clues import BearingClue, DirectionalClue, NegativeClue, PointClue
from wayhome.search.evidence import (
    ClueEvidence,
    EvidenceLog,
    SearchEvidence,
    evidence_from_json,
    evidence_to_json,
    replay,
)

CRS = "EPSG:32611"
CENTRE = LonLat(lon=-117.0, lat=34.0)
T0 = datetime(2024, 5, 1, 15, 0, tzinfo=UTC)
X0, Y0 = to_crs(CENTRE, CRS)
GRID = GridSpec.centered_on(X0, Y0, crs=CRS, resolution=10.0, extent_m=400.0)


def _ll(dx: float, dy: float) -> LonLat:
    return lonlat_of(X0 + dx, Y0 + dy, CRS)


def _pair(dx: float, dy: float) -> tuple[float, float]:
    p = _ll(dx, dy)
    return (p.lon, p.lat)


def _prior() -> POA:
    xs, ys = GRID.centers()
    r = np.hypot(xs[np.newaxis, :] - X0, ys[:, np.newaxis] - Y0)
    return poa_from_weights(GRID, np.exp(-r / 120.0), rest_of_world=0.08, model="test")


def _entries(time: datetime = T0) -> list[SearchEvidence | ClueEvidence]:
    """A search, a clue of every kind; all at ``time``."""
    sweep = tuple(_pair(dx, dy) for dx, dy in ((-150, -100), (150, -100), (150, -60), (-150, -60)))
    return [
        SearchEvidence("s1", time, "Team 2", "ground", 30.0, (sweep,), note="hasty"),
        ClueEvidence(
            "c-item",
            PointClue(kind="item", at=_ll(60, 40), time=time, radius_m=25.0, confidence=0.7),
        ),
        ClueEvidence(
            "c-dog",
            DirectionalClue(
                kind="dog_alert",
                at=_ll(-40, 10),
                time=time,
                bearing_deg=30.0,
                spread_deg=25.0,
                range_m=150.0,
                confidence=0.5,
            ),
        ),
        ClueEvidence(
            "c-call",
            BearingClue(
                at=_ll(0, -80), time=time, bearing_deg=350.0, spread_deg=20.0, confidence=0.4
            ),
        ),
        ClueEvidence(
            "c-clear",
            NegativeClue(
                polygon=(_pair(-180, 100), _pair(-60, 100), _pair(-60, 180), _pair(-180, 180)),
                time=time,
                pod=0.8,
                note="ranger walked the fire road",
            ),
        ),
    ]


def _log(entries: list[SearchEvidence | ClueEvidence]) -> EvidenceLog:
    log = EvidenceLog()
    for e in entries:
        log = log.add(e)
    return log


def _assert_same_map(a: POA, b: POA) -> None:
    np.testing.assert_allclose(a.cells, b.cells, rtol=1e-9, atol=1e-15)
    assert a.rest_of_world == pytest.approx(b.rest_of_world, rel=1e-9, abs=1e-15)


ENTRIES = _entries()
PRIOR = _prior()
FULL = replay(PRIOR, _log(ENTRIES))


def test_replay_moves_the_map() -> None:
    assert not np.allclose(FULL.cells, PRIOR.cells)
    assert replay(PRIOR, EvidenceLog()) is PRIOR


@given(order=st.permutations(range(len(ENTRIES))))
@settings(max_examples=25, deadline=None)
def test_replay_of_equal_times_does_not_depend_on_insertion_order(order: list[int]) -> None:
    _assert_same_map(replay(PRIOR, _log([ENTRIES[i] for i in order])), FULL)


@given(order=st.permutations(range(len(ENTRIES))))
@settings(max_examples=25, deadline=None)
def test_bayes_updates_commute_whatever_the_times(order: list[int]) -> None:
    # Give the entries times in a shuffled order: a product of likelihoods is the same.
    timed = _entries()
    retimed: list[SearchEvidence | ClueEvidence] = []
    for rank, i in enumerate(order):
        t = T0 + timedelta(minutes=10 * rank)
        e = timed[i]
        if isinstance(e, SearchEvidence):
            retimed.append(
                SearchEvidence(e.id, t, e.team, e.resource, e.sweep_width_m, e.tracks_lonlat)
            )
        else:
            retimed.append(ClueEvidence(e.id, _with_time(e, t).clue))
    _assert_same_map(replay(PRIOR, _log(retimed)), FULL)


def _with_time(e: ClueEvidence, t: datetime) -> ClueEvidence:
    c = e.clue
    if isinstance(c, PointClue):
        return ClueEvidence(
            e.id,
            PointClue(kind=c.kind, at=c.at, time=t, radius_m=c.radius_m, confidence=c.confidence),
        )
    if isinstance(c, DirectionalClue):
        return ClueEvidence(
            e.id,
            DirectionalClue(
                kind=c.kind,
                at=c.at,
                time=t,
                bearing_deg=c.bearing_deg,
                spread_deg=c.spread_deg,
                range_m=c.range_m,
                confidence=c.confidence,
            ),
        )
    if isinstance(c, BearingClue):
        return ClueEvidence(
            e.id,
            BearingClue(
                at=c.at,
                time=t,
                bearing_deg=c.bearing_deg,
                spread_deg=c.spread_deg,
                confidence=c.confidence,
                max_range_m=c.max_range_m,
            ),
        )
    return ClueEvidence(e.id, NegativeClue(polygon=c.polygon, time=t, pod=c.pod, note=c.note))


@given(withdrawn=st.sets(st.sampled_from([e.id for e in ENTRIES])))
@settings(max_examples=25, deadline=None)
def test_withdraw_then_replay_equals_never_having_the_entry(withdrawn: set[str]) -> None:
    log = _log(ENTRIES)
    for entry_id in sorted(withdrawn):
        log = log.withdraw(entry_id, reason="wrong subject", time=T0)
    never = _log([e for e in ENTRIES if e.id not in withdrawn])
    _assert_same_map(replay(PRIOR, log), replay(PRIOR, never))
    assert len(log.entries) == len(ENTRIES)  # nothing is deleted
    assert {w.id for w in log.withdrawals} == withdrawn


def test_total_mass_is_one_after_every_step() -> None:
    log = EvidenceLog()
    for e in ENTRIES:
        log = log.add(e)
        poa = replay(PRIOR, log)
        assert float(poa.cells.sum()) + poa.rest_of_world == pytest.approx(1.0, abs=1e-12)
        assert float(poa.cells.min()) >= 0.0


def test_a_clue_outside_the_map_is_refused_and_nothing_is_applied() -> None:
    before = PRIOR.cells.copy()
    far = ClueEvidence(
        "c-far", PointClue(kind="item", at=_ll(5_000, 0), time=T0, radius_m=20, confidence=1)
    )
    log = _log([*ENTRIES, far])
    with pytest.raises(InvalidParameterError, match=r"evidence 'c-far': clue: .*outside the map"):
        replay(PRIOR, log)
    np.testing.assert_array_equal(PRIOR.cells, before)
    # Withdrawing the bad clue brings back exactly the map without it.
    fixed = log.withdraw("c-far", reason="typed the wrong coordinates", time=T0)
    _assert_same_map(replay(PRIOR, fixed), FULL)


def test_the_log_refuses_duplicate_and_unknown_ids() -> None:
    log = _log(ENTRIES)
    with pytest.raises(InvalidParameterError, match=r"^id: 'c-dog' is already in the evidence log"):
        log.add(ENTRIES[2])
    with pytest.raises(InvalidParameterError, match=r"'nope' is not in .* ids: 's1', 'c-item'"):
        log.withdraw("nope", reason="x")
    once = log.withdraw("c-dog", reason="dog was tired")
    with pytest.raises(InvalidParameterError, match="already withdrawn"):
        once.withdraw("c-dog", reason="again")
    with pytest.raises(InvalidParameterError, match=r"already in the evidence log"):
        once.add(ENTRIES[2])  # a withdrawn id stays taken
    with pytest.raises(InvalidParameterError, match=r"^reason: "):
        log.withdraw("c-dog", reason=" ")
    record = once.withdrawals[0]
    assert (record.id, record.reason, record.time.tzinfo is not None) == (
        "c-dog",
        "dog was tired",
        True,
    )
    assert [e.id for e in once.active()] == ["s1", "c-item", "c-call", "c-clear"]


def test_active_entries_come_in_time_order() -> None:
    late, early = _entries(T0 + timedelta(hours=2))[1], _entries(T0)[2]
    assert [e.id for e in _log([late, early]).active()] == ["c-dog", "c-item"]


# ---------------------------------------------------------------------- JSON
_times = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=-7)), timezone(timedelta(hours=13))]),
)
_unit = st.floats(min_value=1e-9, max_value=1.0)
_lonlat = st.builds(
    LonLat, lon=st.floats(min_value=-180, max_value=180), lat=st.floats(min_value=-90, max_value=90)
)
_clue = st.one_of(
    st.builds(
        PointClue,
        kind=st.sampled_from(["item", "footprint", "sighting"]),
        at=_lonlat,
        time=_times,
        radius_m=st.floats(min_value=0.01, max_value=1e5),
        confidence=_unit,
        note=st.text(max_size=20),
    ),
    st.builds(
        DirectionalClue,
        kind=st.sampled_from(["dog_alert", "scent_track"]),
        at=_lonlat,
        time=_times,
        bearing_deg=st.floats(min_value=0.0, max_value=359.999),
        spread_deg=st.floats(min_value=0.01, max_value=180.0),
        range_m=st.floats(min_value=0.01, max_value=1e5),
        confidence=_unit,
        note=st.text(max_size=20),
    ),
    st.builds(
        BearingClue,
        at=_lonlat,
        time=_times,
        bearing_deg=st.floats(min_value=0.0, max_value=359.999),
        spread_deg=st.floats(min_value=0.01, max_value=180.0),
        confidence=_unit,
        max_range_m=st.floats(min_value=0.01, max_value=1e4),
        note=st.text(max_size=20),
    ),
)


@given(
    clues=st.lists(_clue, max_size=5),
    note=st.text(max_size=30),
    team=st.none() | st.text(min_size=1, max_size=10),
    width=st.floats(min_value=0.1, max_value=500.0),
    withdraw=st.integers(min_value=0, max_value=6),
    when=_times,
)
@settings(max_examples=60, deadline=None)
def test_json_round_trip_is_exact(
    clues: list[PointClue | DirectionalClue | BearingClue],
    note: str,
    team: str | None,
    width: float,
    withdraw: int,
    when: datetime,
) -> None:
    entries: list[SearchEvidence | ClueEvidence] = [
        ClueEvidence(f"c{i}", c) for i, c in enumerate(clues)
    ]
    entries.append(
        SearchEvidence("s", when, team, "dog", width, ENTRIES[0].tracks_lonlat, note)  # type: ignore[union-attr]
    )
    entries.append(ENTRIES[-1])  # a cleared polygon
    log = _log(entries)
    ids = [e.id for e in entries]
    for entry_id in ids[: withdraw % (len(ids) + 1)]:
        log = log.withdraw(entry_id, reason=f"because {entry_id}", time=when)
    text = evidence_to_json(log)
    back = evidence_from_json(text)
    assert back == log
    assert evidence_to_json(back) == text  # stable
    assert json.loads(text)["version"] == 1


def test_times_are_written_in_utc() -> None:
    pacific = timezone(timedelta(hours=-7))
    clue = PointClue(
        kind="sighting",
        at=CENTRE,
        time=datetime(2024, 5, 1, 8, 0, tzinfo=pacific),
        radius_m=50,
        confidence=0.6,
    )
    text = evidence_to_json(EvidenceLog().add(ClueEvidence("c", clue)))
    assert json.loads(text)["entries"][0]["clue"]["time"] == "2024-05-01T15:00:00Z"


def test_evidence_file_round_trip(tmp_path: Path) -> None:
    log = _log(ENTRIES).withdraw("c-call", reason="it was a searcher calling", time=T0)
    path = tmp_path / "evidence.json"
    write_evidence(path, log)
    assert read_evidence(path) == log
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evidence.json"]


def _document() -> dict[str, object]:
    loaded: dict[str, object] = json.loads(evidence_to_json(_log(ENTRIES)))
    return loaded


def _without(field: str, index: int) -> str:
    doc = _document()
    entries = doc["entries"]
    assert isinstance(entries, list)
    target = entries[index]
    if field not in target:
        target = target["clue"]
    del target[field]
    return json.dumps(doc)


def _with_literal(index: int, field: str, literal: str) -> str:
    """The document with ``field`` of entry ``index`` written as the raw JSON ``literal``."""
    doc = _document()
    entries = doc["entries"]
    assert isinstance(entries, list)
    entries[index][field] = "__LITERAL__"
    return json.dumps(doc).replace('"__LITERAL__"', literal)


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("{not json", r"not valid JSON"),
        (_with_literal(0, "sweep_width_m", "1e400"), r"'sweep_width_m' must be a finite number"),
        (_with_literal(0, "sweep_width_m", "NaN"), r"'sweep_width_m' must be a finite number"),
        (
            _with_literal(0, "tracks_lonlat", "[[[1e400, 34.0], [-117.0, 34.0]]]"),
            r"'tracks_lonlat' has \[inf, 34.0\] where a \[lon, lat\] pair of finite numbers",
        ),
        ('{"version": 2, "entries": []}', r"field 'version' is 2"),
        (_without("time", 1), r"entry 1 \('c-item'\), field 'clue': field 'time' is missing"),
        (_without("sweep_width_m", 0), r"entry 0: field 'sweep_width_m' is missing"),
        (_without("id", 3), r"entry 3: field 'id' is missing"),
        (
            json.dumps(
                {"version": 1, "entries": [{"type": "clue", "id": "x", "clue": {"kind": "item"}}]}
            ),
            r"entry 0 \('x'\), field 'clue': field 'time' is missing",
        ),
        (
            json.dumps(
                {
                    "version": 1,
                    "entries": [
                        {
                            "type": "clue",
                            "id": "x",
                            "clue": {"kind": "boot", "time": "2024-05-01T15:00:00Z"},
                        }
                    ],
                }
            ),
            r"entry 0 \('x'\), field 'clue': field 'kind' is 'boot', not a clue kind",
        ),
        (
            json.dumps({"version": 1, "entries": [{"type": "photo", "id": "x"}]}),
            r"entry 0: field 'type' is 'photo'",
        ),
        (
            json.dumps(
                {
                    "version": 1,
                    "entries": [
                        *_document()["entries"],  # type: ignore[misc]
                        {
                            "type": "clue",
                            "id": "bad",
                            "clue": {
                                "kind": "item",
                                "time": "2024-05-01T15:00:00Z",
                                "at": {"lon": -117.0, "lat": 34.0},
                                "radius_m": 10,
                                "confidence": 7,
                            },
                        },
                    ],
                }
            ),
            r"entry 5: confidence: must be in \(0, 1\]",
        ),
    ],
    ids=[
        "not-json",
        "huge-width",
        "nan-width",
        "huge-coordinate",
        "version",
        "clue-time",
        "search-width",
        "id",
        "clue-without-time",
        "unknown-kind",
        "unknown-type",
        "bad-value",
    ],
)
def test_a_bad_evidence_file_names_the_entry_and_field(
    tmp_path: Path, text: str, pattern: str
) -> None:
    path = tmp_path / "evidence.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataFileError, match=pattern):
        read_evidence(path)


def test_a_missing_evidence_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="does not exist"):
        read_evidence(tmp_path / "none.json")


def test_shuffled_json_entries_replay_to_the_same_map() -> None:
    doc = _document()
    entries = doc["entries"]
    assert isinstance(entries, list)
    random.Random(7).shuffle(entries)
    _assert_same_map(replay(PRIOR, evidence_from_json(json.dumps(doc))), FULL)
