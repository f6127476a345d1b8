"""ICS 204, Assignment List: one page per assignment, with the segment map on a USNG grid."""

from __future__ import annotations

from shapely.geometry.base import BaseGeometry

from wayhome.geo.coords import LonLat, geometry_to_crs
from wayhome.io.forms._sheet import Cell, Column, Sheet, or_blank, period_text, when
from wayhome.io.forms.maps import segment_png, usng
from wayhome.io.forms.record import AssignmentInfo, FormsRecord, HazardInfo

__all__ = ["NEAR_M", "NOT_RECORDED_205", "draw_ics_204", "special_instructions", "work_assignment"]

_MARCH = {"lead": "lead", "middle": "middle", "rear": "rear (sweep)"}


def _segment_lonlat(record: FormsRecord, segment: str) -> BaseGeometry | None:
    geom = record.segment_geometries().get(segment)
    if geom is None or record.plan is None:
        return None
    return geometry_to_crs(geom, str(record.plan.grid.crs), "EPSG:4326")


def work_assignment(record: FormsRecord, a: AssignmentInfo) -> str:
    """Block 6: the task, the segment's figures and the times."""
    parts = [a.instructions.strip() or f"Search segment {a.segment}."]
    figures = []
    if a.segment_area_km2 is not None:
        figures.append(f"area {a.segment_area_km2:.2f} km²")
    if a.segment_poa is not None:
        figures.append(f"POA {a.segment_poa:.1%}")
    figures.append(
        f"expected POD {a.expected_pod:.0%}"
        if a.expected_pod is not None
        else "expected POD not in the plan"
    )
    if a.sweep_spacing_m is not None:
        figures.append(f"sweep spacing {a.sweep_spacing_m:.0f} m")
    if a.search_h is not None:
        figures.append(f"{a.search_h:.1f} h searching + {a.travel_h or 0:.1f} h travel")
    parts.append("Segment " + a.segment + ": " + ", ".join(figures) + ".")
    geom = _segment_lonlat(record, a.segment)
    if geom is not None:
        c = geom.representative_point()
        parts.append(f"Segment centre USNG {usng(LonLat(lon=c.x, lat=c.y))}.")
    times = [f"status {a.status.replace('_', ' ')}"]
    if a.turnaround_at is not None:
        times.append(f"TURN AROUND BY {when(a.turnaround_at)}")
    if a.reported_pod is not None:
        times.append(f"team's reported POD {a.reported_pod:.0%}")
    parts.append("; ".join(times) + ".")
    return " ".join(parts)


#: Hazards this close to a segment (metres) are named on its ICS 204 too.
NEAR_M = 50.0


def _hazards_near(record: FormsRecord, segment: str, hazards: list[HazardInfo]) -> list[HazardInfo]:
    """The ``hazards`` within :data:`NEAR_M` of the segment (measured in the plan grid)."""
    geom = record.segment_geometries().get(segment)
    if geom is None or record.plan is None:
        return []
    crs = str(record.plan.grid.crs)
    return [
        h for h in hazards if geometry_to_crs(h.geometry, "EPSG:4326", crs).distance(geom) <= NEAR_M
    ]


def special_instructions(record: FormsRecord, a: AssignmentInfo) -> str:
    """Block 7: hazards in or touching the segment, protection, medical notes, clues."""
    out = []
    geom = _segment_lonlat(record, a.segment)
    inside = [h for h in record.hazards if geom is not None and h.geometry.intersects(geom)]
    close = _hazards_near(record, a.segment, [h for h in record.hazards if h not in inside])
    if inside:
        out.append(
            "HAZARDS in or touching the segment: "
            + "; ".join(f"{h.name} ({h.kind.replace('_', ' ')})" for h in inside)
            + "."
        )
    if close:
        out.append(
            f"HAZARDS within {NEAR_M:g} m of the segment: "
            + "; ".join(f"{h.name} ({h.kind.replace('_', ' ')})" for h in close)
            + "."
        )
    if geom is not None and not inside and not close:
        out.append(f"No recorded hazard zone in or within {NEAR_M:g} m of the segment.")
    protectors = [m for m in a.team.members if m.needs_protection]
    for m in protectors:
        out.append(f"{m.name} needs protection: stays with their pair at all times.")
    for m in a.team.members:
        if m.medical_notes.strip():
            out.append(f"Medical ({m.name}): {m.medical_notes.strip()}.")
    if a.rendezvous is not None:
        r = a.rendezvous
        out.append(f"Rendezvous: {r.name}, USNG {usng(LonLat(lon=r.lon, lat=r.lat))}.")
    out.append("Report clues at once by radio with a USNG reference; mark, do not move.")
    return " ".join(out)


