"""Clues as likelihoods over the map: what a found item, a dog alert or a heard call says.

A clue is evidence ``D`` about where the subject is. :func:`likelihood` turns it into
``P(D | subject in cell)`` for every cell of a :class:`~wayhome.geo.grid.GridSpec`, plus
one number for the rest of the world (ROW), ready for a Bayes update
(``wayhome.search.bayes.poa_after_likelihood``). Only ratios between cells matter: the
update multiplies each cell by its likelihood and renormalises.

The four families
-----------------
:class:`PointClue` (``"item"``, ``"footprint"``, ``"sighting"``)
    The subject was at a point. ``L_true = exp(-d² / 2σ²)`` with
    ``σ² = radius_m² + res²/12`` (the planner's radius as a standard deviation, widened
    by the spread of a position uniform within one cell, so a clue smaller than a cell
    still lands on the cell that holds it), scaled so its largest value on the map is 1.
:class:`DirectionalClue` (``"dog_alert"``, ``"scent_track"``)
    The subject lies in a direction from a point. ``L_true = A(θ) · exp(-d² / 2 range_m²)``:
    a half-normal detection function of distance (the usual form in search theory;
    Koopman 1980) times a von Mises wedge in bearing.
:class:`BearingClue` (``"sound"``)
    A listener heard a call from a direction. ``L_true = A(θ) · [d <= max_range_m]``:
    the same wedge, cut at the distance a call carries (Koopman's *definite-range* law;
    the default 332 m is the shout a team heard in Koester's New Zealand trials,
    SEARCH-SCIENCE.md §2.2).
:class:`NegativeClue` (``"cleared"``)
    A reliable witness or a team cleared an area with detection probability ``pod``:
    ``L = 1 - pod · f`` where ``f`` is the fraction of the cell inside the polygon, 1
    for the rest of the world. This is the unsuccessful-search update of search theory
    (SEARCH-SCIENCE.md §2.1) for one polygon.

The wedge ``A(θ) = exp(κ (cos(θ - bearing) - 1))`` is a von Mises density scaled to a
peak of 1, with ``κ`` chosen so its mean resultant length equals that of a wrapped
normal with standard deviation ``spread_deg`` (``exp(-σ²/2)``; Fisher 1993,
*Statistical Analysis of Circular Data*, §3.3). Bearings are true bearings (correct a
compass for declination first); the grid's convergence at the clue is corrected here.
Within half a cell of the clue the bearing cannot be resolved and ``A = 1``.

Confidence and false clues
--------------------------
Point, directional and sound clues carry ``confidence`` ``c``, the chance the clue is
really the subject's. A false clue is equally likely wherever the subject is, so the
likelihood is the mixture ``L = c · L_true + (1 - c) · 1``: with ``c → 0`` it is 1
everywhere and changes nothing; cells far from a genuine clue keep ``1 - c`` of their
weight relative to cells at it.

wayhome assumptions (no published source)
-----------------------------------------
* ``L_true`` is scaled to a peak of 1 on the map, which fixes how strongly ``c`` pulls: the
  likelihood ratio between the clue's best cell and a far cell is ``1 / (1 - c)``.
* The subject, if outside the map, is taken to be just outside the edge cell most
  favourable to the clue: ROW gets ``c · max(L_true on the border) + (1 - c)``. A clue
  near the edge therefore never rules out the rest of the world.
* Kernels do not grow with the time since the clue; a planner who expects the subject
  to have moved on widens ``radius_m`` or ``range_m``.
* A clearing polygon that reaches beyond the map does not clear any of the rest of
  the world.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.optimize import brentq
from scipy.special import i0e, i1e
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from wayhome.errors import InvalidLocationError, InvalidParameterError
from wayhome.geo.coords import LonLat, geometry_to_crs, to_crs
from wayhome.geo.grid import GridSpec

__all__ = [
    "BEARING_KINDS",
    "REPORTED_KINDS",
    "SHOUT_RANGE_M",
    "BearingClue",
    "Clue",
    "DirectionalClue",
    "DirectionalKind",
    "NegativeClue",
    "PointClue",
    "PointKind",
    "build_clue",
    "likelihood",
    "von_mises_kappa",
]

#: How far a searcher hears a shout, in metres: 332 m by day in Koester's two-way sound
#: trials in New Zealand mountains (306 m at night; SEARCH-SCIENCE.md §2.2).
SHOUT_RANGE_M = 332.0

PointKind = Literal["item", "footprint", "sighting"]
DirectionalKind = Literal["dog_alert", "scent_track"]

_POINT_KINDS = ("item", "footprint", "sighting")
#: What a searcher reports from the field: every kind but ``"cleared"``.
REPORTED_KINDS = ("item", "footprint", "sighting", "dog_alert", "scent_track", "sound")
#: Reported kinds that point somewhere, so need a bearing.
BEARING_KINDS = ("dog_alert", "scent_track", "sound")
_DIRECTIONAL_KINDS = ("dog_alert", "scent_track")


# ---------------------------------------------------------------------- validation
def _check_time(time: datetime) -> None:
    if not isinstance(time, datetime) or time.tzinfo is None or time.utcoffset() is None:
        raise InvalidParameterError(
            f"time: {time!r} has no time zone; give an aware datetime such as "
            f"datetime(2024, 5, 1, 14, 30, tzinfo=UTC)"
        )


def _check_kind(kind: str, valid: tuple[str, ...]) -> None:
    if kind not in valid:
        raise InvalidParameterError(f"kind: {kind!r} is not one of {', '.join(valid)}")


def _check_positive(name: str, value: float, unit: str) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise InvalidParameterError(f"{name}: must be a positive number of {unit}, got {value!r}")


def _check_confidence(value: float) -> None:
    if not (isinstance(value, int | float) and 0.0 < value <= 1.0):
        raise InvalidParameterError(
            f"confidence: must be in (0, 1] (the chance the clue is the subject's), got {value!r}"
        )


def _check_bearing(bearing_deg: float, spread_deg: float) -> None:
    if not (isinstance(bearing_deg, int | float) and 0.0 <= bearing_deg < 360.0):
        raise InvalidParameterError(
            f"bearing_deg: must be a true bearing in [0, 360) degrees, got {bearing_deg!r}"
        )
    if not (isinstance(spread_deg, int | float) and 0.0 < spread_deg <= 180.0):
        raise InvalidParameterError(
            f"spread_deg: must be in (0, 180] degrees (one standard deviation of the bearing), "
            f"got {spread_deg!r}"
        )


def _check_at(at: LonLat) -> None:
    if not isinstance(at, LonLat):
        raise InvalidParameterError(f"at: must be a LonLat, got {type(at).__name__}")


def _check_note(note: str) -> None:
    if not isinstance(note, str):
        raise InvalidParameterError(f"note: must be text, got {type(note).__name__}")


# ---------------------------------------------------------------------- clues
@dataclass(frozen=True, slots=True, kw_only=True)
class PointClue:
    """The subject was at a point: a found item, a footprint or a sighting.

    Parameters
    ----------
    kind : {"item", "footprint", "sighting"}
        What was found or seen.
    at : LonLat
        Where.
    time : datetime
        When it was found or seen (time-zone aware).
    radius_m : float
        Location uncertainty in metres, used as one standard deviation.
    confidence : float
        Chance in (0, 1] that the clue is really the subject's.
    note : str
        Free text for the log.
    """

    kind: PointKind
    at: LonLat
    time: datetime
    radius_m: float
    confidence: float
    note: str = ""

    def __post_init__(self) -> None:
        _check_kind(self.kind, _POINT_KINDS)
        _check_at(self.at)
        _check_time(self.time)
        _check_positive("radius_m", self.radius_m, "metres")
        _check_confidence(self.confidence)
        _check_note(self.note)


@dataclass(frozen=True, slots=True, kw_only=True)
class DirectionalClue:
    """The subject lies in a direction from a point: a dog alert or a scent-article track.

    Parameters
    ----------
    kind : {"dog_alert", "scent_track"}
        The dog team's report.
    at : LonLat
        Where the dog alerted or the track was read.
    time : datetime
        When (time-zone aware).
    bearing_deg : float
        True bearing towards the subject, in [0, 360).
    spread_deg : float
        Uncertainty of the bearing (one standard deviation), in (0, 180].
    range_m : float
        Distance scale (standard deviation of a half-normal) within which the subject
        probably lies: the alert range for an alert, how far the subject may have walked
        along a track.
    confidence : float
        Chance in (0, 1] that the clue is really the subject's.
    note : str
        Free text for the log.
    """

    kind: DirectionalKind
    at: LonLat
    time: datetime
    bearing_deg: float
    spread_deg: float
    range_m: float
    confidence: float
    note: str = ""

    def __post_init__(self) -> None:
        _check_kind(self.kind, _DIRECTIONAL_KINDS)
        _check_at(self.at)
        _check_time(self.time)
        _check_bearing(self.bearing_deg, self.spread_deg)
        _check_positive("range_m", self.range_m, "metres")
        _check_confidence(self.confidence)
        _check_note(self.note)


@dataclass(frozen=True, slots=True, kw_only=True)
class BearingClue:
    """A call or howl heard by a listener, from a direction.

    Parameters
    ----------
    at : LonLat
        Where the listener stood.
    time : datetime
        When (time-zone aware).
    bearing_deg : float
        True bearing from the listener towards the sound, in [0, 360).
    spread_deg : float
        Uncertainty of the bearing (one standard deviation), in (0, 180].
    confidence : float
        Chance in (0, 1] that the sound was the subject.
    max_range_m : float
        How far such a sound carries; default :data:`SHOUT_RANGE_M`.
    note : str
        Free text for the log.
    kind : {"sound"}
        Always ``"sound"``.
    """

    at: LonLat
    time: datetime
    bearing_deg: float
    spread_deg: float
    confidence: float
    max_range_m: float = SHOUT_RANGE_M
    note: str = ""
    kind: Literal["sound"] = "sound"

    def __post_init__(self) -> None:
        _check_kind(self.kind, ("sound",))
        _check_at(self.at)
        _check_time(self.time)
        _check_bearing(self.bearing_deg, self.spread_deg)
        _check_positive("max_range_m", self.max_range_m, "metres")
        _check_confidence(self.confidence)
        _check_note(self.note)


@dataclass(frozen=True, slots=True, kw_only=True)
class NegativeClue:
    """An area cleared by a reliable witness or a hasty check: the subject is not there.

    Parameters
    ----------
    polygon : tuple of (lon, lat)
        The cleared area's outline in WGS 84 degrees (at least three corners; the ring
        closes itself).
    time : datetime
        When it was cleared (time-zone aware).
    pod : float
        Probability in [0, 1] that the subject would have been detected there.
    note : str
        Free text for the log.
    kind : {"cleared"}
        Always ``"cleared"``.
    """

    polygon: tuple[tuple[float, float], ...]
    time: datetime
    pod: float
    note: str = ""
    kind: Literal["cleared"] = "cleared"

    def __post_init__(self) -> None:
        _check_kind(self.kind, ("cleared",))
        _check_time(self.time)
        if not (isinstance(self.pod, int | float) and 0.0 <= self.pod <= 1.0):
            raise InvalidParameterError(f"pod: must be in [0, 1], got {self.pod!r}")
        _check_note(self.note)
        corners = tuple(self.polygon)
        if len(set(corners)) < 3:
            raise InvalidParameterError(
                f"polygon: needs at least three distinct (lon, lat) corners, got {len(corners)}"
            )
        for lon, lat in corners:
            try:
                LonLat(lon=float(lon), lat=float(lat))
            except InvalidLocationError as exc:
                raise InvalidParameterError(f"polygon: corner ({lon}, {lat}): {exc}") from None
        shape = Polygon(corners)
        if not shape.is_valid or shape.area <= 0.0:
            raise InvalidParameterError(
                f"polygon: the outline crosses itself or has no area "
                f"({shapely.is_valid_reason(shape)}); list the corners in order around the area"
            )


#: Any clue :func:`likelihood` understands.
Clue = PointClue | DirectionalClue | BearingClue | NegativeClue


def build_clue(
    kind: str,
    *,
    at: LonLat,
    time: datetime,
    confidence: float = 0.7,
    radius_m: float = 50.0,
    bearing_deg: float | None = None,
    spread_deg: float = 30.0,
    range_m: float = 500.0,
    note: str = "",
) -> PointClue | DirectionalClue | BearingClue:
    """The clue a field report describes, from the kind's name and plain values.

    One function for every reported kind (:data:`REPORTED_KINDS`), so the command line
    and the incident server build the same clue from the same report.

    Parameters
    ----------
    kind : str
        One of :data:`REPORTED_KINDS`.
    at : LonLat
        Where it was found; for a sound, where the listener stood.
    time : datetime
        When (time-zone aware).
    confidence : float
        Chance in (0, 1] that the clue is the subject's.
    radius_m : float
        Location uncertainty of a point clue (item, footprint, sighting), metres.
    bearing_deg : float, optional
        True bearing in [0, 360); needed by :data:`BEARING_KINDS`, ignored otherwise.
    spread_deg : float
        Bearing uncertainty (one standard deviation), degrees.
    range_m : float
        Reach of a directional clue (``range_m``) or how far a sound carries
        (``max_range_m``), metres.
    note : str
        Free text for the log.

    Raises
    ------
    InvalidParameterError
        An unknown kind, a missing bearing, or a value out of range; the message names it.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> at = LonLat(lon=-84.28, lat=36.547)
    >>> t = datetime(2026, 10, 17, 21, 5, tzinfo=UTC)
    >>> build_clue("dog_alert", at=at, time=t, bearing_deg=345.0).kind
    'dog_alert'
    >>> build_clue("sound", at=at, time=t, bearing_deg=315.0, range_m=450.0).max_range_m
    450.0
    >>> build_clue("item", at=at, time=t, radius_m=20.0).radius_m
    20.0
    """
    if kind in _POINT_KINDS:
        pkind: PointKind = "item" if kind == "item" else "footprint"
        pkind = "sighting" if kind == "sighting" else pkind
        return PointClue(
            kind=pkind, at=at, time=time, radius_m=radius_m, confidence=confidence, note=note
        )
    if kind not in BEARING_KINDS:
        raise InvalidParameterError(
            f"kind: {kind!r} is not a clue kind; use one of {', '.join(REPORTED_KINDS)}"
        )
    if bearing_deg is None:
        raise InvalidParameterError(
            f"bearing_deg: a {kind} clue needs a bearing in degrees (true), in [0, 360)"
        )
    if kind == "sound":
        return BearingClue(
            at=at,
            time=time,
            bearing_deg=bearing_deg,
            spread_deg=spread_deg,
            confidence=confidence,
            max_range_m=range_m,
            note=note,
        )
    dkind: DirectionalKind = "dog_alert" if kind == "dog_alert" else "scent_track"
    return DirectionalClue(
        kind=dkind,
        at=at,
        time=time,
        bearing_deg=bearing_deg,
        spread_deg=spread_deg,
        range_m=range_m,
        confidence=confidence,
        note=note,
    )


# ---------------------------------------------------------------------- likelihoods
def von_mises_kappa(spread_deg: float) -> float:
    """Von Mises concentration κ whose spread matches a wrapped normal of sd ``spread_deg``.

    Solves ``I1(κ)/I0(κ) = exp(-σ²/2)`` (equal mean resultant length; Fisher 1993, §3.3).

    Examples
    --------
    >>> round(von_mises_kappa(10.0), 1)   # small spreads: about 1/σ²
    33.3
    >>> von_mises_kappa(180.0) < 0.02     # half a circle: nearly uniform
    True
    """
    if not 0.0 < spread_deg <= 180.0:
        raise InvalidParameterError(f"spread_deg: must be in (0, 180], got {spread_deg}")
    sigma = math.radians(spread_deg)
    target = math.exp(-sigma * sigma / 2.0)

    def gap(kappa: float) -> float:
        return float(i1e(kappa) / i0e(kappa)) - target

    return float(brentq(gap, 1e-12, 10.0 / (sigma * sigma) + 10.0, xtol=1e-12, rtol=1e-12))


def _at_xy(at: LonLat, grid: GridSpec, what: str) -> tuple[float, float]:
    """(x, y) of ``at`` in the grid CRS; refused when it is not on the map."""
    x, y = to_crs(at, grid.crs)
    if not (math.isfinite(x) and math.isfinite(y) and grid.contains(x, y)):
        left, bottom, right, top = grid.bounds
        raise InvalidParameterError(
            f"clue: the {what} at lat {at.lat}, lon {at.lon} is outside the map "
            f"(x {left:.0f}..{right:.0f}, y {bottom:.0f}..{top:.0f} in {grid.crs}); "
            f"check the coordinates (latitude first?) or plan on a larger extent"
        )
    return x, y


def _grid_bearing_deg(at: LonLat, bearing_deg: float, grid: GridSpec) -> float:
    """``bearing_deg`` (from true north) measured from the grid's north at ``at``."""
    x0, y0 = to_crs(at, grid.crs)
    step = 1e-4 if at.lat < 89.0 else -1e-4
    x1, y1 = to_crs(LonLat(lon=at.lon, lat=at.lat + step), grid.crs)
    north = math.degrees(math.atan2(x1 - x0, y1 - y0)) + (0.0 if step > 0 else 180.0)
    return bearing_deg + north


