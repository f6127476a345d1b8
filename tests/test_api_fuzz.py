"""Fuzzing every operation of the incident server's OpenAPI schema with schemathesis.

Each operation gets schema-valid (positive) and schema-breaking (negative) requests from
schemathesis, sent in-process through the test client as the agency administrator who
commands a populated incident (members checked in, a team, a searcher's role, a position,
a hazard zone, a roll call, a signal, a place, a period, an assignment, a missing subject)
beside a second incident. Ids in the path and body are steered to real records of that
incident most of the time, to the other incident's records sometimes, and left as generated
otherwise, so the fuzz reaches the store and not only the validation. The server must never
answer 5xx (nor raise), and every 4xx must be an RFC 9457 problem
(``application/problem+json`` with ``type``, ``title``, ``status`` and ``detail``).

Bounded and reproducible: ``derandomize`` makes every run send the same requests; every
operation that writes gets incidents of its own, so one operation's writes (a revoked role,
a closed incident) do not change what the next one sees. The operations are read from the
running app's schema, so routes added later are fuzzed without changing this file.
"""

from __future__ import annotations

import json
import re
import traceback
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from apitools import PROBLEM, check_in, member, post

#: Positive and negative examples per operation, per backend (PostgreSQL is slower).
EXAMPLES = {"sqlite": (15, 8), "postgresql": (12, 5)}

#: Body strings the server looks up, steered to known words half of the time (and logins).
WORDS = {"code": ["two", "found", "need_help"], "category": ["child", "hiker"]}

#: Times at the ends of what a zone allows: valid ISO 8601 with no UTC equivalent.
EDGE_TIMES = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00Z"]

#: The HTTP methods of operations (the schema's path items also hold parameters etc.).
METHODS = ("get", "put", "post", "delete", "patch")

#: Body keys naming a member, team etc.: steered like the path parameter of that name.
ALIASES = {
    "by_member_id": "member_id",
    "leader_id": "member_id",
    "protector_id": "member_id",
    "lead_id": "member_id",
    "rear_id": "member_id",
    "rendezvous_id": "place_id",
}

#: A generated request, and an operation of the schema.
Case = schemathesis.Case[Any]
Operation = schemathesis.APIOperation[Any, Any, Any, Any]


@dataclass
class World:
    """Real record ids by path parameter name: the fuzzed incident's and another's."""

    ids: dict[str, list[Any]] = field(default_factory=dict)
    other: dict[str, list[Any]] = field(default_factory=dict)
    logins: list[str] = field(default_factory=list)


#: Path values that are words, not ids: steered to ones the server knows most of the time.
PATH_WORDS = {"fmt": ["geojson", "kml", "kmz", "gpx"], "form": ["201", "204", "211", "214"]}


