"""Reading one member of a zip archive without trusting the archive (KMZ).

A KMZ is a zip file with ``doc.kml`` inside. A zip from elsewhere can be a bomb (a few
kilobytes that inflate to gigabytes), hold thousands of entries, or name paths that climb
out of a directory (``../../.bashrc``, ``/etc/passwd``). wayhome never extracts to disk; it
checks every entry's name, the entry count, the declared sizes and compression ratios
first, then inflates only the member it needs, counting bytes as they come (the declared
sizes can lie).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from wayhome.errors import DataFileError

__all__ = ["ZipLimits", "read_zip_member"]


@dataclass(frozen=True, slots=True)
class ZipLimits:
    """How much of an archive wayhome is willing to inflate."""

    max_entries: int = 1_000
    max_total_bytes: int = 100 * 1024 * 1024
    max_member_bytes: int = 50 * 1024 * 1024
    max_ratio: float = 200.0


def read_zip_member(
    data: bytes, source: str, *, pick: str = ".kml", limits: ZipLimits | None = None
) -> tuple[str, bytes]:
    """``(name, bytes)`` of the archive's main member, after checking the whole archive.

    The member is ``doc.kml`` if present, else the first entry ending in ``pick`` at the
    top level, else the first ending in ``pick`` anywhere.

    Raises
    ------
    DataFileError
        Not a zip file; too many entries; an absolute path, a drive letter or a ``..``
        component in any entry name; a declared or actual size beyond the limits; a
        compression ratio beyond the limit (a zip bomb); encrypted members; no member
        ending in ``pick``. The message names the entry and the limit.
    """
    lim = limits or ZipLimits()
    fix = "open it in Google Earth and save it again as KMZ, or give the .kml inside"
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise DataFileError(f"kmz: '{source}' is not a zip archive ({exc}); {fix}") from None
    with archive:
        entries = archive.infolist()
        if len(entries) > lim.max_entries:
            raise DataFileError(
                f"kmz: '{source}' holds {len(entries)} entries, more than the limit of "
                f"{lim.max_entries}; refused as unsafe. {fix}"
            )
        total = 0
        for info in entries:
            _check_name(info.filename, source)
            if info.flag_bits & 0x1:
                raise DataFileError(
                    f"kmz: entry {info.filename!r} in '{source}' is encrypted; save it without "
                    f"a password"
                )
            total += info.file_size
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > lim.max_member_bytes or ratio > lim.max_ratio:
                raise DataFileError(
                    f"kmz: entry {info.filename!r} in '{source}' inflates from "
                    f"{info.compress_size} to {info.file_size} bytes (ratio {ratio:.0f}:1; "
                    f"limits {lim.max_member_bytes} bytes and {lim.max_ratio:.0f}:1): refused "
                    f"as a likely zip bomb. {fix}"
                )
        if total > lim.max_total_bytes:
            raise DataFileError(
                f"kmz: '{source}' would inflate to {total} bytes, more than the limit of "
                f"{lim.max_total_bytes}; refused as a likely zip bomb. {fix}"
            )
        member = _pick(entries, pick)
        if member is None:
            raise DataFileError(f"kmz: '{source}' holds no {pick} document; {fix}")
        return member.filename, _inflate(archive, member, source, lim)


def _check_name(name: str, source: str) -> None:
    """Refuse absolute paths, drive letters, backslashes and ``..`` in an entry name."""
    posix = name.replace("\\", "/")
    parts = PurePosixPath(posix).parts
    if posix.startswith("/") or (len(posix) > 1 and posix[1] == ":") or ".." in parts:
        raise DataFileError(
            f"kmz: entry {name!r} in '{source}' points outside the archive (absolute path "
            f"or '..'); refused as a path-traversal attempt. Ask the sender for a clean "
            f"export"
        )


def _pick(entries: list[zipfile.ZipInfo], suffix: str) -> zipfile.ZipInfo | None:
    files = [e for e in entries if not e.is_dir() and e.filename.lower().endswith(suffix)]
    for e in files:
        if e.filename.lower() == f"doc{suffix}":
            return e
    top = [e for e in files if "/" not in e.filename.replace("\\", "/")]
    pool = top or files
    return pool[0] if pool else None


def _inflate(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo, source: str, lim: ZipLimits
) -> bytes:
    """The member's bytes, read in chunks and stopped at the limits whatever the header says."""
    cap = min(lim.max_member_bytes, int(max(member.compress_size, 1) * lim.max_ratio))
    chunks: list[bytes] = []
    size = 0
    try:
        with archive.open(member) as f:
            while chunk := f.read(64 * 1024):
                size += len(chunk)
                if size > cap:
                    raise DataFileError(
                        f"kmz: entry {member.filename!r} in '{source}' inflates beyond "
                        f"{cap} bytes although its header says {member.file_size}: refused "
                        f"as a zip bomb"
                    )
                chunks.append(chunk)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
        raise DataFileError(
            f"kmz: entry {member.filename!r} in '{source}' cannot be read ({exc}); save the "
            f"KMZ again"
        ) from None
    return b"".join(chunks)
