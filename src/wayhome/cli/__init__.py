"""The ``wayhome`` command line: one module per subcommand (``plan``, ``evaluate``, ...)."""

from __future__ import annotations

from wayhome.cli.app import app, main

__all__ = ["app", "main"]
