"""Importing a shared map into the store, and drawing an incident without a plan."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from shapely.geometry import MultiPolygon, Point, Polygon
from sqlalchemy.orm import Session

from wayhome.errors import InvalidParameterError
from wayhome.io.exchange import MapFeature, MapKind
from wayhome.store import create_incident, list_activity, list_clues, list_hazard_zones
from wayhome.store.exchange import incident_map
from wayhome.store.map_import import import_map_features

NOW = datetime(2026, 6, 1, 15, 0, tzinfo=UTC)


def _square(x: float) -> Polygon:
    return Polygon([(x, 36.54), (x + 0.01, 36.54), (x + 0.01, 36.55), (x, 36.55)])


def test_a_multipolygon_becomes_one_zone_per_part(session: Session) -> None:
    incident = create_incident(session, name="Test").id
    both = MultiPolygon([_square(-84.30), _square(-84.28)])
    area = MapFeature(MapKind.AREA, "Flooded fields", both, extra={"hazard_kind": "water"})
    done = import_map_features(
        session, incident_id=incident, features=[area], source="t.kml", hazard_kind="cliff",
        now=NOW,
    )  # fmt: skip
    assert [(z.name, z.kind) for z in done.hazard_zones] == [
        ("Flooded fields (1)", "water"),
        ("Flooded fields (2)", "water"),
    ]
    assert [z.name for z in list_hazard_zones(session, incident)] == [
        "Flooded fields (1)",
        "Flooded fields (2)",
    ]


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        ({"clue_kind": "dog_alert"}, "a dog_alert clue needs its bearing"),
        ({"clue_kind": "dog_alert", "bearing_deg": "360"}, "a dog_alert clue needs its bearing"),
        ({"clue_kind": "glove"}, "clue kind 'glove' is not one of"),
        ({"time": "yesterday"}, "time 'yesterday' is not an ISO 8601 time"),
    ],
)
def test_a_bad_clue_refuses_the_whole_file(
    session: Session, extra: dict[str, str], says: str
) -> None:
    incident = create_incident(session, name="Test").id
    logged = len(list_activity(session, incident))
    good = MapFeature(MapKind.CLUE, "Glove", Point(-84.28, 36.54))
    bad = MapFeature(MapKind.CLUE, "Dog", Point(-84.27, 36.54), extra=extra)
    with pytest.raises(InvalidParameterError) as caught:
        import_map_features(
            session, incident_id=incident, features=[good, bad], source="t.gpx", now=NOW
        )
    assert str(caught.value).startswith("import: 1 of 2 features in 't.gpx' refused")
    assert f"clue 2 'Dog': {says}" in str(caught.value)
    assert list_clues(session, incident) == []
    assert len(list_activity(session, incident)) == logged


def test_a_clue_without_time_is_found_now_and_a_naive_time_is_utc(session: Session) -> None:
    incident = create_incident(session, name="Test").id
    features = [
        MapFeature(MapKind.CLUE, "Glove", Point(-84.28, 36.54)),
        MapFeature(MapKind.CLUE, "Cap", Point(-84.27, 36.54), extra={"time": "2026-06-01T13:00"}),
    ]
    import_map_features(session, incident_id=incident, features=features, source="t", now=NOW)
    times = {c.note: c.time for c in list_clues(session, incident)}
    assert times == {"Cap": datetime(2026, 6, 1, 13, tzinfo=UTC), "Glove": NOW}


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"markers": "waypoints"}, "markers: 'waypoints' is not one of places, clues, skip"),
        ({"place_kind": "tent"}, "place_kind: 'tent' is not one of"),
        ({"hazard_kind": "bears"}, "hazard_kind: 'bears' is not one of"),
    ],
)
def test_bad_options_are_named(session: Session, options: dict[str, str], says: str) -> None:
    incident = create_incident(session, name="Test").id
    with pytest.raises(InvalidParameterError, match=says):
        import_map_features(
            session, incident_id=incident, features=[], source="t", now=NOW, **options
        )


def test_an_incident_without_a_plan_is_drawn_with_a_warning(session: Session) -> None:
    incident = create_incident(session, name="Quiet").id
    drawn = incident_map(session, incident)
    assert drawn.features == ()
    assert drawn.name == f"Quiet (incident {incident})"
    (warning,) = drawn.warnings
    assert "has no plan linked" in warning and "left off the map" in warning
