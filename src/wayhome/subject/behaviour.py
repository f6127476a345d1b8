"""Lost-person behaviour mixes: how often a subject uses each reorientation strategy.

A lost person who keeps moving is modelled, as in the agent-based model of Hashimoto,
Heintzman, Koester and Abaid (2022, *Sci Rep* 12:5873), as choosing one of six strategies
again and again: random walk, route travel (follow trails, roads and other linear features),
direction travel (hold a heading), staying put, view enhancing (climb for a view) and
backtracking. A :class:`BehaviourMix` is the share of each. The packaged table
(``data/behaviour_mixes.csv``) gives one mix per ISRID category: the hiker row is
Hashimoto's fitted profile; every other row is a labelled wayhome assumption (see
``data/README.md``).

Staying put here is only the moment-to-moment pause of a moving subject; wayhome models the
subject who stops for good (mobility hours) separately, so the table keeps ``stay_put``
small.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

from wayhome.errors import DataFileError, InvalidParameterError
from wayhome.subject.categories import _read_csv, categories, resolve_category

__all__ = ["BEHAVIOURS", "BehaviourMix", "behaviour_mix_for"]

#: The six reorientation strategies, in the order of Hashimoto et al. 2022 (RW, RT, DT, SP,
#: VE, BT); :meth:`BehaviourMix.as_tuple` uses this order.
BEHAVIOURS: tuple[str, ...] = (
    "random_walk",
    "route_travel",
    "direction_travel",
    "stay_put",
    "view_enhancing",
    "backtrack",
)

# Hashimoto's two-letter abbreviations, accepted by BehaviourMix.from_text.
_SHORT_NAMES: dict[str, str] = {
    "rw": "random_walk",
    "rt": "route_travel",
    "dt": "direction_travel",
    "sp": "stay_put",
    "ve": "view_enhancing",
    "bt": "backtrack",
}
_SUM_TOLERANCE = 1e-6
_TABLE = "behaviour_mixes.csv"


def _valid_names() -> str:
    return ", ".join(f"{short} ({long})" for short, long in _SHORT_NAMES.items())


@dataclass(frozen=True, slots=True)
class BehaviourMix:
    """Shares of the six reorientation strategies a moving lost person uses.

    Each share is the probability that the subject picks that strategy when it next
    chooses one; the six shares sum to 1.

    Parameters
    ----------
    random_walk, route_travel, direction_travel, stay_put, view_enhancing, backtrack : float
        Shares in [0, 1], summing to 1 (within 1e-6).
    source : str
        Citation, or ``"wayhome assumption: ..."`` for figures that are ours.

    Raises
    ------
    InvalidParameterError
        A share is not a finite number in [0, 1], or the shares do not sum to 1.

    Examples
    --------
    >>> mix = BehaviourMix(0.1, 0.4, 0.4, 0.05, 0.05, 0.0, source="example")
    >>> mix.as_tuple()
    (0.1, 0.4, 0.4, 0.05, 0.05, 0.0)
    >>> BehaviourMix(0.5, 0.47, 0, 0, 0, 0)
    Traceback (most recent call last):
    ...
    wayhome.errors.InvalidParameterError: mix: behaviour shares sum to 0.97; they must sum to 1 (random_walk=0.5, route_travel=0.47, direction_travel=0, stay_put=0, view_enhancing=0, backtrack=0)
    """  # noqa: E501

    random_walk: float
    route_travel: float
    direction_travel: float
    stay_put: float
    view_enhancing: float
    backtrack: float
    source: str = ""

    def __post_init__(self) -> None:
        for name, share in zip(BEHAVIOURS, self.as_tuple(), strict=True):
            if not (math.isfinite(share) and 0.0 <= share <= 1.0):
                raise InvalidParameterError(
                    f"{name}: share {share!r} is not a number in [0, 1]; give each behaviour "
                    "a share between 0 and 1"
                )
        total = math.fsum(self.as_tuple())
        if abs(total - 1.0) > _SUM_TOLERANCE:
            listed = ", ".join(
                f"{n}={s:g}" for n, s in zip(BEHAVIOURS, self.as_tuple(), strict=True)
            )
            raise InvalidParameterError(
                f"mix: behaviour shares sum to {total:.6g}; they must sum to 1 ({listed})"
            )

    def as_tuple(self) -> tuple[float, float, float, float, float, float]:
        """The six shares in :data:`BEHAVIOURS` order."""
        return (
            self.random_walk,
            self.route_travel,
            self.direction_travel,
            self.stay_put,
            self.view_enhancing,
            self.backtrack,
        )

    def as_text(self) -> str:
        """The mix in the short form :meth:`from_text` reads (exact: floats are repr'd).

        Examples
        --------
        >>> BehaviourMix(0.25, 0.75, 0, 0, 0, 0).as_text()
        'rw=0.25,rt=0.75,dt=0,sp=0,ve=0,bt=0'
        """
        return ",".join(
            f"{short}={float(share)!r}" if share else f"{short}=0"
            for short, share in zip(_SHORT_NAMES, self.as_tuple(), strict=True)
        )

    @classmethod
    def from_text(cls, text: str, *, source: str = "given by the planner") -> BehaviourMix:
        """Read a mix such as ``"rw=0.06,rt=0.37,dt=0.56,sp=0.005,ve=0.005"``.

        Names are Hashimoto's abbreviations (``rw rt dt sp ve bt``) or the long names of
        :data:`BEHAVIOURS`, in any case and order; a behaviour not named gets share 0.

        Parameters
        ----------
        text : str
            Comma-separated ``name=share`` pairs.
        source : str, optional
            Citation to carry with the mix.

        Returns
        -------
        BehaviourMix

        Raises
        ------
        InvalidParameterError
            An entry is not ``name=number``, a name is unknown or repeated, a share is
            outside [0, 1], or the shares do not sum to 1.

        Examples
        --------
        >>> BehaviourMix.from_text("rw=0.06, RT=0.37, direction_travel=0.56, sp=0.01").as_tuple()
        (0.06, 0.37, 0.56, 0.01, 0.0, 0.0)
        >>> BehaviourMix.from_text("zz=1")
        Traceback (most recent call last):
        ...
        wayhome.errors.InvalidParameterError: mix: unknown behaviour 'zz' in 'zz=1'; valid names: rw (random_walk), rt (route_travel), dt (direction_travel), sp (stay_put), ve (view_enhancing), bt (backtrack)
        """  # noqa: E501
        shares = dict.fromkeys(BEHAVIOURS, 0.0)
        seen: set[str] = set()
        entries = [e.strip() for e in text.split(",") if e.strip()]
        if not entries:
            raise InvalidParameterError(
                f"mix: {text!r} names no behaviour; write e.g. 'rw=0.1,rt=0.4,dt=0.5'"
            )
        for entry in entries:
            name, sep, value = (part.strip() for part in entry.partition("="))
            if not sep or not name or not value:
                raise InvalidParameterError(
                    f"mix: entry {entry!r} is not name=share; write e.g. 'rw=0.1,rt=0.4,dt=0.5'"
                )
            key = re.sub(r"[\s\-]+", "_", name.lower())
            long = _SHORT_NAMES.get(key, key)
            if long not in shares:
                raise InvalidParameterError(
                    f"mix: unknown behaviour {name!r} in {entry!r}; valid names: {_valid_names()}"
                )
            if long in seen:
                raise InvalidParameterError(
                    f"mix: behaviour {long!r} is given twice in {text!r}; give each once"
                )
            seen.add(long)
            try:
                shares[long] = float(value)
            except ValueError:
                raise InvalidParameterError(
                    f"{long}: share {value!r} is not a number; write e.g. {name}=0.25"
                ) from None
        rw, rt, dt, sp, ve, bt = (shares[b] for b in BEHAVIOURS)
        return cls(rw, rt, dt, sp, ve, bt, source=source)


@functools.cache
def _mixes() -> dict[str, BehaviourMix]:
    """The packaged table, category -> mix, validated on first use."""
    table: dict[str, BehaviourMix] = {}
    for line, row in enumerate(_read_csv(_TABLE), start=2):
        category = row["subject_category"].strip()
        try:
            rw, rt, dt, sp, ve, bt = (float(row[b]) for b in BEHAVIOURS)
            mix = BehaviourMix(rw, rt, dt, sp, ve, bt, source=row["source"].strip())
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise DataFileError(
                f"{_TABLE} line {line} ({category}): {exc}; correct the row"
            ) from exc
        if not mix.source:
            raise DataFileError(f"{_TABLE} line {line} ({category}): no source; add a citation")
        if category in table:
            raise DataFileError(f"{_TABLE} line {line}: {category!r} appears twice; keep one row")
        table[category] = mix
    return table


def behaviour_mix_for(category: str) -> BehaviourMix:
    """The packaged behaviour mix for a lost-person category.

    Parameters
    ----------
    category : str
        Anything :func:`~wayhome.subject.resolve_category` accepts without an age
        (``"hiker"``, ``"Child 4-6"``, ``"ASD"``, ``"4WD"``).

    Returns
    -------
    BehaviourMix
        With its ``source``: Hashimoto et al. 2022 for hikers, a labelled wayhome
        assumption for every other category.

    Raises
    ------
    UnknownCategoryError
        ``category`` is not a known category.
    InvalidIntakeError
        ``category`` is ``"child"``, which needs an age: resolve it first.
    DataFileError
        The packaged table has no valid row for the category (a broken installation).

    Examples
    --------
    >>> mix = behaviour_mix_for("hiker")
    >>> round(mix.direction_travel, 3), round(mix.route_travel, 3)
    (0.559, 0.367)
    >>> behaviour_mix_for("toddler").view_enhancing
    0.0
    """
    resolved = resolve_category(category)
    mix = _mixes().get(resolved)
    if mix is None:
        raise DataFileError(
            f"{_TABLE}: no row for {resolved!r}; add one with a source "
            f"(categories: {', '.join(categories())})"
        )
    return mix
