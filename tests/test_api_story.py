"""A whole search through the HTTP API and the live stream, each step by the role that does it.

One scripted incident, on SQLite and on PostgreSQL: the administrator opens it and, as its
incident commander, gives roles; planning takes the subject intake, draws the hazard zones
and the operational period; operations marks the places, checks the twelve members in and
forms six pairs; planning assigns them and the team leaders start; every searcher's phone
sends its own positions; a pair walks into the hunting zone while a viewer watches live; a
roll call escalates the one silent member; a searcher reports their own injury; operations
plans the night's watch; a searcher reports the find; a wrong handover is refused and the
right one goes through; everyone is checked out and the commander closes the incident.
Finally the activity log must tell that story in order, each key line under the right name.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession

from apitools import login_as, post, problem

T0 = datetime(2026, 6, 1, 14, 0, tzinfo=UTC)
#: Trailhead car park (staging) and the picnic area where the boy was last seen (lat, lon).
STAGING = (36.534167, -84.2875)
IPP = (36.541667, -84.28)

Headers = dict[str, str]
Event = dict[str, Any]


def _box(west: float, south: float, east: float, north: float) -> dict[str, Any]:
    """A GeoJSON polygon (lon, lat) of a lon/lat box."""
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


#: West and north of the picnic area: nobody may go there (nobody does).
PRIVATE_LAND = _box(-84.318, 36.545, -84.291, 36.569)
#: Just south-east of staging: team T3's heading takes it in at 14:14.
HUNTING_ZONE = _box(-84.2850, 36.5270, -84.2760, 36.5330)

#: The six teams (as in the demo): name, leader, pair mate, heading in degrees (lon, lat)
#: per minute from staging. Lou Marsh is a volunteer, not a trained searcher: protected.
TEAMS = [
    ("T1", "Ada Reyes", "Ben Okafor", (0.0, 0.0007)),
    ("T2", "Cora Lind", "Dev Patel", (0.0005, 0.0005)),
    ("T3", "Eli Novak", "Fay Moreau", (0.0007, -0.0006)),
    ("T4", "Gus Holm", "Hana Sato", (-0.0005, 0.0005)),
    ("T5", "Ivo Brandt", "Jo Keane", (-0.0005, 0.0)),
    ("T6", "Kit Alvarez", "Lou Marsh", (0.0002, 0.0002)),
]
PROTECTED = "Lou Marsh"

ADMIN = "Agency Admin"
COMMANDER = f"{ADMIN} (incident_commander)"
PLANNING = "Pat Quinn (planning)"
OPERATIONS = "Sam Ortiz (operations)"

#: What the activity log must tell, in this order: (kind, words in the line, actor or None).
STORY: list[tuple[str, str, str | None]] = [
    ("incident", "incident opened: Wrenfield Creek missing child", ADMIN),
    ("access", "Agency Admin (admin) is now incident_commander", ADMIN),
    ("access", "Pat Quinn (pat.quinn) is now planning", COMMANDER),
    ("access", "Sam Ortiz (sam.ortiz) is now operations", COMMANDER),
    ("subject", "subject intake: Toby Marsh (child_4_6, age 4)", PLANNING),
    ("hazard", "'Harlan Ridge Hunting Club land' (private_land) drawn", PLANNING),
    ("hazard", "'East Ridge hunting zone' (hostile_party) drawn", PLANNING),
    ("period", "operational period 1: 2026-06-01 14:00Z to 2026-06-01 22:00Z", PLANNING),
    ("place", "staging", OPERATIONS),
    ("place", "rendezvous", OPERATIONS),
    ("roster", "member added: Lou Marsh (needs protection)", OPERATIONS),
    ("check_in", "Lou Marsh: pending -> checked_in", OPERATIONS),
    ("team", "team T6 formed: Kit Alvarez + Lou Marsh", OPERATIONS),
    ("team", "team T6 march order: lead Kit Alvarez, middle nobody, rear Lou Marsh", OPERATIONS),
    ("access", "Kit Alvarez (kit.alvarez) is now team_leader", COMMANDER),
    ("access", "Lou Marsh (lou.marsh) is now searcher", COMMANDER),
    ("access", "Rae Kim (rae.kim) is now viewer", COMMANDER),
    ("assignment", "team T6 to segment A6 in period 1, rendezvous Picnic area", PLANNING),
    ("assignment", "(team T1, segment A1): planned -> in_progress", "Ada Reyes (team_leader)"),
    ("check_in", "Ada Reyes: checked_in -> assigned", "Ada Reyes (team_leader)"),
    ("assignment", "(team T6, segment A6): planned -> in_progress", "Kit Alvarez (team_leader)"),
    ("hazard", "Eli Novak entered East Ridge hunting zone (hostile_party) at 14:14Z", "system"),
    ("hazard", "Fay Moreau entered East Ridge hunting zone (hostile_party) at 14:14Z", "system"),
    (
        "roll_call",
        "started for everyone in the field: 12 members, answers due by 14:25Z",
        OPERATIONS,
    ),
    (
        "roll_call",
        "Lou Marsh answered (answered by Kit Alvarez, team leader)",
        "Kit Alvarez (team_leader)",
    ),
    ("roll_call", "no answer from Jo Keane 5 min after it was asked; escalated", "system"),
    ("roll_call", "Jo Keane answered (late, after escalation)", "Jo Keane (searcher)"),
    ("injury", "injury: Dev Patel (minor) at 14:40Z", "Dev Patel (searcher)"),
    ("injury", "team T2: capability full -> reduced (Dev Patel injured)", "Dev Patel (searcher)"),
    ("check_in", "Dev Patel: assigned -> out_of_service", "Dev Patel (searcher)"),
    ("rotation", "from 20:00 UTC for 8 h: 4 on watch per 1 h slot, 11 people", OPERATIONS),
    ("subject", "FOUND: Toby Marsh by Hana Sato", "Hana Sato (searcher)"),
    ("handover_refused", "code did not match the intake record (attempt 1 of 5)", OPERATIONS),
    ("subject", "handed over: Toby Marsh to Mary Marsh (mother)", COMMANDER),
    ("assignment", "in_progress -> completed; reported POD 60%", OPERATIONS),
    ("check_in", "Dev Patel: out_of_service -> checked_out", OPERATIONS),
    ("incident", "Toby Marsh handed over to Mary Marsh; roster: 12 checked out", COMMANDER),
]


@dataclass
class Scene:
    """The incident under way: its id, the people by name and the ids of what was made."""

    client: TestClient
    clock: list[datetime]
    incident: int = 0
    members: dict[str, int] = field(default_factory=dict)
    users: dict[str, Headers] = field(default_factory=dict)
    teams: dict[str, int] = field(default_factory=dict)
    assignments: dict[str, int] = field(default_factory=dict)
    places: dict[str, int] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return f"/incidents/{self.incident}{path}"

    def at(self, minutes: float) -> None:
        """Set the server's clock to ``minutes`` after 14:00."""
        self.clock[0] = T0 + timedelta(minutes=minutes)

    def post(self, who: str, path: str, body: dict[str, Any], status: int = 201) -> Any:
        return post(self.client, self.url(path), body, status, headers=self.users[who])

    def put(self, who: str, path: str, body: dict[str, Any]) -> Any:
        response = self.client.put(self.url(path), json=body, headers=self.users[who])
        assert response.status_code == 200, response.text
        return response.json()

    def get(self, who: str, path: str) -> Any:
        response = self.client.get(self.url(path), headers=self.users[who])
        assert response.status_code == 200, response.text
        return response.json()


