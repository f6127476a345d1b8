"""Detection: sweep width, coverage and probability of detection (POD).

Search theory (Koopman 1946/1980; Stone 1975; Cooper, Frost & Robe 2003) in four steps:

1. a resource sweeps an effective width ``W`` (:func:`sweep_width`, from the packaged
   table ``data/sweep_widths.csv``, every row cited; see ``data/README.md``);
2. walking a track of length ``L`` in a segment of area ``A`` gives coverage
   ``C = W·L/A`` (:func:`coverage`; or :func:`effort_m2` from speed and hours);
3. coverage gives POD: ``1 - exp(-C)`` (:func:`pod_exponential`, the conservative default)
   or the inverse-cube law (:func:`pod_inverse_cube`, for comparison);
4. independent searches of one segment combine as ``1 - prod(1 - POD)``
   (:func:`cumulative_pod`).

Widths are for an *unresponsive*, medium-visibility adult: a subject who calls back or
shows a light can be found from much further away, but that is attraction, not sweep
width, and wayhome does not count it.
"""

from __future__ import annotations

import csv
import functools
import io
import math
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from typing import overload

import numpy as np
from numpy.typing import NDArray
from scipy import special

from wayhome.errors import DataFileError, InvalidParameterError

__all__ = [
    "FATIGUE_FLOOR",
    "FATIGUE_HOURS_IAMSAR",
    "FATIGUE_ONSET_HOURS",
    "FATIGUE_SLOPE_PER_HOUR",
    "RESOURCE_TYPES",
    "TEAM_GAIN",
    "TEAM_GAIN_RESOURCES",
    "VEGETATION",
    "SweepWidth",
    "coverage",
    "cumulative_pod",
    "effort_m2",
    "fatigue_factor",
    "pod_exponential",
    "pod_for_effort",
    "pod_inverse_cube",
    "sweep_width",
]

_FloatArray = NDArray[np.float64]

#: Resource types in the packaged table: hasty and area (grid) ground searchers, air-scent
#: and trailing dog teams, drones with a daylight or a thermal camera, mounted searchers,
#: off-highway vehicles and helicopters.
RESOURCE_TYPES: tuple[str, ...] = (
    "ground_hasty",
    "ground_grid",
    "dog_air_scent",
    "dog_trailing",
    "drone_rgb",
    "drone_thermal",
    "horse",
    "ohv",
    "helicopter",
)

#: Vegetation / visibility classes: ``open`` (0-15 % cover, flat or rolling), ``medium``
#: (15-60 % cover or hilly; temperate forest, Koester's reference condition), ``dense``
#: (60-85 % cover, thick brush, or mountainous). The bands follow the IAMSAR/US NSS land
#: vegetation factors 1.0 / 0.5 / 0.3 (SEARCH-SCIENCE.md §2.2).
VEGETATION: tuple[str, ...] = ("open", "medium", "dense")

#: A two-person ground team sweeps 1.3 × the width of one searcher; a third person adds no
#: significant gain. Koester 2018/2020, "New sweep width values, correction factors..."
#: (JSAR v4), via SEARCH-SCIENCE.md §2.2.
TEAM_GAIN = 1.3

#: The resources the measured team gain applies to (Koester measured ground searchers).
TEAM_GAIN_RESOURCES: tuple[str, ...] = ("ground_hasty", "ground_grid")

#: Hours on task before fatigue is counted. wayhome assumption: half of the 8 h after which
#: IAMSAR applies its fatigue correction, because the sweep-width experiments were short
#: sessions.
FATIGUE_ONSET_HOURS = 4.0

#: Hours on task at which detection has fallen by 10 % (factor 0.9): IAMSAR's correction of
#: 10 % for operations longer than 8 h (US NSS / JP 3-50 Vol I App. D "Correcting for
#: Fatigue": multiply W by 0.9 for excessively fatigued crews; summarised as "> 8 hours" by
#: SARWorld, "Understanding Fatigue in SAR Volunteers").
FATIGUE_HOURS_IAMSAR = 8.0

