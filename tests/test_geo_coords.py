"""Parsing locations and moving between CRSs."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
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


# ---------------------------------------------------------------------------- #8: styles
import re  # noqa: E402

import mgrs  # noqa: E402
from pyproj import Geod, Transformer  # noqa: E402

from wayhome.geo.coords import LOCATION_STYLES, format_location, to_utm  # noqa: E402

_GEOD = Geod(ellps="WGS84")


def _metres(a: LonLat, lat: float, lon: float) -> float:
    return float(_GEOD.inv(a.lon, a.lat, lon, lat)[2])


@pytest.mark.parametrize(
    "text",
    [
        "36°32'49.2\"N 84°16'48.0\"W",
        "36 32 49.2 N, 84 16 48 W",
        "N36°32'49.2\" W84°16'48\"",
        "N36 32.820 W084 16.800",
        "36°32.82'N 84°16.8'W",
        "36 32 49.2 -84 16 48",
        "36.547°N 84.28°W",
        "W84 16 48 N36 32 49.2",
        "36°32'49.2''N 84°16'48.0''W",
        "36.547, -84.28 (WGS 84)",
        "36°32′49.2″N 84°16′48″W (NAD 83)",
    ],
)
def test_parse_dms_and_ddm(text: str) -> None:
    p = parse_location(text)
    assert _metres(p, 36.547, -84.28) < 0.5


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("36 61 0 N 84 0 0 W", r"latitude: minutes 61 .*outside 0\.\.59"),
        ("36 32 75 N 84 0 0 W", r"latitude: seconds 75"),
        ("36.5 30 N 84 W", r"latitude: degrees 36\.5 .*only the last part"),
        ("36 N 84 N", "N/S and E/W mixed up"),
        ("36 32 49.2 N 84 16 48 W (NAD 27)", r"datum: 'NAD 27' .*WGS 84"),
        ("16C 762345 4051234", r"band: 16C does not match northing 4051234.*band F"),
        ("16S 62345 4051234", r"easting: 62345 m .*100000\.\.900000"),
        ("16S GF 507843054", r"mgrs: .*9 digits; .*even"),
        ("-36 32 49 N 84 16 48 W", r"latitude: -36N .*contradicts"),
    ],
)
def test_bad_coordinates_name_the_field(text: str, needle: str) -> None:
    with pytest.raises(InvalidLocationError, match=needle):
        parse_location(text)


def test_format_location_states_the_datum() -> None:
    assert format_location(36.547, -84.28, "dms") == "36°32'49.20\"N 84°16'48.00\"W (WGS 84)"
    assert format_location(36.5, -84.2, "usng") == "16S GF 50784 43054 (NAD 83/WGS 84)"
    assert format_location(36.5, -84.2, "mgrs", datum=False) == "16SGF5078443054"
    assert format_location(-0.0000001, -0.0000001, "ddm").endswith("S 0°00.0000'W (WGS 84)")
    with pytest.raises(InvalidLocationError, match="style: 'gars'"):
        format_location(1, 2, "gars")
    with pytest.raises(InvalidLocationError, match=r"latitude: 85\.0 is outside the UTM range"):
        format_location(85.0, 10.0, "utm")
    assert format_location(85.0, 10.0, "usng").startswith("Z AB ")  # UPS north


_LATS = st.floats(-80.0, 83.999, allow_nan=False)
_LONS = st.floats(-180.0, 179.999999, allow_nan=False)


@given(lat=_LATS, lon=_LONS)
def test_utm_and_mgrs_agree_with_pyproj_and_mgrs(lat: float, lon: float) -> None:
    """Over every UTM zone and band (Norway/Svalbard included): the zone and band are
    those the mgrs package picks, the easting/northing those pyproj computes, and the MGRS
    digits the easting/northing within the 100 km square, all to 1 m."""
    u = to_utm(LonLat(lon=lon, lat=lat))
    ref = str(mgrs.MGRS().toMGRS(lat, lon, MGRSPrecision=5))
    m = re.fullmatch(r"(\d{2})([C-X])([A-Z]{2})(\d{5})(\d{5})", ref)
    assert m is not None, ref
    # On a zone edge (within 1e-6°) either zone is right; the mgrs package rounds first.
    assume(abs(lon / 6.0 - round(lon / 6.0)) > 1e-6 and abs(lat / 8.0 - round(lat / 8.0)) > 1e-6)
    assert (u.zone, u.band) == (int(m[1]), m[2])
    crs = f"EPSG:{(32700 if m[2] < 'N' else 32600) + u.zone}"
    x, y = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, lat)
    assert u.easting == pytest.approx(x, abs=1e-3) and u.northing == pytest.approx(y, abs=1e-3)
    for digits, full in ((int(m[4]), x), (int(m[5]), y)):
        diff = (full % 100_000 - digits) % 100_000
        assert min(diff, 100_000 - diff) <= 1.0  # truncation: 0..1 m


@given(lat=_LATS, lon=_LONS, style=st.sampled_from(LOCATION_STYLES))
def test_every_style_parses_back_within_a_metre(lat: float, lon: float, style: str) -> None:
    text = format_location(lat, lon, style)
    back = parse_location(text)
    assert _metres(back, lat, lon) < 1.0, text


@given(lat=st.floats(84.0, 89.9), lon=_LONS, north=st.booleans())
def test_polar_mgrs_parses_back_within_a_metre(lat: float, lon: float, north: bool) -> None:
    lat = lat if north else -lat
    back = parse_location(format_location(lat, lon, "mgrs"))
    # UPS: the mgrs package (GeoTrans) and PROJ differ by a few decimetres there.
    assert _metres(back, lat, lon) < 1.5
