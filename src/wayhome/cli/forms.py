"""``wayhome forms``: the ICS forms and the IAP packet of one operational period, as PDF.

Reads the incident server's database (and the incident's linked plan directory for the
maps and expected POD) and writes ``ics-<n>.pdf`` for each form and
``iap-period-<N>.pdf`` into ``--out``, each file written beside its target and renamed
when complete.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wayhome.cli.app import app
from wayhome.cli.audit import DatabaseOpt, _session
from wayhome.errors import InvalidParameterError

__all__ = ["forms"]


@app.command()
def forms(
    incident: Annotated[int, typer.Option(help="The incident's id.")],
    period: Annotated[int, typer.Option(help="The operational period's number (1, 2, ...).")],
    out: Annotated[Path, typer.Option(help="Directory for the PDFs (created if missing).")],
    database_url: DatabaseOpt = None,
    forms: Annotated[
        str,
        typer.Option(help="Forms to write, comma-separated: 201,202,204,205,206,211,214."),
    ] = "201,202,204,205,206,211,214",
    comms_plan: Annotated[
        Path | None,
        typer.Option(
            help="Radio channels and medical plan for ICS 205/206 (JSON or YAML; see "
            "wayhome.io.forms.comms_plan); without it those blocks say 'not recorded'."
        ),
    ] = None,
    plan: Annotated[
        Path | None,
        typer.Option(help="Plan directory for maps and expected POD (default: the linked one)."),
    ] = None,
) -> None:
    """Fill the ICS forms (201-214) and the Incident Action Plan packet from the record."""
    from wayhome.io.forms import forms_record, parse_forms, read_comms_plan, write_forms
    from wayhome.store.errors import UnknownRecordError

    if database_url is None:
        raise InvalidParameterError(
            "--database-url: give the incident server's database (or WAYHOME_DATABASE_URL), "
            "e.g. sqlite:///./wayhome.db"
        )
    if period < 1:
        raise InvalidParameterError(f"--period: must be 1 or more, got {period}; give 1, 2, ...")
    try:
        chosen = parse_forms(forms)
    except InvalidParameterError as exc:
        raise InvalidParameterError(f"--{exc}") from None  # "forms: ..." -> "--forms: ..."
    comms = read_comms_plan(comms_plan) if comms_plan is not None else None
    if plan is not None and not plan.is_dir():
        raise InvalidParameterError(f"--plan: {plan} is not a directory; give a plan directory")
    if out.exists() and not out.is_dir():
        raise InvalidParameterError(f"--out: {out} is a file; give a directory")
    with _session(database_url) as session:
        try:
            record = forms_record(
                session, incident_id=incident, period=period, comms=comms, plan_dir=plan
            )
        except UnknownRecordError as exc:
            raise InvalidParameterError(
                f"--incident: {exc}; give the id of an incident in this database"
            ) from None
        except InvalidParameterError as exc:
            if str(exc).startswith("period:"):
                raise InvalidParameterError(f"--{exc}") from None
            raise
    # Every PDF is drawn before the first is written; each lands whole (atomic rename).
    written = write_forms(record, out, chosen)
    if record.plan is None:
        typer.echo(f"note: no maps: {record.plan_note}", err=True)
    for path in written:
        typer.echo(str(path))
