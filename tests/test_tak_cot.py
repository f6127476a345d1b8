"""CoT XML out and in: encoded items read back; every malformed message is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from wayhome.errors import WayhomeError
from wayhome.tak import (
    MAX_COT_BYTES,
    MalformedCotError,
    Marker,
    Pli,
    Shape,
    delete_cot,
    encode_cot,
    parse_cot,
)

NOW = datetime(2026, 6, 1, 14, 0, tzinfo=UTC)
STALE = timedelta(minutes=10)


def pli_xml(lat: str = "35.5", lon: str = "-83.25", **attrs: str) -> bytes:
    """A PLI as ATAK sends it; ``attrs`` override event attributes."""
    event = {
        "version": "2.0",
        "uid": "ANDROID-1",
        "type": "a-f-G-U-C",
        "how": "m-g",
        "time": "2026-06-01T14:00:00.000Z",
        "start": "2026-06-01T14:00:00.000Z",
        "stale": "2026-06-01T14:06:00.000Z",
    }
    event.update(attrs)
    head = " ".join(f'{k}="{v}"' for k, v in event.items())
    return (
        f'<event {head}><point lat="{lat}" lon="{lon}" hae="0" ce="9" le="9"/>'
        '<detail><contact callsign="Dana"/><remarks>hello</remarks></detail></event>'
    ).encode()


def test_pli_round_trip_keeps_position_time_and_callsign() -> None:
    taken = NOW - timedelta(minutes=3)
    xml = encode_cot(
        Pli("wayhome-1-member-4", "Dana (Team 1)", 35.5, -83.25, taken), now=NOW, stale_after=STALE
    )
    event = parse_cot(xml)
    assert (event.uid, event.type, event.callsign) == (
        "wayhome-1-member-4",
        "a-f-G-U-C",
        "Dana (Team 1)",
    )
    assert (event.lat, event.lon, event.time) == (35.5, -83.25, taken)
    assert event.stale == NOW + STALE


def test_shape_is_a_closed_u_d_f_polygon_with_one_link_per_vertex() -> None:
    ring = ((35.0, -83.0), (35.0, -82.9), (35.1, -82.9))
    xml = encode_cot(Shape("s1", "A3: Team 1", ring), now=NOW, stale_after=STALE)
    assert b'type="u-d-f"' in xml
    assert xml.count(b"<link point=") == 4  # closed: the first vertex again
    assert b'<link point="35.0000000,-83.0000000" />' in xml
    event = parse_cot(xml)
    assert event.lat == pytest.approx(35.0333333) and event.callsign == "A3: Team 1"


def test_shape_needs_three_vertices() -> None:
    with pytest.raises(WayhomeError, match="ring"):
        Shape("s1", "x", ((1.0, 2.0), (1.0, 3.0)))


def test_marker_and_delete() -> None:
    xml = encode_cot(
        Marker("c1", "Clue: item", 35.2, -83.1, remarks="red cap"), now=NOW, stale_after=STALE
    )
    event = parse_cot(xml)
    assert (event.type, event.remarks, event.time) == ("b-m-p-s-m", "red cap", NOW)
    gone = parse_cot(delete_cot("c1", now=NOW))
    assert gone.type == "t-x-d-d"
    assert b'<link uid="c1"' in delete_cot("c1", now=NOW)


def test_ataks_seven_digit_fractions_and_marker_creator_are_read() -> None:
    xml = pli_xml(time="2026-06-01T14:00:00.1234567Z").replace(
        b"</detail>", b'<link uid="ANDROID-9" relation="p-p" type="a-f-G-U-C"/></detail>'
    )
    event = parse_cot(xml)
    assert event.time == datetime(2026, 6, 1, 14, 0, 0, 123456, tzinfo=UTC)
    assert event.creator_uid == "ANDROID-9"


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<event version="2.0" uid="&lol4;" type="a-f-G-U-C" time="2026-06-01T14:00:00Z"
 start="2026-06-01T14:00:00Z" stale="2026-06-01T14:05:00Z"><point lat="1" lon="2"/></event>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<event version="2.0" uid="&x;" type="a-f-G-U-C" time="2026-06-01T14:00:00Z"
 start="2026-06-01T14:00:00Z" stale="2026-06-01T14:05:00Z"><point lat="1" lon="2"/></event>"""

MALFORMED = {
    "bad xml": (b"<event uid='x' type='a-f-G'><point lat='1'", "xml"),
    "not xml": (b"\x00\xff garbage </event>", "xml"),
    "billion laughs": (BILLION_LAUGHS, "xml"),
    "external entity": (EXTERNAL_ENTITY, "xml"),
    "not an event": (b"<foo/>", "event"),
    "no uid": (pli_xml(uid=""), "uid"),
    "bad type": (pli_xml(type="a f G;drop"), "type"),
    "lat not a number": (pli_xml(lat="abc"), "point.lat"),
    "lat nan": (pli_xml(lat="nan"), "point.lat"),
    "lat out of range": (pli_xml(lat="123.0"), "point.lat"),
    "lon out of range": (pli_xml(lon="-181"), "point.lon"),
    "bad time": (pli_xml(time="yesterday"), "event.time"),
    "no point": (b'<event uid="a" type="a-f-G" time="2026-06-01T14:00:00Z"/>', "point"),
    "huge": (pli_xml().replace(b"hello", b"x" * MAX_COT_BYTES), "size"),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_cot_is_refused_naming_the_field(name: str) -> None:
    data, field = MALFORMED[name]
    with pytest.raises(MalformedCotError, match=field) as caught:
        parse_cot(data)
    assert isinstance(caught.value, WayhomeError) and isinstance(caught.value, ValueError)