#: Decline of the fatigue factor per hour after :data:`FATIGUE_ONSET_HOURS`: derived so the
#: factor is 0.9 at :data:`FATIGUE_HOURS_IAMSAR`, i.e. (1 - 0.9) / (8 - 4) = 0.025 per hour.
FATIGUE_SLOPE_PER_HOUR = (1.0 - 0.9) / (FATIGUE_HOURS_IAMSAR - FATIGUE_ONSET_HOURS)

#: Lowest fatigue factor. Derived from the USCG sweep-width experiments, in which detection
#: of medium- and low-visibility targets fell by 42 % and 51 % for searchers who declared
#: themselves fatigued (as quoted by SARWorld, "Understanding Fatigue in SAR Volunteers";
#: secondary): the factor never falls below 1 - 0.5.
FATIGUE_FLOOR = 0.5

_TABLE = "sweep_widths.csv"
_LIGHTS = ("day", "night")
_M_PER_KM = 1000.0
_COLUMNS = ("resource", "vegetation", "light", "width_m", "speed_kmh", "source", "notes")


@dataclass(frozen=True, slots=True)
class SweepWidth:
    """The effective sweep width and search speed of one searcher (or unit).

    Parameters
    ----------
    resource : str
        Resource type, usually one of :data:`RESOURCE_TYPES` (any name is accepted for a
        width the planner measured or estimated).
    vegetation : str
        One of :data:`VEGETATION`.
    night : bool
        True for a night search.
    width_m : float
        Effective sweep width W in metres, per searcher; 0 means "no credit".
    speed_kmh : float
        Typical speed while searching, km/h, > 0.
    source : str
        Citation, or ``"wayhome assumption: ..."``.

    Raises
    ------
    InvalidParameterError
        A value is out of range or ``source`` is empty.

    Examples
    --------
    >>> SweepWidth("ground_grid", "medium", False, 64.0, 1.0, "Koester 2018").width_m
    64.0
    >>> SweepWidth("ground_grid", "swamp", False, 64.0, 1.0, "x")
    Traceback (most recent call last):
    ...
    wayhome.errors.InvalidParameterError: vegetation: unknown 'swamp'; known: open, medium, dense
    """

    resource: str
    vegetation: str
    night: bool
    width_m: float
    speed_kmh: float
    source: str

    def __post_init__(self) -> None:
        if not self.resource.strip():
            raise InvalidParameterError("resource: empty; name the resource, e.g. 'ground_grid'")
        _check_vegetation(self.vegetation)
        if not (math.isfinite(self.width_m) and self.width_m >= 0.0):
            raise InvalidParameterError(
                f"width_m: {self.width_m!r} must be a finite number >= 0 (metres)"
            )
        if not (math.isfinite(self.speed_kmh) and self.speed_kmh > 0.0):
            raise InvalidParameterError(
                f"speed_kmh: {self.speed_kmh!r} must be a finite number > 0 (km/h)"
            )
        if not self.source.strip():
            raise InvalidParameterError(
                "source: empty; cite where the width comes from (or write 'planner estimate')"
            )


def _check_vegetation(vegetation: str) -> None:
    if vegetation not in VEGETATION:
        raise InvalidParameterError(
            f"vegetation: unknown {vegetation!r}; known: {', '.join(VEGETATION)}"
        )


def _read_table() -> tuple[dict[str, str], ...]:
    try:
        text = (resources.files("wayhome.search") / "data" / _TABLE).read_text(encoding="utf-8")
    except OSError as exc:  # pragma: no cover - a broken installation
        raise DataFileError(f"{_TABLE}: packaged data missing ({exc}); reinstall wayhome") from exc
    return tuple(csv.DictReader(io.StringIO(text)))


