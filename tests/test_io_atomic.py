"""Tests for wayhome.io.atomic: a reader never sees half a file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from wayhome.errors import DataFileError, UsageError
from wayhome.io.atomic import (
    atomic_directory,
    atomic_path,
    write_bytes_atomic,
    write_text_atomic,
)


class WriterFailedError(RuntimeError):
    """Raised by test writers half way through."""


def names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_write_text_creates_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "log.txt"
    write_text_atomic(target, "first\n")
    write_text_atomic(str(target), "Zweite Zeile – ü\n")
    assert target.read_text(encoding="utf-8") == "Zweite Zeile – ü\n"
    assert names(tmp_path) == ["log.txt"]


def test_write_bytes_exact(tmp_path: Path) -> None:
    data = bytes(range(256)) * 10
    write_bytes_atomic(tmp_path / "blob.bin", data)
    assert (tmp_path / "blob.bin").read_bytes() == data


def test_written_file_has_umask_permissions_not_private(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_text_atomic(tmp_path / "out.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "out.txt").stat().st_mode) == 0o644


def test_atomic_path_keeps_suffix_and_directory(tmp_path: Path) -> None:
    target = tmp_path / "poa.tif"
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path
        assert tmp.suffix == ".tif"
        assert tmp != target
        assert not target.exists()
        tmp.write_bytes(b"data")
    assert target.read_bytes() == b"data"
    assert names(tmp_path) == ["poa.tif"]


def test_failed_writer_leaves_no_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "segments.geojson"
    with pytest.raises(WriterFailedError), atomic_path(target) as tmp:
        tmp.write_text("{half a fil")
        (tmp.parent / f"{tmp.name}.aux.xml").write_text("<sidecar/>")  # as GDAL might
        raise WriterFailedError("disk gone")
    assert names(tmp_path) == []


def test_failed_writer_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "plan.txt"
    target.write_text("previous plan")
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as tmp:
        tmp.write_text("new plan, interrupt")
        raise KeyboardInterrupt
    assert target.read_text() == "previous plan"
    assert names(tmp_path) == ["plan.txt"]


def test_missing_directory_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="does not exist") as info:
        write_text_atomic(tmp_path / "nope" / "x.txt", "x")
    assert isinstance(info.value, UsageError)
    assert not (tmp_path / "nope").exists()


def test_target_that_is_a_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    with pytest.raises(DataFileError, match="is a directory"):
        write_text_atomic(tmp_path / "out", "x")


def test_atomic_directory_creates_missing_directory(tmp_path: Path) -> None:
    out = tmp_path / "runs" / "plan-1"
    with atomic_directory(out) as tmp:
        assert not out.exists()
        (tmp / "poa.tif").write_bytes(b"tif")
        (tmp / "maps").mkdir()
        (tmp / "maps" / "a.png").write_bytes(b"png")
    assert names(out) == ["maps", "poa.tif"]
    assert (out / "maps" / "a.png").read_bytes() == b"png"
    assert names(tmp_path / "runs") == ["plan-1"]


def test_atomic_directory_merges_into_existing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "maps").mkdir(parents=True)
    (out / "poa.tif").write_text("old poa")
    (out / "keep.txt").write_text("planner notes")
    (out / "maps" / "old.png").write_text("old map")
    with atomic_directory(out) as tmp:
        (tmp / "poa.tif").write_text("new poa")
        (tmp / "maps").mkdir()
        (tmp / "maps" / "new.png").write_text("new map")
    assert (out / "poa.tif").read_text() == "new poa"
    assert (out / "keep.txt").read_text() == "planner notes"
    assert names(out / "maps") == ["new.png", "old.png"]
    assert names(tmp_path) == ["out"]


def test_atomic_directory_removes_owned_names_not_written(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "teams").mkdir(parents=True)
    (out / "poa.tif").write_text("old poa")
    (out / "segments.tif").write_text("old segments")
    (out / "notes.txt").write_text("planner notes")
    (out / "teams" / "1-T1-A.gpx").write_text("period 1")
    owned = ("poa.tif", "segments.tif", "teams")
    with atomic_directory(out, owned=owned) as tmp:
        (tmp / "poa.tif").write_text("new poa")
        (tmp / "teams").mkdir()
        (tmp / "teams" / "2-T1-B.gpx").write_text("period 2")
    assert names(out) == ["notes.txt", "poa.tif", "teams"]
    assert (out / "poa.tif").read_text() == "new poa"
    assert names(out / "teams") == ["2-T1-B.gpx"]  # replaced whole, not merged
    assert names(tmp_path) == ["out"]
    with atomic_directory(out, owned=owned) as tmp:
        (tmp / "poa.tif").write_text("newer poa")
    assert names(out) == ["notes.txt", "poa.tif"]


def test_atomic_directory_failure_keeps_owned_names(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "segments.tif").write_text("old segments")
    with pytest.raises(WriterFailedError), atomic_directory(out, owned=["segments.tif"]):
        raise WriterFailedError
    assert (out / "segments.tif").read_text() == "old segments"


def test_atomic_directory_failure_leaves_existing_untouched(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "poa.tif").write_text("old poa")
    before = {p.name: (p.read_text(), p.stat().st_mtime_ns) for p in out.iterdir()}
    with pytest.raises(WriterFailedError), atomic_directory(out) as tmp:
        (tmp / "poa.tif").write_text("new poa")
        (tmp / "extra.txt").write_text("extra")
        raise WriterFailedError("model crashed")
    after = {p.name: (p.read_text(), p.stat().st_mtime_ns) for p in out.iterdir()}
    assert after == before
    assert names(tmp_path) == ["out"]


def test_atomic_directory_failure_creates_nothing(tmp_path: Path) -> None:
    with pytest.raises(WriterFailedError), atomic_directory(tmp_path / "out") as tmp:
        (tmp / "a.txt").write_text("a")
        raise WriterFailedError
    assert names(tmp_path) == []


def test_atomic_directory_refuses_a_file(tmp_path: Path) -> None:
    (tmp_path / "out").write_text("i am a file")
    with pytest.raises(DataFileError, match="is a file"), atomic_directory(tmp_path / "out"):
        pass
    assert (tmp_path / "out").read_text() == "i am a file"
