"""``/incidents/{id}/live``: devices send positions up the socket; viewers see them pushed."""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi.testclient import TestClient

from apitools import field_team, login_as


def _fix(member: int, minute: int, lat: float = 36.55) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "member_id": member,
        "lat": lat,
        "lon": -84.28,
        "time": f"2026-06-01T14:{minute:02d}:00Z",
    }


def test_a_phone_sends_its_queue_up_the_socket_and_viewers_see_it(
    client: TestClient, incident: int
) -> None:
    _, (ada, ben) = field_team(client, incident, ["Ada", "Ben"])
    phone = login_as(client, incident, "searcher", member_id=ada)
    live = f"/incidents/{incident}/live"
    queue = [_fix(ada, 1), _fix(ada, 2)]
    with (
        client.websocket_connect(live) as viewer,
        client.websocket_connect(live, headers=phone) as device,
    ):
        assert viewer.receive_json()["type"] == "subscribed"
        assert device.receive_json()["type"] == "subscribed"
        device.send_json({"type": "positions", "ref": "q1", "positions": queue})
        seen = [viewer.receive_json() for _ in range(2)]
        # The device hears its own positions pushed and its ack, in either order.
        answers = [device.receive_json() for _ in range(3)]
        device.send_json({"type": "positions", "ref": "q1-again", "positions": queue})
        replay = device.receive_json()
    assert [m["position"]["id"] for m in seen] == [q["id"] for q in queue]
    [ack] = [a for a in answers if a["type"] == "ack"]
    assert ack == {
        "type": "ack",
        "ref": "q1",
        "created": 2,
        "replayed": 0,
        "ids": [q["id"] for q in queue],
    }
    assert (replay["type"], replay["created"], replay["replayed"]) == ("ack", 0, 2)
    [latest] = client.get(f"/incidents/{incident}/positions/latest").json()
    assert latest["id"] == queue[1]["id"]
    assert ben not in {
        p["member_id"] for p in client.get(f"/incidents/{incident}/positions/latest").json()
    }


def test_bad_messages_get_a_problem_and_the_socket_stays_open(
    client: TestClient, incident: int
) -> None:
    _, (ada, ben) = field_team(client, incident, ["Ada", "Ben"])
    phone = login_as(client, incident, "searcher", member_id=ada)
    viewer = login_as(client, incident, "viewer")
    live = f"/incidents/{incident}/live"
    with client.websocket_connect(live, headers=phone) as device:
        assert device.receive_json()["type"] == "subscribed"
        device.send_text("{not json")
        assert device.receive_json()["status"] == 422
        device.send_json({"type": "hello", "ref": 7})
        error = device.receive_json()
        assert (error["ref"], error["status"]) == (7, 422)
        assert error["detail"].startswith("type: 'hello'")
        device.send_json({"type": "position", "position": {**_fix(ada, 3), "lat": 123}})
        error = device.receive_json()
        assert error["status"] == 422 and error["detail"].startswith("positions.0.lat")
        device.send_json({"type": "position", "ref": "x", "position": _fix(ben, 3)})
        error = device.receive_json()
        assert error["status"] == 403 and "member_id" in error["detail"]
        device.send_text(json.dumps({"type": "positions", "positions": [_fix(ada, 4)] * 2000}))
        assert device.receive_json()["status"] == 413
        # Still open: a good position goes through.
        device.send_json({"type": "position", "ref": "ok", "position": _fix(ada, 5)})
        answers = [device.receive_json() for _ in range(2)]
        assert {a["type"] for a in answers} == {"position", "ack"}
    with client.websocket_connect(live, headers=viewer) as watcher:
        assert watcher.receive_json()["type"] == "subscribed"
        watcher.send_json({"type": "position", "position": _fix(ada, 6)})
        assert watcher.receive_json()["status"] == 403  # viewers only watch
    assert (
        len(client.get(f"/incidents/{incident}/positions/track", params={"member_id": ada}).json())
        == 1
    )