def _fix(scene: Scene, name: str, minute: int) -> dict[str, Any]:
    """``name``'s phone position ``minute`` minutes into the search (the pair walks together)."""
    for _, leader, mate, (dlon, dlat) in TEAMS:
        if name in (leader, mate):
            offset = 0.00003 if name == mate else 0.0
            return {
                "id": str(uuid.uuid4()),
                "member_id": scene.members[name],
                "lat": STAGING[0] + dlat * minute - offset,
                "lon": STAGING[1] + dlon * minute + offset,
                "time": (T0 + timedelta(minutes=10 + minute)).isoformat(),
            }
    raise AssertionError(f"{name} is in no team")


def _read_until(ws: WebSocketTestSession, last: Callable[[Event], bool]) -> list[Event]:
    """Live events up to and including the first for which ``last`` holds.

    Only call it for an event the server is sure to send: the test client has no timeout.
    """
    events: list[Event] = []
    while not events or not last(events[-1]):
        events.append(ws.receive_json())
    return events


def _open_and_staff(scene: Scene) -> None:
    """The administrator opens the incident; as its commander they give the command roles."""
    client = scene.client
    scene.users[ADMIN] = {"Authorization": client.headers["Authorization"]}  # the fixture's admin
    opened = post(client, "/incidents", {"name": "Wrenfield Creek missing child"})
    scene.incident = opened["id"]
    assert opened["status"] == "open"
    for login, name, role in [
        ("pat.quinn", "Pat Quinn", "planning"),
        ("sam.ortiz", "Sam Ortiz", "operations"),
    ]:
        scene.users[name] = login_as(client, scene.incident, role, login=login, name=name)