@functools.cache
def _widths() -> dict[tuple[str, str, bool], SweepWidth]:
    """The packaged table, (resource, vegetation, night) -> width, validated on first use."""
    table: dict[tuple[str, str, bool], SweepWidth] = {}
    for line, row in enumerate(_read_table(), start=2):
        try:
            missing = [c for c in _COLUMNS if c not in row or row[c] is None]
            if missing:
                raise ValueError(f"missing column(s) {', '.join(missing)}")
            resource, light = row["resource"].strip(), row["light"].strip()
            if resource not in RESOURCE_TYPES:
                raise ValueError(f"unknown resource {resource!r}")
            if light not in _LIGHTS:
                raise ValueError(f"light {light!r} is not day or night")
            width = SweepWidth(
                resource,
                row["vegetation"].strip(),
                light == "night",
                float(row["width_m"]),
                float(row["speed_kmh"]),
                row["source"].strip(),
            )
        except ValueError as exc:  # InvalidParameterError is a ValueError
            raise DataFileError(f"{_TABLE} line {line}: {exc}; correct the row") from exc
        key = (width.resource, width.vegetation, width.night)
        if key in table:
            raise DataFileError(f"{_TABLE} line {line}: {key} appears twice; keep one row")
        table[key] = width
    gaps = [
        f"{r}/{v}/{light}"
        for r in RESOURCE_TYPES
        for v in VEGETATION
        for light in _LIGHTS
        if (r, v, light == "night") not in table
    ]
    if gaps:
        raise DataFileError(f"{_TABLE}: no row for {', '.join(gaps)}; add them with a source")
    return table


def sweep_width(
    resource: str, *, vegetation: str = "medium", night: bool = False, team_size: int = 1
) -> SweepWidth:
    """The packaged sweep width W of one searcher of ``resource``.

    W is per searcher. For searchers who move together and scan the same strip (a hasty
    pair, a dog handler with a navigator), ``team_size`` spreads the team's width over its
    members: for ground searchers the team sweeps :data:`TEAM_GAIN` × W from two people on
    (Koester: a third adds nothing significant), for every other resource extra members add
    nothing. Searchers spread out at their own spacing are separate units: count them in
    :func:`effort_m2` and keep ``team_size=1``.

    Parameters
    ----------
    resource : str
        One of :data:`RESOURCE_TYPES` (case and spaces are ignored).
    vegetation : str, optional
        One of :data:`VEGETATION`; default ``"medium"``.
    night : bool, optional
        Night search; default False.
    team_size : int, optional
        Members of one team that scan together, >= 1.

    Returns
    -------
    SweepWidth
        Per-searcher width and speed, with the table's source (and the team adjustment).

    Raises
    ------
    InvalidParameterError
        Unknown resource or vegetation (the message lists the known ones), or
        ``team_size < 1``.
    DataFileError
        The packaged table is broken (a broken installation).

    Examples
    --------
    >>> sweep_width("ground_grid").width_m
    64.0
    >>> sweep_width("ground_grid", night=True).width_m
    22.0
    >>> round(sweep_width("ground_hasty", team_size=2).width_m, 1)   # 64 * 1.3 / 2
    41.6
    >>> sweep_width("kayak")
    Traceback (most recent call last):
    ...
    wayhome.errors.InvalidParameterError: resource: unknown 'kayak'; known: ground_hasty, ground_grid, dog_air_scent, dog_trailing, drone_rgb, drone_thermal, horse, ohv, helicopter
    """  # noqa: E501
    key = "_".join(resource.strip().lower().replace("-", " ").split())
    if key not in RESOURCE_TYPES:
        raise InvalidParameterError(
            f"resource: unknown {resource!r}; known: {', '.join(RESOURCE_TYPES)}"
        )
    _check_vegetation(vegetation)
    if isinstance(team_size, bool) or not isinstance(team_size, int) or team_size < 1:
        raise InvalidParameterError(
            f"team_size: {team_size!r} must be a whole number >= 1 (people scanning together)"
        )
    width = _widths()[(key, vegetation, bool(night))]
    if team_size == 1:
        return width
    gain = TEAM_GAIN if key in TEAM_GAIN_RESOURCES else 1.0
    note = f"; per searcher in a team of {team_size}: W x {gain:g} / {team_size} " + (
        "(Koester 2018/2020: two-person team x 1.3, no significant gain from a third)"
        if gain != 1.0
        else "(wayhome assumption: no team gain measured for this resource)"
    )
    return SweepWidth(
        width.resource,
        width.vegetation,
        width.night,
        width.width_m * gain / team_size,
        width.speed_kmh,
        width.source + note,
    )


