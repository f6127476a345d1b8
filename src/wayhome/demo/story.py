"""The demo incident played through on the incident store, in story time.

:func:`play_story` takes the demo's plan directories (made by the planning commands) and
an empty database and plays the search of ``DEMO-STORY.md``: intake, staging, check-in,
pairs with one protected member, assignments, live positions along the briefed routes,
a hazard-zone entry, signals, a roll call with one silent member (escalated, then found:
battery flat), an injury, two clues, an overdue team, the period-2 plan, the night's rest
rotation, the find, a refused and then a verified handover, check-out and closing.

Every step goes through the same store functions the server's routes call, so the
activity log (ICS-214) tells the story in order, stamped with story time.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from wayhome.access.roles import Role
from wayhome.access.secrets import new_secret
from wayhome.errors import AccessDeniedError, DataFileError
from wayhome.store import (
    PositionReport,
    acknowledge_roll_call,
    acknowledge_signal,
    activity_clock,
    add_hazard_zone,
    add_member,
    create_incident,
    create_team,
    create_user,
    escalate_overdue,
    grant_role,
    link_plan,
    log_activity,
    mark_clue_applied,
    record_clue,
    record_positions,
    report_injury,
    send_signal,
    set_member_status,
    start_roll_call,
)
from wayhome.store.assignments import create_assignment, set_assignment_status
from wayhome.store.incidents import close_incident
from wayhome.store.models import Member, Team
from wayhome.store.overdue import check_overdue
from wayhome.store.periods import create_period
from wayhome.store.places import add_place
from wayhome.store.roster import Pair, set_march_order, update_member_profile
from wayhome.store.rotation import plan_incident_rotation
from wayhome.store.subjects import create_subject, hand_over, report_found

__all__ = ["STORY_START", "DemoLogin", "StoryResult", "play_story"]

#: The story's clock starts at 15:30 local time (EDT, UTC-4) on an autumn afternoon.
STORY_START = datetime(2026, 10, 17, 19, 30, tzinfo=UTC)
#: Hazard kinds of the demo layers, as the server's hazard zones name them.
_ZONE_KINDS = {
    "cliff": "cliff",
    "private": "private_land",
    "hazard": "hostile_party",
    "water": "water",
}
#: Where the boy is found: a rock shelter in the Owl Rock cliff band (fictional).
_FIND = (36.5516, -84.2871)
_MOTHER = ("Nora Marsh (fictional)", "mother")
_GRANDMOTHER = ("Ruth Marsh (fictional)", "grandmother")


@dataclass(frozen=True, slots=True)
class DemoLogin:
    """A user made for the demo: log in with ``login``/``password`` to act as ``role``."""

    login: str
    password: str
    role: str
    name: str


@dataclass(frozen=True, slots=True)
class StoryResult:
    """What the story left in the database: the incident, the logins and a few counts."""

    incident_id: int
    logins: tuple[DemoLogin, ...]
    handover_code: str
    positions: int
    hazard_alerts: int
    steps: tuple[str, ...] = field(default=())


@dataclass
class _Clock:
    now: datetime

    def at(self, minutes: float) -> datetime:
        self.now = STORY_START + timedelta(minutes=minutes)
        return self.now


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise DataFileError(
            f"{path}: cannot read ({exc}); run the planning steps first (wayhome demo does)"
        ) from exc


def _demo_data(name: str) -> Any:
    text = (resources.files("wayhome.demo") / "data" / name).read_text("utf-8")
    return json.loads(text)


def _person(label: str) -> tuple[str, str]:
    """``"Ada Reyes (leader)"`` -> ``("Ada Reyes", "leader")``."""
    name, _, rest = label.partition(" (")
    return name.strip(), rest.rstrip(")")


def _route(plan: Path, assignment: str) -> list[tuple[float, float]]:
    """The briefed sweep route of ``assignment`` as (lat, lon) points."""
    data = _read_json(plan / "assignments" / f"{assignment}.geojson")
    for feature in data["features"]:
        if feature["geometry"]["type"] == "LineString":
            return [(lat, lon) for lon, lat in feature["geometry"]["coordinates"]]
    raise DataFileError(f"{plan}/assignments/{assignment}.geojson: no sweep route (LineString)")


def _along(route: Sequence[tuple[float, float]], fraction: float) -> tuple[float, float]:
    """The point ``fraction`` (0..1) of the way along ``route`` by vertex count."""
    x = min(max(fraction, 0.0), 1.0) * (len(route) - 1)
    i = min(int(x), len(route) - 2) if len(route) > 1 else 0
    if len(route) == 1:
        return route[0]
    t = x - i
    (a, b), (c, d) = route[i], route[i + 1]
    return a + (c - a) * t, b + (d - b) * t


def _walk(
    start: tuple[float, float], route: Sequence[tuple[float, float]], fraction: float
) -> tuple[float, float]:
    """From staging to the route's start in the first 10 %, then along the route."""
    if fraction < 0.1:
        f = fraction / 0.1
        (a, b), (c, d) = start, route[0]
        return a + (c - a) * f, b + (d - b) * f
    return _along(route, (fraction - 0.1) / 0.9)


