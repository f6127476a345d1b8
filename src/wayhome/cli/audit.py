"""``wayhome audit``: verify and export the hash-chained activity log.

``wayhome audit verify`` checks every incident's log in a database (or one, or an
exported file) and exits 1 naming the first bad line when one was edited, removed or
reordered; ``wayhome audit export`` writes one incident's log as JSON Lines, chain head
last, for keeping elsewhere and verifying later with ``--file``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from wayhome.cli.app import app
from wayhome.errors import AuditError, DataFileError, InvalidParameterError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from wayhome.store.audit import AuditReport

__all__ = ["DatabaseOpt", "audit_app", "export", "verify"]

audit_app = typer.Typer(
    help="Verify and export the tamper-evident (hash-chained) activity log.",
    no_args_is_help=True,
)
app.add_typer(audit_app, name="audit")

DatabaseOpt = Annotated[
    str | None,
    typer.Option(
        envvar="WAYHOME_DATABASE_URL",
        help="SQLAlchemy URL of the incident server's database, e.g. sqlite:///./wayhome.db "
        "or postgresql+psycopg://user@host/db.",
    ),
]


@contextmanager
def _session(url: str) -> Iterator[Session]:
    """A read session on ``url``; an unreachable or foreign database is a usage error."""
    from sqlalchemy.exc import ArgumentError, DBAPIError

    from wayhome.store import engine_from_url, session_factory

    try:
        engine = engine_from_url(url)
    except ArgumentError as exc:
        raise InvalidParameterError(
            f"--database-url: cannot read {url!r} ({exc}); give e.g. sqlite:///./wayhome.db"
        ) from None
    try:
        with session_factory(engine)() as session:
            yield session
    except DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise InvalidParameterError(
            f"--database-url: cannot read the activity log ({reason}); give the incident "
            "server's database, upgraded by `wayhome serve`"
        ) from None
    finally:
        engine.dispose()


def _report_table(rows: list[tuple[str, AuditReport]]) -> Table:
    table = Table(title="Activity log audit")
    table.add_column("incident")
    table.add_column("lines", justify="right")
    table.add_column("result")
    for name, report in rows:
        result = "[green]ok[/]" if report.ok else "[bold red]TAMPERED[/]"
        table.add_row(name, str(report.checked), f"{result}: {report.reason}")
    return table


@audit_app.command()
def verify(
    database_url: DatabaseOpt = None,
    incident: Annotated[
        int | None, typer.Option(help="Only this incident (default: every incident).")
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", help="An export (JSON Lines) instead of a database."),
    ] = None,
) -> None:
    """Check that no activity-log line was edited, removed or reordered (exit 1 if one was)."""
    from wayhome.store.audit import records_from_jsonl, verify_export, verify_incident

    if database_url is not None and file is not None:
        raise InvalidParameterError(
            "--database-url/--file: give one: a database or an exported log, not both"
        )
    rows: list[tuple[str, AuditReport]] = []
    if file is not None:
        if incident is not None:
            raise InvalidParameterError(
                "--incident: only with --database-url; an export holds one incident"
            )
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DataFileError(f"--file: cannot read {file} ({exc}); give an export") from None
        rows.append((file.name, verify_export(records_from_jsonl(text))))
    elif database_url is not None:
        from wayhome.store import UnknownRecordError, list_incidents

        with _session(database_url) as session:
            found = list(list_incidents(session))
            if incident is not None:
                found = [inc for inc in found if inc.id == incident]
                if not found:
                    raise UnknownRecordError(
                        f"--incident: no incident {incident} in this database; "
                        "leave --incident out to verify every incident"
                    )
            rows += [(f"{inc.id} {inc.name}", verify_incident(session, inc.id)) for inc in found]
    else:
        raise InvalidParameterError(
            "--database-url/--file: give one: a database (or WAYHOME_DATABASE_URL) or an "
            "exported log"
        )
    Console().print(_report_table(rows))
    bad = [name for name, report in rows if not report.ok]
    if bad:
        first = next(report for _, report in rows if not report.ok)
        raise AuditError(
            f"activity log tampered with in {', '.join(bad)}: {first.reason}"
            + (f" (and {len(bad) - 1} more; see the table)" if len(bad) > 1 else "")
        )


@audit_app.command()
def export(
    incident: Annotated[int, typer.Option(help="The incident whose log to export.")],
    out: Annotated[Path, typer.Option(help="The JSON Lines file to write (replaced whole).")],
    database_url: DatabaseOpt = None,
) -> None:
    """Write one incident's activity log as JSON Lines, the chain's head last."""
    from wayhome.io.atomic import write_text_atomic
    from wayhome.store import UnknownRecordError
    from wayhome.store.audit import export_log, export_to_jsonl

    if database_url is None:
        raise InvalidParameterError("--database-url: required (or set WAYHOME_DATABASE_URL)")
    with _session(database_url) as session:
        try:
            records = export_log(session, incident)
        except UnknownRecordError:
            raise UnknownRecordError(
                f"--incident: no incident {incident} in this database; "
                "`wayhome audit verify` lists them"
            ) from None
    write_text_atomic(out, export_to_jsonl(records))
    Console(stderr=True).print(
        f"wrote {len(records) - 1} activity-log lines of incident {incident} to {out}; "
        f"check it later with `wayhome audit verify --file {out}`",
        highlight=False,
    )
