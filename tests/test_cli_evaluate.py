"""``wayhome evaluate`` on a handful of real cases."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from wayhome.cli import main


def _run(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["wayhome", *args])
    try:
        main()
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def _subset(shared_data: Path, tmp_path: Path) -> Path:
    lines = (shared_data / "cases/cases.csv").read_text(encoding="utf-8").splitlines()
    az = [ln for ln in lines[1:] if ln.startswith("az-00")][:4]
    ny = [ln for ln in lines[1:] if ln.startswith("ny-00")][:4]
    keep = [lines[0], *az, *ny]
    out = tmp_path / "cases.csv"
    out.write_text("\n".join(keep) + "\n", encoding="utf-8")
    return out


def test_evaluate_writes_table(
    shared_data: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cases = _subset(shared_data, tmp_path)
    out = tmp_path / "evaluation.md"
    code = _run(
        monkeypatch,
        "evaluate",
        "--cases",
        str(cases),
        "--model",
        "rings",
        "--model",
        "terrain",
        "--out",
        str(out),
    )
    assert code == 0
    text = out.read_text(encoding="utf-8")
    assert "## Headline" in text and "in-sample" in text
    assert "| test (usable) | rings |" in text and "| test (usable) | terrain |" in text
    assert "consensus" not in text.split("## Every case")[1]
    assert "## Headline" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "needle"),
    [(["--split", "train"], "split"), (["--model", "magic"], "model")],
)
def test_evaluate_bad_options_exit_2(
    shared_data: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    needle: str,
) -> None:
    cases = _subset(shared_data, tmp_path)
    out = tmp_path / "evaluation.md"
    code = _run(monkeypatch, "evaluate", "--cases", str(cases), "--out", str(out), *args)
    assert code == 2
    assert needle in capsys.readouterr().err
    assert not out.exists()


def test_evaluate_missing_file_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = _run(monkeypatch, "evaluate", "--cases", str(tmp_path / "nope.csv"))
    assert code == 2
    assert "nope.csv" in capsys.readouterr().err
