"""Errors of the incident store: unknown records, broken team rules, refused handovers.

All hang from :class:`wayhome.errors.UsageError`; the API maps them to 404, 422 and 403.
"""

from __future__ import annotations

from collections.abc import Mapping

from wayhome.errors import AccessDeniedError, ConflictError, InvalidParameterError, UsageError

__all__ = [
    "GrantRequiredError",
    "HandoverRefusedError",
    "PairRuleError",
    "UnknownRecordError",
    "require_same_replay",
]


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


class GrantRequiredError(AccessDeniedError):
    """An assignment into a jurisdiction where members of the team hold no valid grant.

    ``jurisdiction_ids`` and ``member_ids`` name what is missing; the message names the
    jurisdictions, their owners and contacts, and the members without leave.
    """

    def __init__(
        self,
        message: str,
        *,
        jurisdiction_ids: tuple[int, ...] = (),
        member_ids: tuple[int, ...] = (),
    ) -> None:
        super().__init__(message)
        self.jurisdiction_ids = jurisdiction_ids
        self.member_ids = member_ids


def require_same_replay(
    stored: object, sent: Mapping[str, object], *, stored_as: str, fix: str
) -> None:
    """Refuse a replay (a device's id sent again) whose content differs from what is stored.

    :class:`ConflictError` "``stored_as`` <field value, ...>, not <sent values>; ``fix``",
    naming only the fields that differ; nothing when every field of ``sent`` matches.
    """
    differing = [f for f in sent if getattr(stored, f) != sent[f]]
    if differing:
        held = ", ".join(f"{f} {getattr(stored, f)!r}" for f in differing)
        given = ", ".join(f"{f} {sent[f]!r}" for f in differing)
        raise ConflictError(f"{stored_as} {held}, not {given}; {fix}")
