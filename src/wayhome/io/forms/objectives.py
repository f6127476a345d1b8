"""ICS 202, Incident Objectives: objectives, command emphasis and the IAP's contents."""

from __future__ import annotations

import re
from collections.abc import Collection

from wayhome.io.forms._sheet import Cell, Sheet, or_blank, period_text, words
from wayhome.io.forms.record import FormsRecord

__all__ = ["draw_ics_202", "objectives_list", "safety_message"]


def objectives_list(record: FormsRecord) -> list[str]:
    """The period's objectives, one per clause, then one per assigned segment."""
    parts = [p.strip().rstrip(".") for p in re.split(r";|\n", record.period.objectives)]
    items = [p[:1].upper() + p[1:] for p in parts if p]
    segments: dict[str, list[str]] = {}
    for a in record.assignments:
        pod = f", expected POD {a.expected_pod:.0%}" if a.expected_pod is not None else ""
        segments.setdefault(a.segment, []).append(f"{a.team.name}{pod}")
    for seg, teams in segments.items():
        items.append(f"Search segment {seg} ({'; '.join(teams)})")
    items.append("Account for every searcher at each roll call; nobody searches alone")
    return items


def safety_message(record: FormsRecord) -> str:
    """Operational period command emphasis: hazards, turnaround, pairs."""
    lines = []
    if record.hazards:
        names = "; ".join(f"{h.name} ({h.kind.replace('_', ' ')})" for h in record.hazards)
        lines.append(f"Hazard zones — keep teams out unless briefed: {names}.")
    turns = sorted({a.turnaround_at for a in record.assignments if a.turnaround_at})
    if turns:
        lines.append(
            f"Turnaround: every team turns back by {turns[-1]:%H%M}Z at the latest "
            "(see each ICS 204); overdue teams are called at once."
        )
    protected = [m.name for m in record.members if m.needs_protection]
    if protected:
        lines.append(f"Protected members ({', '.join(protected)}) stay with their named protector.")
    lines.append("Report clues at once; do not handle or move them.")
    return " ".join(lines)


def _awareness(record: FormsRecord) -> str:
    out = []
    for s in record.subjects:
        age = f", {s.age:g} y" if s.age is not None else ""
        state = {
            "missing": "MISSING",
            "found": "FOUND",
            "handed_over": "handed over",
            "transferred": "transferred",
        }.get(s.status, s.status)
        out.append(
            f"Subject: {s.name} ({words(s.category)}{age}) — {state}; "
            f"last seen {s.last_seen_at:%m/%d %H%M}Z. {s.description}"
        )
    in_field = sum(1 for m in record.members if m.status in ("checked_in", "assigned"))
    out.append(
        f"Roster: {len(record.members)} members in {len(record.teams)} teams "
        f"({in_field} checked in now); {len(record.assignments)} assignments this period."
    )
    return " ".join(out)


def draw_ics_202(sheet: Sheet, record: FormsRecord, *, included: Collection[str]) -> None:
    """ICS 202 on one page; ``included`` names the forms in the packet (block 6)."""
    sheet.start("ICS 202", "INCIDENT OBJECTIVES (ICS 202)")
    p = record.period
    sheet.row(
        [
            Cell("1. Incident Name:", record.incident_name, 1.25),
            Cell(f"2. Operational Period: #{p.number}", period_text(p.starts_at, p.ends_at), 1),
        ],
        36,
    )
    items = objectives_list(record)
    # Objectives take what the fixed blocks below leave.
    fixed = 110 + 90 + 30 + 78 + 20 + 20
    text = "\n".join(f"{i}. {t}." for i, t in enumerate(items, 1))
    sheet.block("3. Objective(s):", text, sheet.room() - fixed, size=9.5)
    sheet.row([Cell("4. Operational Period Command Emphasis:", safety_message(record))], 110)
    sheet.row([Cell("General Situational Awareness", _awareness(record))], 90)
    top = sheet.y
    sheet.row([Cell("5. Site Safety Plan Required?", "")], 30)
    x = sheet.left + 150
    x += sheet.checkbox(x, top - 11, False, "Yes")
    sheet.checkbox(x + 6, top - 11, False, "No")
    sheet.text(
        "Approved Site Safety Plan(s) Located at: not recorded",
        sheet.left + 6,
        top - 15,
        sheet.width - 12,
        12,
        size=8,
    )
    top = sheet.y
    sheet.row(
        [
            Cell(
                "6. Incident Action Plan (the items checked below are included in this Incident "
                "Action Plan):",
                "",
            )
        ],
        78,
    )
    boxes = [
        ("ICS 203", "203"),
        ("ICS 204", "204"),
        ("ICS 205", "205"),
        ("ICS 205A", "205A"),
        ("ICS 206", "206"),
        ("ICS 207", "207"),
        ("ICS 208", "208"),
        ("Map/Chart", "201"),
        ("Weather Forecast/Tides/Currents", "weather"),
    ]
    for k, (label, key) in enumerate(boxes):
        col, r = divmod(k, 5)
        sheet.checkbox(sheet.left + 10 + col * 150, top - 24 - r * 11, key in included, label)
    others = [f"ICS {n}" for n in ("201", "211", "214") if n in included]
    x0 = sheet.left + 330
    sheet.c.setFont(sheet.f.bold, 7.6)
    sheet.c.drawString(x0, top - 22, "Other Attachments:")
    for r, label in enumerate(others):
        sheet.checkbox(x0 + 10, top - 35 - r * 11, True, label)
    sheet.prepared(7, or_blank(record.staff.get("planning", "")), "Planning Section Chief")
    sheet.row(
        [
            Cell(
                "8. Approved by Incident Commander:  Name:",
                or_blank(record.staff.get("incident_commander", "")),
                2.2,
                inline=True,
            ),
            Cell("Signature:", "", 1.0, inline=True),
        ],
        20,
    )
    sheet.foot_time(record.prepared_at)
