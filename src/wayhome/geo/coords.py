"""Coordinates as planners write them: latitude/longitude, UTM and MGRS/USNG.

:func:`parse_location` turns what a person types (decimal degrees, degrees-minutes-seconds,
degrees and decimal minutes, UTM, MGRS or USNG) into a :class:`LonLat`;
:func:`format_location` writes a position back in any of those styles with its datum
stated; :func:`utm_crs_for` picks the local UTM zone for the planning grid; :func:`to_crs`
and :func:`lonlat_of` move points between WGS 84 and the grid CRS.

Datum. Every position is WGS 84. USNG is defined on NAD 83, which GPS receivers and
CalTopo treat as equal to WGS 84 (they differ by about 1-2 m in North America, less than a
GPS fix); NAD 27 (old USGS quads) differs by up to 200 m and is refused, not guessed.

Zones. :func:`to_utm` and the MGRS/USNG styles use the UTM *grid* zones, with the Norway
(32V) and Svalbard (31X, 33X, 35X, 37X) exceptions that MGRS applies; the ``mgrs`` package
(GeoTrans) applies the same ones, and beyond 84°N / 80°S it writes UPS references (zones
A, B, Y, Z), which :func:`parse_location` also reads. :func:`utm_crs_for` (the planning
grid's CRS) uses plain 6° zones: a plan near Bergen is computed in zone 31 or 32 by
longitude, which changes nothing but the grid's numbers.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

import mgrs
import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from shapely.geometry.base import BaseGeometry

from wayhome.errors import InvalidLocationError

__all__ = [
    "LOCATION_STYLES",
    "LocationStyle",
    "LonLat",
    "UtmCoordinate",
    "format_location",
    "geometry_to_crs",
    "location_formats",
    "lonlat_of",
    "parse_location",
    "to_crs",
    "to_mgrs",
    "to_utm",
    "utm_crs_for",
]

_SWAP_HINT = "give latitude first, then longitude, e.g. 36.58,-84.25"
_FORMS_HINT = (
    "write it as decimal degrees '36.547,-84.28', DMS 36°32'49.2\"N 84°16'48.0\"W, "
    "UTM '16S 762345 4051234', or MGRS/USNG '16S GF 50784 43054'"
)


class LocationStyle(StrEnum):
    """How :func:`format_location` writes a position."""

    DECIMAL = "decimal"  #: ``36.547000, -84.280000``
    DMS = "dms"  #: ``36°32'49.20"N 84°16'48.00"W``
    DDM = "ddm"  #: ``36°32.8200'N 84°16.8000'W`` (degrees and decimal minutes, as on a GPS)
    UTM = "utm"  #: ``16S 762345E 4051234N``
    MGRS = "mgrs"  #: ``16SGF5078443054``
    USNG = "usng"  #: ``16S GF 50784 43054`` (MGRS with spaces)


#: The style names :func:`format_location` accepts.
LOCATION_STYLES: tuple[str, ...] = tuple(s.value for s in LocationStyle)


@dataclass(frozen=True, slots=True)
class LonLat:
    """A WGS 84 position in decimal degrees.

    Examples
    --------
    >>> LonLat(lon=-84.25, lat=36.58)
    LonLat(lon=-84.25, lat=36.58)
    >>> LonLat(lon=36.58, lat=-184.25)
    Traceback (most recent call last):
    ...
    wayhome.errors.InvalidLocationError: latitude: -184.25 is outside -90..90; \
