"""Helpers for driving the incident server through its HTTP API in tests."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

PROBLEM = "application/problem+json"


def post(
    client: TestClient,
    path: str,
    body: dict[str, Any],
    status: int = 201,
    headers: dict[str, str] | None = None,
) -> Any:
    """POST ``body`` as JSON (with ``headers`` if given), check the status, return the answer."""
    response = client.post(path, json=body, headers=headers)
    assert response.status_code == status, response.text
    return response.json()


def problem(response: Any, status: int) -> dict[str, Any]:
    """Check that ``response`` is a problem+json answer with ``status``; return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail"} <= body.keys()
    return body


def member(client: TestClient, incident: int, name: str, protect: bool = False) -> int:
    """Put ``name`` on the roster; their id."""
    body = {"name": name, "needs_protection": protect}
    created: int = post(client, f"/incidents/{incident}/members", body)["id"]
    return created


def check_in(client: TestClient, incident: int, member_id: int, status: str = "checked_in") -> None:
    """Set a member's ICS-211 status."""
    response = client.put(
        f"/incidents/{incident}/members/{member_id}/status", json={"status": status}
    )
    assert response.status_code == 200, response.text


def field_team(
    client: TestClient, incident: int, names: list[str], status: str = "checked_in"
) -> tuple[int, list[int]]:
    """Check ``names`` in and form them into "Team 1", in pairs, the first one leading."""
    ids = [member(client, incident, n) for n in names]
    for m in ids:
        check_in(client, incident, m, status)
    pairs = [{"member_ids": ids[i : i + 2]} for i in range(0, len(ids), 2)]
    body = {"name": "Team 1", "pairs": pairs, "leader_id": ids[0]}
    team: int = post(client, f"/incidents/{incident}/teams", body)["id"]
    return team, ids


#: The password of users made by :func:`login_as`.
PASSWORD = "correct-horse-battery"


def login_as(
    client: TestClient,
    incident: int,
    role: str,
    member_id: int | None = None,
    login: str = "",
    name: str = "",
) -> dict[str, str]:
    """Make a user with ``role`` in ``incident`` (as the fixture's admin); their auth headers.

    ``name`` (what the activity log calls them) defaults to the login in title case.
    """
    login = login or f"{role}-{member_id or 0}-{incident}"
    user = {"login": login, "name": name or login.title(), "password": PASSWORD}
    post(client, "/users", user)
    body = {"login": login, "role": role, "member_id": member_id}
    post(client, f"/incidents/{incident}/roles", body)
    token = post(client, "/auth/token", {"login": login, "password": PASSWORD}, status=200)
    return {"Authorization": f"Bearer {token['access_token']}"}
