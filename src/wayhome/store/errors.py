"""Errors of the incident store: unknown records, broken team rules, refused handovers.

All hang from :class:`wayhome.errors.UsageError`; the API maps them to 404, 422 and 403.
"""

from __future__ import annotations

from wayhome.errors import AccessDeniedError, InvalidParameterError, UsageError

__all__ = ["HandoverRefusedError", "PairRuleError", "UnknownRecordError"]


class UnknownRecordError(UsageError, KeyError):
    """An incident, member or team id that the store does not hold (or not in this incident)."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


class PairRuleError(InvalidParameterError):
    """A team that breaks a pairing rule; ``rule`` names it (``nobody-goes-alone``, ...)."""

    def __init__(self, message: str, *, rule: str = "nobody-goes-alone") -> None:
        super().__init__(message)
        self.rule = rule


class HandoverRefusedError(AccessDeniedError):
    """A handover whose guardian details did not match the intake record (or is locked).

    ``fields`` names what did not match (``guardian_name``, ``guardian_relation``,
    ``code``), never the stored values; it is empty once the handover is locked.
    """

    def __init__(self, message: str, *, fields: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.fields = fields
