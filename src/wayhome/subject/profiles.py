"""Lost-person profiles: what ISRID says about how far, how fast and where a category goes.

:func:`profile_for` gathers, for one category and terrain class, the ISRID distance
quantiles of the best available cell, a lognormal fitted to them, the MapScore lognormal
where published, dispersion angles, mobility hours, a walking speed and the terrain
tendencies (trail, drainage, high ground). Every figure comes from the packaged CSV files in
``wayhome/subject/data`` (see its README), each row with its source; every fallback taken is
written into :attr:`Profile.notes` so the planner can see it.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np
from numpy.typing import NDArray
from scipy.stats import norm

from wayhome.errors import DataFileError, InvalidParameterError
from wayhome.subject.categories import (
    TERRAIN_CLASSES,
    _normalise,
    _read_csv,
    resolve_category,
)

__all__ = [
    "DistanceQuantiles",
    "Lognormal",
    "Profile",
    "Tendencies",
    "fit_lognormal",
    "profile_for",
]

_PROBS = (0.25, 0.5, 0.75, 0.95)
_MIN_SIGMA = 0.05
_VERIFICATION = {  # data/README.md explains the codes
    "partial_conflict": "the source copies disagree at some quantiles",
    "unit_conflict": "km values corrected from unconverted miles",
    "single_source": "only one source copy has this cell (not cross-checked)",
    "single_source_igt4sar": "only IGT4SAR has this cell (converted from miles, n not given)",
}


def _check_ascending(field: str, values: Sequence[float | None], lo: float, hi: float) -> None:
    """Raise unless the non-None ``values`` are finite, within [lo, hi] and non-decreasing."""
    known = [v for v in values if v is not None]
    if any(not (math.isfinite(v) and lo <= v <= hi) for v in known):
        raise InvalidParameterError(f"{field}: values must lie in [{lo:g}, {hi:g}], got {values}")
    if any(b < a for a, b in itertools.pairwise(known)):
        raise InvalidParameterError(f"{field}: quantiles must not decrease, got {values}")


@dataclass(frozen=True, slots=True)
class DistanceQuantiles:
    """One ISRID cell: straight-line distance IPP -> find at 25/50/75/95 %, in km.

    ``None`` marks a quantile the source does not report (n too small). ``terrain`` is the
    table cell (``"temperate_flat"``, ``"temperate"``, ``"all"``, ...), not the request.

    Examples
    --------
    >>> q = DistanceQuantiles(0.2, 0.8, 1.5, 3.7, n=38, terrain="temperate_mountainous",
    ...                       source="Koester 2008", verification="verified")
    >>> q.known()
    ((0.25, 0.2), (0.5, 0.8), (0.75, 1.5), (0.95, 3.7))
    """

    q25_km: float | None
    q50_km: float | None
    q75_km: float | None
    q95_km: float | None
    n: int | None
    terrain: str
    source: str
    verification: str

    def __post_init__(self) -> None:
        qs = (self.q25_km, self.q50_km, self.q75_km, self.q95_km)
        if any(q is not None and q <= 0 for q in qs):
            raise InvalidParameterError(f"quantiles: distances must be > 0 km, got {qs}")
        _check_ascending("quantiles", qs, 0.0, 40_075.0)
        if self.n is not None and self.n < 0:
            raise InvalidParameterError(f"n: must be >= 0 incidents, got {self.n}")
        if not self.terrain or not self.source.strip():
            raise InvalidParameterError("terrain, source: must be non-empty")

    def known(self) -> tuple[tuple[float, float], ...]:
        """``(probability, km)`` pairs for the reported quantiles, in increasing order."""
        qs = (self.q25_km, self.q50_km, self.q75_km, self.q95_km)
        return tuple((p, q) for p, q in zip(_PROBS, qs, strict=True) if q is not None)


@dataclass(frozen=True, slots=True)
class Lognormal:
    """Distance model ln(distance_km) ~ Normal(mu, sigma).

    Examples
    --------
    >>> d = Lognormal(mu=0.0, sigma=1.0, source="example")
    >>> d.median_km()
    1.0
    >>> round(d.cdf(1.0), 3), d.cdf(0.0)
    (0.5, 0.0)
    >>> round(d.quantile_km(0.95), 2)
    5.18
    >>> d.cdf(np.array([0.5, 1.0, 2.0])).round(3).tolist()
    [0.244, 0.5, 0.756]
    """

    mu: float
    sigma: float
    source: str

    def __post_init__(self) -> None:
        if not math.isfinite(self.mu):
            raise InvalidParameterError(f"mu: must be finite, got {self.mu}")
        if not (math.isfinite(self.sigma) and self.sigma > 0):
            raise InvalidParameterError(f"sigma: must be finite and > 0, got {self.sigma}")

    def median_km(self) -> float:
        """The median distance, exp(mu)."""
        return math.exp(self.mu)

    def quantile_km(self, p: float) -> float:
        """Distance within which a share ``p`` (0 < p < 1) of subjects is found."""
        if not 0 < p < 1:
            raise InvalidParameterError(f"p: must be strictly between 0 and 1, got {p}")
        return math.exp(self.mu + self.sigma * float(norm.ppf(p)))

    def _z(self, d: NDArray[np.float64]) -> NDArray[np.float64]:
        safe = np.where(d > 0, d, 1.0)
        z: NDArray[np.float64] = (np.log(safe) - self.mu) / self.sigma
        return z

    @overload
    def cdf(self, d_km: float) -> float: ...
    @overload
    def cdf(self, d_km: NDArray[Any]) -> NDArray[np.float64]: ...
    def cdf(self, d_km: float | NDArray[Any]) -> float | NDArray[np.float64]:
        """P(distance <= d_km); 0 for d_km <= 0, NaN for NaN."""
        d = np.asarray(d_km, dtype=np.float64)
        out = np.where(d > 0, norm.cdf(self._z(d)), 0.0)
        return _like(d_km, np.where(np.isnan(d), np.nan, out))

    @overload
    def sf(self, d_km: float) -> float: ...
    @overload
    def sf(self, d_km: NDArray[Any]) -> NDArray[np.float64]: ...
    def sf(self, d_km: float | NDArray[Any]) -> float | NDArray[np.float64]:
        """P(distance > d_km), computed directly (accurate far in the tail)."""
        d = np.asarray(d_km, dtype=np.float64)
        out = np.where(d > 0, norm.sf(self._z(d)), 1.0)
        return _like(d_km, np.where(np.isnan(d), np.nan, out))

    @overload
    def pdf(self, d_km: float) -> float: ...
    @overload
    def pdf(self, d_km: NDArray[Any]) -> NDArray[np.float64]: ...
    def pdf(self, d_km: float | NDArray[Any]) -> float | NDArray[np.float64]:
        """Probability density in 1/km; 0 for d_km <= 0."""
        d = np.asarray(d_km, dtype=np.float64)
        safe = np.where(d > 0, d, 1.0)
        out = np.where(d > 0, norm.pdf(self._z(d)) / (self.sigma * safe), 0.0)
        return _like(d_km, np.where(np.isnan(d), np.nan, out))


def _like(arg: float | NDArray[Any], out: NDArray[np.float64]) -> float | NDArray[np.float64]:
    """Return a float for scalar input and an array otherwise."""
    return out if np.ndim(arg) else float(out)


def fit_lognormal(q: DistanceQuantiles) -> Lognormal:
    """Fit ln(d) ~ Normal(mu, sigma) to the known quantiles of an ISRID cell.

    Least squares of ``ln(q_i) = mu + sigma * z_i`` (``z_i = Phi^-1(p_i)``), constrained to
    pass through the reported median: ``mu = ln(q50)`` and sigma is the least-squares slope of
    the other quantiles. The ISRID quantiles are rounded and skewed, and the unconstrained
    fit misses the published median by more than 15 % in about a third of the cells; the
    median is the figure planners draw as the 50 % ring, so the fit keeps it. Without a
    median the plain two-parameter fit is used. sigma is clipped to >= 0.05.

    Parameters
    ----------
    q : DistanceQuantiles
        A cell with at least two known quantiles.

    Returns
    -------
    Lognormal

    Raises
    ------
    InvalidParameterError
        Fewer than two known quantiles.

    Examples
    --------
    >>> q = DistanceQuantiles(1.1, 3.1, 5.8, 18.3, n=568, terrain="temperate_mountainous",
    ...                       source="Koester 2008", verification="verified")
    >>> d = fit_lognormal(q)
    >>> round(d.median_km(), 2), round(d.sigma, 2)
    (3.1, 1.12)
    """
    known = q.known()
    if len(known) < 2:
        raise InvalidParameterError(
            f"quantiles: need at least two known quantiles to fit a lognormal, got {len(known)} "
            f"(cell {q.terrain!r}); use a cell that reports more quantiles"
        )
    z = np.array([float(norm.ppf(p)) for p, _ in known])
    y = np.log(np.array([km for _, km in known]))
    if q.q50_km is not None:
        mu = math.log(q.q50_km)
        off = z != 0.0
        sigma = float(np.dot(z[off], y[off] - mu) / np.dot(z[off], z[off]))
    else:
        sigma, mu = (float(v) for v in np.polyfit(z, y, 1))
    return Lognormal(
        mu=mu,
        sigma=max(sigma, _MIN_SIGMA),
        source=f"wayhome fit_lognormal (median-anchored least squares) to ISRID cell "
        f"{q.terrain!r}: {q.source}",
    )


@dataclass(frozen=True, slots=True)
class Tendencies:
    """Where a category tends to be found relative to terrain features.

    The attractions multiply the probability density: within the category's track offset of
    a trail or road, along streams and valley bottoms, and on local high points (top 10 % of
    local elevation). 1 means no effect, below 1 avoidance. ``source`` says which figures
    are published and which are wayhome assumptions.
    """

    trail_attraction: float
    drainage_attraction: float
    high_ground_attraction: float
    track_offset_m: tuple[float, float, float, float] | None
    source: str

    def __post_init__(self) -> None:
        for field in ("trail_attraction", "drainage_attraction", "high_ground_attraction"):
            v = getattr(self, field)
            if not (math.isfinite(v) and v > 0):
                raise InvalidParameterError(f"{field}: must be a finite multiplier > 0, got {v}")
        if self.track_offset_m is not None:
            _check_ascending("track_offset_m", self.track_offset_m, 0.0, 100_000.0)
        if not self.source.strip():
            raise InvalidParameterError("source: cite where the tendencies come from")


@dataclass(frozen=True, slots=True)
class Profile:
    """Everything wayhome knows about one category in one terrain class.

    ``notes`` lists every fallback taken (another ISRID cell, a pooled figure, a missing
    table) in words a planner can read; ``sources`` holds the citations of the speed,
    mobility, dispersion and IPP figures (see :meth:`citations`).
    """

    category: str
    terrain: str
    quantiles: DistanceQuantiles
    distance: Lognormal
    mapscore: Lognormal | None
    ipp_mass: float
    speed_kmh: float
    mobility_h: tuple[float, float, float, float] | None
    tendencies: Tendencies
    dispersion_deg: tuple[float, float, float, float] | None
    notes: tuple[str, ...]
    sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.terrain not in TERRAIN_CLASSES:
            raise InvalidParameterError(
                f"terrain: unknown {self.terrain!r}; valid: {', '.join(TERRAIN_CLASSES)}"
            )
        if not self.category:
            raise InvalidParameterError("category: must be non-empty")
        if not (0 <= self.ipp_mass < 1):
            raise InvalidParameterError(f"ipp_mass: must be in [0, 1), got {self.ipp_mass}")
        if not (math.isfinite(self.speed_kmh) and self.speed_kmh > 0):
            raise InvalidParameterError(f"speed_kmh: must be > 0, got {self.speed_kmh}")
        if self.mobility_h is not None:
            _check_ascending("mobility_h", self.mobility_h, 0.0, 24.0 * 365)
        if self.dispersion_deg is not None:
            _check_ascending("dispersion_deg", self.dispersion_deg, 0.0, 180.0)

    def citations(self) -> tuple[str, ...]:
        """Every source behind this profile, once each, in the order the fields use them."""
        cited = [self.quantiles.source, self.distance.source]
        if self.mapscore is not None:
            cited.append(self.mapscore.source)
        cited += [self.tendencies.source, *self.sources]
        return tuple(dict.fromkeys(cited))


# --------------------------------------------------------------------------- package data
def _float(row: dict[str, str], column: str) -> float | None:
    text = row[column].strip()
    return float(text) if text else None


def _quad(row: dict[str, str], columns: Sequence[str]) -> tuple[float, float, float, float]:
    values = [_float(row, c) for c in columns]
    if any(v is None for v in values):
        raise DataFileError(f"{row['subject_category']}: blank in {', '.join(columns)}")
    a, b, c, d = (float(v) for v in values if v is not None)
    return (a, b, c, d)


@functools.cache
def _distance_cells(category: str) -> tuple[tuple[DistanceQuantiles, str], ...]:
    """The category's ISRID cells with the row notes, in table order."""
    cells = []
    for r in _read_csv("distance_quartiles.csv"):
        if r["subject_category"] != category:
            continue
        n = r["n"].strip()
        q25, q50, q75, q95 = (_float(r, c) for c in ("q25_km", "q50_km", "q75_km", "q95_km"))
        q = DistanceQuantiles(
            q25,
            q50,
            q75,
            q95,
            n=int(n) if n else None,
            terrain=r["terrain"],
            source=r["source"],
            verification=r["verification"],
        )
        cells.append((q, r["notes"].strip()))
    return tuple(cells)


