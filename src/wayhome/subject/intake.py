"""Lost-person intake: who is missing and for how long.

The reporting party says "my four-year-old, since about two hours"; :func:`subject_from_intake`
turns that into a validated :class:`Subject` with an ISRID category.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from wayhome.errors import InvalidIntakeError
from wayhome.subject.categories import resolve_category

__all__ = ["MAX_MISSING_H", "Subject", "parse_duration_h", "subject_from_intake"]

#: Longest time missing wayhome accepts: 30 days.
MAX_MISSING_H = 720.0

_HINT = "give a duration such as 3h or 90min"
_NUMBER = r"\d+(?:\.\d+)?|\.\d+"
_UNITS: dict[str, tuple[str, float]] = {  # spelling -> (unit, hours per unit)
    spelling: (unit, hours)
    for unit, hours, spellings in (
        ("d", 24.0, ("d", "day", "days")),
        ("h", 1.0, ("h", "hr", "hrs", "hour", "hours")),
        ("m", 1.0 / 60.0, ("m", "min", "mins", "minute", "minutes")),
    )
    for spelling in spellings
}
_TOKEN = re.compile(rf"({_NUMBER})\s*([a-z]*)")
_SEPARATOR = re.compile(r"(?:\s|,|and\b)+")
_ORDER = "dhm"


def _bad(text: str, why: str = "cannot read") -> InvalidIntakeError:
    return InvalidIntakeError(f"missing-for: {why} {text!r}; {_HINT}")


def _checked_hours(hours: float, text: str) -> float:
    if not math.isfinite(hours) or hours < 0:
        raise _bad(text, "not a duration:")
    if hours > MAX_MISSING_H:
        raise InvalidIntakeError(
            f"missing-for: {text!r} is {hours:g} h, more than 30 days; {_HINT}"
        )
    return hours


def parse_duration_h(text: str, *, field: str = "missing-for") -> float:
    """Hours in a duration as a planner types it.

    Accepts a plain number (hours), ``h:mm``, and number-unit pairs in decreasing units,
    with days (``d``, ``day(s)``), hours (``h``, ``hr(s)``, ``hour(s)``) and minutes (``m``,
    ``min(s)``, ``minute(s)``); a bare number after hours means minutes (``1h30``).

    Parameters
    ----------
    text : str
        The duration.
    field : str
        The option named in error messages (``missing-for``, ``nightfall``, ...).

    Returns
    -------
    float
        Hours, in [0, 720]. Zero is allowed.

    Raises
    ------
    InvalidIntakeError
        Unreadable, negative, NaN, or longer than 30 days.

    Examples
    --------
    >>> parse_duration_h("3h"), parse_duration_h("90min"), parse_duration_h("1h30")
    (3.0, 1.5, 1.5)
    >>> parse_duration_h("2d"), parse_duration_h("45 minutes"), parse_duration_h("2.5")
    (48.0, 0.75, 2.5)
    >>> parse_duration_h("1:15")
    1.25
    """
    try:
        return _parse_duration(text)
    except InvalidIntakeError as exc:
        if field == "missing-for":
            raise
        raise InvalidIntakeError(str(exc).replace("missing-for:", f"{field}:", 1)) from None


def _parse_duration(text: str) -> float:
    s = text.strip().lower()
    if re.fullmatch(_NUMBER, s):
        return _checked_hours(float(s), text)
    clock = re.fullmatch(r"(\d+):([0-5]\d)", s)
    if clock:
        return _checked_hours(int(clock[1]) + int(clock[2]) / 60.0, text)
    if s.startswith("-"):
        raise _bad(text, "negative duration")
    hours, pos, last = 0.0, 0, -1
    while pos < len(s):
        sep = _SEPARATOR.match(s, pos)
        if sep and sep.end() > pos:
            pos = sep.end()
            continue
        token = _TOKEN.match(s, pos)
        if token is None:
            raise _bad(text)
        number, word = float(token[1]), token[2]
        if word:
            if word not in _UNITS:
                raise _bad(text, f"unknown unit {word!r} in")
            unit, per = _UNITS[word]
        elif last == _ORDER.index("h"):  # "1h30": minutes
            unit, per = "m", 1.0 / 60.0
        else:
            raise _bad(text, "missing unit in")
        if _ORDER.index(unit) <= last:
            raise _bad(text, "units out of order in")
        last = _ORDER.index(unit)
        hours += number * per
        pos = token.end()
    if last < 0:
        raise _bad(text)
    return _checked_hours(hours, text)


@dataclass(frozen=True, slots=True)
class Subject:
    """The missing person as taken at intake.

    ``category`` is resolved on construction (``"child"`` with ``age=4`` becomes
    ``"child_4_6"``), so a Subject always carries a valid ISRID category.

    Examples
    --------
    >>> Subject(category="Child", age=4, missing_for_h=2.0).category
    'child_4_6'
    """

    category: str
    age: float | None
    missing_for_h: float
    name: str | None = None
    notes: str | None = None

    def __post_init__(self) -> None:
        # resolves aliases and checks the age; frozen, so set through object.__setattr__
        object.__setattr__(self, "category", resolve_category(self.category, age=self.age))
        h = self.missing_for_h
        if not (math.isfinite(h) and 0 <= h <= MAX_MISSING_H):
            raise InvalidIntakeError(
                f"missing-for: {h!r} h is outside 0-{MAX_MISSING_H:g} h (30 days); {_HINT}"
            )


def subject_from_intake(
    category: str, *, age: float | None, missing_for: str | float, name: str | None = None
) -> Subject:
    """A :class:`Subject` from what the reporting party said.

    Parameters
    ----------
    category : str
        Category or alias (see :func:`~wayhome.subject.resolve_category`).
    age : float or None
        Age in years, if known.
    missing_for : str or float
        A duration such as ``"2h"`` or ``"90min"``, or hours as a number.
    name : str, optional
        The subject's name.

    Examples
    --------
    >>> s = subject_from_intake("child", age=4, missing_for="2h")
    >>> s.category, s.missing_for_h
    ('child_4_6', 2.0)
    """
    hours = parse_duration_h(missing_for) if isinstance(missing_for, str) else float(missing_for)
    return Subject(category=category, age=age, missing_for_h=hours, name=name)
