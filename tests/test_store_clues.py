"""Clues in the incident store: idempotent reports, validation, applying them to the plan."""

from __future__ import annotations

import json
import re
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from plantools import IPP, small_plan
from wayhome.errors import ConflictError, InvalidParameterError, UsageError
from wayhome.io.plan_dir import read_plan_dir
from wayhome.search.clues import DirectionalClue
from wayhome.search.evidence import ClueEvidence
from wayhome.store import (
    MAX_CLUE_NOTE,
    add_member,
    apply_clue,
    create_incident,
    get_clue,
    link_plan,
    list_activity,
    list_clues,
    mark_clue_applied,
    record_clue,
)
from wayhome.store.errors import UnknownRecordError

T = datetime(2026, 6, 1, 15, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def base_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small plan for the module; tests copy it before changing it."""
    return small_plan(tmp_path_factory.mktemp("plans") / "plan")


@pytest.fixture
def plan(base_plan: Path, tmp_path: Path) -> Path:
    """A fresh copy of the small plan."""
    return Path(shutil.copytree(base_plan, tmp_path / "plan"))


def _incident(session: Session) -> tuple[int, int]:
    incident = create_incident(session, name="Missing child").id
    ada = add_member(session, incident_id=incident, name="Ada").id
    return incident, ada


def _report(session: Session, incident: int, **fields: Any) -> Any:
    values: dict[str, Any] = {
        "clue_id": uuid.UUID(int=1),
        "kind": "item",
        "lat": IPP.lat + 0.002,
        "lon": IPP.lon,
        "bearing_deg": None,
        "time": T,
        "note": "red fleece glove",
        "member_id": None,
        "actor": "Ada (searcher)",
    }
    values.update(fields)
    return record_clue(session, incident_id=incident, **values)


def _log(session: Session, incident: int) -> list[str]:
    return [line.text for line in list_activity(session, incident)]


def test_a_report_is_stored_once_and_logged(session: Session) -> None:
    incident, ada = _incident(session)
    first = _report(session, incident, member_id=ada)
    assert first.created
    assert (first.clue.kind, first.clue.member_id, first.clue.evidence_id) == ("item", ada, None)
    assert first.clue.reported_by == "Ada (searcher)"
    log = _log(session, incident)
    assert log[-1] == "clue reported (item) at 36.54367, -84.28000 by Ada: red fleece glove"
    # The same report again (another time zone, same instant) is a replay: nothing new.
    again = _report(session, incident, member_id=ada, time=T.astimezone(UTC) + timedelta(0))
    assert not again.created and again.clue.id == first.clue.id
    assert _log(session, incident) == log
    assert [c.id for c in list_clues(session, incident)] == [uuid.UUID(int=1)]


def test_a_replay_with_other_content_is_a_conflict(session: Session) -> None:
    incident, _ = _incident(session)
    _report(session, incident)
    expected = rf"id: clue {uuid.UUID(int=1)} is already stored with note .*blue glove"
    with pytest.raises(ConflictError, match=expected):
        _report(session, incident, note="blue glove")
    other = create_incident(session, name="Other").id
    with pytest.raises(ConflictError, match="another incident"):
        _report(session, other)
    assert list_clues(session, other) == []


def test_clues_are_listed_in_the_order_found(session: Session) -> None:
    incident, _ = _incident(session)
    _report(session, incident, clue_id=uuid.UUID(int=1), time=T + timedelta(minutes=5))
    _report(session, incident, clue_id=uuid.UUID(int=2), time=T)
    assert [c.id.int for c in list_clues(session, incident)] == [2, 1]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "glove"}, "kind: 'glove' is not a clue kind"),
        ({"lat": 91.0}, "lat: 91.0 is outside -90..90"),
        ({"lon": -180.5}, "lon: -180.5 is outside -180..180"),
        ({"lat": float("nan")}, "lat: nan"),
        ({"kind": "dog_alert"}, "bearing_deg: a dog_alert clue needs the bearing"),
        ({"kind": "sound", "bearing_deg": 360.0}, "bearing_deg: 360.0 is not a bearing"),
        ({"kind": "scent_track", "bearing_deg": -1.0}, "bearing_deg: -1.0"),
        ({"bearing_deg": 90.0}, "bearing_deg: a item clue has no bearing"),
        ({"note": "x" * (MAX_CLUE_NOTE + 1)}, f"note: {MAX_CLUE_NOTE + 1} characters"),
        ({"time": datetime(2026, 6, 1, 15, 30)}, "time: give a timezone"),
    ],
)
def test_a_bad_report_names_the_field(
    session: Session, fields: dict[str, Any], message: str
) -> None:
    incident, _ = _incident(session)
    with pytest.raises(InvalidParameterError, match=re.escape(message)):
        _report(session, incident, **fields)
    assert list_clues(session, incident) == []


def test_the_finder_must_be_on_this_incidents_roster(session: Session) -> None:
    incident, _ = _incident(session)
    other, stranger = _incident(session)
    with pytest.raises(UnknownRecordError, match=f"member {stranger}: not on the roster"):
        _report(session, incident, member_id=stranger)
    with pytest.raises(UnknownRecordError, match="member 999"):
        _report(session, incident, member_id=999)
    with pytest.raises(UnknownRecordError):
        _report(session, 999)
    assert list_clues(session, incident) == [] and other != incident


def test_applying_folds_the_clue_into_the_plan_once(session: Session, plan: Path) -> None:
    incident, _ = _incident(session)
    link_plan(session, incident_id=incident, path=plan, actor="Planner")
    before = read_plan_dir(plan).poa.cells.copy()
    clue = _report(session, incident, kind="dog_alert", bearing_deg=345.0, note="").clue
    when = T + timedelta(minutes=3)
    applied = apply_clue(
        session, incident_id=incident, clue_id=clue.id, actor="Planner", confidence=0.6, now=when
    )
    assert (applied.evidence_id, applied.applied_at) == ("C1", when)
    state = read_plan_dir(plan)
    [entry] = state.evidence.entries
    assert isinstance(entry, ClueEvidence) and isinstance(entry.clue, DirectionalClue)
    assert (entry.id, entry.clue.kind, entry.clue.confidence) == ("C1", "dog_alert", 0.6)
    assert entry.clue.bearing_deg == 345.0
    assert not np.allclose(state.poa.cells, before)
    assert _log(session, incident)[-1] == "clue C1 (dog_alert) applied to the plan (plan)"
    with pytest.raises(ConflictError, match="already applied to the plan as evidence C1"):
        apply_clue(session, incident_id=incident, clue_id=clue.id, actor="Planner")
    assert len(read_plan_dir(plan).evidence.entries) == 1
    # The next clue gets the next evidence id.
    second = _report(session, incident, clue_id=uuid.UUID(int=2)).clue
    assert apply_clue(session, incident_id=incident, clue_id=second.id).evidence_id == "C2"


def test_applying_needs_a_linked_plan_and_a_clue_on_its_map(session: Session, plan: Path) -> None:
    incident, _ = _incident(session)
    clue = _report(session, incident, lat=IPP.lat + 0.5).clue  # ~55 km north: off the map
    with pytest.raises(ConflictError, match=f"incident {incident} has no plan linked"):
        apply_clue(session, incident_id=incident, clue_id=clue.id)
    link_plan(session, incident_id=incident, path=plan, actor="Planner")
    files = {p.name: p.read_bytes() for p in plan.iterdir()}
    with pytest.raises(UsageError, match=f"clue {clue.id}: .*outside"):
        apply_clue(session, incident_id=incident, clue_id=clue.id)
    assert {p.name: p.read_bytes() for p in plan.iterdir()} == files  # nothing written
    stored = get_clue(session, incident_id=incident, clue_id=clue.id)
    assert (stored.evidence_id, stored.applied_at) == (None, None)
    with pytest.raises(InvalidParameterError, match="confidence"):
        apply_clue(session, incident_id=incident, clue_id=clue.id, confidence=1.5)
    with pytest.raises(UnknownRecordError, match="no such clue"):
        apply_clue(session, incident_id=incident, clue_id=uuid.UUID(int=99))


def test_a_clue_already_in_the_plan_is_marked_not_applied_again(
    session: Session, plan: Path
) -> None:
    incident, _ = _incident(session)
    clue = _report(session, incident).clue
    marked = mark_clue_applied(
        session, incident_id=incident, clue_id=clue.id, evidence_id="C7", actor="Planner", now=T
    )
    assert (marked.evidence_id, marked.applied_at) == ("C7", T)
    assert _log(session, incident)[-1] == "clue C7 (item) applied to the plan: red fleece glove"
    with pytest.raises(ConflictError, match="already applied"):
        mark_clue_applied(session, incident_id=incident, clue_id=clue.id, evidence_id="C7")
    # With a plan linked, the evidence id must be one of its clues.
    link_plan(session, incident_id=incident, path=plan, actor="Planner")
    second = _report(session, incident, clue_id=uuid.UUID(int=2)).clue
    with pytest.raises(InvalidParameterError, match="evidence_id: 'C1' is not a clue"):
        mark_clue_applied(session, incident_id=incident, clue_id=second.id, evidence_id="C1")
    assert json.loads((plan / "evidence.json").read_text())["entries"] == []


_OFFSETS = st.tuples(st.floats(-0.011, 0.011), st.floats(-0.014, 0.014))
_REPORTS = st.tuples(
    st.sampled_from(["item", "footprint", "sighting", "dog_alert", "scent_track", "sound"]),
    _OFFSETS,
    st.floats(0.0, 359.9),
    st.floats(0.05, 1.0),
)


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(reports=st.lists(_REPORTS, min_size=1, max_size=2))
def test_applying_a_clue_never_creates_probability(
    session: Session, base_plan: Path, tmp_path_factory: pytest.TempPathFactory, reports: list[Any]
) -> None:
    plan = Path(shutil.copytree(base_plan, tmp_path_factory.mktemp("prop") / "plan"))
    incident, _ = _incident(session)
    link_plan(session, incident_id=incident, path=plan, actor="Planner")
    for kind, (dlat, dlon), bearing, confidence in reports:
        before = read_plan_dir(plan).poa
        clue = _report(
            session,
            incident,
            clue_id=uuid.uuid4(),
            kind=kind,
            lat=IPP.lat + dlat,
            lon=IPP.lon + dlon,
            bearing_deg=bearing if kind in ("dog_alert", "scent_track", "sound") else None,
        ).clue
        apply_clue(session, incident_id=incident, clue_id=clue.id, confidence=confidence)
        after = read_plan_dir(plan).poa
        assert float(after.cells.min()) >= 0.0
        assert float(after.cells.sum()) <= 1.0 + 1e-6
        total_before = float(before.cells.sum()) + before.rest_of_world
        total_after = float(after.cells.sum()) + after.rest_of_world
        assert total_after == pytest.approx(total_before, abs=1e-5)


def test_a_clue_being_applied_is_not_applied_twice(session: Session, plan: Path) -> None:
    incident, _ = _incident(session)
    link_plan(session, incident_id=incident, path=plan, actor="Planner")
    clue = _report(session, incident).clue
    clue.applied_at = T  # another request has claimed it and is writing the plan
    session.commit()
    with pytest.raises(ConflictError, match="being applied to the plan since 15:30:00Z"):
        apply_clue(session, incident_id=incident, clue_id=clue.id)
    assert read_plan_dir(plan).evidence.entries == ()


def test_planners_applying_at_once_lose_no_update(session: Session, plan: Path) -> None:
    incident, _ = _incident(session)
    link_plan(session, incident_id=incident, path=plan, actor="Planner")
    ids = [_report(session, incident, clue_id=uuid.UUID(int=n)).clue.id for n in (1, 2, 3)]
    sessions = sessionmaker(bind=session.get_bind())

    def apply(clue_id: uuid.UUID) -> str | None:
        with sessions() as s:
            return apply_clue(s, incident_id=incident, clue_id=clue_id).evidence_id

    with ThreadPoolExecutor(max_workers=3) as pool:
        evidence = sorted(e or "" for e in pool.map(apply, ids))
    assert evidence == ["C1", "C2", "C3"]
    assert sorted(e.id for e in read_plan_dir(plan).evidence.entries) == ["C1", "C2", "C3"]
