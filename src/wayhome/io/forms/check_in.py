"""ICS 211, Incident Check-In List: every member, when they checked in and where they are."""

from __future__ import annotations

from collections.abc import Sequence

from wayhome.io.forms._sheet import Cell, Column, Sheet, or_blank, when
from wayhome.io.forms.record import FormsRecord, MemberInfo

__all__ = ["check_in_rows", "draw_ics_211"]

_STATUS = {
    "pending": "not yet checked in",
    "checked_in": "available",
    "assigned": "assigned",
    "out_of_service": "out of service",
    "checked_out": "checked out",
}


def check_in_rows(record: FormsRecord) -> list[tuple[str, ...]]:
    """One row per member, in check-in order (blocks 5-16)."""
    leaders = {t.name: (t.leader.name if t.leader else "") for t in record.teams}
    staging = record.place("staging")

    def key(m: MemberInfo) -> tuple[bool, object, int]:
        return (m.checked_in_at is None, m.checked_in_at, m.id)

    rows: list[tuple[str, ...]] = []
    for m in sorted(record.members, key=key):
        assignment = f"team {m.team}" if m.team else "unassigned"
        rows.append(
            (
                "",
                m.agency,
                "SAR",
                m.resource_type,
                "",
                m.name,
                "",
                "",
                when(m.checked_in_at),
                leaders.get(m.team, ""),
                "1",
                m.contact,
                m.agency,
                "",
                "",
                f"{assignment}; {_STATUS.get(m.status, m.status)}",
                "; ".join(
                    [q for q in (m.qualifications,) if q]
                    + (["needs protection"] if m.needs_protection else [])
                )
                or "—",
                "yes" if staging else "",
            )
        )
    return rows


def draw_ics_211(sheet: Sheet, record: FormsRecord) -> None:
    """ICS 211 (landscape), continued on further pages for a large roster."""
    staging = record.place("staging")
    start = min((m.checked_in_at for m in record.members if m.checked_in_at), default=None)
    cols = [
        Column("State", 0.035, "center"),
        Column("Agency", 0.05),
        Column("Category", 0.052),
        Column("Kind", 0.045),
        Column("Type", 0.035),
        Column("Resource Name or Identifier", 0.09),
        Column("ST or TF", 0.03),
        Column("6. Order Request #", 0.045),
        Column("7. Date/Time Check-In", 0.075),
        Column("8. Leader's Name", 0.07),
        Column("9. Total Number of Personnel", 0.055, "center"),
        Column("10. Incident Contact Information", 0.09),
        Column("11. Home Unit or Agency", 0.05),
        Column("12. Departure Point, Date and Time", 0.05),
        Column("13. Method of Travel", 0.04),
        Column("14. Incident Assignment", 0.085),
        Column("15. Other Qualifications", 0.09),
        Column("16. Data Provided to Resources Unit", 0.05, "center"),
    ]
    rest: list[Sequence[str]] = list(check_in_rows(record))
    first = True
    while first or rest:
        first = False
        sheet.start("ICS 211", "INCIDENT CHECK-IN LIST (ICS 211)", wide=True)
        top = sheet.y
        sheet.row(
            [
                Cell("1. Incident Name:", record.incident_name, 1.3),
                Cell(
                    "2. Incident Number:",
                    or_blank(record.comms.incident_number, f"wayhome #{record.incident_id}"),
                    0.6,
                ),
                Cell("3. Check-In Location (complete all that apply):", "", 1.4),
                Cell(
                    "4. Start Date/Time:",
                    f"Date: {start:%m/%d/%Y}\nTime: {start:%H%M}Z" if start else "",
                    0.6,
                ),
            ],
            34,
        )
        x = sheet.left + sheet.width * (1.9 / 3.9) + 6
        for label, on in (
            ("Base", False),
            ("Staging Area", staging is not None),
            ("ICP", record.place("command_post") is not None),
            ("Helibase", False),
            ("Other", False),
        ):
            x += sheet.checkbox(x, top - 28, on, label, size=7.5) + 4
        sheet.heading(
            "Check-In Information (use reverse of form for remarks or comments)",
            "5. List single resource personnel (overhead) by agency and name, OR "
            "list resources by the following format:",
        )
        rest = sheet.table(
            cols,
            rest,
            row_h=20,
            head_h=44,
            min_rows=14,
            max_height=sheet.room() - 22,
            size=6.8,
        )
        sheet.y = sheet.bottom + 20
        sheet.prepared(
            17,
            or_blank(record.staff.get("operations", "")),
            "Operations Section Chief (check-in recorder)",
        )
        sheet.foot_time(record.prepared_at)
