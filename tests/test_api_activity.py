"""The activity log's verification and export routes, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import delete

from apitools import login_as, member, problem
from wayhome.store.audit import verify_export
from wayhome.store.models import ActivityLog


def _records(response: Any) -> list[dict[str, Any]]:
    return [json.loads(line) for line in response.text.splitlines()]


def test_an_intact_log_verifies_and_exports_as_json_lines(
    client: TestClient, incident: int
) -> None:
    member(client, incident, "Ada")
    member(client, incident, "Ben")
    viewer = login_as(client, incident, "viewer")
    report = client.get(f"/incidents/{incident}/activity/verify", headers=viewer)
    assert report.status_code == 200, report.text
    log = client.get(f"/incidents/{incident}/activity").json()
    assert report.json() == {
        "ok": True, "checked": len(log), "unchained": 0, "first_bad_seq": None,
        "first_bad_id": None, "reason": f"intact: {len(log)} lines",
    }  # fmt: skip
    exported = client.get(f"/incidents/{incident}/activity/export", headers=viewer)
    assert exported.status_code == 200
    assert exported.headers["content-type"] == "application/x-ndjson"
    assert f"incident-{incident}-activity.jsonl" in exported.headers["content-disposition"]
    records = _records(exported)
    assert [r["text"] for r in records[:-1]] == [a["text"] for a in log]
    assert records[-1] == {"head": {"seq": len(log), "hash": records[-2]["hash"]}}
    assert verify_export(records).ok


def test_a_removed_line_shows_in_the_report_and_the_export(
    client: TestClient, incident: int
) -> None:
    for name in ("Ada", "Ben", "Cy"):
        member(client, incident, name)
    log = client.get(f"/incidents/{incident}/activity").json()
    with client.app.state.sessions() as s:  # type: ignore[attr-defined]
        s.execute(delete(ActivityLog).where(ActivityLog.id == log[2]["id"]))
        s.commit()
    report = client.get(f"/incidents/{incident}/activity/verify").json()
    assert report["ok"] is False
    assert (report["first_bad_seq"], report["first_bad_id"]) == (3, log[3]["id"])
    assert report["reason"] == "line 3 is missing (line 2 is followed by 4)"
    records = _records(client.get(f"/incidents/{incident}/activity/export"))
    assert verify_export(records).reason == report["reason"]


def test_verify_and_export_need_read_access_to_a_known_incident(
    client: TestClient, incident: int
) -> None:
    other = client.post("/incidents", json={"name": "Other"}).json()["id"]
    outsider = login_as(client, other, "viewer")
    for path in ("verify", "export"):
        problem(client.get(f"/incidents/999/activity/{path}"), 404)
        problem(client.get(f"/incidents/{incident}/activity/{path}", headers=outsider), 403)
    del client.headers["Authorization"]
    for path in ("verify", "export"):
        problem(client.get(f"/incidents/{incident}/activity/{path}"), 401)
