"""The typer application and the one place that turns errors into exit codes."""

from __future__ import annotations

import os
import sys

import typer
from rich.console import Console

from wayhome.errors import UsageError, WayhomeError

__all__ = ["app", "err_console", "main"]

app = typer.Typer(
    name="wayhome",
    help="Offline-first wilderness search and rescue planning.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err_console = Console(stderr=True)


def _register() -> None:
    # Subcommands register themselves on import; imported here, not at module import.
    from wayhome.cli import (  # noqa: F401
        assign,
        audit,
        clue,
        credential,
        debrief,
        demo,
        evaluate,
        exchange,
        forms,
        plan,
        segment,
        serve,
        simulate,
        tak,
    )


def main() -> None:
    """Console entry point: run the app; usage errors exit 2, other wayhome errors 1."""
    _register()
    try:
        app(standalone_mode=False)
    except UsageError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(2)
    except WayhomeError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(1)
    except KeyboardInterrupt:
        err_console.print("interrupted; nothing was written")
        sys.exit(130)
    except Exception as exc:  # click's own usage errors and the unexpected
        import click

        if isinstance(exc, click.exceptions.Exit):
            sys.exit(exc.exit_code)
        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Abort):
            sys.exit(1)
        if os.environ.get("WAYHOME_DEBUG"):
            raise
        err_console.print(
            f"[bold red]internal error:[/] {type(exc).__name__}: {exc}\n"
            "nothing was written; rerun with WAYHOME_DEBUG=1 for details",
            highlight=False,
        )
        sys.exit(1)
