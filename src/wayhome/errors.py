"""The exception tree of wayhome.

Every error wayhome raises derives from :class:`WayhomeError`; each subclass also
derives from the matching builtin, so ``except ValueError`` keeps working for callers
that do not know wayhome. Messages name the offending argument and say how to fix it.

The CLI maps :class:`UsageError` subclasses to exit code 2; the API (later) maps the
tree to HTTP statuses in one handler.
"""

from __future__ import annotations

__all__ = [
    "AccessDeniedError",
    "AuditError",
    "CaseDataError",
    "ConflictError",
    "DataFileError",
    "GridTooLargeError",
    "InvalidIntakeError",
    "InvalidLayerError",
    "InvalidLocationError",
    "InvalidParameterError",
    "NotAuthenticatedError",
    "OutsideTerrainError",
    "TerrainRequiredError",
    "UnknownCategoryError",
    "UnknownSignalError",
    "UsageError",
    "WayhomeError",
]


class WayhomeError(Exception):
    """Root of every error raised by wayhome."""


class AuditError(WayhomeError):
    """A hash-chained activity log that was edited, cut short or reordered.

    Not a usage error: the input was read fine and is evidence of tampering (CLI exit 1).
    """


class UsageError(WayhomeError, ValueError):
    """Bad input from the user: a value, a file or a combination of options.

    The CLI exits with code 2 on these; nothing is written.
    """


class InvalidParameterError(UsageError):
    """A keyword argument or option has a value outside its valid range."""


class InvalidLocationError(UsageError):
    """A coordinate could not be parsed or is out of range (lat/lon swapped, say)."""


class InvalidIntakeError(UsageError):
    """The lost-person intake is inconsistent (age, time missing, ...)."""


class UnknownCategoryError(UsageError, KeyError):
    """A lost-person category that wayhome does not know; the message lists valid ones."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


class UnknownSignalError(UsageError, KeyError):
    """A signal code that is not in the codebook; the message lists the valid codes."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


class DataFileError(UsageError, OSError):
    """A file that cannot be read as what it claims to be (corrupt or wrong format)."""


class InvalidLayerError(DataFileError):
    """A vector layer (trails, water, barriers, ...) that cannot be used."""


class CaseDataError(DataFileError):
    """A lost-person case file whose rows or columns are not as documented."""


class OutsideTerrainError(UsageError):
    """The last-seen point (or the requested extent) lies outside the elevation model."""


class TerrainRequiredError(UsageError):
    """A model that needs an elevation model was asked for without one."""


class GridTooLargeError(UsageError, MemoryError):
    """The requested grid would need more memory than allowed; the message gives the estimate."""


class NotAuthenticatedError(UsageError):
    """No credentials, or a login, password or token that is wrong, expired or revoked."""


class AccessDeniedError(UsageError, PermissionError):
    """The user is known but their role does not allow this (or not in this incident)."""


class ConflictError(UsageError):
    """The request contradicts what is stored: a replayed id with other content, a change
    to a closed incident, closing an incident with people still in the field, ..."""
