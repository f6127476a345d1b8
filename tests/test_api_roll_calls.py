"""Roll calls through the HTTP API and the live stream, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from apitools import field_team, post, problem

T0 = datetime(2026, 6, 1, 14, 0, tzinfo=UTC)


def test_roll_call_with_a_silent_member_is_escalated_and_streamed(
    client: TestClient, incident: int, clock: list[datetime]
) -> None:
    team, (ada, ben) = field_team(client, incident, ["Ada", "Ben"])
    base = f"/incidents/{incident}/roll-calls"
    with client.websocket_connect(f"/incidents/{incident}/live") as ws:
        assert ws.receive_json()["type"] == "subscribed"
        rc = post(client, base, {"team_id": team, "timeout_seconds": 300})
        assert rc["due_at"].startswith("2026-06-01T14:05:00")
        answered = post(client, f"{base}/{rc['id']}/answers", {"member_id": ada}, status=200)
        again = post(client, f"{base}/{rc['id']}/answers", {"member_id": ada}, status=200)
        assert answered == again  # idempotent
        assert post(client, f"{base}/escalations", {}, status=200) == []  # not due yet
        clock[0] = T0 + timedelta(minutes=5)
        [escalated] = post(client, f"{base}/escalations", {}, status=200)
        events = [ws.receive_json() for _ in range(3)]
    assert [(e["type"], e["event"]) for e in events] == [
        ("roll_call", "started"),
        ("roll_call", "answered"),
        ("roll_call", "escalated"),
    ]  # the repeated answer was not pushed again
    statuses = {a["member_id"]: a["status"] for a in escalated["answers"]}
    assert statuses == {ada: "answered", ben: "escalated"}
    assert client.get(f"{base}/{rc['id']}").json() == escalated
    assert [r["id"] for r in client.get(base).json()] == [rc["id"]]
    log = [e["text"] for e in client.get(f"/incidents/{incident}/activity").json()]
    assert [t for t in log if t.startswith("roll call")] == [
        f"roll call {rc['id']} started for team Team 1: 2 members, answers due by 14:05Z",
        f"roll call {rc['id']}: Ada answered",
        f"roll call {rc['id']}: no answer from Ben 5 min after it was asked; escalated",
    ]


def test_answering_a_roll_call_of_another_incident_is_a_404_problem(
    client: TestClient, incident: int, clock: list[datetime]
) -> None:
    _, (ada, _) = field_team(client, incident, ["Ada", "Ben"])
    rc = post(client, f"/incidents/{incident}/roll-calls", {})
    other = post(client, "/incidents", {"name": "Other"})["id"]
    response = client.post(
        f"/incidents/{other}/roll-calls/{rc['id']}/answers", json={"member_id": ada}
    )
    assert f"roll call {rc['id']}" in problem(response, 404)["detail"]
    problem(client.get(f"/incidents/{other}/roll-calls/{rc['id']}"), 404)
    problem(client.post("/incidents/999/roll-calls/escalations"), 404)


def test_roll_call_refusals_are_422_problems(
    client: TestClient, incident: int, clock: list[datetime]
) -> None:
    nobody = problem(client.post(f"/incidents/{incident}/roll-calls", json={}), 422)
    assert "check members in" in nobody["detail"]
    _, (ada, ben, cora, _) = field_team(client, incident, ["Ada", "Ben", "Cora", "Dev"])
    rc = post(client, f"/incidents/{incident}/roll-calls", {})["id"]
    body = {"member_id": ben, "by_member_id": cora}
    detail = problem(client.post(f"/incidents/{incident}/roll-calls/{rc}/answers", json=body), 422)
    assert "team leader of their pair" in detail["detail"]
    problem(client.post(f"/incidents/{incident}/roll-calls", json={"timeout_seconds": 1}), 422)
    bad = client.put(f"/incidents/{incident}/members/{ada}/status", json={"status": "asleep"})
    problem(bad, 422)
