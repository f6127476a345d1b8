"""The incident as CoT items: positions, assignment segments, hazards, clues, last-seen point.

:func:`tak_incident` builds the incident the TAK tests share (imported by the other
``test_tak_*`` modules).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from wayhome.store import (
    Pair,
    PositionReport,
    add_hazard_zone,
    add_member,
    create_assignment,
    create_incident,
    create_subject,
    create_team,
    get_incident,
    record_positions,
    set_member_status,
)
from wayhome.store.clues import record_clue
from wayhome.tak import Marker, Pli, Shape, picture_items

T0 = datetime(2026, 6, 1, 14, 0, tzinfo=UTC)
SEGMENT_A3 = [[-83.30, 35.50], [-83.28, 35.50], [-83.28, 35.52], [-83.30, 35.52], [-83.30, 35.50]]


@dataclass(frozen=True)
class TakIncident:
    """Ids of the shared TAK test incident."""

    incident_id: int
    dana: int
    eli: int
    team_id: int
    assignment_id: int
    clue_id: uuid.UUID


def tak_incident(session: Session, plan_dir: Path) -> TakIncident:
    """An incident with Dana and Eli in Team 1 on segment A3 (plan in ``plan_dir``), Dana's
    position, a cliff hazard, a clue and the missing subject."""
    incident = create_incident(session, name="Missing hiker").id
    dana = add_member(session, incident_id=incident, name="Dana Ortiz").id
    eli = add_member(session, incident_id=incident, name="Eli Park").id
    for member in (dana, eli):
        set_member_status(session, incident_id=incident, member_id=member, status="checked_in")
    team = create_team(
        session, incident_id=incident, name="Team 1", pairs=[Pair((dana, eli))], leader_id=dana
    ).id
    plan_dir.mkdir(parents=True, exist_ok=True)
    (plan_dir / "segments.geojson").write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"id": "A3"},
                        "geometry": {"type": "Polygon", "coordinates": [SEGMENT_A3]},
                    }
                ],
            }
        )
    )
    # Linked directly: link_plan reads a whole plan directory, the bridge only the segments.
    get_incident(session, incident).plan_dir = str(plan_dir)
    session.commit()
    assignment = create_assignment(
        session, incident_id=incident, team_id=team, segment="A3", instructions="grid 20 m"
    ).id
    record_positions(
        session,
        incident_id=incident,
        reports=[PositionReport(uuid.uuid4(), dana, 35.505, -83.29, T0)],
    )
    add_hazard_zone(
        session,
        incident_id=incident,
        name="Raven cliff",
        kind="cliff",
        geometry={
            "type": "Polygon",
            "coordinates": [[[-83.2, 35.4], [-83.19, 35.4], [-83.19, 35.41], [-83.2, 35.4]]],
        },
    )
    clue = record_clue(
        session,
        incident_id=incident,
        clue_id=uuid.uuid4(),
        kind="item",
        lat=35.51,
        lon=-83.285,
        bearing_deg=None,
        time=T0,
        note="red cap",
        member_id=eli,
    ).clue.id
    create_subject(
        session,
        incident_id=incident,
        name="Sam Reyes",
        category="hiker",
        age=34,
        last_seen_lat=35.5,
        last_seen_lon=-83.3,
        last_seen_at=T0,
        guardian_name="Ana Reyes",
        guardian_relation="sister",
        guardian_id_document="licence ...0421",
        description="blue jacket",
    )
    return TakIncident(incident, dana, eli, team, assignment, clue)


def test_picture_has_every_kind_of_item(session: Session, tmp_path: Path) -> None:
    ids = tak_incident(session, tmp_path / "plan")
    items = {item.uid: item for item in picture_items(session, ids.incident_id)}
    prefix = f"wayhome-{ids.incident_id}-"

    pli = items[f"{prefix}member-{ids.dana}"]
    assert isinstance(pli, Pli)
    assert (pli.callsign, pli.lat, pli.lon, pli.time) == ("Dana Ortiz (Team 1)", 35.505, -83.29, T0)
    assert pli.role == "Team Lead"

    shape = items[f"{prefix}assignment-{ids.assignment_id}"]
    assert isinstance(shape, Shape)
    assert shape.callsign == "A3: Team 1"
    assert shape.ring == tuple((lat, lon) for lon, lat in SEGMENT_A3)
    assert "grid 20 m" in shape.remarks

    hazards = [i for i in items.values() if i.uid.startswith(f"{prefix}hazard-")]
    assert [h.callsign for h in hazards] == ["Hazard: Raven cliff"]

    clue = items[f"{prefix}clue-{ids.clue_id}"]
    assert isinstance(clue, Marker)
    assert (clue.callsign, clue.lat, clue.lon) == ("Clue: item", 35.51, -83.285)
    assert "red cap" in clue.remarks

    (subject,) = [i for i in items.values() if i.uid.startswith(f"{prefix}subject-")]
    assert isinstance(subject, Marker) and subject.callsign == "LKP: Sam Reyes"
    assert (subject.lat, subject.lon) == (35.5, -83.3)
    assert len(items) == 5


def test_without_a_linked_plan_assignments_are_left_out(session: Session, tmp_path: Path) -> None:
    ids = tak_incident(session, tmp_path / "plan")
    get_incident(session, ids.incident_id).plan_dir = None
    session.commit()
    uids = [item.uid for item in picture_items(session, ids.incident_id)]
    assert not [u for u in uids if "-assignment-" in u]
    assert any("-member-" in u for u in uids)


def test_a_broken_segments_file_draws_no_segments(session: Session, tmp_path: Path) -> None:
    ids = tak_incident(session, tmp_path / "plan")
    (tmp_path / "plan" / "segments.geojson").write_text("{not json")
    uids = [item.uid for item in picture_items(session, ids.incident_id)]
    assert not [u for u in uids if "-assignment-" in u]
    assert len(uids) == 4
