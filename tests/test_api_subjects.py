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
    "guardian_id_document": "driver's licence TN ...0421",
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
    assert done["guardian_id_document"] == "driver's licence TN ...0421"  # operations may
    assert done["handover_override"] == ""
    # The live stream, which every role reads, never carries the ID document.
    assert (event["event"], event["subject"]) == (
        "handed_over",
        {**done, "guardian_id_document": ""},
    )


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
    assert (
        "incident commander must override (giving the reason and the ID checked) or "
        in (locked["detail"])
    )
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


# --- The guardian's ID document and the incident commander's override ------------------

OVERRIDE = {
    "guardian_name": "Jane Moore",
    "guardian_relation": "mother",
    "override": "guardian lost the code; known to the deputy",
    "id_document_checked": "passport GB ...7731",
}


def test_the_id_document_is_shown_only_to_those_who_hand_over(
    client: TestClient, incident: int
) -> None:
    ada = member(client, incident, "Ada")
    check_in(client, incident, ada)
    planner = login_as(client, incident, "planning")
    with client.websocket_connect(f"/incidents/{incident}/live") as ws:
        assert ws.receive_json()["type"] == "subscribed"
        created = client.post(_base(incident), json=LILY, headers=planner)
        assert created.status_code == 201, created.text
        event = ws.receive_json()
    assert created.json()["guardian_id_document"] == ""  # planning takes intake, not handover
    assert event["subject"]["guardian_id_document"] == ""
    url = f"{_base(incident)}/{created.json()['id']}"
    seen = {}
    for role, member_id in (
        ("incident_commander", None),
        ("operations", None),
        ("planning", None),
        ("team_leader", ada),
        ("searcher", ada),
        ("viewer", None),
    ):
        headers = login_as(client, incident, role, member_id, login=f"{role}-sees")
        one = client.get(url, headers=headers).json()
        [listed] = client.get(_base(incident), headers=headers).json()
        assert one == listed
        seen[role] = one["guardian_id_document"]
    document = "driver's licence TN ...0421"
    assert seen == {
        "incident_commander": document,
        "operations": document,
        "planning": "",
        "team_leader": "",
        "searcher": "",
        "viewer": "",
    }
    assert all(document not in line for line in _log(client, incident))


def test_intake_needs_the_id_document_checked(client: TestClient, incident: int) -> None:
    without = {k: v for k, v in LILY.items() if k != "guardian_id_document"}
    missing = problem(client.post(_base(incident), json=without), 422)
    assert missing["detail"].startswith("guardian_id_document: Field required")
    blank = problem(client.post(_base(incident), json={**LILY, "guardian_id_document": " "}), 422)
    assert blank["detail"].startswith("guardian_id_document: say which identity document")
    assert client.get(_base(incident)).json() == []


def test_the_commander_overrides_the_code_logged_with_who_when_and_why(
    client: TestClient, incident: int, clock: list[datetime]
) -> None:
    subject, _ = _found(client, incident)
    url = f"{_base(incident)}/{subject}/handover"
    commander = login_as(client, incident, "incident_commander", name="Mara Quinn")
    clock[0] = T0 + timedelta(minutes=20)
    done = post(client, url, OVERRIDE, status=200, headers=commander)
    assert (done["status"], done["handed_to"]) == ("handed_over", "Jane Moore")
    assert done["handover_override"] == "guardian lost the code; known to the deputy"
    assert done["handed_over_at"].startswith("2026-06-01T14:20:00")
    [line] = client.get(f"/incidents/{incident}/activity").json()[-1:]
    assert (line["actor"], line["kind"]) == ("Mara Quinn (incident_commander)", "subject")
    assert line["text"] == (
        "handed over: Lily Moore to Jane Moore (mother) at 14:20Z; identity verified: name, "
        "relation; handed over WITHOUT the code on the incident commander's override: "
        "guardian lost the code; known to the deputy; ID checked: passport GB ...7731"
    )


def test_an_override_by_operations_is_refused_and_nothing_is_written(
    client: TestClient, incident: int, clock: list[datetime]
) -> None:
    subject, _ = _found(client, incident)
    url = f"{_base(incident)}/{subject}/handover"
    ops = login_as(client, incident, "operations")
    before = _log(client, incident)
    for body in (OVERRIDE, {**OVERRIDE, "override": ""}):
        refused = problem(client.post(url, json=body, headers=ops), 403)
        assert refused["detail"].startswith("override: as operations you may not hand over")
    assert _log(client, incident) == before
    assert client.get(f"{_base(incident)}/{subject}").json()["status"] == "found"


def test_a_bad_override_is_a_422_naming_the_field(
    client: TestClient, incident: int, clock: list[datetime]
) -> None:
    subject, _ = _found(client, incident)
    url = f"{_base(incident)}/{subject}/handover"
    before = _log(client, incident)
    for changes, field in (
        ({"override": ""}, "override: give the reason"),
        ({"override": "   "}, "override: give the reason"),
        ({"id_document_checked": None}, "id_document_checked: say which"),
        ({"code": CODE}, "code, override: give the guardian's code or"),
        ({"override": None, "id_document_checked": None}, "code: give the handover code"),
    ):
        detail = problem(client.post(url, json={**OVERRIDE, **changes}), 422)["detail"]
        assert detail.startswith(field), detail
    assert _log(client, incident) == before


def test_the_lockout_does_not_block_the_commanders_override(
    client: TestClient, incident: int, clock: list[datetime]
) -> None:
    subject, _ = _found(client, incident)
    url = f"{_base(incident)}/{subject}/handover"
    ops = login_as(client, incident, "operations")
    for attempt in range(6):
        wrong = {**GUARDIAN, "code": f"guess-{attempt}"}
        problem(client.post(url, json=wrong, headers=ops), 403)
    locked = problem(client.post(url, json=GUARDIAN, headers=ops), 403)
    assert "handover locked after 5 refused attempts" in locked["detail"]
    mismatch = problem(client.post(url, json={**OVERRIDE, "guardian_relation": "aunt"}), 403)
    assert mismatch["detail"].startswith("guardian_relation: did not match the intake record")
    done = post(client, url, OVERRIDE, status=200)  # the fixture's admin commands
    assert (done["status"], done["handover_override"]) == ("handed_over", OVERRIDE["override"])