def _as_array(value: float | _FloatArray) -> _FloatArray:
    return np.asarray(value, dtype=np.float64)


def _where(values: _FloatArray, bad: NDArray[np.bool_]) -> tuple[str, float]:
    """(" at index i", value) of the first bad element, or ("", value) for a scalar."""
    if values.ndim == 0:
        return "", float(values)
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    label = index[0] if len(index) == 1 else index
    return f" at index {label}", float(values[index])


def _check_area(area: _FloatArray) -> None:
    bad = ~(np.isfinite(area) & (area > 0.0))
    if bad.any():
        where, value = _where(area, bad)
        problem = (
            "has zero area"
            if value == 0.0
            else ("has a negative area" if value < 0.0 else "has no finite area")
        )
        raise InvalidParameterError(
            f"area: segment{where} {problem} ({value!r} m²); every segment needs an area > 0 m²"
        )


def _check_non_negative(name: str, values: _FloatArray, unit: str) -> None:
    bad = ~(np.isfinite(values) & (values >= 0.0))
    if bad.any():
        where, value = _where(values, bad)
        raise InvalidParameterError(
            f"{name}: {value!r}{where} must be a finite number >= 0 ({unit})"
        )


def _result(values: _FloatArray) -> float | _FloatArray:
    return float(values) if values.ndim == 0 else values


@overload
def coverage(width_m: float, length_m: float, area_m2: float) -> float: ...
@overload
def coverage(
    width_m: _FloatArray, length_m: float | _FloatArray, area_m2: float | _FloatArray
) -> _FloatArray: ...
@overload
def coverage(
    width_m: float, length_m: _FloatArray, area_m2: float | _FloatArray
) -> _FloatArray: ...
@overload
def coverage(width_m: float, length_m: float, area_m2: _FloatArray) -> _FloatArray: ...
def coverage(
    width_m: float | _FloatArray, length_m: float | _FloatArray, area_m2: float | _FloatArray
) -> float | _FloatArray:
    """Coverage C = W·L/A of a track of length L through a segment of area A.

    Arrays broadcast (one value per segment, say). For a team, pass the summed track
    length of its searchers (effort n·W·L).

    Parameters
    ----------
    width_m : float or ndarray
        Sweep width W, metres, >= 0.
    length_m : float or ndarray
        Track length L inside the segment, metres, >= 0.
    area_m2 : float or ndarray
        Segment area A, m², > 0.

    Returns
    -------
    float or ndarray
        Coverage (dimensionless); a float when every argument is a scalar.

    Raises
    ------
    InvalidParameterError
        A segment area is not > 0, or a width or length is negative or not finite.

    Examples
    --------
    >>> coverage(64.0, 1000.0, 64_000.0)
    1.0
    >>> import numpy as np
    >>> coverage(64.0, np.array([500.0, 2000.0]), 64_000.0).tolist()
    [0.5, 2.0]
    >>> coverage(64.0, 1000.0, 0.0)
    Traceback (most recent call last):
    ...
    wayhome.errors.InvalidParameterError: area: segment has zero area (0.0 m²); every segment needs an area > 0 m²
    """  # noqa: E501
    w, length, area = _as_array(width_m), _as_array(length_m), _as_array(area_m2)
    _check_area(area)
    _check_non_negative("width_m", w, "metres")
    _check_non_negative("length_m", length, "metres")
    return _result(w * length / area)


def _check_coverage(c: float | _FloatArray) -> _FloatArray:
    values = _as_array(c)
    bad = ~(np.isfinite(values) & (values >= 0.0))
    if bad.any():
        where, value = _where(values, bad)
        raise InvalidParameterError(
            f"coverage: {value!r}{where} must be a finite number >= 0; coverage is W·L/A"
        )
    return values


