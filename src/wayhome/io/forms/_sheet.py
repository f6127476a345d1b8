"""Drawing kit for ICS forms: boxed, numbered blocks on a Letter page, as the FEMA forms.

A :class:`Sheet` wraps one reportlab canvas (one PDF, possibly many forms) and draws
top-down: a title line, then rows of blocks (each a box with its bold, numbered title
and the filled-in value in blue-black ink), tables with a shaded header, images, and the
form's foot (form number, IAP page, date/time). Text is wrapped to its box and shrunk
(down to a floor) or cut with an ellipsis, never drawn outside it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from reportlab.lib.colors import Color, HexColor
from reportlab.lib.pagesizes import landscape, letter
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

__all__: list[str] = []

MARGIN = 30.0
FOOT_H = 16.0
LABEL_SIZE = 7.6
VALUE_SIZE = 9.0
INK = HexColor("#0b1f4d")
RULE = HexColor("#000000")
SHADE = HexColor("#e4e4e4")
MUTED = HexColor("#555555")
NOT_RECORDED = "not recorded"


@dataclass(frozen=True, slots=True)
class Fonts:
    regular: str
    bold: str


def fonts() -> Fonts:
    """DejaVu Sans from matplotlib's data (full Unicode); Helvetica if it is missing."""
    if "WayhomeSans" in pdfmetrics.getRegisteredFontNames():
        return Fonts("WayhomeSans", "WayhomeSans-Bold")
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    try:
        pdfmetrics.registerFont(TTFont("WayhomeSans", str(folder / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont("WayhomeSans-Bold", str(folder / "DejaVuSans-Bold.ttf")))
    except Exception:  # reportlab's TTFError or OSError: fall back to a base font
        return Fonts("Helvetica", "Helvetica-Bold")
    return Fonts("WayhomeSans", "WayhomeSans-Bold")


def when(t: datetime | None, *, date: bool = True) -> str:
    """``MM/DD/YYYY HHMM`` in UTC (the forms' 24-hour clock), or "" for no time."""
    if t is None:
        return ""
    return f"{t:%m/%d/%Y %H%M}Z" if date else f"{t:%H%M}Z"


@dataclass(frozen=True, slots=True)
class Cell:
    """One box of a row: ``label`` (bold, numbered) over ``value``; ``width`` a fraction."""

    label: str
    value: str = ""
    width: float = 1.0
    #: Draw the value beside the label instead of below it.
    inline: bool = False
    size: float = VALUE_SIZE


@dataclass(frozen=True, slots=True)
class Column:
    """A table column: its heading and width fraction."""

    title: str
    width: float
    align: str = "left"


class Sheet:
    """Forms drawn into one PDF, page after page (see the module docstring)."""

    def __init__(self, *, title: str, iap: bool) -> None:
        self.buffer = io.BytesIO()
        self.c = Canvas(self.buffer, pagesize=letter, invariant=True, pageCompression=1)
        self.c.setTitle(title)
        self.c.setCreator("wayhome")
        self.f = fonts()
        self.iap = iap
        self.pages = 0
        self.form_pages: dict[str, int] = {}
        self.open = False
        self.w, self.h = letter
        self.y = 0.0
        self.form = ""

    # ------------------------------------------------------------------ pages
    @property
    def left(self) -> float:
        return MARGIN

    @property
    def width(self) -> float:
        return float(self.w) - 2 * MARGIN

    @property
    def bottom(self) -> float:
        """Lowest y a block may reach (the foot is below)."""
        return MARGIN + FOOT_H

    def start(self, form: str, title: str, *, wide: bool = False) -> None:
        """A new page of ``form`` (e.g. ``"ICS 204"``) with its title line."""
        if self.open:
            self.c.showPage()
        self.w, self.h = landscape(letter) if wide else letter
        self.c.setPageSize((self.w, self.h))
        self.open = True
        self.pages += 1
        self.form = form
        self.form_pages[form] = self.form_pages.get(form, 0) + 1
        self.c.setFillColor(RULE)
        self.c.setFont(self.f.bold, 13)
        self.c.drawCentredString(self.w / 2, self.h - MARGIN - 10, title)
        self.y = self.h - MARGIN - 18
        self._foot()

    def _foot(self) -> None:
        c = self.c
        y, x, w = MARGIN, self.left, self.width
        c.setStrokeColor(RULE)
        c.setLineWidth(0.8)
        c.rect(x, y, w, FOOT_H)
        c.setFillColor(RULE)
        c.setFont(self.f.bold, 8.5)
        c.drawString(x + 4, y + 4.5, self.form)
        c.line(x + 70, y, x + 70, y + FOOT_H)
        c.setFont(self.f.regular, 8)
        page = (
            f"IAP Page {self.pages}"
            if self.iap
            else f"{self.form}, Page {self.form_pages[self.form]}"
        )
        c.drawString(x + 76, y + 4.5, page)
        c.line(x + 190, y, x + 190, y + FOOT_H)
        c.setFillColor(MUTED)
        c.setFont(self.f.regular, 6.5)
        c.drawRightString(x + w - 4, y + 5, "prepared by wayhome from the incident record")

    def finish(self) -> bytes:
        """Close the last page; the PDF's bytes."""
        if self.open:
            self.c.showPage()
        self.c.save()
        return self.buffer.getvalue()

    def foot_time(self, t: datetime) -> None:
        """The foot's "Date/Time:" cell."""
        self.c.setFillColor(RULE)
        self.c.setFont(self.f.regular, 8)
        self.c.drawString(self.left + 196, MARGIN + 4.5, "Date/Time:")
        self.c.setFillColor(INK)
        self.c.drawString(self.left + 240, MARGIN + 4.5, when(t))

    def room(self) -> float:
        """Height left above the foot."""
        return self.y - self.bottom

    # ------------------------------------------------------------------ text
    def text(
        self,
        text: str,
        x: float,
        top: float,
        w: float,
        h: float,
        *,
        size: float = VALUE_SIZE,
        bold: bool = False,
        color: Color = INK,
        floor: float = 6.0,
        align: str = "left",
    ) -> None:
        """``text`` wrapped into the box (x, top-h, w, h), shrunk or cut to fit."""
        font = self.f.bold if bold else self.f.regular
        lines: list[str] = []
        while True:
            lines = []
            for para in (text or "").split("\n"):
                lines += simpleSplit(para, font, size, w) or [""]
            if len(lines) * size * 1.18 <= h + 0.01 or size <= floor:
                break
            size = max(floor, size - 0.5)
        leading = size * 1.18
        fit = max(1, int((h + 0.01) // leading))
        if len(lines) > fit:
            lines = lines[:fit]
            last = lines[-1]
            while last and pdfmetrics.stringWidth(last + " …", font, size) > w:
                last = last[:-1]
            lines[-1] = last + " …"
        self.c.setFillColor(color)
        self.c.setFont(font, size)
        y = top - size
        for line in lines:
            if align == "center":
                self.c.drawCentredString(x + w / 2, y, line)
            elif align == "right":
                self.c.drawRightString(x + w, y, line)
            else:
                self.c.drawString(x, y, line)
            y -= leading

    def label_width(self, label: str, size: float = LABEL_SIZE) -> float:
        width: float = pdfmetrics.stringWidth(label, self.f.bold, size)
        return width

    # ------------------------------------------------------------------ blocks
    def row(self, cells: Sequence[Cell], height: float) -> None:
        """Boxes side by side across the page, ``height`` tall."""
        total = sum(cell.width for cell in cells)
        x = self.left
        top = self.y
        self.c.setStrokeColor(RULE)
        self.c.setLineWidth(0.8)
        for cell in cells:
            w = self.width * cell.width / total
            self.c.rect(x, top - height, w, height)
            self.c.setFillColor(RULE)
            self.c.setFont(self.f.bold, LABEL_SIZE)
            lines = simpleSplit(cell.label, self.f.bold, LABEL_SIZE, w - 6) if cell.label else []
            if cell.inline and len(lines) <= 1:
                lw = self.label_width(cell.label) + 4 if cell.label else 0.0
                if cell.label:
                    self.c.drawString(x + 3, top - 3 - LABEL_SIZE, cell.label)
                self.text(cell.value, x + 3 + lw, top - 2.2, w - 6 - lw, height - 4, size=cell.size)
            else:
                y = top - 3 - LABEL_SIZE
                for line in lines:
                    self.c.drawString(x + 3, y, line)
                    y -= LABEL_SIZE * 1.15
                used = 3 + len(lines) * LABEL_SIZE * 1.15
                self.text(
                    cell.value, x + 6, top - used - 1.5, w - 10, height - used - 3, size=cell.size
                )
            x += w
        self.y = top - height

    def block(self, label: str, text: str, height: float, *, size: float = VALUE_SIZE) -> None:
        """A full-width block: title, then the wrapped text."""
        self.row([Cell(label, text, size=size)], height)

    def heading(self, label: str, note: str = "") -> float:
        """A full-width title strip (the top of a table or a framed block); its height."""
        h = LABEL_SIZE + 7
        self.c.setStrokeColor(RULE)
        self.c.setLineWidth(0.8)
        self.c.rect(self.left, self.y - h, self.width, h)
        self.c.setFillColor(RULE)
        self.c.setFont(self.f.bold, LABEL_SIZE)
        self.c.drawString(self.left + 3, self.y - 3.5 - LABEL_SIZE, label)
        if note:
            self.c.setFillColor(MUTED)
            self.c.setFont(self.f.regular, LABEL_SIZE - 0.6)
            self.c.drawString(
                self.left + 10 + self.label_width(label), self.y - 3.5 - LABEL_SIZE, note
            )
        self.y -= h
        return h

    def table(
        self,
        columns: Sequence[Column],
        rows: Sequence[Sequence[str]],
        *,
        row_h: float = 16.0,
        head_h: float = 22.0,
        min_rows: int = 0,
        max_height: float | None = None,
        size: float = 8.0,
        max_lines: int = 1,
    ) -> list[Sequence[str]]:
        """A grid with a shaded header; returns the rows that did not fit (for a next page).

        A row is ``row_h`` tall, or taller (up to ``max_lines`` lines of ``size`` text) when
        a value needs more room; text that still does not fit is shrunk, then cut.
        """
        total = sum(col.width for col in columns)
        widths = [self.width * col.width / total for col in columns]
        limit = self.room() if max_height is None else min(max_height, self.room())
        heights = [self._row_height(row, widths, row_h, size, max_lines) for row in rows]
        shown: list[Sequence[str]] = []
        used = head_h
        for row, h in zip(rows, heights, strict=True):
            if used + h > limit + 0.01:
                break
            shown.append(row)
            used += h
        rest = list(rows[len(shown) :])
        pad = max(0, min(min_rows - len(shown), int((limit - used) // row_h)))
        row_heights = heights[: len(shown)] + [row_h] * pad
        body = sum(row_heights)
        c = self.c
        top = self.y
        c.setFillColor(SHADE)
        c.setStrokeColor(RULE)
        c.setLineWidth(0.6)
        c.rect(self.left, top - head_h, self.width, head_h, fill=1)
        x = self.left
        for col, w in zip(columns, widths, strict=True):
            c.setStrokeColor(RULE)
            c.rect(x, top - head_h - body, w, head_h + body)
            self.text(
                col.title,
                x + 2,
                top - 2,
                w - 4,
                head_h - 3,
                size=7.0,
                bold=True,
                color=RULE,
                floor=5.0,
                align="center",
            )
            x += w
        y = top - head_h
        for r, h in enumerate(row_heights):
            c.setStrokeColor(RULE)
            c.setLineWidth(0.4)
            c.line(self.left, y - h, self.left + self.width, y - h)
            if r < len(shown):
                x = self.left
                for col, w, value in zip(columns, widths, shown[r], strict=True):
                    self.text(
                        str(value),
                        x + 3,
                        y - 2,
                        w - 6,
                        h - 3,
                        size=size,
                        floor=5.5,
                        align=col.align,
                    )
                    x += w
            y -= h
        self.y = y
        return rest

    def _row_height(
        self,
        row: Sequence[str],
        widths: Sequence[float],
        row_h: float,
        size: float,
        max_lines: int,
    ) -> float:
        """Height of a table row whose values wrap to at most ``max_lines`` lines."""
        if max_lines <= 1:
            return row_h
        lines = 1
        for value, w in zip(row, widths, strict=True):
            n = sum(
                len(simpleSplit(para, self.f.regular, size, w - 6) or [""])
                for para in str(value).split("\n")
            )
            lines = max(lines, min(n, max_lines))
        return max(row_h, lines * size * 1.18 + 3.5)

    def image(self, png: bytes, x: float, top: float, w: float, h: float) -> None:
        """A PNG scaled to fit the box (aspect kept), centred."""
        reader = ImageReader(io.BytesIO(png))
        iw, ih = reader.getSize()
        scale = min(w / iw, h / ih)
        dw, dh = iw * scale, ih * scale
        self.c.drawImage(reader, x + (w - dw) / 2, top - h + (h - dh) / 2, dw, dh)

    def checkbox(self, x: float, y: float, checked: bool, label: str, *, size: float = 8) -> float:
        """A box (crossed when ``checked``) and its label at baseline ``y``; the width used."""
        c = self.c
        s = size * 0.95
        c.setStrokeColor(RULE)
        c.setLineWidth(0.6)
        c.rect(x, y - 1, s, s)
        if checked:
            c.setStrokeColor(INK)
            c.setLineWidth(1.2)
            c.line(x + 1.5, y + 0.5, x + s - 1.5, y + s - 2.5)
            c.line(x + 1.5, y + s - 2.5, x + s - 1.5, y + 0.5)
        c.setFillColor(RULE)
        c.setFont(self.f.regular, size)
        c.drawString(x + s + 3, y, label)
        return s + 6 + float(pdfmetrics.stringWidth(label, self.f.regular, size))

    def prepared(self, number: int, name: str, position: str, height: float = 20.0) -> None:
        """The "Prepared by" block: name, position/title, signature line."""
        self.row(
            [
                Cell(f"{number}. Prepared by:  Name:", name, 1.4, inline=True),
                Cell("Position/Title:", position, 1.0, inline=True),
                Cell("Signature:", "", 0.8, inline=True),
            ],
            height,
        )


def period_text(starts: datetime, ends: datetime) -> str:
    """Block "Operational Period": date and time from/to."""
    return (
        f"Date From: {starts:%m/%d/%Y}   Date To: {ends:%m/%d/%Y}\n"
        f"Time From: {starts:%H%M}Z   Time To: {ends:%H%M}Z"
    )


def words(code: str) -> str:
    """A stored code as words: ``child_4_6`` -> ``child 4-6``, ``handed_over`` -> ``handed over``.

    Examples
    --------
    >>> words("child_4_6"), words("handed_over")
    ('child 4-6', 'handed over')
    """
    return re.sub(r"(\d)_(\d)", r"\1-\2", code).replace("_", " ")


def or_blank(text: str, blank: str = NOT_RECORDED) -> str:
    """``text``, or "not recorded" when it is empty."""
    return text if text.strip() else blank