def _offsets(grid: GridSpec, x: float, y: float) -> tuple[NDArray[np.float64], ...]:
    xs, ys = grid.centers()
    dx = xs[np.newaxis, :] - x
    dy = ys[:, np.newaxis] - y
    dx, dy = np.broadcast_arrays(dx, dy)
    return dx, dy


def _wedge(
    grid: GridSpec, x: float, y: float, bearing_deg: float, spread_deg: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Von Mises wedge (peak 1) of every cell seen from (x, y), and each cell's distance."""
    dx, dy = _offsets(grid, x, y)
    distance = np.hypot(dx, dy)
    theta = np.arctan2(dx, dy)  # clockwise from grid north
    kappa = von_mises_kappa(spread_deg)
    wedge = np.exp(kappa * (np.cos(theta - math.radians(bearing_deg)) - 1.0))
    # Within half a cell of the apex the direction cannot be resolved.
    wedge[distance <= grid.resolution / 2.0] = 1.0
    return wedge, distance


def _point_true(clue: PointClue, grid: GridSpec) -> NDArray[np.float64]:
    x, y = _at_xy(clue.at, grid, clue.kind)
    variance = clue.radius_m**2 + grid.resolution**2 / 12.0
    dx, dy = _offsets(grid, x, y)
    bump = np.exp(-(dx * dx + dy * dy) / (2.0 * variance))
    # Peak 1 on the map whatever the point's place in its cell (it is on the map, so > 0).
    return np.asarray(bump / float(bump.max()), dtype=np.float64)


def _directional_true(clue: DirectionalClue, grid: GridSpec) -> NDArray[np.float64]:
    x, y = _at_xy(clue.at, grid, clue.kind.replace("_", " "))
    bearing = _grid_bearing_deg(clue.at, clue.bearing_deg, grid)
    wedge, distance = _wedge(grid, x, y, bearing, clue.spread_deg)
    return wedge * np.exp(-(distance**2) / (2.0 * clue.range_m**2))


def _sound_true(clue: BearingClue, grid: GridSpec) -> NDArray[np.float64]:
    x, y = _at_xy(clue.at, grid, "listener")
    bearing = _grid_bearing_deg(clue.at, clue.bearing_deg, grid)
    wedge, distance = _wedge(grid, x, y, bearing, clue.spread_deg)
    return np.where(distance <= clue.max_range_m, wedge, 0.0)


def _cell_fraction_inside(polygon: BaseGeometry, grid: GridSpec) -> NDArray[np.float64]:
    """Fraction of each cell's area inside ``polygon`` (given in the grid CRS)."""
    fraction = np.zeros(grid.shape, dtype=np.float64)
    left, _, _, top = grid.bounds
    r = grid.resolution
    rows, cols = grid.shape
    px0, py0, px1, py1 = polygon.bounds
    c0, c1 = max(math.floor((px0 - left) / r), 0), min(math.ceil((px1 - left) / r), cols)
    r0, r1 = max(math.floor((top - py1) / r), 0), min(math.ceil((top - py0) / r), rows)
    if c0 >= c1 or r0 >= r1:
        return fraction
    cc, rr = np.meshgrid(np.arange(c0, c1), np.arange(r0, r1))
    x0 = left + cc * r
    y1 = top - rr * r
    boxes = shapely.box(x0, y1 - r, x0 + r, y1)
    shapely.prepare(polygon)
    window = np.zeros(boxes.shape, dtype=np.float64)
    window[shapely.covers(polygon, boxes)] = 1.0
    partial = shapely.intersects(polygon, boxes) & (window < 1.0)
    window[partial] = shapely.area(shapely.intersection(boxes[partial], polygon)) / (r * r)
    fraction[r0:r1, c0:c1] = np.clip(window, 0.0, 1.0)
    return fraction


def _negative(clue: NegativeClue, grid: GridSpec) -> NDArray[np.float64]:
    outside = InvalidParameterError(
        "clue: the cleared polygon is outside the map (it does not overlap the grid); "
        "check the corners are (lon, lat) pairs in the search area, or plan on a larger "
        "extent"
    )
    shape = geometry_to_crs(Polygon(clue.polygon), "EPSG:4326", grid.crs)
    # Far from the grid's zone a projection runs off to infinity: such corners are
    # certainly not on the map (and GEOS cannot work with them).
    if not np.isfinite(shapely.get_coordinates(shape)).all():
        raise outside
    if not isinstance(shape, Polygon) or not shape.is_valid:
        shape = shapely.make_valid(shape)
    fraction = _cell_fraction_inside(shape, grid)
    if not float(fraction.max(initial=0.0)) > 0.0:
        raise outside
    return np.asarray(1.0 - clue.pod * fraction, dtype=np.float64)


def _border_max(values: NDArray[np.float64]) -> float:
    return float(
        max(values[0, :].max(), values[-1, :].max(), values[:, 0].max(), values[:, -1].max())
    )


def likelihood(clue: Clue, grid: GridSpec) -> tuple[NDArray[np.float64], float]:
    """Per-cell likelihood of ``clue`` and the likelihood for the rest of the world.

    Parameters
    ----------
    clue : PointClue, DirectionalClue, BearingClue or NegativeClue
        The evidence; forms and assumptions in the module docstring.
    grid : GridSpec
        The map.

    Returns
    -------
    cells : ndarray of float64
        ``P(clue | subject in cell)`` up to a common factor, shape ``grid.shape``, in [0, 1].
    rest_of_world : float
        The same for a subject outside the map, in [0, 1].

    Raises
    ------
    InvalidParameterError
        The clue's point (or the cleared polygon) is outside the map.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> at = LonLat(lon=-117.0, lat=34.0)
    >>> x, y = to_crs(at, "EPSG:32611")
    >>> grid = GridSpec.centered_on(x, y, crs="EPSG:32611", resolution=10.0, extent_m=200.0)
    >>> clue = PointClue(kind="item", at=at, time=datetime(2024, 5, 1, tzinfo=UTC),
    ...                  radius_m=20.0, confidence=0.8)
    >>> cells, row = likelihood(clue, grid)
    >>> round(float(cells[10, 10]), 3), round(float(cells[0, 0]), 3), round(row, 3)
    (1.0, 0.2, 0.2)
    """
    if isinstance(clue, NegativeClue):
        return _negative(clue, grid), 1.0
    if isinstance(clue, PointClue):
        true = _point_true(clue, grid)
    elif isinstance(clue, DirectionalClue):
        true = _directional_true(clue, grid)
    elif isinstance(clue, BearingClue):
        true = _sound_true(clue, grid)
    else:
        raise InvalidParameterError(
            f"clue: {type(clue).__name__} is not a clue; give a PointClue, DirectionalClue, "
            f"BearingClue or NegativeClue"
        )
    c = float(clue.confidence)
    cells = c * true + (1.0 - c)
    return np.asarray(cells, dtype=np.float64), c * _border_max(true) + (1.0 - c)