def _resources(a: AssignmentInfo) -> list[tuple[str, ...]]:
    leader = a.team.leader
    where = a.rendezvous.name if a.rendezvous else "staging"
    kinds = sorted({m.resource_type for m in a.team.members})
    rows: list[tuple[str, ...]] = [
        (
            a.team.name,
            leader.name if leader else "",
            str(len(a.team.members)),
            leader.contact if leader else "",
            f"Report to {where}. {a.resource.replace('_', ' ') or '/'.join(kinds)}; "
            f"capability {a.team.capability}.",
        )
    ]
    for m in a.team.members:
        role = ["leader"] if m.leader else []
        if m.march:
            role.append(_MARCH.get(m.march, m.march))
        if m.needs_protection:
            role.append("protected")
        quals = m.qualifications or "no searcher qualification recorded"
        rows.append((f"  {m.name}", "", "", m.contact, f"{', '.join(role) or 'member'}; {quals}"))
    return rows


def _comms(record: FormsRecord, a: AssignmentInfo) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for ch in record.comms.channels:
        if any(k in ch.function.lower() for k in ("command", "tactical", "tac")):
            rows.append(
                (
                    f"{ch.function} ({ch.name})".strip(),
                    f"radio ch {ch.channel} {ch.rx_freq} {ch.mode}".strip(),
                )
            )
    ops = record.staff.get("operations", "")
    if ops:
        rows.append(("Operations Section Chief", f"{ops} — via command channel"))
    leader = a.team.leader
    if leader is not None:
        rows.append((f"Team leader {a.team.name}", or_blank(leader.contact)))
    if not record.comms.channels:
        rows.append(("Radio channels", f"{NOT_RECORDED_205}"))
    return rows


NOT_RECORDED_205 = "not recorded: see ICS 205 (give a comms plan)"


def draw_ics_204(sheet: Sheet, record: FormsRecord, a: AssignmentInfo) -> None:
    """One ICS 204 page for assignment ``a``."""
    sheet.start("ICS 204", "ASSIGNMENT LIST (ICS 204)")
    p = record.period
    staging = record.place("staging")
    sheet.row(
        [
            Cell("1. Incident Name:", record.incident_name, 1.0),
            Cell(f"2. Operational Period: #{p.number}", period_text(p.starts_at, p.ends_at), 1.3),
            Cell("3. Branch:", "—", 0.3),
            Cell("Division:", a.segment, 0.4, size=15),
            Cell("Group:", a.team.name, 0.4, size=15),
            Cell("Staging Area:", staging.name if staging else "", 0.6, size=8),
        ],
        42,
    )
    leader = a.team.leader
    sheet.heading("4. Operations Personnel:", "Name / Contact Number(s)")
    sheet.row(
        [
            Cell(
                "Operations Section Chief:",
                or_blank(record.staff.get("operations", "")),
                inline=True,
                size=8.5,
            )
        ],
        14,
    )
    sheet.row([Cell("Branch Director:", "—", inline=True, size=8.5)], 14)
    sheet.row(
        [
            Cell(
                "Division/Group Supervisor:",
                f"{leader.name}   {leader.contact}" if leader else "",
                inline=True,
                size=8.5,
            )
        ],
        14,
    )
    sheet.heading("5. Resources Assigned:")
    cols = [
        Column("Resource Identifier", 0.15),
        Column("Leader", 0.14),
        Column("# of Persons", 0.07, "center"),
        Column("Contact (e.g., phone, pager, radio frequency, etc.)", 0.2),
        Column(
            "Reporting Location, Special Equipment and Supplies, Remarks, Notes, Information", 0.45
        ),
    ]
    sheet.table(cols, _resources(a), row_h=14, head_h=20, min_rows=4, size=7.5)
    comms = _comms(record, a)
    top = sheet.y
    map_h = sheet.room() - 62 - (len(comms) * 12 + 12 + 15) - 20 - 6 - 44
    sheet.row([Cell("6. Work Assignments:", "")], map_h + 44)
    sheet.text(work_assignment(record, a), sheet.left + 6, top - 13, sheet.width - 12, 30, size=8)
    png = segment_png(record, a.segment)
    if png is not None:
        sheet.image(png, sheet.left + 4, top - 42, sheet.width - 8, map_h)
    else:
        why = record.plan_note or f"segment {a.segment} is not in the plan"
        sheet.text(f"No segment map: {why}.", sheet.left + 10, top - 60, sheet.width - 20, 20)
    sheet.block("7. Special Instructions:", special_instructions(record, a), 62, size=7.8)
    sheet.heading(
        "8. Communications (radio and/or phone contact numbers needed for this assignment):"
    )
    sheet.table(
        [
            Column("Name/Function", 0.4),
            Column(
                "Primary Contact: indicate cell, pager, or radio (frequency/system/channel)", 0.6
            ),
        ],
        comms,
        row_h=12,
        head_h=12,
        max_height=sheet.room() - 20,
        size=7.5,
    )
    sheet.y = sheet.bottom + 20
    sheet.prepared(9, or_blank(record.staff.get("planning", "")), "Planning Section Chief")
    sheet.foot_time(record.prepared_at)