def _rows(name: str, category: str) -> list[dict[str, str]]:
    return [r for r in _read_csv(name) if r["subject_category"] == category]


def _describe(q: DistanceQuantiles) -> str:
    shown = ", ".join(f"q{round(p * 100)} {km:g} km" for p, km in q.known()) or "nothing"
    return f"{shown} (n {q.n if q.n is not None else 'not given'})"


def _pick_distance_cell(category: str, terrain: str) -> tuple[DistanceQuantiles, list[str]]:
    """ISRID cell for ``terrain``: exact, eco-domain pooled, sibling terrain, 'all', most n."""
    cells = _distance_cells(category)
    by_terrain = {q.terrain: (q, note) for q, note in cells}
    eco = terrain.split("_")[0]
    order = [terrain]
    if eco in ("temperate", "dry"):
        sibling = f"{eco}_flat" if terrain.endswith("_mountainous") else f"{eco}_mountainous"
        order += [eco, sibling]
    order.append("all")
    notes: list[str] = []
    chosen: DistanceQuantiles | None = None
    for name in order:
        if name not in by_terrain:
            continue
        q, _ = by_terrain[name]
        if len(q.known()) >= 2:
            chosen = q
            break
        notes.append(
            f"ISRID {category} '{name}' cell gives only {_describe(q)}; too few to fit, skipped"
        )
    if chosen is None:
        usable = [q for q, _ in cells if len(q.known()) >= 2]
        chosen = max(usable, key=lambda q: q.n or 0)
    if chosen.terrain != terrain:
        notes.append(
            f"no usable {terrain} distance cell for {category}; used '{chosen.terrain}' "
            f"(n {chosen.n if chosen.n is not None else 'not given'})"
        )
    if chosen.verification != "verified":
        row_note = by_terrain[chosen.terrain][1]
        why = _VERIFICATION.get(chosen.verification, chosen.verification)
        extra = f"; {row_note}" if row_note and not row_note.startswith("0 in source") else ""
        notes.append(f"distance cell {category}/{chosen.terrain}: {why}{extra}")
    return chosen, notes


