"""TAK reports into the incident: PLI as positions (idempotent), markers as clues and places."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from test_tak_picture import tak_incident
from wayhome.store import last_positions, list_activity, list_places, member_track
from wayhome.store.clues import list_clues
from wayhome.tak import CotEvent, TakIngest, clue_id, position_id

T1 = datetime(2026, 6, 1, 14, 5, tzinfo=UTC)


def event(
    uid: str = "ANDROID-dana",
    type_: str = "a-f-G-U-C",
    *,
    how: str = "m-g",
    callsign: str = "Dana Ortiz",
    lat: float = 35.51,
    lon: float = -83.29,
    remarks: str = "",
    creator: str = "",
    time: datetime = T1,
) -> CotEvent:
    return CotEvent(uid, type_, how, time, time, time, lat, lon, callsign, remarks, creator)


def test_pli_by_callsign_is_a_tracked_position_and_replays_store_nothing(
    session: Session, tmp_path: Path
) -> None:
    ids = tak_incident(session, tmp_path / "plan")
    ingest = TakIngest(incident_id=ids.incident_id)
    pli = event(callsign="  dana   ORTIZ ")
    first = ingest.ingest(session, pli)
    again = ingest.ingest(session, pli)
    assert (first.kind, first.created, again.created) == ("position", True, False)
    track = member_track(session, incident_id=ids.incident_id, member_id=ids.dana)
    assert [(p.id, p.lat, p.time) for p in track][-1] == (
        position_id(ids.incident_id, pli),
        35.51,
        T1,
    )
    assert len(track) == 2  # the fixture's position and this one, once
    newest = {p.member_id: p for p in last_positions(session, ids.incident_id)}
    assert newest[ids.dana].time == T1


def test_uid_map_by_id_or_name_beats_the_callsign(session: Session, tmp_path: Path) -> None:
    ids = tak_incident(session, tmp_path / "plan")
    ingest = TakIngest(
        incident_id=ids.incident_id, uid_map={"ANDROID-7": ids.eli, "ANDROID-8": "eli park"}
    )
    assert ingest.ingest(session, event("ANDROID-7", callsign="Dana Ortiz")).created
    assert ingest.ingest(session, event("ANDROID-8", callsign="Dana Ortiz", lat=35.52)).created
    track = member_track(session, incident_id=ids.incident_id, member_id=ids.eli)
    assert [p.lat for p in track] == [35.51, 35.52]


def test_unknown_device_is_logged_once_and_ignored(
    session: Session, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ids = tak_incident(session, tmp_path / "plan")
    ingest = TakIngest(incident_id=ids.incident_id, uid_map={"ANDROID-9": 99999})
    with caplog.at_level(logging.WARNING, logger="wayhome.tak"):
        for uid in ("ANDROID-x", "ANDROID-x", "ANDROID-9"):
            result = ingest.ingest(session, event(uid, callsign="Stranger"))
            assert (result.kind, result.created) == ("ignored", False)
    lines = [r.getMessage() for r in caplog.records if "not on the roster" in r.getMessage()]
    assert len(lines) == 2 and "ANDROID-x" in lines[0] and "ANDROID-9" in lines[1]


def test_own_events_and_other_types_are_ignored(session: Session, tmp_path: Path) -> None:
    ids = tak_incident(session, tmp_path / "plan")
    ingest = TakIngest(incident_id=ids.incident_id)
    own = event(f"wayhome-{ids.incident_id}-member-{ids.dana}")
    assert ingest.ingest(session, own).reason == "our own event"
    assert ingest.ingest(session, event(type_="t-x-c-t")).kind == "ignored"
    hand_placed = event(how="h-g-i-g-o")  # a friendly point dropped on the map, not a PLI
    assert ingest.ingest(session, hand_placed).kind == "ignored"
    assert len(member_track(session, incident_id=ids.incident_id, member_id=ids.dana)) == 1


def test_spot_marker_is_a_clue_found_by_the_device_that_dropped_it(
    session: Session, tmp_path: Path
) -> None:
    ids = tak_incident(session, tmp_path / "plan")
    ingest = TakIngest(incident_id=ids.incident_id, uid_map={"ANDROID-eli": ids.eli})
    marker = event(
        "marker-42",
        "b-m-p-s-m",
        how="h-g-i-g-o",
        callsign="boot print",
        remarks="footprint, size 9, heading north",
        creator="ANDROID-eli",
    )
    first = ingest.ingest(session, marker)
    again = ingest.ingest(session, marker)
    assert (first.kind, first.created, again.created) == ("clue", True, False)
    clue = {c.id: c for c in list_clues(session, ids.incident_id)}[
        clue_id(ids.incident_id, "marker-42")
    ]
    assert (clue.kind, clue.member_id, clue.lat, clue.time) == ("footprint", ids.eli, 35.51, T1)
    assert "size 9" in clue.note and clue.reported_by == "TAK boot print"
    # Moved later: the first report stands; the move is logged, nothing raised.
    moved = ingest.ingest(session, event("marker-42", "b-m-p-s-m", callsign="boot print", lat=35.6))
    assert (moved.kind, moved.created) == ("ignored", False)
    assert len(list_clues(session, ids.incident_id)) == 2


def test_waypoint_is_a_rendezvous_place_once(session: Session, tmp_path: Path) -> None:
    ids = tak_incident(session, tmp_path / "plan")
    ingest = TakIngest(incident_id=ids.incident_id)
    waypoint = event("wp-1", "b-m-p-w", how="h-g-i-g-o", callsign="RP Creek")
    assert ingest.ingest(session, waypoint).created
    assert not ingest.ingest(session, waypoint).created
    (place,) = list_places(session, ids.incident_id)
    assert (place.kind, place.name, place.lat) == ("rendezvous", "RP Creek", 35.51)
    assert any("RP Creek" in line.text for line in list_activity(session, ids.incident_id))
