"""The incident's communications and medical plan: what ICS 205 and 206 need beyond the store.

The incident record keeps people, teams, places and assignments, but not radio channels,
aid stations, ambulances or hospitals. A planner writes them once per incident in a small
JSON or YAML file; every key is optional, and a missing list prints as "not recorded" on
the form::

    {
      "incident_number": "TN-2026-0417",
      "channels": [
        {"zone": "1", "channel": "1", "function": "Command", "name": "SAR CMD",
         "assignment": "Command, all teams", "rx_freq": "155.1600", "rx_tone": "156.7",
         "tx_freq": "155.1600", "tx_tone": "156.7", "mode": "A", "remarks": "simplex"}
      ],
      "comms_instructions": "Check in with base on Command every 30 min.",
      "comms_unit_leader": "Pat Byrne",
      "aid_stations": [{"name": "Staging first aid", "location": "Trailhead car park",
                        "contact": "SAR CMD", "paramedics": false}],
      "ambulances": [{"service": "County EMS", "location": "Station 3",
                      "contact": "911", "level": "ALS"}],
      "hospitals": [{"name": "County General", "address": "1 Main St",
                     "contact": "555-0100", "air_min": 12, "ground_min": 40,
                     "trauma_level": "III", "burn_center": false, "helipad": true}],
      "medical_procedures": "Injured searchers are walked or carried to staging.",
      "aviation_rescue": false,
      "medical_unit_leader": "", "safety_officer": ""
    }
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wayhome.errors import DataFileError, InvalidParameterError

__all__ = [
    "AidStation",
    "Ambulance",
    "CommsMedicalPlan",
    "Hospital",
    "RadioChannel",
    "comms_plan_from_dict",
    "read_comms_plan",
]


@dataclass(frozen=True, slots=True)
class RadioChannel:
    """One row of ICS 205 block 4 (Basic Radio Channel Use)."""

    zone: str = ""
    channel: str = ""
    function: str = ""
    name: str = ""
    assignment: str = ""
    rx_freq: str = ""
    rx_tone: str = ""
    tx_freq: str = ""
    tx_tone: str = ""
    mode: str = ""
    remarks: str = ""


@dataclass(frozen=True, slots=True)
class AidStation:
    """One row of ICS 206 block 3 (Medical Aid Stations)."""

    name: str
    location: str = ""
    contact: str = ""
    paramedics: bool | None = None


@dataclass(frozen=True, slots=True)
class Ambulance:
    """One row of ICS 206 block 4 (Transportation)."""

    service: str
    location: str = ""
    contact: str = ""
    #: ``ALS`` or ``BLS`` (empty: not known).
    level: str = ""


@dataclass(frozen=True, slots=True)
class Hospital:
    """One row of ICS 206 block 5 (Hospitals)."""

    name: str
    address: str = ""
    contact: str = ""
    air_min: float | None = None
    ground_min: float | None = None
    #: Trauma centre level (``"I"`` .. ``"V"``); empty when it is not one.
    trauma_level: str = ""
    burn_center: bool | None = None
    helipad: bool | None = None


@dataclass(frozen=True, slots=True)
class CommsMedicalPlan:
    """What ICS 205 and 206 print that the incident store does not hold (all optional)."""

    incident_number: str = ""
    channels: tuple[RadioChannel, ...] = field(default_factory=tuple)
    comms_instructions: str = ""
    comms_unit_leader: str = ""
    aid_stations: tuple[AidStation, ...] = field(default_factory=tuple)
    ambulances: tuple[Ambulance, ...] = field(default_factory=tuple)
    hospitals: tuple[Hospital, ...] = field(default_factory=tuple)
    medical_procedures: str = ""
    aviation_rescue: bool = False
    medical_unit_leader: str = ""
    safety_officer: str = ""


_TEXT_KEYS = (
    "incident_number",
    "comms_instructions",
    "comms_unit_leader",
    "medical_procedures",
    "medical_unit_leader",
    "safety_officer",
)
_LIST_KEYS: dict[str, type[Any]] = {
    "channels": RadioChannel,
    "aid_stations": AidStation,
    "ambulances": Ambulance,
    "hospitals": Hospital,
}
_REQUIRED = {AidStation: "name", Ambulance: "service", Hospital: "name"}


def _row(kind: type[Any], item: Any, where: str) -> Any:
    if not isinstance(item, Mapping):
        raise InvalidParameterError(f"{where}: must be an object with named fields")
    names = set(kind.__dataclass_fields__)
    unknown = sorted(set(item) - names)
    if unknown:
        raise InvalidParameterError(
            f"{where}: unknown field(s) {', '.join(unknown)}; use {', '.join(sorted(names))}"
        )
    values: dict[str, Any] = {}
    for key, value in item.items():
        expected = kind.__dataclass_fields__[key].type
        if "bool" in str(expected) and value is not None and not isinstance(value, bool):
            raise InvalidParameterError(f"{where}.{key}: give true or false, not {value!r}")
        if "float" in str(expected) and value is not None:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidParameterError(f"{where}.{key}: give minutes as a number")
            value = float(value)
        if expected == "str":
            if not isinstance(value, str | int | float) or isinstance(value, bool):
                raise InvalidParameterError(f"{where}.{key}: give text, not {value!r}")
            value = str(value)
        values[key] = value
    required = _REQUIRED.get(kind)
    if required and not values.get(required):
        raise InvalidParameterError(f"{where}.{required}: required; give a name")
    return kind(**values)


def comms_plan_from_dict(data: Mapping[str, Any]) -> CommsMedicalPlan:
    """A :class:`CommsMedicalPlan` from parsed JSON/YAML (see the module docstring).

    Raises
    ------
    InvalidParameterError
        An unknown key or a value of the wrong type (the message names it).

    Examples
    --------
    >>> plan = comms_plan_from_dict({"channels": [{"channel": "1", "function": "Command"}]})
    >>> plan.channels[0].function
    'Command'
    """
    if not isinstance(data, Mapping):
        raise InvalidParameterError("comms plan: must be an object (JSON/YAML mapping)")
    known = {*_TEXT_KEYS, *_LIST_KEYS, "aviation_rescue"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise InvalidParameterError(
            f"comms plan: unknown key(s) {', '.join(unknown)}; use {', '.join(sorted(known))}"
        )
    values: dict[str, Any] = {}
    for key in _TEXT_KEYS:
        if key in data:
            value = data[key]
            if not isinstance(value, str | int) or isinstance(value, bool):
                raise InvalidParameterError(f"comms plan {key}: give text, not {value!r}")
            values[key] = str(value)
    for key, kind in _LIST_KEYS.items():
        items = data.get(key) or []
        if not isinstance(items, list):
            raise InvalidParameterError(f"comms plan {key}: give a list of objects")
        values[key] = tuple(
            _row(kind, item, f"comms plan {key}[{i}]") for i, item in enumerate(items)
        )
    aviation = data.get("aviation_rescue", False)
    if not isinstance(aviation, bool):
        raise InvalidParameterError("comms plan aviation_rescue: give true or false")
    values["aviation_rescue"] = aviation
    return CommsMedicalPlan(**values)


def read_comms_plan(path: Path | str) -> CommsMedicalPlan:
    """Read a comms/medical plan from a ``.json``, ``.yaml`` or ``.yml`` file.

    Raises
    ------
    DataFileError
        The file cannot be read or parsed.
    InvalidParameterError
        Its content does not match (see :func:`comms_plan_from_dict`).
    """
    p = Path(path)
    try:
        text = p.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError(
            f"comms plan: cannot read {p} ({exc}); give a JSON or YAML file"
        ) from None
    if p.suffix.lower() in (".yaml", ".yml"):
        import yaml  # type: ignore[import-untyped]

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise DataFileError(f"comms plan: {p} is not valid YAML ({exc})") from None
    else:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise DataFileError(f"comms plan: {p} is not valid JSON ({exc})") from None
    return comms_plan_from_dict(data if data is not None else {})
