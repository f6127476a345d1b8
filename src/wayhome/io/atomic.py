"""Writing files so that a reader never sees half of one.

Every file wayhome writes goes through this module: the content is written to a
temporary file (or directory) beside the target and moved into place with
:func:`os.replace` only when the writer has finished. If the writer fails, the
temporary file is removed and the target is left as it was, so a planner never opens
a truncated POA map or a segment list from an interrupted run.

Examples
--------
>>> import tempfile
>>> with tempfile.TemporaryDirectory() as d:
...     target = Path(d) / "notes.txt"
...     write_text_atomic(target, "team 3 back at base\\n")
...     print(target.read_text(), end="")
...     print(sorted(p.name for p in Path(d).iterdir()))
team 3 back at base
['notes.txt']
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path

from wayhome.errors import DataFileError

__all__ = ["atomic_directory", "atomic_path", "write_bytes_atomic", "write_text_atomic"]


def _output_parent(target: Path) -> Path:
    """The directory that will hold ``target``; it must exist and be a directory."""
    parent = target.parent
    if not parent.is_dir():
        raise DataFileError(
            f"output: directory '{parent}' does not exist; create it or choose another path "
            f"for '{target.name}'"
        )
    if target.is_dir():
        raise DataFileError(
            f"output: '{target}' is a directory; give a file name such as '{target}/out'"
        )
    return parent


def _temp_name(target: Path, suffix: str) -> Path:
    """A fresh hidden name beside ``target``; not created yet."""
    return target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp{suffix}"


def _create_temp_file(target: Path) -> Path:
    """Create an empty temporary file beside ``target`` with the usual permissions.

    The file keeps ``target``'s suffix, so GDAL picks the driver from it. It is created
    with mode 0o666 minus the umask, like a plain ``open(..., "w")`` would, not 0o600
    as :func:`tempfile.mkstemp` does.
    """
    for _ in range(100):
        tmp = _temp_name(target, target.suffix)
        try:
            fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
        except FileExistsError:
            continue
        except PermissionError as exc:
            raise DataFileError(
                f"output: cannot write in '{target.parent}' ({exc.strerror}); "
                f"choose a writable directory for '{target.name}'"
            ) from exc
        os.close(fd)
        return tmp
    raise DataFileError(f"output: could not create a temporary file beside '{target}'")


def _fsync_file(path: Path) -> None:
    """Flush a finished file to disk so the rename cannot expose empty blocks after a crash."""
    with path.open("rb") as f:
        os.fsync(f.fileno())


def _remove_quietly(path: Path) -> None:
    """Remove a temporary file and any sidecar GDAL left beside it (``.aux.xml``, ``.ovr``)."""
    for leftover in (path, *path.parent.glob(f"{glob.escape(path.name)}.*")):
        try:
            leftover.unlink()
        except FileNotFoundError:
            pass
        except IsADirectoryError:
            shutil.rmtree(leftover, ignore_errors=True)


@contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """A temporary path to write to, moved onto ``path`` when the block succeeds.

    Parameters
    ----------
    path : Path or str
        The file to create or replace. Its directory must exist.

    Yields
    ------
    Path
        An empty file in the same directory with the same suffix (so GDAL drivers
        recognise the format). Write to it by path; rasterio and friends may replace it.

    Raises
    ------
    DataFileError
        When the directory does not exist or cannot be written to.

    Notes
    -----
    On success the temporary file is flushed to disk and moved onto ``path`` with
    :func:`os.replace` (atomic on POSIX and Windows within one file system). On any
    exception, including ``KeyboardInterrupt``, it is removed and ``path`` is untouched.
    """
    target = Path(path)
    _output_parent(target)
    tmp = _create_temp_file(target)
    try:
        yield tmp
        if not tmp.is_file():
            raise DataFileError(f"output: the writer for '{target}' removed its temporary file")
        _fsync_file(tmp)
        tmp.replace(target)
    except BaseException:
        _remove_quietly(tmp)
        raise


def write_bytes_atomic(path: Path | str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (all of it or nothing).

    Parameters
    ----------
    path : Path or str
        The file to create or replace; its directory must exist.
    data : bytes
        The whole content.
    """
    with atomic_path(path) as tmp, tmp.open("wb") as f:
        f.write(data)


