"""Errors of the incident store: unknown records and broken team rules.

Both hang from :class:`wayhome.errors.UsageError`; the API maps them to 404 and 422.
"""

from __future__ import annotations

from wayhome.errors import InvalidParameterError, UsageError

__all__ = ["PairRuleError", "UnknownRecordError"]


class UnknownRecordError(UsageError, KeyError):
    """An incident, member or team id that the store does not hold (or not in this incident)."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


class PairRuleError(InvalidParameterError):
    """A team that breaks a pairing rule; ``rule`` names it (``nobody-goes-alone``, ...)."""

    def __init__(self, message: str, *, rule: str = "nobody-goes-alone") -> None:
        super().__init__(message)
        self.rule = rule