def _pick_mapscore(category: str, terrain: str) -> tuple[Lognormal | None, list[str]]:
    rows = {r["terrain"]: r for r in _rows("lognorm_params.csv", category)}
    if not rows:
        return None, []
    order = [terrain, *(["dry"] if terrain.startswith("dry_") else []), "other"]
    name = next(t for t in order if t in rows)
    r = rows[name]
    fit = Lognormal(mu=float(r["mu_ln_km"]), sigma=float(r["sigma_ln_km"]), source=r["source"])
    if name == terrain:
        return fit, []
    what = "the source's catch-all 'else' fit" if name == "other" else f"its '{name}' fit"
    return fit, [f"MapScore lognormal has no {terrain} fit for {category}; used {what}"]


def _pick_dispersion(
    category: str, terrain: str
) -> tuple[tuple[float, float, float, float], str, list[str]]:
    eco = terrain.split("_")[0]
    own = _rows("dispersion.csv", category)
    exact = [r for r in own if r["eco_domain"] in (eco, "all")]
    notes: list[str] = []
    if exact:
        row = exact[0]
    elif own:
        row = max(own, key=lambda r: int(r["n"]))
        notes.append(
            f"dispersion: none published for {category} in {eco} terrain; "
            f"used its {row['eco_domain']} angles (n {row['n']})"
        )
    else:
        row = _rows("dispersion.csv", "all")[0]
        notes.append(
            f"dispersion: none published for {category}; used the all-category angles "
            f"(n {row['n']})"
        )
    return _quad(row, ("q25_deg", "q50_deg", "q75_deg", "q95_deg")), row["source"], notes


