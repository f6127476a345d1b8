"""Coordinates as planners write them: latitude/longitude, UTM and MGRS/USNG.

:func:`parse_location` turns what a person types into a :class:`LonLat`;
:func:`utm_crs_for` picks the local UTM zone for the planning grid; :func:`to_crs`
and :func:`lonlat_of` move points between WGS 84 and the grid CRS.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
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
    "LonLat",
    "geometry_to_crs",
    "lonlat_of",
    "parse_location",
    "to_crs",
    "to_mgrs",
    "utm_crs_for",
]

_SWAP_HINT = "give latitude first, then longitude, e.g. 36.58,-84.25"


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


_NUM = r"[-+]?\d+(?:\.\d+)?"
_LATLON = re.compile(rf"^\s*({_NUM})\s*([NSns])?\s*[,;\s]\s*({_NUM})\s*([EWew])?\s*$")
_UTM = re.compile(
    r"^\s*(\d{1,2})\s*([C-HJ-NP-Xc-hj-np-x])\s+(\d+(?:\.\d+)?)\s*(?:m?E)?[,\s]\s*"
    r"(\d+(?:\.\d+)?)\s*(?:m?N)?\s*$"
)
_MGRS = re.compile(r"^\s*\d{1,2}\s*[C-HJ-NP-X]\s*[A-HJ-NP-Z]{2}(?:\s*\d+){0,2}\s*$", re.IGNORECASE)


def parse_location(text: str) -> LonLat:
    """Parse a location written as ``LAT,LON``, UTM or MGRS/USNG.

    Accepted forms: ``36.58,-84.25``; ``36.58N 84.25W``; UTM ``16S 762345 4051234``
    (zone, latitude band, easting, northing); MGRS/USNG ``16SGF5078443054`` or
    ``16S GF 50784 43054``.

    Examples
    --------
    >>> parse_location("36.58,-84.25")
    LonLat(lon=-84.25, lat=36.58)
    >>> parse_location("36.58N 84.25W")
    LonLat(lon=-84.25, lat=36.58)
    >>> p = parse_location("16S GF 50784 43054")
    >>> round(p.lat, 3), round(p.lon, 3)
    (36.5, -84.2)
    """
    if not isinstance(text, str) or not text.strip():
        raise InvalidLocationError(f"location: empty; {_SWAP_HINT}, or UTM, or MGRS")
    m = _LATLON.match(text)
    if m:
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
    m = _UTM.match(text)
    if m:
        zone, band = int(m[1]), m[2].upper()
        if not 1 <= zone <= 60:
            raise InvalidLocationError(f"location: UTM zone {zone} is outside 1..60")
        south = band < "N"
        crs = f"EPSG:{32700 + zone if south else 32600 + zone}"
        return lonlat_of(float(m[3]), float(m[4]), crs)
    if _MGRS.match(text):
        try:
            lat, lon = mgrs.MGRS().toLatLon(re.sub(r"\s+", "", text).upper())
        except Exception as exc:  # the mgrs C library raises its own MGRSError
            raise InvalidLocationError(
                f"location: {text!r} is not a valid MGRS/USNG grid reference ({exc})"
            ) from None
        return LonLat(lon=float(lon), lat=float(lat))
    raise InvalidLocationError(
        f"location: cannot read {text!r}; {_SWAP_HINT}, or UTM like '16S 762345 4051234', "
        f"or MGRS like '16SGF5078443054'"
    )


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


def utm_crs_for(point: LonLat) -> str:
    """The WGS 84 / UTM zone CRS that contains ``point``.

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


def to_mgrs(point: LonLat, *, digits: int = 5) -> str:
    """MGRS/USNG grid reference of ``point`` (``digits`` per axis: 5 = 1 m).

    Examples
    --------
    >>> to_mgrs(LonLat(lon=-84.2, lat=36.5), digits=4)
    '16SGF50784305'
    """
    return str(mgrs.MGRS().toMGRS(point.lat, point.lon, MGRSPrecision=digits))


def geometry_to_crs(geometry: BaseGeometry, src: str, dst: str) -> BaseGeometry:
    """``geometry`` (in ``src``) transformed into ``dst``."""
    if src == dst:
        return geometry
    tr = _transformer(src, dst)

    def move(xy: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = tr.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geometry, move)