def _plan(scene: Scene) -> str:
    """Planning: subject intake, hazard zones, the operational period; the handover code."""
    intake = {
        "name": "Toby Marsh",
        "category": "child",
        "age": 4,
        "description": "red raincoat, blue boots",
        "last_seen_lat": IPP[0],
        "last_seen_lon": IPP[1],
        "last_seen_at": "2026-06-01T12:00:00Z",
        "guardian_name": "Mary Marsh",
        "guardian_relation": "mother",
        "guardian_id_document": "driver's licence KY ...5512",
    }
    subject = scene.post("Pat Quinn", "/subjects", intake)
    code: str = subject["handover_code"]
    assert len(code) >= 6 and subject["status"] == "missing"
    assert "handover_code" not in scene.get("Pat Quinn", f"/subjects/{subject['id']}")
    zones = [
        ("Harlan Ridge Hunting Club land", "private_land", PRIVATE_LAND),
        ("East Ridge hunting zone", "hostile_party", HUNTING_ZONE),
    ]
    for name, kind, geometry in zones:
        body = {"name": name, "kind": kind, "geometry": geometry}
        assert scene.post("Pat Quinn", "/hazards", body)["geometry"] == geometry
    period = {
        "starts_at": "2026-06-01T14:00:00Z",
        "ends_at": "2026-06-01T22:00:00Z",
        "objectives": "Hasty search of the trail and the creek; keep out of the hunting zone",
    }
    assert scene.post("Pat Quinn", "/periods", period)["number"] == 1
    return code


def _muster(scene: Scene) -> None:
    """Operations: places, twelve members checked in, six pairs with leaders and march order;
    the commander then gives each member their field role and their own login."""
    for kind, name, (lat, lon) in [
        ("staging", "Wrenfield Creek trailhead", STAGING),
        ("rendezvous", "Picnic area", IPP),
    ]:
        body = {"kind": kind, "name": name, "lat": lat, "lon": lon}
        scene.places[kind] = scene.post("Sam Ortiz", "/places", body)["id"]
    for _, leader, mate, _ in TEAMS:
        for name in (leader, mate):
            body = {"name": name, "needs_protection": name == PROTECTED}
            scene.members[name] = scene.post("Sam Ortiz", "/members", body)["id"]
            checked = scene.put(
                "Sam Ortiz", f"/members/{scene.members[name]}/status", {"status": "checked_in"}
            )
            assert checked["status"] == "checked_in"
    for team, leader, mate, _ in TEAMS:
        ids = [scene.members[leader], scene.members[mate]]
        pair = {"member_ids": ids, "protector_id": ids[0] if mate == PROTECTED else None}
        body = {"name": team, "pairs": [pair], "leader_id": ids[0]}
        formed = scene.post("Sam Ortiz", "/teams", body)
        scene.teams[team] = formed["id"]
        march = scene.put(
            "Sam Ortiz", f"/teams/{formed['id']}/march", {"lead_id": ids[0], "rear_id": ids[1]}
        )
        order = {
            m["member_id"]: (m["leader"], m["march"], m["protects_id"]) for m in march["members"]
        }
        protects = scene.members[PROTECTED] if mate == PROTECTED else None
        assert order == {ids[0]: (True, "lead", protects), ids[1]: (False, "rear", None)}
    for _, leader, mate, _ in TEAMS:
        for name, role in ((leader, "team_leader"), (mate, "searcher")):
            login = name.lower().replace(" ", ".")
            scene.users[name] = login_as(
                scene.client, scene.incident, role, scene.members[name], login=login, name=name
            )
    scene.users["Rae Kim"] = login_as(
        scene.client, scene.incident, "viewer", login="rae.kim", name="Rae Kim"
    )


