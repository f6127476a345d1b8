"""The authorization matrix: every operation of the OpenAPI spec × role × own/other incident.

The operations are read from ``app.openapi()``, so a new route cannot escape: each one must
have a rule in :data:`POLICY` (the permission it needs, or ``public``/``user``/``admin``),
and the test fails naming any operation without one. For each operation, each of the six
incident roles (a user whose only role is in incident A) calls it three ways:

* **own**: A's path with A's records. Roles holding the permission must not be refused
  (401/403; a 404, 409 or 422 is the state of the scene, e.g. a subject already handed
  over by the role before), and at least one of them must succeed (2xx), so the example
  request is known to be valid; every other role gets a 403 problem and nothing is
  written.
* **other incident**: B's path with B's records; always 403 or 404, nothing written.
* **other records**: A's path with B's record ids (in the path, the body or the query);
  always 403 or 404, nothing written.

"Nothing written" is checked by counting the rows of every table (the activity log
included) before and after. Requests are built from :data:`EXAMPLES` (bodies with
``"{name}"`` standing for a record of the scene), falling back to the OpenAPI schema's
required fields for an operation without an example. One app per backend serves the
whole module.

Also here: request bodies refuse fields they do not declare (mass assignment), and no
role can raise its own or anyone's role beyond what it holds (role escalation).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from apitools import PASSWORD, PROBLEM, check_in, member, post, problem
from wayhome.access.roles import ROLES, Permission, permissions_of
from wayhome.api import schemas
from wayhome.store.models import Base

T = "2026-06-01T14:00:00Z"
NOW = datetime(2026, 6, 1, 14, 0, tzinfo=UTC)
P = Permission
METHODS = ("get", "put", "post", "delete", "patch")

# --- The policy: what each operation needs --------------------------------------------


@dataclass(frozen=True)
class Rule:
    """What an operation needs: a permission in the path's incident, or no incident at all.

    ``public``: anyone, even without a token; ``user``: any logged-in user; ``admin``: an
    agency administrator (no incident role is one); ``refresh``: anyone holding a live
    refresh token, sent in the body (401 without one, whoever asks). ``refuses`` names
    roles holding the permission that a narrower rule of the route still refuses (say why
    beside it).
    """

    needs: Permission | Literal["public", "user", "admin", "refresh"]
    refuses: frozenset[str] = frozenset()

    def allows(self, role: str) -> bool:
        """Whether ``role`` (in the path's incident) may call the operation."""
        if self.needs == "admin":
            return False
        if self.needs in ("public", "user", "refresh"):
            return True
        return self.needs in permissions_of(role) and role not in self.refuses


#: Every operation of the API, in the order the matrix calls them (writes that change
#: what later ones see come last: Bob's injury, revoking a role, closing).
POLICY: dict[tuple[str, str], Rule] = {
    ("GET", "/health"): Rule("public"),
    ("POST", "/auth/token"): Rule("public"),
    ("POST", "/auth/refresh"): Rule("refresh"),
    ("POST", "/auth/logout"): Rule("public"),
    ("GET", "/auth/me"): Rule("user"),
    ("GET", "/incidents"): Rule("user"),
    ("POST", "/incidents"): Rule("admin"),
    ("POST", "/users"): Rule("admin"),
    # Agencies, jurisdictions and credentials belong to the install, not an incident.
    ("GET", "/agencies"): Rule("user"),
    ("POST", "/agencies"): Rule("admin"),
    ("GET", "/jurisdictions"): Rule("user"),
    ("POST", "/jurisdictions"): Rule("admin"),
    ("POST", "/credentials/verify"): Rule("user"),
    ("GET", "/trust-list"): Rule("user"),
    ("PUT", "/trust-list"): Rule("admin"),
    ("GET", "/revocations"): Rule("user"),
    ("PUT", "/revocations"): Rule("admin"),
    # Reading the incident picture.
    ("GET", "/incidents/{incident_id}"): Rule(P.READ),
    ("GET", "/incidents/{incident_id}/roles"): Rule(P.READ),
    ("GET", "/incidents/{incident_id}/members"): Rule(P.READ),
    ("GET", "/incidents/{incident_id}/teams"): Rule(P.READ),
    ("GET", "/incidents/{incident_id}/teams/{team_id}"): Rule(P.READ),
    ("GET", "/incidents/{incident_id}/places"): Rule(P.READ),
    ("GET", "/incidents/{incident_id}/places/{place_id}"): Rule(P.READ),
    ("GET", "/incidents/{incident_id}/periods"): Rule(P.READ),
    ("GET", "/incidents/{incident_id}/periods/{period_id}"): Rule(P.READ),
    ("GET", "/incidents/{incident_id}/assignments"): Rule(P.READ),
    ("GET", "/incidents/{incident_id}/assignments/{assignment_id}"): Rule(P.READ),
    ("GET", "/incidents/{incident_id}/positions/latest"): Rule(P.READ),
    ("GET", "/incidents/{incident_id}/positions/track"): Rule(P.READ),
    ("GET", "/incidents/{incident_id}/hazards"): Rule(P.READ),
    ("GET", "/incidents/{incident_id}/hazards/{zone_id}"): Rule(P.READ),
    ("GET", "/incidents/{incident_id}/injuries"): Rule(P.READ),
    ("GET", "/incidents/{incident_id}/roll-calls"): Rule(P.READ),
    ("GET", "/incidents/{incident_id}/roll-calls/{roll_call_id}"): Rule(P.READ),
    ("GET", "/incidents/{incident_id}/overdue"): Rule(P.READ),
    ("GET", "/incidents/{incident_id}/signals"): Rule(P.READ),
    ("GET", "/incidents/{incident_id}/signals/{signal_id}"): Rule(P.READ),
    ("GET", "/incidents/{incident_id}/subjects"): Rule(P.READ),
    ("GET", "/incidents/{incident_id}/subjects/{subject_id}"): Rule(P.READ),
    ("GET", "/incidents/{incident_id}/activity"): Rule(P.READ),
    ("GET", "/incidents/{incident_id}/activity/verify"): Rule(P.READ),
    ("GET", "/incidents/{incident_id}/activity/export"): Rule(P.READ),
    ("GET", "/incidents/{incident_id}/jurisdictions"): Rule(P.READ),
    ("GET", "/incidents/{incident_id}/grants"): Rule(P.READ),
    ("GET", "/incidents/{incident_id}/clues"): Rule(P.READ),
    ("GET", "/incidents/{incident_id}/plan"): Rule(P.READ),
    ("GET", "/incidents/{incident_id}/map"): Rule(P.READ),
    ("GET", "/incidents/{incident_id}/map/tiles/hillshade/{z}/{x}/{y}.png"): Rule(P.READ),
    ("GET", "/incidents/{incident_id}/map/tiles/poa/{z}/{x}/{y}.png"): Rule(P.READ),
    ("GET", "/incidents/{incident_id}/map/contours.geojson"): Rule(P.READ),
    ("GET", "/incidents/{incident_id}/map/layers.geojson"): Rule(P.READ),
    ("GET", "/incidents/{incident_id}/map/regions.geojson"): Rule(P.READ),
    ("GET", "/incidents/{incident_id}/map/segments.geojson"): Rule(P.READ),
    ("GET", "/incidents/{incident_id}/export.{fmt}"): Rule(P.READ),
    ("GET", "/incidents/{incident_id}/assignments/{assignment_id}.gpx"): Rule(P.READ),
    ("GET", "/incidents/{incident_id}/forms/{form}.pdf"): Rule(P.READ),
    ("GET", "/incidents/{incident_id}/iap.pdf"): Rule(P.READ),
    # The roster.
    ("POST", "/incidents/{incident_id}/members"): Rule(P.ROSTER),
    ("PATCH", "/incidents/{incident_id}/members/{member_id}"): Rule(P.ROSTER),
    ("PUT", "/incidents/{incident_id}/members/{member_id}/status"): Rule(P.ROSTER),
    ("POST", "/incidents/{incident_id}/teams"): Rule(P.ROSTER),
    ("PUT", "/incidents/{incident_id}/teams/{team_id}/march"): Rule(P.ROSTER),
    # Planning.
    ("POST", "/incidents/{incident_id}/places"): Rule(P.PLAN),
    ("PUT", "/incidents/{incident_id}/plan"): Rule(P.PLAN),
    ("POST", "/incidents/{incident_id}/clues/{clue_id}/apply"): Rule(P.PLAN),
    ("POST", "/incidents/{incident_id}/import"): Rule(P.PLAN),
    ("POST", "/incidents/{incident_id}/periods"): Rule(P.PLAN),
    ("POST", "/incidents/{incident_id}/assignments"): Rule(P.PLAN),
    ("POST", "/incidents/{incident_id}/hazards"): Rule(P.PLAN),
    ("POST", "/incidents/{incident_id}/subjects"): Rule(P.PLAN),
    # Running the field.
    ("POST", "/incidents/{incident_id}/roll-calls"): Rule(P.OPERATE),
    ("POST", "/incidents/{incident_id}/roll-calls/escalations"): Rule(P.OPERATE),
    ("POST", "/incidents/{incident_id}/overdue-checks"): Rule(P.OPERATE),
    ("POST", "/incidents/{incident_id}/rotation"): Rule(P.OPERATE),
    ("POST", "/incidents/{incident_id}/grant-checks"): Rule(P.OPERATE),
    # Only the team's own leader (not its members) moves its assignment on.
    ("PUT", "/incidents/{incident_id}/assignments/{assignment_id}/status"): Rule(
        P.REPORT, refuses=frozenset({"searcher"})
    ),
    # Reports from the field: the examples report for Bob, whom the searcher is and
    # whose team the team leader leads, so every role holding REPORT may.
    ("POST", "/incidents/{incident_id}/signals"): Rule(P.REPORT),
    ("POST", "/incidents/{incident_id}/positions"): Rule(P.REPORT),
    ("POST", "/incidents/{incident_id}/positions/batch"): Rule(P.REPORT),
    ("POST", "/incidents/{incident_id}/roll-calls/{roll_call_id}/answers"): Rule(P.REPORT),
    ("POST", "/incidents/{incident_id}/signals/{signal_id}/acks"): Rule(P.REPORT),
    ("POST", "/incidents/{incident_id}/subjects/{subject_id}/found"): Rule(P.REPORT),
    ("POST", "/incidents/{incident_id}/injuries"): Rule(P.REPORT),
    ("POST", "/incidents/{incident_id}/clues"): Rule(P.REPORT),
    # Reunification.
    ("POST", "/incidents/{incident_id}/subjects/{subject_id}/handover"): Rule(P.REUNIFY),
    ("POST", "/incidents/{incident_id}/subjects/{subject_id}/transfer"): Rule(P.REUNIFY),
    # Command.
    ("POST", "/incidents/{incident_id}/roles"): Rule(P.MANAGE),
    ("POST", "/incidents/{incident_id}/grants"): Rule(P.MANAGE),
    ("POST", "/incidents/{incident_id}/grants/{grant_id}/revoke"): Rule(P.MANAGE),
    ("DELETE", "/incidents/{incident_id}/roles/{role_id}"): Rule(P.MANAGE),
    ("POST", "/incidents/{incident_id}/close"): Rule(P.MANAGE),
}

# --- Example requests -------------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    """A request for an operation; ``"{name}"`` stands for the scene's record ``name``.

    ``path`` maps path parameters to records where :data:`PATH_RECORDS` does not say;
    ``no_2xx`` says why no role can succeed here (the scene's state), if so.
    """

    body: Any = None
    path: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, Any] = field(default_factory=dict)
    no_2xx: str = ""


#: The scene's clue in each incident (its id is the reporting device's).
CLUE_ID = "00000000-0000-4000-b000-{i:012d}"

#: The record a path parameter names unless the example says otherwise.
PATH_RECORDS = {
    "member_id": "bob",
    "team_id": "team1",
    "place_id": "place",
    "period_id": "period",
    "assignment_id": "assignment",
    "zone_id": "zone",
    "roll_call_id": "roll_call",
    "signal_id": "signal",
    "subject_id": "subject",
    "role_id": "spare_role",
    "grant_id": "grant",
    # "=" marks a path value that is not a record id (formatted with the records): the
    # scene's clue (its id is the device's), the tile in the middle of the plan, a format.
    "clue_id": "=" + CLUE_ID,
    "fmt": "=geojson",
    "form": "=211",
    "z": "={tile_z}",
    "x": "={tile_x}",
    "y": "={tile_y}",
}

#: Body fields naming a record, for bodies built from the schema (no example).
BODY_RECORDS = {**PATH_RECORDS, "by_member_id": "bob", "leader_id": "ann", "lead_id": "ann"}

CODE = "lily-rose-1234"
SUBJECT = {
    "name": "Lily",
    "category": "child",
    "age": 5,
    "last_seen_lat": 36.5,
    "last_seen_lon": -84.6,
    "last_seen_at": "2026-06-01T11:00:00Z",
    "guardian_name": "Rose Moore",
    "guardian_relation": "mother",
    "guardian_id_document": "driver's licence TN ...0421",
    "handover_code": CODE,
}
ZONE = {
    "name": "Cliff",
    "kind": "cliff",
    "geometry": {
        "type": "Polygon",
        "coordinates": [[[-84.7, 36.4], [-84.5, 36.4], [-84.5, 36.6], [-84.7, 36.4]]],
    },
}
#: Land of an agency, away from the scene (positions there raise no jurisdiction alerts).
LAND = {
    "type": "Polygon",
    "coordinates": [[[-85.5, 35.5], [-85.4, 35.5], [-85.4, 35.6], [-85.5, 35.5]]],
}
GRANT = {
    "jurisdiction_id": "{jurisdiction}",
    "team_id": "{team1}",
    "activities": ["foot"],
    "until_incident_closes": True,
    "granted_by": "J. Harlan",
}
PLACE = {"kind": "staging", "name": "Trailhead", "lat": 36.5, "lon": -84.6}
FOUND = {"lat": 36.51, "lon": -84.61, "condition": "cold, alert"}
CLUE = {
    "id": "00000000-0000-4000-a000-{bob:012d}",
    "kind": "item",
    "lat": 36.5,
    "lon": -84.6,
    "time": "2026-06-01T13:00:00Z",
    "note": "a red mitten",
    "member_id": "{bob}",
}
POSITION = {
    "id": "00000000-0000-4000-8000-{bob:012d}",  # A's Bob and B's Bob: two positions
    "member_id": "{bob}",
    "lat": 36.5,
    "lon": -84.6,
    "time": T,
}

EXAMPLES: dict[tuple[str, str], Example] = {
    ("POST", "/auth/token"): Example({"login": "viewer-a", "password": PASSWORD}),
    ("POST", "/auth/refresh"): Example(
        {"refresh_token": "not-a-token"},
        no_2xx="needs a live refresh token; tests/test_api_security.py trades them",
    ),
    ("POST", "/auth/logout"): Example({"refresh_token": "not-a-token"}),
    ("POST", "/incidents"): Example({"name": "Another"}),
    ("POST", "/users"): Example({"login": "new.user", "name": "New User"}),
    ("POST", "/jurisdictions"): Example(
        {"agency_id": "{agency}", "name": "Club land", "geometry": LAND}
    ),
    ("PUT", "/trust-list"): Example(
        no_2xx="needs a list signed by the pinned federation key; its own tests load one"
    ),
    ("PUT", "/revocations"): Example(
        no_2xx="needs a list signed by a trusted issuer key; its own tests load one"
    ),
    ("POST", "/incidents/{incident_id}/grants"): Example(GRANT),
    ("GET", "/incidents/{incident_id}/positions/track"): Example(query={"member_id": "{ann}"}),
    ("GET", "/incidents/{incident_id}/assignments"): Example(
        query={"team_id": "{team1}", "period_id": "{period}"}
    ),
    ("PUT", "/incidents/{incident_id}/plan"): Example({"path": "plan-{i}"}),
    ("POST", "/incidents/{incident_id}/clues"): Example(CLUE),
    ("POST", "/incidents/{incident_id}/import"): Example(
        no_2xx="uploads a map file, not JSON; tests/test_api_exchange.py imports them"
    ),
    ("POST", "/incidents/{incident_id}/members"): Example({"name": "Gil"}),
    ("PATCH", "/incidents/{incident_id}/members/{member_id}"): Example(
        {"contact": "radio SAR-9"}, path={"member_id": "dee"}
    ),
    ("PUT", "/incidents/{incident_id}/members/{member_id}/status"): Example(
        {"status": "assigned"}, path={"member_id": "eve"}
    ),
    ("POST", "/incidents/{incident_id}/teams"): Example(
        {"name": "T3", "pairs": [{"member_ids": ["{eve}", "{fay}"]}]}
    ),
    ("PUT", "/incidents/{incident_id}/teams/{team_id}/march"): Example(
        {"lead_id": "{ann}", "rear_id": "{bob}"}
    ),
    ("POST", "/incidents/{incident_id}/places"): Example(PLACE),
    ("POST", "/incidents/{incident_id}/periods"): Example(
        {"starts_at": "2026-06-02T06:00:00Z", "ends_at": "2026-06-02T18:00:00Z"}
    ),
    ("POST", "/incidents/{incident_id}/assignments"): Example(
        {"team_id": "{team2}", "segment": "B1", "period_id": "{period}"}
    ),
    ("POST", "/incidents/{incident_id}/hazards"): Example(ZONE),
    ("POST", "/incidents/{incident_id}/subjects"): Example({**SUBJECT, "name": "Max"}),
    ("POST", "/incidents/{incident_id}/roll-calls"): Example({"team_id": "{team2}"}),
    ("POST", "/incidents/{incident_id}/rotation"): Example(
        {"starts_at": "2026-06-01T20:00:00Z", "horizon_h": 4, "slot_h": 1, "watch_size": 2}
    ),
    ("PUT", "/incidents/{incident_id}/assignments/{assignment_id}/status"): Example(
        {"status": "in_progress"}
    ),
    ("POST", "/incidents/{incident_id}/signals"): Example(
        {"code": "need_help", "member_id": "{cal}"}
    ),
    ("POST", "/incidents/{incident_id}/positions"): Example(POSITION),
    ("POST", "/incidents/{incident_id}/positions/batch"): Example(
        {"positions": [{**POSITION, "id": "00000000-0000-4000-9000-{bob:012d}"}]}
    ),
    ("POST", "/incidents/{incident_id}/roll-calls/{roll_call_id}/answers"): Example(
        {"member_id": "{bob}"}
    ),
    ("POST", "/incidents/{incident_id}/signals/{signal_id}/acks"): Example({"member_id": "{bob}"}),
    ("POST", "/incidents/{incident_id}/subjects/{subject_id}/found"): Example(
        {"member_id": "{bob}", **FOUND}
    ),
    ("POST", "/incidents/{incident_id}/injuries"): Example(
        {"member_id": "{bob}", "severity": "minor", "treatment": "blister"}
    ),
    ("POST", "/incidents/{incident_id}/subjects/{subject_id}/handover"): Example(
        {"guardian_name": "Rose Moore", "guardian_relation": "mother", "code": CODE},
        path={"subject_id": "found1"},
    ),
    ("POST", "/incidents/{incident_id}/subjects/{subject_id}/transfer"): Example(
        {"to": "County EMS", "reason": "cold"}, path={"subject_id": "found2"}
    ),
    ("POST", "/incidents/{incident_id}/roles"): Example(
        {"login": "spare-{i}", "role": "searcher", "member_id": "{fay}"}
    ),
    ("POST", "/incidents/{incident_id}/close"): Example(
        no_2xx="people are still checked in (409); closing has tests of its own"
    ),
}


# --- The world: two incidents, a user per role in A -------------------------------------


@dataclass
class World:
    """The app, incidents A and B with their records by name, and A's role users."""

    client: TestClient
    a: dict[str, int]
    b: dict[str, int]
    users: dict[str, dict[str, str]]
    spec: dict[str, Any]

    def operations(self) -> list[tuple[str, str]]:
        """Every (method, path) of the OpenAPI spec."""
        paths: dict[str, dict[str, Any]] = self.spec["paths"]
        return [(m.upper(), p) for p, item in paths.items() for m in item if m in METHODS]

    def rows(self) -> dict[str, int]:
        """Rows per table of the database: what a refused request must not change."""
        tables = Base.metadata.sorted_tables
        counts = [select(func.count()).select_from(t).scalar_subquery() for t in tables]
        with self.client.app.state.sessions() as session:  # type: ignore[attr-defined]
            row = session.execute(select(*counts)).one()
        return {t.name: n for t, n in zip(tables, row, strict=True)}


def _scene(client: TestClient, incident: int) -> dict[str, int]:
    """Records of ``incident``: the roster, two teams, one of everything, three subjects,
    its plan (``plan-<id>`` under the server's plans root) and a tile inside it."""
    import morecantile

    base = f"/incidents/{incident}"
    ids = {"i": incident}
    client.put(f"{base}/plan", json={"path": f"plan-{incident}"}).raise_for_status()
    view = client.get(f"{base}/map").json()
    lon, lat = view["center"]
    tile = morecantile.tms.get("WebMercatorQuad").tile(lon, lat, view["min_zoom"])
    ids.update(tile_z=tile.z, tile_x=tile.x, tile_y=tile.y)
    for name in ("ann", "bob", "cal", "dee", "eve", "fay"):
        ids[name] = member(client, incident, name.title())
        check_in(client, incident, ids[name])
    for team, (lead, mate) in (("team1", ("ann", "bob")), ("team2", ("cal", "dee"))):
        body = {"name": team, "pairs": [{"member_ids": [ids[lead], ids[mate]]}]}
        ids[team] = post(client, f"{base}/teams", {**body, "leader_id": ids[lead]})["id"]
    ids["roll_call"] = post(client, f"{base}/roll-calls", {})["id"]
    ids["signal"] = post(client, f"{base}/signals", {"code": "hazard"})["id"]
    ids["place"] = post(client, f"{base}/places", PLACE)["id"]
    period = {"starts_at": "2026-06-01T12:00:00Z", "ends_at": "2026-06-01T20:00:00Z"}
    ids["period"] = post(client, f"{base}/periods", period)["id"]
    task = {"team_id": ids["team1"], "segment": "S1", "period_id": ids["period"]}
    ids["assignment"] = post(client, f"{base}/assignments", task)["id"]
    ids["zone"] = post(client, f"{base}/hazards", ZONE)["id"]
    inside = {"id": CLUE_ID, "lat": lat, "lon": lon}  # applied to the plan by a planner
    post(client, f"{base}/clues", _fill({**CLUE, **inside}, ids))
    for name in ("subject", "found1", "found2"):
        ids[name] = post(client, f"{base}/subjects", {**SUBJECT, "name": name})["id"]
    for name in ("found1", "found2"):
        found = {"member_id": ids["cal"], **FOUND}
        post(client, f"{base}/subjects/{ids[name]}/found", found, status=200)
    agency = {"name": f"Harlan Ridge Hunting Club {incident}"}
    ids["agency"] = post(client, "/agencies", agency)["id"]
    land = {"agency_id": ids["agency"], "name": "Club land", "geometry": LAND}
    ids["jurisdiction"] = post(client, "/jurisdictions", land)["id"]
    ids["grant"] = post(client, f"{base}/grants", _fill(GRANT, ids))["id"]
    post(client, "/users", {"login": f"spare-{incident}", "name": "Spare"})
    role = {"login": f"spare-{incident}", "role": "viewer"}
    ids["spare_role"] = post(client, f"{base}/roles", role)["id"]
    return ids


def _login(client: TestClient, login: str) -> dict[str, str]:
    token = post(client, "/auth/token", {"login": login, "password": PASSWORD}, status=200)
    return {"Authorization": f"Bearer {token['access_token']}"}


def _user(client: TestClient, incident: int, login: str, role: str, member_id: int | None) -> Any:
    """A user with ``role`` in ``incident`` (made by the administrator); their headers."""
    post(client, "/users", {"login": login, "name": login.title(), "password": PASSWORD})
    body = {"login": login, "role": role, "member_id": member_id}
    post(client, f"/incidents/{incident}/roles", body)
    return _login(client, login)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]
)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """One app per backend for the module: incidents A and B, a user per role in A only."""
    from maptools import make_plan
    from wayhome.api import WayhomeSettings, create_app
    from wayhome.api.deps import get_now
    from wayhome.store import create_user, issue_token
    from wayhome.store.models import utc_now

    plans = tmp_path_factory.mktemp("plans")
    with _database(request, tmp_path_factory) as url:
        settings = WayhomeSettings(
            database_url=url,
            max_body_bytes=64 * 1024,
            roll_call_watch_seconds=0,
            plans_root=plans,
        )
        app = create_app(settings)
        app.dependency_overrides[get_now] = lambda: NOW
        with TestClient(app) as client:
            with app.state.sessions() as s:
                admin = create_user(s, login="admin", name="Agency Admin", is_admin=True)
                token = issue_token(s, user_id=admin.id, now=utc_now())
            client.headers["Authorization"] = f"Bearer {token}"
            a = post(client, "/incidents", {"name": "Missing child"})["id"]
            b = post(client, "/incidents", {"name": "Somebody else's search"})["id"]
            for incident in (a, b):
                make_plan(plans / f"plan-{incident}", n=40)
            scene_a, scene_b = _scene(client, a), _scene(client, b)
            members = {"team_leader": scene_a["ann"], "searcher": scene_a["bob"]}
            users = {r: _user(client, a, f"{r}-a", r, members.get(r)) for r in ROLES}
            yield World(client, scene_a, scene_b, users, app.openapi())


