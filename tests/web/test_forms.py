"""Forms refuse bad input next to the field and send nothing; sign-in works by keyboard alone.

"Sends nothing" is asserted on the requests the page made (recorded by the ``contexts``
guard): no POST to the resource, and on the field view nothing queued either.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Locator, Page, expect

from web.pages import distance_px, field_error, open_command_post, open_field_view

if TYPE_CHECKING:
    from web.conftest import Contexts, Site

DESK = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
#: An error message must sit next to its field: centres at most this far apart (CSS px).
NEXT_TO_PX = 160

Shot = Callable[[Page, str], Path]


def _open(view: str, contexts: Contexts, site: Site) -> Page:
    live = site.live
    if view == "command-post":
        page = contexts.new_page(viewport=DESK)
        open_command_post(page, site.origin, *live.commander, live.incident_id, ready=False)
        return page
    page = contexts.new_page(
        viewport=PHONE,
        is_mobile=True,
        geolocation={"latitude": live.inside[0], "longitude": live.inside[1]},
        permissions=["geolocation"],
    )
    open_field_view(page, site.origin, *live.searcher)
    return page


def _assert_error_next_to(form: Locator, field: str) -> str:
    error = field_error(form, field)
    expect(error).to_be_visible()
    text = error.inner_text().strip()
    assert len(text) >= 5, f"field-error for {field} says too little: {text!r}"
    assert distance_px(error, form.get_by_test_id(field)) <= NEXT_TO_PX, (
        f"the message for {field} is not next to the field"
    )
    return text


#: The note of every bad clue these tests try: none may ever reach the server.
BAD_NOTE = "browser test: bad input (never stored)"


def _assert_no_bad_clue_stored(site: Site) -> None:
    live = site.live
    clues = site.api(*live.commander).get(f"/incidents/{live.incident_id}/clues")
    assert [c for c in clues if c.get("note") == BAD_NOTE] == []


def _fill_clue(form: Locator, lat: str, lon: str, note: str = BAD_NOTE) -> None:
    form.get_by_test_id("clue-lat").fill(lat)
    form.get_by_test_id("clue-lon").fill(lon)
    form.get_by_test_id("clue-kind").select_option("item")
    form.get_by_test_id("clue-note").fill(note)
    form.get_by_test_id("clue-submit").click()


#: (lat, lon, the fields that must show a message): out of range, not a number, empty.
OUT_OF_RANGE = [
    ("91", "-84.28", ["clue-lat"]),
    ("-90.5", "-84.28", ["clue-lat"]),
    ("36.55", "-181", ["clue-lon"]),
    ("95", "200", ["clue-lat", "clue-lon"]),
    ("north", "-84.28", ["clue-lat"]),
    ("", "-84.28", ["clue-lat"]),
]


@pytest.mark.parametrize("view", ["command-post", "field"])
def test_a_clue_with_coordinates_out_of_range_is_refused_at_the_field(
    contexts: Contexts, web_app: Site, view: str
) -> None:
    page = _open(view, contexts, web_app)
    form = page.get_by_test_id("clue-form")
    for lat, lon, bad in OUT_OF_RANGE:
        _fill_clue(form, lat, lon)
        for field in bad:
            _assert_error_next_to(form, field)
        for field in {"clue-lat", "clue-lon"} - set(bad):
            expect(field_error(form, field)).to_be_hidden()
    page.wait_for_timeout(500)  # (not time.sleep: request events arrive while waiting)
    assert contexts.posts("/clues") == [], "a bad clue was sent"
    _assert_no_bad_clue_stored(web_app)
    if view == "field":
        expect(page.get_by_test_id("queue-count")).to_have_text(re.compile(r"^\D*0\D*$"))


@pytest.mark.parametrize("view", ["command-post", "field"])
def test_a_clue_outside_the_map_is_refused(
    contexts: Contexts, web_app: Site, shot: Shot, view: str
) -> None:
    west, south, _east, _north = web_app.live.bounds
    page = _open(view, contexts, web_app)
    form = page.get_by_test_id("clue-form")
    _fill_clue(form, f"{south - 0.5:.5f}", f"{west - 0.5:.5f}")  # valid, but off the map
    error = field_error(form, "clue-lat").or_(field_error(form, "clue-lon")).first
    expect(error).to_be_visible()
    assert re.search(r"map|outside|area|bounds", error.inner_text(), re.I), error.inner_text()
    shot(page, f"{view}-clue-outside-map")
    page.wait_for_timeout(500)  # (not time.sleep: request events arrive while waiting)
    assert contexts.posts("/clues") == [], "a clue outside the map was sent"
    _assert_no_bad_clue_stored(web_app)


@pytest.mark.parametrize("name", ["", "   "])
def test_intake_with_an_empty_name_is_refused(
    contexts: Contexts, web_app: Site, shot: Shot, name: str
) -> None:
    page = _open("command-post", contexts, web_app)
    form = page.get_by_test_id("intake-form")
    if not form.is_visible():  # folded away (a <details>): open it as a user would
        page.locator("details", has=form).locator("summary").first.click()
    form.get_by_test_id("intake-name").fill(name)
    form.get_by_test_id("intake-submit").click()
    text = _assert_error_next_to(form, "intake-name")
    assert re.search(r"name", text, re.I), text
    shot(page, "command-post-intake-empty-name")
    page.wait_for_timeout(500)  # (not time.sleep: request events arrive while waiting)
    assert contexts.posts("/members") == [], "an empty name was sent"


def _focused_testid(page: Page) -> str | None:
    got: str | None = page.evaluate(
        "() => document.activeElement && document.activeElement.getAttribute('data-testid')"
    )
    return got


def _tab_to(page: Page, testid: str, *, most: int = 30) -> None:
    for _ in range(most):
        if _focused_testid(page) == testid:
            return
        page.keyboard.press("Tab")
    pytest.fail(f"{testid} was not reached with Tab in {most} presses")


@pytest.mark.parametrize(
    ("path", "form_id", "signed_in"),
    [("/", "login-form", "map"), ("/field/", "field-login-form", "my-assignment")],
)
def test_sign_in_works_with_the_keyboard_alone(
    contexts: Contexts, web_app: Site, path: str, form_id: str, signed_in: str
) -> None:
    live = web_app.live
    login, password = live.commander if path == "/" else live.searcher
    page = contexts.new_page(viewport=DESK if path == "/" else PHONE)
    page.goto(web_app.origin + path)
    form = page.get_by_test_id(form_id)
    form.wait_for(state="visible")
    for field in ("login-username", "login-password"):
        labels = form.get_by_test_id(field).evaluate("el => [...el.labels].map(l => l.innerText)")
        assert labels and labels[0].strip(), f"{field} has no <label for>"

    _tab_to(page, "login-username")
    focus = page.evaluate(
        """() => { const el = document.activeElement, s = getComputedStyle(el);
            return {visible: el.matches(':focus-visible'),
                    ring: (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0)
                          || s.boxShadow !== 'none'}; }"""
    )
    assert focus == {"visible": True, "ring": True}, f"no visible focus: {focus}"
    page.keyboard.type(login)
    _tab_to(page, "login-password")
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.get_by_test_id(signed_in).wait_for(state="visible")
    expect(form).to_be_hidden()