def _send_out(scene: Scene) -> None:
    """Planning assigns a segment to each team; each team leader starts their own."""
    [period] = scene.get("Pat Quinn", "/periods")
    for n, (team, _, _, _) in enumerate(TEAMS, start=1):
        body = {
            "team_id": scene.teams[team],
            "segment": f"A{n}",
            "period_id": period["id"],
            "rendezvous_id": scene.places["rendezvous"],
            "turnaround_at": "2026-06-01T18:00:00Z",
            "instructions": "Sound sweep every 200 m; keep out of the hunting zone",
        }
        scene.assignments[team] = scene.post("Pat Quinn", "/assignments", body)["id"]
    scene.at(10)
    for team, leader, _, _ in TEAMS:
        path = f"/assignments/{scene.assignments[team]}/status"
        assert scene.put(leader, path, {"status": "in_progress"})["status"] == "in_progress"
    statuses = {m["name"]: m["status"] for m in scene.get("Rae Kim", "/members")}
    assert set(statuses.values()) == {"assigned"}


def _walk(scene: Scene, ws: WebSocketTestSession) -> None:
    """Each phone sends its own fixes, one by one and then a queued batch; T3 strays into the
    hunting zone at 14:14 and the viewer is told at once."""
    names = [name for _, leader, mate, _ in TEAMS for name in (leader, mate)]
    for minute in (1, 2, 3):
        scene.at(10 + minute)
        for name in names:
            scene.post(name, "/positions", _fix(scene, name, minute))
    scene.at(16)  # signal back: each phone sends what it queued since 14:14
    batches = {name: [_fix(scene, name, m) for m in (4, 5, 6)] for name in names}
    for name, fixes in batches.items():
        sent = scene.post(name, "/positions/batch", {"positions": fixes})
        assert (sent["created"], sent["replayed"]) == (3, 0)
    again = scene.post("Fay Moreau", "/positions/batch", {"positions": batches["Fay Moreau"]})
    assert (again["created"], again["replayed"]) == (0, 3)  # a replay stores nothing twice
    # A searcher's phone speaks only for its own member.
    mate = _fix(scene, "Eli Novak", 7)
    problem(
        scene.client.post(scene.url("/positions"), json=mate, headers=scene.users["Ben Okafor"]),
        403,
    )
    scene.at(17)
    last = scene.post("Ada Reyes", "/positions", _fix(scene, "Ada Reyes", 7))
    events = _read_until(ws, lambda e: e.get("position", {}).get("id") == last["id"])
    assert sum(e["type"] == "position" for e in events) == 12 * 6 + 1  # the replay is not pushed
    alerts = [e["alert"] for e in events if e["type"] == "hazard"]
    assert [(a["member_name"], a["zone_name"], a["kind"], a["time"][11:16]) for a in alerts] == [
        ("Eli Novak", "East Ridge hunting zone", "hostile_party", "14:14"),
        ("Fay Moreau", "East Ridge hunting zone", "hostile_party", "14:14"),
    ]
    latest = {p["member_id"]: p for p in scene.get("Rae Kim", "/positions/latest")}
    assert latest[scene.members["Ada Reyes"]]["id"] == last["id"]
    assert len(latest) == 12


