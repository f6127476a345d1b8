"""POST /incidents/{id}/rotation: the watch for the night from the roster's pairs."""

from __future__ import annotations

from fastapi.testclient import TestClient

from apitools import field_team, login_as, post, problem

NIGHT = {"starts_at": "2026-06-01T22:00:00Z", "horizon_h": 4, "slot_h": 1, "watch_size": 2}


def test_rotation_keeps_pairs_together_and_is_logged(client: TestClient, incident: int) -> None:
    _, ids = field_team(client, incident, ["Ada", "Ben", "Cora", "Dev"])
    body = {**NIGHT, "max_consecutive_h": 2, "min_rest_h": 1}
    rotation = post(client, f"/incidents/{incident}/rotation", body, status=200)
    assert len(rotation["slots"]) == 4
    pairs = [{ids[0], ids[1]}, {ids[2], ids[3]}]
    for slot in rotation["slots"]:
        assert set(slot["member_ids"]) in pairs  # a pair stands watch together
        assert slot["hours"] == 1
    assert sum(rotation["hours"].values()) == 8  # 4 slots × 2 people
    assert rotation["slots"][1]["starts_at"].startswith("2026-06-01T23:00")
    log = client.get(f"/incidents/{incident}/activity").json()
    assert log[-1]["kind"] == "rotation" and "rest rotation planned" in log[-1]["text"]


def test_impossible_rotation_says_why(client: TestClient, incident: int) -> None:
    _, ids = field_team(client, incident, ["Ada", "Ben", "Cora", "Dev"])
    # Everyone must be on watch, but Ben has no duty left: his pair cannot stand watch.
    body = {**NIGHT, "watch_size": 4, "duty_left_h": {str(ids[1]): 0}}
    response = client.post(f"/incidents/{incident}/rotation", json=body)
    detail = problem(response, 422)["detail"]
    assert "Ben" in detail


def test_unknown_member_in_duty_is_refused(client: TestClient, incident: int) -> None:
    field_team(client, incident, ["Ada", "Ben"])
    body = {**NIGHT, "watch_size": 2, "duty_left_h": {"999": 3}}
    detail = problem(client.post(f"/incidents/{incident}/rotation", json=body), 422)["detail"]
    assert detail.startswith("duty_left_h")


def test_viewer_cannot_plan_the_watch(client: TestClient, incident: int) -> None:
    field_team(client, incident, ["Ada", "Ben"])
    headers = login_as(client, incident, "viewer")
    response = client.post(f"/incidents/{incident}/rotation", json=NIGHT, headers=headers)
    problem(response, 403)
