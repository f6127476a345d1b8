"""The forms as PDFs: one form family, or the Incident Action Plan packet of a period.

The IAP is ordered as planners hand it out: ICS 202 (the cover), the ICS 201 briefing
with the map, one ICS 204 per assignment, ICS 205, ICS 206, the ICS 211 check-in list
and each unit's ICS 214, numbered "IAP Page n" throughout.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from wayhome.errors import InvalidParameterError
from wayhome.io.atomic import write_bytes_atomic
from wayhome.io.forms._sheet import Sheet
from wayhome.io.forms.activity import draw_ics_214
from wayhome.io.forms.assignments import draw_ics_204
from wayhome.io.forms.briefing import draw_ics_201
from wayhome.io.forms.check_in import draw_ics_211
from wayhome.io.forms.comms import draw_ics_205
from wayhome.io.forms.medical import draw_ics_206
from wayhome.io.forms.objectives import draw_ics_202
from wayhome.io.forms.record import FormsRecord

__all__ = ["FORMS", "IAP_ORDER", "form_pdf", "iap_pdf", "parse_forms", "write_forms"]

#: The form families wayhome fills, by ICS number.
FORMS: tuple[str, ...] = ("201", "202", "204", "205", "206", "211", "214")
#: Their order in the IAP packet.
IAP_ORDER: tuple[str, ...] = ("202", "201", "204", "205", "206", "211", "214")


def _draw(sheet: Sheet, record: FormsRecord, form: str, included: Sequence[str]) -> None:
    drawers: dict[str, Callable[[], None]] = {
        "201": lambda: draw_ics_201(sheet, record),
        "202": lambda: draw_ics_202(sheet, record, included=included),
        "204": lambda: _draw_204s(sheet, record),
        "205": lambda: draw_ics_205(sheet, record),
        "206": lambda: draw_ics_206(sheet, record),
        "211": lambda: draw_ics_211(sheet, record),
        "214": lambda: draw_ics_214(sheet, record),
    }
    if form == "204" and not record.assignments:
        from wayhome.io.forms._sheet import Cell

        sheet.start("ICS 204", "ASSIGNMENT LIST (ICS 204)")
        sheet.row([Cell("1. Incident Name:", record.incident_name)], 30)
        sheet.block("6. Work Assignments:", f"no assignments in period {record.period.number}", 40)
        return
    drawers[form]()


def _draw_204s(sheet: Sheet, record: FormsRecord) -> None:
    for a in record.assignments:
        draw_ics_204(sheet, record, a)


def parse_forms(text: str | Sequence[str]) -> tuple[str, ...]:
    """Form numbers from ``"201,204"`` (or a list), checked and de-duplicated in IAP order.

    Examples
    --------
    >>> parse_forms("204, ICS 201,204")
    ('201', '204')
    """
    items = text.split(",") if isinstance(text, str) else list(text)
    wanted = []
    for item in items:
        number = item.strip().upper().removeprefix("ICS").strip().removeprefix("-").strip()
        if not number:
            continue
        if number not in FORMS:
            raise InvalidParameterError(
                f"forms: {item.strip()!r} is not a form wayhome fills; give some of "
                f"{', '.join(FORMS)}"
            )
        wanted.append(number)
    if not wanted:
        raise InvalidParameterError(f"forms: give at least one of {', '.join(FORMS)}")
    return tuple(f for f in IAP_ORDER if f in wanted)


def form_pdf(record: FormsRecord, form: str) -> bytes:
    """One form family as a PDF (ICS 204: one page per assignment; ICS 214: per unit)."""
    (number,) = parse_forms(form)
    sheet = Sheet(
        title=f"ICS {number}: {record.incident_name}, period {record.period.number}", iap=False
    )
    _draw(sheet, record, number, (number,))
    return sheet.finish()


def iap_pdf(record: FormsRecord, forms: Sequence[str] = FORMS) -> bytes:
    """The Incident Action Plan packet of the record's period (``forms`` in IAP order)."""
    chosen = parse_forms(forms)
    sheet = Sheet(
        title=f"Incident Action Plan: {record.incident_name}, period {record.period.number}",
        iap=True,
    )
    for form in chosen:
        _draw(sheet, record, form, chosen)
    return sheet.finish()


def write_forms(
    record: FormsRecord, out_dir: Path | str, forms: Sequence[str] = FORMS
) -> list[Path]:
    """Write ``ics-<n>.pdf`` per form and ``iap-period-<N>.pdf`` into ``out_dir``.

    Every PDF is drawn before any is written (a form that cannot be drawn leaves the
    directory as it was); each is then written to a temporary name beside it and renamed
    when complete, so no reader ever sees half a file.

    Returns
    -------
    list of Path
        The files written, the packet last.
    """
    out = Path(out_dir)
    chosen = parse_forms(forms)
    files = {out / f"ics-{form}.pdf": form_pdf(record, form) for form in chosen}
    files[out / f"iap-period-{record.period.number}.pdf"] = iap_pdf(record, chosen)
    out.mkdir(parents=True, exist_ok=True)
    for path, body in files.items():
        write_bytes_atomic(path, body)
    return list(files)
