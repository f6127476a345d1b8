"""ICS 201, Incident Briefing: map, situation, objectives, actions, organization, resources."""

from __future__ import annotations

from wayhome.io.forms._sheet import RULE, Cell, Column, Sheet, or_blank, when, words
from wayhome.io.forms.maps import search_area_png
from wayhome.io.forms.objectives import objectives_list, safety_message
from wayhome.io.forms.record import FormsRecord

__all__ = ["draw_ics_201", "situation_summary"]

_TITLE = "INCIDENT BRIEFING (ICS 201)"


def situation_summary(record: FormsRecord) -> str:
    """Block 5: the subject, the plan, the search so far and the hazards."""
    lines = []
    for s in record.subjects:
        age = f", age {s.age:g}" if s.age is not None else ""
        lines.append(
            f"Subject: {s.name} ({words(s.category)}{age}), last seen "
            f"{when(s.last_seen_at)} at {s.last_seen_lat:.5f}, {s.last_seen_lon:.5f}. "
            f"{s.description}".strip()
        )
        if s.found_at is not None:
            lines.append(f"FOUND {when(s.found_at)}: {s.condition}. Status: {words(s.status)}.")
    plan = record.plan
    if plan is not None:
        areas = plan.summary.get("area_km2_for") or {}
        where = ", ".join(
            f"{k} of the probability within {v:.2f} km²"
            for k, v in areas.items()
            if k in ("50%", "95%") and v is not None
        )
        lines.append(
            f"Plan ({plan.summary.get('model', '?')} model, planning period "
            f"{plan.summary.get('period', '?')}): {where}."
        )
    else:
        lines.append(f"Plan: {record.plan_note}.")
    done = [a for a in record.assignments if a.status == "completed"]
    lines.append(
        f"This period: {len(record.assignments)} assignments ({len(done)} completed); "
        f"{len(record.members)} members in {len(record.teams)} teams."
    )
    for j in record.injuries:
        lines.append(f"Injury: {j.member} ({j.severity}) {when(j.time)}: {j.treatment}.")
    lines.append("Health and safety: " + safety_message(record))
    return "\n".join(lines)


def _header(sheet: Sheet, record: FormsRecord) -> None:
    sheet.row(
        [
            Cell("1. Incident Name:", record.incident_name, 1.5),
            Cell(
                "2. Incident Number:",
                or_blank(record.comms.incident_number, f"wayhome #{record.incident_id}"),
                0.8,
            ),
            Cell(
                "3. Date/Time Initiated:",
                f"Date: {record.incident_created_at:%m/%d/%Y}   "
                f"Time: {record.incident_created_at:%H%M}Z",
                1.0,
            ),
        ],
        30,
    )


def _page(sheet: Sheet, record: FormsRecord, n: int) -> None:
    sheet.start("ICS 201", _TITLE)
    _header(sheet, record)
    del n


def _foot(sheet: Sheet, record: FormsRecord, n: int) -> None:
    sheet.y = sheet.bottom + 20
    sheet.prepared(6, or_blank(record.staff.get("planning", "")), "Planning Section Chief")
    sheet.foot_time(record.prepared_at)
    del n


def _org_box(sheet: Sheet, x: float, top: float, w: float, title: str, name: str) -> None:
    c = sheet.c
    c.setStrokeColor("#000000")
    c.setLineWidth(0.8)
    c.rect(x, top - 30, w, 30)
    sheet.text(title, x + 3, top - 2, w - 6, 10, size=7, bold=True, color=RULE)
    sheet.text(name, x + 3, top - 13, w - 6, 16, size=8.5, align="center")