def write_text_atomic(path: Path | str, text: str) -> None:
    """Write ``text`` to ``path`` as UTF-8, atomically (all of it or nothing).

    Parameters
    ----------
    path : Path or str
        The file to create or replace; its directory must exist.
    text : str
        The whole content; newlines are written as given (no translation).
    """
    write_bytes_atomic(path, text.encode("utf-8"))


def _create_temp_dir(target: Path) -> Path:
    """Create an empty hidden directory beside ``target`` (mode 0o777 minus the umask)."""
    for _ in range(100):
        tmp = _temp_name(target, "")
        try:
            tmp.mkdir(mode=0o777)
        except FileExistsError:
            continue
        except PermissionError as exc:
            raise DataFileError(
                f"output: cannot write in '{target.parent}' ({exc.strerror}); "
                f"choose a writable directory for '{target.name}'"
            ) from exc
        return tmp
    raise DataFileError(f"output: could not create a temporary directory beside '{target}'")


def _merge_into(src: Path, dest: Path, whole: Collection[str] = ()) -> None:
    """Move every file under ``src`` into ``dest``, replacing files of the same name.

    A directory named in ``whole`` replaces the directory of that name as a whole
    instead of being merged into it.
    """
    dest.mkdir(exist_ok=True)
    for entry in sorted(src.iterdir()):
        to = dest / entry.name
        if entry.is_dir() and not entry.is_symlink():
            if to.is_dir() and not to.is_symlink():
                if entry.name in whole:
                    _swap_directory(entry, to)
                else:
                    _merge_into(entry, to)
                continue
            if to.exists() or to.is_symlink():
                raise DataFileError(
                    f"output: cannot put the directory '{entry.name}' over the file '{to}'; "
                    f"remove it or choose another output directory"
                )
        elif to.is_dir() and not to.is_symlink():
            raise DataFileError(
                f"output: cannot put the file '{entry.name}' over the directory '{to}'; "
                f"remove it or choose another output directory"
            )
        entry.replace(to)


def _swap_directory(new: Path, old: Path) -> None:
    """Put the directory ``new`` where ``old`` is; the old one is deleted afterwards."""
    trash = _temp_name(old, ".old")
    old.replace(trash)
    new.replace(old)
    shutil.rmtree(trash, ignore_errors=True)


def _remove_stale(target: Path, owned: Collection[str], written: Collection[str]) -> None:
    """Remove the entries of ``target`` named in ``owned`` that are not in ``written``."""
    for name in sorted(set(owned) - set(written)):
        stale = target / name
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale)
        elif stale.exists() or stale.is_symlink():
            stale.unlink()


@contextmanager
def atomic_directory(path: Path | str, *, owned: Collection[str] = ()) -> Iterator[Path]:
    """Build a whole output directory beside ``path``; move it in when the block succeeds.

    Parameters
    ----------
    path : Path or str
        The output directory. It is created (with its parents) if missing; files already
        in it that the block does not write are kept, unless named in ``owned``.
    owned : collection of str, optional
        Top-level names (files or directories) this writer is responsible for. Those
        the block did not write this time are removed from ``path`` once the new files
        are in place, so a stale file of an earlier run cannot be read with the new
        ones; an owned directory the block wrote replaces the old one as a whole.

    Yields
    ------
    Path
        An empty temporary directory, a sibling of ``path``, to write every output into.

    Raises
    ------
    DataFileError
        When ``path`` is a file, or its parent cannot be written to.

    Notes
    -----
    On success, a missing ``path`` is created by renaming the temporary directory (one
    atomic step); an existing ``path`` receives each file by :func:`os.replace`, so each
    file is replaced whole, and files with other names stay (owned ones excepted). On any
    exception in the block the temporary directory is deleted and nothing in ``path``
    changes.
    """
    target = Path(path)
    if target.exists() and not target.is_dir():
        raise DataFileError(f"output: '{target}' is a file, not a directory; give a directory name")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _create_temp_dir(target)
    try:
        yield tmp
        if target.is_dir():
            written = [entry.name for entry in tmp.iterdir()]
            _merge_into(tmp, target, whole=owned)
            _remove_stale(target, owned, written)
        else:
            tmp.replace(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