@overload
def pod_exponential(c: float) -> float: ...
@overload
def pod_exponential(c: _FloatArray) -> _FloatArray: ...
def pod_exponential(c: float | _FloatArray) -> float | _FloatArray:
    """POD of random (exponential) search: 1 - exp(-C).

    wayhome's default: Koester's day and night field data fall between this curve and the
    inverse-cube curve, so the exponential is the conservative choice (Koester 2018/2020,
    SEARCH-SCIENCE.md §2.1).

    Parameters
    ----------
    c : float or ndarray
        Coverage, >= 0.

    Returns
    -------
    float or ndarray
        POD in [0, 1].

    Raises
    ------
    InvalidParameterError
        Coverage negative or not finite.

    Examples
    --------
    >>> [round(pod_exponential(c), 2) for c in (0.0, 1.0, 2.0, 3.0)]
    [0.0, 0.63, 0.86, 0.95]
    """
    return _result(-np.expm1(-_check_coverage(c)))


@overload
def pod_inverse_cube(c: float) -> float: ...
@overload
def pod_inverse_cube(c: _FloatArray) -> _FloatArray: ...
def pod_inverse_cube(c: float | _FloatArray) -> float | _FloatArray:
    """POD of parallel sweeps under Koopman's inverse-cube law: erf(√π·C/2).

    For comparison only: it is higher than :func:`pod_exponential` at every coverage, and
    field data fall between the two, so wayhome plans with the exponential.

    Parameters
    ----------
    c : float or ndarray
        Coverage, >= 0.

    Returns
    -------
    float or ndarray
        POD in [0, 1].

    Raises
    ------
    InvalidParameterError
        Coverage negative or not finite.

    Examples
    --------
    >>> round(pod_inverse_cube(1.0), 3), round(pod_exponential(1.0), 3)
    (0.79, 0.632)
    """
    values = _check_coverage(c)
    return _result(np.asarray(special.erf(math.sqrt(math.pi) * values / 2.0), dtype=np.float64))


def fatigue_factor(hours_on_task: float) -> float:
    """Detection multiplier after ``hours_on_task`` hours of searching.

    1.0 up to :data:`FATIGUE_ONSET_HOURS` (4 h, wayhome assumption), then falling linearly
    to 0.9 at :data:`FATIGUE_HOURS_IAMSAR` (8 h, IAMSAR's 10 % fatigue correction) and on
    at the same rate, never below :data:`FATIGUE_FLOOR` (0.5, from the USCG experiments'
    42-51 % drop for fatigued searchers).

    Parameters
    ----------
    hours_on_task : float
        Hours since the searcher started, >= 0.

    Returns
    -------
    float
        In [0.5, 1], non-increasing in time.

    Raises
    ------
    InvalidParameterError
        Negative or non-finite hours.

    Examples
    --------
    >>> fatigue_factor(2.0), fatigue_factor(8.0), fatigue_factor(40.0)
    (1.0, 0.9, 0.5)
    """
    _check_hours(hours_on_task)
    decline = FATIGUE_SLOPE_PER_HOUR * max(0.0, hours_on_task - FATIGUE_ONSET_HOURS)
    return max(FATIGUE_FLOOR, 1.0 - decline)


def _check_hours(hours: float) -> None:
    if not (math.isfinite(hours) and hours >= 0.0):
        raise InvalidParameterError(
            f"hours: {hours!r} must be >= 0 (and finite); give the time on task in hours"
        )


def _mean_fatigue(hours: float) -> float:
    """Mean of :func:`fatigue_factor` over [0, hours] (exact integral of the piecewise line)."""
    if hours <= FATIGUE_ONSET_HOURS:
        return 1.0
    floor_at = FATIGUE_ONSET_HOURS + (1.0 - FATIGUE_FLOOR) / FATIGUE_SLOPE_PER_HOUR
    declining = min(hours, floor_at) - FATIGUE_ONSET_HOURS
    integral = (
        FATIGUE_ONSET_HOURS
        + declining
        - FATIGUE_SLOPE_PER_HOUR * declining**2 / 2.0
        + FATIGUE_FLOOR * max(0.0, hours - floor_at)
    )
    return integral / hours


