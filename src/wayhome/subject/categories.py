"""Lost-person categories (ISRID / *Lost Person Behavior*) and terrain classes.

A category is a snake_case ISRID name such as ``hiker`` or ``child_4_6``. The packaged
distance table (``data/distance_quartiles.csv``) defines which categories exist: every
category with at least one cell of two or more distance quantiles, the minimum for a
distance distribution. :func:`resolve_category` turns what a planner types ("Child" with an
age, "ASD", "4WD", "Alzheimer's") into one of them.
"""

from __future__ import annotations

import csv
import difflib
import functools
import io
import math
import re
from importlib import resources

from wayhome.errors import DataFileError, InvalidIntakeError, UnknownCategoryError

__all__ = ["CHILD_BANDS", "TERRAIN_CLASSES", "categories", "resolve_category"]

#: Eco-region x terrain classes of the ISRID tables, in the order LPB prints them.
TERRAIN_CLASSES: tuple[str, ...] = (
    "temperate_mountainous",
    "temperate_flat",
    "dry_mountainous",
    "dry_flat",
    "urban",
)

#: ISRID child age bands: category -> (youngest, oldest) age in whole years.
CHILD_BANDS: dict[str, tuple[int, int]] = {
    "child_1_3": (1, 3),
    "child_4_6": (4, 6),
    "child_7_9": (7, 9),
    "child_10_12": (10, 12),
    "child_13_15": (13, 15),
}

_QUANTILE_COLUMNS = ("q25_km", "q50_km", "q75_km", "q95_km")

# Words a planner may type -> ISRID category. Keys are normalised (see _normalise).
_ALIASES: dict[str, str] = {
    "toddler": "child_1_3",
    "youth": "child_13_15",
    "teen": "child_13_15",
    "teenager": "child_13_15",
    "adolescent": "child_13_15",
    "asd": "autism",
    "autistic": "autism",
    "autism_spectrum": "autism",
    "autism_spectrum_disorder": "autism",
    "alzheimer": "dementia",
    "alzheimers": "dementia",
    "suicidal": "despondent",
    "depressed": "despondent",
    "4wd": "vehicle_4wd",
    "4x4": "vehicle_4wd",
    "four_wheel_drive": "vehicle_4wd",
    "car": "vehicle",
    "motorist": "vehicle",
    "driver": "vehicle",
    "quad": "atv",
    "mtb": "mountain_biker",
    "mountain_bike": "mountain_biker",
    "mountain_biking": "mountain_biker",
    "biker": "mountain_biker",
    "cyclist": "mountain_biker",
    "fisher": "angler",
    "fisherman": "angler",
    "fishing": "angler",
    "hiking": "hiker",
    "walker": "hiker",
    "hunting": "hunter",
    "forager": "gatherer",
    "mushroom_picker": "gatherer",
    "berry_picker": "gatherer",
    "camping": "camper",
    "climbing": "climber",
    "mountaineer": "climber",
    "jogger": "runner",
    "trail_runner": "runner",
    "running": "runner",
    "nordic_skier": "skier_nordic",
    "cross_country_skier": "skier_nordic",
    "xc_skier": "skier_nordic",
    "alpine_skier": "skier_alpine",
    "downhill_skier": "skier_alpine",
    "snowmobile": "snowmobiler",
    "horseback": "horseback_rider",
    "horse_rider": "horseback_rider",
    "equestrian": "horseback_rider",
    "plane": "aircraft",
    "pilot": "aircraft",
    "intellectual": "intellectual_disability",
    "mental_retardation": "intellectual_disability",
    "developmental_disability": "intellectual_disability",
    "mentally_ill": "mental_illness",
    "psychotic": "mental_illness",
    "intoxicated": "substance_abuse",
    "drunk": "substance_abuse",
    "drugs": "substance_abuse",
}
_NEEDS_AGE = frozenset({"child", "kid", "children", "kids"})


@functools.cache
def _read_csv(name: str) -> tuple[dict[str, str], ...]:
    """Rows of the packaged CSV ``data/<name>`` (cached; read on first use)."""
    try:
        text = (resources.files("wayhome.subject") / "data" / name).read_text(encoding="utf-8")
    except OSError as exc:  # pragma: no cover - a broken installation
        raise DataFileError(f"{name}: packaged data missing ({exc}); reinstall wayhome") from exc
    return tuple(csv.DictReader(io.StringIO(text)))


def _known_quantiles(row: dict[str, str]) -> int:
    return sum(1 for c in _QUANTILE_COLUMNS if row[c].strip())


