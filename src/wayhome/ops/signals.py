"""The signal codebook: short signals with a meaning and whether the recipient must confirm.

The codebook is package data (``wayhome/ops/data/signals.json``), read once and cached.

Examples
--------
>>> signal_from_code("two").meaning
'no'
>>> signal_from_code("found").requires_ack
True
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from wayhome.errors import InvalidParameterError, UnknownSignalError

__all__ = ["Signal", "signal_codebook", "signal_from_code"]


@dataclass(frozen=True, slots=True)
class Signal:
    """One entry of the codebook: ``code``, what it means, and whether it must be acknowledged."""

    code: str
    meaning: str
    requires_ack: bool

    def __post_init__(self) -> None:
        if not self.code or not self.meaning:
            raise InvalidParameterError("code, meaning: give both for every signal")


@cache
def signal_codebook() -> dict[str, Signal]:
    """Every signal of the codebook by code, in codebook order."""
    text = (resources.files("wayhome.ops") / "data" / "signals.json").read_text(encoding="utf-8")
    entries = json.loads(text)["signals"]
    return {
        e["code"]: Signal(code=e["code"], meaning=e["meaning"], requires_ack=e["requires_ack"])
        for e in entries
    }


def signal_from_code(code: str) -> Signal:
    """The signal ``code``; :class:`~wayhome.errors.UnknownSignalError` lists the valid codes."""
    codebook = signal_codebook()
    if code not in codebook:
        raise UnknownSignalError(
            f"code: {code!r} is not a signal; use one of {', '.join(codebook)}"
        )
    return codebook[code]