def play_story(
    session: Session,
    *,
    plan_dir: Path,
    progress: Callable[[str], None] | None = None,
    passwords: Mapping[str, str] | None = None,
) -> StoryResult:
    """Play the demo incident into ``session``'s (empty) database.

    Parameters
    ----------
    session : Session
        A session on a database at the newest schema.
    plan_dir : Path
        The demo's plan directory: ``period-1/`` and ``period-2/`` with assignments
        (as ``wayhome demo`` writes them).
    progress : callable, optional
        Called with a short line at each step.
    passwords : mapping, optional
        Login -> password for the demo users (random when not given).

    Returns
    -------
    StoryResult
    """
    clock = _Clock(STORY_START)
    steps: list[str] = []

    def step(text: str) -> None:
        steps.append(text)
        if progress is not None:
            progress(text)

    with activity_clock(lambda: clock.now):
        return _play(session, plan_dir, clock, step, dict(passwords or {}), steps)


def _play(
    session: Session,
    plan_dir: Path,
    clock: _Clock,
    step: Callable[[str], None],
    passwords: dict[str, str],
    steps: list[str],
) -> StoryResult:
    incident_data = _demo_data("incident.json")
    roster = _demo_data("teams.json")
    clues = _demo_data("clues.json")["clues"]
    p1 = _read_json(plan_dir / "period-1" / "assignments.json")
    p2 = _read_json(plan_dir / "period-2" / "assignments.json")
    staging = (incident_data["staging_lat"], incident_data["staging_lon"])
    ipp = (incident_data["ipp_lat"], incident_data["ipp_lon"])

    # --- Users and the incident --------------------------------------------------------
    clock.at(0)
    logins: list[DemoLogin] = []

    def user(login: str, name: str, role: str, *, admin: bool = False) -> int:
        password = passwords.get(login) or new_secret(10)
        made = create_user(session, login=login, name=name, password=password, is_admin=admin)
        logins.append(DemoLogin(login=login, password=password, role=role, name=name))
        return made.id

    admin_id = user("admin", "Agency administrator", "administrator", admin=True)
    commander = "Mara Quinn (incident_commander)"
    incident = create_incident(session, name=incident_data["title"], actor=commander)
    iid = incident.id
    ic_id = user("commander", "Mara Quinn", Role.INCIDENT_COMMANDER)
    grant_role(session, incident_id=iid, user_id=ic_id, role=Role.INCIDENT_COMMANDER)
    del admin_id
    planner = "Sam Ortiz (planning)"
    ops = "Pat Byrne (operations)"
    for login, name, role in (
        ("planner", "Sam Ortiz", Role.PLANNING),
        ("operations", "Pat Byrne", Role.OPERATIONS),
        ("viewer", "County liaison", Role.VIEWER),
    ):
        grant_role(
            session, incident_id=iid, user_id=user(login, name, role), role=role, actor=commander
        )
    step(f"incident {iid} opened: {incident_data['title']}")

    # --- Intake ------------------------------------------------------------------------
    clock.at(2)
    subject, code = create_subject(
        session,
        incident_id=iid,
        name=incident_data["subject_name"],
        category=incident_data["category"],
        age=float(incident_data["age"]),
        last_seen_lat=ipp[0],
        last_seen_lon=ipp[1],
        last_seen_at=STORY_START - timedelta(hours=2),
        guardian_name=_MOTHER[0],
        guardian_relation=_MOTHER[1],
        guardian_id_document="driver's licence TN ...0421 (fictional)",
        description="Boy, 4, red fleece, blue trousers; a worn shirt is kept as a scent article.",
        actor=planner,
    )
    step(f"intake: {subject.name}; the handover code goes to his mother")
    summary = _read_json(plan_dir / "summary.json")
    log_activity(
        session,
        incident_id=iid,
        actor=planner,
        kind="plan",
        text=_plan_line(summary),
    )
    session.commit()

    # --- Staging, hazards, period 1 ----------------------------------------------------
    clock.at(5)
    add_place(
        session, incident_id=iid, kind="staging", name="Wrenfield Creek trailhead car park",
        lat=staging[0], lon=staging[1], actor=ops,
    )  # fmt: skip
    add_place(
        session, incident_id=iid, kind="command_post", name="Command post (trailhead)",
        lat=staging[0] + 0.0004, lon=staging[1] + 0.0004, actor=ops,
    )  # fmt: skip
    rendezvous = add_place(
        session, incident_id=iid, kind="rendezvous", name="Picnic area footbridge",
        lat=ipp[0] - 0.0008, lon=ipp[1] - 0.0006, actor=ops,
    )  # fmt: skip
    layers = _demo_data("layers.geojson")
    for feature in layers["features"]:
        kind = _ZONE_KINDS.get(feature["properties"].get("kind", ""))
        if kind and feature["geometry"]["type"] == "Polygon":
            add_hazard_zone(
                session,
                incident_id=iid,
                name=feature["properties"]["name"],
                kind=kind,
                geometry=feature["geometry"],
                actor=planner,
            )
    period1 = create_period(
        session, incident_id=iid, starts_at=STORY_START + timedelta(minutes=20),
        ends_at=STORY_START + timedelta(minutes=200),
        objectives="Hasty search of trails and the creek; grid the high-POA segments near the "
        "picnic area before dark.", actor=planner,
    )  # fmt: skip
    step("staging, rendezvous, hazard zones and period 1 set")

    # --- Roster: 12 members in 6 pairs, one protected ----------------------------------
    clock.at(8)
    members: dict[str, Member] = {}
    teams: dict[str, Team] = {}
    leaders: dict[str, Member] = {}
    for spec in roster["teams"]:
        humans = [m for m in spec["members"] if "dog" not in m]
        for label in humans:
            name, note = _person(label)
            member = add_member(
                session,
                incident_id=iid,
                name=name,
                needs_protection="protected" in note,
                actor=ops,
            )
            update_member_profile(
                session,
                incident_id=iid,
                member_id=member.id,
                **_profile(spec, name, note),
                actor=ops,
            )
            set_member_status(
                session, incident_id=iid, member_id=member.id, status="checked_in", actor=ops
            )
            members[name] = member
        ids = [members[_person(label)[0]].id for label in humans]
        protector = next((members[_person(lb)[0]].id for lb in humans if "protector" in lb), None)
        leader = members[_person(humans[0])[0]]
        leaders[spec["id"]] = leader
        team = create_team(
            session,
            incident_id=iid,
            name=spec["id"],
            pairs=[Pair(tuple(ids), protector_id=protector)],
            leader_id=leader.id,
            actor=ops,
        )
        set_march_order(
            session, incident_id=iid, team_id=team.id, lead_id=ids[0], rear_id=ids[-1], actor=ops
        )
        teams[spec["id"]] = team
    step(f"{len(members)} members checked in, {len(teams)} teams of pairs (T6 protected)")
    field_users = (
        ("leader", leaders["T3"], Role.TEAM_LEADER),
        ("searcher", members["Ben Okafor"], Role.SEARCHER),
    )
    for login, who, role in field_users:
        grant_role(
            session,
            incident_id=iid,
            user_id=user(login, who.name, role),
            role=role,
            member_id=who.id,
            actor=commander,
        )

    # --- Period 1 assignments from the optimal allocation ------------------------------
    clock.at(15)
    hours = {t["id"]: float(t["hours"]) for t in roster["teams"]}
    assignment_ids: dict[str, int] = {}
    routes: dict[str, list[tuple[float, float]]] = {}
    for a in p1["assignments"]:
        made = create_assignment(
            session,
            incident_id=iid,
            team_id=teams[a["team"]].id,
            segment=a["segment"],
            period_id=period1.id,
            instructions=a["objectives"],
            rendezvous_id=rendezvous.id,
            turnaround_at=STORY_START + timedelta(minutes=20, hours=hours[a["team"]]),
            actor=planner,
        )
        assignment_ids[a["team"]] = made.id
        routes[a["team"]] = _route(plan_dir / "period-1", a["assignment"])
    clock.at(20)
    for team_name, aid in assignment_ids.items():
        set_assignment_status(
            session, incident_id=iid, assignment_id=aid, status="in_progress", now=clock.now,
            actor=leaders[team_name].name,
        )  # fmt: skip
    step(f"period 1: {len(assignment_ids)} assignments under way")

    # --- The field: positions every 2 minutes ------------------------------------------
    positions = 0
    alerts = 0
    team_members = {
        spec["id"]: [members[_person(lb)[0]] for lb in spec["members"] if "dog" not in lb]
        for spec in roster["teams"]
    }
    silent = members["Jo Keane"]
    injured = members["Dev Patel"]
    active = set(assignment_ids)

    def walk(minute: int) -> None:
        nonlocal positions, alerts
        clock.at(minute)
        reports = []
        for team_name in sorted(active):
            span = hours[team_name] * 60.0
            fraction = (minute - 20) / span
            lat, lon = _walk(staging, routes[team_name], fraction)
            for k, member in enumerate(team_members[team_name]):
                if member.id == silent.id and 50 <= minute < 75:
                    continue  # her phone's battery is flat
                if member.status == "out_of_service":
                    continue
                offset = 0.00008 * k  # buddies walk ~10 m apart
                reports.append(
                    PositionReport(
                        id=uuid.uuid5(uuid.NAMESPACE_URL, f"wayhome-demo/{member.id}/{minute}"),
                        member_id=member.id,
                        lat=lat + offset,
                        lon=lon - offset,
                        time=clock.now,
                    )
                )
        recorded = record_positions(session, incident_id=iid, reports=reports)
        positions += sum(r.created for r in recorded)
        alerts += sum(len(r.alerts) for r in recorded)

    for minute in range(20, 60, 2):
        walk(minute)
    step(f"field: {positions} positions so far, {alerts} hazard-zone entries")

    # --- Roll call with a silent member ------------------------------------------------
    clock.at(60)
    roll_call = start_roll_call(
        session, incident_id=iid, now=clock.now, timeout=timedelta(minutes=5), actor=ops
    )
    for answer in roll_call.answers:
        if answer.member_id != silent.id:
            acknowledge_roll_call(
                session, incident_id=iid, roll_call_id=roll_call.id,
                member_id=answer.member_id, now=clock.at(61),
            )  # fmt: skip
    escalated = escalate_overdue(session, now=clock.at(66), incident_id=iid)
    step(f"roll call: {len(escalated)} silent member escalated ({silent.name})")
    for minute in range(62, 76, 2):
        walk(minute)
    clock.at(76)
    acknowledge_roll_call(
        session, incident_id=iid, roll_call_id=roll_call.id, member_id=silent.id, now=clock.now
    )
    log_activity(
        session, incident_id=iid, actor=leaders["T5"].name, kind="roll_call",
        text=f"{silent.name} accounted for: phone battery flat, swapped to the spare",
    )  # fmt: skip
    session.commit()

    # --- An injury: T2 walks out -------------------------------------------------------
    clock.at(80)
    report_injury(
        session,
        incident_id=iid,
        member_id=injured.id,
        severity="minor",
        treatment="twisted ankle strapped; walking out to staging with Cora Lind",
        time=clock.now,
        actor=leaders["T2"].name,
    )
    set_assignment_status(
        session, incident_id=iid, assignment_id=assignment_ids["T2"], status="aborted",
        now=clock.now, actor=ops,
    )  # fmt: skip
    active.discard("T2")
    step("injury: Dev Patel (T2) twisted an ankle; T2 returns to staging")

    # --- Clues and signals -------------------------------------------------------------
    for minute in range(82, 140, 2):
        walk(minute)
        for clue in clues:
            if minute - 2 < clue["minutes"] <= minute:
                reporter = leaders["T4" if clue["id"] == "C1" else "T3"]
                clue_id = uuid.uuid5(uuid.NAMESPACE_URL, f"wayhome-demo/clue/{clue['id']}")
                record_clue(
                    session, incident_id=iid, clue_id=clue_id, kind=clue["kind"],
                    lat=clue["lat"], lon=clue["lon"], bearing_deg=clue["bearing_deg"],
                    time=STORY_START + timedelta(minutes=clue["minutes"]), note=clue["note"],
                    member_id=reporter.id, actor=reporter.name,
                )  # fmt: skip
                # The planning loop (wayhome clue) put it into the plan as this evidence id.
                mark_clue_applied(
                    session, incident_id=iid, clue_id=clue_id, evidence_id=clue["id"],
                    actor=planner, now=clock.now,
                )  # fmt: skip
                step(f"clue {clue['id']}: {clue['kind']}")
        if minute == 96:
            signal = send_signal(
                session, incident_id=iid, code="return_to_rendezvous",
                team_id=teams["T4"].id, now=clock.now, actor=ops,
            )  # fmt: skip
            for d in signal.deliveries:
                acknowledge_signal(
                    session, incident_id=iid, signal_id=signal.id, member_id=d.member_id,
                    now=clock.at(97),
                )  # fmt: skip

    # --- T5 (tired) past its turnaround: overdue, then back --------------------------
    check_overdue(session, now=clock.at(145), no_contact=timedelta(minutes=30), incident_id=iid)
    clock.at(150)
    set_assignment_status(
        session, incident_id=iid, assignment_id=assignment_ids["T5"], status="completed",
        now=clock.now, reported_pod=0.6, actor=leaders["T5"].name,
    )  # fmt: skip
    active.discard("T5")
    check_overdue(session, now=clock.at(151), no_contact=timedelta(minutes=30), incident_id=iid)
    step("T5 overdue past its turnaround, then back at the rendezvous")

    for minute in range(152, 160, 2):
        walk(minute)

    # --- Debrief and period 2 ----------------------------------------------------------
    clock.at(160)
    log_activity(
        session, incident_id=iid, actor=planner, kind="plan",
        text="debrief: period-1 tracks and clues C1, C2 folded into the map (Bayes); "
        f"period-2 plan made ({len(p2['assignments'])} assignments)",
    )  # fmt: skip
    # The map the command post and the field see from now on: the period-2 plan.
    link_plan(session, incident_id=iid, path=plan_dir / "period-2", actor=planner)
    period2 = create_period(
        session, incident_id=iid, starts_at=STORY_START + timedelta(minutes=200),
        ends_at=STORY_START + timedelta(minutes=380),
        objectives="Search the rock shelters under Owl Rock and the slope north of the dog's "
        "alert; hasty search of the creek at dusk.", actor=planner,
    )  # fmt: skip
    for a in p2["assignments"]:
        if a["team"] in {"T2", "T5"}:
            continue  # injured and tired teams rest
        create_assignment(
            session, incident_id=iid, team_id=teams[a["team"]].id, segment=a["segment"],
            period_id=period2.id, instructions=a["objectives"], rendezvous_id=rendezvous.id,
            turnaround_at=STORY_START + timedelta(minutes=380), actor=planner,
        )  # fmt: skip
    step("debrief and period-2 assignments")

    # --- The night's rest rotation -----------------------------------------------------
    clock.at(170)
    tired = {members["Ivo Brandt"].id: 3.0, members["Jo Keane"].id: 3.0}
    plan_incident_rotation(
        session, incident_id=iid, starts_at=STORY_START + timedelta(hours=7), horizon_h=8.0,
        slot_h=1.0, watch_size=4, max_consecutive_h=2.0, duty_left_h=tired,
        default_duty_left_h=6.0, min_rest_h=2.0, actor=ops,
    )  # fmt: skip
    step("rest rotation planned for the night")

    # --- The find ----------------------------------------------------------------------
    for minute in range(172, 186, 2):
        walk(minute)
    clock.at(186)
    finder = leaders["T3"]
    report_found(
        session, incident_id=iid, subject_id=subject.id, member_id=finder.id,
        lat=_FIND[0], lon=_FIND[1], time=clock.now, actor=finder.name,
        condition="in a rock shelter under Owl Rock; cold and scratched, alert; "
        "warm layers on, carried out",
    )  # fmt: skip
    signal = send_signal(session, incident_id=iid, code="found", now=clock.now, actor=ops)
    for d in signal.deliveries:
        acknowledge_signal(
            session, incident_id=iid, signal_id=signal.id, member_id=d.member_id,
            now=clock.at(188),
        )  # fmt: skip
    step(f"FOUND by {finder.name}: cold but unhurt")

    # --- Reunification at staging ------------------------------------------------------
    clock.at(225)
    try:
        hand_over(
            session, incident_id=iid, subject_id=subject.id, guardian_name=_GRANDMOTHER[0],
            guardian_relation=_GRANDMOTHER[1], code="", now=clock.now, actor=commander,
        )  # fmt: skip
    except AccessDeniedError:
        step("handover refused: the grandmother is not the guardian named at intake")
    clock.at(232)
    hand_over(
        session, incident_id=iid, subject_id=subject.id, guardian_name=_MOTHER[0],
        guardian_relation=_MOTHER[1], code=code, now=clock.now, actor=commander,
    )  # fmt: skip
    log_activity(
        session, incident_id=iid, actor=commander, kind="reunification",
        text=f"{_GRANDMOTHER[0]} ({_GRANDMOTHER[1]}) present at the handover",
    )  # fmt: skip
    session.commit()
    step("handed over to his mother, identity verified with her code")

    # --- Check-out and close -----------------------------------------------------------
    clock.at(240)
    for team_name, aid in assignment_ids.items():
        if team_name in active:
            set_assignment_status(
                session, incident_id=iid, assignment_id=aid, status="completed",
                now=clock.now, reported_pod=0.7, actor=leaders[team_name].name,
            )  # fmt: skip
    for member in members.values():
        set_member_status(
            session, incident_id=iid, member_id=member.id, status="checked_out", actor=ops
        )
    close_incident(session, incident_id=iid, now=clock.at(245), actor=commander)
    step("everyone checked out; incident closed")
    return StoryResult(
        incident_id=iid,
        logins=tuple(logins),
        handover_code=code,
        positions=positions,
        hazard_alerts=alerts,
        steps=tuple(steps),
    )


def _plan_line(summary: Mapping[str, Any]) -> str:
    areas = summary.get("area_km2_for") or {}
    model = summary.get("model", "terrain")
    where = ", ".join(f"{k} within {v:.2f} km²" for k, v in areas.items() if k in ("50%", "95%"))
    return f"plan: probability map ({model} model, ISRID child 4-6){': ' + where if where else ''}"


def _profile(spec: Mapping[str, Any], name: str, note: str) -> dict[str, str]:
    resource = {"dog_air_scent": "dog"}.get(spec["resource"], "ground")
    qualifications = "SAR Tech II, first aid"
    medical = ""
    if "handler" in note:
        qualifications = "K9 handler (air scent), dog: Juno"
    if "protected" in note:
        qualifications = ""
        resource = "other"
    if name == "Jo Keane":
        medical = "asthma: inhaler in the left chest pocket"
    contact = f"radio call sign {spec['id']}-{name.split()[0]}"
    return {
        "qualifications": qualifications,
        "resource_type": resource,
        "medical_notes": medical,
        "contact": contact,
    }