def draw_ics_201(sheet: Sheet, record: FormsRecord) -> None:
    """ICS 201 on four pages (map and situation; objectives and actions; organization;
    resources)."""
    # Page 1: map and situation.
    _page(sheet, record, 1)
    top = sheet.y
    map_h = 400.0
    sheet.row(
        [
            Cell(
                "4. Map/Sketch (the search area: segments, probability, hazards, "
                "facilities and this period's assignments):",
                "",
            )
        ],
        map_h,
    )
    png = search_area_png(record)
    if png is not None:
        sheet.image(png, sheet.left + 3, top - 13, sheet.width - 6, map_h - 16)
    else:
        sheet.text(f"No map: {record.plan_note}.", sheet.left + 10, top - 30, sheet.width - 20, 20)
    sheet.block(
        "5. Situation Summary and Health and Safety Briefing (for briefings or "
        "transfer of command):",
        situation_summary(record),
        sheet.room() - 22,
        size=8.5,
    )
    _foot(sheet, record, 1)

    # Page 2: objectives, actions.
    _page(sheet, record, 2)
    objectives = "\n".join(f"{i}. {t}." for i, t in enumerate(objectives_list(record), 1))
    sheet.block("7. Current and Planned Objectives:", objectives, 150)
    sheet.heading("8. Current and Planned Actions, Strategies, and Tactics:")
    rows = [
        (f"{line.time:%H%M}Z", f"{line.text}  — {line.actor}")
        for line in record.log
        if line.kind
        in (
            "plan",
            "period",
            "assignment",
            "clue",
            "subject",
            "signal",
            "overdue",
            "injury",
            "roll_call",
        )
    ]
    cols = [Column("Time:", 0.12, "center"), Column("Actions:", 0.88)]
    rest = sheet.table(
        cols,
        rows,
        row_h=13.5,
        head_h=12,
        min_rows=8,
        max_height=sheet.room() - 22,
        size=7.6,
        max_lines=3,
    )
    _foot(sheet, record, 2)
    while rest:
        _page(sheet, record, 2)
        sheet.heading("8. Current and Planned Actions, Strategies, and Tactics (continued):")
        rest = sheet.table(
            cols, rest, row_h=13.5, head_h=12, max_height=sheet.room() - 22, size=7.6, max_lines=3
        )
        _foot(sheet, record, 2)

    # Page 3: organization.
    _page(sheet, record, 3)
    top = sheet.y
    height = sheet.room() - 22
    sheet.row(
        [Cell("9. Current Organization (fill in additional organization as appropriate):", "")],
        height,
    )
    staff = record.staff
    w = (sheet.width - 50) / 4
    cx = sheet.left + sheet.width / 2
    ic_top = top - 30
    _org_box(
        sheet,
        cx - w / 2,
        ic_top,
        w,
        "Incident Commander(s)",
        or_blank(staff.get("incident_commander", "")),
    )
    side_x = cx + w / 2 + 30
    for k, title in enumerate(("Liaison Officer", "Safety Officer", "Public Information Officer")):
        name = record.comms.safety_officer if title == "Safety Officer" else ""
        _org_box(sheet, side_x, ic_top - 10 - k * 38, w * 0.9, title, or_blank(name))
    c = sheet.c
    c.line(cx, ic_top - 30, cx, ic_top - 150)
    c.line(cx, ic_top - 90, side_x, ic_top - 90)
    row_top = ic_top - 150
    chiefs = [
        ("Operations Section Chief", staff.get("operations", "")),
        ("Planning Section Chief", staff.get("planning", "")),
        ("Logistics Section Chief", ""),
        ("Finance/Admin Section Chief", ""),
    ]
    xs = [sheet.left + 10 + k * (w + 10) for k in range(4)]
    c.line(xs[0] + w / 2, row_top, xs[-1] + w / 2, row_top)
    for x, (title, name) in zip(xs, chiefs, strict=True):
        c.line(x + w / 2, row_top, x + w / 2, row_top - 10)
        _org_box(sheet, x, row_top - 10, w, title, or_blank(name))
    y = row_top - 50
    ox = xs[0]
    c.line(ox + 8, row_top - 40, ox + 8, y - 34 * (len(record.teams) - 1) - 15)
    for team in record.teams:
        leader = team.leader
        who = f"{leader.name} (leader)" if leader else ""
        c.line(ox + 8, y - 15, ox + 16, y - 15)
        _org_box(sheet, ox + 16, y, w - 6, f"Field team {team.name}", who)
        y -= 34
    _foot(sheet, record, 3)

    # Page 4: resources.
    _page(sheet, record, 4)
    sheet.heading("10. Resource Summary:")
    resources: list[tuple[str, ...]] = []
    current = {a.team.id: a for a in record.assignments}
    for team in record.teams:
        leader = team.leader
        arrived = min((m.checked_in_at for m in team.members if m.checked_in_at), default=None)
        task = current.get(team.id)
        notes = (
            f"segment {task.segment}, {task.status.replace('_', ' ')}"
            if task
            else "not assigned this period"
        )
        kinds = sorted({m.resource_type for m in team.members})
        resources.append(
            (
                f"{'/'.join(kinds)} search team, {len(team.members)} persons",
                team.name,
                "",
                "",
                f"X  {when(arrived, date=False)}" if arrived else "",
                f"{notes}; leader {leader.name if leader else '?'}; capability {team.capability}",
            )
        )
    cols = [
        Column("Resource", 0.24),
        Column("Resource Identifier", 0.1, "center"),
        Column("Date/Time Ordered", 0.1),
        Column("ETA", 0.07),
        Column("Arrived", 0.09, "center"),
        Column("Notes (location/assignment/status)", 0.4),
    ]
    rest = sheet.table(
        cols, resources, row_h=18, head_h=22, min_rows=18, max_height=sheet.room() - 22, size=7.5
    )
    _foot(sheet, record, 4)
    while rest:
        _page(sheet, record, 4)
        rest = sheet.table(cols, rest, row_h=18, head_h=22, max_height=sheet.room() - 22)
        _foot(sheet, record, 4)
