"""Parsing locations and moving between CRSs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wayhome.errors import InvalidLocationError
from wayhome.geo.coords import (
    LonLat,
    lonlat_of,
    parse_location,
    to_crs,
    to_mgrs,
    utm_crs_for,
)


@pytest.mark.parametrize(
    ("text", "lat", "lon"),
    [
        ("36.58,-84.25", 36.58, -84.25),
        ("36.58, -84.25", 36.58, -84.25),
        ("36.58 -84.25", 36.58, -84.25),
        ("36.58N 84.25W", 36.58, -84.25),
        ("42.1S 147.2E", -42.1, 147.2),
        ("-42.1S -147.2W", -42.1, -147.2),  # sign and letter agree
    ],
)
def test_parse_lat_lon(text: str, lat: float, lon: float) -> None:
    p = parse_location(text)
    assert p.lat == pytest.approx(lat) and p.lon == pytest.approx(lon)


def test_parse_utm_and_mgrs_agree() -> None:
    ref = LonLat(lon=-84.25, lat=36.58)
    x, y = to_crs(ref, "EPSG:32616")
    utm = parse_location(f"16S {x:.1f} {y:.1f}")
    assert utm.lat == pytest.approx(ref.lat, abs=1e-6)
    assert utm.lon == pytest.approx(ref.lon, abs=1e-6)
    m = parse_location(to_mgrs(ref))
    assert m.lat == pytest.approx(ref.lat, abs=2e-5)
    assert m.lon == pytest.approx(ref.lon, abs=2e-5)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("-84.25,36.58", None),  # valid but swapped: caught against the DEM, not here
        ("120.5,36.58", "swapped"),
        ("95,10", "latitude"),
        ("10,190", "longitude"),
        ("", "empty"),
        ("somewhere near the lake", "cannot read"),
        ("16S ZZ 123 456", "MGRS"),
        ("61S 500000 4000000", "zone"),
        ("-36.58N 84.25W", "latitude: -36.58N .*contradicts"),
        ("36.58N -84.25E", "longitude: -84.25E .*contradicts"),
        ("36.58S +84.25W", "longitude: \\+84.25W .*contradicts"),
    ],
)
def test_bad_locations_name_the_problem(text: str, needle: str | None) -> None:
    if needle is None:
        assert parse_location(text).swapped() is not None
        return
    with pytest.raises(InvalidLocationError, match=needle):
        parse_location(text)


@given(lon=st.floats(-179.9, 179.9), lat=st.floats(-79.0, 83.0))
def test_utm_round_trip(lon: float, lat: float) -> None:
    p = LonLat(lon=lon, lat=lat)
    crs = utm_crs_for(p)
    back = lonlat_of(*to_crs(p, crs), crs)
    assert back.lon == pytest.approx(lon, abs=1e-7)
    assert back.lat == pytest.approx(lat, abs=1e-7)
