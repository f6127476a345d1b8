"""Helpers for running the ``wayhome`` command line in-process in tests."""

from __future__ import annotations

import re
import sys

import pytest

from wayhome.cli import main

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def flat(text: str) -> str:
    """Terminal output without colour codes and with line wrapping undone."""
    return " ".join(_ANSI.sub("", text).split())


def invoke(
    command: str,
    args: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> tuple[int, str, str]:
    """Run ``wayhome COMMAND ARGS`` in-process; (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["wayhome", command, *args])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    out, err = capsys.readouterr()
    return code, out, err