def _tendencies(category: str) -> tuple[Tendencies, list[str]]:
    rows = _rows("tendencies.csv", category)
    if not rows:
        raise DataFileError(f"tendencies.csv: no row for {category!r}; add one with a source")
    r = rows[0]
    offsets = _rows("track_offsets.csv", category)
    offset = _quad(offsets[0], ("q25_m", "q50_m", "q75_m", "q95_m")) if offsets else None
    offset_source = (
        f"track offset: {offsets[0]['source']}" if offsets else "track offset: none published"
    )
    notes = []
    if "wayhome assumption" in r["source"]:
        notes.append(
            f"terrain attractions for {category} are partly or wholly wayhome assumptions "
            "(see tendencies.source)"
        )
    tendencies = Tendencies(
        trail_attraction=float(r["trail_attraction"]),
        drainage_attraction=float(r["drainage_attraction"]),
        high_ground_attraction=float(r["high_ground_attraction"]),
        track_offset_m=offset,
        source=f"{r['source']}; {offset_source}",
    )
    return tendencies, notes


def _fit_notes(q: DistanceQuantiles, fit: Lognormal) -> list[str]:
    """Say where the fitted lognormal is off the published quantile by more than 2x."""
    off = [
        f"q{round(p * 100)} {km:g} km (fit {fit.quantile_km(p):.2g} km)"
        for p, km in q.known()
        if not 0.5 < fit.quantile_km(p) / km < 2.0
    ]
    if not off:
        return []
    return [f"lognormal fit departs from ISRID {', '.join(off)}; prefer the quantile rings"]


