"""Cursor-on-Target (CoT) XML: what wayhome sends to TAK and what it reads from it.

Out: position reports (PLI, ``a-f-G-U-C``), drawing shapes (``u-d-f``: a closed polygon,
one ``<link point="lat,lon"/>`` per vertex) and spot-map markers (``b-m-p-s-m``), built
from frozen values (:class:`Pli`, :class:`Shape`, :class:`Marker`) by :func:`encode_cot`.

In: :func:`parse_cot` reads one ``<event>`` with :mod:`defusedxml` (no DTD, so no entity
expansion and no external references), refuses anything over :data:`MAX_COT_BYTES`, and
checks every field it keeps (times, a finite point inside -90..90 / -180..180, a CoT type
such as ``a-f-G-U-C``). Whatever is wrong comes back as :class:`MalformedCotError`
naming the field; the bridge logs it and drops the message.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from wayhome.errors import InvalidParameterError

__all__ = [
    "MAX_COT_BYTES",
    "CotEvent",
    "MalformedCotError",
    "Marker",
    "Pli",
    "Shape",
    "cot_time",
    "delete_cot",
    "encode_cot",
    "parse_cot",
]

#: Largest CoT message read (64 KiB, the stream reader's buffer): a bigger one is dropped.
MAX_COT_BYTES = 64 * 1024

#: CoT's "unknown" for height and errors.
_UNKNOWN = "9999999.0"
_TYPE = re.compile(r"^[a-zA-Z](?:-[A-Za-z0-9_.]+)*$")
_FRACTION = re.compile(r"(\.\d{6})\d+")
_MAX_UID = 200
_MAX_TEXT = 2000


class MalformedCotError(InvalidParameterError):
    """A CoT message that is not well-formed, too big, uses a DTD, or has a bad field."""


@dataclass(frozen=True, slots=True)
class CotEvent:
    """One CoT event as read from TAK: the fields wayhome uses, all checked.

    ``creator_uid`` is the ``uid`` of the ``<link relation="p-p">`` (the device that
    dropped a marker), ``""`` when there is none.
    """

    uid: str
    type: str
    how: str
    time: datetime
    start: datetime
    stale: datetime
    lat: float
    lon: float
    callsign: str = ""
    remarks: str = ""
    creator_uid: str = ""


@dataclass(frozen=True, slots=True)
class Pli:
    """A member's position to publish: ``time`` is when the position was taken."""

    uid: str
    callsign: str
    lat: float
    lon: float
    time: datetime
    remarks: str = ""
    role: str = "Team Member"


@dataclass(frozen=True, slots=True)
class Shape:
    """A closed polygon to publish: ``ring`` is ``(lat, lon)`` vertices (closed or not).

    Colours are signed 32-bit ARGB integers, as ATAK writes them (``-65536`` is red).
    """

    uid: str
    callsign: str
    ring: tuple[tuple[float, float], ...]
    remarks: str = ""
    stroke: int = -16776961
    fill: int = 0x300000FF

    def __post_init__(self) -> None:
        if len(self.ring) < 3:
            raise InvalidParameterError(
                f"ring: shape {self.uid} has {len(self.ring)} vertices; a polygon needs 3 or more"
            )


@dataclass(frozen=True, slots=True)
class Marker:
    """A point to publish (a clue, the last-seen point): a spot-map marker by default."""

    uid: str
    callsign: str
    lat: float
    lon: float
    remarks: str = ""
    color: int = -65536
    cot_type: str = "b-m-p-s-m"


