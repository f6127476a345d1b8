"""The field view on a phone-sized context: offline queue, delivery once, the installable app.

Network loss is emulated by the browser (``context.set_offline``); what reached the server is
read back from its API (``GET /incidents/{id}/clues``), not from the page.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from playwright.sync_api import Page, expect

from web.harness import Api
from web.pages import open_field_view

if TYPE_CHECKING:
    from web.conftest import Contexts, Site

PHONE = {"width": 390, "height": 844}
ZERO = re.compile(r"^\D*0\D*$")
ONE = re.compile(r"^\D*1\D*$")

Shot = Callable[[Page, str], Path]


def _phone(contexts: Contexts, site: Site) -> Page:
    lat, lon = site.live.inside
    page = contexts.new_page(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        geolocation={"latitude": lat, "longitude": lon, "accuracy": 5},
        permissions=["geolocation"],
    )
    open_field_view(page, site.origin, *site.live.searcher)
    return page


def _clues(api: Api, incident_id: int, note: str) -> list[dict[str, Any]]:
    return [c for c in api.get(f"/incidents/{incident_id}/clues") if c.get("note") == note]


def _wait_for_clues(api: Api, incident_id: int, note: str, seconds: float) -> list[dict[str, Any]]:
    deadline = time.monotonic() + seconds
    found = _clues(api, incident_id, note)
    while not found and time.monotonic() < deadline:
        time.sleep(0.2)
        found = _clues(api, incident_id, note)
    return found


def test_a_clue_sent_offline_is_queued_and_delivered_once_back_online(
    contexts: Contexts, live_site: Site, shot: Shot
) -> None:
    web_app = live_site  # SQLite (the demo's database) and PostgreSQL
    live = web_app.live
    api = web_app.api(*live.commander)
    page = _phone(contexts, web_app)
    queue = page.get_by_test_id("queue-count")
    expect(queue).to_have_text(ZERO)
    expect(page.get_by_test_id("online-state")).to_have_text(re.compile("online", re.I))

    page.context.set_offline(True)
    expect(page.get_by_test_id("online-state")).to_have_text(re.compile("offline", re.I))
    note = f"browser test: red mitten by the creek {uuid.uuid4().hex[:8]}"
    form = page.get_by_test_id("clue-form")
    lat, lon = live.inside
    form.get_by_test_id("clue-lat").fill(f"{lat:.6f}")
    form.get_by_test_id("clue-lon").fill(f"{lon:.6f}")
    form.get_by_test_id("clue-kind").select_option("item")
    form.get_by_test_id("clue-note").fill(note)
    form.get_by_test_id("clue-submit").click()
    expect(queue).to_have_text(ONE)
    shot(page, f"field-view-offline-queued{web_app.tag}")
    page.wait_for_timeout(1000)  # give a leaky client time to slip it through
    assert _clues(api, live.incident_id, note) == [], "the clue reached the server while offline"

    page.context.set_offline(False)
    expect(queue).to_have_text(ZERO, timeout=20_000)
    delivered = _wait_for_clues(api, live.incident_id, note, seconds=10)
    assert len(delivered) == 1, delivered
    clue = delivered[0]
    assert clue["kind"] == "item"
    assert abs(clue["lat"] - lat) < 1e-5 and abs(clue["lon"] - lon) < 1e-5
    assert clue.get("member_id") in (None, live.searcher_member_id)

    page.reload()  # nothing left in the queue to send again
    page.get_by_test_id("my-assignment").wait_for(state="visible")
    expect(queue).to_have_text(ZERO)
    page.wait_for_timeout(2000)
    assert len(_clues(api, live.incident_id, note)) == 1, "the clue was delivered twice"
    shot(page, f"field-view-back-online{web_app.tag}")


def test_the_field_view_reopens_offline_from_its_cache(
    contexts: Contexts, web_app: Site, shot: Shot
) -> None:
    page = _phone(contexts, web_app)
    assert page.evaluate(
        """() => navigator.serviceWorker
            ? Promise.race([navigator.serviceWorker.ready.then(() => true),
                            new Promise(r => setTimeout(() => r(false), 10000))])
            : false"""
    ), "no service worker became ready at /field/"
    page.context.set_offline(True)
    page.reload()
    page.get_by_test_id("my-assignment").wait_for(state="visible")
    expect(page.get_by_test_id("online-state")).to_have_text(re.compile("offline", re.I))
    shot(page, "field-view-offline")


def test_the_field_view_is_installable(contexts: Contexts, web_app: Site) -> None:
    page = _phone(contexts, web_app)
    href = page.evaluate(
        "() => { const l = document.querySelector('link[rel=manifest]'); return l && l.href; }"
    )
    assert href, "the field view links no web app manifest"
    assert href.startswith(web_app.origin)
    status, manifest = Api(web_app.origin).request("GET", href[len(web_app.origin) :])
    assert status == 200
    if isinstance(manifest, str):  # served as application/manifest+json or text
        manifest = json.loads(manifest)
    assert manifest.get("name") or manifest.get("short_name")
    assert manifest.get("display") in ("standalone", "fullscreen", "minimal-ui")
    assert manifest.get("start_url")
    assert manifest.get("icons"), "an installable app needs icons"


def test_the_field_view_shows_my_assignment_and_buddy(contexts: Contexts, web_app: Site) -> None:
    page = _phone(contexts, web_app)
    expect(page.get_by_test_id("my-assignment")).to_be_visible()
    # Ada Field is paired with "Searcher 2" on team T1 (harness.prepare_live_incident).
    expect(page.get_by_test_id("my-buddy")).to_contain_text("Searcher 2")
    codes = page.get_by_test_id("signal-select").locator("option")
    assert codes.count() >= 2, "the signal codebook is empty"
    expect(page.get_by_test_id("signal-send")).to_be_visible()
    expect(page.get_by_test_id("injury-form")).to_be_attached()