def _roll_call(scene: Scene, ws: WebSocketTestSession) -> None:
    """Operations calls the roll; Kit answers for Lou; Jo is silent, escalated, answers late."""
    scene.at(20)
    started = scene.post("Sam Ortiz", "/roll-calls", {"timeout_seconds": 300})
    call = f"/roll-calls/{started['id']}"
    assert len(started["answers"]) == 12
    for _, leader, mate, _ in TEAMS:
        scene.post(leader, f"{call}/answers", {"member_id": scene.members[leader]}, 200)
        if mate == PROTECTED:
            body = {"member_id": scene.members[mate], "by_member_id": scene.members[leader]}
            scene.post(leader, f"{call}/answers", body, 200)
        elif mate != "Jo Keane":
            scene.post(mate, f"{call}/answers", {"member_id": scene.members[mate]}, 200)
    scene.at(25 - 1 / 60)
    assert scene.post("Sam Ortiz", "/roll-calls/escalations", {}, 200) == []  # not due yet
    scene.at(26)
    [escalated] = scene.post("Sam Ortiz", "/roll-calls/escalations", {}, 200)
    silent = {a["member_id"] for a in escalated["answers"] if a["status"] != "answered"}
    assert silent == {scene.members["Jo Keane"]}
    scene.at(28)
    jo = scene.members["Jo Keane"]
    late = scene.post("Jo Keane", f"{call}/answers", {"member_id": jo}, 200)
    assert {a["status"] for a in late["answers"]} == {"answered"}
    [jo_answer] = [a for a in late["answers"] if a["member_id"] == jo]
    assert jo_answer["escalated_at"].startswith("2026-06-01T14:26")  # stays on record
    events = _read_until(ws, lambda e: e["type"] == "roll_call" and e["roll_call"] == late)
    steps = [e["event"] for e in events if e["type"] == "roll_call"]
    assert steps == ["started"] + ["answered"] * 11 + ["escalated", "answered"]
    [pushed] = [e["roll_call"] for e in events if e.get("event") == "escalated"]
    assert {a["member_id"] for a in pushed["answers"] if a["status"] == "escalated"} == {jo}


def _injury_and_rest(scene: Scene) -> None:
    """Dev reports his own injury (T2 reduced); operations plans the night's watch."""
    scene.at(40)
    body = {
        "member_id": scene.members["Dev Patel"],
        "severity": "minor",
        "treatment": "twisted ankle, strapped; walking out with Cora",
    }
    assert scene.post("Dev Patel", "/injuries", body)["time"].startswith("2026-06-01T14:40")
    team = scene.get("Rae Kim", f"/teams/{scene.teams['T2']}")
    assert team["capability"] == "reduced"
    assert all(
        scene.get("Rae Kim", f"/teams/{scene.teams[t]}")["capability"] == "full"
        for t in ("T1", "T6")
    )
    scene.at(50)
    night = {
        "starts_at": "2026-06-01T20:00:00Z",
        "horizon_h": 8,
        "slot_h": 1,
        "watch_size": 4,
        "max_consecutive_h": 2,
        "min_rest_h": 2,
    }
    rotation = scene.post("Sam Ortiz", "/rotation", night, 200)
    slots = [set(slot["member_ids"]) for slot in rotation["slots"]]
    assert len(slots) == 8 and all(len(on) == 4 for on in slots)
    assert scene.members["Dev Patel"] not in {int(m) for m in rotation["hours"]}  # injured
    for _, leader, mate, _ in TEAMS:
        a, b = scene.members[leader], scene.members[mate]
        if "Dev Patel" not in (leader, mate):
            assert all((a in on) == (b in on) for on in slots), f"{leader} and {mate} split"


def _find_and_reunite(scene: Scene, code: str) -> None:
    """Hana reports the find; a wrong code is refused; the commander hands Toby to his mother."""
    [subject] = scene.get("Rae Kim", "/subjects")
    path = f"/subjects/{subject['id']}"
    scene.at(65)
    find = {
        "member_id": scene.members["Hana Sato"],
        "lat": 36.5402,
        "lon": -84.2931,
        "condition": "cold and scratched, alert",
    }
    other = {**find, "member_id": scene.members["Gus Holm"]}
    denied = scene.client.post(
        scene.url(f"{path}/found"), json=other, headers=scene.users["Hana Sato"]
    )
    problem(denied, 403)
    found = scene.post("Hana Sato", f"{path}/found", find, 200)
    assert (found["status"], found["found_by_member_id"]) == ("found", find["member_id"])
    scene.at(100)
    handover = {"guardian_name": "Mary Marsh", "guardian_relation": "mother", "code": "not-it"}
    wrong = scene.client.post(
        scene.url(f"{path}/handover"), json=handover, headers=scene.users["Sam Ortiz"]
    )
    assert "code" in problem(wrong, 403)["detail"]
    assert scene.get("Rae Kim", path)["status"] == "found"
    done = scene.post(ADMIN, f"{path}/handover", {**handover, "code": code}, 200)
    assert (done["status"], done["handed_to"]) == ("handed_over", "Mary Marsh")


