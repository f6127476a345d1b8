"""ICS 214, Activity Log: one per unit (each field team, and command) for the period."""

from __future__ import annotations

import re
from collections.abc import Sequence

from wayhome.io.forms._sheet import Cell, Column, Sheet, or_blank, period_text, when
from wayhome.io.forms.record import FormsRecord, LogLine, MemberInfo

__all__ = ["COMMAND_KINDS", "COMMAND_POSITIONS", "COMMAND_UNIT", "activity_units", "draw_ics_214"]

#: The command unit's name on its ICS 214.
COMMAND_UNIT = "Incident command post"

#: Kinds of log line that are command's business (roster edits, access grants, plans,
#: places, periods): on a team's log only when one of its members wrote them.
COMMAND_KINDS = frozenset({"access", "roster", "rotation", "plan", "period", "place", "incident"})

#: Command staff on the command unit's ICS 214: role -> ICS position.
COMMAND_POSITIONS = {
    "incident_commander": "Incident Commander",
    "operations": "Operations Section Chief",
    "planning": "Planning Section Chief",
}


def activity_units(record: FormsRecord) -> list[tuple[str, tuple[MemberInfo, ...], list[LogLine]]]:
    """(unit name, its people, its lines): each team, then command with every other line.

    A line belongs to a team when one of its members wrote it, or it names the team
    (``T3``) or one of its members and is not command's own business (see
    :data:`COMMAND_KINDS`).
    """
    claimed: set[int] = set()
    units = []
    for team in record.teams:
        names = {m.name for m in team.members}
        pattern = re.compile(
            r"\b(" + "|".join(re.escape(n) for n in (team.name, *sorted(names))) + r")\b"
        )
        lines = []
        for k, line in enumerate(record.log):
            named = line.kind not in COMMAND_KINDS and pattern.search(line.text)
            if line.actor in names or named:
                lines.append(line)
                claimed.add(k)
        units.append((f"Team {team.name}", team.members, lines))
    rest = [line for k, line in enumerate(record.log) if k not in claimed]
    units.append((COMMAND_UNIT, (), rest))
    return units


def draw_ics_214(sheet: Sheet, record: FormsRecord) -> None:
    """Every unit's ICS 214, each continued on further pages as needed."""
    for unit, people, lines in activity_units(record):
        _unit(sheet, record, unit, people, lines)


def _unit(
    sheet: Sheet,
    record: FormsRecord,
    unit: str,
    people: Sequence[MemberInfo],
    lines: Sequence[LogLine],
) -> None:
    p = record.period
    leader = next((m for m in people if m.leader), people[0] if people else None)
    position = (
        f"{leader.name}, team leader"
        if leader
        else f"{record.staff.get('incident_commander', '')}, Incident Commander"
    )
    rows: list[Sequence[str]] = [
        (when(line.time), f"{line.text}  — {line.actor}") for line in lines
    ]
    if not rows:
        rows = [("", "no activity recorded for this unit in this period")]
    page = 0
    while rows:
        page += 1
        sheet.start("ICS 214", "ACTIVITY LOG (ICS 214)")
        sheet.row(
            [
                Cell("1. Incident Name:", record.incident_name, 1.2),
                Cell(f"2. Operational Period: #{p.number}", period_text(p.starts_at, p.ends_at), 1),
            ],
            36,
        )
        agencies = sorted({m.agency for m in people if m.agency})
        sheet.row(
            [
                Cell("3. Name:", unit + (f" (continued, page {page})" if page > 1 else ""), 1),
                Cell("4. ICS Position:", or_blank(position.strip(", ")), 1),
                Cell("5. Home Agency (and Unit):", or_blank(", ".join(agencies)), 0.8),
            ],
            30,
        )
        if page == 1:
            sheet.heading("6. Resources Assigned:")
            team_rows = [
                (
                    m.name,
                    "Team leader"
                    if m.leader
                    else ("Searcher" if not m.needs_protection else "Volunteer (protected)"),
                    m.agency,
                )
                for m in people
            ]
            if not people:
                team_rows = [
                    (record.staff[role], title, "")
                    for role, title in COMMAND_POSITIONS.items()
                    if record.staff.get(role)
                ]
            sheet.table(
                [
                    Column("Name", 0.4),
                    Column("ICS Position", 0.3),
                    Column("Home Agency (and Unit)", 0.3),
                ],
                team_rows,
                row_h=13,
                head_h=12,
                min_rows=4,
                size=8,
            )
        sheet.heading("7. Activity Log:")
        rows = list(
            sheet.table(
                [Column("Date/Time", 0.17, "center"), Column("Notable Activities", 0.83)],
                rows,
                row_h=13,
                head_h=12,
                min_rows=6,
                max_height=sheet.room() - 22,
                size=7.6,
                max_lines=4,
            )
        )
        sheet.y = sheet.bottom + 20
        sheet.prepared(
            8,
            leader.name if leader else or_blank(record.staff.get("incident_commander", "")),
            "Team leader" if leader else "Incident Commander",
        )
        sheet.foot_time(record.prepared_at)
