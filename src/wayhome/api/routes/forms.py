"""ICS forms and the Incident Action Plan packet, as PDF, drawn from the live record."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from wayhome.api.auth import ReaderDep
from wayhome.api.deps import NowDep, SessionDep
from wayhome.errors import InvalidParameterError
from wayhome.io.forms import FORMS, form_pdf, forms_record, iap_pdf, parse_forms
from wayhome.store import list_periods
from wayhome.store.errors import UnknownRecordError

__all__ = ["PDF", "form", "iap", "router"]

router = APIRouter(prefix="/incidents/{incident_id}", tags=["forms"])

#: Media type of the forms.
PDF = "application/pdf"
_PDF_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {PDF: {}}, "description": "The PDF."}
}


def _pdf(body: bytes, filename: str) -> Response:
    headers = {"Content-Disposition": f'inline; filename="{filename}"'}
    return Response(body, media_type=PDF, headers=headers)


@router.get("/forms/{form}.pdf", response_class=Response, responses=_PDF_RESPONSE)
def form(
    incident_id: int,
    form: str,
    session: SessionDep,
    actor: ReaderDep,
    now: NowDep,
    period: Annotated[
        int | None, Query(ge=1, description="Operational period number (default: the newest).")
    ] = None,
) -> Response:
    """One ICS form (201, 202, 204, 205, 206, 211 or 214) of a period, from the record."""
    try:
        (number,) = parse_forms(form)
    except InvalidParameterError:
        # An unknown form is a resource that does not exist (404), not a bad parameter.
        raise UnknownRecordError(
            f"form: wayhome fills no ICS form {form!r}; give one of {', '.join(FORMS)}"
        ) from None
    if period is None:
        numbers = [p.number for p in list_periods(session, incident_id)]
        period = max(numbers, default=1)
    record = forms_record(session, incident_id=incident_id, period=period, now=now)
    body = form_pdf(record, number)
    return _pdf(body, f"incident-{incident_id}-ics-{number}-period-{period}.pdf")


@router.get("/iap.pdf", response_class=Response, responses=_PDF_RESPONSE)
def iap(
    incident_id: int,
    session: SessionDep,
    actor: ReaderDep,
    now: NowDep,
    period: Annotated[int, Query(ge=1, description="Operational period number.")],
) -> Response:
    """The Incident Action Plan packet of an operational period (ICS 202, 201, 204s, 205,
    206, 211, 214s)."""
    record = forms_record(session, incident_id=incident_id, period=period, now=now)
    return _pdf(iap_pdf(record), f"incident-{incident_id}-iap-period-{period}.pdf")