give latitude first, then longitude, e.g. 36.58,-84.25
    """

    lon: float
    lat: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.lon) and math.isfinite(self.lat)):
            raise InvalidLocationError("location: latitude and longitude must be numbers")
        if not -90.0 <= self.lat <= 90.0:
            raise InvalidLocationError(f"latitude: {self.lat} is outside -90..90; {_SWAP_HINT}")
        if not -180.0 <= self.lon <= 180.0:
            raise InvalidLocationError(f"longitude: {self.lon} is outside -180..180")

    def swapped(self) -> LonLat | None:
        """The point with latitude and longitude exchanged, when that is a valid point."""
        try:
            return LonLat(lon=self.lat, lat=self.lon)
        except InvalidLocationError:
            return None


@dataclass(frozen=True, slots=True)
class UtmCoordinate:
    """A UTM grid position: zone 1..60, latitude band C..X, easting and northing in metres.

    Examples
    --------
    >>> UtmCoordinate(16, "S", 762345.0, 4051234.0).crs
    'EPSG:32616'
    """

    zone: int
    band: str
    easting: float
    northing: float

    def __post_init__(self) -> None:
        if not 1 <= self.zone <= 60:
            raise InvalidLocationError(f"zone: UTM zone {self.zone} is outside 1..60")
        if len(self.band) != 1 or self.band not in _BANDS:
            raise InvalidLocationError(
                f"band: {self.band!r} is not a UTM latitude band; use one letter C..X "
                f"without I and O (N and above are north of the equator)"
            )

    @property
    def south(self) -> bool:
        """Whether the position is south of the equator (bands C..M)."""
        return self.band < "N"

    @property
    def crs(self) -> str:
        """The WGS 84 / UTM CRS of the zone and hemisphere."""
        return f"EPSG:{(32700 if self.south else 32600) + self.zone}"


_BANDS = "CDEFGHJKLMNPQRSTUVWX"
_NUM = r"[-+]?\d+(?:\.\d+)?"
_LATLON = re.compile(rf"^\s*({_NUM})\s*([NSns])?\s*[,;\s]\s*({_NUM})\s*([EWew])?\s*$")
_UTM = re.compile(
    r"^\s*(?:UTM\s*)?(\d{1,2})\s*([C-HJ-NP-Xc-hj-np-x])\s+(\d{4,7}(?:\.\d+)?)\s*(?:m?E)?"
    r"\s*[,\s]\s*(\d{1,8}(?:\.\d+)?)\s*(?:m?N)?\s*$"
)
_MGRS = re.compile(
    r"^\s*(?:(\d{1,2})\s*([C-HJ-NP-X])|([ABYZ]))\s*([A-HJ-NP-Z]{2})((?:\s*\d+){0,2})\s*$",
    re.IGNORECASE,
)
_DATUM = re.compile(
    r"\s*[(\[]?\s*(?:datum\s*[:=]?\s*)?(WGS\s*-?\s*84|NAD\s*-?\s*83(?:\s*/\s*WGS\s*-?\s*84)?"
    r"|NAD\s*-?\s*27|[A-Z]{2,}\s*-?\s*\d{2,4})\s*[)\]]?\s*$",
    re.IGNORECASE,
)
# Degree, minute and second marks people type or paste, normalised to °, ′ and ″.
_MARKS = str.maketrans({"º": "°", "˚": "°", "’": "′", "'": "′", "”": "″", '"': "″"})
_DMS_TOKEN = re.compile(r"\s*(?:([NSEW])|([-+]?\d+(?:\.\d+)?)\s*([°′″])?|([,;]))")
_MARK_ORDER = ("°", "′", "″")


def parse_location(text: str) -> LonLat:
    """Parse a location written as decimal degrees, DMS, DDM, UTM or MGRS/USNG.

    Accepted forms: ``36.58,-84.25``; ``36.58N 84.25W``; DMS ``36°32'49.2"N 84°16'48.0"W``
    or ``36 32 49.2 N, 84 16 48 W`` or ``N36°32'49" W84°16'48"``; degrees and decimal
    minutes as a GPS shows them ``N36 32.820 W084 16.800``; UTM ``16S 762345 4051234``
    (zone, latitude band, easting, northing; ``mE``/``mN`` allowed); MGRS/USNG
    ``16SGF5078443054`` or ``16S GF 50784 43054`` (and UPS ``Z AB 12345 67890`` near the
    poles). A trailing datum ``(WGS 84)`` or ``(NAD 83)`` is accepted; NAD 27 is refused.
    Hemisphere letters and signs both work; a sign that contradicts its letter is an error.

    An MGRS/USNG reference names a square (1 m for 5+5 digits, 10 m for 4+4, ...): the
    centre of that square is returned, so a truncated reference is at most half a square
    away from the point it was made from.

    Examples
    --------
    >>> parse_location("36.58,-84.25")
    LonLat(lon=-84.25, lat=36.58)
    >>> parse_location("36.58N 84.25W")
    LonLat(lon=-84.25, lat=36.58)
    >>> p = parse_location("36°34'48\\"N 84°15'W")
    >>> round(p.lat, 6), round(p.lon, 6)
    (36.58, -84.25)
    >>> p = parse_location("16S GF 50784 43054")
    >>> round(p.lat, 3), round(p.lon, 3)
    (36.5, -84.2)
    """
    if not isinstance(text, str) or not text.strip():
        raise InvalidLocationError(f"location: empty; {_FORMS_HINT}")
    body = _strip_datum(text)
    m = _LATLON.match(body)
    if m:
        return _decimal_degrees(m, text)
    m = _UTM.match(body)
    if m:
        return _from_utm(int(m[1]), m[2].upper(), float(m[3]), float(m[4]), text)
    m = _MGRS.match(body)
    if m:
        return _from_mgrs(m, text)
    dms = _from_dms(body, text)
    if dms is not None:
        return dms
    raise InvalidLocationError(f"location: cannot read {text!r}; {_FORMS_HINT}")


def _strip_datum(text: str) -> str:
    """``text`` without a trailing datum; refuse datums other than WGS 84 and NAD 83."""
    m = _DATUM.search(text)
    if m is None or m.start() == 0:
        return text
    name = re.sub(r"[\s-]", "", m[1]).upper()
    if name.startswith(("WGS84", "NAD83")):
        return text[: m.start()]
    if re.fullmatch(r"[A-Z]{2,}\d{2,4}", name) and not name.startswith(("NAD", "ED", "OSGB")):
        return text  # not a datum after all (e.g. the end of an MGRS reference)
    raise InvalidLocationError(
        f"datum: {m[1].strip()!r} in {text!r} is not supported; wayhome works in WGS 84 "
        f"(= NAD 83 within a GPS fix). Convert the position to WGS 84 first (other datums, "
        f"such as NAD 27 on old USGS maps, are up to 200 m off), e.g. set the GPS or map to "
        f"WGS 84 and read it again"
    )


def _decimal_degrees(m: re.Match[str], text: str) -> LonLat:
    lat, lat_h, lon, lon_h = float(m[1]), m[2], float(m[3]), m[4]
    if (lat_h and lat_h.upper() in "EW") or (lon_h and lon_h.upper() in "NS"):
        raise InvalidLocationError(f"location: {text!r} has N/S and E/W mixed up; {_SWAP_HINT}")
    _check_hemisphere_sign("latitude", m[1], lat_h, text)
    _check_hemisphere_sign("longitude", m[3], lon_h, text)
    if lat_h and lat_h.upper() == "S":
        lat = -abs(lat)
    if lon_h and lon_h.upper() == "W":
        lon = -abs(lon)
    if abs(lat) > 90.0 and abs(lon) <= 90.0:
        raise InvalidLocationError(
            f"latitude: {lat} is outside -90..90; latitude and longitude look swapped "
            f"in {text!r}; {_SWAP_HINT}"
        )
    return LonLat(lon=lon, lat=lat)


def _check_hemisphere_sign(name: str, number: str, letter: str | None, text: str) -> None:
    """Refuse a sign that contradicts the hemisphere letter (``-36.58N``, ``+84.25W``)."""
    if not letter or number[0] not in "+-":
        return
    negative_letter = letter.upper() in "SW"
    if (number[0] == "-") != negative_letter:
        raise InvalidLocationError(
            f"{name}: {number}{letter} has a sign that contradicts its hemisphere letter "
            f"in {text!r}; drop the sign and let the letter say it, e.g. 36.58N 84.25W"
        )


# ---------------------------------------------------------------------------- UTM
def _from_utm(zone: int, band: str, easting: float, northing: float, text: str) -> LonLat:
    """The position of a UTM reference, checked against its band."""
    if not 1 <= zone <= 60:
        raise InvalidLocationError(
            f"zone: UTM zone {zone} in {text!r} is outside 1..60; check the zone number"
        )
    if not 100_000.0 <= easting <= 900_000.0:
        raise InvalidLocationError(
            f"easting: {easting:g} m in {text!r} is outside 100000..900000; a UTM easting has "
            f"six digits before any decimals (did a digit go missing, or easting and northing "
            f"swap?)"
        )
    if not 0.0 <= northing <= 10_000_000.0:
        raise InvalidLocationError(
            f"northing: {northing:g} m in {text!r} is outside 0..10000000; check the digits"
        )
    utm = UtmCoordinate(zone, band, easting, northing)
    point = lonlat_of(easting, northing, utm.crs)
    expected = _band_of(point.lat)
    low = -80.0 + 8.0 * _BANDS.index(band)
    high = 84.0 if band == "X" else low + 8.0
    # A point on a band's edge (within about 1 km) may carry either letter.
    if not low - 0.01 <= point.lat <= high + 0.01:
        raise InvalidLocationError(
            f"band: {zone}{band} does not match northing {northing:.0f}, which lies in band "
            f"{expected or '(outside UTM)'} at latitude {point.lat:.2f}; check the band "
            f"letter (N and above are north of the equator) and the northing"
        )
    return point


def _band_of(lat: float) -> str | None:
    """The UTM/MGRS latitude band letter of ``lat``; None outside -80..84."""
    if not -80.0 <= lat <= 84.0:
        return None
    return _BANDS[min(int((lat + 80.0) // 8.0), len(_BANDS) - 1)]


def _grid_zone(point: LonLat) -> int:
    """The UTM grid zone of ``point``, with the Norway and Svalbard exceptions."""
    lon, lat = point.lon, point.lat
    zone = min(int((lon + 180.0) // 6.0) + 1, 60)
    if 56.0 <= lat < 64.0 and 3.0 <= lon < 12.0:
        return 32
    if 72.0 <= lat <= 84.0 and 0.0 <= lon < 42.0:
        return 31 if lon < 9.0 else 33 if lon < 21.0 else 35 if lon < 33.0 else 37
    return zone


def to_utm(point: LonLat) -> UtmCoordinate:
    """The UTM grid reference of ``point`` (latitudes -80..84).

    Uses the grid zone MGRS uses (Norway and Svalbard exceptions included), so UTM and
    MGRS/USNG agree on the zone.

    Examples
    --------
    >>> u = to_utm(LonLat(lon=-84.2, lat=36.5))
    >>> u.zone, u.band, round(u.easting), round(u.northing)
    (16, 'S', 750784, 4043055)
    """
    band = _band_of(point.lat)
    if band is None:
        raise InvalidLocationError(
            f"latitude: {point.lat} is outside the UTM range -80..84; near the poles use "
            f"MGRS (UPS), e.g. format_location(lat, lon, 'mgrs')"
        )
    # The band decides the hemisphere, so a point a hair south of the equator is written
    # in band N with northing 0, not in band N with northing 10 000 000.
    utm = UtmCoordinate(_grid_zone(point), band, 0.0, 0.0)
    easting, northing = to_crs(point, utm.crs)
    return UtmCoordinate(utm.zone, band, easting, max(northing, 0.0))


# ---------------------------------------------------------------------------- MGRS / USNG
def _from_mgrs(m: re.Match[str], text: str) -> LonLat:
    """The centre of the square an MGRS/USNG (or UPS) reference names."""
    digits = re.sub(r"\s+", "", m[5])
    if len(digits) % 2 or len(digits) > 10:
        raise InvalidLocationError(
            f"mgrs: {text!r} has {len(digits)} digits; an MGRS/USNG reference has an even "
            f"number, up to 10 (easting then northing, 5+5 for 1 m, 4+4 for 10 m)"
        )
    compact = re.sub(r"\s+", "", m[0]).upper()
    try:
        lat, lon = mgrs.MGRS().toLatLon(compact)
    except Exception as exc:  # the mgrs C library raises its own MGRSError
        raise InvalidLocationError(
            f"mgrs: {text!r} is not a valid MGRS/USNG grid reference ({exc}); check the zone, "
            f"band and 100 km square letters, e.g. '16S GF 50784 43054'"
        ) from None
    corner = LonLat(lon=float(lon), lat=float(lat))
    n = len(digits) // 2
    size = 10.0 ** (5 - n)
    if m[1]:
        crs = f"EPSG:{(32700 if m[2].upper() < 'N' else 32600) + int(m[1])}"
    else:  # UPS: A and B south, Y and Z north
        crs = "EPSG:32761" if m[3].upper() in "AB" else "EPSG:32661"
    # The library finds the 100 km square; its inverse is off by up to about half a metre,
    # so the position within the square comes from the digits, through PROJ.
    x, y = to_crs(corner, crs)
    east = float(digits[:n] or 0) * size
    north = float(digits[n:] or 0) * size
    x = round((x - east) / 100_000.0) * 100_000.0 + east
    y = round((y - north) / 100_000.0) * 100_000.0 + north
    return lonlat_of(x + size / 2.0, y + size / 2.0, crs)


def to_mgrs(point: LonLat, *, digits: int = 5) -> str:
    """MGRS/USNG grid reference of ``point`` (``digits`` per axis: 5 = 1 m), truncated.

    Examples
    --------
    >>> to_mgrs(LonLat(lon=-84.2, lat=36.5), digits=4)
    '16SGF50784305'
    """
    if not 0 <= digits <= 5:
        raise InvalidLocationError(f"digits: {digits} is outside 0..5; 5 gives 1 m, 4 gives 10 m")
    return str(mgrs.MGRS().toMGRS(point.lat, point.lon, MGRSPrecision=digits))


def _usng(reference: str) -> str:
    """An MGRS reference with USNG spacing: ``16S GF 50784 43054``."""
    m = re.fullmatch(r"(\d{1,2}[A-Z]|[ABYZ])([A-Z]{2})(\d*)", reference)
    if m is None:  # pragma: no cover - the mgrs library writes only these
        return reference
    half = len(m[3]) // 2
    parts = [m[1], m[2], m[3][:half], m[3][half:]]
    return " ".join(p for p in parts if p)


# ---------------------------------------------------------------------------- DMS / DDM
def _from_dms(body: str, text: str) -> LonLat | None:
    """Degrees, minutes and seconds (or degrees and decimal minutes); None if not DMS."""
    # Two apostrophes typed for a second mark count as one.
    norm = body.translate(_MARKS).replace("′′", "″").upper().strip()
    tokens: list[tuple[str, str, str | None]] = []
    pos = 0
    while pos < len(norm):
        t = _DMS_TOKEN.match(norm, pos)
        if t is None or t.end() == pos:
            return None
        pos = t.end()
        if t[1]:
            tokens.append(("hem", t[1].upper(), None))
        elif t[2]:
            tokens.append(("num", t[2], t[3]))
        else:
            tokens.append(("sep", t[4], None))
    groups = _dms_groups(tokens)
    if groups is None or len(groups) != 2:
        return None
    (a, a_hem), (b, b_hem) = groups
    if (a_hem in ("E", "W") and b_hem in (None, "N", "S")) or b_hem in ("N", "S"):
        (a, a_hem), (b, b_hem) = (b, b_hem), (a, a_hem)
    if a_hem in ("E", "W") or b_hem in ("N", "S"):
        raise InvalidLocationError(f"location: {text!r} has N/S and E/W mixed up; {_SWAP_HINT}")
    lat = _angle("latitude", a, a_hem, text)
    lon = _angle("longitude", b, b_hem, text)
    if abs(lat) > 90.0:
        raise InvalidLocationError(
            f"latitude: {lat:g} is outside -90..90 in {text!r}; {_SWAP_HINT}"
        )
    if abs(lon) > 180.0:
        raise InvalidLocationError(f"longitude: {lon:g} is outside -180..180 in {text!r}")
    return LonLat(lon=lon, lat=lat)


_Group = tuple[list[tuple[str, str | None]], str | None]


def _dms_groups(tokens: list[tuple[str, str, str | None]]) -> list[_Group] | None:
    """Split tokens into (numbers with marks, hemisphere letter) per coordinate."""
    kinds = [k for k, _, _ in tokens]
    groups: list[_Group] = []
    if "sep" in kinds:
        i = kinds.index("sep")
        if kinds.count("sep") > 1:
            return None
        parts = [tokens[:i], tokens[i + 1 :]]
    elif "hem" in kinds and kinds[0] == "hem":  # N36 32 49 W84 16 48
        starts = [i for i, k in enumerate(kinds) if k == "hem"]
        parts = [tokens[s:e] for s, e in zip(starts, [*starts[1:], len(tokens)], strict=True)]
    elif "hem" in kinds:  # 36 32 49 N 84 16 48 W
        ends = [i + 1 for i, k in enumerate(kinds) if k == "hem"]
        parts = [tokens[s:e] for s, e in zip([0, *ends[:-1]], ends, strict=True)]
        if ends[-1] != len(tokens):
            parts.append(tokens[ends[-1] :])
    elif any(mark == "°" for _, _, mark in tokens[1:]):  # 36°32'49" -84°16'48"
        starts = [0] + [i for i, (_, _, mark) in enumerate(tokens) if mark == "°" and i > 0]
        parts = [tokens[s:e] for s, e in zip(starts, [*starts[1:], len(tokens)], strict=True)]
    elif len(tokens) in (4, 6):  # 36 32.82 -84 16.8, or 36 32 49.2 -84 16 48
        half = len(tokens) // 2
        parts = [tokens[:half], tokens[half:]]
    else:
        return None
    for part in parts:
        hems = [v for k, v, _ in part if k == "hem"]
        nums = [(v, mark) for k, v, mark in part if k == "num"]
        if len(hems) > 1 or not 1 <= len(nums) <= 3:
            return None
        groups.append((nums, hems[0] if hems else None))
    return groups


def _angle(name: str, nums: list[tuple[str, str | None]], hem: str | None, text: str) -> float:
    """Signed decimal degrees from 1-3 numbers (degrees, minutes, seconds)."""
    marks = [mark for _, mark in nums]
    expected = _MARK_ORDER[: len(nums)]
    if any(mark is not None and mark != want for mark, want in zip(marks, expected, strict=True)):
        raise InvalidLocationError(
            f"{name}: the parts of {' '.join(v + (mk or '') for v, mk in nums)!r} in {text!r} "
            f"are out of order; write degrees, then minutes, then seconds, e.g. 36°32'49.2\"N"
        )
    sign = -1.0 if nums[0][0].startswith("-") else 1.0
    if hem is not None:
        _check_hemisphere_sign(name, nums[0][0], hem, text)
        sign = -1.0 if hem in ("S", "W") else 1.0
    values = [abs(float(v)) for v, _ in nums]
    for i, (label, v) in enumerate(zip(("degrees", "minutes", "seconds"), values, strict=False)):
        if i < len(values) - 1 and v != int(v):
            raise InvalidLocationError(
                f"{name}: {label} {v:g} in {text!r} has decimals but more parts follow; "
                f"only the last part may have decimals, e.g. 36°32.82' or 36°32'49.2\""
            )
        if i > 0 and v >= 60.0:
            raise InvalidLocationError(
                f"{name}: {label} {v:g} in {text!r} is outside 0..59.999; check the {label}"
            )
    minutes = values[1] if len(values) > 1 else 0.0
    seconds = values[2] if len(values) > 2 else 0.0
    return sign * (values[0] + minutes / 60.0 + seconds / 3600.0)


# ---------------------------------------------------------------------------- formatting
def format_location(
    lat: float, lon: float, style: LocationStyle | str = "decimal", *, datum: bool = True
) -> str:
    """Write a WGS 84 position in a planner's style, with the datum stated.

    Parameters
    ----------
    lat, lon : float
        Latitude and longitude in decimal degrees (WGS 84).
    style : LocationStyle or str
        ``decimal`` (6 decimals, about 0.1 m), ``dms`` (seconds to 0.01″), ``ddm``
        (minutes to 0.0001′, as a GPS shows them), ``utm`` (whole metres), ``mgrs`` or
        ``usng`` (1 m, truncated as MGRS prescribes).
    datum : bool
        Append the datum: ``(WGS 84)``; USNG says ``(NAD 83/WGS 84)``. The result parses
        back with :func:`parse_location` either way.

    Examples
    --------
    >>> format_location(36.547, -84.28, "dms")
    '36°32\\'49.20"N 84°16\\'48.00"W (WGS 84)'
    >>> format_location(36.5, -84.2, "usng")
    '16S GF 50784 43054 (NAD 83/WGS 84)'
    >>> format_location(36.5, -84.2, "utm", datum=False)
    '16S 750784E 4043055N'
    """
    point = LonLat(lon=float(lon), lat=float(lat))
    try:
        kind = LocationStyle(style.lower() if isinstance(style, str) else style)
    except ValueError:
        raise InvalidLocationError(
            f"style: {style!r} is not a location style; use one of {', '.join(LOCATION_STYLES)}"
        ) from None
    if kind is LocationStyle.DECIMAL:
        text = f"{point.lat:.6f}, {point.lon:.6f}"
    elif kind is LocationStyle.DMS:
        text = f"{_sexagesimal(point.lat, 'NS', 2, 2)} {_sexagesimal(point.lon, 'EW', 3, 2)}"
    elif kind is LocationStyle.DDM:
        text = f"{_sexagesimal(point.lat, 'NS', 2, 1)} {_sexagesimal(point.lon, 'EW', 3, 1)}"
    elif kind is LocationStyle.UTM:
        u = to_utm(point)
        text = f"{u.zone}{u.band} {round(u.easting):06d}E {round(u.northing):07d}N"
    elif kind is LocationStyle.MGRS:
        text = to_mgrs(point)
    else:
        text = _usng(to_mgrs(point))
    if not datum:
        return text
    return f"{text} ({'NAD 83/WGS 84' if kind is LocationStyle.USNG else 'WGS 84'})"


def location_formats(lat: float, lon: float) -> dict[str, str]:
    """The position in every style (UTM left out beyond -80..84), for a planner to pick.

    Examples
    --------
    >>> location_formats(36.5, -84.2)["mgrs"]
    '16SGF5078443054 (WGS 84)'
    """
    out: dict[str, str] = {}
    for style in LocationStyle:
        try:
            out[style.value] = format_location(lat, lon, style)
        except InvalidLocationError:
            continue  # UTM near the poles
    return out


def _sexagesimal(value: float, letters: str, width: int, parts: int) -> str:
    """``36°32'49.20"N`` (parts=2: minutes and seconds) or ``36°32.8200'N`` (parts=1)."""
    letter = letters[1] if value < 0 else letters[0]
    if parts == 2:
        hundredths = round(abs(value) * 360_000)  # seconds to 0.01, carried upwards
        deg, rest = divmod(hundredths, 360_000)
        minute, sec = divmod(rest, 6_000)
        return f"{deg}°{minute:02d}'{sec // 100:02d}.{sec % 100:02d}\"{letter}"
    tenthousandths = round(abs(value) * 600_000)  # minutes to 0.0001
    deg, rest = divmod(tenthousandths, 600_000)
    return f"{deg}°{rest // 10_000:02d}.{rest % 10_000:04d}'{letter}"


# ---------------------------------------------------------------------------- CRSs
def utm_crs_for(point: LonLat) -> str:
    """The WGS 84 / UTM zone CRS that contains ``point`` (plain 6° zones).

    Examples
    --------
    >>> utm_crs_for(LonLat(lon=-118.1, lat=34.3))
    'EPSG:32611'
    >>> utm_crs_for(LonLat(lon=147.0, lat=-42.0))
    'EPSG:32755'
    """
    zone = min(int((point.lon + 180.0) // 6.0) + 1, 60)
    return f"EPSG:{(32600 if point.lat >= 0 else 32700) + zone}"


@cache
def _transformer(src: str, dst: str) -> Transformer:
    try:
        return Transformer.from_crs(
            CRS.from_user_input(src), CRS.from_user_input(dst), always_xy=True
        )
    except CRSError as exc:
        raise InvalidLocationError(f"crs: cannot use {src!r} -> {dst!r}: {exc}") from None


def to_crs(point: LonLat, crs: str) -> tuple[float, float]:
    """(x, y) of ``point`` in ``crs``.

    Examples
    --------
    >>> x, y = to_crs(LonLat(lon=-117.0, lat=0.0), "EPSG:32611")
    >>> round(x), round(y)
    (500000, 0)
    """
    x, y = _transformer("EPSG:4326", crs).transform(point.lon, point.lat)
    return float(x), float(y)


def lonlat_of(x: float, y: float, crs: str) -> LonLat:
    """The WGS 84 position of (x, y) given in ``crs``."""
    lon, lat = _transformer(crs, "EPSG:4326").transform(x, y)
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise InvalidLocationError(f"location: ({x}, {y}) is not a valid point in {crs}")
    return LonLat(lon=float(lon), lat=float(lat))


def geometry_to_crs(geometry: BaseGeometry, src: str, dst: str) -> BaseGeometry:
    """``geometry`` (in ``src``) transformed into ``dst``."""
    if src == dst:
        return geometry
    tr = _transformer(src, dst)

    def move(xy: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = tr.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geometry, move)
