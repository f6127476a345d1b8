"""Clues through the HTTP API, on SQLite and on PostgreSQL: reported, replayed, applied."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from apitools import field_team, login_as, member, post, problem
from plantools import IPP, small_plan
from wayhome.store import link_plan

T = "2026-06-01T14:05:00Z"


@pytest.fixture(scope="module")
def base_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small plan for the module; tests copy it before changing it."""
    return small_plan(tmp_path_factory.mktemp("plans") / "plan")


@pytest.fixture
def plan(base_plan: Path, tmp_path: Path) -> Path:
    """A fresh copy of the small plan."""
    return Path(shutil.copytree(base_plan, tmp_path / "plan"))


def _link(client: TestClient, incident: int, plan: Path) -> None:
    with client.app.state.sessions() as s:  # type: ignore[attr-defined]
        link_plan(s, incident_id=incident, path=plan, actor="test")


def _clue(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(uuid.UUID(int=1)),
        "kind": "dog_alert",
        "lat": IPP.lat + 0.001,
        "lon": IPP.lon - 0.001,
        "bearing_deg": 345.0,
        "time": T,
        "note": "Juno alerts, scent cone to the NNW",
        "member_id": None,
    }
    body.update(fields)
    return body


def test_a_clue_is_reported_once_and_pushed_live(client: TestClient, incident: int) -> None:
    base = f"/incidents/{incident}/clues"
    _, (ada, _) = field_team(client, incident, ["Ada", "Ben"])
    body = _clue(member_id=ada)
    with client.websocket_connect(f"/incidents/{incident}/live") as ws:
        assert ws.receive_json()["type"] == "subscribed"
        created = post(client, base, body)
        event = ws.receive_json()
    assert event == {"type": "clue", "event": "reported", "clue": created}
    assert (created["kind"], created["member_id"], created["bearing_deg"]) == (
        "dog_alert",
        ada,
        345.0,
    )
    assert (created["evidence_id"], created["applied_at"]) == (None, None)
    assert created["time"].startswith("2026-06-01T14:05:00")
    # The same report again (a queue replayed): 200 with the stored clue, nothing new.
    assert post(client, base, body, status=200) == created
    assert client.get(base).json() == [created]
    log = [e["text"] for e in client.get(f"/incidents/{incident}/activity").json()]
    assert [t for t in log if t.startswith("clue")] == [
        "clue reported (dog_alert) at 36.54267, -84.28100, bearing 345° by Ada: "
        "Juno alerts, scent cone to the NNW"
    ]
    # Same id, other content: refused, naming the id.
    refused = problem(client.post(base, json={**body, "note": "a deer"}), 409)
    assert refused["detail"].startswith(f"id: clue {uuid.UUID(int=1)} is already stored")


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"lat": 91.0}, "lat:"),
        ({"lon": 200.0}, "lon:"),
        ({"kind": "glove"}, "kind:"),
        ({"bearing_deg": 360.0}, "bearing_deg:"),
        ({"bearing_deg": None}, "bearing_deg: a dog_alert clue needs the bearing"),
        ({"kind": "item"}, "bearing_deg: a item clue has no bearing"),
        ({"note": "x" * 2001}, "note:"),
        ({"time": "2026-06-01T14:05:00"}, "time:"),
        ({"confidence": 0.9}, "confidence:"),
    ],
)
def test_a_bad_clue_is_a_problem_naming_the_field(
    client: TestClient, incident: int, fields: dict[str, Any], where: str
) -> None:
    answer = problem(client.post(f"/incidents/{incident}/clues", json=_clue(**fields)), 422)
    assert answer["detail"].startswith(where), answer["detail"]
    assert client.get(f"/incidents/{incident}/clues").json() == []


def test_field_roles_report_only_for_themselves(client: TestClient, incident: int) -> None:
    base = f"/incidents/{incident}/clues"
    _, (ada, ben) = field_team(client, incident, ["Ada", "Ben"])
    problem(client.post(base, json=_clue(member_id=999)), 404)
    searcher = login_as(client, incident, "searcher", ben)
    refused = problem(client.post(base, json=_clue(member_id=ada), headers=searcher), 403)
    assert refused["detail"].startswith("member_id:")
    own = post(client, base, _clue(member_id=ben), headers=searcher)
    assert own["member_id"] == ben
    viewer = login_as(client, incident, "viewer")
    problem(client.post(base, json=_clue(id=str(uuid.uuid4())), headers=viewer), 403)
    assert [c["id"] for c in client.get(base, headers=viewer).json()] == [own["id"]]


def test_a_planner_applies_a_clue_to_the_linked_plan(
    client: TestClient, incident: int, plan: Path, clock: list[Any]
) -> None:
    base = f"/incidents/{incident}/clues"
    clue = post(client, base, _clue())
    apply = f"{base}/{clue['id']}/apply"
    problem(client.post(apply), 409)  # no plan linked yet
    _link(client, incident, plan)
    poa_before = (plan / "poa.tif").read_bytes()
    searcher = login_as(client, incident, "searcher", member(client, incident, "Ada"))
    problem(client.post(apply, headers=searcher), 403)
    planner = login_as(client, incident, "planning")
    with client.websocket_connect(f"/incidents/{incident}/live") as ws:
        assert ws.receive_json()["type"] == "subscribed"
        response = client.post(apply, json={"confidence": 0.6, "range_m": 800}, headers=planner)
        assert response.status_code == 200, response.text
        event = ws.receive_json()
    applied = response.json()
    assert event == {"type": "clue", "event": "applied", "clue": applied}
    assert applied["evidence_id"] == "C1"
    assert applied["applied_at"].startswith("2026-06-01T14:00:00")  # the server's clock
    [entry] = json.loads((plan / "evidence.json").read_text())["entries"]
    assert entry["id"] == "C1"
    assert (plan / "poa.tif").read_bytes() != poa_before
    again = problem(client.post(apply, headers=planner), 409)
    assert "already applied to the plan as evidence C1" in again["detail"]
    assert client.get(base).json() == [applied]
    problem(client.post(f"{base}/{uuid.uuid4()}/apply", headers=planner), 404)
    problem(client.post(apply, json={"confidence": 2}, headers=planner), 422)


def test_a_clue_off_the_map_is_refused_and_the_plan_unchanged(
    client: TestClient, incident: int, plan: Path
) -> None:
    _link(client, incident, plan)
    clue = post(client, f"/incidents/{incident}/clues", _clue(lat=IPP.lat + 0.5))
    files = {p.name: p.read_bytes() for p in plan.iterdir()}
    answer = problem(client.post(f"/incidents/{incident}/clues/{clue['id']}/apply"), 422)
    assert answer["detail"].startswith(f"clue {clue['id']}: ")
    assert {p.name: p.read_bytes() for p in plan.iterdir()} == files
    [stored] = client.get(f"/incidents/{incident}/clues").json()
    assert stored["evidence_id"] is None
