"""Security basics of the incident server (#7): tokens, login limits, CORS, escalation.

Logins give a 15-minute access token and a shift-long refresh token that works once; a
reused one revokes every token of that login. Failed logins are limited per login name and
per client address (429 with ``Retry-After``), never telling whether a login exists. No
CORS headers unless an origin is allowed. Field roles cannot raise themselves, and bodies
refuse fields they do not declare.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from apitools import PASSWORD, field_team, login_as, post, problem

LOGIN = {"login": "ann.lee", "password": PASSWORD}
WRONG = {"login": "ann.lee", "password": "not-her-password"}
#: The answer to an unknown login and to a wrong password alike.
WRONG_DETAIL = "login or password is wrong; check both and try again"


@pytest.fixture(autouse=True)
def default_token_lifetimes(monkeypatch: pytest.MonkeyPatch) -> None:
    """This module's servers keep the default lifetimes (conftest's last a day)."""
    monkeypatch.delenv("WAYHOME_ACCESS_TOKEN_MINUTES", raising=False)
    monkeypatch.delenv("WAYHOME_REFRESH_TOKEN_HOURS", raising=False)


@pytest.fixture
def ann(client: TestClient, clock: list[datetime]) -> str:
    """A user ``ann.lee`` with a password; the server's clock is the ``clock`` fixture's."""
    post(client, "/users", {"login": "ann.lee", "name": "Ann Lee", "password": PASSWORD})
    return "ann.lee"


def _login(client: TestClient, body: dict[str, str] = LOGIN) -> dict[str, Any]:
    answer: dict[str, Any] = post(client, "/auth/token", body, status=200)
    return answer


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _me(client: TestClient, token: str) -> Any:
    return client.get("/auth/me", headers=_bearer(token))


# --- Access and refresh tokens ----------------------------------------------------------


def test_a_login_gives_a_15_minute_access_token_and_a_refresh_token(
    client: TestClient, ann: str
) -> None:
    tokens = _login(client)
    assert set(tokens) == {"access_token", "token_type", "expires_in", "refresh_token", "user_id"}
    assert (tokens["token_type"], tokens["expires_in"]) == ("bearer", 15 * 60)
    assert tokens["access_token"] != tokens["refresh_token"]
    assert _me(client, tokens["access_token"]).json()["user"]["login"] == ann


def test_servers_default_to_15_minute_access_and_12_hour_refresh_tokens() -> None:
    from wayhome.api import WayhomeSettings

    settings = WayhomeSettings()
    assert (settings.access_token_minutes, settings.refresh_token_hours) == (15, 12)
    assert (settings.login_max_failures, settings.login_window_minutes) == (5, 15)
    assert settings.cors_origins == []


def test_an_expired_access_token_is_refused_even_when_remembered(
    client: TestClient, ann: str, clock: list[datetime]
) -> None:
    token = _login(client)["access_token"]
    assert _me(client, token).status_code == 200  # the auth cache now holds it
    clock[0] += timedelta(minutes=14, seconds=59)
    assert _me(client, token).status_code == 200
    clock[0] += timedelta(seconds=1)
    detail = problem(_me(client, token), 401)["detail"]
    assert detail.startswith("token: expired; get a new one at POST /auth/refresh")


def test_a_refresh_token_is_no_bearer_token(client: TestClient, ann: str, incident: int) -> None:
    refresh = _login(client)["refresh_token"]
    detail = problem(_me(client, refresh), 401)["detail"]
    assert "a refresh token is not an access token" in detail
    post(client, f"/incidents/{incident}/roles", {"login": ann, "role": "viewer"})
    live = f"/incidents/{incident}/live?access_token={refresh}"
    del client.headers["Authorization"]
    with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect(live) as ws:
        ws.receive_json()
    assert closed.value.code == 4401


def test_a_refresh_rotates_the_pair(client: TestClient, ann: str, clock: list[datetime]) -> None:
    first = _login(client)
    clock[0] += timedelta(minutes=14)
    second = post(client, "/auth/refresh", {"refresh_token": first["refresh_token"]}, status=200)
    assert second["expires_in"] == 15 * 60 and second["user_id"] == first["user_id"]
    assert {second["access_token"], second["refresh_token"]}.isdisjoint(first.values())
    clock[0] += timedelta(minutes=14)  # the first access token has expired, the new lives
    problem(_me(client, first["access_token"]), 401)
    assert _me(client, second["access_token"]).status_code == 200
    third = post(client, "/auth/refresh", {"refresh_token": second["refresh_token"]}, status=200)
    assert _me(client, third["access_token"]).status_code == 200


def test_a_reused_refresh_token_revokes_the_whole_login(
    client: TestClient, ann: str, clock: list[datetime]
) -> None:
    stolen = _login(client)["refresh_token"]
    thief = post(client, "/auth/refresh", {"refresh_token": stolen}, status=200)
    assert _me(client, thief["access_token"]).status_code == 200
    # The owner's app refreshes with the same token: two parties hold it.
    reuse = client.post("/auth/refresh", json={"refresh_token": stolen})
    assert "already used" in problem(reuse, 401)["detail"]
    assert "unknown or revoked" in problem(_me(client, thief["access_token"]), 401)["detail"]
    again = client.post("/auth/refresh", json={"refresh_token": thief["refresh_token"]})
    problem(again, 401)
    assert _me(client, _login(client)["access_token"]).status_code == 200  # log in again
    assert client.get("/auth/me").status_code == 200  # other users are untouched


def test_a_refresh_token_expires_after_12_hours(
    client: TestClient, ann: str, clock: list[datetime]
) -> None:
    refresh = _login(client)["refresh_token"]
    clock[0] += timedelta(hours=12)
    response = client.post("/auth/refresh", json={"refresh_token": refresh})
    assert problem(response, 401)["detail"].startswith("refresh_token: expired")
    for bad in ("not-a-token", _login(client)["access_token"]):
        response = client.post("/auth/refresh", json={"refresh_token": bad})
        assert problem(response, 401)["detail"].startswith("refresh_token: unknown")


def test_logout_revokes_the_access_and_the_refresh_token(
    client: TestClient, ann: str, clock: list[datetime]
) -> None:
    tokens, other = _login(client), _login(client)  # Ann on two devices
    pair = {k: tokens[k] for k in ("access_token", "refresh_token")}
    assert client.post("/auth/logout", json=pair, headers={"Authorization": ""}).status_code == 204
    problem(_me(client, tokens["access_token"]), 401)
    refresh = client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert problem(refresh, 401)["detail"].startswith("refresh_token: unknown")
    # The other device stays logged in: a logged-out token is no reuse.
    assert _me(client, other["access_token"]).status_code == 200
    post(client, "/auth/refresh", {"refresh_token": other["refresh_token"]}, status=200)
    # An expired access token still logs out; unknown tokens and none are a no-op.
    clock[0] += timedelta(hours=1)
    for body in ({"access_token": other["access_token"]}, {"refresh_token": "junk"}, {}):
        assert client.post("/auth/logout", json=body).status_code == 204
    assert client.get("/auth/me").status_code == 200  # the administrator's token is untouched


def test_an_open_live_socket_outlives_its_token(
    client: TestClient, incident: int, clock: list[datetime]
) -> None:
    """Documented choice: a socket is authorised when it opens; a new one needs a live token."""
    _, (ada, _) = field_team(client, incident, ["Ada", "Ben"])
    viewer = login_as(client, incident, "viewer")
    token = viewer["Authorization"].removeprefix("Bearer ")
    live = f"/incidents/{incident}/live?access_token={token}"
    with client.websocket_connect(live, headers={"Authorization": ""}) as ws:
        assert ws.receive_json()["type"] == "subscribed"
        clock[0] += timedelta(minutes=20)
        fix = {"id": "8b4f7e1c-0000-4000-8000-000000000001", "member_id": ada}
        fix |= {"lat": 36.5, "lon": -84.6, "time": "2026-06-01T14:20:00Z"}
        post(client, f"/incidents/{incident}/positions", fix)
        assert ws.receive_json()["position"]["id"] == fix["id"]
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        client.websocket_connect(live, headers={"Authorization": ""}) as ws,
    ):
        ws.receive_json()
    assert closed.value.code == 4401


# --- Login rate limiting ----------------------------------------------------------------


def _limited(response: Any) -> int:
    """Check a 429 problem that does not say whether the login exists; its Retry-After."""
    body = problem(response, 429)
    assert body["detail"].startswith("login: too many failed logins")
    return int(response.headers["Retry-After"])


def test_five_failures_lock_a_login_for_the_window(
    client: TestClient, ann: str, clock: list[datetime]
) -> None:
    for _ in range(5):
        assert problem(client.post("/auth/token", json=WRONG), 401)["detail"] == WRONG_DETAIL
        clock[0] += timedelta(minutes=1)
    # Locked: even the right password is not checked.
    assert _limited(client.post("/auth/token", json=LOGIN)) == 10 * 60
    clock[0] += timedelta(minutes=9, seconds=59)
    assert _limited(client.post("/auth/token", json=LOGIN)) == 1
    clock[0] += timedelta(seconds=1)  # the first failure left the window
    assert _login(client)["access_token"]


def test_an_unknown_login_is_locked_the_same_way(client: TestClient, ann: str) -> None:
    answers = {}
    for login in ("ann.lee", "nobody"):
        for _ in range(5):
            response = client.post("/auth/token", json={"login": login, "password": "x" * 9})
            assert problem(response, 401)["detail"] == WRONG_DETAIL
        response = client.post("/auth/token", json={"login": login, "password": "x" * 9})
        answers[login] = (_limited(response), response.json()["detail"])
    assert answers["ann.lee"] == answers["nobody"]


def test_a_success_clears_the_logins_failures(client: TestClient, ann: str) -> None:
    for _ in range(2):
        for _ in range(4):
            problem(client.post("/auth/token", json=WRONG), 401)
        assert _login(client)["access_token"]
    # The login name is compared as the store compares it.
    for _ in range(5):
        problem(client.post("/auth/token", json={**WRONG, "login": " ANN.Lee"}), 401)
    _limited(client.post("/auth/token", json=LOGIN))


def test_one_address_trying_many_logins_is_locked(client: TestClient, ann: str) -> None:
    for i in range(20):  # 20 names, 1 failure each: no name is locked, the address is
        problem(client.post("/auth/token", json={"login": f"user{i}", "password": "x"}), 401)
    _limited(client.post("/auth/token", json=LOGIN))


@pytest.fixture
def strict(database_url: str) -> Iterator[TestClient]:
    """A server allowing 2 failures per login and 3 per address in a 1-minute window."""
    from wayhome.api import WayhomeSettings, create_app

    settings = WayhomeSettings(
        database_url=database_url,
        roll_call_watch_seconds=0,
        login_max_failures=2,
        login_max_failures_per_address=3,
        login_window_minutes=1,
        access_token_minutes=2,
        refresh_token_hours=1,
    )
    with TestClient(create_app(settings)) as c:
        yield c


def test_the_limits_and_lifetimes_are_settings(strict: TestClient) -> None:
    from wayhome.store import create_user

    with strict.app.state.sessions() as s:  # type: ignore[attr-defined]
        create_user(s, login="ann.lee", name="Ann Lee", password=PASSWORD, hash_profile="fast")
    assert _login(strict)["expires_in"] == 120
    for _ in range(2):
        problem(strict.post("/auth/token", json=WRONG), 401)
    assert 55 <= _limited(strict.post("/auth/token", json=LOGIN)) <= 60
    problem(strict.post("/auth/token", json={"login": "bob", "password": "x"}), 401)
    _limited(strict.post("/auth/token", json={"login": "cal", "password": "x"}))


# --- CORS -------------------------------------------------------------------------------

ALLOWED = "https://ops.example.org"
FOREIGN = "https://evil.example.com"


def _preflight(client: TestClient, origin: str) -> Any:
    headers = {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    return client.options("/auth/token", headers=headers)


def test_by_default_no_origin_gets_cors_headers(client: TestClient, ann: str) -> None:
    for origin in (FOREIGN, ALLOWED):
        response = client.post("/auth/token", json=LOGIN, headers={"Origin": origin})
        assert response.status_code == 200
        assert not any(h.startswith("access-control-") for h in response.headers)
        refused = _preflight(client, origin)
        assert refused.status_code >= 400
        assert "access-control-allow-origin" not in refused.headers


@pytest.fixture
def cors(database_url: str) -> Iterator[TestClient]:
    """A server allowing pages of :data:`ALLOWED` (``--cors-origin``)."""
    from wayhome.api import WayhomeSettings, create_app

    settings = WayhomeSettings(
        database_url=database_url, roll_call_watch_seconds=0, cors_origins=[ALLOWED]
    )
    with TestClient(create_app(settings)) as c:
        yield c


def test_an_allowed_origin_gets_cors_and_others_do_not(cors: TestClient) -> None:
    allowed = _preflight(cors, ALLOWED)
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ALLOWED
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    answer = cors.get("/health", headers={"Origin": ALLOWED})
    assert answer.headers["access-control-allow-origin"] == ALLOWED
    assert "access-control-allow-credentials" not in answer.headers
    for origin in (FOREIGN, ALLOWED + ":444", "http://ops.example.org", "null"):
        refused = _preflight(cors, origin)
        assert refused.status_code == 400
        assert "access-control-allow-origin" not in refused.headers
        response = cors.get("/health", headers={"Origin": origin})
        assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize("origin", ["*", "https://ops.example.org/", "ops.example.org", "null"])
def test_only_exact_origins_are_allowed(origin: str) -> None:
    from pydantic import ValidationError

    from wayhome.api import WayhomeSettings

    with pytest.raises(ValidationError, match=r"cors_origins: .* is not an origin"):
        WayhomeSettings(cors_origins=[origin])


# --- Role escalation and mass assignment -------------------------------------------------


@pytest.mark.parametrize("role", ["searcher", "team_leader"])
def test_a_field_role_cannot_grant_roles_nor_raise_itself(
    client: TestClient, incident: int, role: str
) -> None:
    _, (ada, _) = field_team(client, incident, ["Ada", "Ben"])
    headers = login_as(client, incident, role, member_id=ada, login="ada")
    post(client, "/users", {"login": "ben", "name": "Ben", "password": PASSWORD})
    roles = f"/incidents/{incident}/roles"
    for body in (
        {"login": "ada", "role": "incident_commander"},
        {"login": "ada", "role": role, "member_id": ada + 1},  # report for someone else
        {"login": "ben", "role": "operations"},
    ):
        response = client.post(roles, json=body, headers=headers)
        assert problem(response, 403)["detail"].startswith(f"role {role!r} may not manage")
    mine = next(r for r in client.get(roles).json() if r["member_id"] == ada)
    problem(client.delete(f"{roles}/{mine['id']}", headers=headers), 403)
    me = client.get("/auth/me", headers=headers).json()
    assert [(r["role"], r["member_id"]) for r in me["roles"]] == [(role, ada)]
    assert me["user"]["is_admin"] is False


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/auth/token", {**LOGIN, "is_admin": True}),
        ("/auth/token", {**LOGIN, "role": "incident_commander"}),
        ("/auth/refresh", {"refresh_token": "x", "user_id": 1}),
        ("/auth/logout", {"refresh_token": "x", "all": True}),
        ("/users", {"login": "sly", "name": "Sly", "password": PASSWORD, "id": 1}),
    ],
)
def test_auth_bodies_refuse_undeclared_fields(
    client: TestClient, ann: str, path: str, body: dict[str, Any]
) -> None:
    detail = problem(client.post(path, json=body), 422)["detail"]
    assert "Extra inputs are not permitted" in detail
    problem(client.post("/auth/token", json={"login": "sly", "password": PASSWORD}), 401)


def test_a_role_grant_cannot_name_another_incident(client: TestClient, incident: int) -> None:
    other = post(client, "/incidents", {"name": "Overdue hiker"})["id"]
    post(client, "/users", {"login": "ben", "name": "Ben", "password": PASSWORD})
    body = {"login": "ben", "role": "viewer", "incident_id": other}
    problem(client.post(f"/incidents/{incident}/roles", json=body), 422)
    ben = _login(client, {"login": "ben", "password": PASSWORD})
    assert _me(client, ben["access_token"]).json()["roles"] == []
