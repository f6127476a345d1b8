"""ICS 206, Medical Plan: aid stations, transport and hospitals from the medical plan."""

from __future__ import annotations

from wayhome.io.forms._sheet import NOT_RECORDED, Cell, Column, Sheet, or_blank, period_text, when
from wayhome.io.forms.record import FormsRecord

__all__ = ["draw_ics_206"]


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("Yes" if value else "No")


def _minutes(value: float | None) -> str:
    return "" if value is None else f"{value:g} min"


def draw_ics_206(sheet: Sheet, record: FormsRecord) -> None:
    """ICS 206 on one page."""
    plan = record.comms
    sheet.start("ICS 206", "MEDICAL PLAN (ICS 206)")
    p = record.period
    sheet.row(
        [
            Cell("1. Incident Name:", record.incident_name, 1.2),
            Cell(f"2. Operational Period: #{p.number}", period_text(p.starts_at, p.ends_at), 1),
        ],
        36,
    )
    sheet.heading("3. Medical Aid Stations:")
    rows: list[tuple[str, ...]] = [
        (s.name, s.location, s.contact, _yes_no(s.paramedics)) for s in plan.aid_stations
    ]
    sheet.table(
        [
            Column("Name", 0.3),
            Column("Location", 0.3),
            Column("Contact Number(s)/Frequency", 0.25),
            Column("Paramedics on Site?", 0.15, "center"),
        ],
        rows or [(NOT_RECORDED, "", "", "")],
        row_h=14,
        head_h=16,
        min_rows=4,
    )
    sheet.heading("4. Transportation (indicate air or ground):")
    rows = [(a.service, a.location, a.contact, a.level) for a in plan.ambulances]
    sheet.table(
        [
            Column("Ambulance Service", 0.3),
            Column("Location", 0.3),
            Column("Contact Number(s)/Frequency", 0.25),
            Column("Level of Service", 0.15, "center"),
        ],
        rows or [(NOT_RECORDED, "", "", "")],
        row_h=14,
        head_h=16,
        min_rows=3,
    )
    sheet.heading("5. Hospitals:")
    rows = [
        (
            h.name,
            h.address,
            h.contact,
            _minutes(h.air_min),
            _minutes(h.ground_min),
            f"Yes, Level {h.trauma_level}" if h.trauma_level else "No",
            _yes_no(h.burn_center),
            _yes_no(h.helipad),
        )
        for h in plan.hospitals
    ]
    sheet.table(
        [
            Column("Hospital Name", 0.2),
            Column("Address, Latitude & Longitude if Helipad", 0.22),
            Column("Contact Number(s)/ Frequency", 0.15),
            Column("Travel Time Air", 0.08, "center"),
            Column("Travel Time Ground", 0.09, "center"),
            Column("Trauma Center", 0.1, "center"),
            Column("Burn Center", 0.08, "center"),
            Column("Helipad", 0.08, "center"),
        ],
        rows or [(NOT_RECORDED, *[""] * 7)],
        row_h=16,
        head_h=22,
        min_rows=4,
    )
    text = or_blank(plan.medical_procedures, "")
    injuries = [f"{j.member} ({j.severity}) {when(j.time)}: {j.treatment}" for j in record.injuries]
    if injuries:
        text += (
            ("\n" if text else "")
            + "Injuries reported on this incident: "
            + "; ".join(injuries)
            + "."
        )
    notes = sum(1 for m in record.members if m.medical_notes.strip())
    if notes:
        text += (
            f"\n{notes} member(s) have medical notes: printed on their team's ICS 204 for "
            "the team leader."
        )
    top = sheet.y
    sheet.block(
        "6. Special Medical Emergency Procedures:",
        or_blank(text) + "\n\n",
        sheet.room() - 42,
        size=8.5,
    )
    sheet.checkbox(
        sheet.left + 6,
        sheet.y + 5,
        plan.aviation_rescue,
        "Check box if aviation assets are utilized for rescue. If assets are used, "
        "coordinate with Air Operations.",
        size=7.5,
    )
    del top
    sheet.row(
        [
            Cell(
                "7. Prepared by (Medical Unit Leader):  Name:",
                or_blank(plan.medical_unit_leader),
                1.6,
                inline=True,
            ),
            Cell("Signature:", "", 1.0, inline=True),
        ],
        20,
    )
    sheet.row(
        [
            Cell(
                "8. Approved by (Safety Officer):  Name:",
                or_blank(plan.safety_officer),
                1.6,
                inline=True,
            ),
            Cell("Signature:", "", 1.0, inline=True),
        ],
        20,
    )
    sheet.foot_time(record.prepared_at)