def effort_m2(
    resource_width: SweepWidth, *, searchers: int, hours: float, fatigue: bool = True
) -> float:
    """Area effectively swept: W × speed × hours × searchers × mean fatigue factor.

    Divide by a segment's area for its coverage (:func:`pod_for_effort` does both steps).

    Parameters
    ----------
    resource_width : SweepWidth
        Per-searcher width and speed (from :func:`sweep_width`).
    searchers : int
        Searchers (or units: dog teams, aircraft) each sweeping ``width_m``, >= 1. With a
        team width from ``sweep_width(..., team_size=n)`` count every member.
    hours : float
        Hours searching in the segment (travel to it excluded), >= 0.
    fatigue : bool, optional
        Scale by the mean of :func:`fatigue_factor` over the hours; default True.

    Returns
    -------
    float
        Effort in m².

    Raises
    ------
    InvalidParameterError
        ``searchers < 1`` or negative hours.

    Examples
    --------
    >>> w = sweep_width("ground_grid")   # 64 m at 1 km/h
    >>> effort_m2(w, searchers=4, hours=2.0)
    512000.0
    >>> round(effort_m2(w, searchers=1, hours=8.0) / effort_m2(w, searchers=1, hours=8.0,
    ...                                                         fatigue=False), 4)
    0.975
    """
    if isinstance(searchers, bool) or not isinstance(searchers, int) or searchers < 1:
        raise InvalidParameterError(
            f"searchers: {searchers!r} must be a whole number >= 1; count the people or units"
        )
    _check_hours(hours)
    factor = _mean_fatigue(hours) if fatigue else 1.0
    track_m = resource_width.speed_kmh * _M_PER_KM * hours
    return resource_width.width_m * track_m * searchers * factor


def pod_for_effort(effort_m2: float, area_m2: float) -> float:
    """Exponential POD of ``effort_m2`` spread over a segment of ``area_m2``.

    Parameters
    ----------
    effort_m2 : float
        Area effectively swept (:func:`effort_m2`), >= 0.
    area_m2 : float
        Segment area, > 0.

    Returns
    -------
    float
        1 - exp(-effort / area).

    Raises
    ------
    InvalidParameterError
        Zero or negative area, or negative effort.

    Examples
    --------
    >>> round(pod_for_effort(1_000_000.0, 1_000_000.0), 3)
    0.632
    """
    effort, area = _as_array(effort_m2), _as_array(area_m2)
    _check_area(area)
    _check_non_negative("effort_m2", effort, "m²")
    return float(pod_exponential(float(effort / area)))


def cumulative_pod(pods: Iterable[float]) -> float:
    """Cumulative POD of independent searches of one segment: 1 - prod(1 - PODᵢ).

    For exponential passes this equals ``1 - exp(-sum(Cᵢ))``. No searches give 0.

    Parameters
    ----------
    pods : iterable of float
        Each in [0, 1].

    Returns
    -------
    float
        In [0, 1]; at least the largest single POD (up to rounding).

    Raises
    ------
    InvalidParameterError
        A value outside [0, 1] (the message gives its position).

    Examples
    --------
    >>> round(cumulative_pod([0.5, 0.5]), 6)
    0.75
    >>> cumulative_pod([])
    0.0
    """
    log_miss = 0.0
    for i, p in enumerate(pods):
        value = float(p)
        if not (0.0 <= value <= 1.0):  # also refuses NaN
            raise InvalidParameterError(
                f"pods: {p!r} at position {i} is not a probability in [0, 1]; "
                "give each POD as a fraction (0.63, not 63)"
            )
        if value == 1.0:
            log_miss = -math.inf
        elif log_miss != -math.inf:
            log_miss += math.log1p(-value)
    return 0.0 - math.expm1(log_miss)  # 0.0, not -0.0, for no searches