@functools.cache
def categories() -> tuple[str, ...]:
    """Every category with usable distance data, children in age order.

    A category is usable when at least one ISRID cell gives two or more quantiles, so a
    distance distribution can be fitted. (``caver`` is in the table with a median only and
    is therefore not offered.)

    Returns
    -------
    tuple of str
        Sorted names; digits sort numerically (``child_4_6`` before ``child_10_12``).

    Examples
    --------
    >>> cats = categories()
    >>> "hiker" in cats and "child_4_6" in cats
    True
    >>> cats.index("child_4_6") < cats.index("child_10_12")
    True
    """
    names = {
        r["subject_category"]
        for r in _read_csv("distance_quartiles.csv")
        if _known_quantiles(r) >= 2
    }
    return tuple(sorted(names, key=_natural_key))


def _all_table_names() -> frozenset[str]:
    return frozenset(r["subject_category"] for r in _read_csv("distance_quartiles.csv"))


def _natural_key(name: str) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"(\d+)", name) if p)


def _normalise(name: str) -> str:
    s = name.strip().lower().replace("'", "").replace("’", "")
    s = re.sub(r"[\s\-/.]+", "_", s)
    return re.sub(r"_+", "_", s).strip("_")


def _child_band_for(age: float) -> str | None:
    """The ISRID child band for ``age`` in years (infants go to 1-3); None above 15."""
    whole = math.floor(age)
    for name, (_, hi) in CHILD_BANDS.items():
        if whole <= hi:
            return name
    return None


def _child_band(age: float) -> str:
    band = _child_band_for(age)
    if band is not None:
        return band
    raise InvalidIntakeError(
        f"age: {age:g} is outside the ISRID child bands (1-15); use an adult category such as hiker"
    )


def _check_age(age: float | None) -> None:
    if age is not None and not (math.isfinite(age) and 0 <= age <= 120):
        raise InvalidIntakeError(f"age: {age!r} is not an age in years; give a number in 0-120")


def resolve_category(name: str, *, age: float | None = None) -> str:
    """The ISRID category a planner means by ``name``.

    Matching ignores case, spaces, hyphens and apostrophes, and knows common words
    ("ASD", "Alzheimer's", "4WD", "teen", ...). ``"child"`` needs an age to pick the ISRID age
    band; an explicit band (``child_4_6``) is checked against the age when one is given.

    Parameters
    ----------
    name : str
        What the planner typed.
    age : float, optional
        Age in years.

    Returns
    -------
    str
        One of :func:`categories`.

    Raises
    ------
    UnknownCategoryError
        ``name`` is not a category; the message lists the valid ones and a close match.
    InvalidIntakeError
        ``"child"`` without an age, or an age outside the named child band.

    Examples
    --------
    >>> resolve_category("Hiker")
    'hiker'
    >>> resolve_category("child", age=4)
    'child_4_6'
    >>> resolve_category("Child 10-12")
    'child_10_12'
    >>> resolve_category("ASD")
    'autism'
    >>> resolve_category("4WD")
    'vehicle_4wd'
    """
    _check_age(age)
    key = _normalise(name)
    valid = categories()
    if key in _NEEDS_AGE:
        if age is None:
            raise InvalidIntakeError(
                f"age: category {name.strip()!r} needs --age (1-15) to pick the ISRID age band"
            )
        return _child_band(age)
    resolved = _ALIASES.get(key, key)
    if resolved not in valid and resolved.endswith("s"):  # plural: "hikers", "hunters"
        resolved = _ALIASES.get(resolved[:-1], resolved[:-1])
    if resolved not in valid and resolved in _all_table_names():
        raise UnknownCategoryError(
            f"category: {resolved!r} has too few ISRID distance quantiles (at most one per cell) "
            f"for a distance model; pick the nearest of: {', '.join(valid)}"
        )
    if resolved not in valid:
        close = difflib.get_close_matches(key, [*valid, *_ALIASES], n=1, cutoff=0.75)
        hint = f" (did you mean {_ALIASES.get(close[0], close[0])!r}?)" if close else ""
        raise UnknownCategoryError(
            f"category: unknown {name.strip()!r}{hint}; valid: {', '.join(valid)}"
        )
    if age is not None and resolved in CHILD_BANDS and _child_band_for(age) != resolved:
        lo, hi = CHILD_BANDS[resolved]
        raise InvalidIntakeError(
            f"age: {age:g} does not fit category {resolved!r} (ages {lo}-{hi}); "
            f"use {_child_band_for(age) or 'an adult category such as hiker'} or correct the age"
        )
    return resolved