@functools.cache
def _build_profile(category: str, terrain: str) -> Profile:
    quantiles, notes = _pick_distance_cell(category, terrain)
    mapscore, mapscore_notes = _pick_mapscore(category, terrain)
    dispersion, dispersion_source, dispersion_notes = _pick_dispersion(category, terrain)
    tendencies, tendency_notes = _tendencies(category)
    speeds = _rows("speeds.csv", category)
    if not speeds:
        raise DataFileError(f"speeds.csv: no row for {category!r}; add one with a source")
    ipp = (_rows("ipp_mass.csv", category) or _rows("ipp_mass.csv", "all"))[0]
    mobility_rows = _rows("mobility.csv", category)
    mobility = (
        _quad(mobility_rows[0], ("q25_h", "q50_h", "q75_h", "q95_h")) if mobility_rows else None
    )
    distance = fit_lognormal(quantiles)
    notes += _fit_notes(quantiles, distance) + mapscore_notes + dispersion_notes + tendency_notes
    if mobility is None:
        notes.append(f"mobility hours: none published for {category}")
    if speeds[0]["notes"].strip():
        notes.append(f"speed {speeds[0]['speed_kmh']} km/h: {speeds[0]['notes'].strip()}")
    sources = [f"speed: {speeds[0]['source']}", f"IPP mass: {ipp['source']}"]
    sources.append(f"dispersion: {dispersion_source}")
    if mobility_rows:
        sources.append(f"mobility: {mobility_rows[0]['source']}")
    return Profile(
        category=category,
        terrain=terrain,
        quantiles=quantiles,
        distance=distance,
        mapscore=mapscore,
        ipp_mass=float(ipp["ipp_mass"]),
        speed_kmh=float(speeds[0]["speed_kmh"]),
        mobility_h=mobility,
        tendencies=tendencies,
        dispersion_deg=dispersion,
        notes=tuple(notes),
        sources=tuple(sources),
    )


def profile_for(
    category: str, *, terrain: str = "temperate_mountainous", age: float | None = None
) -> Profile:
    """The ISRID profile of a category in a terrain class.

    Parameters
    ----------
    category : str
        Anything :func:`~wayhome.subject.resolve_category` accepts (``"child"`` needs ``age``).
    terrain : str
        One of :data:`~wayhome.subject.TERRAIN_CLASSES`.
    age : float, optional
        Age in years; picks or checks the child band.

    Returns
    -------
    Profile
        Distance cell chosen as: the exact terrain, then the eco-domain pooled cell
        (``temperate``/``dry``), then the sibling terrain of the same domain, then ``all``,
        then the cell with the most incidents; each fallback is written in ``notes``.

    Raises
    ------
    UnknownCategoryError, InvalidIntakeError
        From :func:`~wayhome.subject.resolve_category`.
    InvalidParameterError
        Unknown terrain; the message lists the valid classes.

    Examples
    --------
    >>> p = profile_for("child", age=4, terrain="temperate_flat")
    >>> p.category, p.quantiles.q50_km, p.quantiles.n
    ('child_4_6', 0.6, 90)
    >>> p = profile_for("autism", terrain="temperate_flat")
    >>> p.quantiles.terrain
    'temperate'
    >>> p.notes[0]
    "no usable temperate_flat distance cell for autism; used 'temperate' (n 20)"
    """
    key = _normalise(terrain)
    if key not in TERRAIN_CLASSES:
        raise InvalidParameterError(
            f"terrain: unknown {terrain!r}; valid: {', '.join(TERRAIN_CLASSES)}"
        )
    return _build_profile(resolve_category(category, age=age), key)