def _stand_down(scene: Scene) -> None:
    """Operations completes the assignments and checks everyone out; the commander closes."""
    scene.at(120)
    for team, _, _, _ in TEAMS:
        path = f"/assignments/{scene.assignments[team]}/status"
        body = {"status": "completed", "reported_pod": 0.6}
        assert scene.put("Sam Ortiz", path, body)["status"] == "completed"
    for member_id in scene.members.values():
        scene.put("Sam Ortiz", f"/members/{member_id}/status", {"status": "checked_out"})
    scene.at(150)
    closed = scene.post(ADMIN, "/close", {}, 200)
    assert closed["status"] == "closed" and closed["closed_at"].startswith("2026-06-01T16:30")


def _after_close(scene: Scene) -> None:
    """A closed incident refuses writes (409) and still answers reads."""
    place = {"kind": "helispot", "name": "Late helispot", "lat": 36.53, "lon": -84.29}
    refused = scene.client.post(scene.url("/places"), json=place, headers=scene.users["Sam Ortiz"])
    assert "closed" in problem(refused, 409)["detail"]
    fix = _fix(scene, "Ada Reyes", 8)
    problem(
        scene.client.post(scene.url("/positions"), json=fix, headers=scene.users["Ada Reyes"]), 409
    )
    assert scene.get("Rae Kim", "")["status"] == "closed"
    assert {m["status"] for m in scene.get("Rae Kim", "/members")} == {"checked_out"}
    assert len(scene.get("Rae Kim", "/teams")) == 6
    assert [a["status"] for a in scene.get("Rae Kim", "/assignments")] == ["completed"] * 6


def _assert_story(log: list[dict[str, Any]]) -> None:
    """Every beat of :data:`STORY` is in the log, in order, under the right actor."""
    at = 0
    for kind, words, actor in STORY:
        found = next(
            (i for i in range(at, len(log)) if log[i]["kind"] == kind and words in log[i]["text"]),
            None,
        )
        assert found is not None, f"after line {at}: no {kind} line with {words!r}"
        if actor is not None:
            assert log[found]["actor"] == actor, (words, log[found])
        at = found + 1
    hazards = [line["text"] for line in log if line["text"].startswith("hazard: ")]
    assert len(hazards) == 2  # one alert per member entering; nobody went onto private land
    escalations = [line for line in log if line["text"].endswith("; escalated")]
    assert len(escalations) == 1
    checked_out = [line for line in log if line["text"].endswith("-> checked_out")]
    assert len(checked_out) == 12 and {line["actor"] for line in checked_out} == {OPERATIONS}
    starts = [line for line in log if line["text"].endswith("planned -> in_progress")]
    assert {line["actor"] for line in starts} == {
        f"{leader} (team_leader)" for _, leader, _, _ in TEAMS
    }


def test_a_search_from_call_out_to_close_through_the_api(
    client: TestClient, clock: list[datetime]
) -> None:
    scene = Scene(client, clock)
    _open_and_staff(scene)
    code = _plan(scene)
    _muster(scene)
    _send_out(scene)
    with client.websocket_connect(scene.url("/live"), headers=scene.users["Rae Kim"]) as ws:
        assert ws.receive_json() == {"type": "subscribed", "incident_id": scene.incident}
        _walk(scene, ws)
        _roll_call(scene, ws)
    _injury_and_rest(scene)
    _find_and_reunite(scene, code)
    _stand_down(scene)
    _after_close(scene)
    _assert_story(scene.get("Rae Kim", "/activity"))