def cot_time(value: datetime) -> str:
    """A CoT timestamp: UTC, milliseconds, ``Z``.

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> cot_time(datetime(2026, 6, 1, 14, 3, 7, 250000, tzinfo=UTC))
    '2026-06-01T14:03:07.250Z'
    """
    if value.tzinfo is None:
        raise InvalidParameterError("time: give a timezone, e.g. 2026-06-01T14:03:00Z")
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def encode_cot(item: Pli | Shape | Marker, *, now: datetime, stale_after: timedelta) -> bytes:
    """The CoT XML of ``item``, valid from ``now`` until ``now + stale_after``.

    A position keeps the time it was taken (TAK shows how old it is); shapes and markers
    are stamped ``now``.

    Examples
    --------
    >>> from datetime import datetime, timedelta, UTC
    >>> t = datetime(2026, 6, 1, 14, 0, tzinfo=UTC)
    >>> xml = encode_cot(Marker("m1", "Clue: item", 35.5, -83.25), now=t,
    ...                  stale_after=timedelta(minutes=5))
    >>> parse_cot(xml).callsign
    'Clue: item'
    """
    if isinstance(item, Pli):
        event = _event(item.uid, "a-f-G-U-C", "m-g", item.time, now + stale_after)
        _point(event, item.lat, item.lon)
        detail = ET.SubElement(event, "detail")
        ET.SubElement(detail, "contact", callsign=item.callsign)
        ET.SubElement(detail, "__group", name="Cyan", role=item.role)
        ET.SubElement(detail, "precisionlocation", geopointsrc="GPS", altsrc="???")
    elif isinstance(item, Shape):
        event = _event(item.uid, "u-d-f", "h-e", now, now + stale_after)
        lat, lon = _centroid(item.ring)
        _point(event, lat, lon)
        detail = ET.SubElement(event, "detail")
        ET.SubElement(detail, "contact", callsign=item.callsign)
        ring = list(item.ring)
        if ring[0] != ring[-1]:
            ring.append(ring[0])  # ATAK draws a closed shape when the last link is the first
        for vlat, vlon in ring:
            ET.SubElement(detail, "link", point=f"{vlat:.7f},{vlon:.7f}")
        ET.SubElement(detail, "strokeColor", value=str(item.stroke))
        ET.SubElement(detail, "strokeWeight", value="3.0")
        ET.SubElement(detail, "fillColor", value=str(item.fill))
        ET.SubElement(detail, "labels_on", value="true")
    else:
        event = _event(item.uid, item.cot_type, "h-g-i-g-o", now, now + stale_after)
        _point(event, item.lat, item.lon)
        detail = ET.SubElement(event, "detail")
        ET.SubElement(detail, "contact", callsign=item.callsign)
        ET.SubElement(detail, "color", argb=str(item.color))
        ET.SubElement(
            detail,
            "usericon",
            iconsetpath=f"COT_MAPPING_SPOTMAP/{item.cot_type}/{item.color}",
        )
    if item.remarks:
        ET.SubElement(detail, "remarks").text = item.remarks
    data: bytes = ET.tostring(event, encoding="utf-8", xml_declaration=False)
    return data


def delete_cot(uid: str, *, now: datetime) -> bytes:
    """The CoT that tells TAK clients to remove ``uid`` from their maps (``t-x-d-d``).

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> b'uid="wayhome-1-hazard-2"' in delete_cot("wayhome-1-hazard-2",
    ...     now=datetime(2026, 6, 1, tzinfo=UTC))
    True
    """
    event = _event(f"{uid}-delete", "t-x-d-d", "h-e", now, now + timedelta(seconds=20))
    _point(event, 0.0, 0.0)
    detail = ET.SubElement(event, "detail")
    ET.SubElement(detail, "link", uid=uid, relation="none", type="none")
    ET.SubElement(detail, "__forcedelete")
    data: bytes = ET.tostring(event, encoding="utf-8", xml_declaration=False)
    return data


def _event(uid: str, cot_type: str, how: str, start: datetime, stale: datetime) -> ET.Element:
    return ET.Element(
        "event",
        version="2.0",
        uid=uid,
        type=cot_type,
        how=how,
        time=cot_time(start),
        start=cot_time(start),
        stale=cot_time(stale),
    )


def _point(event: ET.Element, lat: float, lon: float) -> None:
    ET.SubElement(
        event, "point", lat=f"{lat:.7f}", lon=f"{lon:.7f}", hae=_UNKNOWN, ce=_UNKNOWN, le=_UNKNOWN
    )


