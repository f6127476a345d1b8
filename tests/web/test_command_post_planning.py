"""The command post plans in Debian's chromium: intake, assignments, pairs, alerts, keyboard, a11y.

Runs on the served demo's live incident (SQLite). A module fixture adds what the tests
need behind the pages: a planning-role login, a landowner's jurisdiction over one segment
(shrunk so it touches no other), two teams of this module (one pair with a member who
needs protection), a rendezvous point. What a form refuses is asserted on the requests
the page made (the ``contexts`` guard records them): nothing reaches the server.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Page, expect

from web.harness import Api
from web.pages import distance_px, field_error, open_command_post, open_field_view

if TYPE_CHECKING:
    from web.conftest import Contexts, Site

DESK = {"width": 1440, "height": 1000}
NEXT_TO_PX = 160
REPO = Path(__file__).resolve().parents[2]
AXE = REPO / "web" / "node_modules" / "axe-core" / "axe.min.js"
PLANNER = ("cp-planner", "browser-test-planner")

Shot = Callable[[Page, str], Path]


@dataclass(frozen=True)
class Planning:
    """What the module fixture set up on the live incident."""

    site: Site
    commander: Api
    incident_id: int
    #: Segment ids: one inside the landowner's jurisdiction, one free of any.
    fenced: str
    free: str
    #: A point inside the fenced segment's jurisdiction, (lat, lon).
    fenced_point: tuple[float, float]
    #: (lon, lat) of a point inside each segment, for clicks.
    points: dict[str, tuple[float, float]]
    jurisdiction_name: str
    #: Team P: a pair with a member who needs protection (p_protected) and their protector.
    team_p: int
    p_protected: int
    p_protector: int
    #: Team Q: a pair last heard from 20 minutes ago.
    team_q: int
    q_members: tuple[int, int]
    rendezvous: int


def _post(api: Api, path: str, body: Any, *, ok: tuple[int, ...] = (200, 201)) -> Any:
    status, answer = api.request("POST", path, body)
    assert status in ok, f"POST {path}: {status} {answer}"
    return answer


def _now() -> datetime:
    return datetime.now(UTC)


def _member(api: Api, iid: int, name: str, *, protected: bool = False) -> int:
    m = _post(api, f"/incidents/{iid}/members", {"name": name, "needs_protection": protected})
    status, answer = api.request(
        "PUT", f"/incidents/{iid}/members/{m['id']}/status", {"status": "checked_in"}
    )
    assert status == 200, answer
    return int(m["id"])


def _position(api: Api, iid: int, member_id: int, lat: float, lon: float, when: datetime) -> None:
    body = {"id": str(uuid.uuid4()), "member_id": member_id, "lat": lat, "lon": lon}
    _post(api, f"/incidents/{iid}/positions", {**body, "time": when.isoformat()})


@pytest.fixture(scope="module")
def planning(web_app: Site) -> Planning:
    from shapely.geometry import Point, mapping, shape
    from sqlalchemy import select

    from wayhome.store import (
        add_agency,
        add_jurisdiction,
        create_user,
        engine_from_url,
        grant_role,
        session_factory,
    )
    from wayhome.store.models import AppUser

    site = web_app
    live = site.live
    iid = live.incident_id
    api = site.api(*live.commander)
    segments = api.get(f"/incidents/{iid}/map/segments.geojson")["features"]
    west, south, east, north = live.bounds
    centre = Point((west + east) / 2, (south + north) / 2)
    shapes = {str(f["properties"]["id"]): shape(f["geometry"]) for f in segments}
    by_distance = sorted(shapes, key=lambda k: shapes[k].centroid.distance(centre))
    free, fenced = by_distance[0], by_distance[-1]
    # Shrunk by a tenth of its size: the fence touches no neighbouring segment.
    inner = shapes[fenced].buffer(-0.1 * (shapes[fenced].area ** 0.5))
    points = {k: s.representative_point() for k, s in shapes.items()}
    name = f"Harlan Ridge club land {uuid.uuid4().hex[:4]}"
    engine = engine_from_url(site.demo.database_url)
    try:
        with session_factory(engine)() as s:
            agency = add_agency(
                s, name="Harlan Ridge Hunting Club", kind="private_landowner", contact="555 0199"
            )
            add_jurisdiction(s, agency_id=agency.id, name=name, geometry=mapping(inner))
            if s.scalars(select(AppUser).where(AppUser.login == PLANNER[0])).first() is None:
                user = create_user(s, login=PLANNER[0], name="Plans Section", password=PLANNER[1])
                grant_role(s, incident_id=iid, user_id=user.id, role="planning", actor="tests")
    finally:
        engine.dispose()
    a, b = _member(api, iid, "Pip Young", protected=True), _member(api, iid, "Bea Guard")
    c, d = _member(api, iid, "Cal Quill"), _member(api, iid, "Dee Quill")
    team_p = _post(
        api,
        f"/incidents/{iid}/teams",
        {"name": "P", "pairs": [{"member_ids": [a, b], "protector_id": b}], "leader_id": b},
    )
    team_q = _post(api, f"/incidents/{iid}/teams", {"name": "Q", "pairs": [{"member_ids": [c, d]}]})
    lat0, lon0 = live.inside
    place = _post(
        api,
        f"/incidents/{iid}/places",
        {"kind": "rendezvous", "name": "RV Creek ford", "lat": lat0, "lon": lon0},
    )
    fp = inner.representative_point()
    return Planning(
        site=site,
        commander=api,
        incident_id=iid,
        fenced=fenced,
        free=free,
        fenced_point=(fp.y, fp.x),
        points={k: (p.x, p.y) for k, p in points.items()},
        jurisdiction_name=name,
        team_p=int(team_p["id"]),
        p_protected=a,
        p_protector=b,
        team_q=int(team_q["id"]),
        q_members=(c, d),
        rendezvous=int(place["id"]),
    )


def _open(contexts: Contexts, p: Planning, login: tuple[str, str] | None = None) -> Page:
    page = contexts.new_page(viewport=DESK)
    who = login or p.site.live.commander
    open_command_post(page, p.site.origin, *who, p.incident_id)
    return page


def _next_to(page: Page, testid: str) -> str:
    error = field_error(page, testid)
    expect(error).to_be_visible()
    assert distance_px(error, page.get_by_test_id(testid)) <= NEXT_TO_PX, testid
    return error.inner_text()


def _click_segment(page: Page, p: Planning, segment: str) -> None:
    lon, lat = p.points[segment]
    page.evaluate(
        "([lon, lat]) => window.__wayhome.map.jumpTo({center: [lon, lat], zoom: 14})", [lon, lat]
    )
    page.evaluate(
        "() => new Promise(r => { const m = window.__wayhome.map;"
        " if (m.loaded()) r(null); else m.once('idle', () => r(null)); })"
    )
    xy = page.evaluate(
        "([lon, lat]) => { const p = window.__wayhome.map.project([lon, lat]);"
        " const r = window.__wayhome.map.getCanvas().getBoundingClientRect();"
        " return [r.left + p.x, r.top + p.y]; }",
        [lon, lat],
    )
    page.mouse.click(xy[0], xy[1])


# --- 1. subject intake ----------------------------------------------------------------


def test_subject_intake_refuses_bad_input_then_shows_the_code_once_and_live_status(
    contexts: Contexts, planning: Planning, shot: Shot
) -> None:
    p = planning
    page = _open(contexts, p)
    page.get_by_test_id("subject-intake").locator("summary").click()
    form = page.get_by_test_id("subject-form")
    form.get_by_test_id("subject-submit").click()
    assert "Name is required" in _next_to(page, "subject-name")
    for testid in ("subject-lat", "subject-lon", "guardian-name", "guardian-relation"):
        _next_to(page, testid)
    form.get_by_test_id("subject-name").fill("Lily Moore")
    form.get_by_test_id("subject-category").select_option("child")
    form.get_by_test_id("subject-lat").fill("95")
    form.get_by_test_id("subject-lon").fill("-200")
    form.get_by_test_id("subject-submit").click()
    assert "between -90 and 90" in _next_to(page, "subject-lat")
    assert "between -180 and 180" in _next_to(page, "subject-lon")
    assert "needs an age" in _next_to(page, "subject-age")
    west, _south, _east, north = p.site.live.bounds
    form.get_by_test_id("subject-lat").fill(f"{north + 0.2:.5f}")
    form.get_by_test_id("subject-lon").fill(f"{west - 0.2:.5f}")
    form.get_by_test_id("subject-age").fill("6")
    form.get_by_test_id("guardian-name").fill("Ann Moore")
    form.get_by_test_id("guardian-relation").fill("mother")
    form.get_by_test_id("guardian-id-document").fill("driver's licence TN ...0421")
    form.get_by_test_id("subject-submit").click()
    assert "outside the search map" in _next_to(page, "subject-lat")
    shot(page, "cp-subject-intake-errors")
    assert contexts.posts("/subjects") == [], "a refused intake reached the server"

    lat, lon = p.site.live.inside
    form.get_by_test_id("subject-lat").fill(f"{lat:.6f}")
    form.get_by_test_id("subject-lon").fill(f"{lon:.6f}")
    form.get_by_test_id("subject-description").fill("red raincoat, blue boots")
    form.get_by_test_id("subject-submit").click()
    code = page.get_by_test_id("handover-code-once")
    expect(code).to_be_visible()
    assert len(code.inner_text().strip()) >= 6
    assert len(contexts.posts("/subjects")) == 1
    subjects = p.commander.get(f"/incidents/{p.incident_id}/subjects")
    lily = next(s for s in subjects if s["name"] == "Lily Moore")
    row = page.get_by_test_id(f"subject-{lily['id']}")
    expect(row).to_have_attribute("data-status", "missing")
    shot(page, "cp-subject-handover-code")
    page.keyboard.press("Escape")  # the code box has focus: Escape hides it for good
    expect(page.get_by_test_id("handover-code-box")).to_be_hidden()
    assert "handover_code" not in json.dumps(
        p.commander.get(f"/incidents/{p.incident_id}/subjects")
    )

    # Found and handed over elsewhere: the panel follows over the live socket.
    found = {"member_id": p.site.live.member_ids[0], "lat": lat, "lon": lon, "condition": "cold"}
    _post(p.commander, f"/incidents/{p.incident_id}/subjects/{lily['id']}/found", found)
    expect(row).to_have_attribute("data-status", "found", timeout=2000)
    code_text = code.inner_text() if code.count() else ""
    assert code_text == "", "the handover code is still on the page"
    transfer = {"to": "County EMS Medic 4", "reason": "hypothermia check"}
    _post(p.commander, f"/incidents/{p.incident_id}/subjects/{lily['id']}/transfer", transfer)
    expect(row).to_have_attribute("data-status", "transferred", timeout=2000)
    expect(page.get_by_test_id(f"subject-status-{lily['id']}")).to_have_text("transferred")
    shot(page, "cp-subject-live-status")


# --- 2. assignments -------------------------------------------------------------------


def test_an_assignment_made_by_clicking_a_segment(
    contexts: Contexts, planning: Planning, shot: Shot
) -> None:
    p = planning
    page = _open(contexts, p)
    _click_segment(page, p, p.free)
    form = page.get_by_test_id("assignment-form")
    expect(form).to_be_visible()
    expect(form.get_by_test_id("assign-segment")).to_have_value(p.free)
    form.get_by_test_id("assign-submit").click()
    _next_to(page, "assign-team")
    assert contexts.posts("/assignments") == []
    form.get_by_test_id("assign-team").select_option(str(p.team_p))
    form.get_by_test_id("assign-rendezvous").select_option(str(p.rendezvous))
    form.get_by_test_id("assign-instructions").fill("Sweep the creek bank, hasty search")
    turn = (datetime.now() + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    form.get_by_test_id("assign-turnaround").fill(turn)
    form.get_by_test_id("assign-submit").click()
    expect(page.get_by_test_id("assign-status")).to_contain_text(f"segment {p.free}")
    made = [
        a
        for a in p.commander.get(f"/incidents/{p.incident_id}/assignments")
        if a["team_id"] == p.team_p and a["segment"] == p.free
    ]
    assert len(made) == 1
    a = made[0]
    assert a["rendezvous_id"] == p.rendezvous and a["turnaround_at"] is not None
    assert a["instructions"] == "Sweep the creek bank, hasty search"
    expect(page.get_by_test_id(f"assignment-{a['id']}")).to_have_attribute("data-status", "planned")
    shot(page, "cp-assignment-created")


def test_a_grant_refusal_is_shown_and_only_the_commander_may_override(
    contexts: Contexts, planning: Planning, shot: Shot
) -> None:
    p = planning
    # The planner: the refusal, and no override offered.
    page = _open(contexts, p, PLANNER)
    page.get_by_test_id("assignment-new-toggle").click()
    form = page.get_by_test_id("assignment-form")
    form.get_by_test_id("assign-segment").select_option(p.fenced)
    form.get_by_test_id("assign-team").select_option(str(p.team_q))
    form.get_by_test_id("assign-submit").click()
    refusal = page.get_by_test_id("assign-refusal")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text(p.jurisdiction_name)
    expect(refusal).to_contain_text("ask the incident commander")
    expect(form.get_by_test_id("assign-override")).to_be_hidden()
    shot(page, "cp-assignment-refused-planner")

    # The commander: the refusal, then the override with its reason.
    page = _open(contexts, p)
    _click_segment(page, p, p.fenced)
    form = page.get_by_test_id("assignment-form")
    expect(form.get_by_test_id("assign-segment")).to_have_value(p.fenced)
    form.get_by_test_id("assign-team").select_option(str(p.team_q))
    form.get_by_test_id("assign-submit").click()
    refusal = page.get_by_test_id("assign-refusal")
    expect(refusal).to_contain_text(p.jurisdiction_name)
    override = form.get_by_test_id("assign-override")
    expect(override).to_be_visible()
    expect(override).to_be_focused()
    shot(page, "cp-assignment-refused-commander")
    sent = len(contexts.posts("/assignments"))
    form.get_by_test_id("assign-submit").click()  # no reason yet: refused in the page
    assert "reason" in _next_to(page, "assign-override")
    assert len(contexts.posts("/assignments")) == sent
    override.fill("Landowner reached by radio, written grant follows")
    form.get_by_test_id("assign-submit").click()
    expect(page.get_by_test_id("assign-status")).to_contain_text("override logged")
    made = [
        a
        for a in p.commander.get(f"/incidents/{p.incident_id}/assignments")
        if a["segment"] == p.fenced and a["team_id"] == p.team_q
    ]
    assert [a["grant_override"] for a in made] == [
        "Landowner reached by radio, written grant follows"
    ]
    expect(refusal).to_be_hidden()


# --- 3. pairs, contact ages, overdue banner, hazard and trespass toasts ---------------------


def test_pairs_contact_ages_overdue_banner_and_alert_toasts(
    contexts: Contexts, planning: Planning, shot: Shot
) -> None:
    p = planning
    iid = p.incident_id
    api = p.commander
    lat, lon = p.site.live.inside
    now = _now()
    _position(api, iid, p.p_protected, lat + 0.0004, lon + 0.0004, now)
    _position(api, iid, p.p_protector, lat + 0.0006, lon + 0.0003, now)
    for m in p.q_members:
        _position(api, iid, m, lat - 0.0008, lon - 0.0006, now - timedelta(minutes=20))
    page = _open(contexts, p)

    # Pairs: same colour key on the map and in the roster; the protected member marked.
    a = page.get_by_test_id(f"member-marker-{p.p_protected}")
    b = page.get_by_test_id(f"member-marker-{p.p_protector}")
    expect(a).to_be_visible()
    key = a.get_attribute("data-pair")
    assert key and key == b.get_attribute("data-pair")
    colour = "el => getComputedStyle(el).getPropertyValue('--pair').trim()"
    assert a.evaluate(colour) == b.evaluate(colour) != ""
    expect(a).to_have_class(re.compile(r"(^|\s)protected(\s|$)"))
    row_a = page.get_by_test_id(f"roster-member-{p.p_protected}")
    assert row_a.get_attribute("data-pair") == key
    assert page.get_by_test_id(f"roster-member-{p.p_protector}").get_attribute("data-pair") == key
    expect(page.get_by_test_id(f"protected-{p.p_protected}")).to_be_visible()
    expect(page.locator(f"[data-testid^=pair-{p.team_p}-]")).to_contain_text("Pip Young")

    # Contact ages: P fresh, Q stale (20 min).
    expect(page.get_by_test_id(f"team-row-{p.team_p}")).to_have_attribute("data-contact", "fresh")
    expect(page.get_by_test_id(f"team-row-{p.team_q}")).to_have_attribute("data-contact", "stale")

    # Q past its turnaround: overdue, in the banner and on its row.
    past = (now - timedelta(minutes=5)).isoformat()
    job = _post(
        api,
        f"/incidents/{iid}/assignments",
        {"team_id": p.team_q, "segment": p.free, "turnaround_at": past},
    )
    status, answer = api.request(
        "PUT", f"/incidents/{iid}/assignments/{job['id']}/status", {"status": "in_progress"}
    )
    assert status == 200, answer
    _post(api, f"/incidents/{iid}/overdue-checks", None)
    banner = page.get_by_test_id("overdue-banner")
    expect(banner).to_be_visible(timeout=2000)
    expect(page.get_by_test_id(f"overdue-team-{p.team_q}")).to_contain_text("Team Q")
    expect(page.get_by_test_id(f"team-row-{p.team_q}")).to_have_attribute("data-contact", "overdue")

    # A hazard zone entered, then a trespass on the landowner's land: one toast each.
    d = 0.002
    zone = {
        "type": "Polygon",
        "coordinates": [
            [
                [lon - d, lat - d],
                [lon + d, lat - d],
                [lon + d, lat + d],
                [lon - d, lat + d],
                [lon - d, lat - d],
            ]
        ],
    }
    _post(
        api, f"/incidents/{iid}/hazards", {"name": "Quarry edge", "kind": "cliff", "geometry": zone}
    )
    _position(api, iid, p.p_protector, lat, lon, _now())
    hazard = page.get_by_test_id("toast-hazard").first
    expect(hazard).to_contain_text("Bea Guard", timeout=2000)
    expect(hazard).to_contain_text("Quarry edge")
    flat, flon = p.fenced_point
    _position(api, iid, p.q_members[0], flat, flon, _now())
    trespass = page.get_by_test_id("toast-trespass").first
    expect(trespass).to_contain_text("Cal Quill", timeout=2000)
    expect(trespass).to_contain_text(p.jurisdiction_name)
    shot(page, "cp-pairs-overdue-toasts")
    # Escape on a toast's button dismisses it.
    trespass.get_by_test_id("toast-dismiss").focus()
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("toast-trespass")).to_have_count(0)
    # Done: the banner clears.
    status, answer = api.request(
        "PUT", f"/incidents/{iid}/assignments/{job['id']}/status", {"status": "completed"}
    )
    assert status == 200, answer
    expect(banner).to_be_hidden(timeout=2000)


# --- 4. segment colouring and clue application --------------------------------------------


def test_segment_colouring_legend_and_a_clue_applied_refreshes_the_poa(
    contexts: Contexts, planning: Planning, shot: Shot
) -> None:
    p = planning
    page = _open(contexts, p)
    legend = page.get_by_test_id("segment-legend")
    expect(legend).to_have_attribute("data-colouring", "poa")
    expect(legend).to_contain_text("POA")
    page.get_by_test_id("segment-colour").select_option("pod")
    expect(legend).to_have_attribute("data-colouring", "pod")
    expect(legend).to_contain_text("cumulative POD")
    paint = page.evaluate(
        "() => JSON.stringify(window.__wayhome.map.getPaintProperty('segments-fill', 'fill-color'))"
    )
    assert "pod_cumulative" in paint
    shot(page, "cp-segments-pod")
    page.get_by_test_id("segment-colour").select_option("poa")
    expect(legend).to_have_attribute("data-colouring", "poa")

    version = p.commander.get(f"/incidents/{p.incident_id}/map")["version"]
    lat, lon = p.site.live.inside
    clue = {
        "id": str(uuid.uuid4()),
        "kind": "item",
        "lat": lat,
        "lon": lon,
        "bearing_deg": None,
        "time": _now().isoformat(),
        "note": "blue boot, child size",
        "member_id": None,
    }
    _post(p.commander, f"/incidents/{p.incident_id}/clues", clue)
    apply = page.get_by_test_id(f"clue-apply-{clue['id']}")
    expect(apply).to_be_visible(timeout=2000)  # came over the live socket
    before = {s.url for s in contexts.sent if "/map/tiles/poa/" in s.url}
    apply.click()
    expect(page.get_by_test_id(f"clue-applied-{clue['id']}")).to_be_visible(timeout=30_000)
    new_version = p.commander.get(f"/incidents/{p.incident_id}/map")["version"]
    assert new_version != version
    page.wait_for_function(
        "(v) => window.__wayhome.map.getSource('poa').tiles[0]"
        ".includes('v=' + encodeURIComponent(v))",
        arg=str(new_version),
    )
    page.wait_for_timeout(500)
    after = [s.url for s in contexts.sent if "/map/tiles/poa/" in s.url and s.url not in before]
    assert after, "no POA tile was fetched again after the clue was applied"
    shot(page, "cp-clue-applied")


# --- 5. keyboard and accessibility -----------------------------------------------------


def _tab_to(page: Page, testid: str, limit: int = 400) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(t) => document.activeElement?.dataset?.testid === t", testid):
            return
    raise AssertionError(f"{testid} never got the focus by Tab")


def test_the_planning_forms_work_by_keyboard_alone(contexts: Contexts, planning: Planning) -> None:
    p = planning
    page = _open(contexts, p)
    page.get_by_test_id("theme-toggle").focus()
    # Intake: open by Enter on its summary, submit empty by Enter: messages, nothing sent.
    page.get_by_test_id("subject-intake").locator("summary").focus()
    page.keyboard.press("Enter")
    _tab_to(page, "subject-name")
    page.keyboard.type("Keyboard Kid")
    _tab_to(page, "subject-submit")
    page.keyboard.press("Enter")
    expect(field_error(page, "subject-lat")).to_be_visible()
    # The focus goes to the first bad field: the age (a child needs one).
    expect(page.get_by_test_id("subject-age")).to_be_focused()
    # New assignment: open, choose by keys, Escape closes it and gives the focus back.
    _tab_to(page, "assignment-new-toggle")
    page.keyboard.press("Enter")
    _tab_to(page, "assign-segment")
    page.keyboard.press("ArrowDown")
    _tab_to(page, "assign-team")
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("assignment-form")).to_be_hidden()
    expect(page.get_by_test_id("assignment-new-toggle")).to_be_focused()
    for testid in ("segment-colour", "roll-call-start", "clue-submit"):
        _tab_to(page, testid)
    assert contexts.posts("/subjects") == []


def _axe(page: Page) -> list[dict[str, Any]]:
    page.evaluate(AXE.read_text("utf-8"))
    result: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const r = await window.axe.run(document, {
                runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
            });
            return r.violations
                .filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => ({id: v.id, impact: v.impact, help: v.help,
                            nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
        }"""
    )
    return result