@contextmanager
def _database(request: pytest.FixtureRequest, factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh database for the module: a SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{factory.mktemp('authz') / 'wayhome.db'}"
        return
    base: str = request.getfixturevalue("postgres_database")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
        with engine.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        engine.dispose()


# --- Building requests ------------------------------------------------------------------


def _fill(value: Any, ids: Mapping[str, int]) -> Any:
    """``value`` with ``"{name}"`` replaced by the record's id (and names in strings)."""
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, str) and re.fullmatch(r"\{\w+\}", value):
        return ids[value[1:-1]]
    if isinstance(value, str) and "{" in value:
        return value.format(**ids)
    return value


def _records(value: Any) -> set[str]:
    """The record names a body or query refers to (``"{bob}"``, not ``"spare-{i}"``)."""
    if isinstance(value, dict):
        return set().union(*(_records(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_records(v) for v in value))
    if isinstance(value, str) and re.fullmatch(r"\{\w+\}", value):
        return {value[1:-1]} - {"i"}
    return set()


def _resolve(spec: Mapping[str, Any], schema: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema


def _from_schema(spec: Mapping[str, Any], schema: Mapping[str, Any], name: str = "") -> Any:
    """A minimal value for ``schema``: its required fields only, examples where given."""
    schema = _resolve(spec, schema)
    if name in BODY_RECORDS:
        return f"{{{BODY_RECORDS[name]}}}"
    if "examples" in schema:
        return schema["examples"][0]
    for choice in ("anyOf", "oneOf"):
        if choice in schema:
            options = [o for o in schema[choice] if o.get("type") != "null"]
            return _from_schema(spec, options[0], name)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type", "object")
    if kind == "object":
        properties = schema.get("properties", {})
        return {k: _from_schema(spec, properties[k], k) for k in schema.get("required", [])}
    if kind == "array":
        return [_from_schema(spec, schema["items"]) for _ in range(schema.get("minItems", 0))]
    if kind == "string":
        formats = {"date-time": T, "uuid": str(uuid.uuid4())}
        return formats.get(schema.get("format", ""), "x" * schema.get("minLength", 1))
    if kind in ("integer", "number"):
        return schema.get("minimum", schema.get("exclusiveMinimum", 0) + 1)
    return False  # boolean


@dataclass(frozen=True)
class Request:
    """An operation's request, ``"{name}"`` standing for records (filled when sent)."""

    method: str
    path: str
    params: Mapping[str, str]
    body: Any
    query: Mapping[str, Any]

    @property
    def records(self) -> set[str]:
        """The records named besides the incident: what "other records" swaps for B's."""
        # A value made from the incident's own id ("{i}") is a record of that incident.
        named = {v for v in self.params.values() if not v.startswith("=") or "{i" in v}
        return named | _records(self.body) | _records(self.query)

    def url(self, incident: Mapping[str, int], records: Mapping[str, int]) -> str:
        """The path for ``incident``'s id with ``records``' ids (and the query)."""

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            if name == "incident_id":
                return str(incident["i"])
            value = self.params[name]
            return value[1:].format(**records) if value.startswith("=") else str(records[value])

        path = re.sub(r"\{(\w+)\}", fill, self.path)
        query = "&".join(f"{k}={v}" for k, v in _fill(dict(self.query), records).items())
        return f"{path}?{query}" if query else path


def _request(spec: Mapping[str, Any], method: str, path: str) -> Request:
    """The example request of an operation, or one built from its schema."""
    example = EXAMPLES.get((method, path), Example())
    operation = spec["paths"][path][method.lower()]
    params: dict[str, str] = {}
    query = dict(example.query)
    for parameter in operation.get("parameters", []):
        name = parameter["name"]
        if parameter["in"] == "path" and name != "incident_id":
            if name not in example.path and name not in PATH_RECORDS:
                pytest.fail(f"{method} {path}: no record for {name}; add it to PATH_RECORDS")
            params[name] = example.path.get(name, PATH_RECORDS.get(name, ""))
        elif parameter["in"] == "query" and parameter.get("required") and name not in query:
            query[name] = _from_schema(spec, parameter["schema"], name)
    body = example.body
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if body is None and content is not None:
        body = _from_schema(spec, content["schema"])
    return Request(method, path, params, body, query)


def _send(
    world: World,
    request: Request,
    incident: Mapping[str, int],
    records: Mapping[str, int],
    headers: dict[str, str] | None,
) -> Any:
    """Send ``request`` on ``incident``'s path with ``records``' ids; the response."""
    url = request.url(incident, records)
    body = _fill(request.body, {**records, "i": incident["i"]})
    return world.client.request(request.method, url, json=body, headers=headers)


# --- The matrix -------------------------------------------------------------------------


def test_every_operation_has_a_rule(world: World) -> None:
    operations = set(world.operations())
    missing = sorted(operations - POLICY.keys())
    assert not missing, "operations without a rule in POLICY (add one):\n" + "\n".join(
        f"  {m} {p}" for m, p in missing
    )
    assert not sorted(POLICY.keys() - operations), "rules for operations that are gone"
    assert not sorted(EXAMPLES.keys() - operations), "examples for operations that are gone"


def _check_refused(response: Any, before: dict[str, int], world: World, statuses: set[int]) -> str:
    """What is wrong with a refusal ("" when nothing): its status, problem, and no writes."""
    if response.status_code not in statuses:
        return f"{response.status_code}, expected {sorted(statuses)}: {response.text[:200]}"
    if response.headers.get("content-type") != PROBLEM:
        return f"{response.status_code} is not a problem: {response.text[:200]}"
    after = world.rows()
    if after != before:
        changed = {t: (before[t], n) for t, n in after.items() if before[t] != n}
        return f"refused ({response.status_code}), but rows changed: {changed}"
    return ""


class _Refusals:
    """Checks refusals, counting rows only when a request may have written since."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.rows: dict[str, int] | None = None
        self.wrong: list[str] = []

    def allowed(self) -> None:
        """A request that may write was sent: count the rows again before the next check."""
        self.rows = None

    def check(
        self,
        what: str,
        request: Request,
        sent: tuple[Mapping[str, int], Mapping[str, int], dict[str, str]],
        statuses: set[int],
    ) -> None:
        """Send ``request`` (``sent``: incident, records, headers); it must be refused."""
        before = self.rows if self.rows is not None else self.world.rows()
        response = _send(self.world, request, *sent)
        if why := _check_refused(response, before, self.world, statuses):
            self.wrong.append(f"{what}: {why}")
            self.rows = None
        else:
            self.rows = before


def test_each_role_may_do_what_the_policy_says_in_its_own_incident_only(world: World) -> None:
    refusals = _Refusals(world)
    wrong = refusals.wrong
    a, b = world.a, world.b
    for method, path in sorted(world.operations(), key=_order):
        if (method, path) not in POLICY:
            continue  # test_every_operation_has_a_rule names it
        rule, request = POLICY[method, path], _request(world.spec, method, path)
        example = EXAMPLES.get((method, path), Example())
        scoped = "{incident_id}" in path
        succeeded: list[str] = []
        scene: list[str] = []  # the allowed roles' answers that were not 2xx
        for role in ROLES:
            headers = world.users[role]
            what = f"{method} {path} as {role}"
            if rule.allows(role):
                refusals.allowed()
                response = _send(world, request, a, a, headers)
                status = response.status_code
                # Not refused. A 404/409/422 is the scene's state, not access: the record
                # was already used by a role before (handed over, answered, taken).
                refused = status == 403 or (status == 401 and rule.needs != "refresh")
                if refused or status >= 500:
                    wrong.append(f"{what}: {status}, {response.text[:200]}")
                elif status < 300:
                    succeeded.append(role)
                else:
                    scene.append(f"{what}: {status}, {response.text[:200]}")
            else:
                refusals.check(what, request, (a, a, headers), {403})
            if not scoped:
                continue
            # Another incident's path: this user has no role there.
            refusals.check(f"{what} in incident B", request, (b, b, headers), {403, 404})
            # This incident's path with the other incident's records.
            if request.records:
                refusals.check(f"{what} with B's records", request, (a, b, headers), {403, 404})
        if rule.needs == "admin":
            refusals.allowed()
            response = _send(world, request, a, a, None)  # the administrator
            if response.status_code < 300:
                succeeded.append("admin")
        if not succeeded and not example.no_2xx:
            why = "; ".join(scene[-2:])
            wrong.append(f"{method} {path}: no role succeeded; fix its example ({why})")
    assert not wrong, "\n".join(wrong)


def test_without_a_token_only_public_operations_answer(world: World) -> None:
    wrong = []
    for method, path in world.operations():
        rule = POLICY.get((method, path))
        if rule is None:
            continue
        request = _request(world.spec, method, path)
        before = world.rows()
        response = _send(world, request, world.a, world.a, {"Authorization": ""})
        if rule.needs == "public":
            if response.status_code >= 300:
                wrong.append(f"{method} {path}: {response.status_code}, {response.text[:200]}")
        elif why := _check_refused(response, before, world, {401}):
            wrong.append(f"{method} {path}: {why}")
    assert not wrong, "\n".join(wrong)


def _order(operation: tuple[str, str]) -> int:
    """Position in POLICY (the matrix's order); operations without a rule last."""
    keys = list(POLICY)
    return keys.index(operation) if operation in POLICY else len(keys)


# --- Mass assignment --------------------------------------------------------------------

#: Fields a caller might slip into a body to raise themself or move a record.
SMUGGLED = {
    "is_admin": True,
    "role": "incident_commander",
    "incident_id": 1,
    "status": "x",
    "id": 7,
}


def test_every_request_schema_refuses_undeclared_fields() -> None:
    names = [n for n in schemas.__all__ if n.endswith(("Create", "Update"))]
    models = [getattr(schemas, n) for n in names]
    assert all(isinstance(m, type) and issubclass(m, BaseModel) for m in models)
    assert len(models) >= 27
    lax = [m.__name__ for m in models if m.model_config.get("extra") != "forbid"]
    assert not lax, f"set extra='forbid' (subclass _RequestBody): {lax}"


def test_undeclared_fields_in_any_body_are_refused_and_nothing_is_written(world: World) -> None:
    wrong = []
    for method, path in world.operations():
        operation = world.spec["paths"][path][method.lower()]
        content = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if content is None or (method, path) not in POLICY:
            continue
        request = _request(world.spec, method, path)
        declared = _resolve(world.spec, content["schema"]).get("properties", {})
        extra = {k: v for k, v in SMUGGLED.items() if k not in declared}
        body = {**_fill(request.body, world.a), **extra}
        before = world.rows()
        url = request.url(world.a, world.a)
        response = world.client.request(method, url, json=body)  # the commander, an admin
        if response.status_code != 422:
            wrong.append(f"{method} {path}: {response.status_code}, {response.text[:200]}")
            continue
        named = {e["loc"][-1] for e in response.json()["errors"] if e["type"] == "extra_forbidden"}
        if named != set(extra) or world.rows() != before:
            wrong.append(f"{method} {path}: refused {named}, not {set(extra)}, or wrote")
    assert not wrong, "\n".join(wrong)


def test_smuggled_fields_are_never_applied(world: World) -> None:
    client, a, b = world.client, world.a["i"], world.b["i"]
    before = world.rows()
    for path, body in (
        (f"/incidents/{a}/members", {"name": "Sly", "incident_id": b, "status": "checked_in"}),
        (f"/incidents/{a}/members", {"name": "Sly", "id": world.b["ann"]}),
        ("/incidents", {"name": "Pre-closed", "status": "closed", "id": a}),
        ("/users", {"login": "sly", "name": "Sly", "role": "incident_commander"}),
        (f"/incidents/{a}/roles", {"login": f"spare-{a}", "role": "viewer", "is_admin": True}),
        (f"/incidents/{a}/roles", {"login": f"spare-{a}", "role": "viewer", "incident_id": b}),
        # Nested bodies too: a pair that names its own leader, a position for incident B.
        (f"/incidents/{a}/teams", {"name": "T9", "pairs": [{"member_ids": [1, 2], "leader": 1}]}),
        (
            f"/incidents/{a}/positions/batch",
            {"positions": [{**_fill(POSITION, world.a), "incident_id": b}]},
        ),
    ):
        detail = problem(client.post(path, json=body), 422)["detail"]
        assert "Extra inputs are not permitted" in detail, detail
    assert world.rows() == before
    for incident in (a, b):
        assert "Sly" not in {m["name"] for m in client.get(f"/incidents/{incident}/members").json()}


# --- Role escalation --------------------------------------------------------------------


def test_only_the_commander_grants_roles_and_never_to_themself(world: World) -> None:
    client, a = world.client, world.a["i"]
    url = f"/incidents/{a}/roles"
    before = world.rows()
    for role in ROLES:
        if role == "incident_commander":
            continue
        headers = world.users[role]
        # Raising oneself, raising someone else (to commander, or anything) are refused.
        for body in (
            {"login": f"{role}-a", "role": "incident_commander"},
            {"login": f"spare-{a}", "role": "incident_commander"},
            {"login": f"spare-{a}", "role": "viewer"},
        ):
            response = client.post(url, json=body, headers=headers)
            assert problem(response, 403)["detail"].startswith(f"role {role!r} may not manage")
        role_id = world.a["spare_role"]
        problem(client.delete(f"{url}/{role_id}", headers=headers), 403)
    assert world.rows() == before
    # The commander may not change or drop their own role (the incident keeps one).
    commander = world.users["incident_commander"]
    own = client.post(
        url, json={"login": "incident_commander-a", "role": "viewer"}, headers=commander
    )
    assert problem(own, 403)["detail"].startswith("login: you may not change your own role")
    mine = next(
        r["id"]
        for r in client.get(url).json()
        if r["user_id"] == client.get("/auth/me", headers=commander).json()["user"]["id"]
    )
    problem(client.delete(f"{url}/{mine}", headers=commander), 403)
    assert world.rows() == before
    roles = {r["user_id"]: r["role"] for r in client.get(url).json()}
    me = client.get("/auth/me", headers=commander).json()["user"]["id"]
    assert roles[me] == "incident_commander"


def test_only_the_commander_hands_over_without_the_code(world: World) -> None:
    client, a = world.client, world.a["i"]
    base = f"/incidents/{a}/subjects"
    subject = post(client, base, {**SUBJECT, "name": "Ivy"})["id"]
    post(client, f"{base}/{subject}/found", {"member_id": world.a["cal"], **FOUND}, status=200)
    override = {
        "guardian_name": "Rose Moore",
        "guardian_relation": "mother",
        "override": "code lost; identity confirmed by the sheriff's deputy",
        "id_document_checked": "passport GB ...7731",
    }
    url = f"{base}/{subject}/handover"
    for role in reversed(ROLES):  # the commander last: their override hands over
        before = world.rows()
        response = client.post(url, json=override, headers=world.users[role])
        if role == "incident_commander":
            assert response.status_code == 200, response.text
            assert response.json()["handover_override"] == override["override"]
        else:
            # Operations may hand over with the code, never on an override.
            may = P.REUNIFY in permissions_of(role)
            expected = "override: as " if may else f"role {role!r} may not reunify"
            assert problem(response, 403)["detail"].startswith(expected)
            assert world.rows() == before


def test_no_incident_role_adds_users_or_makes_an_administrator(world: World) -> None:
    client = world.client
    before = world.rows()
    for role in ROLES:
        headers = world.users[role]
        for body in (
            {"login": f"new-{role}", "name": "New"},
            {"login": f"boss-{role}", "name": "Boss", "is_admin": True},
        ):
            response = client.post("/users", json=body, headers=headers)
            assert problem(response, 403)["detail"] == "only an agency administrator may do this"
        me = client.get("/auth/me", headers=headers).json()
        assert me["user"]["is_admin"] is False
    assert world.rows() == before


def test_a_user_with_no_role_anywhere_reaches_no_incident(world: World) -> None:
    client = world.client
    post(client, "/users", {"login": "drifter", "name": "Drifter", "password": PASSWORD})
    headers = _login(client, "drifter")
    assert client.get("/incidents", headers=headers).json() == []
    for incident in (world.a["i"], world.b["i"]):
        response = client.get(f"/incidents/{incident}/members", headers=headers)
        assert "you have no role in this incident" in problem(response, 403)["detail"]
