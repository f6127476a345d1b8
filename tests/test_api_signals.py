"""Signals through the HTTP API and the live stream, on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from apitools import field_team, member, post, problem
from wayhome.ops.signals import signal_codebook, signal_from_code


def test_the_codebook_holds_the_field_signals() -> None:
    assert list(signal_codebook()) == [
        "two",
        "yes",
        "found",
        "need_help",
        "return_to_rendezvous",
        "hazard",
    ]
    assert signal_from_code("two").meaning == "no"
    assert not signal_from_code("two").requires_ack
    assert signal_from_code("return_to_rendezvous").requires_ack


def test_signal_to_a_team_is_delivered_acknowledged_once_and_streamed(
    client: TestClient, incident: int
) -> None:
    team, (ada, ben) = field_team(client, incident, ["Ada", "Ben"])
    base = f"/incidents/{incident}/signals"
    with client.websocket_connect(f"/incidents/{incident}/live") as ws:
        assert ws.receive_json()["type"] == "subscribed"
        sent = post(client, base, {"code": "return_to_rendezvous", "team_id": team})
        acked = post(client, f"{base}/{sent['id']}/acks", {"member_id": ben}, status=200)
        again = post(client, f"{base}/{sent['id']}/acks", {"member_id": ben}, status=200)
        events = [ws.receive_json() for _ in range(2)]
    assert acked == again  # idempotent
    assert [(e["type"], e["event"]) for e in events] == [
        ("signal", "sent"),
        ("signal", "acknowledged"),
    ]  # the repeated acknowledgement was not pushed again
    assert sent["requires_ack"] and sent["meaning"].startswith("stop searching")
    assert [d["status"] for d in sent["deliveries"]] == ["delivered", "delivered"]
    statuses = {d["member_id"]: d["status"] for d in acked["deliveries"]}
    assert statuses == {ada: "delivered", ben: "acknowledged"}
    assert client.get(f"{base}/{sent['id']}").json() == acked
    assert [s["id"] for s in client.get(base).json()] == [sent["id"]]
    log = [e["text"] for e in client.get(f"/incidents/{incident}/activity").json()]
    assert [t for t in log if t.startswith("signal")] == [
        f"signal {sent['id']} 'return_to_rendezvous' (stop searching and return to the "
        "rendezvous point) sent to team Team 1: 2 recipients, acknowledgement required",
        f"signal {sent['id']} 'return_to_rendezvous': Ben acknowledged",
    ]


def test_signal_to_everyone_reaches_the_field_and_to_one_member_only_them(
    client: TestClient, incident: int
) -> None:
    _, (ada, ben) = field_team(client, incident, ["Ada", "Ben"])
    member(client, incident, "Cora")  # pending: not in the field
    base = f"/incidents/{incident}/signals"
    everyone = post(client, base, {"code": "two"})
    assert [d["member_id"] for d in everyone["deliveries"]] == [ada, ben]
    assert everyone["meaning"] == "no" and not everyone["requires_ack"]
    one = post(client, base, {"code": "found", "member_id": ben})
    assert [d["member_id"] for d in one["deliveries"]] == [ben]
    problem(client.post(f"{base}/{one['id']}/acks", json={"member_id": ada}), 404)


def test_signal_refusals_are_problems(client: TestClient, incident: int) -> None:
    base = f"/incidents/{incident}/signals"
    unknown = problem(client.post(base, json={"code": "wave"}), 422)
    assert "'wave' is not a signal" in unknown["detail"]
    for code in signal_codebook():
        assert code in unknown["detail"]
    nobody = problem(client.post(base, json={"code": "two"}), 422)
    assert "check members in" in nobody["detail"]
    team, (ada, _) = field_team(client, incident, ["Ada", "Ben"])
    both = {"code": "two", "member_id": ada, "team_id": team}
    problem(client.post(base, json=both), 422)
    problem(client.post(base, json={"code": "two", "team_id": 999}), 404)
    sent = post(client, base, {"code": "yes"})
    other = post(client, "/incidents", {"name": "Other"})["id"]
    gone = client.post(f"/incidents/{other}/signals/{sent['id']}/acks", json={"member_id": ada})
    assert f"signal {sent['id']}" in problem(gone, 404)["detail"]
    problem(client.get("/incidents/999/signals"), 404)


def test_a_replayed_client_id_is_stored_logged_and_pushed_once(
    client: TestClient, incident: int
) -> None:
    team, _ = field_team(client, incident, ["Ada", "Ben"])
    base = f"/incidents/{incident}/signals"
    body = {"code": "need_help", "team_id": team, "client_id": str(uuid.uuid4())}
    with client.websocket_connect(f"/incidents/{incident}/live") as ws:
        assert ws.receive_json()["type"] == "subscribed"
        first = post(client, base, body)
        again = post(client, base, body, status=200)
        marker = post(client, base, {"code": "two", "team_id": team})  # no client id: new
        events = [ws.receive_json() for _ in range(2)]
    assert again == first and first["client_id"] == body["client_id"]
    assert [e["signal"]["id"] for e in events] == [first["id"], marker["id"]]
    assert [s["id"] for s in client.get(base).json()] == [first["id"], marker["id"]]
    log = [e["text"] for e in client.get(f"/incidents/{incident}/activity").json()]
    assert sum(t.startswith(f"signal {first['id']} ") for t in log) == 1


def test_a_client_id_reused_for_another_signal_is_a_conflict(
    client: TestClient, incident: int
) -> None:
    team, (ada, _) = field_team(client, incident, ["Ada", "Ben"])
    base = f"/incidents/{incident}/signals"
    client_id = str(uuid.uuid4())
    sent = post(client, base, {"code": "two", "team_id": team, "client_id": client_id})
    other = {"code": "found", "member_id": ada, "client_id": client_id}
    detail = problem(client.post(base, json=other), 409)["detail"]
    assert detail.startswith("client_id: ")
    assert "code 'two'" in detail and "not code 'found'" in detail
    assert [s["id"] for s in client.get(base).json()] == [sent["id"]]
    # Client ids are per incident: another incident may use the same one.
    elsewhere = post(client, "/incidents", {"name": "Other"})["id"]
    field_team(client, elsewhere, ["Cora", "Dan"])
    moved = post(client, f"/incidents/{elsewhere}/signals", {"code": "two", "client_id": client_id})
    assert moved["incident_id"] == elsewhere and moved["client_id"] == client_id
