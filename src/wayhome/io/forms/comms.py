"""ICS 205, Incident Radio Communications Plan: channels from the comms plan, call signs
from the roster."""

from __future__ import annotations

from wayhome.io.forms._sheet import NOT_RECORDED, Cell, Column, Sheet, or_blank, period_text
from wayhome.io.forms.record import FormsRecord

__all__ = ["draw_ics_205"]


def draw_ics_205(sheet: Sheet, record: FormsRecord) -> None:
    """ICS 205 (landscape, as the official form)."""
    sheet.start("ICS 205", "INCIDENT RADIO COMMUNICATIONS PLAN (ICS 205)", wide=True)
    p = record.period
    sheet.row(
        [
            Cell("1. Incident Name:", record.incident_name, 1.3),
            Cell(
                "2. Date/Time Prepared:",
                f"Date: {record.prepared_at:%m/%d/%Y}\nTime: {record.prepared_at:%H%M}Z",
                0.7,
            ),
            Cell(f"3. Operational Period: #{p.number}", period_text(p.starts_at, p.ends_at), 1.0),
        ],
        36,
    )
    sheet.heading("4. Basic Radio Channel Use:")
    cols = [
        Column("Zone Grp.", 0.05, "center"),
        Column("Ch #", 0.05, "center"),
        Column("Function", 0.1),
        Column("Channel Name/Trunked Radio System Talkgroup", 0.13),
        Column("Assignment", 0.16),
        Column("RX Freq N or W", 0.08, "center"),
        Column("RX Tone/NAC", 0.07, "center"),
        Column("TX Freq N or W", 0.08, "center"),
        Column("TX Tone/NAC", 0.07, "center"),
        Column("Mode (A, D, or M)", 0.06, "center"),
        Column("Remarks", 0.15),
    ]
    rows = [
        (
            ch.zone,
            ch.channel,
            ch.function,
            ch.name,
            ch.assignment,
            ch.rx_freq,
            ch.rx_tone,
            ch.tx_freq,
            ch.tx_tone,
            ch.mode,
            ch.remarks,
        )
        for ch in record.comms.channels
    ]
    if not rows:
        rows = [
            (
                "",
                "",
                NOT_RECORDED,
                "",
                "no radio channels recorded for this incident; give a comms plan (--comms-plan)",
                "",
                "",
                "",
                "",
                "",
                "",
            )
        ]
    sheet.table(cols, rows, row_h=15, head_h=24, min_rows=12, max_height=290, size=7.5)
    signs = [
        f"{t.name}: "
        + ", ".join(f"{m.name} ({m.contact})" if m.contact else m.name for m in t.members)
        for t in record.teams
    ]
    text = or_blank(record.comms.comms_instructions, "")
    text = (text + "\n" if text else "") + "Team members and call signs — " + "; ".join(signs)
    sheet.block("5. Special Instructions:", text, sheet.room() - 22, size=8)
    sheet.row(
        [
            Cell(
                "6. Prepared by (Communications Unit Leader):  Name:",
                or_blank(record.comms.comms_unit_leader),
                1.6,
                inline=True,
            ),
            Cell("Signature:", "", 1.0, inline=True),
        ],
        20,
    )
    sheet.foot_time(record.prepared_at)