def _centroid(ring: tuple[tuple[float, float], ...]) -> tuple[float, float]:
    open_ring = ring[:-1] if ring[0] == ring[-1] else ring
    return (
        sum(p[0] for p in open_ring) / len(open_ring),
        sum(p[1] for p in open_ring) / len(open_ring),
    )


def parse_cot(data: bytes) -> CotEvent:
    """Read one CoT ``<event>`` safely; every problem is a :class:`MalformedCotError`.

    Raises
    ------
    MalformedCotError
        More than :data:`MAX_COT_BYTES`, not well-formed XML, a DTD or entity (the
        "billion laughs"), not an ``<event>``, or a field missing or of the wrong type.
    """
    if len(data) > MAX_COT_BYTES:
        raise MalformedCotError(
            f"size: {len(data)} bytes is over the {MAX_COT_BYTES}-byte limit of one CoT event"
        )
    try:
        root: Any = SafeET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise MalformedCotError(f"xml: DTDs and entities are refused ({exc!r})") from exc
    except (ET.ParseError, ValueError) as exc:
        raise MalformedCotError(f"xml: not well-formed ({exc})") from exc
    if root.tag != "event":
        raise MalformedCotError(f"event: the root element is <{root.tag}>, not <event>")
    uid = _attr(root, "uid", "event")
    if len(uid) > _MAX_UID or not uid.isprintable():
        raise MalformedCotError(f"uid: give 1-{_MAX_UID} printable characters")
    cot_type = _attr(root, "type", "event")
    if len(cot_type) > 100 or not _TYPE.match(cot_type):
        raise MalformedCotError(f"type: {cot_type[:40]!r} is not a CoT type such as a-f-G-U-C")
    point = root.find("point")
    if point is None:
        raise MalformedCotError("point: the event has no <point>")
    lat = _float(point, "lat")
    lon = _float(point, "lon")
    if not -90.0 <= lat <= 90.0:
        raise MalformedCotError(f"point.lat: {lat} is outside -90..90")
    if not -180.0 <= lon <= 180.0:
        raise MalformedCotError(f"point.lon: {lon} is outside -180..180")
    detail = root.find("detail")
    callsign = remarks = creator = ""
    if detail is not None:
        contact = detail.find("contact")
        if contact is not None:
            callsign = (contact.get("callsign") or "")[:_MAX_TEXT]
        remarks_el = detail.find("remarks")
        if remarks_el is not None:
            remarks = "".join(remarks_el.itertext())[:_MAX_TEXT]
        for link in detail.findall("link"):
            if link.get("relation") == "p-p" and link.get("uid"):
                creator = str(link.get("uid"))[:_MAX_UID]
                break
    return CotEvent(
        uid=uid,
        type=cot_type,
        how=(root.get("how") or "")[:20],
        time=_time(root, "time"),
        start=_time(root, "start", default=root.get("time")),
        stale=_time(root, "stale", default=root.get("time")),
        lat=lat,
        lon=lon,
        callsign=callsign,
        remarks=remarks,
        creator_uid=creator,
    )


def _attr(el: Any, name: str, where: str) -> str:
    value = el.get(name)
    if not isinstance(value, str) or not value.strip():
        raise MalformedCotError(f"{where}.{name}: missing; a CoT event carries {name}=")
    return value.strip()


def _float(el: Any, name: str) -> float:
    raw = _attr(el, name, "point")
    try:
        value = float(raw)
    except ValueError:
        raise MalformedCotError(f"point.{name}: {raw[:40]!r} is not a number") from None
    if not math.isfinite(value):
        raise MalformedCotError(f"point.{name}: {raw[:40]!r} is not a finite number")
    return value


def _time(el: Any, name: str, default: str | None = None) -> datetime:
    raw = el.get(name) or default
    if not raw:
        raise MalformedCotError(f"event.{name}: missing; give an ISO 8601 time such as ...Z")
    try:
        value = datetime.fromisoformat(_FRACTION.sub(r"\1", raw.strip()[:40]))
    except ValueError:
        raise MalformedCotError(f"event.{name}: {raw[:40]!r} is not an ISO 8601 time") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # CoT times are UTC
    return value.astimezone(UTC)
