"""The command-post view in Debian's chromium: the demo's map, and the field seen live.

The demo incident (closed at the end of its story, its plan linked) shows the POA heat
and the segments; on the open live incident a searcher's phone (a second browser context)
answers a roll call and moves, and the command post sees both within 2 s over the
WebSocket, without a reload.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from playwright.sync_api import Page, expect

from web.pages import (
    is_on,
    map_layers,
    open_command_post,
    open_field_view,
    wait_for_marker,
)

if TYPE_CHECKING:
    from web.conftest import Contexts, Site

#: How late a field event may show on the command post (the issue's bar).
LIVE_WITHIN_MS = 2_000
DESK = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}

Shot = Callable[[Page, str], Path]


def _layer_ids(page: Page, word: str) -> list[str]:
    return [
        layer["id"]
        for layer in map_layers(page)
        if word in layer["id"].lower() or word in str(layer["source"]).lower()
    ]


def test_the_demo_incident_shows_poa_heat_and_segments(
    contexts: Contexts, web_app: Site, shot: Shot
) -> None:
    demo_id = web_app.live.demo_incident_id
    assert demo_id is not None, "the demo incident is missing from the demo's database"
    page = contexts.new_page(viewport=DESK)
    open_command_post(
        page, web_app.origin, "commander", web_app.demo.passwords["commander"], demo_id
    )
    poa, segments = _layer_ids(page, "poa"), _layer_ids(page, "segment")
    assert poa, f"no POA layer in the map style: {[x['id'] for x in map_layers(page)]}"
    assert segments, f"no segment layer in the map style: {[x['id'] for x in map_layers(page)]}"
    expect(page.get_by_test_id("layer-poa")).to_be_checked()
    expect(page.get_by_test_id("layer-segments")).to_be_checked()
    tiles = [s for s in contexts.sent if f"/incidents/{demo_id}/map/tiles/poa/" in s.path]
    assert tiles, "no POA tile was requested"
    assert any(s.path == f"/incidents/{demo_id}/map/segments.geojson" for s in contexts.sent)
    features = page.evaluate(
        """(ids) => { const map = window.__wayhome.map;
            const src = map.getLayer(ids[0]).source;
            return map.querySourceFeatures(src).length; }""",
        segments,
    )
    assert features > 0, "the segments source holds no features"
    shot(page, "command-post")

    page.get_by_test_id("layer-poa").uncheck()
    assert {x["visibility"] for x in map_layers(page) if x["id"] in poa} == {"none"}
    page.get_by_test_id("layer-poa").check()
    assert {x["visibility"] for x in map_layers(page) if x["id"] in poa} == {"visible"}

    with page.expect_request(lambda r: "/map/tiles/poa/" in r.url) as first:
        page.get_by_test_id("poa-model").select_option("prior")
    assert "model=prior" in first.value.url, first.value.url


def test_a_field_answer_and_move_show_on_the_command_post_within_2_s(
    contexts: Contexts, live_site: Site, shot: Shot
) -> None:
    web_app = live_site  # SQLite (the demo's database) and PostgreSQL
    live = web_app.live
    member = live.searcher_member_id
    lat0, lon0 = live.inside
    post = contexts.new_page(viewport=DESK)
    open_command_post(post, web_app.origin, *live.commander, live.incident_id)

    phone = contexts.new(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        geolocation={"latitude": lat0, "longitude": lon0, "accuracy": 5},
        permissions=["geolocation"],
    )
    field = phone.new_page()
    open_field_view(field, web_app.origin, *live.searcher)
    share = field.get_by_test_id("share-position")
    if not is_on(share):
        share.click()
    assert is_on(share)
    wait_for_marker(post, member, lat0, lon0, timeout_ms=10_000)

    post.get_by_test_id("roll-call-start").click()
    row = post.get_by_test_id(f"roll-call-answer-{member}")
    expect(row).to_have_attribute("data-state", re.compile("pending|missing"))
    prompt = field.get_by_test_id("roll-call-prompt")
    prompt.wait_for(state="visible")
    shot(field, f"field-view-roll-call{web_app.tag}")
    field.get_by_test_id("roll-call-ack").click()
    started = time.monotonic()
    expect(row).to_have_attribute("data-state", "answered", timeout=LIVE_WITHIN_MS)
    answered_s = time.monotonic() - started

    lat1, lon1 = lat0 + 0.003, lon0 + 0.002  # about 330 m to the north-east
    phone.set_geolocation({"latitude": lat1, "longitude": lon1, "accuracy": 5})
    started = time.monotonic()
    wait_for_marker(post, member, lat1, lon1, timeout_ms=LIVE_WITHIN_MS)
    moved_s = time.monotonic() - started
    shot(post, f"command-post-live{web_app.tag}")
    shot(field, f"field-view{web_app.tag}")
    assert answered_s < LIVE_WITHIN_MS / 1000 and moved_s < LIVE_WITHIN_MS / 1000

    api = web_app.api(*live.commander)
    latest = api.get(f"/incidents/{live.incident_id}/positions/latest")
    mine = [p for p in latest if p["member_id"] == member]
    assert mine and abs(mine[0]["lat"] - lat1) < 1e-5 and abs(mine[0]["lon"] - lon1) < 1e-5
    calls = api.get(f"/incidents/{live.incident_id}/roll-calls")
    answers = {a["member_id"]: a["status"] for a in calls[-1]["answers"]}
    assert answers[member] == "answered"


def test_no_request_leaves_the_servers_origin(contexts: Contexts, web_app: Site) -> None:
    live = web_app.live
    post = contexts.new_page(viewport=DESK)
    open_command_post(post, web_app.origin, *live.commander, live.incident_id)
    field = contexts.new_page(
        viewport=PHONE,
        geolocation={"latitude": live.inside[0], "longitude": live.inside[1]},
        permissions=["geolocation"],
    )
    open_field_view(field, web_app.origin, *live.searcher)
    post.wait_for_function(
        "() => window.__wayhome.map.areTilesLoaded && window.__wayhome.map.areTilesLoaded()"
    )
    assert len(contexts.sent) > 10, "the guard saw (almost) no traffic"
    assert any(s.method == "WEBSOCKET" and "/live" in s.path for s in contexts.sent)
    assert contexts.foreign == [], contexts.foreign
    offsite = post.evaluate(
        """() => performance.getEntriesByType('resource').map(e => e.name)
            .filter(u => !u.startsWith(location.origin) && !/^(data|blob):/.test(u))"""
    )
    assert offsite == []


def test_the_coordinate_readout_follows_the_chosen_format(
    contexts: Contexts, web_app: Site
) -> None:
    live = web_app.live
    page = contexts.new_page(viewport=DESK)
    open_command_post(page, web_app.origin, *live.commander, live.incident_id)
    box = page.get_by_test_id("map").bounding_box()
    assert box is not None
    readout = page.get_by_test_id("coord-readout")
    formats = {
        "latlon": re.compile(r"-?\d{1,2}\.\d+.*-?\d{1,3}\.\d+"),
        "utm": re.compile(r"\b\d{1,2}\s?[C-X]?\s+\d{6}\s*[mE]*\s+\d{7}"),
        "mgrs": re.compile(r"\b\d{1,2}[C-X]\s?[A-Z]{2}\s?\d{2,5}\s?\d{2,5}"),
    }
    for i, (name, pattern) in enumerate(formats.items()):
        page.get_by_test_id("coord-format").select_option(name)
        page.mouse.move(box["x"] + box["width"] * (0.4 + 0.05 * i), box["y"] + box["height"] / 2)
        expect(readout).to_have_text(pattern)


def test_the_sunlight_theme_persists(contexts: Contexts, web_app: Site) -> None:
    live = web_app.live
    page = contexts.new_page(viewport=DESK)
    open_command_post(page, web_app.origin, *live.commander, live.incident_id, ready=False)
    looks = (
        "() => [document.documentElement, document.body]"
        ".map(e => e.className + '|' + (e.dataset.theme || '')).join('/')"
    )
    before = page.evaluate(looks)
    page.get_by_test_id("theme-toggle").click()
    after = page.evaluate(looks)
    assert after != before, "the theme toggle changed neither class nor data-theme"
    page.reload()
    page.get_by_test_id("theme-toggle").wait_for(state="attached")
    assert page.evaluate(looks) == after
