"""Coordinate inputs take any format a searcher reads off a GPS or a map (issue #8 item 4).

"Position (any format)" on the clue form (both views) and on the subject intake fills the
latitude and longitude fields; the expected point of every text is what the CLI reads
(:func:`wayhome.geo.coords.parse_location`), and the form must land within 1 m of it. A text
the form cannot read is refused next to the field and nothing is sent (asserted on the
requests the page made, recorded by the ``contexts`` guard).
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Locator, Page, expect

from wayhome.geo.coords import format_location, parse_location
from web.pages import distance_px, field_error, open_command_post, open_field_view

if TYPE_CHECKING:
    from web.conftest import Contexts, Site

DESK = {"width": 1440, "height": 1000}
PHONE = {"width": 390, "height": 844}
NEXT_TO_PX = 160
#: The note of every clue these tests try: none may ever reach the server.
NOTE = "browser test: coordinate input (never stored)"


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance between two (lat, lon) points, equirectangular (plenty for metres)."""
    lat = math.radians((a[0] + b[0]) / 2)
    dy = math.radians(a[0] - b[0]) * 6_371_000.0
    dx = math.radians(a[1] - b[1]) * 6_371_000.0 * math.cos(lat)
    return math.hypot(dx, dy)


def _ddm_gps(lat: float, lon: float) -> str:
    """``N36 32.820 W084 16.800``: degrees and decimal minutes as a GPS shows them."""

    def part(v: float, letters: str, width: int) -> str:
        deg, minutes = divmod(abs(v) * 60.0, 60.0)
        return f"{letters[v < 0]}{int(deg):0{width}d} {minutes:06.3f}"

    return f"{part(lat, 'NS', 2)} {part(lon, 'EW', 3)}"


def _texts(lat: float, lon: float) -> list[str]:
    """The point written every way the forms must read."""
    ns, ew = "NS"[lat < 0], "EW"[lon < 0]
    usng = format_location(lat, lon, "usng", datum=False)
    return [
        f"{lat:.6f},{lon:.6f}",
        f"{abs(lat):.6f}{ns} {abs(lon):.6f}{ew}",
        format_location(lat, lon, "dms", datum=False),  # 36°32'49.20"N 84°16'48.00"W
        format_location(lat, lon, "dms").replace("'", "′").replace('"', "″"),  # with (WGS 84)
        format_location(lat, lon, "ddm"),
        _ddm_gps(lat, lon),
        re.sub(r"(\d)[EN]\b", r"\1", format_location(lat, lon, "utm", datum=False)),
        format_location(lat, lon, "utm"),
        usng,  # 16S GF 50784 43054
        usng.replace(" ", ""),  # 16SGF5078443054
        format_location(lat, lon, "usng"),  # ... (NAD 83/WGS 84)
    ]


#: Texts no form may take, and a word its message must contain.
BAD = [
    ("somewhere near the creek", r"decimal|DMS|UTM|MGRS"),
    ("36.547, -84.28 (NAD 27)", r"WGS 84"),
    ("16S GF 50784 4305", r"digits"),
    ("-36.547N 84.28W", r"sign"),
    ("16S 7623 4051234", r"easting"),
]


def _clue_form(view: str, contexts: Contexts, site: Site) -> tuple[Page, Locator]:
    live = site.live
    if view == "command-post":
        page = contexts.new_page(viewport=DESK)
        open_command_post(page, site.origin, *live.commander, live.incident_id, ready=False)
    else:
        page = contexts.new_page(
            viewport=PHONE,
            is_mobile=True,
            geolocation={"latitude": live.inside[0], "longitude": live.inside[1]},
            permissions=["geolocation"],
        )
        open_field_view(page, site.origin, *live.searcher)
    return page, page.get_by_test_id("clue-form")


def _read_point(form: Locator, lat_id: str, lon_id: str) -> tuple[float, float]:
    return float(form.get_by_test_id(lat_id).input_value()), float(
        form.get_by_test_id(lon_id).input_value()
    )


def _assert_fills(form: Locator, position_id: str, lat_id: str, lon_id: str, text: str) -> None:
    expected = parse_location(text)
    form.get_by_test_id(lat_id).fill("")
    form.get_by_test_id(lon_id).fill("")
    form.get_by_test_id(position_id).fill(text)
    expect(form.get_by_test_id(lat_id)).not_to_have_value("")
    got = _read_point(form, lat_id, lon_id)
    off = _metres(got, (expected.lat, expected.lon))
    assert off <= 1.0, f"{text!r} filled {got}, {off:.2f} m from {expected}"