def _populate(client: TestClient, plan: Path) -> World:
    """Two incidents; the first with a roster, a team, a searcher, and one of everything;
    both searched by ``plan`` (linked through the store: the route's path is fuzzed too)."""
    import morecantile

    from wayhome.store import link_plan

    world = World()
    for ids, name in ((world.ids, "Missing child"), (world.other, "Overdue hiker")):
        incident = post(client, "/incidents", {"name": name})["id"]
        base = f"/incidents/{incident}"
        with client.app.state.sessions() as session:  # type: ignore[attr-defined]
            link_plan(session, incident_id=incident, path=plan, actor="fuzz")
        view = client.get(f"{base}/map").json()
        lon, lat = view["center"]
        tile = morecantile.tms.get("WebMercatorQuad").tile(lon, lat, view["min_zoom"])
        clue = {"id": str(uuid.uuid4()), "kind": "item", "lat": lat, "lon": lon}
        clue = post(client, f"{base}/clues", {**clue, "time": "2026-06-01T13:00:00Z"})
        members = [member(client, incident, n) for n in ("Ann", "Bob", "Cal", "Dee")]
        kid = member(client, incident, "Kid", protect=True)
        for m in members:
            check_in(client, incident, m)
        pairs = [{"member_ids": members[:2]}, {"member_ids": members[2:]}]
        body = {"name": "Team 1", "pairs": pairs, "leader_id": members[0]}
        team = post(client, f"{base}/teams", body)
        login = f"searcher-{incident}"
        post(client, "/users", {"login": login, "name": "Bob"})  # token-only: no hashing
        role = post(
            client, f"{base}/roles", {"login": login, "role": "searcher", "member_id": members[1]}
        )
        world.logins.append(login)
        position = {
            "id": str(uuid.UUID(int=incident)),
            "member_id": members[0],
            "lat": 36.5,
            "lon": -84.6,
            "time": "2026-06-01T14:00:00Z",
        }
        post(client, f"{base}/positions", position)
        ring = [[-84.7, 36.4], [-84.5, 36.4], [-84.5, 36.6], [-84.7, 36.4]]
        polygon = {"type": "Polygon", "coordinates": [ring]}
        zone = {"name": "Cliff", "kind": "cliff", "geometry": polygon}
        place = {"kind": "rendezvous", "name": "Creek fork", "lat": 36.52, "lon": -84.61}
        place = post(client, f"{base}/places", place)
        period = {"starts_at": "2026-06-01T12:00:00Z", "ends_at": "2026-06-01T20:00:00Z"}
        period = post(client, f"{base}/periods", period)
        task = {"team_id": team["id"], "segment": "A3", "period_id": period["id"]}
        task = post(client, f"{base}/assignments", {**task, "rendezvous_id": place["id"]})
        subject = {
            "name": "Lily",
            "category": "child",
            "age": 5,
            "last_seen_lat": 36.5,
            "last_seen_lon": -84.6,
            "last_seen_at": "2026-06-01T11:00:00Z",
            "guardian_name": "Rose",
            "guardian_relation": "mother",
            "guardian_id_document": "passport ...7731",
        }
        subject = post(client, f"{base}/subjects", subject)
        roll_call = post(client, f"{base}/roll-calls", {"team_id": team["id"]})
        signal = post(client, f"{base}/signals", {"code": "two", "team_id": team["id"]})
        ids.update(
            incident_id=[incident],
            member_id=[*members, kid],
            team_id=[team["id"]],
            role_id=[role["id"]],
            place_id=[place["id"]],
            period_id=[period["id"]],
            assignment_id=[task["id"]],
            subject_id=[subject["id"]],
            roll_call_id=[roll_call["id"]],
            signal_id=[signal["id"]],
            zone_id=[post(client, f"{base}/hazards", zone)["id"]],
            clue_id=[clue["id"]],
            z=[tile.z],
            x=[tile.x],
            y=[tile.y],
        )
    return world


def _steer(value: Any, name: str, world: World, data: st.DataObject) -> Any:
    """``value`` (an id called ``name``), or a real id in its place most of the time."""
    key = ALIASES.get(name, name)
    if key in PATH_WORDS and isinstance(value, str) and data.draw(st.booleans()):
        return data.draw(st.sampled_from(PATH_WORDS[key]), label=name)
    if key not in world.ids or not isinstance(value, int | str) or isinstance(value, bool):
        return value
    pick = data.draw(st.integers(0, 9), label=f"steer {name}")
    if pick < 7:
        return data.draw(st.sampled_from(world.ids[key]), label=name)
    if pick == 7:
        return data.draw(st.sampled_from(world.other[key]), label=name)
    return value


def _steer_time(value: Any, data: st.DataObject) -> Any:
    """``value``, or if it is a date-time, sometimes one at the edge of the calendar."""
    if not isinstance(value, str) or not re.match(r"\d{4}-\d\d-\d\dT", value):
        return value
    return data.draw(st.sampled_from([value, value, value, *EDGE_TIMES]), label="time")


def _steer_body(body: Any, world: World, data: st.DataObject) -> Any:
    """The body with its id fields (``member_id``, ``member_ids``, ...) and times steered."""
    if isinstance(body, list):
        return [_steer_body(item, world, data) for item in body]
    if not isinstance(body, dict):
        return body
    steered: dict[str, Any] = {}
    for key, value in body.items():
        if key == "member_ids" and isinstance(value, list) and data.draw(st.booleans()):
            members = st.sampled_from(world.ids["member_id"])
            value = data.draw(st.lists(members, min_size=1, max_size=3), label=key)
        elif isinstance(value, str) and key in {"login", *WORDS} and data.draw(st.booleans()):
            value = data.draw(st.sampled_from(WORDS.get(key, world.logins)), label=key)
        value = _steer_time(_steer(value, key, world, data), data)
        steered[key] = _steer_body(value, world, data)
    return steered


