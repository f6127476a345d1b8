"""Real lost-person cases (IPP and find location) for evaluating POA maps.

The file format is the CSV documented in ``shared/data/cases/PROVENANCE.md``: one row
per case with ``case_id``, ``split`` (dev/test), ``subject_category``, ``age``,
``ipp_lat``/``ipp_lon``, ``find_lat``/``find_lon`` (WGS84 degrees),
``straight_line_km``, ``eco_region``, ``terrain``, ``eco_region_inferred``, ``flag`` and
``use_for_eval`` (yes/review/no), plus columns wayhome does not use.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from wayhome.errors import CaseDataError

__all__ = ["CASE_COLUMNS", "OPTIONAL_COLUMNS", "USE_FOR_EVAL_VALUES", "Case", "read_cases"]

#: Columns every case file must have.
CASE_COLUMNS: tuple[str, ...] = (
    "case_id",
    "split",
    "subject_category",
    "ipp_lat",
    "ipp_lon",
    "find_lat",
    "find_lon",
    "straight_line_km",
    "flag",
    "use_for_eval",
)
#: Columns that may be missing (their fields are then ``None``).
OPTIONAL_COLUMNS: tuple[str, ...] = ("age", "eco_region", "terrain", "eco_region_inferred")

#: Allowed values of ``use_for_eval``: strict set, lenient additions, excluded.
USE_FOR_EVAL_VALUES: tuple[str, ...] = ("yes", "review", "no")

_FIX = "see shared/data/cases/PROVENANCE.md for the format"


@dataclass(frozen=True, slots=True)
class Case:
    """One lost-person incident: where the subject was last seen and where found.

    Parameters
    ----------
    case_id : str
        Unique id such as ``"az-001"``.
    split : str
        ``"dev"`` (tune on it) or ``"test"`` (held-out reporting only).
    subject_category : str
        Normalised lost-person category (``"hiker"``, ``"dementia"``, ...).
    age : float or None
        Age in years; for a group (``"58;20"``) the first age.
    ipp_lat, ipp_lon, find_lat, find_lon : float
        Initial planning point and find location in WGS84 degrees.
    straight_line_km : float
        Haversine distance IPP to find, as given in the file.
    eco_region, terrain, eco_region_inferred : str or None
        Labels as given (blank becomes None).
    flag : str
        Data-quality flag (ok, coarse, suspect, error, out_of_scope, duplicate).
    use_for_eval : str
        ``"yes"``, ``"review"`` or ``"no"``.
    """

    case_id: str
    split: str
    subject_category: str
    age: float | None
    ipp_lat: float
    ipp_lon: float
    find_lat: float
    find_lon: float
    straight_line_km: float
    eco_region: str | None
    terrain: str | None
    eco_region_inferred: str | None
    flag: str
    use_for_eval: str


def read_cases(path: Path | str) -> tuple[Case, ...]:
    """Read a case file.

    Parameters
    ----------
    path : Path or str
        A UTF-8 CSV with a header row (see the module docstring).

    Returns
    -------
    tuple of Case
        In file order.

    Raises
    ------
    CaseDataError
        Missing file or column, a row with too few or too many fields, a value that is
        not a number or out of range, an unknown ``use_for_eval``, a blank or repeated
        ``case_id``, or no rows at all. Messages name the line, case_id and column.
    """
    p = Path(path)
    if not p.is_file():
        what = "is a directory" if p.is_dir() else "does not exist"
        raise CaseDataError(f"cases: '{p}' {what}; give the path of a cases CSV ({_FIX})")
    cases: list[Case] = []
    seen: dict[str, int] = {}
    try:
        with p.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f, strict=True)
            _check_header(reader.fieldnames, p.name)
            for row in reader:
                where = f"line {reader.line_num} of '{p.name}'"
                case = _case_from_row(row, where)
                if case.case_id in seen:
                    raise CaseDataError(
                        f"cases: {where} repeats case_id {case.case_id!r} (first on line "
                        f"{seen[case.case_id]}); give each case its own id"
                    )
                seen[case.case_id] = reader.line_num
                cases.append(case)
    except UnicodeDecodeError as exc:
        raise CaseDataError(f"cases: '{p.name}' is not UTF-8 text; save it as UTF-8 CSV") from exc
    except csv.Error as exc:
        raise CaseDataError(
            f"cases: '{p.name}' is not a readable CSV (near line {reader.line_num + 1}: {exc}); "
            f"check the quotes on that line ({_FIX})"
        ) from exc
    if not cases:
        raise CaseDataError(f"cases: '{p.name}' has a header but no cases; {_FIX}")
    return tuple(cases)


def _check_header(fieldnames: object, name: str) -> None:
    if not fieldnames:
        raise CaseDataError(f"cases: '{name}' is empty; {_FIX}")
    present = set(fieldnames) if isinstance(fieldnames, (list, tuple)) else set()
    missing = [c for c in CASE_COLUMNS if c not in present]
    if missing:
        cols = ", ".join(repr(c) for c in missing)
        plural = "s" if len(missing) > 1 else ""
        raise CaseDataError(
            f"cases: '{name}' has no column{plural} {cols}; add {'them' if plural else 'it'} "
            f"to the header ({_FIX})"
        )


def _case_from_row(row: Mapping[str | None, str | list[str] | None], where: str) -> Case:
    if row.get(None):
        raise CaseDataError(f"cases: {where} has more fields than the header; {_FIX}")
    fields: dict[str, str | None] = {}
    for key in (*CASE_COLUMNS, *OPTIONAL_COLUMNS):
        value = row.get(key)
        fields[key] = value.strip() if isinstance(value, str) else None
    if any(fields[c] is None for c in CASE_COLUMNS):
        raise CaseDataError(f"cases: {where} has fewer fields than the header; {_FIX}")
    case_id = fields["case_id"] or ""
    if not case_id:
        raise CaseDataError(f"cases: {where} has a blank case_id; give every row an id")
    at = f"{where} (case_id {case_id!r})"

    def number(column: str, low: float, high: float) -> float:
        text = fields[column] or ""
        try:
            value = float(text)
        except ValueError:
            raise CaseDataError(
                f"cases: {at}, column {column!r}: {text!r} is not a number; fix the value"
            ) from None
        if not (math.isfinite(value) and low <= value <= high):
            raise CaseDataError(
                f"cases: {at}, column {column!r}: {text} is outside {low:g} to {high:g}; "
                f"fix the value (latitude and longitude swapped?)"
            )
        return value

    use = fields["use_for_eval"] or ""
    if use not in USE_FOR_EVAL_VALUES:
        raise CaseDataError(
            f"cases: {at}, column 'use_for_eval': {use!r} is not one of "
            f"{', '.join(USE_FOR_EVAL_VALUES)}"
        )
    return Case(
        case_id=case_id,
        split=fields["split"] or "",
        subject_category=fields["subject_category"] or "",
        age=_first_age(fields["age"], at),
        ipp_lat=number("ipp_lat", -90.0, 90.0),
        ipp_lon=number("ipp_lon", -180.0, 180.0),
        find_lat=number("find_lat", -90.0, 90.0),
        find_lon=number("find_lon", -180.0, 180.0),
        straight_line_km=number("straight_line_km", 0.0, 20_037.6),
        eco_region=fields["eco_region"] or None,
        terrain=fields["terrain"] or None,
        eco_region_inferred=fields["eco_region_inferred"] or None,
        flag=fields["flag"] or "",
        use_for_eval=use,
    )


def _first_age(text: str | None, at: str) -> float | None:
    """The first age of ``"58;20"``; None when blank."""
    if not text:
        return None
    first = text.split(";")[0].strip()
    try:
        age = float(first)
    except ValueError:
        raise CaseDataError(
            f"cases: {at}, column 'age': {text!r} is not an age in years (write ages of a "
            f"group as '58;20')"
        ) from None
    if not (math.isfinite(age) and 0.0 <= age <= 130.0):
        raise CaseDataError(f"cases: {at}, column 'age': {text!r} is outside 0 to 130 years")
    return age