def test_a_position_in_any_format_fills_the_clue_latitude_and_longitude(
    contexts: Contexts, web_app: Site
) -> None:
    page, form = _clue_form("command-post", contexts, web_app)
    lat, lon = web_app.live.inside
    for text in _texts(lat, lon):
        _assert_fills(form, "clue-position", "clue-lat", "clue-lon", text)
    label = page.locator(f"label[for='{form.get_by_test_id('clue-position').get_attribute('id')}']")
    expect(label).to_have_text(re.compile(r"Position \(any format\)"))
    hint = form.locator("#cp-clue-position-hint")
    for word in ("DMS", "UTM", "MGRS", "USNG", "WGS 84"):
        expect(hint).to_contain_text(word)


@pytest.mark.parametrize("view", ["command-post", "field"])
def test_a_position_that_cannot_be_read_is_refused_next_to_it_and_nothing_is_sent(
    contexts: Contexts, web_app: Site, view: str
) -> None:
    page, form = _clue_form(view, contexts, web_app)
    for text, word in BAD:
        form.get_by_test_id("clue-lat").fill("")
        form.get_by_test_id("clue-lon").fill("")
        form.get_by_test_id("clue-position").fill(text)
        form.get_by_test_id("clue-note").fill(NOTE)
        form.get_by_test_id("clue-submit").click()
        error = field_error(form, "clue-position")
        expect(error).to_be_visible()
        assert re.search(word, error.inner_text()), (text, error.inner_text())
        assert distance_px(error, form.get_by_test_id("clue-position")) <= NEXT_TO_PX
        expect(form.get_by_test_id("clue-lat")).to_have_value("")
    page.wait_for_timeout(500)  # (not time.sleep: request events arrive while waiting)
    assert contexts.posts("/clues") == [], "a clue with an unreadable position was sent"
    if view == "field":
        expect(page.get_by_test_id("queue-count")).to_have_text(re.compile(r"^\D*0\D*$"))


def test_dms_in_the_latitude_and_longitude_fields_is_read_for_its_own_axis(
    contexts: Contexts, web_app: Site
) -> None:
    west, south, _east, _north = web_app.live.bounds
    page, form = _clue_form("command-post", contexts, web_app)
    # Valid DMS / DDM off the map: read (so the map check refuses it), never sent.
    lat_dms, lon_dms = format_location(south - 0.5, west - 0.5, "dms", datum=False).split(" ")
    form.get_by_test_id("clue-lat").fill(lat_dms)
    form.get_by_test_id("clue-lon").fill(_ddm_gps(south - 0.5, west - 0.5).split(" ", 2)[2])
    form.get_by_test_id("clue-note").fill(NOTE)
    form.get_by_test_id("clue-submit").click()
    error = field_error(form, "clue-lat")
    expect(error).to_contain_text(re.compile(r"outside the search map"))
    # A longitude letter in the latitude field is named, not guessed.
    form.get_by_test_id("clue-lat").fill(lon_dms)
    form.get_by_test_id("clue-submit").click()
    expect(field_error(form, "clue-lat")).to_contain_text(re.compile(r"N or S"))
    page.wait_for_timeout(500)
    assert contexts.posts("/clues") == [], "a refused clue was sent"


def test_the_intake_last_seen_position_takes_any_format(contexts: Contexts, web_app: Site) -> None:
    live = web_app.live
    page = contexts.new_page(viewport=DESK)
    open_command_post(page, web_app.origin, *live.commander, live.incident_id, ready=False)
    page.get_by_test_id("subject-intake").locator("summary").click()
    form = page.get_by_test_id("subject-form")
    lat, lon = live.inside
    for text in _texts(lat, lon)[::3]:
        _assert_fills(form, "intake-position", "subject-lat", "subject-lon", text)
    form.get_by_test_id("subject-name").fill("browser test: never stored")
    form.get_by_test_id("intake-position").fill("36.547, -84.28 (NAD 27)")
    form.get_by_test_id("subject-submit").click()
    error = field_error(form, "intake-position")
    expect(error).to_contain_text("WGS 84")
    assert distance_px(error, form.get_by_test_id("intake-position")) <= NEXT_TO_PX
    page.wait_for_timeout(500)
    assert contexts.posts("/subjects") == [], "an intake with an unreadable position was sent"


def test_the_coordinate_readout_states_its_datum(contexts: Contexts, web_app: Site) -> None:
    live = web_app.live
    page = contexts.new_page(viewport=DESK)
    open_command_post(page, web_app.origin, *live.commander, live.incident_id)
    box = page.get_by_test_id("map").bounding_box()
    assert box is not None
    for i, name in enumerate(("latlon", "utm", "mgrs")):
        page.get_by_test_id("coord-format").select_option(name)
        page.mouse.move(box["x"] + box["width"] * (0.4 + 0.05 * i), box["y"] + box["height"] / 2)
        expect(page.get_by_test_id("coord-readout")).to_contain_text("WGS 84")