def _send(client: TestClient, case: Case, mode: GenerationMode) -> tuple[int, str | None]:
    """Send ``case``: the status, and what went wrong (None when the answer is right)."""
    kwargs = case.as_transport_kwargs(base_url=str(client.base_url))
    kwargs.pop("cookies", None)
    if "data" in kwargs:
        kwargs["content"] = kwargs.pop("data")
    if mode is GenerationMode.POSITIVE:
        # Valid requests go as the commander; negative ones may try their own credentials.
        for name in [h for h in kwargs["headers"] if h.lower() == "authorization"]:
            del kwargs["headers"][name]
    sent = f"{kwargs['method']} {kwargs['url']} params={kwargs.get('params')}"
    body = kwargs.get("json", kwargs.get("content"))
    request = f"{sent}\n  body: {body!r:.2000}\n  headers: {kwargs['headers']}"
    try:
        response = client.request(**kwargs)
    except Exception:
        return 500, f"raised\n  {request}\n{traceback.format_exc()}"
    status = response.status_code
    if status >= 500:
        return status, f"{status}\n  {request}\n  answer: {response.text:.2000}"
    if status < 400:
        return status, None
    if response.headers.get("content-type") != PROBLEM:
        return status, f"{status} not a problem\n  {request}\n  answer: {response.text:.500}"
    try:
        problem = response.json()
    except json.JSONDecodeError:
        return status, f"{status} not JSON\n  {request}\n  answer: {response.text:.500}"
    complete = isinstance(problem, dict) and problem.get("status") == status
    complete = complete and all(isinstance(problem.get(k), str) for k in ("type", "title"))
    if not complete or not isinstance(problem.get("detail"), str) or not problem["detail"]:
        return status, f"{status} incomplete problem\n  {request}\n  answer: {response.text:.500}"
    return status, None


def _fuzz(
    client: TestClient,
    operation: Operation,
    world: World,
    mode: GenerationMode,
    examples: int,
) -> tuple[list[int], list[str]]:
    """Send ``examples`` requests of ``mode`` to ``operation``: the statuses, what went wrong."""
    sent: list[tuple[int, str | None]] = []

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
    def fuzz(case: Case, data: st.DataObject) -> None:
        for name, value in case.path_parameters.items():
            case.path_parameters[name] = _steer(value, name, world, data)
        for name, value in case.query.items():
            case.query[name] = _steer_time(_steer(value, name, world, data), data)
        if isinstance(case.body, (dict, list)):
            case.body = _steer_body(case.body, world, data)
        sent.append(_send(client, case, mode))

    try:
        fuzz()
    except Unsatisfiable:
        # Nothing to break: no parameters and no body (GET /health, say).
        assert mode is GenerationMode.NEGATIVE
    failures = [f"{operation.label} [{mode.value}] {f}" for _, f in sent if f is not None]
    return [status for status, _ in sent], failures


def test_no_operation_fails_and_every_refusal_is_a_problem(
    client: TestClient, database_url: str, tmp_path: Path
) -> None:
    schema = schemathesis.openapi.from_dict(client.get("/openapi.json").json())
    paths = schema.raw_schema["paths"]
    operations = [schema[p][m.upper()] for p, item in paths.items() for m in item if m in METHODS]
    positive, negative = EXAMPLES["sqlite" if database_url.startswith("sqlite") else "postgresql"]
    failures: dict[str, list[str]] = {}
    reached: list[str] = []  # operations that answered a valid request with 2xx
    from maptools import make_plan

    plan = make_plan(tmp_path / "plan", n=40)
    reads = _populate(client, plan)  # reading changes nothing: one world serves every GET
    for operation in operations:
        world = reads if operation.method.upper() == "GET" else _populate(client, plan)
        statuses, found = _fuzz(client, operation, world, GenerationMode.POSITIVE, positive)
        assert statuses, operation.label
        reached += [operation.label] if any(200 <= s < 300 for s in statuses) else []
        found += _fuzz(client, operation, world, GenerationMode.NEGATIVE, negative)[1]
        failures.update({operation.label: found} if found else {})
    assert len(operations) >= 50  # every route of the server, not a schema that failed to load
    # Steering works: most operations got past validation and access checks into the store.
    missed = sorted({op.label for op in operations} - set(reached))
    assert len(reached) >= 0.75 * len(operations), f"never answered 2xx: {missed}"
    firsts = "\n\n".join(f"({len(found)}x) {found[0]}" for found in failures.values())
    assert not failures, (
        f"bad answers from {len(failures)} operations; the first of each:\n{firsts}"
    )