@pytest.mark.parametrize("theme", ["normal", "sunlight"])
@pytest.mark.parametrize("view", ["command-post", "field"])
def test_no_serious_accessibility_violations(
    contexts: Contexts, planning: Planning, view: str, theme: str, shot: Shot
) -> None:
    if not AXE.is_file():
        pytest.fail(f"{AXE} missing: `npm --prefix web ci` installs axe-core (a dev dependency)")
    p = planning
    live = p.site.live
    if view == "command-post":
        page = _open(contexts, p)
        page.get_by_test_id("subject-intake").locator("summary").click()
        page.get_by_test_id("assignment-new-toggle").click()
    else:
        page = contexts.new_page(
            viewport={"width": 390, "height": 844},
            is_mobile=True,
            geolocation={"latitude": live.inside[0], "longitude": live.inside[1]},
            permissions=["geolocation"],
        )
        open_field_view(page, p.site.origin, *live.searcher)
    toggle = page.get_by_test_id("theme-toggle")
    on = toggle.get_attribute("aria-pressed") == "true"
    if on != (theme == "sunlight"):
        toggle.click()
    page.wait_for_timeout(300)
    violations = _axe(page)
    shot(page, f"a11y-{view}-{theme}")
    assert violations == [], json.dumps(violations, indent=1)
