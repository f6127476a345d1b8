"""The subject through the HTTP API: intake, the find, reunification and closing the incident."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from apitools import check_in, login_as, member, post, problem

T0 = datetime(2026, 6, 1, 14, 0, tzinfo=UTC)
CODE = "otter-47"
LILY = {
    "name": "Lily Moore",
    "category": "child",
    "age": 6,
    "description": "red raincoat",
    "last_seen_lat": 36.58,
    "last_seen_lon": -84.25,
    "last_seen_at": "2026-06-01T11:00:00Z",
    "guardian_name": "Jane Moore",
    "guardian_relation": "mother",
    "handover_code": CODE,
}
GUARDIAN = {"guardian_name": "Jane Moore", "guardian_relation": "mother", "code": CODE}


def _base(incident: int) -> str:
    return f"/incidents/{incident}/subjects"


def _found(client: TestClient, incident: int) -> tuple[int, int]:
    """Lily taken in and found by Ada (checked in); (subject id, Ada's id)."""
    ada = member(client, incident, "Ada")
    check_in(client, incident, ada)
    subject = post(client, _base(incident), LILY)["id"]
    body = {"member_id": ada, "lat": 36.59, "lon": -84.26, "condition": "cold, alert"}
    post(client, f"{_base(incident)}/{subject}/found", body, status=200)
    return subject, ada


def _log(client: TestClient, incident: int, *kinds: str) -> list[str]:
    """The activity log's lines (of ``kinds`` only, when given)."""
    lines = client.get(f"/incidents/{incident}/activity").json()
    return [e["text"] for e in lines if not kinds or e["kind"] in kinds]


def test_intake_shows_the_handover_code_once(
    client: TestClient, incident: int, clock: list[datetime]
) -> None:
    created = post(client, _base(incident), {**LILY, "handover_code": None})
    code = created["handover_code"]
    assert len(code) == 8
    assert (created["status"], created["category"]) == ("missing", "child_4_6")
    one = client.get(f"{_base(incident)}/{created['id']}")
    listed = client.get(_base(incident))
    assert one.status_code == listed.status_code == 200
    assert one.json() == {k: v for k, v in created.items() if k != "handover_code"}
    assert listed.json() == [one.json()]
    for response in (one, listed, client.get(f"/incidents/{incident}/activity")):
        assert code not in response.text and "scrypt" not in response.text
        assert "handover_code" not in response.text
    schema = client.get("/openapi.json").json()["components"]["schemas"]["SubjectCreated"]
    assert "give it to the guardian" in schema["properties"]["handover_code"]["description"]


def test_intake_refusals_name_the_field(client: TestClient, incident: int) -> None:
    bad_lat = problem(client.post(_base(incident), json={**LILY, "last_seen_lat": 136.5}), 422)
    assert bad_lat["detail"].startswith("last_seen_lat:")
    unknown = problem(client.post(_base(incident), json={**LILY, "category": "wizard"}), 422)
    assert unknown["detail"].startswith("category: unknown 'wizard'")
    assert "hiker" in unknown["detail"]  # lists the valid categories
    short = problem(client.post(_base(incident), json={**LILY, "handover_code": "abc"}), 422)
    assert short["detail"].startswith("handover_code:")
    searcher = login_as(client, incident, "searcher", member(client, incident, "Ada"))
    problem(client.post(_base(incident), json=LILY, headers=searcher), 403)
    assert client.get(_base(incident)).json() == []


def test_a_searcher_reports_their_own_find_and_it_is_streamed(
    client: TestClient, incident: int, clock: list[datetime]
) -> None:
    ada, ben = member(client, incident, "Ada"), member(client, incident, "Ben")
    subject = post(client, _base(incident), LILY)["id"]
    headers = login_as(client, incident, "searcher", ada)
    url = f"{_base(incident)}/{subject}/found"
    body: dict[str, Any] = {"member_id": ben, "lat": 36.59, "lon": -84.26, "condition": "alert"}
    other = problem(client.post(url, json=body, headers=headers), 403)
    assert "not member" in other["detail"]
    with client.websocket_connect(f"/incidents/{incident}/live") as ws:
        assert ws.receive_json()["type"] == "subscribed"
        response = client.post(url, json={**body, "member_id": ada}, headers=headers)
        assert response.status_code == 200, response.text
        event = ws.receive_json()
    assert (event["type"], event["event"]) == ("subject", "found")
    assert event["subject"] == response.json()
    found = response.json()
    assert (found["status"], found["found_by_member_id"]) == ("found", ada)
    assert found["found_at"].startswith("2026-06-01T14:00:00")  # the server's clock
    assert "handover_code" not in event["subject"]
    again = problem(client.post(url, json={**body, "member_id": ada}, headers=headers), 409)
    assert "is found, not missing" in again["detail"]
    outside = client.post(url, json={**body, "member_id": ada, "lat": 136.59}, headers=headers)
    assert problem(outside, 422)["detail"].startswith("lat:")


def test_a_wrong_code_is_a_403_that_names_the_field_and_is_logged(
    client: TestClient, incident: int, clock: list[datetime]
) -> None:
    subject, _ = _found(client, incident)
    url = f"{_base(incident)}/{subject}/handover"
    ops = login_as(client, incident, "operations")
    refused = problem(client.post(url, json={**GUARDIAN, "code": "otter-48"}, headers=ops), 403)
    assert refused["detail"].startswith("code: did not match the intake record")
    assert CODE not in refused["detail"] and "otter-48" not in refused["detail"]
    assert client.get(f"{_base(incident)}/{subject}").json()["status"] == "found"
    assert _log(client, incident)[-1] == (
        f"subject {subject} (Lily Moore): handover refused: code did not match the intake "
        "record (attempt 1 of 5)"
    )
    viewer = login_as(client, incident, "viewer")
    problem(client.post(url, json=GUARDIAN, headers=viewer), 403)
    assert client.get(f"{_base(incident)}/{subject}").json()["status"] == "found"
    with client.websocket_connect(f"/incidents/{incident}/live") as ws:
        assert ws.receive_json()["type"] == "subscribed"
        body = {"guardian_name": " jane  MOORE", "guardian_relation": "Mother", "code": CODE}
        response = client.post(url, json=body, headers=ops)
        assert response.status_code == 200, response.text
        event = ws.receive_json()
    done = response.json()
    assert (done["status"], done["handed_to"]) == ("handed_over", "Jane Moore")
    assert (event["event"], event["subject"]) == ("handed_over", done)


def test_after_five_refusals_the_subject_must_be_transferred(
    client: TestClient, incident: int, clock: list[datetime]
) -> None:
    subject, _ = _found(client, incident)
    url = f"{_base(incident)}/{subject}"
    for attempt in range(5):
        wrong = {**GUARDIAN, "guardian_relation": "aunt", "code": f"guess-{attempt}"}
        detail = problem(client.post(f"{url}/handover", json=wrong), 403)["detail"]
        assert detail.startswith("guardian_relation, code: did not match")
    assert "no attempts left" in detail
    locked = problem(client.post(f"{url}/handover", json=GUARDIAN), 403)
    assert "incident commander must transfer the subject instead" in locked["detail"]
    clock[0] = T0 + timedelta(minutes=30)
    body = {"to": "County EMS Medic 4", "reason": "hypothermia; guardian not verified"}
    done = post(client, f"{url}/transfer", body, status=200)
    assert (done["status"], done["handed_to"]) == ("transferred", "County EMS Medic 4")
    assert done["handed_over_at"].startswith("2026-06-01T14:30:00")
    assert _log(client, incident)[-1] == (
        "transferred: Lily Moore to County EMS Medic 4 at 14:30Z; "
        "reason: hypothermia; guardian not verified"
    )
    problem(client.post(f"{url}/transfer", json=body), 409)


def test_close_waits_for_checkout_and_reunification_then_only_reads(
    client: TestClient, incident: int, clock: list[datetime]
) -> None:
    subject, ada = _found(client, incident)
    close = f"/incidents/{incident}/close"
    ops = login_as(client, incident, "operations")
    problem(client.post(close, headers=ops), 403)  # closing is the commander's
    refused = problem(client.post(close), 409)["detail"]
    assert "1 member not checked out: Ada (checked_in)" in refused
    assert "Lily Moore (found)" in refused
    check_in(client, incident, ada, "checked_out")
    still = problem(client.post(close), 409)["detail"]
    assert "Lily Moore (found)" in still and "Ada" not in still
    handover = f"{_base(incident)}/{subject}/handover"
    wrong = {**GUARDIAN, "guardian_name": "June Moore"}
    problem(client.post(handover, json=wrong, headers=ops), 403)
    post(client, handover, GUARDIAN, status=200)
    clock[0] = T0 + timedelta(hours=1)
    closed = post(client, close, {}, status=200)
    assert (closed["status"], closed["closed_at"]) == ("closed", "2026-06-01T15:00:00Z")
    after = problem(client.post(f"/incidents/{incident}/members", json={"name": "Late"}), 409)
    assert "is closed" in after["detail"]
    problem(client.post(close), 409)
    assert client.get(f"/incidents/{incident}").json()["status"] == "closed"
    assert client.get(f"{_base(incident)}/{subject}").json()["status"] == "handed_over"
    assert [m["name"] for m in client.get(f"/incidents/{incident}/members").json()] == ["Ada"]
    story = _log(client, incident, "incident", "subject", "handover_refused")
    assert [t.split(":")[0] for t in story] == [
        "incident opened",
        "subject intake",
        "FOUND",
        f"subject {subject} (Lily Moore)",
        "handed over",
        "incident closed",
    ]
    assert "guardian_name did not match the intake record" in story[3]
    assert story[-1] == (
        "incident closed: Missing child; Lily Moore handed over to Jane Moore; "
        "roster: 1 checked out, 0 never checked in"
    )


def test_unknown_subject_is_a_404(client: TestClient, incident: int) -> None:
    problem(client.get(f"{_base(incident)}/999"), 404)
    detail = problem(client.post(f"{_base(incident)}/999/handover", json=GUARDIAN), 404)
    assert "subject 999" in detail["detail"]
